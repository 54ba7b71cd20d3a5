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

/// What an ECS Managed Instances task adds: its capacity provider and instance profile.
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
         auto-assigns it, so private subnets need a NAT gateway or VPC endpoints."
    )
}

pub const MANAGED_INSTANCES: Check = Check {
    id: "platform.managed-instances",
    title: "The ECS Managed Instances capacity provider can launch instances with its instance profile",
    problem: "the Managed Instances capacity provider cannot launch instances",
    category: Category::Platform,
    severity: Severity::High,
    scope: Scope::Task,
    remediation: "Give the capacity provider's launch template an instance profile whose role \
                  name starts with ecsInstanceRole (the managed infrastructure policy lets ECS \
                  pass only those), or grant the infrastructure role iam:PassRole on the \
                  instance role in a policy of your own.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instances-instance-profile.html",
    run: managed_instances_provider,
};

/// The AWS managed policy whose iam:PassRole (statement PassInstanceRoleForManagedInstances)
/// is scoped to `arn:aws:iam::*:role/ecsInstanceRole*` (managed-instances-instance-profile.html;
/// the policy's document as moto 5.2.5 copies it, version v12).
const MANAGED_INFRASTRUCTURE_POLICY: &str = "AmazonECSInfrastructureRolePolicyForManagedInstances";

/// Whether a policy ARN is the AWS managed policy `name` (account `aws`, any partition).
fn is_aws_managed(arn: &str, name: &str) -> bool {
    crate::arn::ArnParts::parse(arn)
        .is_some_and(|parts| parts.account == "aws" && arn.rsplit('/').next() == Some(name))
}
const INSTANCE_ROLE_PREFIX: &str = "ecsInstanceRole";

