//! Secrets Manager references (`secrets`, `logConfiguration.secretOptions`,
//! `repositoryCredentials`): the secret exists in the referenced region, is not scheduled for
//! deletion, the version asked for exists, the reference is not a partial ARN that looks
//! complete, and a secret in another account uses a customer managed key.

use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::{Lookup, Read};
use crate::policy::{Evaluation, Request, evaluate};
use regex::Regex;
use std::sync::LazyLock;

pub const EXISTS: Check = Check {
    id: "secret.exists",
    title: "Each referenced secret exists, is not being deleted and has the version asked for",
    problem: "a secret the task references is missing or unusable",
    category: Category::Secret,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Reference the secret by its complete ARN (with the six-character suffix) in \
                  the task's region, restore it if it is scheduled for deletion, and ask only \
                  for version stages or ids it has.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html",
    run: exists,
};

pub const CROSS_ACCOUNT: Check = Check {
    id: "secret.cross-account",
    title: "A secret in another account uses a customer managed key and a resource policy that admits the task",
    problem: "a cross-account secret uses the AWS managed key",
    category: Category::Kms,
    severity: Severity::High,
    scope: Scope::Task,
    remediation: "Encrypt the secret with a customer managed KMS key whose key policy lets the \
                  task's account decrypt, and give the secret a resource policy that allows the \
                  execution role.",
    docs: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html",
    run: cross_account,
};

/// Secrets Manager adds `-` and six characters to every secret's name in its ARN.
static RANDOM_SUFFIX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"-[A-Za-z0-9]{6}$").unwrap());

fn exists(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let mut findings = Vec::new();
    for (reference, why) in &cx.secret_references {
        let Some(lookup) = facts
            .references
            .secrets
            .iter()
            .find(|s| s.reference == reference.id)
        else {
            findings.extend(check.missing_read(facts, Read::DescribeSecret));
            continue;
        };
        let id = reference.id.as_str();
        let region = &reference.region;
        match &lookup.lookup {
            Lookup::Failed(reason) => findings.push(check.skipped(format!(
                "Skipped: the doctor could not describe secret {id} ({reason})."
            ))),
            Lookup::NotFound => {
                let hint = if RANDOM_SUFFIX.is_match(reference.name()) {
                    ""
                } else if id.starts_with("arn:") {
                    " (the reference has no six-character suffix, so it is a partial ARN)"
                } else {
                    ""
                };
                findings.push(
                    check
                        .fail(
                            format!(
                                "Secret {id}, the {why}, does not exist in {region}{hint}: the \
                                 task cannot fetch it."
                            ),
                            &[id],
                        )
                        .with_fix(format!(
                            "Create the secret in {region}, or correct the reference: aws \
                             secretsmanager list-secrets --region {region} --filter \
                             Key=name,Values={}",
                            reference
                                .name()
                                .trim_end_matches(|c: char| c != '-')
                                .trim_end_matches('-')
                        )),
                );
            }
            Lookup::Found => {
                let arn = lookup.arn.as_deref().unwrap_or(id);
                let mut resources = vec![id];
                if arn != id {
                    resources.push(arn);
                }
                if let Some(deleted) = &lookup.deleted_date {
                    findings.push(
                        check
                            .fail(
                                format!(
                                    "Secret {arn}, the {why}, is scheduled for deletion \
                                     ({deleted}): Secrets Manager refuses to return it."
                                ),
                                &resources,
                            )
                            .with_fix(format!(
                                "aws secretsmanager restore-secret --secret-id {arn} --region \
                                 {region}"
                            )),
                    );
                    continue;
                }
                // A partial ARN whose name happens to end like a suffix is taken for a complete
                // ARN by GetSecretValue, and fails (often as AccessDenied).
                if id.starts_with("arn:") && arn != id && RANDOM_SUFFIX.is_match(reference.name()) {
                    findings.push(
                        check
                            .fail(
                                format!(
                                    "The {why} references {id}, a partial ARN whose name ends \
                                     in a hyphen and six characters, so ECS takes it for a \
                                     complete ARN and cannot find it; the secret's complete ARN \
                                     is {arn}."
                                ),
                                &resources,
                            )
                            .with_fix(format!(
                                "Reference the complete ARN {arn} in the task definition."
                            )),
                    );
                    continue;
                }
                if let Some(stage) = &reference.version_stage
                    && !lookup.version_stages.contains(stage)
                {
                    findings.push(check.fail(
                        format!("The {why} asks for version stage {stage} of secret {arn}, which has none (it has {}).", lookup.version_stages.join(", ")),
                        &resources,
                    ));
                    continue;
                }
                if let Some(version) = &reference.version_id
                    && !lookup.version_ids.contains(version)
                {
                    findings.push(check.fail(format!("The {why} asks for version {version} of secret {arn}, which does not exist."), &resources));
                    continue;
                }
                findings.push(check.pass(
                    format!("Secret {arn} (the {why}) exists and is usable."),
                    &resources,
                ));
            }
        }
    }
    findings
}

