//! VPC endpoints on the task's path: present where the VPC's design is endpoints, available,
//! private DNS on, reachable through their security groups, and a policy that allows the call.

use super::network::{internet_needs, internet_usable};
use super::security_group::{Coverage, Peer, coverage, endpoint_groups, task_groups};
use super::{Category, Check, Context, Finding, Scope, Severity, Status};
use crate::facts::{Facts, Read, VpcEndpoint};
use crate::needs::Destination;
use crate::needs::paths::{self, InternetWhy, ServicePath};
use crate::policy::{Evaluation, Request, evaluate};

pub const MISSING: Check = Check {
    id: "endpoint.missing",
    title: "Every AWS service the task needs has a VPC endpoint where endpoints are the design",
    problem: "a VPC endpoint the task needs is missing",
    category: Category::VpcEndpoint,
    severity: Severity::Critical,
    scope: Scope::Vpc,
    remediation: "Create the missing interface endpoint in the task's VPC, in the task's \
                  subnets, with private DNS on and a security group that allows TCP 443 from \
                  the task (for S3, a gateway endpoint on the task subnet's route table).",
    docs: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html",
    run: missing,
};

pub const AVAILABLE: Check = Check {
    id: "endpoint.available",
    title: "VPC endpoints on the task's path are available",
    problem: "a VPC endpoint on the task's path is not available",
    category: Category::VpcEndpoint,
    severity: Severity::Critical,
    scope: Scope::Vpc,
    remediation: "Accept or recreate the endpoint until its state is available (aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ID shows why it is not).",
    docs: "https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html",
    run: available,
};

pub const PRIVATE_DNS: Check = Check {
    id: "endpoint.private-dns",
    title: "Interface endpoints the task needs have private DNS on",
    problem: "an interface endpoint the task needs has private DNS off",
    category: Category::VpcEndpoint,
    severity: Severity::High,
    scope: Scope::Vpc,
    remediation: "Turn on private DNS for the endpoint (aws ec2 modify-vpc-endpoint \
                  --vpc-endpoint-id ID --private-dns-enabled), so the service's public name \
                  resolves to the endpoint.",
    docs: "https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html#interface-endpoint-private-dns",
    run: private_dns,
};

pub const SECURITY_GROUP: Check = Check {
    id: "endpoint.security-group",
    title: "Interface endpoints' security groups allow HTTPS from the task",
    problem: "an endpoint's security group does not let the task in on 443",
    category: Category::SecurityGroup,
    severity: Severity::Critical,
    scope: Scope::Task,
    remediation: "Allow inbound TCP 443 on the endpoint's security group from the task's security group (or the task subnet's CIDR).",
    docs: "https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html#create-interface-endpoint-aws",
    run: security_group,
};

pub const POLICY: Check = Check {
    id: "endpoint.policy",
    title: "Endpoint policies allow the calls the task makes",
    problem: "a VPC endpoint policy denies a call the task makes",
    category: Category::VpcEndpoint,
    severity: Severity::High,
    scope: Scope::Vpc,
    remediation: "Allow the agent's calls in the endpoint policy (or restore the default full-access policy).",
    docs: "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
    run: policy,
};

fn gap_finding(check: &Check, facts: &Facts) -> Option<Finding> {
    if let crate::facts::PathSource::Unknown(why) = facts.path_source() {
        return Some(check.skipped(format!("Skipped: {why}.")));
    }
    facts
        .gap(Read::DescribeVpcEndpoints)
        .map(|gap| check.skipped_for(gap))
}

