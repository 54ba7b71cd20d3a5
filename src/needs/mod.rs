//! What a task needs at start, derived once from the task and its definition: the AWS services
//! (and other registries) the agent connects to and why, the path each takes from the task
//! subnet ([`paths`]), the calls the agent makes with the execution role on which ARNs
//! ([`calls`]), and what its secrets, parameters and environment files name ([`references`]).
//! `collect` uses it to decide what to read; the checks use it to judge what was read.

pub mod calls;
pub mod paths;
pub mod references;

pub use calls::{Permission, ecr_repository_arn, permissions, role_reasons};
pub use references::{
    SecretReference, ValueSource, bucket_and_key, credentials_source, secret_references,
    value_source,
};

use crate::arn::ArnParts;
use crate::facts::{Task, TaskDefinition};
use std::collections::BTreeMap;
use std::fmt;

/// An AWS service the Fargate agent calls for the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AwsService {
    EcrApi,
    EcrDkr,
    /// The registry by its dual-stack name (`ACCOUNT.dkr-ecr.REGION.on.aws`), which ECR
    /// serves through no VPC endpoint (ecr-requests.html: no PrivateLink over dual-stack).
    EcrDkrDualStack,
    S3,
    SecretsManager,
    Ssm,
    Logs,
}

impl AwsService {
    /// The endpoint service suffix: `com.amazonaws.REGION.<this>`.
    pub fn endpoint_suffix(self) -> &'static str {
        match self {
            AwsService::EcrApi => "ecr.api",
            AwsService::EcrDkr | AwsService::EcrDkrDualStack => "ecr.dkr",
            AwsService::S3 => "s3",
            AwsService::SecretsManager => "secretsmanager",
            AwsService::Ssm => "ssm",
            AwsService::Logs => "logs",
        }
    }

    /// The calls the agent makes, for the endpoint policy.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            AwsService::EcrApi => &["ecr:GetAuthorizationToken", "ecr:BatchGetImage"],
            AwsService::EcrDkr | AwsService::EcrDkrDualStack => &[
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability",
            ],
            AwsService::S3 => &["s3:GetObject"],
            AwsService::SecretsManager => &["secretsmanager:GetSecretValue"],
            AwsService::Ssm => &["ssm:GetParameters"],
            AwsService::Logs => &["logs:CreateLogStream", "logs:PutLogEvents"],
        }
    }
}

/// Where the task must connect.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Destination {
    Aws {
        service: AwsService,
        region: String,
    },
    /// A registry outside AWS (or public.ecr.aws): only the internet reaches it.
    Registry(String),
}

impl Destination {
    pub fn endpoint_service_name(&self) -> Option<String> {
        match self {
            Destination::Aws { service, region } => Some(format!(
                "com.amazonaws.{region}.{}",
                service.endpoint_suffix()
            )),
            Destination::Registry(_) => None,
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Aws {
                service: AwsService::EcrDkrDualStack,
                region,
            } => write!(f, "ECR's dual-stack registry (dkr-ecr.{region}.on.aws)"),
            Destination::Aws { .. } => {
                f.write_str(self.endpoint_service_name().as_deref().unwrap_or_default())
            }
            Destination::Registry(host) => write!(f, "registry {host}"),
        }
    }
}

/// A destination and why the task needs it (`secret DB_PASSWORD of container web`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub destination: Destination,
    pub reasons: Vec<String>,
}

