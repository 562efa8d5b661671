//! Reading a snapshot (or a bare `get-account-authorization-details` document) into the
//! model.
//!
//! What it is for: the two entry points, [`read_snapshot`] and
//! [`read_authorization_details`], the account id (given, or derived from the ARNs), and
//! the helpers the part readers share. It fails with a [`SnapshotError`] only when the
//! document as a whole is unusable; anything smaller becomes a [`Problem`] in
//! [`Snapshot::problems`] and the rest is still read.
//!
//! Key design choice: serde shapes that borrow from the text (`raw`) and parse each
//! policy document once, straight from its JSON text, through the policy crate's fast
//! path. Fields the reader does not know are ignored.

use std::borrow::Cow;
use std::collections::BTreeMap;

use accessdrift_policy::{Policy, parse_policy_text, parse_policy_value};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::model::{Problem, Snapshot};

use iam::read_iam;
use org::{read_account_settings, read_organization};
use raw::{Lenient, LenientList, RawGaad, Text, TopLevel, serde_message};
use resources::read_resources;

mod iam;
mod org;
pub(crate) mod raw;
mod resources;

/// Why a snapshot could not be read at all. Smaller faults are [`Problem`]s instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The text is not JSON.
    #[error("the snapshot is not valid JSON: {0}")]
    Json(String),
    /// The document is JSON but not an object.
    #[error(
        "the snapshot must be a JSON object (`accountId`, `authorizationDetails`, `resources`...), not {0}"
    )]
    NotAnObject(&'static str),
    /// The top-level object has a key twice, or a similar structural fault.
    #[error("the snapshot could not be read: {0}")]
    Malformed(String),
    /// `accountId` is not a 12-digit string.
    #[error("`accountId` must be the 12-digit account id as a string (\"111111111111\"), not {0}")]
    BadAccountId(String),
    /// An account id given separately is not a 12-digit string.
    #[error("the account id `{0}` is not a 12-digit AWS account id")]
    BadGivenAccountId(String),
    /// A snapshot with no `accountId` and no ARN naming the account.
    #[error(
        "the snapshot has no `accountId` and no ARN in it names the account: add `\"accountId\": \"<12 digits>\"`"
    )]
    NoAccountId,
    /// A bare authorization-details document with no ARN naming the account.
    #[error(
        "no ARN in the authorization details names the account: give the account id explicitly"
    )]
    NoAccountInAuthorizationDetails,
    /// The account id given separately differs from the snapshot's `accountId`.
    #[error("the account id given (`{given}`) differs from the snapshot's `accountId` (`{found}`)")]
    AccountIdConflict {
        /// The id given separately.
        given: String,
        /// The snapshot's `accountId`.
        found: String,
    },
    /// No principal belongs to the account the snapshot claims.
    #[error(
        "the snapshot is for account `{claimed}` but its principals belong to account `{found}`: check which account the authorization details come from"
    )]
    AccountMismatch {
        /// The account id given or in `accountId`.
        claimed: String,
        /// The account of the principals' ARNs.
        found: String,
    },
    /// `authorizationDetails` is not an object.
    #[error(
        "`authorizationDetails` must be an object (what `aws iam get-account-authorization-details` prints), not {0}"
    )]
    AuthorizationDetails(&'static str),
}

/// Reads a snapshot (`shared/spec/snapshot.md`).
///
/// A bare `get-account-authorization-details` document (top-level `UserDetailList`,
/// `RoleDetailList`... and no snapshot field) is accepted too, as by
/// [`read_authorization_details`] with no account id given.
pub fn read_snapshot(text: &str) -> Result<Snapshot, SnapshotError> {
    read(text, None)
}

/// Reads a bare `get-account-authorization-details` document (all pages merged): a
/// snapshot with principals and their roles as resources, nothing else. `account_id`
/// is needed only when no ARN in the document names the account. A full snapshot is
/// accepted too; `account_id` must then agree with its `accountId`.
pub fn read_authorization_details(
    text: &str,
    account_id: Option<&str>,
) -> Result<Snapshot, SnapshotError> {
    if let Some(given) = account_id.filter(|a| !is_account_id(a)) {
        return Err(SnapshotError::BadGivenAccountId(given.to_string()));
    }
    read(text, account_id)
}