fn missing(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(skipped) = gap_finding(check, facts) {
        return vec![skipped];
    }
    let plan = &cx.plan;
    if !paths::endpoints_are_the_design(plan) || internet_usable(cx) != Some(false) {
        return vec![];
    }
    let vpc = facts.network.vpc_id.as_deref().unwrap_or("<vpc>");
    let subnet = facts.path_subnet_id().unwrap_or("<task subnet>");
    let table = facts
        .path_subnet_id()
        .and_then(|s| facts.network.route_table_for(s))
        .map_or("<route table>", |t| t.id.as_str());
    // The groups the VPC's interface endpoints already use (made to admit the tasks), else
    // the task's own.
    let endpoint_groups: Vec<&str> = facts
        .network
        .vpc_endpoints
        .iter()
        .filter(|e| e.kind == "Interface")
        .flat_map(|e| e.security_groups.iter().map(String::as_str))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let groups = Some(endpoint_groups.join(" "))
        .filter(|g| !g.is_empty())
        .or_else(|| task_groups(facts).map(|g| g.join(" ")))
        .unwrap_or_else(|| "<a security group admitting the task on 443>".into());
    internet_needs(cx)
        .into_iter()
        .filter(|(need, why)| {
            *why == InternetWhy::NoEndpoint && matches!(need.destination, Destination::Aws { .. })
        })
        .map(|(need, _)| {
            let service = need.destination.endpoint_service_name().unwrap_or_default();
            let fix = if service.ends_with(".s3") {
                format!(
                    "aws ec2 create-vpc-endpoint --vpc-id {vpc} --vpc-endpoint-type Gateway \
                     --service-name {service} --route-table-ids {table}"
                )
            } else {
                format!(
                    "aws ec2 create-vpc-endpoint --vpc-id {vpc} --vpc-endpoint-type Interface \
                     --service-name {service} --subnet-ids {subnet} --security-group-ids \
                     {groups} --private-dns-enabled"
                )
            };
            check
                .fail(
                    format!(
                        "VPC {vpc} reaches AWS through endpoints but has none for {service}, \
                         and the task subnet has no usable internet path: the task cannot reach \
                         it ({}).",
                        need.reasons.join(", ")
                    ),
                    &[vpc, subnet],
                )
                .with_fix(fix)
        })
        .collect()
}

/// The endpoints on the task's path, each once, with the service it serves.
fn on_path<'f>(cx: &Context<'f>) -> Vec<(&'f VpcEndpoint, Destination)> {
    let mut endpoints: Vec<(&VpcEndpoint, Destination)> = Vec::new();
    for (need, path) in &cx.plan {
        if let ServicePath::InterfaceEndpoint(e) | ServicePath::GatewayEndpoint(e) = path
            && !endpoints.iter().any(|(seen, _)| seen.id == e.id)
        {
            endpoints.push((*e, need.destination.clone()));
        }
    }
    endpoints
}

fn available(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(skipped) = gap_finding(check, facts) {
        return vec![skipped];
    }
    on_path(cx)
        .into_iter()
        .map(|(endpoint, destination)| {
            let state = endpoint.state.as_deref().unwrap_or("unknown");
            if state.eq_ignore_ascii_case("available") {
                check.pass(format!("Endpoint {} for {destination} is available.", endpoint.id), &[endpoint.id.as_str()])
            } else {
                check.fail(
                    format!("Endpoint {} for {destination} is {state}, not available: it carries no traffic.", endpoint.id),
                    &[endpoint.id.as_str()],
                )
            }
        })
        .collect()
}

fn private_dns(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(skipped) = gap_finding(check, facts) {
        return vec![skipped];
    }
    let usable = internet_usable(cx);
    internet_needs(cx)
        .into_iter()
        .filter(|(_, why)| *why == InternetWhy::PrivateDnsOff)
        .filter_map(|(need, _)| {
            let name = need.destination.endpoint_service_name()?;
            let endpoint = facts
                .network
                .vpc_endpoints
                .iter()
                .find(|e| e.service_name == name)?;
            let fix = format!(
                "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --private-dns-enabled",
                endpoint.id
            );
            Some(if usable == Some(true) {
                check
                    .warn(
                        format!(
                            "Endpoint {} for {name} has private DNS off, so the task's calls to \
                             {name} resolve to public addresses and leave through the subnet's \
                             internet path instead of the endpoint.",
                            endpoint.id
                        ),
                        &[endpoint.id.as_str()],
                    )
                    .with_fix(fix)
            } else {
                check
                    .fail(
                        format!(
                            "Endpoint {} for {name} has private DNS off, so the service's name \
                             resolves to public addresses, which the task subnet cannot reach: \
                             the task cannot reach {name} ({}).",
                            endpoint.id,
                            need.reasons.join(", ")
                        ),
                        &[endpoint.id.as_str()],
                    )
                    .with_fix(fix)
            })
        })
        .collect()
}

