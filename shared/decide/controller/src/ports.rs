//! Every port of the controller, in one place: what a pass reads (the account's current
//! state, the last state seen, the desired state, the Organization) and where its
//! results go (the findings store, the owners' notices, the machine feed, the sweep
//! queue). Each is a narrow trait; the AWS adapters implement them
//! (`accessdrift-collector` reads the account, `accessdrift-aws` the rest), and
//! [`crate::fakes`] has in-memory versions for tests.

use std::future::Future;

use accessdrift_desired::DesiredState;
use accessdrift_drift::lifecycle::StoredFinding;
use accessdrift_drift::notice::{Change, Notice};
use accessdrift_snapshot::Part;

/// The ports a sweep of one account needs: the account, its last snapshot, the desired
/// state, and where the results go. Every [`Ports`] has them; tests with ports of their
/// own make them with [`crate::fakes::Borrowed`].
pub trait SweepPorts {
    /// Reads accounts.
    type Reader: AccountReader + Sync;
    /// Keeps each account's last snapshot.
    type Snapshots: SnapshotStore + Sync;
    /// The teams' desired state.
    type Desired: DesiredSource + Sync;
    /// The findings.
    type Store: FindingStore + Sync;
    /// The owners' notices.
    type Notifier: Notifier + Sync;
    /// Finding state changes for machines.
    type Feed: FindingFeed + Sync;
    /// The account reader.
    fn reader(&self) -> &Self::Reader;
    /// The snapshot store.
    fn snapshots(&self) -> &Self::Snapshots;
    /// The desired state.
    fn desired(&self) -> &Self::Desired;
    /// The findings store.
    fn store(&self) -> &Self::Store;
    /// The notifier.
    fn notifier(&self) -> &Self::Notifier;
    /// The feed.
    fn feed(&self) -> &Self::Feed;

    /// Where a pass's results go.
    fn sinks(&self) -> Sinks<'_, Self::Store, Self::Notifier, Self::Feed> {
        Sinks::new(self.store(), self.notifier(), self.feed())
    }
}

/// Every port a function needs, as one bundle, so the handlers and the demo pass one
/// value instead of eight: a sweep's ports, the Organization and the sweep queue.
pub trait Ports: SweepPorts {
    /// The Organization's structure.
    type Org: Organization + Sync;
    /// Whole-account sweeps.
    type Queue: SweepQueue + Sync;
    /// The Organization.
    fn org(&self) -> &Self::Org;
    /// The sweep queue.
    fn queue(&self) -> &Self::Queue;
}

/// Where a pass's results go: the findings store, the owners' notices and the machine
/// feed (`&()` for none). Callers that hold no account reader or queue (the tests of a
/// pass) build one directly; the functions take it from their [`Ports`].
#[derive(Debug)]
pub struct Sinks<'a, S, N, F> {
    /// The findings.
    pub store: &'a S,
    /// The owners' notices.
    pub notifier: &'a N,
    /// Finding state changes for machines.
    pub feed: &'a F,
}

impl<'a, S, N, F> Sinks<'a, S, N, F> {
    /// The three sinks (`&()` as `feed` for none).
    pub fn new(store: &'a S, notifier: &'a N, feed: &'a F) -> Self {
        Sinks {
            store,
            notifier,
            feed,
        }
    }
}

impl<S, N, F> Clone for Sinks<'_, S, N, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, N, F> Copy for Sinks<'_, S, N, F> {}

/// Why a port failed, with its cause kept and whether trying again can help.
///
/// The event function acknowledges what retrying cannot fix (logged for the alarm)
/// and lets Lambda redeliver the rest, so an adapter says which it is: throttling, a
/// timeout or a 5xx is transient, an AccessDenied or a malformed request is not.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {message}")]
pub struct PortError {
    /// Which port (`snapshot store`, `desired state`, `account reader`).
    pub what: &'static str,
    /// What happened.
    pub message: String,
    /// Whether the same call, made again later, can succeed.
    pub transient: bool,
    /// The underlying error (an SDK error, a parse error), for logs that walk causes.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl PortError {
    /// A failure that may pass (throttled, no answer, a 5xx).
    pub fn transient(what: &'static str, message: impl Into<String>) -> PortError {
        PortError {
            what,
            message: message.into(),
            transient: true,
            source: None,
        }
    }

