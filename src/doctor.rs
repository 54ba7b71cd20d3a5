//! The pipeline, shared by the Lambda and the CLI: event → reason → collect → checks →
//! verdict, then the alert stage ([`crate::alert`]: ledger → notify).

use crate::alert::{Alerter, Stop};
use crate::aws::{ClientCache, load_config};
use crate::collect::{LOOKBACK_DAYS, Target, collect, event_facts, last_change};
use crate::error::{Error, Result};
use crate::event::{Intake, intake};
use crate::facts::{Facts, Task};
use crate::ledger::Ledger;
use crate::notify::{Notifier, Topics};
use crate::verdict::Report;
use crate::{change, checks, reason, verdict};
use serde_json::Value;
use tokio::time::Instant;

pub use crate::alert::Outcome;

/// Diagnoses facts already gathered: pure, no AWS calls (`diagnose --facts`).
pub fn diagnose_facts(facts: &Facts) -> Report {
    let mut report = judge(facts);
    verdict::add_context(&mut report, facts);
    report
}

/// The verdict without the change context: the root cause, which the context is about.
fn judge(facts: &Facts) -> Report {
    let failure = reason::classify(&facts.task.stopped_reason);
    verdict::judge(facts, failure, checks::run_all(facts))
}

pub struct Doctor {
    clients: ClientCache,
    /// The alert ledger (DEDUP_TABLE); without one every diagnosis alerts.
    ledger: Option<Ledger>,
    /// How far back CloudTrail is asked for the last change (CHANGE_LOOKBACK_DAYS).
    lookback_days: u32,
}

/// CloudTrail keeps 90 days of management events.
const MAX_LOOKBACK_DAYS: u32 = 90;

/// CHANGE_LOOKBACK_DAYS through `lookup`: 1 to 90, default [`LOOKBACK_DAYS`].
fn lookback_days(lookup: impl Fn(&str) -> Option<String>) -> Result<u32> {
    let Some(value) = lookup("CHANGE_LOOKBACK_DAYS").filter(|v| !v.trim().is_empty()) else {
        return Ok(LOOKBACK_DAYS);
    };
    value
        .trim()
        .parse()
        .ok()
        .filter(|days| (1..=MAX_LOOKBACK_DAYS).contains(days))
        .ok_or_else(|| {
            Error::Config(format!(
                "CHANGE_LOOKBACK_DAYS must be a whole number of days from 1 to                  {MAX_LOOKBACK_DAYS}, not {value:?}"
            ))
        })
}

impl Doctor {
    pub fn new(clients: ClientCache) -> Self {
        Doctor {
            clients,
            ledger: None,
            lookback_days: LOOKBACK_DAYS,
        }
    }

    /// How many days back CloudTrail is asked for the root cause's last change.
    pub fn with_lookback_days(mut self, days: u32) -> Self {
        self.lookback_days = days;
        self
    }

    /// The doctor the Lambda runs: the standard AWS configuration chain, the ledger the
    /// environment names (DEDUP_TABLE, DEDUP_WINDOW_MINUTES, HISTORY_RETENTION_DAYS) and the
    /// CloudTrail look-back (CHANGE_LOOKBACK_DAYS).
    pub async fn from_env() -> Result<Self> {
        let config = load_config().await;
        let ledger = Ledger::from_env(aws_sdk_dynamodb::Client::new(&config))?;
        let days = lookback_days(|name| std::env::var(name).ok())?;
        Ok(Doctor::new(ClientCache::new(config))
            .with_ledger(ledger)
            .with_lookback_days(days))
    }

    /// Alerts go through the ledger: one per root cause and window, history kept.
    pub fn with_ledger(mut self, ledger: Option<Ledger>) -> Self {
        self.ledger = ledger;
        self
    }

    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.as_ref()
    }

    pub fn clients(&self) -> &ClientCache {
        &self.clients
    }

    /// Gathers the facts of a task and diagnoses them.
    ///
    /// The root cause is known only after the checks, so who last changed its resource is
    /// one more, small collection round after the verdict (CloudTrail, inside the deadline);
    /// the context is then added to the report.
    pub async fn diagnose(
        &self,
        target: Target<'_>,
        region: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<(Facts, Report)> {
        // Boxed: the collection's future is large, and stacks of worker threads are not.
        let mut facts = Box::pin(collect(&self.clients, region, target, deadline)).await?;
        let mut report = judge(&facts);
        let resource = report
            .root_finding()
            .and_then(change::root_resource)
            .map(str::to_string);
        if let Some(resource) = resource {
            let task_region = Some(facts.task.region.as_str()).filter(|r| !r.is_empty());
            facts.change.last_change = Some(
                last_change(
                    &self.clients,
                    task_region.or(region),
                    &resource,
                    self.lookback_days,
                    deadline,
                )
                .await,
            );
        }
        verdict::add_context(&mut report, &facts);
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
        self.handle_event_at(input, topics, deadline, chrono::Utc::now().timestamp())
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
        tracing::info!(event = %task.event_id, task = %task.detail.task_arn, "diagnosing stopped task");
        let known = event_facts(&task).task;
        let stop = Stop {
            task: &known,
            event_id: Some(&task.event_id),
            raw_event: Some(&task.raw),
        };
        let diagnosis = async {
            let (_, report) = self
                .diagnose(Target::Event(&task), Some(&task.region), deadline)
                .await?;
            Ok(report)
        };
        let delivery = Box::pin(self.alerter(topics, &known).run(stop, now, diagnosis)).await?;
        Ok(delivery.outcome)
    }

    /// `diagnose --publish`: a report already made goes through the same alert sequence as
    /// the Lambda's (no event claim: the operator asked for it). Returns the outcome and the
    /// report as it was kept and published.
    pub async fn publish(
        &self,
        task: &Task,
        report: Report,
        raw_event: Option<&Value>,
        topics: Topics,
        now: i64,
    ) -> Result<(Outcome, Report)> {
        let stop = Stop {
            task,
            event_id: None,
            raw_event,
        };
        let fallback = report.clone();
        let delivery = self
            .alerter(topics, task)
            .run(stop, now, async { Ok(report) })
            .await?;
        Ok((delivery.outcome, delivery.report.unwrap_or(fallback)))
    }

    /// The alert stage for a task: SNS in the task's region.
    fn alerter(&self, topics: Topics, task: &Task) -> Alerter<'_> {
        let region = Some(task.region.as_str()).filter(|r| !r.is_empty());
        let sns = self.clients.get(region).sns.clone();
        Alerter::new(self.ledger.as_ref(), Notifier::new(sns, topics))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lookback_is_one_to_ninety_days() {
        let env = |value: &'static str| move |_: &str| Some(value.to_string());
        assert_eq!(lookback_days(|_| None).unwrap(), LOOKBACK_DAYS);
        assert_eq!(lookback_days(env("30")).unwrap(), 30);
        for bad in ["0", "91", "a week"] {
            let error = lookback_days(env(bad)).unwrap_err().to_string();
            assert!(error.contains("CHANGE_LOOKBACK_DAYS"), "{error}");
            assert!(!error.contains('\n'));
        }
    }
}
