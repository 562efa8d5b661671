//! `make demo`: the access control loop on a local AWS emulator, no AWS account.
//!
//! It starts moto server, deploys the detector's tables, bucket, topic and queue,
//! seeds the credit-processor Organization, imports the credit team's desired
//! state, runs the nightly sweep (planner -> SQS -> worker), makes the change a
//! support engineer might make (a bucket-policy statement letting customer service
//! read credit applications), delivers its CloudTrail event to the event function,
//! and shows what the team receives and what the findings table holds; then the fix
//! and the resolved notice. Everything shown is read back from the emulator. The
//! emulator is stopped on the way out, whatever happens.

use std::time::Instant;

use accessdrift_aws::desired::DynamoDesiredStore;
use accessdrift_aws::findings::DynamoFindingStore;
use accessdrift_controller::ports::AccountReader;
use accessdrift_controller::ports::FindingStore;
use accessdrift_controller::ports::SweepPorts;
use accessdrift_controller::{Settings, baseline};
use accessdrift_demo::inbox::{Inbox, subscribe};
use accessdrift_demo::seed::{BUCKET, bucket_policy_with_support_read, seed, team_bucket_policy};
use accessdrift_demo::{
    DESIRED_TABLE, FINDINGS_TABLE, deliver_event, deploy, put_bucket_policy_event, run_planner,
    run_worker,
};
use accessdrift_desired::{BaselineSelect, to_yaml};
use accessdrift_emulator::Emulator;
use accessdrift_primitives::Time;
use accessdrift_runtime::Runtime;
use accessdrift_snapshot::read_snapshot;
use anyhow::{Context as _, Result};
use serde_json::Value;

/// The demo's fixed clock: the same story every run.
fn at(text: &str) -> Result<Time> {
    Ok(Time::parse(text)?)
}

fn step(n: usize, text: &str) {
    use std::io::IsTerminal as _;
    if std::io::stdout().is_terminal() {
        println!("\n\x1b[1m[{n}/8] {text}\x1b[0m");
    } else {
        println!("\n[{n}/8] {text}");
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    │ {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let started = Instant::now();
    // Interrupted (Ctrl-C, or a TERM from `timeout` or CI): dropping `run` drops the
    // emulator, which stops moto server, so nothing is left running either way.
    let result = tokio::select! {
        r = run() => r,
        signal = interrupted() => Err(anyhow::anyhow!("interrupted by {signal}; stopping the emulator")),
    };
    if let Err(e) = result {
        eprintln!("\ndemo failed: {e:#}");
        std::process::exit(1);
    }
    println!(
        "\ndone in {:.1} s; the emulator is stopped and nothing is left running.",
        started.elapsed().as_secs_f64()
    );
}

/// Waits for SIGINT or SIGTERM and names it. If a handler cannot be installed, waits
/// forever (the demo then simply runs to its end).
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => "Ctrl-C",
            _ = term.recv() => "SIGTERM",
        },
        _ => std::future::pending().await,
    }
}

