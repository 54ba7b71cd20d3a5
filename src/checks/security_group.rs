//! The task's security groups: egress on TCP 443 to what each path needs, and DNS to custom
//! resolvers. Also the rule arithmetic the endpoint checks use for endpoint ingress.

use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::{Facts, PathSource, Read, SecurityGroupRule};
use crate::needs::paths::ServicePath;
use ipnet::Ipv4Net;

pub const TASK_EGRESS: Check = Check {
    id: "security-group.task-egress",
    title: "Task security groups allow HTTPS out to every service on its path",
    problem: "the task's security groups block HTTPS to a service it needs",
    category: Category::SecurityGroup,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Allow outbound TCP 443 from the task's security group to the path's \
                  destination: 0.0.0.0/0 for the internet path, the endpoint's security group \
                  for interface endpoints, the S3 prefix list for the S3 gateway endpoint.",
    docs: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/verify-connectivity.html",
    run: task_egress,
};

/// Who a rule must name to cover a peer.
#[derive(Debug, Default)]
pub(super) struct Peer<'a> {
    pub groups: Vec<&'a str>,
    pub prefix_list: Option<&'a str>,
    /// Every one of these must be inside a rule's CIDR.
    pub cidrs: Vec<Ipv4Net>,
    /// The internet: only 0.0.0.0/0 covers it for sure.
    pub internet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Coverage {
    None,
    /// Some rule allows part of it (another CIDR, some of the peer's addresses).
    Partial,
    Full,
}

fn protocol_matches(rule: &str, protocol: &str) -> bool {
    let number = match protocol {
        "tcp" => "6",
        "udp" => "17",
        other => other,
    };
    rule == "-1" || rule.eq_ignore_ascii_case(protocol) || rule == number
}

fn port_matches(rule: &SecurityGroupRule, port: i32) -> bool {
    match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) if from >= 0 && to >= 0 => from <= port && port <= to,
        _ => true,
    }
}

/// How well a set of rules (the union of groups' rules) allows `protocol`/`port` to a peer.
pub(super) fn coverage<'r>(
    rules: impl IntoIterator<Item = &'r SecurityGroupRule>,
    protocol: &str,
    port: i32,
    peer: &Peer<'_>,
) -> Coverage {
    let any_ipv4: Ipv4Net = "0.0.0.0/0".parse().expect("valid");
    let rules: Vec<&SecurityGroupRule> = rules
        .into_iter()
        .filter(|r| {
            r.protocol == "-1" || (protocol_matches(&r.protocol, protocol) && port_matches(r, port))
        })
        .collect();
    let cidrs: Vec<Ipv4Net> = rules.iter().flat_map(|r| r.cidrs.iter().copied()).collect();
    if cidrs.contains(&any_ipv4)
        || rules
            .iter()
            .any(|r| r.groups.iter().any(|g| peer.groups.contains(&g.as_str())))
        || peer
            .prefix_list
            .is_some_and(|pl| rules.iter().any(|r| r.prefix_lists.iter().any(|p| p == pl)))
    {
        return Coverage::Full;
    }
    if !peer.cidrs.is_empty() {
        let covered = peer
            .cidrs
            .iter()
            .filter(|want| cidrs.iter().any(|have| have.contains(*want)))
            .count();
        if covered == peer.cidrs.len() {
            return Coverage::Full;
        }
        if covered > 0 {
            return Coverage::Partial;
        }
    }
    if peer.internet && !cidrs.is_empty() {
        return Coverage::Partial;
    }
    Coverage::None
}

/// The security groups of the interface the start-time traffic leaves from: the task's
/// (the service's, else the ENI's while it exists), or the container instance's primary ENI's.
pub(super) fn task_groups(facts: &Facts) -> Option<Vec<&str>> {
    facts.path_security_groups()
}

/// Why the security-group checks cannot run, if they cannot.
pub(super) fn not_applicable(check: &Check, facts: &Facts) -> Option<Finding> {
    if let PathSource::Unknown(why) = facts.path_source() {
        return Some(check.skipped(format!("Skipped: {why}.")));
    }
    if facts.task.is_fargate()
        && let Some(version) = facts.task.platform_version.as_deref()
        && super::platform::is_before_1_4(version)
    {
        return Some(check.skipped(format!(
            "Skipped: on platform version {version} Fargate fetches images and secrets through \
             its own network interface, which the task's security groups do not govern."
        )));
    }
    if facts.path_is_ipv6_only() {
        return Some(check.skipped(
            "Skipped: the subnet is IPv6-only; network.ipv6 judges the security groups' IPv6 \
             egress.",
        ));
    }
    if let Some(gap) = facts.gap(Read::DescribeSecurityGroups) {
        return Some(check.skipped_for(gap));
    }
    None
}

