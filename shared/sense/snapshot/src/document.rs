//! The snapshot document as it is written (`shared/spec/snapshot.md`), as plain serde
//! types with no SDK type in them.
//!
//! What it is for: what the collector's `collect_account` returns and what serializes
//! to the snapshot JSON that [`read_snapshot`](crate::read_snapshot) reads. The writer's
//! types and the reader live in this one crate so the format has one owner.
//! The IAM part stays AWS's own format (`get-account-authorization-details` entries as
//! JSON objects, documents as AWS returned them); resources, account settings and the
//! Organization use the snapshot's names.
//!
//! Freshness: the snapshot has a `collectedAt` (RFC 3339, when collection started);
//! each resource entry and the Organization have their own (when they were read), and
//! a principal patched in later carries one on its IAM entry. A part without one is as
//! fresh as the snapshot. The reader ignores these fields (the spec allows a producer
//! to add fields).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One account's snapshot, as collected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSnapshot {
    /// The 12-digit account id.
    pub account_id: String,
    /// When the collection started (RFC 3339).
    pub collected_at: String,
    /// The regions whose regional resources were collected (S3 buckets are listed in
    /// every region). Resources in other regions are not in the snapshot.
    pub regions: Vec<String>,
    /// `get-account-authorization-details`, all pages merged.
    pub authorization_details: AuthorizationDetails,
    /// Every resource read, sorted by ARN, one entry per ARN.
    pub resources: Vec<ResourceEntry>,
    /// Account-level settings.
    pub account_settings: AccountSettings,
    /// The Organization path, when the account is in one and it was collected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationEntry>,
    /// What was deliberately left out, for a person (`2 AWS-managed KMS keys in
    /// us-east-1: ...`). Never a failure: failures are entries with an `error`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_collected: Vec<String>,
}

impl AccountSnapshot {
    /// The snapshot as a JSON value (what [`patch_snapshot`](crate::patch_snapshot) works on).
    pub fn to_value(&self) -> Value {
        // Serializing these plain types (string keys, no non-finite floats) cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The output of `aws iam get-account-authorization-details`, entries kept as AWS's
/// JSON objects (`UserName`, `RolePolicyList`, `PolicyVersionList`...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationDetails {
    /// Users.
    pub user_detail_list: Vec<Value>,
    /// Groups.
    pub group_detail_list: Vec<Value>,
    /// Roles.
    pub role_detail_list: Vec<Value>,
    /// Managed policies with their versions.
    pub policies: Vec<Value>,
}

/// The resource types the collector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    /// An S3 bucket.
    S3Bucket,
    /// A customer-managed KMS key.
    KmsKey,
    /// A DynamoDB table.
    DynamoDbTable,
    /// An SQS queue.
    SqsQueue,
    /// An SNS topic.
    SnsTopic,
    /// A Secrets Manager secret.
    Secret,
    /// A Lambda function.
    LambdaFunction,
}

impl ResourceType {
    /// Every type, in collection order.
    pub const ALL: [ResourceType; 7] = [
        ResourceType::S3Bucket,
        ResourceType::KmsKey,
        ResourceType::DynamoDbTable,
        ResourceType::SqsQueue,
        ResourceType::SnsTopic,
        ResourceType::Secret,
        ResourceType::LambdaFunction,
    ];

    /// The CloudFormation type name the snapshot uses (`AWS::S3::Bucket`).
    pub fn type_name(self) -> &'static str {
        match self {
            ResourceType::S3Bucket => "AWS::S3::Bucket",
            ResourceType::KmsKey => "AWS::KMS::Key",
            ResourceType::DynamoDbTable => "AWS::DynamoDB::Table",
            ResourceType::SqsQueue => "AWS::SQS::Queue",
            ResourceType::SnsTopic => "AWS::SNS::Topic",
            ResourceType::Secret => "AWS::SecretsManager::Secret",
            ResourceType::LambdaFunction => "AWS::Lambda::Function",
        }
    }

    /// The service prefix (`s3`, `kms`...).
    pub fn service(self) -> &'static str {
        match self {
            ResourceType::S3Bucket => "s3",
            ResourceType::KmsKey => "kms",
            ResourceType::DynamoDbTable => "dynamodb",
            ResourceType::SqsQueue => "sqs",
            ResourceType::SnsTopic => "sns",
            ResourceType::Secret => "secretsmanager",
            ResourceType::LambdaFunction => "lambda",
        }
    }
}

