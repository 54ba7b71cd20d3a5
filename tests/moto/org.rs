//! The organisation: broken worlds in member accounts (moto serves several accounts: keys from
//! sts:AssumeRole act in the role's account), their events through the central bus, and the
//! central doctor reading them through the member role, counted through the loopback proxy
//! (scripts/latency_proxy.py --log).
//!
//! What moto cannot do, and how the tests deal with it (docs/notes/context-org-channels.md §1):
//! it never fails an AssumeRole, so the missing member role is the proxy's `--deny
//! sts:AssumeRole`; it stores bus policies without enforcing them, so the test reads the
//! policy back; and it rebuilds a forwarded event (central account and region, no
//! `resources`), so the Lambda's input is the event as the member put it.

use super::alerts::ledger_table_in;
use super::faults::{FaultProxy, rand_suffix};
use super::support::{ACCOUNT, REGION, account_config, config, moto};
use super::world::{Egress, Place, World, build_at, received};
use aws_config::SdkConfig;
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, RetryPolicy, Target};
use ecs_task_doctor::accounts::{DEFAULT_MEMBER_ROLE, MemberRole};
use ecs_task_doctor::aws::ClientCache;
use ecs_task_doctor::doctor::{Doctor, Outcome};
use ecs_task_doctor::ledger::alert_key;
use ecs_task_doctor::notify::Topics;
use ecs_task_doctor::verdict::Report;
use serde_json::Value;
use std::collections::BTreeSet;

const MEMBER: &str = "222233334444";
const OTHER_MEMBER: &str = "333344445555";
const SECOND_REGION: &str = "eu-west-1";
const ORGANIZATION: &str = "o-a1b2c3d4e5";
/// template.yaml's OrganizationBus name for a stack called ecs-task-doctor.
const BUS: &str = "ecs-task-doctor-organization";

async fn member(account: &str, region: &str) -> Place {
    Place {
        config: account_config(account, region).await,
        account: account.into(),
        region: region.into(),
    }
}

