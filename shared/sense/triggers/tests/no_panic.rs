//! Property: no input panics the classifier, whatever its shape.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_triggers::{Service, classify, classify_json, table::RULES};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Any JSON value, a few levels deep, with keys drawn from the ones the classifier reads
/// so that the interesting paths are taken.
fn any_json() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "detail",
        "detail-type",
        "source",
        "account",
        "region",
        "eventSource",
        "eventName",
        "errorCode",
        "readOnly",
        "recipientAccountId",
        "requestParameters",
        "responseElements",
        "resources",
        "roleName",
        "userName",
        "bucketName",
        "keyId",
        "queueUrl",
        "functionName",
        "secretId",
        "tableName",
        "targetId",
        "policyArn",
        "ARN",
        "type",
        "arn",
        "role",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec![
            "AWS API Call via CloudTrail",
            "iam.amazonaws.com",
            "lambda.amazonaws.com",
            "AddPermission20150331v2",
            "PutRolePolicy",
            "https://sqs.us-east-1.amazonaws.com/222222222222/q",
            "arn:aws:lambda:us-east-1:222222222222:function:f:1",
            "AWS::KMS::Key",
            "alias/x",
            "true",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|kv| Value::Object(
                kv.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

proptest! {
    #[test]
    fn no_json_value_panics(value in any_json()) {
        let _ = classify(&value);
        let _ = classify(&json!({"detail-type": "AWS API Call via CloudTrail", "detail": value}));
    }

    #[test]
    fn no_text_panics(text in ".{0,200}") {
        let _ = classify_json(&text);
    }

    #[test]
    fn no_request_shape_panics_any_row(row in 0..RULES.len(), request in any_json(), response in any_json()) {
        let rule = &RULES[row];
        let name = if rule.versioned { format!("{}20150331v2", rule.event_name) } else { rule.event_name.to_string() };
        let _ = classify(&json!({
            "detail-type": "AWS API Call via CloudTrail",
            "source": rule.service.source(),
            "detail": {
                "eventSource": rule.service.event_source(),
                "eventName": name,
                "awsRegion": "us-east-1",
                "recipientAccountId": "222222222222",
                "requestParameters": request,
                "responseElements": response,
            }
        }));
    }
}

#[test]
fn every_service_has_rows() {
    for s in Service::ALL {
        assert!(RULES.iter().any(|r| r.service == s), "{s:?}");
    }
}
