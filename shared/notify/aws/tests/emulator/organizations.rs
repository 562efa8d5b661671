//! The Organization's boundary as the functions see it in AWS (issue 11), on the
//! emulator: membership from the planner's account list, else `DescribeAccount`, and
//! an error (never a guess) when neither can be read.
//!
//! Emulator gap: moto answers `DescribeAccount` with `AccountNotFoundException` even
//! when there is no Organization (AWS: `AWSOrganizationsNotInUseException`, an error
//! here), so "cannot be read" is tested with an endpoint nothing listens on.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop the test with its message"
)]

use accessdrift_aws::organizations::{
    AccountsCache, CachedAccounts, ListedOrganization, OrganizationsDirectory,
};
use accessdrift_controller::ports::Organization;
use accessdrift_emulator::Emulator;
use aws_sdk_organizations::types::OrganizationFeatureSet;

use crate::at;

const OUTSIDE: &str = "999999999999";

#[tokio::test]
async fn membership_comes_from_the_list_else_describe_account_and_never_from_a_guess() {
    let emulator = Emulator::start();
    let sdk = emulator.sdk_config().await;
    let orgs = aws_sdk_organizations::Client::new(&sdk);
    let directory = OrganizationsDirectory::new(orgs.clone());
    let s3 = aws_sdk_s3::Client::new(&sdk);
    s3.create_bucket().bucket("snapshots").send().await.unwrap();
    let cache = AccountsCache::new(s3, "snapshots");

    // Neither the list nor Organizations can be read (nothing listens on the port):
    // membership is an error, so the invocation fails and is retried.
    let down = sdk
        .to_builder()
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let unreachable = ListedOrganization::new(
        OrganizationsDirectory::new(aws_sdk_organizations::Client::new(&down)),
        Some(AccountsCache::new(
            aws_sdk_s3::Client::new(&down),
            "snapshots",
        )),
        at("2026-11-24T09:00:00Z"),
    );
    assert!(unreachable.is_member("222222222222").await.is_err());

    orgs.create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let management = orgs
        .describe_organization()
        .send()
        .await
        .unwrap()
        .organization()
        .and_then(|o| o.master_account_id())
        .unwrap()
        .to_string();
    // The planner's list, written before the member joined.
    cache
        .save(&CachedAccounts {
            listed_at: "2026-11-24T02:00:00Z".into(),
            accounts: vec![management.clone()],
        })
        .await
        .unwrap();
    let created = orgs
        .create_account()
        .email("late@example.com")
        .account_name("late")
        .send()
        .await
        .unwrap();
    let member = created
        .create_account_status()
        .and_then(|s| s.account_id())
        .unwrap()
        .to_string();

    let org = ListedOrganization::new(directory.clone(), Some(cache), at("2026-11-24T09:00:00Z"));
    assert!(org.is_member(&management).await.unwrap(), "from the list");
    assert!(
        org.is_member(&member).await.unwrap(),
        "joined since the list: DescribeAccount says so"
    );
    assert!(!org.is_member(OUTSIDE).await.unwrap());
    assert!(!org.is_member("not-an-account").await.unwrap());
    // An `AttachPolicy` target that is an outside account id holds no accounts.
    assert!(directory.accounts_under(OUTSIDE).await.unwrap().is_empty());
    assert_eq!(directory.accounts_under(&member).await.unwrap(), [member]);
}
