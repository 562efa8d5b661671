//! The findings lifecycle, as a pure function from (what is stored, what a sweep found,
//! now) to (what to write, what to notify).
//!
//! `open` -> `resolved` when the drift disappears -> `open` again (reopened) if it
//! returns; `suppressed` with a reason, who and an expiry (an expired suppression
//! reopens a finding that is still there, as does [`unsuppress`]). Only new, changed,
//! reopened and resolved findings notify; the same open drift on the next sweep changes
//! `last_seen` and nothing else, so it never notifies twice.
//!
//! Key design choice: no I/O here. The store adapter loads one account's findings,
//! calls [`reconcile`], and writes the returned records with a condition on the version
//! it read, so two concurrent sweeps cannot lose an update (the loser re-reads and
//! reconciles again). A record whose notice could not be sent keeps `notice_pending`, and
//! the next reconcile hands it back for sending: never lost, never sent twice.
//!
//! Missing evidence never resolves (issue 11): a stored finding that this pass did not
//! find, but could not have judged, is *held* as it was instead of resolved: its
//! resource or principal could not be evaluated this time (the pass has a
//! `could-not-evaluate` finding about it), or the caller's [`Evidence`] says so (a
//! desired-state source that could not be read, a resource the desired state stopped
//! declaring). A held finding keeps its status, records why in `held` and its history,
//! and owes one `held` notice; found again, it is released and judged as usual.

use std::collections::BTreeMap;

use accessdrift_primitives::Time;

use crate::model::{Finding, FindingKind};
use crate::notice::{Change, NoticeItem};

/// Where a finding is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The drift is there.
    Open,
    /// The drift went away.
    Resolved,
    /// Accepted for now by someone, until an expiry.
    Suppressed,
}

impl Status {
    /// Reads a status's word.
    pub fn parse(word: &str) -> Option<Status> {
        [Status::Open, Status::Resolved, Status::Suppressed]
            .into_iter()
            .find(|s| s.as_str() == word)
    }

    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Resolved => "resolved",
            Status::Suppressed => "suppressed",
        }
    }
}

/// Who accepted a finding, why, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Why it is acceptable.
    pub reason: String,
    /// Who decided.
    pub by: String,
    /// Until when (RFC 3339 UTC, as stored).
    pub until: String,
}

impl Suppression {
    /// Whether it has ended by `now`. An end that is not a time (a hand-edited item)
    /// counts as ended: the finding shows again rather than staying hidden on a guess.
    pub fn has_expired(&self, now: Time) -> bool {
        Time::parse(&self.until).map_or(true, |until| until <= now)
    }
}

/// One step of a finding's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// When (RFC 3339 UTC).
    pub at: String,
    /// The new status.
    pub status: Status,
    /// What happened, in words (`opened`, `resolved`, `reopened`, `changed`,
    /// `suppressed by x: reason`, `suppression expired`).
    pub note: String,
}

/// A finding as the findings table keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    /// The latest version of the finding.
    pub finding: Finding,
    /// Its status.
    pub status: Status,
    /// First sweep that found it (RFC 3339 UTC).
    pub first_seen: String,
    /// Last sweep that found it.
    pub last_seen: String,
    /// Status changes, oldest first.
    pub history: Vec<StatusChange>,
    /// The suppression, while suppressed.
    pub suppression: Option<Suppression>,
    /// A notice about the last change has not been sent yet.
    pub notice_pending: Option<Change>,
    /// Why the last pass could not judge this finding, while it is held as it was
    /// (see the module docs): "could not evaluate" for the people who query findings.
    pub held: Option<String>,
    /// Optimistic-concurrency version: writes are conditional on the version read.
    pub version: u64,
}

/// What one sweep changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reconciled {
    /// Records to write (each with `version` one more than what was read; new records
    /// have version 1 and must not exist yet).
    pub writes: Vec<StoredFinding>,
    /// Notices to send (new, changed, reopened, resolved, and earlier ones still pending).
    pub notices: Vec<NoticeItem>,
}

