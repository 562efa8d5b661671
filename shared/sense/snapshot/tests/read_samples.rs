//! Reading real-shaped `get-account-authorization-details` output (the cloudsplaining
//! test data in `shared/reference/gaad-samples`, read in place, never copied), alone and
//! inside snapshots built around it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::path::PathBuf;
use std::sync::Arc;

use accessdrift_snapshot::{
    PrincipalKind, Snapshot, SnapshotError, read_authorization_details, read_snapshot,
};
use serde_json::{Value, json};

const EXAMPLE: &str = "cloudsplaining-example.json";
const AUTHZ: &str = "cloudsplaining-authz-details.json";

/// The text of a sample. Missing samples fail the test: they are part of the test input.
fn sample(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../../shared/reference/gaad-samples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "sample `{}` could not be read ({e}); these tests need the reference GAAD samples in /work/shared/reference/gaad-samples",
            path.display()
        )
    })
}

fn sample_value(name: &str) -> Value {
    serde_json::from_str(&sample(name)).unwrap()
}

fn count(s: &Snapshot, kind: PrincipalKind) -> usize {
    s.principals.iter().filter(|p| p.kind == kind).count()
}

fn labels(s: &Snapshot, arn: &str) -> Vec<String> {
    let p = s
        .principals
        .iter()
        .find(|p| p.arn == arn)
        .unwrap_or_else(|| panic!("no principal {arn}"));
    p.policies.iter().map(|n| n.name.clone()).collect()
}

/// Percent-encodes everything but ASCII letters and digits.
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

/// URL-encodes every policy document of a GAAD document, as real AWS returns them.
fn encode_all_documents(gaad: &mut Value) {
    fn encode(v: &mut Value) {
        if v.is_object() {
            *v = Value::String(url_encode(&v.to_string()));
        }
    }
    for (list, inline) in [
        ("UserDetailList", "UserPolicyList"),
        ("GroupDetailList", "GroupPolicyList"),
        ("RoleDetailList", "RolePolicyList"),
    ] {
        for entity in gaad[list].as_array_mut().unwrap() {
            if let Some(Value::Array(policies)) = entity.get_mut(inline) {
                for p in policies {
                    encode(&mut p["PolicyDocument"]);
                }
            }
            if let Some(trust) = entity.get_mut("AssumeRolePolicyDocument") {
                encode(trust);
            }
        }
    }
    for policy in gaad["Policies"].as_array_mut().unwrap() {
        for version in policy["PolicyVersionList"].as_array_mut().unwrap() {
            encode(&mut version["Document"]);
        }
    }
}

