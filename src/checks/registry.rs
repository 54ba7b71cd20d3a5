//! Private ECR images: the repository and the tag or digest exist, and a repository in
//! another account lets the execution role pull.

use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::{Lookup, Read};
use crate::policy::{Evaluation, Request, evaluate};

pub const IMAGE: Check = Check {
    id: "registry.image",
    title: "Each private ECR image's repository and tag exist, and its repository lets the task pull",
    problem: "an image the task pulls does not exist or may not be pulled",
    category: Category::Registry,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Push the image (or correct the repository, tag or digest in the task \
                  definition); for a repository in another account, allow the execution role \
                  (or its account) ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and \
                  ecr:BatchCheckLayerAvailability in the repository policy.",
    docs: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html",
    run: image,
};

fn image(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let account = facts.task.account.as_str();
    let role = facts
        .task_definition
        .as_ref()
        .and_then(|d| d.execution_role_arn.clone());
    let partition = crate::arn::partition(&facts.task.region);
    let mut principals = vec![
        format!("arn:{partition}:iam::{account}:root"),
        account.to_string(),
    ];
    principals.extend(role);
    let mut findings = Vec::new();
    let private_images = facts
        .task_definition
        .iter()
        .flat_map(|d| &d.containers)
        .filter(|c| crate::needs::ecr_repository_arn(&c.image).is_some())
        .count();
    if facts.references.images.len() < private_images {
        findings.extend(check.missing_read(facts, Read::DescribeImages));
    }
    for lookup in &facts.references.images {
        let image = lookup.image.as_str();
        let repository = lookup.repository_arn.as_str();
        let resources = [image, repository];
        match (&lookup.repository, &lookup.image_lookup) {
            (Lookup::NotFound, _) => {
                findings.push(check.fail(
                    format!("Repository {repository} of image {image} does not exist."),
                    &resources,
                ));
                continue;
            }
            (_, Lookup::NotFound) => {
                findings.push(
                    check
                        .fail(
                            format!(
                                "Image {image} does not exist: repository {repository} has no \
                                 such tag or digest."
                            ),
                            &resources,
                        )
                        .with_fix(format!(
                            "Push the image (docker push {image}) or correct the tag in the \
                             task definition."
                        )),
                );
                continue;
            }
            (Lookup::Failed(reason), _) | (_, Lookup::Failed(reason)) => {
                findings.push(check.skipped(format!(
                    "Skipped: the doctor could not describe image {image} ({reason})."
                )));
                continue;
            }
            (Lookup::Found, Lookup::Found) => {}
        }
        let owner = repository.split(':').nth(4).unwrap_or_default();
        if owner == account {
            findings.push(check.pass(format!("Image {image} exists."), &resources));
            continue;
        }
        if let (None, Some(gap)) = (&lookup.policy, &lookup.policy_gap) {
            findings.push(check.warn(
                format!(
                    "Image {image} lives in account {owner}; whether its repository policy lets \
                     account {account} pull is unknown: the doctor could not call \
                     ecr:GetRepositoryPolicy ({}).",
                    gap.reason
                ),
                &resources,
            ));
            continue;
        }
        let Some(policy) = lookup.policy.as_deref() else {
            findings.push(check.fail(
                format!(
                    "Image {image} lives in account {owner}, whose repository has no policy \
                     letting account {account} pull."
                ),
                &resources,
            ));
            continue;
        };
        let denied: Vec<String> = [
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchCheckLayerAvailability",
        ]
        .into_iter()
        .filter_map(|action| {
            let request = Request {
                action,
                resource: repository,
                principals: Some(&principals),
            };
            match evaluate(&[("the repository policy", policy)], &request) {
                Evaluation::Allowed => None,
                Evaluation::Unknown(why) => Some(format!("{action} (unknown: {why})")),
                _ => Some(action.to_string()),
            }
        })
        .collect();
        findings.push(if denied.is_empty() {
            check.pass(
                format!(
                    "Image {image} exists and repository {repository} lets account {account} pull."
                ),
                &resources,
            )
        } else {
            check.fail(
                format!(
                    "The policy of repository {repository} (account {owner}) does not let the \
                     execution role pull: {}.",
                    denied.join(", ")
                ),
                &resources,
            )
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::facts::ImageLookup;
    use crate::test_support::{healthy_nat, with_task_definition};

    /// An image in another account, its repository policy as read.
    fn cross_account(policy_gap: Option<&str>) -> Vec<Finding> {
        let mut facts = with_task_definition(healthy_nat());
        let image = "999999999999.dkr.ecr.us-east-1.amazonaws.com/shared/web:1.8.2";
        facts.task_definition.as_mut().unwrap().containers[0].image = image.into();
        facts.references.images.push(ImageLookup {
            image: image.into(),
            repository_arn: "arn:aws:ecr:us-east-1:999999999999:repository/shared/web".into(),
            repository: Lookup::Found,
            image_lookup: Lookup::Found,
            policy: None,
            policy_gap: policy_gap.map(|reason| crate::facts::Gap {
                read: Read::GetRepositoryPolicy,
                reason: reason.into(),
                transient: false,
            }),
        });
        (IMAGE.run)(&IMAGE, &Context::new(&facts))
    }

    #[test]
    fn a_repository_without_a_policy_fails_and_an_unreadable_one_is_unknown() {
        let findings = cross_account(None);
        assert_eq!(findings[0].status, Status::Fail, "{}", findings[0].detail);
        let findings = cross_account(Some(
            "the doctor's role may not call ecr:GetRepositoryPolicy",
        ));
        assert_eq!(findings[0].status, Status::Warn);
        assert!(
            findings[0]
                .detail
                .contains("whether its repository policy lets account"),
            "{}",
            findings[0].detail
        );
    }
}
