//! The controller's vocabulary: what a team intends (desired state), what differs
//! (findings), and how bad it is (severity). Pure data; the logic lives in sibling
//! modules and the AWS adapters store and send these.

use std::collections::BTreeMap;

use accessdrift_access::Access;
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

/// The kinds of drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    /// A principal holds a capability the desired state does not give it.
    UnexpectedAccess,
    /// An intended grant no longer works.
    MissingAccess,
    /// A classification rule is broken.
    ConstraintViolated,
    /// Anyone (`*`) or a principal outside the Organization holds a capability.
    PublicOrExternalAccess,
    /// The resource lacks the owner tag (and the desired state names no owner).
    NoOwner,
    /// The resource's owner or classification tag contradicts the desired state.
    TagMismatch,
    /// The resource (or a principal's policies) could not be evaluated.
    CouldNotEvaluate,
}

impl FindingKind {
    /// Every kind.
    pub const ALL: [FindingKind; 7] = [
        FindingKind::UnexpectedAccess,
        FindingKind::MissingAccess,
        FindingKind::ConstraintViolated,
        FindingKind::PublicOrExternalAccess,
        FindingKind::NoOwner,
        FindingKind::TagMismatch,
        FindingKind::CouldNotEvaluate,
    ];

    /// Reads a kind's word.
    pub fn parse(word: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// The kind's word in findings and notices.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::UnexpectedAccess => "unexpected-access",
            FindingKind::MissingAccess => "missing-access",
            FindingKind::ConstraintViolated => "constraint-violated",
            FindingKind::PublicOrExternalAccess => "public-or-external-access",
            FindingKind::NoOwner => "no-owner",
            FindingKind::TagMismatch => "tag-mismatch",
            FindingKind::CouldNotEvaluate => "could-not-evaluate",
        }
    }
}

/// How urgent a finding is, from the documented table in `severity.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Fix soon.
    Medium,
    /// Fix now.
    High,
    /// Data exposed beyond the Organization or to anyone.
    Critical,
}

impl Severity {
    /// Reads a severity's word.
    pub fn parse(word: &str) -> Option<Severity> {
        [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.as_str() == word)
    }

    /// The word.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A statement that grants the access a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GrantRef {
    /// Policy label (`inline:role/Name`, `managed:<arn>`, `resource`).
    pub policy: String,
    /// Sid or 1-based index.
    pub statement: String,
}

/// The owner word of a resource that neither a tag nor the desired state assigns, unless
/// the deployment names a fallback team (`FALLBACK_OWNER`, the controller's
/// `Settings::fallback_owner`). The one spelling: the findings table, the notices' `owner`
/// attribute, the HTML report and `findings list --owner` all use it.
pub const UNOWNED: &str = "unowned";

/// One difference between actual and desired access.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable id: a hash of account, resource, principal, capability and kind, so the
    /// same drift gets the same id on every run.
    pub id: String,
    /// What kind of drift.
    pub kind: FindingKind,
    /// How urgent.
    pub severity: Severity,
    /// The account of the resource.
    pub account: String,
    /// The resource ARN.
    pub resource: String,
    /// The owning team (tag, else desired state), if known.
    pub owner: Option<String>,
    /// The resource's classification, if known.
    pub classification: Option<String>,
    /// The principal concerned, when there is one.
    pub principal: Option<String>,
    /// The capability concerned, when there is one.
    pub capability: Option<Capability>,
    /// Allowed or Conditional, for access findings.
    pub access: Option<Access>,
    /// The statements that grant the access.
    pub grants: Vec<GrantRef>,
    /// One sentence for people: what is wrong.
    pub summary: String,
    /// How to fix it or accept it: the exact command or desired-state line.
    pub remedy: String,
}

impl Finding {
    /// The finding as JSON (the shape `drift --json`, notices and the findings table share).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "kind": self.kind.as_str(),
            "severity": self.severity.as_str(),
            "account": self.account,
            "resource": self.resource,
            "owner": self.owner,
            "classification": self.classification,
            "principal": self.principal,
            "capability": self.capability.map(|c| c.as_str()),
            "access": self.access.map(|a| a.as_str()),
            "grants": self
                .grants
                .iter()
                .map(|g| serde_json::json!({"policy": g.policy, "statement": g.statement}))
                .collect::<Vec<_>>(),
            "summary": self.summary,
            "remedy": self.remedy,
        })
    }
}
