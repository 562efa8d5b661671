//! The schedule sample in `events/` through the planner's handler on in-memory ports.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop the test with its message"
)]

use std::path::Path;

use accessdrift_controller::fakes::{MemoryOrganization, MemoryQueue, block_on};
use accessdrift_controller::ports::{SweepReason, SweepRequest};

#[test]
fn the_nightly_schedule_queues_one_sweep_per_account_in_the_worker_s_format() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/schedule-nightly.json");
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let org = MemoryOrganization {
        accounts: (1..=25).map(|i| format!("{i:012}")).collect(),
        ..MemoryOrganization::default()
    };
    let queue = MemoryQueue::default();
    let summary = block_on(accessdrift_planner::handle(
        &event,
        &org,
        &queue,
        at("2026-11-24T02:00:03Z"),
    ))
    .unwrap();
    assert_eq!(summary["accounts"], 25);
    assert_eq!(summary["queued"], 25);
    let requests = queue.requests();
    assert_eq!(requests.len(), 25);
    for r in &requests {
        assert_eq!(r.reason, SweepReason::Nightly);
        assert_eq!(SweepRequest::parse(&r.to_json()).unwrap(), *r);
    }
    let failing = MemoryQueue {
        fail: true,
        ..MemoryQueue::default()
    };
    let e = block_on(accessdrift_planner::handle(
        &event,
        &org,
        &failing,
        at("2026-01-01T00:00:00Z"),
    ))
    .unwrap_err();
    assert!(e.to_string().contains("sweep queue"), "{e}");
}

fn at(text: &str) -> accessdrift_primitives::Time {
    accessdrift_primitives::Time::parse(text).unwrap()
}
