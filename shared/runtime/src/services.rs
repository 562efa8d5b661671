//! The adapters wired together: [`Runtime`] is built once per cold start (SDK
//! clients, configuration, the detector's own account id); [`Services`] is the
//! bundle of ports one invocation runs on.

use std::sync::Arc;

use accessdrift_aws::desired::DynamoDesiredStore;
use accessdrift_aws::feeds::{EventBridgeFeed, SecurityHubFeed};
use accessdrift_aws::findings::DynamoFindingStore;
use accessdrift_aws::notices::SnsNotifier;
use accessdrift_aws::snapshots::S3SnapshotStore;
use accessdrift_collector::CollectorOptions;
use accessdrift_controller::Settings;
use accessdrift_primitives::Time;

use accessdrift_controller::ports::{Organization, PortError, SweepQueue, SweepRequest};
use accessdrift_controller::ports::{Ports, SweepPorts};

use aws_config::SdkConfig;

use crate::config::{Config, MissingVariable};
use crate::reader::CollectorReader;
use accessdrift_aws::organizations::{
    AccountsCache, CachingDirectory, ListedOrganization, OrganizationsDirectory,
};
use accessdrift_aws::queue::SqsSweepQueue;

/// Why the functions could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A required variable is missing.
    #[error(transparent)]
    Config(#[from] MissingVariable),
    /// The function's own identity could not be learned (credentials, endpoint).
    #[error("sts:GetCallerIdentity failed, so the function's own account is unknown: {0}")]
    Identity(String),
}

/// What every invocation of a warm function shares.
#[derive(Debug, Clone)]
pub struct Runtime {
    sdk: SdkConfig,
    config: Arc<Config>,
    own_account: String,
}

impl Runtime {
    /// Learns the function's own account and keeps the configuration.
    pub async fn start(sdk: SdkConfig, config: Config) -> Result<Runtime, StartError> {
        let identity = aws_sdk_sts::Client::new(&sdk)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                StartError::Identity(aws_sdk_sts::error::DisplayErrorContext(e).to_string())
            })?;
        let own_account = identity
            .account()
            .map(str::to_string)
            .ok_or_else(|| StartError::Identity("the answer has no account".into()))?;
        Ok(Runtime {
            sdk,
            config: Arc::new(config),
            own_account,
        })
    }

    /// The detector's own account.
    pub fn own_account(&self) -> &str {
        &self.own_account
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The Organization.
    pub fn org(&self) -> OrganizationsDirectory {
        OrganizationsDirectory::new(aws_sdk_organizations::Client::new(&self.sdk))
    }

    /// The sweep queue (`SWEEP_QUEUE_URL`).
    pub fn queue(&self) -> Result<SqsSweepQueue, MissingVariable> {
        let url = Config::require(&self.config.sweep_queue_url, "SWEEP_QUEUE_URL")?;
        Ok(SqsSweepQueue::new(aws_sdk_sqs::Client::new(&self.sdk), url))
    }

    /// The account-list cache, when there is a snapshot bucket.
    pub fn accounts_cache(&self) -> Option<AccountsCache> {
        self.config
            .snapshot_bucket
            .as_ref()
            .map(|b| AccountsCache::new(aws_sdk_s3::Client::new(&self.sdk), b))
    }

    /// The Organization whose account listing is kept for the other functions (the
    /// planner lists it every night).
    pub fn caching_org(&self, now: Time) -> CachingDirectory {
        CachingDirectory {
            inner: self.org(),
            cache: self.accounts_cache(),
            now,
        }
    }

    /// The Organization as the event function and the worker see it at `now`: the
    /// planner's recent account list, else Organizations itself.
    pub fn listed_org(&self, now: Time) -> ListedOrganization {
        ListedOrganization::new(self.org(), self.accounts_cache(), now)
    }

    /// How passes judge: the configuration plus the Organization's accounts (the
    /// planner's list when it is recent, else listed now).
    pub async fn settings(&self, now: Time) -> Result<Settings, PortError> {
        let accounts = self.listed_org(now).accounts().await?;
        Ok(self.config.settings(accounts))
    }

    /// The ports of one invocation at `now` (Security Hub findings carry it).
    pub fn services(&self, now: Time) -> Result<Services, MissingVariable> {
        let c = &self.config;
        let findings = Config::require(&c.findings_table, "FINDINGS_TABLE")?;
        let desired = Config::require(&c.desired_table, "DESIRED_TABLE")?;
        let topic = Config::require(&c.notice_topic_arn, "NOTICE_TOPIC_ARN")?;
        let bucket = Config::require(&c.snapshot_bucket, "SNAPSHOT_BUCKET")?;
        let dynamo = aws_sdk_dynamodb::Client::new(&self.sdk);
        let s3 = aws_sdk_s3::Client::new(&self.sdk);
        let region = self.sdk.region().map(|r| r.to_string()).unwrap_or_default();
        let options = CollectorOptions {
            regions: c.regions.clone(),
            concurrency: c.concurrency,
            ..CollectorOptions::default()
        };
        Ok(Services {
            reader: CollectorReader::new(
                self.sdk.clone(),
                self.own_account.clone(),
                c.read_role_name.clone(),
                c.read_role_external_id.clone(),
                options,
            ),
            snapshots: S3SnapshotStore::new(s3, bucket),
            desired: DynamoDesiredStore::new(dynamo.clone(), desired),
            store: DynamoFindingStore::new(dynamo, findings),
            notifier: SnsNotifier::new(aws_sdk_sns::Client::new(&self.sdk), topic),
            feed: (
                c.finding_events_bus.as_ref().map(|bus| {
                    EventBridgeFeed::new(aws_sdk_eventbridge::Client::new(&self.sdk), bus)
                }),
                c.security_hub.then(|| {
                    SecurityHubFeed::new(
                        aws_sdk_securityhub::Client::new(&self.sdk),
                        &self.own_account,
                        &region,
                        now,
                    )
                }),
            ),
            org: self.listed_org(now),
            queue: OptionalQueue(self.queue().ok()),
        })
    }
}

