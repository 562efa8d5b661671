//! Every CloudTrail sample in `events/` through the event handler, on in-memory
//! ports: the trigger it reports is the manifest's (`events/README.md`), and what it
//! did matches the trigger (a pass over the re-read parts, queued sweeps, or nothing).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop the test with its message"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accessdrift_controller::Settings;
use accessdrift_controller::fakes::{MemoryDesired, MemoryOrganization, MemoryPorts, block_on};
use accessdrift_controller::ports::SweepReason;
use accessdrift_desired::parse_desired;
use serde_json::Value;

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

#[path = "../../../events/manifest.rs"]
mod samples_manifest;

/// `file -> expected`: the manifest, `events/manifest.toml`.
fn manifest() -> BTreeMap<String, String> {
    samples_manifest::expected(&events_dir())
}

/// The member account 222222222222 of the samples, swept before: the example
/// account moved there.
fn ports() -> MemoryPorts {
    let account = include_str!("../../../examples/credit-account.json")
        .replace("111111111111", "222222222222");
    let mut org = MemoryOrganization {
        accounts: vec!["111111111111".into(), "222222222222".into()],
        ..MemoryOrganization::default()
    };
    org.under
        .insert("ou-ab12-11111111".into(), vec!["222222222222".into()]);
    org.attachments
        .insert("p-examplescp1".into(), vec!["ou-ab12-11111111".into()]);
    let ports = MemoryPorts {
        desired: MemoryDesired::new(
            parse_desired(
                include_str!("../../../examples/desired-state.yaml"),
                "desired.yaml",
            )
            .unwrap(),
        ),
        org,
        ..MemoryPorts::default()
    };
    ports.accounts.set("222222222222", &account);
    ports.snapshots.put("222222222222", &account);
    ports
}

#[test]
fn every_cloudtrail_sample_goes_through_the_handler_as_the_manifest_says() {
    let manifest = manifest();
    let settings = Settings::default();
    let mut seen = 0;
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") || name.starts_with("schedule-") || name.starts_with("sweep-") {
            continue;
        }
        seen += 1;
        let expected = manifest
            .get(&name)
            .unwrap_or_else(|| panic!("{name} is not in events/README.md"));
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let ports = ports();
        let summary = block_on(accessdrift_event::handle(
            &event,
            &ports,
            &settings,
            at("2026-11-24T10:00:00Z"),
        ))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(summary["trigger"], expected.as_str(), "{name}");
        let refreshed = ports.accounts.refreshed();
        let queued = ports.queue.requests();
        match expected.split(' ').next().unwrap() {
            "ignore" => {
                assert_eq!(summary["outcome"], "ignored", "{name}");
                assert!(refreshed.is_empty() && queued.is_empty(), "{name}");
            }
            "unknown" => {
                assert_eq!(summary["outcome"], "unknown", "{name}");
                assert!(refreshed.is_empty() && queued.is_empty(), "{name}");
            }
            "accounts" | "org-policy" => {
                assert_eq!(summary["outcome"], "reevaluated", "{name}");
                assert!(refreshed.is_empty(), "{name}: nothing patched");
                assert_eq!(
                    queued
                        .iter()
                        .map(|r| r.account.as_str())
                        .collect::<Vec<_>>(),
                    ["222222222222"],
                    "{name}"
                );
                assert!(queued.iter().all(|r| r.reason == SweepReason::Event));
            }
            _ => {
                // Resource, principal, group or managed policy of 222222222222: one
                // pass over the patched snapshot, no whole-account read.
                assert_eq!(summary["outcome"], "reevaluated", "{name}");
                assert_eq!(refreshed.len(), 1, "{name}: {refreshed:?}");
                assert_eq!(refreshed[0].0, "222222222222", "{name}");
                assert!(queued.is_empty(), "{name}");
                assert!(ports.accounts.reads().is_empty(), "{name}");
                assert_eq!(summary["passes"][0]["account"], "222222222222", "{name}");
                let parts = summary["passes"][0]["refreshed"].to_string();
                let named = expected.split(' ').nth(1).unwrap();
                let kind = expected.split(' ').next().unwrap();
                if kind == "group" || kind == "managed-policy" {
                    assert_eq!(parts, "[\"iam\"]", "{name}");
                } else {
                    assert!(parts.contains(named), "{name}: {parts}");
                }
            }
        }
    }
    assert_eq!(
        seen,
        manifest.len(),
        "every manifest row has its file and was run"
    );
}

