//! The calls the ECS agent makes with the execution role for a task, on the exact resources:
//! what `collect` asks the policy simulator about and `iam.permissions` judges.

use super::references::{SecretReference, ValueSource, credentials_source, value_source};
use crate::facts::{References, Task, TaskDefinition};

/// A call the ECS agent makes with the execution role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub action: &'static str,
    pub resource: String,
    /// `kms:ViaService` for decryption through Secrets Manager or SSM.
    pub via_service: Option<String>,
    pub why: String,
}

/// The repository ARN of a private ECR image, if it is one.
pub fn ecr_repository_arn(image: &str) -> Option<String> {
    let (account, region, rest) = ecr_image(image)?;
    let repository = rest.split('@').next()?;
    let repository = match repository.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => repository,
    };
    Some(format!(
        "arn:{}:ecr:{region}:{account}:repository/{repository}",
        crate::arn::partition(region)
    ))
}

/// A private ECR image's registry account, region and the rest of its name, from either
/// host form: `ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]` or the dual-stack
/// `ACCOUNT.dkr-ecr[-fips].REGION.on.aws` (`….on.amazonwebservices.com.cn` in China)
/// (AmazonECR ecr-requests.html).
pub fn ecr_image(image: &str) -> Option<(&str, &str, &str)> {
    let (host, rest) = image.split_once('/')?;
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [account, "dkr", ecr, region, "amazonaws", ..] if ecr.starts_with("ecr") => {
            Some((account, region, rest))
        }
        [account, dkr_ecr, region, "on", "aws"]
        | [
            account,
            dkr_ecr,
            region,
            "on",
            "amazonwebservices",
            "com",
            "cn",
        ] if dkr_ecr.starts_with("dkr-ecr") => Some((account, region, rest)),
        _ => None,
    }
}

/// Why the task needs an execution role, if it does.
pub fn role_reasons(definition: &TaskDefinition) -> Vec<String> {
    let mut reasons = Vec::new();
    for c in &definition.containers {
        if ecr_repository_arn(&c.image).is_some() {
            reasons.push(format!("container {} pulls from private ECR", c.name));
        }
        if c.log_driver.as_deref() == Some("awslogs") {
            reasons.push(format!("container {} logs with awslogs", c.name));
        }
        if !c.secrets.is_empty() || !c.log_secret_options.is_empty() {
            reasons.push(format!("container {} has secrets", c.name));
        }
        if c.repository_credentials.is_some() {
            reasons.push(format!("container {} has repositoryCredentials", c.name));
        }
        if !c.environment_files.is_empty() {
            reasons.push(format!("container {} has environment files", c.name));
        }
    }
    reasons
}

fn customer_key_arn(references: &References, reference: Option<&str>) -> Option<String> {
    let reference = reference?;
    let key = references
        .kms_keys
        .iter()
        .find(|k| k.reference == reference)?;
    (key.manager.as_deref() == Some("CUSTOMER"))
        .then(|| key.arn.clone().unwrap_or_else(|| reference.to_string()))
}

/// The secret ARN to ask about: DescribeSecret's full ARN when known, else the reference.
fn secret_arn(references: &References, reference: &SecretReference) -> (String, Option<String>) {
    match references
        .secrets
        .iter()
        .find(|s| s.reference == reference.id)
    {
        Some(found) => (
            found.arn.clone().unwrap_or_else(|| reference.id.clone()),
            found.kms_key_id.clone(),
        ),
        None => (reference.id.clone(), None),
    }
}

