//! The [`Organization`] port over AWS Organizations, and the account list kept in the
//! snapshot bucket so a thousand workers do not each page through `ListAccounts`.
//!
//! Membership (is this account ours to read?) is asked on every event and every
//! sweep message; [`ListedOrganization`] answers it from the planner's list (one S3
//! read per invocation) and asks Organizations (`DescribeAccount`, one call) only
//! for an account the list does not hold, so an account that joined since the last
//! nightly listing is not refused.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use accessdrift_controller::ports::{Organization, PortError};
use accessdrift_primitives::Time;
use accessdrift_primitives::is_account_id;
use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::AccountStatus;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use crate::sdk::port_error;

const WHAT: &str = "organization";

/// The Organization through the management account's (or a delegated
/// administrator's) credentials.
#[derive(Debug, Clone)]
pub struct OrganizationsDirectory {
    client: Client,
}

impl OrganizationsDirectory {
    /// The Organization `client` reads.
    pub fn new(client: Client) -> OrganizationsDirectory {
        OrganizationsDirectory { client }
    }

    async fn children(&self, parent: &str) -> Result<(Vec<String>, Vec<String>), PortError> {
        let accounts = self
            .client
            .list_accounts_for_parent()
            .parent_id(parent)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| port_error(WHAT, "ListAccountsForParent", e))?;
        let accounts = accounts
            .iter()
            .flat_map(|page| page.accounts())
            .filter(|a| active(a.status()))
            .filter_map(|a| a.id().map(str::to_string))
            .collect();
        let units = self
            .client
            .list_organizational_units_for_parent()
            .parent_id(parent)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| port_error(WHAT, "ListOrganizationalUnitsForParent", e))?;
        let units = units
            .iter()
            .flat_map(|page| page.organizational_units())
            .filter_map(|u| u.id().map(str::to_string))
            .collect();
        Ok((accounts, units))
    }
}

/// Suspended and closing accounts cannot be read and need no sweep.
fn active(status: Option<&AccountStatus>) -> bool {
    matches!(status, None | Some(AccountStatus::Active))
}

impl OrganizationsDirectory {
    /// `DescribeAccount`: an active account of the Organization, or not (an account
    /// id the Organization does not know is `AccountNotFoundException`).
    async fn describe_member(&self, account: &str) -> Result<bool, PortError> {
        if !is_account_id(account) {
            return Ok(false);
        }
        match self
            .client
            .describe_account()
            .account_id(account)
            .send()
            .await
        {
            Ok(out) => Ok(out.account().is_some_and(|a| active(a.status()))),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_account_not_found_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(port_error(WHAT, "DescribeAccount", e)),
        }
    }
}

impl Organization for OrganizationsDirectory {
    async fn accounts(&self) -> Result<Vec<String>, PortError> {
        let pages = self
            .client
            .list_accounts()
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| port_error(WHAT, "ListAccounts", e))?;
        Ok(pages
            .iter()
            .flat_map(|page| page.accounts())
            .filter(|a| active(a.status()))
            .filter_map(|a| a.id().map(str::to_string))
            .collect())
    }

    async fn is_member(&self, account: &str) -> Result<bool, PortError> {
        self.describe_member(account).await
    }

    async fn accounts_under(&self, target: &str) -> Result<Vec<String>, PortError> {
        // An `AttachPolicy` target is an account id from the request: only a member
        // is "under" it (issue 11; any 12-digit id used to pass through).
        if is_account_id(target) {
            let member = self.describe_member(target).await?;
            return Ok(if member {
                vec![target.to_string()]
            } else {
                Vec::new()
            });
        }
        // Depth-first over nested OUs (at most five levels deep in AWS); the order does
        // not matter, every account under the target is collected.
        let mut found = BTreeSet::new();
        let mut parents = vec![target.to_string()];
        while let Some(parent) = parents.pop() {
            let (accounts, units) = self.children(&parent).await?;
            found.extend(accounts);
            parents.extend(units);
        }
        Ok(found.into_iter().collect())
    }

    async fn policy_targets(&self, policy_id: &str) -> Result<Vec<String>, PortError> {
        let pages = self
            .client
            .list_targets_for_policy()
            .policy_id(policy_id)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| port_error(WHAT, "ListTargetsForPolicy", e))?;
        Ok(pages
            .iter()
            .flat_map(|page| page.targets())
            .filter_map(|t| t.target_id().map(str::to_string))
            .collect())
    }
}

/// The account list as the planner last wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedAccounts {
    /// When it was listed (RFC 3339 UTC).
    pub listed_at: String,
    /// The active accounts.
    pub accounts: Vec<String>,
}

/// The object key of the cached account list in the snapshot bucket.
pub const ACCOUNTS_KEY: &str = "organization/accounts.json";

/// Reads and writes [`CachedAccounts`] in the snapshot bucket.
#[derive(Debug, Clone)]
pub struct AccountsCache {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl AccountsCache {
    /// The cache in `bucket`.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> AccountsCache {
        AccountsCache {
            client,
            bucket: bucket.into(),
        }
    }

    /// The cached list, or `None` when there is none (or it cannot be read: the
    /// caller lists the Organization instead).
    pub async fn load(&self) -> Option<CachedAccounts> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(ACCOUNTS_KEY)
            .send()
            .await
            .ok()?;
        let bytes = out.body.collect().await.ok()?.into_bytes();
        serde_json::from_slice(&bytes).ok()
    }

    /// The cached list if it was written within [`ACCOUNTS_MAX_AGE`] of `now`.
    pub async fn recent(&self, now: Time) -> Option<CachedAccounts> {
        self.load().await.filter(|c| is_recent(&c.listed_at, now))
    }

    /// Keeps `accounts`.
    pub async fn save(&self, accounts: &CachedAccounts) -> Result<(), PortError> {
        let body = serde_json::to_vec(accounts)
            .map_err(|e| PortError::lasting("snapshot store", format!("serialize: {e}")))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(ACCOUNTS_KEY)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| port_error("snapshot store", &format!("PutObject {ACCOUNTS_KEY}"), e))
    }
}

