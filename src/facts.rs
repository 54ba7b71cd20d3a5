//! Everything the checks need to know, as plain data. `collect` fills it from AWS (or the CLI
//! reads it from a file); the checks only read it. A read that failed is a [`Gap`], so a check
//! can say what it could not look at instead of guessing.
//!
//! Values are never stored: no environment variable values, no secret or parameter values, and
//! of log driver options only the awslogs settings the checks use.

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    pub task: Task,
    /// Where the task's description came from.
    pub task_source: TaskSource,
    pub task_definition: Option<TaskDefinition>,
    pub service: Option<Service>,
    pub network: Network,
    #[serde(default)]
    pub identity: Identity,
    #[serde(default)]
    pub references: References,
    /// Reads that failed, so the checks that needed them are skipped with the reason.
    #[serde(default)]
    pub gaps: Vec<Gap>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TaskSource {
    /// DescribeTasks still knew the task.
    #[default]
    DescribeTasks,
    /// DescribeTasks no longer knew it (or was not allowed): only the event's copy was used.
    Event,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub arn: String,
    pub cluster_arn: String,
    pub group: Option<String>,
    pub started_by: Option<String>,
    pub task_definition_arn: Option<String>,
    pub launch_type: Option<String>,
    pub platform_version: Option<String>,
    pub stopped_reason: String,
    pub stop_code: Option<String>,
    pub stopped_at: Option<String>,
    pub region: String,
    pub account: String,
    pub availability_zone: Option<String>,
    /// The awsvpc attachment: the ENI ECS made for the task.
    pub attachment: Option<EniAttachment>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Task {
    /// The cluster's name, from its ARN.
    pub fn cluster_name(&self) -> &str {
        arn_resource_name(&self.cluster_arn)
    }

    /// The task's id, from its ARN.
    pub fn id(&self) -> &str {
        arn_resource_name(&self.arn)
    }

    /// The service that started the task, from its group (`service:NAME`).
    pub fn service_name(&self) -> Option<&str> {
        self.group.as_deref()?.strip_prefix("service:")
    }

    /// The task definition's family, from its ARN (`…:task-definition/FAMILY:REV`).
    pub fn family(&self) -> Option<&str> {
        let name = arn_resource_name(self.task_definition_arn.as_deref()?);
        Some(name.split(':').next().unwrap_or(name))
    }

    pub fn is_fargate(&self) -> bool {
        !matches!(self.launch_type.as_deref(), Some("EC2") | Some("EXTERNAL"))
    }
}

/// The last `/`-separated part of an ARN: a cluster or task name, a role name.
pub fn arn_resource_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EniAttachment {
    pub subnet_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub private_ipv4_address: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinition {
    pub arn: String,
    pub family: String,
    pub revision: i32,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub network_mode: Option<String>,
    #[serde(default)]
    pub containers: Vec<Container>,
    /// EFS volumes.
    #[serde(default)]
    pub efs_volumes: Vec<EfsVolume>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EfsVolume {
    pub name: String,
    pub file_system_id: String,
    pub access_point_id: Option<String>,
    /// `authorizationConfig.iam` is ENABLED.
    #[serde(default)]
    pub iam_authorization: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub image: String,
    /// `secrets[]`: the environment variable's name and where its value comes from.
    #[serde(default)]
    pub secrets: Vec<SecretRef>,
    /// `repositoryCredentials.credentialsParameter`.
    pub repository_credentials: Option<String>,
    pub log_driver: Option<String>,
    /// awslogs-group, awslogs-region, awslogs-create-group, awslogs-stream-prefix only.
    #[serde(default)]
    pub awslogs_options: BTreeMap<String, String>,
    /// `logConfiguration.secretOptions`.
    #[serde(default)]
    pub log_secret_options: Vec<SecretRef>,
    /// `environmentFiles[].value`: S3 object ARNs.
    #[serde(default)]
    pub environment_files: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    pub name: String,
    pub value_from: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub name: String,
    pub arn: Option<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// `ENABLED` or `DISABLED`, as the service's awsvpcConfiguration says.
    pub assign_public_ip: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    pub vpc_id: Option<String>,
    /// The task's ENI while it still exists (Fargate deletes it when the task stops).
    pub network_interface: Option<NetworkInterface>,
    /// Every subnet of the task's VPC.
    #[serde(default)]
    pub subnets: Vec<Subnet>,
    /// Every route table of the task's VPC.
    #[serde(default)]
    pub route_tables: Vec<RouteTable>,
    #[serde(default)]
    pub nat_gateways: Vec<NatGateway>,
    /// Internet gateways attached to the task's VPC.
    #[serde(default)]
    pub internet_gateways: Vec<String>,
    pub vpc: Option<Vpc>,
    /// Every security group of the task's VPC.
    #[serde(default)]
    pub security_groups: Vec<SecurityGroup>,
    /// Every network ACL of the task's VPC.
    #[serde(default)]
    pub network_acls: Vec<NetworkAcl>,
    /// Every VPC endpoint of the task's VPC.
    #[serde(default)]
    pub vpc_endpoints: Vec<VpcEndpoint>,
    /// The region's S3 prefix list (`com.amazonaws.REGION.s3`) and its CIDRs.
    pub s3_prefix_list: Option<PrefixList>,
}

impl Network {
    pub fn security_group(&self, id: &str) -> Option<&SecurityGroup> {
        self.security_groups.iter().find(|g| g.id == id)
    }

    /// The network ACL of a subnet: its association, else the VPC's default ACL.
    pub fn network_acl_for(&self, subnet_id: &str) -> Option<&NetworkAcl> {
        self.network_acls
            .iter()
            .find(|a| a.subnet_ids.iter().any(|s| s == subnet_id))
            .or_else(|| self.network_acls.iter().find(|a| a.is_default))
    }

    pub fn subnet(&self, id: &str) -> Option<&Subnet> {
        self.subnets.iter().find(|s| s.id == id)
    }

    /// The route table that governs a subnet: its explicit association, else the VPC's main
    /// table.
    pub fn route_table_for(&self, subnet_id: &str) -> Option<&RouteTable> {
        self.route_tables
            .iter()
            .find(|t| t.subnet_ids.iter().any(|s| s == subnet_id))
            .or_else(|| self.route_tables.iter().find(|t| t.main))
    }

    pub fn nat_gateway(&self, id: &str) -> Option<&NatGateway> {
        self.nat_gateways.iter().find(|n| n.id == id)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterface {
    pub id: String,
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub cidr: Option<Ipv4Net>,
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub map_public_ip_on_launch: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RouteTable {
    pub id: String,
    #[serde(default)]
    pub main: bool,
    /// Subnets explicitly associated with this table.
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub routes: Vec<Route>,
}

impl RouteTable {
    /// The IPv4 default route, if the table has one.
    pub fn default_route(&self) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| r.destination_cidr.as_deref() == Some("0.0.0.0/0"))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    pub destination_cidr: Option<String>,
    pub destination_prefix_list: Option<String>,
    pub target: RouteTarget,
    /// `active` or `blackhole`.
    pub state: Option<String>,
}

impl Route {
    pub fn is_blackhole(&self) -> bool {
        self.state.as_deref() == Some("blackhole")
    }
}

/// Where a route sends traffic, by the kind of target.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "id")]
pub enum RouteTarget {
    Local,
    InternetGateway(String),
    NatGateway(String),
    /// A gateway endpoint (S3, DynamoDB) or a Gateway Load Balancer / firewall endpoint.
    VpcEndpoint(String),
    TransitGateway(String),
    VpcPeering(String),
    VirtualPrivateGateway(String),
    NetworkInterface(String),
    Instance(String),
    EgressOnlyInternetGateway(String),
    Other(String),
    #[default]
    Unknown,
}

impl RouteTarget {
    /// Classifies the target fields DescribeRouteTables returns; the first one set wins.
    pub fn from_ids(gateway: Option<&str>, nat: Option<&str>, others: &[Option<&str>]) -> Self {
        if let Some(nat) = nat {
            return RouteTarget::NatGateway(nat.to_string());
        }
        if let Some(gateway) = gateway {
            return match gateway {
                "local" => RouteTarget::Local,
                g if g.starts_with("igw-") => RouteTarget::InternetGateway(g.into()),
                g if g.starts_with("vpce-") => RouteTarget::VpcEndpoint(g.into()),
                g if g.starts_with("vgw-") => RouteTarget::VirtualPrivateGateway(g.into()),
                g => RouteTarget::Other(g.into()),
            };
        }
        match others.iter().flatten().next() {
            Some(id) if id.starts_with("tgw-") => RouteTarget::TransitGateway(id.to_string()),
            Some(id) if id.starts_with("pcx-") => RouteTarget::VpcPeering(id.to_string()),
            Some(id) if id.starts_with("eni-") => RouteTarget::NetworkInterface(id.to_string()),
            Some(id) if id.starts_with("i-") => RouteTarget::Instance(id.to_string()),
            Some(id) if id.starts_with("eigw-") => {
                RouteTarget::EgressOnlyInternetGateway(id.to_string())
            }
            Some(id) if id.starts_with("vpce-") => RouteTarget::VpcEndpoint(id.to_string()),
            Some(id) => RouteTarget::Other(id.to_string()),
            None => RouteTarget::Unknown,
        }
    }

    /// The target's resource id, if it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            RouteTarget::Local | RouteTarget::Unknown => None,
            RouteTarget::InternetGateway(id)
            | RouteTarget::NatGateway(id)
            | RouteTarget::VpcEndpoint(id)
            | RouteTarget::TransitGateway(id)
            | RouteTarget::VpcPeering(id)
            | RouteTarget::VirtualPrivateGateway(id)
            | RouteTarget::NetworkInterface(id)
            | RouteTarget::Instance(id)
            | RouteTarget::EgressOnlyInternetGateway(id)
            | RouteTarget::Other(id) => Some(id),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NatGateway {
    pub id: String,
    pub subnet_id: Option<String>,
    /// `pending`, `available`, `failed`, `deleting`, `deleted`.
    pub state: Option<String>,
    /// `public` or `private`; absent means public (the emulator omits it).
    pub connectivity_type: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Vpc {
    pub id: String,
    #[serde(default)]
    pub cidrs: Vec<Ipv4Net>,
    pub enable_dns_support: Option<bool>,
    pub enable_dns_hostnames: Option<bool>,
    pub dhcp_options_id: Option<String>,
    /// `domain-name-servers` of the DHCP options set; empty when unknown.
    #[serde(default)]
    pub dns_servers: Vec<String>,
}

impl Vpc {
    /// DNS servers other than the VPC's own resolver, if the DHCP options name any.
    pub fn custom_dns_servers(&self) -> Vec<&str> {
        self.dns_servers
            .iter()
            .map(String::as_str)
            .filter(|s| *s != "AmazonProvidedDNS")
            .collect()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub ingress: Vec<SecurityGroupRule>,
    #[serde(default)]
    pub egress: Vec<SecurityGroupRule>,
}

/// One permission of a security group: a protocol and port range, and the peers it names.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupRule {
    /// `-1` (all), `tcp`, `udp`, `icmp`, or a protocol number.
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    #[serde(default)]
    pub cidrs: Vec<Ipv4Net>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub prefix_lists: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkAcl {
    pub id: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub entries: Vec<NetworkAclEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkAclEntry {
    pub rule_number: i32,
    pub egress: bool,
    /// `-1` (all) or a protocol number: `6` TCP, `17` UDP.
    pub protocol: String,
    pub allow: bool,
    /// IPv4 entries only; IPv6 entries are left out.
    pub cidr: Ipv4Net,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VpcEndpoint {
    pub id: String,
    /// `com.amazonaws.us-east-1.secretsmanager`.
    pub service_name: String,
    /// `Interface`, `Gateway` or `GatewayLoadBalancer`.
    pub kind: String,
    /// `available`, `pendingAcceptance`, `pending`, `deleting`, `rejected`, `failed`, …
    pub state: Option<String>,
    #[serde(default)]
    pub private_dns_enabled: bool,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub route_table_ids: Vec<String>,
    /// The endpoint policy document (JSON), if it has one.
    pub policy: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PrefixList {
    pub id: String,
    pub name: String,
    /// Empty when the entries could not be read.
    #[serde(default)]
    pub cidrs: Vec<Ipv4Net>,
}

/// The execution role and what it may do.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// `None` when the task definition names no role or the role could not be read.
    pub execution_role: Option<RoleLookup>,
    /// iam:SimulatePrincipalPolicy answers, one per action and resource.
    #[serde(default)]
    pub simulations: Vec<Simulation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum RoleLookup {
    Found(Role),
    /// GetRole said NoSuchEntity.
    Missing {
        arn: String,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub arn: String,
    pub name: String,
    /// The trust policy, decoded JSON.
    pub trust_policy: Option<String>,
    /// Identity policies (attached managed and inline), decoded JSON.
    #[serde(default)]
    pub policies: Vec<PolicyDocument>,
    pub permissions_boundary: Option<PolicyDocument>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDocument {
    /// The managed policy's ARN, or `inline:NAME`.
    pub source: String,
    pub document: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    Allowed,
    #[default]
    ImplicitDeny,
    ExplicitDeny,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Simulation {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
    /// Source policy ids of the statements that decided it.
    #[serde(default)]
    pub matched_statements: Vec<String>,
    /// The permissions boundary did not allow it.
    #[serde(default)]
    pub denied_by_boundary: bool,
    /// An Organizations SCP did not allow it.
    #[serde(default)]
    pub denied_by_organizations: bool,
}

/// What the task definition references, as AWS describes it (metadata only, never values).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct References {
    #[serde(default)]
    pub secrets: Vec<SecretLookup>,
    #[serde(default)]
    pub parameters: Vec<ParameterLookup>,
    #[serde(default)]
    pub kms_keys: Vec<KmsKey>,
    #[serde(default)]
    pub log_groups: Vec<LogGroupLookup>,
    #[serde(default)]
    pub env_files: Vec<EnvFileLookup>,
    #[serde(default)]
    pub images: Vec<ImageLookup>,
    #[serde(default)]
    pub file_systems: Vec<FileSystemLookup>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FileSystemLookup {
    pub file_system_id: String,
    /// DescribeMountTargets' outcome: `NotFound` when the file system does not exist.
    pub lookup: Lookup,
    #[serde(default)]
    pub mount_targets: Vec<MountTarget>,
    /// Access points the task definition names, with whether each exists.
    #[serde(default)]
    pub access_points: Vec<(String, Lookup)>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MountTarget {
    pub id: String,
    pub subnet_id: String,
    pub availability_zone: Option<String>,
    pub ip_address: Option<String>,
    /// `available`, `creating`, …
    pub state: String,
    #[serde(default)]
    pub security_groups: Vec<String>,
}

/// The outcome of a metadata read of one referenced thing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "reason")]
pub enum Lookup {
    Found,
    NotFound,
    /// The read failed for another reason (the doctor's permissions, throttling): unknown.
    Failed(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecretLookup {
    /// The secret id asked for: `valueFrom` without its `:json-key:stage:id` suffix.
    pub reference: String,
    pub region: String,
    pub lookup: Lookup,
    /// The secret's full ARN, as DescribeSecret returns it.
    pub arn: Option<String>,
    pub name: Option<String>,
    pub deleted_date: Option<String>,
    pub kms_key_id: Option<String>,
    /// Version stages present, over all versions.
    #[serde(default)]
    pub version_stages: Vec<String>,
    #[serde(default)]
    pub version_ids: Vec<String>,
    /// The secret's resource policy, read for secrets in another account.
    pub resource_policy: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ParameterLookup {
    pub name: String,
    pub region: String,
    pub lookup: Lookup,
    pub kind: Option<String>,
    pub key_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KmsKey {
    /// The key id, ARN or alias as the secret or parameter names it.
    pub reference: String,
    pub region: String,
    pub lookup: Lookup,
    pub arn: Option<String>,
    /// `Enabled`, `Disabled`, `PendingDeletion`, …
    pub state: Option<String>,
    /// `AWS` or `CUSTOMER`.
    pub manager: Option<String>,
    pub policy: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LogGroupLookup {
    pub name: String,
    pub region: String,
    pub lookup: Lookup,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EnvFileLookup {
    pub arn: String,
    pub lookup: Lookup,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageLookup {
    pub image: String,
    pub repository_arn: String,
    /// The repository exists; `Found` here with `image_lookup` `NotFound` means a missing tag.
    pub repository: Lookup,
    pub image_lookup: Lookup,
    /// The repository policy, for a repository in another account.
    pub policy: Option<String>,
}

/// A read that failed, and why.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    /// The API call, as an IAM action: `ec2:DescribeRouteTables`.
    pub call: String,
    pub reason: String,
}

impl Facts {
    /// Why a read the check needs is missing, if it is.
    pub fn gap(&self, call: &str) -> Option<&Gap> {
        self.gaps.iter().find(|g| g.call == call)
    }

    /// The subnet the task ran in: the ENI attachment's, else the service's first.
    pub fn task_subnet_id(&self) -> Option<&str> {
        self.task
            .attachment
            .as_ref()
            .and_then(|a| a.subnet_id.as_deref())
            .or_else(|| {
                self.network
                    .network_interface
                    .as_ref()?
                    .subnet_id
                    .as_deref()
            })
            .or_else(|| self.service.as_ref()?.subnets.first().map(String::as_str))
    }

    /// Whether the task got a public IP: the ENI's association while it exists, else the
    /// service's `assignPublicIp`. `None` when neither is known.
    pub fn task_has_public_ip(&self) -> Option<bool> {
        if let Some(eni) = &self.network.network_interface
            && eni.public_ip.is_some()
        {
            return Some(true);
        }
        if let Some(assign) = self.service.as_ref()?.assign_public_ip.as_deref() {
            return Some(assign == "ENABLED");
        }
        self.network.network_interface.as_ref().map(|_| false)
    }
}

/// What a `valueFrom` (or `credentialsParameter`) points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueSource {
    Secret(SecretReference),
    Parameter {
        name: String,
        region: String,
        arn: Option<String>,
    },
}

/// A Secrets Manager reference: `arn:aws:secretsmanager:R:A:secret:NAME[:json-key:stage:id]`,
/// or a bare secret name (only `repositoryCredentials` may use one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretReference {
    /// The secret id to describe: the ARN without the suffix, or the name.
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub json_key: Option<String>,
    pub version_stage: Option<String>,
    pub version_id: Option<String>,
}

impl SecretReference {
    /// The name part of the reference (after `secret:`).
    pub fn name(&self) -> &str {
        self.id.rsplit(":secret:").next().unwrap_or(&self.id)
    }
}

fn non_empty(part: Option<&str>) -> Option<String> {
    part.filter(|p| !p.is_empty()).map(str::to_string)
}

/// Reads a `secrets[].valueFrom`: a Secrets Manager ARN, an SSM parameter ARN, or a bare
/// parameter name (which ECS looks up in the task's region).
pub fn value_source(value_from: &str, task_region: &str) -> ValueSource {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "secretsmanager" {
        return ValueSource::Secret(SecretReference {
            id: parts[..7].join(":"),
            region: parts[3].to_string(),
            account: non_empty(Some(parts[4])),
            json_key: non_empty(parts.get(7).copied()),
            version_stage: non_empty(parts.get(8).copied()),
            version_id: non_empty(parts.get(9).copied()),
        });
    }
    if parts.len() >= 6 && parts[0] == "arn" && parts[2] == "ssm" {
        let resource = parts[5..].join(":");
        let path = resource.strip_prefix("parameter").unwrap_or(&resource);
        let name = if path.matches('/').count() > 1 {
            path.to_string()
        } else {
            path.trim_start_matches('/').to_string()
        };
        return ValueSource::Parameter {
            name,
            region: parts[3].to_string(),
            arn: Some(value_from.to_string()),
        };
    }
    ValueSource::Parameter {
        name: value_from.to_string(),
        region: task_region.to_string(),
        arn: None,
    }
}

/// A secret named by `repositoryCredentials.credentialsParameter`: an ARN or a name.
pub fn credentials_source(parameter: &str, task_region: &str) -> SecretReference {
    match value_source(parameter, task_region) {
        ValueSource::Secret(reference) => reference,
        ValueSource::Parameter { .. } => SecretReference {
            id: parameter.to_string(),
            region: task_region.to_string(),
            account: None,
            json_key: None,
            version_stage: None,
            version_id: None,
        },
    }
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    #[test]
    fn secret_arns_with_a_json_key_suffix() {
        let ValueSource::Secret(secret) = value_source(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password:AWSPREVIOUS:",
            "us-east-1",
        ) else {
            panic!("not a secret")
        };
        assert_eq!(
            secret.id,
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
        );
        assert_eq!(secret.region, "eu-west-1");
        assert_eq!(secret.json_key.as_deref(), Some("password"));
        assert_eq!(secret.version_stage.as_deref(), Some("AWSPREVIOUS"));
        assert_eq!(secret.version_id, None);
        assert_eq!(secret.name(), "db-AbCdEf");
    }

    #[test]
    fn parameters_by_name_and_arn() {
        assert_eq!(
            value_source("/app/key", "us-east-1"),
            ValueSource::Parameter {
                name: "/app/key".into(),
                region: "us-east-1".into(),
                arn: None
            }
        );
        assert_eq!(
            value_source(
                "arn:aws:ssm:us-west-2:123456789012:parameter/app/key",
                "us-east-1"
            ),
            ValueSource::Parameter {
                name: "/app/key".into(),
                region: "us-west-2".into(),
                arn: Some("arn:aws:ssm:us-west-2:123456789012:parameter/app/key".into())
            }
        );
        assert!(matches!(
            value_source("arn:aws:ssm:us-west-2:123456789012:parameter/key", "us-east-1"),
            ValueSource::Parameter { name, .. } if name == "key"
        ));
    }
}
