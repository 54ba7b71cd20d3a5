//! Ranks the findings and names one root cause, and assembles the report (the JSON contract
//! documented in the README's report section).

use crate::change::{Change, LastChange, Owner};
use crate::checks::{Category, Finding, Scope, Severity, Status};
use crate::facts::Facts;
use crate::reason::{ErrorKind, Failure, Stage};
use crate::text::redact;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub task: TaskSummary,
    pub failure: Failure,
    pub root_cause: Option<String>,
    pub findings: Vec<Finding>,
    /// Set on an alert that stands for repeats: this root cause stopped tasks again while
    /// earlier alerts were held back, or hit several services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    /// A read was throttled or timed out: the diagnosis may have missed the fault, so it is
    /// never cached as the answer for its signature (a denied read is not transient: it fails
    /// the same way next time).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub degraded: bool,
    /// Why the root cause was chosen, or what was checked when nothing was wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// Deployment or environment: what the failing revision changed from the one before.
    #[serde(default)]
    pub change: Change,
    /// The last recorded change to the root cause's resource (CloudTrail).
    #[serde(default)]
    pub last_change: Option<LastChange>,
    /// The stack (or other infrastructure-as-code tool) that owns the root cause's resource.
    #[serde(default)]
    pub owner: Option<Owner>,
    /// Why `lastChange` or `owner` is null, by field name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unanswered: BTreeMap<String, String>,
    /// Failed or warning findings the stoppedReason rules out as this stop's cause (another
    /// stage, or an error the message disproves): real faults that will fail next.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_broken: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recurrence {
    /// Diagnoses held back since the previous alert.
    pub repeats: u64,
    /// When the previous alert went out (RFC 3339).
    pub since: Option<String>,
    /// Every service this root cause has stopped tasks of.
    pub services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSummary {
    pub arn: String,
    pub cluster: String,
    pub group: Option<String>,
    pub task_definition: Option<String>,
    pub launch_type: Option<String>,
    pub platform_version: Option<String>,
    pub stopped_reason: String,
    /// The container's reason the failure was read from, when the task's own says nothing
    /// of the start (EC2 image pulls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_reason: Option<String>,
    pub stopped_at: Option<String>,
    pub region: String,
    pub account: String,
    /// The account's alias, when it has one and the doctor could read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_alias: Option<String>,
}

impl Report {
    pub fn root_finding(&self) -> Option<&Finding> {
        let id = self.root_cause.as_deref()?;
        self.findings.iter().find(|f| f.id == id)
    }

    /// What the team calls the thing that failed: see [`crate::facts::workload`].
    pub fn workload(&self) -> &str {
        crate::facts::workload(self.task.group.as_deref(), &self.task.arn)
    }

    /// Whether a read failed or timed out (`platform.reads` lists them): such a diagnosis may
    /// have missed the fault, so it is never cached as the answer for its signature.
    pub fn is_degraded(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.id == crate::checks::platform::READS.id)
    }

    /// Whether the root cause's check finds faults every task in the VPC shares: the ledger
    /// then sends one alert for every service the fault stops.
    pub fn root_is_vpc_wide(&self) -> bool {
        self.root_finding()
            .and_then(|root| crate::checks::by_id(&root.id))
            .is_some_and(|check| check.scope == Scope::Vpc)
    }

    /// The severity of the root cause's check.
    pub fn severity(&self) -> Option<Severity> {
        let root = self.root_finding()?;
        crate::checks::by_id(&root.id).map(|check| check.severity)
    }
}

