//! EFS volumes: the file system has an available mount target in the task's Availability Zone
//! (its DNS name resolves only there), the security groups let NFS (TCP 2049) from the task to
//! the mount target, the access point exists, and IAM authorization has a task role.

use super::security_group::{Coverage, Peer, coverage, task_groups};
use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::{Facts, FileSystemLookup, Lookup, MountTarget, Read, SecurityGroupRule};

pub const MOUNT_TARGET: Check = Check {
    id: "efs.mount-target",
    title: "Each EFS file system has an available mount target in the task's Availability Zone",
    problem: "an EFS file system has no mount target where the task runs",
    category: Category::Efs,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Create a mount target in the task's subnet or Availability Zone (aws efs \
                  create-mount-target --file-system-id FS --subnet-id SUBNET --security-groups \
                  SG).",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/efs-volumes.html",
    run: mount_target,
};

pub const NFS_ACCESS: Check = Check {
    id: "efs.nfs-access",
    title: "Security groups let the task reach the mount target on TCP 2049",
    problem: "the security groups block NFS between the task and its EFS mount target",
    category: Category::SecurityGroup,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Allow inbound TCP 2049 on the mount target's security group from the task's \
                  security group, and outbound TCP 2049 from the task's security group.",
    docs: "https://docs.aws.amazon.com/efs/latest/ug/network-access.html",
    run: nfs_access,
};

pub const ACCESS_POINT: Check = Check {
    id: "efs.access-point",
    title: "EFS access points exist and IAM authorization has a task role",
    problem: "an EFS access point is missing or IAM authorization lacks a task role",
    category: Category::Efs,
    severity: Severity::High,
    scope: Scope::Task,
    remediation: "Point the volume at an existing access point, and give the task definition a \
                  task role with elasticfilesystem:ClientMount (and ClientWrite) when \
                  authorizationConfig.iam is ENABLED.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/efs-volumes.html",
    run: access_point,
};

fn task_zone(facts: &Facts) -> Option<&str> {
    let subnet = facts.task_subnet_id()?;
    facts
        .network
        .subnet(subnet)
        .and_then(|s| s.availability_zone.as_deref())
        .or(facts.task.availability_zone.as_deref())
}

/// The mount target the task uses: the available one in its zone.
fn zone_target<'f>(facts: &Facts, system: &'f FileSystemLookup) -> Option<&'f MountTarget> {
    let zone = task_zone(facts)?;
    system
        .mount_targets
        .iter()
        .find(|t| t.availability_zone.as_deref() == Some(zone) && t.state == "available")
}

fn mount_target(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let mut findings = Vec::new();
    let volumes = facts
        .task_definition
        .as_ref()
        .map_or(0, |d| d.efs_volumes.len());
    if facts.references.file_systems.len() < volumes {
        findings.extend(check.missing_read(facts, Read::DescribeMountTargets));
    }
    for system in &facts.references.file_systems {
        let id = system.file_system_id.as_str();
        match &system.lookup {
            Lookup::NotFound => {
                findings.push(check.fail(
                    format!("EFS file system {id}, a volume of the task, does not exist."),
                    &[id],
                ));
                continue;
            }
            Lookup::Failed(reason) => {
                findings.push(check.skipped(format!(
                    "Skipped: the doctor could not describe the mount targets of {id} ({reason})."
                )));
                continue;
            }
            Lookup::Found => {}
        }
        let zone = task_zone(facts).unwrap_or("unknown");
        findings.push(match zone_target(facts, system) {
            Some(target) => check.pass(
                format!(
                    "EFS file system {id} has mount target {} available in {zone}.",
                    target.id
                ),
                &[id, target.id.as_str()],
            ),
            None => check
                .fail(
                    format!(
                        "EFS file system {id} has no available mount target in {zone}, the \
                         task's Availability Zone: its DNS name does not resolve there, so the \
                         volume cannot mount."
                    ),
                    &[id],
                )
                .with_fix(format!(
                    "aws efs create-mount-target --file-system-id {id} --subnet-id {} \
                     --security-groups <group admitting TCP 2049 from the task>",
                    facts.task_subnet_id().unwrap_or("<task subnet>")
                )),
        });
    }
    findings
}

