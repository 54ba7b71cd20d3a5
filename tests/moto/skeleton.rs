//! The walking skeleton end to end: event → diagnosis → SNS alert.

use super::support::{env, moto};
use super::world::{Egress, build, received};
use ecs_task_doctor::aws::ClientCache;
use ecs_task_doctor::doctor::{Doctor, Outcome};
use ecs_task_doctor::notify::Topics;
use serde_json::Value;
use std::process::Command;

fn topics(world: &super::world::World) -> Topics {
    Topics {
        alert: world.topic_arn.clone(),
        report: None,
    }
}

#[tokio::test]
async fn lambda_handler_names_the_missing_route_and_publishes_it() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = Doctor::new(ClientCache::new(world.config.clone()));

    let outcome = doctor
        .handle_event(world.event.clone(), topics(&world), None)
        .await
        .unwrap();

    let Outcome::Published {
        root_cause, task, ..
    } = outcome
    else {
        panic!("not published: {outcome:?}")
    };
    assert_eq!(root_cause.as_deref(), Some("network.default-route"));
    assert_eq!(task, world.task_arn);
    let messages = received(&world.config, &world.queue_url).await;
    assert_eq!(messages.len(), 1, "one alert per diagnosis");
    let envelope = &messages[0];
    let subject = envelope["Subject"].as_str().unwrap();
    assert!(
        subject.starts_with("ECS task failed to start: web (demo)"),
        "{subject}"
    );
    assert!(subject.chars().count() < 100 && !subject.contains('\n'));
    // The SQS subscriber gets the `default` rendering: the report JSON.
    let report: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(report["schemaVersion"], 1);
    assert_eq!(report["rootCause"], "network.default-route");
    assert_eq!(report["failure"]["stage"], "secrets-manager");
    assert_eq!(report["failure"]["error"], "network");
    assert_eq!(
        report["task"]["stoppedAt"], "2025-06-12T09:43:16.842Z",
        "kept from the event"
    );
    let root = &report["findings"][0];
    assert_eq!(root["id"], "network.default-route");
    assert_eq!(root["status"], "fail");
    assert_eq!(root["category"], "network-route");
    let resources: Vec<&str> = root["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        resources.contains(&world.private_table.as_str()),
        "{resources:?}"
    );
    assert!(
        root["remediation"]
            .as_str()
            .unwrap()
            .contains(&world.private_table)
    );
    // The secret's value never appears anywhere in what was published.
    assert!(!envelope.to_string().contains("not-read-by-the-doctor"));
}

#[tokio::test]
async fn lambda_handler_ignores_other_stops_without_publishing() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = Doctor::new(ClientCache::new(world.config.clone()));
    let mut event = world.event.clone();
    event["detail"]["stoppedReason"] = "Essential container in task exited".into();

    let outcome = doctor
        .handle_event(event, topics(&world), None)
        .await
        .unwrap();

    assert!(matches!(outcome, Outcome::Ignored { .. }), "{outcome:?}");
    assert!(received(&world.config, &world.queue_url).await.is_empty());
}

#[tokio::test]
async fn lambda_handler_rejects_a_malformed_event_with_its_id_and_field() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = Doctor::new(ClientCache::new(world.config.clone()));
    let mut event = world.event.clone();
    event["detail"].as_object_mut().unwrap().remove("taskArn");

    let error = doctor
        .handle_event(event, topics(&world), None)
        .await
        .unwrap_err();

    let id = world.event["id"].as_str().unwrap();
    assert_eq!(
        error.to_string(),
        format!("event {id}: detail: missing field `taskArn`")
    );
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "BadEvent"
    );
    assert!(received(&world.config, &world.queue_url).await.is_empty());
}

#[tokio::test]
async fn a_task_describe_tasks_forgot_is_diagnosed_from_the_event() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = Doctor::new(ClientCache::new(world.config.clone()));
    let mut event = world.event.clone();
    let forgotten = world.task_arn.replace(
        world.task_arn.rsplit('/').next().unwrap(),
        "0123456789abcdef0123456789abcdef",
    );
    event["detail"]["taskArn"] = forgotten.clone().into();

    let Outcome::Published { root_cause, .. } = doctor
        .handle_event(event, topics(&world), None)
        .await
        .unwrap()
    else {
        panic!("not published")
    };

    assert_eq!(
        root_cause.as_deref(),
        Some("network.default-route"),
        "the event's subnet still leads to the route"
    );
    let messages = received(&world.config, &world.queue_url).await;
    let report: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    let record = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "platform.task-record")
        .expect("the report says the event was used");
    assert_eq!(record["status"], "info");
    assert!(record["detail"].as_str().unwrap().contains(&forgotten));
}

