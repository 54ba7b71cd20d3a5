//! Renderings of a report: plain text (terminals and email), the AWS Chatbot custom
//! notification (Slack), and the report JSON.

use crate::checks::{Finding, Status};
use crate::text::{chat_escape, enum_name, truncate};
use crate::verdict::Report;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The headline: what failed and why, in one line.
pub fn headline(report: &Report) -> String {
    let cause = report
        .root_finding()
        .map(|root| match crate::checks::by_id(&root.id) {
            Some(check) if root.status == Status::Fail => check.problem.to_string(),
            _ => format!("unverified: {}", root.title.to_lowercase()),
        });
    match cause {
        Some(cause) => format!(
            "ECS task failed to start: {} ({}) in {} — {cause}",
            report.workload(),
            report.task.cluster,
            account_label(&report.task),
        ),
        None => format!(
            "ECS task failed to start: {} ({}) in {} — no configuration fault found",
            report.workload(),
            report.task.cluster,
            account_label(&report.task),
        ),
    }
}

/// The task's account as the alerts name it: `payments-prod (222233334444)`, or the id alone
/// when the account has no alias (or it could not be read).
pub fn account_label(task: &crate::verdict::TaskSummary) -> String {
    match task.account_alias.as_deref().filter(|a| !a.is_empty()) {
        Some(alias) => format!("{alias} ({})", task.account),
        None => task.account.clone(),
    }
}

fn console_task_url(report: &Report) -> String {
    let task = &report.task;
    // The parts come from the event: encoded, so none can end a chat link or add to it.
    let part = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2D", "-")
    };
    format!(
        "https://{region}.console.aws.amazon.com/ecs/v2/clusters/{cluster}/tasks/{id}/configuration?region={region}",
        region = part(&task.region),
        cluster = part(&task.cluster),
        id = part(crate::arn::arn_resource_name(&task.arn))
    )
}

/// A console link for a resource a finding names: subnet, security group, route table,
/// endpoint, NAT gateway, network ACL, role, secret, log group.
pub fn console_link(resource: &str, region: &str) -> Option<String> {
    let vpc = |page: &str, key: &str| {
        format!(
            "{resource}: https://{region}.console.aws.amazon.com/vpcconsole/home?region={region}#{page}:{key}={resource}"
        )
    };
    let prefix = resource.split('-').next().unwrap_or_default();
    match prefix {
        "subnet" => Some(vpc("SubnetDetails", "subnetId")),
        "sg" => Some(vpc("SecurityGroup", "groupId")),
        "rtb" => Some(vpc("RouteTableDetails", "RouteTableId")),
        "vpce" => Some(vpc("EndpointDetails", "endpointId")),
        "nat" => Some(vpc("NatGatewayDetails", "natGatewayId")),
        "acl" => Some(vpc("NetworkAclDetails", "networkAclId")),
        _ if resource.contains(":iam::") && resource.contains(":role/") => Some(format!(
            "{resource}: https://console.aws.amazon.com/iam/home#/roles/details/{}",
            crate::arn::arn_resource_name(resource)
        )),
        _ if crate::arn::is_service(resource, "secretsmanager") => Some(format!(
            "{resource}: https://{region}.console.aws.amazon.com/secretsmanager/secret?name={}&region={region}",
            resource.rsplit(":secret:").next().unwrap_or(resource)
        )),
        _ => None,
    }
}

/// "Failed 19 more times since …; services: a, b."
fn recurrence_line(recurrence: &crate::verdict::Recurrence) -> String {
    let mut line = String::from("REPEATED:");
    if recurrence.repeats > 0 {
        let _ = write!(
            line,
            " this cause stopped tasks {} more time(s) since the last alert{} (held back to one alert per window).",
            recurrence.repeats,
            recurrence
                .since
                .as_ref()
                .map(|s| format!(" at {s}"))
                .unwrap_or_default()
        );
    }
    if recurrence.services.len() > 1 {
        let _ = write!(
            line,
            " Services failing for this cause: {}.",
            recurrence.services.join(", ")
        );
    }
    line
}