/// Renders the report, dropping the least important findings until the rendering fits in
/// `limit` bytes: passes first, then info, skipped and warnings, then failures other than the
/// root cause, which always stays. A trimmed report says so in its evidence ("… left out to
/// fit `what`"). Returns the rendering and how many findings were dropped.
pub fn fit_report(
    report: &Report,
    limit: usize,
    what: &str,
    render: impl Fn(&Report) -> String,
) -> (String, usize) {
    let mut trimmed = report.clone();
    let mut rendered = render(&trimmed);
    let mut dropped = 0;
    while rendered.len() > limit {
        let victim = [
            Status::Pass,
            Status::Info,
            Status::Skipped,
            Status::Warn,
            Status::Fail,
        ]
        .iter()
        .find_map(|status| {
            trimmed.findings.iter().rposition(|f| {
                f.status == *status && Some(f.id.as_str()) != report.root_cause.as_deref()
            })
        });
        let Some(index) = victim else { break };
        trimmed.findings.remove(index);
        dropped += 1;
        trimmed.evidence = report.evidence.clone();
        trimmed.evidence.push(format!(
            "{dropped} lower-priority finding(s) were left out to fit {what}; the root cause \
             and its fix are complete."
        ));
        rendered = render(&trimmed);
    }
    if rendered.len() > limit {
        // Only the root cause is left and still too large (a huge stoppedReason): cut the text.
        trimmed.task.stopped_reason = crate::text::truncate(&trimmed.task.stopped_reason, 2_000);
        if let Some(reason) = &mut trimmed.task.container_reason {
            *reason = crate::text::truncate(reason, 2_000);
        }
        rendered = render(&trimmed);
    }
    (rendered, dropped)
}

/// Orders findings most likely cause first and picks the root cause.
pub fn judge(facts: &Facts, failure: Failure, mut findings: Vec<Finding>) -> Report {
    // A stable sort keeps the checks' own order among equals.
    let placed = facts.task.container_instance_arn.is_some();
    findings.sort_by_key(|f| rank(&failure, f, placed));
    let broken = |f: &&mut Finding| matches!(f.status, Status::Fail | Status::Warn);
    let mut also_broken = Vec::new();
    for finding in findings.iter_mut().filter(broken) {
        if !allowed(&failure, finding, placed) {
            let why = if finding.id == crate::checks::platform::MANAGED_INSTANCES.id {
                "fails the next instance launch; this task was already placed on an instance"
            } else {
                "will fail next; the stoppedReason rules it out as this stop's cause"
            };
            finding.detail = format!("Also broken ({why}): {}", finding.detail);
            also_broken.push(finding.id.clone());
        }
    }
    let root_cause = findings
        .iter()
        .find(|f| matches!(f.status, Status::Fail | Status::Warn) && !also_broken.contains(&f.id))
        .map(|f| f.id.clone());
    let evidence = evidence(&failure, &findings, root_cause.as_deref(), &also_broken);
    let task = &facts.task;
    Report {
        schema_version: SCHEMA_VERSION,
        task: TaskSummary {
            arn: task.arn.clone(),
            cluster: task.cluster_name().to_string(),
            group: task.group.clone(),
            task_definition: task.task_definition_arn.clone(),
            launch_type: task.launch_type.clone(),
            platform_version: task.platform_version.clone(),
            stopped_reason: redact(&task.stopped_reason),
            container_reason: task.container_reason.as_deref().map(redact),
            stopped_at: task.stopped_at.clone(),
            region: task.region.clone(),
            account: task.account.clone(),
            account_alias: facts.account_alias.clone(),
        },
        failure,
        root_cause,
        findings,
        recurrence: None,
        degraded: facts.gaps.iter().any(|gap| gap.transient),
        evidence,
        also_broken,
        change: Change::default(),
        last_change: None,
        owner: None,
        unanswered: BTreeMap::new(),
    }
}

/// Adds what changed, who changed it and who owns it ([`crate::change`]) to a judged report,
/// once: the root cause's fix then says which stack to change it in.
pub fn add_context(report: &mut Report, facts: &Facts) {
    let context = crate::change::assess(facts, report.root_finding());
    report.change = context.change;
    report.last_change = context.last_change;
    report.owner = context.owner;
    report.unanswered = context.unanswered;
    if let Some(location) = context.fix_location {
        let id = report.root_cause.clone();
        if let Some(root) = report
            .findings
            .iter_mut()
            .find(|f| Some(&f.id) == id.as_ref())
        {
            root.remediation = format!("{location} {}", root.remediation);
        }
    }
}

