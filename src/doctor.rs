//! The pipeline, shared by the Lambda and the CLI: event → reason → collect → checks →
//! verdict → ledger → notify.

use crate::aws::ClientCache;
use crate::collect::{Target, collect, event_facts};
use crate::dedup::{self, Decision, HistoryEntry, Ledger, Recent};
use crate::error::Result;
use crate::event::{Intake, StoppedTask, intake};
use crate::facts::Facts;
use crate::notify::{Notifier, Topics};
use crate::verdict::{Recurrence, Report};
use crate::{checks, reason, verdict};
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

/// Diagnoses facts already gathered: pure, no AWS calls (`diagnose --facts`).
pub fn diagnose_facts(facts: &Facts) -> Report {
    let failure = reason::classify(&facts.task.stopped_reason);
    verdict::judge(facts, failure, checks::run_all(facts))
}

pub struct Doctor {
    clients: ClientCache,
    /// The alert ledger (DEDUP_TABLE); without one every diagnosis alerts.
    ledger: Option<Ledger>,
}

/// What the Lambda answers.
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

fn epoch_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}

fn rfc3339(epoch: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch, 0).map(|t| t.to_rfc3339())
}

impl Doctor {
    pub fn new(clients: ClientCache) -> Self {
        Doctor {
            clients,
            ledger: None,
        }
    }

