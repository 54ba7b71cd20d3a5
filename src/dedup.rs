//! The alert ledger, in one DynamoDB table (template.yaml's `DedupTable`: partition key `pk`,
//! sort key `sk`, both strings; TTL attribute `expiresAt`).
//!
//! One diagnosis should become one alert per root cause, not one per stopped task: a service
//! whose tasks cannot start is restarted by ECS again and again, and one broken route table
//! stops every service in the VPC. The ledger keeps four kinds of items:
//!
//! | `pk` | `sk` | what |
//! |---|---|---|
//! | `event#<event id>` | `-` | an EventBridge event already handled (EventBridge delivers at least once) |
//! | `signature#<signature>` | `-` | the root cause recently diagnosed for a classifier signature, so a repeat can skip the AWS reads |
//! | `alert#<alert key>` | `-` | the alert window of one root cause: when it alerted, how often it was suppressed since, which services it hit |
//! | `history#<account>#<region>#<cluster>` | `<RFC3339 time>#<task id>` | a diagnosis, kept past DescribeTasks' hour |
//!
//! `expiresAt` (epoch seconds) only cleans up: DynamoDB deletes expired items late (up to days),
//! and the emulator never does. Every decision that depends on time (is the alert window still
//! open?) is made in a condition expression or on the item's own attributes, never by the
//! item's absence.

use crate::checks::Category;
use crate::error::{Error, Result, sdk_message};
use crate::reason::Failure;
use crate::verdict::{Report, TaskSummary};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

// The table's key schema (template.yaml, DedupTable).
const PK: &str = "pk";
const SK: &str = "sk";
/// The sort key of the items that are one per partition key.
const SINGLE_SK: &str = "-";

// Partition key prefixes.
const EVENT_PREFIX: &str = "event#";
const SIGNATURE_PREFIX: &str = "signature#";
const ALERT_PREFIX: &str = "alert#";
const HISTORY_PREFIX: &str = "history#";

// Attribute names.
/// Epoch seconds; the table's TTL attribute. Clean-up only.
const EXPIRES_AT: &str = "expiresAt";
const CLAIMED_AT: &str = "claimedAt";
const RELEASED_AT: &str = "releasedAt";
const ROOT_CAUSE: &str = "rootCause";
const ALERT_KEY: &str = "alertKey";
const WINDOW_ENDS_AT: &str = "windowEndsAt";
const LAST_ALERT_AT: &str = "lastAlertAt";
const FIRST_SEEN: &str = "firstSeen";
const SUPPRESSED: &str = "suppressed";
const TOTAL: &str = "total";
const SERVICES: &str = "services";
const SERVICE: &str = "service";
const TASK_ID: &str = "taskId";
const TIME: &str = "time";
const REPORT: &str = "report";
const EVENT: &str = "event";

/// How `rootCause` stores "nothing is wrong".
const NO_ROOT_CAUSE: &str = "none";
/// Separates the parts of keys and signatures.
const SEPARATOR: &str = "#";
/// Stands for a missing or empty part of a key.
const MISSING: &str = "-";

/// How long an event claim is kept: longer than EventBridge's and Lambda's retries of one event
/// (template.yaml: one hour each).
const EVENT_CLAIM_SECS: i64 = 2 * 86_400;
/// How long an item outlives the window it records before the TTL may clean it up.
const CLEANUP_GRACE_SECS: i64 = 86_400;
/// A conditional update of an alert can lose a race with another invocation (the window
/// closes or opens between the two updates); it is tried again this many times.
const RECORD_ATTEMPTS: usize = 3;
/// DynamoDB items are at most 400 KB; report and event together must stay below this.
const HISTORY_ITEM_BUDGET: usize = 380_000;
/// Pages read by [`Ledger::history`] at most, so a filter that matches rarely stays bounded.
const HISTORY_MAX_PAGES: usize = 20;
/// Partition keys may be 2048 bytes; a key part longer than this is cut and hashed.
const MAX_KEY_PART: usize = 1_024;

const DEFAULT_WINDOW_MINUTES: i64 = 60;
const DEFAULT_RETENTION_DAYS: i64 = 30;
const MAX_WINDOW_MINUTES: i64 = 525_600; // a year
const MAX_RETENTION_DAYS: i64 = 3_650; // ten years

type Item = HashMap<String, AttributeValue>;

/// The alert ledger: event claims, recent diagnoses, alert windows and history.
#[derive(Debug, Clone)]
pub struct Ledger {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
    window_secs: i64,
    retention_secs: i64,
}

/// The root cause recently diagnosed for a signature, while its window is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent {
    /// `None` when the diagnosis found nothing wrong.
    pub root_cause: Option<String>,
    pub alert_key: String,
    /// Epoch seconds.
    pub window_ends_at: i64,
}