#[test]
fn both_samples_read_with_the_readme_counts() {
    // (file, users, roles) as in the samples' README table; (groups, customer managed
    // policies) counted in the files.
    for (name, users, roles, groups, policies) in [(EXAMPLE, 44, 78, 5, 46), (AUTHZ, 3, 3, 2, 2)] {
        let s = read_authorization_details(&sample(name), None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(count(&s, PrincipalKind::User), users, "{name}");
        assert_eq!(count(&s, PrincipalKind::Role), roles, "{name}");
        assert_eq!(s.principals.len(), users + roles, "{name}");
        // Every user, role, group and customer managed policy is also a resource.
        assert_eq!(
            s.resources.len(),
            users + roles + groups + policies,
            "{name}"
        );
        // Every policy document in the samples parses, and every managed policy they
        // attach is included; the only problems are about accounts (see below).
        for p in &s.problems {
            assert!(p.message.starts_with("belongs to account"), "{name}: {p:?}");
        }
    }
}

#[test]
fn example_sample_mixes_two_accounts() {
    // cloudsplaining-example.json holds the 200611803367 account plus the six
    // principals of cloudsplaining-authz-details.json (012345678901): the account comes
    // from the first principal and the others are flagged, not dropped.
    let s = read_authorization_details(&sample(EXAMPLE), None).unwrap();
    assert_eq!(s.account_id, "200611803367");
    let flagged: Vec<_> = s.problems.iter().map(|p| p.subject.as_str()).collect();
    assert_eq!(flagged.len(), 6, "{flagged:?}");
    assert!(flagged.contains(&"arn:aws:iam::012345678901:user/obama"));
    assert_eq!(s.principals.len(), 122);
}

#[test]
fn aws_managed_policies_left_out_of_policies_are_problems_on_each_principal() {
    // The samples include the AWS-managed documents they attach; remove them, as a
    // collection that does not include AWS-managed policies would.
    let mut gaad = sample_value(AUTHZ);
    gaad["Policies"].as_array_mut().unwrap().retain(|p| {
        !p["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:iam::aws:policy/")
    });
    let s = read_authorization_details(&gaad.to_string(), None).unwrap();
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let obama = "arn:aws:iam::012345678901:user/obama";
    let about_obama: Vec<_> = s
        .problems
        .iter()
        .filter(|p| p.subject == obama && p.message.contains(admin))
        .map(|p| p.message.as_str())
        .collect();
    assert_eq!(
        about_obama,
        vec![
            format!(
                "managed policy `{admin}` is not in `Policies` (AWS-managed policies are there only when collected); its permissions are unknown"
            ),
            format!(
                "group `admin`: managed policy `{admin}` is not in `Policies` (AWS-managed policies are there only when collected); its permissions are unknown"
            ),
        ]
    );
    // obama is still there, with the policies that could be read.
    assert!(s.principals.iter().any(|p| p.arn == obama));
    // Every principal attaching an AWS-managed policy has a problem naming it.
    let original = read_authorization_details(&sample(AUTHZ), None).unwrap();
    for p in &original.principals {
        for n in &p.policies {
            let aws_managed = n
                .name
                .strip_prefix("managed:")
                .filter(|arn| arn.starts_with("arn:aws:iam::aws:policy/"));
            if let Some(arn) = aws_managed {
                assert!(
                    s.problems
                        .iter()
                        .any(|pr| pr.subject == p.arn && pr.message.contains(arn)),
                    "no problem for {} / {arn}",
                    p.arn
                );
            }
        }
    }
}

#[test]
fn group_policies_are_inherited_with_group_labels() {
    let s = read_authorization_details(&sample(EXAMPLE), None).unwrap();
    let sre = "arn:aws:iam::200611803367:user/privesc-sre-user";
    assert!(
        labels(&s, sre).contains(
            &"group:privesc-sre-group/managed:arn:aws:iam::200611803367:policy/privesc-sre-admin-policy"
                .to_string()
        ),
        "{:?}",
        labels(&s, sre)
    );
    let obama = "arn:aws:iam::012345678901:user/obama";
    let l = labels(&s, obama);
    assert_eq!(
        l,
        vec![
            "managed:arn:aws:iam::aws:policy/AdministratorAccess",
            "group:admin/managed:arn:aws:iam::aws:policy/AdministratorAccess",
        ]
    );
    // One parsed AdministratorAccess, shared.
    let p = s.principals.iter().find(|p| p.arn == obama).unwrap();
    assert!(Arc::ptr_eq(&p.policies[0].policy, &p.policies[1].policy));
}

#[test]
fn url_encoded_documents_read_like_objects() {
    for name in [EXAMPLE, AUTHZ] {
        let plain = read_authorization_details(&sample(name), None).unwrap();
        let mut gaad = sample_value(name);
        encode_all_documents(&mut gaad);
        let encoded_text = gaad.to_string();
        assert!(
            encoded_text.contains("%22Statement%22"),
            "nothing was encoded"
        );
        let encoded = read_authorization_details(&encoded_text, None).unwrap();
        assert_eq!(plain.problems, encoded.problems, "{name}");
        assert_eq!(plain.principals.len(), encoded.principals.len());
        for (a, b) in plain.principals.iter().zip(&encoded.principals) {
            assert_eq!(a.arn, b.arn);
            let a_policies: Vec<_> = a.policies.iter().map(|n| (&n.name, &*n.policy)).collect();
            let b_policies: Vec<_> = b.policies.iter().map(|n| (&n.name, &*n.policy)).collect();
            assert_eq!(a_policies, b_policies, "{}", a.arn);
            assert_eq!(a.trust_policy, b.trust_policy, "{}", a.arn);
            assert_eq!(
                a.boundary.as_ref().map(|n| (&n.name, &*n.policy)),
                b.boundary.as_ref().map(|n| (&n.name, &*n.policy))
            );
        }
    }
}

#[test]
fn a_role_is_a_resource_with_its_trust_policy() {
    let s = read_authorization_details(&sample(AUTHZ), None).unwrap();
    let arn = "arn:aws:iam::012345678901:role/MyRole";
    let role = s.principals.iter().find(|p| p.arn == arn).unwrap();
    let r = s.resources.iter().find(|r| r.arn == arn).unwrap();
    assert_eq!(r.type_name, "AWS::IAM::Role");
    let policy = r.policy.as_ref().unwrap().as_ref().unwrap();
    assert!(Arc::ptr_eq(policy, role.trust_policy.as_ref().unwrap()));
    assert_eq!(
        policy.statements[0].action.patterns[0].raw,
        "sts:AssumeRole"
    );
    assert_eq!(r.account, "012345678901");
    let sorted: Vec<_> = s.resources.iter().map(|r| r.arn.clone()).collect();
    let mut expected = sorted.clone();
    expected.sort();
    expected.dedup();
    assert_eq!(sorted, expected);
}

fn snapshot_around(gaad: Value, extra: Value) -> String {
    let mut doc = json!({"accountId": "012345678901", "authorizationDetails": gaad});
    if let (Value::Object(doc), Value::Object(extra)) = (&mut doc, extra) {
        doc.extend(extra);
    }
    doc.to_string()
}

#[test]
fn a_malformed_resource_policy_is_an_error_on_that_resource_only() {
    let text = snapshot_around(
        sample_value(AUTHZ),
        json!({"resources": [
            {"arn": "arn:aws:s3:::credit-applications", "type": "AWS::S3::Bucket",
             "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::credit-applications/*"}]},
             "tags": {"owner": "credit-team", "confidentiality": "Confidential"}},
            {"arn": "arn:aws:s3:::broken-bucket", "type": "AWS::S3::Bucket",
             "policy": "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Acton%22%3A%22s3%3A%2A%22%7D%5D%7D"},
            {"arn": "arn:aws:kms:eu-west-1:012345678901:key/k1", "type": "AWS::KMS::Key", "policy": null}
        ]}),
    );
    let s = read_snapshot(&text).unwrap();
    let get = |arn: &str| s.resources.iter().find(|r| r.arn == arn).unwrap();
    let broken = get("arn:aws:s3:::broken-bucket");
    let reason = broken.policy.as_ref().unwrap_err();
    assert!(
        reason.starts_with("policy could not be parsed:"),
        "{reason}"
    );
    assert!(reason.contains("Acton"), "{reason}");
    let problems: Vec<_> = s
        .problems
        .iter()
        .filter(|p| p.subject == "arn:aws:s3:::broken-bucket")
        .collect();
    assert_eq!(problems.len(), 1, "{:?}", s.problems);
    assert!(
        problems[0]
            .message
            .starts_with("resource policy could not be parsed:")
    );
    let good = get("arn:aws:s3:::credit-applications");
    assert!(good.policy.as_ref().unwrap().is_some());
    assert_eq!(good.account, "012345678901");
    assert_eq!(good.tags["confidentiality"], "Confidential");
    assert!(matches!(
        get("arn:aws:kms:eu-west-1:012345678901:key/k1").policy,
        Ok(None)
    ));
    assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
    // 3 given + 3 users + 3 roles + 2 groups + 2 customer managed policies.
    assert_eq!(s.resources.len(), 13);
}

