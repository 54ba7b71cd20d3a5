//! The only stage that reads AWS. It gathers the facts in a few rounds, each round's reads
//! running concurrently:
//!
//! 1. DescribeTasks (the task, with tags), and beside it, since an event names them,
//!    DescribeTaskDefinition, DescribeServices, DescribeNetworkInterfaces, DescribeSubnets and,
//!    for an EC2 or ECS Managed Instances task, DescribeContainerInstances followed by
//!    DescribeInstances (`instance`; for Managed Instances also the capacity provider, its
//!    instance profile and its infrastructure role's policies) (for a task named on the
//!    command line these wait for DescribeTasks);
//! 2. side by side, the task's VPC (`network::read_vpc`: every subnet, route table, gateway,
//!    security group, ACL and endpoint, its attributes, the S3 prefix list) and the execution
//!    role and references (`identity`: role, policies, secrets, parameters, log groups,
//!    environment files, images, file systems);
//! 3. what those name: DHCP options, prefix-list CIDRs, managed policies, KMS keys;
//! 4. policy versions, key policies and the policy simulator.
//!
//! The first subnet read only tells the VPC; the VPC-wide read then reads every subnet (NAT
//! and endpoint subnets matter too), so that one subnet is read twice.
//!
//! A read that fails becomes a [`Gap`] in the facts, never an error: the checks that needed
//! it are skipped with the reason, and the rest still run.

mod change;
mod identity;
mod instance;
mod network;

pub use change::{LOOKBACK_DAYS, last_change, lookup_changes, resource_tags, service_revisions};
pub use identity::simulate;
pub use instance::managed_instances_provider;

use crate::accounts::Account;
use crate::arn::ArnParts;
use crate::aws::{ClientCache, Clients};
use crate::error::{Error, Result, sdk_message};
use crate::event::StoppedTask;
use crate::facts::{
    Container, EfsVolume, EniAttachment, Facts, Gap, Lookup, Read, SecretRef, Service, Task,
    TaskDefinition, TaskSource,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::BTreeMap;
use tokio::time::Instant;

/// Which task to diagnose.
#[derive(Debug, Clone)]
pub enum Target<'a> {
    /// From an event: DescribeTasks if it still knows the task, else the event's copy.
    Event(&'a StoppedTask),
    /// Named on the command line: DescribeTasks must know it.
    Named { cluster: &'a str, task: &'a str },
}

/// Turns a failed read into a gap, naming the doctor's own missing permission plainly.
fn gap<E>(read: Read, error: &SdkError<E, HttpResponse>) -> Gap
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let reason = match error.code() {
        Some(code) if code.contains("AccessDenied") || code == "UnauthorizedOperation" => {
            format!("the doctor's role may not call {read}")
        }
        _ => sdk_message(error),
    };
    tracing::warn!(%read, %reason, "read failed; the checks that need it are skipped");
    Gap {
        read,
        reason,
        transient: is_transient(error),
    }
}

/// Throttling, or no answer in time: worth reading again soon.
fn is_transient<E>(error: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    const THROTTLING: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "RequestThrottled",
    ];
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        _ => error.code().is_some_and(|code| THROTTLING.contains(&code)),
    }
}

fn timestamp(time: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    time.and_then(|t| t.fmt(Format::DateTime).ok())
}

