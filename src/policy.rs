//! A small IAM policy evaluator for what the doctor can read: identity policies, permissions
//! boundaries, endpoint, key and repository policies. It follows AWS's documented logic for
//! one request: an explicit deny wins; otherwise some statement must allow. Action/NotAction
//! and Resource/NotResource match with `*` and `?` wildcards. A statement whose Condition (or
//! Principal) it cannot evaluate makes the answer `Unknown`, never `Allowed`.
//!
//! Written here rather than taken from a crate: the IAM evaluation crates on crates.io are
//! young or unmaintained, and these few rules are all the checks need.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evaluation {
    Allowed,
    /// An explicit deny: where it stands (`policy-source statement-id`).
    ExplicitDeny(String),
    /// No statement allows it.
    NotAllowed,
    /// Some statement depends on what cannot be evaluated; why.
    Unknown(String),
}

/// One request: an action on a resource, by a principal when resource policies are judged.
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    /// For resource policies: the principal's ARNs and account (`arn:aws:iam::1:role/x`,
    /// `arn:aws:iam::1:root`, `1`). `None` for identity policies, which have no Principal.
    pub principals: Option<&'a [String]>,
}

/// A policy element that is one string or an array of strings, as a list.
pub(super) fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

fn matches(patterns: &[String], value: &str, case_insensitive: bool) -> bool {
    patterns.iter().any(|p| {
        if case_insensitive {
            wildmatch::WildMatch::new(&p.to_lowercase()).matches(&value.to_lowercase())
        } else {
            wildmatch::WildMatch::new(p).matches(value)
        }
    })
}

enum Applies {
    Yes,
    No,
    Unknown(&'static str),
}

fn principal_applies(statement: &Value, principals: Option<&[String]>) -> Applies {
    let Some(principals) = principals else {
        return Applies::Yes;
    };
    let named = match statement.get("Principal") {
        None => return Applies::Yes,
        Some(Value::String(p)) if p == "*" => return Applies::Yes,
        Some(Value::Object(map)) => strings(map.get("AWS")),
        Some(_) => vec![],
    };
    if named.iter().any(|n| n == "*") {
        return Applies::Yes;
    }
    if principals.is_empty() {
        return Applies::Unknown("it names principals and the caller is unknown");
    }
    if named.iter().any(|n| principals.iter().any(|p| p == n)) {
        Applies::Yes
    } else {
        Applies::No
    }
}

fn statement_applies(statement: &Value, request: &Request<'_>) -> Applies {
    let action = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => matches(&strings(Some(actions)), request.action, true),
        (None, Some(not)) => !matches(&strings(Some(not)), request.action, true),
        (None, None) => false,
    };
    let resource = match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(resources), _) => matches(&strings(Some(resources)), request.resource, false),
        (None, Some(not)) => !matches(&strings(Some(not)), request.resource, false),
        // Repository and key policies may leave Resource out: the resource itself.
        (None, None) => true,
    };
    if !action || !resource {
        return Applies::No;
    }
    match principal_applies(statement, request.principals) {
        Applies::Yes if statement.get("Condition").is_some() => {
            Applies::Unknown("it has a condition")
        }
        other => other,
    }
}

