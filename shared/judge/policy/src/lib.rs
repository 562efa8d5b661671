//! IAM policy documents as a typed model.
//!
//! This crate reads what a policy *says*: every shape AWS accepts (single statement or
//! list, string or list values, `Principal: "*"`, `NotAction`/`NotResource`/
//! `NotPrincipal`, every condition operator, URL-encoded text) becomes one normalised
//! [`Policy`]. It does not decide anything; the evaluator crate does.
//!
//! Key design choice: normalise once at parse time (lowercase action patterns and
//! condition keys, decoded operators) so that evaluating millions of requests against
//! the same parsed policy does no repeated string work. Malformed input is a typed
//! [`PolicyError`] naming the statement and field, never a panic.

mod error;
mod fast;
mod model;
mod parse;

pub use error::PolicyError;
pub use model::*;
pub use parse::{
    decode_url_encoded, json_type, parse_action_pattern, parse_policy_text, parse_policy_value,
    short,
};
