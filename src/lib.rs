//! ecs-task-doctor: diagnoses ECS tasks that stopped with `ResourceInitializationError` and
//! names the root cause and its fix.
//!
//! Stages, each a module, in the order a stopped task meets them: [`event`] (intake) →
//! [`reason`] (classify the stoppedReason) → [`collect`] (AWS reads into [`facts`], guided by
//! [`needs`]) → [`checks`] (pure functions over the facts) → [`verdict`] (rank, root cause,
//! report) → [`render`] (text, Chatbot, JSON) → [`alert`] ([`ledger`], then [`notify`]), then
//! [`eventbus`] (the diagnosis on EventBridge) and [`metrics`] (its embedded-metric-format line).
//! [`doctor`] runs them; shared helpers: [`arn`], [`text`], [`policy`] (the IAM evaluator),
//! [`aws`] (clients), [`accounts`] (whose credentials read a task), [`error`].

pub mod accounts;
pub mod alert;
pub mod arn;
pub mod aws;
pub mod change;
pub mod checks;
pub mod collect;
pub mod doctor;
pub mod error;
pub mod event;
pub mod eventbus;
pub mod facts;
pub mod ledger;
pub mod logging;
pub mod metrics;
pub mod needs;
pub mod notify;
pub mod policy;
pub mod reason;
pub mod render;
pub mod text;
pub mod verdict;

pub use error::{Error, Result};

/// Facts fixtures for the checks' unit tests: healthy worlds to break one piece at a time.
#[cfg(test)]
pub(crate) mod test_support;

/// Scenario tests: whole diagnoses of fact worlds the emulator cannot hold.
#[cfg(test)]
mod scenario_tests;
