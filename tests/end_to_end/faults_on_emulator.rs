//! Faults on the real SDK path (issue 11): the AWS SDK clients talk to the emulator
//! through `accessdrift_emulator::FaultProxy`, which answers chosen operations with the
//! errors AWS really sends (throttling, 500s, AccessDenied, conditional-check
//! conflicts) in each service's own protocol; everything else reaches moto unchanged.
//!
//! The SDK retries throttling and 5xx itself (standard retry: 3 attempts), so a fault
//! meant to reach our code is injected on every attempt, and the proxy's counters say
//! how many calls it saw.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_aws::{DynamoFindingStore, S3SnapshotStore, SnsNotifier, create_findings_table};
use accessdrift_controller::fakes::{Borrowed, MemoryAccounts, MemoryDesired};
use accessdrift_controller::ports::{DesiredRead, FindingStore, Sinks, SnapshotStore};
use accessdrift_controller::{Pass, Settings, findings, run_pass, sweep_account};
use accessdrift_desired::parse_desired;
use accessdrift_drift::lifecycle::Status;
use accessdrift_drift::model::FindingKind;
use accessdrift_emulator::{Emulator, Fault, FaultProxy, Op, When};
use accessdrift_snapshot::read_snapshot;

use crate::at;

const ACCOUNT: &str = include_str!("../../examples/credit-account.json");
const DESIRED: &str = include_str!("../../examples/desired-state.yaml");
const ID: &str = "111111111111";

fn desired() -> DesiredRead {
    DesiredRead::whole(parse_desired(DESIRED, "desired.yaml").unwrap())
}

