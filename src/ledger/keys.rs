//! The table's key schema (template.yaml, DedupTable), and what the keys are made of: the
//! alert key of a root cause and the classifier's signature of a failure.

use super::codec::NO_ROOT_CAUSE;
use crate::facts::Task;
use crate::reason::Failure;
use crate::text::enum_name;
use crate::verdict::Report;
use serde::Serialize;

// The table's key schema (template.yaml, DedupTable).
pub(super) const PK: &str = "pk";

pub(super) const SK: &str = "sk";

/// The sort key of the items that are one per partition key.
pub(super) const SINGLE_SK: &str = "-";

// Partition key prefixes.
pub(super) const EVENT_PREFIX: &str = "event#";

pub(super) const SIGNATURE_PREFIX: &str = "signature#";

pub(super) const ALERT_PREFIX: &str = "alert#";

pub(super) const HISTORY_PREFIX: &str = "history#";

/// Separates the parts of keys and signatures.
pub(super) const SEPARATOR: &str = "#";

/// Stands for a missing or empty part of a key.
pub(super) const MISSING: &str = "-";

/// Partition keys may be 2048 bytes; a key part longer than this is cut and hashed.
pub(super) const MAX_KEY_PART: usize = 1_024;

/// The alert key: account, cluster, service (or task family), task-definition revision,
/// root-cause id — except that a VPC-wide root cause (its check declares `Scope::Vpc`: the
/// same route table, endpoint, ACL or resolver breaks every service in the VPC) is keyed by
/// account, region, root-cause id and the finding's first resource instead, so several
/// services failing for the same cause share one alert.
///
/// The per-service key carries the region too (cluster names are per region), and the task
/// definition as `family:revision`. A root cause without resources is keyed per service.
pub fn alert_key(report: &Report) -> String {
    let task = &report.task;
    let root = report.root_cause.as_deref().unwrap_or(NO_ROOT_CAUSE);
    if let Some(resource) = report
        .root_finding()
        .filter(|_| report.root_is_vpc_wide())
        .and_then(|finding| finding.resources.first())
    {
        return join(&["vpc", &task.account, &task.region, root, resource]);
    }
    join(&[
        "service",
        &task.account,
        &task.region,
        &task.cluster,
        report.workload(),
        definition_name(task.task_definition.as_deref()),
        root,
    ])
}

/// The classifier's signature: account, region, cluster, workload, task definition, failure
/// stage/error/resource. Two tasks with the same signature failed the same way, so the second
/// can reuse the first's diagnosis while it is recent.
pub fn signature(task: &Task, failure: &Failure) -> String {
    join(&[
        &task.account,
        &task.region,
        task.cluster_name(),
        task.workload(),
        definition_name(task.task_definition_arn.as_deref()),
        &plain(&failure.stage),
        &plain(&failure.error),
        failure.resource.as_deref().unwrap_or(MISSING),
    ])
}

/// `family:revision` from the task definition's ARN.
pub(super) fn definition_name(task_definition_arn: Option<&str>) -> &str {
    task_definition_arn
        .map(crate::arn::arn_resource_name)
        .filter(|name| !name.is_empty())
        .unwrap_or(MISSING)
}

/// A serde enum's name as it appears in the report JSON (`secrets-manager`, `network`).
pub(super) fn plain<T: Serialize>(value: &T) -> String {
    let text = enum_name(value);
    if text.is_empty() {
        MISSING.to_string()
    } else {
        text
    }
}

/// Joins key parts, an empty part as `-`, and keeps the result short enough for a key.
pub(super) fn join(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .map(|part| if part.is_empty() { MISSING } else { *part })
        .collect::<Vec<_>>()
        .join(SEPARATOR);
    bounded(&joined)
}

/// The text itself when it fits in [`MAX_KEY_PART`] bytes, else its start and a hash of the
/// whole (stable across builds and platforms: FNV-1a).
pub(super) fn bounded(text: &str) -> String {
    if text.len() <= MAX_KEY_PART {
        return text.to_string();
    }
    let mut cut = MAX_KEY_PART - 17;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{:016x}", &text[..cut], fnv1a(text))
}

