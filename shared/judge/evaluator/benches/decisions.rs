//! Decisions per second with policies parsed once, as the effective-access engine uses
//! the evaluator. Typical policies: a role with a few managed policies (some with
//! conditions), a boundary, a two-level SCP path and a bucket policy.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use accessdrift_evaluator::context::RequestContext;
use accessdrift_evaluator::{
    NamedPolicy, OrgLevel, PolicySet, Principal, Request, Settings, evaluate,
};
use accessdrift_policy::{Policy, parse_policy_value};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;

fn p(v: serde_json::Value) -> Policy {
    parse_policy_value(&v).expect("valid benchmark policy")
}

fn bench(c: &mut Criterion) {
    let identity = [
        p(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetObjectVersion"],
             "Resource": ["arn:aws:s3:::credit-applications", "arn:aws:s3:::credit-applications/*"]},
            {"Sid": "Queue", "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"], "Resource": "arn:aws:sqs:us-east-1:111111111111:credit-*"},
            {"Sid": "Tagged", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]})),
        p(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "arn:aws:kms:us-east-1:111111111111:key/*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
            {"Effect": "Allow", "Action": ["cloudwatch:PutMetricData", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]})),
    ];
    let boundary = p(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]}));
    let full = p(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    let deny_list = p(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": ["iam:CreateUser", "s3:PutBucketPublicAccessBlock", "kms:ScheduleKeyDeletion"], "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}]}));
    let bucket = p(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Processor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/credit-processor"},
         "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::credit-applications/*"},
        {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::credit-applications/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
    let set = PolicySet {
        identity: &identity
            .iter()
            .map(|policy| NamedPolicy {
                name: "managed",
                policy,
            })
            .collect::<Vec<_>>(),
        boundary: Some(NamedPolicy {
            name: "boundary",
            policy: &boundary,
        }),
        scp: &[
            OrgLevel {
                level: "r-ab12",
                policies: vec![NamedPolicy {
                    name: "FullAWSAccess",
                    policy: &full,
                }],
            },
            OrgLevel {
                level: "ou-prod",
                policies: vec![
                    NamedPolicy {
                        name: "FullAWSAccess",
                        policy: &full,
                    },
                    NamedPolicy {
                        name: "DenyList",
                        policy: &deny_list,
                    },
                ],
            },
        ],
        resource: Some(NamedPolicy {
            name: "bucket",
            policy: &bucket,
        }),
        ..Default::default()
    };
    let principal =
        Principal::parse("arn:aws:sts::111111111111:assumed-role/credit-processor/batch");
    let mut ctx = RequestContext::new();
    ctx.set("aws:PrincipalTag/team", "credit");
    ctx.set("aws:RequestedRegion", "us-east-1");
    ctx.set("aws:SecureTransport", "true");
    let requests = [
        (
            "s3:GetObject",
            "arn:aws:s3:::credit-applications/2026/a.json",
        ),
        (
            "s3:DeleteObject",
            "arn:aws:s3:::credit-applications/2026/a.json",
        ),
        (
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:111111111111:credit-intake",
        ),
        ("kms:Decrypt", "arn:aws:kms:us-east-1:111111111111:key/1234"),
        ("iam:CreateUser", "arn:aws:iam::111111111111:user/x"),
        (
            "ec2:RunInstances",
            "arn:aws:ec2:us-east-1:111111111111:instance/i-1",
        ),
        ("s3:PutObject", "arn:aws:s3:::other-bucket/k"),
        (
            "logs:PutLogEvents",
            "arn:aws:logs:us-east-1:111111111111:log-group:/app:log-stream:x",
        ),
    ];
    let settings = Settings::default();
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("typical_role_8_requests", |b| {
        b.iter(|| {
            let mut allowed = 0;
            for (action, resource) in requests {
                let req = Request {
                    principal: &principal,
                    action,
                    resource,
                    resource_account: Some("111111111111"),
                    context: &ctx,
                    wildcard_only_action: Some(false),
                };
                if evaluate(&req, &set, &settings).decision
                    == accessdrift_evaluator::Decision::Allowed
                {
                    allowed += 1;
                }
            }
            std::hint::black_box(allowed)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
