//! Execution role and references in moto: each world breaks one thing and asserts the root
//! cause. moto does not implement iam:SimulatePrincipalPolicy (HTTP 500), so these runs take
//! the fallback: the role's identity policies, evaluated by the doctor.

use super::expect::{assert_cause, assert_root};
use super::network::diagnose;
use super::support::{ACCOUNT, REGION, moto};
use super::world::{Egress, LOG_GROUP, ROLE, SECRET_NAME, World, build, build_with};
use aws_sdk_ecs::types::{EnvironmentFile, EnvironmentFileType, Secret};
use ecs_task_doctor::checks::Status;
use ecs_task_doctor::verdict::Report;

const DENIED: &str = "ecs-task-stopped-secret-access-denied.json";
const HEALTHY: Egress = Egress::Nat { nat_routed: true };

fn finding<'r>(report: &'r Report, id: &str) -> &'r ecs_task_doctor::checks::Finding {
    report
        .findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#?}"))
}

#[tokio::test]
async fn a_healthy_world_passes_every_identity_and_reference_check() {
    let _moto = moto().await;
    let world = build(HEALTHY, DENIED).await;
    let report = diagnose(&world).await;
    assert_eq!(report.root_cause, None, "{report:#?}");
    let permissions = finding(&report, "iam.permissions");
    assert_eq!(permissions.status, Status::Pass);
    assert!(
        permissions
            .detail
            .contains("evaluated from identity policies only"),
        "{}",
        permissions.detail
    );
    for id in [
        "iam.execution-role",
        "iam.trust-policy",
        "secret.exists",
        "logs.log-group",
        "registry.image",
    ] {
        assert_eq!(finding(&report, id).status, Status::Pass, "{id}");
    }
}

#[tokio::test]
async fn a_missing_execution_role_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(HEALTHY, DENIED).await;
    let iam = aws_sdk_iam::Client::new(&world.config);
    iam.delete_role_policy()
        .role_name(ROLE)
        .policy_name("task-execution")
        .send()
        .await
        .unwrap();
    iam.delete_role().role_name(ROLE).send().await.unwrap();
    let report = diagnose(&world).await;
    assert_root(&report, "iam.execution-role", "does not exist");
}

#[tokio::test]
async fn a_trust_policy_without_ecs_tasks_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(HEALTHY, DENIED).await;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    aws_sdk_iam::Client::new(&world.config)
        .update_assume_role_policy()
        .role_name(ROLE)
        .policy_document(trust)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "iam.trust-policy");
}

#[tokio::test]
async fn a_source_account_condition_for_another_account_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(HEALTHY, DENIED).await;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}"#;
    aws_sdk_iam::Client::new(&world.config)
        .update_assume_role_policy()
        .role_name(ROLE)
        .policy_document(trust)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_root(&report, "iam.trust-policy", "999999999999");
}

#[tokio::test]
async fn a_role_without_get_secret_value_is_the_root_cause_the_message_names() {
    let _moto = moto().await;
    let world = build(HEALTHY, DENIED).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:*","logs:*"],"Resource":"*"}]}"#;
    aws_sdk_iam::Client::new(&world.config)
        .put_role_policy()
        .role_name(ROLE)
        .policy_name("task-execution")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "iam.permissions");
    let root = report.root_finding().unwrap();
    assert!(
        root.detail.contains("secretsmanager:GetSecretValue"),
        "{}",
        root.detail
    );
    assert!(
        root.detail
            .contains("evaluated from identity policies only")
    );
    assert!(
        root.remediation
            .starts_with("aws iam put-role-policy --role-name web-execution"),
        "{}",
        root.remediation
    );
}

#[tokio::test]
async fn an_explicit_deny_names_its_statement() {
    let _moto = moto().await;
    let world = build(HEALTHY, DENIED).await;
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoSecrets","Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}]}"#;
    aws_sdk_iam::Client::new(&world.config)
        .put_role_policy()
        .role_name(ROLE)
        .policy_name("guardrail")
        .policy_document(deny)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_root(
        &report,
        "iam.permissions",
        "inline policy guardrail statement NoSecrets",
    );
}

#[tokio::test]
async fn a_secret_scheduled_for_deletion_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(HEALTHY, DENIED).await;
    aws_sdk_secretsmanager::Client::new(&world.config)
        .delete_secret()
        .secret_id(SECRET_NAME)
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "secret.exists");
    assert!(
        report
            .root_finding()
            .unwrap()
            .remediation
            .starts_with("aws secretsmanager restore-secret")
    );
}

#[tokio::test]
async fn a_partial_arn_that_looks_complete_is_the_root_cause() {
    let _moto = moto().await;
    // A secret named like a complete ARN's suffix: `-secret` is a hyphen and six characters.
    let world = build_with(HEALTHY, DENIED, |container, _| {
        container.set_secrets(Some(vec![
            Secret::builder()
                .name("API_KEY")
                .value_from(format!(
                    "arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:demo/api-secret"
                ))
                .build()
                .unwrap(),
        ]))
    })
    .await;
    aws_sdk_secretsmanager::Client::new(&world.config)
        .create_secret()
        .name("demo/api-secret")
        .secret_string("x")
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_root(&report, "secret.exists", "partial ARN");
}

