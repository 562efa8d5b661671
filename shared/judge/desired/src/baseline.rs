//! `desired baseline`: today's effective access of chosen resources, taken as their
//! desired state. The usual first step for an existing account: accept what is, then
//! tighten it in review, and from then on every change shows up as drift.

use std::collections::{BTreeMap, BTreeSet};

use accessdrift_access::Row;
use accessdrift_capabilities::Capability;

use crate::arn::arn_account;
use crate::state::{DesiredResource, DesiredState, Location};

/// Which resources a baseline covers. Every filter given must hold; an empty
/// selection takes every resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineSelect {
    /// Only resources whose owner tag has this value.
    pub owner: Option<String>,
    /// Only resources of this account (by the ARN's account part). ARNs without an
    /// account (S3 buckets) cannot be told apart and are kept: pass the rows of one
    /// account's snapshot when selecting by account.
    pub account: Option<String>,
    /// Only these resource ARNs (exact); empty means no restriction.
    pub arns: Vec<String>,
}

impl BaselineSelect {
    /// Whether the resource `arn` is selected, given the resources' owner tags.
    pub fn selects(&self, arn: &str, owners: &BTreeMap<String, String>) -> bool {
        let owner_ok = self
            .owner
            .as_ref()
            .is_none_or(|want| owners.get(arn) == Some(want));
        let account_ok = self.account.as_ref().is_none_or(|want| {
            arn_account(arn).is_some_and(|account| account.is_empty() || account == want)
        });
        let arn_ok = self.arns.is_empty() || self.arns.iter().any(|a| a == arn);
        owner_ok && account_ok && arn_ok
    }
}

/// Today's effective access of the selected resources as a desired state: every
/// (principal, capability) in `rows`, `Allowed` or `Conditional`, becomes an allowed
/// entry. `owners` and `classifications` map resource ARN to the resource's tag value
/// and fill in `owner` and `classification`.
///
/// Resources named in `owners` or `classifications` that no row mentions are included
/// too (nobody holds anything on them today, so nobody should). The result is in the
/// canonical order of [`crate::normalized`], without constraints and without locations.
pub fn baseline(
    rows: &[Row],
    select: &BaselineSelect,
    owners: &BTreeMap<String, String>,
    classifications: &BTreeMap<String, String>,
) -> DesiredState {
    let mut held: BTreeMap<&str, BTreeMap<Capability, BTreeSet<&str>>> = BTreeMap::new();
    for row in rows {
        held.entry(&row.resource)
            .or_default()
            .entry(row.capability)
            .or_default()
            .insert(&row.principal);
    }
    for arn in owners.keys().chain(classifications.keys()) {
        held.entry(arn).or_default();
    }
    let resources = held
        .into_iter()
        .filter(|(arn, _)| select.selects(arn, owners))
        .map(|(arn, capabilities)| DesiredResource {
            arn: arn.to_string(),
            owner: owners.get(arn).cloned(),
            classification: classifications.get(arn).cloned(),
            capabilities: capabilities
                .into_iter()
                .map(|(c, principals)| (c, principals.into_iter().map(str::to_string).collect()))
                .collect(),
            location: Location::default(),
        })
        .collect();
    DesiredState {
        resources,
        constraints: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_filters_combine() {
        let owners = BTreeMap::from([
            ("arn:aws:s3:::a".to_string(), "t".to_string()),
            (
                "arn:aws:sqs:us-east-1:111111111111:q".to_string(),
                "t".to_string(),
            ),
        ]);
        let all = BaselineSelect::default();
        assert!(all.selects("arn:aws:s3:::x", &owners));
        let by_owner = BaselineSelect {
            owner: Some("t".into()),
            ..BaselineSelect::default()
        };
        assert!(by_owner.selects("arn:aws:s3:::a", &owners));
        assert!(!by_owner.selects("arn:aws:s3:::x", &owners));
        let by_account = BaselineSelect {
            account: Some("111111111111".into()),
            ..BaselineSelect::default()
        };
        assert!(by_account.selects("arn:aws:sqs:us-east-1:111111111111:q", &owners));
        assert!(!by_account.selects("arn:aws:sqs:us-east-1:222222222222:q", &owners));
        assert!(by_account.selects("arn:aws:s3:::a", &owners));
        let both = BaselineSelect {
            owner: Some("t".into()),
            account: Some("222222222222".into()),
            arns: Vec::new(),
        };
        assert!(!both.selects("arn:aws:sqs:us-east-1:111111111111:q", &owners));
        let by_arn = BaselineSelect {
            arns: vec!["arn:aws:s3:::a".into()],
            ..BaselineSelect::default()
        };
        assert!(by_arn.selects("arn:aws:s3:::a", &owners));
        assert!(!by_arn.selects("arn:aws:sqs:us-east-1:111111111111:q", &owners));
    }
}
