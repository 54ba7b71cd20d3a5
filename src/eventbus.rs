//! Puts every diagnosis on an EventBridge bus (part of the notify stage: it talks to AWS), so
//! teams route findings with rules on the report's own fields (`detail.rootCause`,
//! `detail.task.cluster`, ...) to pagers, OpsCenter or API destinations. The event is
//! `source: ecs-task-doctor`, `detail-type: ECS Task Diagnosis`, `resources: [task ARN]` and
//! `detail` = the report JSON, trimmed like the SNS message to fit EventBridge's entry limit,
//! plus the routing fields the report itself does not hold (`severity`, `category`, `service`:
//! the report topic's message attributes), so a rule can match `detail.severity`.

use crate::arn::ArnParts;
use crate::error::{Error, Result, sdk_message};
use crate::notify::routing_attributes;
use crate::verdict::Report;
use crate::verdict::fit_report;
use aws_config::{Region, SdkConfig};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

pub const SOURCE: &str = "ecs-task-doctor";
pub const DETAIL_TYPE: &str = "ECS Task Diagnosis";
/// EventBridge's limit for one PutEvents entry (256 KB): the UTF-8 bytes of `Source`,
/// `DetailType`, `Detail` and each of `Resources` together (plus 14 for a `Time`, not set here).
pub const ENTRY_LIMIT: usize = 262_144;
/// The variable naming the bus: `default`, a bus name, or a bus ARN. Unset or empty: no events.
pub const BUS_VARIABLE: &str = "FINDINGS_BUS";

/// The PutEvents entry for a report, and how many findings were left out to fit the limit.
pub fn entry(report: &Report, bus: &str) -> (PutEventsRequestEntry, usize) {
    let resource = &report.task.arn;
    let room = ENTRY_LIMIT - SOURCE.len() - DETAIL_TYPE.len() - resource.len();
    let (detail, dropped) = fit_report(report, room, "an EventBridge entry", detail);
    let entry = PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(SOURCE)
        .detail_type(DETAIL_TYPE)
        .resources(resource)
        .detail(detail)
        .build();
    (entry, dropped)
}

/// Routing fields the report JSON lacks, added to the event's detail.
const ADDED_FIELDS: [&str; 3] = ["severity", "category", "service"];

/// The report JSON with the routing fields added.
fn detail(report: &Report) -> String {
    let mut detail = serde_json::to_value(report).expect("a report serializes");
    for (name, value) in routing_attributes(report) {
        if ADDED_FIELDS.contains(&name) {
            detail[name] = serde_json::Value::String(value);
        }
    }
    detail.to_string()
}

/// Checks a `FINDINGS_BUS` value: a bus name (`default` is the account's default bus) or an
/// event-bus ARN. Returns the region of an ARN, where PutEvents must be called.
pub fn parse_bus(bus: &str) -> Result<Option<&str>> {
    let bad = |why: &str| Error::Config(format!("{BUS_VARIABLE} {why}"));
    if let Some(arn) = ArnParts::parse(bus) {
        let name = arn.resource.strip_prefix("event-bus/").unwrap_or_default();
        if arn.service != "events" || arn.region.is_empty() || !is_bus_name(name) {
            return Err(bad(
                "is an ARN but not an event bus's (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)",
            ));
        }
        return Ok(Some(arn.region));
    }
    if is_bus_name(bus) {
        Ok(None)
    } else {
        Err(bad(
            "must be default, an event bus name or an event bus ARN",
        ))
    }
}

/// EventBridge's bus name pattern `[/\.\-_A-Za-z0-9]+`, at most 256 characters.
fn is_bus_name(name: &str) -> bool {
    (1..=256).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'))
}

pub struct Publisher {
    events: aws_sdk_eventbridge::Client,
    bus: String,
}

impl Publisher {
    pub fn new(events: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        Publisher {
            events,
            bus: bus.into(),
        }
    }

    /// The publisher `FINDINGS_BUS` names, with a client in the bus's region (an ARN's, else
    /// the configuration's); `None` when the variable is unset or empty.
    pub fn from_env(config: &SdkConfig) -> Result<Option<Self>> {
        let Some(bus) = std::env::var(BUS_VARIABLE).ok().filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let config = match parse_bus(&bus)? {
            Some(region) => config
                .to_builder()
                .region(Region::new(region.to_string()))
                .build(),
            None => config.clone(),
        };
        Ok(Some(Publisher::new(
            aws_sdk_eventbridge::Client::new(&config),
            bus,
        )))
    }

