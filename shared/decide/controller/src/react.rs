//! What the functions do with a change event, and with the nightly schedule: pure
//! orchestration over the ports.
//!
//! What it is for: turning a classified CloudTrail event into the least work that
//! makes the findings true again. A resource or principal change re-reads just that
//! part into the account's last snapshot and runs a pass over the patched snapshot; a
//! group or managed-policy change re-reads IAM; an Organization change queues whole
//! sweeps of the accounts under it (SCPs and RCPs reach every principal and resource).
//! What it is not for: deciding which events matter (`accessdrift_triggers` does) or
//! reading AWS (the [`AccountReader`] does).
//!
//! Key design choice: the event is a hint, never the truth. The pass re-reads the
//! current state of what the event names, so a duplicate, late or out-of-order event
//! yields the same findings as a timely one, and the pass itself is idempotent.

use std::collections::{BTreeMap, BTreeSet};

use accessdrift_primitives::Time;
use accessdrift_snapshot::{Part, read_snapshot};
use accessdrift_triggers::{Classified, IgnoreReason, Target, Trigger};

use crate::ports::{
    AccountReader, DesiredSource, Organization, PortError, Ports, SaveError, SnapshotStore,
    SweepQueue, SweepReason, SweepRequest,
};
use crate::{Pass, PassError, PassReport, Settings, run_pass};

/// What an event led to.
#[derive(Debug)]
pub enum Reaction {
    /// Nothing changed (a failed or read-only call...).
    Ignored(IgnoreReason),
    /// Not an event the table knows; acknowledged.
    Unknown {
        /// Its source.
        source: String,
        /// Its name.
        event_name: String,
    },
    /// The work done.
    Done(EventWork),
}

/// The passes run and sweeps queued for one event.
#[derive(Debug, Default)]
pub struct EventWork {
    /// One pass per account whose parts were re-read.
    pub passes: Vec<EventPass>,
    /// Whole-account sweeps queued (Organization changes, accounts not swept yet).
    pub queued: Vec<SweepRequest>,
    /// Accounts the event named that are outside the Organization: neither read nor
    /// queued (see [`crate::boundary`]); the handler logs them.
    pub outside: Vec<String>,
}

/// One account's event-driven pass.
#[derive(Debug)]
pub struct EventPass {
    /// The account.
    pub account: String,
    /// The parts re-read (now as fresh as the event).
    pub parts: Vec<Part>,
    /// When the rest of the snapshot was read (its last sweep), for the freshness log.
    pub rest_collected_at: Option<String>,
    /// Whether the pass re-evaluated only the re-read resources (a resource change)
    /// rather than the whole account (a principal or IAM change).
    pub scoped: bool,
    /// The pass over the patched snapshot.
    pub report: PassReport,
}

/// Why an event could not be handled. The caller lets the invocation fail, so Lambda
/// retries it and then keeps it in the dead-letter queue for a person.
#[derive(Debug, thiserror::Error)]
pub enum ReactError {
    /// The event lacks what is needed to act on it.
    #[error("invalid `{service}` `{event_name}` event: {reason}")]
    Invalid {
        /// Its source (CloudTrail `eventSource`).
        service: String,
        /// Its name.
        event_name: String,
        /// What is missing.
        reason: String,
    },
    /// A port failed.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The refreshed snapshot is not a snapshot (the reader's fault).
    #[error("account {account}: the refreshed snapshot cannot be read: {message}")]
    Snapshot {
        /// The account.
        account: String,
        /// Why.
        message: String,
    },
    /// The pass failed.
    #[error("account {account}: {source}")]
    Pass {
        /// The account.
        account: String,
        /// Why.
        source: PassError,
    },
    /// Other passes kept saving the account's snapshot while this one ran, every time
    /// it tried (retryable: the event is redelivered and the pass redone).
    #[error(
        "account {account}: the snapshot kept changing while the pass ran ({attempts} attempts); \
         retry"
    )]
    Contended {
        /// The account.
        account: String,
        /// How many times the pass ran.
        attempts: usize,
    },
}

