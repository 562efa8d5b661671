//! One pass of the access control loop for one account, as the Lambda functions, the
//! CLI and the local demo all run it: effective access of the account's snapshot,
//! drift against the desired state, the findings lifecycle and the owners' notices.
//!
//! What it is for: the order of those steps and what a pass reports. What it is not
//! for: reading AWS or storing anything; the caller hands in a snapshot and the ports
//! ([`ports`]: every trait the controller talks through, and [`fakes`] of each), so the
//! same code runs on in-memory fakes, on the emulator and in AWS. Judging (drift and
//! the findings lifecycle) is pure and lives in `accessdrift-drift`; this crate decides
//! when to judge, what to re-read and what to write and send ([`sweep`], [`react`]).
//!
//! Key design choice: a pass is a pure function of (snapshot, previous snapshot,
//! desired state) plus the stored findings, so replaying it is harmless (the sweep's
//! writes are conditional and its notices go out once), and a caller may retry a
//! failed pass as a whole. Owner-tag changes are found by comparing with the previous
//! snapshot; their notices are sent before the caller saves the new snapshot, so a
//! failure to send is retried instead of forgotten.

pub mod boundary;
pub mod fakes;
pub mod newer;
pub mod ports;
pub mod react;
pub mod sweep;

use std::collections::{BTreeMap, BTreeSet};

use accessdrift_access::{AccessOptions, Line, effective_access};
use accessdrift_desired::DesiredState;
use accessdrift_desired::{BaselineSelect, baseline as desired_baseline};
use accessdrift_drift::drift::{DriftConfig, DriftInput, ResourceFacts, drift, tag};
use accessdrift_drift::lifecycle::Evidence;
use accessdrift_drift::model::FindingKind;
use accessdrift_drift::notice::owner_change_notice;
use accessdrift_drift::{Finding, UNOWNED};
use accessdrift_primitives::Time;
use accessdrift_snapshot::{Part, Snapshot, read_snapshot};

use crate::ports::{
    AccountReader, DesiredRead, DesiredSource, FindingFeed, FindingStore, Notifier, PortError,
    SaveError, Sinks, SnapshotStore, StoreError, SweepPorts,
};
use crate::react::MAX_SAVE_ATTEMPTS;
use crate::sweep::{Routing, Scope, SweepReport, sweep_scoped};

/// How a pass judges and whom it tells.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Owner and classification tag keys.
    pub drift: DriftConfig,
    /// Every account of the Organization (principals elsewhere are external); the swept
    /// account and the management account are added.
    pub org_accounts: BTreeSet<String>,
    /// The owner word security subscribes to: owner-tag changes, owner disagreements,
    /// held findings and every digest with a high or critical item go to it.
    pub security_owner: String,
    /// The owner word of findings about resources nobody owns (no tag, no desired
    /// owner): the team that hears about them, and the word they are stored and
    /// queried under, so a subscription filter and `findings list --owner` agree.
    pub fallback_owner: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            drift: DriftConfig::default(),
            org_accounts: BTreeSet::new(),
            security_owner: "security".into(),
            fallback_owner: UNOWNED.into(),
        }
    }
}

/// A resource whose owner tag changed between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerChange {
    /// The resource ARN.
    pub resource: String,
    /// The tag key as written (the new one, else the old one).
    pub tag_key: String,
    /// Before.
    pub old: Option<String>,
    /// After.
    pub new: Option<String>,
}

/// What one pass found and did.
#[derive(Debug, Clone, Default)]
pub struct PassReport {
    /// Effective-access rows computed.
    pub rows: usize,
    /// Findings of this pass (open drift now).
    pub findings: Vec<Finding>,
    /// The findings lifecycle and notices.
    pub sweep: SweepReport,
    /// Owner-tag changes since the previous snapshot.
    pub owner_changes: Vec<OwnerChange>,
    /// Parts of the account that could not be read or evaluated (also findings).
    pub problems: usize,
}

/// Why a pass failed; the caller retries it whole (it is idempotent).
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// The findings store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Owner-change notices could not be sent; keep the previous snapshot and retry.
    #[error("owner-change notices not sent ({0}); the pass must be retried")]
    OwnerNotices(String),
}

impl PassError {
    /// Whether running the pass again can succeed: a refused owner-change notice is
    /// retried (the previous snapshot was kept so the change is found again).
    pub fn is_transient(&self) -> bool {
        match self {
            PassError::Store(e) => e.is_transient(),
            PassError::OwnerNotices(_) => true,
        }
    }
}

