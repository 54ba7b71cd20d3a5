//! Network path from the task's subnet to the internet: route table, default route, internet
//! gateway with a public IP, or a NAT gateway that itself reaches an internet gateway.

use super::{Category, Check, Context, Finding, Scope, Severity, Status};
use crate::facts::{Facts, NatGateway, PathSource, Read, RouteTable, RouteTarget};
use crate::needs::paths::{self, InternetWhy, ServicePath};
use crate::needs::{Destination, Need};

const ROUTE_DOCS: &str =
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html";

pub const DEFAULT_ROUTE: Check = Check {
    id: "network.default-route",
    title: "Task subnet has a usable default route",
    problem: "the task subnet has no usable route out of the VPC",
    category: Category::NetworkRoute,
    severity: Severity::Critical,
    scope: Scope::Vpc,
    remediation: "Add a default route (0.0.0.0/0) to the task subnet's route table: to a NAT \
                  gateway in a public subnet for private subnets, or to an internet gateway for \
                  public subnets with assignPublicIp=ENABLED. Alternatively give the task VPC \
                  endpoints for every service it needs.",
    docs: ROUTE_DOCS,
    run: default_route,
};

pub const PUBLIC_IP: Check = Check {
    id: "network.public-ip",
    title: "Task has a public IP where its route is an internet gateway",
    problem: "the task has no public IP but its subnet routes to an internet gateway",
    category: Category::PublicIp,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Set assignPublicIp=ENABLED in the service's (or RunTask's) \
                  awsvpcConfiguration, or run the task in a private subnet whose default route \
                  is a NAT gateway.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html#fargate-task-networking-considerations",
    run: public_ip,
};

pub const NAT_GATEWAY: Check = Check {
    id: "network.nat-gateway",
    title: "NAT gateway is available and reaches an internet gateway",
    problem: "the NAT gateway of the task subnet cannot reach the internet",
    category: Category::NetworkRoute,
    severity: Severity::Critical,
    scope: Scope::Vpc,
    remediation: "Point the task subnet's default route at an available public NAT gateway that \
                  sits in a subnet whose own default route is an internet gateway.",
    docs: "https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html",
    run: nat_gateway,
};

pub const PATHS: Check = Check {
    id: "network.paths",
    title: "The path the task takes to each service it needs",
    problem: "the task's paths to its services",
    category: Category::NetworkRoute,
    severity: Severity::Low,
    scope: Scope::Vpc,
    remediation: "Nothing to fix here; the other network findings judge each hop of these paths.",
    docs: ROUTE_DOCS,
    run: service_paths,
};

fn service_paths(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let plan = &cx.plan;
    if plan.is_empty() {
        return vec![check.skipped(match facts.gap(Read::DescribeTaskDefinition) {
            Some(gap) => format!("Skipped: the services the task needs are unknown: the doctor could not call {} ({}).", gap.read, gap.reason),
            None => "Skipped: the task definition is unknown, so the services the task needs are too.".into(),
        })];
    }
    let lines: Vec<String> = plan
        .iter()
        .map(|(need, path)| match path {
            ServicePath::InterfaceEndpoint(e) => {
                format!("{} through interface endpoint {}", need.destination, e.id)
            }
            ServicePath::GatewayEndpoint(e) => {
                format!("{} through gateway endpoint {}", need.destination, e.id)
            }
            ServicePath::Internet { why } => format!(
                "{} through the subnet's default route ({})",
                need.destination,
                why.describe()
            ),
        })
        .collect();
    vec![check.info(
        format!("Task {} reaches: {}.", facts.task.id(), lines.join("; ")),
        &[],
    )]
}

/// What the task reaches through the internet, and why not through an endpoint.
pub(super) fn internet_needs<'c>(cx: &'c Context) -> Vec<(&'c Need, InternetWhy)> {
    cx.plan
        .iter()
        .filter_map(|(need, path)| match path {
            ServicePath::Internet { why } => Some((need, *why)),
            _ => None,
        })
        .collect()
}

/// Whether the task needs the internet path; when its task definition is unknown, it may.
fn internet_needed(cx: &Context) -> bool {
    cx.facts.task_definition.is_none() || !internet_needs(cx).is_empty()
}

/// Whether the internet path works (route, public IP or NAT): `None` when it cannot be told.
pub(super) fn internet_usable(cx: &Context) -> Option<bool> {
    let facts = cx.facts;
    let hops = [
        default_route_hop(&DEFAULT_ROUTE, facts),
        public_ip_hop(&PUBLIC_IP, facts),
        nat_gateway_hop(&NAT_GATEWAY, facts),
    ]
    .concat();
    if hops.iter().any(|f| f.status == Status::Fail) {
        Some(false)
    } else if hops
        .iter()
        .any(|f| matches!(f.status, Status::Warn | Status::Skipped))
    {
        None
    } else {
        Some(true)
    }
}

