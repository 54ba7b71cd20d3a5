//! Everything the checks need to know, as plain data. `collect` fills it from AWS (or the CLI
//! reads it from a file); the checks only read it. A read that failed is a [`Gap`], so a check
//! can say what it could not look at instead of guessing.
//!
//! Values are never stored: no environment variable values, no secret or parameter values, and
//! of log driver options only the awslogs settings the checks use.

mod change;
mod identity;
mod instance;
mod network;
mod references;
mod task;

pub use change::*;
pub use identity::*;
pub use instance::*;
pub use network::*;
pub use references::*;
pub use task::*;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    pub task: Task,
    /// Where the task's description came from.
    pub task_source: TaskSource,
    pub task_definition: Option<TaskDefinition>,
    pub service: Option<Service>,
    /// The container instance of an EC2 or ECS Managed Instances task.
    #[serde(default)]
    pub container_instance: Option<ContainerInstance>,
    /// The ECS Managed Instances capacity provider of a Managed Instances task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider: Option<ManagedInstancesProvider>,
    pub network: Network,
    #[serde(default)]
    pub identity: Identity,
    #[serde(default)]
    pub references: References,
    /// What ran before, and the last recorded change to the root cause's resource.
    #[serde(default)]
    pub change: ChangeFacts,
    /// Reads that failed, so the checks that needed them are skipped with the reason.
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// The alias of the task's account (iam:ListAccountAliases), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_alias: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TaskSource {
    /// DescribeTasks still knew the task.
    #[default]
    DescribeTasks,
    /// DescribeTasks no longer knew it (or was not allowed): only the event's copy was used.
    Event,
}

/// The outcome of a metadata read of one referenced thing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "reason")]
pub enum Lookup {
    Found,
    NotFound,
    /// The read failed for another reason (the doctor's permissions, throttling): unknown.
    Failed(String),
}

/// A read that failed, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Gap {
    /// Named `call` in facts files: the read's IAM action.
    #[serde(rename = "call")]
    pub read: Read,
    pub reason: String,
    /// Throttled or timed out: the same read may well work a moment later, so the diagnosis
    /// missing it is degraded. A denial or an unsupported call is not transient.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transient: bool,
}