/// Evaluates a set of policy documents (each with where it comes from) for one request.
pub fn evaluate(documents: &[(&str, &str)], request: &Request<'_>) -> Evaluation {
    let mut allowed = false;
    let mut unknown_deny: Option<String> = None;
    let mut unknown_allow: Option<String> = None;
    for (source, document) in documents {
        let Ok(policy) = serde_json::from_str::<Value>(document) else {
            unknown_deny.get_or_insert(format!("{source} is not valid JSON"));
            continue;
        };
        let statements = match &policy["Statement"] {
            Value::Array(items) => items.clone(),
            single @ Value::Object(_) => vec![single.clone()],
            _ => continue,
        };
        for (index, statement) in statements.iter().enumerate() {
            let name = match statement["Sid"].as_str() {
                Some(sid) => format!("{source} statement {sid}"),
                None => format!("{source} statement {index}"),
            };
            let deny = statement["Effect"].as_str() == Some("Deny");
            match statement_applies(statement, request) {
                Applies::No => {}
                Applies::Yes if deny => return Evaluation::ExplicitDeny(name),
                Applies::Yes => allowed = true,
                Applies::Unknown(why) if deny => {
                    unknown_deny.get_or_insert(format!("{name} denies it, but {why}"));
                }
                Applies::Unknown(why) => {
                    unknown_allow.get_or_insert(format!("{name} allows it, but {why}"));
                }
            }
        }
    }
    match (unknown_deny, allowed, unknown_allow) {
        (Some(why), _, _) => Evaluation::Unknown(why),
        (None, true, _) => Evaluation::Allowed,
        (None, false, Some(why)) => Evaluation::Unknown(why),
        (None, false, None) => Evaluation::NotAllowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(action: &str, resource: &str, documents: &[&str]) -> Evaluation {
        let documents: Vec<(&str, &str)> = documents.iter().map(|d| ("policy", *d)).collect();
        evaluate(
            &documents,
            &Request {
                action,
                resource,
                principals: None,
            },
        )
    }

    const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";

    #[test]
    fn allow_with_wildcards_and_explicit_deny_wins() {
        let allow = concat!(
            r#"{"Statement":[{"Effect":"Allow","Action":"secretsmanager:Get*","#,
            r#""Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-*"}]}"#
        );
        assert_eq!(
            identity("secretsmanager:GetSecretValue", SECRET, &[allow]),
            Evaluation::Allowed
        );
        assert_eq!(
            identity(
                "secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf",
                &[allow]
            ),
            Evaluation::NotAllowed
        );
        let deny =
            r#"{"Statement":{"Sid":"NoSecrets","Effect":"Deny","Action":"*","Resource":"*"}}"#;
        assert_eq!(
            identity("secretsmanager:GetSecretValue", SECRET, &[allow, deny]),
            Evaluation::ExplicitDeny("policy statement NoSecrets".into())
        );
    }

    #[test]
    fn not_action_not_resource_and_conditions() {
        let not_action = r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#;
        assert_eq!(
            identity(
                "ssm:GetParameters",
                "arn:aws:ssm:us-east-1:1:parameter/x",
                &[not_action]
            ),
            Evaluation::Allowed
        );
        let not_resource = r#"{"Statement":[{"Effect":"Allow","Action":"ssm:*","NotResource":"arn:aws:ssm:*:*:parameter/x"}]}"#;
        assert_eq!(
            identity(
                "ssm:GetParameters",
                "arn:aws:ssm:us-east-1:1:parameter/x",
                &[not_resource]
            ),
            Evaluation::NotAllowed
        );
        let conditional = concat!(
            r#"{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","#,
            r#""Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}]}"#
        );
        assert!(matches!(
            identity(
                "kms:Decrypt",
                "arn:aws:kms:us-east-1:1:key/k",
                &[conditional]
            ),
            Evaluation::Unknown(_)
        ));
    }

    #[test]
    fn resource_policies_match_principals() {
        let principals = vec![
            "arn:aws:iam::111111111111:role/exec".to_string(),
            "arn:aws:iam::111111111111:root".to_string(),
            "111111111111".to_string(),
        ];
        let policy = concat!(
            r#"{"Statement":[{"Effect":"Allow","#,
            r#""Principal":{"AWS":"arn:aws:iam::111111111111:root"},"#,
            r#""Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#
        );
        let request = |action| Request {
            action,
            resource: "arn:aws:ecr:us-east-1:222222222222:repository/web",
            principals: Some(&principals),
        };
        assert_eq!(
            evaluate(
                &[("repository policy", policy)],
                &request("ecr:BatchGetImage")
            ),
            Evaluation::Allowed
        );
        assert_eq!(
            evaluate(
                &[("repository policy", policy)],
                &request("ecr:BatchCheckLayerAvailability")
            ),
            Evaluation::NotAllowed
        );
        let other = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"ecr:*"}]}"#;
        assert_eq!(
            evaluate(
                &[("repository policy", other)],
                &request("ecr:BatchGetImage")
            ),
            Evaluation::NotAllowed
        );
    }
}
