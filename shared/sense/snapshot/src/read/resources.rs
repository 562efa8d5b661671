//! The snapshot's `resources`, plus every IAM role seen as a resource.
//!
//! What it does: reads each entry (ARN, CloudFormation type, resource policy, tags,
//! settings, and `error` when the producer could not read the resource: the resource
//! then has no policy but that reason, so it gets a "could not evaluate" row), works out the owning account and region from the ARN and the KMS key
//! protecting the data from the settings, then merges in the roles of the authorization
//! details (a role's trust policy is its resource policy). The result is sorted by ARN,
//! one entry per ARN.
//!
//! The KMS key is taken from the first of these settings that is present (so a collector
//! can store the service's own API output unchanged):
//! - `kmsKeyArn` (the snapshot's own name), or `encryption.kmsKeyArn`;
//! - S3 `GetBucketEncryption` output: `ServerSideEncryptionConfiguration.Rules[]
//!   .ApplyServerSideEncryptionByDefault.KMSMasterKeyID` with an `aws:kms*` algorithm,
//!   at the top of `settings` or under `encryption`;
//! - SQS/SNS attributes `KmsMasterKeyId` (at the top or under `Attributes`), DynamoDB
//!   `SSEDescription.KMSMasterKeyArn`, Secrets Manager `KmsKeyId`, Lambda `KMSKeyArn`.
//!
//! A key ARN (or alias ARN) is kept as given; a bare key id or `alias/name` is qualified
//! with the resource's region and account; `alias/aws/...` is an AWS-managed key and
//! gives no customer-managed key. A bare id on a resource whose ARN has no region (S3)
//! cannot be qualified and is a [`Problem`](crate::Problem).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::iam::{GROUP_TYPE, IamResource, MANAGED_POLICY_TYPE, USER_TYPE};
use super::raw::{Lenient, LenientList, RawResource};
use super::{Arn, Problems, is_account_id, parse_document, read_tags, text};
use crate::model::Resource;

/// The resource types the reader knows; others are kept with a [`Problem`](crate::Problem) saying so.
pub(crate) const KNOWN_TYPES: [&str; 11] = [
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::SecretsManager::Secret",
    "AWS::Lambda::Function",
    ROLE_TYPE,
    USER_TYPE,
    GROUP_TYPE,
    MANAGED_POLICY_TYPE,
];

/// The type of an IAM role seen as a resource.
pub(crate) const ROLE_TYPE: &str = "AWS::IAM::Role";

/// A resource as read, remembering which parts the entry gave (for merging with roles).
struct Entry {
    resource: Resource,
    tags_given: bool,
}

/// Reads `resources` and merges the roles in; sorted by ARN, unique.
pub(crate) fn read_resources(
    list: Option<LenientList<RawResource<'_>>>,
    roles: Vec<IamResource>,
    account: &str,
    problems: &mut Problems,
) -> Vec<Resource> {
    let mut by_arn: BTreeMap<String, Entry> = BTreeMap::new();
    let items = match list {
        None => Vec::new(),
        Some(LenientList::Wrong(found)) => {
            problems.push(
                "resources",
                format!("must be a list, not {found}; no resource is read from it"),
            );
            Vec::new()
        }
        Some(LenientList::List(items)) => items,
    };
    for (i, item) in items.into_iter().enumerate() {
        let path = format!("resources[{i}]");
        let raw = match item {
            Lenient::Ok(raw) => raw,
            Lenient::Bad(reason) => {
                problems.push(
                    &path,
                    format!("could not be read: {reason}; it is left out"),
                );
                continue;
            }
        };
        let Some(entry) = read_entry(raw, &path, account, problems) else {
            continue;
        };
        if by_arn.contains_key(&entry.resource.arn) {
            problems.push(
                &entry.resource.arn,
                format!(
                    "is listed twice in `resources` (again at `{path}`); the first entry is used"
                ),
            );
            continue;
        }
        by_arn.insert(entry.resource.arn.clone(), entry);
    }
    for role in roles {
        merge_role(&mut by_arn, role, account, problems);
    }
    // INVARIANT: BTreeMap order is bytewise ARN order, and keys are unique.
    by_arn.into_values().map(|e| e.resource).collect()
}

