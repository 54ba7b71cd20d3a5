//! Classifies a `stoppedReason` from its text alone: which start-up stage failed, what kind of
//! error it was, and the resource and IAM action the message names.
//!
//! Fargate builds these messages as chains (`unable to pull secrets or registry auth: execution
//! resource retrieval failed: unable to retrieve secret from asm: service call has been
//! retried 5 time(s): …`), reworded them in 2024 (`There is a connection issue between the task
//! and AWS Secrets Manager.`), and older ones were cut at 255 characters. So the rules match
//! stable fragments, case-insensitively, most specific first.

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    SecretsManager,
    Ssm,
    EcrAuth,
    PrivateRegistryAuth,
    /// `unable to pull secrets or registry auth` without saying which.
    SecretsOrAuth,
    ImagePull,
    Logging,
    EnvFiles,
    Efs,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    Network,
    AccessDenied,
    Kms,
    NotFound,
    InvalidReference,
    Throttled,
    Unknown,
}

/// What the stoppedReason alone says about the failure: the report's `failure` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub stage: Stage,
    pub error: ErrorKind,
    pub resource: Option<String>,
    pub action: Option<String>,
    pub summary: String,
}

/// (fragment, stage), most specific first: a chain names the generic step before the specific
/// one, so `registry auth from asm` must win over `unable to pull secrets or registry auth`.
const STAGE_RULES: &[(&str, Stage)] = &[
    ("registry auth from asm", Stage::PrivateRegistryAuth),
    ("asm fetching", Stage::PrivateRegistryAuth),
    ("repositorycredentials", Stage::PrivateRegistryAuth),
    ("ecr registry auth", Stage::EcrAuth),
    ("registry auth from amazon ecr", Stage::EcrAuth),
    ("getauthorizationtoken", Stage::EcrAuth),
    ("failed to download env files", Stage::EnvFiles),
    ("download env file", Stage::EnvFiles),
    ("environmentfile", Stage::EnvFiles),
    ("efs utils", Stage::Efs),
    ("mount.nfs", Stage::Efs),
    ("efs volume", Stage::Efs),
    ("failed to validate logger args", Stage::Logging),
    ("logging driver", Stage::Logging),
    ("log group", Stage::Logging),
    ("log stream", Stage::Logging),
    ("awslogs", Stage::Logging),
    ("from ssm", Stage::Ssm),
    ("ssm parameter", Stage::Ssm),
    ("parameter store", Stage::Ssm),
    ("systems manager", Stage::Ssm),
    ("secret from asm", Stage::SecretsManager),
    ("secrets from asm", Stage::SecretsManager),
    ("from secrets manager", Stage::SecretsManager),
    ("aws secrets manager", Stage::SecretsManager),
    ("secrets manager:", Stage::SecretsManager),
    ("secretsmanager", Stage::SecretsManager),
    ("ssm:", Stage::Ssm),
    ("cannotpullcontainer", Stage::ImagePull),
    ("cannotpullecrcontainer", Stage::ImagePull),
    ("pull image", Stage::ImagePull),
    ("pulling image", Stage::ImagePull),
    ("image manifest", Stage::ImagePull),
    ("starport-layer-bucket", Stage::ImagePull),
    ("ecr:batchgetimage", Stage::ImagePull),
    ("ecr:getdownloadurlforlayer", Stage::ImagePull),
    (
        "unable to pull secrets or registry auth",
        Stage::SecretsOrAuth,
    ),
    ("asm", Stage::SecretsManager),
];

