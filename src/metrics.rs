//! CloudWatch metrics without a CloudWatch call: one embedded-metric-format (EMF) line per
//! stopped task the Lambda handled, printed to stdout, which Lambda writes to the function's log
//! group; CloudWatch Logs turns the line into metrics. The names here are the ones the stack's
//! dashboard queries (template.yaml `Dashboard`; a test keeps the two equal).
//!
//! Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

use crate::verdict::Report;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const NAMESPACE: &str = "EcsTaskDoctor";

/// One per stopped task that failed to start: diagnosed, or counted as a repeat of a recent
/// diagnosis. By root-cause id, by category and by cluster (one dimension each).
pub const START_FAILURES: &str = "StartFailures";
/// How long the diagnosis took (collect, checks, verdict), in milliseconds. No dimension.
pub const DIAGNOSIS_DURATION: &str = "DiagnosisDuration";
/// Reads that failed or timed out in a diagnosis (each skips the checks that needed it).
pub const READS_SKIPPED: &str = "ReadsSkipped";

pub const ROOT_CAUSE: &str = "RootCause";
pub const CATEGORY: &str = "Category";
pub const CLUSTER: &str = "Cluster";

/// Every metric name the doctor emits.
pub const METRICS: [&str; 3] = [START_FAILURES, DIAGNOSIS_DURATION, READS_SKIPPED];
/// Every dimension name the doctor emits.
pub const DIMENSIONS: [&str; 3] = [ROOT_CAUSE, CATEGORY, CLUSTER];

/// The dimension value when there is no root cause (nothing failed) or no cluster name.
const NONE: &str = "none";
/// CloudWatch's limit for a dimension value.
const DIMENSION_VALUE_LIMIT: usize = 1_024;

/// What a diagnosis measured about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured {
    pub duration: Duration,
    pub reads_skipped: usize,
}

/// One stopped task as the metrics see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub cluster: String,
    pub root_cause: Option<String>,
    pub category: Option<String>,
    /// `None` for a repeat counted without diagnosing it again.
    pub measured: Option<Measured>,
}

impl Sample {
    /// A diagnosis that ran.
    pub fn diagnosed(report: &Report, measured: Measured) -> Self {
        Sample {
            cluster: report.task.cluster.clone(),
            root_cause: report.root_cause.clone(),
            category: report
                .root_finding()
                .map(|f| f.category.as_str().to_string()),
            measured: Some(measured),
        }
    }

    /// A repeat the ledger counted before any read: its root cause is the recent diagnosis's.
    pub fn repeat(cluster: &str, root_cause: Option<&str>) -> Self {
        Sample {
            cluster: cluster.to_string(),
            root_cause: root_cause.map(str::to_string),
            category: root_cause
                .and_then(crate::checks::by_id)
                .map(|check| check.category.as_str().to_string()),
            measured: None,
        }
    }
}

fn dimension_value(value: Option<&str>) -> String {
    let value = value.filter(|v| !v.is_empty()).unwrap_or(NONE);
    crate::text::truncate(value, DIMENSION_VALUE_LIMIT)
}

/// The EMF document for one sample, at `timestamp_ms` (epoch milliseconds).
///
/// Two directives: the count with one dimension set per dimension (so a dashboard can search
/// `{EcsTaskDoctor,Category}` and get exactly the per-category series), and the duration and
/// skipped reads without dimensions, which would only multiply the custom metrics billed.
pub fn document(sample: &Sample, timestamp_ms: i64) -> Value {
    let mut directives = vec![json!({
        "Namespace": NAMESPACE,
        "Dimensions": DIMENSIONS.iter().map(|d| [d]).collect::<Vec<_>>(),
        "Metrics": [{ "Name": START_FAILURES, "Unit": "Count" }],
    })];
    let mut doc = json!({
        ROOT_CAUSE: dimension_value(sample.root_cause.as_deref()),
        CATEGORY: dimension_value(sample.category.as_deref()),
        CLUSTER: dimension_value(Some(&sample.cluster)),
        START_FAILURES: 1,
    });
    if let Some(measured) = sample.measured {
        directives.push(json!({
            "Namespace": NAMESPACE,
            "Dimensions": [[]],
            "Metrics": [
                { "Name": DIAGNOSIS_DURATION, "Unit": "Milliseconds" },
                { "Name": READS_SKIPPED, "Unit": "Count" },
            ],
        }));
        doc[DIAGNOSIS_DURATION] = json!(measured.duration.as_millis() as u64);
        doc[READS_SKIPPED] = json!(measured.reads_skipped);
    }
    doc["_aws"] = json!({ "Timestamp": timestamp_ms, "CloudWatchMetrics": directives });
    doc
}

