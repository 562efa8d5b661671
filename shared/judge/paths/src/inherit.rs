//! Rows gained through a path: a principal holds what every principal it can become
//! holds, each gained row carrying the steps that lead to it.
//!
//! What it is for: the transitive rows of `access --transitive` and of drift's
//! escalation findings. What it is not for: finding paths (that is [`crate::closure`]).
//!
//! Key design choices:
//! - A direct row wins over the same (principal, resource, capability) through a path:
//!   direct rows stay as they are.
//! - Among paths to the same (resource, capability), the best is kept: Allowed before
//!   Conditional, then fewer steps, then the reached principal's ARN. A gained row is
//!   Conditional when the reached principal's row is, or any step is.
//! - A gained row borrows the reached principal's row (its actions, grants, keys and
//!   requirements are that principal's), and one path is shared (`Arc`) by every row it
//!   gives: transitive rows multiply, their memory should not.
//! - Gains ([`crate::closure::Gain`]) give no rows here: administrator-equivalence
//!   means "anything its boundary and the SCPs allow", which no row list states, and a
//!   boundary removal or a group join needs effective access recomputed.

use std::sync::Arc;

use accessdrift_access::{Access, Grant, Row};
use accessdrift_capabilities::Capability;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::catalogue::EdgeKind;
use crate::closure::Closure;
use crate::edges::Edge;

/// One step of a path, as shown with a gained row.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What `from` does.
    pub kind: EdgeKind,
    /// Who acts.
    pub from: Arc<str>,
    /// Who it becomes (or whose permissions it rewrites).
    pub to: Arc<str>,
    /// The resource the action is authorized against.
    pub on: Arc<str>,
    /// The action (`sts:AssumeRole`, `iam:PassRole`).
    pub action: &'static str,
    /// Other actions the step needs (`lambda:CreateFunction`...).
    pub with: Vec<&'static str>,
    /// The statements that allow the step.
    pub grants: Vec<Grant>,
    /// Allowed, or Conditional on request-time facts.
    pub access: Access,
    /// What must also hold, in words.
    pub requires: Vec<String>,
}

impl From<&Edge> for Step {
    fn from(e: &Edge) -> Step {
        Step {
            kind: e.kind,
            from: Arc::clone(&e.from),
            to: Arc::clone(&e.to),
            on: Arc::clone(&e.on),
            action: e.action(),
            with: e.actions.iter().skip(1).copied().collect(),
            grants: e.grants.clone(),
            access: e.access,
            requires: e.requires.clone(),
        }
    }
}

/// A row a principal holds through a path.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitiveRow<'r> {
    /// The principal that gains the row (the path's start).
    pub principal: Arc<str>,
    /// The reached principal's row (its `principal` is the path's end).
    pub row: &'r Row,
    /// Conditional when the row or any step is.
    pub access: Access,
    /// The steps, from `principal` to `row.principal`.
    pub via: Arc<[Step]>,
}

/// Every gained row, by principal, then resource, then capability.
pub fn transitive_rows<'r>(direct: &'r [Row], closure: &Closure) -> Vec<TransitiveRow<'r>> {
    let mut out = Vec::new();
    for_each_transitive_row(direct, closure, |r| out.push(r));
    out
}

/// [`transitive_rows`], handed to `sink` one at a time (one principal's candidates are
/// held at once, never all of them). `direct` needs only the rows of principals
/// someone can become ([`Closure::is_reached`]) and of those that become someone
/// ([`Closure::reaches_anything`], for the direct-row-wins rule): a caller streaming a
/// large account can keep just those.
pub fn for_each_transitive_row<'r>(
    direct: &'r [Row],
    closure: &Closure,
    mut sink: impl FnMut(TransitiveRow<'r>),
) {
    let mut by_principal: FxHashMap<&str, Vec<&'r Row>> = FxHashMap::default();
    for r in direct {
        by_principal.entry(&r.principal).or_default().push(r);
    }
    for source in closure.nodes() {
        let paths = closure.paths_from(source);
        if paths.is_empty() {
            continue;
        }
        let own: FxHashSet<(&str, Capability)> = by_principal
            .get(source)
            .into_iter()
            .flatten()
            .map(|r| (&*r.resource, r.capability))
            .collect();
        // (resource, capability) -> (rank, row, path index).
        type Rank = (Access, usize, usize);
        let mut best: FxHashMap<(&str, Capability), (Rank, &'r Row, usize)> = FxHashMap::default();
        for (pi, (reached, path)) in paths.iter().enumerate() {
            for &row in by_principal.get(reached).into_iter().flatten() {
                let key = (&*row.resource, row.capability);
                if own.contains(&key) {
                    continue;
                }
                let rank = (row.access.max(path.access), path.steps.len(), pi);
                let slot = best.entry(key).or_insert((rank, row, pi));
                if rank < slot.0 {
                    *slot = (rank, row, pi);
                }
            }
        }
        let principal: Arc<str> = Arc::from(source);
        let mut vias: Vec<Option<Arc<[Step]>>> = vec![None; paths.len()];
        let mut best: Vec<_> = best.into_iter().collect();
        best.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, ((access, _, _), row, pi)) in best {
            let via = vias[pi]
                .get_or_insert_with(|| paths[pi].1.steps.iter().map(|e| Step::from(*e)).collect());
            sink(TransitiveRow {
                principal: Arc::clone(&principal),
                row,
                access,
                via: Arc::clone(via),
            });
        }
    }
}