/// The answers to "deployment or environment", "who changed it, and when" and "who owns it".
struct Answers {
    change: String,
    /// One line per difference: `field: before -> after`.
    differences: Vec<String>,
    last_change: String,
    owner: String,
}

/// The three answers, each a line. `show` makes account- and event-supplied strings safe
/// for the rendering's markup.
fn what_changed(report: &Report, show: &dyn Fn(&str) -> String) -> Answers {
    let differences = report
        .change
        .differences
        .iter()
        .map(|difference| {
            format!(
                "{}: {} -> {}",
                show(&difference.field),
                show(difference.before.as_deref().unwrap_or("(none)")),
                show(difference.after.as_deref().unwrap_or("(none)"))
            )
        })
        .collect();
    let unanswered = |field: &str| {
        show(
            report
                .unanswered
                .get(field)
                .map_or("not known", String::as_str),
        )
    };
    let last_change = match &report.last_change {
        Some(change) => format!(
            "{} on {} by {}{} at {}{}.",
            show(&change.event_name),
            show(&change.resource),
            show(
                change
                    .principal
                    .as_deref()
                    .unwrap_or("an unknown principal")
            ),
            change
                .session_name
                .as_deref()
                .map(|s| format!(" (session {})", show(s)))
                .unwrap_or_default(),
            show(change.time.as_deref().unwrap_or("an unknown time")),
            change
                .error_code
                .as_deref()
                .map(|c| format!(", which failed with {}", show(c)))
                .unwrap_or_default(),
        ),
        None => format!("{}.", unanswered("lastChange")),
    };
    let owner = match &report.owner {
        Some(owner) => {
            let mut line = format!("{} belongs to ", show(&owner.resource));
            match &owner.stack {
                Some(stack) => {
                    let _ = write!(line, "stack {}", show(stack));
                    if let Some(id) = &owner.logical_id {
                        let _ = write!(line, ", resource {}", show(id));
                    }
                }
                None => line.push_str("no CloudFormation stack"),
            }
            for (key, value) in &owner.markers {
                let _ = write!(line, "; {}={}", show(key), show(value));
            }
            if let Some(url) = &owner.console_url {
                let _ = write!(line, " ({url})");
            }
            line.push('.');
            line
        }
        None => format!("{}.", unanswered("owner")),
    };
    Answers {
        change: show(&report.change.summary),
        differences,
        last_change,
        owner,
    }
}

/// Whether a finding is the root cause itself (other findings of the same check are not).
fn is_root(report: &Report, finding: &Finding) -> bool {
    report
        .root_finding()
        .is_some_and(|root| std::ptr::eq(root, finding))
}

