//! ecs-task-doctor: diagnoses ECS tasks that stopped with `ResourceInitializationError` and
//! names the root cause and its fix.
//!
//! Stages, each a module: [`event`] (intake) → [`reason`] (classify the stoppedReason) →
//! [`collect`] (AWS reads into [`facts`]) → [`checks`] (pure functions over the facts) →
//! [`verdict`] (rank, root cause, report) → [`render`] (text, Chatbot, JSON) → [`notify`] (SNS).

pub mod aws;
pub mod checks;
pub mod collect;
pub mod dedup;
pub mod doctor;
pub mod error;
pub mod event;
pub mod facts;
pub mod notify;
pub mod reason;
pub mod render;
pub mod verdict;

pub use error::{Error, Result};
