//! Keeps the demo's world up for measuring the functions' cold start with
//! `cargo lambda watch` (`scripts/cold-start.sh`): moto server with the detector
//! deployed, the credit-processor Organization seeded and swept once (so the event
//! function has a stored snapshot to patch). Writes into the directory named by the
//! first argument: `env` (the functions' environment), `event.json` (a bucket-policy
//! change in the member account), `planner.json` (the schedule) and `worker.json` (a
//! sweep message for the member account). Runs until standard input closes, then
//! stops the emulator.

use std::io::Read as _;

use accessdrift_demo::seed::{BUCKET, bucket_policy_with_support_read, seed};
use accessdrift_demo::{deploy, put_bucket_policy_event, run_planner, run_worker, schedule_event};
use accessdrift_emulator::Emulator;
use accessdrift_runtime::Runtime;
use anyhow::{Context as _, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: serve DIR (the environment and payloads are written there)")?,
    );
    let emulator = Emulator::start();
    let sdk = emulator.sdk_config().await;
    let detector = deploy(&emulator, &sdk).await?;
    let org = seed(&sdk).await?;
    let runtime = Runtime::start(sdk.clone(), detector.config.clone()).await?;
    let now = accessdrift_primitives::Time::parse("2026-11-24T02:00:00Z")?;
    run_planner(&runtime, now).await?;
    let swept = run_worker(&runtime, &sdk, &detector.sweep_queue_url, now).await?;
    let c = &detector.config;
    let mut env = vec![
        ("AWS_ENDPOINT_URL", emulator.url().to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("READ_ROLE_NAME", c.read_role_name.clone()),
        ("MEMBER_ACCOUNT", org.member.clone()),
    ];
    for (k, v) in [
        ("FINDINGS_TABLE", &c.findings_table),
        ("DESIRED_TABLE", &c.desired_table),
        ("NOTICE_TOPIC_ARN", &c.notice_topic_arn),
        ("SNAPSHOT_BUCKET", &c.snapshot_bucket),
        ("SWEEP_QUEUE_URL", &c.sweep_queue_url),
    ] {
        if let Some(v) = v {
            env.push((k, v.clone()));
        }
    }
    let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    let event = put_bucket_policy_event(
        &org.member,
        BUCKET,
        &bucket_policy_with_support_read(&org.member),
        accessdrift_primitives::Time::parse("2026-11-24T10:00:00Z")?,
    );
    let body = serde_json::json!({"account": org.member, "reason": "nightly", "requested_at": now.to_string()});
    let worker = serde_json::json!({"Records": [{
        "messageId": "cold-start", "receiptHandle": "cold-start", "body": body.to_string(),
        "eventSource": "aws:sqs", "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sweep"}]});
    for (name, content) in [
        ("event.json", event.to_string()),
        (
            "planner.json",
            schedule_event(runtime.own_account(), now).to_string(),
        ),
        ("worker.json", worker.to_string()),
        ("env", text),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, content).with_context(|| format!("write {}", path.display()))?;
    }
    eprintln!(
        "serve: emulator at {}, swept {:?}, files in {}; close stdin to stop",
        emulator.url(),
        swept.accounts,
        dir.display()
    );
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(emulator);
    Ok(())
}
