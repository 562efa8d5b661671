//! The finding feeds against the AWS emulator: a sweep's state changes reach an
//! EventBridge bus (read back through a rule with an SQS target, as automation would
//! consume them) and Security Hub (read back with `GetFindings`).
//!
//! Emulator gap (see ../shared/reference/emulator.md): EventBridge rules with Lambda or
//! SNS targets make `PutEvents` fail in moto, so the rule here targets SQS only.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_aws::{EventBridgeFeed, FindingFeed, SecurityHubFeed};
use accessdrift_drift::lifecycle::reconcile;
use accessdrift_drift::notice::Change;
use accessdrift_drift::{Finding, FindingKind, Severity};
use accessdrift_emulator::Emulator;

use crate::at;

fn finding(id: &str, severity: Severity) -> Finding {
    Finding {
        id: id.into(),
        kind: FindingKind::UnexpectedAccess,
        severity,
        account: "123456789012".into(),
        resource: "arn:aws:s3:::credit-applications".into(),
        owner: Some("credit-team".into()),
        classification: Some("Confidential".into()),
        principal: Some("arn:aws:iam::123456789012:role/cust-service".into()),
        capability: Some(accessdrift_capabilities::Capability::ReadData),
        access: Some(accessdrift_access::Access::Allowed),
        grants: vec![],
        summary: format!("{id}: role/cust-service gained read-data"),
        remedy: "remove statement `Support`".into(),
    }
}

#[tokio::test]
async fn each_state_change_is_one_event_on_the_bus_matching_a_rule_on_detail_fields() {
    let em = Emulator::start();
    let config = em.sdk_config().await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    events
        .create_event_bus()
        .name("accessdrift-findings")
        .send()
        .await
        .unwrap();
    let queue = em.create_queue("automation").await;
    let queue_arn = "arn:aws:sqs:us-east-1:123456789012:automation";
    // Automation that only cares about high or critical new drift.
    events
        .put_rule()
        .name("high-drift")
        .event_bus_name("accessdrift-findings")
        .event_pattern(
            r#"{"source":["accessdrift"],"detail":{"severity":["high","critical"],"change":["new"]}}"#,
        )
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("high-drift")
        .event_bus_name("accessdrift-findings")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let records = reconcile(
        &[],
        &(0..12)
            .map(|i| {
                finding(
                    &format!("f{i:02}"),
                    if i % 2 == 0 {
                        Severity::High
                    } else {
                        Severity::Low
                    },
                )
            })
            .collect::<Vec<_>>(),
        at("2026-11-24T00:00:00Z"),
    )
    .writes;
    let changes: Vec<_> = records.into_iter().map(|r| (r, Change::New)).collect();
    let feed = EventBridgeFeed::new(events, "accessdrift-findings");
    assert_eq!(
        feed.publish(&changes).await.unwrap(),
        12,
        "two PutEvents calls of at most 10"
    );

    let mut got = Vec::new();
    for _ in 0..5 {
        let out = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for m in out.messages() {
            let event: serde_json::Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(event["detail-type"], "Access drift finding state change");
            assert_eq!(event["resources"][0], "arn:aws:s3:::credit-applications");
            got.push(event["detail"]["id"].as_str().unwrap().to_string());
        }
        if got.len() >= 6 {
            break;
        }
    }
    got.sort();
    assert_eq!(
        got,
        ["f00", "f02", "f04", "f06", "f08", "f10"],
        "only the rule's events"
    );
}

#[tokio::test]
async fn state_changes_become_security_hub_findings_in_batches_of_100() {
    let em = Emulator::start();
    let hub = aws_sdk_securityhub::Client::new(&em.sdk_config().await);
    hub.enable_security_hub().send().await.unwrap();

    let found: Vec<Finding> = (0..150)
        .map(|i| finding(&format!("f{i:03}"), Severity::High))
        .collect();
    let records = reconcile(&[], &found, at("2026-11-24T00:00:00Z")).writes;
    let changes: Vec<_> = records.into_iter().map(|r| (r, Change::New)).collect();
    let feed = SecurityHubFeed::new(
        hub.clone(),
        "123456789012",
        "us-east-1",
        at("2026-11-24T00:00:00Z"),
    );
    assert_eq!(feed.publish(&changes).await.unwrap(), 150);

    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let page = hub
            .get_findings()
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for f in page.findings() {
            assert_eq!(
                f.severity().and_then(|s| s.label()).map(|l| l.as_str()),
                Some("HIGH")
            );
            ids.push(f.id().unwrap().to_string());
        }
        token = page
            .next_token()
            .map(str::to_string)
            .filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 150);
    assert_eq!(ids[0], "accessdrift/f000");
}
