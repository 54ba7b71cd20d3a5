//! The pipeline, shared by the Lambda and the CLI: event → reason → collect → checks →
//! verdict → notify.

use crate::aws::ClientCache;
use crate::collect::{Target, collect};
use crate::error::Result;
use crate::event::{Intake, intake};
use crate::facts::Facts;
use crate::notify::{Notifier, Topics};
use crate::verdict::Report;
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
}

/// What the Lambda answers: ignored, or the published diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Outcome {
    Ignored {
        why: String,
    },
    Published {
        task: String,
        root_cause: Option<String>,
        message_id: String,
    },
}

impl Doctor {
    pub fn new(clients: ClientCache) -> Self {
        Doctor { clients }
    }

    /// Gathers the facts of a task and diagnoses them.
    pub async fn diagnose(
        &self,
        target: Target<'_>,
        region: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<(Facts, Report)> {
        let facts = collect(&self.clients, region, target, deadline).await?;
        let report = diagnose_facts(&facts);
        Ok((facts, report))
    }

    /// Publishes a report the way the Lambda does.
    pub async fn publish(&self, report: &Report, topics: Topics) -> Result<String> {
        let clients = self.clients.get(
            Some(&report.task.region)
                .filter(|r| !r.is_empty())
                .map(String::as_str),
        );
        Notifier::new(clients.sns.clone(), topics)
            .publish(report)
            .await
    }

    /// The Lambda's work for one event. Events that are not ours are ignored; malformed input
    /// and a failed publish are errors, so Lambda retries and finally keeps the event.
    ///
    /// `deadline` is when the collection must stop so the alert can still go out: reads still
    /// running then are reported as skipped ("timed out").
    pub async fn handle_event(
        &self,
        input: Value,
        topics: Topics,
        deadline: Option<Instant>,
    ) -> Result<Outcome> {
        let task = match intake(input)? {
            Intake::Ignore(why) => {
                tracing::info!(%why, "event ignored");
                return Ok(Outcome::Ignored { why });
            }
            Intake::Diagnose(task) => task,
        };
        tracing::info!(event = %task.event_id, task = %task.detail.task_arn, "diagnosing stopped task");
        let (_, report) = self
            .diagnose(Target::Event(&task), Some(&task.region), deadline)
            .await?;
        let message_id = self.publish(&report, topics).await?;
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
