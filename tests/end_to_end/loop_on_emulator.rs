//! The controller's loop end to end on the AWS emulator (moto server, started here):
//! real DynamoDB tables (findings, desired state) created from the same definitions as
//! `template.yaml`, a real SNS topic, and one SQS queue per subscriber with the filter
//! policy a team would use, from which the test reads what each would receive.
//!
//! The account itself is the example snapshot (`examples/credit-account.json`), changed
//! the way an engineer would change the bucket policy; reading live account state is
//! the collector's job and has its own tests.
//!
//! Security's subscription uses the filter policy `template.yaml` deploys (read from the
//! template, not copied), so what the README promises security holds as deployed.
//!
//! Emulator gap: moto delivers only the `sqs`/`default` variant of a
//! `MessageStructure=json` message to an SQS subscriber, so the email text and the
//! Chatbot JSON are checked by the renderers' snapshot tests in the drift crate.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_aws::{
    DynamoDesiredStore, DynamoFindingStore, SnsNotifier, create_desired_table,
    create_findings_table,
};
use accessdrift_controller::ports::{DesiredRead, FindingStore, Sinks};
use accessdrift_controller::{Pass, Settings, baseline, run_pass};
use accessdrift_desired::{BaselineSelect, to_yaml};
use accessdrift_drift::lifecycle::Status;
use accessdrift_emulator::Emulator;
use accessdrift_snapshot::{Snapshot, read_snapshot};
use accessdrift_tests::subscription_filter_policy;
use serde_json::{Value, json};

use crate::at;

const ACCOUNT: &str = include_str!("../../examples/credit-account.json");
const BUCKET: &str = "arn:aws:s3:::credit-applications";
const CUST_SERVICE: &str = "arn:aws:iam::111111111111:role/cust-service";

