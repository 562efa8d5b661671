//! The loop on the AWS emulator, as `make demo` runs it and the end-to-end tests
//! check it: the detector's own resources created as `template.yaml` would, the
//! credit-processor Organization seeded through real APIs ([`seed`]), and the three
//! functions' handlers called as Lambda would call them (the planner on the
//! schedule, the worker on the sweep queue's messages, the event function on a
//! CloudTrail event).
//!
//! What it is not: a mock. Every read and write goes through the AWS SDK to the
//! emulator, and what the demo shows is read back from it (the team's SQS
//! subscription, the findings table).
//!
//! `anyhow` is used here although this is a library: it is the demo's and the tests'
//! harness, and its callers only print or assert its errors.

pub mod inbox;
pub mod seed;

use accessdrift_aws::desired::create_desired_table;
use accessdrift_aws::findings::create_findings_table;
use accessdrift_emulator::Emulator;
use accessdrift_primitives::Time;
use accessdrift_runtime::{Config, Runtime};
use anyhow::{Context as _, Result};
use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use serde_json::{Value, json};

/// Table, bucket, topic and queue names, as a deployment of `template.yaml` has them.
pub const FINDINGS_TABLE: &str = "accessdrift-findings";
/// The desired-state table.
pub const DESIRED_TABLE: &str = "accessdrift-desired";
/// The snapshot bucket.
pub const SNAPSHOT_BUCKET: &str = "accessdrift-snapshots";
/// The notice topic's name.
pub const TOPIC: &str = "accessdrift-notices";
/// The sweep queue's name.
pub const SWEEP_QUEUE: &str = "accessdrift-sweeps";

/// The detector as deployed, plus the queues standing in for the teams' email and
/// Slack subscriptions (an SQS subscriber can be read back; an inbox cannot).
#[derive(Debug, Clone)]
pub struct Detector {
    /// The functions' configuration (what `template.yaml` puts in their environment).
    pub config: Config,
    /// The notice topic.
    pub topic_arn: String,
    /// The sweep queue.
    pub sweep_queue_url: String,
    /// The credit team's subscription (`{"owner": ["credit-team"]}`).
    pub credit_team_url: String,
    /// The risk team's subscription (`{"owner": ["risk-team"]}`).
    pub risk_team_url: String,
}

/// Creates the detector's tables, bucket, topic and queues in the emulator's default
/// account, and subscribes the two teams.
pub async fn deploy(emulator: &Emulator, sdk: &SdkConfig) -> Result<Detector> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    create_findings_table(&dynamo, FINDINGS_TABLE)
        .await
        .context("create the findings table")?;
    create_desired_table(&dynamo, DESIRED_TABLE)
        .await
        .context("create the desired-state table")?;
    aws_sdk_s3::Client::new(sdk)
        .create_bucket()
        .bucket(SNAPSHOT_BUCKET)
        .send()
        .await
        .context("create the snapshot bucket")?;
    let topic_arn = aws_sdk_sns::Client::new(sdk)
        .create_topic()
        .name(TOPIC)
        .send()
        .await
        .context("create the notice topic")?
        .topic_arn()
        .unwrap_or_default()
        .to_string();
    let sweep_queue_url = aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(SWEEP_QUEUE)
        .send()
        .await
        .context("create the sweep queue")?
        .queue_url()
        .unwrap_or_default()
        .to_string();
    let credit_team_url = emulator
        .subscribe_queue(
            &topic_arn,
            "credit-team-inbox",
            r#"{"owner": ["credit-team"]}"#,
        )
        .await;
    let risk_team_url = emulator
        .subscribe_queue(&topic_arn, "risk-team-inbox", r#"{"owner": ["risk-team"]}"#)
        .await;
    let env = [
        ("FINDINGS_TABLE", FINDINGS_TABLE.to_string()),
        ("DESIRED_TABLE", DESIRED_TABLE.to_string()),
        ("NOTICE_TOPIC_ARN", topic_arn.clone()),
        ("SNAPSHOT_BUCKET", SNAPSHOT_BUCKET.to_string()),
        ("SWEEP_QUEUE_URL", sweep_queue_url.clone()),
        ("READ_ROLE_NAME", "accessdrift-read".to_string()),
        ("COLLECT_CONCURRENCY", "4".to_string()),
    ];
    let config =
        Config::from_lookup(|name| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()));
    Ok(Detector {
        config,
        topic_arn,
        sweep_queue_url,
        credit_team_url,
        risk_team_url,
    })
}

