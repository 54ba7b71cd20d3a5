//! The context that turns a diagnosis into a fix, judged from the facts (pure, between the
//! checks and the verdict):
//!
//! * **deployment or environment**: the start-up settings the failing revision changed from
//!   the one that ran before, and whether that previous revision would pass the check that
//!   fails now (the failing check runs again over the facts with the previous revision
//!   swapped in);
//! * **who changed it, and when**: the last CloudTrail change to the root cause's resource;
//! * **who owns it**: the stack (or other infrastructure-as-code marker) its tags name.

use crate::checks::{self, Category, Finding, Status};
use crate::facts::{
    ChangeEvent, Container, Facts, LastChangeOutcome, NetworkConfig, PreviousLookup,
    PreviousRevision, References, Revision, RevisionSource, Tags, TagsLookup, TagsOutcome,
    TaskDefinition,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Deployment or environment: the report's `change`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub previous_task_definition: Option<String>,
    pub cause: Cause,
    #[serde(default)]
    pub differences: Vec<Difference>,
    /// The answer in one sentence, or why there is none.
    pub summary: String,
}

impl Default for Change {
    fn default() -> Self {
        Change {
            previous_task_definition: None,
            cause: Cause::Unknown,
            differences: vec![],
            summary: "Not judged: this report predates the change context.".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The previous revision would pass the failing check: the new revision broke it.
    Deployment,
    /// The previous revision would fail the same way: something outside it changed.
    Environment,
    Unknown,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Deployment => "deployment",
            Cause::Environment => "environment",
            Cause::Unknown => "unknown",
        }
    }
}

/// One start-up setting that differs between the previous revision and the failing one.
/// Values are references (ARNs, names, ids), never secret or environment values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// `containers.web.secrets.DB_PASSWORD`, `executionRoleArn`, `networkConfiguration.subnets`.
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Who changed the root cause's resource, and when: the report's `lastChange`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastChange {
    pub resource: String,
    pub event_name: String,
    pub principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    pub time: Option<String>,
    /// The request's error code, when the change itself failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

/// Who owns the root cause's resource: the report's `owner`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    pub resource: String,
    pub stack: Option<String>,
    pub logical_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_url: Option<String>,
    /// Other infrastructure-as-code tags (`ManagedBy`, `pulumi:project`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub markers: BTreeMap<String, String>,
}

/// Everything this module adds to a report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Assessment {
    pub change: Change,
    pub last_change: Option<LastChange>,
    pub owner: Option<Owner>,
    /// Why `lastChange` or `owner` is null, keyed by that field's name.
    pub unanswered: BTreeMap<String, String>,
    /// Where to make the fix, when a stack owns the resource.
    pub fix_location: Option<String>,
}

/// The resource of the root finding that CloudTrail records changes of and tags can name an
/// owner of: an EC2 network resource, an IAM, Secrets Manager, KMS, SSM, Logs, EFS or ECR
/// resource, or a log group or parameter name. Not the task definition: the revision diff
/// covers it. Of several, the kind the finding's category is about (the route table of a
/// route finding, not its subnet).
pub fn root_resource(root: &Finding) -> Option<&str> {
    const EC2: &[&str] = &[
        "rtb-", "sg-", "acl-", "vpce-", "nat-", "subnet-", "vpc-", "fs-",
    ];
    // The EC2 id prefixes, or the ARN service, of the kind the category is about.
    let (ids, service): (&[&str], Option<&str>) = match root.category {
        Category::NetworkRoute => (&["rtb-", "nat-"], None),
        Category::SecurityGroup => (&["sg-"], None),
        Category::Nacl => (&["acl-"], None),
        Category::VpcEndpoint => (&["vpce-"], None),
        Category::Dns => (&["vpc-"], None),
        Category::IamRole | Category::IamPermission => (&[], Some("iam")),
        Category::Secret => (&[], Some("secretsmanager")),
        Category::Kms => (&[], Some("kms")),
        _ => (&[], None),
    };
    let candidates = root.resources.iter().map(String::as_str).filter(|r| {
        EC2.iter().any(|p| r.starts_with(p))
            || r.starts_with('/')
            || (r.starts_with("arn:") && !r.contains(":task-definition/"))
    });
    candidates
        .clone()
        .find(|r| {
            ids.iter().any(|p| r.starts_with(p))
                || service.is_some_and(|s| crate::arn::is_service(r, s))
        })
        .or_else(|| candidates.clone().next())
}

