//! Findings on EventBridge: a rule on a bus in moto, with a pattern on the report's own fields
//! (`detail.rootCause`, `detail.task.cluster`), receives the diagnoses it names through an SQS
//! target and nothing else; the Lambda puts every diagnosis that ran, alerting or not, and
//! writes a metric line per stopped task.
//!
//! Only SQS targets here: a matching rule with an SNS, SSM OpsItem or Lambda target makes
//! moto's PutEvents fail with HTTP 500 (docs/notes/context-org-channels.md §1.6), so the
//! README's three rules are not deployed into moto; their patterns are this test's kind.

use super::alerts::{ledger_table, stop};
use super::support::{ACCOUNT, REGION, moto};
use super::world::{Egress, World, awsvpc, build, stopped_service_task};
use aws_sdk_ecs::types::AssignPublicIp;
use aws_sdk_eventbridge::types::Target;
use ecs_task_doctor::aws::ClientCache;
use ecs_task_doctor::doctor::{Doctor, Outcome};
use ecs_task_doctor::event::{Intake, intake};
use ecs_task_doctor::eventbus::Publisher;
use ecs_task_doctor::metrics::Sink;
use ecs_task_doctor::notify::Topics;
use ecs_task_doctor::verdict::Report;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const BUS: &str = "findings";
const T0: i64 = 1_780_000_000;