fn listing(needs: &[(&Need, InternetWhy)]) -> String {
    needs
        .iter()
        .map(|(need, why)| {
            format!(
                "{} ({}; for {})",
                need.destination,
                why.describe(),
                need.reasons.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn default_route(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let needs = internet_needs(cx);
    if !internet_needed(cx) {
        let plan = &cx.plan;
        let served: Vec<String> = plan
            .iter()
            .map(|(need, _)| need.destination.to_string())
            .collect();
        return vec![check.pass(
            format!(
                "Task {} reaches every service it needs through VPC endpoints ({}), so the \
                 subnet's default route is not on its path.",
                facts.task.id(),
                served.join(", ")
            ),
            &[],
        )];
    }
    let mut findings = default_route_hop(check, facts);
    for finding in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        let endpoints_only = !needs.is_empty()
            && needs.iter().all(|(need, why)| {
                matches!(need.destination, Destination::Aws { .. })
                    && matches!(why, InternetWhy::NoEndpoint | InternetWhy::PrivateDnsOff)
            });
        if endpoints_only && paths::endpoints_are_the_design(&cx.plan) {
            finding.status = Status::Info;
            finding.detail.push_str(
                " This VPC reaches AWS through VPC endpoints, so the endpoints it lacks or \
                 cannot resolve (endpoint.missing, endpoint.private-dns) are the fault, not the \
                 route.",
            );
        } else if !needs.is_empty() {
            finding.detail.push_str(&format!(
                " The task needs the internet for: {}.",
                listing(&needs)
            ));
        }
    }
    findings
}

fn public_ip(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if internet_needed(cx) {
        public_ip_hop(check, facts)
    } else {
        vec![]
    }
}

fn nat_gateway(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if internet_needed(cx) {
        nat_gateway_hop(check, facts)
    } else {
        vec![]
    }
}

pub const IPV6: Check = Check {
    id: "network.ipv6",
    title: "An IPv6-only subnet reaches every service the task needs over IPv6",
    problem: "the IPv6-only subnet cannot reach a service the task needs",
    category: Category::NetworkRoute,
    severity: Severity::Critical,
    scope: Scope::Vpc,
    remediation: "Route ::/0 to an internet gateway (public) or an egress-only internet gateway \
                  (private); for IPv4-only services turn on DNS64 on the subnet and route \
                  64:ff9b::/96 to a NAT gateway in a public subnet; allow TCP 443 to ::/0 in \
                  the security groups; pull ECR images by their dual-stack name \
                  (ACCOUNT.dkr-ecr.REGION.on.aws).",
    docs: "https://aws.amazon.com/blogs/containers/amazon-ecs-announces-ipv6-only-support/",
    run: ipv6,
};

/// Whether a service answers over IPv6 (has a dual-stack endpoint the agent uses): ECR
/// (`*.dkr-ecr.REGION.on.aws`, `ecr.REGION.api.aws`, ecr-requests.html), S3
/// (`s3.dualstack.REGION.amazonaws.com`) and CloudWatch Logs. Secrets Manager's and SSM's
/// dual-stack names were not verified, so they count as IPv4-only: NAT64 is asked for.
fn dual_stack(destination: &Destination) -> bool {
    use crate::needs::AwsService::*;
    matches!(
        destination,
        Destination::Aws {
            service: EcrApi | EcrDkr | EcrDkrDualStack | S3 | Logs,
            ..
        }
    )
}

/// An IPv6-only path: its `::/0` route, NAT64 for IPv4-only services, the security groups'
/// IPv6 egress and ECR's dual-stack image names. A dual-stack subnet uses IPv4 for the
/// start-time calls, so its IPv4 findings decide and it passes here when they do.
fn ipv6(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    let Some(subnet) = facts.path_subnet_id().and_then(|s| facts.network.subnet(s)) else {
        return vec![];
    };
    if subnet.ipv6_cidrs.is_empty() {
        return vec![];
    }
    let id = subnet.id.as_str();
    if !subnet.ipv6_native && subnet.cidr.is_some() {
        return match internet_usable(cx) {
            Some(true) => vec![check.pass(
                format!(
                    "Subnet {id} is dual-stack and its IPv4 path works: the start-time calls use \
                     IPv4, so IPv6 is not needed for the task to start."
                ),
                &[id],
            )],
            _ => vec![],
        };
    }
    let Some(table) = facts.network.route_table_for(id) else {
        return vec![];
    };
    let rtb = table.id.as_str();
    let mut findings = Vec::new();
    match table.default_route_v6() {
        None => findings.push(
            check
                .fail(
                    format!(
                        "Subnet {id} is IPv6-only and its route table {rtb} has no ::/0 route: \
                         {} cannot reach any service outside the VPC over IPv6.",
                        facts.path_interface()
                    ),
                    &[id, rtb],
                )
                .with_fix(format!(
                    "aws ec2 create-route --route-table-id {rtb} --destination-ipv6-cidr-block \
                     ::/0 --egress-only-internet-gateway-id <egress-only internet gateway>  (or \
                     --gateway-id <internet gateway> for a public subnet)"
                )),
        ),
        Some(route) if route.is_blackhole() => findings.push(check.fail(
            format!(
                "The ::/0 route of {rtb} (IPv6-only subnet {id}) points to {}, which no longer \
                 exists: the route is a blackhole.",
                route.target.id().unwrap_or("a deleted target")
            ),
            &[id, rtb],
        )),
        Some(route) => match &route.target {
            RouteTarget::InternetGateway(igw)
                if facts.gap(Read::DescribeInternetGateways).is_none()
                    && !facts.network.internet_gateways.contains(igw) =>
            {
                findings.push(check.fail(
                    format!(
                        "The ::/0 route of {rtb} (IPv6-only subnet {id}) points to internet \
                         gateway {igw}, which is not attached to the VPC."
                    ),
                    &[id, rtb, igw],
                ))
            }
            RouteTarget::InternetGateway(_) | RouteTarget::EgressOnlyInternetGateway(_) => {}
            other => findings.push(check.warn(
                format!(
                    "The ::/0 route of {rtb} (IPv6-only subnet {id}) leaves via {} {}; the \
                     doctor cannot verify the path beyond it.",
                    target_kind(other),
                    other.id().unwrap_or_default()
                ),
                &[id, rtb],
            )),
        },
    }
    // IPv4-only services: DNS64 answers them with 64:ff9b::/96 addresses, which a NAT gateway
    // translates (NAT64). Without both, their names resolve to nothing reachable.
    let nat64 = table
        .nat64_route()
        .filter(|r| !r.is_blackhole())
        .and_then(|r| match &r.target {
            RouteTarget::NatGateway(nat) => facts.network.nat_gateway(nat),
            _ => None,
        })
        .filter(|nat| nat.state.as_deref() == Some("available"));
    let ipv4_only: Vec<String> = internet_needs(cx)
        .into_iter()
        .filter(|(need, _)| !dual_stack(&need.destination))
        .map(|(need, _)| need.destination.to_string())
        .collect();
    if !ipv4_only.is_empty() && (!subnet.enable_dns64 || nat64.is_none()) {
        let missing = match (subnet.enable_dns64, nat64.is_some()) {
            (false, false) => {
                "DNS64 is off on the subnet and no 64:ff9b::/96 route goes to an available NAT gateway"
            }
            (false, true) => "DNS64 is off on the subnet",
            _ => "no 64:ff9b::/96 route goes to an available NAT gateway",
        };
        findings.push(
            check
                .fail(
                    format!(
                        "Subnet {id} is IPv6-only and {missing}, so the task cannot reach \
                         services without IPv6 addresses: {}.",
                        ipv4_only.join(", ")
                    ),
                    &[id, rtb],
                )
                .with_fix(format!(
                    "aws ec2 modify-subnet-attribute --subnet-id {id} --enable-dns64 and aws ec2 \
                     create-route --route-table-id {rtb} --destination-ipv6-cidr-block \
                     64:ff9b::/96 --nat-gateway-id <NAT gateway in a public subnet>"
                )),
        );
    }
    // ECR's IPv4-only names have no IPv6 address; IPv6-only workloads must use the
    // dual-stack URI, which ECR does not serve through PrivateLink (ecr-requests.html).
    let ipv4_images: Vec<&str> = facts
        .task_definition
        .iter()
        .flat_map(|d| &d.containers)
        .map(|c| c.image.as_str())
        .filter(|image| image.contains(".dkr.ecr.") && image.contains(".amazonaws.com"))
        .collect();
    // DNS64 and NAT64 together reach an IPv4-only name; a NAT64 route without DNS64 does not.
    let through_nat64 = subnet.enable_dns64 && nat64.is_some();
    if !ipv4_images.is_empty() && !through_nat64 {
        findings.push(check.fail(
            format!(
                "Subnet {id} is IPv6-only but the task pulls {} by the IPv4-only ECR name: use \
                 the dual-stack name ACCOUNT.dkr-ecr.REGION.on.aws (ECS was publicly reported \
                 not to send registry credentials for that name, containers-roadmap#2611: \
                 check the pull after the change).",
                ipv4_images.join(", ")
            ),
            &[id],
        ));
    }
    // An interface endpoint serves an IPv6-only subnet only with IPv6 addresses (IpAddressType
    // ipv6 or dualstack) and AAAA records for its private DNS name (DnsRecordIpType ipv6 or
    // dualstack; service-defined gives A records only there) (privatelink-access-aws-
    // services.html, API_DnsOptionsSpecification.html). With DNS64 and NAT64 its IPv4
    // addresses are reached through the NAT gateway instead, from the NAT gateway's address:
    // the endpoint's security group must admit that, which the endpoint checks (judging the
    // task's group) do not see, so it is a warning. An answer without the fields (older
    // endpoints, the emulator) is not judged.
    for (need, path) in &cx.plan {
        let ServicePath::InterfaceEndpoint(endpoint) = path else {
            continue;
        };
        let address = endpoint.ip_address_type.as_deref();
        let records = endpoint.dns_record_ip_type.as_deref();
        let problem = if address == Some("ipv4") {
            "has IPv4 addresses only (IpAddressType ipv4)".to_string()
        } else if let Some(records @ ("ipv4" | "service-defined")) = records {
            format!("publishes only A records for its private DNS name (DnsRecordIpType {records})")
        } else {
            continue;
        };
        let ecr = matches!(
            need.destination,
            Destination::Aws {
                service: crate::needs::AwsService::EcrApi | crate::needs::AwsService::EcrDkr,
                ..
            }
        );
        // ECR serves no PrivateLink over dual-stack (ecr-requests.html): only NAT64 helps.
        let fix = if ecr {
            format!(
                "aws ec2 modify-subnet-attribute --subnet-id {id} --enable-dns64 and aws ec2 \
                 create-route --route-table-id {rtb} --destination-ipv6-cidr-block 64:ff9b::/96 \
                 --nat-gateway-id <NAT gateway>: ECR serves no PrivateLink over IPv6, so DNS64 \
                 and NAT64 reach endpoint {} over its IPv4 addresses.",
                endpoint.id
            )
        } else {
            // dualstack needs both families in every endpoint subnet, ipv6 IPv6-only subnets.
            let subnets: Vec<_> = endpoint
                .subnet_ids
                .iter()
                .filter_map(|s| facts.network.subnet(s))
                .collect();
            let address_type = if !subnets.is_empty()
                && subnets
                    .iter()
                    .all(|s| !s.ipv6_cidrs.is_empty() && s.cidr.is_some())
            {
                "dualstack"
            } else if !subnets.is_empty()
                && subnets
                    .iter()
                    .all(|s| !s.ipv6_cidrs.is_empty() && s.cidr.is_none())
            {
                "ipv6"
            } else {
                "dualstack (after giving every endpoint subnet an IPv6 CIDR)"
            };
            let records = address_type.split(' ').next().unwrap_or("dualstack");
            format!(
                "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --ip-address-type \
                 {address_type} --dns-options DnsRecordIpType={records}",
                endpoint.id
            )
        };
        if through_nat64 {
            let nat = nat64.map(|n| n.id.as_str()).unwrap_or_default();
            findings.push(check.warn(
                format!(
                    "Interface endpoint {} for {} {problem}: {} in IPv6-only subnet {id} reaches \
                     it only through DNS64 and NAT gateway {nat}, from the NAT gateway's \
                     address, which the endpoint's security groups must admit on 443 ({}).",
                    endpoint.id,
                    need.destination,
                    facts.path_interface(),
                    need.reasons.join(", ")
                ),
                &[endpoint.id.as_str(), id, nat],
            ));
            continue;
        }
        findings.push(
            check
                .fail(
                    format!(
                        "Interface endpoint {} for {} {problem}: {} in IPv6-only subnet {id} \
                         cannot reach it ({}).",
                        endpoint.id,
                        need.destination,
                        facts.path_interface(),
                        need.reasons.join(", ")
                    ),
                    &[endpoint.id.as_str(), id],
                )
                .with_fix(fix),
        );
    }
    // The security groups must let HTTPS out to IPv6 addresses.
    if let Some(groups) = facts.path_security_groups()
        && facts.gap(Read::DescribeSecurityGroups).is_none()
    {
        let open = groups
            .iter()
            .filter_map(|g| facts.network.security_group(g))
            .flat_map(|g| &g.egress)
            .any(|rule| {
                let port = match (rule.from_port, rule.to_port) {
                    (Some(from), Some(to)) if from >= 0 => from <= 443 && 443 <= to,
                    _ => true,
                };
                (rule.protocol == "-1" || rule.protocol == "tcp" || rule.protocol == "6")
                    && port
                    && rule.ipv6_cidrs.iter().any(|c| c == "::/0")
            });
        if !open && !groups.is_empty() {
            findings.push(check.fail(
                format!(
                    "Subnet {id} is IPv6-only but security groups {} allow no TCP 443 out to \
                     ::/0: the task's HTTPS to AWS services is dropped.",
                    groups.join(", ")
                ),
                &groups,
            ));
        }
    }
    if findings.is_empty() {
        findings.push(check.pass(
            format!(
                "IPv6-only subnet {id} routes ::/0 out of the VPC, reaches IPv4-only services \
                 through DNS64 and NAT64 where needed, and its security groups allow HTTPS to \
                 ::/0."
            ),
            &[id, rtb],
        ));
    }
    findings
}

/// The task subnet's route table, or the finding that says why it cannot be judged.
fn task_route_table<'f>(
    check: &Check,
    facts: &'f Facts,
) -> Result<(&'f str, &'f RouteTable), Box<Finding>> {
    let subnet = match facts.path_source() {
        PathSource::Unknown(why) => {
            return Err(Box::new(check.skipped(format!("Skipped: {why}."))));
        }
        PathSource::Instance(instance) => instance.subnet_id.as_deref().ok_or_else(|| {
            Box::new(check.skipped(format!(
                "Skipped: container instance {} reports no subnet.",
                instance.id
            )))
        })?,
        PathSource::TaskEni => facts.task_subnet_id().ok_or_else(|| {
            Box::new(check.skipped(
                "Skipped: the task's subnet is unknown (the event has no ENI attachment and no service names its subnets).",
            ))
        })?,
    };
    for call in [Read::DescribeSubnets, Read::DescribeRouteTables] {
        if let Some(gap) = facts.gap(call) {
            return Err(Box::new(check.skipped_for(gap)));
        }
    }
    if facts.path_is_ipv6_only() {
        return Err(Box::new(check.skipped(format!(
            "Skipped: subnet {subnet} is IPv6-only, so it has no IPv4 route to judge; \
             network.ipv6 judges its path."
        ))));
    }
    if facts.network.subnet(subnet).is_none() {
        return Err(Box::new(check.fail(
            format!(
                "The task's subnet {subnet} does not exist (any more), so no route can be judged."
            ),
            &[subnet],
        )));
    }
    match facts.network.route_table_for(subnet) {
        Some(table) => Ok((subnet, table)),
        None => Err(Box::new(check.fail(
            format!("Subnet {subnet} has no route table: neither an explicit association nor a main table of its VPC was found."),
            &[subnet],
        ))),
    }
}

fn association(table: &RouteTable, subnet: &str) -> &'static str {
    if table.subnet_ids.iter().any(|s| s == subnet) {
        "its explicitly associated route table"
    } else {
        "the VPC's main route table"
    }
}

fn default_route_hop(check: &Check, facts: &Facts) -> Vec<Finding> {
    let (subnet, table) = match task_route_table(check, facts) {
        Ok(found) => found,
        Err(finding) => return vec![*finding],
    };
    let uses = association(table, subnet);
    let rtb = table.id.as_str();
    let Some(route) = table.default_route() else {
        return vec![
            check
                .fail(
                    format!(
                        "Subnet {subnet} uses {uses} {rtb}, which has no default route \
                         (0.0.0.0/0): the task cannot reach the internet or any AWS service \
                         outside the VPC."
                    ),
                    &[subnet, rtb],
                )
                .with_fix(format!(
                    "{}  (or add VPC endpoints for every service the task needs)",
                    route_to_nat(facts, "create-route", rtb, None)
                )),
        ];
    };
    let target = route.target.id().unwrap_or("an unknown target");
    if route.is_blackhole() {
        return vec![
            check
                .fail(
                    format!(
                        "The default route of {rtb} (used by subnet {subnet}) points to \
                         {target}, which no longer exists: the route is a blackhole."
                    ),
                    &[subnet, rtb, target],
                )
                .with_fix(route_to_nat(facts, "replace-route", rtb, Some(target))),
        ];
    }
    let finding = match &route.target {
        RouteTarget::InternetGateway(igw) => {
            if facts.gap(Read::DescribeInternetGateways).is_none()
                && !facts.network.internet_gateways.contains(igw)
            {
                check
                    .fail(
                        format!(
                            "The default route of {rtb} (used by subnet {subnet}) points to \
                             internet gateway {igw}, which is not attached to the task's VPC: \
                             the route is a blackhole."
                        ),
                        &[subnet, rtb, igw],
                    )
                    .with_fix(format!(
                        "aws ec2 attach-internet-gateway --internet-gateway-id {igw} --vpc-id {}",
                        facts.network.vpc_id.as_deref().unwrap_or("<vpc>")
                    ))
            } else {
                check.pass(
                    format!(
                        "Subnet {subnet} uses {uses} {rtb}, whose default route goes to \
                         internet gateway {igw}."
                    ),
                    &[subnet, rtb, igw],
                )
            }
        }
        RouteTarget::NatGateway(nat) => check.pass(
            format!(
                "Subnet {subnet} uses {uses} {rtb}, whose default route goes to NAT gateway \
                 {nat}."
            ),
            &[subnet, rtb, nat],
        ),
        RouteTarget::Local => check.fail(
            format!(
                "The default route of {rtb} (used by subnet {subnet}) is local: traffic to AWS \
                 services never leaves the VPC."
            ),
            &[subnet, rtb],
        ),
        other => check.warn(
            format!(
                "Subnet {subnet} uses {uses} {rtb}, whose default route leaves the VPC via {} \
                 {target}; the doctor cannot verify the path beyond it (its route tables, \
                 firewall rules and NAT).",
                target_kind(other)
            ),
            &[subnet, rtb, target],
        ),
    };
    vec![finding]
}

fn target_kind(target: &RouteTarget) -> &'static str {
    match target {
        RouteTarget::TransitGateway(_) => "transit gateway",
        RouteTarget::VpcPeering(_) => "VPC peering connection",
        RouteTarget::VpcEndpoint(_) => "Gateway Load Balancer (firewall) endpoint",
        RouteTarget::VirtualPrivateGateway(_) => "virtual private gateway",
        RouteTarget::NetworkInterface(_) => "network interface (appliance)",
        RouteTarget::Instance(_) => "instance",
        RouteTarget::EgressOnlyInternetGateway(_) => "egress-only internet gateway",
        RouteTarget::InternetGateway(_) => "internet gateway",
        RouteTarget::NatGateway(_) => "NAT gateway",
        RouteTarget::Local => "the local route",
        RouteTarget::Other(_) | RouteTarget::Unknown => "target",
    }
}

