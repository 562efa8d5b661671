//! In-memory fakes of the sweep's ports, for tests of everything built on them (the
//! sweep here, the controller, the function handlers): the store keeps DynamoDB's
//! conditional-write rule, the notifier and feed record what they were given and can be
//! told to fail.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::lifecycle::StoredFinding;
use crate::notice::{Change, Notice};
use crate::sweep::{FindingFeed, FindingStore, Notifier, NotifyError, StoreError};

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
        let items = self
            .items
            .lock()
            .map_err(|e| StoreError::Service(e.to_string()))?;
        let mut out: Vec<StoredFinding> = items
            .values()
            .filter(|r| r.finding.account == account)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.finding.id.cmp(&b.finding.id));
        Ok(out)
    }

    async fn write(&self, record: &StoredFinding) -> Result<(), StoreError> {
        let mut items = self
            .items
            .lock()
            .map_err(|e| StoreError::Service(e.to_string()))?;
        let mut steal = self
            .steal_next_write
            .lock()
            .map_err(|e| StoreError::Service(e.to_string()))?;
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
            return Err(NotifyError::Service("throttled".into()));
        }
        let mut sent = self
            .sent
            .lock()
            .map_err(|e| NotifyError::Service(e.to_string()))?;
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
            return Err(NotifyError::Service("bus is gone".into()));
        }
        let mut got = self
            .got
            .lock()
            .map_err(|e| NotifyError::Service(e.to_string()))?;
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
