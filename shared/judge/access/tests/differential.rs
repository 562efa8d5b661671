//! Differential property test: the pruned engine (`effective_access`) against the
//! unpruned evaluation of one pair (`explain_pair`, what `accessdrift explain` shows).
//!
//! Why it exists: `effective_access` skips most (principal, resource, action) questions
//! for speed: it evaluates only candidate pairs (identity allow patterns that may reach
//! the resource, principals a resource policy names, the root user), reuses the rows of
//! principals with the same policies and facts, and decides groups of actions by one
//! representative evaluation. A wrong skip is silent and is a security hole: a grant
//! that never shows up in the report. Nothing else checks that the pruning is exact,
//! so here random small accounts are generated and, for every principal x resource
//! pair, two things are checked:
//!
//! 1. the rows `effective_access` emits for the pair are exactly `explain_pair`'s rows
//!    (every field: capability, access, conditions, actions, grants, requires, keys),
//!    nothing missing and nothing extra;
//! 2. those rows agree with `explain_pair`'s per-action decisions, where every
//!    classified action of the resource kind is evaluated on its own (no grouping, no
//!    skipping): the capabilities held, Allowed vs Conditional, the actions and the
//!    granting statements.
//!
//! Pairs checked: every IAM user and role of the snapshot, the root user, and every
//! principal a resource policy names (other accounts, external roles, `*`, services),
//! against every resource (buckets, a KMS key, a queue, and the IAM roles, users,
//! groups and managed policies the snapshot reader turns into resources).
//!
//! Cases come from `PROPTEST_CASES` (256 by default).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::collections::{BTreeMap, BTreeSet};

use accessdrift_access::{
    Access, Grant, Line, PairExplanation, Row, effective_access, explain_pair,
};
use accessdrift_evaluator::Decision;
use accessdrift_policy::{Effect, Principals};
use accessdrift_snapshot::{Resource, Snapshot};
use proptest::prelude::*;
use serde_json::{Value, json};

const ACCT: &str = "111111111111";
const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/k0";
/// A key named by a bucket but absent from the snapshot.
const MISSING_KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/k9";
const QUEUE: &str = "arn:aws:sqs:us-east-1:111111111111:q0";
const TEAMS: &[&str] = &["credit", "risk"];

const ACTIONS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:*Policy",
    "s3:Delete*",
    "s3:?etObject",
    "kms:*",
    "kms:Decrypt",
    "kms:Describe*",
    "kms:Encrypt",
    "sqs:*",
    "sqs:SendMessage",
    "sqs:Get*",
    "iam:*",
    "iam:PassRole",
    "iam:Get*",
    "iam:Put*",
    "iam:CreateAccessKey",
    "sts:AssumeRole",
    "sts:*",
    "*:List*",
];

const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::b0",
    "arn:aws:s3:::b0/*",
    "arn:aws:s3:::b*",
    "arn:aws:s3:::*/logs/*",
    "arn:aws:s3:::b1/*",
    "arn:aws:s3:::${aws:username}/*",
    "arn:aws:kms:us-east-1:111111111111:key/*",
    "arn:aws:kms:*:111111111111:key/k0",
    "arn:aws:sqs:us-east-1:111111111111:q0",
    "arn:aws:sqs:*:*:*",
    "arn:aws:iam::111111111111:role/*",
    "arn:aws:iam::111111111111:role/r0",
    "arn:aws:iam::111111111111:user/*",
    "arn:aws:iam::111111111111:*",
    "arn:aws:iam::111111111111:policy/p0",
    "arn:aws:iam::111111111111:group/g?",
    "arn:aws:*:*:111111111111:*",
];

/// Principal entries of resource policies (`*` is the bare `"Principal": "*"`).
const PRINCIPALS: &[&str] = &[
    "*",
    "AWS:*",
    "AWS:arn:aws:iam::111111111111:root",
    "AWS:111111111111",
    "AWS:arn:aws:iam::222222222222:root",
    "AWS:222222222222",
    "AWS:arn:aws:iam::111111111111:role/r0",
    "AWS:arn:aws:iam::111111111111:role/r1",
    "AWS:arn:aws:iam::111111111111:user/u0",
    "AWS:arn:aws:iam::222222222222:role/ext",
    "Service:lambda.amazonaws.com",
    "AWS:arn:aws:sts::111111111111:assumed-role/r0/sess",
];

