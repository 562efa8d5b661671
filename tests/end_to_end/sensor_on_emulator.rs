//! Issue 5's end-to-end check on the AWS emulator, across two accounts of one
//! Organization: the nightly sweep (planner -> SQS -> worker) reads both accounts
//! through the collector (the member through its read role), then a CloudTrail event
//! about one bucket policy re-reads just that bucket and notifies its owner, a
//! duplicate of the event notifies nobody, the revert resolves, and an SCP change
//! queues a sweep of the accounts under it.
//!
//! Emulator gaps (../shared/reference/emulator.md): moto does not check role trust
//! policies on AssumeRole, so the read role's trust is not exercised here (the
//! template test checks it); SNS delivers only the `sqs`/`default` variant to the
//! SQS subscriptions that stand in for the teams' email and Slack.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop the test with its message"
)]

use accessdrift_aws::desired::DynamoDesiredStore;
use accessdrift_aws::findings::DynamoFindingStore;
use accessdrift_controller::ports::FindingStore;
use accessdrift_controller::ports::SweepPorts;
use accessdrift_controller::ports::{AccountReader, SnapshotStore};
use accessdrift_controller::{Settings, baseline};
use accessdrift_demo::seed::{BUCKET, bucket_policy_with_support_read, seed, team_bucket_policy};
use accessdrift_demo::{
    deliver_event, deploy, put_bucket_policy_event, run_planner, run_worker, update_policy_event,
};
use accessdrift_desired::{BaselineSelect, to_yaml};
use accessdrift_emulator::Emulator;
use accessdrift_runtime::Runtime;
use accessdrift_snapshot::read_snapshot;
use serde_json::Value;

use crate::at;