/// Plain text for terminals and email: verdict first, then what happened, then the rest.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let task = &report.task;
    let _ = writeln!(out, "{}", headline(report));
    let _ = writeln!(out);
    if let Some(recurrence) = &report.recurrence {
        let _ = writeln!(out, "{}", recurrence_line(recurrence));
        let _ = writeln!(out);
    }
    match report.root_finding() {
        Some(root) => {
            let label = if root.status == Status::Fail {
                "ROOT CAUSE"
            } else {
                "SUSPECTED CAUSE"
            };
            let _ = writeln!(out, "{label} [{}]: {}", root.id, root.detail);
            let _ = writeln!(out);
            let _ = writeln!(out, "FIX: {}", root.remediation);
            let _ = writeln!(out, "Docs: {}", root.docs);
        }
        None => {
            let _ = writeln!(
                out,
                "No configuration fault found: every check that could run passed, so the failure was \
                 probably transient. If it repeats, look at the skipped checks below."
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "WHAT CHANGED");
    let answers = what_changed(report, &|s| s.to_string());
    let _ = writeln!(out, "  Deployment or environment: {}", answers.change);
    for line in &answers.differences {
        let _ = writeln!(out, "    {line}");
    }
    let _ = writeln!(out, "  Last change: {}", answers.last_change);
    let _ = writeln!(out, "  Owner: {}", answers.owner);
    let _ = writeln!(out);
    let _ = writeln!(out, "WHAT HAPPENED");
    let _ = writeln!(out, "  Task:            {}", task.arn);
    if let Some(group) = &task.group {
        let _ = writeln!(out, "  Group:           {group}");
    }
    let _ = writeln!(out, "  Cluster:         {}", task.cluster);
    let _ = writeln!(
        out,
        "  Account/Region:  {} / {}",
        account_label(task),
        task.region
    );
    if let Some(definition) = &task.task_definition {
        let _ = writeln!(out, "  Task definition: {definition}");
    }
    if let Some(stopped_at) = &task.stopped_at {
        let _ = writeln!(out, "  Stopped at:      {stopped_at}");
    }
    let _ = writeln!(out, "  Stopped reason:  {}", task.stopped_reason);
    if let Some(reason) = &task.container_reason {
        let _ = writeln!(out, "  Container:       {reason}");
    }
    let failure = &report.failure;
    let _ = writeln!(
        out,
        "  From the reason: {} (stage {}, error {}{})",
        failure.summary,
        enum_name(&failure.stage),
        enum_name(&failure.error),
        failure
            .action
            .as_ref()
            .map(|a| format!(", action {a}"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "  Console:         {}", console_task_url(report));
    if !report.evidence.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "EVIDENCE");
        for line in &report.evidence {
            let _ = writeln!(out, "  - {line}");
        }
    }
    let links: Vec<String> = report
        .root_finding()
        .into_iter()
        .flat_map(|root| root.resources.iter())
        .filter_map(|resource| console_link(resource, &report.task.region))
        .collect();
    if !links.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "OPEN IN THE CONSOLE");
        for link in links {
            let _ = writeln!(out, "  {link}");
        }
    }

    let others: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status != Status::Pass && !is_root(report, f))
        .collect();
    if !others.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "OTHER FINDINGS");
        for finding in others {
            let _ = writeln!(
                out,
                "  [{}] {}: {}",
                finding.status.as_str().to_uppercase(),
                finding.id,
                finding.detail
            );
            if matches!(finding.status, Status::Fail | Status::Warn) {
                let _ = writeln!(out, "         Fix: {}", finding.remediation);
            }
        }
    }
    let passed: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Pass)
        .map(|f| f.id.as_str())
        .collect();
    if !passed.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "PASSED: {}", passed.join(", "));
    }
    out
}

/// The report JSON, pretty-printed.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("a report always serializes")
}

