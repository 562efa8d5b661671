//! What a pass needs from the outside besides the findings store and the notifier:
//! the account's current state, the last state seen, and the desired state. Each is a
//! narrow trait; the AWS adapters implement them (`accessdrift-collector` reads the
//! account, `accessdrift-aws` keeps snapshots in S3 and desired state in DynamoDB), and
//! the tests use in-memory versions.

use std::future::Future;

use accessdrift_drift::DesiredState;

/// Why a port failed.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {message}")]
pub struct PortError {
    /// Which port (`snapshot store`, `desired state`, `account reader`).
    pub what: &'static str,
    /// What happened.
    pub message: String,
}

/// A part of an account an event-driven pass re-reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// A resource: its policy, tags and settings (or its absence).
    Resource(String),
    /// An IAM user or role: its entry (policies, trust policy, tags, boundary), its
    /// groups and the managed policies it attaches.
    Principal(String),
    /// The whole of IAM: a change to a group or a managed policy reaches members and
    /// attachments that only a fresh read can name.
    Iam,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Resource(arn) => write!(f, "resource {arn}"),
            Part::Principal(arn) => write!(f, "principal {arn}"),
            Part::Iam => f.write_str("iam"),
        }
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
        if request.account.len() != 12 || !request.account.bytes().all(|b| b.is_ascii_digit()) {
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
