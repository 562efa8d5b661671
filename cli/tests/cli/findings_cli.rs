//! `accessdrift findings` as a user runs it, against the AWS emulator (moto server,
//! started here on 127.0.0.1) reached through `AWS_ENDPOINT_URL`: the real binary, the
//! real findings table with its indexes, written through `DynamoFindingStore`.
//!
//! The emulator is required: `make test` installs it in `.venv-moto` and points
//! `ACCESSDRIFT_MOTO_SERVER` at it. Without it these tests fail, loudly; they never skip.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::process::{Command, Output};

use accessdrift_access::Access;
use accessdrift_aws::{DynamoFindingStore, FindingStore, create_findings_table};
use accessdrift_capabilities::Capability;
use accessdrift_drift::lifecycle::{Status, StatusChange, StoredFinding};
use accessdrift_drift::{Finding, FindingKind, GrantRef, Severity};
use accessdrift_emulator::Emulator;

const TABLE: &str = "findings";
const BUCKET_A: &str = "arn:aws:s3:::credit-applications";
const BUCKET_B: &str = "arn:aws:s3:::credit-archive";
const BUCKET_C: &str = "arn:aws:s3:::payments-ledger";

/// `accessdrift` with the emulator's endpoint and dummy credentials, and nothing from
/// this machine's AWS configuration.
fn bin(emulator: &Emulator) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_accessdrift"));
    emulator
        .configure(&mut c)
        .env("ACCESSDRIFT_FINDINGS_TABLE", TABLE);
    c
}

fn run(emulator: &Emulator, args: &[&str]) -> Output {
    bin(emulator).args(args).output().unwrap()
}

