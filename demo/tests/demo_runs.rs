//! `make demo` as a newcomer runs it: the binary tells the whole story, shows the
//! drift notice and the resolved notice as delivered by the emulator, and leaves no
//! emulator running.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop the test with its message"
)]

#[test]
fn the_demo_shows_the_drift_notice_then_the_resolved_notice_and_exits_cleanly() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_accessdrift-demo"))
        .output()
        .expect("run the demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let drift = stdout
        .find("NEW (1)")
        .unwrap_or_else(|| panic!("no drift notice:\n{stdout}"));
    let resolved = stdout
        .find("RESOLVED (1)")
        .unwrap_or_else(|| panic!("no resolved notice:\n{stdout}"));
    assert!(drift < resolved);
    for expected in [
        "[8/8]",
        "email to credit-team",
        "Slack (AWS Chatbot)",
        "role/cust-service gained read-data",
        "SupportReadsApplications",
        "open      high",
        "resolved  high",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
}
