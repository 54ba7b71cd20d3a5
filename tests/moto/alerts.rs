//! One alert per root cause: the ledger (DynamoDB in moto, its table built from the key
//! schema in template.yaml) counts repeats, drops redelivered events, groups services that
//! fail for the same VPC-level cause, and alerts again after the window with the count.

use super::support::{ACCOUNT, REGION, moto};
use super::world::{Egress, World, awsvpc, build, received, stopped_service_task};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_ecs::types::AssignPublicIp;
use ecs_task_doctor::aws::ClientCache;
use ecs_task_doctor::doctor::{Doctor, Outcome};
use ecs_task_doctor::ledger::Ledger;
use ecs_task_doctor::notify::Topics;
use serde_json::Value;

const TABLE: &str = "ecs-task-doctor-ledger";
const WINDOW_MINUTES: i64 = 60;
const T0: i64 = 1_780_000_000;

/// The ledger table, with the key schema template.yaml gives DedupTable.
pub(super) async fn ledger_table(world: &World) -> Ledger {
    ledger_table_in(&world.config).await
}

/// The ledger table in the account and region of `config`.
pub(super) async fn ledger_table_in(config: &aws_config::SdkConfig) -> Ledger {
    let ddb = aws_sdk_dynamodb::Client::new(config);
    create_ledger_table(&ddb, TABLE).await;
    Ledger::new(ddb, TABLE, WINDOW_MINUTES, 30)
}

/// Creates a ledger table named `table` with template.yaml's DedupTable key schema.
pub(super) async fn create_ledger_table(ddb: &aws_sdk_dynamodb::Client, table: &str) {
    let template: Value = serde_norway::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap(),
    )
    .unwrap();
    let properties = &template["Resources"]["DedupTable"]["Properties"];
    let mut create = ddb
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest);
    for key in properties["KeySchema"].as_array().unwrap() {
        create = create.key_schema(
            KeySchemaElement::builder()
                .attribute_name(key["AttributeName"].as_str().unwrap())
                .key_type(KeyType::from(key["KeyType"].as_str().unwrap()))
                .build()
                .unwrap(),
        );
    }
    for attribute in properties["AttributeDefinitions"].as_array().unwrap() {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute["AttributeName"].as_str().unwrap())
                .attribute_type(ScalarAttributeType::from(
                    attribute["AttributeType"].as_str().unwrap(),
                ))
                .build()
                .unwrap(),
        );
    }
    create.send().await.unwrap();
}

fn doctor(world: &World, ledger: Ledger) -> Doctor {
    Doctor::new(ClientCache::new(world.config.clone())).with_ledger(Some(ledger))
}

fn topics(world: &World) -> Topics {
    Topics {
        alert: world.topic_arn.clone(),
        report: None,
    }
}

/// The world's event with another event id (a new stop of the same service).
pub(super) fn stop(world: &World, n: usize) -> Value {
    let mut event = world.event.clone();
    event["id"] = Value::String(format!("stop-{n}"));
    event
}

#[tokio::test]
async fn twenty_stops_of_one_service_alert_once_and_count_twenty() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = doctor(&world, ledger_table(&world).await);
    let mut outcomes = Vec::new();
    for n in 0..20 {
        outcomes.push(
            doctor
                .handle_event_at(
                    stop(&world, n),
                    topics(&world),
                    None,
                    T0 + n as i64 * 60 / 20,
                )
                .await
                .unwrap(),
        );
    }
    assert!(
        matches!(outcomes[0], Outcome::Published { .. }),
        "{:?}",
        outcomes[0]
    );
    assert!(
        outcomes[1..]
            .iter()
            .all(|o| matches!(o, Outcome::Suppressed { .. })),
        "{outcomes:#?}"
    );
    let Outcome::Suppressed {
        total, root_cause, ..
    } = &outcomes[19]
    else {
        unreachable!()
    };
    assert_eq!(*total, 20, "the counter reaches 20");
    assert_eq!(root_cause.as_deref(), Some("network.default-route"));
    assert_eq!(
        received(&world.config, &world.queue_url).await.len(),
        1,
        "one SNS message"
    );

    // After the window, the next stop alerts again and carries the count.
    let after = T0 + WINDOW_MINUTES * 60 + 1;
    let outcome = doctor
        .handle_event_at(stop(&world, 20), topics(&world), None, after)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Published { .. }), "{outcome:?}");
    let messages = received(&world.config, &world.queue_url).await;
    assert_eq!(messages.len(), 1);
    let report: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(report["recurrence"]["repeats"], 19, "{report:#}");
    assert!(
        report["recurrence"]["since"]
            .as_str()
            .unwrap()
            .starts_with("2026-05-28"),
        "{report:#}"
    );
}

