//! The table: every CloudTrail event that can change access, and what it changes.
//!
//! One row per (service, event name). [`classify`](crate::classify) looks events up
//! here, and [`event_patterns`] builds the EventBridge rule patterns from the same rows,
//! so the deployed rules and the code that reads what they deliver cannot disagree.
//!
//! Reviewing a row: the event name is the API operation as CloudTrail records it
//! (`eventName`), and [`Change`] says which entity's access it can change. Events that
//! are not here are acknowledged as unknown; read-only and failed calls never get here.

use serde_json::{Value, json};

/// The `detail-type` EventBridge gives CloudTrail management events.
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// A service whose events the table lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// AWS Identity and Access Management (global: events arrive in us-east-1).
    Iam,
    /// Amazon S3, bucket and account (S3 Control) configuration.
    S3,
    /// AWS Key Management Service.
    Kms,
    /// Amazon SQS.
    Sqs,
    /// Amazon SNS.
    Sns,
    /// AWS Secrets Manager.
    SecretsManager,
    /// Amazon DynamoDB.
    DynamoDb,
    /// AWS Lambda.
    Lambda,
    /// AWS Organizations (events arrive in us-east-1, in the management account).
    Organizations,
}

impl Service {
    /// Every service, in the table's order.
    pub const ALL: [Service; 9] = [
        Service::Iam,
        Service::S3,
        Service::Kms,
        Service::Sqs,
        Service::Sns,
        Service::SecretsManager,
        Service::DynamoDb,
        Service::Lambda,
        Service::Organizations,
    ];

    /// The CloudTrail `eventSource`, e.g. `iam.amazonaws.com`.
    pub fn event_source(self) -> &'static str {
        match self {
            Service::Iam => "iam.amazonaws.com",
            Service::S3 => "s3.amazonaws.com",
            Service::Kms => "kms.amazonaws.com",
            Service::Sqs => "sqs.amazonaws.com",
            Service::Sns => "sns.amazonaws.com",
            Service::SecretsManager => "secretsmanager.amazonaws.com",
            Service::DynamoDb => "dynamodb.amazonaws.com",
            Service::Lambda => "lambda.amazonaws.com",
            Service::Organizations => "organizations.amazonaws.com",
        }
    }

    /// The EventBridge `source`, e.g. `aws.iam`.
    pub fn source(self) -> &'static str {
        match self {
            Service::Iam => "aws.iam",
            Service::S3 => "aws.s3",
            Service::Kms => "aws.kms",
            Service::Sqs => "aws.sqs",
            Service::Sns => "aws.sns",
            Service::SecretsManager => "aws.secretsmanager",
            Service::DynamoDb => "aws.dynamodb",
            Service::Lambda => "aws.lambda",
            Service::Organizations => "aws.organizations",
        }
    }

    /// A short name in CamelCase, used to name the rule of this service.
    pub fn name(self) -> &'static str {
        match self {
            Service::Iam => "Iam",
            Service::S3 => "S3",
            Service::Kms => "Kms",
            Service::Sqs => "Sqs",
            Service::Sns => "Sns",
            Service::SecretsManager => "SecretsManager",
            Service::DynamoDb => "DynamoDb",
            Service::Lambda => "Lambda",
            Service::Organizations => "Organizations",
        }
    }

    /// The service whose CloudTrail `eventSource` this is.
    pub fn from_event_source(source: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|s| s.event_source() == source)
    }
}

