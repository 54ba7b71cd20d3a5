//! Builds a Fargate world in moto with the AWS SDK: a VPC with a public and a private subnet,
//! a service whose task runs in the private subnet, and an SNS topic read back through SQS.

use super::support::{ACCOUNT, REGION, config};
use aws_config::SdkConfig;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, IpPermission, UserIdGroupPair, VpcEndpointType,
};
use aws_sdk_ecs::types::builders::ContainerDefinitionBuilder;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType,
    LogConfiguration, LogDriver, NetworkConfiguration, NetworkMode, Secret, Volume,
};
use serde_json::Value;

/// How the task's subnet gets out of the VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Egress {
    /// Only the local route: the classic private subnet with no way out.
    None,
    /// The task runs in the public subnet, routed to the internet gateway.
    InternetGateway { assign_public_ip: bool },
    /// A NAT gateway in the public subnet; `nat_routed` says whether that subnet reaches the
    /// internet gateway.
    Nat { nat_routed: bool },
    /// No default route: interface endpoints (ecr.api, ecr.dkr, secretsmanager, logs) with
    /// private DNS in their own subnet, whose security group admits the task's, and the S3
    /// gateway endpoint on the task's route table.
    Endpoints,
}

/// The interface endpoints of an `Egress::Endpoints` world.
pub const INTERFACE_SERVICES: [&str; 4] = ["ecr.api", "ecr.dkr", "secretsmanager", "logs"];

pub struct World {
    pub config: aws_config::SdkConfig,
    pub ec2: aws_sdk_ec2::Client,
    pub vpc: String,
    pub task_subnet: String,
    pub private_table: String,
    pub security_group: String,
    pub nat: Option<String>,
    pub endpoint_security_group: Option<String>,
    /// Endpoint ids by service suffix (`secretsmanager`, `s3`).
    pub endpoints: std::collections::BTreeMap<String, String>,
    pub task_arn: String,
    /// The "ECS Task State Change" event for the stopped task.
    pub event: Value,
    pub topic_arn: String,
    pub queue_url: String,
}

pub const SECRET_NAME: &str = "demo/db-password";

/// Where a world is built: an account (the credentials that act in it) and a region.
pub struct Place {
    pub config: SdkConfig,
    pub account: String,
    pub region: String,
}

impl Place {
    /// The default account and region, the doctor's own.
    pub async fn central() -> Place {
        Place {
            config: config().await,
            account: ACCOUNT.into(),
            region: REGION.into(),
        }
    }
}

pub async fn build(egress: Egress, fixture: &str) -> World {
    build_with(egress, fixture, |container, _| container).await
}

/// Builds the world in another account or region. Its alerts still go to the central
/// account's topic and queue (`topic_arn`, `queue_url`: read them with the central config).
pub async fn build_at(place: Place, egress: Egress, fixture: &str) -> World {
    build_full(place, egress, fixture, |container, _| container, vec![]).await
}

/// Builds the world with the task's container definition changed by `container`, which gets
/// the secret's ARN.
pub async fn build_with(
    egress: Egress,
    fixture: &str,
    container: impl FnOnce(ContainerDefinitionBuilder, &str) -> ContainerDefinitionBuilder,
) -> World {
    build_full(Place::central().await, egress, fixture, container, vec![]).await
}

/// Builds the world with the task definition's volumes.
pub async fn build_with_volumes(egress: Egress, fixture: &str, volumes: Vec<Volume>) -> World {
    build_full(
        Place::central().await,
        egress,
        fixture,
        |container, _| container,
        volumes,
    )
    .await
}