fn condition(i: usize) -> Value {
    match i {
        0 => json!({"Bool": {"aws:SecureTransport": "true"}}),
        1 => json!({"StringEquals": {"aws:PrincipalTag/team": "credit"}}),
        2 => json!({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
        3 => json!({"StringEquals": {"aws:PrincipalAccount": ACCT}}),
        4 => json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        5 => json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/r*"}}),
        6 => json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        7 => json!({"Bool": {"aws:SecureTransport": "false"}}),
        8 => json!({"StringEquals": {"aws:username": "u0"}}),
        _ => json!({"StringEquals": {"aws:PrincipalType": "User"}}),
    }
}
const CONDITIONS: usize = 10;

/// One statement, as indexes into the tables above (so that shrinking stays readable).
#[derive(Debug, Clone)]
struct St {
    deny: bool,
    not_action: bool,
    actions: Vec<usize>,
    not_resource: bool,
    resources: Vec<usize>,
    /// For resource policies: NotPrincipal?, entries.
    principal: Option<(bool, Vec<usize>)>,
    condition: Option<usize>,
}

impl St {
    fn to_json(&self, i: usize) -> Value {
        let mut st = serde_json::Map::new();
        st.insert("Sid".into(), json!(format!("S{i}")));
        st.insert(
            "Effect".into(),
            json!(if self.deny { "Deny" } else { "Allow" }),
        );
        let actions: Vec<&str> = self.actions.iter().map(|a| ACTIONS[*a]).collect();
        st.insert(
            if self.not_action {
                "NotAction"
            } else {
                "Action"
            }
            .into(),
            json!(actions),
        );
        if !self.resources.is_empty() {
            let resources: Vec<&str> = self.resources.iter().map(|r| RESOURCES[*r]).collect();
            st.insert(
                if self.not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }
                .into(),
                json!(resources),
            );
        }
        if let Some((negated, entries)) = &self.principal {
            st.insert(
                if *negated {
                    "NotPrincipal"
                } else {
                    "Principal"
                }
                .into(),
                principal_json(entries),
            );
        }
        if let Some(c) = self.condition {
            st.insert("Condition".into(), condition(c));
        }
        Value::Object(st)
    }
}

fn principal_json(entries: &[usize]) -> Value {
    if entries.iter().any(|e| PRINCIPALS[*e] == "*") {
        return json!("*");
    }
    let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in entries {
        let (k, v) = PRINCIPALS[*e].split_once(':').unwrap();
        map.entry(k).or_default().push(v);
    }
    json!(map)
}

fn doc(statements: &[St]) -> Value {
    let sts: Vec<Value> = statements
        .iter()
        .enumerate()
        .map(|(i, s)| s.to_json(i + 1))
        .collect();
    json!({"Version": "2012-10-17", "Statement": sts})
}

#[derive(Debug, Clone)]
struct RoleSpec {
    inline: Vec<St>,
    managed: [bool; 2],
    boundary: Option<usize>,
    trust: Vec<St>,
    team: usize,
}

#[derive(Debug, Clone)]
struct UserSpec {
    inline: Vec<St>,
    managed: [bool; 2],
    groups: [bool; 2],
    boundary: Option<usize>,
    team: usize,
}

#[derive(Debug, Clone)]
struct GroupSpec {
    inline: Vec<St>,
    managed: [bool; 2],
}

#[derive(Debug, Clone)]
struct BucketSpec {
    policy: Option<Vec<St>>,
    /// 0: no key, 1: the snapshot's key, 2: a key not in the snapshot.
    key: u8,
    team: usize,
    restrict_public: bool,
}

#[derive(Debug, Clone)]
struct Account {
    managed: Vec<Vec<St>>,
    roles: Vec<RoleSpec>,
    users: Vec<UserSpec>,
    groups: Vec<GroupSpec>,
    buckets: Vec<BucketSpec>,
    key_policy: Vec<St>,
    key_root_delegation: bool,
    queue_policy: Option<Vec<St>>,
    /// SCP deny statements under FullAWSAccess, when the account is in an Organization.
    scp: Option<Vec<St>>,
    /// RCP deny statements (with `Principal: "*"`) under RCPFullAWSAccess, when in one.
    rcp: Vec<St>,
    bpa: bool,
}

fn indexes(table: usize, max: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..table, 1..=max)
}

fn statement(resource_policy: bool) -> impl Strategy<Value = St> {
    (
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.15),
        indexes(ACTIONS.len(), 2),
        prop::bool::weighted(0.1),
        // Resource policies may omit Resource (trust policies do).
        prop::collection::vec(0..RESOURCES.len(), usize::from(!resource_policy)..=2),
        (prop::bool::weighted(0.1), indexes(PRINCIPALS.len(), 2)),
        prop::option::weighted(0.3, 0..CONDITIONS),
    )
        .prop_map(
            move |(
                deny,
                not_action,
                actions,
                not_resource,
                resources,
                (np, entries),
                condition,
            )| {
                St {
                    deny,
                    not_action,
                    actions,
                    // NotResource needs a Resource list to negate.
                    not_resource: not_resource && !resources.is_empty(),
                    resources,
                    // NotPrincipal mostly with Deny (AWS advises against Allow with it,
                    // but resource policies accept it).
                    principal: resource_policy.then_some((np && (deny || not_action), entries)),
                    condition,
                }
            },
        )
}

