//! The library's errors. Each variant is one line when displayed, and names what to fix.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use lambda_runtime::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not an event the doctor understands; Lambda should not retry it.
    #[error("event {event_id}: {message}")]
    BadEvent { event_id: String, message: String },

    /// A facts file given to `diagnose --facts` cannot be read.
    #[error("facts file {path}: {message}")]
    BadFacts { path: String, message: String },

    /// The task the user named is unknown to DescribeTasks.
    #[error(
        "task {task} not found in cluster {cluster}: DescribeTasks forgets stopped tasks about an hour after they stop"
    )]
    TaskNotFound { cluster: String, task: String },

    /// A call the doctor cannot do without failed: DescribeTasks for a task named on the
    /// command line, or the alert ledger's table.
    #[error("{call} failed: {message}")]
    Aws { call: &'static str, message: String },

    /// Publishing the alert failed; Lambda retries the event and, at last, sends it to the
    /// on-failure destination, so nothing is lost silently.
    #[error("publishing to {topic} failed: {message}")]
    Publish { topic: String, message: String },

    /// Another invocation holds the event's claim and its lease has not run out: it may still
    /// be working, or it was killed. An error, so Lambda retries the event after the lease
    /// (and at last keeps it in the on-failure destination) instead of dropping it.
    #[error(
        "event {event_id} is being handled by another invocation (its claim's lease has not run out): retry after the lease"
    )]
    EventHeld { event_id: String },

    /// Configuration the caller must provide (an environment variable, a flag).
    #[error("configuration: {0}")]
    Config(String),

    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A stable name for the kind of error; Lambda logs it as the `errorType`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::BadEvent { .. } => "BadEvent",
            Error::BadFacts { .. } => "BadFacts",
            Error::TaskNotFound { .. } => "TaskNotFound",
            Error::Aws { .. } => "AwsCallFailed",
            Error::Publish { .. } => "PublishFailed",
            Error::EventHeld { .. } => "EventInFlight",
            Error::Config(_) => "Configuration",
            Error::Io { .. } => "Io",
        }
    }
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Diagnostic {
        Diagnostic {
            error_type: error.kind().to_string(),
            error_message: error.to_string(),
        }
    }
}

/// Formats an SDK error on one line: a service error as `Code: message`, anything else
/// (dispatch failure, timeout, …) with its whole cause chain, since the SDK's own `Display`
/// says only "dispatch failure". Not `DisplayErrorContext`: it appends the raw HTTP response's
/// `Debug`, far too long for an alert or a one-line CLI error.
pub fn sdk_message<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let SdkError::ServiceError(service) = error {
        let inner = service.err();
        return match inner.code() {
            Some(code) => format!("{code}: {}", inner.message().unwrap_or("no message")),
            None => format!(
                "HTTP {} with no error code",
                service.raw().status().as_u16()
            ),
        };
    }
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
