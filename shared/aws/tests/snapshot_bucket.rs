//! The snapshot store against the AWS emulator's S3 (moto server, started here).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_aws::S3SnapshotStore;
use accessdrift_controller::ports::SnapshotStore;
use accessdrift_emulator::Emulator;

#[tokio::test]
async fn a_snapshot_is_kept_compressed_with_its_collection_time_and_read_back_whole() {
    let em = Emulator::start();
    let s3 = aws_sdk_s3::Client::new(&em.sdk_config().await);
    s3.create_bucket()
        .bucket("detector-snapshots")
        .send()
        .await
        .unwrap();
    let store = S3SnapshotStore::new(s3.clone(), "detector-snapshots");
    assert_eq!(
        store.load("111111111111").await.unwrap(),
        None,
        "nothing kept yet"
    );

    let snapshot = format!(
        r#"{{"accountId": "111111111111", "collectedAt": "2026-11-24T02:00:00Z", "resources": [{}]}}"#,
        (0..2000)
            .map(|i| format!(
                r#"{{"arn": "arn:aws:s3:::bucket-{i}", "type": "AWS::S3::Bucket", "policy": null}}"#
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    store.save("111111111111", &snapshot).await.unwrap();
    assert_eq!(
        store.load("111111111111").await.unwrap().as_deref(),
        Some(snapshot.as_str())
    );

    let head = s3
        .head_object()
        .bucket("detector-snapshots")
        .key(S3SnapshotStore::key("111111111111"))
        .send()
        .await
        .unwrap();
    assert!(
        (head.content_length().unwrap() as usize) < snapshot.len() / 5,
        "compressed: {} of {} bytes",
        head.content_length().unwrap(),
        snapshot.len()
    );
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("collected-at"))
            .map(String::as_str),
        Some("2026-11-24T02:00:00Z")
    );
}