fn notice_text(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["Message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nightly_sweep_of_two_accounts_then_a_bucket_policy_event_notifies_the_owner_once_and_resolves()
 {
    let emulator = Emulator::start();
    let sdk = emulator.sdk_config().await;
    let detector = deploy(&emulator, &sdk).await.unwrap();
    let org = seed(&sdk).await.unwrap();
    let runtime = Runtime::start(sdk.clone(), detector.config.clone())
        .await
        .unwrap();
    assert_eq!(runtime.own_account(), org.management);

    // The credit team's desired state: today's access to its resources.
    let services = runtime.services(at("2026-11-24T01:00:00Z")).unwrap();
    let first = services.reader().read_account(&org.member).await.unwrap();
    let snapshot = read_snapshot(&first).unwrap();
    let select = BaselineSelect {
        owner: Some("credit-team".into()),
        ..BaselineSelect::default()
    };
    let desired = baseline(&snapshot, &select, &Settings::default());
    assert!(!desired.resources.is_empty(), "the team owns resources");
    let yaml = to_yaml(&desired);
    DynamoDesiredStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        accessdrift_demo::DESIRED_TABLE,
    )
    .import(
        "credit-team",
        "credit-team.yaml",
        &yaml,
        "test",
        at("2026-11-24T01:00:00Z"),
    )
    .await
    .unwrap();

    // The nightly sweep: one message per account, each swept by the worker.
    let plan = run_planner(&runtime, at("2026-11-24T02:00:00Z"))
        .await
        .unwrap();
    assert_eq!(plan["accounts"], 2, "{plan}");
    assert_eq!(plan["queued"], 2, "{plan}");
    let run = run_worker(
        &runtime,
        &sdk,
        &detector.sweep_queue_url,
        at("2026-11-24T02:00:05Z"),
    )
    .await
    .unwrap();
    assert!(run.failed.is_empty(), "{run:?}");
    let mut swept = run.accounts.clone();
    swept.sort();
    let mut both = vec![org.management.clone(), org.member.clone()];
    both.sort();
    assert_eq!(swept, both);
    for account in &both {
        assert!(
            services.snapshots().load(account).await.unwrap().is_some(),
            "snapshot of {account} kept"
        );
    }
    let store = DynamoFindingStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        accessdrift_demo::FINDINGS_TABLE,
    );
    let open_after_sweep = store.load_account(&org.member).await.unwrap();
    assert!(
        open_after_sweep
            .iter()
            .all(|f| f.finding.owner.as_deref() != Some("credit-team")),
        "the baseline holds: {open_after_sweep:?}"
    );
    assert!(emulator.drain(&detector.credit_team_url).await.is_empty());

    // An engineer of the member account lets customer service read the applications.
    let s3 = aws_sdk_s3::Client::new(&org.member_config);
    let widened = bucket_policy_with_support_read(&org.member);
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(&widened)
        .send()
        .await
        .unwrap();
    let event = put_bucket_policy_event(&org.member, BUCKET, &widened, at("2026-11-24T09:00:00Z"));
    let summary = deliver_event(&runtime, &event, at("2026-11-24T09:00:05Z"))
        .await
        .unwrap();
    assert_eq!(summary["outcome"], "reevaluated", "{summary}");
    assert_eq!(summary["passes"][0]["account"], org.member.as_str());
    assert_eq!(
        summary["passes"][0]["refreshed"][0],
        "resource arn:aws:s3:::credit-applications"
    );
    assert_eq!(summary["passes"][0]["notices"], 1, "{summary}");
    let got = emulator.drain(&detector.credit_team_url).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let text = notice_text(&got).join("\n");
    assert!(
        text.contains("cust-service") && text.contains("read-data"),
        "{text}"
    );
    assert!(
        text.contains("SupportReadsApplications"),
        "the granting statement is named: {text}"
    );
    assert!(
        emulator.drain(&detector.risk_team_url).await.is_empty(),
        "risk-team owns nothing that drifted"
    );
    let open: Vec<_> = store
        .load_account(&org.member)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.finding.owner.as_deref() == Some("credit-team"))
        .collect();
    assert_eq!(open.len(), 1, "{open:?}");

    // The same event again (EventBridge delivers at least once): nobody hears twice.
    let again = deliver_event(&runtime, &event, at("2026-11-24T09:01:00Z"))
        .await
        .unwrap();
    assert_eq!(again["passes"][0]["notices"], 0, "{again}");
    assert!(emulator.drain(&detector.credit_team_url).await.is_empty());

    // The fix: the team's policy back; the finding resolves and the team is told.
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(team_bucket_policy(&org.member))
        .send()
        .await
        .unwrap();
    let fix = put_bucket_policy_event(
        &org.member,
        BUCKET,
        &team_bucket_policy(&org.member),
        at("2026-11-24T10:00:00Z"),
    );
    let fixed = deliver_event(&runtime, &fix, at("2026-11-24T10:00:05Z"))
        .await
        .unwrap();
    assert_eq!(fixed["passes"][0]["notices"], 1, "{fixed}");
    let resolved = notice_text(&emulator.drain(&detector.credit_team_url).await).join("\n");
    assert!(resolved.to_lowercase().contains("resolved"), "{resolved}");

    // An SCP attached to the member's OU changes: the accounts under it are queued
    // for a whole sweep (an SCP reaches every principal and resource).
    let orgs = aws_sdk_organizations::Client::new(&sdk);
    let scp = orgs
        .create_policy()
        .name("deny-leave")
        .description("no leaving")
        .r#type(aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
        .content(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let policy_id = scp
        .policy()
        .and_then(|p| p.policy_summary())
        .and_then(|s| s.id())
        .unwrap()
        .to_string();
    let parents = orgs
        .list_parents()
        .child_id(&org.member)
        .send()
        .await
        .unwrap();
    let ou = parents.parents()[0].id().unwrap().to_string();
    orgs.attach_policy()
        .policy_id(&policy_id)
        .target_id(&ou)
        .send()
        .await
        .unwrap();
    let changed = deliver_event(
        &runtime,
        &update_policy_event(&org.management, &policy_id, at("2026-11-24T11:00:00Z")),
        at("2026-11-24T11:00:05Z"),
    )
    .await
    .unwrap();
    assert_eq!(
        changed["queuedSweeps"],
        serde_json::json!([org.member]),
        "{changed}"
    );
    let rerun = run_worker(
        &runtime,
        &sdk,
        &detector.sweep_queue_url,
        at("2026-11-24T11:00:10Z"),
    )
    .await
    .unwrap();
    assert_eq!(rerun.accounts, std::slice::from_ref(&org.member));
    assert!(rerun.failed.is_empty(), "{rerun:?}");
}

/// A CloudTrail `SetTopicAttributes` event from `account` about the topic `topic_arn`
/// (which may be in another account), as EventBridge delivers it.
fn set_topic_attributes_event(account: &str, topic_arn: &str, now: &str) -> Value {
    serde_json::json!({
        "version": "0", "id": format!("outside-{now}"), "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.sns", "account": account, "time": now, "region": "us-east-1",
        "resources": [], "detail": {
            "eventVersion": "1.09", "userIdentity": {"type": "AssumedRole", "accountId": account},
            "eventTime": now, "eventSource": "sns.amazonaws.com", "eventName": "SetTopicAttributes",
            "awsRegion": "us-east-1",
            "requestParameters": {"topicArn": topic_arn, "attributeName": "Policy", "attributeValue": "{}"},
            "responseElements": null, "readOnly": false, "eventType": "AwsApiCall",
            "managementEvent": true, "recipientAccountId": account
        }
    })
}