/// Today's effective access of the selected resources as their desired state (pure):
/// the usual first step for an existing account (`desired baseline`). Owners and
/// classifications come from the resources' tags, read as drift reads them.
pub fn baseline(snapshot: &Snapshot, select: &BaselineSelect, settings: &Settings) -> DesiredState {
    let mut owners = BTreeMap::new();
    let mut classifications = BTreeMap::new();
    for r in &snapshot.resources {
        if let Some((_, owner)) = tag(&r.tags, &settings.drift.owner_tag_keys) {
            owners.insert(r.arn.clone(), owner.to_string());
        }
        if let Some((_, class)) = tag(&r.tags, &settings.drift.classification_tag_keys) {
            classifications.insert(r.arn.clone(), class.to_string());
        }
    }
    let mut rows = Vec::new();
    effective_access(snapshot, &AccessOptions::default(), |line| {
        if let Line::Row(r) = line
            && select.selects(&r.resource, &owners)
        {
            rows.push(r);
        }
    });
    desired_baseline(&rows, select, &owners, &classifications)
}

/// Findings of `snapshot` against `desired` (pure): effective access, then drift.
pub fn findings(
    snapshot: &Snapshot,
    desired: &DesiredState,
    settings: &Settings,
) -> (Vec<Finding>, usize) {
    findings_in(snapshot, desired, settings, None)
}

/// [`findings`] about the resources in `scope` only (`None`: the whole account).
/// Effective access is computed for those resources alone, for every principal.
pub fn findings_in(
    snapshot: &Snapshot,
    desired: &DesiredState,
    settings: &Settings,
    scope: Option<&BTreeSet<String>>,
) -> (Vec<Finding>, usize) {
    let mut lines: Vec<Line> = Vec::new();
    let options = AccessOptions {
        resources: scope.cloned(),
    };
    // Every row is kept for drift: equal condition trees and grant lists share one copy.
    let mut interner = accessdrift_access::Interner::new();
    effective_access(snapshot, &options, |l| lines.push(interner.intern(l)));
    drop(interner);
    let rows = lines.iter().filter(|l| matches!(l, Line::Row(_))).count();
    let mut org = settings.org_accounts.clone();
    org.insert(snapshot.account_id.clone());
    if let Some(o) = &snapshot.organization {
        org.insert(o.management_account_id.clone());
    }
    // Drift judges every resource it is given facts about (missing access too), so a
    // scoped pass gives it the scoped resources only.
    let resources: Vec<ResourceFacts> = snapshot
        .resources
        .iter()
        .filter(|r| scope.is_none_or(|only| only.contains(&r.arn)))
        .map(|r| ResourceFacts {
            arn: r.arn.clone(),
            account: r.account.clone(),
            tags: r.tags.clone(),
        })
        .collect();
    let found = drift(
        &DriftInput {
            account: &snapshot.account_id,
            org_accounts: &org,
            lines: &lines,
            desired,
            resources: &resources,
        },
        &settings.drift,
    );
    let found = match scope {
        None => found,
        Some(only) => found
            .into_iter()
            .filter(|f| only.contains(&f.resource))
            .collect(),
    };
    (found, rows)
}

/// Resources present in both snapshots whose owner tag differs (pure).
pub fn owner_changes(previous: &Snapshot, current: &Snapshot, keys: &[String]) -> Vec<OwnerChange> {
    let before: BTreeMap<&str, &BTreeMap<String, String>> = previous
        .resources
        .iter()
        .map(|r| (r.arn.as_str(), &r.tags))
        .collect();
    current
        .resources
        .iter()
        .filter_map(|r| {
            let old_tags = before.get(r.arn.as_str())?;
            let old = tag(old_tags, keys);
            let new = tag(&r.tags, keys);
            let (old_value, new_value) = (old.map(|t| t.1), new.map(|t| t.1));
            (old_value != new_value).then(|| OwnerChange {
                resource: r.arn.clone(),
                tag_key: new.or(old).map_or("owner", |t| t.0).to_string(),
                old: old_value.map(str::to_string),
                new: new_value.map(str::to_string),
            })
        })
        .collect()
}

/// What one pass judges, and when.
#[derive(Debug, Clone, Copy)]
pub struct Pass<'a> {
    /// The account as read now.
    pub snapshot: &'a Snapshot,
    /// The last snapshot kept, to find owner-tag changes (`None`: none kept).
    pub previous: Option<&'a Snapshot>,
    /// Every team's desired state, and what kept it from being whole.
    pub desired: &'a DesiredRead,
    /// How to judge and whom to tell.
    pub settings: &'a Settings,
    /// The pass's time.
    pub now: Time,
    /// Only these resources (an event that re-read just them); `None`: the whole
    /// account. Findings about other resources are left as they are.
    pub scope: Option<&'a BTreeSet<String>>,
}

