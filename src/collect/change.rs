//! Context reads: what ran before the failing revision, and who last changed the root cause's
//! resource.
//!
//! * [`previous`] runs in round 2, beside the VPC and identity reads. The service's other
//!   deployment comes with round 1's DescribeServices; only without one does it ask the
//!   service-deployment APIs (ListServiceDeployments → DescribeServiceDeployments →
//!   DescribeServiceRevisions). Then DescribeTaskDefinition of that revision, and the
//!   identity reads of only the references it has and the failing one does not.
//! * [`last_change`] is the one round after the verdict (the root cause is known only then):
//!   at most two CloudTrail LookupEvents calls, side by side, inside the deadline.
//!
//! Both are context, not diagnosis: each of their calls is made once (no retries), so a slow,
//! throttled or missing history API never holds the alert, and a failure is said in the report
//! instead of becoming a check's gap.

use super::{gap, identity, task_definition, timestamp};
use crate::aws::{ClientCache, Clients};
use crate::facts::{
    ChangeEvent, Container, Deployment, Gap, LastChangeLookup, LastChangeOutcome, NetworkConfig,
    PreviousLookup, PreviousRevision, Read, Revision, RevisionSource, Service, TagsLookup,
    TagsOutcome, Task, TaskDefinition,
};
use aws_config::retry::RetryConfig;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::BTreeMap;
use tokio::time::Instant;

/// The CloudTrail look-back window, in days, unless the deployment sets another.
pub const LOOKBACK_DAYS: u32 = 7;

const TIMED_OUT: &str = "timed out: the invocation's time budget ran out first";

pub(super) fn deployment(d: &aws_sdk_ecs::types::Deployment) -> Deployment {
    Deployment {
        id: d.id().unwrap_or_default().to_string(),
        status: d.status().unwrap_or_default().to_string(),
        task_definition: d.task_definition().unwrap_or_default().to_string(),
        rollout_state: d.rollout_state().map(|s| s.as_str().to_string()),
        running_count: d.running_count(),
        created_at: timestamp(d.created_at()),
        platform_version: d.platform_version().map(str::to_string),
        network: network_config(d.network_configuration()),
    }
}

fn network_config(n: Option<&aws_sdk_ecs::types::NetworkConfiguration>) -> Option<NetworkConfig> {
    let vpc = n?.awsvpc_configuration()?;
    Some(NetworkConfig {
        subnets: vpc.subnets().to_vec(),
        security_groups: vpc.security_groups().to_vec(),
        assign_public_ip: vpc.assign_public_ip().map(|a| a.as_str().to_string()),
    })
}

fn revision(d: &Deployment) -> Revision {
    Revision {
        task_definition_arn: d.task_definition.clone(),
        platform_version: d.platform_version.clone(),
        network: d.network.clone(),
        image_digests: BTreeMap::new(),
    }
}

/// What the service's deployments say ran before the failing task's revision (and the
/// failing one, when listed); `None` when they do not tell, so the service-deployment APIs
/// are asked.
type Pick = Option<(RevisionSource, Revision, Option<Revision>)>;

