//! The sweep messages in `events/` through the worker's handler on in-memory ports,
//! and the partial-batch failure report for the messages that cannot be swept.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop the test with its message"
)]

use std::path::{Path, PathBuf};

use accessdrift_controller::Settings;
use accessdrift_controller::fakes::{MemoryDesired, MemoryOrganization, MemoryPorts, block_on};
use accessdrift_desired::parse_desired;
use aws_lambda_events::event::sqs::SqsEvent;

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

fn ports() -> MemoryPorts {
    let ports = MemoryPorts {
        // 444444444444 is a member whose read fails (its read role is missing).
        org: MemoryOrganization {
            accounts: vec!["222222222222".into(), "444444444444".into()],
            ..MemoryOrganization::default()
        },
        desired: MemoryDesired::new(
            parse_desired(
                include_str!("../../../examples/desired-state.yaml"),
                "desired.yaml",
            )
            .unwrap(),
        ),
        ..MemoryPorts::default()
    };
    let account = include_str!("../../../examples/credit-account.json")
        .replace("111111111111", "222222222222");
    ports.accounts.set("222222222222", &account);
    ports
}

fn sample(name: &str) -> SqsEvent {
    serde_json::from_str(&std::fs::read_to_string(events_dir().join(name)).unwrap()).unwrap()
}

#[test]
fn every_sweep_sample_sweeps_its_account_and_keeps_the_snapshot() {
    let mut seen = 0;
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !(name.starts_with("sweep-message-") && name.ends_with(".json")) {
            continue;
        }
        seen += 1;
        let ports = ports();
        let response = block_on(accessdrift_worker::handle(
            &sample(&name),
            &ports,
            &Settings::default(),
            at("2026-11-24T02:00:05Z"),
        ));
        assert!(response.batch_item_failures.is_empty(), "{name}");
        assert_eq!(ports.accounts.reads(), ["222222222222"], "{name}");
        assert!(ports.snapshots.get("222222222222").is_some(), "{name}");
        assert!(
            !ports.store.items.lock().unwrap().is_empty(),
            "{name}: the example account has drift, so findings are stored"
        );
    }
    assert_eq!(seen, 2);
}

#[test]
fn a_bad_message_is_acknowledged_and_an_unreadable_account_is_a_batch_item_failure() {
    let mut event = sample("sweep-message-nightly.json");
    let mut bad = event.records[0].clone();
    bad.message_id = Some("bad".into());
    bad.body = Some("{\"account\":\"nope\"}".into());
    let mut unknown = event.records[0].clone();
    unknown.message_id = Some("unknown-account".into());
    unknown.body =
        Some("{\"account\":\"444444444444\",\"reason\":\"nightly\",\"requested_at\":\"t\"}".into());
    event.records.push(bad);
    event.records.push(unknown);
    let ports = ports();
    let response = block_on(accessdrift_worker::handle(
        &event,
        &ports,
        &Settings::default(),
        at("2026-01-01T00:00:00Z"),
    ));
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    // A body that cannot be read is refused once (logged for the InvalidEventsAlarm),
    // not redelivered until the dead-letter queue: retrying cannot fix it.
    assert_eq!(failed, ["unknown-account"]);
    assert!(
        ports.snapshots.get("222222222222").is_some(),
        "the good message in the batch was still swept"
    );
}

/// Issue 11: anyone who can send to the sweep queue can name any account; one outside
/// the Organization (here answering as a copy of the example, as an account that
/// created the read role would) is never read, and the message fails (to the
/// dead-letter queue and its alarm) instead of being swept.
#[test]
fn a_forged_message_for_an_account_outside_the_organization_is_refused_unread() {
    let ports = ports();
    let outside = "999999999999";
    ports.accounts.set(
        outside,
        &include_str!("../../../examples/credit-account.json").replace("111111111111", outside),
    );
    let mut event = sample("sweep-message-event.json");
    event.records.truncate(1);
    event.records[0].message_id = Some("forged".into());
    event.records[0].body = Some(format!(
        "{{\"account\":\"{outside}\",\"reason\":\"event\",\"requested_at\":\"2026-11-24T10:00:00Z\"}}"
    ));
    let response = block_on(accessdrift_worker::handle(
        &event,
        &ports,
        &Settings::default(),
        at("2026-11-24T10:00:05Z"),
    ));
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["forged"]);
    assert!(ports.accounts.reads().is_empty(), "never read");
    assert!(ports.snapshots.get(outside).is_none());
    assert!(ports.store.items.lock().unwrap().is_empty());
    assert!(ports.notifier.sent.lock().unwrap().is_empty());
}

fn at(text: &str) -> accessdrift_primitives::Time {
    accessdrift_primitives::Time::parse(text).unwrap()
}
