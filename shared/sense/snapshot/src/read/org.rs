//! The small optional parts of a snapshot: `accountSettings` and `organization`.
//!
//! They are a few kilobytes at most, so they are read from a `serde_json::Value` with
//! precise problems rather than through typed serde shapes.
//!
//! Accepted: `accountSettings.s3BlockPublicAccess` as the four flags, or wrapped as
//! `s3control get-public-access-block` prints them (`PublicAccessBlockConfiguration`);
//! an absent flag is `false`, as in AWS. In `organization`, each SCP/RCP entry is either
//! `{"name": ..., "document": ...}` or a bare policy document (object or JSON/URL-encoded
//! text); it is labelled `scp:<level>/<name>`, or with its 1-based position when it has
//! no name. A policy that cannot be read is left out with a [`Problem`](crate::Problem) at its JSON path
//! (`organization.scp[0].policies[1]`): it concerns every principal of the account.

use std::sync::Arc;

use accessdrift_policy::parse_policy_value;
use serde_json::{Map, Value};

use super::{Problems, json_type};
use crate::document::BlockPublicAccess;
use crate::model::{AccountSettings, NamedPolicy, OrgLevel, Organization};

/// Reads `accountSettings`.
pub(crate) fn read_account_settings(
    value: Option<Value>,
    problems: &mut Problems,
) -> AccountSettings {
    let mut settings = AccountSettings::default();
    let Some(value) = value else {
        return settings;
    };
    let Value::Object(map) = value else {
        problems.push(
            "accountSettings",
            format!(
                "must be an object, not {}; it is ignored",
                json_type(&value)
            ),
        );
        return settings;
    };
    let Some(block) = map.get("s3BlockPublicAccess").filter(|v| !v.is_null()) else {
        return settings;
    };
    let path = "accountSettings.s3BlockPublicAccess";
    let flags = match block
        .get("PublicAccessBlockConfiguration")
        .filter(|v| v.is_object())
    {
        Some(inner) => inner,
        None => block,
    };
    let Value::Object(flags) = flags else {
        problems.push(
            path,
            format!(
                "must be an object of the four flags, not {}; account-level block public access is taken as off",
                json_type(flags)
            ),
        );
        return settings;
    };
    let mut flag = |name: &str| match flags.get(name) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            problems.push(
                path,
                format!(
                    "`{name}` must be true or false, not {}; it is taken as false",
                    json_type(other)
                ),
            );
            false
        }
    };
    settings.s3_block_public_access = BlockPublicAccess {
        block_public_acls: flag("BlockPublicAcls"),
        ignore_public_acls: flag("IgnorePublicAcls"),
        block_public_policy: flag("BlockPublicPolicy"),
        restrict_public_buckets: flag("RestrictPublicBuckets"),
    };
    settings
}

/// Reads `organization`; `None` when absent (the account is in no Organization).
pub(crate) fn read_organization(
    value: Option<Value>,
    problems: &mut Problems,
) -> Option<Organization> {
    let value = value?;
    let Value::Object(map) = value else {
        problems.push(
            "organization",
            format!(
                "must be an object, not {}; SCPs and RCPs are unknown",
                json_type(&value)
            ),
        );
        return None;
    };
    let mut org = Organization {
        id: string_field(&map, "id", problems),
        management_account_id: string_field(&map, "managementAccountId", problems),
        ..Organization::default()
    };
    match map.get("path") {
        None | Some(Value::Null) => problems.push(
            "organization.path",
            "is missing; `aws:PrincipalOrgPaths` conditions cannot be decided",
        ),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => org.path.push(s.clone()),
                    other => problems.push(
                        format!("organization.path[{i}]"),
                        format!("must be a string, not {}; it is left out", json_type(other)),
                    ),
                }
            }
        }
        Some(other) => problems.push(
            "organization.path",
            format!(
                "must be a list of root and OU ids, not {}; it is ignored",
                json_type(other)
            ),
        ),
    }
    org.scp = read_levels(&map, "scp", problems);
    org.rcp = read_levels(&map, "rcp", problems);
    Some(org)
}

fn string_field(map: &Map<String, Value>, name: &str, problems: &mut Problems) -> String {
    match map.get(name) {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => {
            problems.push(format!("organization.{name}"), "is missing");
            String::new()
        }
        Some(other) => {
            problems.push(
                format!("organization.{name}"),
                format!("must be a string, not {}", json_type(other)),
            );
            String::new()
        }
    }
}