async fn build_full(
    place: Place,
    egress: Egress,
    fixture: &str,
    container: impl FnOnce(ContainerDefinitionBuilder, &str) -> ContainerDefinitionBuilder,
    volumes: Vec<Volume>,
) -> World {
    let Place {
        config,
        account,
        region,
    } = place;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let ecs = aws_sdk_ecs::Client::new(&config);

    let Skeleton {
        vpc,
        public: public_subnet,
        private: private_subnet,
        igw,
    } = vpc_skeleton(&ec2, &region).await;
    // moto's RunTask fails unless DNS hostnames are on when it is called.
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();

    let security_group = security_group(&ec2, &vpc, "web-task").await;
    let public_table = subnet_table(&ec2, &vpc, &public_subnet).await;
    let private_table = subnet_table(&ec2, &vpc, &private_subnet).await;

    let public_routed = !matches!(egress, Egress::Nat { nat_routed: false });
    if public_routed {
        ec2.create_route()
            .route_table_id(&public_table)
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(&igw)
            .send()
            .await
            .unwrap();
    }
    let mut nat = None;
    if let Egress::Nat { .. } = egress {
        let eip = ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .send()
            .await
            .unwrap();
        let out = ec2
            .create_nat_gateway()
            .subnet_id(&public_subnet)
            .allocation_id(eip.allocation_id().unwrap())
            .send()
            .await
            .unwrap();
        let id = out
            .nat_gateway()
            .unwrap()
            .nat_gateway_id()
            .unwrap()
            .to_string();
        ec2.create_route()
            .route_table_id(&private_table)
            .destination_cidr_block("0.0.0.0/0")
            .nat_gateway_id(&id)
            .send()
            .await
            .unwrap();
        nat = Some(id);
    }

    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let secret = secrets
        .create_secret()
        .name(SECRET_NAME)
        .secret_string("not-read-by-the-doctor")
        .send()
        .await
        .unwrap();
    let secret_arn = secret.arn().unwrap().to_string();
    identity_and_references(&config, &secret_arn).await;

    let mut endpoints = std::collections::BTreeMap::new();
    let mut endpoint_security_group = None;
    if egress == Egress::Endpoints {
        let (group, interfaces) =
            interface_endpoints(&ec2, &vpc, &security_group, &INTERFACE_SERVICES).await;
        endpoints = interfaces;
        let out = ec2
            .create_vpc_endpoint()
            .vpc_id(&vpc)
            .vpc_endpoint_type(VpcEndpointType::Gateway)
            .service_name(format!("com.amazonaws.{region}.s3"))
            .route_table_ids(&private_table)
            .send()
            .await
            .unwrap();
        endpoints.insert(
            "s3".into(),
            out.vpc_endpoint()
                .unwrap()
                .vpc_endpoint_id()
                .unwrap()
                .to_string(),
        );
        endpoint_security_group = Some(group);
    }

    let (task_subnet, assign) = match egress {
        Egress::InternetGateway { assign_public_ip } => (
            public_subnet.clone(),
            if assign_public_ip {
                AssignPublicIp::Enabled
            } else {
                AssignPublicIp::Disabled
            },
        ),
        _ => (private_subnet.clone(), AssignPublicIp::Disabled),
    };
    let network = awsvpc(&task_subnet, &security_group, assign);

    let web = web_container(
        format!("{account}.dkr.ecr.{region}.amazonaws.com/web:1.8.2"),
        &region,
    )
    .secrets(
        Secret::builder()
            .name("DB_PASSWORD")
            .value_from(&secret_arn)
            .build()
            .unwrap(),
    );
    let definition_arn =
        fargate_definition(&ecs, &account, container(web, &secret_arn).build(), volumes).await;
    let (task_arn, event) =
        stop_as(&ecs, &account, &region, &definition_arn, network, fixture).await;

    let (topic_arn, queue_url) = subscribed_queue(&super::support::config().await).await;
    World {
        config,
        ec2,
        vpc,
        task_subnet,
        private_table,
        security_group,
        nat,
        endpoint_security_group,
        endpoints,
        task_arn,
        event,
        topic_arn,
        queue_url,
    }
}

/// Container `web` pulling `image`, logging to `/ecs/web` with awslogs in `region`.
pub(super) fn web_container(image: String, region: &str) -> ContainerDefinitionBuilder {
    ContainerDefinition::builder()
        .name("web")
        .image(image)
        // moto needs container-level memory even on Fargate.
        .memory(512)
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/ecs/web")
                .options("awslogs-region", region)
                .options("awslogs-stream-prefix", "web")
                .build()
                .unwrap(),
        )
}

/// Cluster `demo` and the Fargate task definition `web` of `container`, run by role
/// `web-execution` of `account`: the definition's ARN.
pub(super) async fn fargate_definition(
    ecs: &aws_sdk_ecs::Client,
    account: &str,
    container: ContainerDefinition,
    volumes: Vec<Volume>,
) -> String {
    ecs.create_cluster()
        .cluster_name("demo")
        .send()
        .await
        .unwrap();
    register_web(ecs, account, container, volumes).await
}

/// A revision of the Fargate task definition `web` of `container`, run by role
/// `web-execution` of `account`: its ARN.
async fn register_web(
    ecs: &aws_sdk_ecs::Client,
    account: &str,
    container: ContainerDefinition,
    volumes: Vec<Volume>,
) -> String {
    let definition = ecs
        .register_task_definition()
        .family("web")
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .execution_role_arn(format!("arn:aws:iam::{account}:role/web-execution"))
        .set_volumes(Some(volumes))
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    definition
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string()
}