/// The evidence behind the verdict: what the message says, why the root cause ranked first,
/// and what was ruled out.
fn evidence(
    failure: &Failure,
    ranked: &[Finding],
    root_cause: Option<&str>,
    also_broken: &[String],
) -> Vec<String> {
    let mut lines = vec![format!(
        "The stoppedReason says: stage {}, error {}{}{}.",
        crate::text::enum_name(&failure.stage),
        crate::text::enum_name(&failure.error),
        failure
            .resource
            .as_ref()
            .map(|r| format!(", resource {r}"))
            .unwrap_or_default(),
        failure
            .action
            .as_ref()
            .map(|a| format!(", action {a}"))
            .unwrap_or_default(),
    )];
    let passed: Vec<&str> = ranked
        .iter()
        .filter(|f| f.status == Status::Pass)
        .map(|f| f.id.as_str())
        .collect();
    match ranked.iter().find(|f| Some(f.id.as_str()) == root_cause) {
        Some(root) => {
            let names = failure
                .resource
                .as_ref()
                .is_some_and(|r| root.resources.contains(r));
            let failing = ranked.iter().filter(|f| f.status == Status::Fail).count();
            lines.push(if names {
                format!("{} is about the very resource the message names.", root.id)
            } else if failing <= 1 {
                format!("{} is the only check that failed.", root.id)
            } else {
                format!(
                    "{} ranks first of {failing} failed checks: its category ({}) fits a {} \
                     error best, in the order the task meets it.",
                    root.id,
                    root.category.as_str(),
                    crate::text::enum_name(&failure.error)
                )
            });
        }
        None if failure.aws_side => lines.push(format!(
            "The message shows a failure the configuration did not cause: {}.",
            crate::reason::AWS_SIDE_ADVICE
        )),
        None if !also_broken.is_empty() => lines.push(format!(
            "No fault found that fits a {} error at stage {}: probably transient; retry, and \
             open a support case if it persists.",
            crate::text::enum_name(&failure.error),
            crate::text::enum_name(&failure.stage)
        )),
        None => lines.push("No configuration fault found: probably transient.".into()),
    }
    if !also_broken.is_empty() {
        lines.push(format!(
            "Also broken, will fail next (ruled out as this stop's cause by the message): {}.",
            also_broken.join(", ")
        ));
    }
    if !passed.is_empty() {
        lines.push(format!(
            "Ruled out ({} passed): {}.",
            passed.len(),
            passed.join(", ")
        ));
    }
    lines
}

/// Smaller is more likely: status first, then whether the message allows the finding as its
/// cause, then whether the finding names the resource the message names, then how well its
/// category fits what the message says.
fn rank(failure: &Failure, finding: &Finding, placed: bool) -> (Status, bool, bool, u8) {
    (
        finding.status,
        !allowed(failure, finding, placed),
        !names_resource(failure, finding),
        fit(failure, finding.category),
    )
}

fn names_resource(failure: &Failure, finding: &Finding) -> bool {
    failure
        .resource
        .as_ref()
        .is_some_and(|r| finding.resources.iter().any(|res| res == r))
}

/// Whether the finding may be this stop's cause: a capacity provider that cannot launch
/// instances did not stop a task already placed on one (`placed`), though it may have stopped
/// one it never placed; any other finding as the stoppedReason allows it ([`consistent`]).
fn allowed(failure: &Failure, finding: &Finding, placed: bool) -> bool {
    if finding.id == crate::checks::platform::MANAGED_INSTANCES.id {
        return !placed;
    }
    consistent(failure, finding)
}

/// Whether the stoppedReason allows the finding as this stop's cause: its stage is the
/// message's, and its kind of fault can produce the message's error. A network timeout proves
/// the call never reached the service (so no denial on it stopped the task); an AccessDenied
/// or NotFound proves the network worked; a fault of another stage did not stop this task.
fn consistent(failure: &Failure, finding: &Finding) -> bool {
    use Category::*;
    let category = finding.category;
    // The ENI and the container runtime are past what the checks look at; the stages that
    // fetch nothing over the network are not the network's fault.
    let network_stage = match failure.stage {
        Stage::TaskNetwork | Stage::ContainerRuntime | Stage::ImageContent => false,
        Stage::LogRouter => failure.error == ErrorKind::Network,
        _ => true,
    };
    if failure.aws_side {
        return category == IamRole && network_stage;
    }

    // An endpoint policy answers with a denial: the network worked.
    let denial = finding.id == crate::checks::endpoint::POLICY.id;
    let kind_fits = match failure.error {
        ErrorKind::Network => {
            (category.is_network() && !denial) || (category == Efs && failure.stage == Stage::Efs)
        }
        ErrorKind::AccessDenied => !matches!(
            category,
            NetworkRoute | PublicIp | SecurityGroup | Nacl | Dns
        ),
        ErrorKind::NotFound | ErrorKind::InvalidReference | ErrorKind::Kms => {
            !category.is_network()
        }
        ErrorKind::Unknown | ErrorKind::Throttled => true,
    };
    if !kind_fits {
        return false;
    }
    if category.is_network() {
        return network_stage;
    }
    match finding_stages(finding) {
        Some(stages) => failure.stage == Stage::Other || stages.contains(&failure.stage),
        None => network_stage || category == Platform,
    }
}

