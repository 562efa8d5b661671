//! Port errors say whether a retry can help, on the real SDK clients: the fault proxy
//! answers in each protocol (S3's REST-XML, DynamoDB's and SQS's JSON, SNS's query)
//! what AWS would, and the adapter's error must come out transient or lasting as the
//! event function needs to decide between redelivering and acknowledging.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::error::Error as _;

use accessdrift_aws::queue::SqsSweepQueue;
use accessdrift_aws::{DynamoFindingStore, S3SnapshotStore, SnsNotifier, create_findings_table};
use accessdrift_controller::ports::{
    FindingStore, Notifier, NotifyError, PortError, SaveError, SnapshotStore, StoreError,
    SweepQueue, SweepReason, SweepRequest,
};
use accessdrift_drift::notice::Notice;
use accessdrift_emulator::{Emulator, Fault, FaultProxy, Op, When};

async fn snapshot_store(em: &Emulator, proxy: &FaultProxy) -> S3SnapshotStore {
    let s3 = aws_sdk_s3::Client::new(&em.sdk_config().await);
    s3.create_bucket().bucket("snapshots").send().await.unwrap();
    S3SnapshotStore::new(
        aws_sdk_s3::Client::new(&proxy.sdk_config().await),
        "snapshots",
    )
}

#[tokio::test]
async fn a_denied_snapshot_read_is_lasting_and_keeps_its_sdk_cause() {
    let em = Emulator::start();
    let proxy = FaultProxy::start(em.url());
    let store = snapshot_store(&em, &proxy).await;
    proxy.fail(
        Op::rest("GET", "/snapshots/"),
        Fault::error(403, "AccessDenied"),
        When::First(100),
    );
    let e = store.load("111111111111").await.unwrap_err();
    assert!(!e.transient, "{e}");
    assert!(e.message.contains("AccessDenied"), "{e}");
    assert!(
        e.message
            .starts_with("GetObject snapshots/111111111111.json.gz"),
        "{e}"
    );
    assert!(e.source().is_some(), "the SDK error is kept as the cause");
}

#[tokio::test]
async fn a_snapshot_save_failing_on_aws_side_is_transient() {
    let em = Emulator::start();
    let proxy = FaultProxy::start(em.url());
    let store = snapshot_store(&em, &proxy).await;
    proxy.fail(
        Op::rest("PUT", "/snapshots/"),
        Fault::error(503, "SlowDown"),
        When::First(100),
    );
    match store.save("111111111111", "{}", None).await {
        Err(SaveError::Port(e)) => assert!(e.transient, "{e}"),
        other => panic!("expected a port error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_throttled_findings_read_is_transient_and_a_denied_one_is_not() {
    let em = Emulator::start();
    let proxy = FaultProxy::start(em.url());
    let dynamodb = aws_sdk_dynamodb::Client::new(&em.sdk_config().await);
    create_findings_table(&dynamodb, "findings").await.unwrap();
    let store = DynamoFindingStore::new(
        aws_sdk_dynamodb::Client::new(&proxy.sdk_config().await),
        "findings",
    );
    let service = |e: StoreError| -> PortError {
        match e {
            StoreError::Service(e) => e,
            other => panic!("expected a service error, got {other:?}"),
        }
    };

    proxy.fail(
        Op::target("DynamoDB_20120810.Query"),
        Fault::error(400, "ThrottlingException"),
        When::First(100),
    );
    let e = service(store.load_account("111111111111").await.unwrap_err());
    assert!(e.transient, "{e}");
    assert!(
        proxy.injected() >= 3,
        "the SDK retried first: {}",
        proxy.injected()
    );

    proxy.heal();
    proxy.fail(
        Op::target("DynamoDB_20120810.Query"),
        Fault::error(400, "AccessDeniedException"),
        When::First(100),
    );
    let e = service(store.load_account("111111111111").await.unwrap_err());
    assert!(!e.transient, "{e}");
    assert!(
        store
            .load_account("111111111111")
            .await
            .is_err_and(|e| !e.is_transient()),
        "StoreError says the same"
    );
}

#[tokio::test]
async fn a_notice_refused_by_sns_says_whether_to_retry() {
    let em = Emulator::start();
    let proxy = FaultProxy::start(em.url());
    let topic = em.create_topic("notices").await;
    let sns = SnsNotifier::new(aws_sdk_sns::Client::new(&proxy.sdk_config().await), &topic);
    let notice = Notice {
        subject: "drift".into(),
        message_json: r#"{"default": "drift"}"#.into(),
        attributes: Default::default(),
    };
    proxy.fail(
        Op::action("Publish"),
        Fault::error(500, "InternalError"),
        When::First(100),
    );
    let NotifyError::Service(e) = sns.send(&notice).await.unwrap_err();
    assert!(e.transient, "{e}");

    proxy.heal();
    proxy.fail(
        Op::action("Publish"),
        Fault::error(403, "AuthorizationError"),
        When::First(100),
    );
    let NotifyError::Service(e) = sns.send(&notice).await.unwrap_err();
    assert!(!e.transient, "{e}");
}

#[tokio::test]
async fn a_sweep_queue_denial_is_lasting() {
    let em = Emulator::start();
    let proxy = FaultProxy::start(em.url());
    let url = em.create_queue("sweeps").await;
    let queue = SqsSweepQueue::new(aws_sdk_sqs::Client::new(&proxy.sdk_config().await), url);
    proxy.fail(
        Op::target("AmazonSQS.SendMessageBatch"),
        Fault::error(400, "AccessDenied"),
        When::First(100),
    );
    let request = SweepRequest {
        account: "111111111111".into(),
        reason: SweepReason::Nightly,
        requested_at: "2026-12-07T02:00:00Z".into(),
    };
    let e = queue.enqueue(&[request]).await.unwrap_err();
    assert!(!e.transient, "{e}");
    assert!(e.message.starts_with("SendMessageBatch"), "{e}");
}
