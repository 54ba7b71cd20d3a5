//! The alert stage: the ledger, then SNS, in one sequence for one stopped task. The Lambda and
//! `diagnose --publish` both go through [`Alerter::run`], so they decide, publish and keep
//! alike, signature included.
//!
//! The guarantee: one human alert per root cause and window, whatever single fault or kill
//! happens. How:
//!
//! 1. Claim the event with this invocation's token and a lease longer than the function's
//!    timeout. A redelivery of a finished event stops here (duplicate). A claim another live
//!    invocation holds is an error, so Lambda retries after the lease instead of dropping it.
//! 2. A repeat of a recent diagnosis (same signature) is counted in its root cause's window
//!    if that window is open, without reading AWS. The pre-check never opens a window.
//! 3. Diagnose.
//! 4. Decide in the root cause's window (opened, or counted), `now` taken at the decision.
//!    The window records which stop opened it, so a retry of that stop (or the SDK's retry
//!    of the write) is recognised as the same stop and alerts, not as a repeat.
//! 5. Publish the human alert at once: before any other bookkeeping, so no later write can
//!    lose it. If it fails, close the window this stop opened (conditionally) and fail, so
//!    Lambda's retry alerts.
//! 6. Best effort afterwards, each failure logged and none failing the invocation (the
//!    humans have their alert): mark the window alerted, the report topic, remember the
//!    signature (never for a degraded diagnosis), the history, finish the event.
//!
//! A failed claim or lookup only costs the cheap paths: the stop is diagnosed and decided in
//! its window all the same (the window knows the stop by its event id). The decision is tried
//! twice; when it cannot be made at all (the ledger denied or down), the alert goes out anyway
//! and says that repeats may alert again: fail open, never silent.

use crate::error::{Error, Result};
use crate::facts::Task;
use crate::ledger::{
    Claim, HISTORY_REPORT_LIMIT, HistoryEntry, Ledger, Recent, WindowDecision, alert_key, signature,
};
use crate::notify::Notifier;
use crate::reason;
use crate::text::redact_json;
use crate::verdict::{Recurrence, Report, fit_report};
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// What the alert stage answers for one stopped task (the Lambda's response).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Outcome {
    Ignored {
        why: String,
    },
    /// EventBridge delivered this event before: it was handled then.
    Duplicate {
        event: String,
    },
    Published {
        task: String,
        root_cause: Option<String>,
        message_id: String,
    },
    /// An alert for this root cause went out within the window: counted, not sent.
    Suppressed {
        task: String,
        root_cause: Option<String>,
        total: u64,
    },
}

/// What [`Alerter::run`] did, and the report as the alert stage left it (with its recurrence
/// and evidence) when a diagnosis ran.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub outcome: Outcome,
    pub report: Option<Report>,
}

impl Delivery {
    fn without_report(outcome: Outcome) -> Self {
        Delivery {
            outcome,
            report: None,
        }
    }
}

/// A stopped task as the alert stage knows it before its diagnosis.
#[derive(Debug, Clone, Copy)]
pub struct Stop<'a> {
    pub task: &'a Task,
    /// The EventBridge event id, claimed so a redelivery is dropped; `None` from the CLI.
    pub event_id: Option<&'a str>,
    /// The raw event, kept in the history (redacted).
    pub raw_event: Option<&'a Value>,
}

/// Owns the alert sequence: the ledger (when there is one) and the SNS publisher.
pub struct Alerter<'a> {
    ledger: Option<&'a Ledger>,
    notifier: Notifier,
}

/// What the evidence says when the ledger could not be used.
const LEDGER_UNAVAILABLE: &str =
    "Ledger unavailable: this alert went out without de-duplication, so repeats may alert again.";

impl<'a> Alerter<'a> {
    /// Without a ledger every diagnosis alerts.
    pub fn new(ledger: Option<&'a Ledger>, notifier: Notifier) -> Self {
        Alerter { ledger, notifier }
    }

