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

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use accessdrift_aws::{DynamoFindingStore, FindingStore, StoreError, create_findings_table};
use accessdrift_drift::lifecycle::{Status, mark_notified, reconcile};
use accessdrift_drift::{Finding, FindingKind, GrantRef, Severity};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

/// A moto server on a free local port, stopped when dropped.
struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    fn start() -> Emulator {
        let binary = std::env::var("ACCESSDRIFT_MOTO_SERVER").unwrap_or_else(|_| {
            format!(
                "{}/../../.venv-moto/bin/moto_server",
                env!("CARGO_MANIFEST_DIR")
            )
        });
        assert!(
            std::path::Path::new(&binary).exists(),
            "the AWS emulator is missing at {binary}: run `make test`, which installs moto[server] in .venv-moto \
             (or set ACCESSDRIFT_MOTO_SERVER to a moto_server binary)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {binary}: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"GET /moto-api/ HTTP/1.0\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read(&mut buf).is_ok_and(|n| n > 0) {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the AWS emulator did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Emulator { child, url }
    }

    fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new(
                "testing", "testing", None, None, "emulator",
            ))
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    let client = emulator.dynamodb();
    create_findings_table(&client, "findings").await.unwrap();
    let store = DynamoFindingStore::new(client.clone(), "findings");

    let found = vec![finding("a", Some("credit-team")), finding("b", None)];
    let r = reconcile(
        &store.load_account("111111111111").await.unwrap(),
        &found,
        "2026-11-24T00:00:00Z",
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
    let r = reconcile(&stored, &found, "2026-11-25T00:00:00Z");
    assert!(r.notices.is_empty());
    for w in &r.writes {
        store.write(w).await.unwrap();
    }

    // Drift "a" goes away: resolved.
    let stored = store.load_account("111111111111").await.unwrap();
    let r = reconcile(&stored, &found[1..], "2026-11-26T00:00:00Z");
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
    let client = emulator.dynamodb();
    create_findings_table(&client, "findings").await.unwrap();
    let store = DynamoFindingStore::new(client, "findings");

    let r = reconcile(&[], &[finding("a", Some("credit-team"))], "t1");
    store.write(&r.writes[0]).await.unwrap();
    // Creating it again (a replayed or concurrent first sweep) is refused.
    assert!(matches!(
        store.write(&r.writes[0]).await,
        Err(StoreError::Conflict(_))
    ));

    // Two sweeps read version 1 and both try to write version 2: one wins.
    let stored = store.load_account("111111111111").await.unwrap();
    let first = reconcile(&stored, &[], "t2");
    let second = reconcile(&stored, &[], "t3");
    store.write(&first.writes[0]).await.unwrap();
    assert!(matches!(
        store.write(&second.writes[0]).await,
        Err(StoreError::Conflict(_))
    ));
}
