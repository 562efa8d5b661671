//! Patching a stored snapshot with a freshly collected part: pure, no SDK, no I/O.
//!
//! What it is for: event-driven re-evaluation. A change event names one resource or
//! one principal; the collector reads just that
//! ([`Collector::collect_resource`](crate::Collector::collect_resource),
//! [`Collector::collect_principal`](crate::Collector::collect_principal)) and
//! [`patch_snapshot`] puts it into the stored snapshot: replaced when present, inserted
//! when new, removed when it no longer exists. The patched part carries its own
//! `collectedAt`, so [`Stamps::freshness`](crate::Stamps::freshness) tells how old
//! each part is.
//!
//! Key design choice: the stored snapshot is patched as a `serde_json::Value`, not as
//! [`AccountSnapshot`](crate::AccountSnapshot): a snapshot may come from elsewhere (the
//! AWS CLI, an older collector) with fields this crate does not know, and patching
//! must keep every one of them.

use serde_json::{Map, Value};

use crate::PrincipalKind;
use crate::document::{AuthorizationDetails, ResourceEntry};

/// A part of an account's snapshot: what an event-driven pass re-reads and patches in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// A resource: its policy, tags and settings (or its absence).
    Resource(String),
    /// An IAM user or role: its entry (policies, trust policy, tags, boundary), its
    /// groups and the managed policies it attaches. A role's trust policy is part of
    /// its entry, so a change to a role *as a resource* re-reads this part.
    Principal(String),
    /// The whole of IAM: a change to a group or a managed policy reaches members and
    /// attachments that only a fresh read can name.
    Iam,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Resource(arn) => write!(f, "resource {arn}"),
            Part::Principal(arn) => write!(f, "principal {arn}"),
            Part::Iam => f.write_str("iam"),
        }
    }
}

/// One resource, freshly read.
#[derive(Debug, Clone, PartialEq)]
pub struct FreshResource {
    /// The resource's ARN.
    pub arn: String,
    /// When it was read (RFC 3339).
    pub collected_at: String,
    /// The entry; `None` when the resource no longer exists.
    pub entry: Option<ResourceEntry>,
}

/// One principal's authorization-details entries, freshly read.
#[derive(Debug, Clone, PartialEq)]
pub struct FreshPrincipal {
    /// The principal's ARN.
    pub arn: String,
    /// User or role.
    pub kind: PrincipalKind,
    /// When it was read (RFC 3339).
    pub collected_at: String,
    /// Its `UserDetailList`/`RoleDetailList` entry; `None` when it no longer exists.
    pub entity: Option<Value>,
    /// A user's groups' `GroupDetailList` entries.
    pub groups: Vec<Value>,
    /// The managed policies it (or its groups) attaches, and its permissions boundary,
    /// as `Policies` entries with the default version.
    pub policies: Vec<Value>,
}

/// An account's whole IAM state, freshly read.
#[derive(Debug, Clone, PartialEq)]
pub struct FreshIam {
    /// The account.
    pub account: String,
    /// When it was read (RFC 3339).
    pub collected_at: String,
    /// Every user, group, role and managed policy.
    pub details: AuthorizationDetails,
}

/// A [`Part`] as freshly read.
#[derive(Debug, Clone, PartialEq)]
pub enum FreshPart {
    /// A resource.
    Resource(FreshResource),
    /// A principal.
    Principal(FreshPrincipal),
    /// All of IAM (after a change to a group or a managed policy).
    Iam(FreshIam),
}

/// What patching did to the part named by the fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOutcome {
    /// It was not in the snapshot and now is.
    Inserted,
    /// It was in the snapshot and was replaced.
    Replaced,
    /// It no longer exists and was removed.
    Removed,
    /// It no longer exists and was not in the snapshot either.
    AlreadyAbsent,
}