#[tokio::test]
async fn a_bare_parameter_name_that_lives_in_another_region_is_the_root_cause() {
    let _moto = moto().await;
    let world = build_with(
        HEALTHY,
        "ecs-task-stopped-ssm-parameter-missing.json",
        |container, _| {
            container.secrets(
                Secret::builder()
                    .name("LICENSE")
                    .value_from("/demo/license-key")
                    .build()
                    .unwrap(),
            )
        },
    )
    .await;
    let west = aws_sdk_ssm::Client::from_conf(
        aws_sdk_ssm::config::Builder::from(&world.config)
            .region(aws_config::Region::new("us-west-2"))
            .build(),
    );
    west.put_parameter()
        .name("/demo/license-key")
        .value("x")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "ssm.parameter");
    let root = report.root_finding().unwrap();
    assert!(root.detail.contains("does not exist in us-east-1"));
    assert!(root.detail.contains("full ARN"));
    // The fix names the region where it does exist.
    assert!(
        root.detail.contains("it exists in us-west-2"),
        "{}",
        root.detail
    );
    assert!(
        root.remediation
            .contains("arn:aws:ssm:us-west-2:123456789012:parameter/demo/license-key"),
        "{}",
        root.remediation
    );
}

/// The healthy world whose secret is encrypted with a new customer managed key: the world and
/// the key's id.
async fn secret_under_a_customer_key() -> (World, String) {
    let world = build_with(HEALTHY, DENIED, |container, _| container).await;
    let key = aws_sdk_kms::Client::new(&world.config)
        .create_key()
        .send()
        .await
        .unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    aws_sdk_secretsmanager::Client::new(&world.config)
        .update_secret()
        .secret_id(SECRET_NAME)
        .kms_key_id(&key_id)
        .send()
        .await
        .unwrap();
    (world, key_id)
}

#[tokio::test]
async fn a_disabled_customer_key_behind_the_secret_is_the_root_cause() {
    let _moto = moto().await;
    let (world, key_id) = secret_under_a_customer_key().await;
    aws_sdk_kms::Client::new(&world.config)
        .disable_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "kms.key");
    assert!(
        report
            .root_finding()
            .unwrap()
            .detail
            .contains("is Disabled")
    );
}

/// A KMS key's describe answer has no tags: its owner comes from the tag read made beside the
/// CloudTrail lookup, and the fix moves into its stack.
#[tokio::test]
async fn a_disabled_key_of_a_stack_names_the_stack() {
    let _moto = moto().await;
    let (world, key_id) = secret_under_a_customer_key().await;
    let kms = aws_sdk_kms::Client::new(&world.config);
    let tag = |key: &str, value: &str| {
        aws_sdk_kms::types::Tag::builder()
            .tag_key(key)
            .tag_value(value)
            .build()
            .unwrap()
    };
    kms.tag_resource()
        .key_id(&key_id)
        .tags(tag("aws:cloudformation:stack-name", "security-prod"))
        .tags(tag("aws:cloudformation:logical-id", "SecretsKey"))
        .send()
        .await
        .unwrap();
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "kms.key");
    let owner = report.owner.as_ref().expect("an owner");
    assert_eq!(owner.stack.as_deref(), Some("security-prod"));
    assert_eq!(owner.logical_id.as_deref(), Some("SecretsKey"));
    assert!(
        report
            .root_finding()
            .unwrap()
            .remediation
            .starts_with("In stack security-prod, resource SecretsKey"),
        "{}",
        report.root_finding().unwrap().remediation
    );
}

/// The customer key's policy could not be read: the key check says it cannot tell, instead of
/// passing the key as if its policy had been judged.
#[tokio::test]
async fn an_unreadable_key_policy_is_said_not_passed() {
    use super::faults::FaultProxy;
    use super::network::diagnose_through;
    let _moto = moto().await;
    let (world, _) = secret_under_a_customer_key().await;
    let proxy = FaultProxy::start(&["--deny", "kms:*GetKeyPolicy"]);
    let report = diagnose_through(&world, &proxy).await;
    let finding = report.findings.iter().find(|f| f.id == "kms.key").unwrap();
    assert_eq!(finding.status.as_str(), "warn", "{}", finding.detail);
    assert!(
        finding.detail.contains("may not call kms:GetKeyPolicy"),
        "{}",
        finding.detail
    );
}

#[tokio::test]
async fn a_log_group_that_was_never_created_is_the_root_cause() {
    let _moto = moto().await;
    let world = build(HEALTHY, "ecs-task-stopped-log-group-missing.json").await;
    aws_sdk_cloudwatchlogs::Client::new(&world.config)
        .delete_log_group()
        .log_group_name(LOG_GROUP)
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    assert_cause(&report, "logs.log-group");
    assert!(
        report
            .root_finding()
            .unwrap()
            .remediation
            .contains("aws logs create-log-group --log-group-name /ecs/web")
    );
}

#[tokio::test]
async fn a_missing_environment_file_is_the_root_cause() {
    let _moto = moto().await;
    let world = build_with(HEALTHY, DENIED, |container, _| {
        container.environment_files(
            EnvironmentFile::builder()
                .value("arn:aws:s3:::demo-config/web/prod.env")
                .r#type(EnvironmentFileType::S3)
                .build()
                .unwrap(),
        )
    })
    .await;
    let s3 = aws_sdk_s3::Client::new(&world.config);
    s3.create_bucket()
        .bucket("demo-config")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("demo-config")
        .key("web/other.env")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"A=1"))
        .send()
        .await
        .unwrap();
    let report = diagnose(&world).await;
    // The role may not read it either (the world's policy has no S3): both fail; the missing
    // object is named.
    let object = finding(&report, "env-file.object");
    assert_eq!(object.status, Status::Fail, "{report:#?}");
    assert!(
        object
            .detail
            .contains("no object web/prod.env in bucket demo-config")
    );
}

#[tokio::test]
async fn a_missing_image_tag_is_the_root_cause() {
    let _moto = moto().await;
    let world = build_with(
        HEALTHY,
        "ecs-task-stopped-image-not-found.json",
        |container, _| {
            container.image(format!(
                "{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/web:9.9.9"
            ))
        },
    )
    .await;
    let report = diagnose(&world).await;
    assert_root(&report, "registry.image", "no such tag");
}
