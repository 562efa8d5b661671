//! AWS's policy evaluation logic as a pure function: one request and the policies that
//! apply to it in, a decision with its reasons out.
//!
//! What it is for: answering "is this principal allowed to perform this action on this
//! resource?" the way AWS does (AWS IAM User Guide, "Policy evaluation logic"), for the
//! simulate command and for the effective-access engine. What it is not for: fetching
//! policies or logging; it does no I/O, has no async and never panics.
//!
//! Key design choice: three-valued logic throughout. A condition on a key that cannot
//! be known ahead (Discovery mode) is *unknown*, and an allow that depends on it comes
//! back as allowed-if, with the condition tree, never silently as allow or deny.

pub mod conditions;
pub mod context;
pub mod glob;
pub mod variables;

pub use context::{ContextValue, KeyConstraint, KeyMatcher, KeyState, Mode, RequestContext};
pub mod action;
pub mod engine;
pub mod formula;
pub mod principal;
pub mod resource;
pub mod s3;

/// A statement's effect, as results and condition sources name it.
pub use accessdrift_policy::Effect;
pub use engine::{
    Blocker, Decision, Evaluation, NamedPolicy, Note, OrgLevel, PolicySet, Request, Settings,
    StatementRef, evaluate,
};
pub use formula::{ConditionTree, Formula};
pub use principal::Principal;
pub use resource::PolicyType;