/// The failing task's deployment is the one that started it (`startedBy`) running its
/// revision, else any running its revision. The previous revision is the newest other ACTIVE
/// deployment's. When the task's own deployment is not listed, any other deployment running
/// another revision ran before it (after a rollback, and in the emulator, whose service keeps
/// one PRIMARY deployment on the first revision). A deployment that completed, or runs tasks,
/// alone: its own revision ran.
fn pick(task: &Task, deployments: &[Deployment]) -> Pick {
    let revision_arn = task.task_definition_arn.as_deref().unwrap_or_default();
    let own = deployments
        .iter()
        .find(|d| {
            Some(d.id.as_str()) == task.started_by.as_deref() && d.task_definition == revision_arn
        })
        .or_else(|| {
            deployments
                .iter()
                .find(|d| d.task_definition == revision_arn)
        });
    let newest = |status: &str| {
        deployments
            .iter()
            .filter(|d| d.status == status && Some(d.id.as_str()) != own.map(|o| o.id.as_str()))
            .max_by(|a, b| a.created_at.cmp(&b.created_at))
    };
    match own {
        Some(own) if own.status == "PRIMARY" => {
            if let Some(active) = newest("ACTIVE") {
                return Some((
                    RevisionSource::ServiceDeployments,
                    revision(active),
                    Some(revision(own)),
                ));
            }
        }
        Some(_) => {}
        None => {
            if let Some(other) = newest("ACTIVE")
                .or_else(|| newest("PRIMARY").filter(|d| d.task_definition != revision_arn))
            {
                return Some((RevisionSource::ServiceDeployments, revision(other), None));
            }
        }
    }
    match own {
        Some(own)
            if deployments.len() == 1
                && (own.rollout_state.as_deref() == Some("COMPLETED") || own.running_count > 0) =>
        {
            Some((
                RevisionSource::SteadyDeployment,
                revision(own),
                Some(revision(own)),
            ))
        }
        _ => None,
    }
}

/// One attempt per call: see the module's note.
fn once() -> RetryConfig {
    RetryConfig::disabled()
}