/// The services the task needs at start, each once, with every reason.
pub fn services(task: &Task, definition: &TaskDefinition) -> Vec<Need> {
    let region = task.region.as_str();
    let mut needs: BTreeMap<Destination, Vec<String>> = BTreeMap::new();
    let mut add = |destination: Destination, reason: String| {
        needs.entry(destination).or_default().push(reason);
    };
    let aws = |service, region: &str| Destination::Aws {
        service,
        region: region.to_string(),
    };
    for container in &definition.containers {
        let name = &container.name;
        match image_registry(&container.image) {
            Registry::Ecr {
                region: ecr_region,
                dual_stack,
            } => {
                let registry = if dual_stack {
                    AwsService::EcrDkrDualStack
                } else {
                    AwsService::EcrDkr
                };
                for service in [AwsService::EcrApi, registry, AwsService::S3] {
                    add(
                        aws(service, &ecr_region),
                        format!("image {} of container {name}", container.image),
                    );
                }
            }
            Registry::Other(host) => add(
                Destination::Registry(host),
                format!("image {} of container {name}", container.image),
            ),
        }
        for secret in container
            .secrets
            .iter()
            .chain(&container.log_secret_options)
        {
            let (service, secret_region) = secret_service(&secret.value_from, region);
            add(
                aws(service, &secret_region),
                format!("secret {} of container {name}", secret.name),
            );
        }
        if let Some(credentials) = &container.repository_credentials {
            let secret_region = ArnParts::parse(credentials).map_or(region, |a| a.region);
            add(
                aws(AwsService::SecretsManager, secret_region),
                format!("repositoryCredentials of container {name}"),
            );
        }
        if container.log_driver.as_deref() == Some("awslogs") {
            let log_region = container
                .awslogs_options
                .get("awslogs-region")
                .map_or(region, String::as_str);
            add(
                aws(AwsService::Logs, log_region),
                format!("awslogs driver of container {name}"),
            );
        }
        for file in &container.environment_files {
            add(
                aws(AwsService::S3, region),
                format!("environment file {file} of container {name}"),
            );
        }
    }
    needs
        .into_iter()
        .map(|(destination, reasons)| Need {
            destination,
            reasons,
        })
        .collect()
}

enum Registry {
    Ecr { region: String, dual_stack: bool },
    Other(String),
}

/// `123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1` (or the dual-stack
/// `123456789012.dkr-ecr.eu-west-1.on.aws/app:1`) is ECR in eu-west-1; a name without a
/// registry host (`nginx:1`) is Docker Hub.
fn image_registry(image: &str) -> Registry {
    let first = image.split('/').next().unwrap_or_default();
    let has_host =
        image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    if !has_host {
        return Registry::Other("registry-1.docker.io".into());
    }
    match calls::ecr_image(image) {
        Some((_, region, _)) => Registry::Ecr {
            region: region.to_string(),
            dual_stack: first.ends_with(".on.aws"),
        },
        None => Registry::Other(first.to_string()),
    }
}

/// A `valueFrom` names a Secrets Manager secret only by ARN; anything else is an SSM
/// parameter (name or ARN). Bare names live in the task's region.
fn secret_service(value_from: &str, task_region: &str) -> (AwsService, String) {
    match ArnParts::parse(value_from) {
        Some(arn) if arn.service == "secretsmanager" => {
            (AwsService::SecretsManager, arn.region.to_string())
        }
        Some(arn) => (AwsService::Ssm, arn.region.to_string()),
        None => (AwsService::Ssm, task_region.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_are_told_apart() {
        assert!(
            matches!(image_registry("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1"), Registry::Ecr { region, dual_stack: false } if region == "eu-west-1")
                && matches!(image_registry("123456789012.dkr-ecr.eu-west-1.on.aws/app:1"), Registry::Ecr { region, dual_stack: true } if region == "eu-west-1")
        );
        assert!(
            matches!(image_registry("nginx:1.27"), Registry::Other(h) if h == "registry-1.docker.io")
        );
        assert!(
            matches!(image_registry("library/nginx"), Registry::Other(h) if h == "registry-1.docker.io")
        );
        assert!(
            matches!(image_registry("public.ecr.aws/nginx/nginx:1"), Registry::Other(h) if h == "public.ecr.aws")
        );
        assert!(
            matches!(image_registry("ghcr.io/org/app@sha256:abc"), Registry::Other(h) if h == "ghcr.io")
        );
    }

    #[test]
    fn secrets_by_arn_and_parameters_by_name() {
        assert_eq!(
            secret_service(
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::",
                "us-east-1"
            ),
            (AwsService::SecretsManager, "eu-west-1".into())
        );
        assert_eq!(
            secret_service("/app/key", "us-east-1"),
            (AwsService::Ssm, "us-east-1".into())
        );
        assert_eq!(
            secret_service(
                "arn:aws:ssm:us-west-2:123456789012:parameter/app/key",
                "us-east-1"
            ),
            (AwsService::Ssm, "us-west-2".into())
        );
    }
}
