//! AWS adapters: the only crate besides the Lambda functions that talks to AWS.
//!
//! What it is for: keeping findings in DynamoDB (and, next, desired state, notices on
//! SNS, events on EventBridge, Security Hub). What it is not for: deciding anything; the
//! drift crate decides, these adapters store and send. Each adapter implements a narrow
//! port trait with an in-memory fake, and is tested against the AWS emulator.

pub mod desired;
pub mod feeds;
pub mod findings;
pub mod notices;
pub mod snapshots;
pub mod table;

pub use desired::{
    DesiredStoreError, DynamoDesiredStore, ImportReport, LoadedDesired, SourceInfo,
    create_desired_table, desired_table,
};
pub use feeds::{EventBridgeFeed, FindingFeed, SecurityHubFeed};
pub use findings::{
    DynamoFindingStore, FindingStore, StoreError, create_findings_table, findings_table,
};
pub use notices::{Notifier, NotifyError, SnsNotifier};
pub use snapshots::S3SnapshotStore;
