//! The worker's handler: SQS sweep messages in (batch size 1 in `template.yaml`, but
//! any batch works), one [`accessdrift_controller::boundary::sweep_member`] per
//! message (a sweep of the account, if it is in the Organization), and
//! the messages that failed reported back so only they are retried (and, after the
//! queue's receive limit, kept in its dead-letter queue).

use accessdrift_controller::Settings;
use accessdrift_controller::boundary::{Swept, sweep_member};
use accessdrift_controller::ports::Ports;
use accessdrift_controller::ports::SweepRequest;
use accessdrift_primitives::Time;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use tracing::{error, info, warn};

/// Sweeps the account of each message at `now`.
#[tracing::instrument(name = "sweep", skip_all)]
pub async fn handle<P: Ports>(
    event: &SqsEvent,
    ports: &P,
    settings: &Settings,
    now: Time,
) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let body = record.body.as_deref().unwrap_or_default();
        let request = match SweepRequest::parse(body) {
            Ok(r) => r,
            Err(e) => {
                // Retrying cannot fix it (the same body fails the same way), so it is
                // acknowledged, not redelivered until the dead-letter queue; the
                // InvalidEventsAlarm counts this line (template.yaml).
                error!(message = %id, invalid_event = 1, error = %e, "refused");
                continue;
            }
        };
        let account = request.account.as_str();
        info!(message = %id, account, reason = ?request.reason, requested_at = %request.requested_at, "sweeping");
        match sweep_member(&request, ports, settings, now).await {
            Ok(Swept::OutsideOrganization) => {
                // A forged message, or an account that left since it was queued. Not
                // read; failed, so it ends in the dead-letter queue, whose alarm
                // tells a person (retries refuse it again without reading).
                warn!(
                    message = %id, account, reason = ?request.reason,
                    "the message names an account outside the Organization; not read"
                );
                failures.push(failure(id));
            }
            Ok(Swept::Done(sweep)) => {
                for problem in &sweep.desired_problems {
                    error!(account, problem = %problem, "desired state");
                }
                if sweep.pass.sweep.held > 0 {
                    // The HeldFindingsAlarm counts this line (template.yaml).
                    warn!(
                        account,
                        held_findings = sweep.pass.sweep.held,
                        "findings held as they were: their evidence could not be read"
                    );
                }
                info!(
                    account,
                    rows = sweep.pass.rows,
                    open_findings = sweep.pass.findings.len(),
                    written = sweep.pass.sweep.written,
                    notices = sweep.pass.sweep.sent,
                    not_evaluated = sweep.pass.problems,
                    owner_changes = sweep.pass.owner_changes.len(),
                    feed_errors = ?sweep.pass.sweep.feed_errors,
                    reread_after_events = ?sweep.reread,
                    "swept"
                );
            }
            Err(e) => {
                error!(account, error = %e, "sweep failed; the message will be retried");
                failures.push(failure(id));
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

fn failure(id: String) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = id;
    f
}
