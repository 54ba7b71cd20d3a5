//! Deployment or environment, the owner and fixes with real names, in moto worlds.
//!
//! moto's DescribeServices keeps one PRIMARY deployment on the revision the service was
//! created with (UpdateService changes only the service's task definition), and marks it
//! COMPLETED when its running count reaches the desired count, which a desired count of 0
//! does. moto implements neither CloudTrail LookupEvents nor the service-deployment APIs:
//! their answers are tested with aws-smithy-mocks in `change_mocks.rs`; here the CloudTrail
//! lookup fails (HTTP 500, made once) and the report says it was skipped.

use super::expect::assert_cause;
use super::network::diagnose;
use super::support::moto;
use super::world::{
    Egress, MISSING_SECRET, World, awsvpc, build, definition_arn, deploy_missing_secret,
    stop_another,
};
use aws_sdk_ec2::types::Tag;
use aws_sdk_ecs::types::{AssignPublicIp, LaunchType};
use ecs_task_doctor::change::Cause;
use serde_json::Value;

#[tokio::test]
async fn a_revision_whose_secret_does_not_exist_is_the_deployment() {
    let _moto = moto().await;
    let mut world = build(
        Egress::Nat { nat_routed: true },
        "ecs-task-stopped-secret-access-denied.json",
    )
    .await;
    let (first, _) = deploy_missing_secret(&mut world).await;

    let report = diagnose(&world).await;
    assert_cause(&report, "secret.exists");
    let change = &report.change;
    assert_eq!(change.cause, Cause::Deployment, "{change:#?}");
    assert_eq!(
        change.previous_task_definition.as_deref(),
        Some(first.as_str())
    );
    let secret = change
        .differences
        .iter()
        .find(|d| d.field == "containers.web.secrets.DB_PASSWORD")
        .expect("the secret's difference");
    assert!(
        secret
            .before
            .as_deref()
            .is_some_and(|b| b.contains(":secret:demo/db-password-")),
        "{secret:?}"
    );
    assert_eq!(secret.after.as_deref(), Some(MISSING_SECRET));
    assert!(
        change.summary.contains("would pass secret.exists"),
        "{}",
        change.summary
    );
    let text = ecs_task_doctor::render::text(&report);
    assert!(text.contains("WHAT CHANGED"), "{text}");
    assert!(
        !text.contains("not-read-by-the-doctor"),
        "no secret value anywhere"
    );
}

