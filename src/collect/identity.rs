//! The execution role and the task definition's references: IAM, Secrets Manager, SSM, KMS,
//! CloudWatch Logs, S3 and ECR metadata reads (never a secret or parameter value), then the
//! policy simulator on the exact resources.
//!
//! Round 2: GetRole, ListAttachedRolePolicies, ListRolePolicies, DescribeSecret,
//! DescribeParameters, DescribeLogGroups, ListObjectsV2, DescribeImages (+ GetRepositoryPolicy).
//! Round 3: GetPolicy, GetRolePolicy, DescribeKey + GetKeyPolicy. Round 4: GetPolicyVersion,
//! SimulatePrincipalPolicy.

use super::{bounded, gap, keep, lookup_error};
use crate::aws::{ClientCache, Clients};
use crate::facts::{
    EfsVolume, EnvFileLookup, FileSystemLookup, Gap, Identity, ImageLookup, KmsKey, LogGroupLookup,
    Lookup, MountTarget, ParameterLookup, PolicyDocument, Read, References, Role, RoleLookup,
    SecretLookup, Simulation, SimulationDecision, Task, TaskDefinition,
};
use crate::needs::{
    self, Permission, ValueSource, bucket_and_key, ecr_repository_arn, secret_references,
    value_source,
};
use aws_config::retry::RetryConfig;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures_util::future::join_all;
use tokio::time::Instant;

fn decode(document: &str) -> String {
    percent_encoding::percent_decode_str(document)
        .decode_utf8_lossy()
        .into_owned()
}

/// Reads the role and the references, then simulates the role's permissions.
pub(super) async fn read(
    cache: &ClientCache,
    clients: &Clients,
    task: &Task,
    definition: Option<&TaskDefinition>,
    deadline: Option<Instant>,
) -> (Identity, References, Vec<Gap>) {
    let mut gaps = Vec::new();
    let Some(definition) = definition else {
        return (Identity::default(), References::default(), gaps);
    };
    let mut inner = Vec::new();
    let reads = read_all(cache, clients, task, definition, &mut inner);
    match bounded(deadline, IDENTITY_READS, &mut gaps, reads).await {
        Some((identity, references)) => {
            gaps.extend(inner);
            // One gap per read and reason, however many resources it failed on.
            for failed in references.failed_reads() {
                if !gaps.contains(failed) {
                    gaps.push(failed.clone());
                }
            }
            (identity, references, gaps)
        }
        None => (Identity::default(), References::default(), gaps),
    }
}

/// The calls this module makes, each a gap when the time budget runs out before they finish.
const IDENTITY_READS: &[Read] = &[
    Read::GetRole,
    Read::SimulatePrincipalPolicy,
    Read::DescribeSecret,
    Read::DescribeParameters,
    Read::DescribeKey,
    Read::DescribeLogGroups,
    Read::ListBucket,
    Read::DescribeImages,
    Read::DescribeMountTargets,
];

async fn read_all(
    cache: &ClientCache,
    clients: &Clients,
    task: &Task,
    definition: &TaskDefinition,
    gaps: &mut Vec<Gap>,
) -> (Identity, References) {
    let role_arn = definition.execution_role_arn.as_deref();
    // The references, their KMS keys, then the simulator (which needs only the role's ARN and
    // the exact resources), side by side with the role's own reads.
    let references_then_simulation = async {
        let mut references = read_references(cache, task, definition).await;
        references.kms_keys = read_keys(cache, &task.account, &references).await;
        let permissions = needs::permissions(task, definition, &references);
        let simulated = match role_arn {
            Some(arn) if !permissions.is_empty() => {
                Some(simulate(&clients.iam, arn, &permissions).await)
            }
            _ => None,
        };
        (references, simulated)
    };
    let (role, (references, simulated)) = tokio::join!(
        read_role(clients, role_arn, gaps),
        references_then_simulation,
    );
    let mut identity = Identity {
        execution_role: role,
        simulations: vec![],
    };
    // A role that does not exist has nothing to simulate: iam.execution-role says so.
    if let Some(RoleLookup::Found(_)) = &identity.execution_role {
        match simulated {
            Some(Ok(simulations)) => identity.simulations = simulations,
            Some(Err(gap)) => gaps.push(gap),
            None => {}
        }
    }
    (identity, references)
}

