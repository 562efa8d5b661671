//! Reading and checking the embedded classification files (`data/*.toml`).
//!
//! What it is for: turning one reviewed TOML file per resource kind into the sorted
//! tables the public API serves, and reporting — never panicking on — anything in a
//! file that is malformed or contradicts itself (unknown capability words, a second
//! capability without a `why`, a target the engine has no ARN for, an action listed
//! twice). Checks that need AWS's action catalog (does the action exist, is the target
//! one of its resource types, is every catalog action covered) are not made here: the
//! data and the catalog are both pinned, so the crate's tests make them once instead
//! of every process at start-up.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::Deserialize;

use crate::types::{Capability, ResourceKind};
use crate::{ClassifiedAction, ExcludedGroup};

/// One data file as written (field names are the file's keys).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub(crate) kind: String,
    pub(crate) services: Vec<String>,
    #[serde(default)]
    pub(crate) action: Vec<RawAction>,
    #[serde(default)]
    pub(crate) not_about_resource: Vec<RawGroup>,
}

/// One `action = [ { ... } ]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAction {
    pub(crate) name: String,
    pub(crate) capabilities: Vec<String>,
    pub(crate) target: String,
    #[serde(default)]
    pub(crate) also_targets: Vec<String>,
    pub(crate) why: Option<String>,
    /// The only resources of the kind the action can act on (`service-linked-role`).
    pub(crate) only_on: Option<String>,
}

/// One `[[not_about_resource]]` group as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGroup {
    pub(crate) reason: String,
    pub(crate) actions: Vec<String>,
}

