//! `make demo`: the main job with no AWS account. Builds a broken Fargate world in moto
//! (a service in a private subnet with no way out, a secret in its task definition), stops its
//! task with a real stoppedReason, runs the Lambda handler on the event, and prints the
//! diagnosis and the SNS message as a subscribed SQS queue receives it.

// The tests' world builder, shared; the demo uses only part of it.
#[allow(dead_code)]
#[path = "../tests/moto/support.rs"]
mod support;
#[allow(dead_code)]
#[path = "../tests/moto/world.rs"]
mod world;

use ecs_task_doctor::aws::ClientCache;
use ecs_task_doctor::doctor::Doctor;
use ecs_task_doctor::notify::Topics;
use ecs_task_doctor::render;
use ecs_task_doctor::verdict::Report;
use world::{Egress, build, received};

const FIXTURE: &str = "ecs-task-stopped-secrets-network.json";

#[tokio::main]
async fn main() {
    let _moto = support::moto().await;
    let world = build(Egress::None, FIXTURE).await;
    println!("== A broken world in moto ({})", support::endpoint());
    println!(
        "   VPC {} with a private subnet {} whose route table {} has only the local route,",
        world.vpc, world.task_subnet, world.private_table
    );
    println!("   service `web` in cluster `demo` whose task reads a Secrets Manager secret.");
    println!("   Task {} stopped with:", world.task_arn);
    println!(
        "   {}\n",
        world.event["detail"]["stoppedReason"]
            .as_str()
            .unwrap_or_default()
    );

    let doctor = Doctor::new(ClientCache::new(world.config.clone()));
    let topics = Topics {
        alert: world.topic_arn.clone(),
        report: None,
    };
    let started = std::time::Instant::now();
    let outcome = match doctor.handle_event(world.event.clone(), topics, None).await {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("demo: the handler failed: {error}");
            std::process::exit(1);
        }
    };
    println!(
        "== Lambda handler answered in {:.0?}:\n{}\n",
        started.elapsed(),
        serde_json::to_string(&outcome).unwrap()
    );

    let messages = received(&world.config, &world.queue_url).await;
    let Some(envelope) = messages.first() else {
        eprintln!("demo: nothing arrived on the subscribed queue");
        std::process::exit(1);
    };
    println!(
        "== SNS message as the subscribed SQS queue received it (Subject and `default` rendering):"
    );
    println!(
        "Subject: {}",
        envelope["Subject"].as_str().unwrap_or_default()
    );
    let report: Report = serde_json::from_str(envelope["Message"].as_str().unwrap_or_default())
        .expect("the default rendering is the report JSON");
    println!("{}\n", render::json(&report));
    println!(
        "== The email rendering (`email` key):\n{}",
        render::text(&report)
    );
    println!(
        "== The Slack rendering (`https` key, AWS Chatbot custom notification):\n{}",
        serde_json::to_string_pretty(&render::chatbot(&report)).unwrap()
    );
}
