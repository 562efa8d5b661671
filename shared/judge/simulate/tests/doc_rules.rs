//! Rules the AWS IAM User Guide settles and independent suites got wrong (issue 14),
//! one test per rule, named after the page, with a case for each policy type the rule
//! touches. Cases are in `shared/spec/simulate.md`'s format and go through the same
//! entry point as `accessdrift simulate`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_simulate::{Options, PolicyCache, run_case_text};
use serde_json::{Value, json};

const ACCOUNT: &str = "111111111111";

fn decide(case: &Value) -> Value {
    let out = run_case_text(
        &case.to_string(),
        &PolicyCache::default(),
        Options::default(),
    );
    serde_json::from_str(&out).unwrap()
}

fn decision(case: &Value) -> String {
    let out = decide(case);
    match out.get("decision").and_then(Value::as_str) {
        Some(d) => d.to_string(),
        None => panic!("no decision for {}: {out}", case["id"]),
    }
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow_all() -> Value {
    doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))
}

/// A request by user `u` for `action` on `resource`, with `policies` and `context`.
fn case(id: &str, action: &str, resource: &str, context: Value, policies: Value) -> Value {
    json!({
        "id": id,
        "request": {
            "principal": format!("arn:aws:iam::{ACCOUNT}:user/u"),
            "action": action,
            "resource": resource,
            "resourceAccount": ACCOUNT,
            "context": context,
        },
        "policies": policies,
    })
}

fn scp(policy: Value) -> Value {
    json!([{"level": "r-root", "policies": [policy]}])
}

// ---- "IAM policy elements: Variables and tags", "Policy variables with no value" ----

/// The Deny names `${aws:PrincipalTag/Team}`, which the request lacks.
fn team_deny(effect_resource_key: &str) -> Value {
    json!({
        "Effect": "Deny",
        "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {"StringNotEquals": {effect_resource_key: "${aws:PrincipalTag/Team}"}},
    })
}

#[test]
fn policy_variables_with_no_value_inverted_operator_matches_in_every_policy_type() {
    // "Access is specifically denied when aws:principaltag/Team is not set."
    let object = "arn:aws:s3:::example-bucket/o";
    let ctx = json!({"s3:ExistingObjectTag/Team": "red"});
    let deny = team_deny("s3:ExistingObjectTag/Team");
    // The case, verbatim in substance: an identity-policy Deny.
    let identity = case(
        "deny-StringNotEquals-unresolved-variable",
        "s3:GetObject",
        object,
        ctx.clone(),
        json!({"identity": [doc(json!([
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, deny.clone()
        ]))]}),
    );
    assert_eq!(decision(&identity), "ExplicitlyDenied");
    // A bucket-policy Deny (with Principal).
    let mut in_bucket = deny.clone();
    in_bucket["Principal"] = json!("*");
    let bucket = case(
        "bucket-deny",
        "s3:GetObject",
        object,
        ctx.clone(),
        json!({"identity": [allow_all()], "resource": doc(json!([in_bucket]))}),
    );
    assert_eq!(decision(&bucket), "ExplicitlyDenied");
    // An SCP Deny.
    let in_scp = case(
        "scp-deny",
        "s3:GetObject",
        object,
        ctx.clone(),
        json!({"identity": [allow_all()], "scp": scp(doc(json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*"}, deny.clone()
        ])))}),
    );
    assert_eq!(decision(&in_scp), "ExplicitlyDenied");
    // With the tag set to the object's value the Deny does not apply.
    let mut tagged = identity.clone();
    tagged["request"]["context"]["aws:PrincipalTag/Team"] = json!("red");
    assert_eq!(decision(&tagged), "Allowed");
    // An Allow with an inverted operator holds too (it was a false deny).
    let allow = case(
        "allow-StringNotEquals-unresolved-variable",
        "s3:GetObject",
        object,
        ctx,
        json!({"identity": [doc(json!([{
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}
        }]))]}),
    );
    assert_eq!(decision(&allow), "Allowed");
}