/// The context of a diagnosis whose root finding is `root`.
pub fn assess(facts: &Facts, root: Option<&Finding>) -> Assessment {
    let mut assessment = Assessment {
        change: judge(facts, root),
        ..Assessment::default()
    };
    let resource = root.and_then(root_resource);
    let Some(resource) = resource else {
        let why = match root {
            None => "no root cause to look up".to_string(),
            Some(root) => format!(
                "the root cause ({}) names no resource with a change history or tags",
                root.id
            ),
        };
        assessment
            .unanswered
            .insert("lastChange".into(), why.clone());
        assessment.unanswered.insert("owner".into(), why);
        return assessment;
    };
    match last_change(facts, resource) {
        Ok(change) => assessment.last_change = Some(change),
        Err(why) => {
            assessment.unanswered.insert("lastChange".into(), why);
        }
    }
    match owner(facts, resource) {
        Ok(owner) => {
            if let Some(stack) = &owner.stack {
                assessment.fix_location = Some(format!(
                    "In stack {stack}{} (a change made outside the stack is undone by its next \
                     update):",
                    owner
                        .logical_id
                        .as_ref()
                        .map(|id| format!(", resource {id}"))
                        .unwrap_or_default()
                ));
            }
            assessment.owner = Some(owner);
        }
        Err(why) => {
            assessment.unanswered.insert("owner".into(), why);
        }
    }
    assessment
}

fn last_change(facts: &Facts, resource: &str) -> Result<LastChange, String> {
    let Some(lookup) = facts
        .change
        .last_change
        .as_ref()
        .filter(|l| l.resource == resource)
    else {
        return Err(format!("CloudTrail was not asked about {resource}"));
    };
    match &lookup.outcome {
        LastChangeOutcome::Found(ChangeEvent {
            event_name,
            principal,
            session_name,
            time,
            error_code,
        }) => Ok(LastChange {
            resource: resource.to_string(),
            event_name: event_name.clone(),
            principal: principal.clone(),
            session_name: session_name.clone(),
            time: time.clone(),
            error_code: error_code.clone(),
        }),
        LastChangeOutcome::NoneRecorded => Err(format!(
            "no change to {resource} recorded in the last {} days (CloudTrail delivery can lag \
             ~15 minutes)",
            lookup.days
        )),
        LastChangeOutcome::Skipped { reason } => Err(format!(
            "the CloudTrail lookup for {resource} was skipped: {reason}"
        )),
    }
}

/// The tags the describe answers carried for `resource`, or why there are none to read.
fn tags<'f>(facts: &'f Facts, resource: &str) -> Result<&'f Tags, String> {
    let network = &facts.network;
    let found = match resource.split('-').next().unwrap_or_default() {
        "rtb" => network
            .route_tables
            .iter()
            .find(|t| t.id == resource)
            .map(|t| &t.tags),
        "sg" => network.security_group(resource).map(|g| &g.tags),
        "acl" => network
            .network_acls
            .iter()
            .find(|a| a.id == resource)
            .map(|a| &a.tags),
        "vpce" => network
            .vpc_endpoints
            .iter()
            .find(|e| e.id == resource)
            .map(|e| &e.tags),
        "nat" => network.nat_gateway(resource).map(|n| &n.tags),
        "subnet" => network.subnet(resource).map(|s| &s.tags),
        _ if resource.contains(":iam::") && resource.contains(":role/") => {
            let role = match &facts.identity.execution_role {
                Some(crate::facts::RoleLookup::Found(role)) if role.arn == resource => Some(role),
                _ => None,
            };
            role.map(|r| &r.tags)
        }
        _ if crate::arn::is_service(resource, "secretsmanager") => facts
            .references
            .secrets
            .iter()
            .find(|s| s.arn.as_deref() == Some(resource) || s.reference == resource)
            .filter(|s| s.lookup == crate::facts::Lookup::Found)
            .map(|s| &s.tags),
        _ if resource.starts_with("fs-") || crate::arn::is_service(resource, "kms") => {
            return match &facts.change.resource_tags {
                Some(TagsLookup {
                    resource: read,
                    outcome,
                }) if read == resource => match outcome {
                    TagsOutcome::Found { tags } => Ok(tags),
                    TagsOutcome::Failed { reason } => Err(format!(
                        "the tags of {resource} could not be read: {reason}"
                    )),
                },
                _ => Err(format!("the tags of {resource} were not read")),
            };
        }
        _ => {
            return Err(format!(
                "{resource}'s tags are not read: the doctor reads the tags of network \
                 resources, roles, secrets, KMS keys and file systems (a missing parameter or \
                 log group has none)"
            ));
        }
    };
    found.ok_or_else(|| {
        format!("{resource} was not described (it may not exist), so its tags are unknown")
    })
}

