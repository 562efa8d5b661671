//! One sweep of one account, end to end on the controller's side: reconcile the findings
//! with what is stored, write the changes conditionally, send one digest per owner, and
//! mark what was sent.
//!
//! The ports are traits ([`FindingStore`], [`Notifier`]) so this logic runs the same on
//! the in-memory fakes of the tests and on DynamoDB and SNS (`accessdrift-aws`).
//! Concurrency: a write that loses to another sweep ([`StoreError::Conflict`]) makes
//! the whole reconcile start again from a fresh read (a few times, then the error is
//! returned). Delivery: a digest that cannot be sent leaves its findings "notice
//! pending", so the next sweep sends it; a sent digest is marked, so it is never sent twice.

use std::collections::{BTreeMap, BTreeSet};

use accessdrift_drift::lifecycle::{Evidence, StoredFinding, mark_notified, reconcile_with};
use accessdrift_drift::model::{Finding, FindingKind, Severity, UNOWNED};
use accessdrift_drift::notice::{Change, NoticeItem, digest_to, highest};
use accessdrift_primitives::Time;

use crate::ports::{FindingFeed, FindingStore, Notifier, Sinks, StoreError};

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Records written.
    pub written: usize,
    /// Digests sent.
    pub sent: usize,
    /// Owners whose digest could not be sent (their notices stay pending).
    pub pending_owners: Vec<String>,
    /// How many times the reconcile started again after losing a write.
    pub retries: usize,
    /// State changes accepted by the feeds.
    pub published: usize,
    /// Why the feeds refused changes (the sweep went on).
    pub feed_errors: Vec<String>,
    /// Findings newly held as they were because this pass could not judge them
    /// (missing evidence): security is told, and the functions log it for the alarm.
    pub held: usize,
}

/// Who hears about what beyond each finding's owner, and which absent findings the pass
/// cannot judge. [`Routing::default`]: owners only, every absence is evidence.
#[derive(Clone, Copy)]
pub struct Routing<'a> {
    /// The security team's owner word. When set, a digest goes to it as well when it
    /// holds a high or critical item that is not resolved, a held item, or an owner
    /// disagreement (`tag-mismatch`).
    pub security: Option<&'a str>,
    /// The owner the desired state declares for a resource: a `tag-mismatch` finding
    /// goes to it as well as to the owner its tag names, whatever the tag says.
    pub declared_owner: &'a (dyn Fn(&str) -> Option<String> + Sync),
    /// Why absent findings could not be judged (see [`accessdrift_drift::lifecycle::reconcile_with`]).
    pub evidence: &'a (dyn Evidence + Sync),
}

fn no_declared_owner(_: &str) -> Option<String> {
    None
}

impl Default for Routing<'_> {
    fn default() -> Self {
        Routing {
            security: None,
            declared_owner: &no_declared_owner,
            evidence: &(),
        }
    }
}

impl std::fmt::Debug for Routing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routing")
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

impl Routing<'_> {
    /// Who besides its owner must hear about `item`, before severity is looked at.
    fn also(&self, item: &NoticeItem, owner: &str) -> BTreeSet<String> {
        let mut also = BTreeSet::new();
        let Some(security) = self.security else {
            return also;
        };
        if item.change == Change::Held {
            also.insert(security.to_string());
        }
        if item.finding.kind == FindingKind::TagMismatch {
            also.insert(security.to_string());
            if let Some(declared) = (self.declared_owner)(&item.finding.resource) {
                also.insert(declared);
            }
        }
        also.remove(owner);
        also
    }
}

/// How many times a sweep re-reads after a conflicting write before giving up.
pub const MAX_CONFLICT_RETRIES: usize = 3;

/// Runs one sweep of `account` with the `found` findings at `now`,
/// over the whole account, owners only.
pub async fn sweep<S: FindingStore, N: Notifier, F: FindingFeed>(
    sinks: Sinks<'_, S, N, F>,
    account: &str,
    found: &[Finding],
    now: Time,
) -> Result<SweepReport, StoreError> {
    sweep_scoped(
        sinks,
        account,
        Scope::Account,
        found,
        now,
        Routing::default(),
    )
    .await
}

/// Which stored findings a sweep speaks for.
#[derive(Debug, Clone, Copy, Default)]
pub enum Scope<'a> {
    /// Every finding of the account (a whole pass).
    #[default]
    Account,
    /// Only the findings about these resources: a pass that re-evaluated just them
    /// (after a resource-policy change). Findings about other resources are left as
    /// they are, neither seen again nor resolved.
    Resources(&'a BTreeSet<String>),
}