/// Every call the agent makes for the task with the execution role, on its exact resource.
pub fn permissions(
    task: &Task,
    definition: &TaskDefinition,
    references: &References,
) -> Vec<Permission> {
    let region = task.region.as_str();
    let account = task.account.as_str();
    let mut wanted: Vec<Permission> = Vec::new();
    let mut add = |action: &'static str, resource: String, via: Option<String>, why: String| {
        if !wanted
            .iter()
            .any(|p| p.action == action && p.resource == resource)
        {
            wanted.push(Permission {
                action,
                resource,
                via_service: via,
                why,
            });
        }
    };
    for c in &definition.containers {
        let name = &c.name;
        if let Some(repository) = ecr_repository_arn(&c.image) {
            add(
                "ecr:GetAuthorizationToken",
                "*".into(),
                None,
                format!("image of container {name}"),
            );
            for action in [
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
            ] {
                add(
                    action,
                    repository.clone(),
                    None,
                    format!("image of container {name}"),
                );
            }
        }
        if c.log_driver.as_deref() == Some("awslogs")
            && let Some(group) = c.awslogs_options.get("awslogs-group")
        {
            let log_region = c
                .awslogs_options
                .get("awslogs-region")
                .map_or(region, String::as_str);
            let arn = format!(
                "arn:{}:logs:{log_region}:{account}:log-group:{group}:*",
                crate::arn::partition(log_region)
            );
            for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
                add(
                    action,
                    arn.clone(),
                    None,
                    format!("awslogs of container {name}"),
                );
            }
            if c.awslogs_options
                .get("awslogs-create-group")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            {
                add(
                    "logs:CreateLogGroup",
                    arn.clone(),
                    None,
                    format!("awslogs-create-group of container {name}"),
                );
            }
        }
        let secrets = c.secrets.iter().chain(&c.log_secret_options).map(|s| {
            (
                value_source(&s.value_from, region),
                format!("secret {} of container {name}", s.name),
            )
        });
        let credentials = c.repository_credentials.iter().map(|p| {
            (
                ValueSource::Secret(credentials_source(p, region)),
                format!("repositoryCredentials of container {name}"),
            )
        });
        for (source, why) in secrets.chain(credentials) {
            match source {
                ValueSource::Secret(reference) => {
                    let (arn, key) = secret_arn(references, &reference);
                    add("secretsmanager:GetSecretValue", arn, None, why.clone());
                    if let Some(key) = customer_key_arn(references, key.as_deref()) {
                        add(
                            "kms:Decrypt",
                            key,
                            Some(format!("secretsmanager.{}.amazonaws.com", reference.region)),
                            why,
                        );
                    }
                }
                ValueSource::Parameter {
                    name,
                    region: parameter_region,
                    arn,
                } => {
                    let arn = arn.unwrap_or_else(|| {
                        format!(
                            "arn:aws:ssm:{parameter_region}:{account}:parameter/{}",
                            name.trim_start_matches('/')
                        )
                    });
                    add("ssm:GetParameters", arn, None, why.clone());
                    let key = references
                        .parameters
                        .iter()
                        .find(|p| p.name == name && p.region == parameter_region)
                        .and_then(|p| p.key_id.clone());
                    if let Some(key) = customer_key_arn(references, key.as_deref()) {
                        add(
                            "kms:Decrypt",
                            key,
                            Some(format!("ssm.{parameter_region}.amazonaws.com")),
                            why,
                        );
                    }
                }
            }
        }
        for file in &c.environment_files {
            add(
                "s3:GetObject",
                file.clone(),
                None,
                format!("environment file of container {name}"),
            );
            if let Some(arn) = crate::arn::ArnParts::parse(file).filter(|a| a.service == "s3")
                && let Some(bucket) = arn.resource.split('/').next()
            {
                add(
                    "s3:GetBucketLocation",
                    format!("arn:{}:s3:::{bucket}", arn.partition),
                    None,
                    format!("environment file of container {name}"),
                );
            }
        }
    }
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_arns_from_images() {
        assert_eq!(
            ecr_repository_arn("123456789012.dkr-ecr.us-east-1.on.aws/team/web:1.8.2").as_deref(),
            Some("arn:aws:ecr:us-east-1:123456789012:repository/team/web"),
            "the dual-stack name"
        );
        assert_eq!(ecr_repository_arn("public.ecr.aws/nginx/nginx:1"), None);
        assert_eq!(
            ecr_repository_arn("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:1").as_deref(),
            Some("arn:aws-cn:ecr:cn-north-1:123456789012:repository/web")
        );
        assert_eq!(
            ecr_repository_arn("123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn/web:1")
                .as_deref(),
            Some("arn:aws-cn:ecr:cn-north-1:123456789012:repository/web")
        );
        assert_eq!(
            ecr_repository_arn("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/web:1.8.2")
                .as_deref(),
            Some("arn:aws:ecr:us-east-1:123456789012:repository/team/web")
        );
        assert_eq!(
            ecr_repository_arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:abc")
                .as_deref(),
            Some("arn:aws:ecr:eu-west-1:123456789012:repository/web")
        );
        assert_eq!(ecr_repository_arn("nginx:1"), None);
    }
}