pub fn cli(args: &[&str], extra_env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecs-task-doctor"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (key, value) in env() {
        command.env(key, value);
    }
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[tokio::test]
async fn cli_diagnoses_and_publishes_through_the_same_path() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let dir = std::env::temp_dir().join(format!("doctor-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let event_file = dir.join("event.json");
    std::fs::write(&event_file, world.event.to_string()).unwrap();
    let facts_file = dir.join("facts.json");

    let out = cli(
        &[
            "diagnose",
            "--event",
            event_file.to_str().unwrap(),
            "--format",
            "json",
            "--publish",
            "--dump-facts",
            facts_file.to_str().unwrap(),
        ],
        &[("TOPIC_ARN", &world.topic_arn)],
    );

    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rootCause"], "network.default-route");
    let messages = received(&world.config, &world.queue_url).await;
    assert_eq!(messages.len(), 1);
    let published: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(published, report, "the CLI publishes the report it prints");

    // Offline: the saved facts give the same report with no AWS reachable.
    let offline = cli(
        &[
            "diagnose",
            "--facts",
            facts_file.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    assert!(
        offline.status.success(),
        "{}",
        String::from_utf8_lossy(&offline.stderr)
    );
    let again: Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert_eq!(again, report);

    // By cluster and task, as text for a terminal: verdict first.
    let by_name = cli(
        &["diagnose", "--cluster", "demo", "--task", &world.task_arn],
        &[],
    );
    assert!(
        by_name.status.success(),
        "{}",
        String::from_utf8_lossy(&by_name.stderr)
    );
    let text = String::from_utf8(by_name.stdout).unwrap();
    let first_lines: Vec<&str> = text.lines().take(3).collect();
    assert!(
        first_lines[0].contains("the task subnet has no usable route out of the VPC"),
        "{text}"
    );
    assert!(
        first_lines[2].starts_with("ROOT CAUSE [network.default-route]"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_failed_publish_is_an_error_so_lambda_retries() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = Doctor::new(ClientCache::new(world.config.clone()));
    let missing = Topics {
        alert: world.topic_arn.replace("alerts", "no-such-topic"),
        report: None,
    };

    let error = doctor
        .handle_event(world.event.clone(), missing, None)
        .await
        .unwrap_err();

    let message = error.to_string();
    assert!(
        message.starts_with(
            "publishing to arn:aws:sns:us-east-1:123456789012:no-such-topic failed: NotFound"
        ),
        "{message}"
    );
    assert!(!message.contains('\n'));
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "PublishFailed"
    );
}

#[tokio::test]
async fn cli_gives_one_line_errors_for_unusable_input() {
    let _moto = moto().await;
    let _world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let missing = cli(
        &[
            "diagnose",
            "--cluster",
            "demo",
            "--task",
            "0123456789abcdef0123456789abcdef",
        ],
        &[],
    );
    assert!(!missing.status.success());
    let stderr = String::from_utf8(missing.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "ecs-task-doctor: task 0123456789abcdef0123456789abcdef not found in cluster demo"
        ),
        "{stderr}"
    );

    let not_json = cli(&["diagnose", "--event", "/dev/null"], &[]);
    assert!(!not_json.status.success());
    let stderr = String::from_utf8(not_json.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("ecs-task-doctor: event /dev/null: not JSON"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_report_topic_carries_attributes_that_filter_policies_route_on() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let sns = aws_sdk_sns::Client::new(&world.config);
    let sqs = aws_sdk_sqs::Client::new(&world.config);
    let topic = sns.create_topic().name("reports").send().await.unwrap();
    let report_topic = topic.topic_arn().unwrap().to_string();
    let mut inboxes = Vec::new();
    for (queue, category) in [
        ("network-team", "network-route"),
        ("iam-team", "iam-permission"),
    ] {
        let url = sqs
            .create_queue()
            .queue_name(queue)
            .send()
            .await
            .unwrap()
            .queue_url()
            .unwrap()
            .to_string();
        let subscription = sns
            .subscribe()
            .topic_arn(&report_topic)
            .protocol("sqs")
            .endpoint(format!("arn:aws:sqs:us-east-1:123456789012:{queue}"))
            .attributes("RawMessageDelivery", "true")
            .attributes(
                "FilterPolicy",
                serde_json::json!({ "category": [category] }).to_string(),
            )
            .send()
            .await
            .unwrap();
        assert!(subscription.subscription_arn().is_some());
        inboxes.push(url);
    }
    let doctor = Doctor::new(ClientCache::new(world.config.clone()));
    let topics = Topics {
        alert: world.topic_arn.clone(),
        report: Some(report_topic),
    };

    doctor
        .handle_event(world.event.clone(), topics, None)
        .await
        .unwrap();

    let network = sqs
        .receive_message()
        .queue_url(&inboxes[0])
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    assert_eq!(network.messages().len(), 1);
    let message = &network.messages()[0];
    let report: Value = serde_json::from_str(message.body().unwrap()).unwrap();
    assert_eq!(report["rootCause"], "network.default-route");
    let attributes = message.message_attributes().unwrap();
    let attribute = |name: &str| attributes[name].string_value().unwrap().to_string();
    assert_eq!(attribute("cluster"), "demo");
    assert_eq!(attribute("service"), "web");
    assert_eq!(attribute("severity"), "critical");
    assert_eq!(attribute("rootCause"), "network.default-route");
    let iam = sqs
        .receive_message()
        .queue_url(&inboxes[1])
        .send()
        .await
        .unwrap();
    assert!(
        iam.messages().is_empty(),
        "the filter policy keeps other categories out"
    );
    assert_eq!(
        received(&world.config, &world.queue_url).await.len(),
        1,
        "the alert went out too"
    );
}

#[tokio::test]
async fn a_deadline_shorter_than_the_diagnosis_still_publishes_what_is_known() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let doctor = Doctor::new(ClientCache::new(world.config.clone()));

    // A budget that is already spent: every read after DescribeTasks times out.
    let outcome = doctor
        .handle_event(
            world.event.clone(),
            topics(&world),
            Some(tokio::time::Instant::now()),
        )
        .await
        .unwrap();

    assert!(matches!(outcome, Outcome::Published { .. }), "{outcome:?}");
    let messages = received(&world.config, &world.queue_url).await;
    assert_eq!(messages.len(), 1, "the partial report goes out");
    let report: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    let skipped: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "skipped" && f["detail"].as_str().unwrap().contains("timed out"))
        .collect();
    assert!(
        !skipped.is_empty(),
        "the unfinished checks say they timed out: {report:#}"
    );
    assert_eq!(
        report["failure"]["stage"], "secrets-manager",
        "the classifier still speaks"
    );
}
