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
    /// The task's ENI was not provisioned or attached in time.
    TaskNetwork,
    /// The container runtime could not create or start a container (OCI runtime, entry point,
    /// host port).
    ContainerRuntime,
    /// The FireLens log router: its configuration file, or the socket a log driver writes to.
    LogRouter,
    /// The image was fetched but cannot be unpacked or run: media type, layers, manifest.
    ImageContent,
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
    /// The message shows a failure on AWS's side or a transient one (ENI provisioning, the
    /// runtime's internals, the agent's own credentials), not a fault of the configuration.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub aws_side: bool,
}

/// (fragment, stage), most specific first: a chain names the generic step before the specific
/// one, so `registry auth from asm` must win over `unable to pull secrets or registry auth`.
const STAGE_RULES: &[(&str, Stage)] = &[
    // The ENI stage comes before any other: its texts say "timeout" but name no service.
    ("network interface provision", Stage::TaskNetwork),
    ("eni attachment", Stage::TaskNetwork),
    // FireLens before the log driver: its socket is named in a `logging driver` error.
    ("firelens", Stage::LogRouter),
    ("fluent.sock", Stage::LogRouter),
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
    // The agent names an ECR GetAuthorizationToken failure `CannotPullECRContainerError`
    // (amazon-ecs-agent agent/dockerclient/dockerapi/docker_client.go, pullImage).
    ("cannotpullecrcontainer", Stage::EcrAuth),
    // The image arrived but cannot be used: before the pull stage, which its texts also name.
    ("unsupported media type", Stage::ImageContent),
    ("media-type", Stage::ImageContent),
    ("failed to unpack image", Stage::ImageContent),
    ("diffids", Stage::ImageContent),
    ("wrong diff id", Stage::ImageContent),
    ("400 bad request", Stage::ImageContent),
    ("cannotpullcontainer", Stage::ImagePull),
    ("ref pull", Stage::ImagePull),
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
    // After the logging and EFS rules: their failures also arrive as CannotStartContainerError.
    ("oci runtime", Stage::ContainerRuntime),
    ("container runtime task", Stage::ContainerRuntime),
    ("unable to create new container", Stage::ContainerRuntime),
    ("cannotstartcontainer", Stage::ContainerRuntime),
];

/// (fragment, error kind), first match wins. KMS before access-denied (a KMS denial arrives
/// inside an AccessDeniedException); a missing repository before access-denied (`pull access
/// denied, repository does not exist`) unless the text names the denied action; network before not-found (the 2024 logger message says
/// "cannot find the log group" for a connection problem).
const ERROR_RULES: &[(&str, ErrorKind)] = &[
    ("access to kms is not allowed", ErrorKind::Kms),
    // The older SDK wording names the key and the service, not the action.
    ("customer master key", ErrorKind::Kms),
    ("service: awskms", ErrorKind::Kms),
    ("kms:decrypt", ErrorKind::Kms),
    ("kmsinvalidstate", ErrorKind::Kms),
    ("kms key", ErrorKind::Kms),
    ("kmsaccessdenied", ErrorKind::Kms),
    ("kms.", ErrorKind::Kms),
    ("not authorized to perform", ErrorKind::AccessDenied),
    // No credentials were presented: "repository does not exist or may require
    // authorization" then means unauthorised, not missing.
    ("no basic auth credentials", ErrorKind::AccessDenied),
    ("authentication required", ErrorKind::AccessDenied),
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
    // A digest the repository no longer holds: "failed to resolve ref …@sha256:…: not found".
    ("digest: not found", ErrorKind::NotFound),
    // containerd's answer for a tag the repository lacks: "failed to resolve ref X: X: not
    // found". The registry answered, so not the network.
    (": not found", ErrorKind::NotFound),
    // The agent could not parse ECR's answer for a dual-stack registry name: not the task
    // definition's reference.
    ("authorizationdata is", ErrorKind::Unknown),
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
    // Decisive tails of truncated texts: the request never got an answer.
    ("send request failed", ErrorKind::Network),
    ("failed to do request", ErrorKind::Network),
    ("could not reach", ErrorKind::Network),
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
    ("error (404)", ErrorKind::NotFound),
    ("not found", ErrorKind::NotFound),
    ("notfound", ErrorKind::NotFound),
    ("manifest unknown", ErrorKind::NotFound),
    ("no such file or directory", ErrorKind::NotFound),
    ("can't retrieve the secret", ErrorKind::NotFound),
    ("marked for deletion", ErrorKind::NotFound),
];

