//! Resources: listing each service in a region, and reading one resource's policy,
//! tags and settings into a [`ResourceEntry`].
//!
//! What it is for: the two phases of a collection ([`list`], then [`read`] per listed
//! resource) and partial collection ([`read_one`], from an ARN). What it is not for:
//! deciding anything about access.
//!
//! Key design choice: every read goes through [`Reading`], which turns the outcome of
//! each call into exactly one of: a value, "not set" (`NoSuchBucketPolicy`... mapped by
//! the caller), "the resource is gone" (a not-found error about the resource itself),
//! or an error noted on the entry. Nothing is dropped silently.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::Collector;
use crate::arn::ResourceRef;
use crate::collector::now;
use crate::error::{Failure, FailureKind};
use accessdrift_snapshot::document::{ResourceEntry, ResourceType};

pub(crate) mod dynamodb;
pub(crate) mod kms;
pub(crate) mod lambda;
pub(crate) mod s3;
pub(crate) mod secrets;
pub(crate) mod sns;
pub(crate) mod sqs;

/// One listed resource, with what reading it needs.
pub(crate) enum Job {
    /// A bucket (its region when the listing gave it).
    Bucket {
        name: String,
        region: Option<String>,
    },
    /// A KMS key.
    Key {
        client: aws_sdk_kms::Client,
        region: String,
        key_id: String,
    },
    /// A DynamoDB table.
    Table {
        client: aws_sdk_dynamodb::Client,
        name: String,
    },
    /// An SQS queue.
    Queue {
        client: aws_sdk_sqs::Client,
        url: String,
    },
    /// An SNS topic.
    Topic {
        client: aws_sdk_sns::Client,
        arn: String,
    },
    /// A secret, with the tags and key the listing gave.
    Secret {
        client: aws_sdk_secretsmanager::Client,
        listed: secrets::Listed,
    },
    /// A Lambda function.
    Function {
        client: aws_sdk_lambda::Client,
        name: String,
        arn: String,
        /// The execution role, as the listing gave it.
        role: Option<String>,
    },
}

/// What reading one resource gave.
pub(crate) enum Read {
    /// The entry (with an `error` when part of it could not be read).
    Entry(ResourceEntry),
    /// The resource does not exist (any more).
    Gone {
        /// Its ARN.
        arn: String,
        /// Its type name.
        type_name: &'static str,
        /// The not-found error.
        failure: Failure,
    },
    /// Deliberately not collected; the note says what, for `notCollected`.
    Skipped(String),
}

/// Lists one resource type in one region (`global` for S3).
pub(crate) async fn list(
    c: &Collector,
    kind: ResourceType,
    region: &str,
) -> Result<Vec<Job>, Failure> {
    match kind {
        ResourceType::S3Bucket => s3::list(c).await,
        ResourceType::KmsKey => kms::list(c, region).await,
        ResourceType::DynamoDbTable => dynamodb::list(c, region).await,
        ResourceType::SqsQueue => sqs::list(c, region).await,
        ResourceType::SnsTopic => sns::list(c, region).await,
        ResourceType::Secret => secrets::list(c, region).await,
        ResourceType::LambdaFunction => lambda::list(c, region).await,
    }
}

/// Reads one listed resource.
pub(crate) async fn read(c: &Collector, job: Job) -> Read {
    match job {
        Job::Bucket { name, region } => s3::read(c, &name, region).await,
        Job::Key {
            client,
            region,
            key_id,
        } => kms::read(c, &client, &region, &key_id).await,
        Job::Table { client, name } => dynamodb::read(c, &client, &name).await,
        Job::Queue { client, url } => sqs::read(&client, &url).await,
        Job::Topic { client, arn } => sns::read(&client, &arn).await,
        Job::Secret { client, listed } => secrets::read(&client, listed).await,
        Job::Function {
            client,
            name,
            arn,
            role,
        } => lambda::read(&client, &name, &arn, role).await,
    }
}

/// Reads the resource an ARN names (partial collection).
pub(crate) async fn read_one(c: &Collector, r: &ResourceRef) -> Read {
    match r.kind {
        ResourceType::S3Bucket => s3::read(c, &r.id, None).await,
        ResourceType::KmsKey => {
            let client = aws_sdk_kms::Client::new(&c.config_in(&r.region));
            kms::read(c, &client, &r.region, &r.id).await
        }
        ResourceType::DynamoDbTable => {
            let client = aws_sdk_dynamodb::Client::new(&c.config_in(&r.region));
            dynamodb::read(c, &client, &r.id).await
        }
        ResourceType::SqsQueue => sqs::read_named(c, r).await,
        ResourceType::SnsTopic => {
            let client = aws_sdk_sns::Client::new(&c.config_in(&r.region));
            sns::read(&client, &r.id).await
        }
        ResourceType::Secret => secrets::read_arn(c, r).await,
        ResourceType::LambdaFunction => lambda::read_named(c, r).await,
    }
}

/// One resource being read: what has been read so far, and what failed.
pub(crate) struct Reading {
    arn: String,
    kind: ResourceType,
    policy: Option<Value>,
    tags: BTreeMap<String, String>,
    settings: Map<String, Value>,
    errors: Vec<String>,
}