fn read(text: &str, given_account: Option<&str>) -> Result<Snapshot, SnapshotError> {
    let mut top: TopLevel<'_> =
        serde_json::from_str(text).map_err(|e| top_level_error(text, &e))?;
    let mut problems = Problems::default();

    let is_snapshot = top.account_id.is_some()
        || top.authorization_details.is_some()
        || top.resources.is_some()
        || top.account_settings.is_some()
        || top.organization.is_some();
    let top_gaad = top.take_gaad();
    let (gaad, at) = if is_snapshot {
        if let Some(key) = top_gaad.first_present() {
            problems.push(
                key,
                "is at the snapshot's top level and is ignored: the authorization details belong under `authorizationDetails`",
            );
        }
        match top.authorization_details {
            Some(raw) => (parse_gaad(raw)?, "authorizationDetails."),
            None => {
                problems.push(
                    "authorizationDetails",
                    "is missing: the snapshot has no IAM users or roles",
                );
                (RawGaad::default(), "authorizationDetails.")
            }
        }
    } else {
        (top_gaad, "")
    };

    let claimed = match top.account_id.take() {
        None => None,
        Some(Value::String(s)) if is_account_id(&s) => Some(s),
        Some(other) => return Err(SnapshotError::BadAccountId(short(&other))),
    };
    let claimed = match (given_account, claimed) {
        (Some(given), Some(found)) if given != found => {
            return Err(SnapshotError::AccountIdConflict {
                given: given.to_string(),
                found,
            });
        }
        (Some(given), _) => Some(given.to_string()),
        (None, found) => found,
    };

    let iam = read_iam(gaad, at, &mut problems);

    let principal_account = iam
        .principals
        .iter()
        .find_map(|p| account_of_arn(&p.arn))
        .map(str::to_string);
    let account_id = match claimed {
        Some(claimed) => {
            let any_ours = iam
                .principals
                .iter()
                .any(|p| account_of_arn(&p.arn) == Some(claimed.as_str()));
            if let Some(found) = principal_account.filter(|_| !any_ours) {
                return Err(SnapshotError::AccountMismatch { claimed, found });
            }
            claimed
        }
        None => principal_account
            .or(iam.other_account.clone())
            .or_else(|| resource_account(&top))
            .ok_or(if is_snapshot {
                SnapshotError::NoAccountId
            } else {
                SnapshotError::NoAccountInAuthorizationDetails
            })?,
    };
    for p in &iam.principals {
        if let Some(other) = account_of_arn(&p.arn).filter(|a| *a != account_id) {
            problems.push(
                &p.arn,
                format!("belongs to account `{other}`, not the snapshot's account `{account_id}`"),
            );
        }
    }

    let resources = read_resources(top.resources, iam.roles, &account_id, &mut problems);
    let account_settings = read_account_settings(top.account_settings, &mut problems);
    let organization = read_organization(top.organization, &mut problems);
    Ok(Snapshot {
        account_id,
        principals: iam.principals,
        resources,
        account_settings,
        organization,
        problems: problems.0,
    })
}

/// The whole-document error for a failed top-level read.
fn top_level_error(text: &str, e: &serde_json::Error) -> SnapshotError {
    if e.is_data() {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(_)) | Err(_) => SnapshotError::Malformed(e.to_string()),
            Ok(other) => SnapshotError::NotAnObject(json_type(&other)),
        }
    } else {
        SnapshotError::Json(e.to_string())
    }
}

fn parse_gaad<'a>(raw: &'a RawValue) -> Result<RawGaad<'a>, SnapshotError> {
    serde_json::from_str::<RawGaad<'a>>(raw.get()).map_err(|e| {
        match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Object(_)) | Err(_) => {
                SnapshotError::Malformed(format!("`authorizationDetails`: {}", serde_message(&e)))
            }
            Ok(other) => SnapshotError::AuthorizationDetails(json_type(&other)),
        }
    })
}

/// The account of the first resource ARN that names one (a snapshot with resources only).
fn resource_account(top: &TopLevel<'_>) -> Option<String> {
    let Some(LenientList::List(items)) = &top.resources else {
        return None;
    };
    items.iter().find_map(|item| match item {
        Lenient::Ok(r) => match &r.arn {
            Some(Lenient::Ok(arn)) => account_of_arn(&arn.0).map(str::to_string),
            _ => None,
        },
        Lenient::Bad(_) => None,
    })
}

/// The problems found while reading, in the order found.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub(crate) Vec<Problem>);

impl Problems {
    /// Records a problem about `subject` (an ARN or a JSON path).
    pub(crate) fn push(&mut self, subject: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            subject: subject.into(),
            message: message.into(),
        });
    }
}

/// The string of an optional field; a value of another JSON type is a problem on
/// `subject` and counts as absent.
pub(crate) fn text<'a>(
    field: Option<Lenient<Text<'a>>>,
    name: &str,
    subject: &str,
    problems: &mut Problems,
) -> Option<Cow<'a, str>> {
    match field? {
        Lenient::Ok(t) => Some(t.0),
        Lenient::Bad(reason) => {
            problems.push(subject, format!("`{name}` could not be read: {reason}"));
            None
        }
    }
}