fn yaml(file: &str) -> Value {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The central function as the Lambda runs it (member role from MemberRoleName, its own
/// account from its ARN), every call through the proxy.
fn central_doctor(proxy: &FaultProxy, central: &SdkConfig) -> Doctor {
    let config = central.to_builder().endpoint_url(&proxy.url).build();
    let doctor = Doctor::with_accounts(
        ClientCache::new(config),
        MemberRole::Named(DEFAULT_MEMBER_ROLE.into()),
    );
    doctor.accounts().know_own(ACCOUNT);
    doctor
}

fn topics(world: &World) -> Topics {
    Topics {
        alert: world.topic_arn.clone(),
        report: None,
    }
}

fn log_file(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("doctor-{name}-{}.jsonl", rand_suffix()))
}

/// The proxy's log: one JSON object per call.
fn calls(log: &std::path::Path) -> Vec<Value> {
    let calls = std::fs::read_to_string(log)
        .expect("the proxy's log")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let _ = std::fs::remove_file(log);
    calls
}

fn count(calls: &[Value], service: &str, op: &str) -> usize {
    calls
        .iter()
        .filter(|c| c["service"] == service && c["op"].as_str().is_some_and(|o| o.ends_with(op)))
        .count()
}

/// The alerts published, as (SNS subject, report).
async fn alerts(central: &SdkConfig, world: &World) -> Vec<(String, Value)> {
    received(central, &world.queue_url)
        .await
        .iter()
        .map(|m| {
            (
                m["Subject"].as_str().unwrap_or_default().to_string(),
                serde_json::from_str(m["Message"].as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

fn finding<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
}

/// The central bus as template.yaml makes it, with the doctor's rule on it (to an SQS queue:
/// moto cannot run a Lambda target), and each member region's forwarding rule as member.yaml
/// makes it. Returns the central rule's queue.
async fn wire_buses(central: &SdkConfig, members: &[(&World, &str)]) -> String {
    let template = yaml("template.yaml");
    let events = aws_sdk_eventbridge::Client::new(central);
    let bus = events.create_event_bus().name(BUS).send().await.unwrap();
    let bus_arn = bus.event_bus_arn().unwrap().to_string();
    // The bus policy as written, with the stack's values for its Sub and Ref.
    let mut policy = template["Resources"]["OrganizationBus"]["Properties"]["Policy"].clone();
    let statement = &mut policy["Statement"][0];
    assert_eq!(statement["Principal"], "*");
    assert_eq!(statement["Action"], "events:PutEvents");
    assert_eq!(
        statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"]["Ref"],
        "OrganizationId"
    );
    statement["Resource"] = Value::String(bus_arn.clone());
    statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] = ORGANIZATION.into();
    events
        .put_permission()
        .event_bus_name(BUS)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    // moto keeps the policy (it enforces none): read back, it admits the organisation only.
    let stored = events.describe_event_bus().name(BUS).send().await.unwrap();
    let stored: Value = serde_json::from_str(stored.policy().unwrap()).unwrap();
    assert_eq!(
        stored["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        ORGANIZATION
    );

    let sqs = aws_sdk_sqs::Client::new(central);
    let inbox = sqs
        .create_queue()
        .queue_name("org-inbox")
        .send()
        .await
        .unwrap();
    let rule = &template["Resources"]["DiagnoseFunction"]["Properties"]["Events"]["TaskStoppedInOrganization"]
        ["Properties"];
    assert_eq!(rule["EventBusName"]["Fn::If"][1]["Ref"], "OrganizationBus");
    events
        .put_rule()
        .name("doctor")
        .event_bus_name(BUS)
        .event_pattern(rule["Pattern"].to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("doctor")
        .event_bus_name(BUS)
        .targets(
            Target::builder()
                .id("inbox")
                .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:org-inbox"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let forward = &yaml("member.yaml")["Resources"]["ForwardTaskStops"]["Properties"];
    for (world, account) in members {
        let events = aws_sdk_eventbridge::Client::new(&world.config);
        events
            .put_rule()
            .name("ecs-task-doctor-forward")
            .event_bus_name("default")
            .event_pattern(forward["EventPattern"].to_string())
            .send()
            .await
            .unwrap();
        events
            .put_targets()
            .rule("ecs-task-doctor-forward")
            .targets(
                Target::builder()
                    .id("central-doctor")
                    .arn(&bus_arn)
                    .role_arn(format!("arn:aws:iam::{account}:role/forward"))
                    .retry_policy(
                        RetryPolicy::builder()
                            .maximum_retry_attempts(24)
                            .maximum_event_age_in_seconds(3600)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    inbox.queue_url().unwrap().to_string()
}

/// ECS's event for the world's task, put on the member's default bus (moto, unlike AWS,
/// accepts the aws.ecs source from a customer).
async fn put_from_member(world: &World) {
    let events = aws_sdk_eventbridge::Client::new(&world.config);
    let sent = events
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .source(world.event["source"].as_str().unwrap())
                .detail_type(world.event["detail-type"].as_str().unwrap())
                .detail(world.event["detail"].to_string())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(sent.failed_entry_count(), 0);
}

#[tokio::test]
async fn member_stops_reach_the_central_doctor_which_reads_them_in_the_member_account() {
    let _moto = moto().await;
    let central = config().await;
    let east = build_at(
        member(MEMBER, REGION).await,
        Egress::None,
        "ecs-task-stopped-secrets-network.json",
    )
    .await;
    let west = build_at(
        member(MEMBER, SECOND_REGION).await,
        Egress::Nat { nat_routed: false },
        "ecs-task-stopped-signal-killed.json",
    )
    .await;
    aws_sdk_iam::Client::new(&east.config)
        .create_account_alias()
        .account_alias("payments-prod")
        .send()
        .await
        .unwrap();
    // The worlds are the member's alone: the central account has no such VPC.
    let central_ec2 = aws_sdk_ec2::Client::new(&central);
    assert!(
        central_ec2
            .describe_vpcs()
            .vpc_ids(&east.vpc)
            .send()
            .await
            .is_err()
    );

    // Both regions' stops reach the central bus and its rule.
    let inbox = wire_buses(&central, &[(&east, MEMBER), (&west, MEMBER)]).await;
    put_from_member(&east).await;
    put_from_member(&west).await;
    let forwarded: BTreeSet<String> = received(&central, &inbox)
        .await
        .iter()
        .map(|e| e["detail"]["taskArn"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        forwarded,
        BTreeSet::from([east.task_arn.clone(), west.task_arn.clone()])
    );

    // The central function on each event, as the member's bus sent it.
    let log = log_file("org");
    let proxy = FaultProxy::start(&["--log", log.to_str().unwrap()]);
    let doctor = central_doctor(&proxy, &central);
    for world in [&east, &west] {
        let outcome = doctor
            .handle_event(world.event.clone(), topics(world), None)
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Published { .. }), "{outcome:?}");
    }
    let calls = calls(&log);
    let alerts = alerts(&central, &east).await;
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    for (subject, report) in &alerts {
        assert_eq!(report["task"]["account"], MEMBER);
        assert_eq!(report["task"]["accountAlias"], "payments-prod");
        assert!(
            subject.contains("payments-prod (222233334444)"),
            "{subject}"
        );
        // Every read succeeded (moto has no policy simulator, the one gap of every moto
        // world): none of them went to an account where the world is not.
        let reads = finding(report, "platform.reads").unwrap()["detail"]
            .as_str()
            .unwrap();
        let skipped = reads.split(". The checks").next().unwrap();
        assert!(
            skipped.starts_with(
                "Skipped reads: the doctor could not call iam:SimulatePrincipalPolicy ("
            ) && !skipped.contains(';'),
            "{reads}"
        );
    }
    let by_region = |region: &str| {
        &alerts
            .iter()
            .find(|(_, r)| r["task"]["region"] == region)
            .unwrap()
            .1
    };
    let east_report = by_region(REGION);
    assert_eq!(east_report["rootCause"], "network.default-route");
    assert!(
        finding(east_report, "network.default-route").unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains(&east.private_table),
        "{east_report:#}"
    );
    assert_eq!(by_region(SECOND_REGION)["rootCause"], "network.nat-gateway");
    // One AssumeRole and one alias read for both events of the account: the second event,
    // in another region, used the cached credentials and made its own regional clients.
    assert_eq!(count(&calls, "sts", "AssumeRole"), 1, "{calls:#?}");
    assert_eq!(count(&calls, "iam", "ListAccountAliases"), 1);
    assert_eq!(count(&calls, "sts", "GetCallerIdentity"), 0);
}

#[tokio::test]
async fn without_the_member_role_the_alert_still_goes_out_and_names_the_role() {
    let _moto = moto().await;
    let central = config().await;
    let world = build_at(
        member(MEMBER, SECOND_REGION).await,
        Egress::None,
        "ecs-task-stopped-secrets-network.json",
    )
    .await;
    // moto assumes any role; the proxy refuses, as STS does for a role that is not there.
    let log = log_file("no-role");
    let proxy = FaultProxy::start(&["--deny", "sts:AssumeRole", "--log", log.to_str().unwrap()]);
    let outcome = central_doctor(&proxy, &central)
        .handle_event(world.event.clone(), topics(&world), None)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Published { .. }), "{outcome:?}");
    let calls = calls(&log);
    let alerts = alerts(&central, &world).await;
    assert_eq!(alerts.len(), 1);
    let (subject, report) = &alerts[0];
    assert!(subject.contains(MEMBER), "{subject}");
    assert_eq!(report["task"]["account"], MEMBER);
    assert_eq!(
        report["rootCause"],
        Value::Null,
        "nothing read, nothing judged"
    );
    let reads = finding(report, "platform.reads").expect("platform.reads says why");
    let detail = reads["detail"].as_str().unwrap();
    for said in [
        "sts:AssumeRole",
        "arn:aws:iam::222233334444:role/ecs-task-doctor-reader",
        "account 222233334444",
        "deploy the member stack (member.yaml, the StackSet) to account 222233334444 in eu-west-1",
    ] {
        assert!(detail.contains(said), "{said} missing: {detail}");
    }
    // Never the central credentials for the member's resources: STS and the alert, nothing else.
    assert_eq!(count(&calls, "sts", "AssumeRole"), 1);
    let services: BTreeSet<&str> = calls.iter().filter_map(|c| c["service"].as_str()).collect();
    assert_eq!(services, BTreeSet::from(["sns", "sts"]), "{calls:#?}");
}

#[tokio::test]
async fn two_accounts_with_the_same_vpc_wide_cause_get_two_alerts() {
    let _moto = moto().await;
    let central = config().await;
    let first = build_at(
        member(MEMBER, REGION).await,
        Egress::None,
        "ecs-task-stopped-secrets-network.json",
    )
    .await;
    let second = build_at(
        member(OTHER_MEMBER, REGION).await,
        Egress::None,
        "ecs-task-stopped-secrets-network.json",
    )
    .await;
    let doctor = Doctor::with_accounts(
        ClientCache::new(central.clone()),
        MemberRole::Named(DEFAULT_MEMBER_ROLE.into()),
    )
    .with_ledger(Some(ledger_table_in(&central).await));
    doctor.accounts().know_own(ACCOUNT);
    for world in [&first, &second] {
        let outcome = doctor
            .handle_event(world.event.clone(), topics(world), None)
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Published { .. }), "{outcome:?}");
    }
    let alerts = alerts(&central, &first).await;
    assert_eq!(alerts.len(), 2, "one alert per account");
    let accounts: BTreeSet<&str> = alerts
        .iter()
        .map(|(_, r)| r["task"]["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, BTreeSet::from([MEMBER, OTHER_MEMBER]));
    // The VPC-wide key holds the account: the same cause on the same resource in another
    // account is another alert (moto's ids differ between accounts; AWS's could collide).
    let report: Report = serde_json::from_value(alerts[0].1.clone()).unwrap();
    assert_eq!(report.root_cause.as_deref(), Some("network.default-route"));
    assert!(report.root_is_vpc_wide());
    let mut elsewhere = report.clone();
    elsewhere.task.account = if report.task.account == MEMBER {
        OTHER_MEMBER.into()
    } else {
        MEMBER.into()
    };
    assert_ne!(alert_key(&report), alert_key(&elsewhere));
}

#[tokio::test]
async fn credentials_serve_an_accounts_events_until_the_process_ends() {
    let _moto = moto().await;
    let central = config().await;
    let world = build_at(
        member(MEMBER, REGION).await,
        Egress::None,
        "ecs-task-stopped-secrets-network.json",
    )
    .await;
    let log = log_file("cache");
    let proxy = FaultProxy::start(&["--log", log.to_str().unwrap()]);
    let warm = central_doctor(&proxy, &central);
    for n in 0..2 {
        let mut event = world.event.clone();
        event["id"] = Value::String(format!("stop-{n}"));
        warm.handle_event(event, topics(&world), None)
            .await
            .unwrap();
    }
    // A new process (a cold start) assumes the role again.
    let cold = central_doctor(&proxy, &central);
    cold.handle_event(world.event.clone(), topics(&world), None)
        .await
        .unwrap();
    let calls = calls(&log);
    assert_eq!(count(&calls, "sts", "AssumeRole"), 2, "{calls:#?}");
    assert_eq!(received(&central, &world.queue_url).await.len(), 3);
}