/// Which entity an event can change the access of, and where in the record it is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A role's permissions (inline or attached policies, boundary): that role as a
    /// principal. Named by `requestParameters.roleName`.
    RolePermissions,
    /// A role's trust policy: that role as a resource (who can assume it).
    RoleTrust,
    /// A role as a whole (created, deleted, tagged): as a principal and as a resource.
    /// Named by `responseElements.role.arn` when present, else `requestParameters.roleName`.
    Role,
    /// A user's permissions or group memberships. `requestParameters.userName`
    /// (`responseElements.user.arn` for `CreateUser`).
    User,
    /// A group's policies: every member. `requestParameters.groupName`
    /// (`responseElements.group.arn` for `CreateGroup`).
    Group,
    /// A user renamed or moved (`UpdateUser`): the old name (gone) and the new one,
    /// `requestParameters.userName` and `newUserName`. Policies naming the old ARN stop
    /// matching, so both are re-read.
    UserRenamed,
    /// A group renamed or moved (`UpdateGroup`): `groupName` and `newGroupName`.
    GroupRenamed,
    /// A customer-managed policy: every principal it is attached to.
    /// `requestParameters.policyArn`.
    ManagedPolicy,
    /// `CreatePolicyVersion`: like [`Change::ManagedPolicy`], but only when the new
    /// version becomes the default (`requestParameters.setAsDefault`).
    PolicyVersion,
    /// An S3 bucket. `requestParameters.bucketName`.
    Bucket,
    /// The account's S3 Block Public Access: every bucket of the account.
    AccountPublicAccessBlock,
    /// A KMS key. `resources[].ARN` of type `AWS::KMS::Key`, else
    /// `requestParameters.keyId` (`responseElements.keyMetadata.arn` for `CreateKey`).
    Key,
    /// An SQS queue. `requestParameters.queueUrl` (`responseElements.queueUrl` or
    /// `requestParameters.queueName` for `CreateQueue`).
    Queue,
    /// An SNS topic. `requestParameters.topicArn` or `resourceArn`
    /// (`responseElements.topicArn` or `requestParameters.name` for `CreateTopic`).
    Topic,
    /// A Secrets Manager secret. `responseElements.arn`, else `requestParameters.secretId`
    /// or `name` (a name gives a partial ARN, without the random suffix).
    Secret,
    /// A DynamoDB table (or its stream or index). `requestParameters.resourceArn` or
    /// `tableName` (`responseElements.tableDescription.tableArn` for `CreateTable`).
    Table,
    /// A Lambda function. `requestParameters.functionName` or `resource`; a qualifier
    /// (version or alias) is dropped.
    Function,
    /// SCPs or RCPs attached to or detached from an Organization target: the accounts
    /// under `requestParameters.targetId`.
    OrgPolicyTarget,
    /// An account moved between OUs: `requestParameters.accountId`.
    OrgAccountMoved,
    /// A policy type enabled or disabled on the root: every account,
    /// `requestParameters.rootId`.
    OrgPolicyType,
    /// An Organization policy's content changed or it was deleted: every account it is
    /// attached to. `requestParameters.policyId`.
    OrgPolicy,
    /// The event's own account joined (`AcceptHandshake`) or left (`LeaveOrganization`)
    /// the Organization: the member account calls these, so the account is the record's
    /// (`recipientAccountId`). Its pass is queued; the Organization boundary then decides
    /// (a departed account is refused, its findings kept).
    OrgMembership,
}

/// One row: a CloudTrail event that can change access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The service that records the event.
    pub service: Service,
    /// The CloudTrail `eventName`, without any API-version suffix.
    pub event_name: &'static str,
    /// `true` when CloudTrail appends the API version to the name (Lambda:
    /// `AddPermission20150331v2`), matched by prefix.
    pub versioned: bool,
    /// What it changes.
    pub change: Change,
}

const fn row(service: Service, event_name: &'static str, change: Change) -> Rule {
    Rule {
        service,
        event_name,
        versioned: false,
        change,
    }
}

const fn versioned(service: Service, event_name: &'static str, change: Change) -> Rule {
    Rule {
        service,
        event_name,
        versioned: true,
        change,
    }
}

use Change as C;
use Service as S;