/// One pass: findings, their lifecycle and notices, and owner-change notices when a
/// previous snapshot is given.
pub async fn run_pass<S: FindingStore, N: Notifier, F: FindingFeed>(
    pass: Pass<'_>,
    sinks: Sinks<'_, S, N, F>,
) -> Result<PassReport, PassError> {
    let Pass {
        snapshot,
        previous,
        desired,
        settings,
        now,
        scope,
    } = pass;
    let (mut found, rows) = findings_in(snapshot, &desired.state, settings, scope);
    for f in found.iter_mut().filter(|f| f.owner.is_none()) {
        f.owner = Some(settings.fallback_owner.clone());
    }
    let sweep_scope = match scope {
        None => Scope::Account,
        Some(only) => Scope::Resources(only),
    };
    let evidence = DesiredEvidence::new(desired, snapshot);
    let declared_owner = |resource: &str| evidence.declared_owner(resource);
    let routing = Routing {
        security: Some(&settings.security_owner),
        declared_owner: &declared_owner,
        evidence: &evidence,
    };
    let sweep = sweep_scoped(
        sinks,
        &snapshot.account_id,
        sweep_scope,
        &found,
        now,
        routing,
    )
    .await?;
    let owner_changes = previous
        .map(|p| owner_changes(p, snapshot, &settings.drift.owner_tag_keys))
        .unwrap_or_default();
    let mut failures = Vec::new();
    for change in &owner_changes {
        let notice = owner_change_notice(
            &snapshot.account_id,
            &change.resource,
            &change.tag_key,
            change.old.as_deref(),
            change.new.as_deref(),
            &settings.security_owner,
        );
        if let Err(e) = sinks.notifier.send(&notice).await {
            failures.push(format!("{}: {e}", change.resource));
        }
    }
    if !failures.is_empty() {
        return Err(PassError::OwnerNotices(failures.join("; ")));
    }
    Ok(PassReport {
        rows,
        problems: snapshot.problems.len(),
        findings: found,
        sweep,
        owner_changes,
    })
}

/// What the desired state cannot vouch for in one pass (issue 11: nothing resolves on
/// missing evidence). A stored finding this pass did not find is held, not resolved,
/// when
/// - a desired-state source could not be read and no readable source declares the
///   finding's resource (it may be declared by the unreadable one), for every kind but
///   `could-not-evaluate` (which does not depend on the desired state);
/// - or the desired state no longer declares a resource that still exists, for the
///   kinds that only a desired entry gives (`unexpected-access`, `missing-access`,
///   `tag-mismatch`): a source deleted, or a file imported with entries missing, is no
///   evidence that the access is right. Declaring it again, or suppressing the finding
///   with a reason, ends the hold.
struct DesiredEvidence<'a> {
    declared: BTreeMap<&'a str, Option<&'a str>>,
    unreadable: &'a [String],
    existing: BTreeSet<&'a str>,
}

impl<'a> DesiredEvidence<'a> {
    fn new(desired: &'a DesiredRead, snapshot: &'a Snapshot) -> DesiredEvidence<'a> {
        DesiredEvidence {
            declared: desired
                .state
                .resources
                .iter()
                .map(|r| (r.arn.as_str(), r.owner.as_deref()))
                .collect(),
            unreadable: &desired.unreadable,
            existing: snapshot.resources.iter().map(|r| r.arn.as_str()).collect(),
        }
    }

    fn declared_owner(&self, resource: &str) -> Option<String> {
        self.declared
            .get(resource)
            .copied()
            .flatten()
            .map(str::to_string)
    }
}

impl Evidence for DesiredEvidence<'_> {
    fn missing(&self, f: &Finding) -> Option<String> {
        if self.declared.contains_key(f.resource.as_str())
            || f.kind == FindingKind::CouldNotEvaluate
        {
            return None;
        }
        if !self.unreadable.is_empty() {
            return Some(format!(
                "the desired state could not be read whole ({}), and no readable source \
                 declares {}",
                self.unreadable.join("; "),
                f.resource
            ));
        }
        let needs_entry = matches!(
            f.kind,
            FindingKind::UnexpectedAccess | FindingKind::MissingAccess | FindingKind::TagMismatch
        );
        (needs_entry && self.existing.contains(f.resource.as_str())).then(|| {
            format!(
                "the desired state no longer declares {}, which still exists (its entry or \
                 its source was removed); declare it again, or suppress this finding with a \
                 reason if that was intended",
                f.resource
            )
        })
    }
}

/// What the nightly sweep of one account did.
#[derive(Debug, Clone, Default)]
pub struct AccountSweep {
    /// The pass over the fresh snapshot.
    pub pass: PassReport,
    /// Problems reading the desired state (a source that could not be read...).
    pub desired_problems: Vec<String>,
    /// Whether a previous snapshot was there to compare owner tags with.
    pub had_previous: bool,
    /// Parts re-read because an event re-read them while this sweep was reading.
    pub reread: Vec<Part>,
}

/// Why a sweep of one account failed (the message is retried: a sweep is idempotent).
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A port failed.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The account reader produced a document that is not a snapshot.
    #[error("the snapshot of account {account} is unreadable: {message}")]
    Snapshot {
        /// The account.
        account: String,
        /// Why.
        message: String,
    },
    /// The pass failed.
    #[error(transparent)]
    Pass(#[from] PassError),
    /// Events kept saving the account's snapshot while the sweep ran (retryable).
    #[error(
        "account {account}: the snapshot kept changing while the sweep ran ({attempts} attempts)"
    )]
    Contended {
        /// The account.
        account: String,
        /// How many times the pass ran.
        attempts: usize,
    },
}

