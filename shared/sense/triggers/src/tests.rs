//! Classification per service, on records shaped as CloudTrail writes them.

use serde_json::{Value, json};

use super::*;

const MEMBER: &str = "222222222222";

/// An EventBridge event around a CloudTrail record of a successful write call.
fn event(service: Service, name: &str, request: Value, response: Value) -> Value {
    json!({
        "version": "0",
        "id": "6f2b3c1e-0000-4000-8000-000000000001",
        "detail-type": "AWS API Call via CloudTrail",
        "source": service.source(),
        "account": MEMBER,
        "time": "2026-11-24T09:12:44Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": "AROAEXAMPLEID:alice",
                "arn": format!("arn:aws:sts::{MEMBER}:assumed-role/platform-admin/alice"),
                "accountId": MEMBER,
            },
            "eventTime": "2026-11-24T09:12:44Z",
            "eventSource": service.event_source(),
            "eventName": name,
            "awsRegion": "eu-west-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-cli/2.17.0",
            "requestParameters": request,
            "responseElements": response,
            "requestID": "c1a2b3d4-0000-4000-8000-000000000002",
            "eventID": "e1a2b3d4-0000-4000-8000-000000000003",
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": MEMBER,
            "eventCategory": "Management",
        }
    })
}

fn targets(e: &Value) -> Vec<String> {
    match classify(e).trigger {
        Trigger::Reevaluate(t) => t.iter().map(ToString::to_string).collect(),
        other => panic!("expected targets, got {other}"),
    }
}

fn one(e: &Value) -> String {
    let t = targets(e);
    assert_eq!(t.len(), 1, "{t:?}");
    t[0].clone()
}

