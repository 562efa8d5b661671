//! In-memory versions of the ports in [`crate::ports`], for tests of the controller
//! and of the function handlers built on it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use accessdrift_drift::DesiredState;

use accessdrift_drift::fakes::{MemoryFeed, MemoryNotifier, MemoryStore};

use crate::ports::{
    AccountReader, DesiredRead, DesiredSource, Organization, Part, PortError, SaveError,
    SnapshotStore, StoredSnapshot, SweepQueue, SweepRequest,
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
/// account's whole current document (a superset of any part), or, after
/// [`MemoryAccounts::patch_parts`], the snapshot it was given with only the re-read
/// resources replaced, as the real reader patches; it records which parts were asked
/// for, so tests can check what an event re-reads.
#[derive(Debug, Default)]
pub struct MemoryAccounts {
    accounts: Mutex<BTreeMap<String, String>>,
    refreshed: Mutex<Vec<(String, Vec<Part>)>>,
    reads: Mutex<Vec<String>>,
    patching: std::sync::atomic::AtomicBool,
}

impl MemoryAccounts {
    /// From now on a refresh patches the re-read resources into the snapshot it is
    /// given, leaving every other part as that snapshot has it.
    pub fn patch_parts(&self) {
        self.patching
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

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
        snapshot: &str,
        parts: &[Part],
    ) -> Result<String, PortError> {
        if let Ok(mut r) = self.refreshed.lock() {
            r.push((account.to_string(), parts.to_vec()));
        }
        let current = self.current(account)?;
        if !self.patching.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(current);
        }
        patch_resources(snapshot, &current, parts).ok_or_else(|| PortError {
            what: "account reader",
            message: "a snapshot to patch is not JSON with `resources`".into(),
        })
    }
}

/// `base` with each re-read resource of `parts` as `current` has it (or gone, when
/// `current` has no such resource).
fn patch_resources(base: &str, current: &str, parts: &[Part]) -> Option<String> {
    let mut base: serde_json::Value = serde_json::from_str(base).ok()?;
    let current: serde_json::Value = serde_json::from_str(current).ok()?;
    for part in parts {
        let Part::Resource(arn) = part else {
            continue;
        };
        let fresh = current["resources"]
            .as_array()?
            .iter()
            .find(|r| r["arn"] == arn.as_str())
            .cloned();
        let list = base["resources"].as_array_mut()?;
        list.retain(|r| r["arn"] != arn.as_str());
        list.extend(fresh);
    }
    Some(base.to_string())
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

/// Snapshots kept in memory, each with a version that every save bumps, and saves
/// conditional on it as the S3 store's are.
#[derive(Debug, Default)]
pub struct MemorySnapshots {
    kept: Mutex<BTreeMap<String, (String, u64)>>,
    /// Saves another writer makes just before the next save of their account (a race,
    /// as a test stages it).
    racing: Mutex<Vec<(String, String)>>,
}

impl MemorySnapshots {
    /// The snapshot kept for `account`.
    pub fn get(&self, account: &str) -> Option<String> {
        self.kept.lock().ok()?.get(account).map(|(t, _)| t.clone())
    }

    /// Keeps `snapshot` for `account` (a test's starting point, or another writer).
    pub fn put(&self, account: &str, snapshot: &str) {
        if let Ok(mut k) = self.kept.lock() {
            let version = k.get(account).map_or(1, |(_, v)| v + 1);
            k.insert(account.to_string(), (snapshot.to_string(), version));
        }
    }

    /// Stages a race: just before the next save of `account`, another writer saves
    /// `snapshot` (so that save, conditional on what it loaded, conflicts once).
    pub fn race_next_save(&self, account: &str, snapshot: &str) {
        if let Ok(mut r) = self.racing.lock() {
            r.push((account.to_string(), snapshot.to_string()));
        }
    }
}

impl SnapshotStore for MemorySnapshots {
    async fn load(&self, account: &str) -> Result<Option<StoredSnapshot>, PortError> {
        Ok(self
            .kept
            .lock()
            .map_err(|_| poisoned("snapshot store"))?
            .get(account)
            .map(|(text, version)| StoredSnapshot {
                text: text.clone(),
                version: version.to_string(),
            }))
    }

    async fn save(
        &self,
        account: &str,
        snapshot: &str,
        expected: Option<&str>,
    ) -> Result<(), SaveError> {
        let racer = {
            let mut r = self.racing.lock().map_err(|_| poisoned("snapshot store"))?;
            r.iter()
                .position(|(a, _)| a == account)
                .map(|i| r.remove(i).1)
        };
        if let Some(other) = racer {
            self.put(account, &other);
        }
        let mut kept = self.kept.lock().map_err(|_| poisoned("snapshot store"))?;
        let current = kept.get(account).map(|(_, v)| v.to_string());
        if current.as_deref() != expected {
            return Err(SaveError::Conflict(account.to_string()));
        }
        let version = kept.get(account).map_or(1, |(_, v)| v + 1);
        kept.insert(account.to_string(), (snapshot.to_string(), version));
        Ok(())
    }
}

/// A desired state that answers what it was last given.
#[derive(Debug, Default)]
pub struct MemoryDesired {
    read: Mutex<DesiredRead>,
}

impl MemoryDesired {
    /// Answers `state`, read whole.
    pub fn new(state: DesiredState) -> MemoryDesired {
        MemoryDesired {
            read: Mutex::new(DesiredRead::whole(state)),
        }
    }

    /// From now on answers `read` (a source that became unreadable, a state that shrank).
    pub fn set(&self, read: DesiredRead) {
        *self.read.lock().unwrap_or_else(|e| e.into_inner()) = read;
    }
}

impl DesiredSource for MemoryDesired {
    async fn load_desired(&self) -> Result<DesiredRead, PortError> {
        Ok(self.read.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }
}