pub(super) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub(super) fn event_pk(event_id: &str) -> String {
    format!("{EVENT_PREFIX}{}", bounded(event_id))
}

pub(super) fn signature_pk(signature: &str) -> String {
    format!("{SIGNATURE_PREFIX}{}", bounded(signature))
}

pub(super) fn alert_pk(alert_key: &str) -> String {
    format!("{ALERT_PREFIX}{}", bounded(alert_key))
}

pub(super) fn history_pk(account: &str, region: &str, cluster: &str) -> String {
    format!("{HISTORY_PREFIX}{}", join(&[account, region, cluster]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ACCOUNT: &str = "123456789012";

    const REGION: &str = "us-east-1";

    /// The root cause of a test report: its finding's id, category and resources.
    #[derive(Clone, Copy)]
    struct Root {
        id: &'static str,
        category: &'static str,
        resources: &'static [&'static str],
    }

    const ROUTE: Root = Root {
        id: "network.default-route",
        category: "network-route",
        resources: &["subnet-0a", "rtb-0a"],
    };

    const PERMISSION: Root = Root {
        id: "iam.permissions",
        category: "iam-permission",
        resources: &["arn:aws:iam::123456789012:role/exec"],
    };

    fn report(
        group: &str,
        task_definition: &str,
        root: Option<Root>,
        resource: Option<&str>,
    ) -> Report {
        let findings = root
            .map(|root| {
                vec![json!({
                    "id": root.id,
                    "category": root.category,
                    "status": "fail",
                    "title": "t",
                    "detail": "d",
                    "resources": root.resources,
                    "remediation": "r",
                    "docs": "https://docs.aws.amazon.com/",
                })]
            })
            .unwrap_or_default();
        serde_json::from_value(json!({
            "schemaVersion": 1,
            "task": {
                "arn": format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/prod/0123456789abcdef0123456789abcdef"),
                "cluster": "prod",
                "group": group,
                "taskDefinition": format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{task_definition}"),
                "launchType": "FARGATE",
                "platformVersion": "1.4.0",
                "stoppedReason": "ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : signal: killed",
                "stoppedAt": "2025-06-12T09:43:16.842Z",
                "region": REGION,
                "account": ACCOUNT,
            },
            "failure": {
                "stage": "secrets-manager",
                "error": "network",
                "resource": resource,
                "action": null,
                "summary": "s",
            },
            "rootCause": root.map(|root| root.id),
            "findings": findings,
        }))
        .expect("a report")
    }

    /// The signature of a test report's task, as the alert path computes it from the facts.
    fn signature_of(report: &Report) -> String {
        let summary = &report.task;
        let task = Task {
            arn: summary.arn.clone(),
            cluster_arn: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{}", summary.cluster),
            group: summary.group.clone(),
            task_definition_arn: summary.task_definition.clone(),
            region: summary.region.clone(),
            account: summary.account.clone(),
            ..Task::default()
        };
        signature(&task, &report.failure)
    }

    #[test]
    fn a_vpc_level_root_cause_is_one_alert_for_every_service() {
        let web = alert_key(&report("service:web", "web:3", Some(ROUTE), None));
        let api = alert_key(&report("service:api", "api:7", Some(ROUTE), None));
        assert_eq!(web, api);
        assert_eq!(
            web,
            format!("vpc#{ACCOUNT}#{REGION}#network.default-route#subnet-0a")
        );
        // The checks declare their scope; these find faults in the VPC.
        for (id, category) in [
            ("endpoint.missing", "vpc-endpoint"),
            ("nacl.task-subnet", "nacl"),
            ("dns.vpc-attributes", "dns"),
        ] {
            let key = alert_key(&report(
                "service:web",
                "web:3",
                Some(Root {
                    id,
                    category,
                    resources: &["vpce-0"],
                }),
                None,
            ));
            assert!(key.starts_with("vpc#"), "{category}: {key}");
        }
        let other_subnet = alert_key(&report(
            "service:web",
            "web:3",
            Some(Root {
                resources: &["subnet-0b"],
                ..ROUTE
            }),
            None,
        ));
        assert_ne!(web, other_subnet);
    }

    #[test]
    fn other_root_causes_are_one_alert_per_service_and_revision() {
        let web = alert_key(&report("service:web", "web:3", Some(PERMISSION), None));
        assert_eq!(
            web,
            format!("service#{ACCOUNT}#{REGION}#prod#web#web:3#iam.permissions")
        );
        let api = alert_key(&report("service:api", "web:3", Some(PERMISSION), None));
        let next_revision = alert_key(&report("service:web", "web:4", Some(PERMISSION), None));
        assert_ne!(web, api);
        assert_ne!(web, next_revision);
        // Public IP and security groups belong to the task's own configuration.
        for (id, category) in [
            ("network.public-ip", "public-ip"),
            ("security-group.task-egress", "security-group"),
            ("secret.exists", "secret"),
        ] {
            let key = alert_key(&report(
                "service:web",
                "web:3",
                Some(Root {
                    id,
                    category,
                    resources: &["sg-0"],
                }),
                None,
            ));
            assert!(key.starts_with("service#"), "{category}: {key}");
        }
    }

    #[test]
    fn a_task_without_a_service_is_keyed_by_its_family_and_nothing_wrong_by_none() {
        let key = alert_key(&report("family:batch", "batch:1", None, None));
        assert_eq!(
            key,
            format!("service#{ACCOUNT}#{REGION}#prod#batch#batch:1#none")
        );
        let no_resources = alert_key(&report(
            "service:web",
            "web:3",
            Some(Root {
                resources: &[],
                ..ROUTE
            }),
            None,
        ));
        assert!(no_resources.starts_with("service#"), "{no_resources}");
    }

    #[test]
    fn the_signature_names_where_and_how_the_task_failed() {
        let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
        let a = report("service:web", "web:3", None, Some(secret));
        let sig = signature_of(&a);
        assert_eq!(
            sig,
            format!("{ACCOUNT}#{REGION}#prod#web#web:3#secrets-manager#network#{secret}")
        );
        // The root cause does not enter: the signature is known before the diagnosis.
        let b = report("service:web", "web:3", Some(ROUTE), Some(secret));
        assert_eq!(sig, signature_of(&b));

        let other_resource = report("service:web", "web:3", None, Some("other"));
        let other_service = report("service:api", "web:3", None, Some(secret));
        let no_resource = report("service:web", "web:3", None, None);
        for other in [other_resource, other_service] {
            assert_ne!(sig, signature_of(&other));
        }
        assert!(signature_of(&no_resource).ends_with("#secrets-manager#network#-"));
    }

    #[test]
    fn long_keys_are_cut_and_hashed_deterministically() {
        let long = "é".repeat(2_000);
        let a = report("service:web", "web:3", None, Some(long.as_str()));
        let sig = signature_of(&a);
        assert!(sig.len() <= MAX_KEY_PART, "{}", sig.len());
        assert_eq!(sig, signature_of(&a));
        // Pinned: a stored key must not change silently (FNV-1a of the whole signature).
        assert!(sig.ends_with("~a8da1a33ea121aa7"), "{sig}");
        assert!(sig.starts_with(&format!(
            "{ACCOUNT}#{REGION}#prod#web#web:3#secrets-manager#network#éé"
        )));
        assert_eq!(fnv1a("abc"), 0xe71f_a219_0541_574b);
        let longer = format!("{long}x");
        let b = report("service:web", "web:3", None, Some(longer.as_str()));
        assert_ne!(sig, signature_of(&b));
        assert!(alert_pk(&sig).len() < 2_048);
    }
}
