//! Diagnoses kept past DescribeTasks' hour: one item per diagnosis, partitioned by account,
//! region and cluster, sorted by time.

use super::Ledger;
use super::codec::*;
use super::keys::{HISTORY_PREFIX, MISSING, PK, SEPARATOR, SK, history_pk, join};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// DynamoDB items are at most 400 KB; report and event together must stay below this.
pub const HISTORY_REPORT_LIMIT: usize = 380_000;

/// Pages read by [`Ledger::history`] at most, so a filter that matches rarely stays bounded.
pub(super) const HISTORY_MAX_PAGES: usize = 20;

/// One kept diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub account: String,
    pub region: String,
    pub cluster: String,
    pub service: String,
    pub task_id: String,
    /// The task definition's ARN, so "failed before" needs no stored report parsed.
    pub task_definition: String,
    /// RFC 3339; stored in UTC with milliseconds, so the sort key orders by time.
    pub time: String,
    pub root_cause: Option<String>,
    /// The report JSON.
    pub report: String,
    /// The raw event JSON; empty when it did not fit in the item beside the report.
    pub event: String,
}

impl Ledger {
    /// Keeps the diagnosis past DescribeTasks' hour:
    /// pk="history#<account>#<region>#<cluster>", sk="<RFC3339 time>#<task id>", attributes
    /// service (S), taskDefinition (S), rootCause (S), report (S, the report JSON), event (S, the raw event JSON),
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

    /// Newest first: one cluster's history (a Query), or every cluster's (a Scan) without one.
    pub async fn list(
        &self,
        account: &str,
        region: &str,
        cluster: Option<&str>,
        service: Option<&str>,
        limit: i32,
    ) -> Result<Vec<HistoryEntry>> {
        match cluster {
            Some(cluster) => self.history(account, region, cluster, service, limit).await,
            None => {
                self.history_all_clusters(account, region, service, limit)
                    .await
            }
        }
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
}

/// UTC with milliseconds, so that sort keys order by time; text that is not RFC 3339 stays
/// as it is.
pub(super) fn normalized_time(time: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .unwrap_or_else(|_| time.to_string())
}

/// The history item; the event is left out when it does not fit beside the report.
pub(super) fn history_item(entry: &HistoryEntry, expires_at: i64) -> Result<Item> {
    if entry.report.len() > HISTORY_REPORT_LIMIT {
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
        (TASK_DEFINITION, &entry.task_definition),
        (REPORT, &entry.report),
    ] {
        if !value.is_empty() {
            item.insert(name.into(), s(value));
        }
    }
    if !entry.event.is_empty() && entry.report.len() + entry.event.len() <= HISTORY_REPORT_LIMIT {
        item.insert(EVENT.into(), s(&entry.event));
    }
    Ok(item)
}

pub(super) fn history_from_item(
    account: &str,
    region: &str,
    cluster: &str,
    item: &Item,
) -> HistoryEntry {
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
        task_definition: text(TASK_DEFINITION),
        time: get_s(item, TIME).unwrap_or(sk_time).to_string(),
        root_cause: root_cause_from(get_s(item, ROOT_CAUSE)),
        report: text(REPORT),
        event: text(EVENT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";

    fn entry() -> HistoryEntry {
        HistoryEntry {
            account: ACCOUNT.into(),
            region: REGION.into(),
            cluster: "prod".into(),
            service: "web".into(),
            task_id: "0123456789abcdef0123456789abcdef".into(),
            task_definition: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:3"),
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
        big.event = "x".repeat(HISTORY_REPORT_LIMIT);
        let stored = history_item(&big, 5_000).unwrap();
        assert!(!stored.contains_key(EVENT));
        assert_eq!(
            history_from_item(ACCOUNT, REGION, "prod", &stored).event,
            ""
        );
        big.report = "x".repeat(HISTORY_REPORT_LIMIT + 1);
        assert!(history_item(&big, 5_000).is_err());
    }
}
