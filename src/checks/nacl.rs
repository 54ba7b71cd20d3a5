//! Network ACLs, evaluated as AWS does: lowest rule number first, first match wins, the final
//! `*` rule denies. The task subnet needs outbound TCP 443 and inbound ephemeral ports for the
//! replies; an endpoint's subnets need inbound 443 from the task and outbound ephemeral ports.
//! An entry covers one address family (`CidrBlock` or `Ipv6CidrBlock`), so an IPv6-only path
//! is judged by the IPv6 entries alone; a VPC with IPv6 gets IPv6 twins of the default
//! entries, and a custom ACL needs its own (default-network-acl.html, custom-network-acl.html).

use super::{Category, Check, Context, Finding, Scope, Severity, Status};
use crate::facts::{Facts, NetworkAcl, PathSource, Read};
use crate::needs::paths::ServicePath;
use ipnet::IpNet;

pub const TASK_SUBNET: Check = Check {
    id: "nacl.task-subnet",
    title: "Task subnet's network ACL allows HTTPS out and the replies in",
    problem: "the task subnet's network ACL blocks HTTPS or its replies",
    category: Category::Nacl,
    severity: Severity::Critical,
    scope: Scope::Vpc,
    remediation: "Add allow entries to the task subnet's network ACL: outbound TCP 443 to the \
                  destination, inbound TCP 1024-65535 from it, numbered below any deny that \
                  matches.",
    docs: "https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html",
    run: task_subnet,
};

pub const ENDPOINT_SUBNET: Check = Check {
    id: "nacl.endpoint-subnet",
    title: "Endpoint subnets' network ACLs allow HTTPS in from the task and the replies out",
    problem: "an endpoint subnet's network ACL blocks the task's HTTPS",
    category: Category::Nacl,
    severity: Severity::Critical,
    scope: Scope::Vpc,
    remediation: "Add allow entries to the endpoint subnet's network ACL: inbound TCP 443 from the task subnet, outbound TCP 1024-65535 to it.",
    docs: "https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html",
    run: endpoint_subnet,
};

const EPHEMERAL: (i32, i32) = (1024, 65535);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AclDecision {
    Allow(i32),
    /// A rule denies all of it; `None` is the final `*` rule.
    Deny(Option<i32>),
    /// A rule denies part of it (some addresses or ports).
    PartialDeny(i32),
}

/// The ACL's decision for TCP traffic in one direction on a port range to or from a peer.
pub(super) fn decide(
    acl: &NetworkAcl,
    egress: bool,
    ports: (i32, i32),
    peer: IpNet,
) -> AclDecision {
    let mut entries: Vec<_> = acl.entries.iter().filter(|e| e.egress == egress).collect();
    entries.sort_by_key(|e| e.rule_number);
    for entry in entries {
        if entry.protocol != "-1" && entry.protocol != "6" {
            continue;
        }
        let (ports_all, ports_some) =
            match (entry.protocol.as_str(), entry.from_port, entry.to_port) {
                ("-1", _, _) | (_, None, _) | (_, _, None) => (true, true),
                (_, Some(from), Some(to)) => (
                    from <= ports.0 && ports.1 <= to,
                    from <= ports.1 && ports.0 <= to,
                ),
            };
        let cidr_all = entry.cidr.contains(&peer);
        let cidr_some = cidr_all || peer.contains(&entry.cidr);
        // The default `*` rules have the highest numbers: 32767 (IPv4), 32768 (IPv6).
        let rule = (entry.rule_number < 32767).then_some(entry.rule_number);
        if ports_all && cidr_all {
            return if entry.allow {
                AclDecision::Allow(entry.rule_number)
            } else {
                AclDecision::Deny(rule)
            };
        }
        if ports_some && cidr_some && !entry.allow {
            return AclDecision::PartialDeny(entry.rule_number);
        }
    }
    AclDecision::Deny(None)
}

fn describe(decision: AclDecision) -> String {
    match decision {
        AclDecision::Allow(rule) => format!("allowed by rule {rule}"),
        AclDecision::Deny(Some(rule)) => format!("denied by rule {rule}"),
        AclDecision::Deny(None) => "denied by the final * rule (nothing allows it)".to_string(),
        AclDecision::PartialDeny(rule) => format!("partly denied by rule {rule}"),
    }
}

/// A free rule number that an allow rule can take to decide before the deny: just below the
/// denying rule, or (for the final `*` rule) 100 or the first free one after.
fn rule_number(acl: &NetworkAcl, egress: bool, decision: AclDecision) -> String {
    let taken = |n: i32| {
        acl.entries
            .iter()
            .any(|e| e.egress == egress && e.rule_number == n)
    };
    let free = match decision {
        AclDecision::Deny(Some(rule)) | AclDecision::PartialDeny(rule) => {
            (1..rule).rev().find(|&n| !taken(n))
        }
        AclDecision::Deny(None) => (100..=32766).find(|&n| !taken(n)),
        AclDecision::Allow(_) => None,
    };
    free.map_or_else(
        || "<a free number below the deny>".into(),
        |n| n.to_string(),
    )
}