#[test]
fn iam_role_policy_changes_reevaluate_the_role_as_principal() {
    for name in [
        "PutRolePolicy",
        "DeleteRolePolicy",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "PutRolePermissionsBoundary",
        "DeleteRolePermissionsBoundary",
    ] {
        let e = event(
            Service::Iam,
            name,
            json!({"roleName": "credit-processor", "policyName": "ReadApps",
                   "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            Value::Null,
        );
        assert_eq!(
            one(&e),
            format!("principal arn:aws:iam::{MEMBER}:role/credit-processor"),
            "{name}"
        );
    }
    let c = classify(&event(
        Service::Iam,
        "PutRolePolicy",
        json!({"roleName": "r"}),
        Value::Null,
    ));
    assert_eq!(
        c.trigger,
        Trigger::Reevaluate(vec![Target::Principal {
            account: MEMBER.into(),
            arn: format!("arn:aws:iam::{MEMBER}:role/r")
        }])
    );
    assert_eq!(c.event.event_name, "PutRolePolicy");
    assert_eq!(c.event.id, "e1a2b3d4-0000-4000-8000-000000000003");
}

#[test]
fn iam_trust_policy_change_reevaluates_the_role_as_resource() {
    let e = event(
        Service::Iam,
        "UpdateAssumeRolePolicy",
        json!({"roleName": "ci", "policyDocument": "{}"}),
        Value::Null,
    );
    assert_eq!(one(&e), format!("resource arn:aws:iam::{MEMBER}:role/ci"));
}

#[test]
fn iam_created_role_uses_the_arn_with_its_path_from_the_response() {
    let e = event(
        Service::Iam,
        "CreateRole",
        json!({"roleName": "etl", "path": "/service/", "assumeRolePolicyDocument": "{}"}),
        json!({"role": {"path": "/service/", "roleName": "etl", "roleId": "AROAEXAMPLE",
               "arn": format!("arn:aws:iam::{MEMBER}:role/service/etl"),
               "createDate": "Nov 24, 2026 9:12:44 AM"}}),
    );
    let arn = format!("arn:aws:iam::{MEMBER}:role/service/etl");
    assert_eq!(
        targets(&e),
        [format!("principal {arn}"), format!("resource {arn}")]
    );
    let tagged = event(
        Service::Iam,
        "TagRole",
        json!({"roleName": "etl", "tags": [{"key": "owner", "value": "credit-team"}]}),
        Value::Null,
    );
    assert_eq!(targets(&tagged).len(), 2);
}

#[test]
fn iam_user_changes_and_group_membership_reevaluate_the_user() {
    for name in [
        "PutUserPolicy",
        "AttachUserPolicy",
        "AddUserToGroup",
        "RemoveUserFromGroup",
        "TagUser",
        "DeleteUser",
    ] {
        let e = event(
            Service::Iam,
            name,
            json!({"userName": "bob", "groupName": "analysts"}),
            Value::Null,
        );
        assert_eq!(
            one(&e),
            format!("principal arn:aws:iam::{MEMBER}:user/bob"),
            "{name}"
        );
    }
}

#[test]
fn iam_group_policy_changes_reevaluate_the_group() {
    let e = event(
        Service::Iam,
        "AttachGroupPolicy",
        json!({"groupName": "analysts", "policyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}),
        Value::Null,
    );
    assert_eq!(
        one(&e),
        format!("group arn:aws:iam::{MEMBER}:group/analysts")
    );
}

#[test]
fn iam_managed_policy_changes_reevaluate_its_attachments() {
    let arn = format!("arn:aws:iam::{MEMBER}:policy/credit-read");
    for name in [
        "SetDefaultPolicyVersion",
        "DeletePolicyVersion",
        "DeletePolicy",
        "TagPolicy",
    ] {
        let e = event(
            Service::Iam,
            name,
            json!({"policyArn": arn, "versionId": "v3"}),
            Value::Null,
        );
        assert_eq!(one(&e), format!("managed-policy {arn}"), "{name}");
    }
    let default = event(
        Service::Iam,
        "CreatePolicyVersion",
        json!({"policyArn": arn, "policyDocument": "{}", "setAsDefault": true}),
        json!({"policyVersion": {"versionId": "v4", "isDefaultVersion": true}}),
    );
    assert_eq!(one(&default), format!("managed-policy {arn}"));
    let not_default = event(
        Service::Iam,
        "CreatePolicyVersion",
        json!({"policyArn": arn, "policyDocument": "{}", "setAsDefault": false}),
        Value::Null,
    );
    assert!(matches!(
        classify(&not_default).trigger,
        Trigger::Ignore(IgnoreReason::NoAccessChange(_))
    ));
}

#[test]
fn s3_bucket_changes_reevaluate_the_bucket() {
    for name in [
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketAcl",
        "PutBucketTagging",
        "DeleteBucketTagging",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
        "CreateBucket",
        "DeleteBucket",
    ] {
        let e = event(
            Service::S3,
            name,
            json!({"bucketName": "credit-exports", "Host": "credit-exports.s3.eu-west-1.amazonaws.com"}),
            Value::Null,
        );
        let c = classify(&e);
        assert_eq!(
            c.trigger,
            Trigger::Reevaluate(vec![Target::Resource {
                account: MEMBER.into(),
                region: "eu-west-1".into(),
                arn: "arn:aws:s3:::credit-exports".into()
            }]),
            "{name}"
        );
    }
}

#[test]
fn s3_account_public_access_block_reevaluates_the_whole_account() {
    let e = event(
        Service::S3,
        "DeleteAccountPublicAccessBlock",
        json!({"Host": "222222222222.s3-control.eu-west-1.amazonaws.com"}),
        Value::Null,
    );
    assert_eq!(one(&e), format!("accounts {MEMBER}"));
}

#[test]
fn kms_key_changes_prefer_the_resources_arn() {
    let key = format!("arn:aws:kms:eu-west-1:{MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let mut e = event(
        Service::Kms,
        "RetireGrant",
        json!({"grantToken": "AQpAM2RhZ..."}),
        Value::Null,
    );
    e["detail"]["resources"] = json!([{"accountId": MEMBER, "type": "AWS::KMS::Key", "ARN": key}]);
    assert_eq!(one(&e), format!("resource {key}"));
    for name in [
        "PutKeyPolicy",
        "CreateGrant",
        "RevokeGrant",
        "TagResource",
        "UntagResource",
        "ScheduleKeyDeletion",
    ] {
        let e = event(
            Service::Kms,
            name,
            json!({"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "policyName": "default"}),
            Value::Null,
        );
        assert_eq!(one(&e), format!("resource {key}"), "{name}");
    }
    let created = event(
        Service::Kms,
        "CreateKey",
        json!({"keySpec": "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT"}),
        json!({"keyMetadata": {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "arn": key}}),
    );
    assert_eq!(one(&created), format!("resource {key}"));
}

#[test]
fn kms_alias_without_a_key_arn_is_invalid_not_a_guess() {
    let e = event(
        Service::Kms,
        "PutKeyPolicy",
        json!({"keyId": "alias/credit"}),
        Value::Null,
    );
    assert!(matches!(classify(&e).trigger, Trigger::Invalid { .. }));
}

#[test]
fn sqs_queue_changes_name_the_queue_from_its_url() {
    let url = format!("https://sqs.eu-west-1.amazonaws.com/{MEMBER}/credit-intake");
    let want = format!("resource arn:aws:sqs:eu-west-1:{MEMBER}:credit-intake");
    for name in [
        "SetQueueAttributes",
        "AddPermission",
        "RemovePermission",
        "TagQueue",
        "UntagQueue",
        "DeleteQueue",
    ] {
        let e = event(Service::Sqs, name, json!({"queueUrl": url}), Value::Null);
        assert_eq!(one(&e), want, "{name}");
    }
    let created = event(
        Service::Sqs,
        "CreateQueue",
        json!({"queueName": "credit-intake"}),
        json!({"queueUrl": url}),
    );
    assert_eq!(one(&created), want);
}

#[test]
fn sns_topic_changes_name_the_topic() {
    let topic = format!("arn:aws:sns:eu-west-1:{MEMBER}:credit-alerts");
    for (name, request) in [
        (
            "SetTopicAttributes",
            json!({"topicArn": topic, "attributeName": "Policy"}),
        ),
        ("AddPermission", json!({"topicArn": topic, "label": "x"})),
        ("RemovePermission", json!({"topicArn": topic, "label": "x"})),
        ("TagResource", json!({"resourceArn": topic})),
        ("UntagResource", json!({"resourceArn": topic})),
        ("DeleteTopic", json!({"topicArn": topic})),
        ("CreateTopic", json!({"name": "credit-alerts"})),
    ] {
        let e = event(Service::Sns, name, request, Value::Null);
        assert_eq!(one(&e), format!("resource {topic}"), "{name}");
    }
}

#[test]
fn secrets_prefer_the_full_arn_and_fall_back_to_a_partial_one() {
    let full = format!("arn:aws:secretsmanager:eu-west-1:{MEMBER}:secret:credit/db-AbCdEf");
    let e = event(
        Service::SecretsManager,
        "PutResourcePolicy",
        json!({"secretId": "credit/db", "resourcePolicy": "{}", "blockPublicPolicy": true}),
        json!({"arn": full, "name": "credit/db"}),
    );
    assert_eq!(one(&e), format!("resource {full}"));
    let by_name = event(
        Service::SecretsManager,
        "TagResource",
        json!({"secretId": "credit/db"}),
        Value::Null,
    );
    assert_eq!(
        one(&by_name),
        format!("resource arn:aws:secretsmanager:eu-west-1:{MEMBER}:secret:credit/db")
    );
    let created = event(
        Service::SecretsManager,
        "CreateSecret",
        json!({"name": "credit/db"}),
        json!({"aRN": full, "name": "credit/db"}),
    );
    assert_eq!(one(&created), format!("resource {full}"));
}

#[test]
fn dynamodb_tables_from_arn_or_name() {
    let table = format!("arn:aws:dynamodb:eu-west-1:{MEMBER}:table/credit-scores");
    for (name, request, response) in [
        (
            "PutResourcePolicy",
            json!({"resourceArn": table}),
            Value::Null,
        ),
        (
            "DeleteResourcePolicy",
            json!({"resourceArn": table}),
            Value::Null,
        ),
        ("TagResource", json!({"resourceArn": table}), Value::Null),
        ("UntagResource", json!({"resourceArn": table}), Value::Null),
        (
            "DeleteTable",
            json!({"tableName": "credit-scores"}),
            Value::Null,
        ),
        (
            "CreateTable",
            json!({"tableName": "credit-scores"}),
            json!({"tableDescription": {"tableArn": table}}),
        ),
    ] {
        let e = event(Service::DynamoDb, name, request, response);
        assert_eq!(one(&e), format!("resource {table}"), "{name}");
    }
}

#[test]
fn lambda_versioned_names_reevaluate_the_unqualified_function() {
    let function = format!("arn:aws:lambda:eu-west-1:{MEMBER}:function:scorer");
    for (name, request) in [
        (
            "AddPermission20150331v2",
            json!({"functionName": "scorer", "statementId": "s3", "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com"}),
        ),
        (
            "RemovePermission20150331v2",
            json!({"functionName": format!("{function}:live"), "statementId": "s3"}),
        ),
        ("TagResource20170331v2", json!({"resource": function})),
        ("UntagResource20170331v2", json!({"resource": function})),
        ("AddPermission20150331", json!({"functionName": "scorer"})),
    ] {
        let e = event(Service::Lambda, name, request, Value::Null);
        assert_eq!(one(&e), format!("resource {function}"), "{name}");
    }
}

#[test]
fn organizations_changes_reevaluate_accounts() {
    for (name, request, want) in [
        (
            "AttachPolicy",
            json!({"policyId": "p-examplescp1", "targetId": "ou-ab12-11111111"}),
            "accounts ou-ab12-11111111",
        ),
        (
            "DetachPolicy",
            json!({"policyId": "p-examplescp1", "targetId": MEMBER}),
            "accounts 222222222222",
        ),
        (
            "MoveAccount",
            json!({"accountId": MEMBER, "sourceParentId": "r-ab12", "destinationParentId": "ou-ab12-11111111"}),
            "accounts 222222222222",
        ),
        (
            "EnablePolicyType",
            json!({"rootId": "r-ab12", "policyType": "RESOURCE_CONTROL_POLICY"}),
            "accounts r-ab12",
        ),
        (
            "UpdatePolicy",
            json!({"policyId": "p-examplescp1", "content": "{}"}),
            "org-policy p-examplescp1",
        ),
        (
            "DeletePolicy",
            json!({"policyId": "p-examplescp1"}),
            "org-policy p-examplescp1",
        ),
    ] {
        let e = event(Service::Organizations, name, request, Value::Null);
        assert_eq!(one(&e), want, "{name}");
    }
}

#[test]
fn failed_calls_are_ignored_before_anything_else() {
    let mut e = event(
        Service::S3,
        "PutBucketPolicy",
        json!({"bucketName": "b"}),
        Value::Null,
    );
    e["detail"]["errorCode"] = json!("AccessDenied");
    e["detail"]["errorMessage"] = json!("Access Denied");
    assert_eq!(
        classify(&e).trigger,
        Trigger::Ignore(IgnoreReason::FailedCall {
            error_code: "AccessDenied".into()
        })
    );
}

#[test]
fn read_only_calls_are_ignored_by_flag_or_by_name() {
    let mut e = event(
        Service::S3,
        "GetBucketPolicy",
        json!({"bucketName": "b"}),
        Value::Null,
    );
    e["detail"]["readOnly"] = json!(true);
    assert_eq!(
        classify(&e).trigger,
        Trigger::Ignore(IgnoreReason::ReadOnly)
    );
    e["detail"].as_object_mut().map(|d| d.remove("readOnly"));
    assert_eq!(
        classify(&e).trigger,
        Trigger::Ignore(IgnoreReason::ReadOnly)
    );
}

#[test]
fn events_outside_the_table_are_unknown() {
    let mut e = event(Service::S3, "PutBucketLogging", json!({}), Value::Null);
    assert_eq!(
        classify(&e).trigger,
        Trigger::Unknown {
            source: "s3.amazonaws.com".into(),
            event_name: "PutBucketLogging".into()
        }
    );
    e["detail"]["eventSource"] = json!("ec2.amazonaws.com");
    e["detail"]["eventName"] = json!("RunInstances");
    assert!(matches!(classify(&e).trigger, Trigger::Unknown { .. }));
    let schedule = json!({"version": "0", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "111111111111", "detail": {}});
    assert_eq!(
        classify(&schedule).trigger.to_string(),
        "unknown aws.events Scheduled Event"
    );
}

#[test]
fn a_known_event_without_its_field_is_invalid_with_the_reason() {
    let e = event(Service::Iam, "PutRolePolicy", json!({}), Value::Null);
    match classify(&e).trigger {
        Trigger::Invalid { reason, .. } => assert!(reason.contains("roleName"), "{reason}"),
        other => panic!("{other}"),
    }
    let e = event(
        Service::Iam,
        "PutRolePolicy",
        json!({"roleName": 42}),
        Value::Null,
    );
    assert!(matches!(classify(&e).trigger, Trigger::Invalid { .. }));
}

#[test]
fn a_bare_cloudtrail_record_is_read_too() {
    let e = event(
        Service::Sqs,
        "DeleteQueue",
        json!({"queueUrl": format!("https://sqs.eu-west-1.amazonaws.com/{MEMBER}/q")}),
        Value::Null,
    );
    assert_eq!(
        one(&e["detail"]),
        format!("resource arn:aws:sqs:eu-west-1:{MEMBER}:q")
    );
}

#[test]
fn odd_json_is_invalid_not_a_panic() {
    for text in [
        "",
        "[]",
        "42",
        "{}",
        "{\"detail\": 5}",
        "{\"detail-type\": 5}",
    ] {
        let c = classify_json(text);
        assert!(
            matches!(c.trigger, Trigger::Invalid { .. }),
            "{text}: {}",
            c.trigger
        );
    }
}

#[test]
fn fields_of_the_wrong_type_read_as_absent() {
    let mut e = event(
        Service::S3,
        "PutBucketPolicy",
        json!({"bucketName": "b"}),
        Value::Null,
    );
    e["detail"]["readOnly"] = json!("false");
    e["detail"]["errorCode"] = json!(null);
    e["detail"]["userIdentity"] = json!("odd");
    e["id"] = json!(7);
    assert_eq!(one(&e), "resource arn:aws:s3:::b");
}
