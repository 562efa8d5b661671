//! Desired state as a team writes it: a reviewable file kept with the team's code that
//! says who should hold which access capability on its resources, plus rules by
//! classification. This crate reads and checks that file (`desired import`), writes
//! it back (`desired export`), and drafts it from today's effective access
//! (`desired baseline`).
//!
//! What it is not for: storing the state or comparing it with effective access
//! (`accessdrift-aws` stores it, `accessdrift-drift` compares).
//!
//! Key design choice: a file is either accepted whole or rejected with *every* mistake
//! listed at once, each with its file, line and field path, so a rejected import
//! changes nothing and one round of fixes is enough. The YAML is read into a tree that
//! keeps every node's line and every duplicate key (see `tree`), which a generic YAML
//! value type would lose.
//!
//! # The file format (version 1)
//!
//! YAML; JSON is accepted too, since JSON is YAML. Abridged from
//! `examples/desired-state.yaml` (the credit-processor application):
//!
//! ```yaml
//! version: 1                       # required; the only version so far
//!
//! constraints:                     # optional: rules for every resource of a classification
//!   - classification: Confidential # required; compared case-insensitively
//!     max-principals:              # at most N principals may hold the capability
//!       read-data: 5
//!     no-external-access: true     # nobody outside the Organization may hold anything
//!     no-public-access: true       # nobody anonymous (`*`) may hold anything
//!
//! resources:                       # optional: intent per resource
//!   - arn: arn:aws:s3:::credit-applications   # required; an exact resource ARN
//!     owner: credit-team                      # optional; the owner tag wins if set
//!     classification: Confidential            # optional; the tag wins if set
//!     capabilities:                           # capability -> principals allowed to hold it
//!       administer-resource: [arn:aws:iam::111111111111:role/admin]
//!       read-data:
//!         - arn:aws:iam::111111111111:role/credit-processor
//!       write-data:
//!         - arn:aws:iam::111111111111:role/credit-processor
//!         - arn:aws:iam::*:role/ci                # `*` matches within one ARN part
//! ```
//!
//! - Top-level keys: `version`, `constraints`, `resources`; anything else is an error.
//! - A resource has `arn` (required), `owner`, `classification`, `capabilities`. The ARN
//!   is `arn:partition:service:region:account:resource`, exact (no `*`); each ARN may
//!   appear once in the file. The one exception is an S3 key scope,
//!   `arn:aws:s3:::bucket/AWSLogs/*`: IAM wildcards in the key part, declaring who may
//!   hold capabilities on those keys only (rows limited to keys are judged by it).
//! - Capability words: `administer-resource`, `read-config`, `read-data`, `list-data`,
//!   `write-data`, `delete-data`, `use-resource`. A capability not listed may be held by nobody;
//!   `read-data: []` says so explicitly. A single principal may be written without the
//!   list brackets.
//! - A principal is `*` (anyone), a 12-digit account id (that account's root), a
//!   service principal (`lambda.amazonaws.com`), or an IAM principal ARN (`root`,
//!   `role/...`, `user/...`, `assumed-role/...`, `federated-user/...`,
//!   `saml-provider/...`, `oidc-provider/...`). In an ARN, `*` matches any run of
//!   characters within its `:`-separated part (see [`principal_matches`]). A principal
//!   may appear once per capability.
//! - A constraint has `classification` and at least one rule: `max-principals` (a map
//!   from capability to a whole number, one rule per capability), `no-external-access`
//!   and `no-public-access` (`true` or `false`; `false` adds no rule). A rule may be
//!   given once per classification.
//!
//! Errors read `file:line: field: message`, the field being a path such as
//! `resources[2].capabilities.read-data[1]`:
//!
//! ```text
//! desired/credit.yaml:14: resources[0].capabilities.read-everything: unknown capability `read-everything` (expected one of: administer-resource, read-config, read-data, list-data, write-data, delete-data, use-resource)
//! ```

mod arn;
mod baseline;
mod export;
mod merge;
mod parse;
mod state;
mod tree;

use std::fmt;

pub use arn::principal_matches;
pub use baseline::{BaselineSelect, baseline};
pub use export::{normalized, to_yaml};
pub use merge::{Merged, Overlap, merge, overlaps};
pub use parse::parse_desired;
pub use state::{
    Constraint, ConstraintRule, DesiredResource, DesiredState, Location, MAX_OWNER_LEN,
    is_owner_word,
};

/// One mistake in a desired-state file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", display_error(self))]
pub struct DesiredError {
    /// The file as given to `parse_desired`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Where in the document: `resources[2].capabilities.read-data[1]`; empty for the
    /// document as a whole (a YAML syntax error, an empty file).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// `file:line: field: message`, or `file:line: message` without a field.
fn display_error(e: &DesiredError) -> String {
    if e.field.is_empty() {
        format!("{}:{}: {}", e.file, e.line, e.message)
    } else {
        format!("{}:{}: {}: {}", e.file, e.line, e.field, e.message)
    }
}

/// Every mistake found in a rejected desired-state file, sorted by line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DesiredErrors {
    /// The file as given to `parse_desired`.
    pub file: String,
    /// The mistakes; never empty.
    pub errors: Vec<DesiredError>,
}

impl fmt::Display for DesiredErrors {
    /// A header line with the count, then one mistake per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "desired state `{}` rejected: {n} {}",
            self.file,
            if n == 1 { "error" } else { "errors" }
        )?;
        for e in &self.errors {
            write!(f, "\n{e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in this crate's documentation is a valid file.
    #[test]
    fn documented_example_parses() {
        let source = include_str!("lib.rs");
        let yaml: String = source
            .lines()
            .skip_while(|l| *l != "//! ```yaml")
            .skip(1)
            .take_while(|l| *l != "//! ```")
            .map(|l| {
                format!(
                    "{}\n",
                    l.strip_prefix("//!")
                        .unwrap_or(l)
                        .strip_prefix(' ')
                        .unwrap_or("")
                )
            })
            .collect();
        assert!(yaml.contains("version: 1"), "{yaml}");
        let state = parse_desired(&yaml, "doc").unwrap();
        assert_eq!(state.resources.len(), 1);
        assert_eq!(state.constraints.len(), 3);
        let write =
            &state.resources[0].capabilities[&accessdrift_capabilities::Capability::WriteData];
        assert_eq!(write[1], "arn:aws:iam::*:role/ci");
        assert_eq!(state.resources[0].location.line, 11);
    }

    #[test]
    fn errors_display_one_per_line() {
        let errors = DesiredErrors {
            file: "d.yaml".into(),
            errors: vec![
                DesiredError {
                    file: "d.yaml".into(),
                    line: 1,
                    field: String::new(),
                    message: "invalid YAML: x".into(),
                },
                DesiredError {
                    file: "d.yaml".into(),
                    line: 4,
                    field: "resources[0].arn".into(),
                    message: "missing `arn`".into(),
                },
            ],
        };
        assert_eq!(
            errors.to_string(),
            "desired state `d.yaml` rejected: 2 errors\n\
             d.yaml:1: invalid YAML: x\n\
             d.yaml:4: resources[0].arn: missing `arn`"
        );
    }
}
