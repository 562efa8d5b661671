//! The controller's vocabulary for what differs (findings) and how bad it is
//! (severity); what a team intends is `accessdrift_desired`'s. Pure data; the logic
//! lives in sibling modules and the AWS adapters store and send these.

use accessdrift_access::Access;
use accessdrift_capabilities::Capability;

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
    /// The order people read findings in (`scan`, `report`): worst first, then by
    /// resource, principal, capability and id, so the same findings print the same way.
    pub fn worst_first(a: &Finding, b: &Finding) -> std::cmp::Ordering {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.resource.cmp(&b.resource))
            .then_with(|| a.principal.cmp(&b.principal))
            .then_with(|| a.capability.cmp(&b.capability))
            .then_with(|| a.id.cmp(&b.id))
    }

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