#[test]
fn a_sample_delivered_twice_sends_its_notices_once() {
    let ports = ports();
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("s3-put-bucket-policy.json")).unwrap(),
    )
    .unwrap();
    let settings = Settings::default();
    let first = block_on(accessdrift_event::handle(
        &event,
        &ports,
        &settings,
        at("2026-01-01T01:00:00Z"),
    ))
    .unwrap();
    let sent = ports.notifier.sent.lock().unwrap().len();
    assert_eq!(first["passes"][0]["notices"], sent);
    let second = block_on(accessdrift_event::handle(
        &event,
        &ports,
        &settings,
        at("2026-01-01T02:00:00Z"),
    ))
    .unwrap();
    assert_eq!(second["passes"][0]["notices"], 0);
    assert_eq!(ports.notifier.sent.lock().unwrap().len(), sent);
}

/// Issue 11: what retrying cannot fix is acknowledged (outcome `invalid`, logged for the
/// alarm), not failed for Lambda to retry three times; what it can fix still fails.
#[test]
fn an_invalid_event_is_acknowledged_and_a_failing_port_fails_for_a_retry_unless_it_lasts() {
    let text = std::fs::read_to_string(events_dir().join("s3-put-bucket-policy.json")).unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    // A PutBucketPolicy that names no bucket: the table knows it, nothing can act on it.
    event["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("bucketName");
    event["detail"]["resources"] = Value::Array(Vec::new());
    event["resources"] = Value::Array(Vec::new());
    let ports = ports();
    let summary = block_on(accessdrift_event::handle(
        &event,
        &ports,
        &Settings::default(),
        at("2026-01-01T01:00:00Z"),
    ))
    .expect("acknowledged, not failed");
    assert_eq!(summary["outcome"], "invalid", "{summary}");
    assert!(ports.accounts.refreshed().is_empty());

    // The same event whole, but the account's reader is gone: a port failure, retried.
    let event: Value = serde_json::from_str(&text).unwrap();
    let broken = ports_without_reader();
    let r = block_on(accessdrift_event::handle(
        &event,
        &broken,
        &Settings::default(),
        at("2026-01-01T02:00:00Z"),
    ));
    let e = r.expect_err("a failing reader fails the invocation");
    assert!(e.is_retryable(), "{e}");

    // The reader is refused (its role lacks permissions): redelivering changes
    // nothing, so the event is acknowledged as failed, for the alarm.
    let denied = crate::ports();
    denied.accounts.deny();
    let summary = block_on(accessdrift_event::handle(
        &event,
        &denied,
        &Settings::default(),
        at("2026-01-01T03:00:00Z"),
    ))
    .expect("acknowledged, not failed");
    assert_eq!(summary["outcome"], "failed", "{summary}");
    assert!(
        summary["error"].as_str().unwrap().contains("AccessDenied"),
        "{summary}"
    );
}

/// The sample account stored, but the reader knows no account: every refresh fails.
fn ports_without_reader() -> MemoryPorts {
    let p = ports();
    MemoryPorts {
        accounts: Default::default(),
        ..p
    }
}

/// Issue 11: a grant created in a member account on a key of an account outside the
/// Organization. That account was never swept, so it used to be queued for a whole
/// sweep (and its read role, which it can create itself, assumed). It is neither
/// re-read nor queued, and the summary names it.
#[test]
fn a_grant_on_a_key_outside_the_organization_reads_and_queues_nothing() {
    let ports = ports();
    let outside = "999999999999";
    ports.accounts.set(
        outside,
        &include_str!("../../../examples/credit-account.json").replace("111111111111", outside),
    );
    let text = std::fs::read_to_string(events_dir().join("kms-create-grant.json"))
        .unwrap()
        .replace(
            "kms:eu-west-1:222222222222:key",
            &format!("kms:eu-west-1:{outside}:key"),
        );
    let event: Value = serde_json::from_str(&text).unwrap();
    let summary = block_on(accessdrift_event::handle(
        &event,
        &ports,
        &Settings::default(),
        at("2026-11-24T10:00:00Z"),
    ))
    .unwrap();
    assert_eq!(
        summary["outsideOrganization"],
        serde_json::json!([outside]),
        "{summary}"
    );
    assert_eq!(summary["queuedSweeps"], serde_json::json!([]), "{summary}");
    assert!(ports.queue.requests().is_empty());
    assert!(ports.accounts.refreshed().is_empty());
    assert!(ports.accounts.reads().is_empty());
    assert!(ports.snapshots.get(outside).is_none());
}

fn at(text: &str) -> accessdrift_primitives::Time {
    accessdrift_primitives::Time::parse(text).unwrap()
}