    /// A failure that stays until someone changes something (denied, malformed input,
    /// a missing table).
    pub fn lasting(what: &'static str, message: impl Into<String>) -> PortError {
        PortError {
            what,
            message: message.into(),
            transient: false,
            source: None,
        }
    }

    /// Keeps `source` as the cause.
    pub fn caused_by(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> PortError {
        self.source = Some(Box::new(source));
        self
    }
}

/// The account's live state as a snapshot document (`shared/spec/snapshot.md`).
pub trait AccountReader {
    /// Reads the whole account.
    fn read_account(&self, account: &str)
    -> impl Future<Output = Result<String, PortError>> + Send;

    /// Re-reads `parts` of `account` and puts them into `snapshot` (its last stored
    /// snapshot), each part stamped with its own `collectedAt`; returns the patched
    /// document. Everything else is kept as it was.
    fn refresh(
        &self,
        account: &str,
        snapshot: &str,
        parts: &[Part],
    ) -> impl Future<Output = Result<String, PortError>> + Send;
}

/// The Organization's structure, for the planner and for SCP/RCP changes.
pub trait Organization {
    /// Every active account of the Organization.
    fn accounts(&self) -> impl Future<Output = Result<Vec<String>, PortError>> + Send;
    /// The active accounts under a root (`r-...`), an OU (`ou-...`, nested OUs
    /// included) or an account id (the account itself).
    fn accounts_under(
        &self,
        target: &str,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send;
    /// The roots, OUs and accounts a policy (SCP, RCP) is attached to.
    fn policy_targets(
        &self,
        policy_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send;
    /// Whether `account` is an active account of the Organization. Nothing is read
    /// from an account before this says yes (see [`crate::boundary`]): an account id
    /// comes from a request parameter or a queue message, and an account outside the
    /// Organization would supply every byte of its snapshot and the owners its tags
    /// name. An error means "cannot tell", never "no".
    fn is_member(&self, account: &str) -> impl Future<Output = Result<bool, PortError>> + Send;
}

/// Where sweeps of whole accounts are queued (one message per account; the worker
/// function takes them one at a time).
pub trait SweepQueue {
    /// Queues `requests`; returns how many were accepted (all, or an error).
    fn enqueue(
        &self,
        requests: &[SweepRequest],
    ) -> impl Future<Output = Result<usize, PortError>> + Send;
}

/// Why an account is swept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SweepReason {
    /// The nightly sweep of the whole Organization.
    Nightly,
    /// An event that needs the whole account re-read (an Organization policy change,
    /// or no snapshot of the account yet).
    Event,
}

/// One sweep message: the contract between the planner (and the event function) and
/// the worker, `{"account", "reason", "requested_at"}` (see `events/README.md`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepRequest {
    /// The account to sweep (12 digits).
    pub account: String,
    /// Why.
    pub reason: SweepReason,
    /// When it was asked for (RFC 3339 UTC).
    pub requested_at: String,
}

/// Why a sweep message was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "not a sweep message ({0}); expected {{\"account\": \"<12 digits>\", \"reason\": \"nightly\"|\"event\", \"requested_at\": \"<RFC 3339>\"}}"
)]
pub struct BadSweepMessage(String);

impl SweepRequest {
    /// Parses a message body, checking the account id's shape.
    pub fn parse(body: &str) -> Result<SweepRequest, BadSweepMessage> {
        let request: SweepRequest =
            serde_json::from_str(body).map_err(|e| BadSweepMessage(e.to_string()))?;
        if !accessdrift_primitives::is_account_id(&request.account) {
            return Err(BadSweepMessage(format!(
                "account `{}` is not 12 digits",
                request.account
            )));
        }
        Ok(request)
    }

