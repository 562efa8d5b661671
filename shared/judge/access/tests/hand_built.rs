//! Effective access on hand-built accounts whose answers the AWS documentation gives.
//! Each test names the rule and the page it comes from.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_access::{Access, Line, Row, effective_access};
use accessdrift_evaluator::ConditionTree;
use serde_json::{Value, json};

const ACCT: &str = "111111111111";

fn role(name: &str, policies: Value, boundary: Option<&str>) -> Value {
    let mut r = json!({
        "Path": "/", "RoleName": name, "RoleId": format!("AROA{name}"), "Arn": format!("arn:aws:iam::{ACCT}:role/{name}"),
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": policies}],
        "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": "credit"}]
    });
    if let Some(b) = boundary {
        r["PermissionsBoundary"] =
            json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": b});
    }
    r
}

fn snapshot(
    roles: Vec<Value>,
    users: Vec<Value>,
    groups: Vec<Value>,
    policies: Vec<Value>,
    resources: Vec<Value>,
    org: Option<Value>,
) -> String {
    let mut s = json!({
        "accountId": ACCT,
        "authorizationDetails": {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies},
        "resources": resources,
    });
    if let Some(o) = org {
        s["organization"] = o;
    }
    s.to_string()
}

fn run(text: &str) -> Vec<Line> {
    let snap = accessdrift_snapshot::read_snapshot(text).expect("snapshot reads");
    let mut lines = Vec::new();
    effective_access(&snap, &Default::default(), |l| lines.push(l));
    lines
}

fn rows<'a>(lines: &'a [Line], principal: &str, resource: &str) -> Vec<&'a Row> {
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Row(r) if &*r.principal == principal && &*r.resource == resource => Some(r),
            _ => None,
        })
        .collect()
}

fn caps(lines: &[Line], principal: &str, resource: &str) -> Vec<(String, Access)> {
    rows(lines, principal, resource)
        .into_iter()
        .map(|r| (r.capability.as_str().to_string(), r.access))
        .collect()
}

