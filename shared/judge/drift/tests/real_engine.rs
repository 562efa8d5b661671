//! Drift on effective access computed by the real engine from a snapshot: rules whose
//! answer depends on how AWS evaluates a whole policy, not on hand-made rows.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::collections::BTreeSet;

use accessdrift_access::{Line, effective_access};
use accessdrift_desired::DesiredState;
use accessdrift_drift::drift::{DriftConfig, DriftInput, ResourceFacts, drift};
use accessdrift_drift::{Finding, FindingKind};
use serde_json::{Value, json};

const ACCT: &str = "111111111111";

fn topic_snapshot(name: &str, policy: Value) -> String {
    json!({
        "accountId": ACCT,
        "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [], "Policies": [],
            "RoleDetailList": [{
                "Path": "/", "RoleName": "app", "RoleId": "AROAAPP", "Arn": format!("arn:aws:iam::{ACCT}:role/app"),
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                "RolePolicyList": [], "AttachedManagedPolicies": []
            }]},
        "resources": [{"arn": format!("arn:aws:sns:us-east-1:{ACCT}:{name}"), "type": "AWS::SNS::Topic",
                       "policy": policy, "tags": {"owner": "team"}}]
    })
    .to_string()
}

fn findings(text: &str) -> (Vec<Line>, Vec<Finding>) {
    let snap = accessdrift_snapshot::read_snapshot(text).unwrap();
    let mut lines = Vec::new();
    effective_access(&snap, &Default::default(), |l| lines.push(l));
    let resources: Vec<ResourceFacts> = snap
        .resources
        .iter()
        .map(|r| ResourceFacts {
            arn: r.arn.clone(),
            account: r.account.clone(),
            tags: r.tags.clone(),
        })
        .collect();
    let org: BTreeSet<String> = [ACCT.to_string()].into();
    let desired = DesiredState::default();
    let found = drift(
        &DriftInput {
            account: ACCT,
            org_accounts: &org,
            lines: &lines,
            desired: &desired,
            resources: &resources,
        },
        &DriftConfig::default(),
    );
    (lines, found)
}

/// The policy SNS gives every new topic (`__default_statement_ID`).
fn default_topic_policy(name: &str) -> Value {
    json!({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                   "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                   "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
        "Resource": format!("arn:aws:sns:us-east-1:{ACCT}:{name}"),
        "Condition": {"StringEquals": {"AWS:SourceOwner": ACCT}}
    }]})
}

/// SNS Developer Guide, "Example cases for Amazon SNS access control" (aws:SourceAccount
/// versus aws:SourceOwner): `AWS:SourceOwner` is the account on whose behalf the caller
/// acts, so the default topic policy grants the owner's account, and nobody else. It
/// raised a critical "anyone gained administer-resource" on every topic (issue 18).
#[test]
fn the_sns_default_topic_policy_is_not_public_access() {
    let (lines, found) = findings(&topic_snapshot("orders", default_topic_policy("orders")));
    // The account's own principals hold the topic through it...
    assert!(lines.iter().any(|l| matches!(l, Line::Row(r)
        if &*r.principal == "arn:aws:iam::111111111111:role/app"
            && r.capability.as_str() == "administer-resource")));
    // ...and no finding says anyone does.
    let public: Vec<&Finding> = found
        .iter()
        .filter(|f| f.kind == FindingKind::PublicOrExternalAccess)
        .collect();
    assert!(public.is_empty(), "{public:#?}");

    // The same statement without the condition is public, and reported.
    let mut open = default_topic_policy("open");
    open["Statement"][0]
        .as_object_mut()
        .unwrap()
        .remove("Condition");
    let (_, found) = findings(&topic_snapshot("open", open));
    assert!(
        found
            .iter()
            .any(|f| f.kind == FindingKind::PublicOrExternalAccess
                && f.principal.as_deref() == Some("*")),
        "{found:#?}"
    );

    // Pinned to another account outside the Organization: external, reported.
    let mut other = default_topic_policy("other");
    other["Statement"][0]["Condition"] =
        json!({"StringEquals": {"AWS:SourceOwner": "999999999999"}});
    let (_, found) = findings(&topic_snapshot("other", other));
    assert!(
        found
            .iter()
            .any(|f| f.kind == FindingKind::PublicOrExternalAccess),
        "{found:#?}"
    );
}

/// IAM User Guide, "Cross-account policy evaluation logic": another account's principals
/// need that account's grant too, so such a row is Conditional without any condition key.
/// The finding must say why (issue 18: "Conditional" with nothing else).
#[test]
fn a_cross_account_conditional_finding_says_what_must_also_hold() {
    let text = json!({
        "accountId": ACCT,
        "authorizationDetails": {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []},
        "resources": [{"arn": "arn:aws:s3:::shared", "type": "AWS::S3::Bucket", "tags": {"owner": "team"},
            "policy": {"Version": "2012-10-17", "Statement": [{"Sid": "Partner", "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shared/*"}]}}]
    })
    .to_string();
    let (_, found) = findings(&text);
    let partner = found
        .iter()
        .find(|f| f.principal.as_deref() == Some("arn:aws:iam::222222222222:root"))
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert!(
        partner.summary.contains(
            "(Conditional: account 222222222222 must grant the access to its own principals)"
        ),
        "{}",
        partner.summary
    );
}
