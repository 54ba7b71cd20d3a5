//! How the ledger's items are spelt: attribute names, and DynamoDB values in and out.

use crate::error::{Error, Result, sdk_message};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::HashMap;

pub(super) type Item = HashMap<String, AttributeValue>;

// Attribute names.
/// Epoch seconds; the table's TTL attribute. Clean-up only.
pub(super) const EXPIRES_AT: &str = "expiresAt";

pub(super) const CLAIMED_AT: &str = "claimedAt";

pub(super) const RELEASED_AT: &str = "releasedAt";

pub(super) const ROOT_CAUSE: &str = "rootCause";

pub(super) const ALERT_KEY: &str = "alertKey";

pub(super) const WINDOW_ENDS_AT: &str = "windowEndsAt";

pub(super) const LAST_ALERT_AT: &str = "lastAlertAt";

pub(super) const FIRST_SEEN: &str = "firstSeen";

pub(super) const SUPPRESSED: &str = "suppressed";

pub(super) const TOTAL: &str = "total";

pub(super) const SERVICES: &str = "services";

pub(super) const SERVICE: &str = "service";

pub(super) const TASK_ID: &str = "taskId";
pub(super) const TASK_DEFINITION: &str = "taskDefinition";

pub(super) const TIME: &str = "time";

pub(super) const REPORT: &str = "report";

pub(super) const EVENT: &str = "event";

/// How `rootCause` stores "nothing is wrong".
pub(super) const NO_ROOT_CAUSE: &str = "none";

pub(super) fn root_cause_value(root_cause: Option<&str>) -> &str {
    root_cause.unwrap_or(NO_ROOT_CAUSE)
}

pub(super) fn root_cause_from(value: Option<&str>) -> Option<String> {
    value
        .filter(|v| *v != NO_ROOT_CAUSE && !v.is_empty())
        .map(str::to_string)
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

pub(super) fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Option<T> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// A conditional write's outcome: `Some` when it was made, `None` when its condition did not
/// hold (ConditionalCheckFailedException); any other failure is an error.
pub(super) fn conditional<T, E>(
    call: &'static str,
    result: std::result::Result<T, SdkError<E, aws_smithy_runtime_api::http::Response>>,
) -> Result<Option<T>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(out) => Ok(Some(out)),
        Err(err) if err.code() == Some("ConditionalCheckFailedException") => Ok(None),
        Err(err) => Err(aws_error(call, &err)),
    }
}

pub(super) fn aws_error<E>(
    call: &'static str,
    error: &SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    Error::Aws {
        call,
        message: sdk_message(error),
    }
}