/// The peer a path's traffic goes to, for the task's egress.
pub(super) fn destination_peer<'f>(facts: &'f Facts, path: &ServicePath<'f>) -> Peer<'f> {
    match path {
        ServicePath::Internet { .. } => Peer {
            internet: true,
            ..Peer::default()
        },
        ServicePath::InterfaceEndpoint(endpoint) => Peer {
            groups: endpoint_groups(facts, endpoint),
            cidrs: endpoint
                .subnet_ids
                .iter()
                .filter_map(|s| facts.network.subnet(s)?.cidr)
                .collect(),
            ..Peer::default()
        },
        ServicePath::GatewayEndpoint(_) => match &facts.network.s3_prefix_list {
            Some(list) => Peer {
                prefix_list: Some(list.id.as_str()),
                cidrs: list.cidrs.clone(),
                ..Peer::default()
            },
            None => Peer {
                internet: true,
                ..Peer::default()
            },
        },
    }
}

/// An endpoint's security groups; without any, AWS gives it the VPC's default group.
pub(super) fn endpoint_groups<'f>(
    facts: &'f Facts,
    endpoint: &'f crate::facts::VpcEndpoint,
) -> Vec<&'f str> {
    if endpoint.security_groups.is_empty() {
        return facts
            .network
            .security_groups
            .iter()
            .filter(|g| g.name == "default")
            .map(|g| g.id.as_str())
            .collect();
    }
    endpoint
        .security_groups
        .iter()
        .map(String::as_str)
        .collect()
}

fn path_target(path: &ServicePath<'_>) -> String {
    match path {
        ServicePath::Internet { .. } => "the internet (0.0.0.0/0)".to_string(),
        ServicePath::InterfaceEndpoint(e) => format!("interface endpoint {}", e.id),
        ServicePath::GatewayEndpoint(e) => {
            format!("the S3 prefix list behind gateway endpoint {}", e.id)
        }
    }
}

