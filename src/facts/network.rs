//! The task's ENI and its VPC: subnets, routes, gateways, security groups, ACLs, endpoints.

use super::Tags;
use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};

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
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// The subnet's IPv6 CIDRs (associated).
    #[serde(default)]
    pub ipv6_cidrs: Vec<String>,
    /// An IPv6-only subnet: no IPv4 addresses at all.
    #[serde(default)]
    pub ipv6_native: bool,
    /// The VPC resolver answers IPv4-only names with synthetic `64:ff9b::/96` addresses.
    #[serde(default)]
    pub enable_dns64: bool,
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
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

impl RouteTable {
    /// The IPv6 default route (`::/0`), if the table has one.
    pub fn default_route_v6(&self) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| r.destination_ipv6_cidr.as_deref() == Some("::/0"))
    }

    /// The route for the NAT64 well-known prefix (`64:ff9b::/96`, RFC 6052).
    pub fn nat64_route(&self) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| r.destination_ipv6_cidr.as_deref() == Some("64:ff9b::/96"))
    }

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
    #[serde(default)]
    pub destination_ipv6_cidr: Option<String>,
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
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
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
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
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
    /// IPv6 ranges (`::/0`).
    #[serde(default)]
    pub ipv6_cidrs: Vec<String>,
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
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkAclEntry {
    pub rule_number: i32,
    pub egress: bool,
    /// `-1` (all) or a protocol number: `6` TCP, `17` UDP.
    pub protocol: String,
    pub allow: bool,
    /// The entry's `CidrBlock` or `Ipv6CidrBlock`: an entry covers one address family.
    pub cidr: IpNet,
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
    /// `ipv4`, `dualstack` or `ipv6`: which addresses the endpoint's interfaces have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<String>,
    /// `ipv4`, `dualstack`, `ipv6` or `service-defined`: which records its private DNS
    /// name gets (only `dualstack` and `ipv6` publish AAAA for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_record_ip_type: Option<String>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
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