/// The example account with `extra` statements added to the bucket policy.
fn account_with_bucket_statements(extra: &[Value]) -> Snapshot {
    let mut doc: Value = serde_json::from_str(ACCOUNT).unwrap();
    let bucket = doc["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["arn"] == BUCKET)
        .unwrap();
    let statements = bucket["policy"]["Statement"].as_array_mut().unwrap();
    statements.extend(extra.iter().cloned());
    read_snapshot(&doc.to_string()).unwrap()
}

/// The `owner` attribute of an SQS-delivered SNS message: one word, or the words of a
/// `String.Array`.
fn audience(message: &Value) -> Vec<String> {
    let owner = &message["MessageAttributes"]["owner"];
    let value = owner["Value"].as_str().unwrap_or_default();
    if owner["Type"] == "String.Array" {
        serde_json::from_str(value).unwrap()
    } else {
        vec![value.to_string()]
    }
}

fn subjects(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["Subject"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn baseline_then_a_bucket_policy_change_opens_one_finding_notifies_its_owner_once_and_resolves_on_revert()
 {
    let em = Emulator::start();
    let config = em.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    create_findings_table(&dynamodb, "accessdrift-findings")
        .await
        .unwrap();
    create_desired_table(&dynamodb, "accessdrift-desired")
        .await
        .unwrap();
    let topic = em.create_topic("accessdrift-notices").await;
    let credit = em
        .subscribe_queue(&topic, "credit-team", r#"{"owner": ["credit-team"]}"#)
        .await;
    let risk = em
        .subscribe_queue(&topic, "risk-team", r#"{"owner": ["risk-team"]}"#)
        .await;
    let security = em
        .subscribe_queue(
            &topic,
            "security",
            &subscription_filter_policy("SecurityNoticeSubscription"),
        )
        .await;

    let store = DynamoFindingStore::new(dynamodb.clone(), "accessdrift-findings");
    let desired_store = DynamoDesiredStore::new(dynamodb.clone(), "accessdrift-desired");
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&config), &topic);
    let settings = Settings::default();

    // 1. Baseline: today's access to the credit team's resources becomes its desired
    //    state, imported as the team would (`accessdrift desired import`).
    let today = account_with_bucket_statements(&[]);
    let select = BaselineSelect {
        owner: Some("credit-team".into()),
        ..BaselineSelect::default()
    };
    let yaml = to_yaml(&baseline(&today, &select, &settings));
    desired_store
        .import(
            "credit",
            "desired/credit.yaml",
            &yaml,
            "alice",
            at("2026-11-24T01:00:00Z"),
        )
        .await
        .unwrap();
    let desired = desired_store.load().await.unwrap();
    assert!(desired.problems.is_empty(), "{:?}", desired.problems);
    let desired = DesiredRead::from(desired);

    let first = run_pass(
        Pass {
            snapshot: &today,
            previous: None,
            desired: &desired,
            settings: &settings,
            now: at("2026-11-24T02:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    let on_bucket: Vec<_> = first
        .findings
        .iter()
        .filter(|f| f.resource == BUCKET)
        .collect();
    assert!(
        on_bucket.is_empty(),
        "the baseline accepts today: {on_bucket:?}"
    );
    // Whatever else the account holds (e.g. untagged resources) was notified now.
    em.drain(&credit).await;
    em.drain(&risk).await;
    em.drain(&security).await;

    // 2. An engineer lets customer service delete applications. (Deleting needs no
    //    KMS permission, unlike reading this KMS-encrypted data, so the bucket policy
    //    alone grants it.)
    let grant = json!({
        "Sid": "SupportDeletes",
        "Effect": "Allow",
        "Principal": {"AWS": CUST_SERVICE},
        "Action": "s3:DeleteObject",
        "Resource": format!("{BUCKET}/*")
    });
    let changed = account_with_bucket_statements(&[grant]);
    let second = run_pass(
        Pass {
            snapshot: &changed,
            previous: Some(&today),
            desired: &desired,
            settings: &settings,
            now: at("2026-11-24T03:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    let new: Vec<_> = second
        .findings
        .iter()
        .filter(|f| f.resource == BUCKET)
        .collect();
    assert_eq!(new.len(), 1, "exactly one finding opened: {new:?}");
    let finding = new[0];
    assert_eq!(finding.principal.as_deref(), Some(CUST_SERVICE));
    assert_eq!(finding.capability.map(|c| c.as_str()), Some("delete-data"));
    assert_eq!(
        finding.severity.as_str(),
        "high",
        "a data capability on Confidential data"
    );
    assert!(
        finding
            .grants
            .iter()
            .any(|g| g.statement == "SupportDeletes"),
        "{:?}",
        finding.grants
    );

    let to_owner = em.drain(&credit).await;
    assert_eq!(to_owner.len(), 1, "one notice on the owner's subscription");
    let attrs = &to_owner[0]["MessageAttributes"];
    assert_eq!(
        audience(&to_owner[0]),
        ["credit-team", "security"],
        "a high digest is addressed to security too"
    );
    assert_eq!(attrs["severity"]["Value"], "high");
    let body = to_owner[0]["Message"].as_str().unwrap();
    assert!(body.contains(&finding.id), "{body}");
    assert!(
        body.contains("SupportDeletes"),
        "the granting statement: {body}"
    );
    assert!(
        em.drain(&risk).await.is_empty(),
        "no other team hears of it"
    );
    assert_eq!(
        subjects(&em.drain(&security).await),
        subjects(&to_owner),
        "security gets it through the template's filter policy"
    );

    let stored = store.load_account("111111111111").await.unwrap();
    let record = stored.iter().find(|r| r.finding.id == finding.id).unwrap();
    assert_eq!(record.status, Status::Open);
    assert_eq!(record.first_seen, "2026-11-24T03:00:00Z");
    assert!(record.notice_pending.is_none(), "sent, so nothing pending");

    // 3. The next sweep finds the same drift: no new notice.
    run_pass(
        Pass {
            snapshot: &changed,
            previous: Some(&changed),
            desired: &desired,
            settings: &settings,
            now: at("2026-11-24T04:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    assert!(
        em.drain(&credit).await.is_empty(),
        "the same drift never notifies twice"
    );
    assert!(em.drain(&security).await.is_empty());

    // 4. The engineer reverts: the finding resolves and the owner hears so.
    let reverted = run_pass(
        Pass {
            snapshot: &today,
            previous: Some(&changed),
            desired: &desired,
            settings: &settings,
            now: at("2026-11-24T05:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    assert!(reverted.findings.iter().all(|f| f.id != finding.id));
    let resolved = em.drain(&credit).await;
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(
        resolved[0]["MessageAttributes"]["kinds"]["Type"],
        "String.Array"
    );
    assert!(
        resolved[0]["Message"]
            .as_str()
            .unwrap()
            .contains("resolved")
    );
    assert!(em.drain(&risk).await.is_empty());
    let stored = store.load_account("111111111111").await.unwrap();
    let record = stored.iter().find(|r| r.finding.id == finding.id).unwrap();
    assert_eq!(record.status, Status::Resolved);
    assert!(record.history.len() >= 2, "{:?}", record.history);
}

/// Issue 11: the declared owner and security hear about every owner disagreement and
/// every held finding, whatever the tag says, through the subscriptions as deployed.
#[tokio::test]
async fn owner_disagreements_and_held_findings_reach_the_declared_owner_and_security_as_deployed() {
    let em = Emulator::start();
    let config = em.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    create_findings_table(&dynamodb, "accessdrift-findings")
        .await
        .unwrap();
    let topic = em.create_topic("accessdrift-notices").await;
    let credit = em
        .subscribe_queue(&topic, "credit-team", r#"{"owner": ["credit-team"]}"#)
        .await;
    let security = em
        .subscribe_queue(
            &topic,
            "security",
            &subscription_filter_policy("SecurityNoticeSubscription"),
        )
        .await;
    let store = DynamoFindingStore::new(dynamodb.clone(), "accessdrift-findings");
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&config), &topic);
    let settings = Settings::default();
    let today = read_snapshot(ACCOUNT).unwrap();
    let select = BaselineSelect {
        owner: Some("credit-team".into()),
        ..BaselineSelect::default()
    };
    let desired = DesiredRead::whole(baseline(&today, &select, &settings));
    run_pass(
        Pass {
            snapshot: &today,
            previous: None,
            desired: &desired,
            settings: &settings,
            now: at("2026-01-01T01:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    em.drain(&credit).await;
    em.drain(&security).await;

    // The bucket's owner tag now names a word nobody subscribes to: an owner-tag change
    // (medium) and a tag mismatch with the desired state.
    let retagged =
        read_snapshot(&ACCOUNT.replacen("\"owner\": \"credit-team\"", "\"owner\": \"nobody\"", 1))
            .unwrap();
    run_pass(
        Pass {
            snapshot: &retagged,
            previous: Some(&today),
            desired: &desired,
            settings: &settings,
            now: at("2026-01-01T02:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    let to_security = em.drain(&security).await;
    let to_credit = em.drain(&credit).await;
    let owner_change = |m: &&Value| {
        m["Subject"]
            .as_str()
            .unwrap_or_default()
            .contains("owner of")
    };
    let mismatch = |m: &&Value| {
        m["MessageAttributes"]["kinds"]["Value"]
            .as_str()
            .unwrap_or_default()
            .contains("tag-mismatch")
    };
    assert_eq!(
        to_security.iter().filter(owner_change).count(),
        1,
        "{to_security:#?}"
    );
    assert_eq!(
        to_security.iter().filter(mismatch).count(),
        1,
        "{to_security:#?}"
    );
    assert_eq!(
        to_credit.iter().filter(owner_change).count(),
        1,
        "{to_credit:#?}"
    );
    assert_eq!(
        to_credit.iter().filter(mismatch).count(),
        1,
        "{to_credit:#?}"
    );
    let m = to_credit.iter().find(mismatch).unwrap();
    assert_eq!(audience(m), ["nobody", "credit-team", "security"]);

    // The credit team's source becomes unreadable: nothing resolves, security hears.
    let unreadable = DesiredRead {
        unreadable: vec!["source `credit`: its text is incomplete (parts missing)".into()],
        ..DesiredRead::default()
    };
    let report = run_pass(
        Pass {
            snapshot: &retagged,
            previous: Some(&retagged),
            desired: &unreadable,
            settings: &settings,
            now: at("2026-01-01T03:00:00Z"),
            scope: None,
        },
        Sinks::new(&store, &notifier, &()),
    )
    .await
    .unwrap();
    assert!(report.sweep.held > 0, "{report:?}");
    let to_security = em.drain(&security).await;
    assert!(!to_security.is_empty());
    for m in &to_security {
        let body = m["Message"].as_str().unwrap();
        assert!(body.contains("\"change\":\"held\""), "{body}");
        assert!(!body.contains("\"change\":\"resolved\""), "{body}");
    }
    let stored = store.load_account("111111111111").await.unwrap();
    assert!(
        stored.iter().all(|r| r.status != Status::Resolved),
        "{stored:#?}"
    );
    assert!(stored.iter().any(|r| {
        r.held
            .as_deref()
            .is_some_and(|w| w.contains("parts missing"))
    }));
}
