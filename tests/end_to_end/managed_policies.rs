//! The real-data regression suite: every AWS managed policy, one role each, through
//! effective access and drift, with invariants that must hold for any account.
//!
//! The data is not in this repository: `scripts/managed-policies.py` builds the account
//! from the managed policies bundled by the pinned emulator (moto, `MOTO_VERSION` in the
//! Makefile), and `make test` points `ACCESSDRIFT_MANAGED_POLICIES` at the directory.
//! Without it this test fails, it does not skip.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use accessdrift_access::{Access, Line, Row, effective_access};
use accessdrift_capabilities::Capability;
use accessdrift_drift::FindingKind;
use accessdrift_policy::{ActionPatternKind, Effect, Statement};
use accessdrift_snapshot::Snapshot;

const ADMIN: &str = "arn:aws:iam::111111111111:role/mp-AdministratorAccess";

fn data_dir() -> PathBuf {
    let dir = std::env::var_os("ACCESSDRIFT_MANAGED_POLICIES").unwrap_or_else(|| {
        panic!(
            "ACCESSDRIFT_MANAGED_POLICIES is not set: run `make test`, or build the account \
             with `.venv-moto/bin/python scripts/managed-policies.py DIR` and point the \
             variable at DIR"
        )
    });
    PathBuf::from(dir)
}

struct Run {
    snapshot: Snapshot,
    lines: Vec<Line>,
}

fn run() -> Run {
    let path = data_dir().join("account.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/managed-policies.py)", path.display()));
    let snapshot = accessdrift_snapshot::read_snapshot(&text).expect("the account reads");
    let mut lines = Vec::new();
    effective_access(&snapshot, &Default::default(), |l| lines.push(l));
    Run { snapshot, lines }
}

fn rows(lines: &[Line]) -> impl Iterator<Item = &Row> {
    lines.iter().filter_map(|l| match l {
        Line::Row(r) => Some(r),
        _ => None,
    })
}

/// Whether an allow statement may grant S3 actions on every key of `bucket`: its
/// actions can reach S3 and a resource pattern covers `bucket/*` whole (or its extent is
/// unknown ahead: `NotResource`, a policy variable).
fn may_grant_every_key(st: &Statement, bucket: &str) -> bool {
    if st.effect != Effect::Allow {
        return false;
    }
    let s3 = st.action.negated
        || st.action.patterns.iter().any(|p| match p.kind {
            ActionPatternKind::All => true,
            ActionPatternKind::Service { .. } => p.service().is_some_and(|s| {
                s.eq_ignore_ascii_case("s3") || s.contains('*') || s.contains('?')
            }),
            ActionPatternKind::Malformed => false,
        });
    if !s3 {
        return false;
    }
    let Some(block) = &st.resource else {
        return true;
    };
    block.negated
        || block.patterns.iter().any(|p| {
            p.contains("${")
                || accessdrift_evaluator::resource::residuals(p, &format!("{bucket}/"))
                    .iter()
                    .any(|r| r == "*")
        })
}