/// One `resources` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceEntry {
    /// The ARN.
    pub arn: String,
    /// The CloudFormation type name ([`ResourceType::type_name`]).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The resource-based policy: the parsed JSON object when AWS returned JSON, the
    /// text as returned otherwise (the reader then reports it unparsable); `null` when
    /// the resource has none. Always written, `null` included.
    pub policy: Option<Value>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Type-specific settings in AWS's own shapes: for S3 `region`,
    /// `PublicAccessBlock`, `OwnershipControls`, `Grants`,
    /// `ServerSideEncryptionConfiguration`; the KMS key protecting the data
    /// (`KmsMasterKeyId`, `SSEDescription.KMSMasterKeyArn`, `KmsKeyId`) for the others.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub settings: Map<String, Value>,
    /// Why the resource could not be read fully (access denied, deleted while being
    /// read, throttled past the retries). The reader then reports the resource as
    /// "could not evaluate" rather than guess from what was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was read (RFC 3339).
    #[serde(rename = "collectedAt")]
    pub collected_at: String,
}

/// `accountSettings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettings {
    /// The account-level S3 Block Public Access; `None` when the account has none set
    /// (all four flags off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_block_public_access: Option<BlockPublicAccess>,
}

/// The four S3 Block Public Access flags, as AWS names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockPublicAccess {
    /// BlockPublicAcls.
    pub block_public_acls: bool,
    /// IgnorePublicAcls.
    pub ignore_public_acls: bool,
    /// BlockPublicPolicy.
    pub block_public_policy: bool,
    /// RestrictPublicBuckets.
    pub restrict_public_buckets: bool,
}

/// `organization`: the account's place in its Organization and the SCPs and RCPs on
/// the way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationEntry {
    /// `o-...`.
    pub id: String,
    /// The management account (SCPs and RCPs do not apply to it).
    pub management_account_id: String,
    /// Root, then each OU down to the account's parent.
    pub path: Vec<String>,
    /// SCPs at each level, root first, the account last; empty when the SCP policy
    /// type is not enabled in the root (then no SCP applies).
    pub scp: Vec<OrgLevel>,
    /// RCPs, likewise.
    pub rcp: Vec<OrgLevel>,
    /// When it was read (RFC 3339).
    pub collected_at: String,
}

/// The policies attached at one level (root, OU or account).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgLevel {
    /// The root, OU or account id.
    pub level: String,
    /// The policies attached there.
    pub policies: Vec<OrgPolicy>,
}

/// One SCP or RCP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgPolicy {
    /// `p-...`.
    pub id: String,
    /// The policy's name (the label in effective-access rows).
    pub name: String,
    /// The document: the parsed JSON object, or the text as returned when it is not JSON.
    pub document: Value,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{PrincipalKind, read_snapshot};

    /// The writer's types and the reader agree: what the collector writes reads back
    /// as the same principals, resources and settings.
    #[test]
    fn a_written_document_reads_back() {
        let doc = AccountSnapshot {
            account_id: "111111111111".into(),
            collected_at: "2026-12-07T02:00:00Z".into(),
            regions: vec!["us-east-1".into()],
            authorization_details: AuthorizationDetails {
                role_detail_list: vec![json!({
                    "Arn": "arn:aws:iam::111111111111:role/app", "RoleName": "app",
                    "RoleId": "AROAEXAMPLE", "Path": "/",
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                    "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": {
                        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}}],
                })],
                ..AuthorizationDetails::default()
            },
            resources: vec![ResourceEntry {
                arn: "arn:aws:s3:::data".into(),
                type_name: ResourceType::S3Bucket.type_name().into(),
                policy: None,
                tags: BTreeMap::from([("owner".into(), "data-team".into())]),
                settings: Map::new(),
                error: None,
                collected_at: "2026-12-07T02:00:01Z".into(),
            }],
            account_settings: AccountSettings {
                s3_block_public_access: Some(BlockPublicAccess {
                    block_public_policy: true,
                    ..BlockPublicAccess::default()
                }),
            },
            organization: None,
            not_collected: Vec::new(),
        };
        let text = serde_json::to_string(&doc).unwrap();
        let read = read_snapshot(&text).unwrap();
        assert_eq!(read.account_id, "111111111111");
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        let app = &read.principals[0];
        assert_eq!(
            (app.kind, app.name.as_str(), app.policies.len()),
            (PrincipalKind::Role, "app", 1)
        );
        let data = read
            .resources
            .iter()
            .find(|r| r.arn == "arn:aws:s3:::data")
            .unwrap();
        assert_eq!(data.tags["owner"], "data-team");
        assert!(matches!(data.policy, Ok(None)));
        let bpa = read.account_settings.s3_block_public_access;
        assert!(bpa.block_public_policy && !bpa.block_public_acls);
    }
}
