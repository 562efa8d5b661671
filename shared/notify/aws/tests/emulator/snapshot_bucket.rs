//! The snapshot store against the AWS emulator's S3 (moto server, started here).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_aws::S3SnapshotStore;
use accessdrift_controller::ports::{SaveError, SnapshotStore};
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
    store.save("111111111111", &snapshot, None).await.unwrap();
    assert_eq!(
        store
            .load("111111111111")
            .await
            .unwrap()
            .map(|s| s.text)
            .as_deref(),
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

/// Issue 11: two writers of one account's snapshot cannot drop each other's save. The
/// save is conditional on the ETag loaded (`If-Match`), or on there being none
/// (`If-None-Match: *`); moto 5.2.5 honours both, answering 412 PreconditionFailed.
#[tokio::test]
async fn a_save_over_a_snapshot_that_changed_since_it_was_loaded_conflicts() {
    let em = Emulator::start();
    let s3 = aws_sdk_s3::Client::new(&em.sdk_config().await);
    s3.create_bucket()
        .bucket("detector-snapshots")
        .send()
        .await
        .unwrap();
    let store = S3SnapshotStore::new(s3, "detector-snapshots");
    let account = "111111111111";
    store.save(account, r#"{"v": 1}"#, None).await.unwrap();
    // A second "first" save conflicts: one is there already.
    assert!(matches!(
        store.save(account, r#"{"v": "other"}"#, None).await,
        Err(SaveError::Conflict(_))
    ));
    let a = store.load(account).await.unwrap().unwrap();
    let b = store.load(account).await.unwrap().unwrap();
    assert_eq!(a.version, b.version);
    // B saves first; A's save, conditional on the same version, loses.
    store
        .save(account, r#"{"v": "b"}"#, Some(&b.version))
        .await
        .unwrap();
    let lost = store.save(account, r#"{"v": "a"}"#, Some(&a.version)).await;
    assert!(matches!(lost, Err(SaveError::Conflict(_))), "{lost:?}");
    let now = store.load(account).await.unwrap().unwrap();
    assert_eq!(now.text, r#"{"v": "b"}"#, "B's save is kept");
    // A reloads and saves over the current version.
    store
        .save(account, r#"{"v": "a after b"}"#, Some(&now.version))
        .await
        .unwrap();
    assert_eq!(
        store.load(account).await.unwrap().unwrap().text,
        r#"{"v": "a after b"}"#
    );
}
