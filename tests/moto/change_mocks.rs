//! CloudTrail LookupEvents and the ECS service-deployment APIs through aws-smithy-mocks: moto
//! implements neither (each answers HTTP 500), so these canned answers stand in for AWS.
//! Everything after the answer (matching the resource, picking the newest change, the
//! revisions, the two-call budget) is the doctor's.

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::types::{Event, LookupAttributeKey, Resource};
use aws_sdk_ecs::operation::describe_service_deployments::DescribeServiceDeploymentsOutput;
use aws_sdk_ecs::operation::describe_service_revisions::DescribeServiceRevisionsOutput;
use aws_sdk_ecs::operation::list_service_deployments::ListServiceDeploymentsOutput;
use aws_sdk_ecs::types::{
    ContainerImage, ServiceDeployment, ServiceDeploymentBrief, ServiceRevision,
    ServiceRevisionSummary,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use ecs_task_doctor::collect::{lookup_changes, service_revisions};
use ecs_task_doctor::facts::{LastChangeOutcome, Read};

const TABLE: &str = "rtb-0private";

fn event(name: &str, read_only: bool, minutes_ago: i64, resource: Option<&str>) -> Event {
    let time = chrono::Utc::now() - chrono::Duration::minutes(minutes_ago);
    let record = serde_json::json!({
        "eventName": name,
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::123456789012:assumed-role/ops-admin/jane@example.com",
        },
        "requestParameters": {"routeTableId": TABLE, "destinationCidrBlock": "0.0.0.0/0"},
    });
    let mut builder = Event::builder()
        .event_name(name)
        .read_only(read_only.to_string())
        .event_time(aws_smithy_types::DateTime::from_secs(time.timestamp()))
        .cloud_trail_event(record.to_string());
    if let Some(resource) = resource {
        builder = builder.resources(
            Resource::builder()
                .resource_type("AWS::EC2::RouteTable")
                .resource_name(resource)
                .build(),
        );
    }
    builder.build()
}

fn error(code: &str) -> Response {
    Response::new(
        StatusCode::try_from(400).unwrap(),
        SdkBody::from(format!(r#"{{"__type":"{code}","message":"mocked"}}"#)),
    )
}

#[tokio::test]
async fn the_newest_mutating_event_on_the_resource_is_the_last_change() {
    let by_name = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|input| {
            input.lookup_attributes()[0].attribute_key() == &LookupAttributeKey::ResourceName
        })
        .then_output(|| {
            LookupEventsOutput::builder()
                .events(event("DescribeRouteTables", true, 1, Some(TABLE)))
                .events(event("CreateRoute", false, 600, Some(TABLE)))
                .build()
        });
    // The EventName lookup returns every DeleteRoute in the account: the other table's is
    // not this one's.
    let by_event = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|input| {
            input.lookup_attributes()[0].attribute_key() == &LookupAttributeKey::EventName
        })
        .then_output(|| {
            let mut other = event("DeleteRoute", false, 2, None);
            other.cloud_trail_event = Some(
                serde_json::json!({"requestParameters": {"routeTableId": "rtb-0other"}})
                    .to_string(),
            );
            LookupEventsOutput::builder()
                .events(other)
                .events(event("DeleteRoute", false, 30, None))
                .build()
        });
    let cloudtrail = mock_client!(
        aws_sdk_cloudtrail,
        RuleMode::MatchAny,
        [&by_name, &by_event]
    );
    let lookup = lookup_changes(&cloudtrail, TABLE, 7, None).await;
    assert_eq!(lookup.calls, 2);
    assert_eq!(
        by_name.num_calls() + by_event.num_calls(),
        2,
        "the two-call budget"
    );
    let LastChangeOutcome::Found(change) = lookup.outcome else {
        panic!("{lookup:?}")
    };
    assert_eq!(
        change.event_name, "DeleteRoute",
        "newer than the CreateRoute"
    );
    assert_eq!(
        change.principal.as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/ops-admin/jane@example.com")
    );
    assert_eq!(change.session_name.as_deref(), Some("jane@example.com"));
    assert!(change.time.is_some());
}

#[tokio::test]
async fn no_mutating_event_is_none_recorded() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(|| {
        LookupEventsOutput::builder()
            .events(event("DescribeRouteTables", true, 1, Some(TABLE)))
            .build()
    });
    let cloudtrail = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule]);
    let lookup = lookup_changes(&cloudtrail, TABLE, 7, None).await;
    assert_eq!(lookup.outcome, LastChangeOutcome::NoneRecorded);
    assert!(
        rule.num_calls() <= 2,
        "the two-call budget: {}",
        rule.num_calls()
    );
}

#[tokio::test]
async fn a_throttled_lookup_is_skipped_once_not_retried() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_http_response(|| error("ThrottlingException"));
    let cloudtrail = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule]);
    let lookup = lookup_changes(
        &cloudtrail,
        "arn:aws:iam::123456789012:role/web-execution",
        7,
        None,
    )
    .await;
    let LastChangeOutcome::Skipped { reason } = &lookup.outcome else {
        panic!("{lookup:?}")
    };
    assert!(reason.contains("throttled"), "{reason}");
    assert_eq!(
        rule.num_calls(),
        2,
        "one attempt for each of the two lookups"
    );
}

