//! Launch type and platform version: which of the other checks apply to this task.

use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::{Facts, PathSource, Read};

pub const LAUNCH_TYPE: Check = Check {
    id: "platform.launch-type",
    title: "Launch type and platform version decide which checks apply",
    problem: "the launch type or platform version changes what applies",
    category: Category::Platform,
    severity: Severity::Low,
    scope: Scope::Task,
    remediation: "Nothing to fix here; it says which network checks apply to this task, and on which interface.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instances-awsvpc-mode.html",
    run: launch_type,
};

fn launch_type(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let task = facts.task.arn.as_str();
    if !facts.task.is_fargate() {
        let launch = facts.task.launch_type.as_deref().unwrap_or("EC2");
        return vec![match facts.path_source() {
            PathSource::Instance(instance) => {
                let mut detail = format!(
                    "Task {task} uses the {launch} launch type: the container agent on {} pulls \
                     images, secrets and registry credentials through the instance's primary \
                     ENI, so the network checks judge subnet {} and security groups {} (in \
                     every network mode; a task ENI of awsvpc carries only the containers' own \
                     traffic).",
                    facts.path_interface(),
                    instance.subnet_id.as_deref().unwrap_or("(unknown)"),
                    instance.security_groups.join(", "),
                );
                if facts.task.is_managed_instances() {
                    detail.push_str(&managed_instances(facts, instance));
                }
                check.info(detail, &[task, instance.id.as_str()])
            }
            PathSource::Unknown(why) => check.info(
                format!(
                    "Task {task} uses the {launch} launch type, whose start-time traffic leaves \
                     from its container instance, but {why}: the network checks are skipped; \
                     execution-role and reference checks still apply."
                ),
                &[task],
            ),
            PathSource::TaskEni => check.info(format!("Task {task} uses its own ENI."), &[task]),
        }];
    }
    let version = facts.task.platform_version.as_deref().unwrap_or("LATEST");
    if is_before_1_4(version) {
        return vec![check.info(
            format!(
                "Task {task} runs on Fargate platform version {version}: before 1.4.0, images \
                 and secrets are fetched through a Fargate-managed network interface in the \
                 same subnet, so the route checks apply but the task's security groups do not \
                 govern that traffic. Platform version 1.4.0 or later moves it onto the task's \
                 ENI."
            ),
            &[task],
        )];
    }
    vec![check.info(
        format!(
            "Task {task} runs on Fargate platform version {version}: image pulls, secrets and \
             log set-up go through the task's own ENI, so every network check applies."
        ),
        &[task],
    )]
}

/// What an ECS Managed Instances task adds: the capacity provider, and the instance role's
/// naming rule (managed-instances-instance-profile.html: with the managed infrastructure
/// policy AmazonECSInfrastructureRolePolicyForManagedInstances, iam:PassRole is scoped to
/// roles named ecsInstanceRole*).
fn managed_instances(facts: &Facts, instance: &crate::facts::Ec2Instance) -> String {
    let provider = facts
        .container_instance
        .as_ref()
        .and_then(|c| c.capacity_provider_name.as_deref())
        .or(facts.task.capacity_provider_name.as_deref())
        .unwrap_or("(unknown)");
    let profile = instance.instance_profile_name().unwrap_or("(unknown)");
    format!(
        " Capacity provider {provider}; instance profile {profile}. ECS Managed Instances have \
         no per-task public IP: the instance's primary ENI has one only if its subnet \
         auto-assigns it, so private subnets need a NAT gateway or VPC endpoints. With the \
         managed policy AmazonECSInfrastructureRolePolicyForManagedInstances on the \
         infrastructure role, the instance role's name must start with ecsInstanceRole \
         (iam:PassRole is scoped to arn:aws:iam::*:role/ecsInstanceRole*)."
    )
}

/// `1.3.0` and older; `LATEST` and unparsable versions count as current.
pub(super) fn is_before_1_4(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) < (1, 4),
        _ => false,
    }
}

pub const TASK_RECORD: Check = Check {
    id: "platform.task-record",
    title: "DescribeTasks still knows the task",
    problem: "DescribeTasks no longer knows the task",
    category: Category::Platform,
    severity: Severity::Low,
    scope: Scope::Task,
    remediation: "Nothing to fix: ECS forgets stopped tasks about an hour after they stop. \
                  Deliver events sooner (check the rule's dead-letter queue and retry policy) \
                  to diagnose from the live record.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwe_events.html",
    run: task_record,
};

