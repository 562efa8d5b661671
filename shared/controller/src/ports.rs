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

/// The account's live state as a snapshot document (`shared/spec/snapshot.md`).
pub trait AccountReader {
    /// Reads the whole account.
    fn read_account(&self, account: &str)
    -> impl Future<Output = Result<String, PortError>> + Send;
}

/// The last snapshot of each account, kept between passes (owner-tag changes are found
/// against it, and event-driven passes refresh only what an event touched).
pub trait SnapshotStore {
    /// The last snapshot saved for `account`, if any.
    fn load(&self, account: &str)
    -> impl Future<Output = Result<Option<String>, PortError>> + Send;
    /// Saves `snapshot` as the last one of `account`.
    fn save(
        &self,
        account: &str,
        snapshot: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Every team's desired state, merged.
pub trait DesiredSource {
    /// The merged state and the problems met reading it (reported, not fatal).
    fn load_desired(
        &self,
    ) -> impl Future<Output = Result<(DesiredState, Vec<String>), PortError>> + Send;
}
