//! In-memory versions of the ports in [`crate::ports`], for tests of the controller
//! and of the function handlers built on it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use accessdrift_drift::DesiredState;

use accessdrift_drift::fakes::{MemoryFeed, MemoryNotifier, MemoryStore};

use crate::ports::{
    AccountReader, DesiredSource, Organization, Part, PortError, SnapshotStore, SweepQueue,
    SweepRequest,
};
use crate::react::Ports;

/// Drives the fakes' futures without a runtime (see the drift crate's fakes).
pub use accessdrift_drift::fakes::block_on;

fn poisoned(what: &'static str) -> PortError {
    PortError {
        what,
        message: "lock poisoned".into(),
    }
}

/// Accounts as snapshot documents, settable between passes. A refresh answers the
/// account's whole current document (a superset of any part) and records which parts
/// were asked for, so tests can check what an event re-reads.
#[derive(Debug, Default)]
pub struct MemoryAccounts {
    accounts: Mutex<BTreeMap<String, String>>,
    refreshed: Mutex<Vec<(String, Vec<Part>)>>,
    reads: Mutex<Vec<String>>,
}

impl MemoryAccounts {
    /// Sets what reading `account` returns.
    pub fn set(&self, account: &str, snapshot: &str) {
        if let Ok(mut a) = self.accounts.lock() {
            a.insert(account.to_string(), snapshot.to_string());
        }
    }