/// A task of service `web` in `network`, stopped as the event `fixture` says, and the fixture
/// pointed at it (its id, account, region, task, definition, subnet and ENI): (task ARN, event).
pub(super) async fn stop_as(
    ecs: &aws_sdk_ecs::Client,
    account: &str,
    region: &str,
    definition_arn: &str,
    network: NetworkConfiguration,
    fixture: &str,
) -> (String, Value) {
    let subnet = network
        .awsvpc_configuration()
        .and_then(|c| c.subnets().first())
        .cloned()
        .unwrap();
    let mut event = event_fixture(fixture);
    let reason = event["detail"]["stoppedReason"]
        .as_str()
        .unwrap()
        .to_string();
    let stopped = stopped_service_task(ecs, "web", definition_arn, network, &reason).await;
    let task_arn = stopped.task_arn().unwrap().to_string();
    let eni = eni_id(&stopped);
    event["id"] = Value::String(format!("test-{}", task_arn.rsplit('/').next().unwrap()));
    event["resources"] = serde_json::json!([task_arn]);
    event["account"] = Value::String(account.to_string());
    event["region"] = Value::String(region.to_string());
    let detail = &mut event["detail"];
    detail["taskArn"] = Value::String(task_arn.clone());
    detail["clusterArn"] = Value::String(format!("arn:aws:ecs:{region}:{account}:cluster/demo"));
    detail["taskDefinitionArn"] = Value::String(definition_arn.to_string());
    for item in detail["attachments"][0]["details"].as_array_mut().unwrap() {
        match item["name"].as_str() {
            Some("subnetId") => item["value"] = Value::String(subnet.clone()),
            Some("networkInterfaceId") => item["value"] = Value::String(eni.clone()),
            _ => {}
        }
    }
    (task_arn, event)
}

/// The awsvpc network configuration of a service or task.
pub fn awsvpc(subnet: &str, group: &str, assign: AssignPublicIp) -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets(subnet)
                .security_groups(group)
                .assign_public_ip(assign)
                .build()
                .unwrap(),
        )
        .build()
}

/// A Fargate service `name` in cluster `demo`, and one of its tasks stopped with `reason`.
/// moto's services start no tasks: RunTask with the service's group stands in for one.
pub async fn stopped_service_task(
    ecs: &aws_sdk_ecs::Client,
    name: &str,
    definition: &str,
    network: NetworkConfiguration,
    reason: &str,
) -> aws_sdk_ecs::types::Task {
    ecs.create_service()
        .cluster("demo")
        .service_name(name)
        .task_definition(definition)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network.clone())
        .send()
        .await
        .unwrap();
    let run = ecs
        .run_task()
        .cluster("demo")
        .task_definition(definition)
        .launch_type(LaunchType::Fargate)
        .group(format!("service:{name}"))
        .started_by("ecs-svc/1234567890123456789")
        .network_configuration(network)
        .send()
        .await
        .unwrap();
    let task_arn = run.tasks()[0].task_arn().unwrap().to_string();
    let stopped = ecs
        .stop_task()
        .cluster("demo")
        .task(&task_arn)
        .reason(reason)
        .send()
        .await
        .unwrap();
    stopped.task().unwrap().clone()
}

/// A security-group permission: TCP on one port, from (or to) another group.
pub fn tcp_with_group(port: i32, group: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(group).build())
        .build()
}

/// Interface endpoints with private DNS in their own subnet (10.0.2.0/24), behind a security
/// group that admits the task's on 443. Returns that group and the endpoint ids by service.
pub async fn interface_endpoints(
    ec2: &aws_sdk_ec2::Client,
    vpc: &str,
    task_group: &str,
    services: &[&str],
) -> (String, std::collections::BTreeMap<String, String>) {
    let subnet = ec2
        .create_subnet()
        .vpc_id(vpc)
        .cidr_block("10.0.2.0/24")
        .availability_zone(format!("{REGION}a"))
        .send()
        .await
        .unwrap();
    let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
    let group = security_group(ec2, vpc, "endpoints").await;
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp_with_group(443, task_group))
        .send()
        .await
        .unwrap();
    let mut endpoints = std::collections::BTreeMap::new();
    for service in services {
        let out = ec2
            .create_vpc_endpoint()
            .vpc_id(vpc)
            .vpc_endpoint_type(VpcEndpointType::Interface)
            .service_name(format!("com.amazonaws.{REGION}.{service}"))
            .subnet_ids(&subnet)
            .security_group_ids(&group)
            .private_dns_enabled(true)
            .send()
            .await
            .unwrap();
        let id = out
            .vpc_endpoint()
            .unwrap()
            .vpc_endpoint_id()
            .unwrap()
            .to_string();
        endpoints.insert(service.to_string(), id);
    }
    (group, endpoints)
}