async fn read_role(
    clients: &Clients,
    arn: Option<&str>,
    gaps: &mut Vec<Gap>,
) -> Option<RoleLookup> {
    let arn = arn?;
    let name = crate::arn::arn_resource_name(arn).to_string();
    let iam = &clients.iam;
    let (role, attached, inline) = tokio::join!(
        iam.get_role().role_name(&name).send(),
        iam.list_attached_role_policies()
            .role_name(&name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        iam.list_role_policies()
            .role_name(&name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
    );
    let role = match role {
        Ok(out) => out.role?.clone(),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            return Some(RoleLookup::Missing {
                arn: arn.to_string(),
            });
        }
        Err(error) => {
            gaps.push(gap(Read::GetRole, &error));
            return None;
        }
    };
    let attached: Vec<String> = keep(
        attached.map_err(|e| gap(Read::ListAttachedRolePolicies, &e)),
        gaps,
    )
    .unwrap_or_default()
    .iter()
    .filter_map(|p| p.policy_arn().map(str::to_string))
    .collect();
    let inline: Vec<String> =
        keep(inline.map_err(|e| gap(Read::ListRolePolicies, &e)), gaps).unwrap_or_default();
    let boundary = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string);

    let managed = attached
        .iter()
        .chain(boundary.iter())
        .map(|policy| managed_policy(clients, policy));
    let name = name.as_str();
    let inline_reads = inline.iter().map(|policy| async move {
        let out = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| gap(Read::GetRolePolicy, &e))?;
        Ok::<_, Gap>(PolicyDocument {
            source: format!("inline policy {policy}"),
            document: decode(out.policy_document()),
        })
    });
    let (managed, inline) = tokio::join!(join_all(managed), join_all(inline_reads));
    let mut policies = Vec::new();
    let mut permissions_boundary = None;
    for document in managed
        .into_iter()
        .chain(inline)
        .filter_map(|r| keep(r, gaps))
    {
        if boundary.as_deref() == Some(document.source.as_str()) {
            permissions_boundary = Some(document);
        } else {
            policies.push(document);
        }
    }
    Some(RoleLookup::Found(Role {
        arn: role.arn().to_string(),
        name: role.role_name().to_string(),
        trust_policy: role.assume_role_policy_document().map(decode),
        policies,
        permissions_boundary,
        tags: role
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
    }))
}

/// A managed policy's default version: GetPolicy, then GetPolicyVersion.
async fn managed_policy(clients: &Clients, arn: &str) -> Result<PolicyDocument, Gap> {
    let policy = clients
        .iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| gap(Read::GetPolicy, &e))?;
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1");
    let out = clients
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| gap(Read::GetPolicyVersion, &e))?;
    Ok(PolicyDocument {
        source: arn.to_string(),
        document: out
            .policy_version()
            .and_then(|v| v.document())
            .map(decode)
            .unwrap_or_default(),
    })
}

