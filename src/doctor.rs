//! The pipeline, shared by the Lambda and the CLI: event → reason → collect → checks →
//! verdict, then the alert stage ([`crate::alert`]: ledger → notify).

use crate::accounts::{Accounts, MemberRole};
use crate::alert::{Alerter, Stop};
use crate::arn::{ArnParts, arn_resource_name};
use crate::aws::{ClientCache, load_config};
use crate::collect::{Target, collect, event_facts, unreachable_facts};
use crate::error::{Error, Result};
use crate::event::{Intake, intake};
use crate::facts::{Facts, Task};
use crate::ledger::Ledger;
use crate::notify::{Notifier, Topics};
use crate::verdict::Report;
use crate::{checks, reason, verdict};
use serde_json::Value;
use tokio::time::Instant;

pub use crate::alert::Outcome;

/// Diagnoses facts already gathered: pure, no AWS calls (`diagnose --facts`).
pub fn diagnose_facts(facts: &Facts) -> Report {
    let failure = reason::classify(&facts.task.stopped_reason);
    verdict::judge(facts, failure, checks::run_all(facts))
}

pub struct Doctor {
    /// The doctor's own clients, and the member accounts' through their role.
    accounts: Accounts,
    /// The alert ledger (DEDUP_TABLE); without one every diagnosis alerts.
    ledger: Option<Ledger>,
}

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
        }
    }

    /// The doctor the Lambda runs: the standard AWS configuration chain, the member role
    /// (MEMBER_ROLE_NAME) and the ledger the environment names (DEDUP_TABLE,
    /// DEDUP_WINDOW_MINUTES, HISTORY_RETENTION_DAYS).
    pub async fn from_env() -> Result<Self> {
        Doctor::from_env_with(MemberRole::from_env()).await
    }

    /// [`Doctor::from_env`] with the member role given (the CLI's `--account`, `--role-arn`).
    pub async fn from_env_with(role: MemberRole) -> Result<Self> {
        let config = load_config().await;
        let ledger = Ledger::from_env(aws_sdk_dynamodb::Client::new(&config))?;
        Ok(Doctor::with_accounts(ClientCache::new(config), role).with_ledger(ledger))
    }

    /// Alerts go through the ledger: one per root cause and window, history kept.
    pub fn with_ledger(mut self, ledger: Option<Ledger>) -> Self {
        self.ledger = ledger;
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
        let facts = match self.accounts.access(account, &region_name, session).await {
            // Boxed: the collection's future is large, and stacks of worker threads are not.
            Ok(reader) => Box::pin(collect(&reader, region, target, deadline)).await?,
            Err(gap) => match target {
                Target::Event(event) => unreachable_facts(event, gap),
                Target::Named { .. } => {
                    return Err(Error::Aws {
                        call: "sts:AssumeRole",
                        message: gap.reason,
                    });
                }
            },
        };
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
