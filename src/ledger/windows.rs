//! The conditional writes: event claims, the recent diagnosis of a signature, and the alert
//! window of a root cause. Every decision that depends on time is made in a condition
//! expression or on the item's own attributes, never by an item's absence (TTL deletes late).

use super::Ledger;
use super::codec::*;
use super::keys::{MISSING, PK, SINGLE_SK, SK, alert_pk, event_pk, signature_pk};
use crate::error::{Error, Result};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

/// How long an event claim is kept: longer than EventBridge's and Lambda's retries of one event
/// (template.yaml: one hour each).
pub(super) const EVENT_CLAIM_SECS: i64 = 2 * 86_400;

/// How long an item outlives the window it records before the TTL may clean it up.
pub(super) const CLEANUP_GRACE_SECS: i64 = 86_400;

/// A conditional update of an alert can lose a race with another invocation (the window
/// closes or opens between the two updates); it is tried again this many times.
pub(super) const RECORD_ATTEMPTS: usize = 3;

/// The root cause recently diagnosed for a signature, while its window is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent {
    /// `None` when the diagnosis found nothing wrong.
    pub root_cause: Option<String>,
    pub alert_key: String,
    /// Epoch seconds.
    pub window_ends_at: i64,
}

/// Whether a diagnosis alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowDecision {
    /// The first diagnosis of this root cause since its last window closed: publish.
    Alert {
        /// Diagnoses suppressed during the previous window (0 for a new root cause).
        repeats: u64,
        /// When the previous alert went out (epoch seconds), `None` for a new root cause.
        since: Option<i64>,
        /// Every service this root cause has hit, sorted.
        services: Vec<String>,
    },
    /// The window is open: an alert for this root cause already went out.
    Suppress {
        /// Diagnoses of this root cause ever recorded.
        total: u64,
        /// Diagnoses suppressed in the current window, this one included.
        suppressed: u64,
        /// Every service this root cause has hit, sorted.
        services: Vec<String>,
    },
}

/// Who may handle an event now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This invocation holds the event (a new claim, a released or expired one taken over, or
    /// its own claim written again by the SDK's retry).
    Mine,
    /// The event was handled to the end before: a redelivery.
    Done,
    /// Another invocation holds the event and its lease has not run out: it may still be
    /// working, or it was killed. Not a success: Lambda retries later, after the lease.
    Held,
}

impl Ledger {
    /// EventBridge delivers at least once, Lambda retries a failed invocation, and an
    /// invocation can be killed: a conditional put of pk="event#<id>", sk="-" holding the
    /// invocation's `owner` token and a lease (`leaseUntil`, longer than the function's
    /// timeout). It succeeds when the event was never claimed, when its claim was released or
    /// its lease ran out before it was done, or when the claim is this owner's own (the SDK
    /// retried a write whose answer was lost). A refused claim reads the item it met
    /// (ALL_OLD): done → [`Claim::Done`], else [`Claim::Held`].
    pub async fn claim_event(&self, event_id: &str, owner: &str, now: i64) -> Result<Claim> {
        let claimed = self
            .ddb
            .put_item()
            .table_name(&self.table)
            .item(PK, s(event_pk(event_id)))
            .item(SK, s(SINGLE_SK))
            .item(OWNER, s(owner))
            .item(CLAIMED_AT, n(now))
            .item(LEASE_UNTIL, n(now.saturating_add(self.lease_secs)))
            .item(EXPIRES_AT, n(now.saturating_add(EVENT_CLAIM_SECS)))
            .condition_expression(
                "attribute_not_exists(#pk) OR #owner = :owner OR (attribute_not_exists(#doneAt) \
                 AND (attribute_exists(#releasedAt) OR #leaseUntil <= :now))",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_names("#doneAt", DONE_AT)
            .expression_attribute_names("#releasedAt", RELEASED_AT)
            .expression_attribute_names("#leaseUntil", LEASE_UNTIL)
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        Ok(
            match conditional("dynamodb:PutItem", claimed, |e| match e {
                PutItemError::ConditionalCheckFailedException(failed) => failed.item(),
                _ => None,
            })? {
                Written::Made(_) => Claim::Mine,
                Written::Refused(Some(old)) if old.contains_key(DONE_AT) => Claim::Done,
                Written::Refused(_) => Claim::Held,
            },
        )
    }

    /// Marks this owner's claim done: a redelivery of the event is then a duplicate.
    pub async fn finish_event(&self, event_id: &str, owner: &str, now: i64) -> Result<()> {
        self.update_claim(event_id, owner, DONE_AT, now).await
    }

    /// Gives up this owner's claim after the invocation failed (the diagnosis or the publish),
    /// so that Lambda's retry of the same event can claim it at once instead of waiting for the
    /// lease to run out.
    pub async fn release_event(&self, event_id: &str, owner: &str, now: i64) -> Result<()> {
        self.update_claim(event_id, owner, RELEASED_AT, now).await
    }

    /// Sets `attribute` to `now` on the claim, if this owner still holds it (another
    /// invocation that took over an expired lease keeps its claim; refused, it is theirs to
    /// finish or release).
    async fn update_claim(
        &self,
        event_id: &str,
        owner: &str,
        attribute: &str,
        now: i64,
    ) -> Result<()> {
        self.stamp(event_pk(event_id), attribute, now, (OWNER, owner))
            .await
    }

    /// Sets `attribute` to `now` on one item if its `guard` attribute holds the given value;
    /// nothing happens when it does not.
    async fn stamp(
        &self,
        pk: String,
        attribute: &str,
        now: i64,
        (guard, holder): (&str, &str),
    ) -> Result<()> {
        let updated = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(SINGLE_SK))
            .update_expression("SET #attribute = :now")
            .condition_expression("#guard = :holder")
            .expression_attribute_names("#attribute", attribute)
            .expression_attribute_names("#guard", guard)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        conditional("dynamodb:UpdateItem", updated, |_| None).map(|_| ())
    }