/// Parses a policy document as the snapshot holds it: a JSON object, or a string of
/// JSON or URL-encoded JSON. Objects go straight from their text to the policy crate's
/// fast parser, with no `Value` in between.
pub(crate) fn parse_document(raw: &RawValue) -> Result<Policy, String> {
    let text = raw.get();
    let parsed = match text.as_bytes().first() {
        Some(b'{') => parse_policy_text(text),
        Some(b'"') => match serde_json::from_str::<Text<'_>>(text) {
            Ok(t) => parse_policy_text(&t.0),
            Err(e) => return Err(serde_message(&e)),
        },
        _ => match serde_json::from_str::<Value>(text) {
            Ok(value) => parse_policy_value(&value),
            Err(e) => return Err(serde_message(&e)),
        },
    };
    parsed.map_err(|e| e.to_string())
}

/// Reads tags: an object of strings (`{"owner": "x"}`) or AWS's list form
/// (`[{"Key": "owner", "Value": "x"}]`). Bad entries are problems and left out.
pub(crate) fn read_tags(
    value: Option<Value>,
    field: &str,
    subject: &str,
    problems: &mut Problems,
) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, v) in map {
                match v {
                    Value::String(s) => {
                        tags.insert(key, s);
                    }
                    other => problems.push(
                        subject,
                        format!(
                            "tag `{key}` must have a string value, not {}; it is left out",
                            json_type(&other)
                        ),
                    ),
                }
            }
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let pair = match &item {
                    Value::Object(m) => match (m.get("Key"), m.get("Value")) {
                        (Some(Value::String(k)), Some(Value::String(v))) => Some((k, v)),
                        _ => None,
                    },
                    _ => None,
                };
                let Some((key, v)) = pair else {
                    problems.push(
                        subject,
                        format!(
                            "`{field}[{i}]` must be {{\"Key\": string, \"Value\": string}}; it is left out"
                        ),
                    );
                    continue;
                };
                if tags.contains_key(key) {
                    problems.push(
                        subject,
                        format!("tag `{key}` is given twice; the first value is used"),
                    );
                    continue;
                }
                tags.insert(key.clone(), v.clone());
            }
        }
        Some(other) => problems.push(
            subject,
            format!(
                "`{field}` must be an object or a list of {{Key, Value}}, not {}; the tags are unknown",
                json_type(&other)
            ),
        ),
    }
    tags
}