/// A problem found in a data file. Messages are lowercase and put file content in
/// backticks, so that a reviewer can find the line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DataError {
    #[error("`{file}`: not valid: {message}")]
    Syntax { file: &'static str, message: String },
    #[error("`{file}`: `kind` is `{found}`, expected `{expected}`")]
    WrongKind {
        file: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error("`{file}`: `services` is empty")]
    NoServices { file: &'static str },
    #[error("`{file}`: `{action}` is not a `service:Action` name of a service the file lists")]
    BadName { file: &'static str, action: String },
    #[error("`{file}`: `{action}` has no capabilities")]
    NoCapabilities { file: &'static str, action: String },
    #[error("`{file}`: `{action}`: unknown capability `{word}`")]
    UnknownCapability {
        file: &'static str,
        action: String,
        word: String,
    },
    #[error("`{file}`: `{action}`: capability `{word}` is listed twice")]
    RepeatedCapability {
        file: &'static str,
        action: String,
        word: String,
    },
    #[error("`{file}`: `{action}` has {count} capabilities but no `why`")]
    MissingWhy {
        file: &'static str,
        action: String,
        count: usize,
    },
    #[error("`{file}`: `{action}`: `why` is empty")]
    EmptyWhy { file: &'static str, action: String },
    #[error("`{file}`: `{action}`: target `{target}` is not one this kind has a request ARN for")]
    UnknownTarget {
        file: &'static str,
        action: String,
        target: String,
    },
    #[error("`{file}`: `{action}`: `only_on` is `{found}`, not one of: service-linked-role")]
    UnknownOnlyOn {
        file: &'static str,
        action: String,
        found: String,
    },
    #[error("`{file}`: `{action}`: `also_targets` repeats `{target}`")]
    RepeatedTarget {
        file: &'static str,
        action: String,
        target: String,
    },
    #[error("`{file}`: `{action}` is classified twice")]
    DuplicateAction { file: &'static str, action: String },
    #[error("`{file}`: `{action}` is listed twice under `not_about_resource`")]
    DuplicateExclusion { file: &'static str, action: String },
    #[error("`{file}`: `{action}` is both classified and listed under `not_about_resource`")]
    ClassifiedAndExcluded { file: &'static str, action: String },
    #[error("`{file}`: a `not_about_resource` group has no reason")]
    NoReason { file: &'static str },
    #[error("`{file}`: the `not_about_resource` group `{reason}` lists no actions")]
    EmptyGroup { file: &'static str, reason: String },
}

/// Everything known about one resource kind.
#[derive(Debug, Default)]
pub(crate) struct KindTable {
    pub(crate) services: Vec<String>,
    /// INVARIANT: sorted by [`cmp_ci`] on `action`, no two equal under it.
    pub(crate) actions: Vec<ClassifiedAction>,
    pub(crate) excluded: Vec<ExcludedGroup>,
    /// (action, index into `excluded`). INVARIANT: sorted by [`cmp_ci`], unique.
    pub(crate) excluded_index: Vec<(String, usize)>,
}

/// ASCII case-insensitive ordering, the order of the tables and of the catalog.
pub(crate) fn cmp_ci(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Parses one file's text (syntax only).
pub(crate) fn parse(file: &'static str, text: &str) -> Result<RawFile, DataError> {
    toml::from_str(text).map_err(|e| DataError::Syntax {
        file,
        message: e.to_string().trim_end().replace('\n', " | "),
    })
}

/// Reads one file into a table, recording every problem in `errors`. Entries with a
/// problem that makes them unusable (bad name, no known capability, unknown target, a
/// repeat) are left out; the rest of the file is still used.
pub(crate) fn load(
    kind: ResourceKind,
    file: &'static str,
    text: &str,
    errors: &mut Vec<DataError>,
) -> KindTable {
    let raw = match parse(file, text) {
        Ok(raw) => raw,
        Err(e) => {
            errors.push(e);
            return KindTable::default();
        }
    };
    if raw.kind != kind.type_name() {
        errors.push(DataError::WrongKind {
            file,
            found: raw.kind.clone(),
            expected: kind.type_name(),
        });
    }
    if raw.services.is_empty() {
        errors.push(DataError::NoServices { file });
    }
    let well_formed = |name: &str| {
        name.split_once(':').is_some_and(|(service, action)| {
            raw.services.iter().any(|s| s == service)
                && !action.is_empty()
                && action.bytes().all(|c| c.is_ascii_alphanumeric())
        })
    };

    let mut actions: Vec<ClassifiedAction> = Vec::with_capacity(raw.action.len());
    for a in &raw.action {
        if !well_formed(&a.name) {
            errors.push(DataError::BadName {
                file,
                action: a.name.clone(),
            });
            continue;
        }
        let mut capabilities = Vec::with_capacity(a.capabilities.len());
        for word in &a.capabilities {
            match Capability::parse(word) {
                Some(c) if capabilities.contains(&c) => {
                    errors.push(DataError::RepeatedCapability {
                        file,
                        action: a.name.clone(),
                        word: word.clone(),
                    })
                }
                Some(c) => capabilities.push(c),
                None => errors.push(DataError::UnknownCapability {
                    file,
                    action: a.name.clone(),
                    word: word.clone(),
                }),
            }
        }
        if capabilities.is_empty() {
            if a.capabilities.is_empty() {
                errors.push(DataError::NoCapabilities {
                    file,
                    action: a.name.clone(),
                });
            }
            continue;
        }
        let why = a.why.as_deref().map(str::trim);
        match why {
            Some("") => errors.push(DataError::EmptyWhy {
                file,
                action: a.name.clone(),
            }),
            None if a.capabilities.len() > 1 => errors.push(DataError::MissingWhy {
                file,
                action: a.name.clone(),
                count: a.capabilities.len(),
            }),
            _ => {}
        }
        let mut usable = true;
        for t in std::iter::once(&a.target).chain(&a.also_targets) {
            if !crate::known_targets(kind).contains(&t.as_str()) {
                errors.push(DataError::UnknownTarget {
                    file,
                    action: a.name.clone(),
                    target: t.clone(),
                });
                usable = false;
            }
        }
        let mut also_targets: Vec<String> = Vec::with_capacity(a.also_targets.len());
        for t in &a.also_targets {
            if *t == a.target || also_targets.contains(t) {
                errors.push(DataError::RepeatedTarget {
                    file,
                    action: a.name.clone(),
                    target: t.clone(),
                });
            } else {
                also_targets.push(t.clone());
            }
        }
        let only_on = match a.only_on.as_deref() {
            None => None,
            Some("service-linked-role") if kind == ResourceKind::IamRole => {
                Some(crate::OnlyOn::ServiceLinkedRole)
            }
            Some(found) => {
                errors.push(DataError::UnknownOnlyOn {
                    file,
                    action: a.name.clone(),
                    found: found.to_string(),
                });
                usable = false;
                None
            }
        };
        if !usable {
            continue;
        }
        actions.push(ClassifiedAction {
            only_on,
            action: a.name.clone(),
            capabilities,
            target: a.target.clone(),
            also_targets,
            why: why.filter(|w| !w.is_empty()).map(str::to_string),
        });
    }
    // Stable sort, so that of two entries for one action the first written is kept.
    actions.sort_by(|a, b| cmp_ci(&a.action, &b.action));
    actions.dedup_by(|later, kept| {
        let same = cmp_ci(&later.action, &kept.action).is_eq();
        if same {
            errors.push(DataError::DuplicateAction {
                file,
                action: later.action.clone(),
            });
        }
        same
    });

    let mut excluded = Vec::with_capacity(raw.not_about_resource.len());
    let mut first_group: HashMap<String, usize> = HashMap::new();
    for g in &raw.not_about_resource {
        let reason = g.reason.trim().to_string();
        if reason.is_empty() {
            errors.push(DataError::NoReason { file });
        }
        if g.actions.is_empty() {
            errors.push(DataError::EmptyGroup {
                file,
                reason: reason.clone(),
            });
        }
        let index = excluded.len();
        let mut kept = Vec::with_capacity(g.actions.len());
        for name in &g.actions {
            if !well_formed(name) {
                errors.push(DataError::BadName {
                    file,
                    action: name.clone(),
                });
                continue;
            }
            let key = name.to_ascii_lowercase();
            if first_group.contains_key(&key) {
                errors.push(DataError::DuplicateExclusion {
                    file,
                    action: name.clone(),
                });
                continue;
            }
            if actions
                .binary_search_by(|a| cmp_ci(&a.action, name))
                .is_ok()
            {
                errors.push(DataError::ClassifiedAndExcluded {
                    file,
                    action: name.clone(),
                });
                continue;
            }
            first_group.insert(key, index);
            kept.push(name.clone());
        }
        excluded.push(ExcludedGroup {
            reason,
            actions: kept,
        });
    }
    let mut excluded_index: Vec<(String, usize)> = excluded
        .iter()
        .enumerate()
        .flat_map(|(i, g)| g.actions.iter().map(move |a| (a.clone(), i)))
        .collect();
    excluded_index.sort_by(|a, b| cmp_ci(&a.0, &b.0));

    KindTable {
        services: raw.services,
        actions,
        excluded,
        excluded_index,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> (KindTable, Vec<String>) {
        let mut errors = Vec::new();
        let table = load(ResourceKind::SqsQueue, "test.toml", text, &mut errors);
        (table, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_file_that_is_not_toml_is_reported_not_panicked_on() {
        let (table, errors) = load_text("kind = [unclosed");
        assert!(table.actions.is_empty());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("`test.toml`: not valid"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_misspelt_key_is_reported() {
        let (_, errors) = load_text(
            r#"kind = "AWS::SQS::Queue"
services = ["sqs"]
action = [ { name = "sqs:SendMessage", capabilities = ["write-data"], targt = "queue" } ]
"#,
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn every_kind_of_entry_problem_is_reported_and_the_rest_is_kept() {
        let (table, errors) = load_text(
            r#"kind = "AWS::SQS::Topic"
services = ["sqs"]
action = [
  { name = "sqs:SendMessage", target = "queue", capabilities = ["write-data"] },
  { name = "sqs:SendMessage", target = "queue", capabilities = ["read-data"] },
  { name = "sns:Publish", target = "queue", capabilities = ["write-data"] },
  { name = "sqs:Get*", target = "queue", capabilities = ["read-config"] },
  { name = "sqs:PurgeQueue", target = "queue", capabilities = ["delete-data", "write-everything"] },
  { name = "sqs:DeleteQueue", target = "queue", capabilities = ["administer-resource", "delete-data"] },
  { name = "sqs:ReceiveMessage", target = "message", capabilities = ["read-data"] },
  { name = "sqs:TagQueue", target = "queue", capabilities = [] },
  { name = "sqs:UntagQueue", target = "queue", capabilities = ["administer-resource", "administer-resource"], why = " " },
]

[[not_about_resource]]
reason = ""
actions = ["sqs:ListQueues", "sqs:ListQueues", "sqs:SendMessage"]

[[not_about_resource]]
reason = "nothing"
actions = []
"#,
        );
        let expected = [
            "`test.toml`: `kind` is `AWS::SQS::Topic`, expected `AWS::SQS::Queue`",
            "`test.toml`: `sns:Publish` is not a `service:Action` name of a service the file lists",
            "`test.toml`: `sqs:Get*` is not a `service:Action` name of a service the file lists",
            "`test.toml`: `sqs:PurgeQueue`: unknown capability `write-everything`",
            "`test.toml`: `sqs:PurgeQueue` has 2 capabilities but no `why`",
            "`test.toml`: `sqs:DeleteQueue` has 2 capabilities but no `why`",
            "`test.toml`: `sqs:ReceiveMessage`: target `message` is not one this kind has a request ARN for",
            "`test.toml`: `sqs:TagQueue` has no capabilities",
            "`test.toml`: `sqs:UntagQueue`: capability `administer-resource` is listed twice",
            "`test.toml`: `sqs:UntagQueue`: `why` is empty",
            "`test.toml`: `sqs:SendMessage` is classified twice",
            "`test.toml`: a `not_about_resource` group has no reason",
            "`test.toml`: `sqs:ListQueues` is listed twice under `not_about_resource`",
            "`test.toml`: `sqs:SendMessage` is both classified and listed under `not_about_resource`",
            "`test.toml`: the `not_about_resource` group `nothing` lists no actions",
        ];
        assert_eq!(errors, expected);
        let kept: Vec<(&str, &[Capability])> = table
            .actions
            .iter()
            .map(|a| (a.action.as_str(), a.capabilities.as_slice()))
            .collect();
        assert_eq!(
            kept,
            [
                (
                    "sqs:DeleteQueue",
                    &[Capability::AdministerResource, Capability::DeleteData][..]
                ),
                ("sqs:PurgeQueue", &[Capability::DeleteData][..]),
                ("sqs:SendMessage", &[Capability::WriteData][..]),
                ("sqs:UntagQueue", &[Capability::AdministerResource][..]),
            ]
        );
        assert_eq!(table.excluded_index, [("sqs:ListQueues".to_string(), 0)]);
    }
}