fn read_entry(
    raw: RawResource<'_>,
    path: &str,
    account: &str,
    problems: &mut Problems,
) -> Option<Entry> {
    let Some(arn) = text(raw.arn, "arn", path, problems) else {
        problems.push(path, "has no `arn`; it is left out");
        return None;
    };
    let arn = arn.into_owned();
    let type_name = match text(raw.type_name, "type", &arn, problems) {
        Some(t) => {
            if !KNOWN_TYPES.contains(&t.as_ref()) {
                problems.push(
                    &arn,
                    format!(
                        "has type `{t}`, which is not one accessdrift knows ({}); its access is not computed",
                        KNOWN_TYPES.join(", ")
                    ),
                );
            }
            t.into_owned()
        }
        None => {
            problems.push(&arn, "has no `type`; its access is not computed");
            String::new()
        }
    };
    let collector_error = match raw.error {
        None | Some(Value::Null) => None,
        Some(Value::String(e)) => Some(e),
        Some(other) => Some(format!(
            "(`error` is {}, not a string)",
            super::json_type(&other)
        )),
    };
    let policy = match (collector_error, raw.policy) {
        (Some(error), _) => {
            problems.push(&arn, format!("could not be read by the producer: {error}"));
            Err(format!("the producer could not read it: {error}"))
        }
        (None, None) => Ok(None),
        (None, Some(document)) => match parse_document(document) {
            Ok(p) => Ok(Some(Arc::new(p))),
            Err(reason) => {
                problems.push(
                    &arn,
                    format!("resource policy could not be parsed: {reason}"),
                );
                Err(format!("policy could not be parsed: {reason}"))
            }
        },
    };
    let tags_given = raw.tags.is_some();
    let tags = read_tags(raw.tags, "tags", &arn, problems);
    let settings = raw.settings.unwrap_or(Value::Null);
    if !matches!(settings, Value::Object(_) | Value::Null) {
        problems.push(
            &arn,
            "`settings` must be an object; it is kept as given but nothing is read from it",
        );
    }
    let (owner, region) = owner_and_region(&arn, account, problems);
    // A malformed ARN names no resource AWS could hold: say so and do not evaluate it,
    // rather than guess its account (issue 18: a 13-digit account got no row at all).
    let policy = match malformed_account(&arn) {
        Some(why) => {
            problems.push(&arn, format!("{why}; its access is not computed"));
            Err(format!("malformed ARN: {why}"))
        }
        None if Arn::parse(&arn).is_none() => {
            Err("malformed ARN: not `arn:partition:service:region:account:resource`".to_string())
        }
        None => policy,
    };
    let kms_key_arn = kms_key_arn(&settings, &arn, &region, &owner, problems);
    Some(Entry {
        resource: Resource {
            arn,
            type_name,
            policy,
            tags,
            settings,
            kms_key_arn,
            account: owner,
            region,
        },
        tags_given,
    })
}

/// Why the account part of `arn` cannot be an account: it is not empty, `aws` (AWS's own
/// resources, such as managed policies) or 12 digits.
fn malformed_account(arn: &str) -> Option<String> {
    let parts = Arn::parse(arn)?;
    let account = parts.account;
    let ok = account.is_empty() || account == "aws" || is_account_id(account);
    (!ok).then(|| format!("its account `{account}` is not 12 digits"))
}

/// The account and region of a resource ARN; the snapshot's account when the ARN has
/// none (S3 buckets).
fn owner_and_region(arn: &str, account: &str, problems: &mut Problems) -> (String, String) {
    match Arn::parse(arn) {
        Some(parts) => {
            let owner = if parts.account.is_empty() {
                account
            } else {
                parts.account
            };
            (owner.to_string(), parts.region.to_string())
        }
        None => {
            problems.push(
                arn,
                "is not an ARN (`arn:partition:service:region:account:resource`); the snapshot's account is assumed",
            );
            (account.to_string(), String::new())
        }
    }
}