/// The nightly schedule's event, as EventBridge delivers it to the planner.
pub fn schedule_event(account: &str, now: Time) -> Value {
    json!({
        "version": "0", "id": "demo-nightly", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": account, "time": now.to_string(), "region": "us-east-1",
        "resources": [format!("arn:aws:events:us-east-1:{account}:rule/accessdrift-NightlySweep")],
        "detail": {}
    })
}

/// A CloudTrail `PutBucketPolicy` event for `bucket` in `account`, as EventBridge
/// delivers it (shape of `events/s3-put-bucket-policy.json`).
pub fn put_bucket_policy_event(account: &str, bucket: &str, policy: &str, now: Time) -> Value {
    json!({
        "version": "0", "id": format!("demo-{now}"), "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3", "account": account, "time": now.to_string(), "region": "us-east-1",
        "resources": [], "detail": {
            "eventVersion": "1.09",
            "userIdentity": {"type": "AssumedRole", "accountId": account,
                "arn": format!("arn:aws:sts::{account}:assumed-role/admin/jane")},
            "eventTime": now.to_string(), "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
            "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
            "requestParameters": {"bucketName": bucket, "bucketPolicy": serde_json::from_str::<Value>(policy).unwrap_or(Value::Null), "policy": [""], "Host": format!("{bucket}.s3.amazonaws.com")},
            "responseElements": null, "readOnly": false, "eventType": "AwsApiCall",
            "managementEvent": true, "recipientAccountId": account, "eventCategory": "Management"
        }
    })
}

/// A CloudTrail Organizations `UpdatePolicy` event (an SCP's text changed).
pub fn update_policy_event(management: &str, policy_id: &str, now: Time) -> Value {
    json!({
        "version": "0", "id": format!("demo-org-{now}"), "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.organizations", "account": management, "time": now.to_string(), "region": "us-east-1",
        "resources": [], "detail": {
            "eventVersion": "1.09", "userIdentity": {"type": "AssumedRole", "accountId": management},
            "eventTime": now.to_string(), "eventSource": "organizations.amazonaws.com", "eventName": "UpdatePolicy",
            "awsRegion": "us-east-1", "requestParameters": {"policyId": policy_id, "content": "{}"},
            "responseElements": null, "readOnly": false, "eventType": "AwsApiCall",
            "managementEvent": true, "recipientAccountId": management
        }
    })
}

/// Runs the planner on the schedule.
pub async fn run_planner(runtime: &Runtime, now: Time) -> Result<Value> {
    let event = schedule_event(runtime.own_account(), now);
    let queue = runtime.queue()?;
    Ok(accessdrift_planner::handle(&event, &runtime.caching_org(now), &queue, now).await?)
}

/// What the worker did with the sweep queue's messages.
#[derive(Debug, Default)]
pub struct WorkerRun {
    /// Accounts swept (from the messages).
    pub accounts: Vec<String>,
    /// Messages the worker reported as failed (left on the queue).
    pub failed: Vec<String>,
}

/// Takes every message on the sweep queue and gives each to the worker in a batch of
/// one, as the SQS event source mapping of `template.yaml` does; deletes the ones the
/// worker did not report as failed.
pub async fn run_worker(
    runtime: &Runtime,
    sdk: &SdkConfig,
    queue_url: &str,
    now: Time,
) -> Result<WorkerRun> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let services = runtime.services(now)?;
    let settings = runtime.settings(now).await?;
    let mut run = WorkerRun::default();
    loop {
        let page = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(300)
            .send()
            .await
            .context("receive sweep messages")?;
        if page.messages().is_empty() {
            return Ok(run);
        }
        for m in page.messages() {
            let mut message = SqsMessage::default();
            message.message_id = m.message_id().map(str::to_string);
            message.receipt_handle = m.receipt_handle().map(str::to_string);
            message.body = m.body().map(str::to_string);
            message.event_source = Some("aws:sqs".into());
            let mut event = SqsEvent::default();
            event.records = vec![message];
            if let Some(account) = m
                .body()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .and_then(|v| v["account"].as_str().map(str::to_string))
            {
                run.accounts.push(account);
            }
            let response = accessdrift_worker::handle(&event, &services, &settings, now).await;
            if response.batch_item_failures.is_empty() {
                if let Some(handle) = m.receipt_handle() {
                    sqs.delete_message()
                        .queue_url(queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await?;
                }
            } else {
                run.failed.extend(
                    response
                        .batch_item_failures
                        .into_iter()
                        .map(|f| f.item_identifier),
                );
            }
        }
    }
}

/// Delivers one EventBridge event to the event function's handler.
pub async fn deliver_event(runtime: &Runtime, event: &Value, now: Time) -> Result<Value> {
    let services = runtime.services(now)?;
    let settings = runtime.settings(now).await?;
    Ok(accessdrift_event::handle(event, &services, &settings, now).await?)
}
