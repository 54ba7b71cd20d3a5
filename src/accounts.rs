//! Whose credentials a diagnosis reads with. A task of the doctor's own account is read with
//! the doctor's own credentials; a task of another account of the organisation is read through
//! the member role there (`MEMBER_ROLE_NAME`, which member.yaml deploys), assumed with
//! sts:AssumeRole. A member's resources are never read with the doctor's own credentials: when
//! the role cannot be assumed, the diagnosis gets a gap that says which role and how to fix it.
//!
//! Credentials are kept per role until shortly before they expire, and the clients made with
//! them per region (a [`ClientCache`] per account), across warm invocations: a second event of
//! an account within the credentials' lifetime costs no STS call. The account aliases read for
//! the alerts are kept per account for the life of the process.

use crate::aws::ClientCache;
use crate::error::sdk_message;
use crate::facts::{Gap, Read};
use aws_config::SdkConfig;
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The member role's name when none is configured (member.yaml's default).
pub const DEFAULT_MEMBER_ROLE: &str = "ecs-task-doctor-reader";

/// The least session STS allows: a diagnosis takes seconds, and short credentials limit what a
/// leaked set could do.
const SESSION_SECONDS: i32 = 900;

/// Credentials are renewed this long before they expire, so none expires mid-diagnosis (the
/// function's timeout is 60 s).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// How the doctor reaches accounts other than its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRole {
    /// No member role: tasks of other accounts are not read (the gap says how to set it up).
    None,
    /// The role of this name in the task's account.
    Named(String),
    /// This role for every task, whatever its account (`diagnose --role-arn`).
    Arn(String),
}

impl MemberRole {
    /// `MEMBER_ROLE_NAME` from the environment; unset or empty is [`MemberRole::None`].
    pub fn from_env() -> Self {
        match std::env::var("MEMBER_ROLE_NAME") {
            Ok(name) if !name.trim().is_empty() => MemberRole::Named(name.trim().to_string()),
            _ => MemberRole::None,
        }
    }
}

/// The clients of one account, with what is kept about the account.
#[derive(Debug, Clone)]
pub struct Account {
    /// The account id; empty when the doctor's own account is unknown.
    pub id: String,
    clients: Arc<ClientCache>,
    aliases: Arc<Mutex<HashMap<String, Option<String>>>>,
}

impl Account {
    /// The account's clients per region, made with its credentials.
    pub fn clients(&self) -> &ClientCache {
        &self.clients
    }

    /// The account's alias as read before (`Some(None)`: it has none); `None` if not read yet.
    pub fn known_alias(&self) -> Option<Option<String>> {
        lock(&self.aliases).get(&self.id).cloned()
    }

    /// Keeps the alias read for the account, for later diagnoses.
    pub fn remember_alias(&self, alias: Option<String>) {
        if !self.id.is_empty() {
            lock(&self.aliases).insert(self.id.clone(), alias);
        }
    }
}

#[derive(Debug)]
struct Member {
    expires: SystemTime,
    account: Account,
}

/// The doctor's own clients, and those of the member accounts it has read.
#[derive(Debug)]
pub struct Accounts {
    base: SdkConfig,
    own: Arc<ClientCache>,
    own_id: tokio::sync::OnceCell<Option<String>>,
    role: MemberRole,
    members: Mutex<HashMap<String, Member>>,
    aliases: Arc<Mutex<HashMap<String, Option<String>>>>,
}