/// Gathers the facts. Reads still running at `deadline` become gaps that say so, so a report
/// goes out in time with what is known.
///
/// Every read goes to `account` (its credentials, the task's region): the task's account, as
/// [`crate::accounts::Accounts::access`] gave it.
pub async fn collect(
    account: &Account,
    region: Option<&str>,
    target: Target<'_>,
    deadline: Option<Instant>,
) -> Result<Facts> {
    let cache = account.clients();
    let clients = cache.get(region);
    let clients = clients.as_ref();
    let mut facts = Facts::default();
    let mut named_gaps = Vec::new();
    // Round 1: the task. An event already names its task definition, service, ENI and
    // subnet, so those are read side by side with DescribeTasks; a task named on the command
    // line needs DescribeTasks first. The account's alias, for the alert, beside them.
    let (task, named, alias) = match &target {
        Target::Event(event) => {
            let from_event = task_from_event(event);
            let (task, named, alias) = tokio::join!(
                round_one(clients, &target, &mut facts.gaps, &mut facts.task_source),
                what_the_task_names(clients, &from_event, deadline, &mut named_gaps),
                account_alias(account, clients),
            );
            (task?, named, alias)
        }
        Target::Named { .. } => {
            let (task, alias) = tokio::join!(
                round_one(clients, &target, &mut facts.gaps, &mut facts.task_source),
                account_alias(account, clients),
            );
            let task = task?;
            let named = what_the_task_names(clients, &task, deadline, &mut named_gaps).await;
            (task, named, alias)
        }
    };
    facts.task = task;
    facts.account_alias = keep(alias, &mut facts.gaps).flatten();
    facts.gaps.extend(named_gaps);
    let Some((definition, service, eni, subnet, instance)) = named else {
        // Out of time before the service was read: what ran before is unknown, and why.
        if let Some(gap) = facts.gap(Read::DescribeServices).cloned() {
            facts.change.previous = crate::facts::PreviousLookup::Failed(gap);
        }
        return Ok(facts);
    };
    facts.task_definition = keep(definition, &mut facts.gaps).flatten();
    facts.service = keep(service, &mut facts.gaps).flatten();
    facts.container_instance = keep(instance.container_instance, &mut facts.gaps).flatten();
    facts.capacity_provider = instance.capacity_provider;
    facts.gaps.extend(instance.gaps);
    facts.network.network_interface = keep(eni, &mut facts.gaps).flatten();
    facts.network.subnets = keep(subnet, &mut facts.gaps).unwrap_or_default();

    // A task without an attachment in its record: its service names the subnets.
    if facts.network.subnets.is_empty()
        && let Some(first) = facts.task_subnet_id().map(str::to_string)
    {
        facts.network.subnets = keep(
            network::subnets(clients, Some(&first)).await,
            &mut facts.gaps,
        )
        .unwrap_or_default();
    }

    // Rounds 2 to 4: the VPC, and the role and references, side by side. A bridge or host
    // task on an instance has no subnet of its own: its instance names the VPC.
    let vpc = facts
        .network
        .subnets
        .first()
        .map(|s| s.vpc_id.clone())
        .or_else(|| {
            let instance = facts.container_instance.as_ref()?.instance.as_ref()?;
            instance.vpc_id.clone()
        });
    if vpc.is_none() {
        // Without the VPC nothing of it can be read: say so for each read, so no check
        // takes an empty list for an answer.
        let why = "not read: the task's VPC is unknown (its subnet could not be read)";
        for read in network::vpc_reads() {
            if facts.gap(read).is_none() {
                facts.gaps.push(Gap {
                    read,
                    reason: why.into(),
                    transient: false,
                });
            }
        }
    }
    let network_reads = async {
        match &vpc {
            Some(vpc) => {
                Box::pin(network::read_vpc(
                    clients,
                    vpc,
                    &facts.task.region,
                    &mut facts.network,
                    deadline,
                ))
                .await
            }
            None => vec![],
        }
    };
    let identity_reads = Box::pin(identity::read(
        cache,
        clients,
        &facts.task,
        facts.task_definition.as_ref(),
        deadline,
    ));
    // What ran before: beside the VPC and the role, so it adds no round of its own when the
    // service's deployments name it.
    let previous = Box::pin(change::previous(
        cache,
        clients,
        change::Current {
            task: &facts.task,
            definition: facts.task_definition.as_ref(),
            service: facts.service.as_ref(),
            service_gap: facts.gaps.iter().find(|g| g.read == Read::DescribeServices),
        },
        deadline,
    ));
    let (network_gaps, (identity, references, identity_gaps), previous) =
        tokio::join!(network_reads, identity_reads, previous);
    facts.change.previous = previous;
    facts.identity = identity;
    facts.references = references;
    facts.gaps.extend(network_gaps);
    facts.gaps.extend(identity_gaps);
    Ok(facts)
}

