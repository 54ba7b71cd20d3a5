//! The container instance an EC2 or ECS Managed Instances task ran on, and which network
//! interface carries the task's start-time traffic (the "path source" the network checks
//! judge).
//!
//! Fargate (platform 1.4.0+): the task's ENI carries image pulls, secrets and log set-up
//! (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html).
//! ECS Managed Instances: image downloads from ECR, Secrets Manager retrieval and log uploads
//! use the instance's primary ENI, also for `awsvpc` tasks
//! (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instances-awsvpc-mode.html).
//! EC2 launch type: the agent runs in the host network namespace (amazon-ecs-agent
//! ecs-init/docker/docker.go#L55, `networkMode = "host"`) and the Docker daemon pulls images
//! and runs the awslogs driver on the host, so in every network mode (awsvpc, bridge, host)
//! the start-time calls leave through the instance's primary ENI; the EC2 hosts must reach
//! ECR and S3 (https://docs.aws.amazon.com/AmazonECS/latest/bestpracticesguide/networking-connecting-vpc.html).
//! The task ENI of an EC2 `awsvpc` task carries only the containers' own traffic
//! (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html).

use super::Facts;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInstance {
    pub arn: String,
    pub ec2_instance_id: Option<String>,
    pub capacity_provider_name: Option<String>,
    /// DescribeInstances' answer; `None` when the instance is gone (terminated instances
    /// drop out of DescribeInstances after about an hour).
    pub instance: Option<Ec2Instance>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Ec2Instance {
    pub id: String,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    /// The primary ENI's security groups.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// The primary ENI (device index 0).
    pub primary_eni: Option<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    #[serde(default)]
    pub ipv6_addresses: Vec<String>,
    pub instance_profile_arn: Option<String>,
}

/// The ECS Managed Instances capacity provider a task ran on (DescribeCapacityProviders), and
/// what its launch template names: the instance profile (GetInstanceProfile) and the
/// infrastructure role's managed policies (ListAttachedRolePolicies).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesProvider {
    pub name: String,
    /// `false` when DescribeCapacityProviders answered with a failure for the name: deleted.
    pub found: bool,
    pub infrastructure_role_arn: Option<String>,
    pub instance_profile_arn: Option<String>,
    /// The launch template's network configuration: where new instances start.
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// GetInstanceProfile on the launch template's profile.
    pub instance_profile: Option<InstanceProfileLookup>,
    /// The infrastructure role's policies; `None` when the provider names no such role.
    pub infrastructure_role_policies: Option<RolePolicies>,
}

/// What ListAttachedRolePolicies and ListRolePolicies said of the infrastructure role.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum RolePolicies {
    /// The managed policies' ARNs and the inline policies' names.
    Listed {
        attached: Vec<String>,
        inline: Vec<String>,
    },
    RoleNotFound,
    Failed {
        reason: String,
    },
}

/// What GetInstanceProfile said of the launch template's instance profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum InstanceProfileLookup {
    /// The profile exists; the ARNs of the roles it holds (at most one).
    Found {
        role_arns: Vec<String>,
    },
    NotFound,
    /// The read failed for another reason: unknown.
    Failed {
        reason: String,
    },
}

impl ManagedInstancesProvider {
    /// The instance profile's name, from its ARN (`…:instance-profile/PATH/NAME`) or as given.
    pub fn instance_profile_name(&self) -> Option<&str> {
        self.instance_profile_arn.as_deref()?.rsplit('/').next()
    }

    /// The infrastructure role's name, from its ARN.
    pub fn infrastructure_role_name(&self) -> Option<&str> {
        self.infrastructure_role_arn.as_deref()?.rsplit('/').next()
    }
}

impl Ec2Instance {
    /// The instance profile's name, from its ARN (`…:instance-profile/PATH/NAME`).
    pub fn instance_profile_name(&self) -> Option<&str> {
        self.instance_profile_arn.as_deref()?.rsplit('/').next()
    }
}