impl ReactError {
    /// Whether running the event again can help: not for an event that lacks what is
    /// needed, a reader that produced no snapshot or a port failure that lasts (an
    /// AccessDenied, a malformed item: the same input fails the same way), yes for
    /// transient AWS failures (throttling, timeouts, 5xx) and a contended snapshot.
    /// The event function acknowledges what retrying cannot fix (logging it for the
    /// alarm) instead of having Lambda retry it pointlessly.
    pub fn is_retryable(&self) -> bool {
        match self {
            ReactError::Invalid { .. } | ReactError::Snapshot { .. } => false,
            ReactError::Port(e) => e.transient,
            ReactError::Pass { source, .. } => source.is_transient(),
            ReactError::Contended { .. } => true,
        }
    }
}

/// How many times an event's pass is redone when another pass saved the snapshot
/// meanwhile, before the event is failed (and redelivered).
pub const MAX_SAVE_ATTEMPTS: usize = 3;

/// The part a target names in its account's snapshot, or `None` for targets that
/// name accounts instead.
fn part_of(target: &Target) -> Option<(&str, Part)> {
    match target {
        // A role's trust policy lives in its authorization-details entry, so a change
        // to the role as a resource re-reads the role.
        Target::Resource { account, arn, .. } if is_iam_principal(arn) => {
            Some((account, Part::Principal(arn.clone())))
        }
        Target::Resource { account, arn, .. } => Some((account, Part::Resource(arn.clone()))),
        Target::Principal { account, arn } => Some((account, Part::Principal(arn.clone()))),
        Target::Group { account, .. } | Target::ManagedPolicy { account, .. } => {
            Some((account, Part::Iam))
        }
        Target::Accounts { .. } | Target::OrgPolicy { .. } => None,
    }
}

fn is_iam_principal(arn: &str) -> bool {
    accessdrift_primitives::Arn::parse(arn).is_some_and(|a| {
        a.service == "iam" && (a.resource.starts_with("role/") || a.resource.starts_with("user/"))
    })
}

/// Reacts to one classified event at `now`.
pub async fn react<P: Ports>(
    classified: &Classified,
    ports: &P,
    settings: &Settings,
    now: Time,
) -> Result<Reaction, ReactError> {
    let targets = match &classified.trigger {
        Trigger::Reevaluate(targets) => targets,
        Trigger::Ignore(reason) => return Ok(Reaction::Ignored(reason.clone())),
        Trigger::Unknown { source, event_name } => {
            return Ok(Reaction::Unknown {
                source: source.clone(),
                event_name: event_name.clone(),
            });
        }
        Trigger::Invalid {
            source,
            event_name,
            reason,
        } => {
            return Err(ReactError::Invalid {
                service: source.clone(),
                event_name: event_name.clone(),
                reason: reason.clone(),
            });
        }
    };
    let mut parts: BTreeMap<String, BTreeSet<Part>> = BTreeMap::new();
    let mut whole: BTreeSet<String> = BTreeSet::new();
    for target in targets {
        if let Some((account, part)) = part_of(target) {
            parts.entry(account.to_string()).or_default().insert(part);
            continue;
        }
        let under = match target {
            Target::Accounts { target } => ports.org().accounts_under(target).await?,
            Target::OrgPolicy { policy_id } => {
                let mut all = Vec::new();
                for t in ports.org().policy_targets(policy_id).await? {
                    all.extend(ports.org().accounts_under(&t).await?);
                }
                all
            }
            _ => Vec::new(),
        };
        whole.extend(under);
    }
    let mut work = EventWork {
        outside: crate::boundary::keep_members(ports.org(), &mut parts, &mut whole).await?,
        ..EventWork::default()
    };
    for (account, parts) in parts {
        // A whole sweep is queued anyway: it covers these parts too.
        if whole.contains(&account) {
            continue;
        }
        let parts: Vec<Part> = parts.into_iter().collect();
        match refresh_and_pass_saved(&account, &parts, ports, settings, now).await? {
            Some(pass) => work.passes.push(pass),
            // Never swept: there is nothing to patch, so read it all.
            None => {
                whole.insert(account);
            }
        }
    }
    work.queued = whole
        .into_iter()
        .map(|account| SweepRequest {
            account,
            reason: SweepReason::Event,
            requested_at: now.to_string(),
        })
        .collect();
    if !work.queued.is_empty() {
        ports.queue().enqueue(&work.queued).await?;
    }
    Ok(Reaction::Done(work))
}

