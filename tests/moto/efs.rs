//! EFS volumes in moto: mount targets, their security groups, access points.

use super::expect::{assert_cause, assert_root};
use super::network::diagnose;
use super::support::{config, moto};
use super::world::{Egress, World, build_with_volumes, tcp_with_group};
use aws_sdk_ecs::types::{EfsAuthorizationConfig, EfsVolumeConfiguration, Volume};
use ecs_task_doctor::checks::Status;

/// What ECS says when the EFS utils cannot mount the volume.
const FIXTURE: &str = "ecs-task-stopped-efs-mount-target.json";

async fn world_with_file_system(access_point: Option<&str>) -> (World, String) {
    let efs = aws_sdk_efs::Client::new(&config().await);
    let system = efs
        .create_file_system()
        .creation_token("web-data")
        .send()
        .await
        .unwrap();
    let id = system.file_system_id().to_string();
    let mut volume = EfsVolumeConfiguration::builder().file_system_id(&id);
    if let Some(point) = access_point {
        volume = volume.authorization_config(
            EfsAuthorizationConfig::builder()
                .access_point_id(point)
                .build(),
        );
    }
    let volume = Volume::builder()
        .name("data")
        .efs_volume_configuration(volume.build().unwrap())
        .build();
    let world = build_with_volumes(Egress::Nat { nat_routed: true }, FIXTURE, vec![volume]).await;
    (world, id)
}

async fn mount_target(world: &World, file_system: &str, admit_task: bool) -> String {
    let group = super::world::security_group(&world.ec2, &world.vpc, "efs").await;
    if admit_task {
        world
            .ec2
            .authorize_security_group_ingress()
            .group_id(&group)
            .ip_permissions(tcp_with_group(2049, &world.security_group))
            .send()
            .await
            .unwrap();
    }
    let efs = aws_sdk_efs::Client::new(&world.config);
    efs.create_mount_target()
        .file_system_id(file_system)
        .subnet_id(&world.task_subnet)
        .security_groups(&group)
        .send()
        .await
        .unwrap();
    group
}

#[tokio::test]
async fn a_file_system_without_a_mount_target_in_the_zone_is_the_root_cause() {
    let _moto = moto().await;
    let (world, id) = world_with_file_system(None).await;
    let report = diagnose(&world).await;
    assert_root(&report, "efs.mount-target", &id);
    // The file system has no stack tags: its tags were read and say so.
    assert!(
        report.unanswered["owner"].contains(&format!("{id} has no CloudFormation stack tag")),
        "{:?}",
        report.unanswered
    );
}

/// A file system's tags come from DescribeFileSystems, read beside the CloudTrail lookup.
#[tokio::test]
async fn a_file_system_of_a_stack_names_the_stack() {
    let _moto = moto().await;
    let (world, id) = world_with_file_system(None).await;
    aws_sdk_efs::Client::new(&world.config)
        .tag_resource()
        .resource_id(&id)
        .tags(
            aws_sdk_efs::types::Tag::builder()
                .key("aws:cloudformation:stack-name")
                .value("storage-prod")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_root(&report, "efs.mount-target", &id);
    let owner = report.owner.as_ref().expect("an owner");
    assert_eq!(owner.resource, id);
    assert_eq!(owner.stack.as_deref(), Some("storage-prod"));
}

#[tokio::test]
async fn a_mount_target_whose_group_refuses_nfs_is_the_root_cause() {
    let _moto = moto().await;
    let (world, id) = world_with_file_system(None).await;
    let group = mount_target(&world, &id, false).await;
    let report = diagnose(&world).await;
    assert_cause(&report, "efs.nfs-access");
    assert!(
        report
            .root_finding()
            .unwrap()
            .remediation
            .contains(&format!(
                "--group-id {group} --protocol tcp --port 2049 --source-group {}",
                world.security_group
            ))
    );
}

/// The mount target's groups could not be read: the NFS check says so instead of taking "no
/// groups" for an answer and blaming them.
#[tokio::test]
async fn unreadable_mount_target_groups_are_skipped_not_blamed() {
    use super::faults::FaultProxy;
    use super::network::diagnose_through;
    let _moto = moto().await;
    let (world, id) = world_with_file_system(None).await;
    let target = {
        mount_target(&world, &id, true).await;
        let efs = aws_sdk_efs::Client::new(&world.config);
        let out = efs
            .describe_mount_targets()
            .file_system_id(&id)
            .send()
            .await
            .unwrap();
        out.mount_targets()[0].mount_target_id().to_string()
    };
    let proxy = FaultProxy::start(&["--deny", "elasticfilesystem:*/security-groups"]);
    let report = diagnose_through(&world, &proxy).await;
    let nfs = report
        .findings
        .iter()
        .find(|f| f.id == "efs.nfs-access")
        .unwrap();
    assert_eq!(nfs.status, Status::Skipped, "{}", nfs.detail);
    assert!(
        nfs.detail.contains(&target)
            && nfs
                .detail
                .contains("may not call elasticfilesystem:DescribeMountTargetSecurityGroups"),
        "{}",
        nfs.detail
    );
    assert_ne!(report.root_cause.as_deref(), Some("efs.nfs-access"));
}

#[tokio::test]
async fn a_reachable_mount_target_passes_and_a_missing_access_point_fails() {
    let _moto = moto().await;
    let (world, id) = world_with_file_system(Some("fsap-0123456789abcdef0")).await;
    mount_target(&world, &id, true).await;
    let report = diagnose(&world).await;
    let status = |check: &str| {
        report
            .findings
            .iter()
            .find(|f| f.id == check)
            .map(|f| f.status)
    };
    assert_eq!(
        status("efs.mount-target"),
        Some(Status::Pass),
        "{report:#?}"
    );
    assert_eq!(status("efs.nfs-access"), Some(Status::Pass));
    assert_cause(&report, "efs.access-point");
}