/// Issue 11: an account outside the Organization that created its own
/// `accessdrift-read` role, and a topic tagged as the credit team's. An event in the
/// member account names that topic by ARN; the account was never swept, so it used to
/// be queued, and the worker assumed its role, kept its snapshot and let its tags
/// pick the owner of notices. Now the event function refuses it, and so does the
/// worker for a sweep message forged onto the queue.
///
/// Emulator gap: moto keeps no record of `sts:AssumeRole` calls, so "never assumed"
/// is checked by what the functions report and by its effects: the event queues
/// nothing, the one message on the queue is the forged one and it is refused, no
/// snapshot of the account is kept, no finding names it, nobody is notified. (On the
/// old code the event queued a sweep, and the worker assumed the role and read the
/// account; that sweep then failed only because the Organization path is read with
/// the detector's own credentials and `ListParents` does not know the account, an
/// accident of the collector's order rather than a check.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_outside_the_organization_with_its_own_read_role_is_never_read() {
    use accessdrift_controller::ports::{SweepQueue, SweepReason, SweepRequest};

    let emulator = Emulator::start();
    let sdk = emulator.sdk_config().await;
    let detector = deploy(&emulator, &sdk).await.unwrap();
    let org = seed(&sdk).await.unwrap();
    let runtime = Runtime::start(sdk.clone(), detector.config.clone())
        .await
        .unwrap();

    // The outside account: moto keeps separate state per account id.
    let outside = "999999999999";
    let outsider = accessdrift_demo::seed::assume(&sdk, outside, "admin")
        .await
        .unwrap();
    aws_sdk_iam::Client::new(&outsider)
        .create_role()
        .role_name("accessdrift-read")
        .assume_role_policy_document(
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{}:root", org.management)},
                "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let topic = aws_sdk_sns::Client::new(&outsider)
        .create_topic()
        .name("credit-alerts")
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key("owner")
                .value("credit-team")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    assert!(topic.contains(outside), "{topic}");

    // The nightly listing keeps the Organization's accounts for the other functions.
    let plan = run_planner(&runtime, at("2026-11-24T02:00:00Z"))
        .await
        .unwrap();
    assert_eq!(plan["accounts"], 2, "{plan}");
    let nightly = run_worker(
        &runtime,
        &sdk,
        &detector.sweep_queue_url,
        at("2026-11-24T02:00:05Z"),
    )
    .await
    .unwrap();
    assert!(nightly.failed.is_empty(), "{nightly:?}");
    // The member's notices of the nightly sweep (no desired state is imported here).
    let _ = emulator.drain(&detector.credit_team_url).await;

    let summary = deliver_event(
        &runtime,
        &set_topic_attributes_event(&org.member, &topic, "2026-11-24T09:00:00Z"),
        at("2026-11-24T09:00:05Z"),
    )
    .await
    .unwrap();
    assert_eq!(
        summary["outsideOrganization"],
        serde_json::json!([outside]),
        "{summary}"
    );
    assert_eq!(summary["queuedSweeps"], serde_json::json!([]), "{summary}");
    assert_eq!(summary["passes"], serde_json::json!([]), "{summary}");

    // A sweep message forged onto the queue (or the event's, on the old code).
    runtime
        .queue()
        .unwrap()
        .enqueue(&[SweepRequest {
            account: outside.into(),
            reason: SweepReason::Event,
            requested_at: "2026-11-24T09:00:06Z".into(),
        }])
        .await
        .unwrap();
    let run = run_worker(
        &runtime,
        &sdk,
        &detector.sweep_queue_url,
        at("2026-11-24T09:00:10Z"),
    )
    .await
    .unwrap();
    assert_eq!(run.accounts, [outside], "{run:?}");
    assert_eq!(run.failed.len(), 1, "refused: {run:?}");

    let services = runtime.services(at("2026-11-24T09:01:00Z")).unwrap();
    assert!(
        services.snapshots().load(outside).await.unwrap().is_none(),
        "nothing of the outside account is kept"
    );
    let store = DynamoFindingStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        accessdrift_demo::FINDINGS_TABLE,
    );
    assert!(store.load_account(outside).await.unwrap().is_empty());
    assert!(
        emulator.drain(&detector.credit_team_url).await.is_empty(),
        "the outside account's tags reach no team"
    );
}