fn task_record(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let task = facts.task.arn.as_str();
    match facts.task_source {
        crate::facts::TaskSource::DescribeTasks => vec![],
        crate::facts::TaskSource::Event => {
            let why = facts
                .gap(Read::DescribeTasks)
                .map_or("it no longer knew the task".to_string(), |g| {
                    g.reason.clone()
                });
            vec![check.info(
                format!(
                    "DescribeTasks did not return task {task} ({why}): the doctor diagnosed it \
                     from the copy of the task inside the event, which lacks tags and may lack \
                     the ENI."
                ),
                &[task],
            )]
        }
    }
}

pub const READS: Check = Check {
    id: "platform.reads",
    title: "The doctor could make every read it needs",
    problem: "the doctor could not read part of the configuration",
    category: Category::Platform,
    severity: Severity::Low,
    scope: Scope::Task,
    remediation: "Grant the doctor's role the read-only actions listed in the README (template.yaml has them all), or give the invocation more time.",
    docs: "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html",
    run: reads,
};

/// Lists every read that failed, so none goes unsaid even where no single check names it.
fn reads(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if facts.gaps.is_empty() {
        return vec![];
    }
    // Reads that failed for one reason are named together (a role that could not be
    // assumed, a time budget that ran out), each reason once.
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for gap in &facts.gaps {
        let action = gap.read.action();
        match by_reason
            .iter_mut()
            .find(|(reason, _)| *reason == gap.reason)
        {
            Some((_, actions)) if actions.contains(&action) => {}
            Some((_, actions)) => actions.push(action),
            None => by_reason.push((&gap.reason, vec![action])),
        }
    }
    let lines: Vec<String> = by_reason
        .iter()
        .map(|(reason, actions)| format!("{} ({reason})", actions.join(", ")))
        .collect();
    vec![check.skipped(format!(
        "Skipped reads: the doctor could not call {}. The checks that needed them are skipped; the rest of the diagnosis stands.",
        lines.join("; ")
    ))]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::facts::{Gap, Read};
    use crate::test_support::{PUBLIC_SUBNET, healthy_nat, on_instance};

    #[test]
    fn reads_that_failed_for_one_reason_are_named_together() {
        let mut facts = crate::test_support::healthy_nat();
        let why = "not read: no access to account 222233334444".to_string();
        facts.gaps = vec![
            Gap {
                read: Read::AssumeRole,
                transient: false,
                reason: "could not assume arn:aws:iam::222233334444:role/reader".into(),
            },
            Gap {
                read: Read::DescribeTasks,
                transient: false,
                reason: why.clone(),
            },
            Gap {
                read: Read::DescribeSubnets,
                transient: false,
                reason: why,
            },
        ];
        let found = (super::READS.run)(&super::READS, &Context::new(&facts));
        assert_eq!(
            found[0].detail,
            "Skipped reads: the doctor could not call sts:AssumeRole (could not assume \
             arn:aws:iam::222233334444:role/reader); ecs:DescribeTasks, ec2:DescribeSubnets \
             (not read: no access to account 222233334444). The checks that needed them are \
             skipped; the rest of the diagnosis stands."
        );
    }

    #[test]
    fn a_managed_instances_task_names_its_interface_provider_and_naming_rule() {
        let facts = on_instance(healthy_nat(), "MANAGED_INSTANCES", PUBLIC_SUBNET, None);
        let findings = (LAUNCH_TYPE.run)(&LAUNCH_TYPE, &Context::new(&facts));
        assert_eq!(findings[0].status, Status::Info);
        let detail = &findings[0].detail;
        for part in [
            "container instance i-0host (primary ENI eni-0host)",
            "subnet subnet-0public",
            "Capacity provider mi-web",
            "must start with ecsInstanceRole",
        ] {
            assert!(detail.contains(part), "{part}: {detail}");
        }
    }

    #[test]
    fn versions_before_1_4() {
        assert!(super::is_before_1_4("1.3.0"));
        assert!(!super::is_before_1_4("1.4.0"));
        assert!(!super::is_before_1_4("LATEST"));
    }
}
