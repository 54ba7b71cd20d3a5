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
        ..Route::default()
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
        ..Subnet::default()
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
        container_instance: None,
        capacity_provider: None,
        service: Some(Service {
            name: "web".into(),
            arn: None,
            subnets: vec![TASK_SUBNET.into()],
            security_groups: vec!["sg-0task".into()],
            assign_public_ip: Some("DISABLED".into()),
deployments: Default::default(),
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
tags: Default::default(),
},
                RouteTable {
                    id: PUBLIC_TABLE.into(),
                    main: true,
                    subnet_ids: vec![PUBLIC_SUBNET.into()],
                    routes: vec![
                        route("10.0.0.0/16", RouteTarget::Local),
                        route("0.0.0.0/0", RouteTarget::InternetGateway(IGW.into())),
                    ],
tags: Default::default(),
},
            ],
            nat_gateways: vec![NatGateway {
                id: NAT.into(),
                subnet_id: Some(PUBLIC_SUBNET.into()),
                state: Some("available".into()),
                connectivity_type: Some("public".into()),
tags: Default::default(),
}],
            internet_gateways: vec![IGW.into()],
            vpc: Some(Vpc {
                id: "vpc-0main".into(),
                cidrs: vec!["10.0.0.0/16".parse().unwrap()],
                enable_dns_support: Some(true),
                enable_dns_hostnames: Some(true),
                dhcp_options_id: Some("dopt-0main".into()),
                dns_servers: vec!["AmazonProvidedDNS".into()],
            }),
            security_groups: vec![
                SecurityGroup {
                    id: "sg-0task".into(),
                    name: "web-task".into(),
                    ingress: vec![],
                    egress: vec![all_traffic()],
tags: Default::default(),
},
                SecurityGroup {
                    id: "sg-0default".into(),
                    name: "default".into(),
                    ingress: vec![SecurityGroupRule {
                        groups: vec!["sg-0default".into()],
                        ..all_traffic()
                    }],
                    egress: vec![all_traffic()],
tags: Default::default(),
},
            ],
            network_acls: vec![NetworkAcl {
                id: "acl-0default".into(),
                is_default: true,
                subnet_ids: vec![],
                entries: [true, false]
                    .into_iter()
                    .flat_map(|egress| {
                        [(100, true), (32767, false)].map(|(rule_number, allow)| NetworkAclEntry {
                            rule_number,
                            egress,
                            protocol: "-1".into(),
                            allow,
                            cidr: "0.0.0.0/0".parse().unwrap(),
                            from_port: None,
                            to_port: None,
                        })
                    })
                    .collect(),
tags: Default::default(),
}],
            vpc_endpoints: vec![],
            s3_prefix_list: Some(PrefixList {
                id: S3_LIST.into(),
                name: "com.amazonaws.us-east-1.s3".into(),
                cidrs: vec!["52.216.0.0/15".parse().unwrap(), "3.5.0.0/19".parse().unwrap()],
            }),
        },
        identity: Identity::default(),
        references: References::default(),
        gaps: vec![],
        account_alias: None,
        change: Default::default(),
    }
}

pub const S3_LIST: &str = "pl-63a5400a";

pub fn all_traffic() -> SecurityGroupRule {
    SecurityGroupRule {
        protocol: "-1".into(),
        cidrs: vec!["0.0.0.0/0".parse().unwrap()],
        ..SecurityGroupRule::default()
    }
}

