//! SSM Parameter Store references: each parameter exists where ECS looks for it. A bare name
//! is looked up in the task's region; a parameter in another region needs its full ARN.

use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::{Lookup, Read};
use crate::needs::{ValueSource, value_source};

pub const PARAMETER: Check = Check {
    id: "ssm.parameter",
    title: "Each referenced SSM parameter exists where ECS looks for it",
    problem: "an SSM parameter the task references does not exist",
    category: Category::SsmParameter,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Create the parameter in the region ECS looks in, or reference it by its full \
                  ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME) when it lives in another \
                  region.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html",
    run: parameter,
};

fn parameter(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let Some(definition) = &facts.task_definition else {
        return vec![];
    };
    let mut findings = Vec::new();
    for c in &definition.containers {
        for secret in c.secrets.iter().chain(&c.log_secret_options) {
            let ValueSource::Parameter { name, region, arn } =
                value_source(&secret.value_from, &facts.task.region)
            else {
                continue;
            };
            let Some(lookup) = facts
                .references
                .parameters
                .iter()
                .find(|p| p.name == name && p.region == region)
            else {
                findings.extend(check.missing_read(facts, Read::DescribeParameters));
                continue;
            };
            let why = format!("secret {} of container {}", secret.name, c.name);
            let shown = arn.as_deref().unwrap_or(&name);
            findings.push(match &lookup.lookup {
                Lookup::Found => check.pass(
                    format!("Parameter {name} (the {why}) exists in {region}."),
                    &[shown],
                ),
                Lookup::Failed(reason) => check.skipped(format!(
                    "Skipped: the doctor could not describe parameter {name} in {region} \
                     ({reason})."
                )),
                Lookup::NotFound if arn.is_none() && !lookup.found_in.is_empty() => {
                    let other = &lookup.found_in[0];
                    let arn = format!(
                        "arn:{}:ssm:{other}:{}:parameter/{}",
                        crate::arn::partition(other),
                        facts.task.account,
                        name.trim_start_matches('/')
                    );
                    check
                        .fail(
                            format!(
                                "Parameter {name}, the {why}, does not exist in {region}, the \
                                 task's region, where ECS looks up a bare name; it exists in {}: \
                                 the task definition must name it by its full ARN.",
                                lookup.found_in.join(", ")
                            ),
                            &[name.as_str()],
                        )
                        .with_fix(format!(
                            "Reference {arn} as the valueFrom of {} in a new revision of the \
                             task definition (or create the parameter in {region}).",
                            secret.name
                        ))
                }
                Lookup::NotFound if arn.is_none() => check
                    .fail(
                        format!(
                            "Parameter {name}, the {why}, does not exist in {region}, the \
                             task's region, where ECS looks up a bare name: if it lives in \
                             another region, the task definition must name it by its full ARN."
                        ),
                        &[name.as_str()],
                    )
                    .with_fix(format!(
                        "aws ssm describe-parameters --parameter-filters Key=Name,Values={name} \
                         --region <other region>, then reference \
                         arn:{}:ssm:<that region>:{}:parameter/{} in the task definition (or \
                         create it in {region}).",
                        crate::arn::partition(&region),
                        facts.task.account,
                        name.trim_start_matches('/')
                    )),
                Lookup::NotFound => check.fail(
                    format!("Parameter {shown}, the {why}, does not exist in {region}."),
                    &[shown],
                ),
            });
        }
    }
    findings
}