fn nfs_access(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(skipped) = super::security_group::not_applicable(check, facts) {
        return if facts.references.file_systems.is_empty() {
            vec![]
        } else {
            vec![skipped]
        };
    }
    let Some(groups) = task_groups(facts) else {
        return facts
            .references
            .file_systems
            .iter()
            .take(1)
            .map(|_| check.skipped("Skipped: the task's security groups are unknown."))
            .collect();
    };
    let subnet_cidr = facts
        .task_subnet_id()
        .and_then(|s| facts.network.subnet(s)?.cidr);
    let rules = |ids: &[&str], egress: bool| -> Vec<SecurityGroupRule> {
        ids.iter()
            .filter_map(|g| facts.network.security_group(g))
            .flat_map(|g| {
                if egress {
                    g.egress.clone()
                } else {
                    g.ingress.clone()
                }
            })
            .collect()
    };
    let mut findings = Vec::new();
    for system in &facts.references.file_systems {
        let Some(target) = zone_target(facts, system) else {
            continue;
        };
        if let Some(gap) = &target.security_groups_gap {
            findings.push(check.skipped(format!(
                "Skipped: the security groups of mount target {} of {} are unknown: the doctor \
                 could not call elasticfilesystem:DescribeMountTargetSecurityGroups ({}).",
                target.id, system.file_system_id, gap.reason
            )));
            continue;
        }
        let target_groups: Vec<&str> = target.security_groups.iter().map(String::as_str).collect();
        let target_cidrs = facts
            .network
            .subnet(&target.subnet_id)
            .and_then(|s| s.cidr)
            .into_iter()
            .collect();
        let egress = coverage(
            &rules(&groups, true),
            "tcp",
            2049,
            &Peer {
                groups: target_groups.clone(),
                cidrs: target_cidrs,
                ..Peer::default()
            },
        );
        let ingress = [
            Peer {
                groups: groups.clone(),
                ..Peer::default()
            },
            Peer {
                cidrs: subnet_cidr.into_iter().collect(),
                ..Peer::default()
            },
        ]
        .iter()
        .filter(|p| !p.groups.is_empty() || !p.cidrs.is_empty())
        .map(|peer| coverage(&rules(&target_groups, false), "tcp", 2049, peer))
        .max()
        .unwrap_or(Coverage::None);
        let mut resources = vec![target.id.as_str()];
        resources.extend(target_groups.iter().copied());
        resources.extend(groups.iter().copied());
        if ingress == Coverage::None {
            findings.push(
                check
                    .fail(
                        format!(
                            "The security groups of mount target {} ({}) of {} allow no TCP \
                             2049 from the task: the volume cannot mount.",
                            target.id,
                            target_groups.join(", "),
                            system.file_system_id
                        ),
                        &resources,
                    )
                    .with_fix(format!(
                        "aws ec2 authorize-security-group-ingress --group-id {} --protocol tcp \
                         --port 2049 --source-group {}",
                        target_groups.first().unwrap_or(&"<mount target group>"),
                        groups.first().unwrap_or(&"<task group>")
                    )),
            );
        } else if egress == Coverage::None {
            findings.push(check.fail(
                format!(
                    "The task's security groups ({}) allow no TCP 2049 out to mount target {} \
                     of {}: the volume cannot mount.",
                    groups.join(", "),
                    target.id,
                    system.file_system_id
                ),
                &resources,
            ));
        } else {
            findings.push(check.pass(
                format!(
                    "The task reaches mount target {} of {} on TCP 2049.",
                    target.id, system.file_system_id
                ),
                &resources,
            ));
        }
    }
    findings
}

fn access_point(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let Some(definition) = &facts.task_definition else {
        return vec![];
    };
    let mut findings = Vec::new();
    for volume in &definition.efs_volumes {
        if volume.iam_authorization && definition.task_role_arn.is_none() {
            findings.push(check.fail(
                format!("Volume {} uses EFS IAM authorization, but task definition {} has no task role to authorize with.", volume.name, definition.arn),
                &[definition.arn.as_str(), volume.file_system_id.as_str()],
            ));
        }
        let Some(system) = facts
            .references
            .file_systems
            .iter()
            .find(|s| s.file_system_id == volume.file_system_id)
        else {
            continue;
        };
        for (point, lookup) in &system.access_points {
            match lookup {
                Lookup::Found => findings.push(check.pass(
                    format!("Access point {point} of volume {} exists.", volume.name),
                    &[point.as_str()],
                )),
                Lookup::NotFound => findings.push(check.fail(
                    format!(
                        "Access point {point} of volume {} does not exist.",
                        volume.name
                    ),
                    &[point.as_str(), volume.file_system_id.as_str()],
                )),
                Lookup::Failed(reason) => findings.push(check.skipped(format!(
                    "Skipped: the doctor could not describe access point {point} ({reason})."
                ))),
            }
        }
    }
    findings
}
