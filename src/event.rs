//! Intake: turn the Lambda's input into a stopped task to diagnose, or a reason to ignore it.
//!
//! The EventBridge rule already filters, but the function can be invoked by hand or through
//! another rule, so the same test is made here. Events that are well formed but not ours are
//! ignored (an error would make Lambda retry them); input that is not such an event is an
//! error that names the event id and the field.

use crate::arn::ArnParts;
use crate::error::{Error, Result};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const ECS_SOURCE: &str = "aws.ecs";
pub const TASK_STATE_CHANGE: &str = "ECS Task State Change";
pub const INIT_ERROR: &str = "ResourceInitializationError";

/// How the EC2 agent begins the same start failures, without `ResourceInitializationError`
/// (amazon-ecs-agent at 8dfceca6: agent/taskresource/ssmsecret/ssmsecret.go#L350,
/// agent/asm/asm.go#L50 and #L74, agent/taskresource/asmauth/asmauth.go#L277,
/// agent/taskresource/envFiles/envfile.go#L409, agent/taskresource/firelens/firelens_unix.go#L435,
/// ecs-agent/api/errors/errors.go#L149). `Task.SetTerminalReason` title-cases the first word
/// (agent/api/task/task.go#L3256). The rule's pattern in template.yaml lists the same prefixes.
pub const AGENT_PREFIXES: &[&str] = &[
    "Fetching secret data from ",
    "Asm fetching",
    "Asm resource",
    "Secret arn:",
    "ResourceNotFoundException: The task can",
    "Ssm secret resource",
    "Unable to download env file",
    "Environment file resource",
    "Unable to download firelens s3 config file",
    "resource cannot be initialized for task",
    "Timeout waiting for network interface provisioning",
];

/// The image-pull stage's error names (the rule sends them with DiagnoseImagePullFailures).
pub const PULL_ERRORS: &[&str] = &["CannotPullContainerError", "CannotPullECRContainerError"];

/// Whether a stoppedReason is a start failure the doctor diagnoses.
pub fn is_start_failure(reason: &str) -> bool {
    reason.contains(INIT_ERROR)
        || AGENT_PREFIXES.iter().any(|p| reason.starts_with(p))
        || PULL_ERRORS.iter().any(|e| reason.contains(e))
}

/// The text that says how the task failed to start: the task's stoppedReason, or else the
/// first container reason that does. On EC2 an image pull fails in the container's reason
/// (the agent's `ApplyingError`, `CannotPullContainerError: …`), while the task's reason is
/// ECS's generic "Essential container in task exited" (amazon-ecs-agent at 8dfceca6:
/// agent/api/statechange.go#L192-L195; the agent sends no task reason for a pull failure).
pub fn start_failure_text<'a>(
    stopped_reason: &'a str,
    container_reasons: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if is_start_failure(stopped_reason) {
        return Some(stopped_reason);
    }
    container_reasons.into_iter().find(|r| is_start_failure(r))
}

/// The `detail` of an "ECS Task State Change" event: the fields the doctor uses.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TaskStateChange {
    pub task_arn: String,
    pub cluster_arn: String,
    pub last_status: String,
    pub desired_status: Option<String>,
    pub task_definition_arn: Option<String>,
    pub group: Option<String>,
    pub started_by: Option<String>,
    pub launch_type: Option<String>,
    pub platform_version: Option<String>,
    pub availability_zone: Option<String>,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub stopped_at: Option<String>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The container instance an EC2 or ECS Managed Instances task ran on.
    pub container_instance_arn: Option<String>,
    pub capacity_provider_name: Option<String>,
    /// Each container's name and reason: on EC2 an image pull failure is said only there.
    #[serde(default)]
    pub containers: Vec<ContainerState>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerState {
    pub name: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
    #[serde(default)]
    pub details: Vec<KeyValue>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KeyValue {
    pub name: String,
    pub value: Option<String>,
}

impl Attachment {
    pub fn detail(&self, name: &str) -> Option<&str> {
        self.details
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.value.as_deref())
    }
}

/// A stopped task that failed to initialise, as the event describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoppedTask {
    pub event_id: String,
    pub account: String,
    pub region: String,
    pub detail: TaskStateChange,
    /// The event exactly as received, kept for history.
    pub raw: Value,
}

impl StoppedTask {
    pub fn stopped_reason(&self) -> &str {
        self.detail.stopped_reason.as_deref().unwrap_or_default()
    }