/// [`refresh_and_pass`], redone on the newer snapshot when another pass saved it
/// meanwhile (the pass is idempotent: findings are reconciled again, notices go once).
async fn refresh_and_pass_saved<P: Ports>(
    account: &str,
    parts: &[Part],
    ports: &P,
    settings: &Settings,
    now: Time,
) -> Result<Option<EventPass>, ReactError> {
    for _ in 0..MAX_SAVE_ATTEMPTS {
        match refresh_and_pass(account, parts, ports, settings, now).await {
            Err(Saved::Conflict) => continue,
            Err(Saved::Failed(e)) => return Err(e),
            Ok(done) => return Ok(done),
        }
    }
    Err(ReactError::Contended {
        account: account.to_string(),
        attempts: MAX_SAVE_ATTEMPTS,
    })
}

/// A pass whose save lost to another writer, or failed otherwise.
enum Saved {
    Conflict,
    Failed(ReactError),
}

impl<E: Into<ReactError>> From<E> for Saved {
    fn from(e: E) -> Saved {
        Saved::Failed(e.into())
    }
}

/// Re-reads `parts` into the account's last snapshot and runs a pass over it; `None`
/// when there is no usable snapshot to patch.
async fn refresh_and_pass<P: Ports>(
    account: &str,
    parts: &[Part],
    ports: &P,
    settings: &Settings,
    now: Time,
) -> Result<Option<EventPass>, Saved> {
    let Some(loaded) = ports.snapshots().load(account).await? else {
        return Ok(None);
    };
    let stored = loaded.text;
    // A stored snapshot this version cannot read is as good as none.
    let Ok(previous) = read_snapshot(&stored) else {
        return Ok(None);
    };
    let patched = ports.reader().refresh(account, &stored, parts).await?;
    let snapshot = read_snapshot(&patched).map_err(|e| ReactError::Snapshot {
        account: account.to_string(),
        message: e.to_string(),
    })?;
    let desired = ports.desired().load_desired().await?;
    // Only resources re-read: their effective access, for every principal, is all
    // that can have changed, so the pass evaluates and reconciles just them.
    let scope: Option<BTreeSet<String>> = parts
        .iter()
        .map(|p| match p {
            Part::Resource(arn) => Some(arn.clone()),
            Part::Principal(_) | Part::Iam => None,
        })
        .collect();
    let report = run_pass(
        Pass {
            snapshot: &snapshot,
            previous: Some(&previous),
            desired: &desired,
            settings,
            now,
            scope: scope.as_ref(),
        },
        ports.sinks(),
    )
    .await
    .map_err(|source| ReactError::Pass {
        account: account.to_string(),
        source,
    })?;
    match ports
        .snapshots()
        .save(account, &patched, Some(&loaded.version))
        .await
    {
        Ok(()) => {}
        Err(SaveError::Conflict(_)) => return Err(Saved::Conflict),
        Err(SaveError::Port(e)) => return Err(e.into()),
    }
    Ok(Some(EventPass {
        account: account.to_string(),
        parts: parts.to_vec(),
        rest_collected_at: crate::newer::read_began(&stored),
        scoped: scope.is_some(),
        report,
    }))
}

/// What the planner did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Accounts in the Organization.
    pub accounts: usize,
    /// Sweep messages queued (one per account).
    pub queued: usize,
}

/// The nightly plan: one sweep message per account of the Organization. The sweeps
/// run in parallel as the worker function scales out; nothing here grows with the
/// Organization but the number of messages.
pub async fn plan<O: Organization, Q: SweepQueue>(
    org: &O,
    queue: &Q,
    now: Time,
) -> Result<Plan, PortError> {
    let accounts: BTreeSet<String> = org.accounts().await?.into_iter().collect();
    let requests: Vec<SweepRequest> = accounts
        .iter()
        .map(|account| SweepRequest {
            account: account.clone(),
            reason: SweepReason::Nightly,
            requested_at: now.to_string(),
        })
        .collect();
    let queued = if requests.is_empty() {
        0
    } else {
        queue.enqueue(&requests).await?
    };
    Ok(Plan {
        accounts: accounts.len(),
        queued,
    })
}

