//! Checks: pure functions over one prepared [`Context`] (the facts, and what is derived from
//! them once per diagnosis). Each check is a [`Check`] constant that carries its metadata (id,
//! title, category, severity, scope, fix, doc link) beside the function that runs it, so a
//! finding id leads straight to its code and to its row in the README's finding table.

pub mod dns;
pub mod efs;
pub mod endpoint;
pub mod env_file;
pub mod iam;
pub mod kms;
pub mod logs;
pub mod nacl;
pub mod network;
pub mod platform;
pub mod registry;
pub mod secret;
pub mod security_group;
pub mod ssm;

use crate::facts::{Facts, Gap, Read};
use crate::needs::paths::{self, ServicePath};
use crate::needs::{self, Need, Permission, SecretReference};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    NetworkRoute,
    PublicIp,
    SecurityGroup,
    Nacl,
    VpcEndpoint,
    Dns,
    IamRole,
    IamPermission,
    Kms,
    Secret,
    SsmParameter,
    LogGroup,
    EnvFile,
    Efs,
    Registry,
    Platform,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::NetworkRoute => "network-route",
            Category::PublicIp => "public-ip",
            Category::SecurityGroup => "security-group",
            Category::Nacl => "nacl",
            Category::VpcEndpoint => "vpc-endpoint",
            Category::Dns => "dns",
            Category::IamRole => "iam-role",
            Category::IamPermission => "iam-permission",
            Category::Kms => "kms",
            Category::Secret => "secret",
            Category::SsmParameter => "ssm-parameter",
            Category::LogGroup => "log-group",
            Category::EnvFile => "env-file",
            Category::Efs => "efs",
            Category::Registry => "registry",
            Category::Platform => "platform",
        }
    }

    /// Whether a fault in this category cuts the task off from AWS services.
    pub fn is_network(self) -> bool {
        matches!(
            self,
            Category::NetworkRoute
                | Category::PublicIp
                | Category::SecurityGroup
                | Category::Nacl
                | Category::VpcEndpoint
                | Category::Dns
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Fail,
    Warn,
    Skipped,
    Info,
    Pass,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Skipped => "skipped",
            Status::Info => "info",
            Status::Pass => "pass",
        }
    }
}

/// How bad a failure of the check is, for routing alerts (`critical` pages, `low` waits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// How far a fault a check finds reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The task's own configuration: its definition, role, references, security groups,
    /// public IP.
    Task,
    /// The VPC: a route table, endpoint, network ACL or resolver that every task in the VPC
    /// shares, so one fault stops every service there (the ledger sends one alert for all).
    Vpc,
}

/// What every check reads: the facts, and what is derived from them once per diagnosis.
pub struct Context<'f> {
    pub facts: &'f Facts,
    /// Each service the task needs, with the path it takes from the task subnet.
    pub plan: Vec<(Need, ServicePath<'f>)>,
    /// Every call the agent makes with the execution role, on its exact resource.
    pub permissions: Vec<Permission>,
    /// Every Secrets Manager reference of the task definition, with why the task needs it.
    pub secret_references: Vec<(SecretReference, String)>,
}

impl<'f> Context<'f> {
    pub fn new(facts: &'f Facts) -> Self {
        let (permissions, secret_references) = match &facts.task_definition {
            Some(definition) => (
                needs::permissions(&facts.task, definition, &facts.references),
                needs::secret_references(&facts.task, definition),
            ),
            None => (vec![], vec![]),
        };
        Context {
            facts,
            plan: paths::plan(facts),
            permissions,
            secret_references,
        }
    }
}

/// One check: its metadata and its function.
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    /// What is wrong when the check fails, for the alert's headline and subject.
    pub problem: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub scope: Scope,
    /// The general fix; a finding may carry a concrete one (the exact CLI command).
    pub remediation: &'static str,
    pub docs: &'static str,
    pub run: fn(&Self, &Context) -> Vec<Finding>,
}

/// One result of a check, as the report JSON carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub id: String,
    pub category: Category,
    pub status: Status,
    pub title: String,
    /// A full sentence naming the resource, and what it means.
    pub detail: String,
    pub resources: Vec<String>,
    pub remediation: String,
    pub docs: String,
}

impl Check {
    pub fn finding(
        &self,
        status: Status,
        detail: impl Into<String>,
        resources: &[&str],
    ) -> Finding {
        Finding {
            id: self.id.to_string(),
            category: self.category,
            status,
            title: self.title.to_string(),
            detail: detail.into(),
            resources: resources.iter().map(|r| r.to_string()).collect(),
            remediation: self.remediation.to_string(),
            docs: self.docs.to_string(),
        }
    }