#[test]
fn policy_variables_with_no_value_in_discovery_mode_deny_applies_when_the_tag_is_known_absent() {
    // Discovery mode, the principal's tags known (as the effective-access engine knows
    // them from the snapshot): the Deny applies, so nothing is allowed.
    let mut c = case(
        "discovery",
        "s3:GetObject",
        "arn:aws:s3:::example-bucket/o",
        json!({}),
        json!({"identity": [doc(json!([
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            team_deny("s3:ExistingObjectTag/Team")
        ]))]}),
    );
    c["mode"] = json!("Discovery");
    c["discoveryContextKeyConstraints"] = json!([
        {"keyName": "/aws:PrincipalTag/.*/", "presenceIsKnown": true, "valueIsKnown": true}
    ]);
    // The object tag is unknown: the Deny may apply, which does not deny in Discovery
    // mode, but the answer is no longer an unconditional Allowed.
    let out = decide(&c);
    assert_eq!(out["decision"], "Allowed", "{out}");
    assert!(
        out.get("conditions").is_some(),
        "must depend on the Deny: {out}"
    );
    // With the object tag given, the Deny settles it.
    c["request"]["context"] = json!({"s3:ExistingObjectTag/Team": "red"});
    c["discoveryContextKeyConstraints"] = json!([
        {"keyName": "/aws:PrincipalTag/.*/", "presenceIsKnown": true, "valueIsKnown": true},
        {"keyName": "s3:ExistingObjectTag/Team", "presenceIsKnown": true, "valueIsKnown": true}
    ]);
    assert_eq!(decision(&c), "ExplicitlyDenied");
}

#[test]
fn policy_variables_with_no_value_not_resource_entry_matches_no_resource() {
    // An entry whose variable has no value "will not match any resource", so a
    // NotResource statement holding it covers every other resource.
    let deny = json!({
        "Effect": "Deny", "Action": "s3:GetObject",
        "NotResource": "arn:aws:s3:::home/${aws:username}/*"
    });
    let identity = case(
        "identity-notresource",
        "s3:GetObject",
        "arn:aws:s3:::home/alice/o",
        json!({}),
        json!({"identity": [doc(json!([
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, deny.clone()
        ]))]}),
    );
    assert_eq!(decision(&identity), "ExplicitlyDenied");
    let in_scp = case(
        "scp-notresource",
        "s3:GetObject",
        "arn:aws:s3:::home/alice/o",
        json!({}),
        json!({"identity": [allow_all()], "scp": scp(doc(json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*"}, deny.clone()
        ])))}),
    );
    assert_eq!(decision(&in_scp), "ExplicitlyDenied");
    // With the variable resolved, the user's own home is exempt.
    let mut resolved = identity.clone();
    resolved["request"]["context"] = json!({"aws:username": "alice"});
    assert_eq!(decision(&resolved), "Allowed");
    // An Allow with NotResource grants the other resources.
    let allow = case(
        "allow-notresource",
        "s3:GetObject",
        "arn:aws:s3:::other/o",
        json!({}),
        json!({"identity": [doc(json!([{
            "Effect": "Allow", "Action": "s3:GetObject",
            "NotResource": "arn:aws:s3:::home/${aws:username}/*"
        }]))]}),
    );
    assert_eq!(decision(&allow), "Allowed");
    // A bucket policy's Resource with such an entry matches nothing.
    let bucket = case(
        "bucket-resource",
        "s3:GetObject",
        "arn:aws:s3:::home/alice/o",
        json!({}),
        json!({"resource": doc(json!([{
            "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/u")},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"
        }]))}),
    );
    assert_eq!(decision(&bucket), "ImplicitlyDenied");
}

// ---- "IAM JSON policy elements: Condition operators", set operators for multivalued keys ----

fn tag_keys_case(id: &str, op: &str, effect: &str, tag_keys: Value) -> Value {
    let mut statements = vec![json!({
        "Effect": effect, "Action": "ec2:CreateTags", "Resource": "*",
        "Condition": {op: {"aws:TagKeys": ["team"]}}
    })];
    if effect == "Deny" {
        statements.insert(
            0,
            json!({"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*"}),
        );
    }
    case(
        id,
        "ec2:CreateTags",
        "*",
        json!({"aws:TagKeys": tag_keys}),
        json!({"identity": [doc(Value::Array(statements))]}),
    )
}

#[test]
fn set_operators_for_multivalued_context_keys_empty_string_is_a_null_data_set() {
    // ForAllValues "also returns true if ... the key values resolve to a null data set,
    // such as an empty string"; ForAnyValue returns false "for no matching key or a null
    // dataset".
    let all = tag_keys_case(
        "ForAllValues-empty-string-null-dataset",
        "ForAllValues:StringEquals",
        "Allow",
        json!(""),
    );
    assert_eq!(decision(&all), "Allowed");
    let any = tag_keys_case(
        "ForAnyValue-empty-string-null-dataset",
        "ForAnyValue:StringEquals",
        "Allow",
        json!(""),
    );
    assert_eq!(decision(&any), "ImplicitlyDenied");
    // In a Deny: ForAnyValue:StringNotEquals on a null data set does not deny.
    let deny = tag_keys_case(
        "deny-ForAnyValue-null",
        "ForAnyValue:StringNotEquals",
        "Deny",
        json!([""]),
    );
    assert_eq!(decision(&deny), "Allowed");
    // A real value still counts.
    let other = tag_keys_case(
        "deny-ForAnyValue-other",
        "ForAnyValue:StringNotEquals",
        "Deny",
        json!(["owner"]),
    );
    assert_eq!(decision(&other), "ExplicitlyDenied");
}

