//! The awslogs log driver: the log group exists in awslogs-region, or awslogs-create-group is
//! set (the role must then be allowed logs:CreateLogGroup, which iam.permissions checks).

use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::{Lookup, Read};

pub const LOG_GROUP: Check = Check {
    id: "logs.log-group",
    title: "The awslogs log group exists, or the task may create it",
    problem: "the task's awslogs log group does not exist",
    category: Category::LogGroup,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Create the log group (aws logs create-log-group), or set awslogs-create-group to true and allow logs:CreateLogGroup to the execution role.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html",
    run: log_group,
};

fn log_group(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let Some(definition) = &facts.task_definition else {
        return vec![];
    };
    let mut findings = Vec::new();
    for c in definition
        .containers
        .iter()
        .filter(|c| c.log_driver.as_deref() == Some("awslogs"))
    {
        let options = &c.awslogs_options;
        let Some(group) = options.get("awslogs-group") else {
            findings.push(check.fail(
                format!("Container {} uses awslogs without awslogs-group.", c.name),
                &[definition.arn.as_str()],
            ));
            continue;
        };
        let Some(region) = options.get("awslogs-region") else {
            findings.push(
                check
                    .fail(
                        format!(
                            "Container {} uses awslogs without awslogs-region: the driver \
                             cannot start.",
                            c.name
                        ),
                        &[group.as_str()],
                    )
                    .with_fix(format!(
                        "Set awslogs-region (e.g. {}) in the container's \
                         logConfiguration.options.",
                        facts.task.region
                    )),
            );
            continue;
        };
        let create = options
            .get("awslogs-create-group")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let Some(lookup) = facts
            .references
            .log_groups
            .iter()
            .find(|l| &l.name == group && &l.region == region)
        else {
            findings.extend(check.missing_read(facts, Read::DescribeLogGroups));
            continue;
        };
        findings.push(match (&lookup.lookup, create) {
            (Lookup::Found, _) => check.pass(
                format!(
                    "Log group {group} of container {} exists in {region}.",
                    c.name
                ),
                &[group.as_str()],
            ),
            (Lookup::NotFound, true) => check.pass(
                format!(
                    "Log group {group} of container {} does not exist in {region} yet; \
                     awslogs-create-group lets the task create it (iam.permissions checks \
                     logs:CreateLogGroup).",
                    c.name
                ),
                &[group.as_str()],
            ),
            (Lookup::NotFound, false) => check
                .fail(
                    format!(
                        "Log group {group} of container {} does not exist in {region}, and \
                         awslogs-create-group is not set: the log driver cannot start.",
                        c.name
                    ),
                    &[group.as_str()],
                )
                .with_fix(format!(
                    "aws logs create-log-group --log-group-name {group} --region {region}"
                )),
            (Lookup::Failed(reason), _) => check.skipped(format!(
                "Skipped: the doctor could not describe log group {group} in {region} ({reason})."
            )),
        });
    }
    findings
}