/// Whether a diagnosis alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The first diagnosis of this root cause since its last window closed: publish.
    Alert {
        /// Diagnoses suppressed during the previous window (0 for a new root cause).
        repeats: u64,
        /// When the previous alert went out (epoch seconds), `None` for a new root cause.
        since: Option<i64>,
        /// Every service this root cause has hit, sorted.
        services: Vec<String>,
    },
    /// The window is open: an alert for this root cause already went out.
    Suppress {
        /// Diagnoses of this root cause ever recorded.
        total: u64,
        /// Diagnoses suppressed in the current window, this one included.
        suppressed: u64,
        /// Every service this root cause has hit, sorted.
        services: Vec<String>,
    },
}

/// One kept diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub account: String,
    pub region: String,
    pub cluster: String,
    pub service: String,
    pub task_id: String,
    /// RFC 3339; stored in UTC with milliseconds, so the sort key orders by time.
    pub time: String,
    pub root_cause: Option<String>,
    /// The report JSON.
    pub report: String,
    /// The raw event JSON; empty when it did not fit in the item beside the report.
    pub event: String,
}

/// The ledger's settings, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    table: String,
    window_minutes: i64,
    retention_days: i64,
}

impl Ledger {
    pub fn new(
        ddb: aws_sdk_dynamodb::Client,
        table: impl Into<String>,
        window_minutes: i64,
        retention_days: i64,
    ) -> Self {
        Ledger {
            ddb,
            table: table.into(),
            window_secs: window_minutes.saturating_mul(60),
            retention_secs: retention_days.saturating_mul(86_400),
        }
    }

    /// From DEDUP_TABLE (None when unset/empty), DEDUP_WINDOW_MINUTES (default 60),
    /// HISTORY_RETENTION_DAYS (default 30); a malformed number is
    /// [`Error::Config`] with a one-line message.
    pub fn from_env(ddb: aws_sdk_dynamodb::Client) -> Result<Option<Self>> {
        let settings = settings(|name| std::env::var(name).ok())?;
        Ok(settings.map(|s| Ledger::new(ddb, s.table, s.window_minutes, s.retention_days)))
    }

    /// EventBridge delivers at least once: a conditional put of pk="event#<id>", sk="-" with
    /// attribute_not_exists(pk); Ok(false) when that event id was already claimed (a
    /// redelivery).
    ///
    /// A claim released with [`Ledger::release_event`] (the invocation failed after claiming)
    /// can be claimed again, so Lambda's retry of a failed invocation is not mistaken for a
    /// redelivery.
    pub async fn claim_event(&self, event_id: &str, now: i64) -> Result<bool> {
        let claimed = self
            .ddb
            .put_item()
            .table_name(&self.table)
            .item(PK, s(event_pk(event_id)))
            .item(SK, s(SINGLE_SK))
            .item(CLAIMED_AT, n(now))
            .item(EXPIRES_AT, n(now.saturating_add(EVENT_CLAIM_SECS)))
            .condition_expression("attribute_not_exists(#pk) OR attribute_exists(#releasedAt)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#releasedAt", RELEASED_AT)
            .send()
            .await;
        Ok(conditional("dynamodb:PutItem", claimed)?.is_some())
    }

