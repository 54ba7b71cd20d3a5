//! Network worlds in moto, each asserting the report's root cause.

use super::expect::assert_cause;
use super::support::moto;
use super::world::{Egress, World, build};
use ecs_task_doctor::aws::ClientCache;
use ecs_task_doctor::collect::Target;
use ecs_task_doctor::doctor::Doctor;
use ecs_task_doctor::event::{Intake, intake};
use ecs_task_doctor::verdict::Report;

pub async fn diagnose(world: &World) -> Report {
    diagnose_with(world, world.config.clone()).await
}

/// [`diagnose`], every read going through `proxy` (a fault proxy in front of moto).
pub async fn diagnose_through(world: &World, proxy: &super::faults::FaultProxy) -> Report {
    diagnose_with(
        world,
        world.config.to_builder().endpoint_url(&proxy.url).build(),
    )
    .await
}

async fn diagnose_with(world: &World, config: aws_config::SdkConfig) -> Report {
    let Intake::Diagnose(task) = intake(world.event.clone()).unwrap() else {
        panic!("the world's event is not diagnosable")
    };
    let doctor = Doctor::new(ClientCache::new(config));
    let (_, report) = doctor
        .diagnose(Target::Event(&task), None, None)
        .await
        .unwrap();
    report
}

fn status_of<'r>(report: &'r Report, id: &str) -> Option<&'r str> {
    report
        .findings
        .iter()
        .find(|f| f.id == id)
        .map(|f| f.status.as_str())
}

#[tokio::test]
async fn private_subnet_with_a_working_nat_has_no_failure() {
    let _moto = moto().await;
    let world = build(
        Egress::Nat { nat_routed: true },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    let report = diagnose(&world).await;
    assert_eq!(report.root_cause, None, "{report:#?}");
    assert_eq!(status_of(&report, "network.default-route"), Some("pass"));
    assert_eq!(status_of(&report, "network.nat-gateway"), Some("pass"));
}

#[tokio::test]
async fn a_nat_whose_own_subnet_has_no_way_out_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(
        Egress::Nat { nat_routed: false },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    let report = diagnose(&world).await;
    assert_cause(&report, "network.nat-gateway");
    let root = report.root_finding().unwrap();
    assert!(
        root.detail
            .contains("has no default route to an internet gateway"),
        "{}",
        root.detail
    );
}

#[tokio::test]
async fn a_deleted_nat_is_caught_although_moto_keeps_its_route_active() {
    let _moto = moto().await;
    let world = build(
        Egress::Nat { nat_routed: true },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    world
        .ec2
        .delete_nat_gateway()
        .nat_gateway_id(world.nat.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "network.nat-gateway");
    assert!(
        report
            .root_finding()
            .unwrap()
            .detail
            .contains("is deleted, not available")
    );
}

#[tokio::test]
async fn a_public_subnet_without_a_public_ip_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(
        Egress::InternetGateway {
            assign_public_ip: false,
        },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    let report = diagnose(&world).await;
    assert_cause(&report, "network.public-ip");
    let root = report.root_finding().unwrap();
    assert!(
        root.remediation.contains("assignPublicIp=ENABLED"),
        "{}",
        root.remediation
    );
    assert!(root.remediation.contains(&world.security_group));
}

#[tokio::test]
async fn a_public_subnet_with_a_public_ip_has_no_failure() {
    let _moto = moto().await;
    let world = build(
        Egress::InternetGateway {
            assign_public_ip: true,
        },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    let report = diagnose(&world).await;
    assert_eq!(report.root_cause, None, "{report:#?}");
    assert_eq!(status_of(&report, "network.public-ip"), Some("pass"));
}

#[tokio::test]
async fn the_main_route_table_governs_a_subnet_without_an_association() {
    let _moto = moto().await;
    let world = build(
        Egress::Nat { nat_routed: true },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    // Drop the private table's association: the subnet falls back to the VPC's main table,
    // which has only the local route.
    let tables = world
        .ec2
        .describe_route_tables()
        .route_table_ids(&world.private_table)
        .send()
        .await
        .unwrap();
    let association = tables.route_tables()[0].associations()[0]
        .route_table_association_id()
        .unwrap()
        .to_string();
    world
        .ec2
        .disassociate_route_table()
        .association_id(association)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "network.default-route");
    let root = report.root_finding().unwrap();
    assert!(
        root.detail.contains("the VPC's main route table"),
        "{}",
        root.detail
    );
    assert!(root.detail.contains(&world.task_subnet));
    assert!(!world.vpc.is_empty());
}