// ---- "IAM JSON policy elements: NotPrincipal" ----

const SESSION_ROLE: &str = "arn:aws:iam::444455556666:role/cross-account-read-only-role";

fn not_principal_bucket() -> Value {
    doc(json!([
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [
                "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app",
                SESSION_ROLE,
                "arn:aws:iam::444455556666:root"
            ]},
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::BUCKETNAME/*"
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": SESSION_ROLE},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::BUCKETNAME/*"
        }
    ]))
}

fn session_case(session: &str) -> Value {
    json!({
        "id": format!("NotPrincipal-role-arn-{session}"),
        "request": {
            "principal": format!(
                "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/{session}"
            ),
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::BUCKETNAME/k",
            "resourceAccount": ACCOUNT,
            "context": {},
        },
        "policies": {"identity": [allow_all()], "resource": not_principal_bucket()},
    })
}

#[test]
fn not_principal_role_arn_exempts_only_the_session_named() {
    // "all principals except the assumed-role user named cross-account-audit-app in
    // account 444455556666 are explicitly denied".
    assert_eq!(decision(&session_case("other-session")), "ExplicitlyDenied");
    assert_eq!(
        decision(&session_case("cross-account-audit-app")),
        "Allowed"
    );
}

#[test]
fn not_principal_in_discovery_mode_makes_the_role_conditional_on_its_session_name() {
    // The role stands for its future sessions: allowed only as the named session.
    let mut c = session_case("x");
    c["mode"] = json!("Discovery");
    c["request"]["principal"] = json!(SESSION_ROLE);
    let out = decide(&c);
    assert_eq!(out["decision"], "Allowed", "{out}");
    let text = out["conditions"].to_string();
    assert!(text.contains("sts:RoleSessionName"), "{out}");
    assert!(text.contains("cross-account-audit-app"), "{out}");
    // A NotPrincipal listing only the role ARN denies every session.
    let mut only_role = c.clone();
    only_role["policies"]["resource"]["Statement"][0]["NotPrincipal"] =
        json!({"AWS": [SESSION_ROLE]});
    assert_eq!(decision(&only_role), "ExplicitlyDenied");
}

// ---- "IAM JSON policy elements: Resource", "Using wildcards in resource ARNs" ----

#[test]
fn using_wildcards_in_resource_arns_a_wildcard_resource_type_matches() {
    // Issue 18: these were ImplicitlyDenied (Allow) or ignored (Deny, NotResource).
    let cases = [
        (
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:111111111111:table/orders",
            "arn:aws:dynamodb:*:*:tab?e/orders",
        ),
        (
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:111111111111:table/orders",
            "arn:aws:dynamodb:*:*:*/orders",
        ),
        (
            "lambda:InvokeFunction",
            "arn:aws:lambda:us-east-1:111111111111:function:worker",
            "arn:aws:lambda:*:*:*:worker",
        ),
        (
            "iam:GetRole",
            "arn:aws:iam::111111111111:role/app",
            "arn:aws:iam::*:*/app",
        ),
    ];
    for (action, resource, pattern) in cases {
        let allow = case(
            "allow",
            action,
            resource,
            json!({}),
            json!({"identity": [doc(json!([{"Effect": "Allow", "Action": action, "Resource": pattern}]))]}),
        );
        assert_eq!(decision(&allow), "Allowed", "{pattern}");
        let deny = case(
            "deny",
            action,
            resource,
            json!({}),
            json!({"identity": [doc(json!([
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": action, "Resource": pattern}
            ]))]}),
        );
        assert_eq!(decision(&deny), "ExplicitlyDenied", "{pattern}");
        let in_scp = case(
            "scp",
            action,
            resource,
            json!({}),
            json!({"identity": [allow_all()], "scp": scp(doc(json!([
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": action, "Resource": pattern}
            ])))}),
        );
        assert_eq!(decision(&in_scp), "ExplicitlyDenied", "{pattern}");
        let not_resource = case(
            "notresource",
            action,
            resource,
            json!({}),
            json!({"identity": [doc(json!([
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": action, "NotResource": pattern}
            ]))]}),
        );
        assert_eq!(decision(&not_resource), "Allowed", "{pattern}");
    }
}