async fn run() -> Result<()> {
    println!("accessdrift demo: the access control loop on a local AWS emulator (no AWS account)");
    step(1, "Starting the AWS emulator (moto server)");
    // Dropped at the end of this function, which stops the server, on success or error.
    let emulator = Emulator::start();
    let sdk = emulator.sdk_config().await;
    println!("    moto server at {}", emulator.url());

    step(2, "Deploying the detector as template.yaml would");
    let detector = deploy(&emulator, &sdk).await?;
    let inbox = Inbox::start().await?;
    let filter = r#"{"owner": ["credit-team"]}"#;
    subscribe(
        &sdk,
        &detector.topic_arn,
        "http",
        &inbox.url("email"),
        filter,
    )
    .await?;
    subscribe(
        &sdk,
        &detector.topic_arn,
        "https",
        &inbox.url("slack"),
        filter,
    )
    .await?;
    println!(
        "    tables {FINDINGS_TABLE}, {DESIRED_TABLE}; snapshot bucket; notice topic; sweep queue"
    );
    println!("    credit-team subscribes its email and its Slack channel with filter {filter}");

    step(3, "Seeding the credit-processor Organization");
    let org = seed(&sdk).await?;
    println!(
        "    Organization {} (management account {}, runs the detector)",
        org.org_id, org.management
    );
    println!("    member account credit-prod {}:", org.member);
    println!(
        "      bucket {BUCKET} (owner credit-team, Confidential, KMS-encrypted), table credit-decisions,"
    );
    println!(
        "      bucket risk-models (owner risk-team); roles admin, ci, cust-service, credit-processor"
    );

    let runtime = Runtime::start(sdk.clone(), detector.config.clone()).await?;
    step(
        4,
        "The credit team declares who should have which access (desired state)",
    );
    let services = runtime.services(at("2026-11-24T01:00:00Z")?)?;
    let today = services.reader().read_account(&org.member).await?;
    let snapshot = read_snapshot(&today).context("read the member's snapshot")?;
    let select = BaselineSelect {
        owner: Some("credit-team".into()),
        ..BaselineSelect::default()
    };
    let yaml = to_yaml(&baseline(&snapshot, &select, &Settings::default()));
    let excerpt: String = yaml
        .split("\n  - arn:")
        .find(|part| part.contains(BUCKET))
        .map(|part| format!("  - arn:{}", part.trim_end()))
        .unwrap_or_else(|| yaml.clone());
    println!(
        "    (accessdrift desired baseline --owner credit-team, reviewed and kept as credit-team.yaml)"
    );
    println!("{}", indent(&excerpt));
    DynamoDesiredStore::new(aws_sdk_dynamodb::Client::new(&sdk), DESIRED_TABLE)
        .import(
            "credit-team",
            "credit-team.yaml",
            &yaml,
            "demo",
            at("2026-11-24T01:00:00Z")?,
        )
        .await?;
    println!("    imported into {DESIRED_TABLE} as source credit-team");

    step(
        5,
        "The nightly sweep: planner -> SQS -> worker, one message per account",
    );
    let plan = run_planner(&runtime, at("2026-11-24T02:00:00Z")?).await?;
    println!(
        "    planner: {} accounts, {} sweep messages queued",
        plan["accounts"], plan["queued"]
    );
    let t = Instant::now();
    let run = run_worker(
        &runtime,
        &sdk,
        &detector.sweep_queue_url,
        at("2026-11-24T02:00:05Z")?,
    )
    .await?;
    anyhow::ensure!(run.failed.is_empty(), "sweeps failed: {:?}", run.failed);
    println!(
        "    worker: swept {} in {:.1} s; no drift for credit-team, so no notice",
        run.accounts.join(", "),
        t.elapsed().as_secs_f64()
    );

    step(
        6,
        "A support engineer lets cust-service read credit applications",
    );
    let widened = bucket_policy_with_support_read(&org.member);
    aws_sdk_s3::Client::new(&org.member_config)
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(&widened)
        .send()
        .await?;
    println!(
        "    s3:PutBucketPolicy on {BUCKET} adds statement SupportReadsApplications (s3:GetObject for cust-service)"
    );
    let event = put_bucket_policy_event(&org.member, BUCKET, &widened, at("2026-11-24T09:00:00Z")?);
    let t = Instant::now();
    let summary = deliver_event(&runtime, &event, at("2026-11-24T09:00:05Z")?).await?;
    let pass = &summary["passes"][0];
    println!(
        "    CloudTrail -> EventBridge -> event function ({:.2} s): re-read {}, rest of the account as of its sweep {}",
        t.elapsed().as_secs_f64(),
        pass["refreshed"][0].as_str().unwrap_or("?"),
        pass["restCollectedAt"].as_str().unwrap_or("?")
    );
    show_inbox(&inbox).await?;

    step(
        7,
        "What security sees in the findings table (read back from DynamoDB)",
    );
    let store = DynamoFindingStore::new(aws_sdk_dynamodb::Client::new(&sdk), FINDINGS_TABLE);
    print_findings(&store, &org.member).await?;

    step(
        8,
        "The fix: the team's own policy back; the finding resolves",
    );
    let own = team_bucket_policy(&org.member);
    aws_sdk_s3::Client::new(&org.member_config)
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(&own)
        .send()
        .await?;
    let fix = put_bucket_policy_event(&org.member, BUCKET, &own, at("2026-11-24T10:00:00Z")?);
    deliver_event(&runtime, &fix, at("2026-11-24T10:00:05Z")?).await?;
    show_inbox(&inbox).await?;
    print_findings(&store, &org.member).await?;
    drop(emulator);
    Ok(())
}

async fn show_inbox(inbox: &Inbox) -> Result<()> {
    let emails = inbox.take("email").await?;
    anyhow::ensure!(!emails.is_empty(), "no email arrived for credit-team");
    for email in emails {
        println!("\n    ✉  email to credit-team:");
        println!("{}", indent(&email));
    }
    for slack in inbox.take("slack").await? {
        let card: Value = serde_json::from_str(&slack).unwrap_or_default();
        println!("\n    💬 Slack (AWS Chatbot) in credit-team's channel:");
        println!(
            "{}",
            indent(card["content"]["title"].as_str().unwrap_or_default())
        );
        println!(
            "{}",
            indent(card["content"]["description"].as_str().unwrap_or(&slack))
        );
    }
    Ok(())
}

async fn print_findings(store: &DynamoFindingStore, account: &str) -> Result<()> {
    let mut rows = store.load_account(account).await?;
    rows.retain(|r| r.finding.owner.as_deref() == Some("credit-team"));
    println!(
        "\n    {:<9} {:<9} {:<34} {:<44} {:<10}",
        "status", "severity", "resource", "principal", "capability"
    );
    for r in &rows {
        println!(
            "    {:<9} {:<9} {:<34} {:<44} {:<10}",
            r.status.as_str(),
            r.finding.severity.as_str(),
            r.finding.resource,
            r.finding.principal.as_deref().unwrap_or("-"),
            r.finding.capability.map(|c| c.as_str()).unwrap_or("-"),
        );
    }
    if rows.is_empty() {
        println!("    (no findings)");
    }
    Ok(())
}