/// Why a snapshot could not be patched (it is left unchanged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The snapshot is not a JSON object.
    #[error("the snapshot must be a JSON object")]
    NotAnObject,
    /// A part that must be a list (or an object) is something else.
    #[error("`{0}` in the snapshot has the wrong JSON type; the snapshot is left unchanged")]
    WrongShape(String),
    /// The fragment is about another account.
    #[error("`{arn}` belongs to account `{fragment}`, the snapshot to account `{snapshot}`")]
    WrongAccount {
        /// The fragment's ARN.
        arn: String,
        /// The snapshot's `accountId`.
        snapshot: String,
        /// The account in the fragment's ARN.
        fragment: String,
    },
}

/// Puts `fragment` into `snapshot`: replace, insert or remove the part it names, and
/// for a principal also replace-or-insert its groups and managed policies. Resources
/// keep their ARN order. Nothing changes when an error is returned.
pub fn patch_snapshot(
    snapshot: &mut Value,
    fragment: &FreshPart,
) -> Result<PatchOutcome, PatchError> {
    let arn = match fragment {
        FreshPart::Resource(r) => r.arn.clone(),
        FreshPart::Principal(p) => p.arn.clone(),
        // An ARN-shaped name, so the account check below is the same for every part.
        FreshPart::Iam(i) => format!("arn:aws:iam::{}:*", i.account),
    };
    let Value::Object(top) = snapshot else {
        return Err(PatchError::NotAnObject);
    };
    check_account(top, &arn)?;
    match fragment {
        FreshPart::Resource(r) => patch_resource(top, r),
        FreshPart::Principal(p) => patch_principal(top, p),
        FreshPart::Iam(i) => patch_iam(top, i),
    }
}

fn check_account(top: &Map<String, Value>, arn: &str) -> Result<(), PatchError> {
    let Some(Value::String(ours)) = top.get("accountId") else {
        return Ok(());
    };
    let theirs = arn.split(':').nth(4).unwrap_or("");
    if theirs.is_empty() || theirs == ours {
        return Ok(());
    }
    Err(PatchError::WrongAccount {
        arn: arn.to_string(),
        snapshot: ours.clone(),
        fragment: theirs.to_string(),
    })
}

fn patch_resource(
    top: &mut Map<String, Value>,
    r: &FreshResource,
) -> Result<PatchOutcome, PatchError> {
    let list = list_at(top, "resources", "resources")?;
    let at = list
        .iter()
        .position(|e| e.get("arn").and_then(Value::as_str) == Some(r.arn.as_str()));
    let Some(entry) = &r.entry else {
        return Ok(match at {
            Some(i) => {
                list.remove(i);
                PatchOutcome::Removed
            }
            None => PatchOutcome::AlreadyAbsent,
        });
    };
    // The entry carries its own `collectedAt`. Serializing these plain types cannot fail.
    let value = serde_json::to_value(entry).unwrap_or(Value::Null);
    Ok(match at {
        Some(i) => {
            list[i] = value;
            PatchOutcome::Replaced
        }
        None => {
            // INVARIANT: a list sorted by ARN (as the collector writes it) stays sorted.
            let i = list
                .iter()
                .position(|e| {
                    e.get("arn")
                        .and_then(Value::as_str)
                        .is_some_and(|a| a > r.arn.as_str())
                })
                .unwrap_or(list.len());
            list.insert(i, value);
            PatchOutcome::Inserted
        }
    })
}