    /// The cheap path for repeats: the root cause recently diagnosed for this signature
    /// (pk="signature#<sig>", sk="-", attributes rootCause (S, "none" for None), alertKey (S),
    /// windowEndsAt (N)), if windowEndsAt > now.
    pub async fn recent(&self, signature: &str, now: i64) -> Result<Option<Recent>> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key(PK, s(signature_pk(signature)))
            .key(SK, s(SINGLE_SK))
            // Tasks of one service fail within seconds of each other.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:GetItem", &e))?;
        Ok(out
            .item()
            .and_then(recent_from_item)
            .filter(|recent| recent.window_ends_at > now))
    }

    /// Remembers the root cause diagnosed for a signature until `recent.window_ends_at`. An
    /// idempotent put: writing it twice changes nothing.
    pub async fn remember(&self, signature: &str, recent: &Recent, now: i64) -> Result<()> {
        let expires_at = recent
            .window_ends_at
            .max(now)
            .saturating_add(CLEANUP_GRACE_SECS);
        self.ddb
            .put_item()
            .table_name(&self.table)
            .item(PK, s(signature_pk(signature)))
            .item(SK, s(SINGLE_SK))
            .item(
                ROOT_CAUSE,
                s(root_cause_value(recent.root_cause.as_deref())),
            )
            .item(ALERT_KEY, s(&recent.alert_key))
            .item(WINDOW_ENDS_AT, n(recent.window_ends_at))
            .item(EXPIRES_AT, n(expires_at))
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:PutItem", &e))?;
        Ok(())
    }

    /// Decides whether this diagnosis alerts. One conditional UpdateItem on
    /// pk="alert#<key>", sk="-" opens a new window when there is none, it has closed
    /// (`windowEndsAt <= now`), or this stop opened it and its alert never went out (a retry
    /// of a stop that failed or was killed before publishing; or the SDK retried the write):
    /// [`WindowDecision::Alert`], with the previous window's suppressed count and alert time
    /// from the old item. When the window is open, a second UpdateItem counts the diagnosis
    /// as suppressed: [`WindowDecision::Suppress`].
    ///
    /// `stop` names the stop: its event id (a retry or redelivery of one event is the same
    /// stop), or a CLI run's own token.
    pub async fn record(
        &self,
        alert_key: &str,
        service: &str,
        stop: &str,
        now: i64,
    ) -> Result<WindowDecision> {
        let pk = alert_pk(alert_key);
        // A string set cannot hold an empty string.
        let service = if service.is_empty() { MISSING } else { service };
        for _ in 0..RECORD_ATTEMPTS {
            if let Some(decision) = self.open_window(&pk, service, stop, now).await? {
                return Ok(decision);
            }
            if let Some(decision) = self.count_suppressed(&pk, service, stop, now).await? {
                return Ok(decision);
            }
            // The window closed between the two updates: try to open it again.
        }
        Err(Error::Aws {
            call: "dynamodb:UpdateItem",
            message: format!(
                "alert {alert_key}: the alert window kept changing under concurrent updates"
            ),
        })
    }

    /// Counts a repeat in the window of `alert_key` if one is open; `None` when none is (then
    /// the repeat is diagnosed, and [`Ledger::record`] decides). Never opens a window: a
    /// window opens only for the root cause a diagnosis found.
    pub async fn count_if_open(
        &self,
        alert_key: &str,
        service: &str,
        stop: &str,
        now: i64,
    ) -> Result<Option<WindowDecision>> {
        let service = if service.is_empty() { MISSING } else { service };
        self.count_suppressed(&alert_pk(alert_key), service, stop, now)
            .await
    }

    /// Opens a new alert window, unless one is open (`Ok(None)`).
    async fn open_window(
        &self,
        pk: &str,
        service: &str,
        stop: &str,
        now: i64,
    ) -> Result<Option<WindowDecision>> {
        let updated = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(SINGLE_SK))
            .update_expression(
                "SET #windowEndsAt = :end, #lastAlertAt = :now, \
                 #firstSeen = if_not_exists(#firstSeen, :now), #suppressed = :zero, \
                 #expiresAt = :ttl, #openedBy = :stop \
                 REMOVE #alertedAt \
                 ADD #total :one, #services :svc",
            )
            .condition_expression(
                "attribute_not_exists(#pk) OR #windowEndsAt <= :now \
                 OR (#openedBy = :stop AND attribute_not_exists(#alertedAt))",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#windowEndsAt", WINDOW_ENDS_AT)
            .expression_attribute_names("#lastAlertAt", LAST_ALERT_AT)
            .expression_attribute_names("#firstSeen", FIRST_SEEN)
            .expression_attribute_names("#suppressed", SUPPRESSED)
            .expression_attribute_names("#expiresAt", EXPIRES_AT)
            .expression_attribute_names("#openedBy", OPENED_BY)
            .expression_attribute_names("#alertedAt", ALERTED_AT)
            .expression_attribute_names("#total", TOTAL)
            .expression_attribute_names("#services", SERVICES)
            .expression_attribute_values(":end", n(now.saturating_add(self.window_secs)))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":stop", s(stop))
            .expression_attribute_values(":svc", AttributeValue::Ss(vec![service.to_string()]))
            .expression_attribute_values(":ttl", n(self.alert_expiry(now)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        Ok(
            match conditional("dynamodb:UpdateItem", updated, |_| None)? {
                Written::Made(out) => Some(alert_decision(out.attributes(), service, stop)),
                Written::Refused(_) => None,
            },
        )
    }

    /// Counts a suppressed diagnosis in the open window, unless it has closed (`Ok(None)`).
    /// A stop counted last is not counted again (the SDK retried the write): the window as it
    /// is answers.
    async fn count_suppressed(
        &self,
        pk: &str,
        service: &str,
        stop: &str,
        now: i64,
    ) -> Result<Option<WindowDecision>> {
        let updated = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(SINGLE_SK))
            .update_expression(
                "SET #expiresAt = :ttl, #lastCountedBy = :stop \
                 ADD #suppressed :one, #total :one, #services :svc",
            )
            .condition_expression(
                "attribute_exists(#pk) AND #windowEndsAt > :now \
                 AND (attribute_not_exists(#lastCountedBy) OR #lastCountedBy <> :stop)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#windowEndsAt", WINDOW_ENDS_AT)
            .expression_attribute_names("#expiresAt", EXPIRES_AT)
            .expression_attribute_names("#lastCountedBy", LAST_COUNTED_BY)
            .expression_attribute_names("#suppressed", SUPPRESSED)
            .expression_attribute_names("#total", TOTAL)
            .expression_attribute_names("#services", SERVICES)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":stop", s(stop))
            .expression_attribute_values(":svc", AttributeValue::Ss(vec![service.to_string()]))
            .expression_attribute_values(":ttl", n(self.alert_expiry(now)))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        Ok(
            match conditional("dynamodb:UpdateItem", updated, |e| match e {
                UpdateItemError::ConditionalCheckFailedException(failed) => failed.item(),
                _ => None,
            })? {
                Written::Made(out) => Some(suppress_decision(out.attributes(), service)),
                // This stop was counted already, in a window still open.
                Written::Refused(Some(old))
                    if get_s(&old, LAST_COUNTED_BY) == Some(stop)
                        && get_n::<i64>(&old, WINDOW_ENDS_AT).is_some_and(|end| end > now) =>
                {
                    Some(suppress_decision(Some(&old), service))
                }
                Written::Refused(_) => None,
            },
        )
    }

    /// Records that the window's alert went out, so a later retry of the same stop does not
    /// alert again. Only the stop that opened the window marks it.
    pub async fn mark_alerted(&self, alert_key: &str, stop: &str, now: i64) -> Result<()> {
        self.stamp(alert_pk(alert_key), ALERTED_AT, now, (OPENED_BY, stop))
            .await
    }

    /// Closes the window this stop opened (the one ending at `window_ends_at`) when its alert
    /// could not be published, so the retry alerts instead of being suppressed. Conditional on
    /// that window: a newer window, or one another stop opened, stays. The counters stay.
    pub async fn reopen(&self, alert_key: &str, stop: &str, window_ends_at: i64) -> Result<()> {
        let reopened = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(alert_pk(alert_key)))
            .key(SK, s(SINGLE_SK))
            .update_expression("SET #windowEndsAt = :zero")
            .condition_expression("#openedBy = :stop AND #windowEndsAt = :end")
            .expression_attribute_names("#openedBy", OPENED_BY)
            .expression_attribute_names("#windowEndsAt", WINDOW_ENDS_AT)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":stop", s(stop))
            .expression_attribute_values(":end", n(window_ends_at))
            .send()
            .await;
        // Refused: the window is not the one this stop opened; nothing to close.
        conditional("dynamodb:UpdateItem", reopened, |_| None).map(|_| ())
    }

    /// When a window opened now closes (epoch seconds).
    pub fn window_ends(&self, now: i64) -> i64 {
        now.saturating_add(self.window_secs)
    }

    /// When an alert item may be cleaned up: well after its window and the history it
    /// belongs to.
    fn alert_expiry(&self, now: i64) -> i64 {
        now.saturating_add(self.window_secs)
            .saturating_add(self.retention_secs)
    }
}