type Named = (
    std::result::Result<Option<TaskDefinition>, Gap>,
    std::result::Result<Option<Service>, Gap>,
    std::result::Result<Option<crate::facts::NetworkInterface>, Gap>,
    std::result::Result<Vec<crate::facts::Subnet>, Gap>,
    instance::InstanceReads,
);

/// The task definition, the service, the ENI and the subnet the task names; `None` when the
/// time budget ran out first.
async fn what_the_task_names(
    clients: &Clients,
    task: &Task,
    deadline: Option<Instant>,
    gaps: &mut Vec<Gap>,
) -> Option<Named> {
    // The instance step's reads are its own list, so this one cannot miss any of them.
    let reads: Vec<Read> = [
        Read::DescribeTaskDefinition,
        Read::DescribeServices,
        Read::DescribeNetworkInterfaces,
        Read::DescribeSubnets,
    ]
    .into_iter()
    .chain(instance::READS.iter().copied())
    .collect();
    let service_name = task.service_name();
    let eni_id = task
        .attachment
        .as_ref()
        .and_then(|a| a.network_interface_id.as_deref());
    let subnet_id = task
        .attachment
        .as_ref()
        .and_then(|a| a.subnet_id.as_deref());
    let round = async {
        tokio::join!(
            task_definition(clients, task.task_definition_arn.as_deref()),
            service(clients, &task.cluster_arn, service_name),
            network::network_interface(clients, eni_id),
            network::subnets(clients, subnet_id),
            instance::container_instance(clients, task),
        )
    };
    bounded(deadline, &reads, gaps, round).await
}

/// A metadata read's outcome: not found, or failed for another reason.
fn lookup_error<E>(read: Read, error: &SdkError<E, HttpResponse>) -> Lookup
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    const NOT_FOUND: &[&str] = &[
        "ResourceNotFoundException",
        "NoSuchEntity",
        "NotFoundException",
        "RepositoryNotFoundException",
        "ImageNotFoundException",
        "NoSuchBucket",
        "ParameterNotFound",
    ];
    match error.code() {
        Some(code) if NOT_FOUND.contains(&code) => Lookup::NotFound,
        _ => Lookup::Failed(gap(read, error).reason),
    }
}

/// Runs a round of reads unless the deadline passes first; then each of its calls becomes a
/// gap saying it timed out.
async fn bounded<T>(
    deadline: Option<Instant>,
    reads: &[Read],
    gaps: &mut Vec<Gap>,
    round: impl std::future::Future<Output = T>,
) -> Option<T> {
    let Some(deadline) = deadline else {
        return Some(round.await);
    };
    match tokio::time::timeout_at(deadline, round).await {
        Ok(done) => Some(done),
        Err(_) => {
            tracing::warn!(?reads, "time budget ran out; publishing what is known");
            gaps.extend(reads.iter().map(|&read| Gap {
                read,
                transient: true,
                reason: "timed out: the invocation's time budget ran out first".into(),
            }));
            None
        }
    }
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
            gaps.push(gap(Read::DescribeTasks, &error));
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
        container_reason: crate::event::start_failure_text(
            task.stopped_reason().unwrap_or_default(),
            task.containers().iter().filter_map(|c| c.reason()),
        )
        .filter(|r| Some(*r) != task.stopped_reason())
        .map(str::to_string),
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
        container_instance_arn: task.container_instance_arn().map(str::to_string),
        capacity_provider_name: task.capacity_provider_name().map(str::to_string),
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
    fill(
        &mut task.container_instance_arn,
        from_event.container_instance_arn,
    );
    fill(
        &mut task.capacity_provider_name,
        from_event.capacity_provider_name,
    );
    if task.stopped_reason.is_empty() {
        task.stopped_reason = from_event.stopped_reason;
    }
    fill(&mut task.container_reason, from_event.container_reason);
    if task.attachment.is_none() {
        task.attachment = from_event.attachment;
    }
    task
}

