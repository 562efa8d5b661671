//! Does a statement's `Action`/`NotAction` cover the request's action?
//!
//! Action names are case-insensitive (AWS IAM User Guide, "IAM JSON policy elements:
//! Action"): the service prefix compares ignoring ASCII case and the name by a
//! case-insensitive glob, with no allocation. `NotAction` matches every
//! action not listed, of every service (checklist item 12).

use accessdrift_policy::{ActionBlock, ActionPatternKind};

use crate::glob::matches_ignore_case;

/// The request's action, lowercased and split once.
#[derive(Debug, Clone)]
pub struct RequestAction {
    lower: String,
    colon: Option<usize>,
}

impl RequestAction {
    /// Decodes `service:Name`.
    pub fn new(action: &str) -> RequestAction {
        let lower = action.to_ascii_lowercase();
        let colon = lower.find(':');
        RequestAction { lower, colon }
    }

    /// The service prefix, lowercase (`s3`); empty when the action has no prefix.
    pub fn service(&self) -> &str {
        self.colon.map_or("", |i| &self.lower[..i])
    }

    /// The action name, lowercase (`getobject`).
    pub fn name(&self) -> &str {
        self.colon.map_or(&self.lower[..], |i| &self.lower[i + 1..])
    }

    /// `service:name`, lowercase.
    pub fn full_lower(&self) -> &str {
        &self.lower
    }
}

/// Whether the block applies to the action.
pub fn action_block_matches(block: &ActionBlock, action: &RequestAction) -> bool {
    let hit = block.patterns.iter().any(|p| match &p.kind {
        ActionPatternKind::All => true,
        ActionPatternKind::Service { colon } => {
            action.colon.is_some()
                && p.raw[..*colon].eq_ignore_ascii_case(action.service())
                && matches_ignore_case(&p.raw[colon + 1..], action.name())
        }
        ActionPatternKind::Malformed => false,
    });
    hit != block.negated
}

#[cfg(test)]
mod tests {
    use super::*;
    use accessdrift_policy::parse_action_pattern;

    fn block(patterns: &[&str], negated: bool) -> ActionBlock {
        ActionBlock {
            negated,
            patterns: patterns
                .iter()
                .map(|p| parse_action_pattern(p.to_string()))
                .collect(),
        }
    }

    #[test]
    fn actions_match_case_insensitively_with_wildcards() {
        let a = RequestAction::new("S3:GetObject");
        assert!(action_block_matches(&block(&["s3:get*"], false), &a));
        assert!(action_block_matches(&block(&["S3:GETOBJECT"], false), &a));
        assert!(action_block_matches(&block(&["s3:GetObjec?"], false), &a));
        assert!(!action_block_matches(&block(&["s3:Put*"], false), &a));
        assert!(!action_block_matches(&block(&["s3*:GetObject"], false), &a));
    }

    #[test]
    fn not_action_covers_other_services_and_malformed_entries_match_nothing() {
        let a = RequestAction::new("ec2:RunInstances");
        assert!(action_block_matches(&block(&["iam:*"], true), &a));
        assert!(!action_block_matches(&block(&["ec2:*"], true), &a));
        assert!(action_block_matches(
            &block(&["ec2 :RunInstances"], true),
            &a
        ));
    }
}