async fn topic_with_queue(em: &Emulator) -> (String, String) {
    let topic = em.create_topic("accessdrift-notices").await;
    let queue = em
        .subscribe_queue(&topic, "credit-team", r#"{"owner": ["credit-team"]}"#)
        .await;
    (topic, queue)
}

/// A throttled publish leaves the notice pending; the next pass sends it exactly once.
#[tokio::test]
async fn a_throttled_sns_publish_is_sent_exactly_once_later() {
    let em = Emulator::start();
    let proxy = FaultProxy::start(em.url());
    let (topic, queue) = topic_with_queue(&em).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&em.sdk_config().await);
    create_findings_table(&dynamodb, "findings").await.unwrap();
    let store = DynamoFindingStore::new(dynamodb, "findings");
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&proxy.sdk_config().await), &topic);
    let snapshot = read_snapshot(ACCOUNT).unwrap();
    let settings = Settings::default();

    proxy.fail(
        Op::action("Publish"),
        Fault::error(400, "Throttling"),
        When::First(100),
    );
    let first = run_pass(
        Pass {
            snapshot: &snapshot,
            previous: None,
            desired: &desired(),
            settings: &settings,
            now: at("2026-01-01T01:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    assert!(
        first
            .sweep
            .pending_owners
            .contains(&"credit-team".to_string()),
        "{first:?}"
    );
    assert!(
        proxy.seen("Publish") >= 3,
        "the SDK retried: {}",
        proxy.seen("Publish")
    );
    assert!(em.drain(&queue).await.is_empty(), "nothing was delivered");
    let stored = store.load_account(ID).await.unwrap();
    assert!(
        stored.iter().any(|r| r.notice_pending.is_some()),
        "owed, not lost"
    );

    proxy.heal();
    let second = run_pass(
        Pass {
            snapshot: &snapshot,
            previous: Some(&snapshot),
            desired: &desired(),
            settings: &settings,
            now: at("2026-01-01T02:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    assert!(second.sweep.pending_owners.is_empty(), "{second:?}");
    let delivered = em.drain(&queue).await;
    assert_eq!(delivered.len(), 1, "the owed digest, once: {delivered:#?}");
    run_pass(
        Pass {
            snapshot: &snapshot,
            previous: Some(&snapshot),
            desired: &desired(),
            settings: &settings,
            now: at("2026-01-01T03:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    assert!(em.drain(&queue).await.is_empty(), "and never again");
}

/// A conditional write that loses mid-sweep (DynamoDB answers
/// ConditionalCheckFailedException) makes the sweep reconcile again: nothing is lost.
#[tokio::test]
async fn a_dynamodb_conditional_write_conflict_mid_sweep_loses_nothing() {
    let em = Emulator::start();
    let proxy = FaultProxy::start(em.url());
    let (topic, queue) = topic_with_queue(&em).await;
    let direct = aws_sdk_dynamodb::Client::new(&em.sdk_config().await);
    create_findings_table(&direct, "findings").await.unwrap();
    let store = DynamoFindingStore::new(
        aws_sdk_dynamodb::Client::new(&proxy.sdk_config().await),
        "findings",
    );
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&em.sdk_config().await), &topic);
    let snapshot = read_snapshot(ACCOUNT).unwrap();
    let settings = Settings::default();
    proxy.fail(
        Op::target("DynamoDB_20120810.PutItem"),
        Fault::error(400, "ConditionalCheckFailedException"),
        When::Nth(3),
    );
    let pass = run_pass(
        Pass {
            snapshot: &snapshot,
            previous: None,
            desired: &desired(),
            settings: &settings,
            now: at("2026-01-01T01:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    assert_eq!(proxy.injected(), 1);
    assert_eq!(pass.sweep.retries, 1, "{:?}", pass.sweep);
    let stored = DynamoFindingStore::new(direct, "findings")
        .load_account(ID)
        .await
        .unwrap();
    let (expected, _) = findings(&snapshot, &desired().state, &settings);
    assert_eq!(stored.len(), expected.len(), "every finding is stored");
    assert!(stored.iter().all(|r| r.status == Status::Open));
    assert_eq!(em.drain(&queue).await.len(), 1, "one digest, not two");
}

/// A snapshot save that fails (S3 500 on every attempt) fails the sweep, which keeps
/// the previous snapshot for its retry; the retry then saves.
#[tokio::test]
async fn a_failed_snapshot_save_leaves_the_previous_snapshot() {
    let em = Emulator::start();
    let proxy = FaultProxy::start(em.url());
    let (topic, _queue) = topic_with_queue(&em).await;
    let direct_s3 = aws_sdk_s3::Client::new(&em.sdk_config().await);
    direct_s3
        .create_bucket()
        .bucket("snapshots")
        .send()
        .await
        .unwrap();
    let dynamodb = aws_sdk_dynamodb::Client::new(&em.sdk_config().await);
    create_findings_table(&dynamodb, "findings").await.unwrap();
    let store = DynamoFindingStore::new(dynamodb, "findings");
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&em.sdk_config().await), &topic);
    let direct = S3SnapshotStore::new(direct_s3, "snapshots");
    let before = ACCOUNT.replace("\"owner\": \"credit-team\"", "\"owner\": \"credit-team\" ");
    direct.save(ID, &before, None).await.unwrap();
    let snapshots = S3SnapshotStore::new(
        aws_sdk_s3::Client::new(&proxy.sdk_config().await),
        "snapshots",
    );
    let reader = MemoryAccounts::default();
    reader.set(ID, ACCOUNT);
    let source = MemoryDesired::new(desired().state);
    let settings = Settings::default();

    proxy.fail(
        Op::rest("PUT", "/snapshots/"),
        Fault::error(500, "InternalError"),
        When::First(100),
    );
    let failed = sweep_account(
        ID,
        &Borrowed {
            reader: &reader,
            snapshots: &snapshots,
            desired: &source,
            sinks: Sinks::new(&store, &notifier, &()),
        },
        &settings,
        at("2026-01-01T01:00:00Z"),
    )
    .await;
    assert!(failed.is_err(), "{failed:?}");
    assert!(
        proxy.injected() >= 3,
        "the SDK retried: {}",
        proxy.injected()
    );
    assert_eq!(
        direct.load(ID).await.unwrap().unwrap().text,
        before,
        "the previous snapshot is kept"
    );

    proxy.heal();
    sweep_account(
        ID,
        &Borrowed {
            reader: &reader,
            snapshots: &snapshots,
            desired: &source,
            sinks: Sinks::new(&store, &notifier, &()),
        },
        &settings,
        at("2026-01-01T02:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(direct.load(ID).await.unwrap().unwrap().text, ACCOUNT);
}

/// AccessDenied on one bucket's policy: that bucket is one could-not-evaluate finding,
/// and the rest of the account is read and judged.
#[tokio::test]
async fn access_denied_on_one_bucket_gives_one_could_not_evaluate_and_the_rest_is_judged() {
    use accessdrift_collector::{Collector, CollectorOptions};
    let em = Emulator::start();
    let proxy = FaultProxy::start(em.url());
    let s3 = aws_sdk_s3::Client::new(&em.sdk_config().await);
    for (bucket, who) in [
        ("secret-bucket", "111111111111"),
        ("open-bucket", "999999999999"),
    ] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{who}:root")},
            "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}]});
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(policy.to_string())
            .send()
            .await
            .unwrap();
    }
    proxy.fail(
        Op::rest("GET", "/secret-bucket/?policy"),
        Fault::error(403, "AccessDenied"),
        When::First(100),
    );
    let collector = Collector::new(
        &proxy.sdk_config().await,
        CollectorOptions {
            concurrency: 2,
            collect_organization: false,
            ..CollectorOptions::default()
        },
    )
    .await
    .unwrap();
    let snapshot = collector.collect_account(&|_| {}).await.unwrap();
    assert!(proxy.injected() >= 1, "{:#?}", proxy.seen_all());
    let text = serde_json::to_string(&snapshot).unwrap();
    let snapshot = read_snapshot(&text).unwrap();
    let (found, _) = findings(&snapshot, &Default::default(), &Settings::default());
    let cne: Vec<_> = found
        .iter()
        .filter(|f| f.kind == FindingKind::CouldNotEvaluate)
        .collect();
    assert_eq!(cne.len(), 1, "{cne:#?}");
    assert_eq!(cne[0].resource, "arn:aws:s3:::secret-bucket");
    assert!(
        cne[0].summary.contains("AccessDenied"),
        "{}",
        cne[0].summary
    );
    assert!(
        found
            .iter()
            .any(|f| f.resource == "arn:aws:s3:::open-bucket"
                && f.kind == FindingKind::PublicOrExternalAccess),
        "the rest is judged: {found:#?}"
    );
}

/// SQS delivers at least once: the same sweep message handled twice (a redelivery after
/// a worker timed out) sends every notice once, on the real SNS and DynamoDB clients.
#[tokio::test]
async fn a_redelivered_sweep_message_sends_no_duplicate_notice() {
    let em = Emulator::start();
    let (topic, queue) = topic_with_queue(&em).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&em.sdk_config().await);
    create_findings_table(&dynamodb, "findings").await.unwrap();
    let s3 = aws_sdk_s3::Client::new(&em.sdk_config().await);
    s3.create_bucket().bucket("snapshots").send().await.unwrap();
    let store = DynamoFindingStore::new(dynamodb, "findings");
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&em.sdk_config().await), &topic);
    let snapshots = S3SnapshotStore::new(s3, "snapshots");
    let reader = MemoryAccounts::default();
    reader.set(ID, ACCOUNT);
    let source = MemoryDesired::new(desired().state);
    let settings = Settings::default();
    for now in ["2026-01-01T01:00:00Z", "2026-01-01T01:00:30Z"] {
        sweep_account(
            ID,
            &Borrowed {
                reader: &reader,
                snapshots: &snapshots,
                desired: &source,
                sinks: Sinks::new(&store, &notifier, &()),
            },
            &settings,
            at(now),
        )
        .await
        .unwrap();
    }
    assert_eq!(em.drain(&queue).await.len(), 1, "one digest for the team");
}