    /// The message body.
    pub fn to_json(&self) -> String {
        // Serializing three strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The last snapshot of each account, kept between passes (owner-tag changes are found
/// against it, and event-driven passes refresh only what an event touched).
///
/// Saves are conditional (issue 11): a pass saves only over the version it loaded, so
/// two events in one account, or an event during a sweep, cannot drop each other's
/// fresh part; the loser is told [`SaveError::Conflict`] and redoes its pass on the
/// newer snapshot.
pub trait SnapshotStore {
    /// The last snapshot saved for `account`, with its version, if any.
    fn load(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Option<StoredSnapshot>, PortError>> + Send;
    /// Saves `snapshot` as the last one of `account` if the stored version is still
    /// `expected` (`None`: if none is stored yet).
    fn save(
        &self,
        account: &str,
        snapshot: &str,
        expected: Option<&str>,
    ) -> impl Future<Output = Result<(), SaveError>> + Send;
}

/// A stored snapshot and the version a conditional save must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// The document.
    pub text: String,
    /// The store's version of it (S3: the object's ETag).
    pub version: String,
}

/// Why a snapshot was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Another pass saved the account's snapshot since this one loaded it: load again
    /// and redo the pass.
    #[error("the snapshot of account {0} changed since it was loaded")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Every team's desired state, merged.
pub trait DesiredSource {
    /// The merged state and what kept it from being whole (reported, not fatal).
    fn load_desired(&self) -> impl Future<Output = Result<DesiredRead, PortError>> + Send;
}

/// The merged desired state as read, and what kept it from being whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DesiredRead {
    /// The state of every source that could be read.
    pub state: DesiredState,
    /// Sources that could not be read (corrupt, partial), each with why. While any is
    /// listed, no finding about a resource the readable sources do not declare is
    /// resolved: it may be declared by one of these (issue 11).
    pub unreadable: Vec<String>,
    /// Everything worth reporting about the read, the unreadable sources included.
    pub problems: Vec<String>,
}

impl DesiredRead {
    /// A state read whole.
    pub fn whole(state: DesiredState) -> DesiredRead {
        DesiredRead {
            state,
            ..DesiredRead::default()
        }
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else wrote the finding since it was read: re-read and reconcile again.
    #[error("finding `{0}` changed since it was read")]
    Conflict(String),
    /// The service refused or failed.
    #[error(transparent)]
    Service(PortError),
    /// A stored item is not a finding this version can read.
    #[error("findings store item `{id}` is malformed: {problem}")]
    Malformed {
        /// The item's id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// Where findings are kept.
pub trait FindingStore {
    /// Every finding of an account.
    fn load_account(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Vec<StoredFinding>, StoreError>> + Send;
    /// Writes one record, conditional on the version before it (`record.version - 1`;
    /// version 1 means "must not exist yet").
    fn write(&self, record: &StoredFinding) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl StoreError {
    /// Whether the same write or read, redone later, can succeed: a conflict is redone
    /// on the newer finding, a malformed item stays malformed.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Conflict(_) => true,
            StoreError::Service(e) => e.transient,
            StoreError::Malformed { .. } => false,
        }
    }
}

/// Why a notice could not be sent (its findings stay "notice pending").
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The service refused or failed.
    #[error(transparent)]
    Service(PortError),
}

impl NotifyError {
    /// Whether sending again later can succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            NotifyError::Service(e) => e.transient,
        }
    }
}

/// Where notices go.
pub trait Notifier {
    /// Sends one notice; returns the message id.
    fn send(&self, notice: &Notice) -> impl Future<Output = Result<String, NotifyError>> + Send;
}

/// Where finding state changes go for machines: an EventBridge bus, Security Hub
/// (`accessdrift-aws`), or nowhere (`()`). Optional by configuration, so a failure here
/// is reported in [`SweepReport::feed_errors`] and never stops the sweep or its notices.
pub trait FindingFeed {
    /// Publishes the changes of one sweep (each record as stored after the change);
    /// returns how many were accepted.
    fn publish(
        &self,
        changes: &[(StoredFinding, Change)],
    ) -> impl Future<Output = Result<usize, NotifyError>> + Send;
}

/// No feed.
impl FindingFeed for () {
    async fn publish(&self, _: &[(StoredFinding, Change)]) -> Result<usize, NotifyError> {
        Ok(0)
    }
}

/// A feed that may be switched off.
impl<T: FindingFeed + Sync> FindingFeed for Option<T> {
    async fn publish(&self, changes: &[(StoredFinding, Change)]) -> Result<usize, NotifyError> {
        match self {
            Some(feed) => feed.publish(changes).await,
            None => Ok(0),
        }
    }
}

/// Two feeds, both always tried (the first failure is returned after both ran).
impl<A: FindingFeed + Sync, B: FindingFeed + Sync> FindingFeed for (A, B) {
    async fn publish(&self, changes: &[(StoredFinding, Change)]) -> Result<usize, NotifyError> {
        let a = self.0.publish(changes).await;
        let b = self.1.publish(changes).await;
        Ok(a? + b?)
    }
}