/// A string set's members plus `extra`, sorted, without duplicates.
pub(super) fn services_with(item: Option<&Item>, extra: &str) -> Vec<String> {
    let mut services: Vec<String> = item
        .and_then(|item| item.get(SERVICES))
        .and_then(|v| v.as_ss().ok())
        .cloned()
        .unwrap_or_default();
    services.push(extra.to_string());
    services.sort();
    services.dedup();
    services
}

pub(super) fn recent_from_item(item: &Item) -> Option<Recent> {
    Some(Recent {
        root_cause: root_cause_from(get_s(item, ROOT_CAUSE)),
        alert_key: get_s(item, ALERT_KEY)?.to_string(),
        window_ends_at: get_n(item, WINDOW_ENDS_AT)?,
    })
}

/// The decision of an update that opened a window, from the item as it was before. When this
/// stop had opened it already (a retry), the old item is its own first write: the previous
/// window's counts are gone, so none are claimed.
pub(super) fn alert_decision(old: Option<&Item>, service: &str, stop: &str) -> WindowDecision {
    let old = old.filter(|item| get_s(item, OPENED_BY) != Some(stop));
    WindowDecision::Alert {
        repeats: old.and_then(|item| get_n(item, SUPPRESSED)).unwrap_or(0),
        since: old.and_then(|item| get_n(item, LAST_ALERT_AT)),
        services: services_with(old, service),
    }
}