fn statements(resource_policy: bool, min: usize, max: usize) -> impl Strategy<Value = Vec<St>> {
    prop::collection::vec(statement(resource_policy), min..=max)
}

fn account() -> impl Strategy<Value = Account> {
    // No inline policy 40% of the time: principals with only managed policies in common
    // share a fingerprint, which exercises the engine's row cache.
    let role = (
        prop_oneof![2 => Just(Vec::new()), 3 => statements(false, 1, 3)],
        any::<[bool; 2]>(),
        prop::option::weighted(0.25, 0..2usize),
        statements(true, 1, 2),
        0..TEAMS.len(),
    )
        .prop_map(|(inline, managed, boundary, trust, team)| RoleSpec {
            inline,
            managed,
            boundary,
            trust,
            team,
        });
    let user = (
        statements(false, 0, 2),
        any::<[bool; 2]>(),
        any::<[bool; 2]>(),
        prop::option::weighted(0.2, 0..2usize),
        0..TEAMS.len(),
    )
        .prop_map(|(inline, managed, groups, boundary, team)| UserSpec {
            inline,
            managed,
            groups,
            boundary,
            team,
        });
    let group = (statements(false, 0, 2), any::<[bool; 2]>())
        .prop_map(|(inline, managed)| GroupSpec { inline, managed });
    let bucket = (
        prop::option::weighted(0.6, statements(true, 1, 3)),
        prop_oneof![3 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
        0..TEAMS.len(),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(policy, key, team, restrict_public)| BucketSpec {
            policy,
            key,
            team,
            restrict_public,
        });
    (
        prop::collection::vec(statements(false, 1, 3), 2..=2),
        prop::collection::vec(role, 1..=2),
        prop::collection::vec(user, 0..=1),
        prop::collection::vec(group, 2..=2),
        prop::collection::vec(bucket, 1..=2),
        statements(true, 0, 2),
        any::<bool>(),
        prop::option::weighted(0.5, statements(true, 1, 2)),
        prop::option::weighted(0.3, statements(false, 1, 2)),
        prop::collection::vec(statement(true), 0..=1),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(
                managed,
                roles,
                users,
                groups,
                buckets,
                key_policy,
                key_root_delegation,
                queue_policy,
                scp,
                rcp,
                bpa,
            )| Account {
                managed,
                roles,
                users,
                groups,
                buckets,
                key_policy,
                key_root_delegation,
                queue_policy,
                scp,
                rcp,
                bpa,
            },
        )
}

fn managed_arn(i: usize) -> String {
    format!("arn:aws:iam::{ACCT}:policy/p{i}")
}

fn attached(flags: &[bool; 2]) -> Vec<Value> {
    (0..2)
        .filter(|i| flags[*i])
        .map(|i| json!({"PolicyArn": managed_arn(i), "PolicyName": format!("p{i}")}))
        .collect()
}

fn boundary_json(b: Option<usize>) -> Option<Value> {
    b.map(
        |i| json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": managed_arn(i)}),
    )
}

/// The snapshot document (snapshot.md format) of an account spec.
fn snapshot_json(a: &Account) -> Value {
    let policies: Vec<Value> = a
        .managed
        .iter()
        .enumerate()
        .map(|(i, sts)| {
            json!({"PolicyName": format!("p{i}"), "Arn": managed_arn(i), "Path": "/", "DefaultVersionId": "v1",
                "PolicyVersionList": [{"Document": doc(sts), "VersionId": "v1", "IsDefaultVersion": true}]})
        })
        .collect();
    let roles: Vec<Value> = a
        .roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut v = json!({
                "Path": "/", "RoleName": format!("r{i}"), "RoleId": format!("AROA{i:016}"),
                "Arn": format!("arn:aws:iam::{ACCT}:role/r{i}"),
                "AssumeRolePolicyDocument": doc(&r.trust),
                "RolePolicyList": if r.inline.is_empty() { json!([]) } else { json!([{"PolicyName": "inline", "PolicyDocument": doc(&r.inline)}]) },
                "AttachedManagedPolicies": attached(&r.managed),
                "Tags": [{"Key": "team", "Value": TEAMS[r.team]}],
            });
            if let Some(b) = boundary_json(r.boundary) {
                v["PermissionsBoundary"] = b;
            }
            v
        })
        .collect();
    let groups: Vec<Value> = if a.users.is_empty() {
        Vec::new()
    } else {
        a.groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                json!({"Path": "/", "GroupName": format!("g{i}"), "GroupId": format!("AGPA{i:016}"),
                    "Arn": format!("arn:aws:iam::{ACCT}:group/g{i}"),
                    "GroupPolicyList": if g.inline.is_empty() { json!([]) } else { json!([{"PolicyName": "inline", "PolicyDocument": doc(&g.inline)}]) },
                    "AttachedManagedPolicies": attached(&g.managed)})
            })
            .collect()
    };
    let users: Vec<Value> = a
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut v = json!({
                "Path": "/", "UserName": format!("u{i}"), "UserId": format!("AIDA{i:016}"),
                "Arn": format!("arn:aws:iam::{ACCT}:user/u{i}"),
                "GroupList": (0..2).filter(|g| u.groups[*g]).map(|g| format!("g{g}")).collect::<Vec<_>>(),
                "UserPolicyList": if u.inline.is_empty() { json!([]) } else { json!([{"PolicyName": "inline", "PolicyDocument": doc(&u.inline)}]) },
                "AttachedManagedPolicies": attached(&u.managed),
                "Tags": [{"Key": "team", "Value": TEAMS[u.team]}],
            });
            if let Some(b) = boundary_json(u.boundary) {
                v["PermissionsBoundary"] = b;
            }
            v
        })
        .collect();
    let mut resources: Vec<Value> = a
        .buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut settings = json!({"region": "us-east-1"});
            match b.key {
                1 => settings["kmsKeyArn"] = json!(KEY),
                2 => settings["kmsKeyArn"] = json!(MISSING_KEY),
                _ => {}
            }
            if b.restrict_public {
                settings["PublicAccessBlock"] = json!({"RestrictPublicBuckets": true});
            }
            json!({"arn": format!("arn:aws:s3:::b{i}"), "type": "AWS::S3::Bucket",
                "policy": b.policy.as_deref().map_or(Value::Null, doc),
                "tags": {"team": TEAMS[b.team]}, "settings": settings})
        })
        .collect();
    let mut key_doc = doc(&a.key_policy);
    if a.key_root_delegation
        && let Some(list) = key_doc["Statement"].as_array_mut()
    {
        list.insert(
            0,
            json!({"Sid": "EnableIAM", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "kms:*", "Resource": "*"}),
        );
    }
    resources.push(
        json!({"arn": KEY, "type": "AWS::KMS::Key", "policy": key_doc, "tags": {"team": "credit"}}),
    );
    resources.push(json!({"arn": QUEUE, "type": "AWS::SQS::Queue",
        "policy": a.queue_policy.as_deref().map_or(Value::Null, doc), "tags": {"team": "risk"}}));
    let mut s = json!({
        "accountId": ACCT,
        "authorizationDetails": {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies},
        "resources": resources,
        "accountSettings": {"s3BlockPublicAccess": {"BlockPublicAcls": a.bpa, "IgnorePublicAcls": a.bpa, "BlockPublicPolicy": a.bpa, "RestrictPublicBuckets": a.bpa}},
    });
    if let Some(scp) = &a.scp {
        let deny: Vec<St> = scp
            .iter()
            .map(|st| St {
                deny: true,
                ..st.clone()
            })
            .collect();
        // RCPs: deny only, and `Principal` must be `*` (Organizations UG, RCP syntax).
        let rcp_deny: Vec<St> = a
            .rcp
            .iter()
            .map(|st| St {
                deny: true,
                principal: Some((false, vec![0])),
                ..st.clone()
            })
            .collect();
        let full = |name: &str| json!({"name": name, "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}});
        s["organization"] = json!({
            "id": "o-a1b2c3d4e5", "managementAccountId": "999999999999", "path": ["r-ab12", "ou-ab12-workloads"],
            "scp": [{"level": ACCT, "policies": [full("FullAWSAccess"), {"name": "Guardrails", "document": doc(&deny)}]}],
            "rcp": if rcp_deny.is_empty() { json!([]) } else {
                json!([{"level": ACCT, "policies": [full("RCPFullAWSAccess"), {"name": "DataPerimeter", "document": doc(&rcp_deny)}]}])
            }
        });
    }
    s
}

/// How the engine spells a resource-policy principal entry in rows, and whether
/// `explain_pair` can explain it (`None`: a session of one of the account's own roles,
/// which only the whole-account run evaluates).
fn row_principal(entry: &str) -> Option<String> {
    if entry.chars().all(|c| c.is_ascii_digit()) {
        return Some(format!("arn:aws:iam::{entry}:root"));
    }
    if entry.starts_with(&format!("arn:aws:sts::{ACCT}:")) {
        return None;
    }
    Some(entry.to_string())
}

/// The principals the engine evaluates on a resource: the account's users and roles,
/// its root user, and the principals from outside the account that the resource
/// policy's allow statements name (`*` for `Principal: "*"` and `NotPrincipal`).
/// An outside principal the policy does not name is covered by the row of whoever it
/// names (`*`, the principal's account), not given rows of its own, so there is
/// nothing to compare for it.
fn principals_of(snap: &Snapshot, resource: &Resource) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = snap.principals.iter().map(|p| p.arn.clone()).collect();
    out.insert(format!("arn:aws:iam::{ACCT}:root"));
    let Ok(Some(policy)) = &resource.policy else {
        return out;
    };
    for st in policy
        .statements
        .iter()
        .filter(|st| st.effect == Effect::Allow)
    {
        let Some(block) = &st.principal else { continue };
        match &block.principals {
            _ if block.negated => {
                out.insert("*".to_string());
            }
            Principals::Any => {
                out.insert("*".to_string());
            }
            Principals::Map(m) => {
                for name in m.aws.iter().chain(m.service.iter()) {
                    // The account's own users and roles are already in (a name the
                    // policy uses for one that does not exist gets no rows).
                    if let Some(n) =
                        row_principal(name).filter(|n| !n.contains(&format!("::{ACCT}:")))
                    {
                        out.insert(n);
                    }
                }
            }
        }
    }
    out
}