#[cfg(test)]
mod tests {
    use accessdrift_desired::parse_desired;
    use accessdrift_triggers::classify_json;

    use super::*;
    use crate::fakes::{MemoryDesired, MemoryOrganization, MemoryPorts, block_on};

    fn at(text: &str) -> accessdrift_primitives::Time {
        accessdrift_primitives::Time::parse(text).unwrap()
    }

    const ACCOUNT: &str = include_str!("../../../../examples/credit-account.json");
    const DESIRED: &str = include_str!("../../../../examples/desired-state.yaml");
    const ID: &str = "111111111111";

    fn ports() -> MemoryPorts {
        let mut org = MemoryOrganization {
            accounts: vec![ID.into(), "222222222222".into()],
            ..MemoryOrganization::default()
        };
        org.under
            .insert("ou-ab12-11111111".into(), vec!["222222222222".into()]);
        org.under
            .insert("r-ab12".into(), vec![ID.into(), "222222222222".into()]);
        org.attachments
            .insert("p-examplescp1".into(), vec!["ou-ab12-11111111".into()]);
        MemoryPorts {
            desired: MemoryDesired::new(parse_desired(DESIRED, "desired.yaml").unwrap()),
            org,
            ..MemoryPorts::default()
        }
    }

    fn event(source: &str, name: &str, params: serde_json::Value) -> Classified {
        classify_json(
            &serde_json::json!({
                "version": "0", "id": "e-1", "detail-type": "AWS API Call via CloudTrail",
                "source": format!("aws.{}", source.split('.').next().unwrap()),
                "account": ID, "region": "us-east-1",
                "detail": {
                    "eventVersion": "1.09", "eventSource": source, "eventName": name,
                    "awsRegion": "us-east-1", "recipientAccountId": ID,
                    "requestParameters": params, "responseElements": null,
                    "userIdentity": {"type": "AssumedRole", "accountId": ID}
                }
            })
            .to_string(),
        )
    }

    fn bucket_policy_event() -> Classified {
        event(
            "s3.amazonaws.com",
            "PutBucketPolicy",
            serde_json::json!({"bucketName": "credit-applications", "bucketPolicy": {}}),
        )
    }

