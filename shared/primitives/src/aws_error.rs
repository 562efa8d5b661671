//! What an AWS error code means, as far as deciding what to do next goes.
//!
//! The collector and the adapters both meet AWS errors; each used to decide on its own
//! whether one meant "not there", "not allowed" or "try again". Here the answer is a
//! pure function of the error code, so both agree and it is tested without the SDK.

use std::fmt;

/// What kind of failure an AWS error is, as far as the collector cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The thing asked about does not exist (or no longer does).
    NotFound,
    /// The credentials may not do this (or are not valid).
    AccessDenied,
    /// AWS kept throttling past the configured retries.
    Throttled,
    /// No answer from AWS: network, timeout, credentials that could not be loaded.
    Unreachable,
    /// AWS failed on its side (an internal error, the service unavailable).
    ServerFault,
    /// Any other error AWS answered with.
    Other,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureKind::NotFound => "not found",
            FailureKind::AccessDenied => "access denied",
            FailureKind::Throttled => "throttled past the retries",
            FailureKind::Unreachable => "no answer",
            FailureKind::ServerFault => "failed on AWS's side",
            FailureKind::Other => "failed",
        })
    }
}

impl FailureKind {
    /// Whether the same call, made again later, can succeed: throttling, no answer and
    /// AWS's own faults are passing; a denial, a missing thing or a refused request stay as they are
    /// until someone changes the account (AWS SDK retry guide: transient errors are
    /// throttling, timeouts and 5xx).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            FailureKind::Throttled | FailureKind::Unreachable | FailureKind::ServerFault
        )
    }
}

/// The error codes that mean "throttled".
const THROTTLED: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// The error codes that mean "you may not" (or "these credentials are not valid").
const DENIED: [&str; 9] = [
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "KMSAccessDeniedException",
];

/// The error codes that mean "it does not exist".
const NOT_FOUND: [&str; 11] = [
    "NoSuchBucket",
    "NoSuchEntity",
    "NotFound",
    "NotFoundException",
    "ResourceNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "TableNotFoundException",
    "AccountNotFoundException",
    "TargetNotFoundException",
    "PolicyNotFoundException",
];

/// The error codes that mean "AWS failed on its side" (also what a single refused
/// entry of a batch call says: EventBridge `InternalFailure`).
const SERVER_FAULT: [&str; 6] = [
    "InternalFailure",
    "InternalError",
    "InternalErrorException",
    "InternalServerError",
    "InternalServiceError",
    "ServiceUnavailable",
];

/// What kind of failure an AWS error code is. Pure: `None` (no code) is `Other`.
pub fn classify(code: Option<&str>) -> FailureKind {
    let Some(code) = code else {
        return FailureKind::Other;
    };
    if THROTTLED.contains(&code) {
        FailureKind::Throttled
    } else if DENIED.contains(&code) {
        FailureKind::AccessDenied
    } else if NOT_FOUND.contains(&code) {
        FailureKind::NotFound
    } else if SERVER_FAULT.contains(&code) {
        FailureKind::ServerFault
    } else {
        FailureKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_classify_into_kinds() {
        assert_eq!(classify(Some("AccessDenied")), FailureKind::AccessDenied);
        assert_eq!(
            classify(Some("AccessDeniedException")),
            FailureKind::AccessDenied
        );
        assert_eq!(
            classify(Some("AuthorizationError")),
            FailureKind::AccessDenied
        );
        assert_eq!(
            classify(Some("ThrottlingException")),
            FailureKind::Throttled
        );
        assert_eq!(classify(Some("SlowDown")), FailureKind::Throttled);
        assert_eq!(classify(Some("NoSuchBucket")), FailureKind::NotFound);
        assert_eq!(
            classify(Some("AWS.SimpleQueueService.NonExistentQueue")),
            FailureKind::NotFound
        );
        assert_eq!(classify(Some("InternalError")), FailureKind::ServerFault);
        assert_eq!(classify(Some("InternalFailure")), FailureKind::ServerFault);
        assert_eq!(classify(Some("ValidationException")), FailureKind::Other);
        assert_eq!(classify(None), FailureKind::Other);
    }

    #[test]
    fn only_throttling_and_no_answer_are_transient() {
        assert!(FailureKind::Throttled.is_transient());
        assert!(FailureKind::Unreachable.is_transient());
        assert!(FailureKind::ServerFault.is_transient());
        assert!(!FailureKind::AccessDenied.is_transient());
        assert!(!FailureKind::NotFound.is_transient());
        assert!(!FailureKind::Other.is_transient());
    }
}