/// Which interface carries the task's start-time traffic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PathSource<'f> {
    /// Fargate: the task's own ENI.
    TaskEni,
    /// EC2 or ECS Managed Instances: the container instance's primary ENI.
    Instance(&'f Ec2Instance),
    /// The interface cannot be known; the network checks say why and skip.
    Unknown(&'static str),
}

impl Facts {
    /// The interface the agent's calls (images, secrets, registry auth, logs, env files)
    /// leave from.
    pub fn path_source(&self) -> PathSource<'_> {
        match self.task.launch_type.as_deref() {
            Some("EXTERNAL") => PathSource::Unknown(
                "with the EXTERNAL launch type (ECS Anywhere) the agent reaches AWS from the \
                 on-premises host's network, which the doctor cannot read",
            ),
            _ if !self.task.uses_container_instance() => PathSource::TaskEni,
            _ => match &self.container_instance {
                Some(ContainerInstance {
                    instance: Some(instance),
                    ..
                }) => PathSource::Instance(instance),
                Some(_) => PathSource::Unknown(
                    "the container instance's EC2 instance could not be read (it may be \
                     terminated)",
                ),
                None if self.task.container_instance_arn.is_none() => PathSource::Unknown(
                    "the task names no container instance (it was never placed)",
                ),
                None => PathSource::Unknown("the container instance could not be read"),
            },
        }
    }

    /// The subnet the start-time traffic leaves from: the task's for Fargate, the container
    /// instance's for EC2 and ECS Managed Instances.
    pub fn path_subnet_id(&self) -> Option<&str> {
        match self.path_source() {
            PathSource::TaskEni => self.task_subnet_id(),
            PathSource::Instance(instance) => instance.subnet_id.as_deref(),
            PathSource::Unknown(_) => None,
        }
    }

    /// Whether the path's interface has a public IPv4 address.
    pub fn path_has_public_ip(&self) -> Option<bool> {
        match self.path_source() {
            PathSource::TaskEni => self.task_has_public_ip(),
            PathSource::Instance(instance) => Some(instance.public_ip.is_some()),
            PathSource::Unknown(_) => None,
        }
    }

    /// Whether the path's subnet is IPv6-only: its IPv4 hops do not apply.
    pub fn path_is_ipv6_only(&self) -> bool {
        self.path_subnet_id()
            .and_then(|s| self.network.subnet(s))
            .is_some_and(|s| !s.ipv6_cidrs.is_empty() && (s.ipv6_native || s.cidr.is_none()))
    }

    /// The path interface's private IPv4 address.
    pub fn path_private_ip(&self) -> Option<std::net::Ipv4Addr> {
        let ip = match self.path_source() {
            PathSource::TaskEni => self
                .task
                .attachment
                .as_ref()?
                .private_ipv4_address
                .as_deref(),
            PathSource::Instance(instance) => instance.private_ip.as_deref(),
            PathSource::Unknown(_) => None,
        };
        ip?.parse().ok()
    }

    /// The security groups of the path's interface: for Fargate the service's, else the
    /// ENI's while it exists; for an instance its primary ENI's.
    pub fn path_security_groups(&self) -> Option<Vec<&str>> {
        match self.path_source() {
            PathSource::TaskEni => {
                if let Some(service) = &self.service
                    && !service.security_groups.is_empty()
                {
                    return Some(service.security_groups.iter().map(String::as_str).collect());
                }
                let eni = self.network.network_interface.as_ref()?;
                Some(eni.security_groups.iter().map(String::as_str).collect())
            }
            PathSource::Instance(instance) => Some(
                instance
                    .security_groups
                    .iter()
                    .map(String::as_str)
                    .collect(),
            ),
            PathSource::Unknown(_) => None,
        }
    }

    /// The path's interface, for sentences: "the task" or "container instance i-… (ENI eni-…)".
    pub fn path_interface(&self) -> String {
        match self.path_source() {
            PathSource::Instance(instance) => format!(
                "container instance {}{}",
                instance.id,
                instance
                    .primary_eni
                    .as_deref()
                    .map(|e| format!(" (primary ENI {e})"))
                    .unwrap_or_default()
            ),
            _ => "the task".into(),
        }
    }
}
