//! `make demo-org`: the organisation set-up with no AWS account. Builds a broken Fargate world
//! in member account 222233334444 (region eu-west-1) in moto, aliases the account, and runs the
//! central function (account 123456789012, member role `ecs-task-doctor-reader`) on the
//! member's event: it reads the member's VPC through the member role and alerts on the central
//! topic, naming the account.

// The tests' world builder, shared; the demo uses only part of it.
#[allow(dead_code)]
#[path = "../tests/moto/support.rs"]
mod support;
#[allow(dead_code)]
#[path = "../tests/moto/world.rs"]
mod world;

use ecs_task_doctor::accounts::{DEFAULT_MEMBER_ROLE, MemberRole};
use ecs_task_doctor::aws::ClientCache;
use ecs_task_doctor::doctor::Doctor;
use ecs_task_doctor::notify::Topics;
use ecs_task_doctor::render;
use ecs_task_doctor::verdict::Report;
use world::{Egress, Place, build_at, received};

const MEMBER: &str = "222233334444";
const MEMBER_REGION: &str = "eu-west-1";
const FIXTURE: &str = "ecs-task-stopped-signal-killed.json";

#[tokio::main]
async fn main() {
    let _moto = support::moto().await;
    let place = Place {
        config: support::account_config(MEMBER, MEMBER_REGION).await,
        account: MEMBER.into(),
        region: MEMBER_REGION.into(),
    };
    let world = build_at(place, Egress::None, FIXTURE).await;
    aws_sdk_iam::Client::new(&world.config)
        .create_account_alias()
        .account_alias("payments-prod")
        .send()
        .await
        .expect("the member account's alias");
    println!(
        "== A broken world in member account {MEMBER}, {MEMBER_REGION} (moto, {})",
        support::endpoint()
    );
    println!(
        "   VPC {} with a private subnet {} whose route table {} has only the local route;",
        world.vpc, world.task_subnet, world.private_table
    );
    println!("   task {} stopped.\n", world.task_arn);

    // The central function, as the Lambda runs it with MemberRoleName set.
    let central = support::config().await;
    let doctor = Doctor::with_accounts(
        ClientCache::new(central.clone()),
        MemberRole::Named(DEFAULT_MEMBER_ROLE.into()),
    );
    doctor.accounts().know_own(support::ACCOUNT);
    let topics = Topics {
        alert: world.topic_arn.clone(),
        report: None,
    };
    let outcome = match doctor.handle_event(world.event.clone(), topics, None).await {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("demo-org: the handler failed: {error}");
            std::process::exit(1);
        }
    };
    println!(
        "== The central function (account {}) answered:\n{}\n",
        support::ACCOUNT,
        serde_json::to_string(&outcome).unwrap()
    );

    let messages = received(&central, &world.queue_url).await;
    let Some(envelope) = messages.first() else {
        eprintln!("demo-org: nothing arrived on the central topic's queue");
        std::process::exit(1);
    };
    println!(
        "== The alert on the central topic\nSubject: {}",
        envelope["Subject"].as_str().unwrap_or_default()
    );
    let report: Report = serde_json::from_str(envelope["Message"].as_str().unwrap_or_default())
        .expect("the default rendering is the report JSON");
    println!("{}", render::text(&report));
}
