//! The EventBridge rule's pattern, taken from template.yaml, sent through moto's real matcher
//! (PutRule + PutTargets(SQS) + PutEvents): moto's TestEventPattern is a stub that answers
//! nothing useful, so it is not used.

use super::support::{ACCOUNT, REGION, config, moto};
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use serde_json::Value;
use std::collections::BTreeSet;

fn rule_pattern() -> Value {
    let template =
        std::fs::read_to_string(format!("{}/template.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let template: Value = serde_norway::from_str(&template).unwrap();
    let pattern = template["Resources"]["DiagnoseFunction"]["Properties"]["Events"]["TaskStoppedWithInitError"]["Properties"]["Pattern"].clone();
    assert!(pattern.is_object(), "no rule pattern in template.yaml");
    pattern
}

fn fixture(name: &str) -> Value {
    let text =
        std::fs::read_to_string(format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn the_rule_sends_failed_starts_and_nothing_else() {
    let _moto = moto().await;
    let config = config().await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = sqs
        .create_queue()
        .queue_name("rule-target")
        .send()
        .await
        .unwrap();
    let queue_url = queue.queue_url().unwrap();
    events
        .put_rule()
        .name("task-stopped-with-init-error")
        .event_pattern(rule_pattern().to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("task-stopped-with-init-error")
        .targets(
            Target::builder()
                .id("inbox")
                .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:rule-target"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let matching = [
        "ecs-task-stopped-secrets-network.json",
        "ecs-task-stopped-signal-killed.json",
        "ecs-task-stopped-secret-access-denied.json",
        "ecs-task-stopped-log-group-missing.json",
        "ecs-task-stopped-standalone-task.json",
    ];
    let other = [
        "ecs-task-running.json",
        "ecs-task-stopped-essential-container-exited.json",
        "ecs-container-instance-state-change.json",
    ];
    let mut expected = BTreeSet::new();
    for name in matching.iter().chain(other.iter()) {
        let event = fixture(name);
        if matching.contains(name) {
            expected.insert(event["detail"]["taskArn"].as_str().unwrap().to_string());
        }
        let sent = events
            .put_events()
            .entries(
                PutEventsRequestEntry::builder()
                    .source(event["source"].as_str().unwrap())
                    .detail_type(event["detail-type"].as_str().unwrap())
                    .detail(event["detail"].to_string())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(sent.failed_entry_count(), 0, "{name} was not accepted");
    }

    let mut arrived = BTreeSet::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if out.messages().is_empty() {
            break;
        }
        for message in out.messages() {
            let event: Value = serde_json::from_str(message.body().unwrap()).unwrap();
            arrived.insert(
                event["detail"]["taskArn"]
                    .as_str()
                    .unwrap_or("(none)")
                    .to_string(),
            );
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(arrived, expected);
}