/// The source and target revisions of the service's newest deployment, from the
/// service-deployment APIs (three calls in sequence, each made once). `Ok(None)`: the
/// service has no deployment before the newest that ECS still describes.
pub async fn service_revisions(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<Option<(Revision, Option<Revision>)>, Gap> {
    let override_ = || aws_sdk_ecs::config::Builder::default().retry_config(once());
    let listed = ecs
        .list_service_deployments()
        .cluster(cluster)
        .service(service)
        .max_results(5)
        .customize()
        .config_override(override_())
        .send()
        .await
        .map_err(|e| gap(Read::ListServiceDeployments, &e))?;
    let Some(newest) = listed
        .service_deployments()
        .iter()
        .filter(|d| d.service_deployment_arn().is_some())
        .max_by_key(|d| d.created_at().map(|t| (t.secs(), t.subsec_nanos())))
    else {
        return Ok(None);
    };
    let described = ecs
        .describe_service_deployments()
        .service_deployment_arns(newest.service_deployment_arn().unwrap_or_default())
        .customize()
        .config_override(override_())
        .send()
        .await
        .map_err(|e| gap(Read::DescribeServiceDeployments, &e))?;
    let Some(deployment) = described.service_deployments().first() else {
        return Ok(None);
    };
    let Some(source) = deployment
        .source_service_revisions()
        .iter()
        .find_map(|r| r.arn())
    else {
        return Ok(None);
    };
    let target = deployment.target_service_revision().and_then(|r| r.arn());
    let revisions = ecs
        .describe_service_revisions()
        .service_revision_arns(source)
        .set_service_revision_arns(Some(
            std::iter::once(source)
                .chain(target)
                .map(str::to_string)
                .collect(),
        ))
        .customize()
        .config_override(override_())
        .send()
        .await
        .map_err(|e| gap(Read::DescribeServiceRevisions, &e))?;
    let find = |arn: &str| {
        revisions
            .service_revisions()
            .iter()
            .find(|r| r.service_revision_arn() == Some(arn))
            .map(|r| Revision {
                task_definition_arn: r.task_definition().unwrap_or_default().to_string(),
                platform_version: r.platform_version().map(str::to_string),
                network: network_config(r.network_configuration()),
                image_digests: r
                    .container_images()
                    .iter()
                    .filter_map(|i| {
                        Some((
                            i.container_name()?.to_string(),
                            i.image_digest()?.to_string(),
                        ))
                    })
                    .collect(),
            })
    };
    let Some(before) = find(source) else {
        return Err(Gap {
            read: Read::DescribeServiceRevisions,
            transient: false,
            reason: format!("ECS did not describe the service revision {source}"),
        });
    };
    Ok(Some((before, target.and_then(find))))
}

/// The previous revision's definition reduced to what the current one does not have: its
/// execution role only if it differs, and of each container only the references that are
/// new. The identity reads of this definition read only those.
fn differing_references(previous: &TaskDefinition, current: &TaskDefinition) -> TaskDefinition {
    let values: Vec<&str> = current
        .containers
        .iter()
        .flat_map(|c| c.secrets.iter().chain(&c.log_secret_options))
        .map(|s| s.value_from.as_str())
        .chain(
            current
                .containers
                .iter()
                .filter_map(|c| c.repository_credentials.as_deref()),
        )
        .collect();
    let has = |f: &dyn Fn(&Container) -> bool| current.containers.iter().any(f);
    let containers = previous
        .containers
        .iter()
        .map(|c| {
            let new_log_group = c.awslogs_options.get("awslogs-group").is_some_and(|group| {
                !has(&|o| o.awslogs_options.get("awslogs-group") == Some(group))
            });
            Container {
                name: c.name.clone(),
                image: if has(&|o| o.image == c.image) {
                    String::new()
                } else {
                    c.image.clone()
                },
                secrets: c
                    .secrets
                    .iter()
                    .filter(|s| !values.contains(&s.value_from.as_str()))
                    .cloned()
                    .collect(),
                repository_credentials: c
                    .repository_credentials
                    .clone()
                    .filter(|r| !values.contains(&r.as_str())),
                log_driver: c.log_driver.clone().filter(|_| new_log_group),
                awslogs_options: if new_log_group {
                    c.awslogs_options.clone()
                } else {
                    BTreeMap::new()
                },
                log_secret_options: c
                    .log_secret_options
                    .iter()
                    .filter(|s| !values.contains(&s.value_from.as_str()))
                    .cloned()
                    .collect(),
                environment_files: c
                    .environment_files
                    .iter()
                    .filter(|f| !has(&|o| o.environment_files.contains(f)))
                    .cloned()
                    .collect(),
            }
        })
        .collect();
    TaskDefinition {
        execution_role_arn: previous
            .execution_role_arn
            .clone()
            .filter(|role| current.execution_role_arn.as_ref() != Some(role)),
        containers,
        efs_volumes: previous
            .efs_volumes
            .iter()
            .filter(|v| !current.efs_volumes.contains(v))
            .cloned()
            .collect(),
        ..previous.clone()
    }
}

/// Finds the revision that ran before the failing task's, and reads what of it differs.
pub(super) async fn previous(
    cache: &ClientCache,
    clients: &Clients,
    current: Current<'_>,
    deadline: Option<Instant>,
) -> PreviousLookup {
    let find = async {
        let Some(service_name) = current.task.service_name() else {
            return PreviousLookup::Standalone;
        };
        let Some(service) = current.service else {
            return PreviousLookup::Failed(current.service_gap.cloned().unwrap_or(Gap {
                read: Read::DescribeServices,
                transient: false,
                reason: format!("DescribeServices did not return the service {service_name}"),
            }));
        };
        let (source, before, after) = match pick(current.task, &service.deployments) {
            Some(found) => found,
            None => {
                match service_revisions(&clients.ecs, &current.task.cluster_arn, service_name).await
                {
                    Ok(Some((before, after))) => (RevisionSource::ServiceRevisions, before, after),
                    Ok(None) => return PreviousLookup::FirstDeployment,
                    Err(gap) => return PreviousLookup::Failed(gap),
                }
            }
        };
        read_revision(cache, clients, current, source, before, after, deadline).await
    };
    match deadline {
        None => find.await,
        Some(deadline) => tokio::time::timeout_at(deadline, find)
            .await
            .unwrap_or_else(|_| {
                PreviousLookup::Failed(Gap {
                    read: Read::DescribeTaskDefinition,
                    transient: false,
                    reason: TIMED_OUT.into(),
                })
            }),
    }
}

/// What the failing task runs, as rounds 1 and 2 read it.
#[derive(Clone, Copy)]
pub(super) struct Current<'a> {
    pub task: &'a Task,
    pub definition: Option<&'a TaskDefinition>,
    pub service: Option<&'a Service>,
    /// Why DescribeServices failed, if it did.
    pub service_gap: Option<&'a Gap>,
}