/// (fragment, error kind), first match wins. KMS before access-denied (a KMS denial arrives
/// inside an AccessDeniedException); a missing repository before access-denied (`pull access
/// denied, repository does not exist`) unless the text names the denied action; network before not-found (the 2024 logger message says
/// "cannot find the log group" for a connection problem).
const ERROR_RULES: &[(&str, ErrorKind)] = &[
    ("access to kms is not allowed", ErrorKind::Kms),
    ("kms:decrypt", ErrorKind::Kms),
    ("kmsinvalidstate", ErrorKind::Kms),
    ("kms key", ErrorKind::Kms),
    ("kmsaccessdenied", ErrorKind::Kms),
    ("kms.", ErrorKind::Kms),
    ("not authorized to perform", ErrorKind::AccessDenied),
    ("repository does not exist", ErrorKind::NotFound),
    ("accessdenied", ErrorKind::AccessDenied),
    ("access denied", ErrorKind::AccessDenied),
    // A registry that wants credentials the task definition does not give.
    ("failed to authorize", ErrorKind::AccessDenied),
    ("unauthorizedoperation", ErrorKind::AccessDenied),
    ("403", ErrorKind::AccessDenied),
    ("forbidden", ErrorKind::AccessDenied),
    ("denied:", ErrorKind::AccessDenied),
    ("401 unauthorized", ErrorKind::AccessDenied),
    ("throttl", ErrorKind::Throttled),
    ("rate exceeded", ErrorKind::Throttled),
    ("toomanyrequests", ErrorKind::Throttled),
    ("too many requests", ErrorKind::Throttled),
    ("rate limit", ErrorKind::Throttled),
    ("invalid arn", ErrorKind::InvalidReference),
    ("arn format", ErrorKind::InvalidReference),
    ("validation error", ErrorKind::InvalidReference),
    ("did not contain json key", ErrorKind::InvalidReference),
    ("invalid character", ErrorKind::InvalidReference),
    ("descriptor matching platform", ErrorKind::InvalidReference),
    ("is required", ErrorKind::InvalidReference),
    ("unable to parse", ErrorKind::InvalidReference),
    ("malformed", ErrorKind::InvalidReference),
    ("invalid schema", ErrorKind::InvalidReference),
    ("invalid reference format", ErrorKind::InvalidReference),
    ("descriptor for platform", ErrorKind::InvalidReference),
    ("connection issue", ErrorKind::Network),
    ("context deadline exceeded", ErrorKind::Network),
    ("requestcanceled", ErrorKind::Network),
    ("request canceled", ErrorKind::Network),
    ("context canceled", ErrorKind::Network),
    ("i/o timeout", ErrorKind::Network),
    ("timeout", ErrorKind::Network),
    ("timed out", ErrorKind::Network),
    ("dial tcp", ErrorKind::Network),
    ("signal: killed", ErrorKind::Network),
    ("connection reset", ErrorKind::Network),
    ("connection refused", ErrorKind::Network),
    ("failed to resolve", ErrorKind::Network),
    ("no such host", ErrorKind::Network),
    ("network configuration", ErrorKind::Network),
    ("statuscode: 0", ErrorKind::Network),
    ("resourcenotfound", ErrorKind::NotFound),
    ("parameternotfound", ErrorKind::NotFound),
    ("invalid parameters", ErrorKind::NotFound),
    ("invalid ssm parameters", ErrorKind::NotFound),
    ("does not exist", ErrorKind::NotFound),
    ("not found", ErrorKind::NotFound),
    ("notfound", ErrorKind::NotFound),
    ("manifest unknown", ErrorKind::NotFound),
    ("no such file or directory", ErrorKind::NotFound),
    ("can't retrieve the secret", ErrorKind::NotFound),
    ("marked for deletion", ErrorKind::NotFound),
];

static ARN: LazyLock<Regex> = LazyLock::new(|| {
    // The resource part is optional: truncated messages cut ARNs short. The account is any
    // text, since published copies write `*` or `account_id` there.
    Regex::new(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[^:\s]*(?::[^\s,'\x22()]+)?").unwrap()
});
static ON_RESOURCE: LazyLock<Regex> =
    // Up to the clause that follows it: redacted copies write `<account id>` with a space.
    LazyLock::new(|| {
        Regex::new(r"(?i)on resource:\s*(.+?)(?:\s+because\b|\s+status code\b|\s*$)").unwrap()
    });
static PERFORM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)to perform:?\s*([a-z0-9-]+:[A-Za-z0-9*]+)").unwrap());
static OPERATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)operation error ([a-z0-9 ]+?):\s*([A-Za-z]+)").unwrap());
/// Names that messages quote without an ARN.
static NAMED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)failed to fetch secret ([^\s,'\x22]+) from secrets manager",
        r"(?i)asm fetching secret from the service for ([^\s,:'\x22]+)",
        r"(?i)secret with ARN '([^']+)'",
        r"(?i)invalid (?:ssm )?parameters:\s*([^\s,'\x22]+)",
        r"(?i)parameter(?: name)?:?\s*(/[^\s,'\x22]+)",
        r"(?i)log group[:\s]+'?(/[^\s,'\x22]+)",
        r"(?i)pull (?:image |'|\x22)*([a-z0-9.-]+(?:\.[a-z]{2,})?(?::[0-9]+)?/[^\s,'\x22]+)",
        r"(?i)failed to resolve ref \x22?([^\s\x22]+)",
        r"(?i)repository ([a-z0-9.-]+\.amazonaws\.com/[^\s,'\x22]+)",
        r"(?i)pull access denied for ([^\s,'\x22]+)",
        r"(?i)repository ([^\s,'\x22]+) not found",
        r"(?i)manifest for ([^\s,'\x22]+) not found",
        r"(?i)image ([^\s,'\x22]+) not found",
        r"(?i)mounting (fs-[0-9a-f]+[^\s]*)",
        r"(?i)(s3://[^\s,'\x22]+)",
    ]
    .iter()
    .map(|p| Regex::new(p).unwrap())
    .collect()
});

pub fn classify(reason: &str) -> Failure {
    let lower = reason.to_lowercase();
    let stage = STAGE_RULES
        .iter()
        .find(|(fragment, _)| lower.contains(fragment))
        .map_or(Stage::Other, |(_, stage)| *stage);
    let error = ERROR_RULES
        .iter()
        .find(|(fragment, _)| lower.contains(fragment))
        .map_or(ErrorKind::Unknown, |(_, kind)| *kind);
    let resource = resource(reason);
    let action = action(reason);
    let summary = summary(stage, error, resource.as_deref());
    Failure {
        stage,
        error,
        resource,
        action,
        summary,
    }
}