/// Whether two versions of a finding differ in what a team would want to know: the
/// access (Allowed vs Conditional), severity or granting statements.
fn changed(old: &Finding, new: &Finding) -> bool {
    old.access != new.access || old.severity != new.severity || old.grants != new.grants
}

/// Why a pass could not judge some stored findings, beyond what its own
/// `could-not-evaluate` findings say: given by the caller, which knows the desired state.
pub trait Evidence {
    /// Why `finding` (stored, not found by this pass) cannot be judged now; `None` when
    /// its absence is evidence that the drift is gone.
    fn missing(&self, finding: &Finding) -> Option<String>;
}

/// Every absence is evidence.
impl Evidence for () {
    fn missing(&self, _: &Finding) -> Option<String> {
        None
    }
}

/// Resources and principals this pass could not evaluate, from its `could-not-evaluate`
/// findings (a principal's names it as both resource and principal).
struct Unevaluated<'a> {
    resources: BTreeMap<&'a str, &'a str>,
    principals: BTreeMap<&'a str, &'a str>,
}

impl<'a> Unevaluated<'a> {
    fn of(found: &'a [Finding]) -> Unevaluated<'a> {
        let mut u = Unevaluated {
            resources: BTreeMap::new(),
            principals: BTreeMap::new(),
        };
        for f in found
            .iter()
            .filter(|f| f.kind == FindingKind::CouldNotEvaluate)
        {
            match f.principal.as_deref() {
                Some(p) if p == f.resource => {
                    u.principals.insert(p, &f.summary);
                }
                _ => {
                    u.resources.insert(&f.resource, &f.summary);
                }
            }
        }
        u
    }

    fn missing(&self, f: &Finding) -> Option<String> {
        if let Some(why) = self.resources.get(f.resource.as_str()) {
            return Some(format!("{} could not be evaluated: {why}", f.resource));
        }
        let principal = f.principal.as_deref()?;
        self.principals
            .get(principal)
            .map(|why| format!("{principal} could not be evaluated: {why}"))
    }
}

/// Reconciles one account's stored findings with the findings of a sweep of that
/// account, at `now`. Absent findings resolve unless the pass's own
/// `could-not-evaluate` findings cover them (see [`reconcile_with`]).
pub fn reconcile(stored: &[StoredFinding], found: &[Finding], now: Time) -> Reconciled {
    reconcile_with(stored, found, now, &())
}

/// [`reconcile`], holding (never resolving) the absent findings that the pass could not
/// judge: those its `could-not-evaluate` findings cover, and those `evidence` says are
/// missing their evidence.
pub fn reconcile_with(
    stored: &[StoredFinding],
    found: &[Finding],
    now: Time,
    evidence: &dyn Evidence,
) -> Reconciled {
    let unevaluated = Unevaluated::of(found);
    let mut out = Reconciled::default();
    let stored_by_id: BTreeMap<&str, &StoredFinding> =
        stored.iter().map(|s| (s.finding.id.as_str(), s)).collect();
    let found_by_id: BTreeMap<&str, &Finding> = found.iter().map(|f| (f.id.as_str(), f)).collect();

    for (id, finding) in &found_by_id {
        match stored_by_id.get(id) {
            None => {
                let record = StoredFinding {
                    finding: (*finding).clone(),
                    status: Status::Open,
                    first_seen: now.to_string(),
                    last_seen: now.to_string(),
                    history: vec![StatusChange {
                        at: now.to_string(),
                        status: Status::Open,
                        note: "opened".to_string(),
                    }],
                    suppression: None,
                    notice_pending: Some(Change::New),
                    held: None,
                    version: 1,
                };
                out.notices.push(NoticeItem {
                    change: Change::New,
                    finding: (*finding).clone(),
                });
                out.writes.push(record);
            }
            Some(old) => {
                let mut record = (*old).clone();
                record.version = old.version + 1;
                record.last_seen = now.to_string();
                record.finding = (*finding).clone();
                if record.held.take().is_some() {
                    record.history.push(StatusChange {
                        at: now.to_string(),
                        status: old.status,
                        note: "evaluated again".to_string(),
                    });
                }
                let mut change = None;
                match old.status {
                    Status::Resolved => {
                        record.status = Status::Open;
                        record.history.push(StatusChange {
                            at: now.to_string(),
                            status: Status::Open,
                            note: "reopened".to_string(),
                        });
                        change = Some(Change::Reopened);
                    }
                    Status::Suppressed => {
                        let expired = old.suppression.as_ref().is_none_or(|s| s.has_expired(now));
                        if expired {
                            record.status = Status::Open;
                            record.suppression = None;
                            record.history.push(StatusChange {
                                at: now.to_string(),
                                status: Status::Open,
                                note: "suppression expired".to_string(),
                            });
                            change = Some(Change::Reopened);
                        }
                    }
                    Status::Open => {
                        if changed(&old.finding, finding) {
                            record.history.push(StatusChange {
                                at: now.to_string(),
                                status: Status::Open,
                                note: "changed".to_string(),
                            });
                            change = Some(Change::Changed);
                        }
                    }
                }
                // A notice not sent last time is still owed; a newer change replaces it.
                let owed = change.or(old.notice_pending);
                if let Some(c) = owed {
                    record.notice_pending = Some(c);
                    out.notices.push(NoticeItem {
                        change: c,
                        finding: (*finding).clone(),
                    });
                }
                // Replaying a sweep writes nothing: only a record that differs is written.
                let unchanged = StoredFinding {
                    version: old.version,
                    ..record.clone()
                } == **old;
                if !unchanged {
                    out.writes.push(record);
                }
            }
        }
    }

    for old in stored {
        if found_by_id.contains_key(old.finding.id.as_str()) {
            continue;
        }
        let missing = match old.status {
            Status::Open | Status::Suppressed => unevaluated
                .missing(&old.finding)
                .or_else(|| evidence.missing(&old.finding)),
            Status::Resolved => None,
        };
        if let Some(why) = missing {
            // INVARIANT: nothing resolves on missing evidence. Held once per reason: a
            // pass that holds it again for the same reason writes nothing.
            if old.held.as_deref() != Some(why.as_str()) {
                let mut record = old.clone();
                record.version = old.version + 1;
                record.history.push(StatusChange {
                    at: now.to_string(),
                    status: old.status,
                    note: format!("held as it was: {why}"),
                });
                record.held = Some(why);
                record.notice_pending = Some(Change::Held);
                out.notices.push(NoticeItem {
                    change: Change::Held,
                    finding: held_notice_finding(&record),
                });
                out.writes.push(record);
            } else if let Some(c) = old.notice_pending {
                out.notices.push(NoticeItem {
                    change: c,
                    finding: held_notice_finding(old),
                });
            }
            continue;
        }
        match old.status {
            Status::Open | Status::Suppressed => {
                let mut record = old.clone();
                record.version = old.version + 1;
                record.status = Status::Resolved;
                record.suppression = None;
                record.held = None;
                record.history.push(StatusChange {
                    at: now.to_string(),
                    status: Status::Resolved,
                    note: "resolved".to_string(),
                });
                record.notice_pending = Some(Change::Resolved);
                out.notices.push(NoticeItem {
                    change: Change::Resolved,
                    finding: old.finding.clone(),
                });
                out.writes.push(record);
            }
            Status::Resolved => {
                // Still resolved; only a resolved notice that was never sent is owed.
                if let Some(c) = old.notice_pending {
                    out.notices.push(NoticeItem {
                        change: c,
                        finding: old.finding.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The finding as a `held` notice shows it: its remedy says why it could not be judged
/// and what brings it back (the stored record keeps its own remedy).
fn held_notice_finding(record: &StoredFinding) -> Finding {
    let mut f = record.finding.clone();
    if let Some(why) = &record.held {
        f.remedy = format!(
            "{why}. It stays {} as it was until a pass can judge it again; fix what could \
             not be read and it is judged at the next sweep.",
            record.status.as_str()
        );
    }
    f
}

/// Marks the notices of `ids` as sent: the records to write back (version bumped).
pub fn mark_notified(records: &[StoredFinding], ids: &[&str]) -> Vec<StoredFinding> {
    records
        .iter()
        .filter(|r| r.notice_pending.is_some() && ids.contains(&r.finding.id.as_str()))
        .map(|r| StoredFinding {
            notice_pending: None,
            version: r.version + 1,
            ..r.clone()
        })
        .collect()
}

/// Suppresses a finding: the record to write, or `None` when it is not open.
pub fn suppress(
    record: &StoredFinding,
    suppression: Suppression,
    now: Time,
) -> Option<StoredFinding> {
    if record.status != Status::Open {
        return None;
    }
    let mut r = record.clone();
    r.version += 1;
    r.status = Status::Suppressed;
    r.history.push(StatusChange {
        at: now.to_string(),
        status: Status::Suppressed,
        note: format!(
            "suppressed by {} until {}: {}",
            suppression.by, suppression.until, suppression.reason
        ),
    });
    r.suppression = Some(suppression);
    Some(r)
}

/// Lifts a suppression before it expires: the record to write, or `None` when the
/// finding is not suppressed. The finding is open again and owes a `reopened` notice,
/// exactly as when a suppression expires, so the owner hears at the next sweep (which
/// resolves it instead if the drift is gone by then).
pub fn unsuppress(record: &StoredFinding, by: &str, now: Time) -> Option<StoredFinding> {
    if record.status != Status::Suppressed {
        return None;
    }
    let mut r = record.clone();
    r.version += 1;
    r.status = Status::Open;
    r.suppression = None;
    r.notice_pending = Some(Change::Reopened);
    r.history.push(StatusChange {
        at: now.to_string(),
        status: Status::Open,
        note: format!("unsuppressed by {by}"),
    });
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FindingKind, GrantRef, Severity};

    fn at(text: &str) -> accessdrift_primitives::Time {
        accessdrift_primitives::Time::parse(text).unwrap()
    }

    #[test]
    fn a_suppression_ends_by_time_not_by_text_and_an_unreadable_end_has_ended() {
        let until = |u: &str| Suppression {
            reason: "accepted".into(),
            by: "alice".into(),
            until: u.into(),
        };
        let now = at("2026-12-07T15:00:00Z");
        // As text "…T16:00:00+02:00" sorts after "…T15:00:00Z"; as a time it is 14:00 UTC.
        assert!(until("2026-12-07T16:00:00+02:00").has_expired(now));
        assert!(!until("2026-12-07T15:00:00.5Z").has_expired(now));
        assert!(
            until("2026-12-07T15:00:00Z").has_expired(now),
            "the end is exclusive"
        );
        assert!(
            until("next tuesday").has_expired(now),
            "shown again, not hidden on a guess"
        );
    }

    fn finding(id: &str, severity: Severity) -> Finding {
        Finding {
            id: id.to_string(),
            kind: FindingKind::UnexpectedAccess,
            severity,
            account: "111111111111".into(),
            resource: "arn:aws:s3:::credit-applications".into(),
            owner: Some("credit-team".into()),
            classification: Some("Confidential".into()),
            principal: Some("arn:aws:iam::111111111111:role/ci".into()),
            capability: None,
            access: None,
            grants: vec![GrantRef {
                policy: "inline:ci/Deploy".into(),
                statement: "Write".into(),
            }],
            summary: "role/ci gained write-data".into(),
            remedy: "remove it".into(),
        }
    }

    /// Applies the writes of a reconcile to a stored set, checking the versions the way
    /// the conditional writes do.
    fn apply(stored: &mut Vec<StoredFinding>, writes: Vec<StoredFinding>) {
        for w in writes {
            match stored.iter_mut().find(|s| s.finding.id == w.finding.id) {
                Some(s) => {
                    assert_eq!(w.version, s.version + 1, "conditional on the version read");
                    *s = w;
                }
                None => {
                    assert_eq!(w.version, 1);
                    stored.push(w);
                }
            }
        }
    }

    fn changes(r: &Reconciled) -> Vec<Change> {
        r.notices.iter().map(|n| n.change).collect()
    }

    #[test]
    fn new_then_same_drift_notifies_once() {
        let mut stored = Vec::new();
        let f = finding("a", Severity::High);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-11-24T00:00:00Z"),
        );
        assert_eq!(changes(&r), [Change::New]);
        apply(&mut stored, r.writes);
        let sent = mark_notified(&stored, &["a"]);
        apply(&mut stored, sent);

        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-11-25T00:00:00Z"),
        );
        assert!(
            r.notices.is_empty(),
            "the same open drift never notifies again"
        );
        apply(&mut stored, r.writes);
        assert_eq!(stored[0].last_seen, "2026-11-25T00:00:00Z");
        assert_eq!(stored[0].first_seen, "2026-11-24T00:00:00Z");
    }

    #[test]
    fn resolved_then_reopened_with_history() {
        let mut stored = Vec::new();
        let f = finding("a", Severity::High);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T01:00:00Z"),
        );
        apply(&mut stored, r.writes);
        let r = reconcile(&stored, &[], at("2026-01-01T02:00:00Z"));
        assert_eq!(changes(&r), [Change::Resolved]);
        apply(&mut stored, r.writes);
        assert_eq!(stored[0].status, Status::Resolved);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T03:00:00Z"),
        );
        assert_eq!(changes(&r), [Change::Reopened]);
        apply(&mut stored, r.writes);
        let notes: Vec<&str> = stored[0].history.iter().map(|h| h.note.as_str()).collect();
        assert_eq!(notes, ["opened", "resolved", "reopened"]);
    }

    #[test]
    fn a_change_in_severity_or_grants_notifies_as_changed() {
        let mut stored = Vec::new();
        let r = reconcile(
            &stored,
            &[finding("a", Severity::Medium)],
            at("2026-01-01T01:00:00Z"),
        );
        apply(&mut stored, r.writes);
        let sent = mark_notified(&stored, &["a"]);
        apply(&mut stored, sent);
        let r = reconcile(
            &stored,
            &[finding("a", Severity::High)],
            at("2026-01-01T02:00:00Z"),
        );
        assert_eq!(changes(&r), [Change::Changed]);
    }

    #[test]
    fn a_notice_that_failed_is_owed_until_sent_and_never_twice() {
        let mut stored = Vec::new();
        let f = finding("a", Severity::High);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T01:00:00Z"),
        );
        apply(&mut stored, r.writes);
        // The send failed: nothing marked. The next sweep owes it still.
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T02:00:00Z"),
        );
        assert_eq!(changes(&r), [Change::New]);
        apply(&mut stored, r.writes);
        let sent = mark_notified(&stored, &["a"]);
        apply(&mut stored, sent);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T03:00:00Z"),
        );
        assert!(r.notices.is_empty());
    }

