//! `accessdrift access`, `explain` and `score` as a user runs them.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_accessdrift"))
}

fn write_snapshot(name: &str, doc: &serde_json::Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("accessdrift-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

fn small_account() -> serde_json::Value {
    serde_json::json!({
        "accountId": "111111111111",
        "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [
            {"Path": "/", "RoleName": "ci", "RoleId": "AROACI", "Arn": "arn:aws:iam::111111111111:role/ci",
             "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22codebuild.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
             "RolePolicyList": [{"PolicyName": "Deploy", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "Write", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::credit-applications/*"}]}}],
             "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": "credit"}]}]},
        "resources": [{"arn": "arn:aws:s3:::credit-applications", "type": "AWS::S3::Bucket", "policy": null,
                       "tags": {"owner": "credit-team", "classification": "Confidential"}}]
    })
}

#[test]
fn access_prints_sorted_jsonl_rows_with_grants() {
    let path = write_snapshot("small.json", &small_account());
    let out = bin()
        .args(["access", "--snapshot"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ci: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| {
            r["principal"] == "arn:aws:iam::111111111111:role/ci"
                && r["resource"] == "arn:aws:s3:::credit-applications"
        })
        .collect();
    let caps: Vec<&str> = ci
        .iter()
        .map(|r| r["capability"].as_str().unwrap())
        .collect();
    assert_eq!(caps, ["read-data", "write-data"]);
    assert_eq!(ci[1]["actions"], serde_json::json!(["s3:PutObject"]));
    assert_eq!(ci[1]["grants"][0]["policy"], "inline:ci/Deploy");
    assert_eq!(ci[1]["grants"][0]["statement"], "Write");
    // The service in the (URL-encoded) trust policy can use the role.
    assert!(
        rows.iter()
            .any(|r| r["principal"] == "codebuild.amazonaws.com"
                && r["capability"] == "use-resource")
    );
    let keys: Vec<(String, String, String)> = rows
        .iter()
        .filter(|r| r.get("error").is_none())
        .map(|r| {
            (
                r["resource"].to_string(),
                r["principal"].to_string(),
                r["capability"].to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn csv_has_the_documented_header() {
    let path = write_snapshot("small-csv.json", &small_account());
    let out = bin()
        .args(["access", "--format", "csv", "--snapshot"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("resource,principal,capability,access,actions,keys")
    );
    // The last field is the key scope, empty when the row holds for every key.
    assert!(text.contains("arn:aws:s3:::credit-applications,arn:aws:iam::111111111111:role/ci,write-data,Allowed,s3:PutObject,\n"), "{text}");
}

#[test]
fn explain_names_the_granting_statement_and_what_blocks_the_rest() {
    let path = write_snapshot("small-explain.json", &small_account());
    let out = bin()
        .args([
            "explain",
            "--capability",
            "delete-data",
            "--principal",
            "arn:aws:iam::111111111111:role/ci",
            "--resource",
            "arn:aws:s3:::credit-applications",
            "--snapshot",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("delete-data: denied"), "{text}");
    assert!(
        text.contains("s3:DeleteObject") && text.contains("not allowed"),
        "{text}"
    );
    let out = bin()
        .args([
            "explain",
            "--json",
            "--capability",
            "write-data",
            "--principal",
            "arn:aws:iam::111111111111:role/ci",
            "--resource",
            "arn:aws:s3:::credit-applications",
            "--snapshot",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let put = v["capabilities"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "s3:PutObject")
        .unwrap()
        .clone();
    assert_eq!(put["decision"], "Allowed");
    assert_eq!(put["grants"][0]["statement"], "Write");
}

#[test]
fn explain_rejects_an_unknown_capability_with_the_valid_words() {
    let path = write_snapshot("small-bad.json", &small_account());
    let out = bin()
        .args([
            "explain",
            "--capability",
            "read-everything",
            "--principal",
            "x",
            "--resource",
            "y",
            "--snapshot",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown capability") && err.contains("read-data"),
        "{err}"
    );
}

#[test]
fn score_ranks_by_points_with_the_documented_formula() {
    let path = write_snapshot("small-score.json", &small_account());
    let out = bin()
        .args(["score", "--format", "jsonl", "--snapshot"])
        .arg(&path)
        .output()
        .unwrap();
    let scores: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ci = scores
        .iter()
        .find(|s| s["principal"] == "arn:aws:iam::111111111111:role/ci")
        .unwrap();
    // read-data and write-data on a Confidential bucket: 2 x 3 x 2 = 12 points each.
    assert_eq!(ci["score"], 24.0);
}

#[test]
fn a_bare_authorization_details_file_reads_with_an_account_id() {
    let gaad = small_account()["authorizationDetails"].clone();
    let path = write_snapshot("gaad.json", &gaad);
    let out = bin()
        .args(["access", "--account-id", "111111111111", "--snapshot"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("\"resource\":\"arn:aws:iam::111111111111:role/ci\""),
        "{text}"
    );
}

#[test]
fn a_missing_snapshot_file_says_which_file() {
    let out = bin()
        .args(["access", "--snapshot", "/nonexistent/account.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("/nonexistent/account.json")
    );
}

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

#[test]
fn desired_validate_accepts_the_example_and_lists_every_error_of_a_bad_file() {
    let out = bin()
        .args(["desired", "validate"])
        .arg(examples().join("desired-state.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = std::env::temp_dir().join(format!("accessdrift-bad-{}.yaml", std::process::id()));
    std::fs::write(
        &bad,
        "version: 1\nresources:\n  - arn: not-an-arn\n    capabilities:\n      read-everything: [arn:aws:iam::111111111111:role/x]\n",
    )
    .unwrap();
    let out = bin()
        .args(["desired", "validate"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(":3:") && err.contains(":5:"),
        "both errors with their lines: {err}"
    );
    assert!(err.contains("read-everything"), "{err}");
}

#[test]
fn drift_is_a_pipeline_gate_with_fail_on_drift() {
    let snapshot = examples().join("credit-account.json");
    let desired = examples().join("desired-state.yaml");
    let out = bin()
        .args(["drift", "--json", "--fail-on-drift", "--snapshot"])
        .arg(&snapshot)
        .arg("--desired")
        .arg(&desired)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The example admin role holds data capabilities the desired state does not give it.
    assert!(findings.iter().any(|f| f["kind"] == "unexpected-access"
        && f["principal"] == "arn:aws:iam::111111111111:role/admin"
        && f["capability"] == "read-data"
        && f["resource"] == "arn:aws:s3:::credit-applications"));
    // Without the gate the same drift exits 0.
    let out = bin()
        .args(["drift", "--snapshot"])
        .arg(&snapshot)
        .arg("--desired")
        .arg(&desired)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn desired_baseline_round_trips_through_validate() {
    let out = bin()
        .args([
            "desired",
            "baseline",
            "--owner",
            "credit-team",
            "--snapshot",
        ])
        .arg(examples().join("credit-account.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.contains("arn:aws:s3:::credit-applications"), "{yaml}");
    let file =
        std::env::temp_dir().join(format!("accessdrift-baseline-{}.yaml", std::process::id()));
    std::fs::write(&file, &yaml).unwrap();
    let out = bin()
        .args(["desired", "validate"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And a baseline has no drift against the account it came from.
    let out = bin()
        .args(["drift", "--fail-on-drift", "--snapshot"])
        .arg(examples().join("credit-account.json"))
        .arg("--desired")
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains("unexpected-access") && !text.contains("missing-access"),
        "{text}"
    );
}