    /// Gives up a claim after the invocation failed (the diagnosis or the publish), so that
    /// Lambda's retry of the same event can claim it again. Not calling it on failure makes
    /// the retry look like a redelivery, and the alert is lost.
    pub async fn release_event(&self, event_id: &str, now: i64) -> Result<()> {
        self.ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(event_pk(event_id)))
            .key(SK, s(SINGLE_SK))
            .update_expression("SET #releasedAt = :now")
            .expression_attribute_names("#releasedAt", RELEASED_AT)
            .expression_attribute_values(":now", n(now))
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:UpdateItem", &e))?;
        Ok(())
    }

    /// The cheap path for repeats: the root cause recently diagnosed for this signature
    /// (pk="signature#<sig>", sk="-", attributes rootCause (S, "none" for None), alertKey (S),
    /// windowEndsAt (N)), if windowEndsAt > now.
    pub async fn recent(&self, signature: &str, now: i64) -> Result<Option<Recent>> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key(PK, s(signature_pk(signature)))
            .key(SK, s(SINGLE_SK))
            // Tasks of one service fail within seconds of each other.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:GetItem", &e))?;
        Ok(out
            .item()
            .and_then(recent_from_item)
            .filter(|recent| recent.window_ends_at > now))
    }

    /// Remembers the root cause diagnosed for a signature until `recent.window_ends_at`.
    pub async fn remember(&self, signature: &str, recent: &Recent, now: i64) -> Result<()> {
        let expires_at = recent
            .window_ends_at
            .max(now)
            .saturating_add(CLEANUP_GRACE_SECS);
        self.ddb
            .put_item()
            .table_name(&self.table)
            .item(PK, s(signature_pk(signature)))
            .item(SK, s(SINGLE_SK))
            .item(
                ROOT_CAUSE,
                s(root_cause_value(recent.root_cause.as_deref())),
            )
            .item(ALERT_KEY, s(&recent.alert_key))
            .item(WINDOW_ENDS_AT, n(recent.window_ends_at))
            .item(EXPIRES_AT, n(expires_at))
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:PutItem", &e))?;
        Ok(())
    }

    /// Decides whether this diagnosis alerts. One conditional UpdateItem on
    /// pk="alert#<key>", sk="-" opens a new window when there is none or it has closed
    /// (`windowEndsAt <= now`): [`Decision::Alert`], with the previous window's suppressed
    /// count and alert time from the old item. When the window is open, a second UpdateItem
    /// counts the diagnosis as suppressed: [`Decision::Suppress`].
    pub async fn record(&self, alert_key: &str, service: &str, now: i64) -> Result<Decision> {
        let pk = alert_pk(alert_key);
        // A string set cannot hold an empty string.
        let service = if service.is_empty() { MISSING } else { service };
        for _ in 0..RECORD_ATTEMPTS {
            if let Some(decision) = self.open_window(&pk, service, now).await? {
                return Ok(decision);
            }
            if let Some(decision) = self.count_suppressed(&pk, service, now).await? {
                return Ok(decision);
            }
            // The window closed between the two updates: try to open it again.
        }
        Err(Error::Aws {
            call: "dynamodb:UpdateItem",
            message: format!(
                "alert {alert_key}: the alert window kept changing under concurrent updates"
            ),
        })
    }

    /// Opens a new alert window, unless one is open (`Ok(None)`).
    async fn open_window(&self, pk: &str, service: &str, now: i64) -> Result<Option<Decision>> {
        let updated = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(SINGLE_SK))
            .update_expression(
                "SET #windowEndsAt = :end, #lastAlertAt = :now, \
                 #firstSeen = if_not_exists(#firstSeen, :now), #suppressed = :zero, \
                 #expiresAt = :ttl \
                 ADD #total :one, #services :svc",
            )
            .condition_expression("attribute_not_exists(#pk) OR #windowEndsAt <= :now")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#windowEndsAt", WINDOW_ENDS_AT)
            .expression_attribute_names("#lastAlertAt", LAST_ALERT_AT)
            .expression_attribute_names("#firstSeen", FIRST_SEEN)
            .expression_attribute_names("#suppressed", SUPPRESSED)
            .expression_attribute_names("#expiresAt", EXPIRES_AT)
            .expression_attribute_names("#total", TOTAL)
            .expression_attribute_names("#services", SERVICES)
            .expression_attribute_values(":end", n(now.saturating_add(self.window_secs)))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":svc", AttributeValue::Ss(vec![service.to_string()]))
            .expression_attribute_values(":ttl", n(self.alert_expiry(now)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        Ok(conditional("dynamodb:UpdateItem", updated)?
            .map(|out| alert_decision(out.attributes(), service)))
    }

    /// Counts a suppressed diagnosis in the open window, unless it has closed (`Ok(None)`).
    async fn count_suppressed(
        &self,
        pk: &str,
        service: &str,
        now: i64,
    ) -> Result<Option<Decision>> {
        let updated = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(SINGLE_SK))
            .update_expression(
                "SET #expiresAt = :ttl ADD #suppressed :one, #total :one, #services :svc",
            )
            .condition_expression("attribute_exists(#pk) AND #windowEndsAt > :now")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#windowEndsAt", WINDOW_ENDS_AT)
            .expression_attribute_names("#expiresAt", EXPIRES_AT)
            .expression_attribute_names("#suppressed", SUPPRESSED)
            .expression_attribute_names("#total", TOTAL)
            .expression_attribute_names("#services", SERVICES)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":svc", AttributeValue::Ss(vec![service.to_string()]))
            .expression_attribute_values(":ttl", n(self.alert_expiry(now)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        Ok(conditional("dynamodb:UpdateItem", updated)?
            .map(|out| suppress_decision(out.attributes(), service)))
    }

    /// Closes the window [`Ledger::record`] opened when the alert could not be published, so
    /// the retry of the same event alerts instead of being suppressed. The counters stay.
    pub async fn reopen(&self, alert_key: &str) -> Result<()> {
        let reopened = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(alert_pk(alert_key)))
            .key(SK, s(SINGLE_SK))
            .update_expression("SET #windowEndsAt = :zero")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#windowEndsAt", WINDOW_ENDS_AT)
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        // No alert item (the condition failed): there is no window to close.
        conditional("dynamodb:UpdateItem", reopened).map(|_| ())
    }

    /// Keeps the diagnosis past DescribeTasks' hour:
    /// pk="history#<account>#<region>#<cluster>", sk="<RFC3339 time>#<task id>", attributes
    /// service (S), rootCause (S), report (S, the report JSON), event (S, the raw event JSON),
    /// expiresAt (now + retention). Writing the same entry twice (a retried invocation)
    /// overwrites it.
    ///
    /// DynamoDB items are at most 400 KB: when report and event together do not fit, the
    /// event is left out; a report that alone does not fit is an error.
    pub async fn keep(&self, entry: &HistoryEntry, now: i64) -> Result<()> {
        let item = history_item(entry, now.saturating_add(self.retention_secs))?;
        if !entry.event.is_empty() && !item.contains_key(EVENT) {
            tracing::warn!(
                task = %entry.task_id,
                report_bytes = entry.report.len(),
                event_bytes = entry.event.len(),
                "history entry kept without its event: it does not fit in a DynamoDB item"
            );
        }
        self.ddb
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| aws_error("dynamodb:PutItem", &e))?;
        Ok(())
    }

    /// Newest first (ScanIndexForward=false), up to `limit`, optionally filtered by service
    /// (FilterExpression). Reads at most a bounded number of pages.
    pub async fn history(
        &self,
        account: &str,
        region: &str,
        cluster: &str,
        service: Option<&str>,
        limit: i32,
    ) -> Result<Vec<HistoryEntry>> {
        let Ok(wanted) = usize::try_from(limit) else {
            return Ok(Vec::new());
        };
        if wanted == 0 {
            return Ok(Vec::new());
        }
        let pk = history_pk(account, region, cluster);
        let mut entries = Vec::new();
        let mut start: Option<Item> = None;
        for _ in 0..HISTORY_MAX_PAGES {
            let mut query = self
                .ddb
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(&pk))
                .scan_index_forward(false)
                // Limit counts items before the filter: with a filter, read whole pages.
                .set_limit(service.is_none().then_some(limit))
                .set_exclusive_start_key(start.take());
            if let Some(service) = service {
                query = query
                    .filter_expression("#service = :service")
                    .expression_attribute_names("#service", SERVICE)
                    .expression_attribute_values(":service", s(service));
            }
            let out = query
                .send()
                .await
                .map_err(|e| aws_error("dynamodb:Query", &e))?;
            for item in out.items() {
                entries.push(history_from_item(account, region, cluster, item));
                if entries.len() >= wanted {
                    return Ok(entries);
                }
            }
            match out.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => break,
            }
        }
        Ok(entries)
    }

    /// Newest first across every cluster of an account and region, optionally one service's.
    /// A Scan (the history is partitioned by cluster): fine for a ledger's size, and only the
    /// CLI calls it; with a cluster, [`Ledger::history`] queries instead.
    pub async fn history_all_clusters(
        &self,
        account: &str,
        region: &str,
        service: Option<&str>,
        limit: i32,
    ) -> Result<Vec<HistoryEntry>> {
        let prefix = format!("{HISTORY_PREFIX}{}{SEPARATOR}", join(&[account, region]));
        let filter = match service {
            Some(_) => "begins_with(#pk, :prefix) AND #service = :service",
            None => "begins_with(#pk, :prefix)",
        };
        let mut entries = Vec::new();
        let mut start: Option<Item> = None;
        for _ in 0..HISTORY_MAX_PAGES {
            let mut scan = self
                .ddb
                .scan()
                .table_name(&self.table)
                .filter_expression(filter)
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":prefix", s(&prefix))
                .set_exclusive_start_key(start.take());
            if let Some(service) = service {
                scan = scan
                    .expression_attribute_names("#service", SERVICE)
                    .expression_attribute_values(":service", s(service));
            }
            let out = scan
                .send()
                .await
                .map_err(|e| aws_error("dynamodb:Scan", &e))?;
            for item in out.items() {
                let cluster = get_s(item, PK)
                    .and_then(|pk| pk.strip_prefix(prefix.as_str()))
                    .unwrap_or(MISSING);
                entries.push(history_from_item(account, region, cluster, item));
            }
            match out.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => break,
            }
        }
        entries.sort_by(|a, b| b.time.cmp(&a.time));
        entries.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(entries)
    }

    /// When a window opened now closes (epoch seconds).
    pub fn window_ends(&self, now: i64) -> i64 {
        now.saturating_add(self.window_secs)
    }

    /// When an alert item may be cleaned up: well after its window and the history it
    /// belongs to.
    fn alert_expiry(&self, now: i64) -> i64 {
        now.saturating_add(self.window_secs)
            .saturating_add(self.retention_secs)
    }
}

