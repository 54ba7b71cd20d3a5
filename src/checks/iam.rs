//! The execution role: present where the task needs one, existing, assumable by ECS tasks,
//! and allowed every call the agent makes for the task on the exact resources.

use super::policy::{Request, Verdict, evaluate, strings};
use super::{Category, Check, Finding, Severity, Status};
use crate::facts::{
    Decision, Facts, Role, RoleLookup, SecretReference, ValueSource, credentials_source,
    value_source,
};
use serde_json::Value;

pub const EXECUTION_ROLE: Check = Check {
    id: "iam.execution-role",
    title: "Task definition has an execution role that exists, where the task needs one",
    problem: "the task's execution role is missing",
    category: Category::IamRole,
    severity: Severity::Critical,
    remediation: "Set executionRoleArn in the task definition to a role that exists and carries AmazonECSTaskExecutionRolePolicy (plus access to the task's secrets), and register a new revision.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
    run: execution_role,
};

pub const TRUST_POLICY: Check = Check {
    id: "iam.trust-policy",
    title: "ECS tasks may assume the execution role",
    problem: "ECS tasks may not assume the execution role",
    category: Category::IamRole,
    severity: Severity::Critical,
    remediation: "Let the service principal ecs-tasks.amazonaws.com call sts:AssumeRole in the role's trust policy (aws iam update-assume-role-policy), with any aws:SourceAccount / aws:SourceArn condition matching the task's account and ARNs.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html#create-task-execution-role",
    run: trust_policy,
};

pub const PERMISSIONS: Check = Check {
    id: "iam.permissions",
    title: "Execution role may make every call the agent makes, on the exact resources",
    problem: "the execution role may not make a call the task needs",
    category: Category::IamPermission,
    severity: Severity::Critical,
    remediation: "Add the missing action on the exact resource to the execution role's policy, or remove the deny that blocks it.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
    run: permissions,
};

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
    let (host, rest) = image.split_once('/')?;
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 6
        || labels[1] != "dkr"
        || !labels[2].starts_with("ecr")
        || labels[4] != "amazonaws"
    {
        return None;
    }
    let repository = rest.split('@').next()?;
    let repository = match repository.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => repository,
    };
    Some(format!(
        "arn:aws:ecr:{}:{}:repository/{repository}",
        labels[3], labels[0]
    ))
}