/// An AWS Chatbot custom notification. Chatbot silently drops any other body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatbotNotification {
    pub version: &'static str,
    pub source: &'static str,
    pub id: String,
    pub content: ChatbotContent,
    pub metadata: ChatbotMetadata,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatbotContent {
    pub text_type: &'static str,
    pub title: String,
    pub description: String,
    pub next_steps: Vec<String>,
    pub keywords: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatbotMetadata {
    pub thread_id: String,
    pub summary: String,
    pub event_type: &'static str,
    pub related_resources: Vec<String>,
    pub additional_context: BTreeMap<String, String>,
}

/// Slack shows a section of up to 3,000 characters; the details belong in the email.
const DESCRIPTION_LIMIT: usize = 1500;

pub fn chatbot(report: &Report) -> ChatbotNotification {
    let task = &report.task;
    let root = report.root_finding();
    let mut description = match root {
        Some(root) => format!(
            "*Root cause* (`{}`): {}\n",
            root.id,
            chat_escape(&root.detail)
        ),
        None => "*No configuration fault found*: probably transient.\n".to_string(),
    };
    let _ = write!(
        description,
        "*Task:* `{}`\n*Reason:* {}",
        chat_escape(crate::arn::arn_resource_name(&task.arn)),
        chat_escape(&report.failure.summary)
    );
    if let Some(recurrence) = &report.recurrence {
        let _ = write!(
            description,
            "\n_{}_",
            chat_escape(&recurrence_line(recurrence))
        );
    }
    let answers = what_changed(report, &chat_escape);
    let _ = write!(
        description,
        "\n*Change:* {}\n*Last change:* {}\n*Owner:* {}",
        answers.change, answers.last_change, answers.owner
    );
    let others = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Warn))
        .filter(|f| !is_root(report, f))
        .count();
    if others > 0 {
        let _ = write!(
            description,
            "\n_{others} more failed or warned check(s): see the email or the report._"
        );
    }
    let mut next_steps = Vec::new();
    if let Some(root) = root {
        next_steps.push(truncate(&chat_escape(&root.remediation), 600));
        next_steps.push(format!("<{}|Documentation>", root.docs));
    }
    next_steps.push(format!(
        "<{}|Open the task in the console>",
        console_task_url(report)
    ));
    let mut keywords = vec![chat_escape(&task.cluster), chat_escape(report.workload())];
    if let Some(root) = root {
        keywords.push(root.id.clone());
        keywords.push(root.category.as_str().to_string());
    }
    keywords.dedup();
    let mut context = BTreeMap::from([
        ("cluster".to_string(), task.cluster.clone()),
        ("workload".to_string(), report.workload().to_string()),
        ("region".to_string(), task.region.clone()),
        ("account".to_string(), task.account.clone()),
    ]);
    if let Some(alias) = &task.account_alias {
        context.insert("accountAlias".to_string(), alias.clone());
    }
    if let Some(root) = &report.root_cause {
        context.insert("rootCause".to_string(), root.clone());
    }
    let mut related = vec![task.arn.clone()];
    if let Some(root) = root {
        related.extend(root.resources.iter().cloned());
    }
    related.dedup();
    ChatbotNotification {
        version: "1.0",
        source: "custom",
        id: format!(
            "ecs-task-doctor-{}",
            crate::arn::arn_resource_name(&task.arn)
        ),
        content: ChatbotContent {
            text_type: "client-markdown",
            title: format!(":rotating_light: {}", chat_escape(&headline(report))),
            description: truncate(&description, DESCRIPTION_LIMIT),
            next_steps,
            keywords,
        },
        metadata: ChatbotMetadata {
            thread_id: format!(
                "ecs-task-doctor/{}/{}/{}/{}",
                task.account,
                task.region,
                task.cluster,
                report.workload()
            ),
            summary: truncate(&headline(report), 200),
            event_type: "EcsTaskFailedToStart",
            related_resources: related,
            additional_context: context,
        },
    }
}

#[cfg(test)]
mod golden {
    use super::*;
    use crate::doctor::diagnose_facts;
    use crate::facts::{
        ChangeEvent, LastChangeLookup, LastChangeOutcome, PreviousLookup, PreviousRevision,
        Revision, Tags,
    };
    use crate::test_support::{healthy_nat, task_default_route, with_task_definition};

    /// A fixed report: a blackhole default route, and a stoppedReason carrying a presigned
    /// URL whose credentials must not reach any rendering.
    fn report() -> Report {
        let mut facts = healthy_nat();
        task_default_route(&mut facts).state = Some("blackhole".into());
        facts.task.stopped_at = Some("2026-11-25T10:00:00.000Z".into());
        facts.account_alias = Some("payments-prod".into());
        facts.task.stopped_reason = "CannotPullContainerError: failed to copy: httpReadSeeker: \
            failed open: failed to do request: Get \"https://prod-us-east-1-starport-layer-bucket\
            .s3.us-east-1.amazonaws.com/a/b?X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=ASIAEXAMPLE%2F20261125&X-Amz-Signature=deadbeefcafe42\": \
            dial tcp 3.5.0.1:443: i/o timeout"
            .into();
        // The context: revision 2 ran before and differs only in its image tag, the route
        // table is a stack's, and CloudTrail recorded who replaced the route.
        let mut facts = with_task_definition(facts);
        let mut previous = facts.task_definition.clone().unwrap();
        previous.arn = previous.arn.replace(":3", ":2");
        previous.revision = 2;
        previous.containers[0].image = previous.containers[0].image.replace(":1.8.2", ":1.8.1");
        facts.change.previous = PreviousLookup::Found(Box::new(PreviousRevision {
            before: Revision {
                task_definition_arn: previous.arn.clone(),
                ..Revision::default()
            },
            task_definition: Some(previous),
            ..PreviousRevision::default()
        }));
        let table = &mut facts.network.route_tables[0];
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
        facts.change.last_change = Some(LastChangeLookup {
            resource: table.id.clone(),
            days: 7,
            calls: 1,
            outcome: LastChangeOutcome::Found(ChangeEvent {
                event_name: "ReplaceRoute".into(),
                principal: Some("arn:aws:sts::123456789012:assumed-role/ops/jane".into()),
                session_name: Some("jane".into()),
                time: Some("2026-11-25T09:52:00Z".into()),
                error_code: None,
            }),
        });
        diagnose_facts(&facts)
    }