fn blocked(decision: AclDecision) -> bool {
    !matches!(decision, AclDecision::Allow(_))
}

/// A whole denial fails; a partial one (some addresses or ports) only warns, since the
/// service's addresses may lie outside the denied part.
fn status(decisions: &[AclDecision]) -> Status {
    if decisions.iter().any(|d| matches!(d, AclDecision::Deny(_))) {
        Status::Fail
    } else {
        Status::Warn
    }
}

fn skipped(check: &Check, facts: &Facts) -> Option<Finding> {
    if let PathSource::Unknown(why) = facts.path_source() {
        return Some(check.skipped(format!("Skipped: {why}.")));
    }
    facts
        .gap(Read::DescribeNetworkAcls)
        .map(|gap| check.skipped_for(gap))
}

/// The CIDRs a path's traffic goes to: the internet, the endpoint's subnets, the S3 prefix
/// list; IPv6 ones from an IPv6-only subnet. Subnets that are the task's own are left out:
/// traffic inside a subnet crosses no ACL.
fn destination_cidrs(facts: &Facts, path: &ServicePath<'_>, task_subnet: &str) -> Vec<IpNet> {
    let ipv6 = facts.path_is_ipv6_only();
    let any: IpNet = if ipv6 { "::/0" } else { "0.0.0.0/0" }
        .parse()
        .expect("valid");
    match path {
        ServicePath::Internet { .. } => vec![any],
        ServicePath::InterfaceEndpoint(endpoint) => endpoint
            .subnet_ids
            .iter()
            .filter(|s| *s != task_subnet)
            .filter_map(|s| facts.network.subnet(s))
            .flat_map(|s| subnet_cidrs(s, ipv6))
            .collect(),
        ServicePath::GatewayEndpoint(_) => match &facts.network.s3_prefix_list {
            Some(list) if !list.cidrs.is_empty() && !ipv6 => {
                list.cidrs.iter().copied().map(IpNet::V4).collect()
            }
            _ => vec![any],
        },
    }
}

/// A subnet's CIDRs of one family.
fn subnet_cidrs(subnet: &crate::facts::Subnet, ipv6: bool) -> Vec<IpNet> {
    if ipv6 {
        subnet
            .ipv6_cidrs
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect()
    } else {
        subnet.cidr.map(IpNet::V4).into_iter().collect()
    }
}

/// The CLI flag that names a CIDR of its family.
fn cidr_flag(cidr: IpNet) -> String {
    match cidr {
        IpNet::V4(_) => format!("--cidr-block {cidr}"),
        IpNet::V6(_) => format!("--ipv6-cidr-block {cidr}"),
    }
}

fn task_subnet(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(skipped) = skipped(check, facts) {
        return vec![skipped];
    }
    let Some(subnet) = facts.path_subnet_id() else {
        return vec![check.skipped("Skipped: the task's subnet is unknown.")];
    };
    let Some(acl) = facts.network.network_acl_for(subnet) else {
        return vec![check.skipped(format!(
            "Skipped: no network ACL of subnet {subnet} was found."
        ))];
    };
    let mut findings = Vec::new();
    for (need, path) in &cx.plan {
        for peer in destination_cidrs(facts, path, subnet) {
            let out = decide(acl, true, (443, 443), peer);
            let back = decide(acl, false, EPHEMERAL, peer);
            if blocked(out) || blocked(back) {
                let mut problems = Vec::new();
                if blocked(out) {
                    problems.push(format!("outbound TCP 443 to {peer} is {}", describe(out)));
                }
                if blocked(back) {
                    problems.push(format!(
                        "inbound TCP 1024-65535 from {peer} (the replies) is {}",
                        describe(back)
                    ));
                }
                let fix = if blocked(out) {
                    format!(
                        "aws ec2 create-network-acl-entry --network-acl-id {} --egress \
                         --rule-number {} --protocol tcp --port-range From=443,To=443 {} \
                         --rule-action allow",
                        acl.id,
                        rule_number(acl, true, out),
                        cidr_flag(peer)
                    )
                } else {
                    format!(
                        "aws ec2 create-network-acl-entry --network-acl-id {} --ingress \
                         --rule-number {} --protocol tcp --port-range From=1024,To=65535 {} \
                         --rule-action allow",
                        acl.id,
                        rule_number(acl, false, back),
                        cidr_flag(peer)
                    )
                };
                findings.push(
                    check
                        .finding(
                            status(&[out, back]),
                            format!(
                                "Network ACL {} of the task subnet {subnet}: {}, so the task \
                                 cannot reach {} ({}).",
                                acl.id,
                                problems.join("; "),
                                need.destination,
                                need.reasons.join(", ")
                            ),
                            &[acl.id.as_str(), subnet],
                        )
                        .with_fix(fix),
                );
            }
        }
    }
    if findings.is_empty() {
        findings.push(check.pass(
            format!("Network ACL {} of the task subnet {subnet} allows TCP 443 out and the replies in for every service on the task's path.", acl.id),
            &[acl.id.as_str(), subnet],
        ));
    }
    findings
}

