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

//!
//! | file | what |
//! |---|---|
//! | `keys.rs` | the table's key schema, alert keys and signatures |
//! | `windows.rs` | the conditional writes: event claims, recent diagnoses, alert windows |
//! | `history.rs` | diagnoses kept past DescribeTasks' hour, and reading them back |
//! | `settings.rs` | the table, window and retention from the environment |
//! | `codec.rs` | attribute names and DynamoDB values |

mod codec;
mod history;
mod keys;
mod settings;
mod windows;

pub use history::{HISTORY_REPORT_LIMIT, HistoryEntry};
pub use keys::{alert_key, signature};
pub use windows::{Claim, Recent, WindowDecision};

/// The alert ledger: event claims, recent diagnoses, alert windows and history.
#[derive(Debug, Clone)]
pub struct Ledger {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
    window_secs: i64,
    retention_secs: i64,
    /// How long an event claim holds off other invocations: longer than the function's
    /// timeout, so a live invocation is never taken over and a killed one is after it.
    lease_secs: i64,
}

/// The claim lease when none is configured: the template's 60-second function timeout plus
/// margin.
pub const DEFAULT_LEASE_SECS: i64 = 90;

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
            lease_secs: DEFAULT_LEASE_SECS,
        }
    }

    /// The event claims' lease, in seconds.
    pub fn with_lease(mut self, lease_secs: i64) -> Self {
        self.lease_secs = lease_secs;
        self
    }
}
