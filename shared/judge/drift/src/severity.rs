//! How urgent a finding is: a fixed table a reader can check by hand.
//!
//! What it is for: giving every finding a [`Severity`] that a team can predict from the
//! finding alone (its kind, its capability, the resource's classification and who holds
//! the access), so that "why is this critical?" is answered by reading this page. What
//! it is not: a risk score; it knows nothing about the actions behind a capability or
//! the conditions on a grant (a `Conditional` row is rated like an `Allowed` one, and the
//! notice says it is conditional).
//!
//! Key design choice: two steps, both tables. First the *base* severity from kind,
//! capability class and classification; then a *floor* from the audience (who holds
//! the access). The result is the higher of the two.
//!
//! # Classification
//!
//! The classification word (from the resource's tag, else the desired state) is read
//! case-insensitively:
//!
//! | word | column |
//! |---|---|
//! | `confidential`, `restricted`, `secret`, `sensitive` | Confidential |
//! | `public`, or no classification at all | Public or unset |
//! | any other word (`internal`, `private`, ...) | Internal |
//!
//! An unknown word is read as Internal, not Public: a team that wrote a word meant
//! *something* other than "anyone may see it".
//!
//! # Capability classes
//!
//! | class | capabilities |
//! |---|---|
//! | data | `read-data`, `write-data`, `delete-data` |
//! | control | `administer-resource`, `use-resource` (use of a role or a key can escalate: assume the role, decrypt with the key) |
//! | config | `read-config`, `list-data` (object keys without their contents: a lesser read, issue 18) |
//!
//! A finding about access with no capability (never produced by the drift module) is
//! rated as data, the worst case.
//!
//! # Base severity
//!
//! | kind | class | Confidential | Internal | Public or unset |
//! |---|---|---|---|---|
//! | unexpected-access | data | high | medium | low |
//! | unexpected-access | control | high | medium | medium |
//! | unexpected-access | config | medium | low | low |
//! | constraint-violated | data | high | high | medium |
//! | constraint-violated | control | high | high | medium |
//! | constraint-violated | config | medium | medium | low |
//! | public-or-external-access | data | high | medium | low |
//! | public-or-external-access | control | high | medium | medium |
//! | public-or-external-access | config | medium | low | low |
//! | missing-access | data or control | medium | medium | medium |
//! | missing-access | config | low | low | low |
//! | no-owner | - | medium | low | low |
//! | tag-mismatch | - | medium | medium | medium |
//! | could-not-evaluate | - | high | medium | medium |
//!
//! (public-or-external-access always has an external or public audience, so the floor
//! below decides most of its ratings; the base rows are there for completeness.)
//!
//! # Audience floor (access kinds only)
//!
//! Applies to unexpected-access, constraint-violated and public-or-external-access; the
//! other kinds are not about who holds access and keep their base severity.
//!
//! | audience | data | control | config |
//! |---|---|---|---|
//! | same account (and AWS services) | - | - | - |
//! | another account in the Organization (cross-account) | - | - | - |
//! | external (outside the Organization) | critical on Confidential, else high | high | medium |
//! | public (`*`, anyone) | critical on Confidential or Internal, else high | critical on Confidential or Internal, else high | medium |
//!
//! Worked examples (each is a unit test below):
//! - a same-account role gains `write-data` on a Confidential bucket: high;
//! - the same on an Internal bucket: medium; on an unclassified bucket: low;
//! - anyone (`*`) can `read-data` on a Confidential bucket: critical;
//! - an account outside the Organization can `read-data` on an unclassified bucket: high;
//! - another account in the Organization can `read-data` on an Internal bucket: medium;
//! - a role can `use-resource` (assume) an unclassified role it should not: medium;
//! - an intended `read-data` grant stopped working: medium;
//! - a Confidential table without an owner tag: medium.

use accessdrift_capabilities::Capability;

use crate::model::{FindingKind, Severity};

/// Who holds the access a finding is about, relative to the resource's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    /// A principal of the resource's own account (or an AWS service principal).
    SameAccount,
    /// A principal of another account in the same AWS Organization.
    CrossAccountInOrg,
    /// A principal of an account outside the Organization.
    External,
    /// Anyone (`*`), anonymous callers included.
    Public,
}

impl Audience {
    /// The words used in findings and notices.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::SameAccount => "same account",
            Audience::CrossAccountInOrg => "cross-account, in the Organization",
            Audience::External => "external, outside the Organization",
            Audience::Public => "public",
        }
    }
}

