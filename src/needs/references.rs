//! What a `valueFrom` or `credentialsParameter` names: a secret (with its JSON key, stage and
//! version) or a parameter, and in which region; where an environment file lives.

use crate::facts::{Task, TaskDefinition};

/// What a `valueFrom` (or `credentialsParameter`) points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueSource {
    Secret(SecretReference),
    Parameter {
        name: String,
        region: String,
        arn: Option<String>,
    },
}

/// A Secrets Manager reference: `arn:aws:secretsmanager:R:A:secret:NAME[:json-key:stage:id]`,
/// or a bare secret name (only `repositoryCredentials` may use one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretReference {
    /// The secret id to describe: the ARN without the suffix, or the name.
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub json_key: Option<String>,
    pub version_stage: Option<String>,
    pub version_id: Option<String>,
}

impl SecretReference {
    /// The name part of the reference (after `secret:`).
    pub fn name(&self) -> &str {
        self.id.rsplit(":secret:").next().unwrap_or(&self.id)
    }
}

fn non_empty(part: Option<&str>) -> Option<String> {
    part.filter(|p| !p.is_empty()).map(str::to_string)
}

/// Reads a `secrets[].valueFrom`: a Secrets Manager ARN, an SSM parameter ARN, or a bare
/// parameter name (which ECS looks up in the task's region).
pub fn value_source(value_from: &str, task_region: &str) -> ValueSource {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "secretsmanager" {
        return ValueSource::Secret(SecretReference {
            id: parts[..7].join(":"),
            region: parts[3].to_string(),
            account: non_empty(Some(parts[4])),
            json_key: non_empty(parts.get(7).copied()),
            version_stage: non_empty(parts.get(8).copied()),
            version_id: non_empty(parts.get(9).copied()),
        });
    }
    if parts.len() >= 6 && parts[0] == "arn" && parts[2] == "ssm" {
        let resource = parts[5..].join(":");
        let path = resource.strip_prefix("parameter").unwrap_or(&resource);
        let name = if path.matches('/').count() > 1 {
            path.to_string()
        } else {
            path.trim_start_matches('/').to_string()
        };
        return ValueSource::Parameter {
            name,
            region: parts[3].to_string(),
            arn: Some(value_from.to_string()),
        };
    }
    ValueSource::Parameter {
        name: value_from.to_string(),
        region: task_region.to_string(),
        arn: None,
    }
}

/// A secret named by `repositoryCredentials.credentialsParameter`: an ARN or a name.
pub fn credentials_source(parameter: &str, task_region: &str) -> SecretReference {
    match value_source(parameter, task_region) {
        ValueSource::Secret(reference) => reference,
        ValueSource::Parameter { .. } => SecretReference {
            id: parameter.to_string(),
            region: task_region.to_string(),
            account: None,
            json_key: None,
            version_stage: None,
            version_id: None,
        },
    }
}

/// Every Secrets Manager reference of the task definition, with why the task needs it.
pub fn secret_references(
    task: &Task,
    definition: &TaskDefinition,
) -> Vec<(SecretReference, String)> {
    let region = task.region.as_str();
    let mut found = Vec::new();
    for c in &definition.containers {
        for secret in c.secrets.iter().chain(&c.log_secret_options) {
            if let ValueSource::Secret(reference) = value_source(&secret.value_from, region) {
                found.push((
                    reference,
                    format!("secret {} of container {}", secret.name, c.name),
                ));
            }
        }
        if let Some(parameter) = &c.repository_credentials {
            found.push((
                credentials_source(parameter, region),
                format!("repositoryCredentials of container {}", c.name),
            ));
        }
    }
    found
}

/// The bucket and key of an `arn:PARTITION:s3:::bucket/key` ARN.
pub fn bucket_and_key(arn: &str) -> Option<(&str, &str)> {
    let path = crate::arn::ArnParts::parse(arn)
        .filter(|a| a.service == "s3")?
        .resource;
    let (bucket, key) = path.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    #[test]
    fn secret_arns_with_a_json_key_suffix() {
        let ValueSource::Secret(secret) = value_source(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password:AWSPREVIOUS:",
            "us-east-1",
        ) else {
            panic!("not a secret")
        };
        assert_eq!(
            secret.id,
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
        );
        assert_eq!(secret.region, "eu-west-1");
        assert_eq!(secret.json_key.as_deref(), Some("password"));
        assert_eq!(secret.version_stage.as_deref(), Some("AWSPREVIOUS"));
        assert_eq!(secret.version_id, None);
        assert_eq!(secret.name(), "db-AbCdEf");
    }

    #[test]
    fn parameters_by_name_and_arn() {
        assert_eq!(
            value_source("/app/key", "us-east-1"),
            ValueSource::Parameter {
                name: "/app/key".into(),
                region: "us-east-1".into(),
                arn: None
            }
        );
        assert_eq!(
            value_source(
                "arn:aws:ssm:us-west-2:123456789012:parameter/app/key",
                "us-east-1"
            ),
            ValueSource::Parameter {
                name: "/app/key".into(),
                region: "us-west-2".into(),
                arn: Some("arn:aws:ssm:us-west-2:123456789012:parameter/app/key".into())
            }
        );
        assert!(matches!(
            value_source("arn:aws:ssm:us-west-2:123456789012:parameter/key", "us-east-1"),
            ValueSource::Parameter { name, .. } if name == "key"
        ));
    }

    #[test]
    fn s3_object_arns() {
        assert_eq!(
            bucket_and_key("arn:aws:s3:::config/web/prod.env"),
            Some(("config", "web/prod.env"))
        );
        assert_eq!(bucket_and_key("s3://config/web.env"), None);
        assert_eq!(bucket_and_key("arn:aws:s3:::config"), None);
    }
}