/// The default route's target, when the route is usable.
fn default_target(facts: &Facts) -> Option<(&str, &RouteTable, &RouteTarget)> {
    let subnet = facts.path_subnet_id()?;
    let table = facts.network.route_table_for(subnet)?;
    let route = table.default_route().filter(|r| !r.is_blackhole())?;
    Some((subnet, table, &route.target))
}

fn public_ip_hop(check: &Check, facts: &Facts) -> Vec<Finding> {
    if let Err(skipped) = task_route_table(check, facts) {
        return if skipped.status == Status::Skipped {
            vec![*skipped]
        } else {
            vec![] // default-route already reports the broken table.
        };
    }
    let Some((subnet, _, RouteTarget::InternetGateway(igw))) = default_target(facts) else {
        return vec![]; // not an internet-gateway path: nothing to check.
    };
    if let PathSource::Instance(instance) = facts.path_source() {
        return vec![instance_public_ip(check, facts, instance, subnet, igw)];
    }
    let eni = facts
        .network
        .network_interface
        .as_ref()
        .map(|e| e.id.as_str());
    let mut resources = vec![subnet, igw.as_str()];
    resources.extend(eni);
    match facts.task_has_public_ip() {
        Some(true) => vec![check.pass(
            format!(
                "The task had a public IP, so internet gateway {igw} carries its traffic from \
                 subnet {subnet}."
            ),
            &resources,
        )],
        Some(false) => {
            let fix = match (&facts.service, facts.task.service_name()) {
                (Some(service), Some(name)) => format!(
                    "aws ecs update-service --cluster {} --service {name} \
                     --network-configuration 'awsvpcConfiguration={{subnets=[{}],\
                     securityGroups=[{}],assignPublicIp=ENABLED}}'  (or move the service to \
                     private subnets with a NAT gateway)",
                    facts.task.cluster_name(),
                    service.subnets.join(","),
                    service.security_groups.join(",")
                ),
                _ => PUBLIC_IP.remediation.to_string(),
            };
            vec![
                check
                    .fail(
                        format!(
                            "Subnet {subnet} routes to internet gateway {igw}, but the task had \
                             no public IP: an internet gateway only carries traffic for public \
                             addresses, so the task could not reach any AWS service."
                        ),
                        &resources,
                    )
                    .with_fix(fix),
            ]
        }
        None => vec![check.warn(
            format!(
                "Subnet {subnet} routes to internet gateway {igw}; whether the task had a \
                 public IP is unknown (it was not started by a service and its ENI is gone). \
                 Without one it cannot reach the internet."
            ),
            &resources,
        )],
    }
}