pub const ROLE: &str = "web-execution";
pub const LOG_GROUP: &str = "/ecs/web";

/// What the task definition references, all in order: the execution role (trusted by ECS
/// tasks, with an inline policy for the image, the logs and the secret), the log group, and
/// the image in ECR.
pub(super) async fn identity_and_references(config: &aws_config::SdkConfig, secret_arn: &str) {
    let iam = aws_sdk_iam::Client::new(config);
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Principal": { "Service": "ecs-tasks.amazonaws.com" }, "Action": "sts:AssumeRole" }]
    });
    // IAM is global: a second world in another region of the account finds the role made.
    let created = iam
        .create_role()
        .role_name(ROLE)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await;
    if let Err(error) = created {
        let code = aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&error);
        assert_eq!(code, Some("EntityAlreadyExists"), "{error:?}");
    }
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            { "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*" },
            { "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn }
        ]
    });
    iam.put_role_policy()
        .role_name(ROLE)
        // One policy per region's world, so each world's secret stays allowed.
        .policy_name(match config.region().map(|r| r.as_ref()) {
            Some(region) if region != REGION => format!("task-execution-{region}"),
            _ => "task-execution".to_string(),
        })
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    aws_sdk_cloudwatchlogs::Client::new(config)
        .create_log_group()
        .log_group_name(LOG_GROUP)
        .send()
        .await
        .unwrap();
    let ecr = aws_sdk_ecr::Client::new(config);
    ecr.create_repository()
        .repository_name("web")
        .send()
        .await
        .unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": { "mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7" },
        "layers": []
    });
    ecr.put_image()
        .repository_name("web")
        .image_manifest(manifest.to_string())
        .image_tag("1.8.2")
        .send()
        .await
        .unwrap();
}

/// An SNS topic with an SQS queue subscribed: what the topic delivers can be read back.
pub async fn subscribed_queue(config: &aws_config::SdkConfig) -> (String, String) {
    let sns = aws_sdk_sns::Client::new(config);
    let sqs = aws_sdk_sqs::Client::new(config);
    let topic = sns.create_topic().name("alerts").send().await.unwrap();
    let topic_arn = topic.topic_arn().unwrap().to_string();
    let queue = sqs
        .create_queue()
        .queue_name("alerts-inbox")
        .send()
        .await
        .unwrap();
    let queue_url = queue.queue_url().unwrap().to_string();
    let queue_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:alerts-inbox");
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .unwrap();
    (topic_arn, queue_url)
}

/// The SNS envelopes waiting in the queue (SNS → SQS delivery is synchronous in moto).
pub async fn received(config: &aws_config::SdkConfig, queue_url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    out.messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect()
}