/// Adds an IAM entity to the resources, or completes the entry `resources` gave for it.
fn merge_role(
    by_arn: &mut BTreeMap<String, Entry>,
    role: IamResource,
    account: &str,
    problems: &mut Problems,
) {
    let Some(entry) = by_arn.get_mut(&role.arn) else {
        let (owner, region) = owner_and_region(&role.arn, account, problems);
        let resource = Resource {
            arn: role.arn.clone(),
            type_name: role.type_name.to_string(),
            policy: role.policy,
            tags: role.tags,
            settings: Value::Null,
            kms_key_arn: None,
            account: owner,
            region,
        };
        by_arn.insert(
            role.arn,
            Entry {
                resource,
                tags_given: false,
            },
        );
        return;
    };
    let resource = &mut entry.resource;
    if resource.type_name != role.type_name {
        problems.push(
            &role.arn,
            format!(
                "is an IAM entity of type `{}` in the authorization details but `resources` gives its type as `{}`; `{}` is used",
                role.type_name, resource.type_name, role.type_name
            ),
        );
        resource.type_name = role.type_name.to_string();
    }
    let differs = match (&resource.policy, &role.policy) {
        (Ok(Some(given)), Ok(Some(trust))) => given != trust,
        (Ok(Some(_)), _) => true,
        _ => false,
    };
    if differs {
        problems.push(
            &role.arn,
            "the `resources` entry's policy differs from the role's trust policy in the authorization details; the trust policy is used",
        );
    }
    resource.policy = role.policy;
    // Explicit tags win; explicit settings are kept (a role has none of its own).
    if !entry.tags_given {
        resource.tags = role.tags;
    }
}

/// The customer-managed KMS key named by a resource's settings (see the module doc).
fn kms_key_arn(
    settings: &Value,
    arn: &str,
    region: &str,
    account: &str,
    problems: &mut Problems,
) -> Option<String> {
    const POINTERS: [&str; 8] = [
        "/kmsKeyArn",
        "/encryption/kmsKeyArn",
        "/KmsMasterKeyId",
        "/Attributes/KmsMasterKeyId",
        "/SSEDescription/KMSMasterKeyArn",
        "/KmsKeyId",
        "/KMSKeyArn",
        "/KMSMasterKeyArn",
    ];
    if !settings.is_object() {
        return None;
    }
    let found = POINTERS
        .iter()
        .find_map(|p| {
            settings
                .pointer(p)
                .filter(|v| !v.is_null())
                .map(|v| (*p, v))
        })
        .or_else(|| s3_default_encryption_key(settings));
    let (pointer, value) = found?;
    let Value::String(key) = value else {
        problems.push(
            arn,
            format!(
                "`{}` must be a string; the resource's KMS key is unknown",
                dotted(pointer)
            ),
        );
        return None;
    };
    let key = key.trim();
    if key.is_empty() || key.starts_with("alias/aws/") {
        return None;
    }
    if key.starts_with("arn:") {
        return Some(key.to_string());
    }
    if region.is_empty() {
        problems.push(
            arn,
            format!(
                "`{}` names KMS key `{key}` without its ARN, and the resource's region is unknown; give the key ARN",
                dotted(pointer)
            ),
        );
        return None;
    }
    let partition = Arn::parse(arn).map_or("aws", |a| a.partition);
    let resource = if key.starts_with("alias/") {
        key.to_string()
    } else {
        format!("key/{key}")
    };
    Some(format!("arn:{partition}:kms:{region}:{account}:{resource}"))
}

/// `settings.a.b` for the JSON pointer `/a/b`.
fn dotted(pointer: &str) -> String {
    format!("settings{}", pointer.replace('/', "."))
}