#[tokio::test]
async fn a_redelivered_event_never_alerts_twice() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = doctor(&world, ledger_table(&world).await);
    let first = doctor
        .handle_event_at(stop(&world, 1), topics(&world), None, T0)
        .await
        .unwrap();
    // Redelivered after the window: without the event claim it would alert again.
    let again = doctor
        .handle_event_at(stop(&world, 1), topics(&world), None, T0 + 7_200)
        .await
        .unwrap();
    assert!(matches!(first, Outcome::Published { .. }));
    assert_eq!(
        again,
        Outcome::Duplicate {
            event: "stop-1".into()
        }
    );
    assert_eq!(received(&world.config, &world.queue_url).await.len(), 1);
}

#[tokio::test]
async fn two_services_failing_for_the_same_route_share_one_alert() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = doctor(&world, ledger_table(&world).await);
    // A second service in the same private subnet.
    let definition = world.event["detail"]["taskDefinitionArn"]
        .as_str()
        .unwrap()
        .to_string();
    let network = awsvpc(
        &world.task_subnet,
        &world.security_group,
        AssignPublicIp::Disabled,
    );
    let reason = world.event["detail"]["stoppedReason"].as_str().unwrap();
    let ecs = aws_sdk_ecs::Client::new(&world.config);
    let stopped = stopped_service_task(&ecs, "api", &definition, network, reason).await;
    let api_task = stopped.task_arn().unwrap().to_string();
    let mut api_event = stop(&world, 2);
    api_event["detail"]["taskArn"] = Value::String(api_task.clone());
    api_event["detail"]["group"] = Value::String("service:api".into());
    api_event["resources"] = serde_json::json!([api_task]);

    let web = doctor
        .handle_event_at(stop(&world, 1), topics(&world), None, T0)
        .await
        .unwrap();
    let api = doctor
        .handle_event_at(api_event, topics(&world), None, T0 + 30)
        .await
        .unwrap();
    assert!(matches!(web, Outcome::Published { .. }), "{web:?}");
    assert!(
        matches!(api, Outcome::Suppressed { .. }),
        "the same route, the same alert: {api:?}"
    );
    assert_eq!(received(&world.config, &world.queue_url).await.len(), 1);

    // The next alert for the cause names both services.
    doctor
        .handle_event_at(
            stop(&world, 3),
            topics(&world),
            None,
            T0 + WINDOW_MINUTES * 60 + 1,
        )
        .await
        .unwrap();
    let messages = received(&world.config, &world.queue_url).await;
    let report: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(
        report["recurrence"]["services"],
        serde_json::json!(["api", "web"]),
        "{report:#}"
    );
    let email = {
        let parsed: ecs_task_doctor::verdict::Report =
            serde_json::from_value(report.clone()).unwrap();
        ecs_task_doctor::render::text(&parsed)
    };
    assert!(
        email.contains("Services failing for this cause: api, web."),
        "{email}"
    );
}

#[tokio::test]
async fn history_keeps_every_diagnosis_past_the_hour() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let ledger = ledger_table(&world).await;
    let doctor = doctor(&world, ledger.clone());
    doctor
        .handle_event_at(stop(&world, 1), topics(&world), None, T0)
        .await
        .unwrap();
    let entries = ledger
        .history(ACCOUNT, REGION, "demo", Some("web"), 10)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].root_cause.as_deref(),
        Some("network.default-route")
    );
    let event: Value = serde_json::from_str(&entries[0].event).unwrap();
    assert_eq!(event["id"], "stop-1", "the raw event is kept");
    let everywhere = ledger
        .history_all_clusters(ACCOUNT, REGION, None, 10)
        .await
        .unwrap();
    assert_eq!(everywhere.len(), 1, "found without naming the cluster");
    assert_eq!(everywhere[0].cluster, "demo");
    assert!(
        ledger
            .history(ACCOUNT, REGION, "demo", Some("api"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_history_command_lists_kept_diagnoses() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = doctor(&world, ledger_table(&world).await);
    doctor
        .handle_event_at(stop(&world, 1), topics(&world), None, T0)
        .await
        .unwrap();

    for args in [
        vec!["history", "--cluster", "demo", "--service", "web"],
        vec!["history"],
        vec!["history", "--region", REGION],
    ] {
        let out = super::skeleton::cli(&args, &[("DEDUP_TABLE", TABLE)]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listing = String::from_utf8(out.stdout).unwrap();
        assert_eq!(listing.lines().count(), 1, "{listing}");
        assert!(
            listing.contains("  demo  web  ")
                && listing.trim_end().ends_with("network.default-route"),
            "{listing}"
        );
    }
    // Another region's history (the ledger table stays where the CLI is) holds nothing.
    let out = super::skeleton::cli(
        &["history", "--region", "eu-west-1"],
        &[("DEDUP_TABLE", TABLE)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "");
}
