//! The `accessdrift simulate` binary as other tools call it (shared/spec/simulate.md):
//! exit codes, input forms, output order and per-case errors.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::io::Write;
use std::process::{Command, Stdio};

fn simulate(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accessdrift"))
        .arg("simulate")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the accessdrift binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const ALLOW: &str = r#"{"id": "allow", "request": {"principal": "arn:aws:iam::111111111111:user/alice", "action": "s3:GetObject",
  "resource": "arn:aws:s3:::b/k", "resourceAccount": "111111111111", "context": {}},
  "policies": {"identity": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}}]}}"#;
const DENY: &str = r#"{"id": 7, "request": {"principal": "arn:aws:iam::111111111111:user/alice", "action": "s3:PutObject",
  "resource": "arn:aws:s3:::b/k", "resourceAccount": "111111111111", "context": {}},
  "policies": {"identity": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}}]}}"#;

#[test]
fn json_array_gives_one_line_per_case_in_order() {
    let (code, out, _) = simulate(&[], &format!("[{ALLOW}, {DENY}]"));
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "allow");
    assert_eq!(lines[0]["decision"], "Allowed");
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[1]["decision"], "ImplicitlyDenied");
}

#[test]
fn json_lines_input_and_explain() {
    let input = format!(
        "{}\n\n{}\n",
        ALLOW.replace('\n', " "),
        DENY.replace('\n', " ")
    );
    let (code, out, _) = simulate(&["--explain"], &input);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["explain"]["allowedBy"][0]["policyType"],
        "identity"
    );
    assert_eq!(lines[1]["explain"]["blockedBy"], "identity");
}

#[test]
fn a_bad_case_is_an_error_line_and_the_run_goes_on() {
    let input = format!(
        "{}\nnot json at all\n{{\"request\": {{}}}}\n{}\n",
        ALLOW.replace('\n', " "),
        DENY.replace('\n', " ")
    );
    let (code, out, _) = simulate(&[], &input);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["id"], serde_json::Value::Null);
    assert!(lines[1]["error"].is_string());
    assert!(lines[2]["error"].as_str().unwrap().contains("id"));
    assert_eq!(lines[3]["decision"], "ImplicitlyDenied");
}

#[test]
fn unreadable_input_exits_2_with_a_message() {
    let (code, out, err) = simulate(&[], "this is not json\nneither is this\n");
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("JSON"), "{err}");
    let (code, _, _) = simulate(&[], "[{\"id\": 1}");
    assert_eq!(code, 2, "an unterminated array cannot be read");
}

#[test]
fn empty_input_prints_nothing_and_exits_0() {
    let (code, out, _) = simulate(&[], "");
    assert_eq!((code, out.as_str()), (0, ""));
}
