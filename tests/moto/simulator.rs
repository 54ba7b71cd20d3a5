//! iam:SimulatePrincipalPolicy answers, through aws-smithy-mocks on the IAM client: moto does
//! not implement this API (it answers HTTP 500), so these canned answers stand in for AWS's
//! simulator. Everything after the answer (reading it, ranking, the finding) is the doctor's.

use aws_sdk_iam::operation::simulate_principal_policy::{
    SimulatePrincipalPolicyInput, SimulatePrincipalPolicyOutput,
};
use aws_sdk_iam::types::{
    EvaluationResult, OrganizationsDecisionDetail, PermissionsBoundaryDecisionDetail,
    PolicyEvaluationDecisionType, Statement,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use ecs_task_doctor::checks::Status;
use ecs_task_doctor::collect::simulate;
use ecs_task_doctor::doctor::diagnose_facts;
use ecs_task_doctor::facts::Facts;

const ROLE: &str = "arn:aws:iam::123456789012:role/web-execution";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
const REPOSITORY: &str = "arn:aws:ecr:us-east-1:123456789012:repository/web";

/// What the canned simulator says about one action.
#[derive(Clone, Copy)]
enum Answer {
    Allowed,
    ImplicitDeny,
    ExplicitDeny,
    BoundaryDeny,
    ScpDeny,
}

fn evaluate(
    input: &SimulatePrincipalPolicyInput,
    answer: impl Fn(&str) -> Answer,
) -> SimulatePrincipalPolicyOutput {
    let resource = input.resource_arns()[0].clone();
    let results = input.action_names().iter().map(|action| {
        let mut result = EvaluationResult::builder()
            .eval_action_name(action)
            .eval_resource_name(&resource);
        result = match answer(action) {
            Answer::Allowed => result.eval_decision(PolicyEvaluationDecisionType::Allowed),
            Answer::ImplicitDeny => {
                result.eval_decision(PolicyEvaluationDecisionType::ImplicitDeny)
            }
            Answer::ExplicitDeny => result
                .eval_decision(PolicyEvaluationDecisionType::ExplicitDeny)
                .matched_statements(
                    Statement::builder()
                        .source_policy_id("deny-secrets")
                        .build(),
                ),
            Answer::BoundaryDeny => result
                .eval_decision(PolicyEvaluationDecisionType::ImplicitDeny)
                .permissions_boundary_decision_detail(
                    PermissionsBoundaryDecisionDetail::builder()
                        .allowed_by_permissions_boundary(false)
                        .build(),
                ),
            Answer::ScpDeny => result
                .eval_decision(PolicyEvaluationDecisionType::ImplicitDeny)
                .organizations_decision_detail(
                    OrganizationsDecisionDetail::builder()
                        .allowed_by_organizations(false)
                        .build(),
                ),
        };
        result.build().unwrap()
    });
    SimulatePrincipalPolicyOutput::builder()
        .set_evaluation_results(Some(results.collect()))
        .build()
}

/// Facts of a task whose execution role exists and needs the permissions above.
fn facts() -> Facts {
    serde_json::from_value(serde_json::json!({
        "task": {
            "arn": "arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef0123456789abcdef",
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/demo",
            "group": "service:web", "launchType": "FARGATE", "platformVersion": "1.4.0",
            "stoppedReason": format!("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {SECRET} from secrets manager: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/web-execution/x is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} because no identity-based policy allows the secretsmanager:GetSecretValue action"),
            "region": "us-east-1", "account": "123456789012"
        },
        "taskSource": "describe-tasks",
        "taskDefinition": {
            "arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", "family": "web", "revision": 3,
            "executionRoleArn": ROLE,
            "containers": [{ "name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.8.2",
                             "secrets": [{ "name": "DB_PASSWORD", "valueFrom": SECRET }] }]
        },
        "service": null,
        "network": {},
        "identity": { "executionRole": { "state": "found", "arn": ROLE, "name": "web-execution" } }
    }))
    .unwrap()
}

async fn diagnose_with(answer: fn(&str) -> Answer) -> (ecs_task_doctor::verdict::Report, usize) {
    let rule = mock!(aws_sdk_iam::Client::simulate_principal_policy)
        .match_requests(|input| input.policy_source_arn() == Some(ROLE))
        .then_compute_output(move |input| evaluate(input, answer));
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&rule]);
    let mut facts = facts();
    let definition = facts.task_definition.as_ref().expect("a task definition");
    let wanted = ecs_task_doctor::needs::permissions(&facts.task, definition, &facts.references);
    assert_eq!(
        wanted.len(),
        5,
        "token, three repository calls, the secret: {wanted:#?}"
    );
    facts.identity.simulations = simulate(&iam, ROLE, &wanted).await.unwrap();
    (diagnose_facts(&facts), rule.num_calls())
}