/// Why the task needs an execution role, if it does.
fn needs_role(facts: &Facts) -> Vec<String> {
    let Some(definition) = &facts.task_definition else {
        return vec![];
    };
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

fn customer_key_arn(facts: &Facts, reference: Option<&str>) -> Option<String> {
    let reference = reference?;
    let key = facts
        .references
        .kms_keys
        .iter()
        .find(|k| k.reference == reference)?;
    (key.manager.as_deref() == Some("CUSTOMER"))
        .then(|| key.arn.clone().unwrap_or_else(|| reference.to_string()))
}

/// The secret ARN to ask about: DescribeSecret's full ARN when known, else the reference.
fn secret_arn(facts: &Facts, reference: &SecretReference) -> (String, Option<String>) {
    match facts
        .references
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
pub fn required_permissions(facts: &Facts) -> Vec<Permission> {
    let Some(definition) = &facts.task_definition else {
        return vec![];
    };
    let region = facts.task.region.as_str();
    let account = facts.task.account.as_str();
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
            let arn = format!("arn:aws:logs:{log_region}:{account}:log-group:{group}:*");
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
                    let (arn, key) = secret_arn(facts, &reference);
                    add("secretsmanager:GetSecretValue", arn, None, why.clone());
                    if let Some(key) = customer_key_arn(facts, key.as_deref()) {
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
                    let key = facts
                        .references
                        .parameters
                        .iter()
                        .find(|p| p.name == name && p.region == parameter_region)
                        .and_then(|p| p.key_id.clone());
                    if let Some(key) = customer_key_arn(facts, key.as_deref()) {
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
            if let Some(bucket) = file
                .strip_prefix("arn:aws:s3:::")
                .and_then(|p| p.split('/').next())
            {
                add(
                    "s3:GetBucketLocation",
                    format!("arn:aws:s3:::{bucket}"),
                    None,
                    format!("environment file of container {name}"),
                );
            }
        }
    }
    wanted
}

fn role(facts: &Facts) -> Option<&Role> {
    match facts.identity.execution_role.as_ref()? {
        RoleLookup::Found(role) => Some(role),
        RoleLookup::Missing { .. } => None,
    }
}

fn execution_role(check: &Check, facts: &Facts) -> Vec<Finding> {
    let Some(definition) = &facts.task_definition else {
        return vec![check.skipped("Skipped: the task definition is unknown.")];
    };
    let reasons = needs_role(facts);
    let Some(arn) = definition.execution_role_arn.as_deref() else {
        if reasons.is_empty() {
            return vec![check.pass("The task needs no execution role: no private ECR image, awslogs, secrets or environment files.", &[])];
        }
        return vec![check.fail(
            format!("Task definition {} has no execution role, but the task needs one: {}.", definition.arn, reasons.join("; ")),
            &[definition.arn.as_str()],
        ).with_fix(format!("Register a new revision of {} with executionRoleArn set to a role trusted by ecs-tasks.amazonaws.com with AmazonECSTaskExecutionRolePolicy attached.", definition.family))];
    };
    if let Some(gap) = facts.gap("iam:GetRole") {
        return vec![check.skipped_for(gap)];
    }
    match &facts.identity.execution_role {
        Some(RoleLookup::Missing { .. }) => vec![check.fail(
            format!("The execution role {arn} of task definition {} does not exist.", definition.arn),
            &[arn, definition.arn.as_str()],
        ).with_fix(format!("Create the role (aws iam create-role --role-name {} --assume-role-policy-document '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"ecs-tasks.amazonaws.com\"}},\"Action\":\"sts:AssumeRole\"}}]}}' and attach AmazonECSTaskExecutionRolePolicy), or point the task definition at an existing one.", crate::facts::arn_resource_name(arn)))],
        Some(RoleLookup::Found(role)) => vec![check.pass(format!("Execution role {} exists.", role.arn), &[role.arn.as_str()])],
        None => vec![check.skipped("Skipped: the execution role was not read.")],
    }
}

/// Whether one trust statement lets ECS tasks assume the role for this task.
fn trust_statement(statement: &Value, facts: &Facts) -> Result<bool, String> {
    if statement["Effect"].as_str() != Some("Allow") {
        return Ok(false);
    }
    let services = strings(Some(&statement["Principal"]["Service"]));
    if !services.iter().any(|s| s == "ecs-tasks.amazonaws.com") {
        return Ok(false);
    }
    let actions = strings(Some(&statement["Action"]));
    if !actions
        .iter()
        .any(|a| wildmatch::WildMatch::new(&a.to_lowercase()).matches("sts:assumerole"))
    {
        return Ok(false);
    }
    let Some(conditions) = statement.get("Condition").and_then(Value::as_object) else {
        return Ok(true);
    };
    for (operator, keys) in conditions {
        for (key, values) in keys.as_object().into_iter().flatten() {
            let values = strings(Some(values));
            let matched = match key.to_ascii_lowercase().as_str() {
                "aws:sourceaccount" => values.iter().any(|v| v == &facts.task.account),
                "aws:sourcearn" => values.iter().any(|v| {
                    let pattern = wildmatch::WildMatch::new(v);
                    pattern.matches(&facts.task.arn) || pattern.matches(&facts.task.cluster_arn)
                }),
                other => {
                    return Err(format!(
                        "its condition {operator} {other} cannot be evaluated"
                    ));
                }
            };
            if !matched {
                return Err(format!(
                    "its condition {key} = {} does not match this task (account {}, task {})",
                    values.join(", "),
                    facts.task.account,
                    facts.task.arn
                ));
            }
        }
    }
    Ok(true)
}

fn trust_policy(check: &Check, facts: &Facts) -> Vec<Finding> {
    let Some(role) = role(facts) else {
        return vec![];
    };
    let arn = role.arn.as_str();
    let Some(document) = role
        .trust_policy
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
    else {
        return vec![check.skipped(format!(
            "Skipped: the trust policy of {arn} could not be read."
        ))];
    };
    let statements = match &document["Statement"] {
        Value::Array(items) => items.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => vec![],
    };
    let mut problem = None;
    for statement in &statements {
        match trust_statement(statement, facts) {
            Ok(true) => return vec![check.pass(format!("ECS tasks may assume {arn}."), &[arn])],
            Ok(false) => {}
            Err(why) => problem = Some(why),
        }
    }
    let fix = format!(
        "aws iam update-assume-role-policy --role-name {} --policy-document '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"ecs-tasks.amazonaws.com\"}},\"Action\":\"sts:AssumeRole\",\"Condition\":{{\"StringEquals\":{{\"aws:SourceAccount\":\"{}\"}}}}}}]}}'",
        role.name, facts.task.account
    );
    match problem {
        Some(why) if why.contains("cannot be evaluated") => vec![check.warn(format!("The trust policy of {arn} lets ecs-tasks.amazonaws.com assume it only when {why}."), &[arn])],
        Some(why) => vec![check.fail(format!("The trust policy of {arn} names ecs-tasks.amazonaws.com, but {why}: ECS cannot assume the role for this task."), &[arn]).with_fix(fix)],
        None => vec![check.fail(format!("The trust policy of {arn} does not let ecs-tasks.amazonaws.com call sts:AssumeRole: ECS cannot use it as the task's execution role."), &[arn]).with_fix(fix)],
    }
}

/// The fix for a missing permission: the statement to add, as a CLI command.
fn grant(role: &str, permission: &Permission) -> String {
    let name = crate::facts::arn_resource_name(role);
    let statement = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": permission.action, "Resource": permission.resource }]
    });
    format!(
        "aws iam put-role-policy --role-name {name} --policy-name ecs-task-doctor-{} --policy-document '{statement}'",
        permission.action.replace(':', "-")
    )
}

