//! The event function's work (its handler is `classify` then [`react`], timed here)
//! for one resource-policy change in an account of 1,000
//! roles and 2,000 resources (the synthetic account of `accessdrift_access::synthetic`),
//! on in-memory ports, so AWS latency is excluded: classify, patch, effective access of
//! the changed bucket for every principal (the pass is scoped to it), drift against a
//! desired state that matches it, reconcile that bucket's findings. Also a whole sweep
//! of the same account (the worker, collection excluded), and the sweep's check for
//! parts re-read by events meanwhile.
//!
//! `cargo bench -p accessdrift-controller` (or `make bench`).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    missing_docs,
    reason = "benchmark code"
)]

use accessdrift_access::synthetic::{SyntheticSpec, generate};
use accessdrift_controller::fakes::{MemoryDesired, MemoryPorts, block_on};
use accessdrift_controller::react::{Reaction, react};
use accessdrift_controller::{Settings, baseline, sweep_account};
use accessdrift_desired::BaselineSelect;
use accessdrift_primitives::Time;
use accessdrift_snapshot::read_snapshot;
use accessdrift_triggers::classify;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

const ACCOUNT: &str = "111111111111";

fn ports() -> MemoryPorts {
    let doc = generate(&SyntheticSpec {
        roles: 1000,
        resources: 2000,
        seed: 7,
    })
    .to_string();
    let snapshot = read_snapshot(&doc).unwrap();
    let desired = baseline(&snapshot, &BaselineSelect::default(), &Settings::default());
    let ports = MemoryPorts {
        desired: MemoryDesired::new(desired),
        ..MemoryPorts::default()
    };
    ports.accounts.set(ACCOUNT, &doc);
    ports.snapshots.put(ACCOUNT, &doc);
    ports
}

fn bucket_policy_event() -> serde_json::Value {
    json!({
        "version": "0", "id": "bench", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3", "account": ACCOUNT, "region": "us-east-1",
        "detail": {"eventVersion": "1.09", "eventSource": "s3.amazonaws.com",
            "eventName": "PutBucketPolicy", "awsRegion": "us-east-1",
            "recipientAccountId": ACCOUNT, "readOnly": false,
            "requestParameters": {"bucketName": "bucket-00001"}}
    })
}

fn bench(c: &mut Criterion) {
    let ports = ports();
    let settings = Settings::default();
    let event = bucket_policy_event();
    // The first pass stores the findings (there are none: the desired state is the
    // account's own baseline); the measured ones are the steady state.
    let handle = |now: Time| block_on(react(&classify(&event), &ports, &settings, now)).unwrap();
    let first = handle(at("2026-01-01T00:00:00Z"));
    let Reaction::Done(work) = first else {
        panic!("{first:?}")
    };
    assert_eq!(work.passes.len(), 1);
    // A resource-policy change re-evaluates that resource for every principal only.
    assert!(work.passes[0].scoped, "{:?}", work.passes[0].parts);
    assert!(work.passes[0].report.rows > 0, "the bucket has access rows");
    let mut group = c.benchmark_group("1000 roles, 2000 resources");
    group.sample_size(10);
    let (event_time, sweep_time) = (at("2026-01-01T01:00:00Z"), at("2026-01-01T02:00:00Z"));
    group.bench_function("event: one bucket-policy change", |b| {
        b.iter(|| handle(event_time))
    });
    group.bench_function("worker: sweep of the account (collection excluded)", |b| {
        b.iter(|| block_on(sweep_account(ACCOUNT, &ports, &settings, sweep_time)).unwrap())
    });
    // The check a sweep adds before its pass (`newer`): which parts of the stored
    // snapshot an event re-read while the sweep was reading. It parses the stored
    // snapshot's stamps once; the synthetic account has none, so nothing is re-read.
    let stored = ports.snapshots.get(ACCOUNT).unwrap();
    group.bench_function("worker: parts re-read by events meanwhile (newer)", |b| {
        b.iter(|| accessdrift_controller::newer::parts_newer_than(&stored, "2026-11-24T02:00:00Z"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

fn at(text: &str) -> Time {
    Time::parse(text).unwrap()
}