#[test]
fn bare_form_with_and_without_an_account_id() {
    let text = sample(AUTHZ);
    let derived = read_authorization_details(&text, None).unwrap();
    assert_eq!(derived.account_id, "012345678901");
    let given = read_authorization_details(&text, Some("012345678901")).unwrap();
    assert_eq!(format!("{derived:?}"), format!("{given:?}"));
    // `read_snapshot` recognises the bare form too.
    let via_snapshot = read_snapshot(&text).unwrap();
    assert_eq!(format!("{derived:?}"), format!("{via_snapshot:?}"));
    // An account id that no principal belongs to is a mistake to fix, not a guess.
    assert!(matches!(
        read_authorization_details(&text, Some("999999999999")),
        Err(SnapshotError::AccountMismatch { .. })
    ));
    // With no ARN to go by, the given id is what tells the account.
    let no_arns = r#"{"UserDetailList": [], "RoleDetailList": [], "Policies": []}"#;
    assert_eq!(
        read_authorization_details(no_arns, None).unwrap_err(),
        SnapshotError::NoAccountInAuthorizationDetails
    );
    let s = read_authorization_details(no_arns, Some("012345678901")).unwrap();
    assert_eq!(s.account_id, "012345678901");
}

#[test]
fn organization_and_account_settings() {
    let text = snapshot_around(
        sample_value(AUTHZ),
        json!({
            "accountSettings": {"s3BlockPublicAccess": {"BlockPublicAcls": true, "IgnorePublicAcls": true,
                "BlockPublicPolicy": true, "RestrictPublicBuckets": false}},
            "organization": {
                "id": "o-a1b2c3d4e5", "managementAccountId": "999999999999",
                "path": ["r-ab12", "ou-ab12-11111111"],
                "scp": [
                    {"level": "r-ab12", "policies": [{"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]},
                    {"level": "ou-ab12-11111111", "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}]}]},
                    {"level": "012345678901", "policies": []}
                ],
                "rcp": [{"level": "r-ab12", "policies": [{"name": "RCPFullAWSAccess", "document": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22%2A%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"}]}]
            }
        }),
    );
    let s = read_snapshot(&text).unwrap();
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let bpa = s.account_settings.s3_block_public_access;
    assert!(bpa.block_public_acls && bpa.ignore_public_acls && bpa.block_public_policy);
    assert!(!bpa.restrict_public_buckets);
    let org = s.organization.unwrap();
    assert_eq!(org.id, "o-a1b2c3d4e5");
    assert_eq!(org.management_account_id, "999999999999");
    assert_eq!(org.path, vec!["r-ab12", "ou-ab12-11111111"]);
    let levels: Vec<_> = org.scp.iter().map(|l| l.level.as_str()).collect();
    assert_eq!(levels, vec!["r-ab12", "ou-ab12-11111111", "012345678901"]);
    assert_eq!(org.scp[0].policies[0].name, "scp:r-ab12/FullAWSAccess");
    assert_eq!(org.scp[1].policies[0].name, "scp:ou-ab12-11111111/1");
    assert!(org.scp[2].policies.is_empty());
    assert_eq!(org.rcp[0].policies[0].name, "rcp:r-ab12/RCPFullAWSAccess");
    // No organization: not in one.
    let s = read_snapshot(&snapshot_around(sample_value(AUTHZ), json!({}))).unwrap();
    assert!(s.organization.is_none());
}
