//! The only stage that reads AWS. It gathers the facts in a few rounds, each round's reads
//! running concurrently:
//!
//! 1. DescribeTasks (the task, with tags);
//! 2. DescribeTaskDefinition, DescribeServices, DescribeNetworkInterfaces, DescribeSubnets;
//! 3. by the task's VPC: DescribeSubnets, DescribeRouteTables, DescribeNatGateways,
//!    DescribeInternetGateways, DescribeVpcs, DescribeVpcAttribute (×2),
//!    DescribeSecurityGroups, DescribeNetworkAcls, DescribeVpcEndpoints, and the region's S3
//!    prefix list (DescribeManagedPrefixLists);
//! 4. what round 3 names: DescribeDhcpOptions, GetManagedPrefixListEntries.
//!
//! Round 2 reads the task's subnet only to learn its VPC; round 3 reads every subnet of the
//! VPC (endpoint and NAT subnets matter too), so that one subnet is read twice.
//!
//! A read that fails becomes a [`Gap`] in the facts, never an error: the checks that needed
//! it are skipped with the reason, and the rest still run.

use crate::aws::Clients;
use crate::error::{Error, Result, sdk_message};
use crate::event::{ArnParts, StoppedTask};
use crate::facts::{
    Container, EniAttachment, Facts, Gap, NatGateway, NetworkAcl, NetworkAclEntry,
    NetworkInterface, PrefixList, Route, RouteTable, RouteTarget, SecretRef, SecurityGroup,
    SecurityGroupRule, Service, Subnet, Task, TaskDefinition, TaskSource, Vpc, VpcEndpoint,
};
use aws_sdk_ec2::types::{Filter, IpPermission, VpcAttributeName};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::BTreeMap;

/// Which task to diagnose.
#[derive(Debug, Clone)]
pub enum Target<'a> {
    /// From an event: DescribeTasks if it still knows the task, else the event's copy.
    Event(&'a StoppedTask),
    /// Named on the command line: DescribeTasks must know it.
    Named { cluster: &'a str, task: &'a str },
}

/// Turns a failed read into a gap, naming the doctor's own missing permission plainly.
fn gap<E, R>(call: &str, error: &SdkError<E, R>) -> Gap
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let reason = match error.code() {
        Some(code) if code.contains("AccessDenied") || code == "UnauthorizedOperation" => {
            format!("the doctor's role may not call {call}")
        }
        _ => sdk_message(error),
    };
    tracing::warn!(call, %reason, "read failed; the checks that need it are skipped");
    Gap {
        call: call.to_string(),
        reason,
    }
}

fn timestamp(time: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    time.and_then(|t| t.fmt(Format::DateTime).ok())
}

