//! The end-to-end tests, one module each: the loop and the sensor on the emulator, faults
//! on the real SDK clients, the real-data regression suite, the SAM template. One test
//! binary, not one per file: each binary links the whole AWS SDK, which cost minutes of
//! linking and gigabytes of `target/` (issue 12).

mod faults_on_emulator;
mod loop_on_emulator;
mod managed_policies;
mod sensor_on_emulator;
mod template;

/// A time written in a test (RFC 3339).
#[expect(
    clippy::unwrap_used,
    reason = "test code: a bad literal should stop loudly"
)]
fn at(text: &str) -> accessdrift_primitives::Time {
    accessdrift_primitives::Time::parse(text).unwrap()
}