/// An available public NAT gateway of the task's VPC in a subnet routed to an attached
/// internet gateway (the task's availability zone first), other than `except`.
fn usable_nat<'f>(facts: &'f Facts, except: Option<&str>) -> Option<&'f NatGateway> {
    let zone = facts
        .task_subnet_id()
        .and_then(|s| facts.network.subnet(s))
        .and_then(|s| s.availability_zone.as_deref());
    let usable = facts.network.nat_gateways.iter().filter(|n| {
        Some(n.id.as_str()) != except
            && n.state.as_deref() == Some("available")
            && n.connectivity_type.as_deref() != Some("private")
            && n.subnet_id.as_deref().is_some_and(|s| is_public(facts, s))
    });
    let in_zone = |n: &&NatGateway| {
        let subnet = n.subnet_id.as_deref().and_then(|s| facts.network.subnet(s));
        zone.is_some() && subnet.and_then(|s| s.availability_zone.as_deref()) == zone
    };
    usable
        .clone()
        .find(in_zone)
        .or_else(|| usable.clone().next())
}

/// Whether a subnet's default route goes to an internet gateway attached to the VPC.
fn is_public(facts: &Facts, subnet: &str) -> bool {
    facts
        .network
        .route_table_for(subnet)
        .and_then(RouteTable::default_route)
        .is_some_and(|r| match &r.target {
            RouteTarget::InternetGateway(igw) => {
                !r.is_blackhole() && facts.network.internet_gateways.contains(igw)
            }
            _ => false,
        })
}

