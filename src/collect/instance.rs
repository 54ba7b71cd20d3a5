//! The container instance of an EC2 or ECS Managed Instances task and its EC2 instance: the
//! network the agent really uses (see `facts::instance`). DescribeContainerInstances runs in
//! round 1 beside the other reads the event names; DescribeInstances follows it, the one
//! sequential step it adds. The instance names its VPC, so round 2 needs no subnet read first.
//!
//! For an ECS Managed Instances task, DescribeCapacityProviders runs beside
//! DescribeContainerInstances, and GetInstanceProfile and the infrastructure role's
//! ListAttachedRolePolicies and ListRolePolicies beside DescribeInstances, so the provider
//! adds no step.

use super::{gap, lookup_error};
use crate::aws::Clients;
use crate::facts::{
    ContainerInstance, Ec2Instance, Gap, InstanceProfileLookup, Lookup, ManagedInstancesProvider,
    Read, RolePolicies, Task,
};

/// The reads this step makes, for the time budget's gaps.
pub(super) const READS: &[Read] = &[
    Read::DescribeContainerInstances,
    Read::DescribeInstances,
    Read::DescribeCapacityProviders,
    Read::GetInstanceProfile,
];

/// What this step read: the container instance (a failed DescribeContainerInstances is its
/// gap), the Managed Instances capacity provider, and the gaps of the reads that followed.
pub(super) struct InstanceReads {
    pub container_instance: Result<Option<ContainerInstance>, Gap>,
    pub capacity_provider: Option<ManagedInstancesProvider>,
    pub gaps: Vec<Gap>,
}

/// The container instance of `task` and its EC2 instance, and for a Managed Instances task
/// its capacity provider: two chains of two steps, side by side. A failed later read keeps
/// what was read before it.
pub(super) async fn container_instance(clients: &Clients, task: &Task) -> InstanceReads {
    let provider_name = task
        .capacity_provider_name
        .as_deref()
        .filter(|_| task.is_managed_instances());
    let host = async {
        let found = describe_container_instance(clients, task).await?;
        let Some(mut found) = found else {
            return Ok((None, None));
        };
        let Some(id) = found.ec2_instance_id.clone() else {
            return Ok((Some(found), None));
        };
        match ec2_instance(clients, &id).await {
            Ok(instance) => {
                found.instance = instance;
                Ok((Some(found), None))
            }
            Err(gap) => Ok((Some(found), Some(gap))),
        }
    };
    let provider = async {
        match provider_name {
            Some(name) => {
                managed_instances_provider(&clients.ecs, &clients.iam, task.cluster_name(), name)
                    .await
            }
            None => Ok(None),
        }
    };
    let (host, provider): (Result<_, Gap>, _) = tokio::join!(host, provider);
    let mut gaps = Vec::new();
    let capacity_provider = provider.map_err(|g| gaps.push(g)).ok().flatten();
    let container_instance = host.map(|(found, instance_gap)| {
        gaps.extend(instance_gap);
        found
    });
    InstanceReads {
        container_instance,
        capacity_provider,
        gaps,
    }
}

/// The ECS Managed Instances capacity provider `name` of `cluster`: DescribeCapacityProviders,
/// then GetInstanceProfile on its launch template's instance profile and the infrastructure
/// role's policy lists, side by side.
pub async fn managed_instances_provider(
    ecs: &aws_sdk_ecs::Client,
    iam: &aws_sdk_iam::Client,
    cluster: &str,
    name: &str,
) -> Result<Option<ManagedInstancesProvider>, Gap> {
    let Some(mut provider) = describe_provider(ecs, cluster, name).await? else {
        return Ok(None);
    };
    if provider.found {
        let (profile, policies) = provider_details(iam, &provider).await;
        provider.instance_profile = profile;
        provider.infrastructure_role_policies = policies;
    }
    Ok(Some(provider))
}

/// DescribeContainerInstances on the task's container instance, if it names one.
async fn describe_container_instance(
    clients: &Clients,
    task: &Task,
) -> Result<Option<ContainerInstance>, Gap> {
    let Some(arn) = task.container_instance_arn.as_deref() else {
        return Ok(None);
    };
    let out = clients
        .ecs
        .describe_container_instances()
        .cluster(&task.cluster_arn)
        .container_instances(arn)
        .send()
        .await
        .map_err(|e| gap(Read::DescribeContainerInstances, &e))?;
    Ok(out
        .container_instances()
        .first()
        .map(|found| ContainerInstance {
            arn: found.container_instance_arn().unwrap_or(arn).to_string(),
            ec2_instance_id: found.ec2_instance_id().map(str::to_string),
            capacity_provider_name: found.capacity_provider_name().map(str::to_string),
            instance: None,
        }))
}

