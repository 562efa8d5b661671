//! Property tests: invariants of AWS's evaluation logic that must hold for any policies.
//!
//! - adding a `Deny` statement never grants access;
//! - adding an `Allow` statement never removes access (Strict mode);
//! - statement order never matters;
//! - `NotAction: X` allows exactly the actions `Action: X` does not;
//! - parsing and evaluating arbitrary JSON never panics;
//! - the key scope of a grant (`resource::residuals`) is exactly what the grant matches
//!   under the bucket.
//!
//! Cases per property come from `PROPTEST_CASES` (CI runs a short check).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_evaluator::context::{ContextValue, Mode, RequestContext};
use accessdrift_evaluator::{
    Decision, NamedPolicy, OrgLevel, PolicySet, Principal, Request, Settings, evaluate,
};
use accessdrift_policy::{Policy, parse_policy_value};
use proptest::prelude::*;
use serde_json::{Value, json};

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "sqs:SendMessage",
    "kms:Decrypt",
];
const ACTION_PATTERNS: &[&str] = &[
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "s3:?utObject",
    "sqs:*",
    "*",
    "kms:Decrypt",
    "s3:List*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::bucket-a/key.txt",
    "arn:aws:s3:::bucket-b/dir/key.txt",
    "arn:aws:s3:::bucket-a",
    "arn:aws:sqs:us-east-1:111111111111:q1",
    "arn:aws:kms:us-east-1:111111111111:key/k1",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket-a/*",
    "arn:aws:s3:::bucket-*",
    "arn:aws:s3:::*/dir/*",
    "arn:aws:sqs:*:111111111111:q?",
    "arn:aws:kms:us-east-1:111111111111:key/*",
    "arn:aws:s3:::${aws:username}/*",
];
const PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111111111111:user/alice",
    "arn:aws:sts::111111111111:assumed-role/app/s1",
    "arn:aws:iam::222222222222:user/bob",
    "arn:aws:iam::111111111111:root",
];
const RP_PRINCIPALS: &[&str] = &[
    "*",
    "arn:aws:iam::111111111111:root",
    "arn:aws:iam::111111111111:user/alice",
    "arn:aws:iam::111111111111:role/app",
    "arn:aws:iam::222222222222:root",
];

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(json!({"StringEquals": {"aws:PrincipalTag/team": "a"}}))),
        1 => Just(Some(json!({"StringNotEquals": {"aws:PrincipalTag/team": ["a", "b"]}}))),
        1 => Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        1 => Just(Some(json!({"Null": {"aws:SourceVpc": "true"}}))),
        1 => Just(Some(json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["x"]}}))),
        1 => Just(Some(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}))),
    ]
}

fn statement(with_principal: bool) -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3),
        prop::bool::weighted(0.1),
        prop::collection::vec(prop::sample::select(RESOURCE_PATTERNS), 1..3),
        condition(),
        prop::sample::select(RP_PRINCIPALS),
    )
        .prop_map(
            move |(deny, not_action, actions, not_resource, resources, cond, p)| {
                let mut st = serde_json::Map::new();
                st.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
                st.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(actions),
                );
                st.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    json!(resources),
                );
                if let Some(c) = cond {
                    st.insert("Condition".into(), c);
                }
                if with_principal {
                    st.insert("Principal".into(), json!({"AWS": p}));
                }
                Value::Object(st)
            },
        )
}

fn policy_doc(with_principal: bool) -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(statement(with_principal), 0..4)
}

#[derive(Debug, Clone)]
struct Scenario {
    identity: Vec<Value>,
    resource: Option<Vec<Value>>,
    boundary: Option<Vec<Value>>,
    scp: Option<Vec<Value>>,
    principal: &'static str,
    action: &'static str,
    resource_arn: &'static str,
    team: Option<&'static str>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        policy_doc(false),
        prop::option::weighted(0.5, policy_doc(true)),
        prop::option::weighted(0.2, policy_doc(false)),
        prop::option::weighted(0.2, policy_doc(false)),
        prop::sample::select(PRINCIPALS),
        prop::sample::select(ACTIONS),
        prop::sample::select(RESOURCES),
        prop::option::of(prop::sample::select(&["a", "b", "c"][..])),
    )
        .prop_map(
            |(identity, resource, boundary, scp, principal, action, resource_arn, team)| Scenario {
                identity,
                resource,
                boundary,
                scp,
                principal,
                action,
                resource_arn,
                team,
            },
        )
}

fn doc(statements: &[Value]) -> Policy {
    parse_policy_value(&json!({"Version": "2012-10-17", "Statement": statements}))
        .expect("generated policies are valid")
}

fn decide(s: &Scenario) -> Decision {
    let identity = doc(&s.identity);
    let resource = s.resource.as_ref().map(|r| doc(r));
    let boundary = s.boundary.as_ref().map(|b| doc(b));
    let scp = s.scp.as_ref().map(|b| doc(b));
    let principal = Principal::parse(s.principal);
    let mut ctx = RequestContext::with_mode(Mode::Strict);
    if let Some(t) = s.team {
        ctx.insert("aws:PrincipalTag/team", ContextValue::Single(t.to_string()));
    }
    ctx.insert("aws:username", ContextValue::Single("alice".into()));
    let scp_levels: Vec<OrgLevel<'_>> = scp
        .as_ref()
        .map(|p| {
            vec![OrgLevel {
                level: "r-root",
                policies: vec![NamedPolicy {
                    name: "scp",
                    policy: p,
                }],
            }]
        })
        .unwrap_or_default();
    let set = PolicySet {
        identity: &[NamedPolicy {
            name: "id",
            policy: &identity,
        }],
        resource: resource.as_ref().map(|p| NamedPolicy {
            name: "rp",
            policy: p,
        }),
        boundary: boundary.as_ref().map(|p| NamedPolicy {
            name: "pb",
            policy: p,
        }),
        scp: &scp_levels,
        ..Default::default()
    };
    let account = s
        .resource_arn
        .split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .unwrap_or("111111111111");
    let req = Request {
        principal: &principal,
        action: s.action,
        resource: s.resource_arn,
        resource_account: Some(account),
        context: &ctx,
        wildcard_only_action: Some(false),
    };
    evaluate(&req, &set, &Settings::default()).decision
}

proptest! {
    #[test]
    fn adding_a_deny_never_grants_access(s in scenario(), extra in statement(false), to_resource in any::<bool>()) {
        let before = decide(&s);
        let mut deny = extra;
        deny["Effect"] = json!("Deny");
        let mut after = s.clone();
        if to_resource && after.resource.is_some() {
            deny["Principal"] = json!("*");
            after.resource.as_mut().unwrap().push(deny);
        } else {
            after.identity.push(deny);
        }
        let now = decide(&after);
        prop_assert!(before == Decision::Allowed || now != Decision::Allowed, "deny added access: {before:?} -> {now:?}");
    }

    #[test]
    fn adding_an_allow_never_removes_access(s in scenario(), extra in statement(false)) {
        let before = decide(&s);
        let mut allow = extra;
        allow["Effect"] = json!("Allow");
        let mut after = s.clone();
        after.identity.push(allow);
        let now = decide(&after);
        prop_assert!(before != Decision::Allowed || now == Decision::Allowed, "allow removed access: {before:?} -> {now:?}");
    }

    #[test]
    fn statement_order_never_matters(s in scenario()) {
        let before = decide(&s);
        let mut reversed = s.clone();
        reversed.identity.reverse();
        if let Some(r) = reversed.resource.as_mut() { r.reverse(); }
        if let Some(b) = reversed.boundary.as_mut() { b.reverse(); }
        prop_assert_eq!(before, decide(&reversed));
    }

    #[test]
    fn not_action_is_the_complement_of_action(actions in prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3),
                                              action in prop::sample::select(ACTIONS)) {
        let with = |key: &str| Scenario {
            identity: vec![json!({"Effect": "Allow", key: actions.clone(), "Resource": "*"})],
            resource: None, boundary: None, scp: None,
            principal: "arn:aws:iam::111111111111:user/alice",
            action, resource_arn: "arn:aws:s3:::bucket-a/key.txt", team: None,
        };
        let a = decide(&with("Action")) == Decision::Allowed;
        let n = decide(&with("NotAction")) == Decision::Allowed;
        prop_assert!(a != n, "Action allowed={a}, NotAction allowed={n}");
    }

    #[test]
    fn parse_and_evaluate_never_panic(v in arb_json()) {
        if let Ok(policy) = parse_policy_value(&v) {
            let principal = Principal::parse("arn:aws:iam::111111111111:user/alice");
            let ctx = RequestContext::with_mode(Mode::Discovery(Vec::new().into()));
            let set = PolicySet {
                identity: &[NamedPolicy { name: "p", policy: &policy }],
                resource: Some(NamedPolicy { name: "r", policy: &policy }),
                ..Default::default()
            };
            for (action, resource) in [("s3:GetObject", "arn:aws:s3:::b/k"), ("iam:ListRoles", "*"), ("kms:Decrypt", "arn:aws:kms:us-east-1:111111111111:key/*")] {
                let req = Request { principal: &principal, action, resource, resource_account: Some("111111111111"), context: &ctx, wildcard_only_action: None };
                let _ = evaluate(&req, &set, &Settings::default());
            }
        }
    }
}

/// Arbitrary JSON biased towards policy-shaped documents.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "Allow",
            "Deny",
            "*",
            "s3:*",
            "s3:Get*",
            "arn:aws:s3:::b/*",
            "2012-10-17",
            "2008-10-17",
            "${aws:username}",
            "${aws:PrincipalTag/x, 'd'}",
            "aws:SourceIp",
            "10.0.0.0/8",
            "not-an-ip",
            "StringLike",
            "ForAllValues:StringEquals",
            "NullIfExists",
            "",
            "arn:",
            "ArnLike",
            "DateLessThan",
            "2024-01-01T00:00:00Z",
        ])
        .prop_map(|s| Value::String(s.to_string())),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "Version",
            "Statement",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Principal",
            "NotPrincipal",
            "Condition",
            "AWS",
            "Service",
            "StringEquals",
            "IpAddress",
            "aws:SourceIp",
            "Sid",
            "Bool",
            "Null",
            "ForAnyValue:StringLike",
            "DateGreaterThan",
            "NumericLessThan",
            "ArnEquals",
            "BinaryEquals",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..5).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// Hand-built cases for rules the corpus does not cover, each named for the AWS page.
mod documented_rules {
    use super::*;

    fn run(principal: &str, action: &str, resource: &str, account: &str, rp: Value) -> Decision {
        let rp = parse_policy_value(&rp).unwrap();
        let principal = Principal::parse(principal);
        let ctx = RequestContext::new();
        let set = PolicySet {
            resource: Some(NamedPolicy {
                name: "bucket",
                policy: &rp,
            }),
            ..Default::default()
        };
        let req = Request {
            principal: &principal,
            action,
            resource,
            resource_account: Some(account),
            context: &ctx,
            wildcard_only_action: Some(false),
        };
        evaluate(&req, &set, &Settings::default()).decision
    }

    /// S3 API reference, PutBucketPolicy: the bucket owner's root user is never locked out.
    #[test]
    fn s3_put_bucket_policy_root_user_is_never_locked_out() {
        let deny_all = json!({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}});
        assert_eq!(
            run(
                "arn:aws:iam::111111111111:root",
                "s3:PutBucketPolicy",
                "arn:aws:s3:::b",
                "111111111111",
                deny_all.clone()
            ),
            Decision::Allowed
        );
        assert_eq!(
            run(
                "arn:aws:iam::111111111111:root",
                "s3:GetObject",
                "arn:aws:s3:::b/k",
                "111111111111",
                deny_all.clone()
            ),
            Decision::ExplicitlyDenied
        );
        assert_eq!(
            run(
                "arn:aws:iam::111111111111:user/admin",
                "s3:PutBucketPolicy",
                "arn:aws:s3:::b",
                "111111111111",
                deny_all
            ),
            Decision::ExplicitlyDenied
        );
    }
}

proptest! {
    /// `prefix + key` matches `pattern` exactly when `key` matches one of its residuals:
    /// the key scope reported on rows is neither wider nor narrower than the grant.
    #[test]
    fn residuals_are_exactly_what_the_pattern_matches_under_the_prefix(
        pattern in "[ab/*?]{0,7}",
        // S3 object keys are never empty.
        key in "[ab/]{1,6}",
    ) {
        use accessdrift_evaluator::resource::{residuals, text_covers};
        let prefix = "arn:aws:s3:::b/";
        let full = format!("arn:aws:s3:::{pattern}");
        let whole = text_covers(&full, &format!("{prefix}{key}"));
        let scoped = residuals(&full, prefix).iter().any(|r| text_covers(r, &key));
        prop_assert_eq!(whole, scoped, "pattern {} key {}", full, key);
    }
}