async fn read_references(
    cache: &ClientCache,
    task: &Task,
    definition: &TaskDefinition,
) -> References {
    let region = task.region.as_str();
    let mut secret_refs = secret_references(task, definition);
    secret_refs.dedup_by(|a, b| a.0.id == b.0.id);
    let secrets = join_all(secret_refs.iter().map(|(reference, _)| async move {
        let clients = cache.get(Some(&reference.region));
        let mut found = describe_secret(&clients, &reference.id, &reference.region).await;
        // Another account's secret is readable only if its resource policy allows the role.
        if reference
            .account
            .as_deref()
            .is_some_and(|a| a != task.account)
            && found.lookup == Lookup::Found
        {
            match clients
                .secrets
                .get_resource_policy()
                .secret_id(&reference.id)
                .send()
                .await
            {
                Ok(out) => found.resource_policy = out.resource_policy().map(str::to_string),
                Err(error) => {
                    found.resource_policy_gap = Some(gap(Read::GetResourcePolicy, &error))
                }
            }
        }
        found
    }));
    let mut parameters: Vec<(String, String)> = definition
        .containers
        .iter()
        .flat_map(|c| c.secrets.iter().chain(&c.log_secret_options))
        .filter_map(|s| match value_source(&s.value_from, region) {
            ValueSource::Parameter { name, region, .. } => Some((name, region)),
            ValueSource::Secret(_) => None,
        })
        .collect();
    parameters.sort();
    parameters.dedup();
    let parameters = join_all(
        parameters
            .iter()
            .map(|(name, parameter_region)| async move {
                let clients = cache.get(Some(parameter_region));
                let mut found = describe_parameter(&clients, name, parameter_region).await;
                // A bare name ECS looked up in the task's region, in vain: where does it exist?
                if found.lookup == Lookup::NotFound && parameter_region == region {
                    found.found_in = regions_holding(cache, &clients, name, region).await;
                }
                found
            }),
    );
    let mut groups: Vec<(String, String)> = definition
        .containers
        .iter()
        .filter(|c| c.log_driver.as_deref() == Some("awslogs"))
        .filter_map(|c| {
            Some((
                c.awslogs_options.get("awslogs-group")?.clone(),
                c.awslogs_options.get("awslogs-region")?.clone(),
            ))
        })
        .collect();
    groups.sort();
    groups.dedup();
    let groups = join_all(groups.iter().map(|(name, group_region)| async move {
        let clients = cache.get(Some(group_region));
        describe_log_group(&clients, name, group_region).await
    }));
    let env_files = join_all(
        definition
            .containers
            .iter()
            .flat_map(|c| c.environment_files.iter())
            .map(|arn| async move { find_object(&cache.get(Some(region)), arn).await }),
    );
    let images = join_all(
        definition
            .containers
            .iter()
            .filter_map(|c| Some((c.image.as_str(), ecr_repository_arn(&c.image)?)))
            .map(|(image, repository)| async move {
                let image_region = repository.split(':').nth(3).unwrap_or(region).to_string();
                describe_image(
                    &cache.get(Some(&image_region)),
                    image,
                    repository,
                    &task.account,
                )
                .await
            }),
    );
    let file_systems = join_all(
        definition
            .efs_volumes
            .iter()
            .map(|volume| describe_file_system(cache.get(Some(region)), volume)),
    );
    let (secrets, parameters, log_groups, env_files, images, file_systems) =
        tokio::join!(secrets, parameters, groups, env_files, images, file_systems);
    References {
        secrets,
        parameters,
        kms_keys: vec![],
        log_groups,
        env_files,
        images,
        file_systems,
    }
}

async fn describe_secret(clients: &Clients, id: &str, region: &str) -> SecretLookup {
    let mut found = SecretLookup {
        reference: id.to_string(),
        region: region.to_string(),
        lookup: Lookup::Found,
        arn: None,
        name: None,
        deleted_date: None,
        kms_key_id: None,
        version_stages: vec![],
        version_ids: vec![],
        resource_policy: None,
        resource_policy_gap: None,
        tags: Default::default(),
    };
    match clients.secrets.describe_secret().secret_id(id).send().await {
        Ok(out) => {
            found.arn = out.arn().map(str::to_string);
            found.name = out.name().map(str::to_string);
            found.deleted_date = out
                .deleted_date()
                .and_then(|d| d.fmt(Format::DateTime).ok());
            found.kms_key_id = out.kms_key_id().map(str::to_string);
            found.tags = out
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            if let Some(versions) = out.version_ids_to_stages() {
                found.version_ids = versions.keys().cloned().collect();
                found.version_stages = versions.values().flatten().cloned().collect();
                found.version_ids.sort();
                found.version_stages.sort();
                found.version_stages.dedup();
            }
        }
        Err(error) => found.lookup = lookup_error(Read::DescribeSecret, &error),
    }
    found
}