/// The sweep queue when `SWEEP_QUEUE_URL` is set; otherwise every enqueue fails,
/// naming the variable (the worker never enqueues, so it need not be set there).
#[derive(Debug, Clone)]
pub struct OptionalQueue(pub Option<SqsSweepQueue>);

impl SweepQueue for OptionalQueue {
    async fn enqueue(&self, requests: &[SweepRequest]) -> Result<usize, PortError> {
        match &self.0 {
            Some(q) => q.enqueue(requests).await,
            None => Err(PortError::lasting(
                "sweep queue",
                MissingVariable("SWEEP_QUEUE_URL").to_string(),
            )),
        }
    }
}

/// The ports of one invocation.
#[derive(Debug, Clone)]
pub struct Services {
    reader: CollectorReader,
    snapshots: S3SnapshotStore,
    desired: DynamoDesiredStore,
    store: DynamoFindingStore,
    notifier: SnsNotifier,
    feed: (Option<EventBridgeFeed>, Option<SecurityHubFeed>),
    org: ListedOrganization,
    queue: OptionalQueue,
}

impl SweepPorts for Services {
    type Reader = CollectorReader;
    type Snapshots = S3SnapshotStore;
    type Desired = DynamoDesiredStore;
    type Store = DynamoFindingStore;
    type Notifier = SnsNotifier;
    type Feed = (Option<EventBridgeFeed>, Option<SecurityHubFeed>);
    fn reader(&self) -> &CollectorReader {
        &self.reader
    }
    fn snapshots(&self) -> &S3SnapshotStore {
        &self.snapshots
    }
    fn desired(&self) -> &DynamoDesiredStore {
        &self.desired
    }
    fn store(&self) -> &DynamoFindingStore {
        &self.store
    }
    fn notifier(&self) -> &SnsNotifier {
        &self.notifier
    }
    fn feed(&self) -> &Self::Feed {
        &self.feed
    }
}

impl Ports for Services {
    type Org = ListedOrganization;
    type Queue = OptionalQueue;
    fn org(&self) -> &ListedOrganization {
        &self.org
    }
    fn queue(&self) -> &OptionalQueue {
        &self.queue
    }
}