/// Declares [`Read`]: one variant per read, named once with its IAM action.
macro_rules! reads {
    ($($(#[$doc:meta])* $variant:ident => $action:literal,)+) => {
        /// A read `collect` makes, by its IAM action. A [`Gap`] names the read that failed and a
        /// check asks for a gap by the same variant, so a misspelt read cannot pass as "no gap".
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Read {
            $($(#[$doc])* #[serde(rename = $action)] $variant,)+
        }

        impl Read {
            /// Every read, in declaration order.
            pub const ALL: &[Read] = &[$(Read::$variant,)+];

            /// The IAM action of the read: `ec2:DescribeRouteTables`.
            pub fn action(self) -> &'static str {
                match self {
                    $(Read::$variant => $action,)+
                }
            }
        }
    };
}

reads! {
    DescribeTasks => "ecs:DescribeTasks",
    DescribeTaskDefinition => "ecs:DescribeTaskDefinition",
    DescribeServices => "ecs:DescribeServices",
    DescribeContainerInstances => "ecs:DescribeContainerInstances",
    DescribeInstances => "ec2:DescribeInstances",
    /// The ECS Managed Instances capacity provider: its launch template's instance profile.
    DescribeCapacityProviders => "ecs:DescribeCapacityProviders",
    GetInstanceProfile => "iam:GetInstanceProfile",
    DescribeNetworkInterfaces => "ec2:DescribeNetworkInterfaces",
    DescribeSubnets => "ec2:DescribeSubnets",
    DescribeVpcs => "ec2:DescribeVpcs",
    DescribeVpcAttribute => "ec2:DescribeVpcAttribute",
    DescribeRouteTables => "ec2:DescribeRouteTables",
    DescribeNatGateways => "ec2:DescribeNatGateways",
    DescribeInternetGateways => "ec2:DescribeInternetGateways",
    DescribeSecurityGroups => "ec2:DescribeSecurityGroups",
    DescribeNetworkAcls => "ec2:DescribeNetworkAcls",
    DescribeVpcEndpoints => "ec2:DescribeVpcEndpoints",
    DescribeDhcpOptions => "ec2:DescribeDhcpOptions",
    DescribeManagedPrefixLists => "ec2:DescribeManagedPrefixLists",
    GetManagedPrefixListEntries => "ec2:GetManagedPrefixListEntries",
    GetRole => "iam:GetRole",
    ListAttachedRolePolicies => "iam:ListAttachedRolePolicies",
    ListRolePolicies => "iam:ListRolePolicies",
    GetRolePolicy => "iam:GetRolePolicy",
    GetPolicy => "iam:GetPolicy",
    GetPolicyVersion => "iam:GetPolicyVersion",
    SimulatePrincipalPolicy => "iam:SimulatePrincipalPolicy",
    DescribeSecret => "secretsmanager:DescribeSecret",
    /// A secret's resource policy, for a secret in another account.
    GetResourcePolicy => "secretsmanager:GetResourcePolicy",
    DescribeParameters => "ssm:DescribeParameters",
    DescribeKey => "kms:DescribeKey",
    GetKeyPolicy => "kms:GetKeyPolicy",
    /// A root cause's KMS key's tags, for its owner.
    ListResourceTags => "kms:ListResourceTags",
    DescribeLogGroups => "logs:DescribeLogGroups",
    /// ListObjectsV2 on the environment file's key: whether the object exists, never its body.
    ListBucket => "s3:ListBucket",
    DescribeImages => "ecr:DescribeImages",
    /// A repository's policy, for a repository in another account.
    GetRepositoryPolicy => "ecr:GetRepositoryPolicy",
    DescribeMountTargets => "elasticfilesystem:DescribeMountTargets",
    DescribeMountTargetSecurityGroups => "elasticfilesystem:DescribeMountTargetSecurityGroups",
    /// A root cause's file system's tags, for its owner.
    DescribeFileSystems => "elasticfilesystem:DescribeFileSystems",
    DescribeAccessPoints => "elasticfilesystem:DescribeAccessPoints",
    /// The member role in the task's account, for a task of another account of the organisation.
    AssumeRole => "sts:AssumeRole",
    /// The task account's alias, which the alert names beside the account id.
    ListAccountAliases => "iam:ListAccountAliases",
    ListServiceDeployments => "ecs:ListServiceDeployments",
    DescribeServiceDeployments => "ecs:DescribeServiceDeployments",
    DescribeServiceRevisions => "ecs:DescribeServiceRevisions",
    /// The last mutating management event on the root cause's resource.
    LookupEvents => "cloudtrail:LookupEvents",
}

impl std::fmt::Display for Read {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.action())
    }
}

impl Facts {
    /// Why a read the check needs is missing, if it is.
    pub fn gap(&self, read: Read) -> Option<&Gap> {
        self.gaps.iter().find(|g| g.read == read)
    }

    /// The subnet the task ran in: the ENI attachment's, else the service's first.
    pub fn task_subnet_id(&self) -> Option<&str> {
        self.task
            .attachment
            .as_ref()
            .and_then(|a| a.subnet_id.as_deref())
            .or_else(|| {
                self.network
                    .network_interface
                    .as_ref()?
                    .subnet_id
                    .as_deref()
            })
            .or_else(|| self.service.as_ref()?.subnets.first().map(String::as_str))
    }

    /// Whether the task got a public IP: the ENI's association while it exists, else the
    /// service's `assignPublicIp`. `None` when neither is known.
    pub fn task_has_public_ip(&self) -> Option<bool> {
        if let Some(eni) = &self.network.network_interface
            && eni.public_ip.is_some()
        {
            return Some(true);
        }
        if let Some(assign) = self.service.as_ref()?.assign_public_ip.as_deref() {
            return Some(assign == "ENABLED");
        }
        self.network.network_interface.as_ref().map(|_| false)
    }
}