pub async fn collect(clients: &Clients, target: Target<'_>) -> Result<Facts> {
    let mut facts = Facts::default();
    facts.task = round_one(clients, &target, &mut facts.gaps, &mut facts.task_source).await?;

    // Round 2: what the task names.
    let task = &facts.task;
    let service_name = task.service_name().map(str::to_string);
    let eni_id = task
        .attachment
        .as_ref()
        .and_then(|a| a.network_interface_id.clone());
    let subnet_id = task.attachment.as_ref().and_then(|a| a.subnet_id.clone());
    let (definition, service, eni, subnet) = tokio::join!(
        task_definition(clients, task.task_definition_arn.as_deref()),
        service(clients, &task.cluster_arn, service_name.as_deref()),
        network_interface(clients, eni_id.as_deref()),
        subnets(clients, subnet_id.as_deref()),
    );
    facts.task_definition = keep(definition, &mut facts.gaps).flatten();
    facts.service = keep(service, &mut facts.gaps).flatten();
    facts.network.network_interface = keep(eni, &mut facts.gaps).flatten();
    facts.network.subnets = keep(subnet, &mut facts.gaps).unwrap_or_default();

    // A task without an attachment in its record: its service names the subnets.
    if facts.network.subnets.is_empty()
        && let Some(first) = facts.task_subnet_id().map(str::to_string)
    {
        facts.network.subnets =
            keep(subnets(clients, Some(&first)).await, &mut facts.gaps).unwrap_or_default();
    }

    // Round 3: the task's VPC.
    let Some(vpc) = facts.network.subnets.first().map(|s| s.vpc_id.clone()) else {
        return Ok(facts);
    };
    let s3_list = format!("com.amazonaws.{}.s3", facts.task.region);
    let (all_subnets, tables, nats, igws, described_vpc, dns_support, dns_hostnames) = tokio::join!(
        vpc_subnets(clients, &vpc),
        route_tables(clients, &vpc),
        nat_gateways(clients, &vpc),
        internet_gateways(clients, &vpc),
        describe_vpc(clients, &vpc),
        vpc_attribute(clients, &vpc, VpcAttributeName::EnableDnsSupport),
        vpc_attribute(clients, &vpc, VpcAttributeName::EnableDnsHostnames),
    );
    let (groups, acls, endpoints, prefix_list) = tokio::join!(
        security_groups(clients, &vpc),
        network_acls(clients, &vpc),
        vpc_endpoints(clients, &vpc),
        prefix_list_by_name(clients, &s3_list),
    );
    let gaps = &mut facts.gaps;
    if let Some(all) = keep(all_subnets, gaps) {
        facts.network.subnets = all;
    }
    let network = &mut facts.network;
    network.route_tables = keep(tables, gaps).unwrap_or_default();
    network.nat_gateways = keep(nats, gaps).unwrap_or_default();
    network.internet_gateways = keep(igws, gaps).unwrap_or_default();
    network.security_groups = keep(groups, gaps).unwrap_or_default();
    network.network_acls = keep(acls, gaps).unwrap_or_default();
    network.vpc_endpoints = keep(endpoints, gaps).unwrap_or_default();
    let mut prefix_list = keep(prefix_list, gaps).flatten();
    let mut described_vpc = keep(described_vpc, gaps).flatten();
    if let Some(described) = described_vpc.as_mut() {
        described.enable_dns_support = keep(dns_support, gaps);
        described.enable_dns_hostnames = keep(dns_hostnames, gaps);
    }

    // Round 4: the DHCP options set and the S3 prefix list's CIDRs.
    let dhcp_id = described_vpc
        .as_ref()
        .and_then(|v| v.dhcp_options_id.clone());
    let list_id = prefix_list.as_ref().map(|p| p.id.clone());
    let (servers, cidrs) = tokio::join!(
        dns_servers(clients, dhcp_id.as_deref()),
        prefix_list_cidrs(clients, list_id.as_deref()),
    );
    if let Some(described) = described_vpc.as_mut() {
        described.dns_servers = keep(servers, gaps).unwrap_or_default();
    }
    if let Some(list) = prefix_list.as_mut() {
        list.cidrs = keep(cidrs, gaps).unwrap_or_default();
    }
    network.vpc = described_vpc;
    network.s3_prefix_list = prefix_list;
    network.vpc_id = Some(vpc);
    Ok(facts)
}

fn keep<T>(read: std::result::Result<T, Gap>, gaps: &mut Vec<Gap>) -> Option<T> {
    read.map_err(|g| gaps.push(g)).ok()
}

/// Round 1: the task itself.
async fn round_one(
    clients: &Clients,
    target: &Target<'_>,
    gaps: &mut Vec<Gap>,
    source: &mut TaskSource,
) -> Result<Task> {
    let (cluster, task_id) = match target {
        Target::Event(event) => (
            event.detail.cluster_arn.as_str(),
            event.detail.task_arn.as_str(),
        ),
        Target::Named { cluster, task } => (*cluster, *task),
    };
    let described = clients
        .ecs
        .describe_tasks()
        .cluster(cluster)
        .tasks(task_id)
        .include(aws_sdk_ecs::types::TaskField::Tags)
        .send()
        .await;
    match (target, described) {
        (Target::Event(event), Ok(out)) => match out.tasks().first() {
            Some(found) => Ok(merge_event(task_from_ecs(found, Some(event)), event)),
            None => {
                *source = TaskSource::Event;
                Ok(task_from_event(event))
            }
        },
        (Target::Event(event), Err(error)) => {
            gaps.push(gap("ecs:DescribeTasks", &error));
            *source = TaskSource::Event;
            Ok(task_from_event(event))
        }
        (Target::Named { cluster, task }, Ok(out)) => match out.tasks().first() {
            Some(found) => Ok(task_from_ecs(found, None)),
            None => Err(Error::TaskNotFound {
                cluster: cluster.to_string(),
                task: task.to_string(),
            }),
        },
        (Target::Named { .. }, Err(error)) => Err(Error::Aws {
            call: "ecs:DescribeTasks",
            message: sdk_message(&error),
        }),
    }
}

