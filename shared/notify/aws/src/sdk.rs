//! An SDK error as a [`PortError`]: what failed, AWS's own words, whether a retry can
//! help, and the SDK error kept as the cause.
//!
//! Why one function: every adapter used to flatten its SDK errors into a string, so
//! the event function could not tell a throttled call (redeliver the event) from an
//! AccessDenied (redelivering changes nothing). Transient means throttled, a 5xx, a
//! timeout or no answer (the AWS SDKs' retry guide, "Retry behavior"), as
//! `accessdrift_primitives::aws_error` decides for the collector too.

use accessdrift_controller::ports::PortError;
use accessdrift_primitives::aws_error::classify;
// Every SDK client's errors are `SdkError<_, HttpResponse>` from the same runtime crate.
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// `err` from `operation` (with what it named: `GetObject s3://b/k`) on port `what`.
pub(crate) fn port_error<E>(
    what: &'static str,
    operation: &str,
    err: SdkError<E, HttpResponse>,
) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let make = if is_transient(&err) {
        PortError::transient
    } else {
        PortError::lasting
    };
    make(what, format!("{operation}: {}", DisplayErrorContext(&err))).caused_by(err)
}

/// Whether the same call, made again later, can succeed.
pub(crate) fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || classify(service.err().code()).is_transient()
        }
        // The request could not be built: the same input fails the same way.
        SdkError::ConstructionFailure(_) => false,
        // Timeouts, connection failures, an unreadable answer, and kinds added later.
        _ => true,
    }
}