/// The alert key: account, cluster, service (or task family), task-definition revision,
/// root-cause id — except that a VPC-level root cause (finding categories network-route,
/// vpc-endpoint, nacl, dns: the same route table, endpoint or ACL breaks every service in the
/// VPC) is keyed by account, region, root-cause id and the finding's first resource instead,
/// so several services failing for the same cause share one alert.
///
/// The per-service key carries the region too (cluster names are per region), and the task
/// definition as `family:revision`. A root cause without resources is keyed per service.
pub fn alert_key(report: &Report) -> String {
    let task = &report.task;
    let root = report.root_cause.as_deref().unwrap_or(NO_ROOT_CAUSE);
    if let Some(resource) = report
        .root_finding()
        .filter(|finding| is_vpc_level(finding.category))
        .and_then(|finding| finding.resources.first())
    {
        return join(&["vpc", &task.account, &task.region, root, resource]);
    }
    join(&[
        "service",
        &task.account,
        &task.region,
        &task.cluster,
        report.workload(),
        task_definition_name(task),
        root,
    ])
}

/// The classifier's signature: account, region, cluster, workload, task definition, failure
/// stage/error/resource. Two tasks with the same signature failed the same way, so the second
/// can reuse the first's diagnosis while it is recent.
pub fn signature(report_task: &TaskSummary, failure: &Failure, workload: &str) -> String {
    join(&[
        &report_task.account,
        &report_task.region,
        &report_task.cluster,
        workload,
        task_definition_name(report_task),
        &plain(&failure.stage),
        &plain(&failure.error),
        failure.resource.as_deref().unwrap_or(MISSING),
    ])
}