/// The fix that sends the table's default route to a NAT gateway: an available one the VPC
/// already has, else a new one in a public subnet the VPC has.
fn route_to_nat(facts: &Facts, verb: &str, rtb: &str, except: Option<&str>) -> String {
    let route = |nat: &str| {
        format!(
            "aws ec2 {verb} --route-table-id {rtb} --destination-cidr-block 0.0.0.0/0 \
             --nat-gateway-id {nat}"
        )
    };
    if let Some(nat) = usable_nat(facts, except) {
        return format!(
            "{} (NAT gateway {} is available in public subnet {})",
            route(&nat.id),
            nat.id,
            nat.subnet_id.as_deref().unwrap_or_default()
        );
    }
    let public = facts
        .network
        .subnets
        .iter()
        .find(|s| is_public(facts, &s.id))
        .map_or("<a public subnet>", |s| s.id.as_str());
    format!(
        "Create a NAT gateway in public subnet {public} (aws ec2 create-nat-gateway \
         --subnet-id {public} --allocation-id <an Elastic IP allocation>), then {}",
        route("<the new NAT gateway>")
    )
}

/// An instance in a subnet routed to an internet gateway needs a public IPv4 address on its
/// primary ENI: the agent's calls leave from it. ECS Managed Instances give it one only when
/// the subnet auto-assigns public IPv4 addresses (managed-instances-awsvpc-mode.html), and an
/// EC2 task ENI never gets one (task-networking-awsvpc.html), so only the instance's counts.
fn instance_public_ip(
    check: &Check,
    facts: &Facts,
    instance: &crate::facts::Ec2Instance,
    subnet: &str,
    igw: &str,
) -> Finding {
    let mut resources = vec![instance.id.as_str(), subnet, igw];
    resources.extend(instance.primary_eni.as_deref());
    if let Some(ip) = &instance.public_ip {
        return check.pass(
            format!(
                "Container instance {} has public IP {ip}, so internet gateway {igw} carries the \
                 agent's traffic from subnet {subnet}.",
                instance.id
            ),
            &resources,
        );
    }
    let fix = if facts.task.is_managed_instances() {
        format!(
            "ECS Managed Instances get a public IPv4 address only from the subnet: aws ec2 \
             modify-subnet-attribute --subnet-id {subnet} --map-public-ip-on-launch, or better \
             put the capacity provider{} in private subnets whose default route is a NAT \
             gateway (or give the VPC endpoints for ECR, S3, Secrets Manager, SSM and Logs).",
            facts
                .task
                .capacity_provider_name
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default()
        )
    } else {
        format!(
            "Launch the container instances with a public IP (aws ec2 modify-subnet-attribute \
             --subnet-id {subnet} --map-public-ip-on-launch, or AssociatePublicIpAddress in the \
             launch template), or move them to a private subnet whose default route is a NAT \
             gateway. A task ENI on EC2 never gets a public IP, so assignPublicIp does not help."
        )
    };
    check
        .fail(
            format!(
                "Subnet {subnet} routes to internet gateway {igw}, but container instance {} has \
                 no public IP: the agent on it pulls images and fetches secrets through the \
                 instance's primary ENI, and an internet gateway only carries traffic for public \
                 addresses.",
                instance.id
            ),
            &resources,
        )
        .with_fix(fix)
}

