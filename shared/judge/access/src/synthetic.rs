//! A synthetic account snapshot that looks like a real one, for benchmarks.
//!
//! The mix (issue 3): about 2% admin-like roles (`*`, `NotAction`), 10% read-only and
//! audit roles with wide `Get*`/`List*`, ABAC roles scoped by tags, application roles with
//! specific resources, permission boundaries on 20% of roles, users in groups with
//! managed policies, conditions on about 20% of statements, resource policies on 30% of
//! resources naming same-account and cross-account principals, KMS key policies with
//! and without the root delegation, and three SCP levels with deny-lists.
//! Deterministic: the same sizes give the same bytes.

use serde_json::{Value, json};

/// Sizes of the synthetic account.
#[derive(Debug, Clone, Copy)]
pub struct SyntheticSpec {
    /// IAM roles.
    pub roles: usize,
    /// Resources besides the roles themselves.
    pub resources: usize,
    /// Seed for the generator.
    pub seed: u64,
}

/// splitmix64: small, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const ACCOUNT: &str = "111111111111";
const PARTNER: &str = "222222222222";
const TEAMS: [&str; 6] = ["credit", "risk", "payments", "ops", "data", "web"];

struct Kind {
    type_name: &'static str,
    service: &'static str,
    actions: &'static [&'static str],
}

const KINDS: [Kind; 7] = [
    Kind {
        type_name: "AWS::S3::Bucket",
        service: "s3",
        actions: &[
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:ListBucket",
            "s3:GetBucketPolicy",
        ],
    },
    Kind {
        type_name: "AWS::DynamoDB::Table",
        service: "dynamodb",
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:DeleteItem",
            "dynamodb:DescribeTable",
        ],
    },
    Kind {
        type_name: "AWS::SQS::Queue",
        service: "sqs",
        actions: &[
            "sqs:SendMessage",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        ],
    },
    Kind {
        type_name: "AWS::SNS::Topic",
        service: "sns",
        actions: &["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes"],
    },
    Kind {
        type_name: "AWS::SecretsManager::Secret",
        service: "secretsmanager",
        actions: &[
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
            "secretsmanager:PutSecretValue",
        ],
    },
    Kind {
        type_name: "AWS::KMS::Key",
        service: "kms",
        actions: &[
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:DescribeKey",
        ],
    },
    Kind {
        type_name: "AWS::Lambda::Function",
        service: "lambda",
        actions: &[
            "lambda:InvokeFunction",
            "lambda:GetFunction",
            "lambda:UpdateFunctionCode",
        ],
    },
];

fn arn(kind: &Kind, i: usize) -> String {
    match kind.service {
        "s3" => format!("arn:aws:s3:::bucket-{i:05}"),
        "dynamodb" => format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/table-{i:05}"),
        "sqs" => format!("arn:aws:sqs:us-east-1:{ACCOUNT}:queue-{i:05}"),
        "sns" => format!("arn:aws:sns:us-east-1:{ACCOUNT}:topic-{i:05}"),
        "secretsmanager" => {
            format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:secret-{i:05}-AbCdEf")
        }
        "kms" => format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{i:08}-aaaa-bbbb-cccc-000000000000"),
        _ => format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn-{i:05}"),
    }
}

fn condition(rng: &mut Rng) -> Value {
    match rng.below(5) {
        0 => json!({"StringEquals": {"aws:PrincipalTag/team": *rng.pick(&TEAMS)}}),
        1 => json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}}),
        2 => json!({"Bool": {"aws:SecureTransport": "true"}}),
        3 => json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        _ => json!({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
    }
}

/// A statement for an application role: a few actions of one service on a few
/// specific resources (sometimes with a trailing wildcard), sometimes conditional.
fn app_statement(rng: &mut Rng, spec: &SyntheticSpec) -> Value {
    let kind = rng.pick(&KINDS);
    let n = 1 + rng.below(kind.actions.len());
    let actions: Vec<&str> = (0..n).map(|_| *rng.pick(kind.actions)).collect();
    let per_kind = (spec.resources / KINDS.len()).max(1);
    let mut resources = Vec::new();
    for _ in 0..(1 + rng.below(3)) {
        let a = arn(kind, rng.below(per_kind));
        resources.push(if kind.service == "s3" {
            format!("{a}/*")
        } else {
            a.clone()
        });
        if kind.service == "s3" {
            resources.push(a);
        }
    }
    let mut st = json!({"Effect": "Allow", "Action": actions, "Resource": resources});
    if rng.chance(20) {
        st["Condition"] = condition(rng);
    }
    st
}