async fn read_revision(
    cache: &ClientCache,
    clients: &Clients,
    current: Current<'_>,
    source: RevisionSource,
    before: Revision,
    after: Option<Revision>,
    deadline: Option<Instant>,
) -> PreviousLookup {
    let mut found = PreviousRevision {
        source,
        before,
        after,
        ..PreviousRevision::default()
    };
    let task = current.task;
    let current = current.definition;
    if current.is_some_and(|c| c.arn == found.before.task_definition_arn) {
        return PreviousLookup::Found(Box::new(found));
    }
    let definition = match task_definition(clients, Some(&found.before.task_definition_arn)).await {
        Ok(definition) => definition,
        Err(gap) => return PreviousLookup::Failed(gap),
    };
    if let (Some(previous), Some(current)) = (&definition, current) {
        let delta = differing_references(previous, current);
        let (identity, references, gaps) =
            identity::read(cache, clients, task, Some(&delta), deadline).await;
        found.identity = delta.execution_role_arn.is_some().then_some(identity);
        found.references = references;
        found.gaps = gaps;
    }
    found.task_definition = definition;
    PreviousLookup::Found(Box::new(found))
}

/// How to find a resource's changes in CloudTrail: the region that records them, and at most
/// two lookups (one attribute each, as LookupEvents allows).
struct Plan {
    region: Option<String>,
    lookups: Vec<(LookupAttributeKey, String)>,
}

/// IAM is a global service: its events are recorded in us-east-1.
const IAM_EVENTS_REGION: &str = "us-east-1";

fn plan(resource: &str) -> Plan {
    let by_name = |value: &str| (LookupAttributeKey::ResourceName, value.to_string());
    // An EC2 event may not list the id it changed among its resources: then look for the
    // mutation that most often breaks a task on that kind, and match the id in the request.
    let ec2_event = match resource.split('-').next().unwrap_or_default() {
        "rtb" => Some("DeleteRoute"),
        "sg" => Some("RevokeSecurityGroupEgress"),
        "acl" => Some("CreateNetworkAclEntry"),
        "vpce" => Some("ModifyVpcEndpoint"),
        "nat" => Some("DeleteNatGateway"),
        "subnet" => Some("ReplaceRouteTableAssociation"),
        "vpc" => Some("ModifyVpcAttribute"),
        _ => None,
    };
    if let Some(event) = ec2_event {
        return Plan {
            region: None,
            lookups: vec![
                by_name(resource),
                (LookupAttributeKey::EventName, event.to_string()),
            ],
        };
    }
    let region = resource
        .contains(":iam::")
        .then(|| IAM_EVENTS_REGION.into());
    let mut lookups = vec![by_name(resource)];
    if let Some(name) = short_name(resource) {
        lookups.push(by_name(name));
    }
    Plan { region, lookups }
}

/// The name an ARN's service also records events under: a role's or policy's name, a
/// secret's, a key's id, a parameter's or log group's name.
fn short_name(arn: &str) -> Option<&str> {
    let resource = crate::arn::ArnParts::parse(arn)?.resource;
    let name = match resource.split_once([':', '/']) {
        Some(("role" | "policy" | "key", rest)) => rest.rsplit('/').next()?,
        Some(("secret" | "log-group", rest)) => rest.trim_end_matches(":*"),
        Some(("parameter", rest)) => rest,
        _ => return None,
    };
    Some(name).filter(|n| !n.is_empty() && *n != arn)
}

