//! Many teams, one desired state: each team imports its own file (a *source*), and the
//! controller reads the union of all sources.
//!
//! Key design choice: a resource belongs to exactly one source. An import that claims a
//! resource another source already holds is refused ([`overlaps`]); should two sources
//! still end up holding the same ARN (two imports racing), [`merge`] keeps the entry of
//! the first source by name and reports the other, so the outcome never depends on
//! read order. Constraints from all sources apply; a rule given by several sources
//! keeps its strictest form (the lowest `max-principals`), once, so the same breach is
//! never reported twice.

use std::collections::BTreeMap;

use accessdrift_capabilities::Capability;

use crate::state::{Constraint, ConstraintRule, DesiredState};

/// A resource claimed by two sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// The resource ARN.
    pub arn: String,
    /// The source whose entry counts.
    pub kept: String,
    /// The source whose entry was left out.
    pub dropped: String,
}

/// The union of several sources.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Merged {
    /// What the controller compares effective access with.
    pub state: DesiredState,
    /// Resources claimed twice (a problem to report, not a reason to stop).
    pub overlaps: Vec<Overlap>,
}

/// Merges named sources; `sources` is sorted by name first, so the result does not
/// depend on the order given.
pub fn merge(sources: &[(String, DesiredState)]) -> Merged {
    let mut ordered: Vec<&(String, DesiredState)> = sources.iter().collect();
    ordered.sort_by(|a, b| a.0.cmp(&b.0));

    let mut owner_of: BTreeMap<&str, &str> = BTreeMap::new();
    let mut merged = Merged::default();
    for (name, state) in &ordered {
        for r in &state.resources {
            match owner_of.get(r.arn.as_str()) {
                Some(kept) if *kept != name.as_str() => merged.overlaps.push(Overlap {
                    arn: r.arn.clone(),
                    kept: (*kept).to_string(),
                    dropped: name.clone(),
                }),
                _ => {
                    owner_of.insert(&r.arn, name);
                    merged.state.resources.push(r.clone());
                }
            }
        }
    }

    // One rule per (classification, kind[, capability]); the strictest maximum wins.
    let mut rules: BTreeMap<(String, u8, Option<Capability>), Constraint> = BTreeMap::new();
    for (_, state) in &ordered {
        for c in &state.constraints {
            let (kind, capability) = match c.rule {
                ConstraintRule::MaxPrincipals { capability, .. } => (0, Some(capability)),
                ConstraintRule::NoExternalAccess => (1, None),
                ConstraintRule::NoPublicAccess => (2, None),
            };
            let key = (c.classification.trim().to_lowercase(), kind, capability);
            match rules.get_mut(&key) {
                None => {
                    rules.insert(key, c.clone());
                }
                Some(kept) => {
                    if let (
                        ConstraintRule::MaxPrincipals { max: old, .. },
                        ConstraintRule::MaxPrincipals { max: new, .. },
                    ) = (&kept.rule, &c.rule)
                        && new < old
                    {
                        *kept = c.clone();
                    }
                }
            }
        }
    }
    merged.state.constraints = rules.into_values().collect();
    merged
}

/// The resources of `incoming` that another source (not `name`) already holds, as
/// `(arn, other source)`, sorted: an import with any is refused.
pub fn overlaps(
    existing: &[(String, DesiredState)],
    name: &str,
    incoming: &DesiredState,
) -> Vec<(String, String)> {
    let mut held: BTreeMap<&str, &str> = BTreeMap::new();
    for (source, state) in existing {
        if source == name {
            continue;
        }
        for r in &state.resources {
            held.entry(&r.arn).or_insert(source);
        }
    }
    let mut out: Vec<(String, String)> = incoming
        .resources
        .iter()
        .filter_map(|r| {
            held.get(r.arn.as_str())
                .map(|s| (r.arn.clone(), (*s).to_string()))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_desired;

    fn state(text: &str) -> DesiredState {
        match parse_desired(text, "t.yaml") {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    const CREDIT: &str = "version: 1\nconstraints:\n  - classification: Confidential\n    max-principals:\n      read-data: 5\n    no-public-access: true\nresources:\n  - arn: arn:aws:s3:::credit-applications\n    capabilities:\n      read-data: [arn:aws:iam::111111111111:role/credit-processor]\n";
    const RISK: &str = "version: 1\nconstraints:\n  - classification: confidential\n    max-principals:\n      read-data: 3\n    no-public-access: true\nresources:\n  - arn: arn:aws:s3:::risk-models\n";

    #[test]
    fn sources_are_united_and_the_strictest_rule_is_kept_once() {
        let m = merge(&[
            ("risk".into(), state(RISK)),
            ("credit".into(), state(CREDIT)),
        ]);
        let arns: Vec<&str> = m.state.resources.iter().map(|r| r.arn.as_str()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:s3:::credit-applications",
                "arn:aws:s3:::risk-models"
            ]
        );
        assert_eq!(m.state.constraints.len(), 2, "{:?}", m.state.constraints);
        assert!(m.state.constraints.iter().any(|c| c.rule
            == ConstraintRule::MaxPrincipals {
                capability: Capability::ReadData,
                max: 3
            }));
        assert!(m.overlaps.is_empty());
    }

    #[test]
    fn a_resource_claimed_twice_keeps_the_first_source_by_name_whatever_the_order() {
        let a = ("a-team".to_string(), state(CREDIT));
        let b = ("b-team".to_string(), state(CREDIT));
        for sources in [vec![a.clone(), b.clone()], vec![b, a]] {
            let m = merge(&sources);
            assert_eq!(m.state.resources.len(), 1);
            assert_eq!(
                m.overlaps,
                [Overlap {
                    arn: "arn:aws:s3:::credit-applications".into(),
                    kept: "a-team".into(),
                    dropped: "b-team".into()
                }]
            );
        }
    }

    #[test]
    fn an_import_overlapping_another_source_is_named_but_replacing_its_own_is_not() {
        let existing = [
            ("credit".to_string(), state(CREDIT)),
            ("risk".to_string(), state(RISK)),
        ];
        assert!(overlaps(&existing, "credit", &state(CREDIT)).is_empty());
        assert_eq!(
            overlaps(&existing, "newcomer", &state(CREDIT)),
            [(
                "arn:aws:s3:::credit-applications".to_string(),
                "credit".to_string()
            )]
        );
    }
}
