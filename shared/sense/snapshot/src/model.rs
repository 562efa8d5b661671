//! What a snapshot holds once read: every principal with the policies that apply to it
//! already resolved (groups, managed-policy default versions, boundary), every resource
//! with its policy, and the Organization path. Parsed policies are shared (`Arc`), so a
//! managed policy attached to 500 roles is parsed and stored once.

use std::collections::BTreeMap;
use std::sync::Arc;

use accessdrift_policy::Policy;

/// One account's state, ready for the effective-access engine.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The account the snapshot describes.
    pub account_id: String,
    /// IAM users and roles, in the order the authorization details list them.
    pub principals: Vec<IamPrincipal>,
    /// Resources, roles included (a role is also a resource: its trust policy is its
    /// resource policy). Sorted by ARN, one entry per ARN.
    pub resources: Vec<Resource>,
    /// Account-level settings.
    pub account_settings: AccountSettings,
    /// The Organization, when the account is in one.
    pub organization: Option<Organization>,
    /// What could not be read, each naming the principal or resource it concerns.
    pub problems: Vec<Problem>,
}

/// An IAM user or role with every policy that applies to it.
#[derive(Debug, Clone)]
pub struct IamPrincipal {
    /// `arn:aws:iam::111111111111:role/path/name`.
    pub arn: String,
    /// User or role.
    pub kind: PrincipalKind,
    /// The name (last part of the ARN).
    pub name: String,
    /// The path (`/` when none).
    pub path: String,
    /// The unique id (`AIDA...`/`AROA...`), for `aws:userid`.
    pub unique_id: String,
    /// Tags (`aws:PrincipalTag/...`).
    pub tags: BTreeMap<String, String>,
    /// Identity policies: the principal's inline and managed policies, then for users
    /// each group's inline and managed policies. Only managed-policy default versions.
    pub policies: Vec<NamedPolicy>,
    /// The permissions boundary, if any.
    pub boundary: Option<NamedPolicy>,
    /// Groups (users only).
    pub groups: Vec<String>,
    /// A role's trust policy.
    pub trust_policy: Option<Arc<Policy>>,
}

/// User or role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalKind {
    /// An IAM user.
    User,
    /// An IAM role.
    Role,
}

impl PrincipalKind {
    /// The authorization-details list its entries live in.
    pub fn list_name(self) -> &'static str {
        match self {
            PrincipalKind::User => "UserDetailList",
            PrincipalKind::Role => "RoleDetailList",
        }
    }
}

/// A policy with the label used in effective-access rows (snapshot.md's `grants`):
/// `inline:<entity>/<PolicyName>`, `managed:<PolicyArn>`, `group:<group>/inline:<name>`,
/// `group:<group>/managed:<arn>`, `boundary:<arn>`, `resource`.
#[derive(Debug, Clone)]
pub struct NamedPolicy {
    /// The label.
    pub name: String,
    /// The parsed document, shared between every principal it applies to.
    pub policy: Arc<Policy>,
}

/// A resource and what decides who can reach it.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The ARN.
    pub arn: String,
    /// The CloudFormation type name as given (`AWS::S3::Bucket`).
    pub type_name: String,
    /// The resource-based policy: `Ok(None)` when it has none, `Err` with the reason
    /// when it could not be read or parsed (the resource then gets a "could not
    /// evaluate" row rather than a guess).
    pub policy: Result<Option<Arc<Policy>>, String>,
    /// Tags (`aws:ResourceTag/...`; owner and classification come from here).
    pub tags: BTreeMap<String, String>,
    /// Type-specific settings as given (S3 block public access, ownership, ACL grants...).
    pub settings: serde_json::Value,
    /// The customer-managed KMS key protecting the resource's data, when the snapshot
    /// names one (`settings.kmsKeyArn`, or S3 default encryption's key).
    pub kms_key_arn: Option<String>,
    /// The account owning the resource (from the ARN; the snapshot's account for S3).
    pub account: String,
    /// The region, empty for global resources.
    pub region: String,
}

/// Account-wide settings.
#[derive(Debug, Clone, Default)]
pub struct AccountSettings {
    /// Account-level S3 Block Public Access flags (all off when none are set).
    pub s3_block_public_access: crate::document::BlockPublicAccess,
}

/// The account's place in its Organization.
#[derive(Debug, Clone, Default)]
pub struct Organization {
    /// `o-...`.
    pub id: String,
    /// The management account (exempt from SCPs and RCPs).
    pub management_account_id: String,
    /// Root to the account's parent OU: `["r-ab12", "ou-ab12-11111111"]`.
    pub path: Vec<String>,
    /// SCP levels from the root down to the account.
    pub scp: Vec<OrgLevel>,
    /// RCP levels from the root down to the account.
    pub rcp: Vec<OrgLevel>,
}

/// The policies attached at one level of the Organization.
#[derive(Debug, Clone)]
pub struct OrgLevel {
    /// Root, OU or account id.
    pub level: String,
    /// The policies.
    pub policies: Vec<NamedPolicy>,
}

/// Something in the snapshot that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The ARN of the principal or resource concerned (or a path in the document).
    pub subject: String,
    /// What is wrong, for a person.
    pub message: String,
}
