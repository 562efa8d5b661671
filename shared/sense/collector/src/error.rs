//! What can go wrong while collecting, as our own types.
//!
//! What it is for: turning an AWS SDK error into a [`Failure`] (operation, kind, code,
//! message) at the boundary, so no SDK type leaks out of the crate, and the
//! [`CollectError`]s that stop a collection. The classification itself ([`classify`])
//! is shared with the adapters: `accessdrift_primitives::aws_error`.
//!
//! Key design choice: one failing *resource* never stops a collection (it becomes an
//! entry with an `error`, see [`ResourceEntry::error`](crate::ResourceEntry::error));
//! only failures that leave a whole part unknown (the account identity, IAM, a service
//! listing, the Organization, the account's S3 Block Public Access) are
//! [`CollectError`]s, because a snapshot silently missing a part would make every
//! finding about it look resolved.

use std::fmt;

pub use accessdrift_primitives::aws_error::{FailureKind, classify};

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// One AWS call that failed, converted from the SDK's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{operation}` {kind}: {message}")]
pub struct Failure {
    /// The IAM action name of the call (`s3:GetBucketPolicy`).
    pub operation: &'static str,
    /// What kind of failure it is.
    pub kind: FailureKind,
    /// AWS's error code (`AccessDenied`, `NoSuchBucket`...), when AWS answered.
    pub code: Option<String>,
    /// AWS's message, or the transport error's chain of causes.
    pub message: String,
}

impl Failure {
    /// Whether AWS answered with one of `codes`.
    pub fn has_code(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }
}

/// Why a collection (or a partial collection) stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    /// `sts:GetCallerIdentity` failed: the credentials do not work.
    #[error("the AWS credentials do not work (could not learn their account): {0}")]
    Identity(#[source] Failure),
    /// The read-only role of a member account could not be assumed.
    #[error(
        "could not assume `{role_arn}`: {source}; deploy the read-only role in that account and let the collector's principal assume it"
    )]
    AssumeRole {
        /// The role asked for.
        role_arn: String,
        /// What failed.
        #[source]
        source: Failure,
    },
    /// The IAM authorization details (or one principal's policies) could not be read.
    #[error("could not read IAM: {0}")]
    Iam(#[source] Failure),
    /// A service's resources could not be listed in a region: the snapshot would miss
    /// all of them, so the collection stops.
    #[error("could not list {service} in `{region}`: {source}")]
    List {
        /// The service (`s3`, `kms`...).
        service: &'static str,
        /// The region (`global` for S3's bucket list).
        region: String,
        /// What failed.
        #[source]
        source: Failure,
    },
    /// The account-level S3 Block Public Access could not be read.
    #[error("could not read the account's S3 Block Public Access: {0}")]
    AccountSettings(#[source] Failure),
    /// The Organization path, SCPs or RCPs could not be read.
    #[error(
        "could not read the Organization (SCPs and RCPs): {0}; run with the management account's (or a delegated administrator's) credentials, or turn organization collection off"
    )]
    Organization(#[source] Failure),
    /// An ARN the partial collection does not know how to read.
    #[error("`{arn}` is not an ARN the collector reads: {reason}")]
    UnsupportedArn {
        /// The ARN given.
        arn: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl CollectError {
    /// Whether collecting again later can succeed: the failed call was throttled or
    /// unanswered, not refused.
    pub fn is_transient(&self) -> bool {
        match self {
            CollectError::Identity(f)
            | CollectError::AssumeRole { source: f, .. }
            | CollectError::Iam(f)
            | CollectError::List { source: f, .. }
            | CollectError::AccountSettings(f)
            | CollectError::Organization(f) => f.kind.is_transient(),
            CollectError::UnsupportedArn { .. } => false,
        }
    }
}

/// Converts an SDK error into a [`Failure`] for `operation`.
pub(crate) fn failure<E, R>(operation: &'static str, err: SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().map(str::to_string);
            let message = match (e.code(), e.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                _ => DisplayErrorContext(&err).to_string(),
            };
            Failure {
                operation,
                kind: classify(code.as_deref()),
                code,
                message,
            }
        }
        _ => Failure {
            operation,
            kind: FailureKind::Unreachable,
            code: None,
            message: DisplayErrorContext(&err).to_string(),
        },
    }
}

/// `Ok(None)` for an error whose code is one of `absent` (the thing read is simply not
/// set, such as `NoSuchBucketPolicy`), the converted failure for any other error.
pub(crate) fn absent_or<T, E, R>(
    operation: &'static str,
    result: Result<T, SdkError<E, R>>,
    absent: &[&str],
) -> Result<Option<T>, Failure>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug,
{
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let f = failure(operation, e);
            if f.has_code(absent) { Ok(None) } else { Err(f) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_says_operation_kind_and_message() {
        let f = Failure {
            operation: "s3:GetBucketPolicy",
            kind: FailureKind::AccessDenied,
            code: Some("AccessDenied".into()),
            message: "AccessDenied: Access Denied".into(),
        };
        assert_eq!(
            f.to_string(),
            "`s3:GetBucketPolicy` access denied: AccessDenied: Access Denied"
        );
        assert!(f.has_code(&["NoSuchBucketPolicy", "AccessDenied"]));
        assert!(!f.has_code(&["NoSuchBucketPolicy"]));
    }
}
