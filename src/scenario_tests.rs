//! Whole-diagnosis scenarios over hand-built facts: each breaks one hop and asserts the
//! report's root cause, including what the emulator cannot build.

use crate::checks::Status;
use crate::doctor::diagnose_facts;
use crate::facts::{Facts, NetworkAcl, NetworkAclEntry, SecurityGroupRule};
use crate::test_support::*;
use crate::verdict::Report;

fn root(facts: &Facts) -> (Option<String>, Report) {
    let report = diagnose_facts(facts);
    (report.root_cause.clone(), report)
}

fn status(report: &Report, id: &str) -> Vec<Status> {
    report
        .findings
        .iter()
        .filter(|f| f.id == id)
        .map(|f| f.status)
        .collect()
}

#[test]
fn an_endpoint_design_without_a_default_route_is_healthy() {
    let (cause, report) = root(&endpoints_design());
    assert_eq!(cause, None, "{report:#?}");
    assert_eq!(status(&report, "network.default-route"), [Status::Pass]);
    assert!(report.findings.iter().all(|f| f.status != Status::Fail));
}

#[test]
fn a_missing_endpoint_is_the_root_cause_not_the_missing_route() {
    let mut facts = endpoints_design();
    facts
        .network
        .vpc_endpoints
        .retain(|e| e.id != "vpce-0secretsmanager");
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("endpoint.missing"));
    let finding = report.root_finding().unwrap();
    assert!(
        finding
            .detail
            .contains("com.amazonaws.us-east-1.secretsmanager")
    );
    assert!(
        finding
            .remediation
            .contains("--service-name com.amazonaws.us-east-1.secretsmanager")
    );
    assert_eq!(status(&report, "network.default-route"), [Status::Info]);
}

#[test]
fn a_missing_s3_gateway_endpoint_is_named_with_the_route_table() {
    let mut facts = endpoints_design();
    facts.network.vpc_endpoints.retain(|e| e.id != "vpce-0s3");
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("endpoint.missing"));
    let finding = report.root_finding().unwrap();
    assert!(
        finding.remediation.contains(
            "--vpc-endpoint-type Gateway --service-name com.amazonaws.us-east-1.s3 \
             --route-table-ids rtb-0task"
        ),
        "{}",
        finding.remediation
    );
}

#[test]
fn task_egress_without_the_s3_prefix_list_is_caught() {
    let mut facts = endpoints_design();
    // Egress only to the endpoints' group: ECR's layers in S3 are blocked (the runbook's miss).
    facts.network.security_groups[0].egress = vec![SecurityGroupRule {
        protocol: "tcp".into(),
        from_port: Some(443),
        to_port: Some(443),
        groups: vec!["sg-0endpoints".into()],
        ..SecurityGroupRule::default()
    }];
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("security-group.task-egress"));
    let finding = report.root_finding().unwrap();
    assert!(
        finding.detail.contains("S3 prefix list"),
        "{}",
        finding.detail
    );
    assert!(
        finding
            .remediation
            .contains(&format!("PrefixListId={S3_LIST}"))
    );
    assert_eq!(
        status(&report, "security-group.task-egress").len(),
        1,
        "only S3 is blocked"
    );
}

#[test]
fn egress_to_the_prefix_list_passes() {
    let mut facts = endpoints_design();
    facts.network.security_groups[0].egress = vec![
        SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(443),
            to_port: Some(443),
            groups: vec!["sg-0endpoints".into()],
            ..Default::default()
        },
        SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(443),
            to_port: Some(443),
            prefix_lists: vec![S3_LIST.into()],
            ..Default::default()
        },
    ];
    let (cause, report) = root(&facts);
    assert_eq!(cause, None, "{report:#?}");
}

#[test]
fn an_endpoint_security_group_that_does_not_admit_the_task() {
    let mut facts = endpoints_design();
    facts.network.security_groups[2].ingress[0].groups = vec!["sg-0other".into()];
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("endpoint.security-group"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .remediation
            .contains("--source-group sg-0task")
    );
}

#[test]
fn an_endpoint_admitting_the_task_subnet_cidr_passes() {
    let mut facts = endpoints_design();
    let rule = &mut facts.network.security_groups[2].ingress[0];
    rule.groups.clear();
    rule.cidrs = vec!["10.0.0.0/16".parse().unwrap()];
    assert_eq!(root(&facts).0, None);
}