async fn describe_parameter(clients: &Clients, name: &str, region: &str) -> ParameterLookup {
    let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .values(name)
        .build()
        .expect("key is set");
    let mut found = ParameterLookup {
        name: name.to_string(),
        region: region.to_string(),
        lookup: Lookup::NotFound,
        kind: None,
        key_id: None,
        found_in: vec![],
    };
    match clients
        .ssm
        .describe_parameters()
        .parameter_filters(filter)
        .send()
        .await
    {
        Ok(out) => {
            // The emulator matches names loosely (a leading slash is ignored): compare exactly.
            if let Some(parameter) = out.parameters().iter().find(|p| p.name() == Some(name)) {
                found.lookup = Lookup::Found;
                found.kind = parameter.r#type().map(|t| t.as_str().to_string());
                found.key_id = parameter.key_id().map(str::to_string);
            }
        }
        Err(error) => found.lookup = lookup_error(Read::DescribeParameters, &error),
    }
    found
}

/// The other enabled regions of the account that hold a parameter of this name: one
/// DescribeRegions, then one DescribeParameters per region side by side (only for a parameter
/// that is missing where ECS looked, so the fix can name the region instead of a placeholder).
async fn regions_holding(
    cache: &ClientCache,
    clients: &Clients,
    name: &str,
    task_region: &str,
) -> Vec<String> {
    let Ok(out) = clients.ec2.describe_regions().send().await else {
        return vec![];
    };
    let others = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name())
        .filter(|r| *r != task_region)
        .map(str::to_string)
        .collect::<Vec<_>>();
    let found = join_all(others.iter().map(|other| async move {
        let clients = cache.get(Some(other));
        (describe_parameter(&clients, name, other).await.lookup == Lookup::Found)
            .then(|| other.clone())
    }))
    .await;
    found.into_iter().flatten().collect()
}

async fn describe_log_group(clients: &Clients, name: &str, region: &str) -> LogGroupLookup {
    let lookup = match clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
    {
        Ok(out)
            if out
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(name)) =>
        {
            Lookup::Found
        }
        Ok(_) => Lookup::NotFound,
        Err(error) => lookup_error(Read::DescribeLogGroups, &error),
    };
    LogGroupLookup {
        name: name.to_string(),
        region: region.to_string(),
        lookup,
    }
}

/// Whether an S3 object exists, by listing its key: s3:ListBucket, never s3:GetObject, since
/// an environment file may hold secrets.
async fn find_object(clients: &Clients, arn: &str) -> EnvFileLookup {
    let Some((bucket, key)) = bucket_and_key(arn) else {
        return EnvFileLookup {
            arn: arn.to_string(),
            lookup: Lookup::NotFound,
        };
    };
    let lookup = match clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(key)
        .max_keys(1)
        .send()
        .await
    {
        Ok(out) if out.contents().iter().any(|o| o.key() == Some(key)) => Lookup::Found,
        Ok(_) => Lookup::NotFound,
        Err(error) => lookup_error(Read::ListBucket, &error),
    };
    EnvFileLookup {
        arn: arn.to_string(),
        lookup,
    }
}

async fn describe_image(
    clients: &Clients,
    image: &str,
    repository_arn: String,
    account: &str,
) -> ImageLookup {
    let parts: Vec<&str> = repository_arn.splitn(6, ':').collect();
    let registry = parts.get(4).copied().unwrap_or_default().to_string();
    let name = parts
        .get(5)
        .and_then(|r| r.strip_prefix("repository/"))
        .unwrap_or_default()
        .to_string();
    let reference = image.split_once('/').map_or(image, |(_, rest)| rest);
    let id = match reference.split_once('@') {
        Some((_, digest)) => aws_sdk_ecr::types::ImageIdentifier::builder()
            .image_digest(digest)
            .build(),
        None => {
            let tag = reference.rsplit_once(':').map_or("latest", |(_, tag)| tag);
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(tag)
                .build()
        }
    };
    let mut found = ImageLookup {
        image: image.to_string(),
        repository_arn: repository_arn.clone(),
        repository: Lookup::Found,
        image_lookup: Lookup::Found,
        policy: None,
        policy_gap: None,
    };
    let described = clients
        .ecr
        .describe_images()
        .registry_id(&registry)
        .repository_name(&name)
        .image_ids(id)
        .send()
        .await;
    match described {
        Ok(out) if out.image_details().is_empty() => found.image_lookup = Lookup::NotFound,
        Ok(_) => {}
        Err(error) => match lookup_error(Read::DescribeImages, &error) {
            Lookup::NotFound if error.code() == Some("RepositoryNotFoundException") => {
                found.repository = Lookup::NotFound
            }
            other => found.image_lookup = other,
        },
    }
    if registry != account && matches!(found.repository, Lookup::Found) {
        match clients
            .ecr
            .get_repository_policy()
            .registry_id(&registry)
            .repository_name(&name)
            .send()
            .await
        {
            Ok(out) => found.policy = out.policy_text().map(str::to_string),
            // No policy at all: the account has no grant.
            Err(error) if error.code() == Some("RepositoryPolicyNotFoundException") => {}
            Err(error) => found.policy_gap = Some(gap(Read::GetRepositoryPolicy, &error)),
        }
    }
    found
}