#[tokio::test]
async fn a_denied_lookup_names_the_missing_permission() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_http_response(|| error("AccessDeniedException"));
    let cloudtrail = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule]);
    let lookup = lookup_changes(&cloudtrail, "sg-0task", 7, None).await;
    let LastChangeOutcome::Skipped { reason } = &lookup.outcome else {
        panic!("{lookup:?}")
    };
    assert!(
        reason.contains("may not call cloudtrail:LookupEvents"),
        "{reason}"
    );
    assert!(rule.num_calls() <= 2);
}

#[tokio::test]
async fn a_spent_deadline_makes_no_lookup() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_output(|| LookupEventsOutput::builder().build());
    let cloudtrail = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule]);
    let lookup = lookup_changes(&cloudtrail, TABLE, 7, Some(tokio::time::Instant::now())).await;
    assert!(matches!(lookup.outcome, LastChangeOutcome::Skipped { .. }));
    assert_eq!(rule.num_calls(), 0);
    assert_eq!(lookup.calls, 0);
}

const SERVICE: &str = "arn:aws:ecs:us-east-1:123456789012:service/demo/web";
const DEPLOYMENT: &str = "arn:aws:ecs:us-east-1:123456789012:service-deployment/demo/web/new";
const SOURCE: &str = "arn:aws:ecs:us-east-1:123456789012:service-revision/demo/web/41";
const TARGET: &str = "arn:aws:ecs:us-east-1:123456789012:service-revision/demo/web/42";

fn revision(arn: &str, definition: &str, digest: &str) -> ServiceRevision {
    ServiceRevision::builder()
        .service_revision_arn(arn)
        .service_arn(SERVICE)
        .task_definition(definition)
        .platform_version("1.4.0")
        .container_images(
            ContainerImage::builder()
                .container_name("web")
                .image_digest(digest)
                .image("web:latest")
                .build(),
        )
        .build()
}

#[tokio::test]
async fn the_service_history_names_the_source_revision_and_its_digest() {
    let list = mock!(aws_sdk_ecs::Client::list_service_deployments).then_output(|| {
        ListServiceDeploymentsOutput::builder()
            .service_deployments(
                ServiceDeploymentBrief::builder()
                    .service_deployment_arn(DEPLOYMENT)
                    .created_at(aws_smithy_types::DateTime::from_secs(1_700_000_000))
                    .target_service_revision_arn(TARGET)
                    .build(),
            )
            .build()
    });
    let describe = mock!(aws_sdk_ecs::Client::describe_service_deployments)
        .match_requests(|input| input.service_deployment_arns() == [DEPLOYMENT])
        .then_output(|| {
            DescribeServiceDeploymentsOutput::builder()
                .service_deployments(
                    ServiceDeployment::builder()
                        .service_deployment_arn(DEPLOYMENT)
                        .source_service_revisions(
                            ServiceRevisionSummary::builder().arn(SOURCE).build(),
                        )
                        .target_service_revision(
                            ServiceRevisionSummary::builder().arn(TARGET).build(),
                        )
                        .build(),
                )
                .build()
        });
    let revisions = mock!(aws_sdk_ecs::Client::describe_service_revisions).then_output(|| {
        DescribeServiceRevisionsOutput::builder()
            .service_revisions(revision(
                SOURCE,
                "arn:aws:ecs:us-east-1:123456789012:task-definition/web:41",
                "sha256:aaa",
            ))
            .service_revisions(revision(
                TARGET,
                "arn:aws:ecs:us-east-1:123456789012:task-definition/web:42",
                "sha256:bbb",
            ))
            .build()
    });
    let ecs = mock_client!(
        aws_sdk_ecs,
        RuleMode::MatchAny,
        [&list, &describe, &revisions]
    );
    let (before, after) = service_revisions(&ecs, "demo", "web")
        .await
        .unwrap()
        .expect("a previous revision");
    assert_eq!(
        before.task_definition_arn,
        "arn:aws:ecs:us-east-1:123456789012:task-definition/web:41"
    );
    assert_eq!(before.image_digests["web"], "sha256:aaa");
    assert_eq!(after.unwrap().image_digests["web"], "sha256:bbb");
    assert_eq!(
        (
            list.num_calls(),
            describe.num_calls(),
            revisions.num_calls()
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn a_service_without_history_has_no_previous_revision() {
    let list = mock!(aws_sdk_ecs::Client::list_service_deployments)
        .then_output(|| ListServiceDeploymentsOutput::builder().build());
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&list]);
    assert_eq!(service_revisions(&ecs, "demo", "web").await.unwrap(), None);
}

#[tokio::test]
async fn a_throttled_or_denied_history_is_a_gap_after_one_attempt() {
    for (code, says) in [
        ("ThrottlingException", "mocked"),
        (
            "AccessDeniedException",
            "may not call ecs:ListServiceDeployments",
        ),
    ] {
        let list = mock!(aws_sdk_ecs::Client::list_service_deployments)
            .then_http_response(move || error(code));
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&list]);
        let gap = service_revisions(&ecs, "demo", "web").await.unwrap_err();
        assert_eq!(gap.read, Read::ListServiceDeployments);
        assert!(gap.reason.contains(says), "{code}: {}", gap.reason);
        assert_eq!(list.num_calls(), 1, "{code}: no retry");
    }
}