fn task_from_ecs(task: &aws_sdk_ecs::types::Task, event: Option<&StoppedTask>) -> Task {
    let arn = task.task_arn().unwrap_or_default().to_string();
    let parts = ArnParts::parse(&arn);
    let attachment = task
        .attachments()
        .iter()
        .find(|a| a.details().iter().any(|d| d.name() == Some("subnetId")))
        .map(|a| {
            let detail = |name: &str| {
                a.details()
                    .iter()
                    .find(|d| d.name() == Some(name))
                    .and_then(|d| d.value().map(str::to_string))
            };
            EniAttachment {
                subnet_id: detail("subnetId"),
                network_interface_id: detail("networkInterfaceId"),
                private_ipv4_address: detail("privateIPv4Address"),
            }
        });
    Task {
        cluster_arn: task.cluster_arn().unwrap_or_default().to_string(),
        group: task.group().map(str::to_string),
        started_by: task.started_by().map(str::to_string),
        task_definition_arn: task.task_definition_arn().map(str::to_string),
        launch_type: task
            .launch_type()
            .map(|l| l.as_str().to_string())
            .filter(|l| !l.is_empty()),
        platform_version: task.platform_version().map(str::to_string),
        stopped_reason: task.stopped_reason().unwrap_or_default().to_string(),
        stop_code: task.stop_code().map(|c| c.as_str().to_string()),
        stopped_at: timestamp(task.stopped_at()),
        region: event
            .map(|e| e.region.clone())
            .or(parts.map(|p| p.region.to_string()))
            .unwrap_or_default(),
        account: event
            .map(|e| e.account.clone())
            .or(parts.map(|p| p.account.to_string()))
            .unwrap_or_default(),
        availability_zone: task.availability_zone().map(str::to_string),
        attachment,
        tags: task
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
        arn,
    }
}

/// Fills what DescribeTasks omitted from the event (it may lack `stopCode`, timestamps, the
/// launch type).
fn merge_event(mut task: Task, event: &StoppedTask) -> Task {
    let from_event = task_from_event(event);
    let fill = |mine: &mut Option<String>, theirs: Option<String>| {
        if mine.is_none() {
            *mine = theirs;
        }
    };
    fill(&mut task.stop_code, from_event.stop_code);
    fill(&mut task.stopped_at, from_event.stopped_at);
    fill(&mut task.launch_type, from_event.launch_type);
    fill(&mut task.platform_version, from_event.platform_version);
    fill(&mut task.group, from_event.group);
    fill(&mut task.started_by, from_event.started_by);
    fill(
        &mut task.task_definition_arn,
        from_event.task_definition_arn,
    );
    fill(&mut task.availability_zone, from_event.availability_zone);
    if task.stopped_reason.is_empty() {
        task.stopped_reason = from_event.stopped_reason;
    }
    if task.attachment.is_none() {
        task.attachment = from_event.attachment;
    }
    task
}

fn task_from_event(event: &StoppedTask) -> Task {
    let detail = &event.detail;
    let attachment = detail
        .attachments
        .iter()
        .find(|a| a.detail("subnetId").is_some())
        .map(|a| EniAttachment {
            subnet_id: a.detail("subnetId").map(str::to_string),
            network_interface_id: a.detail("networkInterfaceId").map(str::to_string),
            private_ipv4_address: a.detail("privateIPv4Address").map(str::to_string),
        });
    Task {
        arn: detail.task_arn.clone(),
        cluster_arn: detail.cluster_arn.clone(),
        group: detail.group.clone(),
        started_by: detail.started_by.clone(),
        task_definition_arn: detail.task_definition_arn.clone(),
        launch_type: detail.launch_type.clone().filter(|l| !l.is_empty()),
        platform_version: detail.platform_version.clone(),
        stopped_reason: event.stopped_reason().to_string(),
        stop_code: detail.stop_code.clone(),
        stopped_at: detail.stopped_at.clone(),
        region: event.region.clone(),
        account: event.account.clone(),
        availability_zone: detail.availability_zone.clone(),
        attachment,
        tags: BTreeMap::new(),
    }
}