fn endpoint_subnet(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(skipped) = skipped(check, facts) {
        return vec![skipped];
    }
    let Some(task_subnet) = facts.path_subnet_id() else {
        return vec![];
    };
    let ipv6 = facts.path_is_ipv6_only();
    let Some(task_cidr) = facts
        .network
        .subnet(task_subnet)
        .and_then(|s| subnet_cidrs(s, ipv6).into_iter().next())
    else {
        return vec![];
    };
    let mut findings = Vec::new();
    let mut seen = Vec::new();
    for (need, path) in &cx.plan {
        let ServicePath::InterfaceEndpoint(endpoint) = path else {
            continue;
        };
        for subnet in endpoint.subnet_ids.iter().filter(|s| *s != task_subnet) {
            let Some(acl) = facts.network.network_acl_for(subnet) else {
                continue;
            };
            if seen.contains(&(endpoint.id.as_str(), subnet.as_str())) {
                continue;
            }
            seen.push((endpoint.id.as_str(), subnet.as_str()));
            let inbound = decide(acl, false, (443, 443), task_cidr);
            let replies = decide(acl, true, EPHEMERAL, task_cidr);
            if blocked(inbound) || blocked(replies) {
                let mut problems = Vec::new();
                if blocked(inbound) {
                    problems.push(format!(
                        "inbound TCP 443 from the task subnet {task_cidr} is {}",
                        describe(inbound)
                    ));
                }
                if blocked(replies) {
                    problems.push(format!(
                        "outbound TCP 1024-65535 to {task_cidr} (the replies) is {}",
                        describe(replies)
                    ));
                }
                findings.push(
                    check
                        .finding(
                            status(&[inbound, replies]),
                            format!(
                                "Network ACL {} of subnet {subnet}, where endpoint {} for {} \
                                 sits: {}.",
                                acl.id,
                                endpoint.id,
                                need.destination,
                                problems.join("; ")
                            ),
                            &[acl.id.as_str(), subnet.as_str(), endpoint.id.as_str()],
                        )
                        .with_fix(format!(
                            "aws ec2 create-network-acl-entry --network-acl-id {} --ingress \
                             --rule-number {} --protocol tcp --port-range From=443,To=443 {} \
                             --rule-action allow  (and --egress 1024-65535 to {task_cidr}, \
                             rule {})",
                            acl.id,
                            rule_number(acl, false, inbound),
                            cidr_flag(task_cidr),
                            rule_number(acl, true, replies)
                        )),
                );
            }
        }
    }
    if findings.is_empty() && !seen.is_empty() {
        findings.push(check.pass(
            format!(
                "The network ACLs of the endpoint subnets allow HTTPS in from the task subnet \
                 {task_cidr} and the replies out."
            ),
            &[],
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::NetworkAclEntry;

    fn entry(
        rule_number: i32,
        egress: bool,
        protocol: &str,
        allow: bool,
        cidr: &str,
        ports: Option<(i32, i32)>,
    ) -> NetworkAclEntry {
        NetworkAclEntry {
            rule_number,
            egress,
            protocol: protocol.into(),
            allow,
            cidr: cidr.parse().unwrap(),
            from_port: ports.map(|p| p.0),
            to_port: ports.map(|p| p.1),
        }
    }

    fn acl(entries: Vec<NetworkAclEntry>) -> NetworkAcl {
        NetworkAcl {
            id: "acl-0".into(),
            entries,
            ..NetworkAcl::default()
        }
    }

    #[test]
    fn lowest_rule_number_wins_and_the_star_rule_denies() {
        let internet: IpNet = "0.0.0.0/0".parse().unwrap();
        let acl = acl(vec![
            entry(200, true, "6", true, "0.0.0.0/0", Some((443, 443))),
            entry(100, true, "6", false, "0.0.0.0/0", Some((443, 443))),
            entry(32767, true, "-1", false, "0.0.0.0/0", None),
        ]);
        assert_eq!(
            decide(&acl, true, (443, 443), internet),
            AclDecision::Deny(Some(100))
        );
        assert_eq!(
            decide(&acl, false, EPHEMERAL, internet),
            AclDecision::Deny(None)
        );
    }

    #[test]
    fn partial_ports_and_addresses() {
        let internet: IpNet = "0.0.0.0/0".parse().unwrap();
        let acl = acl(vec![
            entry(90, false, "6", false, "10.9.0.0/16", None),
            entry(100, false, "6", true, "0.0.0.0/0", Some((32768, 65535))),
        ]);
        assert_eq!(
            decide(&acl, false, EPHEMERAL, internet),
            AclDecision::PartialDeny(90)
        );
        let acl = super::tests::acl(vec![entry(
            100,
            false,
            "6",
            true,
            "0.0.0.0/0",
            Some((32768, 65535)),
        )]);
        assert_eq!(
            decide(&acl, false, EPHEMERAL, internet),
            AclDecision::Deny(None),
            "ports 1024-32767 stay denied"
        );
        let acl = super::tests::acl(vec![entry(100, false, "-1", true, "0.0.0.0/0", None)]);
        assert_eq!(
            decide(&acl, false, EPHEMERAL, internet),
            AclDecision::Allow(100)
        );
    }
}
