//! Network paths in moto: a world whose design is VPC endpoints, each hop broken in turn.

use super::expect::{assert_cause, assert_root};
use super::network::diagnose;
use super::support::moto;
use super::world::{Egress, build, tcp_with_group};
use aws_sdk_ec2::types::{
    AttributeBooleanValue, IpPermission, IpRange, NewDhcpConfiguration, PrefixListId, RuleAction,
};
use ecs_task_doctor::checks::Status;

const FIXTURE: &str = "ecs-task-stopped-signal-killed.json";

#[tokio::test]
async fn an_endpoint_design_without_internet_has_no_failure() {
    let _moto = moto().await;
    let world = build(Egress::Endpoints, FIXTURE).await;
    let report = diagnose(&world).await;
    assert_eq!(report.root_cause, None, "{report:#?}");
    let route = report
        .findings
        .iter()
        .find(|f| f.id == "network.default-route")
        .unwrap();
    assert_eq!(route.status, Status::Pass);
    assert!(route.detail.contains("through VPC endpoints"));
}

#[tokio::test]
async fn a_deleted_secrets_manager_endpoint_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(Egress::Endpoints, FIXTURE).await;
    world
        .ec2
        .delete_vpc_endpoints()
        .vpc_endpoint_ids(&world.endpoints["secretsmanager"])
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_root(
        &report,
        "endpoint.missing",
        "com.amazonaws.us-east-1.secretsmanager",
    );
}

#[tokio::test]
async fn an_endpoint_with_private_dns_off_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(Egress::Endpoints, FIXTURE).await;
    // moto ignores ModifyVpcEndpoint's PrivateDnsEnabled: replace the endpoint with one
    // created without private DNS.
    let old = world
        .ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(&world.endpoints["secretsmanager"])
        .send()
        .await
        .unwrap();
    let old = &old.vpc_endpoints()[0];
    world
        .ec2
        .delete_vpc_endpoints()
        .vpc_endpoint_ids(&world.endpoints["secretsmanager"])
        .send()
        .await
        .unwrap();
    world
        .ec2
        .create_vpc_endpoint()
        .vpc_id(&world.vpc)
        .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Interface)
        .service_name("com.amazonaws.us-east-1.secretsmanager")
        .set_subnet_ids(Some(old.subnet_ids().to_vec()))
        .security_group_ids(world.endpoint_security_group.as_deref().unwrap())
        .private_dns_enabled(false)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "endpoint.private-dns");
}

#[tokio::test]
async fn an_endpoint_security_group_without_the_task_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(Egress::Endpoints, FIXTURE).await;
    world
        .ec2
        .revoke_security_group_ingress()
        .group_id(world.endpoint_security_group.as_deref().unwrap())
        .ip_permissions(tcp_with_group(443, &world.security_group))
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "endpoint.security-group");
    assert!(
        report
            .root_finding()
            .unwrap()
            .remediation
            .contains(&world.security_group)
    );
}

async fn replace_task_egress(world: &super::world::World, permissions: Vec<IpPermission>) {
    world
        .ec2
        .revoke_security_group_egress()
        .group_id(&world.security_group)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    world
        .ec2
        .authorize_security_group_egress()
        .group_id(&world.security_group)
        .set_ip_permissions(Some(permissions))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn task_egress_without_the_s3_prefix_list_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(Egress::Endpoints, FIXTURE).await;
    replace_task_egress(
        &world,
        vec![tcp_with_group(
            443,
            world.endpoint_security_group.as_deref().unwrap(),
        )],
    )
    .await;
    let report = diagnose(&world).await;
    assert_cause(&report, "security-group.task-egress");
    let root = report.root_finding().unwrap();
    assert!(root.detail.contains("S3 prefix list"), "{}", root.detail);
    assert!(
        root.remediation.contains("PrefixListIds"),
        "{}",
        root.remediation
    );
}

