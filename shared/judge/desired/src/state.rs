//! The desired state as data: what a team intends for its resources and the rules by
//! classification, each entry with the place it was written so errors and notices can
//! point at the line to change.

use std::collections::BTreeMap;

use accessdrift_capabilities::Capability;

/// Where a desired-state entry was written, for error messages and notices
/// ("change line 14 of desired/credit.yaml").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The file as given to `desired import`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

/// The longest owner word.
pub const MAX_OWNER_LEN: usize = 64;

/// Whether `word` can name an owner: 1 to 64 characters of ASCII letters, digits, `.`,
/// `_` and `-`, starting with a letter or digit (`credit-team`, `security`). Owner words
/// route notices (the SNS `owner` attribute teams filter on) and appear in every medium,
/// so the desired state accepts only these, and a resource tag holding anything else
/// names no owner (its value is still shown, escaped, in the tag-mismatch finding).
pub fn is_owner_word(word: &str) -> bool {
    let mut chars = word.chars();
    word.len() <= MAX_OWNER_LEN
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// What a team intends for its resources, plus rules that apply by classification.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DesiredState {
    /// Per-resource intent.
    pub resources: Vec<DesiredResource>,
    /// Rules by classification across all resources.
    pub constraints: Vec<Constraint>,
}

/// The intended access to one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredResource {
    /// The resource ARN.
    pub arn: String,
    /// The owning team; applies only where the resource's owner tag is missing (the tag
    /// wins, and a tag that contradicts this is itself a finding).
    pub owner: Option<String>,
    /// `Public`, `Internal`, `Confidential` (or another word the team uses); the
    /// resource's classification tag wins the same way.
    pub classification: Option<String>,
    /// For each capability, the principals allowed to hold it (exact ARNs or ARN
    /// patterns with `*` per segment, e.g. `arn:aws:iam::*:role/ci`). A capability not
    /// listed may be held by nobody.
    pub capabilities: BTreeMap<Capability, Vec<String>>,
    /// Where it was written.
    pub location: Location,
}

/// A rule for every resource of a classification.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// The classification it applies to (`Confidential`), case-insensitive.
    pub classification: String,
    /// The rule.
    pub rule: ConstraintRule,
    /// Where it was written.
    pub location: Location,
}

/// What a constraint demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintRule {
    /// At most `max` principals may hold `capability` (Allowed or Conditional).
    MaxPrincipals {
        /// The capability counted.
        capability: Capability,
        /// The most principals allowed.
        max: usize,
    },
    /// No principal outside the Organization may hold any capability.
    NoExternalAccess,
    /// Nobody anonymous (`*`) may hold any capability.
    NoPublicAccess,
}
