//! Transitive access: what a principal can reach by becoming someone else or by
//! rewriting IAM (issue 13).
//!
//! What it is for: from the effective-access rows of a snapshot, the [`Edge`]s between
//! principals (assume a role, from inside or from an identity provider, create a user's
//! credential, rewrite a trust policy, pass a role to compute one creates, change a
//! function's code; and the control edges: write a principal's policies, remove its
//! boundary, add a user to a group), the
//! [`Closure`] of who can become whom with the best path, administrator-equivalence and
//! the other [`Gain`]s, and the rows each principal gains through a path
//! ([`transitive_rows`]). What it is not for: computing rows (`accessdrift-access`),
//! judging them (`accessdrift-drift`) or showing them (the CLI).
//!
//! Key design choices:
//! - Which actions make edges is reviewable data (`data/edges.toml`), with the
//!   reasoning and the source of each path (PMapper, iam-vulnerable, Rhino Security
//!   Labs) and what is deliberately not found.
//! - Every edge is decided by the evaluator with every layer that applies: the rows for
//!   what they answer, fresh questions for the rest ([`ask`]). Unknown stays unknown:
//!   an edge resting on request-time facts is `Conditional`, never dropped or allowed.
//! - The closure is computed on principals (a few thousand nodes), never on rows; rows
//!   are joined to it afterwards, one resource at a time ([`Inheritance`]), so a caller
//!   streaming effective access holds one resource's rows, not the account's
//!   ([`EdgeBuilder`] likewise takes rows one at a time).
//! - What nothing would use is left out before the evaluator is asked: weaker become
//!   edges between two principals already joined by a better one, control edges no
//!   principal can use (see [`edges`]).
//! - Pure: no I/O, no logging, no panics on bad input.

pub mod ask;
mod catalogue;
mod closure;
mod edges;
mod inherit;
mod search;

pub use catalogue::{
    Catalogue, EdgeKind, FederatedRule, NotCovered, PassRoleRule, Reaches, RowRule, WithAction,
    catalogue, load_errors,
};
pub use closure::{Closure, Gain, GainKind, Path, closure};
pub use edges::{Edge, EdgeBuilder, edges};
pub use inherit::{Inheritance, Scratch, TransitiveRow, transitive_rows};
