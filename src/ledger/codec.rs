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
/// Who holds an event claim: one invocation's token.
pub(super) const OWNER: &str = "owner";
/// Epoch seconds until which an event claim is held; past it, a retry may take it over.
pub(super) const LEASE_UNTIL: &str = "leaseUntil";
/// When the event was handled to the end: its redeliveries are duplicates.
pub(super) const DONE_AT: &str = "doneAt";
/// The stop (event id, or a CLI run's token) that opened the alert window.
pub(super) const OPENED_BY: &str = "openedBy";
/// When the window's alert was published.
pub(super) const ALERTED_AT: &str = "alertedAt";
/// The stop counted last, so a retried count of the same stop is not counted twice.
pub(super) const LAST_COUNTED_BY: &str = "lastCountedBy";

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

/// A conditional write's outcome.
pub(super) enum Written<T> {
    /// The condition held: the write was made.
    Made(T),
    /// The condition did not hold (ConditionalCheckFailedException): the item as it was, when
    /// the write asked for it (`ReturnValuesOnConditionCheckFailure=ALL_OLD`) and it exists.
    Refused(Option<Item>),
}

/// Reads a conditional write's result; any failure other than its condition is an error.
/// `old` takes the item out of the condition failure.
pub(super) fn conditional<T, E>(
    call: &'static str,
    result: std::result::Result<T, SdkError<E, aws_smithy_runtime_api::http::Response>>,
    old: impl Fn(&E) -> Option<&Item>,
) -> Result<Written<T>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(out) => Ok(Written::Made(out)),
        Err(err) if err.code() == Some("ConditionalCheckFailedException") => Ok(Written::Refused(
            err.as_service_error().and_then(&old).cloned(),
        )),
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