fn resource(reason: &str) -> Option<String> {
    if let Some(found) = ON_RESOURCE.captures(reason) {
        return Some(trim(found[1].trim()));
    }
    // The first ARN that is not the caller's identity (`User: arn:aws:sts::…:assumed-role/…`).
    let arn = ARN.find_iter(reason).map(|m| m.as_str()).find(|arn| {
        let service = arn.split(':').nth(2).unwrap_or_default();
        service != "sts" && service != "iam"
    });
    if let Some(arn) = arn {
        return Some(trim(arn));
    }
    NAMED
        .iter()
        .filter_map(|pattern| pattern.captures(reason))
        .map(|found| trim(&found[1]))
        .find(|name| !name.is_empty())
}

fn trim(text: &str) -> String {
    text.trim_end_matches(['.', ',', ':', ';', '"', '\'', ')', '…'])
        .to_string()
}

fn action(reason: &str) -> Option<String> {
    if let Some(found) = PERFORM.captures(reason) {
        return Some(found[1].to_string());
    }
    let found = OPERATION.captures(reason)?;
    let service = match found[1].to_lowercase().as_str() {
        "secrets manager" => "secretsmanager",
        "ssm" => "ssm",
        "ecr" => "ecr",
        "s3" => "s3",
        "cloudwatch logs" => "logs",
        "kms" => "kms",
        _ => return None,
    };
    let operation = match &found[2] {
        // The agent's HeadObject needs s3:GetObject.
        "HeadObject" => "GetObject",
        other => other,
    };
    Some(format!("{service}:{operation}"))
}

impl Stage {
    /// What was being fetched, for sentences.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::SecretsManager => "a secret from AWS Secrets Manager",
            Stage::Ssm => "a parameter from SSM Parameter Store",
            Stage::EcrAuth => "the Amazon ECR registry credentials",
            Stage::PrivateRegistryAuth => {
                "the private registry credentials (repositoryCredentials)"
            }
            Stage::SecretsOrAuth => "secrets or registry credentials",
            Stage::ImagePull => "the container image",
            Stage::Logging => "the awslogs log driver set-up (CloudWatch Logs)",
            Stage::EnvFiles => "the environment files from Amazon S3",
            Stage::Efs => "the EFS volume",
            Stage::Other => "its resources",
        }
    }
}

fn summary(stage: Stage, error: ErrorKind, resource: Option<&str>) -> String {
    let what = stage.describe();
    let named = resource.map(|r| format!(" ({r})")).unwrap_or_default();
    match error {
        ErrorKind::Network => format!(
            "The task could not reach the service for {what}{named}: a network path problem (route, endpoint, security group, NACL or DNS)."
        ),
        ErrorKind::AccessDenied => {
            format!("The task's execution role was denied access to {what}{named}.")
        }
        ErrorKind::Kms => {
            format!("The KMS key protecting {what}{named} could not be used by the execution role.")
        }
        ErrorKind::NotFound => format!("The task could not find {what}{named}."),
        ErrorKind::InvalidReference => {
            format!("The task definition's reference to {what}{named} is malformed.")
        }
        ErrorKind::Throttled => format!("Fetching {what}{named} was throttled."),
        ErrorKind::Unknown => format!("The task failed while fetching {what}{named}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_names_the_specific_stage_and_the_arn() {
        let failure = classify(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution \
             resource retrieval failed: unable to retrieve secret from asm: service call has \
             been retried 5 time(s): failed to fetch secret \
             arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf from secrets \
             manager: RequestCanceled: request context canceled caused by: context deadline \
             exceeded.",
        );
        assert_eq!(failure.stage, Stage::SecretsManager);
        assert_eq!(failure.error, ErrorKind::Network);
        assert_eq!(
            failure.resource.as_deref(),
            Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf")
        );
    }

    #[test]
    fn the_caller_identity_is_not_the_resource() {
        let failure = classify(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution \
             resource retrieval failed: unable to retrieve secret from asm: service call has \
             been retried 1 time(s): failed to fetch secret x from secrets manager: \
             AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/abc is \
             not authorized to perform: secretsmanager:GetSecretValue on resource: x because no \
             identity-based policy allows the secretsmanager:GetSecretValue action",
        );
        assert_eq!(failure.error, ErrorKind::AccessDenied);
        assert_eq!(failure.resource.as_deref(), Some("x"));
        assert_eq!(
            failure.action.as_deref(),
            Some("secretsmanager:GetSecretValue")
        );
    }

    #[test]
    fn odd_casing_and_nothing_known() {
        let failure = classify(
            "RESOURCEINITIALIZATIONERROR: UNABLE TO PULL SECRETS OR REGISTRY AUTH: PULL COMMAND FAILED: : SIGNAL: KILLED",
        );
        assert_eq!(
            (failure.stage, failure.error),
            (Stage::SecretsOrAuth, ErrorKind::Network)
        );
        let failure = classify("");
        assert_eq!(
            (failure.stage, failure.error),
            (Stage::Other, ErrorKind::Unknown)
        );
        assert_eq!(failure.resource, None);
    }
}