fn security_group(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(skipped) = gap_finding(check, facts) {
        return vec![skipped];
    }
    if let Some(skipped) = super::security_group::not_applicable(check, facts) {
        return vec![skipped];
    }
    let groups = task_groups(facts).unwrap_or_default();
    let subnet_cidr = facts
        .path_subnet_id()
        .and_then(|s| facts.network.subnet(s)?.cidr);
    let task_ip = facts.path_private_ip();
    let mut findings = Vec::new();
    for (endpoint, destination) in on_path(cx) {
        if !endpoint.kind.eq_ignore_ascii_case("Interface") {
            continue;
        }
        let endpoint_groups = endpoint_groups(facts, endpoint);
        let rules: Vec<_> = endpoint_groups
            .iter()
            .filter_map(|g| facts.network.security_group(g))
            .flat_map(|g| g.ingress.iter())
            .collect();
        // From the task: its group, its subnet, or its own address.
        let by_group = Peer {
            groups: groups.clone(),
            ..Peer::default()
        };
        let by_subnet = Peer {
            cidrs: subnet_cidr.into_iter().collect(),
            ..Peer::default()
        };
        let by_ip = Peer {
            cidrs: task_ip.map(ipnet::Ipv4Net::from).into_iter().collect(),
            ..Peer::default()
        };
        let best = [by_group, by_subnet, by_ip]
            .iter()
            .filter(|peer| !peer.groups.is_empty() || !peer.cidrs.is_empty())
            .map(|peer| coverage(rules.iter().copied(), "tcp", 443, peer))
            .max()
            .unwrap_or(Coverage::None);
        let mut resources: Vec<&str> = vec![endpoint.id.as_str()];
        resources.extend(endpoint_groups.iter().copied());
        let group_list = endpoint_groups.join(", ");
        findings.push(match best {
            Coverage::Full => check.pass(
                format!(
                    "Endpoint {} ({destination}) lets the task in on TCP 443 through its \
                     security groups ({group_list}).",
                    endpoint.id
                ),
                &resources,
            ),
            _ if groups.is_empty() && subnet_cidr.is_none() => check.skipped(format!(
                "Skipped: the task's security groups and subnet are unknown, so whether \
                 endpoint {} lets it in cannot be told.",
                endpoint.id
            )),
            Coverage::Partial => check.warn(
                format!(
                    "The security groups of endpoint {} ({destination}: {group_list}) allow TCP \
                     443 from only part of the task subnet.",
                    endpoint.id
                ),
                &resources,
            ),
            Coverage::None => {
                let fix = match (endpoint_groups.first(), groups.first(), subnet_cidr) {
                    (Some(endpoint_group), Some(task_group), _) => format!(
                        "aws ec2 authorize-security-group-ingress --group-id {endpoint_group} \
                         --protocol tcp --port 443 --source-group {task_group}"
                    ),
                    (Some(endpoint_group), None, Some(cidr)) => format!(
                        "aws ec2 authorize-security-group-ingress --group-id {endpoint_group} \
                         --protocol tcp --port 443 --cidr {cidr}"
                    ),
                    _ => SECURITY_GROUP.remediation.to_string(),
                };
                check
                    .fail(
                        format!(
                            "The security groups of endpoint {} ({destination}: {group_list}) \
                             allow no TCP 443 from the task (groups {}, subnet {}): the task \
                             cannot reach {destination}.",
                            endpoint.id,
                            if groups.is_empty() {
                                "unknown".to_string()
                            } else {
                                groups.join(", ")
                            },
                            subnet_cidr.map_or("unknown".to_string(), |c| c.to_string())
                        ),
                        &resources,
                    )
                    .with_fix(fix)
            }
        });
    }
    findings
}

