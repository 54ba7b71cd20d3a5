//! The alert path under faults, kills, bursts and hostile input: exactly one human alert per
//! root cause and window, whatever single fault happens. The faults come from the loopback
//! proxy in front of moto (scripts/latency_proxy.py: counted denials, throttling past the SDK's
//! retries, and responses lost after the write was applied upstream).

use super::alerts::create_ledger_table;
use super::faults::{FaultProxy, rand_suffix};
use super::support::{ACCOUNT, REGION, moto};
use super::world::{
    Egress, MISSING_SECRET, SECRET_NOT_FOUND, World, build, event_fixture, received,
};
use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, NetworkMode};
use ecs_task_doctor::aws::ClientCache;
use ecs_task_doctor::doctor::{Doctor, Outcome};
use ecs_task_doctor::ledger::Ledger;
use ecs_task_doctor::notify::Topics;
use serde_json::Value;
use std::time::Duration;

/// Every ledger and SNS call the Lambda makes, as the proxy's pattern over `service:op~body`.
const CALLS: &[(&str, &str)] = &[
    ("claim", "dynamodb:*PutItem~event#"),
    ("recent", "dynamodb:*GetItem~signature#"),
    ("record", "dynamodb:*UpdateItem~#firstSeen"),
    ("history", "dynamodb:*Query~history#"),
    ("alert publish", "sns:Publish~MessageStructure=json"),
    ("mark alerted", "dynamodb:*UpdateItem~#guard\":\"openedBy"),
    ("report publish", "sns:Publish~MessageAttributes"),
    ("remember", "dynamodb:*PutItem~signature#"),
    ("keep", "dynamodb:*PutItem~history#"),
    ("finish", "dynamodb:*UpdateItem~doneAt"),
    ("release", "dynamodb:*UpdateItem~releasedAt"),
    ("reopen", "dynamodb:*UpdateItem~SET #windowEndsAt = :zero"),
];

/// The faults, as proxy arguments: one call fails as a whole, once.
const FAULTS: &[(&str, &str, &str)] = &[
    ("access denied", "--deny-n", "1"),
    // Adaptive retry mode makes three attempts: all three are throttled.
    ("throttled past the SDK's retries", "--throttle", "3"),
    ("response lost after the write was applied", "--lose", "1"),
];

/// A figure in `make test`'s output: straight to stderr, which the harness does not capture.
fn report_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The claims' lease in these tests, so a retry after the lease costs a second, not ninety.
const LEASE_SECS: i64 = 1;

/// A topic with an SQS queue subscribed, both named after `name`.
pub(super) async fn inbox(config: &aws_config::SdkConfig, name: &str) -> (String, String) {
    let sns = aws_sdk_sns::Client::new(config);
    let sqs = aws_sdk_sqs::Client::new(config);
    let topic_arn = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let queue_url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"))
        .send()
        .await
        .unwrap();
    (topic_arn, queue_url)
}

/// Every message in the queue (received messages stay hidden, so each read returns new ones).
pub(super) async fn drain(config: &aws_config::SdkConfig, queue_url: &str) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let batch = received(config, queue_url).await;
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// Delivers an event as Lambda does: an error is retried, twice at most, each retry after the
/// claim's lease (Lambda waits a minute or more; the tests' lease is a second).
pub(super) async fn invoke_as_lambda(
    doctor: &Doctor,
    event: &Value,
    topics: &Topics,
) -> Vec<Result<Outcome, String>> {
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let outcome = doctor
            .handle_event(event.clone(), topics.clone(), None)
            .await
            .map_err(|e| e.to_string());
        let failed = outcome.is_err();
        attempts.push(outcome);
        if !failed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    attempts
}

/// The world's event as another stop (its own event id and task) of the same service.
fn another_stop(world: &World, id: &str, task: &str) -> Value {
    let mut event = world.event.clone();
    event["id"] = Value::String(id.into());
    let arn = world.task_arn.rsplit_once('/').unwrap().0.to_string();
    event["detail"]["taskArn"] = Value::String(format!("{arn}/{task}"));
    event
}

