//! The desired-state table against the AWS emulator (moto server, started here on
//! 127.0.0.1): imports are all-or-nothing, a rejected file changes nothing stored,
//! sources cannot claim each other's resources, big files are split and joined back.
//!
//! The emulator is required: `make test` installs it; without it these tests fail
//! loudly, they never skip.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_aws::{DesiredStoreError, DynamoDesiredStore, create_desired_table};
use accessdrift_emulator::Emulator;

use crate::at;

const CREDIT: &str = "\
version: 1
constraints:
  - classification: Confidential
    max-principals:
      read-data: 5
resources:
  - arn: arn:aws:s3:::credit-applications
    owner: credit-team
    capabilities:
      read-data: [arn:aws:iam::111111111111:role/credit-processor]
";

const RISK: &str = "\
version: 1
resources:
  - arn: arn:aws:s3:::risk-models
    owner: risk-team
";

async fn store(em: &Emulator) -> (DynamoDesiredStore, aws_sdk_dynamodb::Client) {
    let client = aws_sdk_dynamodb::Client::new(&em.sdk_config().await);
    create_desired_table(&client, "desired").await.unwrap();
    (DynamoDesiredStore::new(client.clone(), "desired"), client)
}

async fn item_count(client: &aws_sdk_dynamodb::Client) -> usize {
    // A scan is fine in a test: it counts every item the table holds.
    client
        .scan()
        .table_name("desired")
        .send()
        .await
        .unwrap()
        .items()
        .len()
}

#[tokio::test]
async fn an_import_round_trips_and_a_second_identical_import_writes_nothing() {
    let em = Emulator::start();
    let (store, client) = store(&em).await;
    let r = store
        .import(
            "credit",
            "desired/credit.yaml",
            CREDIT,
            "alice",
            at("2026-11-24T10:00:00Z"),
        )
        .await
        .unwrap();
    assert!(!r.unchanged && r.previous.is_none());
    assert_eq!(
        (
            r.stored.generation,
            r.stored.resources,
            r.stored.constraints
        ),
        (1, 1, 1)
    );

    let (head, text) = store.text("credit").await.unwrap().unwrap();
    assert_eq!(text, CREDIT, "the team's own text comes back byte for byte");
    assert_eq!(head.imported_by, "alice");

    let loaded = store.load().await.unwrap();
    assert_eq!(loaded.merged.state.resources.len(), 1);
    let r = &loaded.merged.state.resources[0];
    assert_eq!(
        r.location.file, "desired/credit.yaml",
        "notices point at the team's file"
    );
    assert_eq!(r.location.line, 7);

    let items = item_count(&client).await;
    let again = store
        .import(
            "credit",
            "desired/credit.yaml",
            CREDIT,
            "bob",
            at("2026-11-24T11:00:00Z"),
        )
        .await
        .unwrap();
    assert!(again.unchanged);
    assert_eq!(again.stored.imported_by, "alice", "nothing was rewritten");
    assert_eq!(item_count(&client).await, items);
}

#[tokio::test]
async fn a_rejected_file_lists_every_mistake_and_changes_nothing_stored() {
    let em = Emulator::start();
    let (store, client) = store(&em).await;
    store
        .import(
            "credit",
            "desired/credit.yaml",
            CREDIT,
            "alice",
            at("2026-01-01T01:00:00Z"),
        )
        .await
        .unwrap();
    let before = item_count(&client).await;

    let bad = "\
version: 1
resources:
  - arn: arn:aws:s3:::credit-applications
    capabilities:
      read-everything: [arn:aws:iam::111111111111:role/x]
  - arn: not-an-arn
  - arn: arn:aws:s3:::credit-applications
";
    let err = store
        .import(
            "credit",
            "desired/credit.yaml",
            bad,
            "mallory",
            at("2026-01-01T02:00:00Z"),
        )
        .await
        .unwrap_err();
    let DesiredStoreError::Invalid(errors) = &err else {
        panic!("expected Invalid, got {err}");
    };
    assert!(errors.errors.len() >= 3, "every mistake at once: {err}");
    let message = err.to_string();
    assert!(message.contains("desired/credit.yaml:5:"), "{message}");
    assert!(message.contains("read-everything"), "{message}");

    assert_eq!(item_count(&client).await, before);
    let (head, text) = store.text("credit").await.unwrap().unwrap();
    assert_eq!((head.generation, text.as_str()), (1, CREDIT));
}

