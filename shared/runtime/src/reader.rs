//! The [`AccountReader`] over the collector: the detector's own account with the
//! function's credentials, every other account through its read-only member role.

use accessdrift_collector::{CollectError, Collector, CollectorOptions, MemberRole, Progress};
use accessdrift_controller::ports::{AccountReader, PortError};
use accessdrift_snapshot::{Part, patch_snapshot};
use aws_config::SdkConfig;
use serde_json::Value;
use tracing::info;

/// A collection that failed: transient when AWS throttled or did not answer.
fn collect_failed(e: CollectError) -> PortError {
    let failed = if e.is_transient() {
        PortError::transient
    } else {
        PortError::lasting
    };
    failed("account reader", e.to_string()).caused_by(e)
}

/// A stored or fresh document that cannot be used (reading again gives the same).
fn unusable(message: impl std::fmt::Display) -> PortError {
    PortError::lasting("account reader", message.to_string())
}

/// Reads accounts with the collector.
#[derive(Debug, Clone)]
pub struct CollectorReader {
    sdk: SdkConfig,
    own_account: String,
    role_name: String,
    external_id: Option<String>,
    options: CollectorOptions,
}

impl CollectorReader {
    /// A reader for the detector's account `own_account` (read directly) and for
    /// member accounts (read through `role_name`).
    pub fn new(
        sdk: SdkConfig,
        own_account: impl Into<String>,
        role_name: impl Into<String>,
        external_id: Option<String>,
        options: CollectorOptions,
    ) -> CollectorReader {
        CollectorReader {
            sdk,
            own_account: own_account.into(),
            role_name: role_name.into(),
            external_id,
            options,
        }
    }

    async fn collector(&self, account: &str) -> Result<Collector, PortError> {
        if account == self.own_account {
            return Collector::new(&self.sdk, self.options.clone())
                .await
                .map_err(collect_failed);
        }
        let role = MemberRole {
            account_id: account.to_string(),
            role_name: self.role_name.clone(),
            external_id: self.external_id.clone(),
        };
        Collector::for_member_account(&self.sdk, &role, self.options.clone())
            .await
            .map_err(collect_failed)
    }
}

/// Logs a whole-account collection's progress: each listing, then every tenth of
/// the reads, so a long sweep shows where it is without a line per resource.
fn log_progress(account: &str, p: Progress) {
    match p {
        Progress::Iam {
            users,
            groups,
            roles,
            policies,
        } => info!(account, users, groups, roles, policies, "IAM read"),
        Progress::Organization { levels } => info!(account, levels, "Organization path read"),
        Progress::Listed {
            resource_type,
            region,
            count,
        } => info!(
            account,
            resource_type = resource_type.type_name(),
            region,
            count,
            "listed"
        ),
        Progress::Reading { total } => info!(account, total, "reading resources"),
        Progress::Read { done, total } => {
            let step = (total / 10).max(1);
            if done % step == 0 || done == total {
                info!(account, done, total, "resources read");
            }
        }
        _ => {}
    }
}

impl AccountReader for CollectorReader {
    async fn read_account(&self, account: &str) -> Result<String, PortError> {
        let collector = self.collector(account).await?;
        let progress = |p: Progress| log_progress(account, p);
        let snapshot = collector
            .collect_account(&progress)
            .await
            .map_err(collect_failed)?;
        serde_json::to_string(&snapshot.to_value()).map_err(unusable)
    }

    async fn refresh(
        &self,
        account: &str,
        snapshot: &str,
        parts: &[Part],
    ) -> Result<String, PortError> {
        let mut doc: Value = serde_json::from_str(snapshot)
            .map_err(|e| unusable(format!("the stored snapshot of {account} is not JSON: {e}")))?;
        let collector = self.collector(account).await?;
        for part in parts {
            let fresh = collector.collect_part(part).await.map_err(collect_failed)?;
            let outcome = patch_snapshot(&mut doc, &fresh).map_err(unusable)?;
            info!(account, part = %part, outcome = ?outcome, "part refreshed");
        }
        Ok(doc.to_string())
    }
}
