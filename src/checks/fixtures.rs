//! Hand-built facts for the checks' unit tests, for what the emulator cannot produce
//! (blackhole routes, NAT states, public IPs, transit gateways, deleted ENIs).

use crate::facts::*;

pub const TASK_SUBNET: &str = "subnet-0task";
pub const PUBLIC_SUBNET: &str = "subnet-0public";
pub const TASK_TABLE: &str = "rtb-0task";
pub const PUBLIC_TABLE: &str = "rtb-0public";
pub const IGW: &str = "igw-0main";
pub const NAT: &str = "nat-0main";

pub fn route(cidr: &str, target: RouteTarget) -> Route {
    Route {
        destination_cidr: Some(cidr.into()),
        destination_prefix_list: None,
        target,
        state: Some("active".into()),
    }
}

/// A Fargate service task in a private subnet whose default route is an available NAT gateway
/// in a public subnet routed to an internet gateway: everything works.
pub fn healthy_nat() -> Facts {
    let subnet = |id: &str, cidr: &str| Subnet {
        id: id.into(),
        vpc_id: "vpc-0main".into(),
        cidr: cidr.parse().ok(),
        availability_zone: Some("us-east-1a".into()),
        map_public_ip_on_launch: false,
    };
    Facts {
        task: Task {
            arn: "arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef0123456789abcdef".into(),
            cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/demo".into(),
            group: Some("service:web".into()),
            launch_type: Some("FARGATE".into()),
            platform_version: Some("1.4.0".into()),
            stopped_reason: "ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : signal: killed".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            attachment: Some(EniAttachment {
                subnet_id: Some(TASK_SUBNET.into()),
                network_interface_id: Some("eni-0task".into()),
                private_ipv4_address: Some("10.0.1.23".into()),
            }),
            ..Task::default()
        },
        task_source: TaskSource::DescribeTasks,
        task_definition: None,
        service: Some(Service {
            name: "web".into(),
            arn: None,
            subnets: vec![TASK_SUBNET.into()],
            security_groups: vec!["sg-0task".into()],
            assign_public_ip: Some("DISABLED".into()),
        }),
        network: Network {
            vpc_id: Some("vpc-0main".into()),
            network_interface: None,
            subnets: vec![subnet(TASK_SUBNET, "10.0.1.0/24"), subnet(PUBLIC_SUBNET, "10.0.0.0/24")],
            route_tables: vec![
                RouteTable {
                    id: TASK_TABLE.into(),
                    main: false,
                    subnet_ids: vec![TASK_SUBNET.into()],
                    routes: vec![
                        route("10.0.0.0/16", RouteTarget::Local),
                        route("0.0.0.0/0", RouteTarget::NatGateway(NAT.into())),
                    ],
                },
                RouteTable {
                    id: PUBLIC_TABLE.into(),
                    main: true,
                    subnet_ids: vec![PUBLIC_SUBNET.into()],
                    routes: vec![
                        route("10.0.0.0/16", RouteTarget::Local),
                        route("0.0.0.0/0", RouteTarget::InternetGateway(IGW.into())),
                    ],
                },
            ],
            nat_gateways: vec![NatGateway {
                id: NAT.into(),
                subnet_id: Some(PUBLIC_SUBNET.into()),
                state: Some("available".into()),
                connectivity_type: Some("public".into()),
            }],
            internet_gateways: vec![IGW.into()],
        },
        gaps: vec![],
    }
}

/// The task's default route, to change it.
pub fn task_default_route(facts: &mut Facts) -> &mut Route {
    facts.network.route_tables[0]
        .routes
        .iter_mut()
        .find(|r| r.destination_cidr.as_deref() == Some("0.0.0.0/0"))
        .expect("the fixture has a default route")
}