/// The tags of `resource` when its kind's describe answer carries none: a KMS key (in its
/// ARN's region; ListResourceTags) or an EFS file system (in `region`; DescribeFileSystems).
/// `None` for other kinds. Made once, inside the deadline. Another account's key is not read:
/// ListResourceTags is not a cross-account call (API_ListResourceTags.html).
pub async fn resource_tags(
    cache: &ClientCache,
    region: Option<&str>,
    account: &str,
    resource: &str,
    deadline: Option<Instant>,
) -> Option<TagsLookup> {
    let arn = crate::arn::ArnParts::parse(resource);
    if let Some(arn) = arn.filter(|a| a.service == "kms" && a.account != account) {
        return Some(TagsLookup {
            resource: resource.to_string(),
            outcome: TagsOutcome::Failed {
                reason: format!(
                    "the key belongs to account {}, and its tags can be read only there",
                    arn.account
                ),
            },
        });
    }
    let read = async {
        match arn {
            Some(arn) if arn.service == "kms" => {
                let clients = cache.get(Some(arn.region));
                let listed = clients
                    .kms
                    .list_resource_tags()
                    .key_id(resource)
                    .send()
                    .await
                    .map_err(|e| gap(Read::ListResourceTags, &e).reason)?;
                Ok(listed
                    .tags()
                    .iter()
                    .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
                    .collect())
            }
            _ => {
                let clients = cache.get(region);
                let described = clients
                    .efs
                    .describe_file_systems()
                    .file_system_id(resource)
                    .send()
                    .await
                    .map_err(|e| gap(Read::DescribeFileSystems, &e).reason)?;
                let system = described
                    .file_systems()
                    .first()
                    .ok_or_else(|| format!("file system {resource} was not found"))?;
                Ok(system
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect())
            }
        }
    };
    let is_key = arn.is_some_and(|a| a.service == "kms" && a.resource.starts_with("key/"));
    if !is_key && !resource.starts_with("fs-") {
        return None;
    }
    let outcome = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, read)
            .await
            .unwrap_or_else(
                |_| Err("timed out: the invocation's time budget ran out first".into()),
            ),
        None => read.await,
    };
    Some(TagsLookup {
        resource: resource.to_string(),
        outcome: match outcome {
            Ok(tags) => TagsOutcome::Found { tags },
            Err(reason) => TagsOutcome::Failed { reason },
        },
    })
}

/// The most recent mutating management event on `resource` in the last `days` days, asked of
/// CloudTrail in the region that records the resource's events (`region`, or us-east-1 for
/// IAM).
pub async fn last_change(
    cache: &ClientCache,
    region: Option<&str>,
    resource: &str,
    days: u32,
    deadline: Option<Instant>,
) -> LastChangeLookup {
    let events_region = plan(resource).region;
    let clients = cache.get(events_region.as_deref().or(region));
    lookup_changes(&clients.cloudtrail, resource, days, deadline).await
}