/// The table. Order: by service, as in [`Service::ALL`].
pub static RULES: &[Rule] = &[
    // IAM: identity policies, boundaries, memberships and tags of principals.
    row(S::Iam, "PutRolePolicy", C::RolePermissions),
    row(S::Iam, "DeleteRolePolicy", C::RolePermissions),
    row(S::Iam, "AttachRolePolicy", C::RolePermissions),
    row(S::Iam, "DetachRolePolicy", C::RolePermissions),
    row(S::Iam, "PutRolePermissionsBoundary", C::RolePermissions),
    row(S::Iam, "DeleteRolePermissionsBoundary", C::RolePermissions),
    row(S::Iam, "UpdateAssumeRolePolicy", C::RoleTrust),
    row(S::Iam, "CreateRole", C::Role),
    row(S::Iam, "DeleteRole", C::Role),
    row(S::Iam, "CreateServiceLinkedRole", C::Role),
    row(S::Iam, "DeleteServiceLinkedRole", C::Role),
    row(S::Iam, "TagRole", C::Role),
    row(S::Iam, "UntagRole", C::Role),
    row(S::Iam, "PutUserPolicy", C::User),
    row(S::Iam, "DeleteUserPolicy", C::User),
    row(S::Iam, "AttachUserPolicy", C::User),
    row(S::Iam, "DetachUserPolicy", C::User),
    row(S::Iam, "PutUserPermissionsBoundary", C::User),
    row(S::Iam, "DeleteUserPermissionsBoundary", C::User),
    row(S::Iam, "AddUserToGroup", C::User),
    row(S::Iam, "RemoveUserFromGroup", C::User),
    row(S::Iam, "CreateUser", C::User),
    row(S::Iam, "DeleteUser", C::User),
    row(S::Iam, "TagUser", C::User),
    row(S::Iam, "UntagUser", C::User),
    row(S::Iam, "UpdateUser", C::UserRenamed),
    row(S::Iam, "PutGroupPolicy", C::Group),
    row(S::Iam, "DeleteGroupPolicy", C::Group),
    row(S::Iam, "AttachGroupPolicy", C::Group),
    row(S::Iam, "DetachGroupPolicy", C::Group),
    row(S::Iam, "CreateGroup", C::Group),
    row(S::Iam, "DeleteGroup", C::Group),
    row(S::Iam, "UpdateGroup", C::GroupRenamed),
    row(S::Iam, "CreatePolicyVersion", C::PolicyVersion),
    row(S::Iam, "SetDefaultPolicyVersion", C::ManagedPolicy),
    row(S::Iam, "DeletePolicyVersion", C::ManagedPolicy),
    row(S::Iam, "DeletePolicy", C::ManagedPolicy),
    row(S::Iam, "TagPolicy", C::ManagedPolicy),
    row(S::Iam, "UntagPolicy", C::ManagedPolicy),
    // S3: bucket policy, ACL, tags, Block Public Access, Object Ownership.
    row(S::S3, "PutBucketPolicy", C::Bucket),
    row(S::S3, "DeleteBucketPolicy", C::Bucket),
    row(S::S3, "PutBucketAcl", C::Bucket),
    row(S::S3, "PutBucketTagging", C::Bucket),
    row(S::S3, "DeleteBucketTagging", C::Bucket),
    row(S::S3, "PutBucketPublicAccessBlock", C::Bucket),
    row(S::S3, "DeleteBucketPublicAccessBlock", C::Bucket),
    row(S::S3, "PutBucketOwnershipControls", C::Bucket),
    row(S::S3, "DeleteBucketOwnershipControls", C::Bucket),
    // Default encryption names the KMS key that reads and writes need (issue 18).
    row(S::S3, "PutBucketEncryption", C::Bucket),
    row(S::S3, "DeleteBucketEncryption", C::Bucket),
    row(S::S3, "CreateBucket", C::Bucket),
    row(S::S3, "DeleteBucket", C::Bucket),
    row(
        S::S3,
        "PutAccountPublicAccessBlock",
        C::AccountPublicAccessBlock,
    ),
    row(
        S::S3,
        "DeleteAccountPublicAccessBlock",
        C::AccountPublicAccessBlock,
    ),
    // KMS: key policy, grants, tags (ABAC on keys), key life.
    row(S::Kms, "PutKeyPolicy", C::Key),
    row(S::Kms, "CreateGrant", C::Key),
    row(S::Kms, "RevokeGrant", C::Key),
    row(S::Kms, "RetireGrant", C::Key),
    row(S::Kms, "TagResource", C::Key),
    row(S::Kms, "UntagResource", C::Key),
    row(S::Kms, "CreateKey", C::Key),
    row(S::Kms, "ScheduleKeyDeletion", C::Key),
    row(S::Kms, "CancelKeyDeletion", C::Key),
    // A disabled key refuses every use, whatever its policy says.
    row(S::Kms, "DisableKey", C::Key),
    row(S::Kms, "EnableKey", C::Key),
    // SQS: the queue policy lives in the attributes.
    row(S::Sqs, "SetQueueAttributes", C::Queue),
    row(S::Sqs, "AddPermission", C::Queue),
    row(S::Sqs, "RemovePermission", C::Queue),
    row(S::Sqs, "TagQueue", C::Queue),
    row(S::Sqs, "UntagQueue", C::Queue),
    row(S::Sqs, "CreateQueue", C::Queue),
    row(S::Sqs, "DeleteQueue", C::Queue),
    // SNS: the topic policy lives in the attributes.
    row(S::Sns, "SetTopicAttributes", C::Topic),
    row(S::Sns, "AddPermission", C::Topic),
    row(S::Sns, "RemovePermission", C::Topic),
    row(S::Sns, "TagResource", C::Topic),
    row(S::Sns, "UntagResource", C::Topic),
    row(S::Sns, "CreateTopic", C::Topic),
    row(S::Sns, "DeleteTopic", C::Topic),
    // Secrets Manager.
    row(S::SecretsManager, "PutResourcePolicy", C::Secret),
    row(S::SecretsManager, "DeleteResourcePolicy", C::Secret),
    row(S::SecretsManager, "TagResource", C::Secret),
    row(S::SecretsManager, "UntagResource", C::Secret),
    row(S::SecretsManager, "CreateSecret", C::Secret),
    row(S::SecretsManager, "DeleteSecret", C::Secret),
    // DynamoDB.
    row(S::DynamoDb, "PutResourcePolicy", C::Table),
    row(S::DynamoDb, "DeleteResourcePolicy", C::Table),
    row(S::DynamoDb, "TagResource", C::Table),
    row(S::DynamoDb, "UntagResource", C::Table),
    row(S::DynamoDb, "CreateTable", C::Table),
    row(S::DynamoDb, "DeleteTable", C::Table),
    // Lambda: CloudTrail names carry the API version (`AddPermission20150331v2`).
    versioned(S::Lambda, "AddPermission", C::Function),
    versioned(S::Lambda, "RemovePermission", C::Function),
    versioned(S::Lambda, "TagResource", C::Function),
    versioned(S::Lambda, "UntagResource", C::Function),
    versioned(S::Lambda, "CreateFunction", C::Function),
    versioned(S::Lambda, "DeleteFunction", C::Function),
    // Changes the function's execution role (what the function, and who can change or
    // invoke it, can reach).
    versioned(S::Lambda, "UpdateFunctionConfiguration", C::Function),
    // Organizations: SCPs and RCPs, and where accounts sit.
    row(S::Organizations, "AttachPolicy", C::OrgPolicyTarget),
    row(S::Organizations, "DetachPolicy", C::OrgPolicyTarget),
    row(S::Organizations, "UpdatePolicy", C::OrgPolicy),
    row(S::Organizations, "DeletePolicy", C::OrgPolicy),
    row(S::Organizations, "MoveAccount", C::OrgAccountMoved),
    row(
        S::Organizations,
        "RemoveAccountFromOrganization",
        C::OrgAccountMoved,
    ),
    row(S::Organizations, "LeaveOrganization", C::OrgMembership),
    row(S::Organizations, "AcceptHandshake", C::OrgMembership),
    row(S::Organizations, "EnablePolicyType", C::OrgPolicyType),
    row(S::Organizations, "DisablePolicyType", C::OrgPolicyType),
];