/// Each customer key behind a secret or parameter: DescribeKey, and GetKeyPolicy for a key of
/// the task's own account (GetKeyPolicy is not a cross-account call: another account's key
/// policy can be read only there, API_GetKeyPolicy.html).
async fn read_keys(cache: &ClientCache, account: &str, references: &References) -> Vec<KmsKey> {
    let mut keys: Vec<(String, String)> = references
        .secrets
        .iter()
        .filter_map(|s| Some((s.kms_key_id.clone()?, s.region.clone())))
        .chain(
            references
                .parameters
                .iter()
                .filter_map(|p| Some((p.key_id.clone()?, p.region.clone()))),
        )
        // The AWS managed keys need no check: their policies always admit the account.
        .filter(|(key, _)| !key.starts_with("alias/aws/"))
        .collect();
    keys.sort();
    keys.dedup();
    join_all(keys.into_iter().map(|(reference, region)| async move {
        let clients = cache.get(Some(&region));
        let mut key = KmsKey {
            reference: reference.clone(),
            region,
            lookup: Lookup::Found,
            arn: None,
            state: None,
            manager: None,
            policy: None,
            policy_gap: None,
        };
        match clients.kms.describe_key().key_id(&reference).send().await {
            Ok(out) => {
                let metadata = out.key_metadata();
                key.arn = metadata.and_then(|m| m.arn()).map(str::to_string);
                key.state = metadata
                    .and_then(|m| m.key_state())
                    .map(|s| s.as_str().to_string());
                key.manager = metadata
                    .and_then(|m| m.key_manager())
                    .map(|m| m.as_str().to_string());
                let own = key
                    .arn
                    .as_deref()
                    .and_then(crate::arn::ArnParts::parse)
                    .is_none_or(|arn| arn.account == account);
                if key.manager.as_deref() == Some("CUSTOMER") && own {
                    let id = key.arn.clone().unwrap_or_else(|| reference.clone());
                    match clients
                        .kms
                        .get_key_policy()
                        .key_id(id)
                        .policy_name("default")
                        .send()
                        .await
                    {
                        Ok(out) => key.policy = out.policy().map(str::to_string),
                        Err(error) => key.policy_gap = Some(gap(Read::GetKeyPolicy, &error)),
                    }
                }
            }
            Err(error) => key.lookup = lookup_error(Read::DescribeKey, &error),
        }
        key
    }))
    .await
}