/// How long the planner's account list is trusted before a function lists the
/// Organization itself (a little over a day: the planner refreshes it nightly).
pub const ACCOUNTS_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(26 * 3600);

/// Whether `listed_at` (as stored, RFC 3339) is within [`ACCOUNTS_MAX_AGE`] of `now`. A
/// stamp that is not a time, or one from the future (a clock far ahead, a forged
/// object), is not recent: the Organization is listed again rather than trusted.
fn is_recent(listed_at: &str, now: Time) -> bool {
    Time::parse(listed_at)
        .is_ok_and(|then| then <= now.plus(CLOCK_SKEW) && now.since(then) <= ACCOUNTS_MAX_AGE)
}

/// How far ahead of this function's clock a stamp may be and still count as now.
const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(300);

/// The Organization as the event function and the worker see it: the account list
/// and membership come from the planner's recent list when there is one (read once
/// per invocation), else from Organizations.
///
/// Membership is the boundary of what may be read (`accessdrift_controller::boundary`),
/// so it never says "no" on a guess: an account missing from the list is looked up
/// with `DescribeAccount` (it may have joined since the nightly listing), and when
/// neither the list nor Organizations can be read the answer is an error, which fails
/// the invocation so it is retried; the account is not read meanwhile.
#[derive(Debug, Clone)]
pub struct ListedOrganization {
    inner: OrganizationsDirectory,
    cache: Option<AccountsCache>,
    now: Time,
    listed: Arc<OnceLock<Option<BTreeSet<String>>>>,
}

impl ListedOrganization {
    /// The Organization `inner` reads, with the planner's list in `cache`, at `now`.
    pub fn new(
        inner: OrganizationsDirectory,
        cache: Option<AccountsCache>,
        now: Time,
    ) -> ListedOrganization {
        ListedOrganization {
            inner,
            cache,
            now,
            listed: Arc::default(),
        }
    }

    /// The planner's recent list, read at most once per invocation.
    async fn listed(&self) -> Option<&BTreeSet<String>> {
        if self.listed.get().is_none() {
            let recent = match &self.cache {
                Some(cache) => cache.recent(self.now).await,
                None => None,
            };
            // Another call may have set it meanwhile; both read the same object.
            let _ = self
                .listed
                .set(recent.map(|c| c.accounts.into_iter().collect()));
        }
        self.listed.get().and_then(Option::as_ref)
    }
}

impl Organization for ListedOrganization {
    async fn accounts(&self) -> Result<Vec<String>, PortError> {
        if let Some(listed) = self.listed().await {
            return Ok(listed.iter().cloned().collect());
        }
        tracing::info!("no recent account list; listing the Organization");
        self.inner.accounts().await
    }

    async fn is_member(&self, account: &str) -> Result<bool, PortError> {
        if self.listed().await.is_some_and(|l| l.contains(account)) {
            return Ok(true);
        }
        self.inner.is_member(account).await
    }

    async fn accounts_under(&self, target: &str) -> Result<Vec<String>, PortError> {
        self.inner.accounts_under(target).await
    }

    async fn policy_targets(&self, policy_id: &str) -> Result<Vec<String>, PortError> {
        self.inner.policy_targets(policy_id).await
    }
}

/// The Organization whose account listing also refreshes the cache (the planner's).
#[derive(Debug, Clone)]
pub struct CachingDirectory {
    /// The Organization.
    pub inner: OrganizationsDirectory,
    /// Where the list is kept.
    pub cache: Option<AccountsCache>,
    /// The listing's time stamp.
    pub now: Time,
}

impl Organization for CachingDirectory {
    async fn accounts(&self) -> Result<Vec<String>, PortError> {
        let accounts = self.inner.accounts().await?;
        if let Some(cache) = &self.cache {
            let cached = CachedAccounts {
                listed_at: self.now.to_string(),
                accounts: accounts.clone(),
            };
            if let Err(e) = cache.save(&cached).await {
                // Only a cost: the workers list the Organization themselves.
                tracing::warn!(error = %e, "the account list could not be kept");
            }
        }
        Ok(accounts)
    }

    async fn is_member(&self, account: &str) -> Result<bool, PortError> {
        self.inner.is_member(account).await
    }

    async fn accounts_under(&self, target: &str) -> Result<Vec<String>, PortError> {
        self.inner.accounts_under(target).await
    }

    async fn policy_targets(&self, policy_id: &str) -> Result<Vec<String>, PortError> {
        self.inner.policy_targets(policy_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Time {
        Time::parse(text).unwrap()
    }

    #[test]
    fn the_account_list_is_recent_for_a_day_and_never_from_the_future_or_unreadable() {
        let now = at("2026-12-07T15:00:00Z");
        assert!(is_recent("2026-12-07T02:00:00Z", now), "tonight's list");
        assert!(is_recent("2026-12-06T13:00:01Z", now), "within 26 hours");
        assert!(
            !is_recent("2026-12-06T12:59:59Z", now),
            "older than 26 hours"
        );
        assert!(
            is_recent("2026-12-07T15:04:00Z", now),
            "clock skew is tolerated"
        );
        assert!(
            !is_recent("2026-12-08T02:00:00Z", now),
            "a stamp from tomorrow"
        );
        assert!(!is_recent("yesterday", now), "not a time: list again");
    }
}