    /// The whole sequence for one stopped task; `diagnose` runs only when the stop is neither a
    /// redelivery nor a repeat of a recent diagnosis. `now` is epoch seconds when the stop
    /// arrived: the ledger's windows are judged against it, moved on by the time the
    /// diagnosis took.
    pub async fn run(
        &self,
        stop: Stop<'_>,
        now: i64,
        diagnose: impl Future<Output = Result<Report>>,
    ) -> Result<Delivery> {
        let Some(ledger) = self.ledger else {
            let report = diagnose.await?;
            return self.publish_only(report).await;
        };
        let owner = invocation_token();
        // The stop's name in the alert window: one event is one stop, however often delivered.
        let stop_id = stop.event_id.map_or_else(|| owner.clone(), str::to_string);
        // Whether this invocation holds the event's claim (and so finishes or releases it).
        let mut claimed = false;
        if let Some(event_id) = stop.event_id {
            match ledger.claim_event(event_id, &owner, now).await {
                Ok(Claim::Mine) => claimed = true,
                Ok(Claim::Done) => {
                    tracing::info!(event = %event_id, "event delivered before; dropped");
                    return Ok(Delivery::without_report(Outcome::Duplicate {
                        event: event_id.to_string(),
                    }));
                }
                Ok(Claim::Held) => {
                    return Err(Error::EventHeld {
                        event_id: event_id.to_string(),
                    });
                }
                Err(error) => {
                    // The alert window still knows this stop by its event id, so a redelivery
                    // is counted as this stop, not alerted again.
                    tracing::error!(%error, event = %event_id, "could not claim the event; going on without the claim");
                }
            }
        }
        let sequence = Sequence {
            ledger,
            stop,
            stop_id: &stop_id,
            arrived: now,
            started: Instant::now(),
        };
        let handled = self.claimed(&sequence, diagnose).await;
        if let Some(event_id) = stop.event_id.filter(|_| claimed) {
            let finished = match &handled {
                Ok(_) => ledger.finish_event(event_id, &owner, sequence.now()).await,
                Err(_) => ledger.release_event(event_id, &owner, sequence.now()).await,
            };
            if let Err(error) = finished {
                // Finish: a redelivery is then diagnosed again and counted as a repeat.
                // Release: the retry waits for the lease instead of starting at once.
                tracing::error!(%error, event = %event_id, "could not update the event's claim");
            }
        }
        handled
    }

    /// Steps 2 to 6.
    async fn claimed(
        &self,
        sequence: &Sequence<'_>,
        diagnose: impl Future<Output = Result<Report>>,
    ) -> Result<Delivery> {
        let Sequence {
            ledger,
            stop,
            stop_id,
            ..
        } = *sequence;
        // The task and the classifier's answer give the signature.
        let failure = reason::classify(stop.task.failure_text());
        let signature = signature(stop.task, &failure);
        let workload = stop.task.workload();
        match ledger.recent(&signature, sequence.now()).await {
            Ok(Some(recent)) => {
                match ledger
                    .count_if_open(&recent.alert_key, workload, stop_id, sequence.now())
                    .await
                {
                    Ok(Some(WindowDecision::Suppress { total, .. })) => {
                        tracing::info!(task = %stop.task.arn, total, "repeat of a recent diagnosis; counted");
                        return Ok(Delivery::without_report(Outcome::Suppressed {
                            task: stop.task.arn.clone(),
                            root_cause: recent.root_cause,
                            total,
                        }));
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "could not count the repeat; diagnosing it");
                    }
                }
            }
            Ok(None) => {}
            // The cheap path is an optimisation: without it the stop is diagnosed and decided.
            Err(error) => tracing::warn!(%error, "could not look up recent diagnoses; diagnosing"),
        }
        let mut report = diagnose.await?;
        let key = alert_key(&report);
        let decided_at = sequence.now();
        let decision =
            match record_twice(ledger, &key, report.workload(), stop_id, decided_at).await {
                Ok(decision) => decision,
                Err(error) => {
                    tracing::error!(%error, "ledger unavailable; alerting without it");
                    return self.fail_open(report).await;
                }
            };
        let outcome = match decision {
            WindowDecision::Suppress { total, .. } => Outcome::Suppressed {
                task: report.task.arn.clone(),
                root_cause: report.root_cause.clone(),
                total,
            },
            WindowDecision::Alert {
                repeats,
                since,
                services,
            } => {
                if repeats > 0 || services.len() > 1 {
                    report.recurrence = Some(Recurrence {
                        repeats,
                        since: since.and_then(rfc3339),
                        services,
                    });
                }
                if report.root_cause.is_none() {
                    add_failed_before(ledger, &mut report).await;
                }
                match self.notifier.publish(&report).await {
                    Ok(message_id) => {
                        log_published(&report, &message_id);
                        if let Err(error) = ledger.mark_alerted(&key, stop_id, sequence.now()).await
                        {
                            // A retry of this same stop could then alert again.
                            tracing::error!(%error, "could not mark the alert window alerted");
                        }
                        self.notifier.publish_routable(&report).await;
                        Outcome::Published {
                            task: report.task.arn.clone(),
                            root_cause: report.root_cause.clone(),
                            message_id,
                        }
                    }
                    Err(error) => {
                        if let Err(reopen) = ledger
                            .reopen(&key, stop_id, ledger.window_ends(decided_at))
                            .await
                        {
                            // Lambda's retry is still this stop: it reopens the window itself.
                            tracing::error!(%reopen, "could not reopen the alert window");
                        }
                        return Err(error);
                    }
                }
            }
        };
        self.keep(sequence, &signature, &key, &report, decided_at)
            .await;
        Ok(Delivery {
            outcome,
            report: Some(report),
        })
    }

    /// Step 6's remembering and history: idempotent writes, best effort.
    async fn keep(
        &self,
        sequence: &Sequence<'_>,
        signature: &str,
        key: &str,
        report: &Report,
        decided_at: i64,
    ) {
        let ledger = sequence.ledger;
        if report.degraded {
            // A diagnosis with failed reads may have missed the fault: the next stop of this
            // signature is diagnosed afresh instead of reusing it.
            tracing::info!(task = %report.task.arn, "degraded diagnosis; not remembered for repeats");
        } else {
            let recent = Recent {
                root_cause: report.root_cause.clone(),
                alert_key: key.to_string(),
                window_ends_at: ledger.window_ends(decided_at),
            };
            if let Err(error) = ledger.remember(signature, &recent, decided_at).await {
                tracing::error!(%error, "could not remember the diagnosis for repeats");
            }
        }
        let entry = history_entry(report, sequence.stop, decided_at);
        if let Err(error) = ledger.keep(&entry, decided_at).await {
            tracing::error!(%error, task = %report.task.arn, "could not keep the diagnosis in the history");
        }
    }

    /// No ledger configured: every diagnosis alerts.
    async fn publish_only(&self, report: Report) -> Result<Delivery> {
        let message_id = self.notifier.publish(&report).await?;
        log_published(&report, &message_id);
        self.notifier.publish_routable(&report).await;
        Ok(Delivery {
            outcome: Outcome::Published {
                task: report.task.arn.clone(),
                root_cause: report.root_cause.clone(),
                message_id,
            },
            report: Some(report),
        })
    }

    /// The ledger could not be used: alert anyway, and say so.
    async fn fail_open(&self, mut report: Report) -> Result<Delivery> {
        report.evidence.push(LEDGER_UNAVAILABLE.into());
        self.publish_only(report).await
    }
}

