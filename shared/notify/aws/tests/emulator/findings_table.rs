//! The findings table against the AWS emulator (moto server, started here on
//! 127.0.0.1): real tables with the same key schema and indexes as production, real
//! conditional writes.
//!
//! The emulator is required: `make test` installs it in `.venv-moto` and points
//! `ACCESSDRIFT_MOTO_SERVER` at it. Without it these tests fail, loudly; they never skip.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_aws::{DynamoFindingStore, FindingStore, StoreError, create_findings_table};
use accessdrift_drift::lifecycle::{Status, mark_notified, reconcile};
use accessdrift_drift::{Finding, FindingKind, GrantRef, Severity};
use accessdrift_emulator::Emulator;

use crate::at;

fn finding(id: &str, owner: Option<&str>) -> Finding {
    Finding {
        id: id.into(),
        kind: FindingKind::UnexpectedAccess,
        severity: Severity::High,
        account: "111111111111".into(),
        resource: "arn:aws:s3:::credit-applications".into(),
        owner: owner.map(str::to_string),
        classification: Some("Confidential".into()),
        principal: Some("arn:aws:iam::111111111111:role/ci".into()),
        capability: Some(accessdrift_capabilities::Capability::WriteData),
        access: Some(accessdrift_access::Access::Allowed),
        grants: vec![GrantRef {
            policy: "inline:ci/Deploy".into(),
            statement: "Write".into(),
        }],
        summary: "role/ci gained write-data on s3 credit-applications".into(),
        remedy: "remove statement `Write`".into(),
    }
}

#[tokio::test]
async fn findings_round_trip_and_follow_their_lifecycle_through_the_table() {
    let emulator = Emulator::start();
    let client = aws_sdk_dynamodb::Client::new(&emulator.sdk_config().await);
    create_findings_table(&client, "findings").await.unwrap();
    let store = DynamoFindingStore::new(client.clone(), "findings");

    let found = vec![finding("a", Some("credit-team")), finding("b", None)];
    let r = reconcile(
        &store.load_account("111111111111").await.unwrap(),
        &found,
        at("2026-11-24T00:00:00Z"),
    );
    assert_eq!(r.notices.len(), 2);
    for w in &r.writes {
        store.write(w).await.unwrap();
    }
    let stored = store.load_account("111111111111").await.unwrap();
    assert_eq!(stored, r.writes, "what is written reads back the same");
    assert_eq!(
        stored[1].finding.owner, None,
        "no owner survives the `unowned` key"
    );

    // Notices sent; the same drift next night writes last_seen only and notifies nothing.
    for w in mark_notified(&stored, &["a", "b"]) {
        store.write(&w).await.unwrap();
    }
    let stored = store.load_account("111111111111").await.unwrap();
    let r = reconcile(&stored, &found, at("2026-11-25T00:00:00Z"));
    assert!(r.notices.is_empty());
    for w in &r.writes {
        store.write(w).await.unwrap();
    }

    // Drift "a" goes away: resolved.
    let stored = store.load_account("111111111111").await.unwrap();
    let r = reconcile(&stored, &found[1..], at("2026-11-26T00:00:00Z"));
    assert_eq!(r.notices.len(), 1);
    for w in &r.writes {
        store.write(w).await.unwrap();
    }
    let stored = store.load_account("111111111111").await.unwrap();
    assert_eq!(stored[0].status, Status::Resolved);
    let notes: Vec<&str> = stored[0].history.iter().map(|h| h.note.as_str()).collect();
    assert_eq!(notes, ["opened", "resolved"]);

    // Queried by owner and status through the index, not a scan.
    let page = client
        .query()
        .table_name("findings")
        .index_name("by-owner-status")
        .key_condition_expression("#o = :o AND #s = :s")
        .expression_attribute_names("#o", "owner")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(
            ":o",
            aws_sdk_dynamodb::types::AttributeValue::S("credit-team".into()),
        )
        .expression_attribute_values(
            ":s",
            aws_sdk_dynamodb::types::AttributeValue::S("resolved".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.count(), 1);
}

#[tokio::test]
async fn two_sweeps_writing_the_same_finding_cannot_lose_an_update() {
    let emulator = Emulator::start();
    let client = aws_sdk_dynamodb::Client::new(&emulator.sdk_config().await);
    create_findings_table(&client, "findings").await.unwrap();
    let store = DynamoFindingStore::new(client, "findings");

    let r = reconcile(
        &[],
        &[finding("a", Some("credit-team"))],
        at("2026-01-01T01:00:00Z"),
    );
    store.write(&r.writes[0]).await.unwrap();
    // Creating it again (a replayed or concurrent first sweep) is refused.
    assert!(matches!(
        store.write(&r.writes[0]).await,
        Err(StoreError::Conflict(_))
    ));

    // Two sweeps read version 1 and both try to write version 2: one wins.
    let stored = store.load_account("111111111111").await.unwrap();
    let first = reconcile(&stored, &[], at("2026-01-01T02:00:00Z"));
    let second = reconcile(&stored, &[], at("2026-01-01T03:00:00Z"));
    store.write(&first.writes[0]).await.unwrap();
    assert!(matches!(
        store.write(&second.writes[0]).await,
        Err(StoreError::Conflict(_))
    ));
}