/// The proxy's log: one JSON object per call.
fn calls_logged(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn one_alert_per_root_cause_whatever_single_fault_happens() {
    let _moto = moto().await;
    // No configuration fault: "probably transient" alerts too, and reads the history first.
    let world = build(
        Egress::Nat { nat_routed: true },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    let mut cells = 0;
    let mut reached = 0;
    let mut failures = Vec::new();
    for (call, pattern) in CALLS {
        for (fault, flag, count) in FAULTS {
            cells += 1;
            let name = format!("cell-{cells}");
            let (alert_topic, alert_queue) = inbox(&world.config, &format!("{name}-alerts")).await;
            let (report_topic, _) = inbox(&world.config, &format!("{name}-reports")).await;
            let log = std::env::temp_dir().join(format!("doctor-{name}-{}.jsonl", rand_suffix()));
            let rule = format!("{pattern}={count}");
            let mut args = vec![*flag, rule.as_str(), "--log", log.to_str().unwrap()];
            // Release and reopen run only after a failure: a failed publish leads to them.
            if matches!(*call, "release" | "reopen") {
                args.extend(["--deny-n", "sns:Publish~MessageStructure=json=1"]);
            }
            let proxy = FaultProxy::start(&args);
            let config = world.config.to_builder().endpoint_url(&proxy.url).build();
            let ddb = aws_sdk_dynamodb::Client::new(&world.config);
            create_ledger_table(&ddb, &name).await;
            let ledger = Ledger::new(aws_sdk_dynamodb::Client::new(&config), &name, 60, 30)
                .with_lease(LEASE_SECS);
            let doctor = Doctor::new(ClientCache::new(config)).with_ledger(Some(ledger));
            let topics = Topics {
                alert: alert_topic,
                report: Some(report_topic),
            };
            let first = another_stop(
                &world,
                &format!("{name}-a"),
                "0000000000000000000000000000000a",
            );
            let second = another_stop(
                &world,
                &format!("{name}-b"),
                "0000000000000000000000000000000b",
            );
            let mut outcomes = invoke_as_lambda(&doctor, &first, &topics).await;
            // EventBridge delivers at least once: the same event again.
            outcomes.extend(invoke_as_lambda(&doctor, &first, &topics).await);
            // Another task of the same service, failing the same way.
            outcomes.extend(invoke_as_lambda(&doctor, &second, &topics).await);
            drop(proxy);
            let fired = calls_logged(&log)
                .iter()
                .filter(|c| !c["fault"].is_null())
                .filter(|c| c["service"] != "sns" || !matches!(*call, "release" | "reopen"))
                .count();
            let _ = std::fs::remove_file(&log);
            reached += usize::from(fired > 0);
            if fired == 0 {
                eprintln!("alert path: {call} × {fault}: the fault never fired");
            }
            let alerts = drain(&world.config, &alert_queue).await.len();
            // SNS's own at-least-once: a publish applied upstream whose answer was lost is
            // sent again by the SDK's retry. No design on this side can tell (README).
            let expected = if *call == "alert publish" && *flag == "--lose" {
                2
            } else {
                1
            };
            if alerts != expected {
                failures.push(format!(
                    "{call} × {fault}: {alerts} alert(s), expected {expected} (fault fired {fired} time(s)): {outcomes:?}"
                ));
            }
        }
    }
    report_line(&format!(
        "alert path fault matrix: {cells} cells ({} calls × {} faults; release and reopen behind a \
         denied alert publish, the only way to reach them), the fault fired in {reached}",
        CALLS.len(),
        FAULTS.len()
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(cells, CALLS.len() * FAULTS.len());
    assert_eq!(reached, cells, "every cell's fault fired");
}

#[tokio::test]
async fn a_hostile_stopped_reason_reaches_chat_escaped() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    // `ecs:StopTask --reason` lets anyone with that permission write this.
    let hostile = "ResourceInitializationError: unable to pull secrets or registry auth: \
                   execution resource retrieval failed: unable to retrieve secret from asm: \
                   <!channel> <https://evil.example|Open console> @here please look";
    // A task DescribeTasks no longer knows: the event's own text is what the doctor reads.
    let mut event = another_stop(&world, "hostile", "00000000000000000000000000000bad");
    event["detail"]["stoppedReason"] = Value::String(hostile.into());
    let doctor = Doctor::new(ClientCache::new(world.config.clone()));
    let topics = Topics {
        alert: world.topic_arn.clone(),
        report: None,
    };
    let outcome = doctor.handle_event(event, topics, None).await.unwrap();
    assert!(matches!(outcome, Outcome::Published { .. }), "{outcome:?}");
    let messages = drain(&world.config, &world.queue_url).await;
    assert_eq!(messages.len(), 1);
    let report: ecs_task_doctor::verdict::Report =
        serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert!(
        report.task.stopped_reason.contains("<!channel>"),
        "the report keeps the text as it was"
    );
    let chat = serde_json::to_string(&ecs_task_doctor::render::chatbot(&report)).unwrap();
    for raw in [
        "<!channel>",
        "<https://evil.example",
        "|Open console>",
        "@here",
    ] {
        assert!(!chat.contains(raw), "{raw} reaches chat unescaped: {chat}");
    }
    assert!(
        chat.contains("&lt;!channel&gt;") || !chat.contains("channel"),
        "{chat}"
    );
}

/// Registers a copy of the world's task definition under `family`, with `change` applied to
/// its container.
async fn register_variant(
    world: &World,
    family: &str,
    change: impl FnOnce(ContainerDefinition) -> ContainerDefinition,
) -> String {
    let ecs = aws_sdk_ecs::Client::new(&world.config);
    let base = ecs
        .describe_task_definition()
        .task_definition(world.event["detail"]["taskDefinitionArn"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let base = base.task_definition().unwrap();
    let container = change(base.container_definitions()[0].clone());
    ecs.register_task_definition()
        .family(family)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .set_execution_role_arn(base.execution_role_arn().map(str::to_string))
        .container_definitions(container)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_burst_of_300_stops_alerts_once_per_root_cause() {
    let _moto = moto().await;
    let world = build(
        Egress::Nat { nat_routed: true },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    // Root cause 1, VPC-wide: a subnet whose route table has no way out (20 services).
    let ec2 = aws_sdk_ec2::Client::new(&world.config);
    let dead_end = ec2
        .create_subnet()
        .vpc_id(&world.vpc)
        .cidr_block("10.0.200.0/24")
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    super::world::subnet_table(&ec2, &world.vpc, &dead_end).await;
    let web = world.event["detail"]["taskDefinitionArn"]
        .as_str()
        .unwrap()
        .to_string();
    // Root causes 2 and 3, per service: a log group and a secret that do not exist (15 each).
    let no_log_group = register_variant(&world, "no-log-group", |mut c| {
        let mut log = c.log_configuration.take().unwrap();
        log.options
            .get_or_insert_default()
            .insert("awslogs-group".into(), "/ecs/never-created".into());
        c.log_configuration = Some(log);
        c
    })
    .await;
    let no_secret = register_variant(&world, "no-secret", |mut c| {
        c.secrets = Some(vec![
            aws_sdk_ecs::types::Secret::builder()
                .name("DB_PASSWORD")
                .value_from(MISSING_SECRET)
                .build()
                .unwrap(),
        ]);
        c
    })
    .await;
    // moto's UpdateItem is not atomic under concurrent requests (an ADD can be lost), while
    // DynamoDB's is: the ledger's calls go through the proxy one at a time, the diagnoses
    // still 20 at a time.
    let serialized = FaultProxy::start(&["--serialize", "dynamodb:*"]);
    let ledger_config = world
        .config
        .to_builder()
        .endpoint_url(&serialized.url)
        .build();
    let ddb = aws_sdk_dynamodb::Client::new(&ledger_config);
    create_ledger_table(&ddb, "burst-ledger").await;
    let ledger = Ledger::new(ddb.clone(), "burst-ledger", 60, 30);
    let doctor = std::sync::Arc::new(
        Doctor::new(ClientCache::new(world.config.clone())).with_ledger(Some(ledger)),
    );
    let topics = Topics {
        alert: world.topic_arn.clone(),
        report: None,
    };
    let task_prefix = world.task_arn.rsplit_once('/').unwrap().0.to_string();
    let fixture_reason = |name: &str| -> String {
        event_fixture(name)["detail"]["stoppedReason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let route_message = fixture_reason("ecs-task-stopped-signal-killed.json");
    let log_message = fixture_reason("ecs-task-stopped-log-group-missing.json");
    let mut events = Vec::new();
    for round in 0..6 {
        for service in 0..50 {
            // Each with the message its fault makes (the verdict ranks by what it proves).
            let (definition, subnet, reason) = match service {
                0..20 => (&web, &dead_end, route_message.as_str()),
                20..35 => (&no_log_group, &world.task_subnet, log_message.as_str()),
                _ => (&no_secret, &world.task_subnet, SECRET_NOT_FOUND),
            };
            let mut event = world.event.clone();
            event["id"] = Value::String(format!("burst-{service}-{round}"));
            let detail = &mut event["detail"];
            detail["taskArn"] = Value::String(format!("{task_prefix}/{service:016x}{round:016x}"));
            detail["group"] = Value::String(format!("service:svc-{service}"));
            detail["taskDefinitionArn"] = Value::String(definition.clone());
            detail["stoppedReason"] = Value::String(reason.into());
            for item in detail["attachments"][0]["details"].as_array_mut().unwrap() {
                if item["name"] == "subnetId" {
                    item["value"] = Value::String(subnet.clone());
                }
            }
            events.push(event);
        }
    }
    // 20 invocations at a time, as a burst of stops fans out.
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(20));
    let handles: Vec<_> = events
        .into_iter()
        .map(|event| {
            let (doctor, topics, gate) = (doctor.clone(), topics.clone(), gate.clone());
            tokio::spawn(async move {
                let _turn = gate.acquire().await.unwrap();
                doctor.handle_event(event, topics, None).await
            })
        })
        .collect();
    let mut published = 0;
    let mut suppressed = 0;
    for handle in handles {
        match handle.await.unwrap().expect("no stop of the burst fails") {
            Outcome::Published { .. } => published += 1,
            Outcome::Suppressed { .. } => suppressed += 1,
            other => panic!("{other:?}"),
        }
    }
    let alerts = drain(&world.config, &world.queue_url).await;
    let reports: Vec<Value> = alerts
        .iter()
        .map(|m| serde_json::from_str(m["Message"].as_str().unwrap()).unwrap())
        .collect();
    let mut causes: Vec<String> = reports
        .iter()
        .map(|r| r["rootCause"].as_str().unwrap_or("none").to_string())
        .collect();
    causes.sort();
    causes.dedup();
    // One alert for the VPC-wide route, one per service for each per-service cause.
    assert_eq!(alerts.len(), 1 + 15 + 15, "{causes:?}");
    assert_eq!(
        causes,
        ["logs.log-group", "network.default-route", "secret.exists"],
        "the three root causes"
    );
    assert_eq!(published, alerts.len());
    assert_eq!(published + suppressed, 300);
    assert!(
        reports.iter().all(|r| r.get("degraded").is_none()),
        "no read was lost to throttling"
    );
    // The ledger's windows count every stop once: 300 in all, 300 − alerts held back.
    let items = ddb.scan().table_name("burst-ledger").send().await.unwrap();
    let windows: Vec<_> = items
        .items()
        .iter()
        .filter(|item| item["pk"].as_s().is_ok_and(|pk| pk.starts_with("alert#")))
        .collect();
    let sum = |name: &str| -> u64 {
        windows
            .iter()
            .map(|w| w[name].as_n().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(windows.len(), 31);
    assert_eq!(sum("total"), 300);
    assert_eq!(sum("suppressed"), 300 - 31);
    report_line(&format!(
        "burst: 300 stops of 50 services, 20 at a time: {published} alerts, {suppressed} held back"
    ));
}