    /// Every refresh so far: the account and the parts asked for.
    pub fn refreshed(&self) -> Vec<(String, Vec<Part>)> {
        self.refreshed.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Every whole-account read so far.
    pub fn reads(&self) -> Vec<String> {
        self.reads.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn current(&self, account: &str) -> Result<String, PortError> {
        let accounts = self
            .accounts
            .lock()
            .map_err(|_| poisoned("account reader"))?;
        accounts.get(account).cloned().ok_or_else(|| PortError {
            what: "account reader",
            message: format!("no account {account}"),
        })
    }
}

impl AccountReader for MemoryAccounts {
    async fn read_account(&self, account: &str) -> Result<String, PortError> {
        if let Ok(mut r) = self.reads.lock() {
            r.push(account.to_string());
        }
        self.current(account)
    }

    async fn refresh(
        &self,
        account: &str,
        _snapshot: &str,
        parts: &[Part],
    ) -> Result<String, PortError> {
        if let Ok(mut r) = self.refreshed.lock() {
            r.push((account.to_string(), parts.to_vec()));
        }
        self.current(account)
    }
}

/// An Organization as lists: its accounts, what each root or OU holds, and where each
/// policy is attached.
#[derive(Debug, Default)]
pub struct MemoryOrganization {
    /// Every active account.
    pub accounts: Vec<String>,
    /// Root or OU id -> the accounts under it (nested OUs included).
    pub under: BTreeMap<String, Vec<String>>,
    /// Policy id -> the targets it is attached to.
    pub attachments: BTreeMap<String, Vec<String>>,
    /// Every call fails, as when neither the account list nor Organizations can be
    /// read.
    pub unreachable: bool,
}

impl MemoryOrganization {
    fn reachable(&self) -> Result<(), PortError> {
        if self.unreachable {
            return Err(PortError {
                what: "organization",
                message: "unreachable".into(),
            });
        }
        Ok(())
    }
}

impl Organization for MemoryOrganization {
    async fn accounts(&self) -> Result<Vec<String>, PortError> {
        self.reachable()?;
        Ok(self.accounts.clone())
    }

    async fn is_member(&self, account: &str) -> Result<bool, PortError> {
        self.reachable()?;
        Ok(self.accounts.iter().any(|a| a == account))
    }

    async fn accounts_under(&self, target: &str) -> Result<Vec<String>, PortError> {
        self.reachable()?;
        if self.accounts.iter().any(|a| a == target) {
            return Ok(vec![target.to_string()]);
        }
        self.under.get(target).cloned().ok_or_else(|| PortError {
            what: "organization",
            message: format!("no root, OU or account `{target}`"),
        })
    }

    async fn policy_targets(&self, policy_id: &str) -> Result<Vec<String>, PortError> {
        self.reachable()?;
        self.attachments
            .get(policy_id)
            .cloned()
            .ok_or_else(|| PortError {
                what: "organization",
                message: format!("no policy `{policy_id}`"),
            })
    }
}

/// Sweep messages kept in memory; `fail` makes every enqueue fail.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    /// Every request accepted.
    pub sent: Mutex<Vec<SweepRequest>>,
    /// Refuse every enqueue.
    pub fail: bool,
}

impl MemoryQueue {
    /// The requests accepted so far.
    pub fn requests(&self) -> Vec<SweepRequest> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl SweepQueue for MemoryQueue {
    async fn enqueue(&self, requests: &[SweepRequest]) -> Result<usize, PortError> {
        if self.fail {
            return Err(PortError {
                what: "sweep queue",
                message: "refused".into(),
            });
        }
        self.sent
            .lock()
            .map_err(|_| poisoned("sweep queue"))?
            .extend_from_slice(requests);
        Ok(requests.len())
    }
}

/// Every port in memory, for tests of the handlers and of [`crate::react`].
#[derive(Default)]
pub struct MemoryPorts {
    /// Live accounts.
    pub accounts: MemoryAccounts,
    /// Stored snapshots.
    pub snapshots: MemorySnapshots,
    /// Desired state.
    pub desired: MemoryDesired,
    /// Findings.
    pub store: MemoryStore,
    /// Notices sent.
    pub notifier: MemoryNotifier,
    /// Feed.
    pub feed: MemoryFeed,
    /// Organization.
    pub org: MemoryOrganization,
    /// Sweep queue.
    pub queue: MemoryQueue,
}

impl Ports for MemoryPorts {
    type Reader = MemoryAccounts;
    type Snapshots = MemorySnapshots;
    type Desired = MemoryDesired;
    type Store = MemoryStore;
    type Notifier = MemoryNotifier;
    type Feed = MemoryFeed;
    type Org = MemoryOrganization;
    type Queue = MemoryQueue;
    fn reader(&self) -> &MemoryAccounts {
        &self.accounts
    }
    fn snapshots(&self) -> &MemorySnapshots {
        &self.snapshots
    }
    fn desired(&self) -> &MemoryDesired {
        &self.desired
    }
    fn store(&self) -> &MemoryStore {
        &self.store
    }
    fn notifier(&self) -> &MemoryNotifier {
        &self.notifier
    }
    fn feed(&self) -> &MemoryFeed {
        &self.feed
    }
    fn org(&self) -> &MemoryOrganization {
        &self.org
    }
    fn queue(&self) -> &MemoryQueue {
        &self.queue
    }
}

/// Snapshots kept in memory.
#[derive(Debug, Default)]
pub struct MemorySnapshots {
    kept: Mutex<BTreeMap<String, String>>,
}

impl MemorySnapshots {
    /// The snapshot kept for `account`.
    pub fn get(&self, account: &str) -> Option<String> {
        self.kept.lock().ok()?.get(account).cloned()
    }
}

impl MemorySnapshots {
    /// Keeps `snapshot` for `account` (a test's starting point).
    pub fn put(&self, account: &str, snapshot: &str) {
        if let Ok(mut k) = self.kept.lock() {
            k.insert(account.to_string(), snapshot.to_string());
        }
    }
}

impl SnapshotStore for MemorySnapshots {
    async fn load(&self, account: &str) -> Result<Option<String>, PortError> {
        Ok(self
            .kept
            .lock()
            .map_err(|_| poisoned("snapshot store"))?
            .get(account)
            .cloned())
    }

    async fn save(&self, account: &str, snapshot: &str) -> Result<(), PortError> {
        self.kept
            .lock()
            .map_err(|_| poisoned("snapshot store"))?
            .insert(account.to_string(), snapshot.to_string());
        Ok(())
    }
}

/// A fixed desired state.
#[derive(Debug, Default)]
pub struct MemoryDesired {
    state: DesiredState,
}

impl MemoryDesired {
    /// Always answers `state`.
    pub fn new(state: DesiredState) -> MemoryDesired {
        MemoryDesired { state }
    }
}

impl DesiredSource for MemoryDesired {
    async fn load_desired(&self) -> Result<(DesiredState, Vec<String>), PortError> {
        Ok((self.state.clone(), Vec::new()))
    }
}
