//! `make bench`: builds the benchmark's world in moto and writes what the measured Lambda
//! needs into the directory given as the first argument: `event.json` (the stopped task's
//! event), `topic_arn` and `report_topic_arn` (the function's TOPIC_ARN and REPORT_TOPIC_ARN,
//! as `template.yaml` sets both) and `queue_url` (the queue subscribed to the alert topic).
//!
//! `member-event.json` is the same world's event in a member account (222233334444), which
//! the function reads through the member role (MEMBER_ROLE_NAME): the member-account run.
//!
//! The world has every kind of hop the doctor reads: the task runs in a private subnet routed
//! to a NAT gateway in a public subnet routed to the internet gateway, its task definition
//! reads a Secrets Manager secret, and the VPC also has interface endpoints (Secrets Manager,
//! CloudWatch Logs) with private DNS in their own subnet, whose security group admits the
//! task's on 443. Needs MOTO_ENDPOINT (scripts/bench.sh starts moto and sets it).
//!
//! `event-changed.json` is a second stopped task, of revision 2, whose secret does not exist
//! while revision 1 ran before: the doctor reads the previous revision and its differing
//! secret beside the VPC, and asks CloudTrail about the root cause's secret after the verdict
//! (the world where the previous revision differs).

// The tests' world builder, shared; the benchmark uses only part of it.
#[allow(dead_code)]
#[path = "../tests/moto/support.rs"]
mod support;
#[allow(dead_code)]
#[path = "../tests/moto/world.rs"]
mod world;

use std::path::PathBuf;
use world::{Egress, Place, World, build, build_at, deploy_missing_secret, interface_endpoints};

const FIXTURE: &str = "ecs-task-stopped-signal-killed.json";
/// The interface endpoints added to the NAT world.
const ENDPOINT_SERVICES: [&str; 2] = ["secretsmanager", "logs"];
/// The member account of the member-account run.
const MEMBER: &str = "222233334444";

/// The NAT world with interface endpoints beside the NAT (as in world.rs's Egress::Endpoints).
async fn bench_world(world: World) -> (World, Vec<String>) {
    let (_, endpoints) = interface_endpoints(
        &world.ec2,
        &world.vpc,
        &world.security_group,
        &ENDPOINT_SERVICES,
    )
    .await;
    let endpoints = endpoints
        .iter()
        .map(|(service, id)| format!("{service} {id}"))
        .collect();
    (world, endpoints)
}

#[tokio::main]
async fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: bench_world DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&dir).unwrap();

    let _moto = support::moto().await;
    let (mut world, endpoints) =
        bench_world(build(Egress::Nat { nat_routed: true }, FIXTURE).await).await;
    let member = Place {
        config: support::account_config(MEMBER, support::REGION).await,
        account: MEMBER.into(),
        region: support::REGION.into(),
    };
    let (member, _) =
        bench_world(build_at(member, Egress::Nat { nat_routed: true }, FIXTURE).await).await;

    // The report topic the deployed function also publishes to (REPORT_TOPIC_ARN).
    let sns = aws_sdk_sns::Client::new(&world.config);
    let report_topic = sns.create_topic().name("reports").send().await.unwrap();
    let report_topic_arn = report_topic.topic_arn().unwrap().to_string();

    let event = serde_json::to_string_pretty(&world.event).unwrap();
    std::fs::write(dir.join("event.json"), event + "\n").unwrap();
    let member_event = serde_json::to_string_pretty(&member.event).unwrap();
    std::fs::write(dir.join("member-event.json"), member_event + "\n").unwrap();
    std::fs::write(dir.join("topic_arn"), &world.topic_arn).unwrap();
    std::fs::write(dir.join("report_topic_arn"), &report_topic_arn).unwrap();
    std::fs::write(dir.join("queue_url"), &world.queue_url).unwrap();

    // Resource ids only: the secret's value is never read or printed.
    println!(
        "bench world: VPC {}, task subnet {} (NAT {}), endpoints {}, task {}",
        world.vpc,
        world.task_subnet,
        world.nat.as_deref().unwrap_or("none"),
        endpoints.join(", "),
        world.task_arn,
    );

    // Revision 2 names a secret that does not exist; revision 1 ran before.
    let (first, second) = deploy_missing_secret(&mut world).await;
    let changed = serde_json::to_string_pretty(&world.event).unwrap();
    std::fs::write(dir.join("event-changed.json"), changed + "\n").unwrap();
    println!(
        "bench world, previous revision differs: task {} of {second}, after {first}",
        world.task_arn
    );
}
