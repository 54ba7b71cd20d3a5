//! The real `bootstrap` process under the loopback Lambda Runtime API emulator
//! (scripts/runtime_api.py), against moto: killed in the middle of an invocation, and logging at
//! TRACE.

use super::alert_path::{drain, inbox};
use super::alerts::create_ledger_table;
use super::faults::{FaultProxy, rand_suffix};
use super::support::{endpoint, moto};
use super::world::{Egress, build, build_with};
use aws_sdk_ecs::types::KeyValuePair;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A value the doctor must never keep, log or send.
const ENV_VALUE: &str = "postgres://app:s3cr3t-env-value@db";
/// A presigned-URL credential in the stoppedReason.
const PRESIGNED_CREDENTIAL: &str = "ASIAPRESIGNEDEXAMPLE";

/// One invocation environment: the Runtime API emulator serving one event and the
/// `bootstrap` process polling it; both stopped when dropped.
struct Invocation {
    runtime: Child,
    bootstrap: Child,
    summary: PathBuf,
    log: PathBuf,
}

impl Invocation {
    fn start(dir: &Path, event: &Value, env: &[(&str, String)]) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let event_file = dir.join("event.json");
        std::fs::write(&event_file, event.to_string()).unwrap();
        let summary = dir.join("invocation.json");
        let ready = dir.join("runtime.port");
        let python = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
        let runtime = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/runtime_api.py"
            ))
            .args(["--event", event_file.to_str().unwrap()])
            .args(["--out", summary.to_str().unwrap()])
            .args(["--ready-file", ready.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the Runtime API emulator starts");
        let port = wait_for(|| {
            std::fs::read_to_string(&ready)
                .ok()
                .filter(|p| !p.trim().is_empty())
        })
        .expect("the Runtime API emulator listens");
        let log = dir.join("bootstrap.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("127.0.0.1:{}", port.trim()),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "ecs-task-doctor")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", dir.join("no-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"));
        for (name, value) in env {
            command.env(name, value);
        }
        let output = std::fs::File::create(&log).unwrap();
        let bootstrap = command
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .expect("bootstrap starts");
        Invocation {
            runtime,
            bootstrap,
            summary,
            log,
        }
    }

    /// The emulator's summary once the invocation answered (response or error).
    fn answer(&self) -> Value {
        let text = wait_for(|| std::fs::read_to_string(&self.summary).ok())
            .expect("the invocation answers within the wait");
        serde_json::from_str(&text).unwrap()
    }

    fn kill(&mut self) {
        let _ = self.bootstrap.kill();
        let _ = self.bootstrap.wait();
        let _ = self.runtime.kill();
        let _ = self.runtime.wait();
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Invocation {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls for up to 20 seconds.
fn wait_for<T>(mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(found) = probe() {
            return Some(found);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The function's environment, as template.yaml sets it, for this world.
fn function_env(aws: &str, topic: &str, table: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", aws.to_string()),
        ("TOPIC_ARN", topic.to_string()),
        ("DEDUP_TABLE", table.to_string()),
        ("EVENT_LEASE_SECONDS", "2".to_string()),
    ]
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("doctor-{name}-{}", rand_suffix()))
}

#[tokio::test]
async fn a_bootstrap_killed_after_its_claim_alerts_once_on_the_retry() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let table = "kill-ledger";
    create_ledger_table(&aws_sdk_dynamodb::Client::new(&world.config), table).await;
    let (topic, queue) = inbox(&world.config, "kill-alerts").await;
    let dir = scratch("kill");
    let proxy_log = dir.with_extension("jsonl");
    // The first read after the claim (the recent-diagnosis lookup) never answers: the process
    // is killed while waiting for it, its claim taken and its work undone.
    let proxy = FaultProxy::start(&[
        "--hang",
        "dynamodb:*GetItem~signature#=1",
        "--log",
        proxy_log.to_str().unwrap(),
    ]);
    let env = function_env(&proxy.url, &topic, table);
    let mut first = Invocation::start(&dir.join("first"), &world.event, &env);
    let hung = wait_for(|| {
        std::fs::read_to_string(&proxy_log)
            .ok()
            .filter(|log| log.contains("\"fault\":\"hang\""))
    });
    assert!(
        hung.is_some(),
        "the invocation reached the read after its claim"
    );
    first.kill();
    let claims = aws_sdk_dynamodb::Client::new(&world.config)
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap();
    let claim = claims
        .items()
        .iter()
        .find(|item| item["pk"].as_s().is_ok_and(|pk| pk.starts_with("event#")))
        .expect("the killed invocation left its claim");
    assert!(
        !claim.contains_key("doneAt"),
        "the killed invocation never finished"
    );
    assert!(
        drain(&world.config, &queue).await.is_empty(),
        "nothing went out yet"
    );

    // Lambda retries the failed invocation after the lease.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let retry = Invocation::start(&dir.join("retry"), &world.event, &env);
    let answer = retry.answer();
    assert_eq!(answer["error"], false, "{answer:#}\n{}", retry.log_text());
    assert_eq!(answer["body"]["outcome"], "published", "{answer:#}");
    // And EventBridge delivers the event once more.
    let again = Invocation::start(&dir.join("again"), &world.event, &env);
    let answer = again.answer();
    assert_eq!(answer["body"]["outcome"], "duplicate", "{answer:#}");
    assert_eq!(
        drain(&world.config, &queue).await.len(),
        1,
        "one alert in all"
    );
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&proxy_log);
}

#[tokio::test]
async fn no_value_reaches_the_history_the_messages_or_the_logs_at_trace() {
    let _moto = moto().await;
    let world = build_with(
        Egress::None,
        "ecs-task-stopped-secrets-network.json",
        |container, _| {
            container.environment(
                KeyValuePair::builder()
                    .name("DB_URL")
                    .value(ENV_VALUE)
                    .build(),
            )
        },
    )
    .await;
    let mut event = world.event.clone();
    event["detail"]["overrides"] = serde_json::json!({
        "containerOverrides": [{"name": "web", "environment": [{"name": "DB_URL", "value": ENV_VALUE}]}]
    });
    event["detail"]["stoppedReason"] = Value::String(format!(
        "ResourceInitializationError: failed to download env files: file download command: non empty error stream: failed to do request: Get \"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={PRESIGNED_CREDENTIAL}%2F20261125&X-Amz-Signature=feedface99\": dial tcp 3.5.0.1:443: i/o timeout"
    ));
    let table = "redaction-ledger";
    create_ledger_table(&aws_sdk_dynamodb::Client::new(&world.config), table).await;
    let (topic, queue) = inbox(&world.config, "redaction-alerts").await;
    let dir = scratch("redaction");
    let mut env = function_env(&endpoint(), &topic, table);
    env.push(("AWS_LAMBDA_LOG_LEVEL", "TRACE".into()));
    let invocation = Invocation::start(&dir, &event, &env);
    let answer = invocation.answer();
    assert_eq!(answer["body"]["outcome"], "published", "{answer:#}");
    let logs = invocation.log_text();
    assert!(logs.lines().count() > 20, "TRACE logging was on: {logs}");

    let items = aws_sdk_dynamodb::Client::new(&world.config)
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap();
    let history: Vec<String> = items
        .items()
        .iter()
        .filter(|item| item["pk"].as_s().is_ok_and(|pk| pk.starts_with("history#")))
        .map(|item| format!("{item:?}"))
        .collect();
    assert_eq!(history.len(), 1, "the diagnosis was kept");
    assert!(
        history[0].contains("DB_URL"),
        "the event is kept, names and all: {}",
        history[0]
    );
    let messages: Vec<String> = drain(&world.config, &queue)
        .await
        .iter()
        .map(Value::to_string)
        .collect();
    assert_eq!(messages.len(), 1);
    for (place, text) in [
        ("the logs", logs.as_str()),
        ("the history item", history[0].as_str()),
        ("the alert", messages[0].as_str()),
    ] {
        for value in [
            ENV_VALUE,
            "s3cr3t-env-value",
            PRESIGNED_CREDENTIAL,
            "feedface99",
        ] {
            assert!(!text.contains(value), "{value} appears in {place}");
        }
    }
    drop(invocation);
    let _ = std::fs::remove_dir_all(&dir);
}
