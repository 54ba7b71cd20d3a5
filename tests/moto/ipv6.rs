//! IPv6-only worlds: a Fargate task in an IPv6-native subnet (no IPv4 CIDR) of a VPC with an
//! Amazon-provided IPv6 block, `::/0` to an egress-only internet gateway, the task's group
//! open to `::/0` on 443, and an image by ECR's dual-stack name. moto stores all of that; it
//! has no DNS64 subnet attribute, so these tasks need only dual-stack services (ECR, S3,
//! CloudWatch Logs) and no secret (Secrets Manager would need NAT64). The NAT64 and
//! dual-stack endpoint cases are facts fixtures (src/checks/network.rs).
//!
//! moto 5.2.5 answers an IPv6-native subnet's availableIpAddressCount as 2^64-5, which the
//! SDK cannot decode as an Integer, so these worlds are built and read through the fault
//! proxy, which rewrites that one number to 0 (AWS counts IPv4 addresses there).

use super::expect::{assert_root, statuses};
use super::faults::FaultProxy;
use super::network::diagnose;
use super::support::{ACCOUNT, REGION, config, moto};
use super::world::{
    World, awsvpc, fargate_definition, identity_and_references, security_group, stop_as,
    subnet_table, web_container,
};
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, IpPermission, Ipv6Range, RuleAction};
use aws_sdk_ecs::types::AssignPublicIp;
use ipnet::IpNet;

/// What is wrong with the world.
#[derive(PartialEq)]
enum Fault {
    None,
    /// The subnet's route table has no `::/0` route.
    NoDefaultRoute,
    /// The subnet's network ACL has IPv4 allow entries only: IPv6 meets the final `*` deny.
    AclWithoutIpv6Entries,
}

const MEND_ADDRESS_COUNT: &str = "<availableIpAddressCount>[0-9]{11,}</availableIpAddressCount>\
     =><availableIpAddressCount>0</availableIpAddressCount>";

