//! The pipeline, shared by the Lambda and the CLI: event → reason → collect → checks →
//! verdict, then the alert stage ([`crate::alert`]: ledger → notify), then the diagnosis on the
//! findings bus ([`crate::eventbus`]) and its metric line ([`crate::metrics`]).

use crate::accounts::{Accounts, MemberRole};
use crate::alert::{Alerter, Stop};
use crate::arn::{ArnParts, arn_resource_name};
use crate::aws::{ClientCache, load_config};
use crate::collect::{
    LOOKBACK_DAYS, Target, collect, event_facts, last_change, resource_tags, unreachable_facts,
};
use crate::error::{Error, Result};
use crate::event::{Intake, intake};
use crate::eventbus::Publisher;
use crate::facts::{Facts, Task};
use crate::ledger::Ledger;
use crate::metrics::{Measured, Sample, Sink};
use crate::notify::{Notifier, Topics};
use crate::verdict::Report;
use crate::{change, checks, reason, verdict};
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;
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
    let failure = reason::classify(facts.task.failure_text());
    verdict::judge(facts, failure, checks::run_all(facts))
}

pub struct Doctor {
    /// The doctor's own clients, and the member accounts' through their role.
    accounts: Accounts,
    /// The alert ledger (DEDUP_TABLE); without one every diagnosis alerts.
    ledger: Option<Ledger>,
    /// The findings bus (FINDINGS_BUS); without one no event is put.
    findings: Option<Publisher>,
    /// Where [`Doctor::handle_event`] writes a metric line per stopped task: the Lambda's
    /// stdout. None: no metrics.
    metrics: Option<Sink>,
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
                "CHANGE_LOOKBACK_DAYS must be a whole number of days from 1 to {MAX_LOOKBACK_DAYS}, not {value:?}"
            ))
        })
}

/// How long putting a diagnosis on the findings bus may take: it runs after the alert, inside
/// the time kept back from the Lambda's deadline for publishing.
const PUT_EVENT_TIMEOUT: Duration = Duration::from_secs(2);

impl Doctor {
    /// A doctor of one account: tasks of other accounts are not read.
    pub fn new(clients: ClientCache) -> Self {
        Doctor::with_accounts(clients, MemberRole::None)
    }

    /// A doctor that reads other accounts' tasks through `role`.
    pub fn with_accounts(clients: ClientCache, role: MemberRole) -> Self {
        Doctor {
            accounts: Accounts::new(clients, role),
            ledger: None,
            findings: None,
            metrics: None,
            lookback_days: LOOKBACK_DAYS,
        }
    }

    /// How many days back CloudTrail is asked for the root cause's last change.
    pub fn with_lookback_days(mut self, days: u32) -> Self {
        self.lookback_days = days;
        self
    }

    /// The doctor the Lambda runs: the standard AWS configuration chain, the member role
    /// (MEMBER_ROLE_NAME), the ledger the environment names (DEDUP_TABLE,
    /// DEDUP_WINDOW_MINUTES, HISTORY_RETENTION_DAYS, EVENT_LEASE_SECONDS), the findings bus
    /// (FINDINGS_BUS) and the CloudTrail look-back (CHANGE_LOOKBACK_DAYS).
    pub async fn from_env() -> Result<Self> {
        Doctor::from_env_with(MemberRole::from_env()).await
    }

    /// [`Doctor::from_env`] with the member role given (the CLI's `--account`, `--role-arn`).
    pub async fn from_env_with(role: MemberRole) -> Result<Self> {
        let config = load_config().await;
        let ledger = Ledger::from_env(aws_sdk_dynamodb::Client::new(&config))?;
        let findings = Publisher::from_env(&config)?;
        let days = lookback_days(|name| std::env::var(name).ok())?;
        Ok(Doctor::with_accounts(ClientCache::new(config), role)
            .with_ledger(ledger)
            .with_findings_bus(findings)
            .with_lookback_days(days))
    }

    /// Alerts go through the ledger: one per root cause and window, history kept.
    pub fn with_ledger(mut self, ledger: Option<Ledger>) -> Self {
        self.ledger = ledger;
        self
    }

    /// Every diagnosis that ran is also put on this bus, alerting or not.
    pub fn with_findings_bus(mut self, findings: Option<Publisher>) -> Self {
        self.findings = findings;
        self
    }

