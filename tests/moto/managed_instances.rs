//! The ECS Managed Instances capacity provider read. moto stores capacity providers with an
//! Auto Scaling group only (no `managedInstancesProvider`, 5.2.5), so DescribeCapacityProviders
//! is answered through aws-smithy-mocks on the ECS client; the instance profile and the
//! infrastructure role are real moto IAM resources read with GetInstanceProfile,
//! ListAttachedRolePolicies and ListRolePolicies. What the answers mean is the check's (src/checks/platform.rs).

use super::support::{ACCOUNT, config, moto};
use aws_sdk_ecs::operation::describe_capacity_providers::DescribeCapacityProvidersOutput;
use aws_sdk_ecs::types::{
    CapacityProvider, InstanceLaunchTemplate, ManagedInstancesNetworkConfiguration,
    ManagedInstancesProvider,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use ecs_task_doctor::collect::managed_instances_provider;
use ecs_task_doctor::facts::{InstanceProfileLookup, Read, RolePolicies};

const PROFILE: &str = "web-instances";
const INFRASTRUCTURE_ROLE: &str = "mi-infrastructure";

fn provider(profile: &str) -> CapacityProvider {
    CapacityProvider::builder()
        .name("mi-web")
        .managed_instances_provider(
            ManagedInstancesProvider::builder()
                .infrastructure_role_arn(format!(
                    "arn:aws:iam::{ACCOUNT}:role/{INFRASTRUCTURE_ROLE}"
                ))
                .instance_launch_template(
                    InstanceLaunchTemplate::builder()
                        .ec2_instance_profile_arn(format!(
                            "arn:aws:iam::{ACCOUNT}:instance-profile/{profile}"
                        ))
                        .network_configuration(
                            ManagedInstancesNetworkConfiguration::builder()
                                .subnets("subnet-0private")
                                .security_groups("sg-0hosts")
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .build()
}

/// An ECS client whose DescribeCapacityProviders answers `answer` for cluster `demo`.
fn mocked_ecs(answer: Option<CapacityProvider>) -> (aws_sdk_ecs::Client, aws_smithy_mocks::Rule) {
    let rule = mock!(aws_sdk_ecs::Client::describe_capacity_providers)
        .match_requests(|input| {
            input.cluster() == Some("demo") && input.capacity_providers() == ["mi-web"]
        })
        .then_output(move || {
            DescribeCapacityProvidersOutput::builder()
                .set_capacity_providers(answer.clone().map(|p| vec![p]))
                .build()
        });
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule]);
    (client, rule)
}

/// moto IAM: the instance profile holding `role`, and the infrastructure role with a policy
/// of its own.
async fn iam(role: &str) -> aws_sdk_iam::Client {
    let iam = aws_sdk_iam::Client::new(&config().await);
    let trust = |service: &str| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        .to_string()
    };
    iam.create_role()
        .role_name(role)
        .assume_role_policy_document(trust("ec2.amazonaws.com"))
        .send()
        .await
        .unwrap();
    iam.create_instance_profile()
        .instance_profile_name(PROFILE)
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name(PROFILE)
        .role_name(role)
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name(INFRASTRUCTURE_ROLE)
        .assume_role_policy_document(trust("ecs.amazonaws.com"))
        .send()
        .await
        .unwrap();
    let policy = iam
        .create_policy()
        .policy_name("mi-infrastructure")
        .policy_document(
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/{role}")}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name(INFRASTRUCTURE_ROLE)
        .policy_arn(policy.policy().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    iam
}

#[tokio::test]
async fn the_provider_names_its_profile_role_and_infrastructure_policies() {
    let _moto = moto().await;
    let iam = iam("MyStack-InstanceRole-ABC123").await;
    let (ecs, rule) = mocked_ecs(Some(provider(PROFILE)));
    let found = managed_instances_provider(&ecs, &iam, "demo", "mi-web")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rule.num_calls(), 1);
    assert!(found.found);
    assert_eq!(found.instance_profile_name(), Some(PROFILE));
    assert_eq!(found.infrastructure_role_name(), Some(INFRASTRUCTURE_ROLE));
    assert_eq!(found.subnets, ["subnet-0private"]);
    assert_eq!(
        found.instance_profile,
        Some(InstanceProfileLookup::Found {
            role_arns: vec![format!(
                "arn:aws:iam::{ACCOUNT}:role/MyStack-InstanceRole-ABC123"
            )]
        })
    );
    assert_eq!(
        found.infrastructure_role_policies,
        Some(RolePolicies::Listed {
            attached: vec![format!("arn:aws:iam::{ACCOUNT}:policy/mi-infrastructure")],
            inline: vec![],
        })
    );
}

#[tokio::test]
async fn a_missing_profile_and_a_deleted_provider_are_said() {
    let _moto = moto().await;
    let iam = iam("ecsInstanceRole-web").await;
    let (ecs, _) = mocked_ecs(Some(provider("deleted-profile")));
    let found = managed_instances_provider(&ecs, &iam, "demo", "mi-web")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.instance_profile,
        Some(InstanceProfileLookup::NotFound)
    );
    let (ecs, _) = mocked_ecs(None);
    let found = managed_instances_provider(&ecs, &iam, "demo", "mi-web")
        .await
        .unwrap()
        .unwrap();
    assert!(!found.found);
    assert_eq!(found.instance_profile, None, "nothing more is read");
}

/// The gap of a read whose DescribeCapacityProviders answers as `rule` says.
async fn provider_gap(rule: &aws_smithy_mocks::Rule) -> ecs_task_doctor::facts::Gap {
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [rule]);
    let iam = aws_sdk_iam::Client::new(&config().await);
    let gap = managed_instances_provider(&ecs, &iam, "demo", "mi-web")
        .await
        .unwrap_err();
    assert_eq!(gap.read, Read::DescribeCapacityProviders);
    gap
}

#[tokio::test]
async fn a_denied_describe_is_the_reads_gap() {
    let rule = mock!(aws_sdk_ecs::Client::describe_capacity_providers).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
            aws_smithy_types::body::SdkBody::from(
                r#"{"__type":"AccessDeniedException","message":"mocked"}"#,
            ),
        )
    });
    let gap = provider_gap(&rule).await;
    assert!(
        gap.reason
            .contains("may not call ecs:DescribeCapacityProviders"),
        "{}",
        gap.reason
    );
    assert!(!gap.transient);
}

/// DescribeCapacityProviders names what it could not describe in `failures`: `MISSING` is a
/// provider that does not exist; another reason leaves it unknown, a gap.
#[tokio::test]
async fn a_failure_other_than_missing_is_a_gap_not_a_deleted_provider() {
    let rule = mock!(aws_sdk_ecs::Client::describe_capacity_providers).then_output(|| {
        DescribeCapacityProvidersOutput::builder()
            .failures(
                aws_sdk_ecs::types::Failure::builder()
                    .arn("arn:aws:ecs:us-east-1:123456789012:capacity-provider/mi-web")
                    .reason("ClusterNotFoundException")
                    .build(),
            )
            .build()
    });
    let gap = provider_gap(&rule).await;
    assert!(
        gap.reason.contains("ClusterNotFoundException"),
        "{}",
        gap.reason
    );
}
