//! In-memory versions of every port in [`crate::ports`], for tests of the controller
//! and of the function handlers built on it: the findings store keeps DynamoDB's
//! conditional-write rule, the notifier and feed record what they were given and can be
//! told to fail, the snapshot store keeps S3's conditional save.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use accessdrift_desired::DesiredState;

use accessdrift_drift::lifecycle::StoredFinding;
use accessdrift_drift::notice::{Change, Notice};
use accessdrift_snapshot::Part;

use crate::ports::{
    AccountReader, DesiredRead, DesiredSource, FindingFeed, FindingStore, Notifier, NotifyError,
    Organization, PortError, Ports, SaveError, Sinks, SnapshotStore, StoreError, StoredSnapshot,
    SweepPorts, SweepQueue, SweepRequest,
};

fn poisoned(what: &'static str) -> PortError {
    PortError::lasting(what, "lock poisoned")
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
    denied: std::sync::atomic::AtomicBool,
}

impl MemoryAccounts {
    /// From now on a refresh patches the re-read resources into the snapshot it is
    /// given, leaving every other part as that snapshot has it.
    pub fn patch_parts(&self) {
        self.patching
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// From now on every read is refused as the member's read role would refuse it
    /// when its permissions are missing (a lasting failure: retrying cannot help).
    pub fn deny(&self) {
        self.denied.store(true, std::sync::atomic::Ordering::SeqCst);
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

    /// `account` as set; an account never set cannot be read *now* (transient, as a
    /// throttled or unanswered read), unless reads are [denied](Self::deny).
    fn current(&self, account: &str) -> Result<String, PortError> {
        if self.denied.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(PortError::lasting(
                "account reader",
                format!("AccessDenied reading account {account}"),
            ));
        }
        let accounts = self
            .accounts
            .lock()
            .map_err(|_| poisoned("account reader"))?;
        accounts
            .get(account)
            .cloned()
            .ok_or_else(|| PortError::transient("account reader", format!("no account {account}")))
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
        patch_resources(snapshot, &current, parts).ok_or_else(|| {
            PortError::lasting(
                "account reader",
                "a snapshot to patch is not JSON with `resources`",
            )
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
            return Err(PortError::transient("organization", "unreachable"));
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
        self.under.get(target).cloned().ok_or_else(|| {
            PortError::lasting("organization", format!("no root, OU or account `{target}`"))
        })
    }

    async fn policy_targets(&self, policy_id: &str) -> Result<Vec<String>, PortError> {
        self.reachable()?;
        self.attachments
            .get(policy_id)
            .cloned()
            .ok_or_else(|| PortError::lasting("organization", format!("no policy `{policy_id}`")))
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
            return Err(PortError::transient("sweep queue", "refused"));
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

impl SweepPorts for MemoryPorts {
    type Reader = MemoryAccounts;
    type Snapshots = MemorySnapshots;
    type Desired = MemoryDesired;
    type Store = MemoryStore;
    type Notifier = MemoryNotifier;
    type Feed = MemoryFeed;
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
}

impl Ports for MemoryPorts {
    type Org = MemoryOrganization;
    type Queue = MemoryQueue;
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

/// In-memory findings store with the same conditional-write rule as DynamoDB, and a
/// hook to make another sweep win one write.
#[derive(Default)]
pub struct MemoryStore {
    /// The records by id.
    pub items: Mutex<HashMap<String, StoredFinding>>,
    /// Make another sweep win the next write (tests the conflict path).
    pub steal_next_write: Mutex<bool>,
}

impl FindingStore for MemoryStore {
    async fn load_account(&self, account: &str) -> Result<Vec<StoredFinding>, StoreError> {
        let items = self.items.lock().map_err(|e| {
            StoreError::Service(PortError::lasting("findings store", e.to_string()))
        })?;
        let mut out: Vec<StoredFinding> = items
            .values()
            .filter(|r| r.finding.account == account)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.finding.id.cmp(&b.finding.id));
        Ok(out)
    }

    async fn write(&self, record: &StoredFinding) -> Result<(), StoreError> {
        let mut items = self.items.lock().map_err(|e| {
            StoreError::Service(PortError::lasting("findings store", e.to_string()))
        })?;
        let mut steal = self.steal_next_write.lock().map_err(|e| {
            StoreError::Service(PortError::lasting("findings store", e.to_string()))
        })?;
        if *steal {
            // Another sweep bumps the record first.
            *steal = false;
            if let Some(r) = items.get_mut(&record.finding.id) {
                r.version += 1;
            }
        }
        let current = items.get(&record.finding.id).map(|r| r.version);
        let ok = match current {
            None => record.version == 1,
            Some(v) => record.version == v + 1,
        };
        if !ok {
            return Err(StoreError::Conflict(record.finding.id.clone()));
        }
        items.insert(record.finding.id.clone(), record.clone());
        Ok(())
    }
}

/// In-memory notifier that can be told to fail.
#[derive(Default)]
pub struct MemoryNotifier {
    /// Every notice sent, in order.
    pub sent: Mutex<Vec<Notice>>,
    /// Fail this many sends first.
    pub fail: AtomicUsize,
}

impl Notifier for MemoryNotifier {
    async fn send(&self, notice: &Notice) -> Result<String, NotifyError> {
        if self.fail.load(Ordering::SeqCst) > 0 {
            self.fail.fetch_sub(1, Ordering::SeqCst);
            return Err(NotifyError::Service(PortError::transient(
                "notices",
                "throttled",
            )));
        }
        let mut sent = self
            .sent
            .lock()
            .map_err(|e| NotifyError::Service(PortError::lasting("notices", e.to_string())))?;
        sent.push(notice.clone());
        Ok(format!("m{}", sent.len()))
    }
}

/// In-memory feed that can be told to fail.
#[derive(Default)]
pub struct MemoryFeed {
    /// `(finding id, change)` published, in order.
    pub got: Mutex<Vec<(String, Change)>>,
    /// Refuse everything.
    pub fail: bool,
}

impl FindingFeed for MemoryFeed {
    async fn publish(&self, changes: &[(StoredFinding, Change)]) -> Result<usize, NotifyError> {
        if self.fail {
            return Err(NotifyError::Service(PortError::lasting(
                "finding feed",
                "bus is gone",
            )));
        }
        let mut got = self
            .got
            .lock()
            .map_err(|e| NotifyError::Service(PortError::lasting("notices", e.to_string())))?;
        got.extend(changes.iter().map(|(r, c)| (r.finding.id.clone(), *c)));
        Ok(changes.len())
    }
}

/// Runs a future whose awaits complete at once, as every fake here does (they never
/// wait on I/O), without an async runtime. Spins if the future ever pends, so it is
/// for tests and benchmarks over these fakes only.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// [`SweepPorts`] from separate values, for tests that hold them one by one (a
/// fault-injecting reader, the emulator's stores).
#[derive(Debug)]
pub struct Borrowed<'a, R, P, D, S, N, F> {
    /// Reads accounts.
    pub reader: &'a R,
    /// Keeps each account's last snapshot.
    pub snapshots: &'a P,
    /// The teams' desired state.
    pub desired: &'a D,
    /// Where the results go.
    pub sinks: Sinks<'a, S, N, F>,
}

impl<R, P, D, S, N, F> SweepPorts for Borrowed<'_, R, P, D, S, N, F>
where
    R: AccountReader + Sync,
    P: SnapshotStore + Sync,
    D: DesiredSource + Sync,
    S: FindingStore + Sync,
    N: Notifier + Sync,
    F: FindingFeed + Sync,
{
    type Reader = R;
    type Snapshots = P;
    type Desired = D;
    type Store = S;
    type Notifier = N;
    type Feed = F;
    fn reader(&self) -> &R {
        self.reader
    }
    fn snapshots(&self) -> &P {
        self.snapshots
    }
    fn desired(&self) -> &D {
        self.desired
    }
    fn store(&self) -> &S {
        self.sinks.store
    }
    fn notifier(&self) -> &N {
        self.sinks.notifier
    }
    fn feed(&self) -> &F {
        self.sinks.feed
    }
}