/// [`last_change`] with a given client: at most two LookupEvents calls, side by side, each
/// made once and inside the deadline.
pub async fn lookup_changes(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    resource: &str,
    days: u32,
    deadline: Option<Instant>,
) -> LastChangeLookup {
    let plan = plan(resource);
    let mut lookup = LastChangeLookup {
        resource: resource.to_string(),
        days,
        calls: 0,
        outcome: LastChangeOutcome::NoneRecorded,
    };
    if deadline.is_some_and(|d| d <= Instant::now()) {
        lookup.outcome = LastChangeOutcome::Skipped {
            reason: TIMED_OUT.into(),
        };
        return lookup;
    }
    let end = chrono::Utc::now();
    let start = end - chrono::Duration::days(i64::from(days));
    let calls = plan.lookups.iter().map(|(key, value)| {
        let attribute = LookupAttribute::builder()
            .attribute_key(key.clone())
            .attribute_value(value)
            .build();
        let cloudtrail = cloudtrail.clone();
        async move {
            let attribute = attribute.map_err(|e| e.to_string())?;
            cloudtrail
                .lookup_events()
                .lookup_attributes(attribute)
                .start_time(aws_smithy_types::DateTime::from_secs(start.timestamp()))
                .end_time(aws_smithy_types::DateTime::from_secs(end.timestamp()))
                .max_results(50)
                .customize()
                .config_override(
                    aws_sdk_cloudtrail::config::Builder::default().retry_config(once()),
                )
                .send()
                .await
                .map_err(|e| match e.code() {
                    Some(code) if code.contains("Throttl") => format!(
                        "throttled ({code}): CloudTrail allows 2 LookupEvents requests per second \
                         per account and region"
                    ),
                    _ => gap(Read::LookupEvents, &e).reason,
                })
        }
    });
    lookup.calls = plan.lookups.len() as u32;
    let all = futures_util::future::join_all(calls);
    let answers = match deadline {
        None => all.await,
        Some(deadline) => match tokio::time::timeout_at(deadline, all).await {
            Ok(answers) => answers,
            Err(_) => {
                lookup.outcome = LastChangeOutcome::Skipped {
                    reason: TIMED_OUT.into(),
                };
                return lookup;
            }
        },
    };
    let names: Vec<&str> = plan
        .lookups
        .iter()
        .filter(|(key, _)| *key == LookupAttributeKey::ResourceName)
        .map(|(_, value)| value.as_str())
        .collect();
    let mut newest: Option<(i64, ChangeEvent)> = None;
    let mut failure = None;
    for answer in answers {
        let events = match answer {
            Ok(out) => out.events,
            Err(reason) => {
                failure.get_or_insert(reason);
                continue;
            }
        };
        for event in events.unwrap_or_default() {
            if event.read_only() == Some("true") || !mentions(&event, resource, &names) {
                continue;
            }
            let time = event.event_time().map_or(0, |t| t.secs());
            if newest.as_ref().is_none_or(|(t, _)| time > *t) {
                newest = Some((time, change_event(&event)));
            }
        }
    }
    lookup.outcome = match (newest, failure) {
        (Some((_, event)), _) => LastChangeOutcome::Found(event),
        (None, Some(reason)) => LastChangeOutcome::Skipped { reason },
        (None, None) => LastChangeOutcome::NoneRecorded,
    };
    lookup
}

/// Whether the event is about the resource: among its resources, or named in its record (an
/// EventName lookup returns every such event in the account).
fn mentions(event: &aws_sdk_cloudtrail::types::Event, resource: &str, names: &[&str]) -> bool {
    let listed = event
        .resources()
        .iter()
        .filter_map(|r| r.resource_name())
        .any(|name| name == resource || names.contains(&name));
    listed
        || event
            .cloud_trail_event()
            .is_some_and(|record| record.contains(&format!("\"{resource}\"")))
}

