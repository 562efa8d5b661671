//! The planner's handler: the nightly schedule in, one sweep message per account of
//! the Organization out ([`accessdrift_controller::react::plan`]).

use accessdrift_controller::ports::{Organization, PortError, SweepQueue};
use accessdrift_controller::react::plan;
use accessdrift_primitives::Time;
use serde_json::{Value, json};
use tracing::info;

/// Plans the sweep asked for by `event` (the schedule's, or any event when invoked by
/// hand) at `now`.
#[tracing::instrument(name = "plan", skip_all)]
pub async fn handle<O: Organization, Q: SweepQueue>(
    event: &Value,
    org: &O,
    queue: &Q,
    now: Time,
) -> Result<Value, PortError> {
    let id = event.get("id").and_then(Value::as_str).unwrap_or("manual");
    let plan = plan(org, queue, now).await?;
    info!(
        event = id,
        accounts = plan.accounts,
        queued = plan.queued,
        "sweep planned"
    );
    Ok(json!({"accounts": plan.accounts, "queued": plan.queued, "requestedAt": now.to_string()}))
}
