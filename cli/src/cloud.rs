//! The CLI's AWS plumbing, shared by every subcommand that reads or writes the tables
//! (`findings`, `desired import`/`export`).
//!
//! The SDK configuration is the standard one (`aws_config::load_defaults`), so
//! `AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL` (an emulator, say) and SSO sessions
//! work as with the AWS CLI. Missing region or credentials are reported before the first
//! call, with what to set, instead of as an SDK dispatch failure.

use std::future::Future;

use anyhow::{Context as _, bail};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::ProvideCredentials as _;

/// The findings table's name.
#[derive(clap::Args, Debug, Clone)]
pub struct FindingsTable {
    /// The findings table (DynamoDB).
    #[arg(
        long = "findings-table",
        env = "ACCESSDRIFT_FINDINGS_TABLE",
        default_value = "accessdrift-findings",
        value_name = "TABLE"
    )]
    pub name: String,
}

/// The desired-state table's name.
#[derive(clap::Args, Debug, Clone)]
pub struct DesiredTable {
    /// The desired-state table (DynamoDB).
    #[arg(
        long = "desired-table",
        env = "ACCESSDRIFT_DESIRED_TABLE",
        default_value = "accessdrift-desired",
        value_name = "TABLE"
    )]
    pub name: String,
}

/// Runs `future` to completion on a fresh single-threaded runtime: a CLI command makes
/// a handful of sequential calls, so one thread is enough.
pub fn block_on<F: Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(future))
}

/// The standard SDK configuration, checked: a region is set and credentials resolve.
pub async fn sdk_config() -> anyhow::Result<SdkConfig> {
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    if config.region().is_none() {
        bail!("no AWS region: set AWS_REGION (or AWS_PROFILE to a profile that has a region)");
    }
    let Some(provider) = config.credentials_provider() else {
        bail!("{NO_CREDENTIALS}");
    };
    if let Err(e) = provider.provide_credentials().await {
        bail!("{NO_CREDENTIALS}\n({e})");
    }
    Ok(config)
}

const NO_CREDENTIALS: &str = "no AWS credentials: set AWS_PROFILE to a configured profile (after \
    `aws sso login` or `aws configure`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; on AWS \
    compute the instance or task role is used";
