//! Writing a desired state back as a file (`desired export`, `desired baseline`):
//! deterministic, so the same state always gives the same bytes and a diff in review
//! shows only real changes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use accessdrift_capabilities::Capability;

use crate::parse::VERSION;
use crate::state::{Constraint, ConstraintRule, DesiredResource, DesiredState, Location};

/// The canonical form of a desired state: resources sorted by ARN (entries for the
/// same ARN merged), principals sorted and de-duplicated, constraints sorted by
/// classification then rule (a rule given twice keeps its strictest value, and
/// classifications that differ only in case take the first spelling), blank owners
/// and classifications dropped, locations cleared.
///
/// [`to_yaml`] writes exactly this, so `parse_desired(&to_yaml(s))` equals
/// `normalized(s)` once its locations are cleared.
pub fn normalized(state: &DesiredState) -> DesiredState {
    let mut resources: BTreeMap<&str, DesiredResource> = BTreeMap::new();
    for r in &state.resources {
        let merged = resources
            .entry(r.arn.as_str())
            .or_insert_with(|| DesiredResource {
                arn: r.arn.clone(),
                owner: None,
                classification: None,
                capabilities: BTreeMap::new(),
                location: Location::default(),
            });
        let named = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        if merged.owner.is_none() {
            merged.owner = named(&r.owner);
        }
        if merged.classification.is_none() {
            merged.classification = named(&r.classification);
        }
        for (capability, principals) in &r.capabilities {
            merged
                .capabilities
                .entry(*capability)
                .or_default()
                .extend(principals.iter().cloned());
        }
    }
    let resources = resources
        .into_values()
        .map(|mut r| {
            for principals in r.capabilities.values_mut() {
                principals.sort();
                principals.dedup();
            }
            r
        })
        .collect();

    // Rules keyed by (lowercased classification, rule order); the first spelling wins.
    let mut spelling: BTreeMap<String, String> = BTreeMap::new();
    let mut rules: BTreeMap<(String, RuleKey), ConstraintRule> = BTreeMap::new();
    for c in &state.constraints {
        let lower = c.classification.to_lowercase();
        spelling
            .entry(lower.clone())
            .or_insert_with(|| c.classification.clone());
        let key = (lower, RuleKey::of(&c.rule));
        match (rules.get_mut(&key), &c.rule) {
            (
                Some(ConstraintRule::MaxPrincipals { max: kept, .. }),
                ConstraintRule::MaxPrincipals { max, .. },
            ) => *kept = (*kept).min(*max),
            (Some(_), _) => {}
            (None, rule) => {
                rules.insert(key, rule.clone());
            }
        }
    }
    let mut constraints: Vec<Constraint> = rules
        .into_iter()
        .map(|((lower, _), rule)| Constraint {
            classification: spelling.get(&lower).cloned().unwrap_or(lower),
            rule,
            location: Location::default(),
        })
        .collect();
    // Group by the spelling written, as `to_yaml` does (stable within a group).
    constraints.sort_by(|a, b| a.classification.cmp(&b.classification));
    DesiredState {
        resources,
        constraints,
    }
}

/// Orders rules within a classification: max-principals by capability, then the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RuleKey {
    Max(Capability),
    NoExternal,
    NoPublic,
}

impl RuleKey {
    fn of(rule: &ConstraintRule) -> RuleKey {
        match rule {
            ConstraintRule::MaxPrincipals { capability, .. } => RuleKey::Max(*capability),
            ConstraintRule::NoExternalAccess => RuleKey::NoExternal,
            ConstraintRule::NoPublicAccess => RuleKey::NoPublic,
        }
    }
}