#[test]
fn private_dns_off_fails_without_internet_and_warns_with_it() {
    let mut facts = endpoints_design();
    endpoint_mut(&mut facts, "vpce-0secretsmanager").private_dns_enabled = false;
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("endpoint.private-dns"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .remediation
            .contains("--private-dns-enabled")
    );

    let mut facts = with_task_definition(healthy_nat());
    facts.network.vpc_endpoints = endpoints_design().network.vpc_endpoints;
    facts.network.security_groups = endpoints_design().network.security_groups;
    facts.network.subnets = endpoints_design().network.subnets;
    endpoint_mut(&mut facts, "vpce-0secretsmanager").private_dns_enabled = false;
    let (cause, report) = root(&facts);
    assert_eq!(status(&report, "endpoint.private-dns"), [Status::Warn]);
    assert_eq!(
        cause.as_deref(),
        Some("endpoint.private-dns"),
        "a warning is the suspected cause"
    );
}

#[test]
fn dns_hostnames_off_breaks_endpoint_private_dns() {
    let mut facts = endpoints_design();
    facts.network.vpc.as_mut().unwrap().enable_dns_hostnames = Some(false);
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("dns.vpc-attributes"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .remediation
            .contains("--enable-dns-hostnames")
    );
}

#[test]
fn an_endpoint_not_available_fails() {
    let mut facts = endpoints_design();
    endpoint_mut(&mut facts, "vpce-0ecrdkr").state = Some("pendingAcceptance".into());
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("endpoint.available"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .detail
            .contains("pendingAcceptance")
    );
}

#[test]
fn an_endpoint_policy_that_denies_the_call_fails() {
    let mut facts = endpoints_design();
    endpoint_mut(&mut facts, "vpce-0secretsmanager").policy = Some(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:DescribeSecret","Resource":"*"}]}"#.into(),
    );
    // What ECS reports for it: a denial, so the network worked.
    facts.task.stopped_reason = DENIED_BY_ENDPOINT.into();
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("endpoint.policy"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .detail
            .contains("secretsmanager:GetSecretValue")
    );
}

fn deny_entry(rule_number: i32, egress: bool, port: i32) -> NetworkAclEntry {
    NetworkAclEntry {
        rule_number,
        egress,
        protocol: "6".into(),
        allow: false,
        cidr: "0.0.0.0/0".parse().unwrap(),
        from_port: Some(port),
        to_port: Some(port),
    }
}

#[test]
fn a_nacl_denying_443_out_of_the_task_subnet_fails() {
    let mut facts = with_task_definition(healthy_nat());
    facts.network.network_acls[0]
        .entries
        .push(deny_entry(50, true, 443));
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("nacl.task-subnet"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .detail
            .contains("denied by rule 50")
    );
}

#[test]
fn a_nacl_on_the_endpoint_subnet_denying_443_in_fails() {
    let mut facts = endpoints_design();
    let mut acl: NetworkAcl = facts.network.network_acls[0].clone();
    acl.id = "acl-0endpoints".into();
    acl.is_default = false;
    acl.subnet_ids = vec![ENDPOINT_SUBNET.into()];
    acl.entries.push(deny_entry(10, false, 443));
    facts.network.network_acls.push(acl);
    let (cause, report) = root(&facts);
    assert_eq!(
        cause.as_deref(),
        Some("nacl.endpoint-subnet"),
        "{report:#?}"
    );
}

#[test]
fn custom_resolvers_warn_and_need_port_53() {
    let mut facts = with_task_definition(healthy_nat());
    facts.network.vpc.as_mut().unwrap().dns_servers = vec!["10.0.0.53".into()];
    let (_, report) = root(&facts);
    assert_eq!(status(&report, "dns.resolvers"), [Status::Warn]);
    assert!(
        report.findings.iter().any(|f| f.id == "dns.resolvers"
            && f.detail.contains("secretsmanager.us-east-1.amazonaws.com"))
    );
    facts.network.security_groups[0].egress = vec![SecurityGroupRule {
        protocol: "tcp".into(),
        from_port: Some(443),
        to_port: Some(443),
        cidrs: vec!["0.0.0.0/0".parse().unwrap()],
        ..SecurityGroupRule::default()
    }];
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("security-group.task-egress"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .detail
            .contains("DNS server 10.0.0.53")
    );
}