    /// Compares with tests/golden/NAME; `UPDATE_GOLDEN=1` rewrites it, except in CI, where a
    /// test that refreshes its own expectation could not fail.
    fn check(name: &str, rendered: &str) {
        let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            assert!(
                std::env::var_os("CI").is_none(),
                "UPDATE_GOLDEN is refused in CI: refresh golden files locally and commit them"
            );
            std::fs::write(&path, rendered).unwrap();
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}: a golden file is committed, never made here"));
        assert!(
            expected == rendered,
            "{name} changed; review and run with UPDATE_GOLDEN=1:\n{rendered}"
        );
        assert!(
            !rendered.contains("ASIAEXAMPLE") && !rendered.contains("deadbeefcafe42"),
            "{name} leaks the presigned URL's credentials"
        );
    }

    #[test]
    fn the_email_text() {
        check("email.txt", &text(&report()));
    }

    #[test]
    fn the_chatbot_notification() {
        let notification = serde_json::to_value(chatbot(&report())).unwrap();
        assert_eq!(notification["version"], "1.0");
        assert_eq!(notification["source"], "custom");
        assert!(
            notification["content"]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty() && d.chars().count() <= DESCRIPTION_LIMIT)
        );
        check(
            "chatbot.json",
            &serde_json::to_string_pretty(&notification).unwrap(),
        );
    }
}

#[cfg(test)]
mod others {
    use super::*;
    use crate::doctor::diagnose_facts;
    use crate::test_support::{healthy_nat, with_task_definition};

    #[test]
    fn a_second_failure_of_the_root_causes_check_is_listed() {
        // No egress at all: the task security group check fails once per service.
        let mut facts = with_task_definition(healthy_nat());
        facts.network.security_groups[0].egress.clear();
        let report = diagnose_facts(&facts);
        assert_eq!(
            report.root_cause.as_deref(),
            Some("security-group.task-egress")
        );
        let failures = report
            .findings
            .iter()
            .filter(|f| f.id == "security-group.task-egress")
            .count();
        assert!(failures > 1);
        let email = text(&report);
        let listed = email.matches("[FAIL] security-group.task-egress").count();
        assert_eq!(
            listed,
            failures - 1,
            "every failure but the root cause is under OTHER FINDINGS:\n{email}"
        );
    }

    #[test]
    fn account_supplied_context_cannot_format_or_mention_in_the_chat() {
        let mut facts = healthy_nat();
        crate::test_support::task_default_route(&mut facts).state = Some("blackhole".into());
        facts.network.route_tables[0].tags = crate::facts::Tags::from([(
            "aws:cloudformation:stack-name".into(),
            "<!channel> *urgent* `x` _it_".into(),
        )]);
        let report = diagnose_facts(&facts);
        let description = chatbot(&report).content.description;
        let owner = description
            .lines()
            .find(|l| l.starts_with("*Owner:*"))
            .expect("an owner line");
        for raw in ["<!channel>", "*urgent*", "`x`", "_it_"] {
            assert!(!owner.contains(raw), "{raw} reached the chat: {owner}");
        }
        assert!(owner.contains("&lt;!channel&gt;"), "{owner}");
        assert_eq!(
            chat_escape("jane_doe arn:aws:iam::1:role/a_b"),
            "jane_doe arn:aws:iam::1:role/a_b"
        );
        assert!(
            text(&report).contains("<!channel> *urgent*"),
            "the email shows it as is"
        );
    }
}