    pub fn bus(&self) -> &str {
        &self.bus
    }

    /// Puts the report on the bus; returns the event id.
    pub async fn put(&self, report: &Report) -> Result<String> {
        let (entry, dropped) = entry(report, &self.bus);
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "findings left out to fit EventBridge's entry limit"
            );
        }
        let failed = |message: String| Error::Publish {
            topic: format!("event bus {}", self.bus),
            message,
        };
        let out = self
            .events
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| failed(sdk_message(&e)))?;
        // PutEvents answers 200 with per-entry errors.
        let result = out.entries().first();
        match result.and_then(|r| r.event_id()) {
            Some(id) if out.failed_entry_count() == 0 => Ok(id.to_string()),
            _ => Err(failed(format!(
                "{}: {}",
                result.and_then(|r| r.error_code()).unwrap_or("no event id"),
                result.and_then(|r| r.error_message()).unwrap_or_default()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::test_support::broken_report;
    use serde_json::Value;

    fn size(entry: &PutEventsRequestEntry) -> usize {
        entry.source().unwrap().len()
            + entry.detail_type().unwrap().len()
            + entry.detail().unwrap().len()
            + entry.resources().iter().map(String::len).sum::<usize>()
    }

    #[test]
    fn the_event_is_the_report_with_source_type_and_task() {
        let report = broken_report();
        let (entry, dropped) = entry(&report, "default");
        assert_eq!(dropped, 0);
        assert_eq!(entry.event_bus_name(), Some("default"));
        assert_eq!(entry.source(), Some("ecs-task-doctor"));
        assert_eq!(entry.detail_type(), Some("ECS Task Diagnosis"));
        assert_eq!(entry.resources(), std::slice::from_ref(&report.task.arn));
        let detail: Value = serde_json::from_str(entry.detail().unwrap()).unwrap();
        assert_eq!(detail["severity"], "critical");
        assert_eq!(detail["category"], "network-route");
        assert_eq!(detail["service"], "web");
        // Otherwise the report JSON as it is.
        let mut bare = detail.clone();
        for field in ADDED_FIELDS {
            bare.as_object_mut().unwrap().remove(field);
        }
        assert_eq!(bare, serde_json::to_value(&report).unwrap());
    }

    #[test]
    fn an_oversized_report_is_trimmed_under_the_entry_limit_keeping_the_root_cause() {
        // moto accepts entries over 256 KB (AWS refuses them), so the limit is tested here.
        let mut report = broken_report();
        let filler = report.findings[0].clone();
        for n in 0..400 {
            let mut pass = filler.clone();
            pass.id = format!("filler.pass-{n}");
            pass.status = Status::Pass;
            pass.detail = "x".repeat(1_000);
            report.findings.push(pass);
        }
        assert!(serde_json::to_string(&report).unwrap().len() > ENTRY_LIMIT);

        let (entry, dropped) = entry(&report, "default");

        assert!(dropped > 0);
        assert!(size(&entry) <= ENTRY_LIMIT, "{}", size(&entry));
        let detail: Value = serde_json::from_str(entry.detail().unwrap()).unwrap();
        assert_eq!(detail["rootCause"], "network.default-route");
        assert!(
            detail["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == "network.default-route")
        );
    }

    #[test]
    fn bus_names_and_arns_are_checked() {
        assert_eq!(parse_bus("default").unwrap(), None);
        assert_eq!(parse_bus("findings").unwrap(), None);
        assert_eq!(
            parse_bus("arn:aws:events:eu-west-1:123456789012:event-bus/findings").unwrap(),
            Some("eu-west-1")
        );
        for bad in [
            "arn:aws:sns:eu-west-1:123456789012:topic",
            "arn:aws:events:eu-west-1:123456789012:rule/findings",
            "arn:aws:events::123456789012:event-bus/findings",
            "find ings",
        ] {
            let error = parse_bus(bad).unwrap_err().to_string();
            assert!(error.contains("FINDINGS_BUS"), "{bad}: {error}");
            assert!(!error.contains('\n'));
        }
    }
}
