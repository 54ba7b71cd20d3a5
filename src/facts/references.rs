//! What the task definition references, as AWS describes it (metadata only, never values).

use super::Lookup;
use serde::{Deserialize, Serialize};

/// What the task definition references, as AWS describes it (metadata only, never values).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct References {
    #[serde(default)]
    pub secrets: Vec<SecretLookup>,
    #[serde(default)]
    pub parameters: Vec<ParameterLookup>,
    #[serde(default)]
    pub kms_keys: Vec<KmsKey>,
    #[serde(default)]
    pub log_groups: Vec<LogGroupLookup>,
    #[serde(default)]
    pub env_files: Vec<EnvFileLookup>,
    #[serde(default)]
    pub images: Vec<ImageLookup>,
    #[serde(default)]
    pub file_systems: Vec<FileSystemLookup>,
}

impl References {
    /// The reads of policies and mount-target groups that failed: each is also a gap of the
    /// diagnosis (the report's `platform.reads`, and `degraded` when transient).
    pub fn failed_reads(&self) -> impl Iterator<Item = &super::Gap> {
        let secrets = self
            .secrets
            .iter()
            .filter_map(|s| s.resource_policy_gap.as_ref());
        let keys = self.kms_keys.iter().filter_map(|k| k.policy_gap.as_ref());
        let images = self.images.iter().filter_map(|i| i.policy_gap.as_ref());
        let groups = self
            .file_systems
            .iter()
            .flat_map(|f| &f.mount_targets)
            .filter_map(|t| t.security_groups_gap.as_ref());
        secrets.chain(keys).chain(images).chain(groups)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FileSystemLookup {
    pub file_system_id: String,
    /// DescribeMountTargets' outcome: `NotFound` when the file system does not exist.
    pub lookup: Lookup,
    #[serde(default)]
    pub mount_targets: Vec<MountTarget>,
    /// Access points the task definition names, with whether each exists.
    #[serde(default)]
    pub access_points: Vec<(String, Lookup)>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MountTarget {
    pub id: String,
    pub subnet_id: String,
    pub availability_zone: Option<String>,
    pub ip_address: Option<String>,
    /// `available`, `creating`, …
    pub state: String,
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// DescribeMountTargetSecurityGroups failed: the groups are unknown, not none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_groups_gap: Option<super::Gap>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecretLookup {
    /// The secret id asked for: `valueFrom` without its `:json-key:stage:id` suffix.
    pub reference: String,
    pub region: String,
    pub lookup: Lookup,
    /// The secret's full ARN, as DescribeSecret returns it.
    pub arn: Option<String>,
    pub name: Option<String>,
    pub deleted_date: Option<String>,
    pub kms_key_id: Option<String>,
    /// Version stages present, over all versions.
    #[serde(default)]
    pub version_stages: Vec<String>,
    #[serde(default)]
    pub version_ids: Vec<String>,
    /// The secret's resource policy, read for secrets in another account.
    pub resource_policy: Option<String>,
    /// GetResourcePolicy failed: the policy is unknown, not absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy_gap: Option<super::Gap>,
    #[serde(default, skip_serializing_if = "super::Tags::is_empty")]
    pub tags: super::Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ParameterLookup {
    pub name: String,
    pub region: String,
    pub lookup: Lookup,
    pub kind: Option<String>,
    pub key_id: Option<String>,
    /// For a bare name missing in the task's region: the other regions that hold it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub found_in: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KmsKey {
    /// The key id, ARN or alias as the secret or parameter names it.
    pub reference: String,
    pub region: String,
    pub lookup: Lookup,
    pub arn: Option<String>,
    /// `Enabled`, `Disabled`, `PendingDeletion`, …
    pub state: Option<String>,
    /// `AWS` or `CUSTOMER`.
    pub manager: Option<String>,
    pub policy: Option<String>,
    /// GetKeyPolicy failed: the policy is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_gap: Option<super::Gap>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LogGroupLookup {
    pub name: String,
    pub region: String,
    pub lookup: Lookup,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EnvFileLookup {
    pub arn: String,
    pub lookup: Lookup,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageLookup {
    pub image: String,
    pub repository_arn: String,
    /// The repository exists; `Found` here with `image_lookup` `NotFound` means a missing tag.
    pub repository: Lookup,
    pub image_lookup: Lookup,
    /// The repository policy, for a repository in another account.
    pub policy: Option<String>,
    /// GetRepositoryPolicy failed (other than the repository having none): unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_gap: Option<super::Gap>,
}