fn bucket(name: &str, policy: Value) -> Value {
    json!({"arn": format!("arn:aws:s3:::{name}"), "type": "AWS::S3::Bucket", "policy": policy, "tags": {"owner": "credit-team"}})
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// IAM UG, "Cross-account policy evaluation logic": the bucket policy grants the other
/// account; its principals still need their own identity allow, so the row is Conditional.
#[test]
fn cross_account_bucket_policy_gives_conditional_rows_to_the_other_account() {
    let text = snapshot(
        vec![],
        vec![],
        vec![],
        vec![],
        vec![bucket(
            "shared",
            doc(
                json!([{"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"}]),
            ),
        )],
        None,
    );
    let lines = run(&text);
    let r = rows(
        &lines,
        "arn:aws:iam::222222222222:root",
        "arn:aws:s3:::shared",
    );
    assert_eq!(r.len(), 1, "{lines:#?}");
    assert_eq!(r[0].capability.as_str(), "read-data");
    assert_eq!(r[0].access, Access::Conditional);
    assert_eq!(*r[0].actions, ["s3:GetObject"]);
    assert_eq!(r[0].grants[0].policy, "resource");
    assert_eq!(r[0].grants[0].statement, "Partner");
    assert!(r[0].requires[0].contains("222222222222"));
}

/// AWS KMS Developer Guide, "Default key policy": without the statement delegating to
/// the account, IAM policies alone grant nothing on the key, even to an admin role.
#[test]
fn kms_key_without_root_delegation_ignores_iam_policies() {
    let key = format!("arn:aws:kms:us-east-1:{ACCT}:key/1111");
    let text = snapshot(
        vec![
            role(
                "admin",
                doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
                None,
            ),
            role(
                "app",
                doc(json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}])),
                None,
            ),
        ],
        vec![],
        vec![],
        vec![],
        vec![
            json!({"arn": key, "type": "AWS::KMS::Key", "tags": {}, "policy": doc(json!([
            {"Sid": "AppUses", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:role/app")}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}]))}),
        ],
        None,
    );
    let lines = run(&text);
    assert!(
        caps(&lines, &format!("arn:aws:iam::{ACCT}:role/admin"), &key).is_empty(),
        "{lines:#?}"
    );
    assert!(
        caps(&lines, &format!("arn:aws:iam::{ACCT}:root"), &key).is_empty(),
        "the root user has no implicit KMS access"
    );
    let app = caps(&lines, &format!("arn:aws:iam::{ACCT}:role/app"), &key);
    assert!(
        app.iter()
            .any(|(c, a)| c == "use-resource" && *a == Access::Allowed),
        "{app:?}"
    );
}

/// IAM UG, "Permissions boundaries for IAM entities": effective permissions are the
/// intersection of identity policies and the boundary.
#[test]
fn boundary_caps_an_admin_role() {
    let boundary = format!("arn:aws:iam::{ACCT}:policy/OnlyRead");
    let text = snapshot(
        vec![role(
            "capped",
            doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
            Some(&boundary),
        )],
        vec![],
        vec![],
        vec![
            json!({"PolicyName": "OnlyRead", "Arn": boundary, "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": doc(json!([{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}])), "VersionId": "v1", "IsDefaultVersion": true}]}),
        ],
        vec![bucket("data", Value::Null)],
        None,
    );
    let lines = run(&text);
    let c = caps(
        &lines,
        &format!("arn:aws:iam::{ACCT}:role/capped"),
        "arn:aws:s3:::data",
    );
    let names: Vec<&str> = c.iter().map(|(c, _)| c.as_str()).collect();
    assert!(
        names.contains(&"read-data") && names.contains(&"read-config"),
        "{c:?}"
    );
    assert!(
        !names.contains(&"write-data")
            && !names.contains(&"delete-data")
            && !names.contains(&"administer-resource"),
        "{c:?}"
    );
}

/// Organizations UG, "SCP evaluation": a deny in any SCP level removes the access.
#[test]
fn scp_deny_list_removes_access() {
    let full = json!({"name": "FullAWSAccess", "document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))});
    let org = json!({"id": "o-a1b2c3d4e5", "managementAccountId": "999999999999", "path": ["r-ab12", "ou-ab12-prod"],
        "scp": [{"level": "r-ab12", "policies": [full.clone()]},
                {"level": "ou-ab12-prod", "policies": [full, {"name": "NoDeletes", "document": doc(json!([{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]))}]}]});
    let text = snapshot(
        vec![role(
            "writer",
            doc(
                json!([{"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::data/*"}]),
            ),
            None,
        )],
        vec![],
        vec![],
        vec![],
        vec![bucket("data", Value::Null)],
        Some(org),
    );
    let lines = run(&text);
    let c = caps(
        &lines,
        &format!("arn:aws:iam::{ACCT}:role/writer"),
        "arn:aws:s3:::data",
    );
    assert_eq!(
        c,
        vec![("write-data".to_string(), Access::Allowed)],
        "{lines:#?}"
    );
}

/// S3 UG, "The meaning of public": `Principal: *` without restricting conditions gives
/// anyone (anonymous included) the access.
#[test]
fn public_bucket_gives_anyone_read_data() {
    let text = snapshot(
        vec![],
        vec![],
        vec![],
        vec![],
        vec![bucket(
            "website",
            doc(
                json!([{"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::website/*"}]),
            ),
        )],
        None,
    );
    let lines = run(&text);
    assert_eq!(
        caps(&lines, "*", "arn:aws:s3:::website"),
        vec![("read-data".to_string(), Access::Allowed)],
        "{lines:#?}"
    );
}

/// IAM UG, "IAM user groups": a user holds what its groups' policies grant; the grant
/// names the group policy.
#[test]
fn group_inherited_access_names_the_group_policy() {
    let text = snapshot(
        vec![],
        vec![
            json!({"Path": "/", "UserName": "alice", "UserId": "AIDAALICE", "Arn": format!("arn:aws:iam::{ACCT}:user/alice"), "GroupList": ["readers"],
            "UserPolicyList": [], "AttachedManagedPolicies": [], "Tags": []}),
        ],
        vec![
            json!({"Path": "/", "GroupName": "readers", "GroupId": "AGPAREADERS", "Arn": format!("arn:aws:iam::{ACCT}:group/readers"),
            "GroupPolicyList": [{"PolicyName": "ReadData", "PolicyDocument": doc(json!([{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]))}],
            "AttachedManagedPolicies": []}),
        ],
        vec![],
        vec![bucket("data", Value::Null)],
        None,
    );
    let lines = run(&text);
    let r = rows(
        &lines,
        &format!("arn:aws:iam::{ACCT}:user/alice"),
        "arn:aws:s3:::data",
    );
    assert_eq!(r.len(), 1, "{lines:#?}");
    assert_eq!(r[0].capability.as_str(), "read-data");
    assert!(
        r[0].grants[0].policy.starts_with("group:readers/"),
        "{:?}",
        r[0].grants
    );
}

/// IAM UG, "IAM JSON policy elements: NotAction": Allow with NotAction grants every
/// other action, of every service.
#[test]
fn not_action_role_holds_everything_but_the_excluded_actions() {
    let text = snapshot(
        vec![role(
            "power",
            doc(
                json!([{"Effect": "Allow", "NotAction": ["s3:DeleteObject", "s3:DeleteObjectVersion", "iam:*"], "Resource": "*"}]),
            ),
            None,
        )],
        vec![],
        vec![],
        vec![],
        vec![bucket("data", Value::Null)],
        None,
    );
    let lines = run(&text);
    let r = rows(
        &lines,
        &format!("arn:aws:iam::{ACCT}:role/power"),
        "arn:aws:s3:::data",
    );
    let names: Vec<&str> = r.iter().map(|r| r.capability.as_str()).collect();
    assert!(
        names.contains(&"write-data")
            && names.contains(&"read-data")
            && names.contains(&"administer-resource"),
        "{names:?}"
    );
    for row in &r {
        assert!(!row.actions.contains(&"s3:DeleteObject"), "{row:?}");
    }
}

/// Request-time conditions stay unknown: a grant limited to a source IP is Conditional
/// with the condition; a condition on the principal's own tag is decided.
#[test]
fn request_time_conditions_are_conditional_and_known_facts_are_not() {
    let text = snapshot(
        vec![role(
            "app",
            doc(json!([
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "credit"}}},
                {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "risk"}}}
            ])),
            None,
        )],
        vec![],
        vec![],
        vec![],
        vec![bucket("data", Value::Null)],
        None,
    );
    let lines = run(&text);
    let r = rows(
        &lines,
        &format!("arn:aws:iam::{ACCT}:role/app"),
        "arn:aws:s3:::data",
    );
    let read = r
        .iter()
        .find(|r| r.capability.as_str() == "read-data")
        .expect("read-data row");
    assert_eq!(read.access, Access::Conditional);
    let Some(ConditionTree::Leaf(leaf)) = read.conditions.as_deref() else {
        panic!("one clause: {:?}", read.conditions);
    };
    assert_eq!(leaf.key, "aws:SourceIp");
    let write = r
        .iter()
        .find(|r| r.capability.as_str() == "write-data")
        .expect("write-data row");
    assert_eq!(write.access, Access::Allowed);
    assert!(
        !r.iter().any(|r| r.capability.as_str() == "delete-data"),
        "the tag does not match: {r:?}"
    );
}

/// Data behind a customer-managed key needs decrypt on the key too (KMS Developer
/// Guide, "How Amazon S3 uses AWS KMS").
#[test]
fn read_data_behind_a_kms_key_requires_decrypt_on_the_key() {
    let key = format!("arn:aws:kms:us-east-1:{ACCT}:key/2222");
    let key_policy = doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "kms:*", "Resource": "*"}]),
    );
    let text = snapshot(
        vec![
            role(
                "reader",
                doc(
                    json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}]),
                ),
                None,
            ),
            role(
                "nokey",
                doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])),
                None,
            ),
        ],
        vec![],
        vec![],
        vec![],
        vec![
            json!({"arn": "arn:aws:s3:::secret-data", "type": "AWS::S3::Bucket", "policy": null, "tags": {}, "settings": {"kmsKeyArn": key}}),
            json!({"arn": key, "type": "AWS::KMS::Key", "policy": key_policy, "tags": {}}),
        ],
        None,
    );
    let lines = run(&text);
    let reader = rows(
        &lines,
        &format!("arn:aws:iam::{ACCT}:role/reader"),
        "arn:aws:s3:::secret-data",
    );
    assert_eq!(reader.len(), 1, "{lines:#?}");
    assert!(
        reader[0].requires.iter().any(|q| q.contains("kms:Decrypt")),
        "{:?}",
        reader[0]
    );
    assert!(
        rows(
            &lines,
            &format!("arn:aws:iam::{ACCT}:role/nokey"),
            "arn:aws:s3:::secret-data"
        )
        .is_empty()
    );
}