fn permissions(check: &Check, facts: &Facts) -> Vec<Finding> {
    let Some(role) = role(facts) else {
        return vec![];
    };
    let wanted = required_permissions(facts);
    if wanted.is_empty() {
        return vec![];
    }
    let simulated = facts.gap("iam:SimulatePrincipalPolicy").is_none();
    let mut findings = Vec::new();
    for permission in &wanted {
        let resources = [role.arn.as_str(), permission.resource.as_str()];
        let subject = format!(
            "{} on {} ({})",
            permission.action, permission.resource, permission.why
        );
        let outcome = if simulated {
            from_simulation(facts, permission)
        } else {
            from_identity_policies(role, permission)
        };
        let suffix = if simulated {
            ""
        } else {
            " (evaluated from identity policies only: the policy simulator was unavailable, so SCPs and resource policies are not included)"
        };
        match outcome {
            Outcome::Allowed => {}
            Outcome::Denied(why) => findings.push(
                check
                    .fail(
                        format!(
                            "Execution role {} may not call {subject}: {why}{suffix}.",
                            role.arn
                        ),
                        &resources,
                    )
                    .with_fix(fix_for(&why, &role.arn, permission)),
            ),
            Outcome::Unknown(why) => findings.push(check.warn(
                format!(
                    "Whether execution role {} may call {subject} cannot be told: {why}{suffix}.",
                    role.arn
                ),
                &resources,
            )),
            Outcome::NotSimulated => findings.push(check.skipped(format!(
                "Skipped: the simulator gave no answer for {subject}."
            ))),
        }
    }
    if findings.is_empty() {
        findings.push(check.pass(
            format!(
                "Execution role {} may make all {} calls the task needs{}.",
                role.arn,
                wanted.len(),
                if simulated {
                    ""
                } else {
                    " (evaluated from identity policies only)"
                }
            ),
            &[role.arn.as_str()],
        ));
    }
    findings.sort_by_key(|f| f.status != Status::Fail);
    findings
}

enum Outcome {
    Allowed,
    Denied(String),
    Unknown(String),
    NotSimulated,
}

fn fix_for(why: &str, role: &str, permission: &Permission) -> String {
    if why.contains("permissions boundary") {
        format!(
            "Allow {} on {} in the role's permissions boundary (or remove the boundary).",
            permission.action, permission.resource
        )
    } else if why.contains("Organizations") {
        format!(
            "Ask the organization's administrators to allow {} in the service control policy that applies to this account.",
            permission.action
        )
    } else if why.contains("explicit deny") {
        format!(
            "Remove or narrow the statement that denies {} ({why}).",
            permission.action
        )
    } else {
        grant(role, permission)
    }
}

fn from_simulation(facts: &Facts, permission: &Permission) -> Outcome {
    let Some(result) = facts
        .identity
        .simulations
        .iter()
        .find(|s| s.action == permission.action && s.resource == permission.resource)
    else {
        return Outcome::NotSimulated;
    };
    if result.denied_by_organizations {
        return Outcome::Denied("an Organizations service control policy does not allow it".into());
    }
    if result.denied_by_boundary {
        return Outcome::Denied("the role's permissions boundary does not allow it".into());
    }
    match result.decision {
        Decision::Allowed => Outcome::Allowed,
        Decision::ExplicitDeny => Outcome::Denied(format!(
            "an explicit deny in {}",
            if result.matched_statements.is_empty() {
                "a policy".to_string()
            } else {
                result.matched_statements.join(", ")
            }
        )),
        Decision::ImplicitDeny => Outcome::Denied("no policy allows it".into()),
    }
}

fn from_identity_policies(role: &Role, permission: &Permission) -> Outcome {
    let documents: Vec<(&str, &str)> = role
        .policies
        .iter()
        .map(|p| (p.source.as_str(), p.document.as_str()))
        .collect();
    let request = Request {
        action: permission.action,
        resource: &permission.resource,
        principals: None,
    };
    // kms:ViaService conditions are what key-scoped statements usually carry: say so.
    let identity = evaluate(&documents, &request);
    let boundary = role
        .permissions_boundary
        .as_ref()
        .map(|b| evaluate(&[(b.source.as_str(), b.document.as_str())], &request));
    match (identity, boundary) {
        (Verdict::ExplicitDeny(at), _) | (_, Some(Verdict::ExplicitDeny(at))) => {
            Outcome::Denied(format!("an explicit deny in {at}"))
        }
        (_, Some(Verdict::NotAllowed)) => {
            Outcome::Denied("the role's permissions boundary does not allow it".into())
        }
        (Verdict::NotAllowed, _) => Outcome::Denied("no policy allows it".into()),
        (Verdict::Unknown(why), _) | (_, Some(Verdict::Unknown(why))) => Outcome::Unknown(why),
        (Verdict::Allowed, _) => Outcome::Allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_arns_from_images() {
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
        assert_eq!(ecr_repository_arn("public.ecr.aws/nginx/nginx:1"), None);
    }
}
