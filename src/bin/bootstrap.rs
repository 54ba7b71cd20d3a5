//! The Lambda function: wires the runtime to the library.

use ecs_task_doctor::doctor::Doctor;
use ecs_task_doctor::metrics::Sink;
use ecs_task_doctor::notify::Topics;
use lambda_runtime::{LambdaEvent, run, service_fn};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // JSON or text, and the level, as the function's logging configuration says; never bodies.
    ecs_task_doctor::logging::init_lambda();
    let topics = Topics::from_env()?;
    // Built once; warm invocations reuse the clients and their connections. The metric lines
    // go to stdout, the function's log, where CloudWatch extracts them.
    let doctor = Doctor::from_env().await?.with_metrics(Some(Sink::Stdout));
    let doctor = &doctor;
    run(service_fn(move |event: LambdaEvent<Value>| {
        let topics = topics.clone();
        // The function's ARN names its account: no sts:GetCallerIdentity to tell a member
        // account's event from the doctor's own.
        if let Some(arn) =
            ecs_task_doctor::arn::ArnParts::parse(&event.context.invoked_function_arn)
        {
            doctor.accounts().know_own(arn.account);
        }
        // Stop reading early enough to publish what is known before Lambda's deadline.
        let deadline = budget(event.context.deadline);
        async move {
            doctor
                .handle_event(event.payload, topics, Some(deadline))
                .await
        }
    }))
    .await
}

/// Time kept back from the invocation's deadline for the SNS publish.
const PUBLISH_RESERVE: Duration = Duration::from_millis(2_500);

/// The instant collection must stop: the invocation's deadline (epoch milliseconds) less the
/// publish reserve.
fn budget(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_ms));
    Instant::now() + left.saturating_sub(PUBLISH_RESERVE)
}
