//! `event classify`: what the detector does with a CloudTrail record, offline.
//!
//! What it is for: a security team checking its own CloudTrail records (or EventBridge
//! events) against the trigger table before trusting the detector with them: which
//! events re-evaluate what, which are ignored and why, which the table does not know.
//! It runs the same classification the event function runs
//! ([`accessdrift_triggers::classify_json`]); it reads no account. Everything in the
//! files is account text, so it is printed escaped.

use std::io::Write as _;
use std::path::PathBuf;

use accessdrift_escape::plain;
use accessdrift_triggers::{Trigger, classify_json};
use anyhow::Context as _;
use serde_json::json;

/// Classifies each file (one event per file: an EventBridge event or a bare CloudTrail
/// record; `-` reads standard input) and prints one line, or one JSON object, per file.
/// Exit status 0 when every file was classified (ignored and unknown events included),
/// 2 when a file is not an event (invalid).
pub fn classify(files: &[PathBuf], json_out: bool) -> anyhow::Result<std::process::ExitCode> {
    let mut invalid = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in files {
        let text = if file.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).context("reading standard input")?
        } else {
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
        };
        let c = classify_json(&text);
        let outcome = match &c.trigger {
            Trigger::Reevaluate(_) => "reevaluate",
            Trigger::Ignore(_) => "ignore",
            Trigger::Unknown { .. } => "unknown",
            Trigger::Invalid { .. } => {
                invalid = true;
                "invalid"
            }
        };
        if json_out {
            let line = json!({
                "file": file.display().to_string(),
                "eventSource": c.event.event_source,
                "eventName": c.event.event_name,
                "account": c.event.account,
                "region": c.event.region,
                "outcome": outcome,
                "trigger": c.trigger.to_string(),
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "{}: {} {} in {} {}: {}",
                plain(&file.display().to_string()),
                plain(&c.event.event_source),
                plain(&c.event.event_name),
                plain(&c.event.account),
                plain(&c.event.region),
                plain(&c.trigger.to_string())
            )?;
        }
    }
    Ok(if invalid {
        std::process::ExitCode::from(2)
    } else {
        std::process::ExitCode::SUCCESS
    })
}
