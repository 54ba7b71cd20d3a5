//! The ledger's settings, from the environment the template sets.

use super::Ledger;
use crate::error::{Error, Result};

pub(super) const DEFAULT_WINDOW_MINUTES: i64 = 60;

pub(super) const DEFAULT_RETENTION_DAYS: i64 = 30;

pub(super) const MAX_WINDOW_MINUTES: i64 = 525_600; // a year
const MAX_RETENTION_DAYS: i64 = 3_650; // ten years
/// Lambda's longest timeout is 900 seconds; a lease must outlast it.
const MAX_LEASE_SECONDS: i64 = 3_600;

/// The ledger's settings, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Settings {
    table: String,
    window_minutes: i64,
    retention_days: i64,
    lease_seconds: i64,
}

impl Ledger {
    /// From DEDUP_TABLE (None when unset/empty), DEDUP_WINDOW_MINUTES (default 60),
    /// HISTORY_RETENTION_DAYS (default 30), EVENT_LEASE_SECONDS (default 90, more than the
    /// function's timeout); a malformed number is [`Error::Config`] with a one-line message.
    pub fn from_env(ddb: aws_sdk_dynamodb::Client) -> Result<Option<Self>> {
        let settings = settings(|name| std::env::var(name).ok())?;
        Ok(settings.map(|s| {
            Ledger::new(ddb, s.table, s.window_minutes, s.retention_days)
                .with_lease(s.lease_seconds)
        }))
    }
}

/// Reads the settings through `lookup` (the environment in [`Ledger::from_env`]).
pub(super) fn settings(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Settings>> {
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
        lease_seconds: whole_number(
            &lookup,
            "EVENT_LEASE_SECONDS",
            super::DEFAULT_LEASE_SECS,
            MAX_LEASE_SECONDS,
            "seconds",
        )?,
    }))
}

/// A whole number from 1 to `max`, `default` when unset or empty.
pub(super) fn whole_number(
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

#[cfg(test)]
mod tests {
    use super::*;

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
                retention_days: 30,
                lease_seconds: 90
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
}