fn is_external(principal: &str) -> bool {
    principal.starts_with("arn:aws:") && !principal.contains(&format!("::{ACCT}:"))
}

/// What the per-action decisions of `explain_pair` say a capability row must be.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    capability: String,
    access: Access,
    actions: Vec<String>,
    grants: Vec<Grant>,
}

/// Rebuilds a pair's rows from the unpruned per-action decisions.
fn expected_rows(
    snap: &Snapshot,
    ex: &PairExplanation,
    explain: &mut impl FnMut(&str, &str) -> Result<PairExplanation, String>,
) -> Vec<Expected> {
    let (principal, resource) = (ex.principal.as_str(), ex.resource.as_str());
    struct Acc {
        allowed: bool,
        actions: BTreeSet<String>,
        grants: BTreeSet<Grant>,
    }
    let mut per_cap: BTreeMap<String, Acc> = BTreeMap::new();
    for a in &ex.actions {
        if a.decision != Decision::Allowed {
            continue;
        }
        for cap in &a.capabilities {
            let acc = per_cap.entry(cap.as_str().to_string()).or_insert(Acc {
                allowed: false,
                actions: BTreeSet::new(),
                grants: BTreeSet::new(),
            });
            acc.allowed |= a.conditions.is_none();
            acc.actions.insert(a.action.clone());
            acc.grants.extend(a.allowed_by.iter().cloned());
        }
    }
    // Data behind a customer-managed key also needs kms:Decrypt on the key.
    let key = snap
        .resources
        .iter()
        .find(|r| r.arn == resource)
        .and_then(|r| r.kms_key_arn.clone());
    let decrypt = key.as_ref().map(|k| {
        if snap.resources.iter().any(|r| r.arn == *k) {
            explain(principal, k)
                .unwrap()
                .actions
                .iter()
                .find(|a| a.action == "kms:Decrypt")
                .filter(|a| a.decision == Decision::Allowed)
                .map(|a| a.conditions.is_none())
        } else {
            // Not in the snapshot: its key policy decides, unknown.
            Some(false)
        }
    });
    let external = is_external(principal);
    per_cap
        .into_iter()
        .filter_map(|(capability, acc)| {
            let mut allowed = acc.allowed && !external;
            if capability == "read-data" {
                match decrypt {
                    Some(None) => return None,
                    Some(Some(outright)) => allowed &= outright,
                    None => {}
                }
            }
            Some(Expected {
                capability,
                access: if allowed {
                    Access::Allowed
                } else {
                    Access::Conditional
                },
                actions: acc.actions.into_iter().collect(),
                grants: acc.grants.into_iter().collect(),
            })
        })
        .collect()
}

