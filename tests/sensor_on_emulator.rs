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
use accessdrift_controller::ports::{AccountReader, SnapshotStore};
use accessdrift_controller::react::Ports;
use accessdrift_controller::{Settings, baseline};
use accessdrift_demo::seed::{BUCKET, bucket_policy_with_support_read, seed, team_bucket_policy};
use accessdrift_demo::{
    deliver_event, deploy, put_bucket_policy_event, run_planner, run_worker, update_policy_event,
};
use accessdrift_drift::desired::BaselineSelect;
use accessdrift_drift::desired::to_yaml;
use accessdrift_drift::sweep::FindingStore;
use accessdrift_emulator::Emulator;
use accessdrift_runtime::Runtime;
use accessdrift_snapshot::read_snapshot;
use serde_json::Value;

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
    let services = runtime.services("2026-11-24T01:00:00Z").unwrap();
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
        "2026-11-24T01:00:00Z",
    )
    .await
    .unwrap();

    // The nightly sweep: one message per account, each swept by the worker.
    let plan = run_planner(&runtime, "2026-11-24T02:00:00Z").await.unwrap();
    assert_eq!(plan["accounts"], 2, "{plan}");
    assert_eq!(plan["queued"], 2, "{plan}");
    let run = run_worker(
        &runtime,
        &sdk,
        &detector.sweep_queue_url,
        "2026-11-24T02:00:05Z",
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
    let event = put_bucket_policy_event(&org.member, BUCKET, &widened, "2026-11-24T09:00:00Z");
    let summary = deliver_event(&runtime, &event, "2026-11-24T09:00:05Z")
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
    let again = deliver_event(&runtime, &event, "2026-11-24T09:01:00Z")
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
        "2026-11-24T10:00:00Z",
    );
    let fixed = deliver_event(&runtime, &fix, "2026-11-24T10:00:05Z")
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
        &update_policy_event(&org.management, &policy_id, "2026-11-24T11:00:00Z"),
        "2026-11-24T11:00:05Z",
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
        "2026-11-24T11:00:10Z",
    )
    .await
    .unwrap();
    assert_eq!(rerun.accounts, std::slice::from_ref(&org.member));
    assert!(rerun.failed.is_empty(), "{rerun:?}");
}