fn permission_findings(
    report: &ecs_task_doctor::verdict::Report,
) -> Vec<&ecs_task_doctor::checks::Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.id == "iam.permissions")
        .collect()
}

#[tokio::test]
async fn one_call_per_resource_and_all_allowed_passes() {
    let (report, calls) = diagnose_with(|_| Answer::Allowed).await;
    assert_eq!(calls, 3, "one simulation per resource");
    let findings = permission_findings(&report);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].status, Status::Pass);
    assert!(
        !findings[0].detail.contains("identity policies only"),
        "the simulator answered"
    );
}

#[tokio::test]
async fn an_implicit_deny_is_the_root_cause_with_the_grant() {
    let (report, _) = diagnose_with(|action| {
        if action.starts_with("secretsmanager") {
            Answer::ImplicitDeny
        } else {
            Answer::Allowed
        }
    })
    .await;
    assert_eq!(report.root_cause.as_deref(), Some("iam.permissions"));
    let root = report.root_finding().unwrap();
    assert!(
        root.detail.contains("no policy allows it"),
        "{}",
        root.detail
    );
    assert!(
        root.remediation
            .contains(r#""Action":"secretsmanager:GetSecretValue""#),
        "{}",
        root.remediation
    );
    assert!(root.resources.contains(&SECRET.to_string()));
}

#[tokio::test]
async fn an_explicit_deny_names_the_matched_statement() {
    let (report, _) = diagnose_with(|action| {
        if action.starts_with("secretsmanager") {
            Answer::ExplicitDeny
        } else {
            Answer::Allowed
        }
    })
    .await;
    let root = report.root_finding().unwrap();
    assert_eq!(root.id, "iam.permissions");
    assert!(
        root.detail.contains("an explicit deny in deny-secrets"),
        "{}",
        root.detail
    );
    assert!(
        root.remediation
            .starts_with("Remove or narrow the statement"),
        "{}",
        root.remediation
    );
}

#[tokio::test]
async fn a_permissions_boundary_denial_is_told_apart() {
    let (report, _) = diagnose_with(|action| {
        if action == "ecr:BatchGetImage" {
            Answer::BoundaryDeny
        } else {
            Answer::Allowed
        }
    })
    .await;
    let findings = permission_findings(&report);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        findings[0]
            .detail
            .contains("permissions boundary does not allow it")
    );
    assert!(findings[0].remediation.contains("permissions boundary"));
    assert!(
        findings[0].resources.contains(&REPOSITORY.to_string()),
        "the exact repository ARN"
    );
}

#[tokio::test]
async fn an_scp_denial_is_told_apart() {
    let (report, _) = diagnose_with(|action| {
        if action == "ecr:GetAuthorizationToken" {
            Answer::ScpDeny
        } else {
            Answer::Allowed
        }
    })
    .await;
    let findings = permission_findings(&report);
    assert!(
        findings[0]
            .detail
            .contains("Organizations service control policy"),
        "{}",
        findings[0].detail
    );
    assert!(
        findings[0].resources.contains(&"*".to_string()),
        "the wildcard resource is asked about as such"
    );
}