fn patch_principal(
    top: &mut Map<String, Value>,
    p: &FreshPrincipal,
) -> Result<PatchOutcome, PatchError> {
    // Check every shape before changing anything.
    let details = top
        .entry("authorizationDetails")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(details) = details else {
        return Err(PatchError::WrongShape("authorizationDetails".into()));
    };
    for name in [p.kind.list_name(), "GroupDetailList", "Policies"] {
        if details
            .get(name)
            .is_some_and(|v| !v.is_array() && !v.is_null())
        {
            return Err(PatchError::WrongShape(format!(
                "authorizationDetails.{name}"
            )));
        }
    }
    let stamp = |v: &Value| {
        let mut v = v.clone();
        if let Value::Object(m) = &mut v {
            m.insert("collectedAt".into(), Value::String(p.collected_at.clone()));
        }
        v
    };
    let path = format!("authorizationDetails.{}", p.kind.list_name());
    let outcome = {
        let list = list_at(details, p.kind.list_name(), &path)?;
        let at = position_by_arn(list, &p.arn);
        match (&p.entity, at) {
            (Some(e), Some(i)) => {
                list[i] = stamp(e);
                PatchOutcome::Replaced
            }
            (Some(e), None) => {
                list.push(stamp(e));
                PatchOutcome::Inserted
            }
            (None, Some(i)) => {
                list.remove(i);
                PatchOutcome::Removed
            }
            (None, None) => PatchOutcome::AlreadyAbsent,
        }
    };
    for (name, entries) in [("GroupDetailList", &p.groups), ("Policies", &p.policies)] {
        let list = list_at(details, name, &format!("authorizationDetails.{name}"))?;
        for entry in entries {
            let Some(arn) = entry.get("Arn").and_then(Value::as_str) else {
                continue;
            };
            match position_by_arn(list, arn) {
                Some(i) => list[i] = stamp(entry),
                None => list.push(stamp(entry)),
            }
        }
    }
    Ok(outcome)
}

/// Replaces the whole of `authorizationDetails`, each entry stamped with the time it
/// was read (so freshness answers for every principal and policy alike).
fn patch_iam(top: &mut Map<String, Value>, i: &FreshIam) -> Result<PatchOutcome, PatchError> {
    if top
        .get("authorizationDetails")
        .is_some_and(|v| !v.is_object() && !v.is_null())
    {
        return Err(PatchError::WrongShape("authorizationDetails".into()));
    }
    let stamp = |list: &[Value]| -> Value {
        Value::Array(
            list.iter()
                .map(|v| {
                    let mut v = v.clone();
                    if let Value::Object(m) = &mut v {
                        m.insert("collectedAt".into(), Value::String(i.collected_at.clone()));
                    }
                    v
                })
                .collect(),
        )
    };
    let d = &i.details;
    let mut details = Map::new();
    details.insert("UserDetailList".into(), stamp(&d.user_detail_list));
    details.insert("GroupDetailList".into(), stamp(&d.group_detail_list));
    details.insert("RoleDetailList".into(), stamp(&d.role_detail_list));
    details.insert("Policies".into(), stamp(&d.policies));
    let had = top
        .insert("authorizationDetails".into(), Value::Object(details))
        .is_some_and(|v| !v.is_null());
    Ok(if had {
        PatchOutcome::Replaced
    } else {
        PatchOutcome::Inserted
    })
}

fn position_by_arn(list: &[Value], arn: &str) -> Option<usize> {
    list.iter()
        .position(|e| e.get("Arn").and_then(Value::as_str) == Some(arn))
}