/// A bus and a rule on it whose target is a fresh SQS queue; returns the queue's URL.
async fn rule_to_queue(world: &World, pattern: &Value) -> String {
    let events = aws_sdk_eventbridge::Client::new(&world.config);
    let sqs = aws_sdk_sqs::Client::new(&world.config);
    events.create_event_bus().name(BUS).send().await.unwrap();
    let queue = sqs.create_queue().queue_name("pager").send().await.unwrap();
    events
        .put_rule()
        .name("prod-route")
        .event_bus_name(BUS)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("prod-route")
        .event_bus_name(BUS)
        .targets(
            Target::builder()
                .id("pager")
                .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:pager"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    queue.queue_url().unwrap().to_string()
}

/// Every event the queue holds, deleted as read.
async fn drain(world: &World, queue_url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(&world.config);
    let mut events = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if out.messages().is_empty() {
            return events;
        }
        for message in out.messages() {
            events.push(serde_json::from_str(message.body().unwrap()).unwrap());
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

fn publisher(world: &World) -> Publisher {
    Publisher::new(aws_sdk_eventbridge::Client::new(&world.config), BUS)
}

/// The world's stopped task, diagnosed by the doctor against moto.
async fn diagnosis(world: &World) -> Report {
    let doctor = Doctor::new(ClientCache::new(world.config.clone()));
    let Intake::Diagnose(task) = intake(world.event.clone()).unwrap() else {
        panic!("the world's event is a stopped task")
    };
    let (_, report) = doctor
        .diagnose(
            ecs_task_doctor::collect::Target::Event(&task),
            Some(REGION),
            None,
        )
        .await
        .unwrap();
    report
}

#[tokio::test]
async fn a_rule_on_root_cause_and_cluster_gets_matching_diagnoses_only() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let mut prod = diagnosis(&world).await;
    assert_eq!(prod.root_cause.as_deref(), Some("network.default-route"));
    prod.task.cluster = "prod".into();
    let queue_url = rule_to_queue(
        &world,
        &json!({
            "source": ["ecs-task-doctor"],
            "detail-type": ["ECS Task Diagnosis"],
            "detail": {
                "rootCause": ["network.default-route"],
                "severity": ["critical"],
                "task": { "cluster": ["prod"] },
            },
        }),
    )
    .await;
    let mut staging = prod.clone();
    staging.task.cluster = "staging".into();
    let mut other_cause = prod.clone();
    other_cause.root_cause = Some("secret.exists".into());
    let mut healthy = prod.clone();
    healthy.root_cause = None;

    let bus = publisher(&world);
    for report in [&prod, &staging, &other_cause, &healthy] {
        let id = bus.put(report).await.unwrap();
        assert!(!id.is_empty(), "PutEvents returns the event id");
    }

    let arrived = drain(&world, &queue_url).await;
    assert_eq!(arrived.len(), 1, "{arrived:#?}");
    let event = &arrived[0];
    assert_eq!(event["source"], "ecs-task-doctor");
    assert_eq!(event["detail-type"], "ECS Task Diagnosis");
    assert_eq!(event["resources"], json!([prod.task.arn]));
    assert_eq!(event["detail"]["severity"], "critical");
    let detail: Report = serde_json::from_value(event["detail"].clone()).unwrap();
    assert_eq!(detail, prod, "the detail is the report as diagnosed");
}

#[tokio::test]
async fn the_lambda_puts_every_diagnosis_that_ran_alerting_or_not() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let queue_url = rule_to_queue(
        &world,
        &json!({ "source": ["ecs-task-doctor"], "detail": { "task": { "cluster": ["demo"] } } }),
    )
    .await;
    let metric_lines = Arc::new(Mutex::new(Vec::new()));
    let doctor = Doctor::new(ClientCache::new(world.config.clone()))
        .with_ledger(Some(ledger_table(&world).await))
        .with_findings_bus(Some(publisher(&world)))
        .with_metrics(Some(Sink::Buffer(metric_lines.clone())));
    let topics = Topics {
        alert: world.topic_arn.clone(),
        report: None,
    };
    // A second service in the same private subnet: the same route, so its diagnosis runs but
    // its alert is held back in the web service's window.
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
    let api_task = stopped_service_task(&ecs, "api", &definition, network, reason)
        .await
        .task_arn()
        .unwrap()
        .to_string();
    let mut api_event = stop(&world, 2);
    api_event["detail"]["taskArn"] = Value::String(api_task.clone());
    api_event["detail"]["group"] = Value::String("service:api".into());
    api_event["resources"] = json!([api_task]);

    let mut outcomes = Vec::new();
    for (event, now) in [
        (stop(&world, 1), T0),      // web: diagnosed, alerts
        (api_event, T0 + 30),       // api: diagnosed, held back (the same route's window)
        (stop(&world, 3), T0 + 60), // web again: a repeat, counted before any read
        (stop(&world, 1), T0 + 90), // a redelivery of the first event
    ] {
        outcomes.push(
            doctor
                .handle_event_at(event, topics.clone(), None, now)
                .await
                .unwrap(),
        );
    }
    assert!(
        matches!(outcomes[0], Outcome::Published { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], Outcome::Suppressed { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[2], Outcome::Suppressed { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[3], Outcome::Duplicate { .. }),
        "{outcomes:?}"
    );

    let mut tasks: Vec<String> = drain(&world, &queue_url)
        .await
        .iter()
        .map(|e| e["detail"]["task"]["arn"].as_str().unwrap().to_string())
        .collect();
    tasks.sort();
    let mut expected = vec![world.task_arn.clone(), api_task];
    expected.sort();
    assert_eq!(
        tasks, expected,
        "the two diagnoses that ran; the counted repeat and the redelivery were not diagnosed"
    );

    // A metric line per stopped task that failed to start: the two diagnoses with their
    // duration, the counted repeat without; none for the redelivery.
    let lines: Vec<Value> = metric_lines
        .lock()
        .unwrap()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(
        lines
            .iter()
            .all(|l| l["StartFailures"] == 1 && l["Cluster"] == "demo")
    );
    assert!(
        lines
            .iter()
            .all(|l| l["RootCause"] == "network.default-route")
    );
    assert!(lines[0]["DiagnosisDuration"].is_u64() && lines[1]["DiagnosisDuration"].is_u64());
    assert!(
        lines[2].get("DiagnosisDuration").is_none(),
        "{:#}",
        lines[2]
    );
}