/// The capacity provider of an ECS Managed Instances task: it exists, its infrastructure role
/// exists, its instance profile exists and holds a role, and that role fits the infrastructure
/// role's PassRole grant. Instances launched before a change keep running, so this fails the
/// next launch, not this task's start (the verdict lists it as also broken).
fn managed_instances_provider(check: &Check, cx: &Context) -> Vec<Finding> {
    use crate::facts::{InstanceProfileLookup, RolePolicies};
    let facts = cx.facts;
    if !facts.task.is_managed_instances() {
        return vec![];
    }
    if let Some(gap) = facts.gap(Read::DescribeCapacityProviders) {
        return vec![check.skipped_for(gap)];
    }
    let Some(provider) = &facts.capacity_provider else {
        return vec![check.skipped(
            "Skipped: the task names no capacity provider, so its launch template is unknown.",
        )];
    };
    let name = provider.name.as_str();
    if !provider.found {
        return vec![check.warn(
            format!(
                "Capacity provider {name} that the task ran on no longer exists: the service \
                 cannot place new tasks on it."
            ),
            &[name],
        )
        .with_fix(format!(
            "Point the service's capacity provider strategy at an existing Managed Instances \
             capacity provider, or create {name} again (aws ecs create-capacity-provider)."
        ))];
    }
    let infrastructure = provider.infrastructure_role_name().unwrap_or("(unknown)");
    if provider.infrastructure_role_policies == Some(RolePolicies::RoleNotFound) {
        return vec![check.fail(
            format!(
                "Infrastructure role {infrastructure} of capacity provider {name} does not \
                 exist: ECS cannot launch or manage its instances."
            ),
            &[name, infrastructure],
        )
        .with_fix(format!(
            "Create role {infrastructure} trusted by ecs.amazonaws.com with the managed policy \
             {MANAGED_INFRASTRUCTURE_POLICY}, or update capacity provider {name} to an \
             existing infrastructure role."
        ))];
    }
    let Some(profile) = provider.instance_profile_name() else {
        return vec![check.skipped(format!(
            "Skipped: capacity provider {name} names no instance profile in its launch template."
        ))];
    };
    let role_arn = match &provider.instance_profile {
        Some(InstanceProfileLookup::Found { role_arns }) => match role_arns.first() {
            Some(arn) => arn.as_str(),
            None => {
                return vec![check.fail(
                    format!(
                        "Instance profile {profile} of capacity provider {name} holds no role: \
                         instances it launches have no credentials to register with the cluster."
                    ),
                    &[name, profile],
                )
                .with_fix(format!(
                    "aws iam add-role-to-instance-profile --instance-profile-name {profile} \
                     --role-name ecsInstanceRole"
                ))];
            }
        },
        Some(InstanceProfileLookup::NotFound) => {
            return vec![check.fail(
                format!(
                    "Instance profile {profile} that capacity provider {name} launches instances \
                     with does not exist: ECS cannot start new instances for the task."
                ),
                &[name, profile],
            )
            .with_fix(format!(
                "aws iam create-instance-profile --instance-profile-name {profile}, then aws iam \
                 add-role-to-instance-profile --instance-profile-name {profile} --role-name \
                 ecsInstanceRole; or update capacity provider {name} to an existing profile."
            ))];
        }
        Some(InstanceProfileLookup::Failed { reason }) => {
            return vec![check.skipped(format!(
                "Skipped: the doctor could not call iam:GetInstanceProfile on {profile} \
                 ({reason})."
            ))];
        }
        None => {
            return vec![check.skipped(format!(
                "Skipped: instance profile {profile} of capacity provider {name} was not read."
            ))];
        }
    };
    let role = role_arn.rsplit('/').next().unwrap_or(role_arn);
    // The grant is on the ARN, `role/ecsInstanceRole*`: a role under a path (role/ecs/…) is
    // outside it whatever its name.
    let fits = role_arn
        .split_once(":role/")
        .is_some_and(|(_, path_and_name)| path_and_name.starts_with(INSTANCE_ROLE_PREFIX));
    if fits {
        return vec![check.pass(
            format!(
                "Capacity provider {name} launches instances with instance profile {profile}, \
                 whose role {role} fits the managed infrastructure policy's iam:PassRole grant \
                 (role/ecsInstanceRole*)."
            ),
            &[name, profile, role],
        )];
    }
    let outside = format!(
        "Capacity provider {name}'s instance role {role_arn} (instance profile {profile}) is \
         outside role/ecsInstanceRole*"
    );
    let fix = format!(
        "Create a role named ecsInstanceRole-{name} (no path) with {role}'s policies and trust \
         and put it in instance profile {profile} in place of {role} (CloudFormation: set \
         RoleName, since generated names do not start with ecsInstanceRole), or grant \
         {infrastructure} iam:PassRole on {role_arn} in a policy of your own."
    );
    match &provider.infrastructure_role_policies {
        Some(RolePolicies::Listed { attached, inline }) => {
            let managed = attached
                .iter()
                .any(|a| is_aws_managed(a, MANAGED_INFRASTRUCTURE_POLICY));
            let others: Vec<&str> = attached
                .iter()
                .filter(|a| !is_aws_managed(a, MANAGED_INFRASTRUCTURE_POLICY))
                .chain(inline)
                .map(String::as_str)
                .collect();
            match (managed, others.is_empty()) {
                (true, true) => {
                    vec![check.fail(
                    format!(
                        "{outside}, and infrastructure role {infrastructure} has only the \
                         managed policy {MANAGED_INFRASTRUCTURE_POLICY}, which may pass only \
                         roles named ecsInstanceRole*: ECS is denied iam:PassRole when it \
                         launches an instance."
                    ),
                    &[name, profile, role, infrastructure],
                )
                .with_fix(fix)]
                }
                (true, false) => {
                    vec![check.warn(
                    format!(
                        "{outside}: the managed policy {MANAGED_INFRASTRUCTURE_POLICY} of \
                         infrastructure role {infrastructure} may not pass it, so one of its \
                         other policies ({}) must grant iam:PassRole on it.",
                        others.join(", ")
                    ),
                    &[name, profile, role, infrastructure],
                )
                .with_fix(fix)]
                }
                (false, _) => vec![check.info(
                    format!(
                        "{outside}; infrastructure role {infrastructure} does not use the \
                         managed policy, so its own policy must grant iam:PassRole on {role}."
                    ),
                    &[name, role, infrastructure],
                )],
            }
        }
        Some(RolePolicies::Failed { reason }) => vec![check.warn(
            format!(
                "{outside}; whether infrastructure role {infrastructure} may pass it is unknown \
                 (its policies could not be listed: {reason}). With only the managed policy \
                 {MANAGED_INFRASTRUCTURE_POLICY} it may not."
            ),
            &[name, role, infrastructure],
        )],
        Some(RolePolicies::RoleNotFound) | None => vec![check.skipped(format!(
            "Skipped: capacity provider {name} names no infrastructure role, so whether ECS may \
             pass {role} is unknown."
        ))],
    }
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
    fn a_managed_instances_task_names_its_interface_and_provider() {
        let facts = on_instance(healthy_nat(), "MANAGED_INSTANCES", PUBLIC_SUBNET, None);
        let findings = (LAUNCH_TYPE.run)(&LAUNCH_TYPE, &Context::new(&facts));
        assert_eq!(findings[0].status, Status::Info);
        let detail = &findings[0].detail;
        for part in [
            "container instance i-0host (primary ENI eni-0host)",
            "subnet subnet-0public",
            "Capacity provider mi-web",
            "no per-task public IP",
        ] {
            assert!(detail.contains(part), "{part}: {detail}");
        }
    }

    /// A Managed Instances task whose provider's launch template holds `role`, its
    /// infrastructure role with the managed policy or a policy of its own.
    fn on_provider(role: &str, managed_policy: bool) -> crate::facts::Facts {
        use crate::facts::{InstanceProfileLookup, ManagedInstancesProvider, RolePolicies};
        let mut facts = on_instance(healthy_nat(), "MANAGED_INSTANCES", PUBLIC_SUBNET, None);
        let policy = if managed_policy {
            "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForManagedInstances"
        } else {
            "arn:aws:iam::123456789012:policy/mi-infrastructure"
        };
        facts.capacity_provider = Some(ManagedInstancesProvider {
            name: "mi-web".into(),
            found: true,
            infrastructure_role_arn: Some(
                "arn:aws:iam::123456789012:role/ecsInfrastructureRole".into(),
            ),
            instance_profile_arn: Some(
                "arn:aws:iam::123456789012:instance-profile/web-instances".into(),
            ),
            subnets: vec![PUBLIC_SUBNET.into()],
            security_groups: vec!["sg-0task".into()],
            instance_profile: Some(InstanceProfileLookup::Found {
                role_arns: vec![format!("arn:aws:iam::123456789012:role/{role}")],
            }),
            infrastructure_role_policies: Some(RolePolicies::Listed {
                attached: vec![policy.into()],
                inline: vec![],
            }),
        });
        facts
    }

    fn provider_finding(facts: &crate::facts::Facts) -> Finding {
        let mut found = (MANAGED_INSTANCES.run)(&MANAGED_INSTANCES, &Context::new(facts));
        assert_eq!(found.len(), 1, "{found:?}");
        found.remove(0)
    }

    #[test]
    fn an_instance_role_outside_the_managed_policys_pass_role_grant_fails() {
        let finding = provider_finding(&on_provider("MyStack-InstanceRole-ABC123", true));
        assert_eq!(finding.status, Status::Fail);
        for part in [
            "MyStack-InstanceRole-ABC123",
            "instance profile web-instances",
            "ecsInfrastructureRole",
            "AmazonECSInfrastructureRolePolicyForManagedInstances",
        ] {
            assert!(finding.detail.contains(part), "{part}: {}", finding.detail);
        }
        assert!(
            finding.remediation.contains("ecsInstanceRole-mi-web")
                && finding
                    .remediation
                    .contains("arn:aws:iam::123456789012:role/MyStack-InstanceRole-ABC123"),
            "{}",
            finding.remediation
        );
    }

    #[test]
    fn an_ecs_instance_role_name_passes_and_a_custom_policy_is_only_named() {
        let finding = provider_finding(&on_provider("ecsInstanceRole-web", true));
        assert_eq!(finding.status, Status::Pass, "{}", finding.detail);
        let finding = provider_finding(&on_provider("web-instances", false));
        assert_eq!(finding.status, Status::Info, "{}", finding.detail);
        assert!(
            finding
                .detail
                .contains("must grant iam:PassRole on web-instances")
        );
        // A customer policy of the same name is not AWS's.
        let mut facts = on_provider("web-instances", false);
        facts
            .capacity_provider
            .as_mut()
            .unwrap()
            .infrastructure_role_policies = Some(crate::facts::RolePolicies::Listed {
            attached: vec![format!(
                "arn:aws:iam::123456789012:policy/{MANAGED_INFRASTRUCTURE_POLICY}"
            )],
            inline: vec![],
        });
        assert_eq!(provider_finding(&facts).status, Status::Info);
    }

    #[test]
    fn a_missing_or_empty_instance_profile_fails_and_a_missing_provider_warns() {
        use crate::facts::InstanceProfileLookup;
        let mut facts = on_provider("ecsInstanceRole", true);
        let provider = facts.capacity_provider.as_mut().unwrap();
        provider.instance_profile = Some(InstanceProfileLookup::NotFound);
        let finding = provider_finding(&facts);
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding.detail.contains("web-instances") && finding.detail.contains("does not exist")
        );
        assert!(
            finding.remediation.starts_with(
                "aws iam create-instance-profile --instance-profile-name web-instances"
            )
        );

        let provider = facts.capacity_provider.as_mut().unwrap();
        provider.instance_profile = Some(InstanceProfileLookup::Found { role_arns: vec![] });
        let finding = provider_finding(&facts);
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding.detail.contains("holds no role"),
            "{}",
            finding.detail
        );

        facts.capacity_provider.as_mut().unwrap().found = false;
        assert_eq!(provider_finding(&facts).status, Status::Warn);
    }

    #[test]
    fn a_fargate_task_has_no_provider_finding_and_a_denied_read_is_skipped() {
        let facts = healthy_nat();
        assert!((MANAGED_INSTANCES.run)(&MANAGED_INSTANCES, &Context::new(&facts)).is_empty());
        let mut facts = on_provider("ecsInstanceRole", true);
        facts.gaps.push(Gap {
            read: Read::DescribeCapacityProviders,
            transient: false,
            reason: "the doctor's role may not call ecs:DescribeCapacityProviders".into(),
        });
        assert_eq!(provider_finding(&facts).status, Status::Skipped);
    }

    /// The provider cannot launch instances, but this task stopped fetching its secret: the
    /// provider is also broken, not this stop's cause.
    #[test]
    fn a_broken_provider_behind_a_secrets_failure_is_also_broken() {
        let facts = on_provider("MyStack-InstanceRole-ABC123", true);
        let report = crate::doctor::diagnose_facts(&facts);
        assert_ne!(report.root_cause.as_deref(), Some(MANAGED_INSTANCES.id));
        assert!(
            report
                .also_broken
                .iter()
                .any(|id| id == MANAGED_INSTANCES.id),
            "{:?}",
            report.also_broken
        );
    }

    #[test]
    fn versions_before_1_4() {
        assert!(super::is_before_1_4("1.3.0"));
        assert!(!super::is_before_1_4("1.4.0"));
        assert!(!super::is_before_1_4("LATEST"));
    }
}