/// The row for an event, if the table has one. Versioned names match when what follows
/// the base name is an API version: eight digits, optionally `v` and digits
/// (`AddPermission20150331`, `AddPermission20150331v2`).
pub fn lookup(service: Service, event_name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| {
        rule.service == service
            && match event_name.strip_prefix(rule.event_name) {
                Some("") => true,
                Some(suffix) => rule.versioned && is_api_version(suffix),
                None => false,
            }
    })
}

/// `20150331`, `20150331v2`.
fn is_api_version(suffix: &str) -> bool {
    let (date, rest) = suffix.split_at(suffix.len().min(8));
    date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && (rest.is_empty()
            || rest
                .strip_prefix('v')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

/// The EventBridge rule pattern of one service: its CloudTrail management events in
/// the table, successful calls only.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePattern {
    /// The service.
    pub service: Service,
    /// The pattern, as the template's `EventPattern` / SAM `Pattern`.
    pub pattern: Value,
}

/// One rule pattern per service, built from [`RULES`].
///
/// Why one per service rather than one for all: EventBridge limits an event pattern to
/// 2,048 characters unless a quota increase is granted, and the whole table is larger.
/// Per-service rules also match exactly the table's (service, event) pairs, where one
/// rule with a list of sources and a list of names would match their cross product.
///
/// Each pattern: `source` the service, `detail-type` [`CLOUDTRAIL_DETAIL_TYPE`],
/// `detail.eventSource` the service's, `detail.eventName` the table's names in order
/// (versioned names as `{"prefix": name}`), and `detail.errorCode` absent: failed calls
/// change nothing, so they are not delivered at all (the classifier ignores them too).
pub fn event_patterns() -> Vec<RulePattern> {
    Service::ALL
        .into_iter()
        .map(|service| {
            let names: Vec<Value> = RULES
                .iter()
                .filter(|rule| rule.service == service)
                .map(|rule| {
                    if rule.versioned {
                        json!({"prefix": rule.event_name})
                    } else {
                        json!(rule.event_name)
                    }
                })
                .collect();
            RulePattern {
                service,
                pattern: json!({
                    "source": [service.source()],
                    "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
                    "detail": {
                        "eventSource": [service.event_source()],
                        "eventName": names,
                        "errorCode": [{"exists": false}],
                    },
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_unique() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert!(
                    !(a.service == b.service && a.event_name == b.event_name),
                    "{a:?} twice"
                );
            }
        }
    }

    #[test]
    fn rows_follow_the_service_order() {
        let order: Vec<Service> = RULES.iter().map(|r| r.service).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
    }

    #[test]
    fn lambda_names_match_with_their_api_version_and_only_then() {
        for name in [
            "AddPermission20150331",
            "AddPermission20150331v2",
            "AddPermission",
        ] {
            assert!(lookup(Service::Lambda, name).is_some(), "{name}");
        }
        for name in [
            "AddPermissionX",
            "AddPermission2015",
            "AddPermission20150331v",
            "AddPermission20150331x2",
            "AddLayerVersionPermission20181031",
        ] {
            assert!(lookup(Service::Lambda, name).is_none(), "{name}");
        }
        assert!(lookup(Service::Sqs, "AddPermission20150331").is_none());
    }

    #[test]
    fn each_pattern_fits_the_default_eventbridge_quota() {
        for p in event_patterns() {
            let size = p.pattern.to_string().len();
            assert!(size <= 2048, "{:?}: {size} characters", p.service);
        }
    }

    #[test]
    fn patterns_list_every_row_once() {
        let patterns = event_patterns();
        assert_eq!(patterns.len(), Service::ALL.len());
        let listed: usize = patterns
            .iter()
            .map(|p| {
                p.pattern["detail"]["eventName"]
                    .as_array()
                    .map_or(0, Vec::len)
            })
            .sum();
        assert_eq!(listed, RULES.len());
        let lambda = &patterns[7];
        assert_eq!(lambda.service, Service::Lambda);
        assert_eq!(
            lambda.pattern["detail"]["eventName"][0],
            json!({"prefix": "AddPermission"})
        );
    }
}