/// The world, and the proxy its config goes through (keep it alive while the world is used).
async fn ipv6_world(fault: Fault) -> (World, FaultProxy) {
    let proxy = FaultProxy::start(&["--rewrite", MEND_ADDRESS_COUNT]);
    let config = config().await.to_builder().endpoint_url(&proxy.url).build();
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let ecs = aws_sdk_ecs::Client::new(&config);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .amazon_provided_ipv6_cidr_block(true)
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap();
    let vpc_id = vpc.vpc_id().unwrap().to_string();
    let block: IpNet = vpc.ipv6_cidr_block_association_set()[0]
        .ipv6_cidr_block()
        .unwrap()
        .parse()
        .unwrap();
    let subnet_block = block.subnets(64).unwrap().next().unwrap().to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .ipv6_native(true)
        .ipv6_cidr_block(&subnet_block)
        .availability_zone(format!("{REGION}a"))
        .send()
        .await
        .unwrap();
    let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
    let gateway = ec2
        .create_egress_only_internet_gateway()
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    let gateway = gateway
        .egress_only_internet_gateway()
        .unwrap()
        .egress_only_internet_gateway_id()
        .unwrap()
        .to_string();
    let table = subnet_table(&ec2, &vpc_id, &subnet).await;
    if fault != Fault::NoDefaultRoute {
        ec2.create_route()
            .route_table_id(&table)
            .destination_ipv6_cidr_block("::/0")
            .egress_only_internet_gateway_id(&gateway)
            .send()
            .await
            .unwrap();
    }
    network_acl(
        &ec2,
        &vpc_id,
        &subnet,
        fault == Fault::AclWithoutIpv6Entries,
    )
    .await;
    let group = security_group(&ec2, &vpc_id, "web-task").await;
    ec2.authorize_security_group_egress()
        .group_id(&group)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    // moto's RunTask fails unless DNS hostnames are on when it is called.
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc_id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();

    let unused_secret = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:none-AbCdEf");
    identity_and_references(&config, &unused_secret).await;
    // ECR's dual-stack name: the IPv4-only name has no IPv6 address.
    let web = web_container(
        format!("{ACCOUNT}.dkr-ecr.{REGION}.on.aws/web:1.8.2"),
        REGION,
    );
    let definition = fargate_definition(&ecs, ACCOUNT, web.build(), vec![]).await;
    let network = awsvpc(&subnet, &group, AssignPublicIp::Disabled);
    let (task_arn, event) = stop_as(
        &ecs,
        ACCOUNT,
        REGION,
        &definition,
        network,
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    let world = World {
        config,
        ec2,
        vpc: vpc_id,
        task_subnet: subnet,
        private_table: table,
        security_group: group,
        nat: None,
        endpoint_security_group: None,
        endpoints: Default::default(),
        task_arn,
        event,
        topic_arn: String::new(),
        queue_url: String::new(),
    };
    (world, proxy)
}

/// The subnet's network ACL. AWS gives the default ACL of a VPC made with IPv6 the IPv6
/// twins of its entries (rule 101, `::/0`; default-network-acl.html); moto does not, so they
/// are added here. The faulty world's custom ACL has the IPv4 entries only.
async fn network_acl(ec2: &aws_sdk_ec2::Client, vpc: &str, subnet: &str, ipv4_only: bool) {
    let acls = ec2
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await
        .unwrap();
    let default = acls.network_acls()[0].clone();
    let acl = if ipv4_only {
        let created = ec2.create_network_acl().vpc_id(vpc).send().await.unwrap();
        let id = created
            .network_acl()
            .unwrap()
            .network_acl_id()
            .unwrap()
            .to_string();
        let association = default
            .associations()
            .iter()
            .find(|a| a.subnet_id() == Some(subnet))
            .and_then(|a| a.network_acl_association_id())
            .unwrap()
            .to_string();
        ec2.replace_network_acl_association()
            .association_id(association)
            .network_acl_id(&id)
            .send()
            .await
            .unwrap();
        id
    } else {
        default.network_acl_id().unwrap().to_string()
    };
    for egress in [true, false] {
        let entry = ec2
            .create_network_acl_entry()
            .network_acl_id(&acl)
            .egress(egress)
            .protocol("-1")
            .rule_action(RuleAction::Allow);
        let entry = if ipv4_only {
            entry.rule_number(100).cidr_block("0.0.0.0/0")
        } else {
            entry.rule_number(101).ipv6_cidr_block("::/0")
        };
        entry.send().await.unwrap();
    }
}

#[tokio::test]
async fn an_ipv6_only_subnet_with_an_egress_only_gateway_passes_the_path_checks() {
    let _moto = moto().await;
    let (world, _proxy) = ipv6_world(Fault::None).await;
    let report = diagnose(&world).await;
    assert_eq!(statuses(&report, "network.ipv6"), ["pass"], "{report:#?}");
    assert_eq!(statuses(&report, "nacl.task-subnet"), ["pass"]);
    assert!(
        !report
            .root_cause
            .as_deref()
            .unwrap_or_default()
            .starts_with("network."),
        "{:?}",
        report.root_cause
    );
}

#[tokio::test]
async fn an_ipv6_only_subnet_without_a_default_route_is_the_root_cause() {
    let _moto = moto().await;
    let (world, _proxy) = ipv6_world(Fault::NoDefaultRoute).await;
    let report = diagnose(&world).await;
    assert_root(&report, "network.ipv6", "has no ::/0 route");
    let root = report.root_finding().unwrap();
    assert!(
        root.remediation.contains(&world.private_table),
        "{}",
        root.remediation
    );
    // The IPv4 route checks do not apply to an IPv6-only subnet.
    assert_eq!(statuses(&report, "network.default-route"), ["skipped"]);
}

#[tokio::test]
async fn an_acl_without_ipv6_entries_blocks_the_ipv6_only_subnet() {
    let _moto = moto().await;
    let (world, _proxy) = ipv6_world(Fault::AclWithoutIpv6Entries).await;
    let report = diagnose(&world).await;
    assert_root(&report, "nacl.task-subnet", "outbound TCP 443 to ::/0");
    let root = report.root_finding().unwrap();
    assert!(
        root.remediation.contains("--ipv6-cidr-block ::/0"),
        "{}",
        root.remediation
    );
}