/// Runs, expects exit 0, returns standard output.
fn ok(emulator: &Emulator, args: &[&str]) -> String {
    let out = run(emulator, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The ids `findings list ... --format json` prints, in its order.
fn listed(emulator: &Emulator, filters: &[&str]) -> Vec<String> {
    let mut args = vec!["findings", "list", "--format", "json"];
    args.extend_from_slice(filters);
    let text = ok(emulator, &args);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn record(
    id: &str,
    owner: Option<&str>,
    account: &str,
    resource: &str,
    severity: Severity,
    status: Status,
    last_seen: &str,
) -> StoredFinding {
    StoredFinding {
        finding: Finding {
            id: id.into(),
            kind: FindingKind::UnexpectedAccess,
            severity,
            account: account.into(),
            resource: resource.into(),
            owner: owner.map(str::to_string),
            classification: Some("Confidential".into()),
            principal: Some(format!("arn:aws:iam::{account}:role/ci")),
            capability: Some(Capability::WriteData),
            access: Some(Access::Allowed),
            grants: vec![GrantRef {
                policy: "inline:ci/Deploy".into(),
                statement: "Write".into(),
            }],
            summary: format!("role/ci gained write-data on {resource}"),
            remedy: "remove statement `Write` from inline:ci/Deploy".into(),
        },
        status,
        first_seen: "2020-01-01T00:00:00Z".into(),
        last_seen: last_seen.into(),
        history: vec![StatusChange {
            at: "2020-01-01T00:00:00Z".into(),
            status: Status::Open,
            note: "opened".into(),
        }],
        suppression: None,
        notice_pending: None,
        held: None,
        version: 1,
    }
}

/// A table with five findings: two owners and an unowned one, two accounts, three
/// buckets, two severities, open and resolved, seen yesterday or in 2020.
async fn seeded() -> (Emulator, DynamoFindingStore) {
    let emulator = Emulator::start();
    let client = aws_sdk_dynamodb::Client::new(&emulator.sdk_config().await);
    create_findings_table(&client, TABLE).await.unwrap();
    let store = DynamoFindingStore::new(client, TABLE);
    let yesterday = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() - 86_400)
        .unwrap()
        .to_string();
    let old = "2020-06-01T00:00:00Z";
    let (a1, a2) = ("111111111111", "222222222222");
    let (high, low) = (Severity::High, Severity::Low);
    let (open, resolved) = (Status::Open, Status::Resolved);
    for r in [
        record(
            "f1",
            Some("credit-team"),
            a1,
            BUCKET_A,
            high,
            open,
            &yesterday,
        ),
        record("f2", Some("credit-team"), a1, BUCKET_B, low, resolved, old),
        record("f3", Some("payments-team"), a2, BUCKET_C, high, open, old),
        record(
            "f4",
            Some("payments-team"),
            a1,
            BUCKET_A,
            low,
            open,
            &yesterday,
        ),
        record("f5", None, a2, BUCKET_C, low, resolved, &yesterday),
    ] {
        store.write(&r).await.unwrap();
    }
    (emulator, store)
}

#[tokio::test]
async fn list_serves_each_filter_with_exactly_the_matching_findings() {
    let (emulator, _store) = seeded().await;
    let e = &emulator;
    // Most severe first, then most recently seen, then by id.
    assert_eq!(listed(e, &["--owner", "credit-team"]), ["f1", "f2"]);
    assert_eq!(
        listed(e, &["--owner", "credit-team", "--status", "open"]),
        ["f1"]
    );
    assert_eq!(listed(e, &["--owner", "unowned"]), ["f5"]);
    assert_eq!(
        listed(e, &["--owner", "payments-team", "--since", "7d"]),
        ["f4"]
    );
    assert_eq!(
        listed(e, &["--account", "111111111111"]),
        ["f1", "f4", "f2"]
    );
    assert_eq!(
        listed(e, &["--account", "111111111111", "--status", "open"]),
        ["f1", "f4"]
    );
    assert_eq!(listed(e, &["--resource", BUCKET_A]), ["f1", "f4"]);
    assert_eq!(
        listed(e, &["--resource", BUCKET_C, "--owner", "payments-team"]),
        ["f3"]
    );
    assert_eq!(listed(e, &["--severity", "high"]), ["f1", "f3"]);
    assert_eq!(
        listed(e, &["--severity", "low", "--since", "7d"]),
        ["f4", "f5"]
    );
    assert_eq!(listed(e, &["--status", "open"]), ["f1", "f3", "f4"]);
    assert_eq!(
        listed(e, &["--status", "resolved", "--since", "7d"]),
        ["f5"]
    );
    assert_eq!(listed(e, &["--since", "2021-01-01"]), ["f1", "f4", "f5"]);
    assert!(listed(e, &["--severity", "critical"]).is_empty());
    assert!(listed(e, &["--status", "suppressed"]).is_empty());

    let csv = ok(
        e,
        &[
            "findings",
            "list",
            "--owner",
            "credit-team",
            "--format",
            "csv",
        ],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("id,severity,status,owner,account,"),
        "{csv}"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with("f1,high,open,credit-team,111111111111,"));
    assert!(lines[2].starts_with("f2,low,resolved,credit-team,111111111111,"));

    let table = ok(e, &["findings", "list", "--status", "open"]);
    let first_column: Vec<&str> = table
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(first_column, ["ID", "f1", "f3", "f4", "3"], "{table}");
    assert!(table.ends_with("3 findings\n"), "{table}");
}

#[tokio::test]
async fn show_suppress_and_unsuppress_change_the_stored_finding_with_history() {
    let (emulator, store) = seeded().await;
    let e = &emulator;

    let text = ok(e, &["findings", "show", "f1"]);
    assert!(text.contains("status:         open\n"), "{text}");
    assert!(
        text.contains("remedy:         remove statement `Write` from inline:ci/Deploy\n"),
        "{text}"
    );
    assert!(
        text.contains("grants:\n  inline:ci/Deploy statement Write\n"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(e, &["findings", "show", "f1", "--json"])).unwrap();
    assert_eq!(json["id"], "f1");
    assert_eq!(json["resource"], BUCKET_A);
    assert_eq!(json["grants"][0]["policy"], "inline:ci/Deploy");
    assert_eq!(json["history"][0]["note"], "opened");
    assert_eq!(json["version"], 1);

    // Suppress for 30 days.
    let out = ok(
        e,
        &[
            "findings",
            "suppress",
            "f1",
            "--reason",
            "bucket migration, SEC-42",
            "--by",
            "alice",
            "--until",
            "30d",
        ],
    );
    assert!(
        out.starts_with("suppressed `f1`: now suppressed until "),
        "{out}"
    );
    assert_eq!(listed(e, &["--status", "suppressed"]), ["f1"]);
    assert_eq!(
        listed(e, &["--owner", "credit-team", "--status", "suppressed"]),
        ["f1"]
    );
    let stored = store.get("f1").await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Suppressed);
    assert_eq!(stored.version, 2);
    let s = stored.suppression.clone().unwrap();
    assert_eq!(
        (s.by.as_str(), s.reason.as_str()),
        ("alice", "bucket migration, SEC-42")
    );
    let in_29_days = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(29 * 24))
        .unwrap()
        .to_string();
    assert!(s.until > in_29_days, "{} is about 30 days away", s.until);
    let last = stored.history.last().unwrap();
    assert_eq!(last.status, Status::Suppressed);
    assert_eq!(
        last.note,
        format!(
            "suppressed by alice until {}: bucket migration, SEC-42",
            s.until
        )
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(e, &["findings", "show", "f1", "--json"])).unwrap();
    assert_eq!(json["suppression"]["by"], "alice");
    assert_eq!(json["history"][1]["status"], "suppressed");

    // A suppressed finding cannot be suppressed again; a resolved one cannot either.
    for id in ["f1", "f2"] {
        let out = run(
            e,
            &[
                "findings", "suppress", id, "--reason", "r", "--by", "bob", "--until", "1d",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{id}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("only an open finding can be suppressed"),
            "{err}"
        );
    }
    let out = run(
        e,
        &[
            "findings",
            "suppress",
            "f3",
            "--reason",
            "r",
            "--by",
            "bob",
            "--until",
            "2020-01-01",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the future"));
    assert_eq!(
        store.get("f3").await.unwrap().unwrap().version,
        1,
        "nothing written"
    );

    // Unsuppress.
    let out = ok(e, &["findings", "unsuppress", "f1", "--by", "bob"]);
    assert_eq!(out, "unsuppressed `f1`: now open (version 3)\n");
    assert!(listed(e, &["--status", "suppressed"]).is_empty());
    let stored = store.get("f1").await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Open);
    assert_eq!(stored.suppression, None);
    assert_eq!(stored.history.last().unwrap().note, "unsuppressed by bob");
    assert_eq!(stored.history.len(), 3);
    let out = run(e, &["findings", "unsuppress", "f1", "--by", "bob"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an open finding is not suppressed"
    );
}

#[tokio::test]
async fn unknown_ids_exit_4_and_a_missing_table_exits_1_with_advice() {
    let (emulator, store) = seeded().await;
    let e = &emulator;
    for args in [
        &["findings", "show", "nope"][..],
        &[
            "findings", "suppress", "nope", "--reason", "r", "--by", "a", "--until", "1d",
        ],
        &["findings", "unsuppress", "nope", "--by", "a"],
    ] {
        let out = run(e, args);
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("no finding `nope` in table `findings`"),
            "{err}"
        );
    }
    assert!(
        store.get("nope").await.unwrap().is_none(),
        "nothing created"
    );

    let out = run(e, &["findings", "list"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a list without filters is refused"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--status open"), "{err}");

    let out = run(e, &["findings", "list", "--since", "soon"]);
    assert_eq!(out.status.code(), Some(2), "a bad duration is bad usage");

    for missing in [
        bin(e)
            .args([
                "findings",
                "list",
                "--status",
                "open",
                "--findings-table",
                "nope",
            ])
            .output()
            .unwrap(),
        bin(e)
            .env("ACCESSDRIFT_FINDINGS_TABLE", "nope")
            .args(["findings", "show", "f1"])
            .output()
            .unwrap(),
    ] {
        assert_eq!(missing.status.code(), Some(1));
        let err = String::from_utf8_lossy(&missing.stderr);
        assert!(
            err.contains("the findings table `nope` does not exist in region us-east-1"),
            "{err}"
        );
        assert!(
            err.contains("--findings-table or ACCESSDRIFT_FINDINGS_TABLE"),
            "{err}"
        );
    }
}

#[test]
fn no_credentials_exit_1_with_how_to_set_them() {
    let out = Command::new(env!("CARGO_BIN_EXE_accessdrift"))
        .args(["findings", "show", "f1"])
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/accessdrift-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/accessdrift-test-credentials",
        )
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no AWS credentials: set AWS_PROFILE"), "{err}");
}
