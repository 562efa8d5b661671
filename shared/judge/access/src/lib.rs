//! Effective access: for every principal and resource of an account snapshot, which
//! access capabilities it holds (`Allowed`, or `Conditional` on request-time facts),
//! through which actions, granted by which statements.
//!
//! What it is for: the sensor's measurement in the control loop, and the report an
//! application engineer checks (`accessdrift access`, `explain`, `score`). What it is
//! not for: reading AWS (the collector does) or judging drift (the drift crate does).
//!
//! Key design choice: every decision comes from the evaluator (`accessdrift-evaluator`),
//! never from a shortcut of our own; the engine only decides *which* questions to ask,
//! pruning and grouping them so a whole account fits one Lambda invocation.

mod engine;
mod intern;
pub mod output;
pub mod score;
mod subjects;
pub mod synthetic;

pub use engine::{
    Access, AccessOptions, ActionExplanation, Grant, Line, PairExplanation, Row, effective_access,
    explain_pair,
};
pub use intern::Interner;
pub use subjects::{known_key_constraints, org_paths, resource_context_keys};
