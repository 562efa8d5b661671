//! The AWS adapters against the AWS emulator (moto server, started by each test on
//! 127.0.0.1), one module per adapter. One test binary for the crate, not one per file:
//! each binary links the whole AWS SDK, which cost minutes of linking and gigabytes of
//! `target/` (issue 12).

mod desired_table;
mod finding_feeds;
mod findings_table;
mod notices_topic;
mod organizations;
mod port_errors;
mod snapshot_bucket;

/// A time written in a test (RFC 3339).
#[expect(
    clippy::unwrap_used,
    reason = "test code: a bad literal should stop loudly"
)]
fn at(text: &str) -> accessdrift_primitives::Time {
    accessdrift_primitives::Time::parse(text).unwrap()
}