    #[test]
    fn a_resource_change_patches_the_last_snapshot_and_runs_one_pass() {
        let ports = ports();
        ports.snapshots.put(ID, ACCOUNT);
        ports.accounts.set(ID, ACCOUNT);
        let classified = bucket_policy_event();
        let reaction = block_on(react(
            &classified,
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        let Reaction::Done(work) = reaction else {
            panic!("{reaction:?}")
        };
        assert_eq!(work.passes.len(), 1);
        assert!(work.queued.is_empty());
        assert_eq!(
            ports.accounts.refreshed(),
            [(
                ID.to_string(),
                vec![Part::Resource("arn:aws:s3:::credit-applications".into())]
            )]
        );
        assert!(ports.accounts.reads().is_empty(), "no whole-account read");
        assert!(work.passes[0].report.rows > 0);
        assert_eq!(ports.snapshots.get(ID).as_deref(), Some(ACCOUNT));
    }

    #[test]
    fn a_resource_change_evaluates_and_reconciles_that_resource_alone() {
        use accessdrift_drift::lifecycle::Status;
        let mut ports = ports();
        ports.accounts.set(ID, ACCOUNT);
        let settings = Settings::default();
        let full = block_on(crate::sweep_account(
            ID,
            &ports,
            &settings,
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        let table = "arn:aws:dynamodb:us-east-1:111111111111:table/credit-decisions";
        let status_of = |ports: &MemoryPorts, pick: &dyn Fn(&str) -> bool| -> Vec<Status> {
            let items = ports.store.items.lock().unwrap();
            items
                .values()
                .filter(|s| pick(&s.finding.resource))
                .map(|s| s.status)
                .collect()
        };
        assert!(status_of(&ports, &|r| r == table).contains(&Status::Open));
        assert!(status_of(&ports, &|r| r != table).contains(&Status::Open));

        // The team accepts today's access everywhere, then the table's policy changes:
        // the table's findings resolve; the others are not this event's business.
        let snapshot = read_snapshot(ACCOUNT).unwrap();
        ports.desired = MemoryDesired::new(crate::baseline(
            &snapshot,
            &accessdrift_desired::BaselineSelect::default(),
            &settings,
        ));
        let changed = event(
            "dynamodb.amazonaws.com",
            "PutResourcePolicy",
            serde_json::json!({"resourceArn": table, "policy": "{}"}),
        );
        let reaction = block_on(react(
            &changed,
            &ports,
            &settings,
            at("2026-01-01T02:00:00Z"),
        ))
        .unwrap();
        let Reaction::Done(work) = reaction else {
            panic!("{reaction:?}")
        };
        assert!(work.passes[0].scoped);
        assert!(
            work.passes[0].report.rows < full.pass.rows,
            "only the table was evaluated"
        );
        assert!(
            status_of(&ports, &|r| r == table)
                .iter()
                .all(|s| *s == Status::Resolved)
        );
        assert!(
            status_of(&ports, &|r| r != table).contains(&Status::Open),
            "other resources' findings are left open"
        );
    }

    #[test]
    fn a_duplicate_event_changes_nothing_and_sends_nothing() {
        let ports = ports();
        ports.snapshots.put(ID, ACCOUNT);
        ports.accounts.set(ID, ACCOUNT);
        let classified = bucket_policy_event();
        block_on(react(
            &classified,
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        let sent = ports.notifier.sent.lock().unwrap().len();
        assert!(sent > 0, "the example account has drift");
        // The same event delivered twice: nothing to write, nothing to send.
        let replay = block_on(react(
            &classified,
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        let Reaction::Done(work) = replay else {
            panic!("{replay:?}")
        };
        assert_eq!(work.passes[0].report.sweep.written, 0);
        // Later (or out of order): findings are only seen again, never re-notified.
        block_on(react(
            &classified,
            &ports,
            &Settings::default(),
            at("2026-01-01T02:00:00Z"),
        ))
        .unwrap();
        assert_eq!(ports.notifier.sent.lock().unwrap().len(), sent);
    }

    #[test]
    fn an_account_never_swept_is_queued_for_a_whole_sweep() {
        let ports = ports();
        ports.accounts.set(ID, ACCOUNT);
        let reaction = block_on(react(
            &bucket_policy_event(),
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        let Reaction::Done(work) = reaction else {
            panic!("{reaction:?}")
        };
        assert!(work.passes.is_empty());
        assert_eq!(
            ports.queue.requests(),
            [SweepRequest {
                account: ID.into(),
                reason: SweepReason::Event,
                requested_at: "2026-01-01T01:00:00Z".into()
            }]
        );
    }

    /// Issue 11: a KMS grant on another account's key names that account; one outside
    /// the Organization is neither re-read nor queued for a sweep (it has no stored
    /// snapshot, so it used to be queued), and the reaction says so.
    #[test]
    fn an_event_naming_an_account_outside_the_organization_reads_and_queues_nothing() {
        let ports = ports();
        ports.snapshots.put(ID, ACCOUNT);
        ports.accounts.set(ID, ACCOUNT);
        let outside = "999999999999";
        ports.accounts.set(outside, &ACCOUNT.replace(ID, outside));
        let key =
            format!("arn:aws:kms:us-east-1:{outside}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
        let grant = event(
            "kms.amazonaws.com",
            "CreateGrant",
            serde_json::json!({"keyId": key, "granteePrincipal": "arn:aws:iam::111111111111:role/ci",
                "operations": ["Decrypt"]}),
        );
        let topic = event(
            "sns.amazonaws.com",
            "SetTopicAttributes",
            serde_json::json!({"topicArn": format!("arn:aws:sns:us-east-1:{outside}:t"),
                "attributeName": "Policy", "attributeValue": "{}"}),
        );
        for classified in [grant, topic] {
            let reaction = block_on(react(
                &classified,
                &ports,
                &Settings::default(),
                at("2026-01-01T01:00:00Z"),
            ))
            .unwrap();
            let Reaction::Done(work) = reaction else {
                panic!("{reaction:?}")
            };
            assert_eq!(work.outside, [outside], "{:?}", classified.trigger);
            assert!(work.passes.is_empty() && work.queued.is_empty());
        }
        assert!(ports.queue.requests().is_empty(), "not queued");
        assert!(ports.accounts.refreshed().is_empty(), "not re-read");
        assert!(ports.accounts.reads().is_empty(), "not read");
        assert!(ports.snapshots.get(outside).is_none());
    }

    /// The membership check cannot be made: the invocation fails (Lambda retries it)
    /// and the account is not read meanwhile.
    #[test]
    fn an_event_whose_accounts_cannot_be_checked_fails_and_reads_nothing() {
        let mut ports = ports();
        ports.snapshots.put(ID, ACCOUNT);
        ports.accounts.set(ID, ACCOUNT);
        ports.org.unreachable = true;
        let err = block_on(react(
            &bucket_policy_event(),
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap_err();
        assert!(matches!(err, ReactError::Port(_)), "{err}");
        assert!(ports.accounts.refreshed().is_empty());
        assert!(ports.queue.requests().is_empty());
    }

    #[test]
    fn a_trust_policy_change_rereads_the_role_and_a_group_change_rereads_iam() {
        let ports = ports();
        ports.snapshots.put(ID, ACCOUNT);
        ports.accounts.set(ID, ACCOUNT);
        let trust = event(
            "iam.amazonaws.com",
            "UpdateAssumeRolePolicy",
            serde_json::json!({"roleName": "ci", "policyDocument": "{}"}),
        );
        block_on(react(
            &trust,
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        let group = event(
            "iam.amazonaws.com",
            "PutGroupPolicy",
            serde_json::json!({"groupName": "analysts", "policyName": "p", "policyDocument": "{}"}),
        );
        block_on(react(
            &group,
            &ports,
            &Settings::default(),
            at("2026-01-01T02:00:00Z"),
        ))
        .unwrap();
        let parts: Vec<Vec<Part>> = ports
            .accounts
            .refreshed()
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        assert_eq!(
            parts,
            [
                vec![Part::Principal("arn:aws:iam::111111111111:role/ci".into())],
                vec![Part::Iam]
            ]
        );
    }

    #[test]
    fn an_scp_change_queues_a_sweep_of_every_account_under_its_targets() {
        let ports = ports();
        let update = event(
            "organizations.amazonaws.com",
            "UpdatePolicy",
            serde_json::json!({"policyId": "p-examplescp1", "content": "{}"}),
        );
        let reaction = block_on(react(
            &update,
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        assert!(matches!(reaction, Reaction::Done(_)), "{reaction:?}");
        let queued: Vec<String> = ports
            .queue
            .requests()
            .into_iter()
            .map(|r| r.account)
            .collect();
        assert_eq!(queued, ["222222222222"]);
    }

    #[test]
    fn ignored_unknown_and_invalid_events_touch_nothing() {
        let ports = ports();
        let failed = classify_json(&bucket_policy_event_with_error().to_string());
        assert!(matches!(
            block_on(react(
                &failed,
                &ports,
                &Settings::default(),
                at("2026-01-01T00:00:00Z")
            ))
            .unwrap(),
            Reaction::Ignored(IgnoreReason::FailedCall { .. })
        ));
        let unknown = event("ec2.amazonaws.com", "RunInstances", serde_json::json!({}));
        assert!(matches!(
            block_on(react(
                &unknown,
                &ports,
                &Settings::default(),
                at("2026-01-01T00:00:00Z")
            ))
            .unwrap(),
            Reaction::Unknown { .. }
        ));
        let invalid = event("s3.amazonaws.com", "PutBucketPolicy", serde_json::json!({}));
        let err = block_on(react(
            &invalid,
            &ports,
            &Settings::default(),
            at("2026-01-01T00:00:00Z"),
        ))
        .unwrap_err();
        assert!(err.to_string().contains("PutBucketPolicy"), "{err}");
        assert!(ports.queue.requests().is_empty());
        assert!(ports.accounts.refreshed().is_empty());
    }

    fn bucket_policy_event_with_error() -> serde_json::Value {
        serde_json::json!({
            "version": "0", "id": "e-2", "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.s3", "account": ID, "region": "us-east-1",
            "detail": {"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
                "awsRegion": "us-east-1", "recipientAccountId": ID, "errorCode": "AccessDenied",
                "requestParameters": {"bucketName": "credit-applications"}}
        })
    }

    #[test]
    fn the_plan_queues_one_nightly_sweep_per_account() {
        let ports = ports();
        let plan = block_on(plan(&ports.org, &ports.queue, at("2026-01-01T00:00:00Z"))).unwrap();
        assert_eq!(
            plan,
            Plan {
                accounts: 2,
                queued: 2
            }
        );
        let requests = ports.queue.requests();
        assert!(requests.iter().all(|r| r.reason == SweepReason::Nightly));
        let failing = crate::fakes::MemoryQueue {
            fail: true,
            ..Default::default()
        };
        assert!(
            block_on(super::plan(
                &ports.org,
                &failing,
                at("2026-01-01T00:00:00Z")
            ))
            .is_err()
        );
    }

    #[test]
    fn sweep_messages_round_trip_and_bad_ones_say_what_is_expected() {
        let r = SweepRequest::parse(
            r#"{"account":"222222222222","reason":"nightly","requested_at":"2026-11-24T02:00:03Z"}"#,
        )
        .unwrap();
        assert_eq!(SweepRequest::parse(&r.to_json()).unwrap(), r);
        for bad in [
            r#"{"account":"2222","reason":"nightly","requested_at":"x"}"#,
            r#"{"account":"222222222222","reason":"hourly","requested_at":"x"}"#,
            "not json",
        ] {
            let e = SweepRequest::parse(bad).unwrap_err().to_string();
            assert!(e.contains("expected {\"account\""), "{e}");
        }
    }

    // ---- Issue 11: a lost update to the stored snapshot ----

    /// The example account with the KMS key's owner tag and the bucket policy changed
    /// as two events in flight at once would see them.
    fn two_changes() -> (String, String) {
        let key_retagged = ACCOUNT.replacen(
            "\"owner\": \"credit-team\"",
            "\"owner\": \"key-custodians\"",
            2,
        );
        let mut doc: serde_json::Value = serde_json::from_str(ACCOUNT).unwrap();
        let bucket = doc["resources"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|r| r["arn"] == "arn:aws:s3:::credit-applications")
            .unwrap();
        bucket["policy"]["Statement"].as_array_mut().unwrap().push(
            serde_json::json!({"Sid": "SupportDeletes", "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:role/cust-service"},
                "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::credit-applications/*"}),
        );
        (key_retagged, doc.to_string())
    }

    #[test]
    fn two_events_in_one_account_keep_both_fresh_parts() {
        let (key_retagged, bucket_changed) = two_changes();
        assert_ne!(key_retagged, ACCOUNT, "the fixture changes the key's tag");
        let ports = ports();
        ports.snapshots.put(ID, ACCOUNT);
        ports.accounts.set(ID, &bucket_changed);
        ports.accounts.patch_parts();
        // While this event's pass runs, another event re-reads the key and saves first.
        ports.snapshots.race_next_save(ID, &key_retagged);
        let reaction = block_on(react(
            &bucket_policy_event(),
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        assert!(matches!(reaction, Reaction::Done(_)), "{reaction:?}");
        let kept = ports.snapshots.get(ID).unwrap();
        assert!(kept.contains("SupportDeletes"), "this event's part is kept");
        assert!(
            kept.contains("key-custodians"),
            "the other event's part is kept too, not overwritten"
        );
        assert_eq!(
            ports.accounts.refreshed().len(),
            2,
            "the pass was redone once"
        );
    }

    #[test]
    fn a_snapshot_that_keeps_changing_fails_the_event_for_a_retry() {
        let (key_retagged, bucket_changed) = two_changes();
        let ports = ports();
        ports.snapshots.put(ID, ACCOUNT);
        ports.accounts.set(ID, &bucket_changed);
        for _ in 0..MAX_SAVE_ATTEMPTS {
            ports.snapshots.race_next_save(ID, &key_retagged);
        }
        let r = block_on(react(
            &bucket_policy_event(),
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ));
        assert!(
            matches!(
                r,
                Err(ReactError::Contended {
                    attempts: MAX_SAVE_ATTEMPTS,
                    ..
                })
            ),
            "{r:?}"
        );
        assert_eq!(
            ports.snapshots.get(ID).as_deref(),
            Some(key_retagged.as_str())
        );
    }
}
