//! EC2 reads: the task's ENI and its VPC's network configuration.

use super::{bounded, gap, keep};
use crate::aws::Clients;
use crate::facts::{
    Gap, NatGateway, Network, NetworkAcl, NetworkAclEntry, NetworkInterface, PrefixList, Read,
    Route, RouteTable, RouteTarget, SecurityGroup, SecurityGroupRule, Subnet, Tags, Vpc,
    VpcEndpoint,
};
use aws_sdk_ec2::types::{Filter, IpPermission, VpcAttributeName};
use tokio::time::Instant;

/// Every item of a paginated read, or the gap that says why not. A macro: each operation's
/// paginator is its own type.
macro_rules! all_items {
    ($request:expr, $read:expr) => {
        $request
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await
            .map_err(|e| gap($read, &e))?
    };
}

/// Rounds 2 and 3 for the task's VPC: everything in it, then what that names (the DHCP
/// options set, the S3 prefix list's CIDRs). Returns the reads that failed.
pub(super) async fn read_vpc(
    clients: &Clients,
    vpc: &str,
    region: &str,
    network: &mut Network,
    deadline: Option<Instant>,
) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let s3_list = format!("com.amazonaws.{region}.s3");
    let round = async {
        tokio::join!(
            vpc_subnets(clients, vpc),
            route_tables(clients, vpc),
            nat_gateways(clients, vpc),
            internet_gateways(clients, vpc),
            describe_vpc(clients, vpc),
            vpc_attribute(clients, vpc, VpcAttributeName::EnableDnsSupport),
            vpc_attribute(clients, vpc, VpcAttributeName::EnableDnsHostnames),
            security_groups(clients, vpc),
            network_acls(clients, vpc),
            vpc_endpoints(clients, vpc),
            prefix_list_by_name(clients, &s3_list),
        )
    };
    let Some((
        all_subnets,
        tables,
        nats,
        igws,
        described_vpc,
        dns_support,
        dns_hostnames,
        groups,
        acls,
        endpoints,
        prefix_list,
    )) = bounded(deadline, ROUND_TWO_READS, &mut gaps, round).await
    else {
        return gaps;
    };
    let gaps_ref = &mut gaps;
    if let Some(all) = keep(all_subnets, gaps_ref) {
        network.subnets = all;
    }
    network.route_tables = keep(tables, gaps_ref).unwrap_or_default();
    network.nat_gateways = keep(nats, gaps_ref).unwrap_or_default();
    network.internet_gateways = keep(igws, gaps_ref).unwrap_or_default();
    network.security_groups = keep(groups, gaps_ref).unwrap_or_default();
    network.network_acls = keep(acls, gaps_ref).unwrap_or_default();
    network.vpc_endpoints = keep(endpoints, gaps_ref).unwrap_or_default();
    network.vpc_id = Some(vpc.to_string());
    let mut prefix_list = keep(prefix_list, gaps_ref).flatten();
    let mut described_vpc = keep(described_vpc, gaps_ref).flatten();
    if let Some(described) = described_vpc.as_mut() {
        described.enable_dns_support = keep(dns_support, gaps_ref);
        described.enable_dns_hostnames = keep(dns_hostnames, gaps_ref);
    }

    // Round 3: what round 2 names.
    let dhcp_id = described_vpc
        .as_ref()
        .and_then(|v| v.dhcp_options_id.clone());
    let list_id = prefix_list.as_ref().map(|p| p.id.clone());
    let round = async {
        tokio::join!(
            dns_servers(clients, dhcp_id.as_deref()),
            prefix_list_cidrs(clients, list_id.as_deref()),
        )
    };
    if let Some((servers, cidrs)) = bounded(deadline, ROUND_THREE_READS, &mut gaps, round).await {
        if let Some(described) = described_vpc.as_mut() {
            described.dns_servers = keep(servers, &mut gaps).unwrap_or_default();
        }
        if let Some(list) = prefix_list.as_mut() {
            list.cidrs = keep(cidrs, &mut gaps).unwrap_or_default();
        }
    }
    network.vpc = described_vpc;
    network.s3_prefix_list = prefix_list;
    gaps
}

/// Every read of the VPC's configuration, rounds 2 and 3.
pub(super) fn vpc_reads() -> impl Iterator<Item = Read> {
    ROUND_TWO_READS.iter().chain(ROUND_THREE_READS).copied()
}