/// A task definition with a private ECR image, a Secrets Manager secret and awslogs, so the
/// task needs ecr.api, ecr.dkr, s3, secretsmanager and logs in us-east-1.
pub fn with_task_definition(mut facts: Facts) -> Facts {
    facts.task_definition = Some(TaskDefinition {
        arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3".into(),
        family: "web".into(),
        revision: 3,
        execution_role_arn: Some("arn:aws:iam::123456789012:role/web-execution".into()),
        containers: vec![Container {
            name: "web".into(),
            image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.8.2".into(),
            secrets: vec![SecretRef {
                name: "DB_PASSWORD".into(),
                value_from: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf".into(),
            }],
            log_driver: Some("awslogs".into()),
            awslogs_options: [
                ("awslogs-group", "/ecs/web"),
                ("awslogs-region", "us-east-1"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into(),
            ..Container::default()
        }],
        ..TaskDefinition::default()
    });
    facts
}

pub const ENDPOINT_SUBNET: &str = "subnet-0endpoints";

/// The task's VPC designed around endpoints: no default route, interface endpoints for every
/// service (in their own subnet, with their own security group that admits the task's) and
/// the S3 gateway endpoint on the task's route table.
pub fn endpoints_design() -> Facts {
    let mut facts = with_task_definition(healthy_nat());
    let network = &mut facts.network;
    network.route_tables[0]
        .routes
        .retain(|r| r.destination_cidr.as_deref() != Some("0.0.0.0/0"));
    network.route_tables[0].routes.push(Route {
        destination_cidr: None,
        destination_prefix_list: Some(S3_LIST.into()),
        target: RouteTarget::VpcEndpoint("vpce-0s3".into()),
        state: Some("active".into()),
        ..Route::default()
    });
    network.nat_gateways.clear();
    network.subnets.push(Subnet {
        id: ENDPOINT_SUBNET.into(),
        vpc_id: "vpc-0main".into(),
        cidr: "10.0.9.0/24".parse().ok(),
        availability_zone: Some("us-east-1a".into()),
        map_public_ip_on_launch: false,
        ..Subnet::default()
    });
    network.security_groups.push(SecurityGroup {
        id: "sg-0endpoints".into(),
        name: "endpoints".into(),
        ingress: vec![SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(443),
            to_port: Some(443),
            groups: vec!["sg-0task".into()],
            ..SecurityGroupRule::default()
        }],
        egress: vec![all_traffic()],
        tags: Default::default(),
    });
    for service in ["ecr.api", "ecr.dkr", "secretsmanager", "logs"] {
        network.vpc_endpoints.push(VpcEndpoint {
            id: format!("vpce-0{}", service.replace('.', "")),
            service_name: format!("com.amazonaws.us-east-1.{service}"),
            kind: "Interface".into(),
            state: Some("available".into()),
            private_dns_enabled: true,
            subnet_ids: vec![ENDPOINT_SUBNET.into()],
            security_groups: vec!["sg-0endpoints".into()],
            route_table_ids: vec![],
            policy: None,
            ip_address_type: None,
            dns_record_ip_type: None,
            tags: Default::default(),
        });
    }
    network.vpc_endpoints.push(VpcEndpoint {
        id: "vpce-0s3".into(),
        service_name: "com.amazonaws.us-east-1.s3".into(),
        kind: "Gateway".into(),
        state: Some("available".into()),
        private_dns_enabled: false,
        subnet_ids: vec![],
        security_groups: vec![],
        route_table_ids: vec![TASK_TABLE.into()],
        policy: None,
        ip_address_type: None,
        dns_record_ip_type: None,
        tags: Default::default(),
    });
    facts
}

pub fn endpoint_mut<'f>(facts: &'f mut Facts, id: &str) -> &'f mut VpcEndpoint {
    facts
        .network
        .vpc_endpoints
        .iter_mut()
        .find(|e| e.id == id)
        .expect("fixture endpoint")
}

/// The task's default route, to change it.
pub fn task_default_route(facts: &mut Facts) -> &mut Route {
    facts.network.route_tables[0]
        .routes
        .iter_mut()
        .find(|r| r.destination_cidr.as_deref() == Some("0.0.0.0/0"))
        .expect("the fixture has a default route")
}

/// The report of a task whose default route is a blackhole: a root cause with a fix.
pub fn broken_report() -> crate::verdict::Report {
    let mut facts = healthy_nat();
    task_default_route(&mut facts).state = Some("blackhole".into());
    crate::doctor::diagnose_facts(&facts)
}

/// The task runs on a container instance (`EC2` or `MANAGED_INSTANCES`) in `subnet` with the
/// task's security group, `public_ip` on its primary ENI.
pub fn on_instance(
    mut facts: Facts,
    launch_type: &str,
    subnet: &str,
    public_ip: Option<&str>,
) -> Facts {
    facts.task.launch_type = Some(launch_type.into());
    facts.task.platform_version = None;
    let arn = "arn:aws:ecs:us-east-1:123456789012:container-instance/demo/0host";
    facts.task.container_instance_arn = Some(arn.into());
    let capacity_provider = (launch_type == "MANAGED_INSTANCES").then(|| "mi-web".to_string());
    facts.task.capacity_provider_name = capacity_provider.clone();
    facts.container_instance = Some(ContainerInstance {
        arn: arn.into(),
        ec2_instance_id: Some("i-0host".into()),
        capacity_provider_name: capacity_provider,
        instance: Some(Ec2Instance {
            id: "i-0host".into(),
            vpc_id: Some("vpc-0main".into()),
            subnet_id: Some(subnet.into()),
            security_groups: vec!["sg-0task".into()],
            primary_eni: Some("eni-0host".into()),
            private_ip: Some("10.0.0.40".into()),
            public_ip: public_ip.map(str::to_string),
            ipv6_addresses: vec![],
            instance_profile_arn: Some(
                "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole".into(),
            ),
        }),
    });
    facts
}
