//! The capability words and the resource kinds they are defined for.

use std::fmt;

/// What a principal can do to a resource, in words an application team uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Change or delete the resource itself, its policy, its settings.
    AdministerResource,
    /// Read the resource's configuration and metadata.
    ReadConfig,
    /// Read the data the resource holds.
    ReadData,
    /// List what the resource holds (S3 object keys, versions and uploads) without
    /// reading it: a lesser read that constraints on read-data do not count.
    ListData,
    /// Write or change the data the resource holds.
    WriteData,
    /// Delete data the resource holds.
    DeleteData,
    /// Use the resource as a whole: assume or pass a role, invoke a function, use a key
    /// for cryptographic operations.
    UseResource,
}

impl Capability {
    /// Every capability, in output order.
    pub const ALL: [Capability; 7] = [
        Capability::AdministerResource,
        Capability::ReadConfig,
        Capability::ReadData,
        Capability::ListData,
        Capability::WriteData,
        Capability::DeleteData,
        Capability::UseResource,
    ];

    /// The capability's word (`read-data`).
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::AdministerResource => "administer-resource",
            Capability::ReadConfig => "read-config",
            Capability::ReadData => "read-data",
            Capability::ListData => "list-data",
            Capability::WriteData => "write-data",
            Capability::DeleteData => "delete-data",
            Capability::UseResource => "use-resource",
        }
    }

    /// Reads a capability word.
    pub fn parse(word: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == word)
    }

    /// Whether this is about the data the resource holds (read/list/write/delete-data).
    pub fn is_data(self) -> bool {
        matches!(
            self,
            Capability::ReadData
                | Capability::ListData
                | Capability::WriteData
                | Capability::DeleteData
        )
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The resource types effective access is computed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// `AWS::S3::Bucket` (bucket and object actions).
    S3Bucket,
    /// `AWS::KMS::Key`.
    KmsKey,
    /// `AWS::DynamoDB::Table` (table, index and stream actions).
    DynamoDbTable,
    /// `AWS::SQS::Queue`.
    SqsQueue,
    /// `AWS::SNS::Topic`.
    SnsTopic,
    /// `AWS::SecretsManager::Secret`.
    SecretsManagerSecret,
    /// `AWS::Lambda::Function`.
    LambdaFunction,
    /// `AWS::IAM::Role` (assume and pass count as access to the role).
    IamRole,
    /// `AWS::IAM::User` (creating its credentials counts as using it).
    IamUser,
    /// `AWS::IAM::Group` (its membership and policies).
    IamGroup,
    /// `AWS::IAM::ManagedPolicy`, customer managed only (AWS's own cannot be changed).
    IamManagedPolicy,
}

impl ResourceKind {
    /// Every supported kind.
    pub const ALL: [ResourceKind; 11] = [
        ResourceKind::S3Bucket,
        ResourceKind::KmsKey,
        ResourceKind::DynamoDbTable,
        ResourceKind::SqsQueue,
        ResourceKind::SnsTopic,
        ResourceKind::SecretsManagerSecret,
        ResourceKind::LambdaFunction,
        ResourceKind::IamRole,
        ResourceKind::IamUser,
        ResourceKind::IamGroup,
        ResourceKind::IamManagedPolicy,
    ];

    /// The CloudFormation type name (`AWS::S3::Bucket`).
    pub fn type_name(self) -> &'static str {
        match self {
            ResourceKind::S3Bucket => "AWS::S3::Bucket",
            ResourceKind::KmsKey => "AWS::KMS::Key",
            ResourceKind::DynamoDbTable => "AWS::DynamoDB::Table",
            ResourceKind::SqsQueue => "AWS::SQS::Queue",
            ResourceKind::SnsTopic => "AWS::SNS::Topic",
            ResourceKind::SecretsManagerSecret => "AWS::SecretsManager::Secret",
            ResourceKind::LambdaFunction => "AWS::Lambda::Function",
            ResourceKind::IamRole => "AWS::IAM::Role",
            ResourceKind::IamUser => "AWS::IAM::User",
            ResourceKind::IamGroup => "AWS::IAM::Group",
            ResourceKind::IamManagedPolicy => "AWS::IAM::ManagedPolicy",
        }
    }

    /// From a CloudFormation type name; `None` for types not supported (yet).
    pub fn from_type_name(name: &str) -> Option<ResourceKind> {
        ResourceKind::ALL
            .into_iter()
            .find(|k| k.type_name() == name)
    }
}