#[tokio::test]
async fn task_egress_to_the_endpoints_and_the_s3_prefix_list_passes() {
    let _moto = moto().await;
    let world = build(Egress::Endpoints, FIXTURE).await;
    let lists = world
        .ec2
        .describe_managed_prefix_lists()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("prefix-list-name")
                .values("com.amazonaws.us-east-1.s3")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let s3_list = lists.prefix_lists()[0]
        .prefix_list_id()
        .unwrap()
        .to_string();
    replace_task_egress(
        &world,
        vec![
            tcp_with_group(443, world.endpoint_security_group.as_deref().unwrap()),
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .prefix_list_ids(PrefixListId::builder().prefix_list_id(s3_list).build())
                .build(),
        ],
    )
    .await;
    let report = diagnose(&world).await;
    assert_eq!(report.root_cause, None, "{report:#?}");
}

#[tokio::test]
async fn a_nacl_denying_https_out_of_the_task_subnet_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(Egress::Nat { nat_routed: true }, FIXTURE).await;
    let acl = world
        .ec2
        .create_network_acl()
        .vpc_id(&world.vpc)
        .send()
        .await
        .unwrap();
    let acl = acl
        .network_acl()
        .unwrap()
        .network_acl_id()
        .unwrap()
        .to_string();
    for egress in [true, false] {
        world
            .ec2
            .create_network_acl_entry()
            .network_acl_id(&acl)
            .rule_number(100)
            .protocol("-1")
            .rule_action(RuleAction::Allow)
            .egress(egress)
            .cidr_block("0.0.0.0/0")
            .send()
            .await
            .unwrap();
    }
    world
        .ec2
        .create_network_acl_entry()
        .network_acl_id(&acl)
        .rule_number(50)
        .protocol("6")
        .port_range(
            aws_sdk_ec2::types::PortRange::builder()
                .from(443)
                .to(443)
                .build(),
        )
        .rule_action(RuleAction::Deny)
        .egress(true)
        .cidr_block("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    let current = world
        .ec2
        .describe_network_acls()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("association.subnet-id")
                .values(&world.task_subnet)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let association = current.network_acls()[0]
        .associations()
        .iter()
        .find(|a| a.subnet_id() == Some(world.task_subnet.as_str()))
        .unwrap()
        .network_acl_association_id()
        .unwrap()
        .to_string();
    world
        .ec2
        .replace_network_acl_association()
        .association_id(association)
        .network_acl_id(&acl)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_root(&report, "nacl.task-subnet", "denied by rule 50");
}

#[tokio::test]
async fn dns_hostnames_off_in_an_endpoint_design_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(Egress::Endpoints, FIXTURE).await;
    // moto needed it on for RunTask; turn it off as a misconfigured VPC would have it.
    world
        .ec2
        .modify_vpc_attribute()
        .vpc_id(&world.vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "dns.vpc-attributes");
}

#[tokio::test]
async fn custom_dns_servers_are_a_warning_with_the_names_to_resolve() {
    let _moto = moto().await;
    let world = build(Egress::Nat { nat_routed: true }, FIXTURE).await;
    let options = world
        .ec2
        .create_dhcp_options()
        .dhcp_configurations(
            NewDhcpConfiguration::builder()
                .key("domain-name-servers")
                .values("10.0.0.53")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let options = options
        .dhcp_options()
        .unwrap()
        .dhcp_options_id()
        .unwrap()
        .to_string();
    world
        .ec2
        .associate_dhcp_options()
        .dhcp_options_id(options)
        .vpc_id(&world.vpc)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    let resolvers = report
        .findings
        .iter()
        .find(|f| f.id == "dns.resolvers")
        .unwrap();
    assert_eq!(resolvers.status, Status::Warn);
    assert!(resolvers.detail.contains("10.0.0.53"));
    assert!(
        resolvers
            .detail
            .contains("secretsmanager.us-east-1.amazonaws.com")
    );
}

#[tokio::test]
async fn an_endpoint_policy_without_the_call_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(
        Egress::Endpoints,
        "ecs-task-stopped-endpoint-policy-denied.json",
    )
    .await;
    world
        .ec2
        .modify_vpc_endpoint()
        .vpc_endpoint_id(&world.endpoints["secretsmanager"])
        .policy_document(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:DescribeSecret","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "endpoint.policy");
}
