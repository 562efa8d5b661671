//! The `collectedAt` stamps of a snapshot document: when its whole read began and when
//! each part was read, for the parts patched in since.
//!
//! Why one reader: the sweep asks which parts an event re-read after the sweep's own
//! read began, the snapshot store records when a document was read, and a person asks
//! how fresh a part is. All three read the same stamps, the way the format defines
//! them ([`document`](crate::document): a part without its own stamp is as fresh as the
//! snapshot).
//!
//! Key design choice: lenient, like the reader. A list or an entry of the wrong shape
//! has no stamps; it never hides the stamps of the rest.

use accessdrift_primitives::Time;
use serde::Deserialize;

use crate::patch::Part;
use crate::read::raw::{Lenient, LenientList, Text};

/// The stamps of one snapshot document, as written (text, not yet parsed as times).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamps {
    /// When the whole read began (the top-level `collectedAt`).
    pub collected_at: Option<String>,
    /// The Organization entry's own stamp.
    pub organization: Option<String>,
    /// `(arn, collectedAt)` of every resource entry with an ARN.
    pub resources: Vec<Stamp>,
    /// Users and roles.
    pub principals: Vec<Stamp>,
    /// Groups and managed policies: parts that change what many principals hold.
    pub shared_iam: Vec<Stamp>,
}

/// One entry's ARN and its own stamp, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The entry's ARN.
    pub arn: String,
    /// Its own `collectedAt`.
    pub collected_at: Option<String>,
}

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(rename = "collectedAt", borrow)]
    collected_at: Option<Lenient<Text<'a>>>,
    #[serde(borrow)]
    resources: Option<LenientList<Stamped<'a>>>,
    #[serde(rename = "authorizationDetails", borrow)]
    details: Option<Lenient<Details<'a>>>,
    #[serde(borrow)]
    organization: Option<Lenient<Stamped<'a>>>,
}

#[derive(Deserialize)]
struct Details<'a> {
    #[serde(rename = "UserDetailList", borrow)]
    users: Option<LenientList<Stamped<'a>>>,
    #[serde(rename = "RoleDetailList", borrow)]
    roles: Option<LenientList<Stamped<'a>>>,
    #[serde(rename = "GroupDetailList", borrow)]
    groups: Option<LenientList<Stamped<'a>>>,
    #[serde(rename = "Policies", borrow)]
    policies: Option<LenientList<Stamped<'a>>>,
}

/// A resource entry (`arn`) or an IAM entry (`Arn`), with its stamp.
#[derive(Deserialize)]
struct Stamped<'a> {
    #[serde(alias = "Arn", borrow)]
    arn: Option<Lenient<Text<'a>>>,
    #[serde(rename = "collectedAt", borrow)]
    collected_at: Option<Lenient<Text<'a>>>,
}

fn text(value: Option<Lenient<Text<'_>>>) -> Option<String> {
    match value? {
        Lenient::Ok(t) => Some(t.0.into_owned()),
        Lenient::Bad(_) => None,
    }
}

fn entries<'a>(lists: impl IntoIterator<Item = Option<LenientList<Stamped<'a>>>>) -> Vec<Stamp> {
    lists
        .into_iter()
        .flatten()
        .filter_map(|list| match list {
            LenientList::List(items) => Some(items),
            LenientList::Wrong(_) => None,
        })
        .flatten()
        .filter_map(|item| match item {
            Lenient::Ok(s) => Some(Stamp {
                arn: text(s.arn)?,
                collected_at: text(s.collected_at),
            }),
            Lenient::Bad(_) => None,
        })
        .collect()
}

impl Stamps {
    /// The stamps of a snapshot document; `None` when it is not a JSON object.
    pub fn read(text_: &str) -> Option<Stamps> {
        let top: Lenient<Top<'_>> = serde_json::from_str(text_).ok()?;
        let Lenient::Ok(top) = top else {
            return None;
        };
        let details = match top.details {
            Some(Lenient::Ok(d)) => Some(d),
            _ => None,
        };
        let (users, roles, groups, policies) = match details {
            Some(d) => (d.users, d.roles, d.groups, d.policies),
            None => (None, None, None, None),
        };
        Some(Stamps {
            collected_at: text(top.collected_at),
            organization: match top.organization {
                Some(Lenient::Ok(o)) => text(o.collected_at),
                _ => None,
            },
            resources: entries([top.resources]),
            principals: entries([users, roles]),
            shared_iam: entries([groups, policies]),
        })
    }

    /// How fresh the part named by `arn` (a resource, user, group, role or managed
    /// policy; or `organization`) is: its own stamp, else the snapshot's.
    pub fn freshness(&self, arn: &str) -> Option<&str> {
        let own = if arn == "organization" {
            self.organization.as_deref()
        } else {
            [&self.resources, &self.principals, &self.shared_iam]
                .into_iter()
                .flatten()
                .find(|e| e.arn == arn)
                .and_then(|e| e.collected_at.as_deref())
        };
        own.or(self.collected_at.as_deref())
    }

