//! Every sample CloudTrail event in `events/` classifies as `events/README.md` says.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use accessdrift_triggers::{Service, Trigger, classify_json, table::RULES};

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../events")
}

#[path = "../../../../events/manifest.rs"]
mod samples_manifest;

/// `file -> expected`: the manifest, `events/manifest.toml`.
fn manifest() -> BTreeMap<String, String> {
    samples_manifest::expected(&events_dir())
}

/// `file -> expected` from `events/README.md`'s table rows: | `file.json` | `expected` |.
fn readme_rows() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(events_dir().join("README.md")).expect("events/README.md");
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let [file, expected] = cells.as_slice() else {
                return None;
            };
            let file = file.strip_prefix('`')?.strip_suffix('`')?;
            let expected = expected.strip_prefix('`')?.strip_suffix('`')?;
            file.ends_with(".json")
                .then(|| (file.to_string(), expected.to_string()))
        })
        .collect()
}

#[test]
fn the_readme_shows_exactly_the_manifest() {
    assert_eq!(
        readme_rows(),
        manifest(),
        "events/README.md's tables and events/manifest.toml disagree: the manifest is the data, update the README from it"
    );
}

/// The sample files that are CloudTrail events (not the schedule nor sweep messages).
fn samples() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(events_dir())
        .expect("events/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with("schedule-") && !n.starts_with("sweep-"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_sample_classifies_as_the_manifest_says() {
    let manifest = manifest();
    let mut failures = Vec::new();
    for file in samples() {
        let text = std::fs::read_to_string(events_dir().join(&file)).expect("sample");
        let got = classify_json(&text).trigger.to_string();
        match manifest.get(&file) {
            Some(want) if *want == got => {}
            Some(want) => failures.push(format!("{file}: expected `{want}`, got `{got}`")),
            None => failures.push(format!(
                "{file}: not in events/README.md (classifies as `{got}`)"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_manifest_row_has_its_file() {
    let files = samples();
    for file in manifest().keys() {
        assert!(
            files.contains(file),
            "events/README.md lists `{file}`, which is not in events/"
        );
    }
}

#[test]
fn every_service_of_the_table_has_a_sample_it_acts_on() {
    let mut acted_on = BTreeMap::new();
    for file in samples() {
        let text = std::fs::read_to_string(events_dir().join(&file)).expect("sample");
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        if matches!(classify_json(&text).trigger, Trigger::Reevaluate(_)) {
            let source = value["detail"]["eventSource"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            acted_on.insert(source, file);
        }
    }
    for service in Service::ALL {
        assert!(
            acted_on.contains_key(service.event_source()),
            "no sample event of {service:?} in events/"
        );
    }
    assert!(!RULES.is_empty());
}

#[test]
fn samples_have_the_shape_eventbridge_delivers() {
    for file in samples() {
        let text = std::fs::read_to_string(events_dir().join(&file)).expect("sample");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        for key in [
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        ] {
            assert!(v.get(key).is_some(), "{file}: no `{key}`");
        }
        for key in [
            "eventVersion",
            "userIdentity",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "requestParameters",
            "responseElements",
            "requestID",
            "eventID",
            "readOnly",
            "eventType",
            "managementEvent",
            "recipientAccountId",
        ] {
            assert!(v["detail"].get(key).is_some(), "{file}: no `detail.{key}`");
        }
        assert_eq!(v["account"], v["detail"]["recipientAccountId"], "{file}");
        assert_eq!(v["region"], v["detail"]["awsRegion"], "{file}");
    }
}
