//! The AWS collector: builds the account snapshot of `shared/spec/snapshot.md` from live
//! AWS APIs, whole or one part at a time.
//!
//! What it is for: reading, with read-only calls, everything the effective-access engine
//! needs about one account: `GetAccountAuthorizationDetails` (all pages merged), the
//! resource policies, tags and settings of S3 buckets, customer-managed KMS keys,
//! DynamoDB tables, SQS queues, SNS topics, Secrets Manager secrets and Lambda
//! functions, the account's S3 Block Public Access, and the Organization path with its
//! SCPs and RCPs. For event-driven re-evaluation it reads one resource or one principal
//! ([`Collector::collect_resource`], [`Collector::collect_principal`]) and
//! `accessdrift_snapshot::patch_snapshot` (pure) puts the part into a stored snapshot,
//! with its own `collectedAt`. What it is not for: evaluating anything (`accessdrift_access` does),
//! or reading secret values (it never calls `GetSecretValue`).
//!
//! Key design choices:
//! - An adapter: SDK types stay inside; the API speaks the snapshot crate's document
//!   types and fresh parts,
//!   [`Progress`] and typed errors ([`CollectError`], [`Failure`]).
//! - Never a silent skip. A resource that cannot be read (access denied, deleted while
//!   being read, throttled past the retries) is an entry with an `error`, which the
//!   reader turns into a "could not evaluate" row; a *missing* policy
//!   (`NoSuchBucketPolicy`...) is `policy: null`. A part whose loss would hide many
//!   resources (IAM, a service's listing in a region, the Organization) stops the
//!   collection with a [`CollectError`] instead of yielding a snapshot that looks
//!   complete. What is deliberately left out (AWS-managed KMS keys) is counted in
//!   `AccountSnapshot::not_collected`.
//! - Two phases: list every service in every region, then read every resource through
//!   one bounded stream (`buffer_unordered`, [`CollectorOptions::concurrency`]), so the
//!   total is known for a progress bar and one limit holds across services. The SDK
//!   retries throttled calls with backoff ([`CollectorOptions::max_attempts`], adaptive
//!   retry by default).
//! - Regions are configured ([`CollectorOptions::regions`], default the SDK config's
//!   region), not discovered: discovery would need EC2's or Account's SDK and a call
//!   the read-only role may not allow.

mod arn;
mod collector;
mod error;
mod iam;
mod json;
mod org;
mod resources;

pub use collector::{Collector, CollectorOptions, MemberRole, Progress};
pub use error::{CollectError, Failure, FailureKind, classify};