fn cross_account(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let mut findings = Vec::new();
    for (reference, why) in &cx.secret_references {
        let Some(account) = reference
            .account
            .as_deref()
            .filter(|a| *a != facts.task.account)
        else {
            continue;
        };
        let Some(lookup) = facts
            .references
            .secrets
            .iter()
            .find(|s| s.reference == reference.id && matches!(s.lookup, Lookup::Found))
        else {
            continue;
        };
        let key = lookup.kms_key_id.as_deref();
        let aws_managed =
            key.is_none_or(|k| k.ends_with("alias/aws/secretsmanager"))
                || facts.references.kms_keys.iter().any(|k| {
                    Some(k.reference.as_str()) == key && k.manager.as_deref() == Some("AWS")
                });
        let arn = lookup.arn.as_deref().unwrap_or(&reference.id);
        if aws_managed {
            findings.push(check.fail(
                format!(
                    "Secret {arn} (the {why}) lives in account {account} and is encrypted with \
                     the AWS managed key aws/secretsmanager, which no other account can use: \
                     the task's account {} cannot decrypt it.",
                    facts.task.account
                ),
                &[arn],
            ));
            continue;
        }
        let role = facts
            .task_definition
            .as_ref()
            .and_then(|d| d.execution_role_arn.clone());
        let mut principals = vec![
            format!(
                "arn:{}:iam::{}:root",
                crate::arn::partition(&facts.task.region),
                facts.task.account
            ),
            facts.task.account.clone(),
        ];
        principals.extend(role);
        let request = Request {
            action: "secretsmanager:GetSecretValue",
            resource: arn,
            principals: Some(&principals),
        };
        if let (None, Some(gap)) = (&lookup.resource_policy, &lookup.resource_policy_gap) {
            findings.push(check.warn(
                format!(
                    "Whether the resource policy of secret {arn} (account {account}) lets the \
                     execution role read it is unknown: the doctor could not call \
                     secretsmanager:GetResourcePolicy ({}).",
                    gap.reason
                ),
                &[arn],
            ));
            continue;
        }
        findings.push(
            match lookup
                .resource_policy
                .as_deref()
                .map(|p| evaluate(&[("the secret's resource policy", p)], &request))
            {
                Some(Evaluation::Allowed) => check.pass(
                    format!(
                        "Secret {arn} in account {account} uses a customer managed key and its \
                         resource policy lets the task's account read it."
                    ),
                    &[arn],
                ),
                Some(Evaluation::Unknown(why)) => check.warn(
                    format!(
                        "Whether the resource policy of secret {arn} (account {account}) lets \
                         the execution role read it cannot be told: {why}."
                    ),
                    &[arn],
                ),
                Some(_) | None => check
                    .fail(
                        format!(
                            "Secret {arn} (the {why}) lives in account {account}, and its \
                             resource policy does not let account {} or its execution role read \
                             it.",
                            facts.task.account
                        ),
                        &[arn],
                    )
                    .with_fix(format!(
                        "aws secretsmanager put-resource-policy --secret-id {arn} \
                         --resource-policy '{{\"Version\":\"2012-10-17\",\
                         \"Statement\":[{{\"Effect\":\"Allow\",\
                         \"Principal\":{{\"AWS\":\"<execution role ARN>\"}},\
                         \"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}}]}}'  \
                         (run in account {account})"
                    )),
            },
        );
    }
    findings
}
