//! Name resolution in the task's VPC: the VPC's DNS attributes, and custom resolvers.

use super::{Category, Check, Context, Finding, Scope, Severity};
use crate::facts::Read;
use crate::needs::Destination;
use crate::needs::paths::ServicePath;

pub const VPC_ATTRIBUTES: Check = Check {
    id: "dns.vpc-attributes",
    title: "VPC resolves names (enableDnsSupport) and endpoint private DNS works (enableDnsHostnames)",
    problem: "the VPC's DNS attributes are off",
    category: Category::Dns,
    severity: Severity::Critical,
    scope: Scope::Vpc,
    remediation: "Turn the VPC's DNS attributes on: aws ec2 modify-vpc-attribute --vpc-id VPC \
                  --enable-dns-support '{\"Value\":true}' and --enable-dns-hostnames \
                  '{\"Value\":true}'.",
    docs: "https://docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html#vpc-dns-support",
    run: vpc_attributes,
};

pub const RESOLVERS: Check = Check {
    id: "dns.resolvers",
    title: "VPC uses the Amazon-provided resolver",
    problem: "the VPC uses custom DNS resolvers",
    category: Category::Dns,
    severity: Severity::Medium,
    scope: Scope::Vpc,
    remediation: "Make the custom resolvers answer the AWS service names the task needs \
                  (forward amazonaws.com to the VPC resolver at the VPC CIDR base +2), or use \
                  AmazonProvidedDNS in the VPC's DHCP options.",
    docs: "https://docs.aws.amazon.com/vpc/latest/userguide/DHCPOptionSetConcepts.html",
    run: resolvers,
};

fn vpc_attributes(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(gap) = facts
        .gap(Read::DescribeVpcAttribute)
        .or(facts.gap(Read::DescribeVpcs))
    {
        return vec![check.skipped_for(gap)];
    }
    let Some(vpc) = &facts.network.vpc else {
        return vec![];
    };
    let id = vpc.id.as_str();
    let uses_endpoints = cx
        .plan
        .iter()
        .any(|(_, p)| matches!(p, ServicePath::InterfaceEndpoint(_)));
    let fix = |attribute: &str| {
        format!("aws ec2 modify-vpc-attribute --vpc-id {id} --{attribute} '{{\"Value\":true}}'")
    };
    if vpc.enable_dns_support == Some(false) && vpc.custom_dns_servers().is_empty() {
        return vec![
            check
                .fail(
                    format!(
                        "VPC {id} has enableDnsSupport off and no custom DNS servers: nothing \
                         in it resolves names, so the task cannot find any AWS service."
                    ),
                    &[id],
                )
                .with_fix(fix("enable-dns-support")),
        ];
    }
    if uses_endpoints {
        for (attribute, value) in [
            ("enable-dns-support", vpc.enable_dns_support),
            ("enable-dns-hostnames", vpc.enable_dns_hostnames),
        ] {
            if value == Some(false) {
                return vec![
                    check
                        .fail(
                            format!(
                                "VPC {id} has {attribute} off: the private DNS names of its \
                                 interface endpoints do not resolve, so the task's calls go to \
                                 the services' public addresses instead."
                            ),
                            &[id],
                        )
                        .with_fix(fix(attribute)),
                ];
            }
        }
    }
    vec![check.pass(
        format!(
            "VPC {id} resolves names{}.",
            if uses_endpoints {
                " and its endpoints' private DNS names"
            } else {
                ""
            }
        ),
        &[id],
    )]
}

/// The host names the task resolves at start, for custom resolvers to answer.
fn host_names(cx: &Context) -> Vec<String> {
    let mut names: Vec<String> = cx
        .plan
        .iter()
        .map(|(need, _)| match &need.destination {
            Destination::Aws { service, region } => match service.endpoint_suffix() {
                "ecr.api" => format!("api.ecr.{region}.amazonaws.com"),
                "ecr.dkr" => format!("<account>.dkr.ecr.{region}.amazonaws.com"),
                "s3" => format!("s3.{region}.amazonaws.com"),
                other => format!("{other}.{region}.amazonaws.com"),
            },
            Destination::Registry(host) => host.clone(),
        })
        .collect();
    names.dedup();
    names
}

fn resolvers(check: &Check, cx: &Context) -> Vec<Finding> {
    let facts = cx.facts;
    if let Some(gap) = facts.gap(Read::DescribeDhcpOptions) {
        return vec![check.skipped_for(gap)];
    }
    let Some(vpc) = &facts.network.vpc else {
        return vec![];
    };
    let custom = vpc.custom_dns_servers();
    let id = vpc.id.as_str();
    if custom.is_empty() {
        return vec![check.pass(format!("VPC {id} uses AmazonProvidedDNS."), &[id])];
    }
    let mut resources = vec![id];
    resources.extend(vpc.dhcp_options_id.as_deref());
    vec![check.warn(
        format!(
            "VPC {id} resolves names through custom DNS servers ({}): they must answer {} and, \
             for endpoints with private DNS, return the endpoints' private addresses (forward \
             to the VPC resolver); the doctor cannot query them.",
            custom.join(", "),
            host_names(cx).join(", ")
        ),
        &resources,
    )]
}