/// The list under `key`, created when absent or `null`.
fn list_at<'m>(
    map: &'m mut Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'m mut Vec<Value>, PatchError> {
    let slot = map.entry(key).or_insert(Value::Null);
    if slot.is_null() {
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(list) => Ok(list),
        _ => Err(PatchError::WrongShape(path.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn freshness(s: &Value, arn: &str) -> Option<String> {
        crate::Stamps::read(&s.to_string())?
            .freshness(arn)
            .map(str::to_string)
    }

    fn entry(arn: &str, policy: Value) -> ResourceEntry {
        ResourceEntry {
            arn: arn.into(),
            type_name: "AWS::S3::Bucket".into(),
            policy: Some(policy),
            tags: BTreeMap::new(),
            settings: Map::new(),
            error: None,
            collected_at: "2026-01-02T00:00:00Z".into(),
        }
    }

    fn resource(arn: &str, entry: Option<ResourceEntry>) -> FreshPart {
        FreshPart::Resource(FreshResource {
            arn: arn.into(),
            collected_at: "2026-01-02T00:00:00Z".into(),
            entry,
        })
    }

    fn snapshot() -> Value {
        json!({
            "accountId": "111111111111", "collectedAt": "2026-01-01T00:00:00Z", "future": {"kept": true},
            "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [],
                "RoleDetailList": [{"Arn": "arn:aws:iam::111111111111:role/a", "RoleName": "a", "Extra": 1}],
                "Policies": [{"Arn": "arn:aws:iam::111111111111:policy/p", "DefaultVersionId": "v1"}]},
            "resources": [
                {"arn": "arn:aws:s3:::a", "type": "AWS::S3::Bucket", "policy": null, "tags": {}, "collectedAt": "2026-01-01T00:00:00Z"},
                {"arn": "arn:aws:s3:::c", "type": "AWS::S3::Bucket", "policy": null, "tags": {}, "collectedAt": "2026-01-01T00:00:00Z"}
            ]
        })
    }

    fn arns(s: &Value) -> Vec<&str> {
        s["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["arn"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn resource_is_replaced_inserted_in_order_and_removed() {
        let mut s = snapshot();
        let policy = json!({"Statement": []});
        let out = patch_snapshot(
            &mut s,
            &resource(
                "arn:aws:s3:::c",
                Some(entry("arn:aws:s3:::c", policy.clone())),
            ),
        )
        .unwrap();
        assert_eq!(out, PatchOutcome::Replaced);
        assert_eq!(s["resources"][1]["policy"], policy);
        assert_eq!(
            freshness(&s, "arn:aws:s3:::c").as_deref(),
            Some("2026-01-02T00:00:00Z")
        );
        assert_eq!(
            freshness(&s, "arn:aws:s3:::a").as_deref(),
            Some("2026-01-01T00:00:00Z")
        );

        let out = patch_snapshot(
            &mut s,
            &resource("arn:aws:s3:::b", Some(entry("arn:aws:s3:::b", policy))),
        )
        .unwrap();
        assert_eq!(out, PatchOutcome::Inserted);
        assert_eq!(
            arns(&s),
            ["arn:aws:s3:::a", "arn:aws:s3:::b", "arn:aws:s3:::c"]
        );

        assert_eq!(
            patch_snapshot(&mut s, &resource("arn:aws:s3:::a", None)).unwrap(),
            PatchOutcome::Removed
        );
        assert_eq!(
            patch_snapshot(&mut s, &resource("arn:aws:s3:::zz", None)).unwrap(),
            PatchOutcome::AlreadyAbsent
        );
        assert_eq!(arns(&s), ["arn:aws:s3:::b", "arn:aws:s3:::c"]);
        // Fields the collector does not know are kept.
        assert_eq!(s["future"], json!({"kept": true}));
    }

    #[test]
    fn principal_replaces_its_entry_groups_and_policies() {
        let mut s = snapshot();
        let role = "arn:aws:iam::111111111111:role/a";
        let fragment = FreshPart::Principal(FreshPrincipal {
            arn: role.into(),
            kind: PrincipalKind::Role,
            collected_at: "2026-01-03T00:00:00Z".into(),
            entity: Some(json!({"Arn": role, "RoleName": "a", "RolePolicyList": []})),
            groups: vec![],
            policies: vec![
                json!({"Arn": "arn:aws:iam::111111111111:policy/p", "DefaultVersionId": "v2"}),
                json!({"Arn": "arn:aws:iam::111111111111:policy/q", "DefaultVersionId": "v1"}),
            ],
        });
        assert_eq!(
            patch_snapshot(&mut s, &fragment).unwrap(),
            PatchOutcome::Replaced
        );
        let details = &s["authorizationDetails"];
        assert_eq!(details["RoleDetailList"][0].get("Extra"), None);
        assert_eq!(details["Policies"][0]["DefaultVersionId"], "v2");
        assert_eq!(
            details["Policies"][1]["Arn"],
            "arn:aws:iam::111111111111:policy/q"
        );
        assert_eq!(freshness(&s, role).as_deref(), Some("2026-01-03T00:00:00Z"));

        let gone = FreshPart::Principal(FreshPrincipal {
            arn: role.into(),
            kind: PrincipalKind::Role,
            collected_at: "2026-01-04T00:00:00Z".into(),
            entity: None,
            groups: vec![],
            policies: vec![],
        });
        assert_eq!(
            patch_snapshot(&mut s, &gone).unwrap(),
            PatchOutcome::Removed
        );
        assert_eq!(s["authorizationDetails"]["RoleDetailList"], json!([]));
        assert_eq!(freshness(&s, role).as_deref(), Some("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn wrong_account_and_wrong_shapes_leave_the_snapshot_unchanged() {
        let mut s = snapshot();
        let before = s.clone();
        let other = "arn:aws:sqs:us-east-1:222222222222:q";
        let e = patch_snapshot(&mut s, &resource(other, None)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`arn:aws:sqs:us-east-1:222222222222:q` belongs to account `222222222222`, the snapshot to account `111111111111`"
        );
        s["authorizationDetails"]["Policies"] = json!({"not": "a list"});
        let before_shape = s.clone();
        let fragment = FreshPart::Principal(FreshPrincipal {
            arn: "arn:aws:iam::111111111111:role/a".into(),
            kind: PrincipalKind::Role,
            collected_at: "t".into(),
            entity: None,
            groups: vec![],
            policies: vec![],
        });
        assert_eq!(
            patch_snapshot(&mut s, &fragment).unwrap_err(),
            PatchError::WrongShape("authorizationDetails.Policies".into())
        );
        assert_eq!(s, before_shape);
        assert_ne!(s, before);
        assert_eq!(
            patch_snapshot(&mut json!([]), &fragment).unwrap_err(),
            PatchError::NotAnObject
        );
    }

    #[test]
    fn iam_replaces_every_principal_and_policy_and_keeps_resources() {
        let mut s = snapshot();
        let details = AuthorizationDetails {
            user_detail_list: vec![],
            group_detail_list: vec![json!({"Arn": "arn:aws:iam::111111111111:group/g"})],
            role_detail_list: vec![json!({"Arn": "arn:aws:iam::111111111111:role/b"})],
            policies: vec![],
        };
        let fragment = FreshPart::Iam(FreshIam {
            account: "111111111111".into(),
            collected_at: "2026-01-03T00:00:00Z".into(),
            details,
        });
        assert_eq!(
            patch_snapshot(&mut s, &fragment).unwrap(),
            PatchOutcome::Replaced
        );
        let roles = &s["authorizationDetails"]["RoleDetailList"];
        assert_eq!(roles.as_array().unwrap().len(), 1, "role `a` is gone");
        assert_eq!(
            freshness(&s, "arn:aws:iam::111111111111:role/b").as_deref(),
            Some("2026-01-03T00:00:00Z")
        );
        assert_eq!(
            freshness(&s, "arn:aws:iam::111111111111:group/g").as_deref(),
            Some("2026-01-03T00:00:00Z")
        );
        assert_eq!(s["authorizationDetails"]["Policies"], json!([]));
        assert_eq!(arns(&s), ["arn:aws:s3:::a", "arn:aws:s3:::c"]);
        assert_eq!(s["future"], json!({"kept": true}));

        let mut other = snapshot();
        let before = other.clone();
        let FreshPart::Iam(mut wrong) = fragment else {
            unreachable!()
        };
        wrong.account = "222222222222".into();
        assert!(matches!(
            patch_snapshot(&mut other, &FreshPart::Iam(wrong)),
            Err(PatchError::WrongAccount { .. })
        ));
        assert_eq!(other, before);
    }
}