fn expected_of(rows: &[Row]) -> Vec<Expected> {
    rows.iter()
        .map(|r| Expected {
            capability: r.capability.as_str().to_string(),
            access: r.access,
            actions: r.actions.iter().map(|a| (*a).to_string()).collect(),
            grants: r.grants.to_vec(),
        })
        .collect()
}

fn by_capability(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| a.capability.as_str().cmp(b.capability.as_str()));
    rows
}

/// Runs both sides on one account; `Err` describes the first disagreement.
fn compare(snap: &Snapshot) -> Result<(), String> {
    let mut lines = Vec::new();
    effective_access(snap, &Default::default(), |l| lines.push(l));
    let mut emitted: BTreeMap<(String, String), Vec<Row>> = BTreeMap::new();
    for line in lines {
        match line {
            Line::Row(r) => emitted
                .entry((r.principal.to_string(), r.resource.to_string()))
                .or_default()
                .push(r),
            other => return Err(format!("unexpected error line: {other:?}")),
        }
    }
    let pairs: Vec<(String, String)> = snap
        .resources
        .iter()
        .flat_map(|r| {
            principals_of(snap, r)
                .into_iter()
                .map(|p| (p, r.arn.clone()))
        })
        .collect();
    // Rows of principals the engine should not have evaluated, except sessions of the
    // account's own roles that a policy names (explain_pair cannot explain those).
    for (p, r) in emitted.keys() {
        let session = p.starts_with(&format!("arn:aws:sts::{ACCT}:"));
        if !session && !pairs.iter().any(|(q, s)| q == p && s == r) {
            return Err(format!("rows for {p} on {r}, a principal nobody named"));
        }
    }
    // explain_pair builds the whole engine on every call (milliseconds in debug): the
    // pairs are split between threads, and the first disagreement in pair order wins.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let chunk = pairs.len().div_ceil(threads).max(1);
    let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pairs
            .chunks(chunk)
            .map(|part| scope.spawn(|| check_pairs(snap, &emitted, part)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    results.into_iter().collect()
}

/// Checks some pairs against explain_pair (see the module comment).
fn check_pairs(
    snap: &Snapshot,
    emitted: &BTreeMap<(String, String), Vec<Row>>,
    pairs: &[(String, String)],
) -> Result<(), String> {
    let mut memo: BTreeMap<(String, String), PairExplanation> = BTreeMap::new();
    let mut explain = |p: &str, r: &str| -> Result<PairExplanation, String> {
        let key = (p.to_string(), r.to_string());
        if let Some(ex) = memo.get(&key) {
            return Ok(ex.clone());
        }
        let ex = explain_pair(snap, p, r).map_err(|e| format!("explain_pair({p}, {r}): {e}"))?;
        memo.insert(key, ex.clone());
        Ok(ex)
    };
    for (principal, resource) in pairs {
        let got = by_capability(
            emitted
                .get(&(principal.clone(), resource.clone()))
                .cloned()
                .unwrap_or_default(),
        );
        let ex = explain(principal, resource)?;
        let unpruned = expected_rows(snap, &ex, &mut explain);
        let want = by_capability(ex.rows);
        if got != want {
            return Err(format!(
                "{principal} on {resource}: effective_access emitted\n{got:#?}\nexplain_pair says\n{want:#?}"
            ));
        }
        let rows = expected_of(&want);
        if rows != unpruned {
            return Err(format!(
                "{principal} on {resource}: rows say\n{rows:#?}\nper-action decisions say\n{unpruned:#?}"
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Debug builds evaluate slowly; 256 cases unless PROPTEST_CASES says otherwise.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn pruned_engine_agrees_with_unpruned_explain(account in account()) {
        let text = snapshot_json(&account).to_string();
        let snap = accessdrift_snapshot::read_snapshot(&text).unwrap();
        prop_assert!(snap.problems.is_empty(), "generator made a bad snapshot: {:?}\n{text}", snap.problems);
        if let Err(e) = compare(&snap) {
            prop_assert!(false, "{e}\nsnapshot: {text}");
        }
    }
}

/// The rows of one pair from a whole-account run.
fn pair_rows(snap: &Snapshot, principal: &str, resource: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    effective_access(snap, &Default::default(), |l| {
        if let Line::Row(r) = l
            && &*r.principal == principal
            && &*r.resource == resource
        {
            rows.push(r);
        }
    });
    rows
}

fn actions_of(rows: &[Row], capability: &str) -> Vec<&'static str> {
    rows.iter()
        .filter(|r| r.capability.as_str() == capability)
        .flat_map(|r| r.actions.iter().copied())
        .collect()
}

/// A member account whose one role trusts everyone with every action, under an SCP
/// that denies `denied` on everything in the account.
fn open_role_under_scp(denied: &str) -> Snapshot {
    let text = json!({
        "accountId": ACCT,
        "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [{
            "Path": "/", "RoleName": "r0", "RoleId": "AROA0000000000000000", "Arn": format!("arn:aws:iam::{ACCT}:role/r0"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": "S1", "Effect": "Allow", "Principal": "*", "Action": "*"}]},
            "RolePolicyList": [], "AttachedManagedPolicies": []}]},
        "resources": [],
        "organization": {"id": "o-a1b2c3d4e5", "managementAccountId": "999999999999", "path": ["r-ab12"],
            "scp": [{"level": ACCT, "policies": [
                {"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}},
                {"name": "Guardrails", "document": {"Version": "2012-10-17", "Statement": [
                    {"Sid": "S1", "Effect": "Deny", "Action": denied, "Resource": "arn:aws:*:*:111111111111:*"}]}}]}],
            "rcp": []}
    });
    accessdrift_snapshot::read_snapshot(&text.to_string()).unwrap()
}

/// Shrunk from the property test. The root user has no IAM policies of its own, so the
/// engine grouped its actions on the role by the trust policy alone and never looked at
/// the SCP: `iam:PassRole`, which the SCP denies, was decided by `iam:AttachRolePolicy`
/// (same group) and reported as allowed.
#[test]
fn root_user_rows_honour_an_scp_deny_of_one_action() {
    let snap = open_role_under_scp("iam:PassRole");
    let root = format!("arn:aws:iam::{ACCT}:root");
    let role = format!("arn:aws:iam::{ACCT}:role/r0");
    let rows = pair_rows(&snap, &root, &role);
    assert!(
        !actions_of(&rows, "use-resource").contains(&"iam:PassRole"),
        "{rows:#?}"
    );
    compare(&snap).unwrap();
}

/// The other direction of the same bug, a missed grant: when the SCP denies the
/// action that happens to represent the group, every other action of the group was
/// reported denied too (here the root user lost every administer-resource action on
/// the role but the denied one).
#[test]
fn root_user_keeps_actions_grouped_with_an_scp_denied_one() {
    let snap = open_role_under_scp("iam:AttachRolePolicy");
    let root = format!("arn:aws:iam::{ACCT}:root");
    let role = format!("arn:aws:iam::{ACCT}:role/r0");
    let rows = pair_rows(&snap, &root, &role);
    let admin = actions_of(&rows, "administer-resource");
    assert!(!admin.contains(&"iam:AttachRolePolicy"), "{rows:#?}");
    assert!(admin.contains(&"iam:DeleteRole"), "{rows:#?}");
    compare(&snap).unwrap();
}

/// RCPs govern every caller, also principals from outside the account and anonymous
/// ones, which have no IAM policies in the snapshot: a public bucket under an RCP that
/// denies `s3:GetObject` must not give `*` read-data, and must still give it the
/// bucket's other actions.
#[test]
fn rcp_deny_of_one_action_is_honoured_for_anyone() {
    let text = json!({
        "accountId": ACCT,
        "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": []},
        "resources": [{"arn": "arn:aws:s3:::b0", "type": "AWS::S3::Bucket", "tags": {}, "settings": {"region": "us-east-1"},
            "policy": {"Version": "2012-10-17", "Statement": [
                {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b0", "arn:aws:s3:::b0/*"]}]}}],
        "organization": {"id": "o-a1b2c3d4e5", "managementAccountId": "999999999999", "path": ["r-ab12"],
            "scp": [],
            "rcp": [{"level": ACCT, "policies": [
                {"name": "RCPFullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}},
                {"name": "DataPerimeter", "document": {"Version": "2012-10-17", "Statement": [
                    {"Sid": "S1", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}}]}]}
    });
    let snap = accessdrift_snapshot::read_snapshot(&text.to_string()).unwrap();
    let rows = pair_rows(&snap, "*", "arn:aws:s3:::b0");
    assert!(
        !rows.iter().any(|r| r.actions.contains(&"s3:GetObject")),
        "{rows:#?}"
    );
    assert!(
        actions_of(&rows, "write-data").contains(&"s3:PutObject"),
        "{rows:#?}"
    );
    compare(&snap).unwrap();
}

/// Shrunk from the property test: a bucket policy naming the other account once by id
/// and once by root ARN gave that account every row twice (one subject per spelling).
#[test]
fn an_account_named_by_id_and_by_root_arn_gets_its_rows_once() {
    let text = json!({
        "accountId": ACCT,
        "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": []},
        "resources": [{"arn": "arn:aws:s3:::b0", "type": "AWS::S3::Bucket", "tags": {}, "settings": {"region": "us-east-1"},
            "policy": {"Version": "2012-10-17", "Statement": [
                {"Sid": "S1", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "*"},
                {"Sid": "S2", "Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "*"}]}}]
    });
    let snap = accessdrift_snapshot::read_snapshot(&text.to_string()).unwrap();
    let rows = pair_rows(&snap, "arn:aws:iam::222222222222:root", "arn:aws:s3:::b0");
    let caps: Vec<&str> = rows.iter().map(|r| r.capability.as_str()).collect();
    let unique: BTreeSet<&str> = caps.iter().copied().collect();
    assert_eq!(caps.len(), unique.len(), "{caps:?}");
    assert!(unique.contains("read-data"), "{caps:?}");
    compare(&snap).unwrap();
}

/// A bucket whose policy grants `grant_to` read-data, and roles `r0`, `r1` with the
/// same identity policy (`identity`: statements of one managed policy both attach).
fn bucket_granting(grant_to: Value, identity: Value) -> Snapshot {
    let policy = format!("arn:aws:iam::{ACCT}:policy/p0");
    let role = |name: &str| {
        json!({"Path": "/", "RoleName": name, "RoleId": format!("AROA{name}"), "Arn": format!("arn:aws:iam::{ACCT}:role/{name}"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [], "AttachedManagedPolicies": [{"PolicyArn": policy, "PolicyName": "p0"}]})
    };
    let text = json!({
        "accountId": ACCT,
        "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [role("r0"), role("r1")],
            "Policies": [{"PolicyName": "p0", "Arn": policy, "Path": "/", "DefaultVersionId": "v1",
                "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": identity}, "VersionId": "v1", "IsDefaultVersion": true}]}]},
        "resources": [{"arn": "arn:aws:s3:::b0", "type": "AWS::S3::Bucket", "tags": {}, "settings": {"region": "us-east-1"},
            "policy": {"Version": "2012-10-17", "Statement": [
                {"Sid": "S1", "Effect": "Allow", "Principal": grant_to, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b0/*"}]}}]
    });
    accessdrift_snapshot::read_snapshot(&text.to_string()).unwrap()
}

/// Shrunk from the property test. A bucket policy naming a session of role `r0`
/// (`arn:aws:sts::...:assumed-role/r0/sess`) grants the role's sessions so named: the
/// evaluator says Conditional on `sts:RoleSessionName`, but the engine's candidate
/// check (`block_applies`) did not see the role as named and gave it no rows.
#[test]
fn a_role_named_by_one_of_its_sessions_gets_conditional_rows() {
    let snap = bucket_granting(
        json!({"AWS": format!("arn:aws:sts::{ACCT}:assumed-role/r0/sess")}),
        json!([]),
    );
    let rows = pair_rows(
        &snap,
        &format!("arn:aws:iam::{ACCT}:role/r0"),
        "arn:aws:s3:::b0",
    );
    assert!(
        rows.iter()
            .any(|r| r.capability.as_str() == "read-data" && r.access == Access::Conditional),
        "{rows:#?}"
    );
    assert!(
        pair_rows(
            &snap,
            &format!("arn:aws:iam::{ACCT}:role/r1"),
            "arn:aws:s3:::b0"
        )
        .is_empty()
    );
    compare(&snap).unwrap();
}

/// The same grant with roles whose identity policies make them candidates anyway:
/// their rows were shared (same policies, and `block_applies` named neither), so `r1`
/// got the grant meant for sessions of `r0`, or `r0` lost it, by subject order.
#[test]
fn a_session_grant_is_not_shared_with_a_role_of_the_same_policies() {
    let snap = bucket_granting(
        json!({"AWS": format!("arn:aws:sts::{ACCT}:assumed-role/r1/sess")}),
        json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]),
    );
    let r0 = pair_rows(
        &snap,
        &format!("arn:aws:iam::{ACCT}:role/r0"),
        "arn:aws:s3:::b0",
    );
    assert!(
        !r0.iter().any(|r| r.capability.as_str() == "read-data"),
        "{r0:#?}"
    );
    let r1 = pair_rows(
        &snap,
        &format!("arn:aws:iam::{ACCT}:role/r1"),
        "arn:aws:s3:::b0",
    );
    assert!(
        r1.iter().any(|r| r.capability.as_str() == "read-data"),
        "{r1:#?}"
    );
    compare(&snap).unwrap();
}

/// Shrunk from the property test. A bucket encrypted with a key of the account, whose
/// policy grants a role of another account everything, and a key policy delegating to
/// that account: the role's own (unseen) identity policies decide, so read-data is
/// Conditional on them, as `kms:Decrypt` on the key is. The key check took the role as
/// having no identity policies at all, denied decrypt and dropped read-data: a missed
/// cross-account read.
#[test]
fn an_external_role_keeps_read_data_behind_a_key_its_account_may_use() {
    let text = json!({
        "accountId": ACCT,
        "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": []},
        "resources": [
            {"arn": "arn:aws:s3:::b0", "type": "AWS::S3::Bucket", "tags": {}, "settings": {"region": "us-east-1", "kmsKeyArn": KEY},
                "policy": {"Version": "2012-10-17", "Statement": [
                    {"Sid": "S1", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/ext"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b0/*"}]}},
            {"arn": KEY, "type": "AWS::KMS::Key", "tags": {},
                "policy": {"Version": "2012-10-17", "Statement": [
                    {"Sid": "S1", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:Decrypt", "Resource": "*"}]}}]
    });
    let snap = accessdrift_snapshot::read_snapshot(&text.to_string()).unwrap();
    let rows = pair_rows(
        &snap,
        "arn:aws:iam::222222222222:role/ext",
        "arn:aws:s3:::b0",
    );
    let read = rows.iter().find(|r| r.capability.as_str() == "read-data");
    assert!(
        read.is_some_and(|r| r.access == Access::Conditional
            && r.requires.iter().any(|q| q.contains("kms:Decrypt"))),
        "{rows:#?}"
    );
    compare(&snap).unwrap();
}
