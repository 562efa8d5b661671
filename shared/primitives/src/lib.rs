//! The identifiers every crate passes around, each defined once.
//!
//! Account ids, ARNs, times and AWS error codes came from the account, a CloudTrail
//! record, a table or a file, and each crate used to check them its own way (six
//! `is_account_id`s, four `arn.rs` modules, `now: &str` with silent parse failures, the
//! adapters and the collector each deciding what an error code means). Here each has
//! one definition, so a rule (twelve digits; six colon-separated parts; RFC 3339 UTC;
//! throttling is transient) is written and tested in one place. Pure: no I/O beyond
//! reading the clock in
//! [`Time::now`].

pub mod account;
pub mod arn;
pub mod aws_error;
pub mod time;

pub use account::is_account_id;
pub use arn::{Arn, account_of, arn_parts, split_arn};
pub use time::{Time, TimeError};
