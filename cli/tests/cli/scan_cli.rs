//! `accessdrift snapshot` and `accessdrift scan` as a user or a delivery pipeline runs
//! them, against the AWS emulator (moto server, started here) reached through
//! `AWS_ENDPOINT_URL`: the real binary, the real collector.
//!
//! The emulator is required: `make test` installs it; without it these tests fail
//! loudly, they never skip.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use accessdrift_emulator::{DEFAULT_ACCOUNT, Emulator};

const BUCKET: &str = "orders";
const ROLE: &str = "order-reader";
const TABLE: &str = "team-desired";

fn role_arn() -> String {
    format!("arn:aws:iam::{DEFAULT_ACCOUNT}:role/{ROLE}")
}

fn run(em: &Emulator, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_accessdrift"));
    em.configure(&mut c).args(args);
    c.output().unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bucket owned by `orders-team` whose policy lets one role read it.
async fn seed(em: &Emulator) {
    let config = em.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]});
    iam.create_role()
        .role_name(ROLE)
        .assume_role_policy_document(trust.to_string())
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("owner")
                .value("orders-team")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "ReaderGetsOrders", "Effect": "Allow",
        "Principal": {"AWS": role_arn()},
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/*")}]});
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    s3.put_bucket_tagging()
        .bucket(BUCKET)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("owner")
                        .value("orders-team")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// The orders team's desired state: `readers` may read the bucket, nobody else may
/// hold anything on it.
fn desired(dir: &Path, name: &str, readers: &[String]) -> PathBuf {
    let list = readers
        .iter()
        .map(|r| format!("\n        - {r}"))
        .collect::<String>();
    let body = format!(
        "version: 1\nresources:\n  - arn: arn:aws:s3:::{BUCKET}\n    owner: orders-team\n    \
         capabilities:\n      read-data:{}\n",
        if list.is_empty() { " []" } else { &list }
    );
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

fn gunzip(path: &Path) -> serde_json::Value {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

#[tokio::test]
async fn snapshot_writes_the_account_and_scan_gates_a_pipeline_on_drift() {
    let em = Emulator::start();
    seed(&em).await;
    let dir = scratch("scan_cli");
    let p = |p: &Path| p.to_str().unwrap().to_string();

    // snapshot: gzip by name, a summary on standard error, the seeded grant inside.
    let gz = dir.join("account.json.gz");
    let o = run(&em, &["snapshot", "--output", &p(&gz), "--no-organization"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!("account {DEFAULT_ACCOUNT}:")) && err.contains("written to"),
        "{err}"
    );
    assert!(
        err.contains("reading"),
        "plain progress lines off a terminal: {err}"
    );
    let snap = gunzip(&gz);
    assert_eq!(snap["accountId"], DEFAULT_ACCOUNT);
    let bucket = snap["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["arn"] == format!("arn:aws:s3:::{BUCKET}"))
        .expect("the bucket is in the snapshot");
    assert_eq!(bucket["tags"]["owner"], "orders-team");
    assert_eq!(
        bucket["policy"]["Statement"][0]["Sid"], "ReaderGetsOrders",
        "{bucket}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file left: {leftovers:?}"
    );

    // `--output -`: plain JSON on standard output.
    let o = run(&em, &["snapshot", "--output", "-", "--no-organization"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["accountId"], DEFAULT_ACCOUNT);

    let violating = desired(&dir, "violating.yaml", &[]);
    let matching = desired(&dir, "matching.yaml", &[role_arn()]);

    // The gate: the role's read is not in the desired state -> exit 3, finding printed.
    let o = run(
        &em,
        &[
            "scan",
            "--no-organization",
            "--desired",
            &p(&violating),
            "--fail-on-drift",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let line = out
        .lines()
        .find(|l| l.contains("unexpected-access"))
        .unwrap_or_else(|| panic!("no finding printed: {out}"));
    assert!(
        line.contains(&format!("arn:aws:s3:::{BUCKET}"))
            && line.contains(&role_arn())
            && line.contains("read-data"),
        "{line}"
    );

    // Without --fail-on-drift the same drift exits 0 (a report, not a gate).
    let o = run(
        &em,
        &[
            "scan",
            "--no-organization",
            "--desired",
            &p(&violating),
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let findings: Vec<serde_json::Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(findings.iter().any(|f| f["kind"] == "unexpected-access"
        && f["principal"] == role_arn()
        && f["capability"] == "read-data"
        && f["grants"][0]["statement"] == "ReaderGetsOrders"));

    // The desired state that matches: exit 0, no drift; the snapshot is saved too.
    let saved = dir.join("saved.json");
    let o = run(
        &em,
        &[
            "scan",
            "--no-organization",
            "--desired",
            &p(&matching),
            "--fail-on-drift",
            "--save-snapshot",
            &p(&saved),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains("no drift"), "{}", text(&o.stdout));

    // Offline, from the saved snapshot and from the gzip one: the same verdicts.
    let o = run(
        &em,
        &[
            "scan",
            "--snapshot",
            &p(&saved),
            "--desired",
            &p(&matching),
            "--fail-on-drift",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = run(
        &em,
        &[
            "scan",
            "--snapshot",
            &p(&gz),
            "--desired",
            &p(&violating),
            "--fail-on-drift",
            "--format",
            "csv",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("id,severity,kind,"));

    // The desired state from the table, as the sweep reads it.
    let client = aws_sdk_dynamodb::Client::new(&em.sdk_config().await);
    accessdrift_aws::create_desired_table(&client, TABLE)
        .await
        .unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_accessdrift"));
    em.configure(&mut c)
        .env("ACCESSDRIFT_DESIRED_TABLE", TABLE)
        .args(["desired", "import", &p(&violating), "--source", "orders"]);
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(
        &em,
        &[
            "scan",
            "--no-organization",
            "--desired-table",
            TABLE,
            "--fail-on-drift",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(&role_arn()));
}

#[test]
fn a_bad_desired_file_exits_2_before_anything_is_collected() {
    let dir = scratch("scan_cli_bad_desired");
    let bad = dir.join("orders.yaml");
    std::fs::write(
        &bad,
        "version: 1\nresources:\n  - arn: not-an-arn\n    capabilities:\n      read-everything: []\n",
    )
    .unwrap();
    // No AWS settings at all: were it to collect first, it would fail on those.
    let o = Command::new(env!("CARGO_BIN_EXE_accessdrift"))
        .args(["scan", "--desired"])
        .arg(&bad)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("orders.yaml:"), "file and line: {err}");
    assert!(
        err.contains("not-an-arn") && err.contains("read-everything"),
        "{err}"
    );
}

#[test]
fn an_unreadable_snapshot_exits_2_naming_the_file() {
    let dir = scratch("scan_cli_bad_snapshot");
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/desired-state.yaml"
    );
    let scan = |snapshot: &Path| {
        Command::new(env!("CARGO_BIN_EXE_accessdrift"))
            .args(["scan", "--snapshot"])
            .arg(snapshot)
            .args(["--desired", example])
            .output()
            .unwrap()
    };
    let o = scan(&dir.join("missing.json"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("missing.json"),
        "{}",
        text(&o.stderr)
    );

    let truncated = dir.join("truncated.json.gz");
    std::fs::write(&truncated, [0x1f, 0x8b, 0x08, 0x00, 0x01]).unwrap();
    let o = scan(&truncated);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("truncated.json.gz") && err.contains("gzip"),
        "{err}"
    );
}

#[test]
fn snapshot_without_aws_settings_says_what_to_set() {
    let dir = scratch("scan_cli_no_region");
    let o = Command::new(env!("CARGO_BIN_EXE_accessdrift"))
        .args(["snapshot", "--output"])
        .arg(dir.join("a.json"))
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/accessdrift-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/accessdrift-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("set AWS_REGION"),
        "{}",
        text(&o.stderr)
    );
    assert!(!dir.join("a.json").exists());

    // A bad account id is a usage error, before any AWS call.
    let o = Command::new(env!("CARGO_BIN_EXE_accessdrift"))
        .args([
            "snapshot",
            "--output",
            "-",
            "--account",
            "12345",
            "--role-name",
            "r",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("12 digits"), "{}", text(&o.stderr));
}

/// Reads CSV text into rows of cells (RFC 4180: quoted cells, doubled quotes).
fn csv_cells(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![Vec::new()];
    let mut cell = String::new();
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => rows.last_mut().unwrap().push(std::mem::take(&mut cell)),
            (false, '\n') => {
                rows.last_mut().unwrap().push(std::mem::take(&mut cell));
                rows.push(Vec::new());
            }
            (false, c) => cell.push(c),
        }
    }
    rows.retain(|r| !r.is_empty());
    rows
}

/// Issue 11: a tag value, a Sid and a principal written to be evaluated by a
/// spreadsheet (OWASP "CSV Injection") never reach a cell as a formula.
#[test]
fn scan_csv_never_writes_a_cell_a_spreadsheet_evaluates() {
    let dir = scratch("hostile-csv");
    let snapshot = dir.join("hostile.json");
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "=HYPERLINK(\"http://evil\",\"x\")", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"},
        {"Sid": "-2+3", "Effect": "Allow", "Principal": "*",
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]});
    let doc = serde_json::json!({
        "accountId": "111111111111",
        "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []},
        "resources": [{"arn": "arn:aws:s3:::data", "type": "AWS::S3::Bucket",
                       "tags": {"owner": "@SUM(1+1)"}, "policy": policy}]});
    std::fs::write(&snapshot, doc.to_string()).unwrap();
    let desired = dir.join("desired.yaml");
    std::fs::write(&desired, "version: 1\nresources: []\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_accessdrift"))
        .args(["scan", "--snapshot"])
        .arg(&snapshot)
        .arg("--desired")
        .arg(&desired)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let rows = csv_cells(&csv);
    assert!(rows.len() > 2, "{csv}");
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet evaluates: {cell:?}\n{csv}"
            );
        }
    }
    // The hostile text is there, as text.
    assert!(csv.contains("HYPERLINK"), "{csv}");
}