/// A service whose only deployment completed on the world's revision (desired count 0), a
/// stack-tagged route table, and a task of that service stopped after the route was deleted.
async fn steady_service_without_its_route() -> World {
    let mut world = build(
        Egress::Nat { nat_routed: true },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    let definition = definition_arn(&world);
    let ecs = aws_sdk_ecs::Client::new(&world.config);
    ecs.create_service()
        .cluster("demo")
        .service_name("steady")
        .task_definition(&definition)
        .desired_count(0)
        .launch_type(LaunchType::Fargate)
        .network_configuration(awsvpc(
            &world.task_subnet,
            &world.security_group,
            AssignPublicIp::Disabled,
        ))
        .send()
        .await
        .unwrap();
    let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build();
    world
        .ec2
        .create_tags()
        .resources(&world.private_table)
        .tags(tag("aws:cloudformation:stack-name", "network-prod"))
        .tags(tag("aws:cloudformation:logical-id", "PrivateRouteTable"))
        .send()
        .await
        .unwrap();
    world
        .ec2
        .delete_route()
        .route_table_id(&world.private_table)
        .destination_cidr_block("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    let reason = world.event["detail"]["stoppedReason"]
        .as_str()
        .unwrap()
        .to_string();
    stop_another(
        &mut world,
        &definition,
        Some("service:steady"),
        None,
        &reason,
    )
    .await;
    world
}

#[tokio::test]
async fn an_unchanged_revision_with_a_deleted_route_is_the_environment() {
    let _moto = moto().await;
    let world = steady_service_without_its_route().await;
    let report = diagnose(&world).await;
    assert_cause(&report, "network.default-route");
    assert_eq!(
        report.change.cause,
        Cause::Environment,
        "{:#?}",
        report.change
    );
    assert_eq!(
        report.change.previous_task_definition.as_deref(),
        Some(definition_arn(&world).as_str())
    );
    assert!(report.change.differences.is_empty());
    // moto has no LookupEvents: the lookup is skipped, and the report says so.
    assert_eq!(report.last_change, None);
    assert!(
        report.unanswered["lastChange"].contains(&format!(
            "the CloudTrail lookup for {} was skipped",
            world.private_table
        )),
        "{:?}",
        report.unanswered
    );
}

#[tokio::test]
async fn a_stack_tagged_route_table_names_its_owner_and_the_fix_the_stack() {
    let _moto = moto().await;
    let world = steady_service_without_its_route().await;
    let report = diagnose(&world).await;
    let owner = report.owner.as_ref().expect("the owner");
    assert_eq!(owner.resource, world.private_table);
    assert_eq!(owner.stack.as_deref(), Some("network-prod"));
    assert_eq!(owner.logical_id.as_deref(), Some("PrivateRouteTable"));
    let root = report.root_finding().unwrap();
    assert!(
        root.remediation
            .starts_with("In stack network-prod, resource PrivateRouteTable"),
        "{}",
        root.remediation
    );
}

#[tokio::test]
async fn the_fix_names_the_available_nat_gateway_of_the_vpc() {
    let _moto = moto().await;
    let world = steady_service_without_its_route().await;
    let report = diagnose(&world).await;
    let nat = world.nat.as_deref().unwrap();
    let root = report.root_finding().unwrap();
    assert!(
        root.remediation.contains(&format!(
            "aws ec2 create-route --route-table-id {} --destination-cidr-block 0.0.0.0/0 \
             --nat-gateway-id {nat}",
            world.private_table
        )),
        "{}",
        root.remediation
    );
    assert!(
        !root.remediation.contains("<"),
        "no placeholder: {}",
        root.remediation
    );
}

#[tokio::test]
async fn a_standalone_task_has_no_previous_revision() {
    let _moto = moto().await;
    let mut world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let definition = definition_arn(&world);
    let reason = world.event["detail"]["stoppedReason"]
        .as_str()
        .unwrap()
        .to_string();
    stop_another(&mut world, &definition, Some("family:web"), None, &reason).await;
    let report = diagnose(&world).await;
    assert_eq!(report.change.cause, Cause::Unknown);
    assert_eq!(report.change.previous_task_definition, None);
    assert!(
        report.change.summary.contains("standalone"),
        "{}",
        report.change.summary
    );
}

#[tokio::test]
async fn with_the_deadline_spent_the_context_is_marked_skipped_and_the_report_goes_out() {
    let _moto = moto().await;
    let world = steady_service_without_its_route().await;
    let doctor = ecs_task_doctor::doctor::Doctor::new(ecs_task_doctor::aws::ClientCache::new(
        world.config.clone(),
    ));
    let topics = ecs_task_doctor::notify::Topics {
        alert: world.topic_arn.clone(),
        report: None,
    };
    let outcome = doctor
        .handle_event(
            world.event.clone(),
            topics,
            Some(tokio::time::Instant::now()),
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, ecs_task_doctor::doctor::Outcome::Published { .. }),
        "{outcome:?}"
    );
    let messages = super::world::received(&world.config, &world.queue_url).await;
    assert_eq!(messages.len(), 1, "the partial report goes out");
    let report: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(report["change"]["cause"], "unknown", "{report:#}");
    assert!(
        report["change"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("timed out")),
        "{report:#}"
    );
    assert!(report["lastChange"].is_null());
    assert!(report["unanswered"]["lastChange"].is_string(), "{report:#}");
}