/// Tag keys that name an infrastructure-as-code tool other than CloudFormation.
fn is_marker(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    matches!(key.as_str(), "managedby" | "managed-by" | "managed_by")
        || ["terraform", "tf:", "pulumi:", "aws:cdk:", "cdk:"]
            .iter()
            .any(|p| key.starts_with(p))
}

fn owner(facts: &Facts, resource: &str) -> Result<Owner, String> {
    let tags = tags(facts, resource)?;
    let stack = tags.get("aws:cloudformation:stack-name").cloned();
    let markers: BTreeMap<String, String> = tags
        .iter()
        .filter(|(k, _)| is_marker(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if stack.is_none() && markers.is_empty() {
        return Err(format!(
            "{resource} has no CloudFormation stack tag (aws:cloudformation:stack-name) and no \
             infrastructure-as-code marker"
        ));
    }
    let region = &facts.task.region;
    let console_url = tags
        .get("aws:cloudformation:stack-id")
        .or(stack.as_ref())
        .map(|id| {
            format!(
                "https://{region}.console.aws.amazon.com/cloudformation/home?region={region}#/stacks/stackinfo?stackId={}",
                percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
            )
        });
    Ok(Owner {
        resource: resource.to_string(),
        stack,
        logical_id: tags.get("aws:cloudformation:logical-id").cloned(),
        console_url,
        markers,
    })
}

/// The revision number of a task definition ARN (`…/web:41` → `41`), else the ARN.
fn revision_name(arn: &str) -> String {
    let name = crate::arn::arn_resource_name(arn);
    match name.rsplit_once(':') {
        Some((_, number)) => format!("revision {number}"),
        None => name.to_string(),
    }
}

fn unknown(summary: impl Into<String>) -> Change {
    Change {
        summary: summary.into(),
        ..Change::default()
    }
}

/// Deployment, environment, or unknown and why.
fn judge(facts: &Facts, root: Option<&Finding>) -> Change {
    let previous = match &facts.change.previous {
        PreviousLookup::NotRead => {
            return unknown(
                "Unknown: the doctor did not read what ran before (the collection stopped \
                 first).",
            );
        }
        PreviousLookup::Standalone => {
            return unknown(
                "Unknown: a standalone task (not started by a service) has no revision that \
                 ran before it.",
            );
        }
        PreviousLookup::FirstDeployment => {
            return unknown(
                "Unknown: the service has no earlier deployment that ECS still describes (its \
                 deployment history starts on 25 October 2024): this may be its first.",
            );
        }
        PreviousLookup::Failed(gap) => {
            return unknown(format!(
                "Unknown: the doctor could not call {} ({}).",
                gap.read, gap.reason
            ));
        }
        PreviousLookup::Found(previous) => previous,
    };
    let Some(current) = facts.task_definition.as_ref() else {
        return unknown(format!(
            "Unknown: the failing task's definition could not be read, so it cannot be compared \
             with {}.",
            revision_name(&previous.before.task_definition_arn)
        ));
    };
    let current = Some(current);
    let before_definition = previous.task_definition.as_ref().or(current);
    let before_arn = &previous.before.task_definition_arn;
    let after = after_revision(facts, previous);
    let differences = match (before_definition, current) {
        (Some(before), Some(current)) => diff(before, current, &previous.before, &after),
        _ => vec![],
    };
    let mut change = Change {
        previous_task_definition: Some(before_arn.clone()),
        cause: Cause::Unknown,
        differences,
        summary: String::new(),
    };
    let before_name = revision_name(before_arn);
    let Some(root) = root else {
        change.summary = format!(
            "Unknown: {before_name} ran before, but there is no root cause to judge it against."
        );
        return change;
    };
    let same_revision = current.is_some_and(|c| &c.arn == before_arn);
    if change.differences.is_empty() {
        change.cause = Cause::Environment;
        change.summary = if same_revision && previous.source == RevisionSource::SteadyDeployment {
            format!(
                "Environment: {before_name} ran before (its deployment completed) and fails \
                 now: something outside the task definition changed."
            )
        } else {
            format!(
                "Environment: {before_name}, which ran before, would fail the same way now: \
                 something outside the task definition changed."
            )
        };
        return change;
    }
    let Some(check) = checks::by_id(&root.id) else {
        change.summary = format!("Unknown: no check {} to judge {before_name} with.", root.id);
        return change;
    };
    if before_definition.is_none() {
        change.summary = format!(
            "Unknown: the doctor could not read {before_name}, so it cannot tell whether it \
             would pass {}.",
            root.id
        );
        return change;
    }
    let swapped = with_previous(facts, previous, &after);
    let results = (check.run)(check, &checks::Context::new(&swapped));
    let fails = results
        .iter()
        .any(|f| matches!(f.status, Status::Fail | Status::Warn));
    let passes = !results.is_empty() && results.iter().all(|f| f.status == Status::Pass);
    let after_name =
        current.map_or_else(|| "the failing revision".into(), |c| revision_name(&c.arn));
    if fails {
        change.cause = Cause::Environment;
        change.summary = format!(
            "Environment: {before_name}, which ran before, would fail {} the same way now: \
             something outside the task definition changed.",
            root.id
        );
    } else if passes {
        change.cause = Cause::Deployment;
        change.summary = format!(
            "Deployment: {after_name} changed {}; {before_name}, which ran before, would pass \
             {}.",
            describe(&change.differences[0]),
            root.id
        );
    } else {
        let why = results
            .iter()
            .find(|f| f.status == Status::Skipped)
            .map(|f| format!(" ({})", f.detail))
            .unwrap_or_default();
        change.summary = format!(
            "Unknown: {} could not be judged for {before_name}{why}.",
            root.id
        );
    }
    change
}

/// The failing revision's service settings: as the deployment source reports them, else as
/// the task and service do.
fn after_revision(facts: &Facts, previous: &PreviousRevision) -> Revision {
    let mut after = previous.after.clone().unwrap_or_default();
    if after.network.is_none() {
        after.network = facts.service.as_ref().map(|s| NetworkConfig {
            subnets: s.subnets.clone(),
            security_groups: s.security_groups.clone(),
            assign_public_ip: s.assign_public_ip.clone(),
        });
    }
    if after.platform_version.is_none() {
        after.platform_version = facts.task.platform_version.clone();
    }
    after
}

/// The facts as the previous revision would meet the environment today.
fn with_previous(facts: &Facts, previous: &PreviousRevision, after: &Revision) -> Facts {
    let mut swapped = facts.clone();
    if let Some(definition) = &previous.task_definition {
        swapped.task.task_definition_arn = Some(definition.arn.clone());
        swapped.task_definition = Some(definition.clone());
    }
    merge(&mut swapped.references, &previous.references);
    if let Some(identity) = &previous.identity {
        swapped.identity = identity.clone();
    }
    swapped.gaps.extend(previous.gaps.iter().cloned());
    if let Some(network) = previous.before.network.as_ref()
        && after.network.as_ref() != Some(network)
    {
        // The previous subnets and groups decide: the failing task's own ENI does not.
        swapped.task.attachment = None;
        swapped.network.network_interface = None;
        if let Some(service) = &mut swapped.service {
            service.subnets = network.subnets.clone();
            service.security_groups = network.security_groups.clone();
            service.assign_public_ip = network.assign_public_ip.clone();
        }
    }
    if previous.before.platform_version.is_some() {
        swapped.task.platform_version = previous.before.platform_version.clone();
    }
    swapped
}

fn merge(into: &mut References, from: &References) {
    into.secrets.extend(from.secrets.iter().cloned());
    into.parameters.extend(from.parameters.iter().cloned());
    into.kms_keys.extend(from.kms_keys.iter().cloned());
    into.log_groups.extend(from.log_groups.iter().cloned());
    into.env_files.extend(from.env_files.iter().cloned());
    into.images.extend(from.images.iter().cloned());
    into.file_systems.extend(from.file_systems.iter().cloned());
}

/// The start-up settings that differ, in the order the task meets them.
pub fn diff(
    before: &TaskDefinition,
    after: &TaskDefinition,
    before_revision: &Revision,
    after_revision: &Revision,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |field: String, before: Option<String>, after: Option<String>| {
        if before != after {
            out.push(Difference {
                field,
                before,
                after,
            });
        }
    };
    push(
        "executionRoleArn".into(),
        before.execution_role_arn.clone(),
        after.execution_role_arn.clone(),
    );
    let mut names: Vec<&str> = before
        .containers
        .iter()
        .chain(&after.containers)
        .map(|c| c.name.as_str())
        .collect();
    names.dedup();
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(*n));
    for name in names {
        let find = |d: &'_ TaskDefinition| d.containers.iter().find(|c| c.name == name).cloned();
        let (b, a) = (find(before), find(after));
        let field = |rest: &str| format!("containers.{name}.{rest}");
        match (&b, &a) {
            (Some(b), Some(a)) => container_diff(b, a, &field, &mut push),
            _ => push(
                format!("containers.{name}"),
                b.map(|c| c.image),
                a.map(|c| c.image),
            ),
        }
        push(
            field("imageDigest"),
            before_revision.image_digests.get(name).cloned(),
            after_revision.image_digests.get(name).cloned(),
        );
    }
    let volumes = |d: &TaskDefinition| -> BTreeMap<String, String> {
        d.efs_volumes
            .iter()
            .map(|v| {
                let mut shown = v.file_system_id.clone();
                if let Some(point) = &v.access_point_id {
                    shown.push_str(&format!(" access point {point}"));
                }
                if v.iam_authorization {
                    shown.push_str(" IAM");
                }
                (v.name.clone(), shown)
            })
            .collect()
    };
    map_diff(
        "volumes",
        "efs",
        &volumes(before),
        &volumes(after),
        &mut push,
    );
    let net = |r: &Revision| r.network.clone();
    if let (Some(b), Some(a)) = (net(before_revision), net(after_revision)) {
        push(
            "networkConfiguration.subnets".into(),
            Some(b.subnets.join(", ")),
            Some(a.subnets.join(", ")),
        );
        push(
            "networkConfiguration.securityGroups".into(),
            Some(b.security_groups.join(", ")),
            Some(a.security_groups.join(", ")),
        );
        push(
            "networkConfiguration.assignPublicIp".into(),
            b.assign_public_ip,
            a.assign_public_ip,
        );
    }
    if before_revision.platform_version.is_some() && after_revision.platform_version.is_some() {
        push(
            "platformVersion".into(),
            before_revision.platform_version.clone(),
            after_revision.platform_version.clone(),
        );
    }
    out
}

fn container_diff(
    b: &Container,
    a: &Container,
    field: &dyn Fn(&str) -> String,
    push: &mut dyn FnMut(String, Option<String>, Option<String>),
) {
    push(field("image"), Some(b.image.clone()), Some(a.image.clone()));
    let refs = |c: &Container| -> BTreeMap<String, String> {
        c.secrets
            .iter()
            .map(|s| (s.name.clone(), s.value_from.clone()))
            .collect()
    };
    map_diff(&field("secrets"), "", &refs(b), &refs(a), push);
    push(
        field("repositoryCredentials"),
        b.repository_credentials.clone(),
        a.repository_credentials.clone(),
    );
    push(
        field("logConfiguration.logDriver"),
        b.log_driver.clone(),
        a.log_driver.clone(),
    );
    map_diff(
        &field("logConfiguration.options"),
        "",
        &b.awslogs_options,
        &a.awslogs_options,
        push,
    );
    let log_refs = |c: &Container| -> BTreeMap<String, String> {
        c.log_secret_options
            .iter()
            .map(|s| (s.name.clone(), s.value_from.clone()))
            .collect()
    };
    map_diff(
        &field("logConfiguration.secretOptions"),
        "",
        &log_refs(b),
        &log_refs(a),
        push,
    );
    let files = |c: &Container| Some(c.environment_files.join(", ")).filter(|f| !f.is_empty());
    push(field("environmentFiles"), files(b), files(a));
}

/// Differences of two keyed maps: `prefix.KEY[.suffix]`.
fn map_diff(
    prefix: &str,
    suffix: &str,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    push: &mut dyn FnMut(String, Option<String>, Option<String>),
) {
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let field = if suffix.is_empty() {
            format!("{prefix}.{key}")
        } else {
            format!("{prefix}.{key}.{suffix}")
        };
        push(field, before.get(key).cloned(), after.get(key).cloned());
    }
}

