//! The Lambda function: wires the runtime to the library.

use ecs_task_doctor::aws::{ClientCache, load_config};
use ecs_task_doctor::doctor::Doctor;
use ecs_task_doctor::notify::Topics;
use lambda_runtime::{LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // JSON or text, and the level, as the function's logging configuration says.
    lambda_runtime::tracing::init_default_subscriber();
    let topics = Topics::from_env()?;
    // Built once; warm invocations reuse the clients and their connections.
    let doctor = Doctor::new(ClientCache::new(load_config().await));
    let doctor = &doctor;
    run(service_fn(move |event: LambdaEvent<Value>| {
        let topics = topics.clone();
        async move { doctor.handle_event(event.payload, topics).await }
    }))
    .await
}
