//! Parts of a stored snapshot re-read after a sweep began reading.
//!
//! Why: the worker's whole-account read can take minutes. An event handled meanwhile
//! re-reads the part it touched and saves it into the stored snapshot; if the sweep
//! then judged and saved what *it* read earlier, it would resolve the event's finding
//! and put the stale policy back, a missed grant until the next event or night. So the
//! sweep re-reads such parts before its pass (see [`crate::sweep_account`]).

use serde::Deserialize;

use crate::ports::Part;

#[derive(Deserialize)]
struct Stamps {
    #[serde(rename = "collectedAt", default)]
    collected_at: Option<String>,
    #[serde(default)]
    resources: Option<Vec<ResourceStamp>>,
    #[serde(rename = "authorizationDetails", default)]
    details: Option<DetailStamps>,
}

#[derive(Deserialize)]
struct ResourceStamp {
    #[serde(default)]
    arn: Option<String>,
    #[serde(rename = "collectedAt", default)]
    collected_at: Option<String>,
}

#[derive(Deserialize)]
struct IamStamp {
    #[serde(rename = "Arn", default)]
    arn: Option<String>,
    #[serde(rename = "collectedAt", default)]
    collected_at: Option<String>,
}

#[derive(Deserialize)]
struct DetailStamps {
    #[serde(rename = "UserDetailList", default)]
    users: Option<Vec<IamStamp>>,
    #[serde(rename = "RoleDetailList", default)]
    roles: Option<Vec<IamStamp>>,
    #[serde(rename = "GroupDetailList", default)]
    groups: Option<Vec<IamStamp>>,
    #[serde(rename = "Policies", default)]
    policies: Option<Vec<IamStamp>>,
}

/// When a snapshot's read began (its top-level `collectedAt`), if it says.
pub(crate) fn read_began(snapshot: &str) -> Option<String> {
    serde_json::from_str::<Stamps>(snapshot).ok()?.collected_at
}

/// Whether `stored`'s whole read began after `since`: another sweep of the account
/// (a redelivered message) read and kept it after this one began.
pub(crate) fn whole_read_after(stored: &str, since: &str) -> bool {
    let at = |t: &str| accessdrift_primitives::Time::parse(t).ok();
    match (read_began(stored).as_deref().and_then(at), at(since)) {
        (Some(theirs), Some(ours)) => theirs > ours,
        _ => false,
    }
}

/// The parts of `stored` stamped later than `since` (when the fresh read began):
/// resources and users or roles by ARN; a newer group or managed policy means all of
/// IAM (it changes what many principals hold). A stamp that is not a time counts as
/// newer: re-reading costs a call, missing a change costs a security hole.
pub fn parts_newer_than(stored: &str, since: &str) -> Vec<Part> {
    let Ok(since) = accessdrift_primitives::Time::parse(since) else {
        return Vec::new();
    };
    let Ok(stamps) = serde_json::from_str::<Stamps>(stored) else {
        // Unreadable: there is nothing in it worth keeping over a fresh read.
        return Vec::new();
    };
    let newer = |at: &Option<String>| {
        at.as_deref()
            .is_some_and(|t| accessdrift_primitives::Time::parse(t).map_or(true, |t| t > since))
    };
    let mut parts = Vec::new();
    if let Some(details) = &stamps.details {
        let iam_wide = [&details.groups, &details.policies]
            .into_iter()
            .flatten()
            .flatten()
            .any(|s| newer(&s.collected_at));
        if iam_wide {
            parts.push(Part::Iam);
        } else {
            parts.extend(
                [&details.users, &details.roles]
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter(|s| newer(&s.collected_at))
                    .filter_map(|s| s.arn.clone())
                    .map(Part::Principal),
            );
        }
    }
    parts.extend(
        stamps
            .resources
            .iter()
            .flatten()
            .filter(|s| newer(&s.collected_at))
            .filter_map(|s| s.arn.clone())
            .map(Part::Resource),
    );
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SINCE: &str = "2026-11-24T02:00:00.000Z";

    fn doc(resource_at: &str, role_at: &str, policy_at: Option<&str>) -> String {
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
            ]
        })
        .to_string()
    }

    #[test]
    fn parts_stamped_after_the_read_began_are_named_older_ones_are_not() {
        let parts = parts_newer_than(
            &doc("2026-11-24T02:00:05Z", "2026-11-24T01:59:59.999Z", None),
            SINCE,
        );
        assert_eq!(parts, vec![Part::Resource("arn:aws:s3:::x".into())]);
        let parts = parts_newer_than(
            &doc("2026-11-24T01:00:00Z", "2026-11-24T02:00:00.001Z", None),
            SINCE,
        );
        assert_eq!(
            parts,
            vec![Part::Principal("arn:aws:iam::111111111111:role/a".into())]
        );
    }

    #[test]
    fn a_newer_managed_policy_means_all_of_iam() {
        let parts = parts_newer_than(
            &doc(
                "2026-11-24T01:00:00Z",
                "2026-11-24T03:00:00Z",
                Some("2026-11-24T03:00:00Z"),
            ),
            SINCE,
        );
        assert_eq!(parts, vec![Part::Iam]);
    }

    #[test]
    fn times_compare_as_times_not_text() {
        // As text, "02:00:00Z" sorts after "02:00:00.500Z"; as times it is earlier.
        let parts = parts_newer_than(
            &doc("2026-11-24T02:00:00Z", "2026-11-24T01:00:00Z", None),
            "2026-11-24T02:00:00.500Z",
        );
        assert!(parts.is_empty(), "{parts:?}");
    }

    #[test]
    fn a_whole_read_kept_after_ours_began_is_newer() {
        let stored = doc("2026-11-24T01:00:00Z", "2026-11-24T01:00:00Z", None);
        assert!(whole_read_after(&stored, "2026-11-22T00:00:00Z"));
        assert!(!whole_read_after(&stored, SINCE));
        assert!(!whole_read_after("{}", SINCE));
    }

    #[test]
    fn an_unparsable_stamp_counts_as_newer_and_an_unreadable_store_as_nothing() {
        let parts = parts_newer_than(&doc("yesterday-ish", "2026-11-24T01:00:00Z", None), SINCE);
        assert_eq!(parts, vec![Part::Resource("arn:aws:s3:::x".into())]);
        assert!(parts_newer_than("{not json", SINCE).is_empty());
        assert!(parts_newer_than("{}", SINCE).is_empty());
    }
}
