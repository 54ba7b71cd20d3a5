//! Publishes a report: one SNS message per diagnosis to the alert topic, with a rendering per
//! protocol (`MessageStructure=json`: `default` the report JSON, `email` the text, `https` the
//! Chatbot notification), and, when configured, the bare report with message attributes to a
//! second topic, because SNS drops attributes from messages whose structure is JSON.

use crate::error::{Error, Result, sdk_message};
use crate::render;
use crate::verdict::{Report, fit_report};
use aws_sdk_sns::types::MessageAttributeValue;

/// SNS's limit for a whole message, all protocol renderings together.
pub const MESSAGE_LIMIT: usize = 262_144;
/// Attempts at the report topic (each with the SDK's own retries) before it is logged as missed.
const REPORT_ATTEMPTS: usize = 2;
/// SNS subjects must be shorter than 100 characters.
const SUBJECT_LIMIT: usize = 99;

/// Where alerts go: the environment variables `TOPIC_ARN` and, optionally, `REPORT_TOPIC_ARN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    pub alert: String,
    pub report: Option<String>,
}

impl Topics {
    pub fn from_env() -> Result<Self> {
        let alert = std::env::var("TOPIC_ARN")
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                Error::Config("TOPIC_ARN is not set: the SNS topic to publish to".into())
            })?;
        let report = std::env::var("REPORT_TOPIC_ARN")
            .ok()
            .filter(|v| !v.is_empty());
        Ok(Topics { alert, report })
    }
}

/// The alert as SNS receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub subject: String,
    /// The `MessageStructure=json` envelope.
    pub message: String,
    /// Findings left out to fit the size limit.
    pub dropped_findings: usize,
}