/// A difference in words: "the secret DB_PASSWORD of container web from X to Y".
pub fn describe(difference: &Difference) -> String {
    let parts: Vec<&str> = difference.field.splitn(3, '.').collect();
    let what = match parts.as_slice() {
        ["containers", name, rest] => {
            let (kind, key) = rest.split_once('.').unwrap_or((rest, ""));
            match kind {
                "secrets" => format!("the secret {key} of container {name}"),
                "image" => format!("the image of container {name}"),
                "imageDigest" => format!("the image digest of container {name}"),
                "repositoryCredentials" => format!("the registry credentials of container {name}"),
                "environmentFiles" => format!("the environment files of container {name}"),
                "logConfiguration" => format!("the log configuration ({key}) of container {name}"),
                _ => format!("{rest} of container {name}"),
            }
        }
        ["containers", name] => format!("container {name}"),
        ["executionRoleArn"] => "the execution role".into(),
        ["volumes", name, _] => format!("the EFS volume {name}"),
        ["networkConfiguration", "subnets"] => "the service's subnets".into(),
        ["networkConfiguration", "securityGroups"] => "the service's security groups".into(),
        ["networkConfiguration", "assignPublicIp"] => "the service's assignPublicIp".into(),
        ["platformVersion"] => "the platform version".into(),
        _ => difference.field.clone(),
    };
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    format!(
        "{what} from {} to {}",
        shown(&difference.before),
        shown(&difference.after)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::diagnose_facts;
    use crate::facts::{
        Deployment, LastChangeLookup, Lookup, SecretLookup, SecretRef, Service, TaskDefinition,
    };
    use crate::test_support::{TASK_TABLE, healthy_nat, task_default_route, with_task_definition};

    const WEB_41: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:41";
    const OLD_SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-old-AbCdEf";

    fn secret(reference: &str, lookup: Lookup) -> SecretLookup {
        SecretLookup {
            reference: reference.into(),
            region: "us-east-1".into(),
            arn: (lookup == Lookup::Found).then(|| reference.to_string()),
            lookup,
            name: None,
            deleted_date: None,
            kms_key_id: None,
            version_stages: vec!["AWSCURRENT".into()],
            version_ids: vec!["v1".into()],
            resource_policy: None,
            resource_policy_gap: None,
            tags: Tags::new(),
        }
    }

    /// The task definition's only secret now names one that does not exist; revision 41 named
    /// one that does.
    fn secret_swapped() -> Facts {
        let mut facts = with_task_definition(healthy_nat());
        let definition = facts.task_definition.as_mut().unwrap();
        let current = definition.containers[0].secrets[0].value_from.clone();
        facts.references.secrets = vec![secret(&current, Lookup::NotFound)];
        let mut previous: TaskDefinition = definition.clone();
        previous.arn = WEB_41.into();
        previous.revision = 41;
        previous.containers[0].secrets = vec![SecretRef {
            name: previous.containers[0].secrets[0].name.clone(),
            value_from: OLD_SECRET.into(),
        }];
        facts.task.stopped_reason = "ResourceInitializationError: unable to pull secrets or \
            registry auth: execution resource retrieval failed: unable to retrieve secret from \
            asm: service call has been retried 1 time(s): failed to fetch secret: \
            ResourceNotFoundException: Secrets Manager can't find the specified secret."
            .into();
        facts.change.previous = PreviousLookup::Found(Box::new(PreviousRevision {
            before: Revision {
                task_definition_arn: WEB_41.into(),
                ..Revision::default()
            },
            task_definition: Some(previous),
            references: References {
                secrets: vec![secret(OLD_SECRET, Lookup::Found)],
                ..References::default()
            },
            ..PreviousRevision::default()
        }));
        facts
    }

    #[test]
    fn a_revision_that_swapped_its_secret_is_the_deployment() {
        let report = diagnose_facts(&secret_swapped());
        assert_eq!(report.root_cause.as_deref(), Some("secret.exists"));
        assert_eq!(
            report.change.cause,
            Cause::Deployment,
            "{:?}",
            report.change
        );
        assert_eq!(
            report.change.previous_task_definition.as_deref(),
            Some(WEB_41)
        );
        let difference = &report.change.differences[0];
        assert!(
            difference.field.ends_with(".secrets.DB_PASSWORD"),
            "{difference:?}"
        );
        assert_eq!(difference.before.as_deref(), Some(OLD_SECRET));
        assert!(
            report
                .change
                .summary
                .contains("revision 41, which ran before, would pass")
        );
    }

    #[test]
    fn a_previous_revision_failing_the_same_way_is_the_environment() {
        let mut facts = secret_swapped();
        let PreviousLookup::Found(previous) = &mut facts.change.previous else {
            unreachable!()
        };
        previous.references.secrets[0].lookup = Lookup::NotFound;
        previous.references.secrets[0].arn = None;
        let report = diagnose_facts(&facts);
        assert_eq!(
            report.change.cause,
            Cause::Environment,
            "{:?}",
            report.change
        );
        assert!(
            report
                .change
                .summary
                .contains("would fail secret.exists the same way")
        );
    }

    #[test]
    fn a_previous_revision_whose_reference_was_not_read_is_unknown() {
        let mut facts = secret_swapped();
        let PreviousLookup::Found(previous) = &mut facts.change.previous else {
            unreachable!()
        };
        previous.references.secrets.clear();
        let report = diagnose_facts(&facts);
        assert_eq!(report.change.cause, Cause::Unknown, "{:?}", report.change);
    }

    #[test]
    fn a_steady_deployment_on_a_broken_route_is_the_environment() {
        let mut facts = with_task_definition(healthy_nat());
        task_default_route(&mut facts).state = Some("blackhole".into());
        let arn = facts.task_definition.as_ref().unwrap().arn.clone();
        facts.change.previous = PreviousLookup::Found(Box::new(PreviousRevision {
            source: RevisionSource::SteadyDeployment,
            before: Revision {
                task_definition_arn: arn.clone(),
                ..Revision::default()
            },
            ..PreviousRevision::default()
        }));
        let report = diagnose_facts(&facts);
        assert_eq!(report.change.cause, Cause::Environment);
        assert!(report.change.differences.is_empty());
        assert_eq!(
            report.change.previous_task_definition.as_deref(),
            Some(arn.as_str())
        );
    }

    #[test]
    fn a_standalone_task_is_unknown() {
        let mut facts = healthy_nat();
        facts.change.previous = PreviousLookup::Standalone;
        let report = diagnose_facts(&facts);
        assert_eq!(report.change.cause, Cause::Unknown);
        assert!(report.change.summary.contains("standalone"));
    }

    #[test]
    fn a_changed_network_configuration_is_a_difference() {
        let network = |subnet: &str| NetworkConfig {
            subnets: vec![subnet.into()],
            security_groups: vec!["sg-0task".into()],
            assign_public_ip: Some("DISABLED".into()),
        };
        let definition = with_task_definition(healthy_nat()).task_definition.unwrap();
        let before = Revision {
            network: Some(network("subnet-0old")),
            platform_version: Some("1.4.0".into()),
            ..Revision::default()
        };
        let after = Revision {
            network: Some(network("subnet-0task")),
            platform_version: Some("1.4.0".into()),
            ..Revision::default()
        };
        let differences = diff(&definition, &definition, &before, &after);
        assert_eq!(differences.len(), 1);
        assert_eq!(differences[0].field, "networkConfiguration.subnets");
        assert_eq!(
            describe(&differences[0]),
            "the service's subnets from subnet-0old to subnet-0task"
        );
    }

    #[test]
    fn the_owner_comes_from_the_stack_tags_and_moves_the_fix_into_the_stack() {
        let mut facts = healthy_nat();
        task_default_route(&mut facts).state = Some("blackhole".into());
        let table = facts
            .network
            .route_tables
            .iter_mut()
            .find(|t| t.id == TASK_TABLE)
            .unwrap();
        table.tags = Tags::from([
            (
                "aws:cloudformation:stack-name".into(),
                "network-prod".into(),
            ),
            (
                "aws:cloudformation:logical-id".into(),
                "PrivateRouteTable".into(),
            ),
        ]);
        let report = diagnose_facts(&facts);
        let owner = report.owner.as_ref().expect("owner");
        assert_eq!(owner.resource, TASK_TABLE);
        assert_eq!(owner.stack.as_deref(), Some("network-prod"));
        assert_eq!(owner.logical_id.as_deref(), Some("PrivateRouteTable"));
        assert!(
            owner
                .console_url
                .as_deref()
                .unwrap()
                .contains("stackId=network%2Dprod")
        );
        let root = report.root_finding().unwrap();
        assert!(
            root.remediation
                .starts_with("In stack network-prod, resource PrivateRouteTable (a change"),
            "{}",
            root.remediation
        );
    }

    #[test]
    fn a_keys_tags_come_from_its_own_read_and_a_failed_read_says_so() {
        use crate::facts::{TagsLookup, TagsOutcome};
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd";
        let mut facts = healthy_nat();
        assert!(tags(&facts, key).unwrap_err().contains("were not read"));
        facts.change.resource_tags = Some(TagsLookup {
            resource: key.into(),
            outcome: TagsOutcome::Found {
                tags: [(
                    "aws:cloudformation:stack-name".to_string(),
                    "kms-prod".to_string(),
                )]
                .into(),
            },
        });
        assert_eq!(
            owner(&facts, key).unwrap().stack.as_deref(),
            Some("kms-prod")
        );
        facts.change.resource_tags = Some(TagsLookup {
            resource: key.into(),
            outcome: TagsOutcome::Failed {
                reason: "the doctor's role may not call kms:ListResourceTags".into(),
            },
        });
        assert!(
            tags(&facts, key)
                .unwrap_err()
                .contains("could not be read: the doctor's role may not call kms:ListResourceTags")
        );
        // Another resource's read is not this one's.
        assert!(
            tags(&facts, "fs-0123")
                .unwrap_err()
                .contains("were not read")
        );
    }

    #[test]
    fn an_untagged_resource_says_why_it_has_no_owner() {
        let mut facts = healthy_nat();
        task_default_route(&mut facts).state = Some("blackhole".into());
        let report = diagnose_facts(&facts);
        assert_eq!(report.owner, None);
        assert!(report.unanswered["owner"].contains("no CloudFormation stack tag"));
    }

    #[test]
    fn the_last_change_is_reported_and_none_recorded_is_said_with_the_lag() {
        let mut facts = healthy_nat();
        task_default_route(&mut facts).state = Some("blackhole".into());
        let event = ChangeEvent {
            event_name: "DeleteRoute".into(),
            principal: Some("arn:aws:sts::123456789012:assumed-role/ops/jane".into()),
            session_name: Some("jane".into()),
            time: Some("2026-11-25T09:58:00Z".into()),
            error_code: None,
        };
        facts.change.last_change = Some(LastChangeLookup {
            resource: TASK_TABLE.into(),
            days: 7,
            calls: 1,
            outcome: LastChangeOutcome::Found(event),
        });
        let report = diagnose_facts(&facts);
        let last = report.last_change.as_ref().expect("last change");
        assert_eq!(last.event_name, "DeleteRoute");
        assert_eq!(last.session_name.as_deref(), Some("jane"));

        facts.change.last_change.as_mut().unwrap().outcome = LastChangeOutcome::NoneRecorded;
        let report = diagnose_facts(&facts);
        assert_eq!(report.last_change, None);
        assert!(report.unanswered["lastChange"].contains("lag ~15 minutes"));
    }

    #[test]
    fn the_service_deployments_are_kept_in_saved_facts() {
        let service = Service {
            deployments: vec![Deployment {
                id: "ecs-svc/1".into(),
                ..Deployment::default()
            }],
            ..Service::default()
        };
        let json = serde_json::to_string(&service).unwrap();
        let back: Service = serde_json::from_str(&json).unwrap();
        assert_eq!(back, service);
    }
}