/// The account's alias (iam:ListAccountAliases, through the account's own credentials), read
/// once per account and process.
async fn account_alias(
    account: &Account,
    clients: &Clients,
) -> std::result::Result<Option<String>, Gap> {
    if let Some(known) = account.known_alias() {
        return Ok(known);
    }
    let out = clients
        .iam
        .list_account_aliases()
        .send()
        .await
        .map_err(|e| gap(Read::ListAccountAliases, &e))?;
    let alias = out.account_aliases().first().cloned();
    account.remember_alias(alias.clone());
    Ok(alias)
}

/// The facts of an event whose account could not be reached (`unreachable`, the
/// sts:AssumeRole gap): the event's copy of the task, and every other read recorded as not
/// made, so each check says it was skipped rather than judging an empty world.
pub fn unreachable_facts(event: &StoppedTask, unreachable: Gap) -> Facts {
    let why = format!(
        "not read: the doctor has no access to account {} (see sts:AssumeRole)",
        event.account
    );
    let mut facts = event_facts(event);
    facts.gaps = std::iter::once(unreachable)
        .chain(
            Read::ALL
                .iter()
                .filter(|&&read| read != Read::AssumeRole)
                .map(|&read| Gap {
                    read,
                    transient: false,
                    reason: why.clone(),
                }),
        )
        .collect();
    facts
}

/// The facts an event alone gives, with no AWS reads: what the doctor knows when every read
/// fails.
pub fn event_facts(event: &StoppedTask) -> Facts {
    Facts {
        task: task_from_event(event),
        task_source: TaskSource::Event,
        ..Facts::default()
    }
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
        container_reason: event.container_reason().map(str::to_string),
        stop_code: detail.stop_code.clone(),
        stopped_at: detail.stopped_at.clone(),
        region: event.region.clone(),
        account: event.account.clone(),
        availability_zone: detail.availability_zone.clone(),
        attachment,
        container_instance_arn: detail.container_instance_arn.clone(),
        capacity_provider_name: detail.capacity_provider_name.clone(),
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
        .map_err(|e| gap(Read::DescribeTaskDefinition, &e))?;
    Ok(out.task_definition().map(|d| TaskDefinition {
        arn: d.task_definition_arn().unwrap_or(arn).to_string(),
        family: d.family().unwrap_or_default().to_string(),
        revision: d.revision(),
        execution_role_arn: d.execution_role_arn().map(str::to_string),
        task_role_arn: d.task_role_arn().map(str::to_string),
        network_mode: d.network_mode().map(|m| m.as_str().to_string()),
        containers: d.container_definitions().iter().map(container).collect(),
        efs_volumes: d
            .volumes()
            .iter()
            .filter_map(|v| {
                let efs = v.efs_volume_configuration()?;
                let authorization = efs.authorization_config();
                Some(EfsVolume {
                    name: v.name().unwrap_or_default().to_string(),
                    file_system_id: efs.file_system_id().to_string(),
                    access_point_id: authorization
                        .and_then(|a| a.access_point_id())
                        .map(str::to_string),
                    iam_authorization: authorization
                        .and_then(|a| a.iam())
                        .is_some_and(|i| i.as_str() == "ENABLED"),
                })
            })
            .collect(),
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
        .map_err(|e| gap(Read::DescribeServices, &e))?;
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
            deployments: s.deployments().iter().map(change::deployment).collect(),
        }
    }))
}

/// The account of the doctor's own credentials (sts:GetCallerIdentity): whose history the CLI
/// lists when no account is named.
pub async fn caller_account(cache: &ClientCache) -> Result<String> {
    let out = aws_sdk_sts::Client::new(cache.base())
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| Error::Aws {
            call: "sts:GetCallerIdentity",
            message: sdk_message(&e),
        })?;
    Ok(out.account.unwrap_or_default())
}
