//! EC2 launch type worlds: the task runs on a container instance (RunInstances +
//! RegisterContainerInstance), in `bridge` or `awsvpc` mode, and the network checks judge the
//! instance's subnet, security groups and public IP, the network the agent uses (see
//! src/facts/instance.rs), not the task's (nor its own ENI in `awsvpc`). ECS Managed Instances cannot be started in moto; their cases are facts fixtures
//! (src/checks/network.rs, src/checks/platform.rs).

use super::expect::{assert_root, statuses};
use super::network::diagnose;
use super::support::{ACCOUNT, REGION, config, moto};
use super::world::{Skeleton, World, event_fixture, security_group, subnet_table, vpc_skeleton};
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, LaunchType, NetworkMode};

/// Where the instance sits.
enum Host {
    /// A subnet whose route table has no default route.
    PrivateWithoutRoute,
    /// The subnet routed to the internet gateway, with or without a public IP.
    Public { public_ip: bool },
}

const FIXTURE: &str = "ecs-task-stopped-managed-instances-secrets-network.json";

async fn ec2_world(host: Host) -> (World, String, String) {
    ec2_world_stopped_by(host, NetworkMode::Bridge, FIXTURE).await
}

/// The EC2 world, its task in network mode `mode` (an `awsvpc` task's own ENI in the
/// private subnet, which has no route), stopped as the event `fixture` says.
async fn ec2_world_stopped_by(
    host: Host,
    mode: NetworkMode,
    fixture: &str,
) -> (World, String, String) {
    let config = config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let ecs = aws_sdk_ecs::Client::new(&config);
    let Skeleton {
        vpc,
        public,
        private,
        igw,
    } = vpc_skeleton(&ec2, REGION).await;
    let public_table = subnet_table(&ec2, &vpc, &public).await;
    ec2.create_route()
        .route_table_id(&public_table)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    let private_table = subnet_table(&ec2, &vpc, &private).await;
    let group = security_group(&ec2, &vpc, "hosts").await;
    // Egress: moto gives a new group all traffic out; inbound is not on the path.
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/16").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let image = ec2
        .describe_images()
        .filters(
            Filter::builder()
                .name("architecture")
                .values("x86_64")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ami = image.images()[0].image_id().unwrap().to_string();
    let (host_subnet, public_ip) = match host {
        Host::PrivateWithoutRoute => (private.clone(), false),
        Host::Public { public_ip } => (public.clone(), public_ip),
    };
    let run = ec2
        .run_instances()
        .image_id(ami)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Small)
        .min_count(1)
        .max_count(1)
        .network_interfaces(
            aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .subnet_id(&host_subnet)
                .groups(&group)
                .associate_public_ip_address(public_ip)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let instance_id = run.instances()[0].instance_id().unwrap().to_string();

    ecs.create_cluster()
        .cluster_name("demo")
        .send()
        .await
        .unwrap();
    let document = serde_json::json!({ "instanceId": instance_id, "region": REGION }).to_string();
    let registered = ecs
        .register_container_instance()
        .cluster("demo")
        .instance_identity_document(document)
        .send()
        .await
        .unwrap();
    let container_instance = registered
        .container_instance()
        .unwrap()
        .container_instance_arn()
        .unwrap()
        .to_string();
    let definition = ecs
        .register_task_definition()
        .family("web")
        .network_mode(mode.clone())
        .requires_compatibilities(Compatibility::Ec2)
        .execution_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/web-execution"))
        .container_definitions(
            ContainerDefinition::builder()
                .name("web")
                .image(format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/web:1.8.2"))
                .memory(256)
                .secrets(
                    aws_sdk_ecs::types::Secret::builder()
                        .name("DB_PASSWORD")
                        .value_from(format!(
                            "arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:demo/db-password-AbCdEf"
                        ))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let definition = definition
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string();
    let mut event = event_fixture(fixture);
    let reason = event["detail"]["stoppedReason"]
        .as_str()
        .unwrap()
        .to_string();
    let mut run = ecs
        .run_task()
        .cluster("demo")
        .task_definition(&definition)
        .launch_type(LaunchType::Ec2)
        .group("family:web");
    if mode == NetworkMode::Awsvpc {
        // moto's RunTask makes the task's ENI only with DNS hostnames on.
        ec2.modify_vpc_attribute()
            .vpc_id(&vpc)
            .enable_dns_hostnames(
                aws_sdk_ec2::types::AttributeBooleanValue::builder()
                    .value(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        run = run.network_configuration(super::world::awsvpc(
            &private,
            &group,
            aws_sdk_ecs::types::AssignPublicIp::Disabled,
        ));
    }
    let run = run.send().await.unwrap();
    let task_arn = run.tasks()[0].task_arn().unwrap().to_string();
    ecs.stop_task()
        .cluster("demo")
        .task(&task_arn)
        .reason(&reason)
        .send()
        .await
        .unwrap();
    let detail = &mut event["detail"];
    detail["taskArn"] = task_arn.clone().into();
    detail["clusterArn"] = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/demo").into();
    detail["containerInstanceArn"] = container_instance.into();
    detail["taskDefinitionArn"] = definition.into();
    detail["launchType"] = "EC2".into();
    detail["group"] = "family:web".into();
    detail
        .as_object_mut()
        .unwrap()
        .remove("capacityProviderName");
    event["resources"] = serde_json::json!([task_arn]);
    let world = World {
        config,
        ec2,
        vpc,
        task_subnet: host_subnet.clone(),
        private_table,
        security_group: group,
        nat: None,
        endpoint_security_group: None,
        endpoints: Default::default(),
        task_arn,
        event,
        topic_arn: String::new(),
        queue_url: String::new(),
    };
    (world, instance_id, host_subnet)
}

#[tokio::test]
async fn an_instance_in_a_subnet_without_a_route_is_the_root_cause() {
    let _moto = moto().await;
    let (world, instance, subnet) = ec2_world(Host::PrivateWithoutRoute).await;
    let report = diagnose(&world).await;
    assert_eq!(
        report.failure.error,
        ecs_task_doctor::reason::ErrorKind::Network
    );
    assert_root(&report, "network.default-route", &subnet);
    let launch = report
        .findings
        .iter()
        .find(|f| f.id == "platform.launch-type")
        .unwrap();
    assert!(launch.detail.contains(&instance), "{}", launch.detail);
}

/// The pull failed on the instance, said only in the container's reason (the task's is
/// "Essential container in task exited"): the doctor reads the container's and judges the
/// instance's path.
#[tokio::test]
async fn a_pull_error_in_the_containers_reason_is_diagnosed_on_the_instances_path() {
    let _moto = moto().await;
    let (world, _, subnet) = ec2_world_stopped_by(
        Host::PrivateWithoutRoute,
        NetworkMode::Bridge,
        "ecs-task-stopped-ec2-image-pull-container-reason.json",
    )
    .await;
    let report = diagnose(&world).await;
    assert_eq!(
        report.task.stopped_reason,
        "Essential container in task exited"
    );
    assert!(
        report
            .task
            .container_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("CannotPullContainerError")),
        "{:?}",
        report.task.container_reason
    );
    assert_eq!(
        report.failure.stage,
        ecs_task_doctor::reason::Stage::ImagePull
    );
    assert_eq!(
        report.failure.error,
        ecs_task_doctor::reason::ErrorKind::Network
    );
    assert_root(&report, "network.default-route", &subnet);
}

#[tokio::test]
async fn an_instance_without_a_public_ip_behind_an_internet_gateway_is_the_root_cause() {
    let _moto = moto().await;
    let (world, instance, _) = ec2_world(Host::Public { public_ip: false }).await;
    let report = diagnose(&world).await;
    assert_root(
        &report,
        "network.public-ip",
        &format!("container instance {instance} has no public IP"),
    );
}

#[tokio::test]
async fn an_instance_with_a_public_ip_passes_the_path_checks() {
    let _moto = moto().await;
    let (world, instance, _) = ec2_world(Host::Public { public_ip: true }).await;
    let report = diagnose(&world).await;
    let status = |id: &str| statuses(&report, id);
    assert_eq!(status("network.default-route"), ["pass"]);
    assert_eq!(status("network.public-ip"), ["pass"], "{instance}");
    assert_eq!(status("security-group.task-egress"), ["pass"]);
    assert_eq!(status("nacl.task-subnet"), ["pass"]);
    assert!(
        !report
            .root_cause
            .as_deref()
            .unwrap_or_default()
            .starts_with("network.")
    );
}

/// An `awsvpc` task on EC2: its own ENI sits in a subnet with no route, but the agent pulls
/// and fetches through the instance's primary ENI (in the routed public subnet, with a public
/// IP), so the path passes: the task ENI is not what the network checks judge.
#[tokio::test]
async fn an_awsvpc_task_on_ec2_is_judged_on_its_instances_network_not_its_eni() {
    let _moto = moto().await;
    let (world, instance, host_subnet) = ec2_world_stopped_by(
        Host::Public { public_ip: true },
        NetworkMode::Awsvpc,
        FIXTURE,
    )
    .await;
    let ecs = aws_sdk_ecs::Client::new(&world.config);
    let task = ecs
        .describe_tasks()
        .cluster("demo")
        .tasks(&world.task_arn)
        .send()
        .await
        .unwrap();
    let eni_subnet = task.tasks()[0]
        .attachments()
        .iter()
        .flat_map(|a| a.details())
        .find(|d| d.name() == Some("subnetId"))
        .and_then(|d| d.value())
        .expect("the awsvpc task has an ENI")
        .to_string();
    assert_ne!(
        eni_subnet, host_subnet,
        "the task ENI is in the other subnet"
    );
    let report = diagnose(&world).await;
    assert_eq!(statuses(&report, "network.default-route"), ["pass"]);
    assert_eq!(
        statuses(&report, "network.public-ip"),
        ["pass"],
        "{instance}"
    );
    let route = report
        .findings
        .iter()
        .find(|f| f.id == "network.default-route")
        .unwrap();
    assert!(
        route.resources.contains(&host_subnet) && !route.resources.contains(&eni_subnet),
        "{:?}",
        route.resources
    );
}

#[tokio::test]
async fn a_denied_instance_read_is_said_and_blames_nothing() {
    use super::faults::FaultProxy;
    use super::network::diagnose_through;
    let _moto = moto().await;
    let (world, _, _) = ec2_world(Host::PrivateWithoutRoute).await;
    for (pattern, action) in [
        ("ec2:DescribeInstances", "ec2:DescribeInstances"),
        (
            "ecs:*DescribeContainerInstances",
            "ecs:DescribeContainerInstances",
        ),
    ] {
        let proxy = FaultProxy::start(&["--deny", pattern]);
        let report = diagnose_through(&world, &proxy).await;
        let reads = report
            .findings
            .iter()
            .find(|f| f.id == "platform.reads")
            .unwrap();
        assert!(
            reads.detail.contains(&format!("may not call {action}")),
            "{pattern}: {}",
            reads.detail
        );
        let route = report
            .findings
            .iter()
            .find(|f| f.id == "network.default-route")
            .unwrap();
        assert_eq!(
            route.status.as_str(),
            "skipped",
            "{pattern}: {}",
            route.detail
        );
        assert_ne!(report.root_cause.as_deref(), Some("network.default-route"));
    }
}