/// Subject: under 100 characters, one line, naming the account even when long names push it
/// past the limit.
pub fn subject(report: &Report) -> String {
    let one_line = |text: String| -> String {
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    let line = one_line(render::headline(report));
    let subject = crate::text::truncate(&line, SUBJECT_LIMIT);
    let account = one_line(render::account_label(&report.task));
    if subject.contains(&account) {
        return subject;
    }
    crate::text::truncate(&format!("[{account}] {line}"), SUBJECT_LIMIT)
}

fn envelope(report: &Report) -> String {
    let chatbot = serde_json::to_string(&render::chatbot(report)).expect("serializes");
    serde_json::json!({
        "default": serde_json::to_string(report).expect("serializes"),
        "email": render::text(report),
        "https": chatbot,
    })
    .to_string()
}

/// Builds the alert within `limit` bytes.
pub fn alert(report: &Report, limit: usize) -> Alert {
    let (message, dropped_findings) = fit_report(report, limit, "an SNS message", envelope);
    Alert {
        subject: subject(report),
        message,
        dropped_findings,
    }
}

pub struct Notifier {
    sns: aws_sdk_sns::Client,
    topics: Topics,
}

impl Notifier {
    pub fn new(sns: aws_sdk_sns::Client, topics: Topics) -> Self {
        Notifier { sns, topics }
    }

    /// Publishes the human alert. Returns its SNS message id.
    pub async fn publish(&self, report: &Report) -> Result<String> {
        let alert = alert(report, MESSAGE_LIMIT);
        if alert.dropped_findings > 0 {
            tracing::warn!(
                dropped = alert.dropped_findings,
                "findings left out to fit SNS's size limit"
            );
        }
        let sent = self
            .sns
            .publish()
            .topic_arn(&self.topics.alert)
            .subject(&alert.subject)
            .message_structure("json")
            .message(&alert.message)
            .send()
            .await
            .map_err(|e| Error::Publish {
                topic: self.topics.alert.clone(),
                message: sdk_message(&e),
            })?;
        Ok(sent.message_id.unwrap_or_default())
    }

    /// Publishes the routable report when a report topic is set: for machines, after the human
    /// alert went out, so its failure must not fail the invocation (a retry would alert the
    /// humans again). Tried twice, then logged as an error; `false` when it did not go out.
    pub async fn publish_routable(&self, report: &Report) -> bool {
        let Some(topic) = &self.topics.report else {
            return true;
        };
        let mut last = None;
        for _ in 0..REPORT_ATTEMPTS {
            match self.publish_report(topic, report).await {
                Ok(_) => return true,
                Err(error) => last = Some(error),
            }
        }
        if let Some(error) = last {
            tracing::error!(%error, task = %report.task.arn, "the report topic missed this diagnosis; the alert went out");
        }
        false
    }

    async fn publish_report(&self, topic: &str, report: &Report) -> Result<String> {
        // The attributes count towards the limit too; they are short.
        let (body, _) = fit_report(report, MESSAGE_LIMIT - 4_096, "an SNS message", |r| {
            serde_json::to_string(r).expect("serializes")
        });
        let mut request = self.sns.publish().topic_arn(topic).message(body);
        for (name, value) in routing_attributes(report) {
            let attribute = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .expect("data type is set");
            request = request.message_attributes(name, attribute);
        }
        let sent = request.send().await.map_err(|e| Error::Publish {
            topic: topic.to_string(),
            message: sdk_message(&e),
        })?;
        Ok(sent.message_id.unwrap_or_default())
    }
}

/// Attributes subscribers can filter on: account, cluster, service, category, severity,
/// rootCause.
pub fn routing_attributes(report: &Report) -> Vec<(&'static str, String)> {
    let root = report.root_finding();
    vec![
        ("account", report.task.account.clone()),
        ("cluster", report.task.cluster.clone()),
        ("service", report.workload().to_string()),
        (
            "category",
            root.map_or("none".to_string(), |f| f.category.as_str().to_string()),
        ),
        (
            "severity",
            report.severity().map_or("none", |s| s.as_str()).to_string(),
        ),
        (
            "rootCause",
            report.root_cause.clone().unwrap_or_else(|| "none".into()),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::test_support::broken_report;
    use serde_json::Value;

    #[test]
    fn the_envelope_has_a_string_per_protocol_and_a_default() {
        let alert = alert(&broken_report(), MESSAGE_LIMIT);
        let envelope: Value = serde_json::from_str(&alert.message).unwrap();
        // SNS rejects a JSON-structured message without `default` (the emulator does not).
        for key in ["default", "email", "https"] {
            assert!(envelope[key].is_string(), "{key} must be a string");
        }
        let report: Value = serde_json::from_str(envelope["default"].as_str().unwrap()).unwrap();
        assert_eq!(report["rootCause"], "network.default-route");
        let chatbot: Value = serde_json::from_str(envelope["https"].as_str().unwrap()).unwrap();
        assert_eq!(chatbot["version"], "1.0");
        assert_eq!(chatbot["source"], "custom");
        assert!(
            chatbot["content"]["description"]
                .as_str()
                .unwrap()
                .contains("network.default-route")
        );
        assert!(
            envelope["email"]
                .as_str()
                .unwrap()
                .contains("ROOT CAUSE [network.default-route]")
        );
    }

    #[test]
    fn the_subject_names_the_account_even_after_long_names() {
        let mut report = broken_report();
        report.task.account_alias = Some("payments-prod".into());
        assert!(subject(&report).contains("payments-prod (123456789012)"));
        report.task.group = Some(format!("service:{}", "w".repeat(120)));
        let subject = subject(&report);
        assert!(subject.chars().count() < 100, "{subject}");
        assert!(
            subject.starts_with("[payments-prod (123456789012)] "),
            "{subject}"
        );
    }

    #[test]
    fn the_subject_is_one_short_line() {
        let mut report = broken_report();
        report.task.group = Some(format!("service:{}\nsecond-line", "w".repeat(150)));
        let subject = subject(&report);
        assert!(subject.chars().count() < 100, "{subject}");
        assert!(!subject.chars().any(char::is_control));
    }

    #[test]
    fn oversized_alerts_drop_the_least_important_findings_never_the_root_cause() {
        let mut report = broken_report();
        let filler = report.findings[0].clone();
        for n in 0..400 {
            let mut pass = filler.clone();
            pass.id = format!("filler.pass-{n}");
            pass.status = Status::Pass;
            pass.detail = "x".repeat(1_000);
            report.findings.push(pass);
        }
        let mut warn = filler.clone();
        warn.id = "filler.warn".into();
        warn.status = Status::Warn;
        report.findings.push(warn);

        let alert = alert(&report, MESSAGE_LIMIT);

        assert!(alert.message.len() <= MESSAGE_LIMIT);
        assert!(alert.dropped_findings > 0);
        let envelope: Value = serde_json::from_str(&alert.message).unwrap();
        let kept: Report = serde_json::from_str(envelope["default"].as_str().unwrap()).unwrap();
        assert_eq!(kept.root_cause.as_deref(), Some("network.default-route"));
        assert!(kept.root_finding().is_some(), "the root cause stays");
        assert!(
            kept.findings.iter().any(|f| f.id == "filler.warn"),
            "warnings go after passes"
        );
    }

    #[test]
    fn routing_attributes_name_account_cluster_service_category_severity_root() {
        let attributes = routing_attributes(&broken_report());
        let get = |name: &str| {
            attributes
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("account"), Some("123456789012"));
        assert_eq!(get("cluster"), Some("demo"));
        assert_eq!(get("service"), Some("web"));
        assert_eq!(get("category"), Some("network-route"));
        assert_eq!(get("severity"), Some("critical"));
        assert_eq!(get("rootCause"), Some("network.default-route"));
    }
}
