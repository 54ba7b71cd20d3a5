//! The EventBridge rules' patterns, taken from template.yaml, sent through moto's real matcher
//! (PutRule + PutTargets(SQS) + PutEvents): moto's TestEventPattern is a stub that answers
//! nothing useful, so it is not used. With `DiagnoseImagePullFailures` the stack adds the
//! image-pull rule beside the start-failure rule; both settings are tried, and the intake must
//! agree with the rules on every task event.

use super::support::{ACCOUNT, REGION, config, moto};
use super::world::event_fixture;
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use ecs_task_doctor::event::{Intake, intake};
use serde_json::Value;
use std::collections::BTreeSet;

fn rule_pattern(event: &str) -> Value {
    let template =
        std::fs::read_to_string(format!("{}/template.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let template: Value = serde_norway::from_str(&template).unwrap();
    let pattern =
        template["Resources"]["DiagnoseFunction"]["Properties"]["Events"][event]["Properties"]
            ["Pattern"]
            .clone();
    assert!(pattern.is_object(), "no {event} pattern in template.yaml");
    pattern
}

const START_FAILURES: &[&str] = &[
    "ecs-task-stopped-secrets-network.json",
    "ecs-task-stopped-signal-killed.json",
    "ecs-task-stopped-secret-access-denied.json",
    "ecs-task-stopped-log-group-missing.json",
    "ecs-task-stopped-standalone-task.json",
    "ecs-task-stopped-efs-mount-target.json",
    "ecs-task-stopped-ssm-parameter-missing.json",
    "ecs-task-stopped-endpoint-policy-denied.json",
    // The EC2 agent's own words, without ResourceInitializationError.
    "ecs-task-stopped-ec2-ssm-kms.json",
    "ecs-task-stopped-managed-instances-secrets-network.json",
];
const IMAGE_PULLS: &[&str] = &["ecs-task-stopped-image-not-found.json"];
/// An EC2 pull failure, said only in the container's reason. moto's matcher (5.2.5) does not
/// descend into arrays of objects, so this is not sent through it: the pattern's `containers`
/// branch is checked against the `stoppedReason` one instead, and the intake below.
const CONTAINER_PULLS: &[&str] = &["ecs-task-stopped-ec2-image-pull-container-reason.json"];
const OTHER: &[&str] = &[
    "ecs-task-running.json",
    "ecs-task-stopped-essential-container-exited.json",
    "ecs-container-instance-state-change.json",
];

/// The fixtures that arrive in the queue when the given rules are in place, by fixture name
/// (sent as the event's only resource).
async fn arrivals(rules: &[&str]) -> BTreeSet<String> {
    let config = config().await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_name = format!("rule-target-{}", rules.len());
    let queue = sqs
        .create_queue()
        .queue_name(&queue_name)
        .send()
        .await
        .unwrap();
    let queue_url = queue.queue_url().unwrap();
    let bus = format!("bus-{}", rules.len());
    events.create_event_bus().name(&bus).send().await.unwrap();
    for rule in rules {
        events
            .put_rule()
            .name(*rule)
            .event_bus_name(&bus)
            .event_pattern(rule_pattern(rule).to_string())
            .send()
            .await
            .unwrap();
        events
            .put_targets()
            .rule(*rule)
            .event_bus_name(&bus)
            .targets(
                Target::builder()
                    .id("inbox")
                    .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    for name in START_FAILURES.iter().chain(IMAGE_PULLS).chain(OTHER) {
        let event = event_fixture(name);
        let sent = events
            .put_events()
            .entries(
                PutEventsRequestEntry::builder()
                    .event_bus_name(&bus)
                    .source(event["source"].as_str().unwrap())
                    .detail_type(event["detail-type"].as_str().unwrap())
                    .resources(*name)
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
                event["resources"][0]
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
    arrived
}

fn names(lists: &[&[&str]]) -> BTreeSet<String> {
    lists
        .iter()
        .flat_map(|l| l.iter())
        .map(|n| n.to_string())
        .collect()
}

#[tokio::test]
async fn the_rule_sends_failed_starts_and_nothing_else() {
    let _moto = moto().await;
    let without_pulls = arrivals(&["TaskStoppedWithInitError"]).await;
    assert_eq!(without_pulls, names(&[START_FAILURES]));
    let with_pulls = arrivals(&["TaskStoppedWithInitError", "TaskStoppedWithImagePullError"]).await;
    assert_eq!(with_pulls, names(&[START_FAILURES, IMAGE_PULLS]));
}

#[test]
fn the_cluster_rules_match_what_the_rules_for_every_cluster_match() {
    for (every, one) in [
        (
            "TaskStoppedWithInitError",
            "TaskStoppedWithInitErrorInCluster",
        ),
        (
            "TaskStoppedWithImagePullError",
            "TaskStoppedWithImagePullErrorInCluster",
        ),
    ] {
        let mut scoped = rule_pattern(one);
        scoped["detail"]
            .as_object_mut()
            .unwrap()
            .remove("clusterArn");
        assert_eq!(scoped, rule_pattern(every), "{one} drifted from {every}");
    }
}

/// The pull rule matches the error names in the task's reason or in any container's reason
/// (a field of an array of objects matches when any element's does: aws/event-ruler README,
/// arrays are "crushed out").
#[test]
fn the_pull_rule_reads_the_containers_reasons_as_it_reads_the_tasks() {
    let pattern = rule_pattern("TaskStoppedWithImagePullError");
    let branches = pattern["detail"]["$or"].as_array().expect("an $or");
    assert_eq!(branches.len(), 2);
    let task = &branches[0]["stoppedReason"];
    assert!(task.is_array());
    assert_eq!(&branches[1]["containers"]["reason"], task);
    let names: Vec<String> = task
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["wildcard"]
                .as_str()
                .unwrap()
                .trim_matches('*')
                .to_string()
        })
        .collect();
    assert_eq!(names, ecs_task_doctor::event::PULL_ERRORS);
}

#[test]
fn the_intake_diagnoses_exactly_what_the_rules_send() {
    for name in START_FAILURES
        .iter()
        .chain(IMAGE_PULLS)
        .chain(CONTAINER_PULLS)
    {
        assert!(
            matches!(intake(event_fixture(name)).unwrap(), Intake::Diagnose(_)),
            "{name} is sent but not diagnosed"
        );
    }
    for name in OTHER {
        assert!(
            matches!(intake(event_fixture(name)).unwrap(), Intake::Ignore(_)),
            "{name} is diagnosed but never sent"
        );
    }
}