/// The nightly sweep of one account: read it whole, run the pass against the desired
/// state and the previous snapshot, then keep the new snapshot (only after the pass
/// succeeded, so a failed pass is retried against the same previous state).
pub async fn sweep_account<P: SweepPorts>(
    account: &str,
    ports: &P,
    settings: &Settings,
    now: Time,
) -> Result<AccountSweep, SweepError> {
    let (reader, snapshots) = (ports.reader(), ports.snapshots());
    let read = reader.read_account(account).await?;
    let desired = ports.desired().load_desired().await?;
    // The save is conditional on the snapshot loaded: an event that saved a fresher part
    // while this sweep ran makes it conflict, and the sweep starts again from loading,
    // so it judges (and keeps) that part too instead of dropping it.
    for _ in 0..MAX_SAVE_ATTEMPTS {
        let mut json = read.clone();
        // Loaded after the read, so it holds whatever events re-read while this sweep
        // was reading: those parts are re-read again rather than judged from the older
        // read (see `newer`), and a whole newer read kept by a redelivered sweep wins.
        let stored = snapshots.load(account).await?;
        let mut reread = Vec::new();
        if let (Some(stored), Some(since)) = (&stored, newer::read_began(&json)) {
            if newer::whole_read_after(&stored.text, &since) {
                json.clone_from(&stored.text);
            } else {
                reread = newer::parts_newer_than(&stored.text, &since);
                if !reread.is_empty() {
                    json = reader.refresh(account, &json, &reread).await?;
                }
            }
        }
        let snapshot = read_snapshot(&json).map_err(|e| SweepError::Snapshot {
            account: account.to_string(),
            message: e.to_string(),
        })?;
        // A previous snapshot this version cannot read is treated as absent: the only
        // loss is one round of owner-tag comparison, and the new snapshot replaces it.
        let previous = stored.as_ref().and_then(|s| read_snapshot(&s.text).ok());
        let pass = run_pass(
            Pass {
                snapshot: &snapshot,
                previous: previous.as_ref(),
                desired: &desired,
                settings,
                now,
                scope: None,
            },
            ports.sinks(),
        )
        .await?;
        match snapshots
            .save(account, &json, stored.as_ref().map(|s| s.version.as_str()))
            .await
        {
            Ok(()) => {
                return Ok(AccountSweep {
                    pass,
                    desired_problems: desired.problems,
                    had_previous: previous.is_some(),
                    reread,
                });
            }
            Err(SaveError::Conflict(_)) => continue,
            Err(SaveError::Port(e)) => return Err(e.into()),
        }
    }
    Err(SweepError::Contended {
        account: account.to_string(),
        attempts: MAX_SAVE_ATTEMPTS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::Borrowed;
    use crate::fakes::{MemoryNotifier, MemoryStore, block_on};
    use accessdrift_desired::parse_desired;
    use accessdrift_drift::lifecycle::{Status, StoredFinding};
    use accessdrift_drift::notice::{AttributeValue, Notice};
    use accessdrift_snapshot::read_snapshot;

    fn at(text: &str) -> accessdrift_primitives::Time {
        accessdrift_primitives::Time::parse(text).unwrap()
    }

    const ACCOUNT: &str = include_str!("../../../../examples/credit-account.json");
    const DESIRED: &str = include_str!("../../../../examples/desired-state.yaml");

    fn snapshot(text: &str) -> Snapshot {
        match read_snapshot(text) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn findings_nobody_owns_are_stored_and_sent_under_the_fallback_owner() {
        // Issue 12: the fallback owner used to be swapped into the SNS attribute only,
        // while the table kept `unowned`, so a subscription filter on the fallback team
        // and `findings list --owner <fallback>` disagreed. Now the pass owns the rule.
        let untagged = snapshot(&ACCOUNT.replace("\"owner\"", "\"not-the-owner-key\""));
        let settings = Settings {
            fallback_owner: "platform".into(),
            ..Settings::default()
        };
        let (store, notifier) = (MemoryStore::default(), MemoryNotifier::default());
        let report = block_on(run_pass(
            Pass {
                snapshot: &untagged,
                previous: None,
                desired: &DesiredRead::default(),
                settings: &settings,
                now: at("2026-12-07T02:00:00Z"),
                scope: None,
            },
            Sinks::new(&store, &notifier, &()),
        ))
        .unwrap();
        assert!(!report.findings.is_empty());
        let items = store.items.lock().unwrap();
        assert!(
            items
                .values()
                .all(|r| r.finding.owner.as_deref() == Some("platform")),
            "{:?}",
            items.values().map(|r| &r.finding.owner).collect::<Vec<_>>()
        );
        let sent = notifier.sent.lock().unwrap();
        assert!(sent.iter().any(|n| goes_to(n, "platform")));
        assert!(!sent.iter().any(|n| goes_to(n, UNOWNED)));
    }

    #[test]
    fn a_pass_opens_findings_notifies_each_owner_once_and_a_replay_is_quiet() {
        let s = snapshot(ACCOUNT);
        let desired =
            DesiredRead::whole(parse_desired(DESIRED, "examples/desired-state.yaml").unwrap());
        let settings = Settings::default();
        let (store, notifier) = (MemoryStore::default(), MemoryNotifier::default());
        let first = block_on(run_pass(
            Pass {
                snapshot: &s,
                previous: None,
                desired: &desired,
                settings: &settings,
                now: at("2026-11-24T02:00:00Z"),
                scope: None,
            },
            Sinks::new(&store, &notifier, &()),
        ))
        .unwrap();
        assert!(!first.findings.is_empty());
        assert_eq!(first.sweep.written, first.findings.len());
        let owners: BTreeSet<String> = first
            .findings
            .iter()
            .map(|f| f.owner.clone().unwrap_or_else(|| UNOWNED.into()))
            .collect();
        assert_eq!(first.sweep.sent, owners.len(), "one digest per owner");

        let again = block_on(run_pass(
            Pass {
                snapshot: &s,
                previous: Some(&s),
                desired: &desired,
                settings: &settings,
                now: at("2026-11-24T03:00:00Z"),
                scope: None,
            },
            Sinks::new(&store, &notifier, &()),
        ))
        .unwrap();
        assert_eq!(again.sweep.sent, 0, "the same drift never notifies twice");
        assert!(again.owner_changes.is_empty());
        let replay = block_on(run_pass(
            Pass {
                snapshot: &s,
                previous: Some(&s),
                desired: &desired,
                settings: &settings,
                now: at("2026-11-24T03:00:00Z"),
                scope: None,
            },
            Sinks::new(&store, &notifier, &()),
        ))
        .unwrap();
        assert_eq!(
            (replay.sweep.written, replay.sweep.sent),
            (0, 0),
            "replaying the same pass writes nothing"
        );
    }

    #[test]
    fn an_owner_tag_change_tells_the_old_owner_the_new_owner_and_security() {
        let before = snapshot(ACCOUNT);
        let after = snapshot(&ACCOUNT.replacen(
            "\"owner\": \"credit-team\"",
            "\"owner\": \"marketing\"",
            1,
        ));
        let changes = owner_changes(&before, &after, &DriftConfig::default().owner_tag_keys);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].old.as_deref(), Some("credit-team"));
        assert_eq!(changes[0].new.as_deref(), Some("marketing"));

        let desired = DesiredRead::default();
        let (store, notifier) = (MemoryStore::default(), MemoryNotifier::default());
        let settings = Settings::default();
        block_on(run_pass(
            Pass {
                snapshot: &after,
                previous: Some(&before),
                desired: &desired,
                settings: &settings,
                now: at("2026-01-01T01:00:00Z"),
                scope: None,
            },
            Sinks::new(&store, &notifier, &()),
        ))
        .unwrap();
        let sent = notifier.sent.lock().unwrap();
        let owner_notice = sent
            .iter()
            .find(|n| n.subject.contains("owner"))
            .unwrap_or_else(|| panic!("no owner-change notice in {sent:?}"));
        let audience = format!("{:?}", owner_notice.attributes);
        for who in ["credit-team", "marketing", "security"] {
            assert!(audience.contains(who), "{who} not in {audience}");
        }
    }

    #[test]
    fn a_sweep_keeps_the_snapshot_only_after_the_pass_and_compares_owners_with_it() {
        use crate::fakes::{MemoryAccounts, MemoryDesired, MemorySnapshots};
        let reader = MemoryAccounts::default();
        reader.set("111111111111", ACCOUNT);
        let snapshots = MemorySnapshots::default();
        let desired = MemoryDesired::new(parse_desired(DESIRED, "d.yaml").unwrap());
        let (store, notifier) = (MemoryStore::default(), MemoryNotifier::default());
        let settings = Settings::default();
        let sweep = |now: &'static str| {
            block_on(sweep_account(
                "111111111111",
                &Borrowed {
                    reader: &reader,
                    snapshots: &snapshots,
                    desired: &desired,
                    sinks: Sinks::new(&store, &notifier, &()),
                },
                &settings,
                at(now),
            ))
        };
        let first = sweep("2026-01-01T01:00:00Z").unwrap();
        assert!(!first.had_previous);
        assert!(
            snapshots.get("111111111111").is_some(),
            "kept after the pass"
        );

        reader.set(
            "111111111111",
            &ACCOUNT.replacen("\"owner\": \"credit-team\"", "\"owner\": \"marketing\"", 1),
        );
        notifier
            .fail
            .store(100, std::sync::atomic::Ordering::SeqCst);
        assert!(
            sweep("2026-01-01T02:00:00Z").is_err(),
            "notices cannot go out"
        );
        assert_eq!(
            snapshots.get("111111111111").as_deref(),
            Some(ACCOUNT),
            "a failed pass keeps the previous snapshot, so the retry sees the change again"
        );
        notifier.fail.store(0, std::sync::atomic::Ordering::SeqCst);
        let retried = sweep("2026-01-01T03:00:00Z").unwrap();
        assert!(retried.had_previous);
        assert_eq!(retried.pass.owner_changes.len(), 1);
    }

    /// Reads the account as it was when the sweep began; a refresh sees it as it is.
    struct SlowRead {
        began: String,
        now: String,
        refreshed: std::sync::Mutex<Vec<Part>>,
    }

    impl AccountReader for SlowRead {
        async fn read_account(&self, _: &str) -> Result<String, PortError> {
            Ok(self.began.clone())
        }
        async fn refresh(&self, _: &str, _: &str, parts: &[Part]) -> Result<String, PortError> {
            self.refreshed.lock().unwrap().extend(parts.iter().cloned());
            Ok(self.now.clone())
        }
    }

    fn stamped(doc: &str, at: &str, bucket_at: Option<&str>) -> String {
        let mut v: serde_json::Value = serde_json::from_str(doc).unwrap();
        v["collectedAt"] = at.into();
        if let Some(b) = bucket_at {
            v["resources"][0]["collectedAt"] = b.into();
        }
        v.to_string()
    }

    const CHANGED_OWNER: (&str, &str) = ("\"owner\": \"credit-team\"", "\"owner\": \"marketing\"");

    /// Sweeps the example account with `reader`, `stored` being the stored snapshot;
    /// also gives the snapshot store, and the findings the changed account has.
    fn sweep_over(
        reader: &SlowRead,
        stored: &str,
    ) -> (AccountSweep, crate::fakes::MemorySnapshots, Vec<Finding>) {
        use crate::fakes::{MemoryDesired, MemorySnapshots};
        let snapshots = MemorySnapshots::default();
        snapshots.put("111111111111", stored);
        let desired = parse_desired(DESIRED, "d.yaml").unwrap();
        let source = MemoryDesired::new(desired.clone());
        let (store, notifier) = (MemoryStore::default(), MemoryNotifier::default());
        let settings = Settings::default();
        let sweep = block_on(sweep_account(
            "111111111111",
            &Borrowed {
                reader,
                snapshots: &snapshots,
                desired: &source,
                sinks: Sinks::new(&store, &notifier, &()),
            },
            &settings,
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        let changed = ACCOUNT.replacen(CHANGED_OWNER.0, CHANGED_OWNER.1, 1);
        let (as_changed, _) = findings(&snapshot(&changed), &desired, &settings);
        let (as_before, _) = findings(&snapshot(ACCOUNT), &desired, &settings);
        assert_ne!(as_changed, as_before, "the change shows in the findings");
        (sweep, snapshots, as_changed)
    }

    /// The worker read the bucket, then an event re-read it (changed) and saved it,
    /// then the worker's pass ran: it must judge the bucket as the event saw it, not
    /// resolve the event's finding with its older read.
    #[test]
    fn a_sweep_re_reads_what_an_event_re_read_while_it_was_reading() {
        let changed = ACCOUNT.replacen(CHANGED_OWNER.0, CHANGED_OWNER.1, 1);
        let reader = SlowRead {
            began: stamped(ACCOUNT, "2026-11-24T02:00:00.000Z", None),
            now: stamped(
                &changed,
                "2026-11-24T02:00:00.000Z",
                Some("2026-11-24T02:01:00Z"),
            ),
            refreshed: Default::default(),
        };
        // What the event saved: the changed bucket, stamped after the sweep began.
        let stored = stamped(
            &changed,
            "2026-11-23T02:00:00Z",
            Some("2026-11-24T02:00:30Z"),
        );
        let (sweep, snapshots, as_changed) = sweep_over(&reader, &stored);
        let bucket = Part::Resource("arn:aws:s3:::credit-applications".into());
        assert_eq!(sweep.reread, vec![bucket.clone()]);
        assert_eq!(*reader.refreshed.lock().unwrap(), vec![bucket]);
        assert_eq!(sweep.pass.findings, as_changed);
        assert_eq!(
            snapshots.get("111111111111"),
            Some(reader.now.clone()),
            "the re-read is kept"
        );
    }

    /// A redelivered sweep message: another worker read the whole account after this
    /// one began and kept it; this one judges that newer read instead of its own.
    #[test]
    fn a_whole_read_kept_after_this_sweep_began_wins() {
        let changed = ACCOUNT.replacen(CHANGED_OWNER.0, CHANGED_OWNER.1, 1);
        let reader = SlowRead {
            began: stamped(ACCOUNT, "2026-11-24T02:00:00Z", None),
            now: String::new(),
            refreshed: Default::default(),
        };
        let newer = stamped(&changed, "2026-11-24T02:00:10Z", None);
        let (sweep, snapshots, as_changed) = sweep_over(&reader, &newer);
        assert!(sweep.reread.is_empty());
        assert!(reader.refreshed.lock().unwrap().is_empty());
        assert_eq!(sweep.pass.findings, as_changed);
        assert_eq!(snapshots.get("111111111111"), Some(newer));
    }

    #[test]
    fn findings_scoped_to_one_resource_equal_the_whole_pass_s_for_that_resource() {
        let s = snapshot(ACCOUNT);
        let desired = parse_desired(DESIRED, "d.yaml").unwrap();
        let settings = Settings::default();
        let (all, _) = findings(&s, &desired, &settings);
        let mut covered = 0;
        for r in &s.resources {
            let only: BTreeSet<String> = [r.arn.clone()].into();
            let (scoped, _) = findings_in(&s, &desired, &settings, Some(&only));
            let expected: Vec<&Finding> = all.iter().filter(|f| f.resource == r.arn).collect();
            let got: Vec<&Finding> = scoped.iter().collect();
            assert_eq!(got, expected, "{}", r.arn);
            covered += got.len();
        }
        assert!(covered > 0, "the example has drift to compare");
    }

    #[test]
    fn an_unsent_owner_change_fails_the_pass_so_it_is_retried() {
        let before = snapshot(ACCOUNT);
        let after =
            snapshot(&ACCOUNT.replacen("\"owner\": \"credit-team\"", "\"owner\": \"x\"", 1));
        let (store, notifier) = (MemoryStore::default(), MemoryNotifier::default());
        notifier
            .fail
            .store(100, std::sync::atomic::Ordering::SeqCst);
        let r = block_on(run_pass(
            Pass {
                snapshot: &after,
                previous: Some(&before),
                desired: &DesiredRead::default(),
                settings: &Settings::default(),
                now: at("2026-01-01T01:00:00Z"),
                scope: None,
            },
            Sinks::new(&store, &notifier, &()),
        ));
        assert!(matches!(r, Err(PassError::OwnerNotices(_))), "{r:?}");
    }

    // ---- Issue 11: nothing resolves on missing evidence ----

    /// The example account's findings stored by a first pass, and a second pass with
    /// `desired` and `account`: its report and what the store holds after it.
    fn second_pass(
        desired: DesiredRead,
        account: &str,
    ) -> (PassReport, Vec<StoredFinding>, Vec<Notice>, usize) {
        let (store, notifier) = (MemoryStore::default(), MemoryNotifier::default());
        let settings = Settings::default();
        let whole = DesiredRead::whole(parse_desired(DESIRED, "d.yaml").unwrap());
        let first = block_on(run_pass(
            Pass {
                snapshot: &snapshot(ACCOUNT),
                previous: None,
                desired: &whole,
                settings: &settings,
                now: at("2026-11-24T02:00:00Z"),
                scope: None,
            },
            Sinks::new(&store, &notifier, &()),
        ))
        .unwrap();
        notifier.sent.lock().unwrap().clear();
        let second = block_on(run_pass(
            Pass {
                snapshot: &snapshot(account),
                previous: Some(&snapshot(ACCOUNT)),
                desired: &desired,
                settings: &settings,
                now: at("2026-11-25T02:00:00Z"),
                scope: None,
            },
            Sinks::new(&store, &notifier, &()),
        ))
        .unwrap();
        let stored = block_on(store.load_account("111111111111")).unwrap();
        let sent = notifier.sent.lock().unwrap().clone();
        (second, stored, sent, first.findings.len())
    }

    /// The notices whose `changes` attribute lists `change`.
    fn with_change<'a>(sent: &'a [Notice], change: &str) -> Vec<&'a Notice> {
        sent.iter()
            .filter(|n| match n.attributes.get("changes") {
                Some(AttributeValue::StringArray(list)) => list.iter().any(|c| c == change),
                _ => false,
            })
            .collect()
    }

    fn resolved_notices(sent: &[Notice]) -> Vec<&Notice> {
        with_change(sent, "resolved")
    }

    fn goes_to(notice: &Notice, who: &str) -> bool {
        match notice.attributes.get("owner") {
            Some(AttributeValue::String(o)) => o == who,
            Some(AttributeValue::StringArray(list)) => list.iter().any(|o| o == who),
            None => false,
        }
    }

    #[test]
    fn an_unreadable_desired_source_holds_its_findings_and_tells_security() {
        let unreadable = DesiredRead {
            state: DesiredState::default(),
            unreadable: vec!["source `credit`: not valid YAML at line 3".into()],
            problems: vec!["source `credit`: not valid YAML at line 3".into()],
        };
        let (report, stored, sent, opened) = second_pass(unreadable, ACCOUNT);
        assert!(opened > 0);
        assert!(resolved_notices(&sent).is_empty(), "{sent:#?}");
        let open: Vec<&StoredFinding> = stored
            .iter()
            .filter(|s| s.status == Status::Open && s.finding.kind != FindingKind::NoOwner)
            .collect();
        assert!(
            stored.iter().all(|s| s.status != Status::Resolved),
            "{stored:#?}"
        );
        assert!(
            open.iter().filter(|s| s.held.is_some()).count() >= opened - 1,
            "{stored:#?}"
        );
        assert!(
            open.iter()
                .filter_map(|s| s.held.as_deref())
                .all(|why| why.contains("source `credit`: not valid YAML")),
            "{stored:#?}"
        );
        assert_eq!(
            report.sweep.held,
            open.iter().filter(|s| s.held.is_some()).count()
        );
        let held = with_change(&sent, "held");
        assert!(!held.is_empty(), "{sent:#?}");
        assert!(held.iter().all(|n| goes_to(n, "security")), "{held:#?}");
    }

    #[test]
    fn a_desired_state_that_shrinks_holds_the_findings_only_its_entries_gave() {
        // The credit team's source is gone (deleted, or re-imported without its
        // entries): the bucket still exists, its unexpected access is still there.
        let (_, stored, sent, _) = second_pass(DesiredRead::default(), ACCOUNT);
        let access: Vec<&StoredFinding> = stored
            .iter()
            .filter(|s| {
                matches!(
                    s.finding.kind,
                    FindingKind::UnexpectedAccess | FindingKind::MissingAccess
                )
            })
            .collect();
        assert!(!access.is_empty());
        for s in &access {
            assert_eq!(s.status, Status::Open, "{s:#?}");
            assert!(
                s.held
                    .as_deref()
                    .is_some_and(|w| w.contains("no longer declares")),
                "{s:#?}"
            );
        }
        assert!(
            !sent
                .iter()
                .any(|n| n.message_json.contains("this drift is gone")
                    && n.message_json.contains("unexpected-access")),
            "{sent:#?}"
        );
    }

    #[test]
    fn a_resource_that_could_not_be_read_holds_its_findings() {
        let unreadable = ACCOUNT.replacen(
            "\"arn\": \"arn:aws:s3:::credit-applications\",",
            "\"arn\": \"arn:aws:s3:::credit-applications\", \"error\": \"`s3:GetBucketPolicy` access denied: AccessDenied\",",
            1,
        );
        assert_ne!(unreadable, ACCOUNT);
        let whole = DesiredRead::whole(parse_desired(DESIRED, "d.yaml").unwrap());
        let (report, stored, sent, _) = second_pass(whole, &unreadable);
        let on_bucket: Vec<&StoredFinding> = stored
            .iter()
            .filter(|s| s.finding.resource == "arn:aws:s3:::credit-applications")
            .collect();
        assert!(
            on_bucket
                .iter()
                .any(|s| s.finding.kind == FindingKind::CouldNotEvaluate)
        );
        for s in on_bucket
            .iter()
            .filter(|s| s.finding.kind != FindingKind::CouldNotEvaluate)
        {
            assert_eq!(s.status, Status::Open, "{s:#?}");
            assert!(
                s.held
                    .as_deref()
                    .is_some_and(|w| w.contains("AccessDenied")),
                "{s:#?}"
            );
        }
        assert!(report.sweep.held > 0);
        assert!(resolved_notices(&sent).is_empty(), "{sent:#?}");
    }

    #[test]
    fn a_tag_mismatch_reaches_the_declared_owner_and_security_whatever_the_tag_says() {
        // The bucket's owner tag names a word nobody subscribes to.
        let retagged = ACCOUNT.replacen("\"owner\": \"credit-team\"", "\"owner\": \"nobody\"", 1);
        let whole = DesiredRead::whole(parse_desired(DESIRED, "d.yaml").unwrap());
        let (store, notifier) = (MemoryStore::default(), MemoryNotifier::default());
        block_on(run_pass(
            Pass {
                snapshot: &snapshot(&retagged),
                previous: None,
                desired: &whole,
                settings: &Settings::default(),
                now: at("2026-01-01T01:00:00Z"),
                scope: None,
            },
            Sinks::new(&store, &notifier, &()),
        ))
        .unwrap();
        let sent = notifier.sent.lock().unwrap();
        let mismatch: Vec<&Notice> = sent
            .iter()
            .filter(|n| n.message_json.contains("tag-mismatch"))
            .collect();
        assert_eq!(mismatch.len(), 1, "{sent:#?}");
        for who in ["nobody", "credit-team", "security"] {
            assert!(
                goes_to(mismatch[0], who),
                "{who}: {:?}",
                mismatch[0].attributes
            );
        }
        // Only the disagreement: the team's other drift is not in that message.
        assert!(
            !mismatch[0].message_json.contains("unexpected-access"),
            "{}",
            mismatch[0].message_json
        );
    }
}