fn task_egress(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(skipped) = not_applicable(check, facts) {
        return vec![skipped];
    }
    let Some(groups) = task_groups(facts) else {
        return vec![check.skipped(
            "Skipped: the task's security groups are unknown (it was not started by a service \
             and its ENI is gone), so its egress cannot be checked.",
        )];
    };
    if groups
        .iter()
        .all(|g| facts.network.security_group(g).is_none())
    {
        return vec![check.skipped(format!(
            "Skipped: the task's security groups ({}) were not found among the VPC's.",
            groups.join(", ")
        ))];
    }
    let rules: Vec<&SecurityGroupRule> = groups
        .iter()
        .filter_map(|g| facts.network.security_group(g))
        .flat_map(|g| g.egress.iter())
        .collect();
    let mut findings = Vec::new();
    let mut checked = Vec::new();
    for (need, path) in &cx.plan {
        let peer = destination_peer(facts, path);
        let target = path_target(path);
        let mut resources: Vec<&str> = groups.clone();
        match path {
            ServicePath::InterfaceEndpoint(e) | ServicePath::GatewayEndpoint(e) => {
                resources.push(&e.id)
            }
            ServicePath::Internet { .. } => {}
        }
        let group_list = groups.join(", ");
        match coverage(rules.iter().copied(), "tcp", 443, &peer) {
            Coverage::Full => checked.push(need.destination.to_string()),
            Coverage::Partial => findings.push(check.warn(
                format!(
                    "The task's security groups ({group_list}) allow TCP 443 to only part of \
                     {target}, which {} needs ({}); the rest is blocked.",
                    need.destination,
                    need.reasons.join(", ")
                ),
                &resources,
            )),
            Coverage::None => {
                let fix = match (path, peer.groups.first(), peer.prefix_list) {
                    (ServicePath::InterfaceEndpoint(_), Some(endpoint_group), _) => format!(
                        "aws ec2 authorize-security-group-egress --group-id {} --ip-permissions \
                         'IpProtocol=tcp,FromPort=443,ToPort=443,\
                         UserIdGroupPairs=[{{GroupId={endpoint_group}}}]'",
                        groups[0]
                    ),
                    (ServicePath::GatewayEndpoint(_), _, Some(list)) => format!(
                        "aws ec2 authorize-security-group-egress --group-id {} --ip-permissions \
                         'IpProtocol=tcp,FromPort=443,ToPort=443,\
                         PrefixListIds=[{{PrefixListId={list}}}]'",
                        groups[0]
                    ),
                    _ => format!(
                        "aws ec2 authorize-security-group-egress --group-id {} --ip-permissions \
                         'IpProtocol=tcp,FromPort=443,ToPort=443,\
                         IpRanges=[{{CidrIp=0.0.0.0/0}}]'",
                        groups[0]
                    ),
                };
                findings.push(
                    check
                        .fail(
                            format!(
                                "The task's security groups ({group_list}) allow no TCP 443 to \
                                 {target}, so the task cannot reach {} ({}).",
                                need.destination,
                                need.reasons.join(", ")
                            ),
                            &resources,
                        )
                        .with_fix(fix),
                );
            }
        }
    }
    if let Some(vpc) = &facts.network.vpc {
        for server in vpc.custom_dns_servers() {
            let Ok(address) = server.parse::<std::net::Ipv4Addr>() else {
                continue;
            };
            let peer = Peer {
                cidrs: vec![Ipv4Net::from(address)],
                ..Peer::default()
            };
            for protocol in ["udp", "tcp"] {
                if coverage(rules.iter().copied(), protocol, 53, &peer) == Coverage::None {
                    findings.push(
                        check
                            .fail(
                                format!(
                                    "The VPC's DHCP options name DNS server {server}, but the \
                                     task's security groups ({}) allow no {} 53 to it: the task \
                                     cannot resolve any service name.",
                                    groups.join(", "),
                                    protocol.to_uppercase()
                                ),
                                &groups,
                            )
                            .with_fix(format!(
                                "aws ec2 authorize-security-group-egress --group-id {} \
                                 --ip-permissions 'IpProtocol={protocol},FromPort=53,ToPort=53,\
                                 IpRanges=[{{CidrIp={server}/32}}]'",
                                groups[0]
                            )),
                    );
                }
            }
        }
    }
    if findings.is_empty() {
        findings.push(check.pass(
            format!(
                "The task's security groups ({}) allow TCP 443 to every service on its path ({}).",
                groups.join(", "),
                if checked.is_empty() {
                    "none known".to_string()
                } else {
                    checked.join(", ")
                }
            ),
            &groups,
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        protocol: &str,
        ports: Option<(i32, i32)>,
        cidrs: &[&str],
        groups: &[&str],
        lists: &[&str],
    ) -> SecurityGroupRule {
        SecurityGroupRule {
            protocol: protocol.into(),
            from_port: ports.map(|p| p.0),
            to_port: ports.map(|p| p.1),
            cidrs: cidrs.iter().map(|c| c.parse().unwrap()).collect(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            prefix_lists: lists.iter().map(|l| l.to_string()).collect(),
            ..SecurityGroupRule::default()
        }
    }

    #[test]
    fn coverage_by_cidr_group_and_prefix_list() {
        let internet = Peer {
            internet: true,
            ..Peer::default()
        };
        assert_eq!(
            coverage(
                &[rule("-1", None, &["0.0.0.0/0"], &[], &[])],
                "tcp",
                443,
                &internet
            ),
            Coverage::Full
        );
        assert_eq!(
            coverage(
                &[rule("tcp", Some((80, 80)), &["0.0.0.0/0"], &[], &[])],
                "tcp",
                443,
                &internet
            ),
            Coverage::None
        );
        assert_eq!(
            coverage(
                &[rule("tcp", Some((443, 443)), &["10.0.0.0/8"], &[], &[])],
                "tcp",
                443,
                &internet
            ),
            Coverage::Partial
        );
        let endpoint = Peer {
            groups: vec!["sg-endpoint"],
            cidrs: vec!["10.0.5.0/24".parse().unwrap()],
            ..Peer::default()
        };
        assert_eq!(
            coverage(
                &[rule("6", Some((443, 443)), &[], &["sg-endpoint"], &[])],
                "tcp",
                443,
                &endpoint
            ),
            Coverage::Full
        );
        assert_eq!(
            coverage(
                &[rule("tcp", Some((0, 65535)), &["10.0.0.0/16"], &[], &[])],
                "tcp",
                443,
                &endpoint
            ),
            Coverage::Full
        );
        assert_eq!(
            coverage(
                &[rule("udp", None, &["10.0.0.0/16"], &[], &[])],
                "tcp",
                443,
                &endpoint
            ),
            Coverage::None
        );
        let s3 = Peer {
            prefix_list: Some("pl-63a5400a"),
            cidrs: vec![
                "52.216.0.0/15".parse().unwrap(),
                "3.5.0.0/19".parse().unwrap(),
            ],
            ..Peer::default()
        };
        assert_eq!(
            coverage(
                &[rule("tcp", Some((443, 443)), &[], &[], &["pl-63a5400a"])],
                "tcp",
                443,
                &s3
            ),
            Coverage::Full
        );
        assert_eq!(
            coverage(
                &[rule("tcp", Some((443, 443)), &["52.216.0.0/15"], &[], &[])],
                "tcp",
                443,
                &s3
            ),
            Coverage::Partial
        );
    }
}