const ROUND_TWO_READS: &[Read] = &[
    Read::DescribeSubnets,
    Read::DescribeRouteTables,
    Read::DescribeNatGateways,
    Read::DescribeInternetGateways,
    Read::DescribeVpcs,
    Read::DescribeVpcAttribute,
    Read::DescribeSecurityGroups,
    Read::DescribeNetworkAcls,
    Read::DescribeVpcEndpoints,
    Read::DescribeManagedPrefixLists,
];
const ROUND_THREE_READS: &[Read] = &[Read::DescribeDhcpOptions, Read::GetManagedPrefixListEntries];

pub(super) async fn network_interface(
    clients: &Clients,
    id: Option<&str>,
) -> std::result::Result<Option<NetworkInterface>, Gap> {
    let Some(id) = id else { return Ok(None) };
    let out = clients
        .ec2
        .describe_network_interfaces()
        .filters(
            Filter::builder()
                .name("network-interface-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .map_err(|e| gap(Read::DescribeNetworkInterfaces, &e))?;
    // Fargate deletes the ENI when the task stops: an empty answer is normal.
    Ok(out
        .network_interfaces()
        .first()
        .map(|eni| NetworkInterface {
            id: eni.network_interface_id().unwrap_or(id).to_string(),
            subnet_id: eni.subnet_id().map(str::to_string),
            security_groups: eni
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
                .collect(),
            private_ip: eni.private_ip_address().map(str::to_string),
            public_ip: eni
                .association()
                .and_then(|a| a.public_ip())
                .map(str::to_string),
        }))
}

pub(super) async fn subnets(
    clients: &Clients,
    id: Option<&str>,
) -> std::result::Result<Vec<Subnet>, Gap> {
    match id {
        Some(id) => subnets_by(clients, vpc_filter("subnet-id", id)).await,
        None => Ok(vec![]),
    }
}

async fn vpc_subnets(clients: &Clients, vpc: &str) -> std::result::Result<Vec<Subnet>, Gap> {
    subnets_by(clients, vpc_filter("vpc-id", vpc)).await
}

async fn subnets_by(clients: &Clients, filter: Filter) -> std::result::Result<Vec<Subnet>, Gap> {
    let subnets = all_items!(
        clients.ec2.describe_subnets().filters(filter),
        Read::DescribeSubnets
    );
    Ok(subnets
        .iter()
        .map(|s| Subnet {
            id: s.subnet_id().unwrap_or_default().to_string(),
            vpc_id: s.vpc_id().unwrap_or_default().to_string(),
            cidr: s.cidr_block().and_then(|c| c.parse().ok()),
            availability_zone: s.availability_zone().map(str::to_string),
            map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
            tags: ec2_tags(s.tags()),
            ipv6_cidrs: s
                .ipv6_cidr_block_association_set()
                .iter()
                // Drop only associations on their way out: moto writes the state as an
                // unparsable string, which must not hide a live CIDR.
                .filter(|a| {
                    !a.ipv6_cidr_block_state()
                        .and_then(|st| st.state())
                        .is_some_and(|st| {
                            matches!(st.as_str(), "disassociating" | "disassociated" | "failed")
                        })
                })
                .filter_map(|a| a.ipv6_cidr_block().map(str::to_string))
                .collect(),
            ipv6_native: s.ipv6_native().unwrap_or(false),
            enable_dns64: s.enable_dns64().unwrap_or(false),
        })
        .collect())
}

/// An EC2 describe answer's tags: the owner (a CloudFormation stack) is named there.
fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

fn vpc_filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

async fn route_tables(clients: &Clients, vpc: &str) -> std::result::Result<Vec<RouteTable>, Gap> {
    let tables = all_items!(
        clients
            .ec2
            .describe_route_tables()
            .filters(vpc_filter("vpc-id", vpc)),
        Read::DescribeRouteTables
    );
    Ok(tables
        .iter()
        .map(|t| RouteTable {
            id: t.route_table_id().unwrap_or_default().to_string(),
            main: t.associations().iter().any(|a| a.main().unwrap_or(false)),
            subnet_ids: t
                .associations()
                .iter()
                .filter_map(|a| a.subnet_id().map(str::to_string))
                .collect(),
            routes: t
                .routes()
                .iter()
                .map(|r| Route {
                    destination_cidr: r.destination_cidr_block().map(str::to_string),
                    destination_prefix_list: r.destination_prefix_list_id().map(str::to_string),
                    destination_ipv6_cidr: r.destination_ipv6_cidr_block().map(str::to_string),
                    target: RouteTarget::from_ids(
                        r.gateway_id(),
                        r.nat_gateway_id(),
                        &[
                            r.transit_gateway_id(),
                            r.vpc_peering_connection_id(),
                            r.network_interface_id(),
                            r.instance_id(),
                            r.egress_only_internet_gateway_id(),
                            r.local_gateway_id(),
                            r.carrier_gateway_id(),
                            r.core_network_arn(),
                        ],
                    ),
                    state: r.state().map(|s| s.as_str().to_string()),
                })
                .collect(),
            tags: ec2_tags(t.tags()),
        })
        .collect())
}

async fn nat_gateways(clients: &Clients, vpc: &str) -> std::result::Result<Vec<NatGateway>, Gap> {
    let nats = all_items!(
        clients
            .ec2
            .describe_nat_gateways()
            .filter(vpc_filter("vpc-id", vpc)),
        Read::DescribeNatGateways
    );
    Ok(nats
        .iter()
        .map(|n| NatGateway {
            id: n.nat_gateway_id().unwrap_or_default().to_string(),
            subnet_id: n.subnet_id().map(str::to_string),
            state: n.state().map(|s| s.as_str().to_string()),
            connectivity_type: n.connectivity_type().map(|c| c.as_str().to_string()),
            tags: ec2_tags(n.tags()),
        })
        .collect())
}

async fn internet_gateways(clients: &Clients, vpc: &str) -> std::result::Result<Vec<String>, Gap> {
    let igws = all_items!(
        clients
            .ec2
            .describe_internet_gateways()
            .filters(vpc_filter("attachment.vpc-id", vpc)),
        Read::DescribeInternetGateways
    );
    Ok(igws
        .iter()
        .filter_map(|g| g.internet_gateway_id().map(str::to_string))
        .collect())
}

async fn describe_vpc(clients: &Clients, vpc: &str) -> std::result::Result<Option<Vpc>, Gap> {
    let out = clients
        .ec2
        .describe_vpcs()
        .vpc_ids(vpc)
        .send()
        .await
        .map_err(|e| gap(Read::DescribeVpcs, &e))?;
    Ok(out.vpcs().first().map(|v| Vpc {
        id: v.vpc_id().unwrap_or(vpc).to_string(),
        cidrs: v
            .cidr_block_association_set()
            .iter()
            .filter_map(|a| a.cidr_block()?.parse().ok())
            .chain(v.cidr_block().and_then(|c| c.parse().ok()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        dhcp_options_id: v.dhcp_options_id().map(str::to_string),
        ..Vpc::default()
    }))
}

async fn vpc_attribute(
    clients: &Clients,
    vpc: &str,
    attribute: VpcAttributeName,
) -> std::result::Result<bool, Gap> {
    let out = clients
        .ec2
        .describe_vpc_attribute()
        .vpc_id(vpc)
        .attribute(attribute.clone())
        .send()
        .await
        .map_err(|e| gap(Read::DescribeVpcAttribute, &e))?;
    let value = match attribute {
        VpcAttributeName::EnableDnsSupport => out.enable_dns_support(),
        _ => out.enable_dns_hostnames(),
    };
    Ok(value.and_then(|v| v.value()).unwrap_or(false))
}

async fn dns_servers(clients: &Clients, id: Option<&str>) -> std::result::Result<Vec<String>, Gap> {
    let Some(id) = id.filter(|id| *id != "default") else {
        // No options set: the VPC uses AmazonProvidedDNS.
        return Ok(vec!["AmazonProvidedDNS".into()]);
    };
    let out = clients
        .ec2
        .describe_dhcp_options()
        .dhcp_options_ids(id)
        .send()
        .await
        .map_err(|e| gap(Read::DescribeDhcpOptions, &e))?;
    Ok(out
        .dhcp_options()
        .iter()
        .flat_map(|o| o.dhcp_configurations())
        .filter(|c| c.key() == Some("domain-name-servers"))
        .flat_map(|c| c.values())
        .filter_map(|v| v.value().map(str::to_string))
        .collect())
}

fn rule(permission: &IpPermission) -> SecurityGroupRule {
    SecurityGroupRule {
        protocol: permission.ip_protocol().unwrap_or("-1").to_string(),
        from_port: permission.from_port(),
        to_port: permission.to_port(),
        cidrs: permission
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip()?.parse().ok())
            .collect(),
        ipv6_cidrs: permission
            .ipv6_ranges()
            .iter()
            .filter_map(|r| r.cidr_ipv6().map(str::to_string))
            .collect(),
        groups: permission
            .user_id_group_pairs()
            .iter()
            .filter_map(|p| p.group_id().map(str::to_string))
            .collect(),
        prefix_lists: permission
            .prefix_list_ids()
            .iter()
            .filter_map(|p| p.prefix_list_id().map(str::to_string))
            .collect(),
    }
}

async fn security_groups(
    clients: &Clients,
    vpc: &str,
) -> std::result::Result<Vec<SecurityGroup>, Gap> {
    let groups = all_items!(
        clients
            .ec2
            .describe_security_groups()
            .filters(vpc_filter("vpc-id", vpc)),
        Read::DescribeSecurityGroups
    );
    Ok(groups
        .iter()
        .map(|g| SecurityGroup {
            id: g.group_id().unwrap_or_default().to_string(),
            name: g.group_name().unwrap_or_default().to_string(),
            ingress: g.ip_permissions().iter().map(rule).collect(),
            egress: g.ip_permissions_egress().iter().map(rule).collect(),
            tags: ec2_tags(g.tags()),
        })
        .collect())
}

async fn network_acls(clients: &Clients, vpc: &str) -> std::result::Result<Vec<NetworkAcl>, Gap> {
    let acls = all_items!(
        clients
            .ec2
            .describe_network_acls()
            .filters(vpc_filter("vpc-id", vpc)),
        Read::DescribeNetworkAcls
    );
    Ok(acls
        .iter()
        .map(|a| NetworkAcl {
            id: a.network_acl_id().unwrap_or_default().to_string(),
            is_default: a.is_default().unwrap_or(false),
            subnet_ids: a
                .associations()
                .iter()
                .filter_map(|s| s.subnet_id().map(str::to_string))
                .collect(),
            entries: a
                .entries()
                .iter()
                .filter_map(|e| {
                    Some(NetworkAclEntry {
                        rule_number: e.rule_number()?,
                        egress: e.egress().unwrap_or(false),
                        protocol: e.protocol().unwrap_or("-1").to_string(),
                        allow: e.rule_action().map(|r| r.as_str()) == Some("allow"),
                        cidr: e.cidr_block().or(e.ipv6_cidr_block())?.parse().ok()?,
                        from_port: e.port_range().and_then(|p| p.from()),
                        to_port: e.port_range().and_then(|p| p.to()),
                    })
                })
                .collect(),
            tags: ec2_tags(a.tags()),
        })
        .collect())
}

async fn vpc_endpoints(clients: &Clients, vpc: &str) -> std::result::Result<Vec<VpcEndpoint>, Gap> {
    let endpoints = all_items!(
        clients
            .ec2
            .describe_vpc_endpoints()
            .filters(vpc_filter("vpc-id", vpc)),
        Read::DescribeVpcEndpoints
    );
    Ok(endpoints
        .iter()
        .map(|e| VpcEndpoint {
            id: e.vpc_endpoint_id().unwrap_or_default().to_string(),
            service_name: e.service_name().unwrap_or_default().to_string(),
            kind: e
                .vpc_endpoint_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            state: e.state().map(|s| s.as_str().to_string()),
            private_dns_enabled: e.private_dns_enabled().unwrap_or(false),
            subnet_ids: e.subnet_ids().to_vec(),
            // The endpoint's own groups: its ENIs may show others (the emulator shows the
            // VPC's default group there).
            security_groups: e
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
                .collect(),
            route_table_ids: e.route_table_ids().to_vec(),
            ip_address_type: e.ip_address_type().map(|t| t.as_str().to_string()),
            dns_record_ip_type: e
                .dns_options()
                .and_then(|d| d.dns_record_ip_type())
                .map(|t| t.as_str().to_string()),
            policy: e.policy_document().map(|p| {
                percent_encoding::percent_decode_str(p)
                    .decode_utf8_lossy()
                    .into_owned()
            }),
            tags: ec2_tags(e.tags()),
        })
        .collect())
}

async fn prefix_list_by_name(
    clients: &Clients,
    name: &str,
) -> std::result::Result<Option<PrefixList>, Gap> {
    let out = clients
        .ec2
        .describe_managed_prefix_lists()
        .filters(vpc_filter("prefix-list-name", name))
        .send()
        .await
        .map_err(|e| gap(Read::DescribeManagedPrefixLists, &e))?;
    Ok(out.prefix_lists().first().map(|p| PrefixList {
        id: p.prefix_list_id().unwrap_or_default().to_string(),
        name: p.prefix_list_name().unwrap_or(name).to_string(),
        cidrs: vec![],
    }))
}

async fn prefix_list_cidrs(
    clients: &Clients,
    id: Option<&str>,
) -> std::result::Result<Vec<ipnet::Ipv4Net>, Gap> {
    let Some(id) = id else { return Ok(vec![]) };
    let entries = all_items!(
        clients
            .ec2
            .get_managed_prefix_list_entries()
            .prefix_list_id(id),
        Read::GetManagedPrefixListEntries
    );
    Ok(entries
        .iter()
        .filter_map(|e| e.cidr()?.parse().ok())
        .collect())
}