    /// The parts stamped later than `since`: resources and users or roles by ARN; a
    /// newer group or managed policy means all of IAM (it changes what many principals
    /// hold). A stamp that is not a time counts as newer: re-reading costs a call,
    /// missing a change costs a security hole.
    pub fn parts_newer_than(&self, since: Time) -> Vec<Part> {
        let newer = |e: &&Stamp| {
            e.collected_at
                .as_deref()
                .is_some_and(|t| Time::parse(t).map_or(true, |t| t > since))
        };
        let mut parts = Vec::new();
        if self.shared_iam.iter().any(|e| newer(&e)) {
            parts.push(Part::Iam);
        } else {
            parts.extend(
                self.principals
                    .iter()
                    .filter(newer)
                    .map(|e| Part::Principal(e.arn.clone())),
            );
        }
        parts.extend(
            self.resources
                .iter()
                .filter(newer)
                .map(|e| Part::Resource(e.arn.clone())),
        );
        parts
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SINCE: &str = "2026-11-24T02:00:00.000Z";

    fn since() -> Time {
        Time::parse(SINCE).unwrap()
    }

    fn stored(resource_at: &str, role_at: &str, policy_at: Option<&str>) -> String {
        let mut policy = json!({"Arn": "arn:aws:iam::111111111111:policy/p"});
        if let Some(at) = policy_at {
            policy["collectedAt"] = json!(at);
        }
        json!({
            "accountId": "111111111111", "collectedAt": "2026-11-23T02:00:00Z",
            "authorizationDetails": {
                "RoleDetailList": [
                    {"Arn": "arn:aws:iam::111111111111:role/a", "collectedAt": role_at},
                    {"Arn": "arn:aws:iam::111111111111:role/b"}
                ],
                "Policies": [policy]
            },
            "resources": [
                {"arn": "arn:aws:s3:::x", "collectedAt": resource_at},
                {"arn": "arn:aws:s3:::y"}
            ],
            "organization": {"id": "o-1", "collectedAt": "2026-11-23T03:00:00Z"}
        })
        .to_string()
    }

    #[test]
    fn a_part_stamped_after_the_read_began_is_newer() {
        let s = Stamps::read(&stored(
            "2026-11-24T02:00:01Z",
            "2026-11-24T01:59:59Z",
            None,
        ))
        .unwrap();
        assert_eq!(
            s.parts_newer_than(since()),
            vec![Part::Resource("arn:aws:s3:::x".into())]
        );
        let s = Stamps::read(&stored(
            "2026-11-24T01:00:00Z",
            "2026-11-24T02:00:00.5Z",
            None,
        ))
        .unwrap();
        assert_eq!(
            s.parts_newer_than(since()),
            vec![Part::Principal("arn:aws:iam::111111111111:role/a".into())]
        );
    }

    #[test]
    fn a_newer_managed_policy_means_all_of_iam() {
        let s = Stamps::read(&stored(
            "2026-11-24T01:00:00Z",
            "2026-11-24T03:00:00Z",
            Some("2026-11-24T03:00:00Z"),
        ))
        .unwrap();
        assert_eq!(s.parts_newer_than(since()), vec![Part::Iam]);
    }

    #[test]
    fn a_stamp_that_is_not_a_time_counts_as_newer() {
        let s = Stamps::read(&stored("yesterday", "2026-11-24T01:00:00Z", None)).unwrap();
        assert_eq!(
            s.parts_newer_than(since()),
            vec![Part::Resource("arn:aws:s3:::x".into())]
        );
    }

    #[test]
    fn times_compare_as_times_not_text() {
        // As text, "02:00:00Z" sorts after "02:00:00.500Z"; as times it is earlier.
        let s = Stamps::read(&stored(
            "2026-11-24T02:00:00Z",
            "2026-11-24T01:00:00Z",
            None,
        ))
        .unwrap();
        let since = Time::parse("2026-11-24T02:00:00.500Z").unwrap();
        assert!(s.parts_newer_than(since).is_empty());
    }

    #[test]
    fn freshness_is_a_parts_own_stamp_else_the_snapshots() {
        let s = Stamps::read(&stored(
            "2026-11-24T02:00:01Z",
            "2026-11-24T01:59:59Z",
            None,
        ))
        .unwrap();
        assert_eq!(s.freshness("arn:aws:s3:::x"), Some("2026-11-24T02:00:01Z"));
        assert_eq!(s.freshness("arn:aws:s3:::y"), Some("2026-11-23T02:00:00Z"));
        assert_eq!(
            s.freshness("arn:aws:iam::111111111111:role/a"),
            Some("2026-11-24T01:59:59Z")
        );
        assert_eq!(s.freshness("organization"), Some("2026-11-23T03:00:00Z"));
        assert_eq!(s.collected_at.as_deref(), Some("2026-11-23T02:00:00Z"));
    }

    #[test]
    fn a_wrong_shape_hides_only_its_own_stamps() {
        let text = json!({
            "collectedAt": "2026-11-23T02:00:00Z",
            "authorizationDetails": {"RoleDetailList": {"not": "a list"}, "Policies": [3]},
            "resources": [7, {"arn": 1}, {"arn": "arn:aws:s3:::x", "collectedAt": 5},
                          {"arn": "arn:aws:s3:::y", "collectedAt": "2026-11-25T00:00:00Z"}],
        })
        .to_string();
        let s = Stamps::read(&text).unwrap();
        assert_eq!(s.collected_at.as_deref(), Some("2026-11-23T02:00:00Z"));
        assert!(s.principals.is_empty() && s.shared_iam.is_empty());
        assert_eq!(
            s.parts_newer_than(since()),
            vec![Part::Resource("arn:aws:s3:::y".into())]
        );
        assert_eq!(Stamps::read("[1]"), None);
        assert_eq!(Stamps::read("not json"), None);
    }
}