    /// Alerts go through the ledger: one per root cause and window, history kept.
    pub fn with_ledger(mut self, ledger: Option<Ledger>) -> Self {
        self.ledger = ledger;
        self
    }

    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.as_ref()
    }

    /// Gathers the facts of a task and diagnoses them.
    pub async fn diagnose(
        &self,
        target: Target<'_>,
        region: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<(Facts, Report)> {
        // Boxed: the collection's future is large, and stacks of worker threads are not.
        let facts = Box::pin(collect(&self.clients, region, target, deadline)).await?;
        let report = diagnose_facts(&facts);
        Ok((facts, report))
    }

    /// The Lambda's work for one event. Events that are not ours are ignored; a redelivered
    /// event is dropped; malformed input and a failed publish are errors, so Lambda retries
    /// and finally keeps the event.
    ///
    /// `deadline` is when the collection must stop so the alert can still go out: reads still
    /// running then are reported as skipped ("timed out").
    pub async fn handle_event(
        &self,
        input: Value,
        topics: Topics,
        deadline: Option<Instant>,
    ) -> Result<Outcome> {
        self.handle_event_at(input, topics, deadline, epoch_seconds())
            .await
    }

    /// [`Doctor::handle_event`] at a given time (epoch seconds): the ledger's windows are
    /// judged against it.
    pub async fn handle_event_at(
        &self,
        input: Value,
        topics: Topics,
        deadline: Option<Instant>,
        now: i64,
    ) -> Result<Outcome> {
        let task = match intake(input)? {
            Intake::Ignore(why) => {
                tracing::info!(%why, "event ignored");
                return Ok(Outcome::Ignored { why });
            }
            Intake::Diagnose(task) => task,
        };
        if let Some(ledger) = &self.ledger
            && !ledger.claim_event(&task.event_id, now).await?
        {
            tracing::info!(event = %task.event_id, "event delivered before; dropped");
            return Ok(Outcome::Duplicate {
                event: task.event_id.clone(),
            });
        }
        let handled = Box::pin(self.diagnose_and_alert(&task, topics, deadline, now)).await;
        if handled.is_err()
            && let Some(ledger) = &self.ledger
            && let Err(error) = ledger.release_event(&task.event_id, now).await
        {
            // The retry will then be dropped as a duplicate: say so loudly.
            tracing::error!(%error, event = %task.event_id, "could not release the event's claim");
        }
        handled
    }

    async fn diagnose_and_alert(
        &self,
        task: &StoppedTask,
        topics: Topics,
        deadline: Option<Instant>,
        now: i64,
    ) -> Result<Outcome> {
        tracing::info!(event = %task.event_id, task = %task.detail.task_arn, "diagnosing stopped task");
        // The event alone gives the classifier's signature: a repeat of a recent diagnosis
        // is counted without diagnosing it again.
        let sketch = diagnose_facts(&event_facts(task));
        let signature = dedup::signature(&sketch.task, &sketch.failure, sketch.workload());
        let mut decided = None;
        if let Some(ledger) = &self.ledger
            && let Some(recent) = ledger.recent(&signature, now).await?
        {
            let decision = ledger
                .record(&recent.alert_key, sketch.workload(), now)
                .await?;
            if let Decision::Suppress { total, .. } = decision {
                tracing::info!(task = %task.detail.task_arn, total, "repeat of a recent diagnosis; counted");
                return Ok(Outcome::Suppressed {
                    task: task.detail.task_arn.clone(),
                    root_cause: recent.root_cause,
                    total,
                });
            }
            decided = Some((recent.alert_key, decision));
        }
        let (_, mut report) = self
            .diagnose(Target::Event(task), Some(&task.region), deadline)
            .await?;
        self.alert(
            &mut report,
            Some(&signature),
            Some(&task.raw),
            topics,
            decided,
            now,
        )
        .await
    }

    /// Publishes a report the way the Lambda does: through the ledger when there is one
    /// (one alert per root cause and window, history kept), else always.
    pub async fn alert(
        &self,
        report: &mut Report,
        signature: Option<&str>,
        raw_event: Option<&Value>,
        topics: Topics,
        decided: Option<(String, Decision)>,
        now: i64,
    ) -> Result<Outcome> {
        let task = report.task.arn.clone();
        let Some(ledger) = &self.ledger else {
            let message_id = self.publish(report, topics).await?;
            return Ok(Outcome::Published {
                task,
                root_cause: report.root_cause.clone(),
                message_id,
            });
        };
        let key = dedup::alert_key(report);
        let decision = match decided {
            Some((decided_key, decision)) if decided_key == key => decision,
            _ => ledger.record(&key, report.workload(), now).await?,
        };
        if let Some(signature) = signature {
            let recent = Recent {
                root_cause: report.root_cause.clone(),
                alert_key: key.clone(),
                window_ends_at: ledger.window_ends(now),
            };
            ledger.remember(signature, &recent, now).await?;
        }
        if report.root_cause.is_none() {
            // "Probably transient" reads differently when this revision failed before.
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
                .filter(|e| {
                    serde_json::from_str::<Report>(&e.report)
                        .is_ok_and(|r| r.task.task_definition.as_deref() == Some(definition))
                })
                .count();
            report.evidence.push(match before {
                0 => format!("Task definition {definition} has not failed before (ledger history)."),
                n => format!("Task definition {definition} failed {n} time(s) before (ledger history): look at the skipped checks, or what changed outside the task's configuration."),
            });
        }
        let entry = HistoryEntry {
            account: report.task.account.clone(),
            region: report.task.region.clone(),
            cluster: report.task.cluster.clone(),
            service: report.workload().to_string(),
            task_id: crate::facts::arn_resource_name(&report.task.arn).to_string(),
            time: report
                .task
                .stopped_at
                .clone()
                .or_else(|| rfc3339(now))
                .unwrap_or_default(),
            root_cause: report.root_cause.clone(),
            report: serde_json::to_string(report).expect("a report serializes"),
            event: raw_event.map(Value::to_string).unwrap_or_default(),
        };
        ledger.keep(&entry, now).await?;
        match decision {
            Decision::Suppress { total, .. } => Ok(Outcome::Suppressed {
                task,
                root_cause: report.root_cause.clone(),
                total,
            }),
            Decision::Alert {
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
                match self.publish(report, topics).await {
                    Ok(message_id) => Ok(Outcome::Published {
                        task,
                        root_cause: report.root_cause.clone(),
                        message_id,
                    }),
                    Err(error) => {
                        // Let Lambda's retry alert again.
                        if let Err(reopen) = ledger.reopen(&key).await {
                            tracing::error!(%reopen, "could not reopen the alert window");
                        }
                        Err(error)
                    }
                }
            }
        }
    }

    /// Publishes a report (no ledger).
    async fn publish(&self, report: &Report, topics: Topics) -> Result<String> {
        let region = Some(report.task.region.as_str()).filter(|r| !r.is_empty());
        let message_id = Notifier::new(self.clients.get(region).sns.clone(), topics)
            .publish(report)
            .await?;
        tracing::info!(
            task = %report.task.arn,
            root_cause = report.root_cause.as_deref().unwrap_or("none"),
            %message_id,
            "diagnosis published"
        );
        Ok(message_id)
    }
}
