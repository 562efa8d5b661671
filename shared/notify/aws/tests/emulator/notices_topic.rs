//! Owner notices through a real SNS topic on the AWS emulator, read back from SQS
//! subscriptions with filter policies: what a team would receive, and what it would not.
//!
//! Emulator gap: moto delivers only the `sqs` (or `default`) variant of a
//! `MessageStructure=json` message to an SQS subscriber, never the `email` or `https`
//! (Chatbot) variants; those are checked by the renderer snapshot tests in the drift crate.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_aws::{Notifier, SnsNotifier};
use accessdrift_drift::notice::{Change, NoticeItem, digest};
use accessdrift_drift::{Finding, FindingKind, GrantRef, Severity};
use accessdrift_emulator::Emulator;

use crate::at;

fn finding(severity: Severity) -> Finding {
    Finding {
        id: "0123456789abcdef0123456789abcdef".into(),
        kind: FindingKind::UnexpectedAccess,
        severity,
        account: "111111111111".into(),
        resource: "arn:aws:s3:::credit-applications".into(),
        owner: Some("credit-team".into()),
        classification: Some("Confidential".into()),
        principal: Some("arn:aws:iam::111111111111:role/ci".into()),
        capability: Some(accessdrift_capabilities::Capability::ReadData),
        access: Some(accessdrift_access::Access::Allowed),
        grants: vec![GrantRef {
            policy: "resource".into(),
            statement: "CiRead".into(),
        }],
        summary: "role/ci gained read-data on s3 credit-applications".into(),
        remedy: "remove statement `CiRead` from the bucket policy".into(),
    }
}

#[tokio::test]
async fn a_digest_reaches_the_owner_and_security_by_filter_and_no_other_team() {
    let em = Emulator::start();
    let topic = aws_sdk_sns::Client::new(&em.sdk_config().await)
        .create_topic()
        .name("accessdrift-notices")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let credit = em
        .subscribe_queue(&topic, "credit-team", r#"{"owner": ["credit-team"]}"#)
        .await;
    let risk = em
        .subscribe_queue(&topic, "risk-team", r#"{"owner": ["risk-team"]}"#)
        .await;
    let security = em
        .subscribe_queue(&topic, "security", r#"{"severity": ["high", "critical"]}"#)
        .await;
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&em.sdk_config().await), &topic);

    let notice = digest(
        "credit-team",
        "111111111111",
        &[NoticeItem {
            change: Change::New,
            finding: finding(Severity::High),
        }],
    );
    let id = notifier.send(&notice).await.unwrap();
    assert!(!id.is_empty());

    let got = em.drain(&credit).await;
    assert_eq!(got.len(), 1, "the owner's subscription gets the digest");
    let envelope = &got[0];
    assert_eq!(
        envelope["MessageAttributes"]["owner"]["Value"],
        "credit-team"
    );
    assert_eq!(envelope["MessageAttributes"]["severity"]["Value"], "high");
    // The sqs variant is machine JSON listing the finding.
    let message = envelope["Message"].as_str().unwrap();
    assert!(
        message.contains("0123456789abcdef0123456789abcdef"),
        "{message}"
    );
    assert!(
        em.drain(&risk).await.is_empty(),
        "another team's filter keeps it out"
    );
    assert_eq!(
        em.drain(&security).await.len(),
        1,
        "security gets high severity"
    );

    // A low-severity digest reaches the owner but not security.
    let low = digest(
        "credit-team",
        "111111111111",
        &[NoticeItem {
            change: Change::New,
            finding: finding(Severity::Low),
        }],
    );
    notifier.send(&low).await.unwrap();
    assert_eq!(em.drain(&credit).await.len(), 1);
    assert!(em.drain(&security).await.is_empty());
}

#[tokio::test]
async fn a_sweep_on_dynamodb_and_sns_notifies_new_drift_once_and_its_resolution() {
    use accessdrift_aws::{DynamoFindingStore, create_findings_table};
    use accessdrift_controller::ports::Sinks;
    use accessdrift_controller::sweep::sweep;

    let em = Emulator::start();
    create_findings_table(
        &aws_sdk_dynamodb::Client::new(&em.sdk_config().await),
        "findings",
    )
    .await
    .unwrap();
    let store = DynamoFindingStore::new(
        aws_sdk_dynamodb::Client::new(&em.sdk_config().await),
        "findings",
    );
    let topic = aws_sdk_sns::Client::new(&em.sdk_config().await)
        .create_topic()
        .name("accessdrift-notices")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let credit = em
        .subscribe_queue(&topic, "credit-team", r#"{"owner": ["credit-team"]}"#)
        .await;
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&em.sdk_config().await), &topic);
    let found = [finding(Severity::High)];

    let r = sweep(
        Sinks::new(&store, &notifier, &()),
        "111111111111",
        &found,
        at("2026-11-24T00:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!((r.written, r.sent), (1, 1));
    assert_eq!(
        em.drain(&credit).await.len(),
        1,
        "one notice for the new drift"
    );

    let r = sweep(
        Sinks::new(&store, &notifier, &()),
        "111111111111",
        &found,
        at("2026-11-25T00:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(r.sent, 0);
    assert!(
        em.drain(&credit).await.is_empty(),
        "the same drift the next night is quiet"
    );

    let r = sweep(
        Sinks::new(&store, &notifier, &()),
        "111111111111",
        &[],
        at("2026-11-26T00:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(r.sent, 1);
    let got = em.drain(&credit).await;
    assert_eq!(got.len(), 1);
    assert!(
        got[0]["Message"].as_str().unwrap().contains("resolved"),
        "{}",
        got[0]["Message"]
    );
}