#[test]
fn every_aws_managed_policy_through_access_and_drift() {
    let Run { snapshot, lines } = run();
    let roles = snapshot
        .principals
        .iter()
        .filter(|p| p.arn.contains(":role/mp-"))
        .count();
    assert!(
        roles > 1_000,
        "only {roles} managed-policy roles: is the data complete?"
    );

    // 1. Every policy parses and evaluates: no error line of any kind.
    let errors: Vec<&Line> = lines
        .iter()
        .filter(|l| !matches!(l, Line::Row(_)))
        .collect();
    assert!(
        errors.is_empty(),
        "{} error lines: {:#?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(
        snapshot.problems.is_empty(),
        "{:#?}",
        &snapshot.problems[..snapshot.problems.len().min(5)]
    );

    // 2. AdministratorAccess holds, Allowed, everything anyone holds.
    let admin: BTreeSet<(&str, Capability)> = rows(&lines)
        .filter(|r| &*r.principal == ADMIN && r.access == Access::Allowed)
        .map(|r| (&*r.resource, r.capability))
        .collect();
    let beyond: BTreeSet<(&str, Capability)> = rows(&lines)
        .map(|r| (&*r.resource, r.capability))
        .filter(|k| !admin.contains(k))
        .collect();
    assert!(
        beyond.is_empty(),
        "held by someone, not by AdministratorAccess: {beyond:?}"
    );

    // 3. Service-linked-role actions administer no ordinary role.
    let slr_actions = ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole"];
    let on_ordinary: Vec<&Row> = rows(&lines)
        .filter(|r| {
            r.resource.contains(":role/") && !r.resource.contains(":role/aws-service-role/")
        })
        .filter(|r| r.actions.iter().any(|a| slr_actions.contains(a)))
        .collect();
    assert!(
        on_ordinary.is_empty(),
        "{} rows, e.g. {:?}",
        on_ordinary.len(),
        on_ordinary.first()
    );
    let on_slr = rows(&lines)
        .filter(|r| r.resource.contains(":role/aws-service-role/"))
        .any(|r| r.actions.iter().any(|a| slr_actions.contains(a)));
    assert!(
        on_slr,
        "no managed policy administers the service-linked role: the check proves nothing"
    );

    // 4. No prefix-scoped grant is reported as the whole bucket: a role none of whose
    //    statements can grant every key of a bucket holds its data rows there with keys.
    let buckets: Vec<&str> = snapshot
        .resources
        .iter()
        .filter(|r| r.type_name == "AWS::S3::Bucket")
        .map(|r| r.arn.as_str())
        .collect();
    let mut by_pair: BTreeMap<(&str, &str), Vec<&Row>> = BTreeMap::new();
    for r in rows(&lines) {
        by_pair
            .entry((&*r.principal, &*r.resource))
            .or_default()
            .push(r);
    }
    let mut scoped_roles = 0usize;
    let mut whole = Vec::new();
    for p in snapshot
        .principals
        .iter()
        .filter(|p| p.arn.contains(":role/mp-"))
    {
        for bucket in &buckets {
            let every_key = p
                .policies
                .iter()
                .flat_map(|np| np.policy.statements.iter())
                .any(|st| may_grant_every_key(st, bucket));
            if every_key {
                continue;
            }
            let mut any = false;
            for r in by_pair
                .get(&(p.arn.as_str(), *bucket))
                .into_iter()
                .flatten()
            {
                if matches!(
                    r.capability,
                    Capability::ReadData | Capability::WriteData | Capability::DeleteData
                ) {
                    any = true;
                    if r.keys.is_none() {
                        whole.push(format!("{} {} {}", r.principal, r.resource, r.capability));
                    }
                }
            }
            scoped_roles += usize::from(any);
        }
    }
    assert!(
        whole.is_empty(),
        "prefix-scoped grants reported as the whole bucket: {whole:#?}"
    );
    assert!(
        scoped_roles >= 20,
        "only {scoped_roles} (role, bucket) pairs with prefix-scoped grants: the check proves little"
    );

    // 5. A Conditional row always says why.
    let silent: Vec<&Row> = rows(&lines)
        .filter(|r| {
            r.access == Access::Conditional && r.conditions.is_none() && r.requires.is_empty()
        })
        .collect();
    assert!(silent.is_empty(), "{:?}", silent.first());

    // 6. Drift runs on it and judges the Confidential bucket's constraint.
    let desired_path = data_dir().join("desired.yaml");
    let text = std::fs::read_to_string(&desired_path).unwrap();
    let desired = accessdrift_desired::parse_desired(&text, "desired.yaml").unwrap();
    let (findings, _) = accessdrift_controller::findings(&snapshot, &desired, &Default::default());
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &findings {
        *by_kind.entry(f.kind.as_str()).or_default() += 1;
    }
    eprintln!(
        "managed-policy account: {} roles, {} rows, findings by kind: {by_kind:?}",
        roles,
        rows(&lines).count()
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.kind == FindingKind::CouldNotEvaluate),
        "{by_kind:?}"
    );
    // Nothing in this account is public or shared outside it.
    assert!(
        !findings
            .iter()
            .any(|f| f.kind == FindingKind::PublicOrExternalAccess),
        "{by_kind:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.kind == FindingKind::ConstraintViolated
                && f.resource == "arn:aws:s3:::credit-applications"),
        "{by_kind:?}"
    );
}