#[test]
fn a_secret_in_another_region_needs_the_internet_even_with_endpoints() {
    let mut facts = endpoints_design();
    facts.task_definition.as_mut().unwrap().containers[0].secrets[0].value_from =
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf".into();
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("network.default-route"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .detail
            .contains("com.amazonaws.eu-west-1.secretsmanager (it is in another region"),
        "{}",
        report.root_finding().unwrap().detail
    );
}

#[test]
fn a_public_registry_image_needs_the_internet() {
    let mut facts = endpoints_design();
    facts.task_definition.as_mut().unwrap().containers[0].image =
        "public.ecr.aws/nginx/nginx:1.27".into();
    let (cause, report) = root(&facts);
    assert_eq!(cause.as_deref(), Some("network.default-route"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .detail
            .contains("registry public.ecr.aws")
    );
}

#[test]
fn unknown_security_groups_are_said() {
    let mut facts = with_task_definition(healthy_nat());
    facts.service = None;
    facts.task.group = Some("family:web".into());
    let (_, report) = root(&facts);
    let egress = report
        .findings
        .iter()
        .find(|f| f.id == "security-group.task-egress")
        .unwrap();
    assert_eq!(egress.status, Status::Skipped);
    assert!(egress.detail.contains("security groups are unknown"));
}

#[test]
fn platform_1_3_skips_the_security_group_checks() {
    let mut facts = with_task_definition(healthy_nat());
    facts.task.platform_version = Some("1.3.0".into());
    facts.network.security_groups[0].egress.clear();
    let (cause, report) = root(&facts);
    assert_eq!(cause, None);
    assert_eq!(
        status(&report, "security-group.task-egress"),
        [Status::Skipped]
    );
}

const DENIED_BY_ENDPOINT: &str = "ResourceInitializationError: unable to pull secrets or \
    registry auth: unable to retrieve secret from asm: failed to fetch secret \
    arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf from secrets manager: \
    AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/abc is not \
    authorized to perform: secretsmanager:GetSecretValue because no VPC endpoint policy allows \
    the secretsmanager:GetSecretValue action";

fn cross_account_secret(kms_key_id: Option<&str>, policy: Option<&str>) -> Facts {
    let mut facts = with_task_definition(healthy_nat());
    // A cross-account secret without a usable key or grant is refused, not timed out.
    facts.task.stopped_reason =
        DENIED_BY_ENDPOINT.replace("because no VPC endpoint", "because no resource-based");
    let arn = "arn:aws:secretsmanager:us-east-1:999999999999:secret:shared/db-AbCdEf";
    facts.task_definition.as_mut().unwrap().containers[0].secrets[0].value_from = arn.into();
    facts.references.secrets.push(crate::facts::SecretLookup {
        reference: arn.into(),
        region: "us-east-1".into(),
        lookup: crate::facts::Lookup::Found,
        arn: Some(arn.into()),
        name: Some("shared/db".into()),
        deleted_date: None,
        kms_key_id: kms_key_id.map(str::to_string),
        version_stages: vec!["AWSCURRENT".into()],
        version_ids: vec![],
        resource_policy: policy.map(str::to_string),
        resource_policy_gap: None,
        tags: Default::default(),
    });
    facts
}

#[test]
fn a_cross_account_secret_needs_a_customer_key_and_a_resource_policy() {
    let (cause, _) = root(&cross_account_secret(None, None));
    assert_eq!(cause.as_deref(), Some("secret.cross-account"));
    let key = Some("arn:aws:kms:us-east-1:999999999999:key/k");
    let (cause, report) = root(&cross_account_secret(key, None));
    assert_eq!(cause.as_deref(), Some("secret.cross-account"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .detail
            .contains("resource policy does not let account 123456789012")
    );
    let policy = concat!(
        r#"{"Statement":[{"Effect":"Allow","#,
        r#""Principal":{"AWS":"arn:aws:iam::123456789012:root"},"#,
        r#""Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
    );
    let (_, report) = root(&cross_account_secret(key, Some(policy)));
    assert_eq!(status(&report, "secret.cross-account"), [Status::Pass]);
    // A policy that could not be read is unknown, not absent.
    let mut facts = cross_account_secret(key, None);
    facts.references.secrets[0].resource_policy_gap = Some(crate::facts::Gap {
        read: crate::facts::Read::GetResourcePolicy,
        reason: "the doctor's role may not call secretsmanager:GetResourcePolicy".into(),
        transient: false,
    });
    let (_, report) = root(&facts);
    assert_eq!(status(&report, "secret.cross-account"), [Status::Warn]);
}