/// The `scp` or `rcp` levels, root first.
fn read_levels(map: &Map<String, Value>, kind: &str, problems: &mut Problems) -> Vec<OrgLevel> {
    let items = match map.get(kind) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            problems.push(
                format!("organization.{kind}"),
                format!(
                    "must be a list of levels, not {}; it is ignored",
                    json_type(other)
                ),
            );
            return Vec::new();
        }
    };
    let mut levels = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("organization.{kind}[{i}]");
        let Value::Object(level_map) = item else {
            problems.push(
                &path,
                format!(
                    "must be an object with `level` and `policies`, not {}; it is left out",
                    json_type(item)
                ),
            );
            continue;
        };
        let level = match level_map.get("level") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                problems.push(
                    &path,
                    "has no `level` (root, OU or account id); it is named by its position",
                );
                i.to_string()
            }
        };
        let mut policies = Vec::new();
        match level_map.get("policies") {
            None | Some(Value::Null) => {}
            Some(Value::Array(entries)) => {
                for (j, entry) in entries.iter().enumerate() {
                    let entry_path = format!("{path}.policies[{j}]");
                    if let Some(named) =
                        read_org_policy(entry, kind, &level, j, &entry_path, problems)
                    {
                        policies.push(named);
                    }
                }
            }
            Some(other) => problems.push(
                &path,
                format!(
                    "`policies` must be a list, not {}; this level's policies are unknown",
                    json_type(other)
                ),
            ),
        }
        levels.push(OrgLevel { level, policies });
    }
    levels
}

fn read_org_policy(
    entry: &Value,
    kind: &str,
    level: &str,
    index: usize,
    path: &str,
    problems: &mut Problems,
) -> Option<NamedPolicy> {
    let (name, document) = match entry {
        Value::Object(m) if m.contains_key("document") => {
            let name = match m.get("name") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                _ => (index + 1).to_string(),
            };
            (name, m.get("document").unwrap_or(&Value::Null))
        }
        other => ((index + 1).to_string(), other),
    };
    match parse_policy_value(document) {
        Ok(policy) => Some(NamedPolicy {
            name: format!("{kind}:{level}/{name}"),
            policy: Arc::new(policy),
        }),
        Err(e) => {
            problems.push(
                path,
                format!(
                    "{kind} `{name}` could not be parsed: {e}; it is left out, so access decided by it is unknown"
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_public_access_flags_bare_and_wrapped() {
        let mut problems = Problems::default();
        let s = read_account_settings(
            Some(
                json!({"s3BlockPublicAccess": {"BlockPublicAcls": true, "RestrictPublicBuckets": true}}),
            ),
            &mut problems,
        );
        assert_eq!(
            s.s3_block_public_access,
            BlockPublicAccess {
                block_public_acls: true,
                ignore_public_acls: false,
                block_public_policy: false,
                restrict_public_buckets: true
            }
        );
        let s = read_account_settings(
            Some(
                json!({"s3BlockPublicAccess": {"PublicAccessBlockConfiguration": {"IgnorePublicAcls": true}}}),
            ),
            &mut problems,
        );
        assert!(s.s3_block_public_access.ignore_public_acls);
        assert!(problems.0.is_empty(), "{:?}", problems.0);
        read_account_settings(
            Some(json!({"s3BlockPublicAccess": {"BlockPublicPolicy": "yes"}})),
            &mut problems,
        );
        assert_eq!(problems.0.len(), 1);
        assert_eq!(problems.0[0].subject, "accountSettings.s3BlockPublicAccess");
    }

    #[test]
    fn org_policies_named_bare_and_broken() {
        let mut problems = Problems::default();
        let deny = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]});
        let org = read_organization(
            Some(json!({
                "id": "o-a1b2c3d4e5", "managementAccountId": "999999999999",
                "path": ["r-ab12", "ou-ab12-11111111"],
                "scp": [
                    {"level": "r-ab12", "policies": [{"name": "FullAWSAccess", "document": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}]},
                    {"level": "111111111111", "policies": [deny, {"name": "broken", "document": {"Statement": "x"}}]}
                ],
                "rcp": [{"level": "r-ab12", "policies": ["%7B%22Statement%22%3A%5B%5D%7D"]}]
            })),
            &mut problems,
        )
        .unwrap();
        assert_eq!(org.management_account_id, "999999999999");
        assert_eq!(org.path, vec!["r-ab12", "ou-ab12-11111111"]);
        let names: Vec<_> = org
            .scp
            .iter()
            .flat_map(|l| l.policies.iter().map(|p| p.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec!["scp:r-ab12/FullAWSAccess", "scp:111111111111/1"]
        );
        assert_eq!(org.rcp[0].policies[0].name, "rcp:r-ab12/1");
        assert_eq!(problems.0.len(), 1);
        assert_eq!(problems.0[0].subject, "organization.scp[1].policies[1]");
        assert!(
            problems.0[0]
                .message
                .starts_with("scp `broken` could not be parsed")
        );
    }
}
