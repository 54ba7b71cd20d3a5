//! environmentFiles: each is a well-formed S3 object ARN and the object exists.

use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::{Lookup, Read};
use crate::needs::bucket_and_key;

pub const OBJECT: Check = Check {
    id: "env-file.object",
    title: "Each environment file is an S3 object ARN that exists",
    problem: "an environment file of the task is missing or malformed",
    category: Category::EnvFile,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Upload the file, or correct its ARN (arn:aws:s3:::BUCKET/KEY, with a .env key) in the task definition.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/use-environment-file.html",
    run: object,
};

fn object(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let Some(definition) = &facts.task_definition else {
        return vec![];
    };
    let mut findings = Vec::new();
    for c in &definition.containers {
        for arn in &c.environment_files {
            let Some((bucket, key)) = bucket_and_key(arn) else {
                findings.push(check.fail(
                    format!(
                        "Environment file {arn} of container {} is not an S3 object ARN \
                         (arn:aws:s3:::BUCKET/KEY).",
                        c.name
                    ),
                    &[arn.as_str()],
                ));
                continue;
            };
            let Some(lookup) = facts.references.env_files.iter().find(|f| &f.arn == arn) else {
                findings.extend(check.missing_read(facts, Read::ListBucket));
                continue;
            };
            findings.push(match &lookup.lookup {
                Lookup::Found => check.pass(
                    format!("Environment file {arn} of container {} exists.", c.name),
                    &[arn.as_str()],
                ),
                Lookup::NotFound => check
                    .fail(
                        format!(
                            "Environment file {arn} of container {} does not exist: no object \
                             {key} in bucket {bucket}.",
                            c.name
                        ),
                        &[arn.as_str()],
                    )
                    .with_fix(format!(
                        "aws s3 cp ./{} s3://{bucket}/{key}",
                        key.rsplit('/').next().unwrap_or(key)
                    )),
                Lookup::Failed(reason) => check.skipped(format!(
                    "Skipped: the doctor could not look for {arn} ({reason})."
                )),
            });
        }
    }
    findings
}