/// DescribeCapacityProviders on a Managed Instances task's provider.
/// Managed Instances providers belong to a cluster: DescribeCapacityProviders finds them when
/// given it (API_DescribeCapacityProviders.html, `cluster`).
async fn describe_provider(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    name: &str,
) -> Result<Option<ManagedInstancesProvider>, Gap> {
    let out = ecs
        .describe_capacity_providers()
        .cluster(cluster)
        .capacity_providers(name)
        .send()
        .await
        .map_err(|e| gap(Read::DescribeCapacityProviders, &e))?;
    let Some(found) = out.capacity_providers().first() else {
        // `MISSING` is a provider that does not exist; any other failure leaves it unknown.
        if let Some(reason) = out
            .failures()
            .iter()
            .filter_map(|f| f.reason())
            .find(|r| *r != "MISSING")
        {
            return Err(Gap {
                read: Read::DescribeCapacityProviders,
                reason: format!("DescribeCapacityProviders answered {reason} for {name}"),
                transient: false,
            });
        }
        return Ok(Some(ManagedInstancesProvider {
            name: name.to_string(),
            found: false,
            ..Default::default()
        }));
    };
    let managed = found.managed_instances_provider();
    let template = managed.and_then(|m| m.instance_launch_template());
    let network = template.and_then(|t| t.network_configuration());
    Ok(Some(ManagedInstancesProvider {
        name: found.name().unwrap_or(name).to_string(),
        found: true,
        infrastructure_role_arn: managed
            .and_then(|m| m.infrastructure_role_arn())
            .map(str::to_string),
        instance_profile_arn: template
            .map(|t| t.ec2_instance_profile_arn().to_string())
            .filter(|a| !a.is_empty()),
        subnets: network.map(|n| n.subnets().to_vec()).unwrap_or_default(),
        security_groups: network
            .map(|n| n.security_groups().to_vec())
            .unwrap_or_default(),
        instance_profile: None,
        infrastructure_role_policies: None,
    }))
}

/// GetInstanceProfile on the provider's instance profile, and ListAttachedRolePolicies and
/// ListRolePolicies on its infrastructure role, side by side.
async fn provider_details(
    iam: &aws_sdk_iam::Client,
    provider: &ManagedInstancesProvider,
) -> (Option<InstanceProfileLookup>, Option<RolePolicies>) {
    let profile = async {
        let name = provider.instance_profile_name()?;
        let lookup = match iam
            .get_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
        {
            Ok(out) => InstanceProfileLookup::Found {
                role_arns: out
                    .instance_profile()
                    .map(|p| p.roles().iter().map(|r| r.arn().to_string()).collect())
                    .unwrap_or_default(),
            },
            // lookup_error answers NotFound or Failed.
            Err(e) => match lookup_error(Read::GetInstanceProfile, &e) {
                Lookup::Failed(reason) => InstanceProfileLookup::Failed { reason },
                _ => InstanceProfileLookup::NotFound,
            },
        };
        Some(lookup)
    };
    // Not a gap: the execution role's checks ask for ListAttachedRolePolicies' gap, and this
    // is another role's read.
    let policies = async {
        let role = provider.infrastructure_role_name()?;
        let (attached, inline) = tokio::join!(
            iam.list_attached_role_policies()
                .role_name(role)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>(),
            iam.list_role_policies()
                .role_name(role)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>(),
        );
        // lookup_error answers NotFound or Failed.
        let failed = |lookup| match lookup {
            Lookup::Failed(reason) => RolePolicies::Failed { reason },
            _ => RolePolicies::RoleNotFound,
        };
        Some(match (attached, inline) {
            (Ok(attached), Ok(inline)) => RolePolicies::Listed {
                attached: attached
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_string))
                    .collect(),
                inline,
            },
            (Err(e), _) => failed(lookup_error(Read::ListAttachedRolePolicies, &e)),
            (_, Err(e)) => failed(lookup_error(Read::ListRolePolicies, &e)),
        })
    };
    tokio::join!(profile, policies)
}

async fn ec2_instance(clients: &Clients, id: &str) -> Result<Option<Ec2Instance>, Gap> {
    let out = clients
        .ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| gap(Read::DescribeInstances, &e))?;
    let Some(instance) = out.reservations().iter().flat_map(|r| r.instances()).next() else {
        return Ok(None);
    };
    let primary = instance
        .network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0))
        .or_else(|| instance.network_interfaces().first());
    // The primary ENI's groups; an instance without interface details lists its own.
    let groups: Vec<String> = match primary {
        Some(eni) if !eni.groups().is_empty() => eni
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
        _ => instance
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
    };
    Ok(Some(Ec2Instance {
        id: instance.instance_id().unwrap_or(id).to_string(),
        vpc_id: instance.vpc_id().map(str::to_string),
        subnet_id: instance.subnet_id().map(str::to_string),
        security_groups: groups,
        primary_eni: primary.and_then(|e| e.network_interface_id().map(str::to_string)),
        private_ip: instance.private_ip_address().map(str::to_string),
        public_ip: instance.public_ip_address().map(str::to_string),
        ipv6_addresses: primary
            .map(|e| {
                e.ipv6_addresses()
                    .iter()
                    .filter_map(|a| a.ipv6_address().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        instance_profile_arn: instance
            .iam_instance_profile()
            .and_then(|p| p.arn().map(str::to_string)),
    }))
}