fn change_event(event: &aws_sdk_cloudtrail::types::Event) -> ChangeEvent {
    let record: serde_json::Value = event
        .cloud_trail_event()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    let identity = &record["userIdentity"];
    let principal = identity["arn"].as_str().map(str::to_string);
    let session_name = (identity["type"].as_str() == Some("AssumedRole"))
        .then(|| principal.as_deref()?.rsplit('/').next().map(str::to_string))
        .flatten();
    ChangeEvent {
        event_name: event.event_name().unwrap_or_default().to_string(),
        principal: principal.or_else(|| event.username().map(str::to_string)),
        session_name,
        time: timestamp(event.event_time()),
        error_code: record["errorCode"].as_str().map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Facts, SecretRef};
    use crate::test_support::{healthy_nat, with_task_definition};

    fn deployment(id: &str, status: &str, revision: &str) -> Deployment {
        Deployment {
            id: id.into(),
            status: status.into(),
            task_definition: revision.into(),
            rollout_state: Some("IN_PROGRESS".into()),
            created_at: Some(format!("2026-11-25T10:0{}:00Z", revision.len() % 10)),
            ..Deployment::default()
        }
    }

    const WEB_41: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:41";
    const WEB_42: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:42";

    fn task_on(revision: &str, started_by: &str) -> Facts {
        let mut facts = healthy_nat();
        facts.task.task_definition_arn = Some(revision.into());
        facts.task.started_by = Some(started_by.into());
        facts
    }

    fn picked(facts: &Facts, deployments: &[Deployment]) -> Option<(RevisionSource, String)> {
        pick(&facts.task, deployments)
            .map(|(source, before, _)| (source, before.task_definition_arn))
    }

    #[test]
    fn a_rolling_deployment_replaces_the_active_revision() {
        let facts = task_on(WEB_42, "ecs-svc/2");
        let deployments = [
            deployment("ecs-svc/2", "PRIMARY", WEB_42),
            deployment("ecs-svc/1", "ACTIVE", WEB_41),
        ];
        assert_eq!(
            picked(&facts, &deployments),
            Some((RevisionSource::ServiceDeployments, WEB_41.into()))
        );
    }

    #[test]
    fn a_task_of_the_old_deployment_asks_the_history() {
        let facts = task_on(WEB_41, "ecs-svc/1");
        let deployments = [
            deployment("ecs-svc/2", "PRIMARY", WEB_42),
            deployment("ecs-svc/1", "ACTIVE", WEB_41),
        ];
        assert_eq!(picked(&facts, &deployments), None);
    }

    #[test]
    fn a_completed_deployment_alone_ran_its_own_revision() {
        let facts = task_on(WEB_42, "ecs-svc/2");
        let mut only = deployment("ecs-svc/2", "PRIMARY", WEB_42);
        assert_eq!(picked(&facts, std::slice::from_ref(&only)), None);
        only.rollout_state = Some("COMPLETED".into());
        assert_eq!(
            picked(&facts, &[only]),
            Some((RevisionSource::SteadyDeployment, WEB_42.into()))
        );
    }

    #[test]
    fn another_revision_on_the_only_deployment_ran_before() {
        // The emulator's shape after UpdateService, and AWS's after a rollback.
        let facts = task_on(WEB_42, "ecs-svc/9");
        let deployments = [deployment("ecs-svc/1", "PRIMARY", WEB_41)];
        assert_eq!(
            picked(&facts, &deployments),
            Some((RevisionSource::ServiceDeployments, WEB_41.into()))
        );
    }

    #[test]
    fn only_the_references_that_differ_are_read() {
        let current = with_task_definition(healthy_nat()).task_definition.unwrap();
        let mut previous = current.clone();
        previous.arn = WEB_41.into();
        previous.containers[0].secrets.push(SecretRef {
            name: "OLD".into(),
            value_from: "arn:aws:secretsmanager:us-east-1:123456789012:secret:old-AbCdEf".into(),
        });
        let delta = differing_references(&previous, &current);
        assert_eq!(delta.execution_role_arn, None);
        assert_eq!(delta.containers[0].image, "");
        assert_eq!(delta.containers[0].log_driver, None);
        let names: Vec<&str> = delta.containers[0]
            .secrets
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["OLD"]);
    }

    #[test]
    fn lookups_by_resource_kind() {
        let rtb = plan("rtb-0abc");
        assert_eq!(rtb.region, None);
        assert_eq!(rtb.lookups.len(), 2);
        assert_eq!(rtb.lookups[1].1, "DeleteRoute");
        let role = plan("arn:aws:iam::123456789012:role/web-execution");
        assert_eq!(role.region.as_deref(), Some("us-east-1"));
        assert_eq!(role.lookups[1].1, "web-execution");
        assert_eq!(plan("/ecs/web").lookups.len(), 1);
        let group = plan("arn:aws:logs:us-east-1:123456789012:log-group:/ecs/web:*");
        assert_eq!(group.lookups[1].1, "/ecs/web");
        let secret = plan("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf");
        assert_eq!(secret.lookups[1].1, "db-AbCdEf");
    }
}
