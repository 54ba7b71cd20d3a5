//! The path each needed service takes from the task subnet: an interface endpoint, the S3
//! gateway endpoint, or the internet (through the subnet's default route). The network checks
//! judge the hops of these paths.

use super::{AwsService, Destination, Need};
use crate::facts::{Facts, RouteTable, VpcEndpoint};

/// How the task subnet reaches a destination.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ServicePath<'f> {
    InterfaceEndpoint(&'f VpcEndpoint),
    GatewayEndpoint(&'f VpcEndpoint),
    /// Through the default route; `why` says why not an endpoint.
    Internet {
        why: InternetWhy,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternetWhy {
    NoEndpoint,
    /// An endpoint exists but with private DNS off, so the service's name resolves to its
    /// public addresses.
    PrivateDnsOff,
    /// Endpoints serve only their own region.
    OtherRegion,
    NotAws,
    /// ECR's dual-stack registry name, which no interface endpoint serves.
    DualStackName,
}

impl InternetWhy {
    pub fn describe(self) -> &'static str {
        match self {
            InternetWhy::NoEndpoint => "no VPC endpoint for it",
            InternetWhy::PrivateDnsOff => "its endpoint has private DNS off",
            InternetWhy::OtherRegion => "it is in another region, which no endpoint serves",
            InternetWhy::NotAws => "it is outside AWS",
            InternetWhy::DualStackName => {
                "ECR serves its dual-stack name through no VPC endpoint (no PrivateLink)"
            }
        }
    }
}

/// The path a destination takes from the task subnet.
pub fn path_for<'f>(
    facts: &'f Facts,
    table: Option<&RouteTable>,
    destination: &Destination,
) -> ServicePath<'f> {
    let Destination::Aws { service, region } = destination else {
        return ServicePath::Internet {
            why: InternetWhy::NotAws,
        };
    };
    if region != &facts.task.region {
        return ServicePath::Internet {
            why: InternetWhy::OtherRegion,
        };
    }
    if *service == AwsService::EcrDkrDualStack {
        return ServicePath::Internet {
            why: InternetWhy::DualStackName,
        };
    }
    let name = destination.endpoint_service_name().unwrap_or_default();
    // A deleted endpoint stays visible for a while; it serves nothing, as if missing.
    let endpoints = facts.network.vpc_endpoints.iter().filter(|e| {
        let state = e.state.as_deref().unwrap_or_default().to_ascii_lowercase();
        e.service_name == name && state != "deleted" && state != "deleting"
    });
    if *service == AwsService::S3
        && let Some(table) = table
        && let Some(gateway) = endpoints.clone().find(|e| {
            e.kind.eq_ignore_ascii_case("Gateway") && e.route_table_ids.contains(&table.id)
        })
    {
        return ServicePath::GatewayEndpoint(gateway);
    }
    let mut interface = endpoints
        .filter(|e| e.kind.eq_ignore_ascii_case("Interface"))
        .peekable();
    match interface.clone().find(|e| e.private_dns_enabled) {
        Some(endpoint) => ServicePath::InterfaceEndpoint(endpoint),
        None if interface.peek().is_some() => ServicePath::Internet {
            why: InternetWhy::PrivateDnsOff,
        },
        None => ServicePath::Internet {
            why: InternetWhy::NoEndpoint,
        },
    }
}

/// Every need with its path.
pub fn plan(facts: &Facts) -> Vec<(Need, ServicePath<'_>)> {
    let Some(definition) = &facts.task_definition else {
        return vec![];
    };
    // The subnet the agent's traffic leaves from: the task's on Fargate, the container
    // instance's on EC2 and ECS Managed Instances (see facts::instance).
    let table = facts
        .path_subnet_id()
        .and_then(|subnet| facts.network.route_table_for(subnet));
    super::services(&facts.task, definition)
        .into_iter()
        .map(|need| {
            let path = path_for(facts, table, &need.destination);
            (need, path)
        })
        .collect()
}

/// Whether the VPC's design is endpoints: it has an interface endpoint for a service the task
/// needs. Then a missing endpoint, not the missing internet route, is the fault.
pub fn endpoints_are_the_design(plan: &[(Need, ServicePath<'_>)]) -> bool {
    plan.iter().any(|(_, path)| {
        matches!(
            path,
            ServicePath::InterfaceEndpoint(_)
                | ServicePath::Internet {
                    why: InternetWhy::PrivateDnsOff
                }
        )
    })
}