async fn task_definition(
    clients: &Clients,
    arn: Option<&str>,
) -> std::result::Result<Option<TaskDefinition>, Gap> {
    let Some(arn) = arn else { return Ok(None) };
    let out = clients
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|e| gap("ecs:DescribeTaskDefinition", &e))?;
    Ok(out.task_definition().map(|d| TaskDefinition {
        arn: d.task_definition_arn().unwrap_or(arn).to_string(),
        family: d.family().unwrap_or_default().to_string(),
        revision: d.revision(),
        execution_role_arn: d.execution_role_arn().map(str::to_string),
        task_role_arn: d.task_role_arn().map(str::to_string),
        network_mode: d.network_mode().map(|m| m.as_str().to_string()),
        containers: d.container_definitions().iter().map(container).collect(),
    }))
}

/// Keeps what the checks need and no values: environment variables are left out entirely.
fn container(c: &aws_sdk_ecs::types::ContainerDefinition) -> Container {
    let secret_ref = |s: &aws_sdk_ecs::types::Secret| SecretRef {
        name: s.name().to_string(),
        value_from: s.value_from().to_string(),
    };
    let log = c.log_configuration();
    Container {
        name: c.name().unwrap_or_default().to_string(),
        image: c.image().unwrap_or_default().to_string(),
        secrets: c.secrets().iter().map(secret_ref).collect(),
        repository_credentials: c
            .repository_credentials()
            .map(|r| r.credentials_parameter().to_string()),
        log_driver: log.map(|l| l.log_driver().as_str().to_string()),
        awslogs_options: log
            .and_then(|l| l.options())
            .map(|options| {
                options
                    .iter()
                    .filter(|(k, _)| k.starts_with("awslogs-"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        log_secret_options: log
            .map(|l| l.secret_options().iter().map(secret_ref).collect())
            .unwrap_or_default(),
        environment_files: c
            .environment_files()
            .iter()
            .map(|f| f.value().to_string())
            .collect(),
    }
}

async fn service(
    clients: &Clients,
    cluster: &str,
    name: Option<&str>,
) -> std::result::Result<Option<Service>, Gap> {
    let Some(name) = name else { return Ok(None) };
    let out = clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(name)
        .send()
        .await
        .map_err(|e| gap("ecs:DescribeServices", &e))?;
    Ok(out.services().first().map(|s| {
        let vpc = s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration());
        Service {
            name: s.service_name().unwrap_or(name).to_string(),
            arn: s.service_arn().map(str::to_string),
            subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
            security_groups: vpc
                .map(|v| v.security_groups().to_vec())
                .unwrap_or_default(),
            assign_public_ip: vpc
                .and_then(|v| v.assign_public_ip())
                .map(|a| a.as_str().to_string()),
        }
    }))
}

async fn network_interface(
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
        .map_err(|e| gap("ec2:DescribeNetworkInterfaces", &e))?;
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

async fn subnets(clients: &Clients, id: Option<&str>) -> std::result::Result<Vec<Subnet>, Gap> {
    match id {
        Some(id) => subnets_by(clients, vpc_filter("subnet-id", id)).await,
        None => Ok(vec![]),
    }
}

async fn vpc_subnets(clients: &Clients, vpc: &str) -> std::result::Result<Vec<Subnet>, Gap> {
    subnets_by(clients, vpc_filter("vpc-id", vpc)).await
}

async fn subnets_by(clients: &Clients, filter: Filter) -> std::result::Result<Vec<Subnet>, Gap> {
    let subnets: Vec<_> = clients
        .ec2
        .describe_subnets()
        .filters(filter)
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| gap("ec2:DescribeSubnets", &e))?;
    Ok(subnets
        .iter()
        .map(|s| Subnet {
            id: s.subnet_id().unwrap_or_default().to_string(),
            vpc_id: s.vpc_id().unwrap_or_default().to_string(),
            cidr: s.cidr_block().and_then(|c| c.parse().ok()),
            availability_zone: s.availability_zone().map(str::to_string),
            map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
        })
        .collect())
}

fn vpc_filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

async fn route_tables(clients: &Clients, vpc: &str) -> std::result::Result<Vec<RouteTable>, Gap> {
    let tables: Vec<_> = clients
        .ec2
        .describe_route_tables()
        .filters(vpc_filter("vpc-id", vpc))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| gap("ec2:DescribeRouteTables", &e))?;
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
        })
        .collect())
}

