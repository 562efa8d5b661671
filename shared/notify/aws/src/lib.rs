//! AWS adapters of the controller's ports (`accessdrift_controller::ports`), except the
//! account reader: reading an account is the collector's job (`accessdrift-collector`).
//!
//! What it is for: findings and desired state in DynamoDB, snapshots and the account
//! list in S3, notices on SNS, finding feeds on EventBridge and Security Hub, the
//! Organization's structure from Organizations, sweep messages on SQS. What it is not
//! for: deciding anything; the controller decides, these adapters store and send. Each
//! adapter implements a narrow port trait that has an in-memory fake, and is tested
//! against the AWS emulator.

pub mod desired;
pub mod feeds;
pub mod findings;
pub mod notices;
pub mod organizations;
pub mod queue;
mod sdk;
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