/// Where the metric lines go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// The Lambda's stdout, which Lambda writes to the function's log group.
    Stdout,
    /// Kept in memory, for a caller (a test) to read.
    Buffer(Arc<Mutex<Vec<String>>>),
}

impl Sink {
    /// Writes the sample's EMF line, stamped now.
    pub fn emit(&self, sample: &Sample) {
        let line = document(sample, chrono::Utc::now().timestamp_millis()).to_string();
        match self {
            // One write, so no other log line splits it; a metric line that cannot be
            // written is not worth failing the invocation for.
            Sink::Stdout => {
                let _ = std::io::stdout()
                    .lock()
                    .write_all(format!("{line}\n").as_bytes());
            }
            Sink::Buffer(lines) => lines.lock().unwrap_or_else(|e| e.into_inner()).push(line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::diagnose_facts;
    use crate::test_support::{broken_report, healthy_nat};
    use std::collections::BTreeSet;

    const MEASURED: Measured = Measured {
        duration: Duration::from_millis(812),
        reads_skipped: 2,
    };

    #[test]
    fn a_diagnosis_is_one_emf_document_with_counts_duration_and_skipped_reads() {
        let doc = document(
            &Sample::diagnosed(&broken_report(), MEASURED),
            1_780_000_000_123,
        );

        assert_eq!(doc["_aws"]["Timestamp"], 1_780_000_000_123_i64);
        let directives = doc["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 2);
        assert_eq!(directives[0]["Namespace"], NAMESPACE);
        assert_eq!(
            directives[0]["Dimensions"],
            json!([["RootCause"], ["Category"], ["Cluster"]])
        );
        assert_eq!(
            directives[0]["Metrics"],
            json!([{ "Name": "StartFailures", "Unit": "Count" }])
        );
        assert_eq!(directives[1]["Namespace"], NAMESPACE);
        assert_eq!(directives[1]["Dimensions"], json!([[]]));
        assert_eq!(
            directives[1]["Metrics"],
            json!([
                { "Name": "DiagnosisDuration", "Unit": "Milliseconds" },
                { "Name": "ReadsSkipped", "Unit": "Count" },
            ])
        );
        // Every dimension and metric a directive names is a root member of the right type.
        for directive in directives {
            for set in directive["Dimensions"].as_array().unwrap() {
                for name in set.as_array().unwrap() {
                    assert!(doc[name.as_str().unwrap()].is_string(), "{name}");
                }
            }
            for metric in directive["Metrics"].as_array().unwrap() {
                assert!(
                    doc[metric["Name"].as_str().unwrap()].is_number(),
                    "{metric}"
                );
            }
        }
        assert_eq!(doc["RootCause"], "network.default-route");
        assert_eq!(doc["Category"], "network-route");
        assert_eq!(doc["Cluster"], "demo");
        assert_eq!(doc["StartFailures"], 1);
        assert_eq!(doc["DiagnosisDuration"], 812);
        assert_eq!(doc["ReadsSkipped"], 2);
        // One line: a log event is one line of stdout.
        assert!(!doc.to_string().contains('\n'));
    }

    #[test]
    fn a_healthy_diagnosis_counts_under_none() {
        let doc = document(
            &Sample::diagnosed(&diagnose_facts(&healthy_nat()), MEASURED),
            0,
        );
        assert_eq!(doc["RootCause"], "none");
        assert_eq!(doc["Category"], "none");
    }

    #[test]
    fn a_counted_repeat_adds_a_start_failure_and_no_duration() {
        let doc = document(&Sample::repeat("prod", Some("network.default-route")), 0);
        assert_eq!(doc["StartFailures"], 1);
        assert_eq!(
            doc["Category"], "network-route",
            "from the check's metadata"
        );
        assert_eq!(doc["Cluster"], "prod");
        assert!(doc.get("DiagnosisDuration").is_none());
        assert!(doc.get("ReadsSkipped").is_none());
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"].as_array().unwrap().len(),
            1
        );
    }

    #[test]
    fn empty_and_huge_dimension_values_stay_valid() {
        let doc = document(&Sample::repeat("", None), 0);
        assert_eq!(doc["Cluster"], "none");
        let doc = document(&Sample::repeat(&"c".repeat(5_000), None), 0);
        assert!(doc["Cluster"].as_str().unwrap().chars().count() <= DIMENSION_VALUE_LIMIT);
    }

    /// The template's dashboard body as CloudWatch would get it (its `${...}` substituted),
    /// and the names of what the alarm widget references.
    fn dashboard() -> (Value, Vec<String>, Value) {
        let template: Value = serde_norway::from_str(
            &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml"))
                .unwrap(),
        )
        .unwrap();
        let body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
            .as_str()
            .expect("DashboardBody is a Fn::Sub string")
            .to_string();
        let substitution = regex::Regex::new(r"\$\{([^}]+)\}").unwrap();
        let referenced = substitution
            .captures_iter(&body)
            .map(|c| c[1].to_string())
            .collect();
        let body = substitution.replace_all(&body, "substituted");
        (serde_json::from_str(&body).unwrap(), referenced, template)
    }

    /// The metric lines have no level, which Lambda reads as INFO: the stack never lets
    /// Lambda's application log level drop INFO, and hands LogLevel to the doctor's filter.
    #[test]
    fn lambda_never_drops_the_metric_lines() {
        let (_, _, template) = dashboard();
        let function = &template["Resources"]["DiagnoseFunction"]["Properties"];
        let level = &function["LoggingConfig"]["ApplicationLogLevel"]["Fn::If"];
        assert_eq!(level[0], "QuietLogs");
        assert_eq!(level[1], "INFO");
        let quiet: Vec<&str> = template["Conditions"]["QuietLogs"]["Fn::Or"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["Fn::Equals"][1].as_str().unwrap())
            .collect();
        let allowed = template["Parameters"]["LogLevel"]["AllowedValues"]
            .as_array()
            .unwrap();
        let above_info: Vec<&str> = allowed
            .iter()
            .map(|v| v.as_str().unwrap())
            .filter(|v| !["TRACE", "DEBUG", "INFO"].contains(v))
            .collect();
        assert_eq!(
            quiet, above_info,
            "every level above INFO keeps Lambda at INFO"
        );
        assert_eq!(
            function["Environment"]["Variables"]["DOCTOR_LOG_LEVEL"]["Ref"],
            "LogLevel"
        );
    }

    #[test]
    fn the_dashboard_queries_exactly_the_metrics_the_code_emits() {
        let (body, _, _) = dashboard();
        let search = regex::Regex::new(r#"\{([^,}]+),([^}]+)\} MetricName="([^"]+)""#).unwrap();
        let (mut namespaces, mut metrics, mut dimensions) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for widget in body["widgets"].as_array().unwrap() {
            if widget["type"] != "metric" {
                continue;
            }
            for row in widget["properties"]["metrics"].as_array().unwrap() {
                let row = row.as_array().unwrap();
                match row[0].as_str() {
                    // [namespace, metric name, (dimension name, value)*, options]
                    Some(namespace) => {
                        namespaces.insert(namespace.to_string());
                        metrics.insert(row[1].as_str().unwrap().to_string());
                        for pair in row[2..].chunks(2).filter(|p| p[0].is_string()) {
                            dimensions.insert(pair[0].as_str().unwrap().to_string());
                        }
                    }
                    None => {
                        let expression = row[0]["expression"].as_str().unwrap();
                        let found = search.captures(expression).expect(expression);
                        namespaces.insert(found[1].to_string());
                        dimensions.insert(found[2].to_string());
                        metrics.insert(found[3].to_string());
                    }
                }
            }
        }
        assert_eq!(namespaces, BTreeSet::from([NAMESPACE.to_string()]));
        assert_eq!(metrics, METRICS.iter().map(|m| m.to_string()).collect());
        assert_eq!(
            dimensions,
            DIMENSIONS.iter().map(|d| d.to_string()).collect()
        );
    }

    #[test]
    fn the_dashboard_shows_every_alarm_of_the_stack() {
        let (body, referenced, template) = dashboard();
        let alarms: BTreeSet<String> = template["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
            .map(|(name, _)| format!("{name}.Arn"))
            .collect();
        assert_eq!(alarms.len(), 4, "{alarms:?}");
        let shown: BTreeSet<String> = referenced
            .into_iter()
            .filter(|r| r.ends_with(".Arn"))
            .collect();
        assert_eq!(shown, alarms);
        let widget = body["widgets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["type"] == "alarm")
            .expect("an alarm widget");
        assert_eq!(widget["properties"]["alarms"].as_array().unwrap().len(), 4);
    }
}