#[tokio::test]
async fn a_source_cannot_claim_another_sources_resource_but_may_replace_its_own() {
    let em = Emulator::start();
    let (store, client) = store(&em).await;
    store
        .import(
            "credit",
            "credit.yaml",
            CREDIT,
            "alice",
            at("2026-01-01T01:00:00Z"),
        )
        .await
        .unwrap();
    store
        .import(
            "risk",
            "risk.yaml",
            RISK,
            "rita",
            at("2026-01-01T01:00:00Z"),
        )
        .await
        .unwrap();

    let err = store
        .import(
            "newcomer",
            "newcomer.yaml",
            CREDIT,
            "eve",
            at("2026-01-01T02:00:00Z"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DesiredStoreError::Claimed { claimed, .. }
            if claimed == &[("arn:aws:s3:::credit-applications".to_string(), "credit".to_string())]),
        "{err}"
    );
    assert!(store.head("newcomer").await.unwrap().is_none());

    let edited = CREDIT.replace("read-data: 5", "read-data: 3");
    let r = store
        .import(
            "credit",
            "credit.yaml",
            &edited,
            "alice",
            at("2026-01-01T03:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(r.stored.generation, 2);
    assert_eq!(r.previous.map(|p| p.generation), Some(1));
    assert_eq!(r.leftovers, 0, "the old generation's parts are gone");
    assert_eq!(
        item_count(&client).await,
        4,
        "a head and one part per source: the replaced generation left nothing behind"
    );
    assert_eq!(store.text("credit").await.unwrap().unwrap().1, edited);

    let names: Vec<String> = store
        .sources()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["credit", "risk"]);
    let loaded = store.load().await.unwrap();
    assert_eq!(loaded.merged.state.resources.len(), 2);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
}

#[tokio::test]
async fn a_file_larger_than_one_item_is_split_and_joined_back() {
    let em = Emulator::start();
    let (store, _) = store(&em).await;
    let mut text = String::from("version: 1\nresources:\n");
    for i in 0..6000 {
        text.push_str(&format!(
            "  - arn: arn:aws:s3:::bucket-{i:05}\n    owner: team-{}\n    capabilities:\n      read-data: [arn:aws:iam::111111111111:role/reader-{i}]\n",
            i % 7
        ));
    }
    assert!(text.len() > 600_000, "{} bytes", text.len());
    let r = store
        .import("big", "big.yaml", &text, "ops", at("2026-01-01T01:00:00Z"))
        .await
        .unwrap();
    assert_eq!(r.stored.resources, 6000);
    assert_eq!(store.text("big").await.unwrap().unwrap().1, text);
}

#[tokio::test]
async fn racing_imports_of_one_source_leave_one_complete_text() {
    let em = Emulator::start();
    let (store, _) = store(&em).await;
    store
        .import(
            "credit",
            "credit.yaml",
            CREDIT,
            "alice",
            at("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let texts: Vec<String> = (1..=4)
        .map(|i| CREDIT.replace("read-data: 5", &format!("read-data: {i}")))
        .collect();
    let results = futures_join(&store, &texts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert!(won >= 1, "at least one import lands");
    for r in &results {
        assert!(
            matches!(r, Ok(_) | Err(DesiredStoreError::Conflict(_))),
            "{r:?}"
        );
    }
    let (head, text) = store.text("credit").await.unwrap().unwrap();
    assert!(texts.contains(&text), "the stored text is one whole import");
    assert_eq!(
        head.generation,
        1 + won as u64,
        "each landed import is one generation"
    );
}

async fn futures_join(
    store: &DynamoDesiredStore,
    texts: &[String],
) -> Vec<Result<accessdrift_aws::ImportReport, DesiredStoreError>> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, text) in texts.iter().enumerate() {
        let store = store.clone();
        let text = text.clone();
        tasks.spawn(async move {
            store
                .import(
                    "credit",
                    "credit.yaml",
                    &text,
                    &format!("user{i}"),
                    at("2026-01-01T01:00:00Z"),
                )
                .await
        });
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        out.push(r.unwrap());
    }
    out
}