/// The stages a finding's fault shows up at; `None` for faults every stage meets (the role,
/// the network).
fn finding_stages(finding: &Finding) -> Option<&'static [Stage]> {
    use Stage::*;
    const SECRETS: &[Stage] = &[SecretsManager, PrivateRegistryAuth, SecretsOrAuth];
    const PARAMETERS: &[Stage] = &[Ssm, SecretsOrAuth];
    const KEYS: &[Stage] = &[SecretsManager, Ssm, PrivateRegistryAuth, SecretsOrAuth];
    const IMAGES: &[Stage] = &[ImagePull, EcrAuth, PrivateRegistryAuth, SecretsOrAuth];
    Some(match finding.category {
        Category::Secret => SECRETS,
        Category::SsmParameter => PARAMETERS,
        Category::Kms => KEYS,
        Category::Registry => IMAGES,
        Category::LogGroup => &[Logging],
        Category::EnvFile => &[EnvFiles],
        Category::Efs => &[Efs],
        // A permission belongs to the stage of the service its resource is in.
        Category::IamPermission => {
            let service = finding
                .resources
                .iter()
                .filter_map(|r| r.split(':').nth(2))
                .find(|s| *s != "iam" && *s != "sts")?;
            match service {
                "secretsmanager" => SECRETS,
                "ssm" => PARAMETERS,
                "kms" => KEYS,
                "ecr" => IMAGES,
                "logs" => &[Logging],
                "s3" => &[EnvFiles],
                "elasticfilesystem" => &[Efs],
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// How well a category explains the failure: 0 best.
///
/// A referenced thing that is missing or unusable (a secret, a parameter, a disabled key)
/// outranks a missing permission on it: no grant fixes a secret that does not exist, and
/// ECS often reports such a secret as AccessDenied.
fn fit(failure: &Failure, category: Category) -> u8 {
    use Category::*;
    let named_stage = match failure.stage {
        Stage::SecretsManager | Stage::PrivateRegistryAuth => Some(Secret),
        Stage::Ssm => Some(SsmParameter),
        Stage::Logging => Some(LogGroup),
        Stage::EnvFiles => Some(EnvFile),
        Stage::Efs => Some(Efs),
        Stage::ImagePull | Stage::EcrAuth | Stage::ImageContent => Some(Registry),
        Stage::SecretsOrAuth
        | Stage::TaskNetwork
        | Stage::ContainerRuntime
        | Stage::LogRouter
        | Stage::Other => None,
    };
    let reference = matches!(
        category,
        Secret | SsmParameter | LogGroup | EnvFile | Efs | Registry | Kms
    );
    let stage_bonus = u8::from(named_stage != Some(category));
    match failure.error {
        // `signal: killed`, timeouts and unclassified messages are usually the network path.
        // In the order the hops come on the path: route, name resolution, endpoint, security
        // groups, network ACLs; then the role, what it fetches, and its permissions.
        ErrorKind::Network | ErrorKind::Unknown | ErrorKind::Throttled => match category {
            NetworkRoute | PublicIp => 0,
            Dns => 1,
            VpcEndpoint => 2,
            SecurityGroup => 3,
            Nacl => 4,
            IamRole => 5,
            _ if reference => 6 + stage_bonus,
            IamPermission => 8,
            _ => 9,
        },
        ErrorKind::AccessDenied | ErrorKind::NotFound | ErrorKind::InvalidReference => {
            match category {
                IamRole => 0,
                _ if reference => 1 + stage_bonus,
                IamPermission => 3,
                VpcEndpoint => 4,
                _ => 9,
            }
        }
        ErrorKind::Kms => match category {
            Kms => 0,
            IamRole => 1,
            _ if reference => 2 + stage_bonus,
            IamPermission => 4,
            _ => 9,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::diagnose_facts;
    use crate::test_support::{healthy_nat, task_default_route};

    #[test]
    fn a_healthy_task_has_no_root_cause() {
        let report = diagnose_facts(&healthy_nat());
        assert_eq!(report.root_cause, None);
        assert!(report.findings.iter().all(|f| f.status != Status::Fail));
    }

    #[test]
    fn failures_come_first_and_the_first_is_the_root_cause() {
        let mut facts = healthy_nat();
        facts.network.nat_gateways[0].state = Some("failed".into());
        let report = diagnose_facts(&facts);
        assert_eq!(report.root_cause.as_deref(), Some("network.nat-gateway"));
        assert_eq!(report.findings[0].id, "network.nat-gateway");
        let statuses: Vec<Status> = report.findings.iter().map(|f| f.status).collect();
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(statuses, sorted);
    }

    #[test]
    fn a_warning_is_the_suspected_cause_when_nothing_fails() {
        let mut facts = healthy_nat();
        task_default_route(&mut facts).target =
            crate::facts::RouteTarget::TransitGateway("tgw-0".into());
        let report = diagnose_facts(&facts);
        assert_eq!(report.root_cause.as_deref(), Some("network.default-route"));
        assert_eq!(report.root_finding().unwrap().status, Status::Warn);
    }

    #[test]
    fn the_finding_naming_the_messages_resource_ranks_first() {
        let facts = healthy_nat();
        let failure = crate::reason::classify(
            "ResourceInitializationError: ... AccessDeniedException: ... is not authorized to \
             perform: secretsmanager:GetSecretValue on resource: \
             arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf because no \
             identity-based policy allows it",
        );
        let check = crate::checks::by_id("iam.permissions").unwrap();
        let unrelated = check.fail(
            "another secret",
            &["arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf"],
        );
        let mut named = check.fail(
            "names the secret",
            &["arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"],
        );
        named.id = "named".into();
        let report = judge(&facts, failure, vec![unrelated, named]);
        assert_eq!(report.root_cause.as_deref(), Some("named"));
    }

    const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
    const SECRET_TIMEOUT: &str = "ResourceInitializationError: unable to pull secrets or \
        registry auth: unable to retrieve secret from asm: There is a connection issue between \
        the task and AWS Secrets Manager. Check your task network configuration. failed to \
        fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf from \
        secrets manager: operation error Secrets Manager: GetSecretValue, https response error \
        StatusCode: 0, RequestID: , canceled, context deadline exceeded";
    const SECRET_DENIED: &str = "ResourceInitializationError: unable to pull secrets or \
        registry auth: execution resource retrieval failed: unable to retrieve secret from asm: \
        service call has been retried 1 time(s): failed to fetch secret \
        arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf from secrets manager: \
        AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/web-execution/abc \
        is not authorized to perform: secretsmanager:GetSecretValue on resource: \
        arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf because no \
        identity-based policy allows the secretsmanager:GetSecretValue action";

    /// Two faults at once: the NAT gateway has failed and the execution role may not read
    /// the secret.
    fn network_and_iam(reason: &str) -> Facts {
        use crate::facts::{Identity, Role, RoleLookup, Simulation, SimulationDecision};
        let mut facts = crate::test_support::with_task_definition(healthy_nat());
        facts.network.nat_gateways[0].state = Some("failed".into());
        facts.identity = Identity {
            execution_role: Some(RoleLookup::Found(Role {
                arn: "arn:aws:iam::123456789012:role/web-execution".into(),
                name: "web-execution".into(),
                trust_policy: Some(
                    r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
                        .into(),
                ),
                ..Role::default()
            })),
            simulations: vec![Simulation {
                action: "secretsmanager:GetSecretValue".into(),
                resource: SECRET.into(),
                decision: SimulationDecision::ImplicitDeny,
                ..Simulation::default()
            }],
        };
        facts.task.stopped_reason = reason.into();
        facts
    }

    #[test]
    fn a_network_message_blames_the_network_not_the_denial_it_rules_out() {
        let report = diagnose_facts(&network_and_iam(SECRET_TIMEOUT));
        assert_eq!(report.root_cause.as_deref(), Some("network.nat-gateway"));
        assert_eq!(report.also_broken, ["iam.permissions"]);
        let iam = report
            .findings
            .iter()
            .find(|f| f.id == "iam.permissions")
            .unwrap();
        assert!(
            iam.detail.starts_with("Also broken (will fail next"),
            "{}",
            iam.detail
        );
        assert!(
            report
                .evidence
                .iter()
                .any(|e| e.contains("iam.permissions"))
        );
    }

    #[test]
    fn an_access_denied_message_proves_the_network_worked() {
        let report = diagnose_facts(&network_and_iam(SECRET_DENIED));
        assert_eq!(report.root_cause.as_deref(), Some("iam.permissions"));
        assert!(
            report
                .also_broken
                .contains(&"network.nat-gateway".to_string())
        );
        let nat = report
            .findings
            .iter()
            .position(|f| f.id == "network.nat-gateway")
            .unwrap();
        let iam = report
            .findings
            .iter()
            .position(|f| f.id == "iam.permissions")
            .unwrap();
        assert!(iam < nat, "the denial ranks above the NAT gateway");
    }

    #[test]
    fn a_later_stage_fault_behind_an_earlier_message_fails_next() {
        use crate::facts::{ImageLookup, KmsKey, Lookup};
        let mut facts = crate::test_support::with_task_definition(healthy_nat());
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd";
        facts.references.kms_keys.push(KmsKey {
            reference: key.into(),
            region: "us-east-1".into(),
            lookup: Lookup::Found,
            arn: Some(key.into()),
            state: Some("Disabled".into()),
            manager: Some("CUSTOMER".into()),
            policy: None,
            policy_gap: None,
        });
        facts.references.images.push(ImageLookup {
            image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.8.2".into(),
            repository_arn: "arn:aws:ecr:us-east-1:123456789012:repository/web".into(),
            repository: Lookup::NotFound,
            image_lookup: Lookup::NotFound,
            policy: None,
            policy_gap: None,
        });
        facts.task.stopped_reason = "ResourceInitializationError: unable to pull secrets or \
            registry auth: execution resource retrieval failed: unable to retrieve secret from \
            asm: service call has been retried 1 time(s): failed to fetch secret \
            arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf from secrets manager: \
            AccessDeniedException: Access to KMS is not allowed"
            .into();
        let report = diagnose_facts(&facts);
        assert_eq!(report.failure.error, ErrorKind::Kms);
        assert_eq!(report.root_cause.as_deref(), Some("kms.key"));
        assert_eq!(report.also_broken, ["registry.image"]);
    }

    #[test]
    fn an_eni_timeout_is_aws_side_and_blames_no_route() {
        let mut facts = healthy_nat();
        facts.network.nat_gateways[0].state = Some("failed".into());
        facts.task.stopped_reason =
            "Timeout waiting for network interface provisioning to complete.".into();
        let report = diagnose_facts(&facts);
        assert!(report.failure.aws_side);
        assert_eq!(report.root_cause, None);
        assert_eq!(report.also_broken, ["network.nat-gateway"]);
        assert!(
            report
                .evidence
                .iter()
                .any(|e| e.contains(crate::reason::AWS_SIDE_ADVICE)),
            "{:?}",
            report.evidence
        );
    }

    #[test]
    fn presigned_urls_in_the_reason_are_redacted_in_the_report() {
        let mut facts = healthy_nat();
        facts.task.stopped_reason = "CannotPullContainerError: failed to do request: Get \
                                     \"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a?\
                                     X-Amz-Security-Token=SECRET&X-Amz-Signature=abc\""
            .into();
        let report = diagnose_facts(&facts);
        assert!(!report.task.stopped_reason.contains("SECRET"));
        assert!(!crate::render::text(&report).contains("SECRET"));
    }
}
