//! What ran before the failing revision, and the last recorded change to the root cause's
//! resource: the facts behind "deployment or environment" and "who changed it, and when".
//! Owner tags sit on the resource types themselves (route table, security group, role, …),
//! except for KMS keys and EFS file systems, whose tags are read after the verdict.

use super::{Gap, Identity, References, TaskDefinition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A resource's tags, as its describe answer carries them.
pub type Tags = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChangeFacts {
    #[serde(default)]
    pub previous: PreviousLookup,
    /// The CloudTrail lookup for the root cause's resource; `None` when none was made (no
    /// root cause, or facts gathered before the verdict).
    #[serde(default)]
    pub last_change: Option<LastChangeLookup>,
    /// The root cause's resource's tags, for the kinds whose describe answers carry none (KMS
    /// keys, EFS file systems), read beside the CloudTrail lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_tags: Option<TagsLookup>,
}

/// A tag read of one resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TagsLookup {
    pub resource: String,
    pub outcome: TagsOutcome,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum TagsOutcome {
    Found {
        tags: Tags,
    },
    /// Denied, throttled, timed out, or the resource is gone: unknown.
    Failed {
        reason: String,
    },
}

/// One of the service's deployments, as DescribeServices lists them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    /// `PRIMARY` (the newest), `ACTIVE` (being replaced) or `INACTIVE`.
    pub status: String,
    pub task_definition: String,
    /// `COMPLETED`, `IN_PROGRESS` or `FAILED`, when ECS reports it.
    pub rollout_state: Option<String>,
    #[serde(default)]
    pub running_count: i32,
    pub created_at: Option<String>,
    pub platform_version: Option<String>,
    pub network: Option<NetworkConfig>,
}

/// A deployment's or revision's awsvpc configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfig {
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<String>,
}

/// How the revision that ran before the failing one was found, or why it is unknown.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum PreviousLookup {
    /// Facts from before this read existed, or collection stopped before it.
    #[default]
    NotRead,
    /// The task is not a service's: nothing ran "before" it.
    Standalone,
    /// The service has no deployment before the failing one (or none ECS still describes:
    /// the service-deployment history starts on 25 October 2024).
    FirstDeployment,
    Found(Box<PreviousRevision>),
    /// A read on the way failed: deployment or environment stays unknown.
    Failed(Gap),
}

/// Where the previous revision came from.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RevisionSource {
    /// Another deployment DescribeServices lists beside the failing task's.
    #[default]
    ServiceDeployments,
    /// The failing task's own deployment had completed (or ran tasks): its revision ran.
    SteadyDeployment,
    /// ListServiceDeployments / DescribeServiceDeployments / DescribeServiceRevisions.
    ServiceRevisions,
}

/// What a deployment ran: the task definition and the settings the service adds to it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    pub task_definition_arn: String,
    pub platform_version: Option<String>,
    pub network: Option<NetworkConfig>,
    /// Container name → the image digest ECS resolved (service revisions only).
    #[serde(default)]
    pub image_digests: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PreviousRevision {
    pub source: RevisionSource,
    /// What ran before.
    pub before: Revision,
    /// The failing task's revision as the same source reports it.
    pub after: Option<Revision>,
    /// The previous task definition; `None` when it is the failing task's own.
    pub task_definition: Option<TaskDefinition>,
    /// The previous execution role, read only when it differs from the current one.
    pub identity: Option<Identity>,
    /// The previous revision's references that the current one does not have.
    #[serde(default)]
    pub references: References,
    /// Reads of the previous revision that failed.
    #[serde(default)]
    pub gaps: Vec<Gap>,
}

/// The CloudTrail lookup for one resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LastChangeLookup {
    pub resource: String,
    /// The look-back window.
    pub days: u32,
    /// LookupEvents calls made (at most two).
    pub calls: u32,
    pub outcome: LastChangeOutcome,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum LastChangeOutcome {
    Found(ChangeEvent),
    /// No mutating event on the resource in the window.
    NoneRecorded,
    /// Denied, throttled or out of time: why.
    Skipped {
        reason: String,
    },
}

/// One CloudTrail management event.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEvent {
    pub event_name: String,
    /// `userIdentity.arn`: for an assumed role, the session's ARN.
    pub principal: Option<String>,
    /// The role session's name, for an assumed role.
    pub session_name: Option<String>,
    /// RFC 3339.
    pub time: Option<String>,
    /// The request's error code when it failed.
    pub error_code: Option<String>,
}