/// A poisoned lock only means another invocation panicked mid-insert; the map is fine.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Accounts {
    pub fn new(own: ClientCache, role: MemberRole) -> Self {
        Accounts {
            base: own.base().clone(),
            own: Arc::new(own),
            own_id: tokio::sync::OnceCell::new(),
            role,
            members: Mutex::new(HashMap::new()),
            aliases: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The doctor's own clients (the ledger's, the alert topics', the caller's history).
    pub fn own(&self) -> &ClientCache {
        &self.own
    }

    pub fn role(&self) -> &MemberRole {
        &self.role
    }

    /// Tells the doctor its own account (the Lambda knows it from its function ARN), sparing
    /// the sts:GetCallerIdentity call that would otherwise find it out.
    pub fn know_own(&self, account: &str) {
        if !account.is_empty() {
            let _ = self.own_id.set(Some(account.to_string()));
        }
    }

    /// The doctor's own account: as told, else sts:GetCallerIdentity once per process.
    pub async fn own_id(&self) -> Option<String> {
        self.own_id
            .get_or_init(|| async {
                let out = aws_sdk_sts::Client::new(&self.base)
                    .get_caller_identity()
                    .send()
                    .await;
                match out {
                    Ok(out) => out.account,
                    Err(error) => {
                        tracing::warn!(error = %sdk_message(&error), "own account unknown");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    fn own_account(&self, id: &str) -> Account {
        Account {
            id: id.to_string(),
            clients: self.own.clone(),
            aliases: self.aliases.clone(),
        }
    }

    /// The clients to read a task of `account` in `region` with. `session` names the STS
    /// session (the task id), so CloudTrail in the member account shows which task was read.
    /// A failure is a gap on [`Read::AssumeRole`] that names the role, the account and the fix.
    pub async fn access(&self, account: &str, region: &str, session: &str) -> Result<Account, Gap> {
        let role_arn = match &self.role {
            MemberRole::Arn(arn) => arn.clone(),
            _ if account.is_empty() => return Ok(self.own_account("")),
            MemberRole::None => {
                // With no member role nothing changes: the own account, as before.
                return match self.own_id().await {
                    Some(own) if own != account => Err(Gap {
                        read: Read::AssumeRole,
                        transient: false,
                        reason: format!(
                            "not called: the task is in account {account}, not the doctor's \
                             own {own}, and no member role is configured; set the stack's \
                             MemberRoleName parameter and deploy the member stack (member.yaml) \
                             to account {account} in {region}"
                        ),
                    }),
                    _ => Ok(self.own_account(account)),
                };
            }
            MemberRole::Named(name) => {
                if self.own_id().await.as_deref() == Some(account) {
                    return Ok(self.own_account(account));
                }
                format!(
                    "arn:{}:iam::{account}:role/{name}",
                    crate::arn::partition(region)
                )
            }
        };
        self.member(&role_arn, account, region, session).await
    }

    async fn member(
        &self,
        role_arn: &str,
        account: &str,
        region: &str,
        session: &str,
    ) -> Result<Account, Gap> {
        let now = SystemTime::now();
        if let Some(member) = lock(&self.members).get(role_arn)
            && fresh(member.expires, now)
        {
            return Ok(member.account.clone());
        }
        let account = crate::arn::ArnParts::parse(role_arn)
            .map(|p| p.account.to_string())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| account.to_string());
        let failed = |why: String| Gap {
            read: Read::AssumeRole,
            transient: false,
            reason: format!(
                "the doctor could not assume {role_arn} in account {account} ({why}), so it read \
                 nothing there; deploy the member stack (member.yaml, the StackSet) to account \
                 {account} in {region}, or fix that role's trust policy to admit the doctor's \
                 function role"
            ),
        };
        let out = aws_sdk_sts::Client::new(&self.base)
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name(session))
            .duration_seconds(SESSION_SECONDS)
            .send()
            .await
            .map_err(|e| failed(sdk_message(&e)))?;
        let Some(given) = out.credentials() else {
            return Err(failed("STS returned no credentials".into()));
        };
        let expires = SystemTime::try_from(*given.expiration())
            .unwrap_or(now + Duration::from_secs(SESSION_SECONDS as u64));
        let credentials = Credentials::new(
            given.access_key_id(),
            given.secret_access_key(),
            Some(given.session_token().to_string()),
            Some(expires),
            "ecs-task-doctor-member-role",
        );
        let config = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        let member = Account {
            id: account,
            clients: Arc::new(ClientCache::new(config)),
            aliases: self.aliases.clone(),
        };
        tracing::info!(role = role_arn, "assumed the member role");
        lock(&self.members).insert(
            role_arn.to_string(),
            Member {
                expires,
                account: member.clone(),
            },
        );
        Ok(member)
    }
}

/// Whether credentials expiring at `expires` may still serve a diagnosis started at `now`.
fn fresh(expires: SystemTime, now: SystemTime) -> bool {
    expires > now + REFRESH_MARGIN
}

/// An STS session name from a task id: 2 to 64 of `[\w+=,.@-]`.
fn session_name(task_id: &str) -> String {
    let clean: String = task_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c))
        .collect();
    let mut name = format!("ecs-task-doctor-{clean}");
    name.truncate(64);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_renewed_five_minutes_before_they_expire() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(fresh(now + Duration::from_secs(900), now));
        assert!(fresh(now + Duration::from_secs(301), now));
        assert!(!fresh(now + Duration::from_secs(300), now));
        assert!(!fresh(now - Duration::from_secs(1), now));
    }

    #[test]
    fn session_names_come_from_the_task_id_within_stss_limits() {
        assert_eq!(
            session_name("0123456789abcdef0123456789abcdef"),
            "ecs-task-doctor-0123456789abcdef0123456789abcdef"
        );
        assert_eq!(session_name("a b/c"), "ecs-task-doctor-abc");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
    }

    fn yaml(file: &str) -> serde_json::Value {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn actions(statements: &serde_json::Value) -> std::collections::BTreeSet<String> {
        statements
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| match &s["Action"] {
                serde_json::Value::String(one) => vec![one.clone()],
                many => many
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect(),
            })
            .collect()
    }

    /// template.yaml's read policy: the function's policy holding the ECS reads.
    fn central_read_actions() -> std::collections::BTreeSet<String> {
        let template = yaml("template.yaml");
        let policies = template["Resources"]["DiagnoseFunction"]["Properties"]["Policies"]
            .as_array()
            .unwrap();
        let read = policies
            .iter()
            .find(|p| {
                p["Statement"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|s| s["Sid"] == "EcsReadTaskAndService"))
            })
            .expect("template.yaml has the read policy");
        actions(&read["Statement"])
    }

    #[test]
    fn the_member_role_may_do_exactly_what_the_central_role_reads() {
        let member = yaml("member.yaml");
        let role = &member["Resources"]["MemberRole"]["Properties"];
        let policies = role["Policies"].as_array().unwrap();
        assert_eq!(policies.len(), 1, "one policy, compared as a whole");
        let granted = actions(&policies[0]["PolicyDocument"]["Statement"]);
        assert_eq!(granted, central_read_actions());
        assert!(
            role["ManagedPolicyArns"].is_null(),
            "no managed policy adds actions"
        );
        // Never a value: no secret, parameter, object or decryption.
        for action in &granted {
            assert!(
                ![
                    "GetSecretValue",
                    "GetParameter",
                    "GetObject",
                    "Decrypt",
                    "*"
                ]
                .iter()
                .any(|value| action.ends_with(value)),
                "{action} reads a value"
            );
        }
        // Every read the doctor makes in the account is allowed (AssumeRole is the central
        // role's, made to get here).
        for read in Read::ALL.iter().filter(|&&r| r != Read::AssumeRole) {
            assert!(granted.contains(read.action()), "{read} is not granted");
        }
        // Trusted by the central function's role only, inside the organisation.
        let trust = &role["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(trust.as_array().unwrap().len(), 1);
        assert_eq!(
            trust[0]["Principal"]["AWS"]["Ref"],
            "CentralFunctionRoleArn"
        );
        assert_eq!(
            trust[0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"]["Ref"],
            "OrganizationId"
        );
    }

    #[test]
    fn every_rule_forwarding_or_taking_task_stops_has_the_doctors_pattern() {
        let template = yaml("template.yaml");
        let events = &template["Resources"]["DiagnoseFunction"]["Properties"]["Events"];
        let pattern = &events["TaskStoppedWithInitError"]["Properties"]["Pattern"];
        assert!(pattern.is_object());
        assert_eq!(
            &events["TaskStoppedInOrganization"]["Properties"]["Pattern"],
            pattern
        );
        let member = yaml("member.yaml");
        let rule = &member["Resources"]["ForwardTaskStops"]["Properties"];
        assert_eq!(&rule["EventPattern"], pattern);
        assert_eq!(rule["EventBusName"], "default");
        // The image-pull pattern, the same way.
        let pulls = &events["TaskStoppedWithImagePullError"]["Properties"]["Pattern"];
        assert!(pulls["detail"]["$or"].is_array());
        assert_eq!(
            &events["TaskStoppedWithImagePullInOrganization"]["Properties"]["Pattern"],
            pulls
        );
        let rule = &member["Resources"]["ForwardImagePullFailures"];
        assert_eq!(rule["Condition"], "ForwardImagePulls");
        assert_eq!(&rule["Properties"]["EventPattern"], pulls);
    }
}