fn policy(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(skipped) = gap_finding(check, facts) {
        return vec![skipped];
    }
    let mut findings = Vec::new();
    for (endpoint, destination) in on_path(cx) {
        let Some(document) = &endpoint.policy else {
            continue;
        };
        let Destination::Aws { service, .. } = destination else {
            continue;
        };
        for action in service.actions() {
            let resources = [endpoint.id.as_str()];
            // Endpoint policies name principals; any principal of the account may be the
            // caller, so only `*` principals count for sure.
            let request = Request {
                action,
                resource: "*",
                principals: Some(&[]),
            };
            match evaluate(&[("the endpoint policy", document)], &request) {
                Evaluation::Allowed => {}
                Evaluation::ExplicitDeny(statement) => findings.push(check.fail(
                    format!(
                        "The policy of endpoint {} explicitly denies {action} ({statement}): \
                         the task's call through it fails.",
                        endpoint.id
                    ),
                    &resources,
                )),
                Evaluation::NotAllowed => findings.push(check.fail(
                    format!(
                        "The policy of endpoint {} allows no {action}: the task's call through \
                         it is denied.",
                        endpoint.id
                    ),
                    &resources,
                )),
                Evaluation::Unknown(why) => findings.push(check.warn(
                    format!(
                        "Whether the policy of endpoint {} allows {action} cannot be told: \
                         {why}.",
                        endpoint.id
                    ),
                    &resources,
                )),
            }
        }
    }
    if findings.is_empty() {
        let with_policy = on_path(cx)
            .iter()
            .filter(|(e, _)| e.policy.is_some())
            .count();
        if with_policy > 0 {
            findings.push(check.pass(format!("The policies of the {with_policy} endpoint(s) on the task's path allow the calls it makes."), &[]));
        }
    }
    findings.sort_by_key(|f| f.status != Status::Fail);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(policy: &str, action: &str) -> Evaluation {
        evaluate(
            &[("the endpoint policy", policy)],
            &Request {
                action,
                resource: "*",
                principals: Some(&[]),
            },
        )
    }

    #[test]
    fn the_default_full_access_policy_allows() {
        let full =
            r#"{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}"#;
        assert_eq!(
            answer(full, "secretsmanager:GetSecretValue"),
            Evaluation::Allowed
        );
    }

    #[test]
    fn explicit_deny_wins_and_wildcards_match() {
        let policy = r#"{"Statement":[
            {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"secretsmanager:*","Resource":"*"},
            {"Sid":"NoReads","Effect":"Deny","Principal":"*","Action":"secretsmanager:Get*","Resource":"*"}]}"#;
        assert_eq!(
            answer(policy, "secretsmanager:GetSecretValue"),
            Evaluation::ExplicitDeny("the endpoint policy statement NoReads".into())
        );
        assert_eq!(
            answer(policy, "secretsmanager:DescribeSecret"),
            Evaluation::Allowed
        );
    }

    #[test]
    fn named_principals_and_conditions_are_unknown() {
        let policy = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage"],"Resource":"*"}}"#;
        assert_eq!(
            answer(policy, "ecr:GetAuthorizationToken"),
            Evaluation::NotAllowed
        );
        let policy = concat!(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","#,
            r#""Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]}"#
        );
        assert!(matches!(
            answer(policy, "ssm:GetParameters"),
            Evaluation::Unknown(_)
        ));
        let policy = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"*","Resource":"*"}]}"#;
        assert!(matches!(
            answer(policy, "ssm:GetParameters"),
            Evaluation::Unknown(_)
        ));
    }
}