    #[test]
    fn suppression_holds_until_it_expires_then_reopens() {
        let mut stored = Vec::new();
        let f = finding("a", Severity::High);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-11-24T00:00:00Z"),
        );
        apply(&mut stored, r.writes);
        let sent = mark_notified(&stored, &["a"]);
        apply(&mut stored, sent);
        let s = suppress(
            &stored[0],
            Suppression {
                reason: "migration in progress".into(),
                by: "alice".into(),
                until: "2026-12-01T00:00:00Z".into(),
            },
            at("2026-11-24T01:00:00Z"),
        )
        .unwrap();
        apply(&mut stored, vec![s]);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-11-25T00:00:00Z"),
        );
        assert!(r.notices.is_empty(), "suppressed drift is quiet");
        apply(&mut stored, r.writes);
        assert_eq!(stored[0].status, Status::Suppressed);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-12-02T00:00:00Z"),
        );
        assert_eq!(changes(&r), [Change::Reopened]);
        apply(&mut stored, r.writes);
        assert_eq!(stored[0].status, Status::Open);
        assert!(stored[0].suppression.is_none());
    }

    #[test]
    fn replaying_the_same_sweep_changes_nothing_notifiable() {
        let mut stored = Vec::new();
        let f = finding("a", Severity::High);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T01:00:00Z"),
        );
        apply(&mut stored, r.writes);
        let sent = mark_notified(&stored, &["a"]);
        apply(&mut stored, sent);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T01:00:00Z"),
        );
        assert!(r.notices.is_empty());
        assert!(
            r.writes.is_empty(),
            "a replay writes nothing: {:?}",
            r.writes
        );
    }

    #[test]
    fn unsuppress_reopens_with_history_and_a_notice_owed() {
        let mut stored = Vec::new();
        let f = finding("a", Severity::High);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-11-24T00:00:00Z"),
        );
        apply(&mut stored, r.writes);
        let sent = mark_notified(&stored, &["a"]);
        apply(&mut stored, sent);
        assert!(
            unsuppress(&stored[0], "bob", at("2026-11-24T01:00:00Z")).is_none(),
            "an open finding has nothing to lift"
        );
        let s = suppress(
            &stored[0],
            Suppression {
                reason: "migration in progress".into(),
                by: "alice".into(),
                until: "2026-12-01T00:00:00Z".into(),
            },
            at("2026-11-24T01:00:00Z"),
        )
        .unwrap();
        apply(&mut stored, vec![s]);
        let u = unsuppress(&stored[0], "bob", at("2026-11-24T02:00:00Z")).unwrap();
        apply(&mut stored, vec![u]);
        let r = &stored[0];
        assert_eq!(r.status, Status::Open);
        assert!(r.suppression.is_none());
        assert_eq!(r.notice_pending, Some(Change::Reopened));
        let last = r.history.last().unwrap();
        assert_eq!(
            (last.at.as_str(), last.status, last.note.as_str()),
            ("2026-11-24T02:00:00Z", Status::Open, "unsuppressed by bob")
        );
        assert!(unsuppress(r, "bob", at("2026-11-24T03:00:00Z")).is_none());

        // The next sweep sends the owed notice once.
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-11-25T00:00:00Z"),
        );
        assert_eq!(changes(&r), [Change::Reopened]);
    }

    fn could_not_evaluate(resource: &str, principal: Option<&str>) -> Finding {
        Finding {
            id: format!("cne-{resource}"),
            kind: FindingKind::CouldNotEvaluate,
            severity: Severity::Medium,
            resource: resource.into(),
            principal: principal.map(str::to_string),
            summary: "its policy could not be read: AccessDenied".into(),
            ..finding("x", Severity::Medium)
        }
    }

    /// Issue 11: nothing resolves on missing evidence.
    #[test]
    fn a_finding_on_a_resource_that_could_not_be_evaluated_is_held_not_resolved() {
        let mut stored = Vec::new();
        let f = finding("a", Severity::High);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T01:00:00Z"),
        );
        apply(&mut stored, r.writes);
        let w = mark_notified(&stored, &["a"]);
        apply(&mut stored, w);
        // The bucket's policy could not be read this time: its rows are gone, but that
        // is no evidence that the drift is.
        let unreadable = could_not_evaluate(&f.resource, None);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&unreadable),
            at("2026-01-01T02:00:00Z"),
        );
        assert_eq!(changes(&r), [Change::New, Change::Held], "{r:?}");
        apply(&mut stored, r.writes);
        let a = stored.iter().find(|s| s.finding.id == "a").unwrap();
        assert_eq!(a.status, Status::Open);
        assert!(
            a.held
                .as_deref()
                .unwrap()
                .contains("could not be evaluated"),
            "{a:?}"
        );
        assert_eq!(a.notice_pending, Some(Change::Held));
        assert_eq!(
            a.history.last().unwrap().note,
            format!("held as it was: {}", a.held.as_deref().unwrap())
        );
        // Held again for the same reason: no write, and the owed notice once more only
        // while it is not sent.
        let w = mark_notified(&stored, &["a", "cne-arn:aws:s3:::credit-applications"]);
        apply(&mut stored, w);
        let r = reconcile(
            &stored,
            std::slice::from_ref(&unreadable),
            at("2026-01-01T03:00:00Z"),
        );
        assert!(r.writes.iter().all(|w| w.finding.id != "a"), "{r:?}");
        assert!(r.notices.is_empty(), "{r:?}");
        // Readable again and the drift is gone: now it resolves.
        let r = reconcile(&stored, &[], at("2026-01-01T04:00:00Z"));
        apply(&mut stored, r.writes);
        let a = stored.iter().find(|s| s.finding.id == "a").unwrap();
        assert_eq!(a.status, Status::Resolved);
        assert_eq!(a.held, None);
    }

    #[test]
    fn a_finding_about_a_principal_that_could_not_be_evaluated_is_held_and_released_when_seen() {
        let mut stored = Vec::new();
        let f = finding("a", Severity::High);
        let role = f.principal.clone().unwrap();
        let w = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T01:00:00Z"),
        )
        .writes;
        apply(&mut stored, w);
        let unreadable = could_not_evaluate(&role, Some(&role));
        let r = reconcile(
            &stored,
            std::slice::from_ref(&unreadable),
            at("2026-01-01T02:00:00Z"),
        );
        assert!(changes(&r).contains(&Change::Held), "{r:?}");
        apply(&mut stored, r.writes);
        // Seen again: released, judged as usual (same drift, so no notice but the owed).
        let r = reconcile(
            &stored,
            std::slice::from_ref(&f),
            at("2026-01-01T03:00:00Z"),
        );
        apply(&mut stored, r.writes);
        let a = stored.iter().find(|s| s.finding.id == "a").unwrap();
        assert_eq!((a.status, a.held.as_deref()), (Status::Open, None));
        assert_eq!(a.history.last().unwrap().note, "evaluated again");
    }

    struct SourceUnreadable;
    impl Evidence for SourceUnreadable {
        fn missing(&self, f: &Finding) -> Option<String> {
            (f.owner.as_deref() == Some("credit-team"))
                .then(|| "desired-state source `credit` could not be read".to_string())
        }
    }

    #[test]
    fn findings_the_caller_has_no_evidence_for_are_held_with_its_reason() {
        let mut stored = Vec::new();
        let found: Vec<Finding> = (0..13)
            .map(|i| finding(&format!("f{i}"), Severity::High))
            .collect();
        let w = reconcile(&stored, &found, at("2026-01-01T01:00:00Z")).writes;
        apply(&mut stored, w);
        let r = reconcile_with(&stored, &[], at("2026-01-01T02:00:00Z"), &SourceUnreadable);
        assert_eq!(r.notices.len(), 13);
        assert!(r.notices.iter().all(|n| n.change == Change::Held), "{r:?}");
        assert!(
            r.notices[0]
                .finding
                .remedy
                .contains("`credit` could not be read")
        );
        apply(&mut stored, r.writes);
        assert!(
            stored
                .iter()
                .all(|s| s.status == Status::Open && s.held.is_some())
        );
        // Without the caller's reason the same absence resolves them.
        let r = reconcile(&stored, &[], at("2026-01-01T03:00:00Z"));
        assert!(r.notices.iter().all(|n| n.change == Change::Resolved));
    }
}