impl Reading {
    pub(crate) fn new(arn: impl Into<String>, kind: ResourceType) -> Reading {
        Reading {
            arn: arn.into(),
            kind,
            policy: None,
            tags: BTreeMap::new(),
            settings: Map::new(),
            errors: Vec::new(),
        }
    }

    /// The ARN (as known so far).
    pub(crate) fn arn(&self) -> &str {
        &self.arn
    }

    /// Corrects the ARN once the service tells it.
    pub(crate) fn set_arn(&mut self, arn: &str) {
        self.arn = arn.to_string();
    }

    /// A call's outcome: `Ok(Some(v))`, or `Ok(None)` with the failure noted on the
    /// entry, or `Err` when the failure says the resource itself is gone.
    pub(crate) fn step<T>(&mut self, result: Result<T, Failure>) -> Result<Option<T>, Failure> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(f) if f.kind == FailureKind::NotFound => Err(f),
            Err(f) => {
                self.errors.push(f.to_string());
                Ok(None)
            }
        }
    }

    /// Sets the resource policy from the text AWS returned (`None`: it has none).
    pub(crate) fn policy(&mut self, text: Option<&str>) {
        self.policy = text
            .filter(|t| !t.trim().is_empty())
            .map(crate::json::document);
    }

    /// Adds tags.
    pub(crate) fn tags<K: Into<String>, V: Into<String>>(
        &mut self,
        tags: impl IntoIterator<Item = (K, V)>,
    ) {
        self.tags
            .extend(tags.into_iter().map(|(k, v)| (k.into(), v.into())));
    }

    /// Sets one setting.
    pub(crate) fn setting(&mut self, name: &str, value: Value) {
        self.settings.insert(name.to_string(), value);
    }

    /// The entry.
    pub(crate) fn finish(self) -> Read {
        Read::Entry(ResourceEntry {
            arn: self.arn,
            type_name: self.kind.type_name().to_string(),
            policy: self.policy,
            tags: self.tags,
            settings: self.settings,
            error: (!self.errors.is_empty()).then(|| self.errors.join("; ")),
            collected_at: now(),
        })
    }

    /// The resource is gone.
    pub(crate) fn gone(self, failure: Failure) -> Read {
        Read::Gone {
            arn: self.arn,
            type_name: self.kind.type_name(),
            failure,
        }
    }
}

/// `match reading.step(result) { value, or return gone }`.
macro_rules! step {
    ($reading:expr, $result:expr) => {
        match $reading.step($result) {
            Ok(v) => v,
            Err(f) => return $reading.gone(f),
        }
    };
}
pub(crate) use step;

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(kind: FailureKind, code: &str) -> Failure {
        Failure {
            operation: "s3:GetBucketPolicy",
            kind,
            code: Some(code.into()),
            message: format!("{code}: ..."),
        }
    }

    /// The emulator never denies access (moto has no IAM enforcement by default), so the
    /// access-denied path is tested here, from the converted failure on.
    #[test]
    fn access_denied_makes_an_entry_with_the_error_and_no_policy() {
        let mut r = Reading::new("arn:aws:s3:::b", ResourceType::S3Bucket);
        let step: Result<Option<()>, Failure> =
            r.step(Err(failure(FailureKind::AccessDenied, "AccessDenied")));
        assert!(matches!(step, Ok(None)));
        r.tags([("owner", "x")]);
        let Read::Entry(entry) = r.finish() else {
            panic!("expected an entry");
        };
        assert_eq!(entry.policy, None);
        assert_eq!(
            entry.error.as_deref(),
            Some("`s3:GetBucketPolicy` access denied: AccessDenied: ...")
        );
        assert_eq!(entry.tags.get("owner").map(String::as_str), Some("x"));
    }

    #[test]
    fn throttled_past_retries_is_an_error_too_and_errors_accumulate() {
        let mut r = Reading::new("arn:aws:s3:::b", ResourceType::S3Bucket);
        let _ = r.step::<()>(Err(failure(FailureKind::Throttled, "SlowDown")));
        let _ = r.step::<()>(Err(failure(FailureKind::Other, "InternalError")));
        let Read::Entry(entry) = r.finish() else {
            panic!("expected an entry");
        };
        let error = entry.error.unwrap_or_default();
        assert!(
            error.contains("throttled past the retries: SlowDown"),
            "{error}"
        );
        assert!(
            error.contains("; `s3:GetBucketPolicy` failed: InternalError"),
            "{error}"
        );
    }

    #[test]
    fn not_found_means_the_resource_is_gone() {
        let mut r = Reading::new("arn:aws:s3:::b", ResourceType::S3Bucket);
        let step = r.step::<()>(Err(failure(FailureKind::NotFound, "NoSuchBucket")));
        let Err(f) = step else {
            panic!("expected gone");
        };
        assert!(matches!(
            r.gone(f),
            Read::Gone {
                type_name: "AWS::S3::Bucket",
                ..
            }
        ));
    }
}
