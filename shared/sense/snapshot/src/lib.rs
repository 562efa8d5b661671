//! The account snapshot of `shared/spec/snapshot.md`, read into a model the
//! effective-access engine can use directly.
//!
//! What it is for: turning `aws iam get-account-authorization-details` output (all pages
//! merged, documents as objects or URL-encoded strings) plus resources and the
//! Organization path into principals with resolved policies. What it is not for:
//! collecting the snapshot from AWS (the collector does that) or evaluating anything.
//!
//! Key design choice: bad parts become [`Problem`]s naming the principal or resource, so
//! one broken policy costs one "could not evaluate" row, not the whole account.

mod model;
mod read;

pub use model::*;
pub use read::{SnapshotError, read_authorization_details, read_snapshot};
