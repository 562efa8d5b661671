//! `accessdrift event classify` through the binary, on the sample events: the same
//! verdict the event function's trigger table gives (`events/README.md`'s manifest).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

#[path = "../../../events/manifest.rs"]
mod samples_manifest;

/// `file -> expected`: the manifest, `events/manifest.toml`.
fn manifest() -> Vec<(String, String)> {
    samples_manifest::expected(&events_dir())
        .into_iter()
        .collect()
}

#[test]
fn classify_gives_every_sample_the_manifest_s_verdict() {
    let manifest = manifest();
    assert!(manifest.len() > 40, "{}", manifest.len());
    let files: Vec<PathBuf> = manifest.iter().map(|(f, _)| events_dir().join(f)).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_accessdrift"))
        .args(["event", "classify", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), manifest.len());
    for (line, (file, expected)) in lines.iter().zip(&manifest) {
        assert_eq!(line["trigger"], expected.as_str(), "{file}");
    }
}

#[test]
fn classify_prints_one_escaped_line_and_exits_2_on_what_is_not_an_event() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("event-classify");
    std::fs::create_dir_all(&dir).unwrap();
    let hostile = dir.join("hostile.json");
    // An unknown event whose name carries a terminal escape and a newline.
    std::fs::write(
        &hostile,
        r#"{"eventVersion":"1.10","eventSource":"ec2.amazonaws.com","eventName":"Run\u001b[2J\nFix: x","awsRegion":"eu-west-1","recipientAccountId":"222222222222","readOnly":false}"#,
    )
    .unwrap();
    let not_event = dir.join("not-event.json");
    std::fs::write(&not_event, "[1, 2]").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_accessdrift"))
        .args(["event", "classify"])
        .arg(events_dir().join("s3-put-bucket-policy.json"))
        .arg(&hostile)
        .arg(&not_event)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(
        text.contains(
            "PutBucketPolicy in 222222222222 eu-west-1: resource arn:aws:s3:::credit-exports"
        ),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains("unknown ec2.amazonaws.com"), "{text}");
    assert!(text.contains("invalid"), "{text}");
}
