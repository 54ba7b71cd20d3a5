//! The alert stage: the ledger, then SNS, in one sequence for one stopped task. The Lambda and
//! `diagnose --publish` both go through [`Alerter::run`], so they decide, keep and publish
//! alike, signature included.
//!
//! The sequence: claim the event (a redelivery stops here) → look up the signature's recent
//! diagnosis (a repeat is counted without reading AWS) → diagnose → open or count the root
//! cause's alert window → remember the signature → keep the history → publish when the window
//! opened. A failure after the window opened reopens it, and a failure anywhere releases the
//! event's claim, so Lambda's retry alerts instead of being taken for a repeat.

use crate::error::Result;
use crate::facts::Task;
use crate::ledger::{HistoryEntry, Ledger, Recent, WindowDecision, alert_key, signature};
use crate::notify::Notifier;
use crate::reason;
use crate::verdict::{Recurrence, Report};
use serde::Serialize;
use serde_json::Value;
use std::future::Future;

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
/// and "failed before" evidence) when a diagnosis ran.
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
    /// The raw event, kept in the history.
    pub raw_event: Option<&'a Value>,
}

/// Owns the alert sequence: the ledger (when there is one) and the SNS publisher.
pub struct Alerter<'a> {
    ledger: Option<&'a Ledger>,
    notifier: Notifier,
}

impl<'a> Alerter<'a> {
    /// Without a ledger every diagnosis alerts.
    pub fn new(ledger: Option<&'a Ledger>, notifier: Notifier) -> Self {
        Alerter { ledger, notifier }
    }

    /// The whole sequence for one stopped task; `diagnose` runs only when the stop is neither a
    /// redelivery nor a repeat of a recent diagnosis. `now` is epoch seconds: the ledger's
    /// windows are judged against it.
    pub async fn run(
        &self,
        stop: Stop<'_>,
        now: i64,
        diagnose: impl Future<Output = Result<Report>>,
    ) -> Result<Delivery> {
        let Some(ledger) = self.ledger else {
            let report = diagnose.await?;
            let outcome = self.publish(&report).await?;
            return Ok(Delivery {
                outcome,
                report: Some(report),
            });
        };
        if let Some(event_id) = stop.event_id
            && !ledger.claim_event(event_id, now).await?
        {
            tracing::info!(event = %event_id, "event delivered before; dropped");
            return Ok(Delivery::without_report(Outcome::Duplicate {
                event: event_id.to_string(),
            }));
        }
        let handled = self.decide_and_publish(ledger, stop, now, diagnose).await;
        if handled.is_err()
            && let Some(event_id) = stop.event_id
            && let Err(error) = ledger.release_event(event_id, now).await
        {
            // The retry will then be dropped as a duplicate: say so loudly.
            tracing::error!(%error, event = %event_id, "could not release the event's claim");
        }
        handled
    }

    async fn decide_and_publish(
        &self,
        ledger: &Ledger,
        stop: Stop<'_>,
        now: i64,
        diagnose: impl Future<Output = Result<Report>>,
    ) -> Result<Delivery> {
        // The task and the classifier's answer give the signature: a repeat of a recent
        // diagnosis is counted without diagnosing it again.
        let failure = reason::classify(&stop.task.stopped_reason);
        let signature = signature(stop.task, &failure);
        let workload = stop.task.workload();
        let mut decided = None;
        if let Some(recent) = ledger.recent(&signature, now).await? {
            let decision = ledger.record(&recent.alert_key, workload, now).await?;
            if let WindowDecision::Suppress { total, .. } = decision {
                tracing::info!(task = %stop.task.arn, total, "repeat of a recent diagnosis; counted");
                return Ok(Delivery::without_report(Outcome::Suppressed {
                    task: stop.task.arn.clone(),
                    root_cause: recent.root_cause,
                    total,
                }));
            }
            decided = Some((recent.alert_key, decision));
        }
        let mut report = diagnose.await?;
        let key = alert_key(&report);
        let decision = match decided {
            Some((decided_key, decision)) if decided_key == key => decision,
            _ => ledger.record(&key, report.workload(), now).await?,
        };
        let recent = Recent {
            root_cause: report.root_cause.clone(),
            alert_key: key.clone(),
            window_ends_at: ledger.window_ends(now),
        };
        ledger.remember(&signature, &recent, now).await?;
        if report.root_cause.is_none() {
            add_failed_before(ledger, &mut report).await?;
        }
        ledger.keep(&history_entry(&report, stop, now), now).await?;
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
                let published = self.publish(&report).await;
                if published.is_err()
                    && let Err(reopen) = ledger.reopen(&key).await
                {
                    // Lambda's retry would then be suppressed: say so loudly.
                    tracing::error!(%reopen, "could not reopen the alert window");
                }
                published?
            }
        };
        Ok(Delivery {
            outcome,
            report: Some(report),
        })
    }

    async fn publish(&self, report: &Report) -> Result<Outcome> {
        let message_id = self.notifier.publish(report).await?;
        tracing::info!(
            task = %report.task.arn,
            root_cause = report.root_cause.as_deref().unwrap_or("none"),
            %message_id,
            "diagnosis published"
        );
        Ok(Outcome::Published {
            task: report.task.arn.clone(),
            root_cause: report.root_cause.clone(),
            message_id,
        })
    }
}

/// "Probably transient" reads differently when this revision failed before.
async fn add_failed_before(ledger: &Ledger, report: &mut Report) -> Result<()> {
    let earlier = ledger
        .history(
            &report.task.account,
            &report.task.region,
            &report.task.cluster,
            Some(report.workload()),
            50,
        )
        .await?;
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
    Ok(())
}

fn history_entry(report: &Report, stop: Stop<'_>, now: i64) -> HistoryEntry {
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
        report: serde_json::to_string(report).expect("a report serializes"),
        event: stop.raw_event.map(Value::to_string).unwrap_or_default(),
    }
}

fn rfc3339(epoch: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch, 0).map(|t| t.to_rfc3339())
}