pub fn definition_arn(world: &World) -> String {
    world.event["detail"]["taskDefinitionArn"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Runs and stops another task of `definition` in the world's task subnet, and points the
/// world's event at it.
pub async fn stop_another(
    world: &mut World,
    definition: &str,
    group: Option<&str>,
    started_by: Option<&str>,
    reason: &str,
) {
    let ecs = aws_sdk_ecs::Client::new(&world.config);
    let run = ecs
        .run_task()
        .cluster("demo")
        .task_definition(definition)
        .launch_type(LaunchType::Fargate)
        .set_group(group.map(str::to_string))
        .set_started_by(started_by.map(str::to_string))
        .network_configuration(awsvpc(
            &world.task_subnet,
            &world.security_group,
            AssignPublicIp::Disabled,
        ))
        .send()
        .await
        .unwrap();
    let task = run.tasks()[0].clone();
    let arn = task.task_arn().unwrap().to_string();
    ecs.stop_task()
        .cluster("demo")
        .task(&arn)
        .reason(reason)
        .send()
        .await
        .unwrap();
    let eni = eni_id(&task);
    let event = &mut world.event;
    event["id"] = Value::String(format!("test-{}", arn.rsplit('/').next().unwrap()));
    event["resources"] = serde_json::json!([arn]);
    let detail = &mut event["detail"];
    detail["taskArn"] = Value::String(arn.clone());
    detail["taskDefinitionArn"] = Value::String(definition.to_string());
    detail["stoppedReason"] = Value::String(reason.to_string());
    detail["group"] = group.map_or(Value::Null, |g| Value::String(g.into()));
    detail["startedBy"] = started_by.map_or(Value::Null, |s| Value::String(s.into()));
    for item in detail["attachments"][0]["details"].as_array_mut().unwrap() {
        if item["name"] == "networkInterfaceId" {
            item["value"] = Value::String(eni.clone());
        }
    }
    world.task_arn = arn;
}

/// Registers the next revision of the world's definition with its container changed by
/// `change`, and returns its ARN.
pub async fn next_revision(world: &World, change: impl FnOnce(&mut ContainerDefinition)) -> String {
    let ecs = aws_sdk_ecs::Client::new(&world.config);
    let current = ecs
        .describe_task_definition()
        .task_definition(definition_arn(world))
        .send()
        .await
        .unwrap();
    let current = current.task_definition().unwrap();
    let mut container = current.container_definitions()[0].clone();
    change(&mut container);
    register_web(&ecs, ACCOUNT, container, vec![]).await
}

/// The bare network every world starts from: a VPC (10.0.0.0/16) with a public and a private
/// subnet in zone `a` and an internet gateway attached (no routes yet).
pub struct Skeleton {
    pub vpc: String,
    pub public: String,
    pub private: String,
    pub igw: String,
}

pub async fn vpc_skeleton(ec2: &aws_sdk_ec2::Client, region: &str) -> Skeleton {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let subnet = |cidr: &'static str| {
        let ec2 = ec2.clone();
        let vpc = vpc.clone();
        async move {
            let out = ec2
                .create_subnet()
                .vpc_id(vpc)
                .cidr_block(cidr)
                .availability_zone(format!("{region}a"))
                .send()
                .await
                .unwrap();
            out.subnet().unwrap().subnet_id().unwrap().to_string()
        }
    };
    let public = subnet("10.0.0.0/24").await;
    let private = subnet("10.0.1.0/24").await;
    let igw = ec2.create_internet_gateway().send().await.unwrap();
    let igw = igw
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap()
        .to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    Skeleton {
        vpc,
        public,
        private,
        igw,
    }
}

/// A new security group `name` in `vpc` (moto gives it all traffic out, as AWS does).
pub(super) async fn security_group(ec2: &aws_sdk_ec2::Client, vpc: &str, name: &str) -> String {
    let group = ec2
        .create_security_group()
        .group_name(name)
        .description(name)
        .vpc_id(vpc)
        .send()
        .await
        .unwrap();
    group.group_id().unwrap().to_string()
}

/// A new route table of `vpc`, associated with `subnet`: only the local route so far.
pub(super) async fn subnet_table(ec2: &aws_sdk_ec2::Client, vpc: &str, subnet: &str) -> String {
    let out = ec2.create_route_table().vpc_id(vpc).send().await.unwrap();
    let id = out
        .route_table()
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_string();
    ec2.associate_route_table()
        .route_table_id(&id)
        .subnet_id(subnet)
        .send()
        .await
        .unwrap();
    id
}

/// An event fixture of `events/`, as JSON.
pub fn event_fixture(name: &str) -> Value {
    let text =
        std::fs::read_to_string(format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The id of the ENI ECS attached to a task.
pub fn eni_id(task: &aws_sdk_ecs::types::Task) -> String {
    task.attachments()
        .iter()
        .flat_map(|a| a.details())
        .find(|d| d.name() == Some("networkInterfaceId"))
        .and_then(|d| d.value())
        .unwrap()
        .to_string()
}

/// The secret revision 2 of the change worlds names, which does not exist.
pub const MISSING_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/db-password-v2-AbCdEf";
/// What ECS says when it cannot find [`MISSING_SECRET`].
pub const SECRET_NOT_FOUND: &str = "ResourceInitializationError: unable to pull secrets or \
    registry auth: execution resource retrieval failed: unable to retrieve secret from asm: \
    service call has been retried 1 time(s): failed to fetch secret \
    arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/db-password-v2-AbCdEf from secrets \
    manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.";

/// Deploys revision 2 of the service, whose secret ([`MISSING_SECRET`]) does not exist, and
/// points the world's event at a task of it that stopped for that: revision 1 ran before.
/// Returns (revision 1, revision 2).
pub async fn deploy_missing_secret(world: &mut World) -> (String, String) {
    let first = definition_arn(world);
    let second = next_revision(world, |container| {
        container.secrets = Some(vec![
            aws_sdk_ecs::types::Secret::builder()
                .name("DB_PASSWORD")
                .value_from(MISSING_SECRET)
                .build()
                .unwrap(),
        ]);
    })
    .await;
    aws_sdk_ecs::Client::new(&world.config)
        .update_service()
        .cluster("demo")
        .service("web")
        .task_definition(&second)
        .send()
        .await
        .unwrap();
    stop_another(
        world,
        &second,
        Some("service:web"),
        Some("ecs-svc/2"),
        SECRET_NOT_FOUND,
    )
    .await;
    (first, second)
}