/// Asks the policy simulator about every permission, one call per resource. The emulator does
/// not implement the simulator and answers HTTP 500: one attempt only, so the SDK does not
/// spend seconds retrying it.
pub async fn simulate(
    iam: &aws_sdk_iam::Client,
    role: &str,
    permissions: &[Permission],
) -> Result<Vec<Simulation>, Gap> {
    let mut by_resource: Vec<(&str, Option<&str>, Vec<&str>)> = Vec::new();
    for permission in permissions {
        let via = permission.via_service.as_deref();
        match by_resource
            .iter_mut()
            .find(|(r, v, _)| *r == permission.resource && *v == via)
        {
            Some((_, _, actions)) => actions.push(permission.action),
            None => by_resource.push((&permission.resource, via, vec![permission.action])),
        }
    }
    let calls = by_resource.iter().map(|(resource, via, actions)| {
        let mut request = iam
            .simulate_principal_policy()
            .policy_source_arn(role)
            .set_action_names(Some(actions.iter().map(|a| a.to_string()).collect()))
            .resource_arns(*resource);
        if let Some(via) = via {
            request = request.context_entries(
                aws_sdk_iam::types::ContextEntry::builder()
                    .context_key_name("kms:ViaService")
                    .context_key_type(aws_sdk_iam::types::ContextKeyTypeEnum::String)
                    .context_key_values(*via)
                    .build(),
            );
        }
        request
            .customize()
            .config_override(
                aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled()),
            )
            .send()
    });
    let mut simulations = Vec::new();
    for answer in join_all(calls).await {
        let out = answer.map_err(|e| gap(Read::SimulatePrincipalPolicy, &e))?;
        for result in out.evaluation_results() {
            simulations.push(Simulation {
                action: result.eval_action_name().to_string(),
                resource: result.eval_resource_name().unwrap_or("*").to_string(),
                decision: match result.eval_decision().as_str() {
                    "allowed" => SimulationDecision::Allowed,
                    "explicitDeny" => SimulationDecision::ExplicitDeny,
                    _ => SimulationDecision::ImplicitDeny,
                },
                matched_statements: result
                    .matched_statements()
                    .iter()
                    .filter_map(|s| s.source_policy_id().map(str::to_string))
                    .collect(),
                denied_by_boundary: result
                    .permissions_boundary_decision_detail()
                    .is_some_and(|d| !d.allowed_by_permissions_boundary()),
                denied_by_organizations: result
                    .organizations_decision_detail()
                    .is_some_and(|d| !d.allowed_by_organizations()),
            });
        }
    }
    Ok(simulations)
}

/// An EFS file system's mount targets with their security groups, and the access point.
async fn describe_file_system(
    clients: std::sync::Arc<Clients>,
    volume: &EfsVolume,
) -> FileSystemLookup {
    let id = volume.file_system_id.as_str();
    let mut found = FileSystemLookup {
        file_system_id: id.to_string(),
        lookup: Lookup::Found,
        mount_targets: vec![],
        access_points: vec![],
    };
    let access_point = async {
        let point = volume.access_point_id.as_deref()?;
        let lookup = match clients
            .efs
            .describe_access_points()
            .access_point_id(point)
            .send()
            .await
        {
            Ok(out) if !out.access_points().is_empty() => Lookup::Found,
            Ok(_) => Lookup::NotFound,
            Err(error) => match error.code() {
                Some("AccessPointNotFound") => Lookup::NotFound,
                _ => lookup_error(Read::DescribeAccessPoints, &error),
            },
        };
        Some((point.to_string(), lookup))
    };
    let targets = clients
        .efs
        .describe_mount_targets()
        .file_system_id(id)
        .send();
    let (targets, access_point) = tokio::join!(targets, access_point);
    found.access_points.extend(access_point);
    let targets = match targets {
        Ok(out) => out.mount_targets().to_vec(),
        Err(error) => {
            found.lookup = match error.code() {
                Some("FileSystemNotFound") => Lookup::NotFound,
                _ => lookup_error(Read::DescribeMountTargets, &error),
            };
            return found;
        }
    };
    let groups = join_all(targets.iter().map(|t| {
        clients
            .efs
            .describe_mount_target_security_groups()
            .mount_target_id(t.mount_target_id())
            .send()
    }))
    .await;
    found.mount_targets = targets
        .iter()
        .zip(groups)
        .map(|(target, groups)| MountTarget {
            id: target.mount_target_id().to_string(),
            subnet_id: target.subnet_id().to_string(),
            availability_zone: target.availability_zone_name().map(str::to_string),
            ip_address: target.ip_address().map(str::to_string),
            state: target.life_cycle_state().as_str().to_string(),
            security_groups: groups
                .as_ref()
                .map(|g| g.security_groups().to_vec())
                .unwrap_or_default(),
            security_groups_gap: groups
                .as_ref()
                .err()
                .map(|error| gap(Read::DescribeMountTargetSecurityGroups, error)),
        })
        .collect();
    found
}
