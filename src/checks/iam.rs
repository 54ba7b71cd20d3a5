//! The execution role: present where the task needs one, existing, assumable by ECS tasks,
//! and allowed every call the agent makes for the task on the exact resources.

use super::{Category, Check, Context, Finding, Scope, Severity, Status};
use crate::facts::{Facts, Read, Role, RoleLookup, SimulationDecision};
use crate::needs::Permission;
use crate::policy::{Evaluation, Request, evaluate, strings};
use serde_json::Value;

pub const EXECUTION_ROLE: Check = Check {
    id: "iam.execution-role",
    title: "Task definition has an execution role that exists, where the task needs one",
    problem: "the task's execution role is missing",
    category: Category::IamRole,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Set executionRoleArn in the task definition to a role that exists and carries \
                  AmazonECSTaskExecutionRolePolicy (plus access to the task's secrets), and \
                  register a new revision.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
    run: execution_role,
};

pub const TRUST_POLICY: Check = Check {
    id: "iam.trust-policy",
    title: "ECS tasks may assume the execution role",
    problem: "ECS tasks may not assume the execution role",
    category: Category::IamRole,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Let the service principal ecs-tasks.amazonaws.com call sts:AssumeRole in the \
                  role's trust policy (aws iam update-assume-role-policy), with any \
                  aws:SourceAccount / aws:SourceArn condition matching the task's account and \
                  ARNs.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html#create-task-execution-role",
    run: trust_policy,
};

pub const PERMISSIONS: Check = Check {
    id: "iam.permissions",
    title: "Execution role may make every call the agent makes, on the exact resources",
    problem: "the execution role may not make a call the task needs",
    category: Category::IamPermission,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Add the missing action on the exact resource to the execution role's policy, or remove the deny that blocks it.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
    run: permissions,
};

fn role(facts: &Facts) -> Option<&Role> {
    match facts.identity.execution_role.as_ref()? {
        RoleLookup::Found(role) => Some(role),
        RoleLookup::Missing { .. } => None,
    }
}

fn execution_role(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let Some(definition) = &facts.task_definition else {
        return vec![check.skipped("Skipped: the task definition is unknown.")];
    };
    let reasons = crate::needs::role_reasons(definition);
    let Some(arn) = definition.execution_role_arn.as_deref() else {
        if reasons.is_empty() {
            return vec![check.pass("The task needs no execution role: no private ECR image, awslogs, secrets or environment files.", &[])];
        }
        return vec![
            check
                .fail(
                    format!(
                        "Task definition {} has no execution role, but the task needs one: {}.",
                        definition.arn,
                        reasons.join("; ")
                    ),
                    &[definition.arn.as_str()],
                )
                .with_fix(format!(
                    "Register a new revision of {} with executionRoleArn set to a role trusted \
                     by ecs-tasks.amazonaws.com with AmazonECSTaskExecutionRolePolicy attached.",
                    definition.family
                )),
        ];
    };
    if let Some(gap) = facts.gap(Read::GetRole) {
        return vec![check.skipped_for(gap)];
    }
    match &facts.identity.execution_role {
        Some(RoleLookup::Missing { .. }) => vec![
            check
                .fail(
                    format!(
                        "The execution role {arn} of task definition {} does not exist.",
                        definition.arn
                    ),
                    &[arn, definition.arn.as_str()],
                )
                .with_fix(format!(
                    "Create the role (aws iam create-role --role-name {} \
                     --assume-role-policy-document \
                     '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\
                     \"Principal\":{{\"Service\":\"ecs-tasks.amazonaws.com\"}},\
                     \"Action\":\"sts:AssumeRole\"}}]}}' and attach \
                     AmazonECSTaskExecutionRolePolicy), or point the task definition at an \
                     existing one.",
                    crate::arn::arn_resource_name(arn)
                )),
        ],
        Some(RoleLookup::Found(role)) => vec![check.pass(
            format!("Execution role {} exists.", role.arn),
            &[role.arn.as_str()],
        )],
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

fn trust_policy(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
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
        "aws iam update-assume-role-policy --role-name {} --policy-document \
         '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\
         \"Principal\":{{\"Service\":\"ecs-tasks.amazonaws.com\"}},\
         \"Action\":\"sts:AssumeRole\",\
         \"Condition\":{{\"StringEquals\":{{\"aws:SourceAccount\":\"{}\"}}}}}}]}}'",
        role.name, facts.task.account
    );
    match problem {
        Some(why) if why.contains("cannot be evaluated") => vec![check.warn(
            format!(
                "The trust policy of {arn} lets ecs-tasks.amazonaws.com assume it only when \
                 {why}."
            ),
            &[arn],
        )],
        Some(why) => vec![
            check
                .fail(
                    format!(
                        "The trust policy of {arn} names ecs-tasks.amazonaws.com, but {why}: \
                         ECS cannot assume the role for this task."
                    ),
                    &[arn],
                )
                .with_fix(fix),
        ],
        None => vec![
            check
                .fail(
                    format!(
                        "The trust policy of {arn} does not let ecs-tasks.amazonaws.com call \
                         sts:AssumeRole: ECS cannot use it as the task's execution role."
                    ),
                    &[arn],
                )
                .with_fix(fix),
        ],
    }
}

/// The fix for a missing permission: the statement to add, as a CLI command.
fn grant(role: &str, permission: &Permission) -> String {
    let name = crate::arn::arn_resource_name(role);
    let statement = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": permission.action, "Resource": permission.resource }]
    });
    format!(
        "aws iam put-role-policy --role-name {name} --policy-name ecs-task-doctor-{} --policy-document '{statement}'",
        permission.action.replace(':', "-")
    )
}

fn permissions(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let Some(role) = role(facts) else {
        return vec![];
    };
    let wanted = &cx.permissions;
    if wanted.is_empty() {
        return vec![];
    }
    let simulated = facts.gap(Read::SimulatePrincipalPolicy).is_none();
    let mut findings = Vec::new();
    for permission in wanted {
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
        SimulationDecision::Allowed => Outcome::Allowed,
        SimulationDecision::ExplicitDeny => Outcome::Denied(format!(
            "an explicit deny in {}",
            if result.matched_statements.is_empty() {
                "a policy".to_string()
            } else {
                result.matched_statements.join(", ")
            }
        )),
        SimulationDecision::ImplicitDeny => Outcome::Denied("no policy allows it".into()),
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
        (Evaluation::ExplicitDeny(at), _) | (_, Some(Evaluation::ExplicitDeny(at))) => {
            Outcome::Denied(format!("an explicit deny in {at}"))
        }
        (_, Some(Evaluation::NotAllowed)) => {
            Outcome::Denied("the role's permissions boundary does not allow it".into())
        }
        (Evaluation::NotAllowed, _) => Outcome::Denied("no policy allows it".into()),
        (Evaluation::Unknown(why), _) | (_, Some(Evaluation::Unknown(why))) => {
            Outcome::Unknown(why)
        }
        (Evaluation::Allowed, _) => Outcome::Allowed,
    }
}