async fn nat_gateways(clients: &Clients, vpc: &str) -> std::result::Result<Vec<NatGateway>, Gap> {
    let nats: Vec<_> = clients
        .ec2
        .describe_nat_gateways()
        .filter(vpc_filter("vpc-id", vpc))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| gap("ec2:DescribeNatGateways", &e))?;
    Ok(nats
        .iter()
        .map(|n| NatGateway {
            id: n.nat_gateway_id().unwrap_or_default().to_string(),
            subnet_id: n.subnet_id().map(str::to_string),
            state: n.state().map(|s| s.as_str().to_string()),
            connectivity_type: n.connectivity_type().map(|c| c.as_str().to_string()),
        })
        .collect())
}

async fn internet_gateways(clients: &Clients, vpc: &str) -> std::result::Result<Vec<String>, Gap> {
    let igws: Vec<_> = clients
        .ec2
        .describe_internet_gateways()
        .filters(vpc_filter("attachment.vpc-id", vpc))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| gap("ec2:DescribeInternetGateways", &e))?;
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
        .map_err(|e| gap("ec2:DescribeVpcs", &e))?;
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
        .map_err(|e| gap("ec2:DescribeVpcAttribute", &e))?;
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
        .map_err(|e| gap("ec2:DescribeDhcpOptions", &e))?;
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
    let groups: Vec<_> = clients
        .ec2
        .describe_security_groups()
        .filters(vpc_filter("vpc-id", vpc))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| gap("ec2:DescribeSecurityGroups", &e))?;
    Ok(groups
        .iter()
        .map(|g| SecurityGroup {
            id: g.group_id().unwrap_or_default().to_string(),
            name: g.group_name().unwrap_or_default().to_string(),
            ingress: g.ip_permissions().iter().map(rule).collect(),
            egress: g.ip_permissions_egress().iter().map(rule).collect(),
        })
        .collect())
}

async fn network_acls(clients: &Clients, vpc: &str) -> std::result::Result<Vec<NetworkAcl>, Gap> {
    let acls: Vec<_> = clients
        .ec2
        .describe_network_acls()
        .filters(vpc_filter("vpc-id", vpc))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| gap("ec2:DescribeNetworkAcls", &e))?;
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
                        // IPv6 entries carry no IPv4 CIDR and are left out.
                        cidr: e.cidr_block()?.parse().ok()?,
                        from_port: e.port_range().and_then(|p| p.from()),
                        to_port: e.port_range().and_then(|p| p.to()),
                    })
                })
                .collect(),
        })
        .collect())
}

async fn vpc_endpoints(clients: &Clients, vpc: &str) -> std::result::Result<Vec<VpcEndpoint>, Gap> {
    let endpoints: Vec<_> = clients
        .ec2
        .describe_vpc_endpoints()
        .filters(vpc_filter("vpc-id", vpc))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| gap("ec2:DescribeVpcEndpoints", &e))?;
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
            policy: e.policy_document().map(|p| {
                percent_encoding::percent_decode_str(p)
                    .decode_utf8_lossy()
                    .into_owned()
            }),
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
        .map_err(|e| gap("ec2:DescribeManagedPrefixLists", &e))?;
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
    let entries: Vec<_> = clients
        .ec2
        .get_managed_prefix_list_entries()
        .prefix_list_id(id)
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| gap("ec2:GetManagedPrefixListEntries", &e))?;
    Ok(entries
        .iter()
        .filter_map(|e| e.cidr()?.parse().ok())
        .collect())
}