impl Scope<'_> {
    /// Whether a finding about `resource` is in scope.
    pub fn covers(&self, resource: &str) -> bool {
        match self {
            Scope::Account => true,
            Scope::Resources(only) => only.contains(resource),
        }
    }
}

/// [`sweep`] over the findings in `scope` only (`found` outside it is ignored), with
/// `routing` deciding who else hears and what cannot be judged.
pub async fn sweep_scoped<S: FindingStore, N: Notifier, F: FindingFeed>(
    sinks: Sinks<'_, S, N, F>,
    account: &str,
    scope: Scope<'_>,
    found: &[Finding],
    now: Time,
    routing: Routing<'_>,
) -> Result<SweepReport, StoreError> {
    let scoped: Vec<Finding>;
    let found = match scope {
        Scope::Account => found,
        Scope::Resources(_) => {
            scoped = found
                .iter()
                .filter(|f| scope.covers(&f.resource))
                .cloned()
                .collect();
            &scoped[..]
        }
    };
    let Sinks {
        store,
        notifier,
        feed,
    } = sinks;
    let mut report = SweepReport::default();
    let (written, notices) = loop {
        // INVARIANT: reconcile sees only the stored findings in scope, so it never
        // resolves a finding this pass did not re-evaluate.
        let stored: Vec<StoredFinding> = store
            .load_account(account)
            .await?
            .into_iter()
            .filter(|s| scope.covers(&s.finding.resource))
            .collect();
        let outcome = reconcile_with(&stored, found, now, routing.evidence);
        let mut conflict = None;
        let mut written: Vec<StoredFinding> = Vec::new();
        for w in &outcome.writes {
            match store.write(w).await {
                Ok(()) => written.push(w.clone()),
                Err(StoreError::Conflict(id)) => {
                    conflict = Some(id);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        match conflict {
            None => {
                report.written = written.len();
                report.held = written
                    .iter()
                    .filter(|w| w.notice_pending == Some(Change::Held))
                    .count();
                // Records not rewritten this time may still owe a notice.
                let mut current: BTreeMap<String, StoredFinding> = stored
                    .into_iter()
                    .map(|s| (s.finding.id.clone(), s))
                    .collect();
                for w in written {
                    current.insert(w.finding.id.clone(), w);
                }
                break (current, outcome.notices);
            }
            Some(_) if report.retries < MAX_CONFLICT_RETRIES => report.retries += 1,
            Some(id) => return Err(StoreError::Conflict(id)),
        }
    };

    // State changes for machines, each with the record as stored now.
    let changes: Vec<(StoredFinding, Change)> = notices
        .iter()
        .filter_map(|item| {
            written
                .get(&item.finding.id)
                .map(|r| (r.clone(), item.change))
        })
        .collect();
    if !changes.is_empty() {
        match feed.publish(&changes).await {
            Ok(n) => report.published = n,
            Err(e) => report.feed_errors.push(e.to_string()),
        }
    }

    // One digest per owner, and per set of others who must hear about its items (an
    // owner disagreement goes to the declared owner and security too, and only those
    // items: a team never receives another team's other drift).
    let mut by_audience: BTreeMap<(String, Vec<String>), Vec<NoticeItem>> = BTreeMap::new();
    for item in notices {
        let owner = item
            .finding
            .owner
            .clone()
            .unwrap_or_else(|| UNOWNED.to_string());
        let also: Vec<String> = routing.also(&item, &owner).into_iter().collect();
        by_audience.entry((owner, also)).or_default().push(item);
    }
    for ((owner, mut also), items) in by_audience {
        if let Some(security) = routing.security
            && highest(&items) >= Severity::High
            && !also.iter().any(|w| w == security)
        {
            also.push(security.to_string());
        }
        let notice = digest_to(&owner, &also, account, &items);
        match notifier.send(&notice).await {
            Ok(_) => {
                report.sent += 1;
                let ids: Vec<&str> = items.iter().map(|i| i.finding.id.as_str()).collect();
                let records: Vec<StoredFinding> = ids
                    .iter()
                    .filter_map(|id| written.get(*id).cloned())
                    .collect();
                for r in mark_notified(&records, &ids) {
                    // Losing this write only means the notice is re-sent as pending later;
                    // a sweep racing us has already reconciled past it.
                    match store.write(&r).await {
                        Ok(()) | Err(StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(_) => report.pending_owners.push(owner),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::fakes::{MemoryFeed, MemoryNotifier, MemoryStore, block_on};
    use accessdrift_drift::lifecycle::Status;
    use accessdrift_drift::model::{FindingKind, Severity};

    fn at(text: &str) -> accessdrift_primitives::Time {
        accessdrift_primitives::Time::parse(text).unwrap()
    }

    fn finding(id: &str, owner: &str) -> Finding {
        Finding {
            id: id.into(),
            kind: FindingKind::UnexpectedAccess,
            severity: Severity::High,
            account: "111111111111".into(),
            resource: format!("arn:aws:s3:::{owner}-bucket"),
            owner: Some(owner.into()),
            classification: None,
            principal: Some("arn:aws:iam::111111111111:role/ci".into()),
            capability: None,
            access: None,
            grants: vec![],
            summary: format!("{id} drifted"),
            remedy: "fix it".into(),
        }
    }

    #[test]
    fn one_digest_per_owner_then_quiet_on_the_next_sweep() {
        let store = MemoryStore::default();
        let notifier = MemoryNotifier::default();
        let found = [
            finding("a", "credit-team"),
            finding("b", "credit-team"),
            finding("c", "risk-team"),
        ];
        let r = block_on(sweep(
            Sinks::new(&store, &notifier, &()),
            "111111111111",
            &found,
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        assert_eq!((r.written, r.sent), (3, 2), "two owners, two digests");
        let r = block_on(sweep(
            Sinks::new(&store, &notifier, &()),
            "111111111111",
            &found,
            at("2026-01-01T02:00:00Z"),
        ))
        .unwrap();
        assert_eq!(r.sent, 0, "the same drift never notifies twice");
        assert_eq!(notifier.sent.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_failed_notice_is_sent_by_the_next_sweep_and_only_once() {
        let store = MemoryStore::default();
        let notifier = MemoryNotifier::default();
        notifier.fail.store(1, Ordering::SeqCst);
        let found = [finding("a", "credit-team")];
        let r = block_on(sweep(
            Sinks::new(&store, &notifier, &()),
            "111111111111",
            &found,
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        assert_eq!(r.pending_owners, ["credit-team"]);
        let r = block_on(sweep(
            Sinks::new(&store, &notifier, &()),
            "111111111111",
            &found,
            at("2026-01-01T02:00:00Z"),
        ))
        .unwrap();
        assert_eq!(r.sent, 1, "the pending notice goes out now");
        let r = block_on(sweep(
            Sinks::new(&store, &notifier, &()),
            "111111111111",
            &found,
            at("2026-01-01T03:00:00Z"),
        ))
        .unwrap();
        assert_eq!(r.sent, 0);
        assert_eq!(notifier.sent.lock().unwrap().len(), 1);
    }

    #[test]
    fn every_state_change_reaches_the_feed_once_and_a_broken_feed_does_not_stop_notices() {
        let store = MemoryStore::default();
        let notifier = MemoryNotifier::default();
        let feed = MemoryFeed::default();
        let a = [finding("a", "credit-team")];
        let account = "111111111111";
        block_on(sweep(
            Sinks::new(&store, &notifier, &feed),
            account,
            &a,
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        block_on(sweep(
            Sinks::new(&store, &notifier, &feed),
            account,
            &a,
            at("2026-01-01T02:00:00Z"),
        ))
        .unwrap();
        let r = block_on(sweep(
            Sinks::new(&store, &notifier, &feed),
            account,
            &[],
            at("2026-01-01T03:00:00Z"),
        ))
        .unwrap();
        assert_eq!(r.published, 1);
        assert_eq!(
            *feed.got.lock().unwrap(),
            [
                ("a".to_string(), Change::New),
                ("a".to_string(), Change::Resolved)
            ]
        );

        let broken = MemoryFeed {
            fail: true,
            ..MemoryFeed::default()
        };
        let r = block_on(sweep(
            Sinks::new(&store, &notifier, &broken),
            account,
            &a,
            at("2026-01-01T04:00:00Z"),
        ))
        .unwrap();
        assert_eq!(r.feed_errors, ["finding feed: bus is gone"]);
        assert_eq!(r.sent, 1, "the reopened notice still went out");
    }

    #[test]
    fn losing_a_write_to_another_sweep_starts_again_without_losing_the_update() {
        let store = MemoryStore::default();
        let notifier = MemoryNotifier::default();
        let found = [finding("a", "credit-team")];
        block_on(sweep(
            Sinks::new(&store, &notifier, &()),
            "111111111111",
            &found,
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        *store.steal_next_write.lock().unwrap() = true;
        let r = block_on(sweep(
            Sinks::new(&store, &notifier, &()),
            "111111111111",
            &[],
            at("2026-01-01T02:00:00Z"),
        ))
        .unwrap();
        assert_eq!(r.retries, 1);
        let items = store.items.lock().unwrap();
        assert_eq!(
            items["a"].status,
            Status::Resolved,
            "the resolution still landed"
        );
    }
}