/// The classification columns of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sensitivity {
    /// `Public`, or no classification.
    PublicOrUnset,
    /// `Internal`, or a word the table does not know.
    Internal,
    /// `Confidential` (or `restricted`, `secret`, `sensitive`).
    Confidential,
}

impl Sensitivity {
    /// Reads a classification word (case-insensitive; see the module table).
    pub fn of(classification: Option<&str>) -> Sensitivity {
        let Some(word) = classification.map(str::trim).filter(|w| !w.is_empty()) else {
            return Sensitivity::PublicOrUnset;
        };
        let word = word.to_ascii_lowercase();
        match word.as_str() {
            "confidential" | "restricted" | "secret" | "sensitive" => Sensitivity::Confidential,
            "public" => Sensitivity::PublicOrUnset,
            _ => Sensitivity::Internal,
        }
    }
}

/// The capability classes of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Data,
    Control,
    Config,
}

fn class(capability: Option<Capability>) -> Class {
    match capability {
        Some(Capability::ReadConfig | Capability::ListData) => Class::Config,
        Some(Capability::AdministerResource | Capability::UseResource) => Class::Control,
        Some(Capability::ReadData | Capability::WriteData | Capability::DeleteData) | None => {
            Class::Data
        }
    }
}

/// The severity of a finding, from the module's tables: the base severity for `kind`,
/// the capability's class and the classification, raised to the audience's floor for
/// the access kinds.
pub fn severity(
    kind: FindingKind,
    capability: Option<Capability>,
    classification: Option<&str>,
    audience: Audience,
) -> Severity {
    use Severity::{Critical, High, Low, Medium};
    let sensitivity = Sensitivity::of(classification);
    let class = class(capability);
    // Columns: [Confidential, Internal, PublicOrUnset].
    let column = match sensitivity {
        Sensitivity::Confidential => 0,
        Sensitivity::Internal => 1,
        Sensitivity::PublicOrUnset => 2,
    };
    let row: [Severity; 3] = match (kind, class) {
        (FindingKind::UnexpectedAccess | FindingKind::PublicOrExternalAccess, Class::Data) => {
            [High, Medium, Low]
        }
        (FindingKind::UnexpectedAccess | FindingKind::PublicOrExternalAccess, Class::Control) => {
            [High, Medium, Medium]
        }
        (FindingKind::UnexpectedAccess | FindingKind::PublicOrExternalAccess, Class::Config) => {
            [Medium, Low, Low]
        }
        (FindingKind::ConstraintViolated, Class::Data | Class::Control) => [High, High, Medium],
        (FindingKind::ConstraintViolated, Class::Config) => [Medium, Medium, Low],
        (FindingKind::MissingAccess, Class::Data | Class::Control) => [Medium, Medium, Medium],
        (FindingKind::MissingAccess, Class::Config) => [Low, Low, Low],
        (FindingKind::NoOwner, _) => [Medium, Low, Low],
        (FindingKind::TagMismatch, _) => [Medium, Medium, Medium],
        (FindingKind::CouldNotEvaluate, _) => [High, Medium, Medium],
    };
    let base = row[column];
    let about_access = matches!(
        kind,
        FindingKind::UnexpectedAccess
            | FindingKind::ConstraintViolated
            | FindingKind::PublicOrExternalAccess
    );
    if !about_access {
        return base;
    }
    let floor = match (audience, class) {
        (Audience::SameAccount | Audience::CrossAccountInOrg, _) => Low,
        (_, Class::Config) => Medium,
        (Audience::External, Class::Data) => {
            if sensitivity == Sensitivity::Confidential {
                Critical
            } else {
                High
            }
        }
        (Audience::External, Class::Control) => High,
        (Audience::Public, Class::Data | Class::Control) => {
            if sensitivity == Sensitivity::PublicOrUnset {
                High
            } else {
                Critical
            }
        }
    };
    base.max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Audience::{CrossAccountInOrg, External, Public, SameAccount};
    use Capability::{AdministerResource, ReadConfig, ReadData, UseResource, WriteData};
    use FindingKind::*;

    #[test]
    fn worked_examples_from_the_module_docs() {
        let s = |kind, cap, class, aud| severity(kind, Some(cap), class, aud);
        assert_eq!(
            s(
                UnexpectedAccess,
                WriteData,
                Some("Confidential"),
                SameAccount
            ),
            Severity::High
        );
        assert_eq!(
            s(UnexpectedAccess, WriteData, Some("Internal"), SameAccount),
            Severity::Medium
        );
        assert_eq!(
            s(UnexpectedAccess, WriteData, None, SameAccount),
            Severity::Low
        );
        assert_eq!(
            s(
                PublicOrExternalAccess,
                ReadData,
                Some("Confidential"),
                Public
            ),
            Severity::Critical
        );
        assert_eq!(
            s(PublicOrExternalAccess, ReadData, None, External),
            Severity::High
        );
        assert_eq!(
            s(
                UnexpectedAccess,
                ReadData,
                Some("Internal"),
                CrossAccountInOrg
            ),
            Severity::Medium
        );
        assert_eq!(
            s(UnexpectedAccess, UseResource, None, SameAccount),
            Severity::Medium
        );
        assert_eq!(
            s(MissingAccess, ReadData, Some("Confidential"), SameAccount),
            Severity::Medium
        );
        assert_eq!(
            severity(NoOwner, None, Some("Confidential"), SameAccount),
            Severity::Medium
        );
    }

    #[test]
    fn public_and_external_floors() {
        // Data: external is at least high, critical on Confidential.
        assert_eq!(
            severity(UnexpectedAccess, Some(ReadData), Some("Internal"), External),
            Severity::High
        );
        assert_eq!(
            severity(
                UnexpectedAccess,
                Some(ReadData),
                Some("Confidential"),
                External
            ),
            Severity::Critical
        );
        // Public data: critical unless the data is public.
        assert_eq!(
            severity(
                PublicOrExternalAccess,
                Some(WriteData),
                Some("internal"),
                Public
            ),
            Severity::Critical
        );
        assert_eq!(
            severity(
                PublicOrExternalAccess,
                Some(ReadData),
                Some("Public"),
                Public
            ),
            Severity::High
        );
        // Control.
        assert_eq!(
            severity(
                PublicOrExternalAccess,
                Some(AdministerResource),
                None,
                External
            ),
            Severity::High
        );
        assert_eq!(
            severity(
                PublicOrExternalAccess,
                Some(UseResource),
                Some("Confidential"),
                Public
            ),
            Severity::Critical
        );
        // Config: at least medium beyond the Organization.
        assert_eq!(
            severity(PublicOrExternalAccess, Some(ReadConfig), None, Public),
            Severity::Medium
        );
        assert_eq!(
            severity(UnexpectedAccess, Some(ReadConfig), None, CrossAccountInOrg),
            Severity::Low
        );
    }

    #[test]
    fn audience_does_not_move_kinds_that_are_not_about_held_access() {
        for audience in [SameAccount, CrossAccountInOrg, External, Public] {
            assert_eq!(
                severity(MissingAccess, Some(ReadData), None, audience),
                Severity::Medium
            );
            assert_eq!(
                severity(TagMismatch, None, None, audience),
                Severity::Medium
            );
            assert_eq!(
                severity(CouldNotEvaluate, None, Some("Confidential"), audience),
                Severity::High
            );
        }
    }

    #[test]
    fn constraint_violations_rank_above_plain_unexpected_access() {
        assert_eq!(
            severity(
                ConstraintViolated,
                Some(ReadData),
                Some("Internal"),
                SameAccount
            ),
            Severity::High
        );
        assert_eq!(
            severity(ConstraintViolated, Some(ReadConfig), None, SameAccount),
            Severity::Low
        );
    }

    #[test]
    fn classification_words() {
        assert_eq!(
            Sensitivity::of(Some(" CONFIDENTIAL ")),
            Sensitivity::Confidential
        );
        assert_eq!(
            Sensitivity::of(Some("restricted")),
            Sensitivity::Confidential
        );
        assert_eq!(Sensitivity::of(Some("Public")), Sensitivity::PublicOrUnset);
        assert_eq!(Sensitivity::of(Some("")), Sensitivity::PublicOrUnset);
        assert_eq!(Sensitivity::of(None), Sensitivity::PublicOrUnset);
        assert_eq!(Sensitivity::of(Some("team-only")), Sensitivity::Internal);
    }

    #[test]
    fn no_capability_is_rated_as_data() {
        assert_eq!(
            severity(UnexpectedAccess, None, Some("Confidential"), Public),
            Severity::Critical
        );
    }
}