/// Categories whose faults live in the VPC, shared by every service in it.
fn is_vpc_level(category: Category) -> bool {
    matches!(
        category,
        Category::NetworkRoute | Category::VpcEndpoint | Category::Nacl | Category::Dns
    )
}

/// `family:revision` from the task definition's ARN.
fn task_definition_name(task: &TaskSummary) -> &str {
    task.task_definition
        .as_deref()
        .map(crate::facts::arn_resource_name)
        .filter(|name| !name.is_empty())
        .unwrap_or(MISSING)
}

/// A serde enum's name as it appears in the report JSON (`secrets-manager`, `network`).
fn plain<T: Serialize>(value: &T) -> String {
    let text = crate::render::serde_plain(value);
    if text.is_empty() {
        MISSING.to_string()
    } else {
        text
    }
}

/// Joins key parts, an empty part as `-`, and keeps the result short enough for a key.
fn join(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .map(|part| if part.is_empty() { MISSING } else { *part })
        .collect::<Vec<_>>()
        .join(SEPARATOR);
    bounded(&joined)
}

/// The text itself when it fits in [`MAX_KEY_PART`] bytes, else its start and a hash of the
/// whole (stable across builds and platforms: FNV-1a).
fn bounded(text: &str) -> String {
    if text.len() <= MAX_KEY_PART {
        return text.to_string();
    }
    let mut cut = MAX_KEY_PART - 17;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{:016x}", &text[..cut], fnv1a(text))
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn event_pk(event_id: &str) -> String {
    format!("{EVENT_PREFIX}{}", bounded(event_id))
}

fn signature_pk(signature: &str) -> String {
    format!("{SIGNATURE_PREFIX}{}", bounded(signature))
}

fn alert_pk(alert_key: &str) -> String {
    format!("{ALERT_PREFIX}{}", bounded(alert_key))
}

fn history_pk(account: &str, region: &str, cluster: &str) -> String {
    format!("{HISTORY_PREFIX}{}", join(&[account, region, cluster]))
}

/// UTC with milliseconds, so that sort keys order by time; text that is not RFC 3339 stays
/// as it is.
fn normalized_time(time: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .unwrap_or_else(|_| time.to_string())
}

fn root_cause_value(root_cause: Option<&str>) -> &str {
    root_cause.unwrap_or(NO_ROOT_CAUSE)
}

fn root_cause_from(value: Option<&str>) -> Option<String> {
    value
        .filter(|v| *v != NO_ROOT_CAUSE && !v.is_empty())
        .map(str::to_string)
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Option<T> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// A string set's members plus `extra`, sorted, without duplicates.
fn services_with(item: Option<&Item>, extra: &str) -> Vec<String> {
    let mut services: Vec<String> = item
        .and_then(|item| item.get(SERVICES))
        .and_then(|v| v.as_ss().ok())
        .cloned()
        .unwrap_or_default();
    services.push(extra.to_string());
    services.sort();
    services.dedup();
    services
}

fn recent_from_item(item: &Item) -> Option<Recent> {
    Some(Recent {
        root_cause: root_cause_from(get_s(item, ROOT_CAUSE)),
        alert_key: get_s(item, ALERT_KEY)?.to_string(),
        window_ends_at: get_n(item, WINDOW_ENDS_AT)?,
    })
}

/// The decision of an update that opened a window, from the item as it was before.
fn alert_decision(old: Option<&Item>, service: &str) -> Decision {
    Decision::Alert {
        repeats: old.and_then(|item| get_n(item, SUPPRESSED)).unwrap_or(0),
        since: old.and_then(|item| get_n(item, LAST_ALERT_AT)),
        services: services_with(old, service),
    }
}

/// The decision of an update that counted a suppression, from the item as it is now.
fn suppress_decision(new: Option<&Item>, service: &str) -> Decision {
    Decision::Suppress {
        total: new.and_then(|item| get_n(item, TOTAL)).unwrap_or(1),
        suppressed: new.and_then(|item| get_n(item, SUPPRESSED)).unwrap_or(1),
        services: services_with(new, service),
    }
}

/// The history item; the event is left out when it does not fit beside the report.
fn history_item(entry: &HistoryEntry, expires_at: i64) -> Result<Item> {
    if entry.report.len() > HISTORY_ITEM_BUDGET {
        return Err(Error::Aws {
            call: "dynamodb:PutItem",
            message: format!(
                "the report of task {} is {} bytes, more than a DynamoDB item holds",
                entry.task_id,
                entry.report.len()
            ),
        });
    }
    let time = normalized_time(&entry.time);
    let mut item = Item::new();
    item.insert(
        PK.into(),
        s(history_pk(&entry.account, &entry.region, &entry.cluster)),
    );
    item.insert(
        SK.into(),
        s(format!(
            "{time}{SEPARATOR}{}",
            if entry.task_id.is_empty() {
                MISSING
            } else {
                entry.task_id.as_str()
            }
        )),
    );
    item.insert(TIME.into(), s(time));
    item.insert(
        ROOT_CAUSE.into(),
        s(root_cause_value(entry.root_cause.as_deref())),
    );
    item.insert(EXPIRES_AT.into(), n(expires_at));
    // Empty strings are left out: missing attributes read back as empty.
    for (name, value) in [
        (SERVICE, &entry.service),
        (TASK_ID, &entry.task_id),
        (REPORT, &entry.report),
    ] {
        if !value.is_empty() {
            item.insert(name.into(), s(value));
        }
    }
    if !entry.event.is_empty() && entry.report.len() + entry.event.len() <= HISTORY_ITEM_BUDGET {
        item.insert(EVENT.into(), s(&entry.event));
    }
    Ok(item)
}

fn history_from_item(account: &str, region: &str, cluster: &str, item: &Item) -> HistoryEntry {
    let sort_key = get_s(item, SK).unwrap_or_default();
    let (sk_time, sk_task) = sort_key
        .rsplit_once(SEPARATOR)
        .unwrap_or((sort_key, MISSING));
    let text = |name: &str| get_s(item, name).unwrap_or_default().to_string();
    HistoryEntry {
        account: account.to_string(),
        region: region.to_string(),
        cluster: cluster.to_string(),
        service: text(SERVICE),
        task_id: get_s(item, TASK_ID).unwrap_or(sk_task).to_string(),
        time: get_s(item, TIME).unwrap_or(sk_time).to_string(),
        root_cause: root_cause_from(get_s(item, ROOT_CAUSE)),
        report: text(REPORT),
        event: text(EVENT),
    }
}

/// Reads the settings through `lookup` (the environment in [`Ledger::from_env`]).
fn settings(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Settings>> {
    let Some(table) = lookup("DEDUP_TABLE")
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    Ok(Some(Settings {
        table,
        window_minutes: whole_number(
            &lookup,
            "DEDUP_WINDOW_MINUTES",
            DEFAULT_WINDOW_MINUTES,
            MAX_WINDOW_MINUTES,
            "minutes",
        )?,
        retention_days: whole_number(
            &lookup,
            "HISTORY_RETENTION_DAYS",
            DEFAULT_RETENTION_DAYS,
            MAX_RETENTION_DAYS,
            "days",
        )?,
    }))
}

/// A whole number from 1 to `max`, `default` when unset or empty.
fn whole_number(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: i64,
    max: i64,
    unit: &str,
) -> Result<i64> {
    let Some(raw) = lookup(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    else {
        return Ok(default);
    };
    match raw.parse::<i64>() {
        Ok(value) if (1..=max).contains(&value) => Ok(value),
        // `{raw:?}` escapes line breaks: the message stays on one line.
        _ => Err(Error::Config(format!(
            "{name} must be a whole number of {unit} from 1 to {max}, not {raw:?}"
        ))),
    }
}

/// A conditional write's outcome: `Some` when it was made, `None` when its condition did not
/// hold (ConditionalCheckFailedException); any other failure is an error.
fn conditional<T, E>(
    call: &'static str,
    result: std::result::Result<T, SdkError<E, aws_smithy_runtime_api::http::Response>>,
) -> Result<Option<T>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(out) => Ok(Some(out)),
        Err(err) if err.code() == Some("ConditionalCheckFailedException") => Ok(None),
        Err(err) => Err(aws_error(call, &err)),
    }
}

fn aws_error<E>(
    call: &'static str,
    error: &SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    Error::Aws {
        call,
        message: sdk_message(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";

    /// The root cause of a test report: its finding's id, category and resources.
    #[derive(Clone, Copy)]
    struct Root {
        id: &'static str,
        category: &'static str,
        resources: &'static [&'static str],
    }

    const ROUTE: Root = Root {
        id: "network.default-route",
        category: "network-route",
        resources: &["subnet-0a", "rtb-0a"],
    };
    const PERMISSION: Root = Root {
        id: "iam.permissions",
        category: "iam-permission",
        resources: &["arn:aws:iam::123456789012:role/exec"],
    };

    fn report(
        group: &str,
        task_definition: &str,
        root: Option<Root>,
        resource: Option<&str>,
    ) -> Report {
        let findings = root
            .map(|root| {
                vec![json!({
                    "id": root.id,
                    "category": root.category,
                    "status": "fail",
                    "title": "t",
                    "detail": "d",
                    "resources": root.resources,
                    "remediation": "r",
                    "docs": "https://docs.aws.amazon.com/",
                })]
            })
            .unwrap_or_default();
        serde_json::from_value(json!({
            "schemaVersion": 1,
            "task": {
                "arn": format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/prod/0123456789abcdef0123456789abcdef"),
                "cluster": "prod",
                "group": group,
                "taskDefinition": format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{task_definition}"),
                "launchType": "FARGATE",
                "platformVersion": "1.4.0",
                "stoppedReason": "ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : signal: killed",
                "stoppedAt": "2025-06-12T09:43:16.842Z",
                "region": REGION,
                "account": ACCOUNT,
            },
            "failure": {
                "stage": "secrets-manager",
                "error": "network",
                "resource": resource,
                "action": null,
                "summary": "s",
            },
            "rootCause": root.map(|root| root.id),
            "findings": findings,
        }))
        .expect("a report")
    }

    #[test]
    fn a_vpc_level_root_cause_is_one_alert_for_every_service() {
        let web = alert_key(&report("service:web", "web:3", Some(ROUTE), None));
        let api = alert_key(&report("service:api", "api:7", Some(ROUTE), None));
        assert_eq!(web, api);
        assert_eq!(
            web,
            format!("vpc#{ACCOUNT}#{REGION}#network.default-route#subnet-0a")
        );
        for category in ["vpc-endpoint", "nacl", "dns"] {
            let key = alert_key(&report(
                "service:web",
                "web:3",
                Some(Root {
                    id: "some.check",
                    category,
                    resources: &["vpce-0"],
                }),
                None,
            ));
            assert!(key.starts_with("vpc#"), "{category}: {key}");
        }
        let other_subnet = alert_key(&report(
            "service:web",
            "web:3",
            Some(Root {
                resources: &["subnet-0b"],
                ..ROUTE
            }),
            None,
        ));
        assert_ne!(web, other_subnet);
    }

    #[test]
    fn other_root_causes_are_one_alert_per_service_and_revision() {
        let web = alert_key(&report("service:web", "web:3", Some(PERMISSION), None));
        assert_eq!(
            web,
            format!("service#{ACCOUNT}#{REGION}#prod#web#web:3#iam.permissions")
        );
        let api = alert_key(&report("service:api", "web:3", Some(PERMISSION), None));
        let next_revision = alert_key(&report("service:web", "web:4", Some(PERMISSION), None));
        assert_ne!(web, api);
        assert_ne!(web, next_revision);
        // Public IP and security groups belong to the task's own configuration.
        for category in ["public-ip", "security-group", "secret"] {
            let key = alert_key(&report(
                "service:web",
                "web:3",
                Some(Root {
                    id: "some.check",
                    category,
                    resources: &["sg-0"],
                }),
                None,
            ));
            assert!(key.starts_with("service#"), "{category}: {key}");
        }
    }

    #[test]
    fn a_task_without_a_service_is_keyed_by_its_family_and_nothing_wrong_by_none() {
        let key = alert_key(&report("family:batch", "batch:1", None, None));
        assert_eq!(
            key,
            format!("service#{ACCOUNT}#{REGION}#prod#batch#batch:1#none")
        );
        let no_resources = alert_key(&report(
            "service:web",
            "web:3",
            Some(Root {
                resources: &[],
                ..ROUTE
            }),
            None,
        ));
        assert!(no_resources.starts_with("service#"), "{no_resources}");
    }

    #[test]
    fn the_signature_names_where_and_how_the_task_failed() {
        let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
        let a = report("service:web", "web:3", None, Some(secret));
        let sig = signature(&a.task, &a.failure, a.workload());
        assert_eq!(
            sig,
            format!("{ACCOUNT}#{REGION}#prod#web#web:3#secrets-manager#network#{secret}")
        );
        // The root cause does not enter: the signature is known before the diagnosis.
        let b = report("service:web", "web:3", Some(ROUTE), Some(secret));
        assert_eq!(sig, signature(&b.task, &b.failure, b.workload()));

        let other_resource = report("service:web", "web:3", None, Some("other"));
        let other_service = report("service:api", "web:3", None, Some(secret));
        let no_resource = report("service:web", "web:3", None, None);
        for other in [other_resource, other_service] {
            assert_ne!(
                sig,
                signature(&other.task, &other.failure, other.workload())
            );
        }
        assert!(
            signature(
                &no_resource.task,
                &no_resource.failure,
                no_resource.workload()
            )
            .ends_with("#secrets-manager#network#-")
        );
    }

    #[test]
    fn long_keys_are_cut_and_hashed_deterministically() {
        let long = "é".repeat(2_000);
        let a = report("service:web", "web:3", None, Some(long.as_str()));
        let sig = signature(&a.task, &a.failure, a.workload());
        assert!(sig.len() <= MAX_KEY_PART, "{}", sig.len());
        assert_eq!(sig, signature(&a.task, &a.failure, a.workload()));
        let longer = format!("{long}x");
        let b = report("service:web", "web:3", None, Some(longer.as_str()));
        assert_ne!(sig, signature(&b.task, &b.failure, b.workload()));
        assert!(alert_pk(&sig).len() < 2_048);
    }

    #[test]
    fn settings_come_from_the_environment_with_defaults() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(settings(env(&[])).unwrap(), None);
        assert_eq!(settings(env(&[("DEDUP_TABLE", "")])).unwrap(), None);
        assert_eq!(
            settings(env(&[("DEDUP_TABLE", "ledger")])).unwrap(),
            Some(Settings {
                table: "ledger".into(),
                window_minutes: 60,
                retention_days: 30
            })
        );
        assert_eq!(
            settings(env(&[
                ("DEDUP_TABLE", "ledger"),
                ("DEDUP_WINDOW_MINUTES", "15"),
                ("HISTORY_RETENTION_DAYS", "7"),
            ]))
            .unwrap()
            .map(|s| (s.window_minutes, s.retention_days)),
            Some((15, 7))
        );
        for bad in ["abc", "0", "-5", "1.5", "9\n9"] {
            let lookup = move |name: &str| match name {
                "DEDUP_TABLE" => Some("ledger".to_string()),
                "DEDUP_WINDOW_MINUTES" => Some(bad.to_string()),
                _ => None,
            };
            let error = settings(lookup).unwrap_err();
            assert!(matches!(error, Error::Config(_)), "{bad}");
            let message = error.to_string();
            assert!(message.contains("DEDUP_WINDOW_MINUTES"), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn decisions_read_the_alert_item() {
        assert_eq!(
            alert_decision(None, "web"),
            Decision::Alert {
                repeats: 0,
                since: None,
                services: vec!["web".into()]
            }
        );
        let old = item(&[
            (SUPPRESSED, n(4)),
            (LAST_ALERT_AT, n(1_000)),
            (
                SERVICES,
                AttributeValue::Ss(vec!["web".into(), "api".into()]),
            ),
        ]);
        assert_eq!(
            alert_decision(Some(&old), "batch"),
            Decision::Alert {
                repeats: 4,
                since: Some(1_000),
                services: vec!["api".into(), "batch".into(), "web".into()]
            }
        );
        let new = item(&[
            (TOTAL, n(9)),
            (SUPPRESSED, n(5)),
            (
                SERVICES,
                AttributeValue::Ss(vec!["web".into(), "api".into()]),
            ),
        ]);
        assert_eq!(
            suppress_decision(Some(&new), "web"),
            Decision::Suppress {
                total: 9,
                suppressed: 5,
                services: vec!["api".into(), "web".into()]
            }
        );
    }

    #[test]
    fn recent_reads_none_as_no_root_cause() {
        let stored = item(&[
            (ROOT_CAUSE, s("none")),
            (ALERT_KEY, s("service#k")),
            (WINDOW_ENDS_AT, n(2_000)),
        ]);
        assert_eq!(
            recent_from_item(&stored),
            Some(Recent {
                root_cause: None,
                alert_key: "service#k".into(),
                window_ends_at: 2_000
            })
        );
        assert_eq!(recent_from_item(&item(&[(ROOT_CAUSE, s("x"))])), None);
    }

    fn entry() -> HistoryEntry {
        HistoryEntry {
            account: ACCOUNT.into(),
            region: REGION.into(),
            cluster: "prod".into(),
            service: "web".into(),
            task_id: "0123456789abcdef0123456789abcdef".into(),
            time: "2025-06-12T11:43:16.842+02:00".into(),
            root_cause: Some("network.default-route".into()),
            report: r#"{"schemaVersion":1}"#.into(),
            event: r#"{"id":"e-1"}"#.into(),
        }
    }

    #[test]
    fn history_items_round_trip_with_the_time_in_utc() {
        let stored = history_item(&entry(), 5_000).unwrap();
        assert_eq!(
            get_s(&stored, PK),
            Some(format!("history#{ACCOUNT}#{REGION}#prod").as_str())
        );
        assert_eq!(
            get_s(&stored, SK),
            Some("2025-06-12T09:43:16.842Z#0123456789abcdef0123456789abcdef")
        );
        assert_eq!(get_n::<i64>(&stored, EXPIRES_AT), Some(5_000));
        let read = history_from_item(ACCOUNT, REGION, "prod", &stored);
        assert_eq!(
            read,
            HistoryEntry {
                time: "2025-06-12T09:43:16.842Z".into(),
                ..entry()
            }
        );
    }

    #[test]
    fn an_event_too_large_for_the_item_is_left_out() {
        let mut big = entry();
        big.event = "x".repeat(HISTORY_ITEM_BUDGET);
        let stored = history_item(&big, 5_000).unwrap();
        assert!(!stored.contains_key(EVENT));
        assert_eq!(
            history_from_item(ACCOUNT, REGION, "prod", &stored).event,
            ""
        );
        big.report = "x".repeat(HISTORY_ITEM_BUDGET + 1);
        assert!(history_item(&big, 5_000).is_err());
    }
}
