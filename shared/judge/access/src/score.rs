//! The least-privilege score: how much access a principal holds, in points. Lower is
//! better; zero means the principal can reach nothing this snapshot covers.
//!
//! The formula, so a team can predict how a change moves its score:
//!
//! ```text
//! score(principal) = sum over its rows of  base(capability) x data x confidential x sensitive x certainty
//!   base:          administer-resource 3, write-data 2, delete-data 2, read-data 2,
//!                  use-resource 2, read-config 1, list-data 1
//!   data:          x3 for read-data, list-data, write-data and delete-data
//!   confidential:  x2 when the resource is tagged Confidential (the classification tag)
//!   sensitive:     x3 for administer-resource on an IAM role, user, group, customer
//!                  managed policy or a KMS key (it lets the principal grant itself or
//!                  others more)
//!   certainty:     x1 for Allowed, x0.5 for Conditional
//! ```
//! Example: read-data on one Confidential bucket, Allowed: 2 x 3 x 2 = 12 points;
//! removing that grant lowers the score by exactly 12.

use std::collections::BTreeMap;

use accessdrift_capabilities::Capability;

use crate::engine::{Access, Row};

/// Tag keys read as the data classification, in order (first present wins).
pub const CLASSIFICATION_TAG_KEYS: [&str; 3] =
    ["classification", "confidentiality", "data-classification"];

/// Points for one row.
pub fn row_points(row: &Row, resource_type: &str, confidential: bool) -> f64 {
    let base = match row.capability {
        Capability::AdministerResource => 3.0,
        // Listing keys is a lesser read than reading them (issue 18).
        Capability::ReadConfig | Capability::ListData => 1.0,
        Capability::ReadData
        | Capability::WriteData
        | Capability::DeleteData
        | Capability::UseResource => 2.0,
    };
    let data = if row.capability.is_data() { 3.0 } else { 1.0 };
    let conf = if confidential { 2.0 } else { 1.0 };
    let sensitive = if row.capability == Capability::AdministerResource
        && matches!(
            resource_type,
            "AWS::IAM::Role"
                | "AWS::IAM::User"
                | "AWS::IAM::Group"
                | "AWS::IAM::ManagedPolicy"
                | "AWS::KMS::Key"
        ) {
        3.0
    } else {
        1.0
    };
    let certainty = match row.access {
        Access::Allowed => 1.0,
        Access::Conditional => 0.5,
    };
    base * data * conf * sensitive * certainty
}

/// Whether the tags mark the resource Confidential.
pub fn is_confidential(tags: &BTreeMap<String, String>) -> bool {
    tags.iter().any(|(k, v)| {
        CLASSIFICATION_TAG_KEYS
            .iter()
            .any(|c| k.eq_ignore_ascii_case(c))
            && v.eq_ignore_ascii_case("confidential")
    })
}

/// A principal's score with its breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// The principal.
    pub principal: String,
    /// Total points.
    pub points: f64,
    /// Rows counted.
    pub rows: usize,
    /// Points per capability.
    pub by_capability: BTreeMap<Capability, f64>,
}

/// Accumulates scores from rows as they stream past.
#[derive(Debug, Default)]
pub struct Scorer {
    scores: BTreeMap<String, Score>,
}

impl Scorer {
    /// Adds one row.
    pub fn add(&mut self, row: &Row, resource_type: &str, confidential: bool) {
        let points = row_points(row, resource_type, confidential);
        let s = self
            .scores
            .entry(row.principal.to_string())
            .or_insert_with(|| Score {
                principal: row.principal.to_string(),
                points: 0.0,
                rows: 0,
                by_capability: BTreeMap::new(),
            });
        s.points += points;
        s.rows += 1;
        *s.by_capability.entry(row.capability).or_insert(0.0) += points;
    }

    /// Makes sure a principal appears even with no rows (score 0).
    pub fn touch(&mut self, principal: &str) {
        self.scores
            .entry(principal.to_string())
            .or_insert_with(|| Score {
                principal: principal.to_string(),
                points: 0.0,
                rows: 0,
                by_capability: BTreeMap::new(),
            });
    }

    /// Scores sorted lowest first (ties by principal).
    pub fn finish(self) -> Vec<Score> {
        let mut v: Vec<Score> = self.scores.into_values().collect();
        v.sort_by(|a, b| {
            a.points
                .total_cmp(&b.points)
                .then_with(|| a.principal.cmp(&b.principal))
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cap: Capability, access: Access) -> Row {
        Row {
            principal: "p".into(),
            resource: "r".into(),
            capability: cap,
            access,
            conditions: None,
            actions: Vec::new().into(),
            grants: Vec::new().into(),
            requires: vec![],
            keys: None,
        }
    }

    #[test]
    fn documented_example_holds() {
        assert_eq!(
            row_points(
                &row(Capability::ReadData, Access::Allowed),
                "AWS::S3::Bucket",
                true
            ),
            12.0
        );
        assert_eq!(
            row_points(
                &row(Capability::ReadConfig, Access::Conditional),
                "AWS::S3::Bucket",
                false
            ),
            0.5
        );
        assert_eq!(
            row_points(
                &row(Capability::AdministerResource, Access::Allowed),
                "AWS::KMS::Key",
                false
            ),
            9.0
        );
    }

    #[test]
    fn lowest_score_first() {
        let mut s = Scorer::default();
        s.add(
            &Row {
                principal: "b".into(),
                ..row(Capability::ReadData, Access::Allowed)
            },
            "AWS::S3::Bucket",
            false,
        );
        s.add(
            &Row {
                principal: "a".into(),
                ..row(Capability::ReadConfig, Access::Allowed)
            },
            "AWS::S3::Bucket",
            false,
        );
        s.touch("c");
        let out = s.finish();
        assert_eq!(
            out.iter().map(|x| x.principal.as_str()).collect::<Vec<_>>(),
            ["c", "a", "b"]
        );
    }
}
