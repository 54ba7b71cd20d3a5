//! The task, its definition and its service.

use crate::arn::arn_resource_name;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub arn: String,
    pub cluster_arn: String,
    pub group: Option<String>,
    pub started_by: Option<String>,
    pub task_definition_arn: Option<String>,
    pub launch_type: Option<String>,
    pub platform_version: Option<String>,
    pub stopped_reason: String,
    /// A container's reason that says how the task failed to start when the task's own
    /// reason does not (EC2 image pulls: `CannotPullContainerError` on the container).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_reason: Option<String>,
    pub stop_code: Option<String>,
    pub stopped_at: Option<String>,
    pub region: String,
    pub account: String,
    pub availability_zone: Option<String>,
    /// The awsvpc attachment: the ENI ECS made for the task.
    pub attachment: Option<EniAttachment>,
    /// The container instance of an EC2 or ECS Managed Instances task.
    #[serde(default)]
    pub container_instance_arn: Option<String>,
    #[serde(default)]
    pub capacity_provider_name: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Task {
    /// What the classifier reads: the stoppedReason, or the container's reason when only it
    /// says how the start failed.
    pub fn failure_text(&self) -> &str {
        match &self.container_reason {
            Some(reason) if !crate::event::is_start_failure(&self.stopped_reason) => reason,
            _ => &self.stopped_reason,
        }
    }

    /// The cluster's name, from its ARN.
    pub fn cluster_name(&self) -> &str {
        arn_resource_name(&self.cluster_arn)
    }

    /// The task's id, from its ARN.
    pub fn id(&self) -> &str {
        arn_resource_name(&self.arn)
    }

    /// The service that started the task, from its group (`service:NAME`).
    pub fn service_name(&self) -> Option<&str> {
        self.group.as_deref()?.strip_prefix("service:")
    }

    /// What the team calls the thing that failed: see [`workload`].
    pub fn workload(&self) -> &str {
        workload(self.group.as_deref(), &self.arn)
    }

    /// The task definition's family, from its ARN (`…:task-definition/FAMILY:REV`).
    pub fn family(&self) -> Option<&str> {
        let name = arn_resource_name(self.task_definition_arn.as_deref()?);
        Some(name.split(':').next().unwrap_or(name))
    }

    pub fn is_fargate(&self) -> bool {
        !matches!(
            self.launch_type.as_deref(),
            Some("EC2") | Some("EXTERNAL") | Some("MANAGED_INSTANCES")
        ) && self.container_instance_arn.is_none()
    }

    pub fn is_managed_instances(&self) -> bool {
        self.launch_type.as_deref() == Some("MANAGED_INSTANCES")
    }

    /// EC2 and ECS Managed Instances tasks run on a container instance, whose network the
    /// agent uses.
    pub fn uses_container_instance(&self) -> bool {
        matches!(
            self.launch_type.as_deref(),
            Some("EC2") | Some("MANAGED_INSTANCES")
        ) || (self.container_instance_arn.is_some()
            && self.launch_type.as_deref() != Some("EXTERNAL"))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EniAttachment {
    pub subnet_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub private_ipv4_address: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinition {
    pub arn: String,
    pub family: String,
    pub revision: i32,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub network_mode: Option<String>,
    #[serde(default)]
    pub containers: Vec<Container>,
    /// EFS volumes.
    #[serde(default)]
    pub efs_volumes: Vec<EfsVolume>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EfsVolume {
    pub name: String,
    pub file_system_id: String,
    pub access_point_id: Option<String>,
    /// `authorizationConfig.iam` is ENABLED.
    #[serde(default)]
    pub iam_authorization: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub image: String,
    /// `secrets[]`: the environment variable's name and where its value comes from.
    #[serde(default)]
    pub secrets: Vec<SecretRef>,
    /// `repositoryCredentials.credentialsParameter`.
    pub repository_credentials: Option<String>,
    pub log_driver: Option<String>,
    /// awslogs-group, awslogs-region, awslogs-create-group, awslogs-stream-prefix only.
    #[serde(default)]
    pub awslogs_options: BTreeMap<String, String>,
    /// `logConfiguration.secretOptions`.
    #[serde(default)]
    pub log_secret_options: Vec<SecretRef>,
    /// `environmentFiles[].value`: S3 object ARNs.
    #[serde(default)]
    pub environment_files: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    pub name: String,
    pub value_from: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub name: String,
    pub arn: Option<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// `ENABLED` or `DISABLED`, as the service's awsvpcConfiguration says.
    pub assign_public_ip: Option<String>,
    /// DescribeServices' deployments: which revisions the service runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<super::Deployment>,
}

/// The service's name, else the task definition's family (from the task's group,
/// `service:NAME` or `family:NAME`), else the task id: what the team calls the thing that
/// failed.
pub fn workload<'a>(group: Option<&'a str>, task_arn: &'a str) -> &'a str {
    group
        .and_then(|g| {
            g.strip_prefix("service:")
                .or_else(|| g.strip_prefix("family:"))
        })
        .unwrap_or_else(|| arn_resource_name(task_arn))
}