    pub fn fail(&self, detail: impl Into<String>, resources: &[&str]) -> Finding {
        self.finding(Status::Fail, detail, resources)
    }

    pub fn warn(&self, detail: impl Into<String>, resources: &[&str]) -> Finding {
        self.finding(Status::Warn, detail, resources)
    }

    pub fn pass(&self, detail: impl Into<String>, resources: &[&str]) -> Finding {
        self.finding(Status::Pass, detail, resources)
    }

    pub fn info(&self, detail: impl Into<String>, resources: &[&str]) -> Finding {
        self.finding(Status::Info, detail, resources)
    }

    pub fn skipped(&self, why: impl Into<String>) -> Finding {
        self.finding(Status::Skipped, why, &[])
    }

    /// A `skipped` finding for a read that failed: "the doctor could not read X: why".
    pub fn skipped_for(&self, gap: &Gap) -> Finding {
        self.skipped(format!(
            "Skipped: the doctor could not call {} ({}).",
            gap.read, gap.reason
        ))
    }
}

impl Check {
    /// The skipped finding for a lookup that is missing because its read failed as a whole
    /// (the time budget ran out before it finished).
    pub fn missing_read(&self, facts: &Facts, read: Read) -> Option<Finding> {
        facts.gap(read).map(|gap| self.skipped_for(gap))
    }
}

impl Finding {
    /// Replaces the general fix with a concrete one.
    pub fn with_fix(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = remediation.into();
        self
    }
}

/// Every check, in the order they run.
pub const ALL: &[&Check] = &[
    &platform::TASK_RECORD,
    &platform::LAUNCH_TYPE,
    &platform::MANAGED_INSTANCES,
    &platform::READS,
    &network::PATHS,
    &network::DEFAULT_ROUTE,
    &network::PUBLIC_IP,
    &network::NAT_GATEWAY,
    &network::IPV6,
    &endpoint::MISSING,
    &endpoint::AVAILABLE,
    &dns::VPC_ATTRIBUTES,
    &endpoint::PRIVATE_DNS,
    &security_group::TASK_EGRESS,
    &nacl::TASK_SUBNET,
    &endpoint::SECURITY_GROUP,
    &nacl::ENDPOINT_SUBNET,
    &endpoint::POLICY,
    &dns::RESOLVERS,
    &iam::EXECUTION_ROLE,
    &iam::TRUST_POLICY,
    &iam::PERMISSIONS,
    &secret::EXISTS,
    &secret::CROSS_ACCOUNT,
    &kms::KEY,
    &ssm::PARAMETER,
    &logs::LOG_GROUP,
    &env_file::OBJECT,
    &registry::IMAGE,
    &efs::MOUNT_TARGET,
    &efs::NFS_ACCESS,
    &efs::ACCESS_POINT,
];

/// Runs every check over the facts, with the context derived from them once.
pub fn run_all(facts: &Facts) -> Vec<Finding> {
    let context = Context::new(facts);
    ALL.iter()
        .flat_map(|check| (check.run)(check, &context))
        .collect()
}

/// The check behind a finding id.
pub fn by_id(id: &str) -> Option<&'static Check> {
    ALL.iter().copied().find(|check| check.id == id)
}

impl Check {
    /// The file that holds the check: ids are `<area>.<name>`, one file per area.
    pub fn source_file(&self) -> String {
        let area = self.id.split('.').next().unwrap_or_default();
        format!("src/checks/{}.rs", area.replace('-', "_"))
    }
}

/// The README's finding table: id, what it checks, category, severity, fix, code.
pub fn markdown_table() -> String {
    let mut table = String::from(
        "| id | what it checks | category | severity | fix | code |\n|---|---|---|---|---|---|\n",
    );
    for check in ALL {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | [{}]({}) |\n",
            check.id,
            check.title,
            check.category.as_str(),
            check.severity.as_str(),
            check.remediation,
            check.source_file(),
            check.source_file(),
        ));
    }
    table
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn the_readme_holds_the_current_finding_table() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&markdown_table()),
            "README.md's finding table is stale: run `make readme`"
        );
    }

    #[test]
    fn every_check_lives_in_the_file_its_id_names() {
        let mut ids = std::collections::BTreeSet::new();
        for check in ALL {
            assert!(ids.insert(check.id), "duplicate id {}", check.id);
            let path = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), check.source_file());
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                source.contains(&format!("id: \"{}\"", check.id)),
                "{} is not in {path}",
                check.id
            );
        }
    }
}
