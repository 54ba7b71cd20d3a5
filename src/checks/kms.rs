//! The customer managed KMS keys behind the task's secrets and SecureString parameters: the
//! key exists, is enabled, and its key policy lets the task's account or role use it.

use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::{Lookup, RoleLookup};
use crate::policy::{Evaluation, Request, evaluate};

pub const KEY: Check = Check {
    id: "kms.key",
    title: "KMS keys of the task's secrets and parameters are enabled and usable",
    problem: "a KMS key behind the task's secrets cannot be used",
    category: Category::Kms,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Enable the key (aws kms enable-key) or cancel its deletion (aws kms \
                  cancel-key-deletion), and let the execution role decrypt in the key policy.",
    docs: "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
    run: key,
};

fn key(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let role = match &facts.identity.execution_role {
        Some(RoleLookup::Found(role)) => Some(role.arn.clone()),
        _ => facts
            .task_definition
            .as_ref()
            .and_then(|d| d.execution_role_arn.clone()),
    };
    let account = facts.task.account.as_str();
    let partition = crate::arn::partition(&facts.task.region);
    let mut principals = vec![
        format!("arn:{partition}:iam::{account}:root"),
        account.to_string(),
    ];
    principals.extend(role.clone());
    let mut findings = Vec::new();
    for key in &facts.references.kms_keys {
        let id = key.arn.as_deref().unwrap_or(&key.reference);
        match &key.lookup {
            Lookup::Failed(reason) => findings.push(check.skipped(format!(
                "Skipped: the doctor could not describe KMS key {} ({reason}).",
                key.reference
            ))),
            Lookup::NotFound => findings.push(check.fail(
                format!(
                    "KMS key {}, which encrypts one of the task's secrets or parameters, does \
                     not exist in {}.",
                    key.reference, key.region
                ),
                &[key.reference.as_str()],
            )),
            Lookup::Found => {
                let state = key.state.as_deref().unwrap_or("unknown");
                if state != "Enabled" {
                    let fix = if state == "PendingDeletion" {
                        format!(
                            "aws kms cancel-key-deletion --key-id {id} && aws kms enable-key \
                             --key-id {id}"
                        )
                    } else {
                        format!("aws kms enable-key --key-id {id}")
                    };
                    findings.push(
                        check
                            .fail(
                                format!(
                                    "KMS key {id} is {state}: nothing encrypted with it can be \
                                     decrypted, so the task cannot read its secret."
                                ),
                                &[id],
                            )
                            .with_fix(fix),
                    );
                    continue;
                }
                let Some(policy) = key.policy.as_deref() else {
                    findings.push(match &key.policy_gap {
                        Some(gap) => check.warn(
                            format!(
                                "KMS key {id} is enabled; whether its key policy lets the \
                                 execution role decrypt is unknown: the doctor could not call \
                                 kms:GetKeyPolicy ({}).",
                                gap.reason
                            ),
                            &[id],
                        ),
                        None => {
                            let owner = crate::arn::ArnParts::parse(id)
                                .map(|arn| arn.account)
                                .filter(|owner| *owner != account);
                            match owner {
                                Some(owner) => check.pass(
                                    format!(
                                        "KMS key {id} is enabled; its key policy is account \
                                         {owner}'s and can be read only there \
                                         (secret.cross-account judges what the task needs of \
                                         another account's secret)."
                                    ),
                                    &[id],
                                ),
                                None => check.pass(format!("KMS key {id} is enabled."), &[id]),
                            }
                        }
                    });
                    continue;
                };
                let request = Request {
                    action: "kms:Decrypt",
                    resource: "*",
                    principals: Some(&principals),
                };
                match evaluate(&[("the key policy", policy)], &request) {
                    Evaluation::Allowed => findings.push(check.pass(
                        format!(
                            "KMS key {id} is enabled and its key policy lets the account or the \
                             execution role decrypt."
                        ),
                        &[id],
                    )),
                    Evaluation::ExplicitDeny(at) => findings.push(check.fail(
                        format!("The key policy of KMS key {id} denies kms:Decrypt ({at})."),
                        &[id],
                    )),
                    Evaluation::NotAllowed => findings.push(
                        check
                            .fail(
                                format!(
                                    "The key policy of KMS key {id} lets neither account \
                                     {account} nor the execution role decrypt, so no IAM policy \
                                     can grant it."
                                ),
                                &[id],
                            )
                            .with_fix(format!(
                                "Add a statement to the key policy allowing kms:Decrypt to {} \
                                 (aws kms put-key-policy --key-id {id} --policy-name default \
                                 ...).",
                                role.as_deref().unwrap_or("the execution role")
                            )),
                    ),
                    Evaluation::Unknown(why) => findings.push(check.warn(
                        format!(
                            "Whether the key policy of KMS key {id} lets the execution role \
                             decrypt cannot be told: {why}."
                        ),
                        &[id],
                    )),
                }
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::facts::KmsKey;
    use crate::test_support::{healthy_nat, with_task_definition};

    /// A task in `region` whose secret uses an enabled customer key whose policy lets
    /// `principal` decrypt.
    fn key_allowing(region: &str, principal: &str) -> Vec<Finding> {
        let mut facts = with_task_definition(healthy_nat());
        facts.task.region = region.into();
        let partition = crate::arn::partition(region);
        let key = format!("arn:{partition}:kms:{region}:123456789012:key/1234abcd");
        let policy = serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": principal}, "Action": "kms:Decrypt", "Resource": "*"}]});
        facts.references.kms_keys.push(KmsKey {
            reference: key.clone(),
            region: region.into(),
            lookup: Lookup::Found,
            arn: Some(key),
            state: Some("Enabled".into()),
            manager: Some("CUSTOMER".into()),
            policy: Some(policy.to_string()),
            policy_gap: None,
        });
        (KEY.run)(&KEY, &Context::new(&facts))
    }

    /// The account's root principal is the task's partition's: a GovCloud key policy names
    /// `arn:aws-us-gov:iam::…:root`.
    #[test]
    fn the_account_principal_is_in_the_tasks_partition() {
        let gov = key_allowing("us-gov-west-1", "arn:aws-us-gov:iam::123456789012:root");
        assert_eq!(gov[0].status, Status::Pass, "{}", gov[0].detail);
        let other = key_allowing("us-gov-west-1", "arn:aws:iam::123456789012:root");
        assert_ne!(other[0].status, Status::Pass, "{}", other[0].detail);
        let commercial = key_allowing("eu-west-1", "arn:aws:iam::123456789012:root");
        assert_eq!(
            commercial[0].status,
            Status::Pass,
            "{}",
            commercial[0].detail
        );
    }
}
