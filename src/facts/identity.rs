//! The execution role and what the policy simulator says it may do.

use serde::{Deserialize, Serialize};

/// The execution role and what it may do.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// `None` when the task definition names no role or the role could not be read.
    pub execution_role: Option<RoleLookup>,
    /// iam:SimulatePrincipalPolicy answers, one per action and resource.
    #[serde(default)]
    pub simulations: Vec<Simulation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum RoleLookup {
    Found(Role),
    /// GetRole said NoSuchEntity.
    Missing {
        arn: String,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub arn: String,
    pub name: String,
    /// The trust policy, decoded JSON.
    pub trust_policy: Option<String>,
    /// Identity policies (attached managed and inline), decoded JSON.
    #[serde(default)]
    pub policies: Vec<PolicyDocument>,
    pub permissions_boundary: Option<PolicyDocument>,
    #[serde(default, skip_serializing_if = "super::Tags::is_empty")]
    pub tags: super::Tags,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDocument {
    /// The managed policy's ARN, or `inline:NAME`.
    pub source: String,
    pub document: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum SimulationDecision {
    Allowed,
    #[default]
    ImplicitDeny,
    ExplicitDeny,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Simulation {
    pub action: String,
    pub resource: String,
    pub decision: SimulationDecision,
    /// Source policy ids of the statements that decided it.
    #[serde(default)]
    pub matched_statements: Vec<String>,
    /// The permissions boundary did not allow it.
    #[serde(default)]
    pub denied_by_boundary: bool,
    /// An Organizations SCP did not allow it.
    #[serde(default)]
    pub denied_by_organizations: bool,
}