#[test]
fn bad_resources_get_error_rows_and_the_rest_goes_on() {
    let text = snapshot(
        vec![role(
            "admin",
            doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
            None,
        )],
        vec![],
        vec![],
        vec![],
        vec![
            json!({"arn": "arn:aws:s3:::broken", "type": "AWS::S3::Bucket", "policy": "{not json", "tags": {}}),
            json!({"arn": "arn:aws:ec2:us-east-1:111111111111:instance/i-1", "type": "AWS::EC2::Instance", "policy": null, "tags": {}}),
            bucket("fine", Value::Null),
        ],
        None,
    );
    let lines = run(&text);
    let errors: Vec<&Line> = lines
        .iter()
        .filter(|l| matches!(l, Line::ResourceError { .. }))
        .collect();
    assert_eq!(errors.len(), 2, "{lines:#?}");
    assert!(
        !caps(
            &lines,
            &format!("arn:aws:iam::{ACCT}:role/admin"),
            "arn:aws:s3:::fine"
        )
        .is_empty()
    );
}

#[test]
fn output_is_sorted_and_deterministic() {
    let text =
        accessdrift_access::synthetic::generate(&accessdrift_access::synthetic::SyntheticSpec {
            roles: 40,
            resources: 60,
            seed: 3,
        })
        .to_string();
    let a = run(&text);
    let b = run(&text);
    assert_eq!(a, b);
    let keys: Vec<(String, String, String)> = a
        .iter()
        .filter_map(|l| match l {
            Line::Row(r) => Some((
                r.resource.to_string(),
                r.principal.to_string(),
                r.capability.as_str().to_string(),
            )),
            _ => None,
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(
        keys.len() > 100,
        "a synthetic account has plenty of access: {}",
        keys.len()
    );
}

/// IAM UG, "AWS JSON policy elements: NotPrincipal": a Deny's NotPrincipal exempts only
/// the session it names by session ARN; the role ARN exempts no session. A bucket policy
/// listing only the role ARN denies the role (it used to keep read-data), and one listing
/// a session as well leaves the role read-data only as that session.
#[test]
fn not_principal_role_arn_exempts_no_session_of_the_role() {
    let reader = format!("arn:aws:iam::{ACCT}:role/reader");
    let vault = |exempt: Value| {
        bucket(
            "vault",
            doc(
                json!([{"Sid": "OnlyReader", "Effect": "Deny", "NotPrincipal": {"AWS": exempt},
                        "Action": "s3:*", "Resource": ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"]}]),
            ),
        )
    };
    let roles = || {
        vec![role(
            "reader",
            doc(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::vault/*"}]),
            ),
            None,
        )]
    };
    let only_role = snapshot(
        roles(),
        vec![],
        vec![],
        vec![],
        vec![vault(json!([reader.clone()]))],
        None,
    );
    let lines = run(&only_role);
    assert_eq!(
        caps(&lines, &reader, "arn:aws:s3:::vault"),
        vec![],
        "{lines:#?}"
    );
    let with_session = snapshot(
        roles(),
        vec![],
        vec![],
        vec![],
        vec![vault(json!([
            reader.clone(),
            format!("arn:aws:sts::{ACCT}:assumed-role/reader/nightly-export")
        ]))],
        None,
    );
    let lines = run(&with_session);
    assert_eq!(
        caps(&lines, &reader, "arn:aws:s3:::vault"),
        vec![("read-data".to_string(), Access::Conditional)],
        "{lines:#?}"
    );
}

/// IAM UG, "Policy variables with no value": an inverted operator matches when the
/// variable has no value. An ABAC Deny "unless the principal's `project` tag equals the
/// bucket's" removes the access of a role that has no `project` tag (it used to keep it).
#[test]
fn policy_variable_with_no_value_makes_an_abac_deny_apply() {
    let abac = json!([
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/*"},
        {"Sid": "SameProject", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/project}"}}}
    ]);
    let text = snapshot(
        vec![role("writer", doc(abac), None)],
        vec![],
        vec![],
        vec![],
        vec![bucket("data", Value::Null)],
        None,
    );
    let lines = run(&text);
    assert_eq!(
        caps(
            &lines,
            &format!("arn:aws:iam::{ACCT}:role/writer"),
            "arn:aws:s3:::data"
        ),
        vec![],
        "{lines:#?}"
    );
}

/// IAM UG, "IAM JSON policy elements: Resource", "Using wildcards in resource ARNs": a
/// wildcard in the resource type matches. A Deny on `arn:aws:lambda:*:*:*:worker*` (the
/// function and its versions and aliases, which requests may name) takes the denied
/// role's capabilities on the function away (issue 18: it kept them all).
#[test]
fn a_deny_with_a_wildcard_resource_type_removes_access_to_the_function() {
    let worker = "arn:aws:lambda:us-east-1:111111111111:function:worker";
    let text = snapshot(
        vec![role(
            "operator",
            doc(json!([
                {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
                {"Sid": "NotTheWorker", "Effect": "Deny", "Action": "lambda:*", "Resource": "arn:aws:lambda:*:*:*:worker*"}
            ])),
            None,
        )],
        vec![],
        vec![],
        vec![],
        vec![
            json!({"arn": worker, "type": "AWS::Lambda::Function", "policy": null, "tags": {"owner": "credit-team"}}),
            json!({"arn": "arn:aws:lambda:us-east-1:111111111111:function:other", "type": "AWS::Lambda::Function", "policy": null, "tags": {"owner": "credit-team"}}),
        ],
        None,
    );
    let lines = run(&text);
    let operator = format!("arn:aws:iam::{ACCT}:role/operator");
    assert_eq!(caps(&lines, &operator, worker), vec![], "{lines:#?}");
    assert!(
        !caps(
            &lines,
            &operator,
            "arn:aws:lambda:us-east-1:111111111111:function:other"
        )
        .is_empty(),
        "{lines:#?}"
    );
}

/// Issue 18: a resource whose ARN is malformed (a 13-digit account, not an ARN at all)
/// is reported as could-not-evaluate, never silently left out nor evaluated as if valid.
#[test]
fn malformed_resource_arns_get_error_rows() {
    let admin = role(
        "admin",
        doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
        None,
    );
    let text = snapshot(
        vec![admin],
        vec![],
        vec![],
        vec![],
        vec![
            json!({"arn": "arn:aws:sqs:us-east-1:1111111111112:q", "type": "AWS::SQS::Queue", "policy": null}),
            json!({"arn": "not-an-arn", "type": "AWS::SQS::Queue", "policy": null}),
            bucket("fine", Value::Null),
        ],
        None,
    );
    let lines = run(&text);
    for bad in ["arn:aws:sqs:us-east-1:1111111111112:q", "not-an-arn"] {
        assert!(
            lines.iter().any(
                |l| matches!(l, Line::ResourceError { resource, error } if resource == bad && error.contains("malformed ARN"))
            ),
            "{bad}: {lines:#?}"
        );
        assert!(
            caps(&lines, &format!("arn:aws:iam::{ACCT}:role/admin"), bad).is_empty(),
            "{bad}"
        );
    }
    assert!(
        !caps(
            &lines,
            &format!("arn:aws:iam::{ACCT}:role/admin"),
            "arn:aws:s3:::fine"
        )
        .is_empty()
    );
}

/// Issue 18, item 2: IAM users, groups and customer managed policies are resources, with the
/// capabilities of their IAM actions (Service Authorization Reference, "Actions defined by
/// AWS Identity and Access Management": CreateAccessKey/PutUserPolicy on `user`,
/// AddUserToGroup/PutGroupPolicy on `group`, CreatePolicyVersion on `policy`). Before, a
/// principal allowed only these actions had no row at all.
#[test]
fn iam_users_groups_and_managed_policies_are_resources_of_their_iam_actions() {
    let escalator = role(
        "escalator",
        doc(json!([{"Effect": "Allow", "Action": [
            "iam:CreatePolicyVersion", "iam:AddUserToGroup", "iam:CreateAccessKey"
        ], "Resource": "*"}])),
        None,
    );
    let admin_policy = format!("arn:aws:iam::{ACCT}:policy/admin");
    let user = json!({
        "Path": "/", "UserName": "alice", "UserId": "AIDAALICE", "Arn": format!("arn:aws:iam::{ACCT}:user/alice"),
        "UserPolicyList": [], "GroupList": ["ops"], "AttachedManagedPolicies": [],
        "Tags": [{"Key": "owner", "Value": "platform"}]
    });
    let group = json!({
        "Path": "/", "GroupName": "ops", "GroupId": "AGPAOPS", "Arn": format!("arn:aws:iam::{ACCT}:group/ops"),
        "GroupPolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "admin", "PolicyArn": admin_policy}]
    });
    let policy = json!({
        "PolicyName": "admin", "Arn": admin_policy, "DefaultVersionId": "v1", "Path": "/",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
            "Document": doc(json!([{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]))}]
    });
    let lines = run(&snapshot(
        vec![escalator],
        vec![user],
        vec![group],
        vec![policy],
        vec![],
        None,
    ));
    let me = format!("arn:aws:iam::{ACCT}:role/escalator");
    let admin = "administer-resource".to_string();
    assert_eq!(
        caps(&lines, &me, &admin_policy),
        [(admin.clone(), Access::Allowed)]
    );
    assert_eq!(
        caps(&lines, &me, &format!("arn:aws:iam::{ACCT}:group/ops")),
        [(admin.clone(), Access::Allowed)]
    );
    // An access key of alice is alice's identity: use-resource, like assuming a role.
    assert_eq!(
        caps(&lines, &me, &format!("arn:aws:iam::{ACCT}:user/alice")),
        [
            (admin, Access::Allowed),
            ("use-resource".to_string(), Access::Allowed)
        ]
    );
    let grant = &rows(&lines, &me, &admin_policy)[0];
    assert_eq!(&*grant.actions, ["iam:CreatePolicyVersion"]);
}

/// Issue 18, item 3: iam:CreateServiceLinkedRole and iam:DeleteServiceLinkedRole act only on
/// service-linked roles (IAM User Guide, "Using service-linked roles": AWS creates them under
/// the path /aws-service-role/), so `Resource: "*"` on them administers no ordinary role.
#[test]
fn service_linked_role_actions_administer_only_service_linked_roles() {
    let config = role(
        "config-rules",
        doc(json!([{"Effect": "Allow", "Action": [
            "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole"
        ], "Resource": "*"}])),
        None,
    );
    let mut slr = role("AWSServiceRoleForConfig", doc(json!([])), None);
    slr["Path"] = json!("/aws-service-role/config.amazonaws.com/");
    slr["Arn"] = json!(format!(
        "arn:aws:iam::{ACCT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    ));
    let app = role("app", doc(json!([])), None);
    let lines = run(&snapshot(
        vec![config, slr, app],
        vec![],
        vec![],
        vec![],
        vec![],
        None,
    ));
    let me = format!("arn:aws:iam::{ACCT}:role/config-rules");
    assert_eq!(
        caps(&lines, &me, &format!("arn:aws:iam::{ACCT}:role/app")),
        []
    );
    assert_eq!(
        caps(
            &lines,
            &me,
            &format!(
                "arn:aws:iam::{ACCT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
            )
        ),
        [("administer-resource".to_string(), Access::Allowed)]
    );
}

/// Issue 18, item 3: an object grant limited to a key prefix holds only those keys (IAM User
/// Guide, "IAM JSON policy elements: Resource": wildcards match within the resource part; S3
/// User Guide, "Policy resources for Amazon S3": `bucket/prefix/*` names the objects under a
/// prefix). AWSConfigRulesExecutionRole's `arn:aws:s3:::*/AWSLogs/*/Config/*` used to be
/// reported as read-data on the whole bucket.
#[test]
fn a_prefix_scoped_object_grant_carries_its_key_scope() {
    let config = role(
        "config-rules",
        doc(json!([
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/AWSLogs/*/Config/*"},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/team-a/*"},
            {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": ["arn:aws:s3:::logs/team-a/*", "arn:aws:s3:::logs/*"]}
        ])),
        None,
    );
    let lines = run(&snapshot(
        vec![config],
        vec![],
        vec![],
        vec![],
        vec![bucket("logs", Value::Null)],
        None,
    ));
    let me = format!("arn:aws:iam::{ACCT}:role/config-rules");
    let by_cap = |cap: &str| {
        rows(&lines, &me, "arn:aws:s3:::logs")
            .into_iter()
            .find(|r| r.capability.as_str() == cap)
            .unwrap_or_else(|| panic!("no {cap} row"))
            .keys
            .as_deref()
            .map(<[String]>::to_vec)
    };
    assert_eq!(
        by_cap("read-data"),
        Some(vec![
            "*/AWSLogs/*/Config/*".to_string(),
            "AWSLogs/*/Config/*".to_string()
        ])
    );
    assert_eq!(by_cap("write-data"), Some(vec!["team-a/*".to_string()]));
    // One of the statement's patterns covers every key: the row is whole.
    assert_eq!(by_cap("delete-data"), None);
    // The key scope is in the JSON Lines contract.
    let read = rows(&lines, &me, "arn:aws:s3:::logs")
        .into_iter()
        .find(|r| r.capability.as_str() == "read-data")
        .unwrap();
    let mut out = String::new();
    accessdrift_access::output::row_json(&mut out, read);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["keys"],
        json!(["*/AWSLogs/*/Config/*", "AWSLogs/*/Config/*"])
    );
}

/// IAM User Guide, "AWS JSON policy elements: Principal" (role session principals): a
/// policy may name one session of a role, `arn:aws:sts::A:assumed-role/ROLE/SESSION`. A
/// trust policy doing so gave that session no row (issue 18, item 6); the session acts
/// with its role's policies.
#[test]
fn a_trust_policy_naming_a_role_session_gives_that_session_a_row() {
    let session = format!("arn:aws:sts::{ACCT}:assumed-role/ci/deploy");
    let mut target = role("target", doc(json!([])), None);
    target["AssumeRolePolicyDocument"] = doc(json!([{
        "Effect": "Allow", "Principal": {"AWS": session}, "Action": "sts:AssumeRole"
    }]));
    let ci = role(
        "ci",
        doc(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}])),
        None,
    );
    let lines = run(&snapshot(
        vec![ci, target],
        vec![],
        vec![],
        vec![],
        vec![],
        None,
    ));
    let on_target = format!("arn:aws:iam::{ACCT}:role/target");
    assert_eq!(
        caps(&lines, &session, &on_target),
        [("use-resource".to_string(), Access::Allowed)],
        "{lines:#?}"
    );
}
