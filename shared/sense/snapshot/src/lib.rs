//! The account snapshot of `shared/spec/snapshot.md`: its one owner. The document as
//! written ([`document`]), read into a model the effective-access engine can use
//! directly ([`read_snapshot`]), patched one part at a time ([`patch_snapshot`]) and
//! its freshness stamps ([`Stamps`]).
//!
//! What it is for: turning `aws iam get-account-authorization-details` output (all pages
//! merged, documents as objects or URL-encoded strings) plus resources and the
//! Organization path into principals with resolved policies; and saying, for the
//! writer, what the document holds. What it is not for: collecting the snapshot from
//! AWS (the collector does that, into [`document::AccountSnapshot`]) or evaluating
//! anything.
//!
//! Key design choice: bad parts become [`Problem`]s naming the principal or resource, so
//! one broken policy costs one "could not evaluate" row, not the whole account.

pub mod document;
mod model;
mod patch;
mod read;
mod stamps;

pub use model::*;
pub use patch::{
    FreshIam, FreshPart, FreshPrincipal, FreshResource, Part, PatchError, PatchOutcome,
    patch_snapshot,
};
pub use read::{SnapshotError, read_authorization_details, read_snapshot};
pub use stamps::{Stamp, Stamps};