/// The decision of an update that counted a suppression, from the item as it is now.
pub(super) fn suppress_decision(new: Option<&Item>, service: &str) -> WindowDecision {
    WindowDecision::Suppress {
        total: new.and_then(|item| get_n(item, TOTAL)).unwrap_or(1),
        suppressed: new.and_then(|item| get_n(item, SUPPRESSED)).unwrap_or(1),
        services: services_with(new, service),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn decisions_read_the_alert_item() {
        assert_eq!(
            alert_decision(None, "web", "ev-1"),
            WindowDecision::Alert {
                repeats: 0,
                since: None,
                services: vec!["web".into()]
            }
        );
        let old = item(&[
            (SUPPRESSED, n(4)),
            (LAST_ALERT_AT, n(1_000)),
            (
                SERVICES,
                AttributeValue::Ss(vec!["web".into(), "api".into()]),
            ),
        ]);
        assert_eq!(
            alert_decision(Some(&old), "batch", "ev-1"),
            WindowDecision::Alert {
                repeats: 4,
                since: Some(1_000),
                services: vec!["api".into(), "batch".into(), "web".into()]
            }
        );
        let new = item(&[
            (TOTAL, n(9)),
            (SUPPRESSED, n(5)),
            (
                SERVICES,
                AttributeValue::Ss(vec!["web".into(), "api".into()]),
            ),
        ]);
        assert_eq!(
            suppress_decision(Some(&new), "web"),
            WindowDecision::Suppress {
                total: 9,
                suppressed: 5,
                services: vec!["api".into(), "web".into()]
            }
        );
    }

    #[test]
    fn recent_reads_none_as_no_root_cause() {
        let stored = item(&[
            (ROOT_CAUSE, s("none")),
            (ALERT_KEY, s("service#k")),
            (WINDOW_ENDS_AT, n(2_000)),
        ]);
        assert_eq!(
            recent_from_item(&stored),
            Some(Recent {
                root_cause: None,
                alert_key: "service#k".into(),
                window_ends_at: 2_000
            })
        );
        assert_eq!(recent_from_item(&item(&[(ROOT_CAUSE, s("x"))])), None);
    }
}