/// The decision, tried a second time when the first try (with the SDK's own retries) failed:
/// the one write without which the stop can only fail open.
async fn record_twice(
    ledger: &Ledger,
    key: &str,
    service: &str,
    stop_id: &str,
    now: i64,
) -> Result<WindowDecision> {
    match ledger.record(key, service, stop_id, now).await {
        Ok(decision) => Ok(decision),
        Err(error) => {
            tracing::warn!(%error, "could not decide in the alert window; trying once more");
            ledger.record(key, service, stop_id, now).await
        }
    }
}

/// One stop's place in time and in the ledger.
struct Sequence<'s> {
    ledger: &'s Ledger,
    stop: Stop<'s>,
    stop_id: &'s str,
    /// Epoch seconds when the stop arrived.
    arrived: i64,
    started: Instant,
}

impl Sequence<'_> {
    /// Epoch seconds now: the arrival moved on by the time spent since.
    fn now(&self) -> i64 {
        let spent = i64::try_from(self.started.elapsed().as_secs()).unwrap_or(i64::MAX);
        self.arrived.saturating_add(spent)
    }
}

/// A token unique to this invocation: it tells the invocation's own claim (written again by
/// the SDK's retry) from another invocation's.
fn invocation_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:x}-{:x}-{:x}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn log_published(report: &Report, message_id: &str) {
    tracing::info!(
        task = %report.task.arn,
        root_cause = report.root_cause.as_deref().unwrap_or("none"),
        %message_id,
        "diagnosis published"
    );
}

/// "Probably transient" reads differently when this revision failed before. Best effort: the
/// alert goes out without it when the history cannot be read.
async fn add_failed_before(ledger: &Ledger, report: &mut Report) {
    let earlier = match ledger
        .history(
            &report.task.account,
            &report.task.region,
            &report.task.cluster,
            Some(report.workload()),
            50,
        )
        .await
    {
        Ok(earlier) => earlier,
        Err(error) => {
            tracing::warn!(%error, "could not read the history for 'failed before'");
            return;
        }
    };
    let definition = report.task.task_definition.as_deref().unwrap_or_default();
    let before = earlier
        .iter()
        .filter(|entry| entry.task_definition == definition)
        .count();
    report.evidence.push(match before {
        0 => format!("Task definition {definition} has not failed before (ledger history)."),
        n => format!(
            "Task definition {definition} failed {n} time(s) before (ledger history): look at \
             the skipped checks, or what changed outside the task's configuration."
        ),
    });
}

/// The history item: the report fitted to the item's size (the root cause always kept), the
/// event redacted (no environment values, no presigned-URL credentials).
fn history_entry(report: &Report, stop: Stop<'_>, now: i64) -> HistoryEntry {
    let (report_json, dropped) = fit_report(report, HISTORY_REPORT_LIMIT, "a DynamoDB item", |r| {
        serde_json::to_string(r).expect("a report serializes")
    });
    if dropped > 0 {
        tracing::warn!(
            dropped,
            "findings left out of the history item to fit DynamoDB's limit"
        );
    }
    HistoryEntry {
        account: report.task.account.clone(),
        region: report.task.region.clone(),
        cluster: report.task.cluster.clone(),
        service: report.workload().to_string(),
        task_id: crate::arn::arn_resource_name(&report.task.arn).to_string(),
        task_definition: report.task.task_definition.clone().unwrap_or_default(),
        time: report
            .task
            .stopped_at
            .clone()
            .or_else(|| rfc3339(now))
            .unwrap_or_default(),
        root_cause: report.root_cause.clone(),
        report: report_json,
        event: stop
            .raw_event
            .map(|raw| redact_json(raw).to_string())
            .unwrap_or_default(),
    }
}

fn rfc3339(epoch: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch, 0).map(|t| t.to_rfc3339())
}
