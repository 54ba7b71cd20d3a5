//! The container instance of an EC2 or ECS Managed Instances task and its EC2 instance: the
//! network the agent really uses (see `facts::instance`). DescribeContainerInstances runs in
//! round 1 beside the other reads the event names; DescribeInstances follows it, the one
//! sequential step it adds. The instance names its VPC, so round 2 needs no subnet read first.

use super::gap;
use crate::aws::Clients;
use crate::facts::{ContainerInstance, Ec2Instance, Gap, Read};

/// The reads this step makes, for the time budget's gaps.
pub(super) const READS: &[Read] = &[Read::DescribeContainerInstances, Read::DescribeInstances];

/// The container instance `arn` of `cluster` and its EC2 instance. A failed DescribeInstances
/// keeps the container instance and returns its gap beside it.
pub(super) async fn container_instance(
    clients: &Clients,
    cluster: &str,
    arn: Option<&str>,
) -> (Result<Option<ContainerInstance>, Gap>, Option<Gap>) {
    let Some(arn) = arn else {
        return (Ok(None), None);
    };
    let described = clients
        .ecs
        .describe_container_instances()
        .cluster(cluster)
        .container_instances(arn)
        .send()
        .await;
    let out = match described {
        Ok(out) => out,
        Err(e) => return (Err(gap(Read::DescribeContainerInstances, &e)), None),
    };
    let Some(found) = out.container_instances().first() else {
        return (Ok(None), None);
    };
    let mut instance = ContainerInstance {
        arn: found.container_instance_arn().unwrap_or(arn).to_string(),
        ec2_instance_id: found.ec2_instance_id().map(str::to_string),
        capacity_provider_name: found.capacity_provider_name().map(str::to_string),
        instance: None,
    };
    let Some(id) = instance.ec2_instance_id.clone() else {
        return (Ok(Some(instance)), None);
    };
    match ec2_instance(clients, &id).await {
        Ok(found) => {
            instance.instance = found;
            (Ok(Some(instance)), None)
        }
        Err(gap) => (Ok(Some(instance)), Some(gap)),
    }
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