    /// The first container reason that is a start failure, when the task's own is not.
    pub fn container_reason(&self) -> Option<&str> {
        let reasons = self
            .detail
            .containers
            .iter()
            .filter_map(|c| c.reason.as_deref());
        start_failure_text(self.stopped_reason(), reasons).filter(|r| *r != self.stopped_reason())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Intake {
    Diagnose(Box<StoppedTask>),
    /// A well-formed event the doctor does not handle, and why.
    Ignore(String),
}

/// Reads the Lambda input.
pub fn intake(input: Value) -> Result<Intake> {
    let event_id = input
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("(no id)")
        .to_string();
    let bad = |message: String| Error::BadEvent {
        event_id: event_id.clone(),
        message,
    };
    if !input.is_object() {
        return Err(bad(format!(
            "expected an EventBridge event (a JSON object), got {}",
            json_kind(&input)
        )));
    }
    let envelope: EventBridgeEvent<Value> =
        serde_path_to_error::deserialize(&input).map_err(|e| bad(field_error(None, &e)))?;
    if envelope.source != ECS_SOURCE || envelope.detail_type != TASK_STATE_CHANGE {
        return Ok(Intake::Ignore(format!(
            "event {event_id} is `{}` from `{}`, not `{TASK_STATE_CHANGE}` from `{ECS_SOURCE}`",
            envelope.detail_type, envelope.source
        )));
    }
    let detail: TaskStateChange = serde_path_to_error::deserialize(&envelope.detail)
        .map_err(|e| bad(field_error(Some("detail"), &e)))?;
    if detail.last_status != "STOPPED" {
        return Ok(Intake::Ignore(format!(
            "event {event_id}: task {} is {}, not STOPPED",
            detail.task_arn, detail.last_status
        )));
    }
    let reason = detail.stopped_reason.as_deref().unwrap_or_default();
    let container_reasons = detail.containers.iter().filter_map(|c| c.reason.as_deref());
    if start_failure_text(reason, container_reasons).is_none() {
        return Ok(Intake::Ignore(format!(
            "event {event_id}: task {} stopped for another reason ({})",
            detail.task_arn,
            if reason.is_empty() {
                "none given"
            } else {
                reason
            }
        )));
    }
    // The task ARN names its region and account; the envelope's fields are optional.
    let arn = ArnParts::parse(&detail.task_arn);
    let account = envelope
        .account
        .filter(|a| !a.is_empty())
        .or(arn.map(|a| a.account.to_string()))
        .ok_or_else(|| bad("account: missing, and detail.taskArn names none".into()))?;
    let region = envelope
        .region
        .filter(|r| !r.is_empty())
        .or(arn.map(|a| a.region.to_string()))
        .ok_or_else(|| bad("region: missing, and detail.taskArn names none".into()))?;
    Ok(Intake::Diagnose(Box::new(StoppedTask {
        event_id,
        account,
        region,
        detail,
        raw: input,
    })))
}

/// `detail.lastStatus: invalid type: …`, or `detail: missing field …` for a field that is absent.
fn field_error(
    parent: Option<&str>,
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> String {
    let path = error.path().to_string();
    let inner = error.inner().to_string();
    // serde_json appends " at line 1 column N", meaningless for a parsed Value.
    let inner = inner.split(" at line ").next().unwrap_or(&inner);
    match (parent, path.as_str()) {
        (None, ".") => inner.to_string(),
        (Some(parent), ".") => format!("{parent}: {inner}"),
        (None, path) => format!("{path}: {inner}"),
        (Some(parent), path) => format!("{parent}.{path}: {inner}"),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stopped(reason: &str) -> Value {
        json!({
            "version": "0", "id": "ev-1", "detail-type": "ECS Task State Change",
            "source": "aws.ecs", "account": "123456789012", "time": "2026-11-25T10:00:00Z",
            "region": "us-east-1", "resources": [],
            "detail": {
                "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/demo/abc",
                "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/demo",
                "lastStatus": "STOPPED", "stoppedReason": reason, "stopCode": "TaskFailedToStart"
            }
        })
    }

    #[test]
    fn a_stopped_init_error_is_diagnosed() {
        let intake = intake(stopped("ResourceInitializationError: x")).unwrap();
        let Intake::Diagnose(task) = intake else {
            panic!("not diagnosed: {intake:?}")
        };
        assert_eq!(task.event_id, "ev-1");
        assert_eq!(task.region, "us-east-1");
        assert_eq!(task.detail.stop_code.as_deref(), Some("TaskFailedToStart"));
    }

    #[test]
    fn the_ec2_agents_wordings_and_pull_errors_are_diagnosed() {
        for reason in [
            // https://github.com/aws/aws-cdk/issues/4498
            "Fetching secret data from SSM Parameter Store in eu-central-1: \
             AccessDeniedException: The ciphertext refers to a customer master key that does \
             not exist, does not exist in this region, or you are not allowed to access.",
            // https://github.com/widdix/aws-cf-templates/issues/357
            "Asm fetching secret from the service for <secret> AccessDeniedException: User: \
             <TaskExecutionRole> is not authorized to perform: secretsmanager:GetSecretValue",
            // https://github.com/aws-samples/amazon-ecs-firelens-examples/issues/21
            "Unable to download firelens s3 config file: unable to download s3 config \
             extra.conf from bucket mybucket: MissingRegion: could not find region configuration",
            "CannotPullContainerError: pull image manifest has been retried 1 time(s): x",
            "CannotPullECRContainerError: RequestError: send request failed",
        ] {
            assert!(
                matches!(intake(stopped(reason)).unwrap(), Intake::Diagnose(_)),
                "{reason}"
            );
        }
        // A prefix, not a fragment: an application's own text does not qualify.
        assert!(matches!(
            intake(stopped(
                "Essential container exited: Fetching secret data from x"
            ))
            .unwrap(),
            Intake::Ignore(_)
        ));
    }

    /// On EC2 the pull error is the container's reason; the task's is ECS's generic one.
    #[test]
    fn a_pull_error_in_a_containers_reason_is_diagnosed_from_it() {
        let pull = "CannotPullContainerError: API error (500): Get https://x.dkr.ecr.us-east-1.\
                    amazonaws.com/v2/: net/http: request canceled while waiting for connection";
        let mut event = stopped("Essential container in task exited");
        event["detail"]["containers"] = json!([
            {"name": "sidecar", "reason": "OutOfMemoryError: Container killed"},
            {"name": "web", "reason": pull},
        ]);
        let Intake::Diagnose(task) = intake(event.clone()).unwrap() else {
            panic!("not diagnosed")
        };
        assert_eq!(task.stopped_reason(), "Essential container in task exited");
        assert_eq!(task.container_reason(), Some(pull));
        // A container's own failure is not a start failure.
        event["detail"]["containers"] = json!([{"name": "web", "reason": "OutOfMemoryError"}]);
        assert!(matches!(intake(event).unwrap(), Intake::Ignore(_)));
        // When the task's reason says it, the container's is not needed.
        let mut event = stopped("ResourceInitializationError: x");
        event["detail"]["containers"] = json!([{"name": "web", "reason": pull}]);
        let Intake::Diagnose(task) = intake(event).unwrap() else {
            panic!("not diagnosed")
        };
        assert_eq!(task.container_reason(), None);
    }

    #[test]
    fn other_stops_and_events_are_ignored() {
        assert!(matches!(
            intake(stopped("Essential container in task exited")).unwrap(),
            Intake::Ignore(_)
        ));
        let mut running = stopped("ResourceInitializationError: x");
        running["detail"]["lastStatus"] = json!("RUNNING");
        assert!(matches!(intake(running).unwrap(), Intake::Ignore(_)));
        let mut other = stopped("ResourceInitializationError: x");
        other["detail-type"] = json!("ECS Container Instance State Change");
        assert!(matches!(intake(other).unwrap(), Intake::Ignore(_)));
    }

    #[test]
    fn malformed_input_names_the_event_and_the_field() {
        let mut event = stopped("ResourceInitializationError: x");
        event["detail"]
            .as_object_mut()
            .unwrap()
            .remove("clusterArn");
        let error = intake(event).unwrap_err().to_string();
        assert_eq!(error, "event ev-1: detail: missing field `clusterArn`");

        let mut event = stopped("ResourceInitializationError: x");
        event["detail"]["lastStatus"] = json!(7);
        let error = intake(event).unwrap_err().to_string();
        assert!(
            error.starts_with("event ev-1: detail.lastStatus: invalid type"),
            "{error}"
        );

        let error = intake(json!("hello")).unwrap_err().to_string();
        assert_eq!(
            error,
            "event (no id): expected an EventBridge event (a JSON object), got a string"
        );
        let error = intake(json!({"id": "x"})).unwrap_err().to_string();
        assert_eq!(error, "event x: missing field `detail-type`");
    }
}
