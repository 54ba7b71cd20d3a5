//! The fault matrix: each read the doctor makes is denied in turn (or throttled) by a loopback
//! proxy in front of moto (scripts/latency_proxy.py --deny / --throttle, which answers in the
//! call's own protocol), and the alert must still go out, with what could not be read said.

use super::support::{endpoint, moto};
use super::world::{Egress, World, build, received};
use ecs_task_doctor::aws::ClientCache;
use ecs_task_doctor::doctor::{Doctor, Outcome};
use ecs_task_doctor::notify::Topics;
use serde_json::Value;
use std::process::{Child, Command, Stdio};

/// The fault proxy, stopped when dropped.
pub(super) struct FaultProxy {
    child: Child,
    pub(super) url: String,
    /// Its scratch folder (the port file), removed with it.
    dir: std::path::PathBuf,
}

impl FaultProxy {
    pub(super) fn start(args: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "doctor-fault-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ready = dir.join("port");
        let python = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
        let child = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/latency_proxy.py"
            ))
            .args([
                "--target",
                &endpoint(),
                "--delay-ms",
                "0",
                "--ready-file",
                ready.to_str().unwrap(),
            ])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the fault proxy starts (make test creates .venv)");
        let mut proxy = FaultProxy {
            child,
            url: String::new(),
            dir: dir.clone(),
        };
        for _ in 0..200 {
            if let Ok(port) = std::fs::read_to_string(&ready)
                && !port.trim().is_empty()
            {
                proxy.url = format!("http://127.0.0.1:{}", port.trim());
                return proxy;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        drop(proxy);
        panic!("the fault proxy did not start");
    }
}

pub(super) fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the Lambda handler through the proxy and returns the published report.
async fn report_through(world: &World, proxy: &FaultProxy) -> Value {
    let config = world.config.to_builder().endpoint_url(&proxy.url).build();
    let doctor = Doctor::new(ClientCache::new(config));
    let topics = Topics {
        alert: world.topic_arn.clone(),
        report: None,
    };
    let outcome = doctor
        .handle_event(world.event.clone(), topics, None)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Published { .. }), "{outcome:?}");
    let messages = received(&world.config, &world.queue_url).await;
    assert_eq!(messages.len(), 1, "the alert went out");
    serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap()
}

/// (proxy pattern, IAM action the report must name as unreadable). DescribeDhcpOptions is not
/// here: moto gives a new VPC no options set, so the doctor has nothing to read.
const MATRIX: &[(&str, &str)] = &[
    ("ecs:*DescribeTaskDefinition", "ecs:DescribeTaskDefinition"),
    ("ecs:*DescribeServices", "ecs:DescribeServices"),
    ("ec2:DescribeSubnets", "ec2:DescribeSubnets"),
    ("ec2:DescribeRouteTables", "ec2:DescribeRouteTables"),
    ("ec2:DescribeNatGateways", "ec2:DescribeNatGateways"),
    ("ec2:DescribeVpcs", "ec2:DescribeVpcs"),
    ("ec2:DescribeVpcAttribute", "ec2:DescribeVpcAttribute"),
    ("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroups"),
    ("ec2:DescribeNetworkAcls", "ec2:DescribeNetworkAcls"),
    ("ec2:DescribeVpcEndpoints", "ec2:DescribeVpcEndpoints"),
    ("iam:GetRole", "iam:GetRole"),
    (
        "secretsmanager:*DescribeSecret",
        "secretsmanager:DescribeSecret",
    ),
    ("logs:*DescribeLogGroups", "logs:DescribeLogGroups"),
    ("ecr:*DescribeImages", "ecr:DescribeImages"),
];

#[tokio::test]
async fn every_read_denied_in_turn_still_alerts_and_says_what_was_skipped() {
    let _moto = moto().await;
    let world = build(
        Egress::Nat { nat_routed: true },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    for (pattern, action) in MATRIX {
        let proxy = FaultProxy::start(&["--deny", pattern]);
        let report = report_through(&world, &proxy).await;
        let said = report["findings"].as_array().unwrap().iter().any(|f| {
            f["status"] == "skipped"
                && f["detail"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("may not call {action}"))
        });
        assert!(
            said,
            "denying {pattern}: no skipped finding names {action}: {report:#}"
        );
        assert_eq!(
            report["rootCause"],
            Value::Null,
            "denying {pattern}: a gap is no fault: {report:#}"
        );
    }
}

#[tokio::test]
async fn a_denied_describe_tasks_falls_back_to_the_event() {
    let _moto = moto().await;
    let world = build(Egress::None, "ecs-task-stopped-secrets-network.json").await;
    let proxy = FaultProxy::start(&["--deny", "ecs:*DescribeTasks"]);
    let report = report_through(&world, &proxy).await;
    let record = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "platform.task-record")
        .expect("the report says so");
    assert!(
        record["detail"]
            .as_str()
            .unwrap()
            .contains("may not call ecs:DescribeTasks")
    );
    assert_eq!(
        report["rootCause"], "network.default-route",
        "the rest of the diagnosis still runs"
    );
}

#[tokio::test]
async fn throttled_reads_are_retried_and_complete() {
    let _moto = moto().await;
    let world = build(
        Egress::Nat { nat_routed: true },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    // Two throttles per call pattern: the SDK's standard retry mode makes three attempts.
    let log = std::env::temp_dir().join(format!("doctor-throttle-{}.jsonl", rand_suffix()));
    let proxy = FaultProxy::start(&[
        "--throttle",
        "ec2:DescribeRouteTables=2",
        "--throttle",
        "ecs:*DescribeTaskDefinition=2",
        "--log",
        log.to_str().unwrap(),
    ]);
    let report = report_through(&world, &proxy).await;
    // The proxy really throttled: each pattern answered two attempts with a throttling error.
    let calls: Vec<Value> = std::fs::read_to_string(&log)
        .expect("the proxy's log")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let _ = std::fs::remove_file(&log);
    for operation in ["DescribeRouteTables", "DescribeTaskDefinition"] {
        let throttled = calls
            .iter()
            .filter(|c| c["fault"] == "throttle")
            .filter(|c| c["op"].as_str().is_some_and(|op| op.ends_with(operation)))
            .count();
        assert_eq!(throttled, 2, "{operation} was throttled twice: {calls:#?}");
    }
    let text = report.to_string();
    assert!(
        !text.contains("call ec2:DescribeRouteTables")
            && !text.contains("call ecs:DescribeTaskDefinition"),
        "nothing was lost to throttling: {report:#}"
    );
    assert_eq!(report["rootCause"], Value::Null);
}