/// Builds the snapshot document (snapshot.md format).
pub fn generate(spec: &SyntheticSpec) -> Value {
    let mut rng = Rng(spec.seed);
    let per_kind = (spec.resources / KINDS.len()).max(1);

    // Customer-managed policies shared between roles and groups.
    let mut policies = Vec::new();
    let managed_arn = |i: usize| format!("arn:aws:iam::{ACCOUNT}:policy/app-policy-{i:03}");
    let pool = (spec.roles / 10).clamp(10, 400);
    for i in 0..pool {
        let statements: Vec<Value> = (0..(2 + rng.below(4)))
            .map(|_| app_statement(&mut rng, spec))
            .collect();
        policies.push(managed_policy(
            &managed_arn(i),
            json!({"Version": "2012-10-17", "Statement": statements}),
        ));
    }
    let admin_arn = format!("arn:aws:iam::{ACCOUNT}:policy/Admin");
    policies.push(managed_policy(&admin_arn, json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})));
    let poweruser_arn = format!("arn:aws:iam::{ACCOUNT}:policy/PowerUser");
    policies.push(managed_policy(&poweruser_arn, json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]})));
    let readonly_arn = format!("arn:aws:iam::{ACCOUNT}:policy/ReadOnly");
    policies.push(managed_policy(&readonly_arn, json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "dynamodb:Describe*", "dynamodb:Get*", "dynamodb:Query", "sqs:Get*", "sqs:List*",
            "sns:Get*", "sns:List*", "secretsmanager:Describe*", "secretsmanager:List*", "kms:Describe*", "kms:List*", "lambda:Get*", "lambda:List*"], "Resource": "*"}]})));
    let audit_arn = format!("arn:aws:iam::{ACCOUNT}:policy/Audit");
    policies.push(managed_policy(&audit_arn, json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetBucket*", "s3:ListBucket", "dynamodb:Describe*", "sqs:GetQueueAttributes", "sns:GetTopicAttributes",
            "secretsmanager:DescribeSecret", "kms:DescribeKey", "kms:GetKeyPolicy", "lambda:GetFunction*", "iam:Get*", "iam:List*"], "Resource": "*"}]})));
    let boundary_arn = format!("arn:aws:iam::{ACCOUNT}:policy/Boundary");
    policies.push(managed_policy(&boundary_arn, json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "sqs:*", "sns:*", "kms:Decrypt", "kms:GenerateDataKey", "lambda:InvokeFunction", "secretsmanager:GetSecretValue"], "Resource": "*"},
        {"Effect": "Deny", "Action": ["s3:DeleteBucket", "dynamodb:DeleteTable"], "Resource": "*"}]})));

    let mut roles = Vec::new();
    for i in 0..spec.roles {
        let team = TEAMS[i % TEAMS.len()];
        let name = format!("role-{i:05}");
        let roll = rng.below(100);
        let mut attached = Vec::new();
        let mut inline = Vec::new();
        match roll {
            0..=1 => attached.push(if rng.chance(50) { admin_arn.clone() } else { poweruser_arn.clone() }),
            2..=11 => attached.push(if rng.chance(60) { readonly_arn.clone() } else { audit_arn.clone() }),
            12..=21 => inline.push(json!({"PolicyName": "abac", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "dynamodb:PutItem", "sqs:SendMessage", "sqs:ReceiveMessage"],
                 "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]}})),
            _ => {
                for _ in 0..(1 + rng.below(3)) {
                    attached.push(managed_arn(rng.below(pool)));
                }
                if rng.chance(50) {
                    let statements: Vec<Value> = (0..(1 + rng.below(3))).map(|_| app_statement(&mut rng, spec)).collect();
                    inline.push(json!({"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}));
                }
            }
        }
        let mut role = json!({
            "Path": "/", "RoleName": name, "RoleId": format!("AROA{i:016}"), "Arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                if rng.chance(70) { json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}) }
                else { json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}) }
            ]},
            "RolePolicyList": inline,
            "AttachedManagedPolicies": attached.iter().map(|a| json!({"PolicyArn": a, "PolicyName": a.rsplit('/').next().unwrap_or("")})).collect::<Vec<_>>(),
            "Tags": [{"Key": "team", "Value": team}],
        });
        if rng.chance(20) {
            role["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary_arn});
        }
        roles.push(role);
    }

    let groups: Vec<Value> = TEAMS
        .iter()
        .enumerate()
        .map(|(i, team)| json!({"Path": "/", "GroupName": team, "GroupId": format!("AGPA{i:016}"), "Arn": format!("arn:aws:iam::{ACCOUNT}:group/{team}"),
            "GroupPolicyList": [], "AttachedManagedPolicies": [{"PolicyArn": managed_arn(i % pool), "PolicyName": "p"}]}))
        .collect();
    let users: Vec<Value> = (0..(spec.roles / 50).max(2))
        .map(|i| json!({"Path": "/", "UserName": format!("user-{i:04}"), "UserId": format!("AIDA{i:016}"), "Arn": format!("arn:aws:iam::{ACCOUNT}:user/user-{i:04}"),
            "GroupList": [TEAMS[i % TEAMS.len()]], "UserPolicyList": [], "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": TEAMS[i % TEAMS.len()]}]}))
        .collect();

    let mut resources = Vec::new();
    for i in 0..spec.resources {
        let kind = &KINDS[i % KINDS.len()];
        let idx = i / KINDS.len();
        let a = arn(kind, idx);
        let team = TEAMS[rng.below(TEAMS.len())];
        let mut tags = json!({"owner": format!("{team}-team"), "team": team});
        if rng.chance(30) {
            tags["classification"] = json!("Confidential");
        }
        let policy = if kind.service == "kms" {
            let mut statements = vec![
                json!({"Sid": "KeyUsers", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/role-{:05}", rng.below(spec.roles.max(1)))},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}),
            ];
            if rng.chance(80) {
                statements.insert(0, json!({"Sid": "EnableIAM", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}));
            }
            json!({"Version": "2012-10-17", "Statement": statements})
        } else if rng.chance(30) {
            let principal = match rng.below(4) {
                0 => json!({"AWS": format!("arn:aws:iam::{PARTNER}:root")}),
                1 => {
                    json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:role/role-{:05}", rng.below(spec.roles.max(1)))})
                }
                2 => json!({"Service": "events.amazonaws.com"}),
                _ => json!({"AWS": format!("arn:aws:iam::{PARTNER}:role/partner-reader")}),
            };
            let resource = if kind.service == "s3" {
                format!("{a}/*")
            } else {
                a.clone()
            };
            let mut st = json!({"Effect": "Allow", "Principal": principal, "Action": kind.actions[..2].to_vec(), "Resource": resource});
            if rng.chance(20) {
                st["Condition"] = json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}});
            }
            json!({"Version": "2012-10-17", "Statement": [st, {"Effect": "Deny", "Principal": "*", "Action": format!("{}:*", kind.service), "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
        } else {
            Value::Null
        };
        let mut settings = if kind.service == "s3" {
            json!({"region": "us-east-1"})
        } else {
            json!({})
        };
        if kind.service != "kms" && rng.chance(25) {
            settings["kmsKeyArn"] = json!(arn(&KINDS[5], rng.below(per_kind)));
        }
        resources.push(json!({"arn": a, "type": kind.type_name, "policy": policy, "tags": tags, "settings": settings}));
    }

    let full = json!({"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}});
    json!({
        "accountId": ACCOUNT,
        "authorizationDetails": {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies},
        "resources": resources,
        "accountSettings": {"s3BlockPublicAccess": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}},
        "organization": {
            "id": "o-a1b2c3d4e5", "managementAccountId": "999999999999", "path": ["r-ab12", "ou-ab12-workloads"],
            "scp": [
                {"level": "r-ab12", "policies": [full.clone(), {"name": "DenyLeaveOrg", "document": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Deny", "Action": ["organizations:LeaveOrganization", "account:CloseAccount"], "Resource": "*"}]}}]},
                {"level": "ou-ab12-workloads", "policies": [full.clone(), {"name": "DenyRegions", "document": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Deny", "NotAction": ["iam:*", "sts:*", "organizations:*"], "Resource": "*",
                     "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}]}}]},
                {"level": ACCOUNT, "policies": [full, {"name": "ProtectSecurity", "document": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Deny", "Action": ["kms:ScheduleKeyDeletion", "s3:PutBucketPublicAccessBlock", "iam:CreateUser"], "Resource": "*"}]}}]}
            ],
            "rcp": []
        }
    })
}

fn managed_policy(arn: &str, document: Value) -> Value {
    json!({"PolicyName": arn.rsplit('/').next().unwrap_or(""), "Arn": arn, "Path": "/", "DefaultVersionId": "v1",
        "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": true}]})
}
