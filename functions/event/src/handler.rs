//! The event function's handler: an EventBridge event (a CloudTrail API call) in, one
//! call to [`accessdrift_controller::react::react`], a JSON summary out (also logged).
//!
//! Unknown events and calls that change nothing are acknowledged. A failure that a
//! retry can fix (AWS throttling, 5xx, timeouts, a contended snapshot) fails the
//! invocation, so Lambda retries it and then keeps it in the dead-letter queue. One it
//! cannot is acknowledged and logged as an error with `invalid_event`, which the
//! `InvalidEventsAlarm` counts, rather than retried three times for the same answer:
//! outcome `invalid` for an event the table knows but that lacks what is needed,
//! `failed` for a port failure that lasts (an AccessDenied, a missing table: the
//! deployment's to fix; the nightly sweep reads the account again).

use accessdrift_controller::Settings;
use accessdrift_controller::ports::Ports;
use accessdrift_controller::react::{ReactError, Reaction, react};
use accessdrift_primitives::Time;
use accessdrift_triggers::classify;
use serde_json::{Value, json};
use tracing::{error, info, warn};

/// Handles one event at `now`.
#[tracing::instrument(name = "event", skip_all)]
pub async fn handle<P: Ports>(
    event: &Value,
    ports: &P,
    settings: &Settings,
    now: Time,
) -> Result<Value, ReactError> {
    let classified = classify(event);
    let e = &classified.event;
    info!(
        id = %e.id, source = %e.event_source, name = %e.event_name,
        account = %e.account, region = %e.region, trigger = %classified.trigger,
        "event classified"
    );
    let outcome = match react(&classified, ports, settings, now).await {
        Ok(reaction) => Ok(reaction),
        Err(err) if !err.is_retryable() => {
            // The InvalidEventsAlarm counts this line (template.yaml).
            error!(
                id = %e.id, invalid_event = 1, error = %err,
                "event acknowledged without effect: retrying cannot fix it"
            );
            // An event that lacks what is needed is invalid; a port failure that lasts
            // (AccessDenied, a missing table) is the deployment's, not the event's.
            let outcome = match err {
                ReactError::Invalid { .. } | ReactError::Snapshot { .. } => "invalid",
                _ => "failed",
            };
            Err((outcome, err.to_string()))
        }
        Err(err) => return Err(err),
    };
    let summary = match &outcome {
        Err((outcome, error)) => json!({"outcome": outcome, "error": error}),
        Ok(Reaction::Ignored(reason)) => {
            info!(reason = %reason, "ignored");
            json!({"outcome": "ignored", "reason": reason.to_string()})
        }
        Ok(Reaction::Unknown { source, event_name }) => {
            warn!(
                source,
                event_name, "not an event accessdrift knows; acknowledged"
            );
            json!({"outcome": "unknown", "source": source, "eventName": event_name})
        }
        Ok(Reaction::Done(work)) => {
            let passes: Vec<Value> = work
                .passes
                .iter()
                .map(|p| {
                    let parts: Vec<String> = p.parts.iter().map(ToString::to_string).collect();
                    // How fresh each part is: the refreshed parts as of now, the rest
                    // as of the account's last sweep.
                    info!(
                        account = %p.account, refreshed = ?parts, now = %now,
                        rest_collected_at = p.rest_collected_at.as_deref().unwrap_or("unknown"),
                        scoped = p.scoped, findings = p.report.findings.len(), written = p.report.sweep.written,
                        notices = p.report.sweep.sent, "pass done"
                    );
                    if p.report.sweep.held > 0 {
                        // The HeldFindingsAlarm counts this line (template.yaml).
                        warn!(
                            account = %p.account, held_findings = p.report.sweep.held,
                            "findings held as they were: their evidence could not be read"
                        );
                    }
                    json!({
                        "account": p.account,
                        "refreshed": parts,
                        "refreshedAt": now.to_string(),
                        "restCollectedAt": p.rest_collected_at,
                        "scope": if p.scoped { "resources re-read" } else { "whole account" },
                        "openFindings": p.report.findings.len(),
                        "written": p.report.sweep.written,
                        "notices": p.report.sweep.sent,
                        "noticesPending": p.report.sweep.pending_owners,
                        "heldFindings": p.report.sweep.held,
                    })
                })
                .collect();
            let queued: Vec<&str> = work.queued.iter().map(|r| r.account.as_str()).collect();
            if !queued.is_empty() {
                info!(accounts = ?queued, "whole-account sweeps queued");
            }
            for account in &work.outside {
                warn!(
                    account, event_name = %e.event_name, event_id = %e.id,
                    "the event names an account outside the Organization; not read"
                );
            }
            json!({
                "outcome": "reevaluated", "passes": passes, "queuedSweeps": queued,
                "outsideOrganization": work.outside,
            })
        }
    };
    let mut summary = summary;
    if let Value::Object(m) = &mut summary {
        m.insert("eventId".into(), json!(e.id));
        m.insert("eventName".into(), json!(e.event_name));
        m.insert("trigger".into(), json!(classified.trigger.to_string()));
    }
    Ok(summary)
}
