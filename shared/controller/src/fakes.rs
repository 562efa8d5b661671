//! In-memory versions of the ports in [`crate::ports`], for tests of the controller
//! and of the function handlers built on it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use accessdrift_drift::DesiredState;

use crate::ports::{AccountReader, DesiredSource, PortError, SnapshotStore};

fn poisoned(what: &'static str) -> PortError {
    PortError {
        what,
        message: "lock poisoned".into(),
    }
}

/// Accounts as snapshot documents, settable between passes.
#[derive(Debug, Default)]
pub struct MemoryAccounts {
    accounts: Mutex<BTreeMap<String, String>>,
}

impl MemoryAccounts {
    /// Sets what reading `account` returns.
    pub fn set(&self, account: &str, snapshot: &str) {
        if let Ok(mut a) = self.accounts.lock() {
            a.insert(account.to_string(), snapshot.to_string());
        }
    }
}

impl AccountReader for MemoryAccounts {
    async fn read_account(&self, account: &str) -> Result<String, PortError> {
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