fn nat_gateway_hop(check: &Check, facts: &Facts) -> Vec<Finding> {
    let Some((subnet, table, RouteTarget::NatGateway(nat_id))) = default_target(facts) else {
        return vec![];
    };
    if let Some(gap) = facts.gap(Read::DescribeNatGateways) {
        return vec![check.skipped_for(gap)];
    }
    let rtb = table.id.as_str();
    let Some(nat) = facts.network.nat_gateway(nat_id) else {
        return vec![
            check
                .fail(
                    format!(
                        "Route table {rtb} (used by subnet {subnet}) sends 0.0.0.0/0 to NAT \
                         gateway {nat_id}, which does not exist: the route is a blackhole."
                    ),
                    &[subnet, rtb, nat_id],
                )
                .with_fix(route_to_nat(facts, "replace-route", rtb, Some(nat_id))),
        ];
    };
    let state = nat.state.as_deref().unwrap_or("unknown");
    if state != "available" {
        return vec![
            check
                .fail(
                    format!(
                        "NAT gateway {nat_id}, the default route of subnet {subnet}, is \
                         {state}, not available: it forwards no traffic."
                    ),
                    &[nat_id, rtb, subnet],
                )
                .with_fix(route_to_nat(facts, "replace-route", rtb, Some(nat_id))),
        ];
    }
    if nat.connectivity_type.as_deref() == Some("private") {
        return vec![check.fail(
            format!(
                "NAT gateway {nat_id}, the default route of subnet {subnet}, is a private NAT \
                 gateway: it cannot reach the internet or public AWS endpoints."
            ),
            &[nat_id, rtb, subnet],
        )];
    }
    let Some(nat_subnet) = nat.subnet_id.as_deref() else {
        return vec![check.warn(
            format!(
                "NAT gateway {nat_id} reports no subnet, so its own route to the internet \
                 cannot be checked."
            ),
            &[nat_id],
        )];
    };
    let nat_route = facts
        .network
        .route_table_for(nat_subnet)
        .and_then(|t| Some((t.id.as_str(), t.default_route()?)));
    match nat_route {
        Some((_, route))
            if matches!(route.target, RouteTarget::InternetGateway(_)) && !route.is_blackhole() =>
        {
            vec![check.pass(
                format!(
                    "NAT gateway {nat_id} is available and its subnet {nat_subnet} routes to \
                     internet gateway {}.",
                    route.target.id().unwrap_or_default()
                ),
                &[nat_id, nat_subnet],
            )]
        }
        Some((nat_rtb, route)) => vec![
            check
                .fail(
                    format!(
                        "NAT gateway {nat_id} sits in subnet {nat_subnet}, whose route table \
                         {nat_rtb} sends 0.0.0.0/0 to {} instead of an internet gateway: the \
                         NAT has no way out.",
                        route.target.id().unwrap_or("nothing usable")
                    ),
                    &[nat_id, nat_subnet, nat_rtb],
                )
                .with_fix(format!(
                    "aws ec2 replace-route --route-table-id {nat_rtb} --destination-cidr-block \
                     0.0.0.0/0 --gateway-id <the VPC's internet gateway>"
                )),
        ],
        None => {
            let nat_rtb = facts
                .network
                .route_table_for(nat_subnet)
                .map_or("its route table", |t| t.id.as_str());
            vec![
                check
                    .fail(
                        format!(
                            "NAT gateway {nat_id} sits in subnet {nat_subnet}, whose route \
                             table {nat_rtb} has no default route to an internet gateway: the \
                             NAT has no way out."
                        ),
                        &[nat_id, nat_subnet, nat_rtb],
                    )
                    .with_fix(format!(
                        "aws ec2 create-route --route-table-id {nat_rtb} \
                         --destination-cidr-block 0.0.0.0/0 --gateway-id \
                         <the VPC's internet gateway>"
                    )),
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::facts::{Gap, NetworkInterface};
    use crate::test_support::*;

    fn run(check: &Check, facts: &Facts) -> Vec<Finding> {
        (check.run)(check, &Context::new(facts))
    }

    fn only(check: &Check, facts: &Facts) -> Finding {
        let mut findings = run(check, facts);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        findings.remove(0)
    }

    #[test]
    fn a_healthy_nat_path_passes() {
        let facts = healthy_nat();
        assert_eq!(only(&DEFAULT_ROUTE, &facts).status, Status::Pass);
        assert_eq!(only(&NAT_GATEWAY, &facts).status, Status::Pass);
        assert!(
            run(&PUBLIC_IP, &facts).is_empty(),
            "no internet gateway on this path"
        );
    }

    #[test]
    fn a_blackhole_default_route_fails_with_the_replace_command() {
        let mut facts = healthy_nat();
        task_default_route(&mut facts).state = Some("blackhole".into());
        let finding = only(&DEFAULT_ROUTE, &facts);
        assert_eq!(finding.status, Status::Fail);
        assert!(finding.detail.contains("blackhole"));
        assert!(
            finding.remediation.starts_with(
                "Create a NAT gateway in public subnet subnet-0public (aws ec2 \
                 create-nat-gateway --subnet-id subnet-0public"
            ),
            "{}",
            finding.remediation
        );
        assert!(
            run(&NAT_GATEWAY, &facts).is_empty(),
            "the blackhole is the one finding"
        );
    }

    #[test]
    fn the_fix_names_an_available_nat_gateway_of_the_vpc() {
        let mut facts = healthy_nat();
        task_default_route(&mut facts).state = Some("blackhole".into());
        let mut spare = facts.network.nat_gateways[0].clone();
        spare.id = "nat-0spare".into();
        facts.network.nat_gateways.push(spare);
        let finding = only(&DEFAULT_ROUTE, &facts);
        assert!(
            finding.remediation.starts_with(
                "aws ec2 replace-route --route-table-id rtb-0task --destination-cidr-block \
                 0.0.0.0/0 --nat-gateway-id nat-0spare"
            ),
            "{}",
            finding.remediation
        );
    }

    #[test]
    fn a_nat_that_is_pending_or_failed_fails() {
        for state in ["pending", "failed"] {
            let mut facts = healthy_nat();
            facts.network.nat_gateways[0].state = Some(state.into());
            let finding = only(&NAT_GATEWAY, &facts);
            assert_eq!(finding.status, Status::Fail);
            assert!(
                finding
                    .detail
                    .contains(&format!("is {state}, not available")),
                "{}",
                finding.detail
            );
        }
    }

    #[test]
    fn a_private_nat_gateway_fails() {
        let mut facts = healthy_nat();
        facts.network.nat_gateways[0].connectivity_type = Some("private".into());
        assert_eq!(only(&NAT_GATEWAY, &facts).status, Status::Fail);
    }

    #[test]
    fn a_missing_nat_gateway_is_a_blackhole() {
        let mut facts = healthy_nat();
        facts.network.nat_gateways.clear();
        let finding = only(&NAT_GATEWAY, &facts);
        assert_eq!(finding.status, Status::Fail);
        assert!(finding.detail.contains("does not exist"));
    }

    #[test]
    fn transit_gateway_and_peering_paths_warn_never_pass() {
        for target in [
            RouteTarget::TransitGateway("tgw-0hub".into()),
            RouteTarget::VpcPeering("pcx-0peer".into()),
            RouteTarget::VpcEndpoint("vpce-0firewall".into()),
            RouteTarget::NetworkInterface("eni-0appliance".into()),
        ] {
            let mut facts = healthy_nat();
            let id = target.id().unwrap().to_string();
            task_default_route(&mut facts).target = target;
            let finding = only(&DEFAULT_ROUTE, &facts);
            assert_eq!(finding.status, Status::Warn, "{id}");
            assert!(
                finding.detail.contains("cannot verify"),
                "{}",
                finding.detail
            );
            assert!(finding.resources.contains(&id));
        }
    }

    fn public(facts: &mut Facts) {
        task_default_route(facts).target = RouteTarget::InternetGateway(IGW.into());
    }

    #[test]
    fn an_internet_gateway_path_needs_a_public_ip() {
        let mut facts = healthy_nat();
        public(&mut facts);
        assert_eq!(only(&DEFAULT_ROUTE, &facts).status, Status::Pass);
        let finding = only(&PUBLIC_IP, &facts);
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding
                .remediation
                .contains("aws ecs update-service --cluster demo --service web")
        );

        facts.service.as_mut().unwrap().assign_public_ip = Some("ENABLED".into());
        assert_eq!(only(&PUBLIC_IP, &facts).status, Status::Pass);
    }

    #[test]
    fn the_enis_public_ip_counts_while_the_eni_exists() {
        let mut facts = healthy_nat();
        public(&mut facts);
        facts.service = None;
        facts.task.group = Some("family:web".into());
        facts.network.network_interface = Some(NetworkInterface {
            id: "eni-0task".into(),
            public_ip: Some("3.3.3.3".into()),
            ..NetworkInterface::default()
        });
        assert_eq!(only(&PUBLIC_IP, &facts).status, Status::Pass);
    }

    #[test]
    fn a_deleted_eni_of_a_standalone_task_leaves_the_public_ip_unknown() {
        let mut facts = healthy_nat();
        public(&mut facts);
        facts.service = None;
        facts.task.group = Some("family:web".into());
        let finding = only(&PUBLIC_IP, &facts);
        assert_eq!(finding.status, Status::Warn);
        assert!(finding.detail.contains("is unknown"));
    }

    #[test]
    fn a_detached_internet_gateway_fails() {
        let mut facts = healthy_nat();
        public(&mut facts);
        facts.network.internet_gateways.clear();
        let finding = only(&DEFAULT_ROUTE, &facts);
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding
                .remediation
                .starts_with("aws ec2 attach-internet-gateway")
        );
    }

    #[test]
    fn the_main_table_serves_a_subnet_without_association() {
        let mut facts = healthy_nat();
        facts.network.route_tables[0].subnet_ids.clear();
        // The main table is the public one: the task now routes to the internet gateway.
        let finding = only(&DEFAULT_ROUTE, &facts);
        assert!(
            finding
                .detail
                .contains("the VPC's main route table rtb-0public"),
            "{}",
            finding.detail
        );
    }

    #[test]
    fn a_failed_read_skips_with_the_reason() {
        let mut facts = healthy_nat();
        facts.gaps.push(Gap {
            read: Read::DescribeRouteTables,
            reason: "the doctor's role may not call ec2:DescribeRouteTables".into(),
            transient: false,
        });
        facts.network.route_tables.clear();
        let finding = only(&DEFAULT_ROUTE, &facts);
        assert_eq!(finding.status, Status::Skipped);
        assert!(
            finding
                .detail
                .contains("may not call ec2:DescribeRouteTables")
        );
        let finding = only(&PUBLIC_IP, &facts);
        assert_eq!(finding.status, Status::Skipped);
    }

    #[test]
    fn an_ec2_task_whose_instance_is_unknown_skips_with_the_reason() {
        let mut facts = healthy_nat();
        facts.task.launch_type = Some("EC2".into());
        let finding = only(&DEFAULT_ROUTE, &facts);
        assert_eq!(finding.status, Status::Skipped);
        assert!(
            finding.detail.contains("names no container instance"),
            "{}",
            finding.detail
        );
        assert!(run(&NAT_GATEWAY, &facts).is_empty());
    }

    #[test]
    fn an_ec2_task_is_judged_on_its_instances_subnet() {
        // The task's awsvpc ENI sits in the NAT-routed subnet; the instance, whose network the
        // agent uses, sits in the public one without a public IP.
        let mut facts = on_instance(healthy_nat(), "EC2", PUBLIC_SUBNET, None);
        let route = only(&DEFAULT_ROUTE, &facts);
        assert_eq!(route.status, Status::Pass);
        assert!(route.detail.contains(PUBLIC_SUBNET), "{}", route.detail);
        let finding = only(&PUBLIC_IP, &facts);
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding.detail.contains("container instance i-0host"),
            "{}",
            finding.detail
        );
        assert!(finding.remediation.contains("never gets a public IP"));
        facts
            .container_instance
            .as_mut()
            .unwrap()
            .instance
            .as_mut()
            .unwrap()
            .public_ip = Some("3.3.3.3".into());
        assert_eq!(only(&PUBLIC_IP, &facts).status, Status::Pass);
    }

    #[test]
    fn a_managed_instance_without_a_public_ip_is_told_about_the_subnet_and_nat() {
        let facts = on_instance(healthy_nat(), "MANAGED_INSTANCES", PUBLIC_SUBNET, None);
        let finding = only(&PUBLIC_IP, &facts);
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding
                .remediation
                .contains("Managed Instances get a public IPv4 address only from the subnet")
        );
        assert!(finding.remediation.contains("capacity provider mi-web"));
    }

    #[test]
    fn an_instance_in_the_nat_subnet_passes_and_its_nat_is_judged() {
        let mut facts = on_instance(healthy_nat(), "EC2", TASK_SUBNET, None);
        facts.task.attachment = None; // bridge mode: no task ENI
        facts.service = None;
        assert_eq!(only(&DEFAULT_ROUTE, &facts).status, Status::Pass);
        assert_eq!(only(&NAT_GATEWAY, &facts).status, Status::Pass);
        facts.network.nat_gateways[0].state = Some("failed".into());
        assert_eq!(only(&NAT_GATEWAY, &facts).status, Status::Fail);
    }

    #[test]
    fn an_unknown_subnet_is_said_not_guessed() {
        let mut facts = healthy_nat();
        facts.task.attachment = None;
        facts.service = None;
        let finding = only(&DEFAULT_ROUTE, &facts);
        assert_eq!(finding.status, Status::Skipped);
        assert!(finding.detail.contains("subnet is unknown"));
    }

    /// The task subnet made IPv6-only: no IPv4 CIDR, `::/0` to an egress-only gateway, the
    /// task's group open to `::/0`.
    fn ipv6_only() -> Facts {
        let mut facts = with_task_definition(healthy_nat());
        let subnet = &mut facts.network.subnets[0];
        subnet.cidr = None;
        subnet.ipv6_native = true;
        subnet.ipv6_cidrs = vec!["2600:1f18:1::/64".into()];
        let table = &mut facts.network.route_tables[0];
        table
            .routes
            .retain(|r| r.destination_cidr.as_deref() != Some("0.0.0.0/0"));
        table.routes.push(crate::facts::Route {
            destination_ipv6_cidr: Some("::/0".into()),
            target: RouteTarget::EgressOnlyInternetGateway("eigw-0main".into()),
            state: Some("active".into()),
            ..crate::facts::Route::default()
        });
        facts.network.security_groups[0].egress[0].ipv6_cidrs = vec!["::/0".into()];
        facts.task_definition.as_mut().unwrap().containers[0].image =
            "123456789012.dkr-ecr.us-east-1.on.aws/web:1.8.2".into();
        // A VPC with IPv6 gets IPv6 twins of the default ACL's entries.
        for acl in &mut facts.network.network_acls {
            let twins: Vec<_> = acl
                .entries
                .iter()
                .map(|e| crate::facts::NetworkAclEntry {
                    rule_number: e.rule_number + 1,
                    cidr: "::/0".parse().unwrap(),
                    ..e.clone()
                })
                .collect();
            acl.entries.extend(twins);
        }
        facts
    }

    /// ECR serves its dual-stack name through no endpoint: with ECR endpoints and no route
    /// out, the pull has no path, and the route is the fault.
    #[test]
    fn a_dual_stack_image_name_needs_the_internet_despite_ecr_endpoints() {
        let mut facts = endpoints_design();
        let findings = run(&DEFAULT_ROUTE, &facts);
        assert!(
            findings.iter().all(|f| f.status != Status::Fail),
            "{findings:?}"
        );
        facts.task_definition.as_mut().unwrap().containers[0].image =
            "123456789012.dkr-ecr.us-east-1.on.aws/web:1.8.2".into();
        let finding = run(&DEFAULT_ROUTE, &facts)
            .into_iter()
            .find(|f| f.status == Status::Fail)
            .expect("the dual-stack registry needs the route");
        assert!(
            finding
                .detail
                .contains("ECR's dual-stack registry (dkr-ecr.us-east-1.on.aws)"),
            "{}",
            finding.detail
        );
    }

    #[test]
    fn an_ipv6_only_subnet_is_judged_by_the_acls_ipv6_entries() {
        use crate::checks::nacl::TASK_SUBNET;
        let mut facts = ipv6_only();
        with_nat64(&mut facts);
        assert_eq!(only(&TASK_SUBNET, &facts).status, Status::Pass);
        // Without IPv6 entries, the IPv4 allow-all does not let IPv6 out.
        for acl in &mut facts.network.network_acls {
            acl.entries
                .retain(|e| matches!(e.cidr, ipnet::IpNet::V4(_)));
        }
        let finding = run(&TASK_SUBNET, &facts)
            .into_iter()
            .find(|f| f.status == Status::Fail)
            .expect("the IPv6 traffic is denied");
        assert!(
            finding.detail.contains("outbound TCP 443 to ::/0"),
            "{}",
            finding.detail
        );
        assert!(
            finding.remediation.contains("--ipv6-cidr-block ::/0"),
            "{}",
            finding.remediation
        );
    }

    #[test]
    fn an_ipv4_only_interface_endpoint_does_not_serve_an_ipv6_only_subnet() {
        let mut facts = ipv6_only();
        facts.network.vpc_endpoints.push(crate::facts::VpcEndpoint {
            id: "vpce-0secrets".into(),
            service_name: "com.amazonaws.us-east-1.secretsmanager".into(),
            kind: "Interface".into(),
            state: Some("available".into()),
            private_dns_enabled: true,
            ip_address_type: Some("ipv4".into()),
            dns_record_ip_type: Some("ipv4".into()),
            ..crate::facts::VpcEndpoint::default()
        });
        let finding = only(&IPV6, &facts);
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding.detail.contains("vpce-0secrets")
                && finding.detail.contains("IPv4 addresses only"),
            "{}",
            finding.detail
        );
        assert!(finding.remediation.contains("--ip-address-type dualstack"));
        // Dual-stack addresses but A records only for the private name: still unreachable.
        let endpoint = facts.network.vpc_endpoints.last_mut().unwrap();
        endpoint.ip_address_type = Some("dualstack".into());
        endpoint.dns_record_ip_type = Some("service-defined".into());
        assert!(only(&IPV6, &facts).detail.contains("only A records"));
        let endpoint = facts.network.vpc_endpoints.last_mut().unwrap();
        endpoint.dns_record_ip_type = Some("dualstack".into());
        assert_eq!(only(&IPV6, &facts).status, Status::Pass);
        // DNS64 and NAT64 reach an IPv4-only endpoint from the NAT gateway's address, which
        // its security group must admit: a warning naming the NAT gateway.
        let endpoint = facts.network.vpc_endpoints.last_mut().unwrap();
        endpoint.ip_address_type = Some("ipv4".into());
        with_nat64(&mut facts);
        let finding = only(&IPV6, &facts);
        assert_eq!(finding.status, Status::Warn);
        assert!(finding.detail.contains(NAT), "{}", finding.detail);
    }

    fn with_nat64(facts: &mut Facts) {
        facts.network.subnets[0].enable_dns64 = true;
        facts.network.route_tables[0]
            .routes
            .push(crate::facts::Route {
                destination_ipv6_cidr: Some("64:ff9b::/96".into()),
                target: RouteTarget::NatGateway(NAT.into()),
                state: Some("active".into()),
                ..crate::facts::Route::default()
            });
    }

    #[test]
    fn an_ipv6_only_subnet_without_nat64_cannot_reach_secrets_manager() {
        let facts = ipv6_only();
        let findings = run(&IPV6, &facts);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].status, Status::Fail);
        assert!(
            findings[0].detail.contains("DNS64 is off"),
            "{}",
            findings[0].detail
        );
        assert!(
            findings[0].detail.contains("secretsmanager"),
            "{}",
            findings[0].detail
        );
        // The IPv4 hops do not apply.
        assert_eq!(only(&DEFAULT_ROUTE, &facts).status, Status::Skipped);
    }

    #[test]
    fn an_ipv6_only_subnet_with_dns64_and_nat64_passes() {
        let mut facts = ipv6_only();
        with_nat64(&mut facts);
        assert_eq!(only(&IPV6, &facts).status, Status::Pass);
        // DNS64 without the route is not enough.
        facts.network.route_tables[0]
            .routes
            .retain(|r| r.destination_ipv6_cidr.as_deref() != Some("64:ff9b::/96"));
        let finding = only(&IPV6, &facts);
        assert!(
            finding.detail.contains("no 64:ff9b::/96 route"),
            "{}",
            finding.detail
        );
    }

    #[test]
    fn an_ipv6_only_subnet_needs_a_default_route_ipv6_egress_and_the_dual_stack_ecr_name() {
        let mut facts = ipv6_only();
        with_nat64(&mut facts);
        facts.network.route_tables[0]
            .routes
            .retain(|r| r.destination_ipv6_cidr.as_deref() != Some("::/0"));
        facts.network.security_groups[0].egress[0]
            .ipv6_cidrs
            .clear();
        facts.network.route_tables[0]
            .routes
            .retain(|r| r.destination_ipv6_cidr.as_deref() != Some("64:ff9b::/96"));
        facts.task_definition.as_mut().unwrap().containers[0].image =
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.8.2".into();
        let details: Vec<String> = run(&IPV6, &facts).into_iter().map(|f| f.detail).collect();
        assert!(
            details.iter().any(|d| d.contains("no ::/0 route")),
            "{details:#?}"
        );
        assert!(
            details
                .iter()
                .any(|d| d.contains("allow no TCP 443 out to ::/0")),
            "{details:#?}"
        );
        assert!(
            details.iter().any(|d| d.contains("dkr-ecr.REGION.on.aws")),
            "{details:#?}"
        );
    }

    #[test]
    fn a_dual_stack_subnet_whose_ipv4_path_works_is_healthy() {
        let mut facts = with_task_definition(healthy_nat());
        facts.network.subnets[0].ipv6_cidrs = vec!["2600:1f18:1::/64".into()];
        assert_eq!(only(&IPV6, &facts).status, Status::Pass);
        assert_eq!(only(&DEFAULT_ROUTE, &facts).status, Status::Pass);
        // Its IPv4 path broken: the IPv4 findings decide, network.ipv6 says nothing.
        facts.network.nat_gateways[0].state = Some("failed".into());
        assert!(run(&IPV6, &facts).is_empty());
    }

    #[test]
    fn a_healthy_ipv4_subnet_gets_no_ipv6_finding() {
        assert!(run(&IPV6, &healthy_nat()).is_empty());
    }
}