/// S3 default encryption with a KMS key, as `GetBucketEncryption` returns it.
fn s3_default_encryption_key(settings: &Value) -> Option<(&'static str, &Value)> {
    for (pointer, prefix) in [
        (
            "/ServerSideEncryptionConfiguration/Rules",
            "/ServerSideEncryptionConfiguration/Rules/*/ApplyServerSideEncryptionByDefault/KMSMasterKeyID",
        ),
        (
            "/encryption/ServerSideEncryptionConfiguration/Rules",
            "/encryption/ServerSideEncryptionConfiguration/Rules/*/ApplyServerSideEncryptionByDefault/KMSMasterKeyID",
        ),
    ] {
        let Some(Value::Array(rules)) = settings.pointer(pointer) else {
            continue;
        };
        for rule in rules {
            let Some(default) = rule.get("ApplyServerSideEncryptionByDefault") else {
                continue;
            };
            let is_kms = default
                .get("SSEAlgorithm")
                .and_then(Value::as_str)
                .is_some_and(|a| a.starts_with("aws:kms"));
            match default.get("KMSMasterKeyID") {
                Some(key) if is_kms && !key.is_null() => return Some((prefix, key)),
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(settings: Value, arn: &str) -> (Option<String>, Vec<String>) {
        let mut problems = Problems::default();
        let parts = Arn::parse(arn).unwrap();
        let account = if parts.account.is_empty() {
            "111111111111"
        } else {
            parts.account
        };
        let k = kms_key_arn(&settings, arn, parts.region, account, &mut problems);
        (k, problems.0.into_iter().map(|p| p.message).collect())
    }

    const KEY: &str = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn kms_key_from_each_accepted_setting() {
        let bucket = "arn:aws:s3:::b";
        assert_eq!(
            key(json!({"kmsKeyArn": KEY}), bucket).0.as_deref(),
            Some(KEY)
        );
        assert_eq!(
            key(json!({"encryption": {"kmsKeyArn": KEY}}), bucket)
                .0
                .as_deref(),
            Some(KEY)
        );
        let s3 = json!({"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY},
             "BucketKeyEnabled": true}]}});
        assert_eq!(key(s3, bucket).0.as_deref(), Some(KEY));
        let sse_s3 = json!({"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}});
        assert_eq!(key(sse_s3, bucket), (None, vec![]));
        let queue = "arn:aws:sqs:eu-west-1:222222222222:q";
        assert_eq!(
            key(
                json!({"Attributes": {"KmsMasterKeyId": "1234abcd-12ab"}}),
                queue
            )
            .0
            .as_deref(),
            Some("arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab")
        );
        assert_eq!(
            key(json!({"KmsMasterKeyId": "alias/mine"}), queue)
                .0
                .as_deref(),
            Some("arn:aws:kms:eu-west-1:222222222222:alias/mine")
        );
        assert_eq!(
            key(json!({"KmsMasterKeyId": "alias/aws/sqs"}), queue),
            (None, vec![])
        );
    }

    #[test]
    fn a_producer_error_makes_the_resource_unevaluable() {
        let doc = serde_json::json!({"accountId": "111111111111", "resources": [
            {"arn": "arn:aws:s3:::denied", "type": "AWS::S3::Bucket", "policy": null,
             "error": "`s3:GetBucketPolicy` access denied: AccessDenied: Access Denied"},
            {"arn": "arn:aws:s3:::odd", "type": "AWS::S3::Bucket", "error": 5},
            {"arn": "arn:aws:s3:::fine", "type": "AWS::S3::Bucket", "policy": null, "error": null}
        ]});
        let s = crate::read_snapshot(&doc.to_string()).unwrap();
        let policy = |arn: &str| {
            s.resources
                .iter()
                .find(|r| r.arn == arn)
                .unwrap()
                .policy
                .clone()
        };
        assert_eq!(
            policy("arn:aws:s3:::denied").unwrap_err(),
            "the producer could not read it: `s3:GetBucketPolicy` access denied: AccessDenied: Access Denied"
        );
        assert_eq!(
            policy("arn:aws:s3:::odd").unwrap_err(),
            "the producer could not read it: (`error` is a number, not a string)"
        );
        assert!(matches!(policy("arn:aws:s3:::fine"), Ok(None)));
        let subjects: Vec<_> = s.problems.iter().map(|p| p.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "authorizationDetails",
                "arn:aws:s3:::denied",
                "arn:aws:s3:::odd"
            ]
        );
    }

    #[test]
    fn kms_key_problems() {
        let (k, problems) = key(json!({"kmsKeyArn": "1234abcd"}), "arn:aws:s3:::b");
        assert_eq!(k, None);
        assert!(problems[0].contains("region is unknown"), "{problems:?}");
        let (k, problems) = key(json!({"kmsKeyArn": 5}), "arn:aws:s3:::b");
        assert_eq!(k, None);
        assert!(
            problems[0].contains("`settings.kmsKeyArn` must be a string"),
            "{problems:?}"
        );
    }
}
