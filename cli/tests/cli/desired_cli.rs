//! `accessdrift desired import|export|list` against the AWS emulator (moto server,
//! started here): the real binary, the real desired-state table.
//!
//! The emulator is required: `make test` installs it; without it these tests fail
//! loudly, they never skip.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use accessdrift_emulator::Emulator;

const TABLE: &str = "team-desired";

fn run(em: &Emulator, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_accessdrift"));
    em.configure(&mut c)
        .env("ACCESSDRIFT_DESIRED_TABLE", TABLE)
        .env("USER", "alice")
        .args(args);
    c.output().unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

fn example() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/desired-state.yaml"
    ))
}

#[tokio::test]
async fn import_stores_the_file_whole_and_a_rejected_file_changes_nothing() {
    let em = Emulator::start();
    let client = aws_sdk_dynamodb::Client::new(&em.sdk_config().await);
    accessdrift_aws::create_desired_table(&client, TABLE)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("accessdrift-desired-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let credit = dir.join("credit.yaml");
    std::fs::copy(example(), &credit).unwrap();
    let original = std::fs::read_to_string(&credit).unwrap();

    let o = run(&em, &["desired", "import", credit.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("source `credit`: stored"),
        "{}",
        text(&o.stdout)
    );

    let o = run(&em, &["desired", "import", credit.to_str().unwrap()]);
    assert!(text(&o.stdout).contains("unchanged"), "{}", text(&o.stdout));

    // A broken edit: every mistake listed, exit 2, nothing stored.
    std::fs::write(
        &credit,
        original
            .replacen("read-data:", "read-everything:", 1)
            .replacen("arn: arn:aws:s3", "arn: not-an-arn-s3", 1),
    )
    .unwrap();
    let o = run(&em, &["desired", "import", credit.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("read-everything") && err.contains("not-an-arn"),
        "{err}"
    );
    assert!(err.contains("credit.yaml:"), "file and line: {err}");
    assert!(err.contains("nothing was stored"), "{err}");

    let o = run(&em, &["desired", "export", "--source", "credit"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        original,
        "the stored file is the last accepted one"
    );

    let o = run(&em, &["desired", "list"]);
    let listed = text(&o.stdout);
    assert!(
        listed
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("credit\t1\t")),
        "{listed}"
    );
    assert!(listed.contains("\talice\t"), "{listed}");

    let o = run(&em, &["desired", "export", "--source", "nobody"]);
    assert_eq!(o.status.code(), Some(4));

    // The merged export reads back as a valid desired state.
    let o = run(&em, &["desired", "export"]);
    let merged = dir.join("merged.yaml");
    std::fs::write(&merged, &o.stdout).unwrap();
    let o = run(&em, &["desired", "validate", merged.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_table_says_which_setting_names_it() {
    let em = Emulator::start();
    let o = run(&em, &["desired", "list"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("ACCESSDRIFT_DESIRED_TABLE"), "{err}");
}
