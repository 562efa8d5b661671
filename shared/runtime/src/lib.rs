//! What the Lambda functions share: their configuration, read from the environment
//! `template.yaml` sets, and the AWS adapters wired to the controller's ports.
//!
//! What it is for: the one place that knows which adapter serves which port in AWS
//! ([`Services`] implements [`accessdrift_controller::ports::Ports`]): the collector
//! as the account reader (the detector's own account directly, members through their
//! read role), S3 for snapshots, DynamoDB for findings and desired state, SNS for
//! notices, Organizations for the account list, SQS for sweeps. What it is not for:
//! deciding anything; the controller does, and the handlers in `functions/` only
//! translate events.
//!
//! Key design choice: [`Runtime`] is built once per cold start and [`Services`] per
//! invocation (cheap: clients are shared), so an invocation's time stamp reaches the
//! adapters that need it and nothing is cached across invocations but the clients
//! and the configuration.

pub mod config;
pub mod reader;
pub mod services;

pub use config::{Config, MissingVariable};
pub use services::{Runtime, Services, StartError};