/// The stages whose texts are not about reaching a service read only these fragments: their
/// "timeout" or "no such file" would otherwise blame the network or a reference.
const RUNTIME_ERRORS: &[(&str, ErrorKind)] = &[
    ("executable file not found", ErrorKind::InvalidReference),
    ("exec format error", ErrorKind::InvalidReference),
];
const IMAGE_CONTENT_ERRORS: &[(&str, ErrorKind)] = &[
    ("media type", ErrorKind::InvalidReference),
    ("media-type", ErrorKind::InvalidReference),
];
const LOG_ROUTER_ERRORS: &[(&str, ErrorKind)] = &[
    ("accessdenied", ErrorKind::AccessDenied),
    ("access denied", ErrorKind::AccessDenied),
    ("nosuchkey", ErrorKind::NotFound),
    ("nosuchbucket", ErrorKind::NotFound),
    ("send request failed", ErrorKind::Network),
    ("dial tcp", ErrorKind::Network),
    ("i/o timeout", ErrorKind::Network),
    ("no such host", ErrorKind::Network),
    ("context deadline exceeded", ErrorKind::Network),
];

/// Texts that show the agent could not get the execution role's credentials, or the
/// runtime failed inside: nothing the task's configuration decides.
const AWS_SIDE: &[&str] = &[
    "unable to find execution role credentials",
    "engine ecr credentials: not found",
    "authorizationdata is",
    "errno 524",
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
    let rules = match stage {
        Stage::TaskNetwork => &[][..],
        Stage::ContainerRuntime => RUNTIME_ERRORS,
        Stage::ImageContent => IMAGE_CONTENT_ERRORS,
        Stage::LogRouter => LOG_ROUTER_ERRORS,
        _ => ERROR_RULES,
    };
    let error = rules
        .iter()
        .find(|(fragment, _)| lower.contains(fragment))
        .map_or(ErrorKind::Unknown, |(_, kind)| *kind);
    let aws_side = match stage {
        Stage::TaskNetwork => true,
        _ => AWS_SIDE.iter().any(|fragment| lower.contains(fragment)),
    };
    let resource = resource(reason);
    let action = action(reason);
    let summary = summary(stage, error, resource.as_deref(), aws_side);
    Failure {
        stage,
        error,
        resource,
        action,
        summary,
        aws_side,
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
            Stage::TaskNetwork => "its network interface (ENI)",
            Stage::ContainerRuntime => "a container (the container runtime)",
            Stage::LogRouter => "the FireLens log router's configuration",
            Stage::ImageContent => "the container image's content",
            Stage::Other => "its resources",
        }
    }

    /// What a failure at this stage means, for the stages whose failure is not a fetch.
    fn meaning(self) -> Option<&'static str> {
        Some(match self {
            Stage::TaskNetwork => {
                "ECS could not provision or attach the task's network interface in time"
            }
            Stage::ContainerRuntime => "the container runtime could not start a container",
            Stage::LogRouter => {
                "the FireLens log router could not be set up (its configuration file, or the \
                 socket the log driver writes to)"
            }
            Stage::ImageContent => {
                "the image was fetched but cannot be unpacked or run (its media type, layers or \
                 manifest)"
            }
            _ => return None,
        })
    }
}

/// What to do about a failure the configuration did not cause.
pub const AWS_SIDE_ADVICE: &str =
    "AWS-side or transient; retry; open a support case if it persists";

fn summary(stage: Stage, error: ErrorKind, resource: Option<&str>, aws_side: bool) -> String {
    let what = stage.describe();
    let named = resource.map(|r| format!(" ({r})")).unwrap_or_default();
    if let Some(meaning) = stage.meaning() {
        let mut text = format!("{}{named}.", capitalised(meaning));
        match (stage, error) {
            (_, _) if aws_side => text.push_str(&format!(" {}.", capitalised(AWS_SIDE_ADVICE))),
            (Stage::ContainerRuntime, ErrorKind::InvalidReference) => text.push_str(
                " The entry point or command names an executable the image does not have: fix \
                 the task definition's entryPoint/command or the image.",
            ),
            (Stage::ContainerRuntime, _) => text.push_str(
                " Check the image and the task definition's entryPoint, command, user and port \
                 mappings; if they are right, it is AWS-side or transient: retry, and open a \
                 support case if it persists.",
            ),
            (Stage::ImageContent, _) => text.push_str(
                " Rebuild and push a single-platform image manifest (for buildx: \
                 --provenance=false), then redeploy.",
            ),
            (Stage::LogRouter, ErrorKind::Network) => text.push_str(
                " The configuration file's download did not get through: check the path to S3.",
            ),
            (Stage::LogRouter, _) => text.push_str(
                " Check the firelensConfiguration options (config-file-type and \
                 config-file-value) and that the log router container starts first.",
            ),
            _ => {}
        }
        return text;
    }
    if aws_side {
        return format!(
            "The task failed while fetching {what}{named}, on the agent's side: {AWS_SIDE_ADVICE}."
        );
    }
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

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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