pub(crate) use accessdrift_policy::{json_type, short};
pub(crate) use accessdrift_primitives::{Arn, account_of as account_of_arn, is_account_id};

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::model::{PrincipalKind, Resource};

    const ACCOUNT: &str = "111111111111";

    /// Percent-encodes everything but ASCII letters and digits, as AWS does (and more).
    fn url_encode(text: &str) -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    fn allow(action: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
    }

    fn trust(service: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    }

    fn managed(arn: &str, doc: Value) -> Value {
        json!({"Arn": arn, "DefaultVersionId": "v1", "PolicyVersionList": [
            {"Document": doc, "VersionId": "v1", "IsDefaultVersion": true}]})
    }

    fn gaad() -> Value {
        json!({
            "UserDetailList": [{
                "Path": "/", "UserName": "alice", "UserId": "AIDAALICE",
                "Arn": "arn:aws:iam::111111111111:user/alice",
                "GroupList": ["ops"],
                "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": allow("s3:GetObject")}],
                "AttachedManagedPolicies": [{"PolicyName": "shared", "PolicyArn": "arn:aws:iam::111111111111:policy/shared"}],
                "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::111111111111:policy/boundary"},
                "Tags": [{"Key": "team", "Value": "credit"}]
            }],
            "GroupDetailList": [{
                "GroupName": "ops", "GroupId": "AGPAOPS", "Arn": "arn:aws:iam::111111111111:group/ops",
                "GroupPolicyList": [{"PolicyName": "g-inline", "PolicyDocument": allow("sqs:*")}],
                "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::111111111111:policy/shared"}]
            }],
            "RoleDetailList": [{
                "Path": "/svc/", "RoleName": "worker", "RoleId": "AROAWORKER",
                "Arn": "arn:aws:iam::111111111111:role/svc/worker",
                "AssumeRolePolicyDocument": trust("lambda.amazonaws.com"),
                "RolePolicyList": [{"PolicyName": "r-inline", "PolicyDocument": allow("dynamodb:GetItem")}],
                "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::111111111111:policy/shared"}],
                "Tags": [{"Key": "owner", "Value": "platform"}]
            }],
            "Policies": [
                managed("arn:aws:iam::111111111111:policy/shared", allow("kms:Decrypt")),
                managed("arn:aws:iam::111111111111:policy/boundary", allow("*"))
            ]
        })
    }

    fn snapshot(extra: Value) -> Value {
        let mut doc = json!({"accountId": ACCOUNT, "authorizationDetails": gaad()});
        if let (Value::Object(doc), Value::Object(extra)) = (&mut doc, extra) {
            doc.extend(extra);
        }
        doc
    }

    fn read_value(doc: &Value) -> Snapshot {
        read_snapshot(&doc.to_string()).unwrap()
    }

    fn labels(s: &Snapshot, arn: &str) -> Vec<String> {
        let p = s.principals.iter().find(|p| p.arn == arn).unwrap();
        p.policies.iter().map(|n| n.name.clone()).collect()
    }

    fn messages(s: &Snapshot) -> Vec<String> {
        s.problems
            .iter()
            .map(|p| format!("{}: {}", p.subject, p.message))
            .collect()
    }

    fn resource<'s>(s: &'s Snapshot, arn: &str) -> &'s Resource {
        s.resources.iter().find(|r| r.arn == arn).unwrap()
    }

    #[test]
    fn user_gets_own_then_group_policies_with_labels_and_boundary() {
        let s = read_value(&snapshot(json!({})));
        assert!(s.problems.is_empty(), "{:?}", messages(&s));
        assert_eq!(s.account_id, ACCOUNT);
        let alice = &s.principals[0];
        assert_eq!(alice.kind, PrincipalKind::User);
        assert_eq!(
            (
                alice.name.as_str(),
                alice.path.as_str(),
                alice.unique_id.as_str()
            ),
            ("alice", "/", "AIDAALICE")
        );
        assert_eq!(alice.tags.get("team").map(String::as_str), Some("credit"));
        assert_eq!(alice.groups, vec!["ops"]);
        assert_eq!(
            labels(&s, "arn:aws:iam::111111111111:user/alice"),
            vec![
                "inline:alice/own",
                "managed:arn:aws:iam::111111111111:policy/shared",
                "group:ops/inline:g-inline",
                "group:ops/managed:arn:aws:iam::111111111111:policy/shared",
            ]
        );
        assert_eq!(
            alice.boundary.as_ref().map(|b| b.name.as_str()),
            Some("boundary:arn:aws:iam::111111111111:policy/boundary")
        );
        assert!(alice.trust_policy.is_none());
    }

    #[test]
    fn role_reads_and_shares_managed_documents() {
        let s = read_value(&snapshot(json!({})));
        let worker = &s.principals[1];
        assert_eq!(worker.kind, PrincipalKind::Role);
        assert_eq!(
            (
                worker.name.as_str(),
                worker.path.as_str(),
                worker.unique_id.as_str()
            ),
            ("worker", "/svc/", "AROAWORKER")
        );
        assert_eq!(
            labels(&s, "arn:aws:iam::111111111111:role/svc/worker"),
            vec![
                "inline:worker/r-inline",
                "managed:arn:aws:iam::111111111111:policy/shared"
            ]
        );
        let trust = worker.trust_policy.as_ref().unwrap();
        // The managed policy is parsed once and shared by every principal attaching it.
        let alice = &s.principals[0];
        assert!(Arc::ptr_eq(
            &alice.policies[1].policy,
            &worker.policies[1].policy
        ));
        assert!(Arc::ptr_eq(
            &alice.policies[1].policy,
            &alice.policies[3].policy
        ));
        // The role is a resource whose policy is its trust policy.
        let r = resource(&s, "arn:aws:iam::111111111111:role/svc/worker");
        assert_eq!(r.type_name, "AWS::IAM::Role");
        assert!(Arc::ptr_eq(
            r.policy.as_ref().unwrap().as_ref().unwrap(),
            trust
        ));
        assert_eq!(r.tags.get("owner").map(String::as_str), Some("platform"));
        assert_eq!((r.account.as_str(), r.region.as_str()), (ACCOUNT, ""));
    }

    #[test]
    fn only_the_default_version_counts() {
        let mut doc = gaad();
        doc["Policies"][0]["PolicyVersionList"] = json!([
            {"Document": {"Statement": "broken"}, "VersionId": "v1", "IsDefaultVersion": false},
            {"Document": allow("s3:PutObject"), "VersionId": "v2", "IsDefaultVersion": true}
        ]);
        // No `IsDefaultVersion` at all: `DefaultVersionId` decides.
        doc["Policies"][1] = json!({"Arn": "arn:aws:iam::111111111111:policy/boundary",
            "DefaultVersionId": "v3", "PolicyVersionList": [
                {"Document": allow("a:a"), "VersionId": "v2"}, {"Document": allow("b:b"), "VersionId": "v3"}]});
        let s = read_authorization_details(&doc.to_string(), None).unwrap();
        assert!(s.problems.is_empty(), "{:?}", messages(&s));
        let alice = &s.principals[0];
        assert_eq!(
            alice.policies[1].policy.statements[0].action.patterns[0].raw,
            "s3:PutObject"
        );
        let boundary = alice.boundary.as_ref().unwrap();
        assert_eq!(boundary.policy.statements[0].action.patterns[0].raw, "b:b");
    }

    #[test]
    fn url_encoded_and_json_text_documents_read_like_objects() {
        let plain = read_value(&snapshot(json!({})));
        let mut doc = gaad();
        let encode = |v: &mut Value| *v = Value::String(url_encode(&v.to_string()));
        encode(&mut doc["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"]);
        encode(&mut doc["GroupDetailList"][0]["GroupPolicyList"][0]["PolicyDocument"]);
        encode(&mut doc["Policies"][0]["PolicyVersionList"][0]["Document"]);
        let text = doc["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"].to_string();
        doc["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"] = Value::String(text);
        let encoded = read_value(&json!({"accountId": ACCOUNT, "authorizationDetails": doc}));
        assert!(encoded.problems.is_empty(), "{:?}", messages(&encoded));
        for (a, b) in plain.principals.iter().zip(&encoded.principals) {
            let a: Vec<_> = a.policies.iter().map(|n| (&n.name, &*n.policy)).collect();
            let b: Vec<_> = b.policies.iter().map(|n| (&n.name, &*n.policy)).collect();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn missing_or_broken_policies_are_problems_and_the_rest_stays() {
        let mut doc = gaad();
        doc["Policies"] = json!([managed(
            "arn:aws:iam::111111111111:policy/boundary",
            allow("*")
        )]);
        doc["UserDetailList"][0]["UserPolicyList"]
            .as_array_mut()
            .unwrap()
            .push(json!({"PolicyName": "bad", "PolicyDocument": {"Statement": [{"Effect": "Maybe", "Action": "*"}]}}));
        doc["UserDetailList"][0]["GroupList"] = json!(["ops", "ghosts"]);
        let s = read_authorization_details(&doc.to_string(), Some(ACCOUNT)).unwrap();
        let alice = "arn:aws:iam::111111111111:user/alice";
        assert_eq!(
            labels(&s, alice),
            vec!["inline:alice/own", "group:ops/inline:g-inline"]
        );
        let shared = "arn:aws:iam::111111111111:policy/shared";
        assert_eq!(
            messages(&s),
            vec![
                format!(
                    "{alice}: inline policy `bad` could not be read: statement 1: `Effect` must be \"Allow\" or \"Deny\", not \"Maybe\"; it is left out"
                ),
                format!(
                    "{alice}: managed policy `{shared}` is not in `Policies` (AWS-managed policies are there only when collected); its permissions are unknown"
                ),
                format!(
                    "{alice}: group `ops`: managed policy `{shared}` is not in `Policies` (AWS-managed policies are there only when collected); its permissions are unknown"
                ),
                format!(
                    "{alice}: is in group `ghosts`, which is not in `GroupDetailList`; that group's policies are unknown"
                ),
                format!(
                    "arn:aws:iam::111111111111:role/svc/worker: managed policy `{shared}` is not in `Policies` (AWS-managed policies are there only when collected); its permissions are unknown"
                ),
            ]
        );
    }

    #[test]
    fn broken_entries_are_problems_never_errors() {
        let mut doc = gaad();
        let users = doc["UserDetailList"].as_array_mut().unwrap();
        users.push(json!("not a user"));
        users.push(json!({"UserName": "no-arn"}));
        users.push(users[0].clone());
        users.push(
            json!({"Arn": "arn:aws:iam::111111111111:user/odd", "Tags": "x",
            "GroupList": {"a": 1}, "AttachedManagedPolicies": [{"PolicyName": "no arn"}],
            "PermissionsBoundary": 7}),
        );
        doc["RoleDetailList"][0]["AssumeRolePolicyDocument"] = json!(42);
        doc["GroupDetailList"] = json!({"not": "a list"});
        let s = read_authorization_details(&doc.to_string(), None).unwrap();
        let arns: Vec<_> = s.principals.iter().map(|p| p.arn.as_str()).collect();
        assert_eq!(
            arns,
            vec![
                "arn:aws:iam::111111111111:user/alice",
                "arn:aws:iam::111111111111:user/odd",
                "arn:aws:iam::111111111111:role/svc/worker"
            ]
        );
        let m = messages(&s);
        let expect = [
            "GroupDetailList: must be a list, not an object; it is ignored",
            "UserDetailList[1]: could not be read: invalid type: string \"not a user\", expected an IAM user, group or role (an object); it is left out",
            "UserDetailList[2]: has no `Arn`; it is left out",
            "arn:aws:iam::111111111111:user/alice: is listed twice (again at `UserDetailList[3]`); the first entry is used",
            "arn:aws:iam::111111111111:user/odd: `Tags` must be an object or a list of {Key, Value}, not a string; the tags are unknown",
            "arn:aws:iam::111111111111:user/odd: `AttachedManagedPolicies[0]` could not be read (it has no `PolicyArn`); its policy is unknown",
            "arn:aws:iam::111111111111:user/odd: `GroupList` must be a list, not an object; its groups' policies are unknown",
            "arn:aws:iam::111111111111:role/svc/worker: trust policy (`AssumeRolePolicyDocument`) could not be parsed: `policy` must be a JSON object, not a number",
        ];
        for e in expect {
            assert!(m.iter().any(|x| x == e), "missing {e:?} in {m:#?}");
        }
        assert!(m.iter().any(|x| x.starts_with(
            "arn:aws:iam::111111111111:user/odd: `PermissionsBoundary` could not be read"
        )));
        let role = resource(&s, "arn:aws:iam::111111111111:role/svc/worker");
        assert_eq!(
            role.policy.as_ref().unwrap_err(),
            "policy could not be parsed: `policy` must be a JSON object, not a number"
        );
    }

    #[test]
    fn moto_shape_reads_without_names() {
        // The emulator omits PolicyName/PolicyId and URL-encodes all but trust policies.
        let doc = json!({
            "RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::123456789012:role/r",
                "AssumeRolePolicyDocument": trust("ec2.amazonaws.com"),
                "RolePolicyList": [{"PolicyName": "i", "PolicyDocument": url_encode(&allow("s3:*").to_string())}],
                "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::123456789012:policy/p"}]}],
            "Policies": [{"Arn": "arn:aws:iam::123456789012:policy/p", "DefaultVersionId": "v1",
                "PolicyVersionList": [{"Document": url_encode(&allow("sqs:*").to_string()), "VersionId": "v1", "IsDefaultVersion": true}]}]
        });
        let s = read_snapshot(&doc.to_string()).unwrap();
        assert!(s.problems.is_empty(), "{:?}", messages(&s));
        assert_eq!(s.account_id, "123456789012");
        assert_eq!(
            labels(&s, "arn:aws:iam::123456789012:role/r"),
            vec!["inline:r/i", "managed:arn:aws:iam::123456789012:policy/p"]
        );
        assert_eq!(s.principals[0].unique_id, "");
    }

    #[test]
    fn users_groups_and_customer_managed_policies_are_resources_aws_managed_ones_are_not() {
        let mut doc = gaad();
        doc["Policies"].as_array_mut().unwrap().push(json!({
            "PolicyName": "ReadOnlyAccess", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                                   "Document": allow("s3:GetObject")}]
        }));
        let s = read_value(&doc);
        let type_of = |arn: &str| {
            s.resources.iter().find(|r| r.arn == arn).map(|r| {
                (
                    r.type_name.as_str(),
                    r.policy.as_ref().is_ok_and(Option::is_none),
                )
            })
        };
        assert_eq!(
            type_of("arn:aws:iam::111111111111:user/alice"),
            Some(("AWS::IAM::User", true))
        );
        assert_eq!(
            type_of("arn:aws:iam::111111111111:group/ops"),
            Some(("AWS::IAM::Group", true))
        );
        assert_eq!(
            type_of("arn:aws:iam::111111111111:policy/shared"),
            Some(("AWS::IAM::ManagedPolicy", true))
        );
        // AWS's own policies cannot be changed by anyone in the account.
        assert_eq!(type_of("arn:aws:iam::aws:policy/ReadOnlyAccess"), None);
    }

    #[test]
    fn resources_sorted_unique_with_account_region_tags_and_policy() {
        let doc = snapshot(json!({"resources": [
            {"arn": "arn:aws:sqs:eu-west-1:111111111111:q", "type": "AWS::SQS::Queue",
             "policy": url_encode(&allow("sqs:SendMessage").to_string()),
             "tags": [{"Key": "owner", "Value": "x"}], "settings": {"KmsMasterKeyId": "k-1"}},
            {"arn": "arn:aws:s3:::bucket", "type": "AWS::S3::Bucket", "policy": null,
             "tags": {"confidentiality": "Confidential"}, "extra": true},
            {"arn": "arn:aws:s3:::broken", "type": "AWS::S3::Bucket", "policy": {"Statement": [{"Effect": "Allow"}]}},
            {"arn": "arn:aws:s3:::bucket", "type": "AWS::S3::Bucket"},
            {"arn": "arn:aws:ec2:eu-west-1:111111111111:instance/i-1", "type": "AWS::EC2::Instance"},
            {"type": "AWS::S3::Bucket"},
            {"arn": "arn:aws:sns:eu-west-1:222222222222:t"}
        ]}));
        let s = read_value(&doc);
        let arns: Vec<_> = s.resources.iter().map(|r| r.arn.as_str()).collect();
        assert_eq!(
            arns,
            vec![
                "arn:aws:ec2:eu-west-1:111111111111:instance/i-1",
                // Every user, role, group and customer managed policy is a resource too.
                "arn:aws:iam::111111111111:group/ops",
                "arn:aws:iam::111111111111:policy/boundary",
                "arn:aws:iam::111111111111:policy/shared",
                "arn:aws:iam::111111111111:role/svc/worker",
                "arn:aws:iam::111111111111:user/alice",
                "arn:aws:s3:::broken",
                "arn:aws:s3:::bucket",
                "arn:aws:sns:eu-west-1:222222222222:t",
                "arn:aws:sqs:eu-west-1:111111111111:q",
            ]
        );
        let q = resource(&s, "arn:aws:sqs:eu-west-1:111111111111:q");
        assert!(q.policy.as_ref().unwrap().is_some());
        assert_eq!(q.tags.get("owner").map(String::as_str), Some("x"));
        assert_eq!(
            (q.account.as_str(), q.region.as_str()),
            (ACCOUNT, "eu-west-1")
        );
        assert_eq!(
            q.kms_key_arn.as_deref(),
            Some("arn:aws:kms:eu-west-1:111111111111:key/k-1")
        );
        let b = resource(&s, "arn:aws:s3:::bucket");
        assert!(matches!(b.policy, Ok(None)));
        assert_eq!((b.account.as_str(), b.region.as_str()), (ACCOUNT, ""));
        assert_eq!(b.settings, Value::Null);
        let t = resource(&s, "arn:aws:sns:eu-west-1:222222222222:t");
        assert_eq!(
            (t.account.as_str(), t.type_name.as_str()),
            ("222222222222", "")
        );
        let broken = resource(&s, "arn:aws:s3:::broken");
        assert!(
            broken
                .policy
                .as_ref()
                .unwrap_err()
                .starts_with("policy could not be parsed: statement 1: `Action` is missing"),
            "{:?}",
            broken.policy
        );
        assert_eq!(
            messages(&s),
            vec![
                "arn:aws:s3:::broken: resource policy could not be parsed: statement 1: `Action` is missing (a statement needs `Action` or `NotAction`)",
                "arn:aws:s3:::bucket: is listed twice in `resources` (again at `resources[3]`); the first entry is used",
                "arn:aws:ec2:eu-west-1:111111111111:instance/i-1: has type `AWS::EC2::Instance`, which is not one accessdrift knows (AWS::S3::Bucket, AWS::KMS::Key, AWS::DynamoDB::Table, AWS::SQS::Queue, AWS::SNS::Topic, AWS::SecretsManager::Secret, AWS::Lambda::Function, AWS::IAM::Role, AWS::IAM::User, AWS::IAM::Group, AWS::IAM::ManagedPolicy); its access is not computed",
                "resources[5]: has no `arn`; it is left out",
                "arn:aws:sns:eu-west-1:222222222222:t: has no `type`; its access is not computed",
            ]
        );
    }

    #[test]
    fn explicit_role_resource_keeps_its_tags_and_settings_but_not_its_policy() {
        let role = "arn:aws:iam::111111111111:role/svc/worker";
        let doc = snapshot(json!({"resources": [
            {"arn": role, "type": "AWS::IAM::Role", "policy": trust("ec2.amazonaws.com"),
             "tags": {"owner": "explicit"}, "settings": {"x": 1}}]}));
        let s = read_value(&doc);
        let r = resource(&s, role);
        assert_eq!(r.tags.get("owner").map(String::as_str), Some("explicit"));
        assert_eq!(r.settings, json!({"x": 1}));
        let p = r.policy.as_ref().unwrap().as_ref().unwrap();
        assert!(Arc::ptr_eq(
            p,
            s.principals[1].trust_policy.as_ref().unwrap()
        ));
        assert_eq!(s.problems.len(), 1, "{:?}", messages(&s));
        assert!(
            s.problems[0]
                .message
                .contains("differs from the role's trust policy")
        );

        // Same policy, no tags given: no problem, the role's tags.
        let doc = snapshot(json!({"resources": [
            {"arn": role, "type": "AWS::IAM::Role", "policy": trust("lambda.amazonaws.com")}]}));
        let s = read_value(&doc);
        assert!(s.problems.is_empty(), "{:?}", messages(&s));
        assert_eq!(
            resource(&s, role).tags.get("owner").map(String::as_str),
            Some("platform")
        );
    }

    #[test]
    fn whole_document_errors_say_what_to_fix() {
        let cases: [(&str, Option<&str>, &str); 9] = [
            ("{not json", None, "the snapshot is not valid JSON"),
            (
                "[1, 2]",
                None,
                "the snapshot must be a JSON object (`accountId`, `authorizationDetails`, `resources`...), not a list",
            ),
            (
                r#"{"accountId": 111111111111}"#,
                None,
                "`accountId` must be the 12-digit account id as a string (\"111111111111\"), not 111111111111",
            ),
            (
                r#"{"accountId": "111111111111", "authorizationDetails": []}"#,
                None,
                "`authorizationDetails` must be an object (what `aws iam get-account-authorization-details` prints), not a list",
            ),
            (
                r#"{"resources": []}"#,
                None,
                "the snapshot has no `accountId` and no ARN in it names the account: add `\"accountId\": \"<12 digits>\"`",
            ),
            (
                r#"{"UserDetailList": []}"#,
                None,
                "no ARN in the authorization details names the account: give the account id explicitly",
            ),
            (
                "{}",
                Some("1234"),
                "the account id `1234` is not a 12-digit AWS account id",
            ),
            (
                r#"{"accountId": "111111111111"}"#,
                Some("222222222222"),
                "the account id given (`222222222222`) differs from the snapshot's `accountId` (`111111111111`)",
            ),
            (
                r#"{"accountId": "111111111111", "accountId": "1"}"#,
                None,
                "the snapshot could not be read: duplicate field `accountId`",
            ),
        ];
        for (text, account, expected) in cases {
            let e = read_authorization_details(text, account)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(expected), "{text}: {e}");
        }
        let e = read_authorization_details(&gaad().to_string(), Some("222222222222")).unwrap_err();
        assert_eq!(
            e,
            SnapshotError::AccountMismatch {
                claimed: "222222222222".into(),
                found: ACCOUNT.into()
            }
        );
    }

    #[test]
    fn bare_form_and_account_derivation() {
        let text = gaad().to_string();
        let derived = read_snapshot(&text).unwrap();
        assert_eq!(derived.account_id, ACCOUNT);
        let given = read_authorization_details(&text, Some(ACCOUNT)).unwrap();
        assert_eq!(format!("{derived:?}"), format!("{given:?}"));
        // Only a group names the account.
        let doc = json!({"GroupDetailList": gaad()["GroupDetailList"]});
        assert_eq!(read_snapshot(&doc.to_string()).unwrap().account_id, ACCOUNT);
        // An empty bare document with the account given.
        let s = read_authorization_details("{}", Some(ACCOUNT)).unwrap();
        assert_eq!((s.account_id.as_str(), s.principals.len()), (ACCOUNT, 0));
        // A snapshot of resources only takes the account from a resource ARN.
        let doc = json!({"resources": [{"arn": "arn:aws:kms:eu-west-1:333333333333:key/k", "type": "AWS::KMS::Key"}]});
        let s = read_snapshot(&doc.to_string()).unwrap();
        assert_eq!(s.account_id, "333333333333");
        assert_eq!(
            messages(&s),
            vec!["authorizationDetails: is missing: the snapshot has no IAM users or roles"]
        );
    }

    #[test]
    fn same_input_same_model() {
        let doc = snapshot(json!({"resources": [
            {"arn": "arn:aws:s3:::b", "type": "AWS::S3::Bucket"},
            {"arn": "arn:aws:s3:::a", "type": "AWS::S3::Bucket"}]}))
        .to_string();
        let a = read_snapshot(&doc).unwrap();
        let b = read_snapshot(&doc).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn gaad_lists_outside_authorization_details_are_flagged() {
        let doc = json!({"accountId": ACCOUNT, "Policies": []});
        let s = read_value(&doc);
        assert_eq!(
            messages(&s)[0],
            "Policies: is at the snapshot's top level and is ignored: the authorization details belong under `authorizationDetails`"
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let doc = snapshot(json!({"collectedAt": "2025-01-01", "resources": [
            {"arn": "arn:aws:s3:::a", "type": "AWS::S3::Bucket", "region": "x", "whatever": [1]}]}));
        let s = read_value(&doc);
        assert!(s.problems.is_empty(), "{:?}", messages(&s));
    }
}