/// Writes a desired state as a version-1 YAML file, in the canonical order of
/// [`normalized`]. The output reads back with `parse_desired` to the same state.
pub fn to_yaml(state: &DesiredState) -> String {
    let state = normalized(state);
    let mut out = String::new();
    out.push_str("# accessdrift desired state: who should hold which capability.\n");
    out.push_str("# Review changes like code, then `accessdrift desired import` this file.\n");
    // Writing to a String cannot fail; the results are ignored below for that reason.
    let _ = writeln!(out, "version: {VERSION}");

    if !state.constraints.is_empty() {
        out.push_str("constraints:\n");
        for group in state
            .constraints
            .chunk_by(|a, b| a.classification == b.classification)
        {
            let Some(first) = group.first() else {
                continue;
            };
            let _ = writeln!(out, "  - classification: {}", scalar(&first.classification));
            let maxes: Vec<(Capability, usize)> = group
                .iter()
                .filter_map(|c| match c.rule {
                    ConstraintRule::MaxPrincipals { capability, max } => Some((capability, max)),
                    _ => None,
                })
                .collect();
            if !maxes.is_empty() {
                out.push_str("    max-principals:\n");
                for (capability, max) in maxes {
                    let _ = writeln!(out, "      {capability}: {max}");
                }
            }
            if group
                .iter()
                .any(|c| c.rule == ConstraintRule::NoExternalAccess)
            {
                out.push_str("    no-external-access: true\n");
            }
            if group
                .iter()
                .any(|c| c.rule == ConstraintRule::NoPublicAccess)
            {
                out.push_str("    no-public-access: true\n");
            }
        }
    }

    if state.resources.is_empty() {
        out.push_str("resources: []\n");
    } else {
        out.push_str("resources:\n");
    }
    for r in &state.resources {
        let _ = writeln!(out, "  - arn: {}", scalar(&r.arn));
        if let Some(owner) = &r.owner {
            let _ = writeln!(out, "    owner: {}", scalar(owner));
        }
        if let Some(classification) = &r.classification {
            let _ = writeln!(out, "    classification: {}", scalar(classification));
        }
        if r.capabilities.is_empty() {
            out.push_str("    capabilities: {}\n");
            continue;
        }
        out.push_str("    capabilities:\n");
        for (capability, principals) in &r.capabilities {
            if principals.is_empty() {
                let _ = writeln!(out, "      {capability}: []");
                continue;
            }
            let _ = writeln!(out, "      {capability}:");
            for p in principals {
                let _ = writeln!(out, "        - {}", scalar(p));
            }
        }
    }
    out
}

/// A string as a YAML scalar: plain when that reads back as the same string, else
/// double-quoted.
fn scalar(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// Whether `text` can be written unquoted and read back as the same string (not a
/// number, bool or null, no indicator at the start, nothing YAML treats specially).
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let safe_char = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, ':' | '/' | '_' | '.' | '@' | '+' | '=' | ',' | '*' | '-')
    };
    text.chars().all(safe_char)
        && first.is_ascii_alphabetic()
        && !text.ends_with(':')
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
        )
}

/// A double-quoted YAML scalar.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_or_quoted() {
        assert_eq!(scalar("arn:aws:s3:::b"), "arn:aws:s3:::b");
        assert_eq!(scalar("arn:aws:iam::*:role/ci"), "arn:aws:iam::*:role/ci");
        assert_eq!(scalar("*"), "\"*\"");
        assert_eq!(scalar("111111111111"), "\"111111111111\"");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("No"), "\"No\"");
        assert_eq!(scalar("a b"), "\"a b\"");
        assert_eq!(scalar("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
        assert_eq!(scalar(""), "\"\"");
    }

    #[test]
    fn normalizes_merges_and_sorts() {
        let resource = |arn: &str, owner: Option<&str>, principals: &[&str]| DesiredResource {
            arn: arn.to_string(),
            owner: owner.map(str::to_string),
            classification: None,
            capabilities: BTreeMap::from([(
                Capability::ReadData,
                principals.iter().map(|p| p.to_string()).collect(),
            )]),
            location: Location {
                file: "f".into(),
                line: 3,
            },
        };
        let state = DesiredState {
            resources: vec![
                resource("arn:aws:s3:::b", None, &["z", "a"]),
                resource("arn:aws:s3:::a", Some("t"), &[]),
                resource("arn:aws:s3:::b", Some("u"), &["a", "m"]),
            ],
            constraints: vec![
                Constraint {
                    classification: "Conf".into(),
                    rule: ConstraintRule::NoPublicAccess,
                    location: Location::default(),
                },
                Constraint {
                    classification: "conf".into(),
                    rule: ConstraintRule::MaxPrincipals {
                        capability: Capability::ReadData,
                        max: 7,
                    },
                    location: Location::default(),
                },
                Constraint {
                    classification: "Conf".into(),
                    rule: ConstraintRule::MaxPrincipals {
                        capability: Capability::ReadData,
                        max: 3,
                    },
                    location: Location::default(),
                },
            ],
        };
        let n = normalized(&state);
        assert_eq!(n.resources.len(), 2);
        assert_eq!(n.resources[0].arn, "arn:aws:s3:::a");
        assert_eq!(n.resources[0].location, Location::default());
        assert_eq!(n.resources[1].owner.as_deref(), Some("u"));
        assert_eq!(
            n.resources[1].capabilities[&Capability::ReadData],
            vec!["a", "m", "z"]
        );
        let rules: Vec<_> = n
            .constraints
            .iter()
            .map(|c| (c.classification.as_str(), c.rule.clone()))
            .collect();
        assert_eq!(
            rules,
            vec![
                (
                    "Conf",
                    ConstraintRule::MaxPrincipals {
                        capability: Capability::ReadData,
                        max: 3
                    }
                ),
                ("Conf", ConstraintRule::NoPublicAccess),
            ]
        );
        assert_eq!(normalized(&n), n);
    }
}