    /// One embedded-metric-format line per stopped task the Lambda handles (diagnosed, or
    /// counted as a repeat).
    pub fn with_metrics(mut self, metrics: Option<Sink>) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.as_ref()
    }

    /// The doctor's own clients.
    pub fn clients(&self) -> &ClientCache {
        self.accounts.own()
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// Gathers the facts of a task, in the account its event or ARN names, and diagnoses them.
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
        let account = match &target {
            Target::Event(event) => event.account.clone(),
            Target::Named { cluster, task } => [task, cluster]
                .iter()
                .find_map(|arn| ArnParts::parse(arn).map(|p| p.account.to_string()))
                .unwrap_or_default(),
        };
        self.diagnose_in(&account, target, region, deadline).await
    }

    /// [`Doctor::diagnose`] of a task of `account` (the doctor's own when empty). Every read
    /// goes to that account; if it cannot be reached, an event's task is still diagnosed
    /// from the event, with the gap saying why.
    pub async fn diagnose_in(
        &self,
        account: &str,
        target: Target<'_>,
        region: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<(Facts, Report)> {
        let region_name = region
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .or_else(|| self.clients().base().region().map(|r| r.to_string()))
            .unwrap_or_default();
        let session = match &target {
            Target::Event(event) => arn_resource_name(&event.detail.task_arn),
            Target::Named { task, .. } => arn_resource_name(task),
        };
        let reader = match self.accounts.access(account, &region_name, session).await {
            Ok(reader) => reader,
            Err(gap) => {
                return match target {
                    Target::Event(event) => {
                        let facts = unreachable_facts(event, gap);
                        let report = diagnose_facts(&facts);
                        Ok((facts, report))
                    }
                    Target::Named { .. } => Err(Error::Aws {
                        call: "sts:AssumeRole",
                        message: gap.reason,
                    }),
                };
            }
        };
        // Boxed: the collection's future is large, and stacks of worker threads are not.
        let mut facts = Box::pin(collect(&reader, region, target, deadline)).await?;
        let mut report = judge(&facts);
        let resource = report
            .root_finding()
            .and_then(change::root_resource)
            .map(str::to_string);
        if let Some(resource) = resource {
            let task_region = Some(facts.task.region.as_str()).filter(|r| !r.is_empty());
            // Who changed it, and (for kinds whose describe answer has no tags) its tags,
            // side by side: one round.
            let (change, tags) = tokio::join!(
                last_change(
                    reader.clients(),
                    task_region.or(region),
                    &resource,
                    self.lookback_days,
                    deadline,
                ),
                resource_tags(
                    reader.clients(),
                    task_region.or(region),
                    &facts.task.account,
                    &resource,
                    deadline,
                ),
            );
            facts.change.last_change = Some(change);
            facts.change.resource_tags = tags;
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
                // The reason quotes the stoppedReason, which may carry a presigned URL.
                let why = crate::text::redact(&why);
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
        let measured = OnceLock::new();
        let diagnosis = async {
            let started = Instant::now();
            let (facts, report) = self
                .diagnose(Target::Event(&task), Some(&task.region), deadline)
                .await?;
            let _ = measured.set(Measured {
                duration: started.elapsed(),
                reads_skipped: facts.gaps.len(),
            });
            Ok(report)
        };
        let delivery = Box::pin(self.alerter(topics, &known).run(stop, now, diagnosis)).await?;
        // The alert sequence is done; the bus and the metrics can no longer fail the event.
        let sample = match (&delivery.report, measured.get()) {
            (Some(report), Some(measured)) => {
                self.put_finding(report).await;
                Some(Sample::diagnosed(report, *measured))
            }
            // Counted as a repeat of a recent diagnosis, before any read.
            _ => match &delivery.outcome {
                Outcome::Suppressed { root_cause, .. } => {
                    Some(Sample::repeat(known.cluster_name(), root_cause.as_deref()))
                }
                _ => None,
            },
        };
        if let (Some(sink), Some(sample)) = (&self.metrics, sample) {
            sink.emit(&sample);
        }
        Ok(delivery.outcome)
    }

    /// Puts a diagnosis on the findings bus, if there is one. A failure is logged and never
    /// fails the invocation: the alert sequence already ran (a retry would be dropped as a
    /// duplicate anyway), and the bus is a copy for routing, not the alert.
    async fn put_finding(&self, report: &Report) {
        let Some(findings) = &self.findings else {
            return;
        };
        match tokio::time::timeout(PUT_EVENT_TIMEOUT, findings.put(report)).await {
            Ok(Ok(event_id)) => {
                tracing::info!(bus = %findings.bus(), %event_id, "diagnosis put on the findings bus")
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "the diagnosis was not put on the findings bus")
            }
            Err(_) => tracing::error!(
                bus = %findings.bus(),
                "the diagnosis was not put on the findings bus: PutEvents timed out"
            ),
        }
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
        if let Some(report) = &delivery.report {
            self.put_finding(report).await;
        }
        Ok((delivery.outcome, delivery.report.unwrap_or(fallback)))
    }

    /// The alert stage for a task: SNS with the doctor's own credentials in the alert topic's
    /// region (a member account's task may run in another region).
    fn alerter(&self, topics: Topics, task: &Task) -> Alerter<'_> {
        let region = ArnParts::parse(&topics.alert)
            .map(|p| p.region)
            .or(Some(task.region.as_str()))
            .filter(|r| !r.is_empty());
        let sns = self.clients().get(region).sns.clone();
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
