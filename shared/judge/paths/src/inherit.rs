//! Rows gained through a path: a principal holds what every principal it can become
//! holds, each gained row carrying the steps that lead to it.
//!
//! What it is for: the transitive rows of `access --transitive` and of drift's
//! escalation findings. What it is not for: finding paths (that is [`crate::closure`]).
//!
//! Key design choices:
//! - One resource at a time ([`Inheritance::for_resource`]): effective access streams
//!   its rows by resource, and every row on a resource, direct or gained, can be decided
//!   from that resource's rows alone. Memory stays one resource's rows plus the closure,
//!   whatever the account size.
//! - A direct row wins over the same (principal, resource, capability) through a path:
//!   direct rows stay as they are.
//! - Among paths to the same (resource, capability), the best is kept: Allowed before
//!   Conditional, then fewer steps, then the reached principal's ARN. A gained row is
//!   Conditional when the reached principal's row is, or any step is.
//! - A gained row borrows the reached principal's row (its actions, grants, keys and
//!   requirements are that principal's) and the closure's edges; the steps of one path
//!   are built once and shared by every row they give.
//! - Gains ([`crate::closure::Gain`]) give no rows here: administrator-equivalence
//!   means "anything its boundary and the SCPs allow", which no row list states, and a
//!   boundary removal or a group join needs effective access recomputed.

use std::sync::Arc;

use accessdrift_access::{Access, Row};
use accessdrift_capabilities::Capability;
use rayon::prelude::*;

use crate::closure::Closure;
use crate::edges::Edge;

/// A row a principal holds through a path.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitiveRow<'a> {
    /// The principal that gains the row (the path's start).
    pub principal: &'a str,
    /// The reached principal's row (its `principal` is the path's end).
    pub row: &'a Row,
    /// Conditional when the row or any step is.
    pub access: Access,
    /// The steps: each the edge taken (kind, from, to, action, grants), from
    /// `principal` to `row.principal`.
    pub via: Arc<[&'a Edge]>,
}

/// The steps of one path, shared by every row it gives.
type Via<'c> = Arc<[&'c Edge]>;

/// The closure, prepared for joining with rows: for each principal, who can become it
/// and how well, and every path built once.
pub struct Inheritance<'c> {
    closure: &'c Closure,
    /// Per node: `(source, access, steps)` of every source that reaches it, by source.
    reachers: Vec<Vec<(u32, Access, u32)>>,
    /// Per source: `(node, steps)` of every path, by node.
    paths: Vec<Vec<(u32, Via<'c>)>>,
}

/// Per-call scratch for [`Inheritance::for_resource`] (one per thread).
#[derive(Debug, Default)]
pub struct Scratch {
    /// `held[c * n + node]`: the call that saw `node` hold capability `c` directly.
    held: Vec<u32>,
    /// `best[c * n + node]`: the call that last set it, its rank and the row.
    best: Vec<(u32, (Access, u32, u32), u32)>,
    touched: Vec<(u32, usize)>,
    call: u32,
}

fn cap_index(c: Capability) -> usize {
    Capability::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

impl<'c> Inheritance<'c> {
    /// Builds the reverse index and every path of the closure.
    pub fn new(closure: &'c Closure) -> Inheritance<'c> {
        let n = closure.node_count();
        let paths: Vec<Vec<(u32, Via<'c>)>> = (0..n as u32)
            .into_par_iter()
            .map(|source| {
                closure
                    .reached_ids(source)
                    .filter_map(|to| {
                        let p = closure.path_by_id(source, to)?;
                        Some((to, Arc::from(p.steps)))
                    })
                    .collect()
            })
            .collect();
        let mut reachers: Vec<Vec<(u32, Access, u32)>> = vec![Vec::new(); n];
        for (source, list) in paths.iter().enumerate() {
            for (to, steps) in list {
                let access = steps
                    .iter()
                    .map(|e| e.access)
                    .max()
                    .unwrap_or(Access::Allowed);
                if let Some(r) = reachers.get_mut(*to as usize) {
                    r.push((source as u32, access, steps.len() as u32));
                }
            }
        }
        Inheritance {
            closure,
            reachers,
            paths,
        }
    }

    /// A scratch sized for this closure.
    pub fn scratch(&self) -> Scratch {
        let cells = self.closure.node_count() * Capability::ALL.len();
        Scratch {
            held: vec![0; cells],
            best: vec![(0, (Access::Allowed, 0, 0), 0); cells],
            touched: Vec::new(),
            call: 0,
        }
    }

    fn path(&self, source: u32, to: u32) -> Option<&Via<'c>> {
        let list = self.paths.get(source as usize)?;
        list.binary_search_by_key(&to, |(t, _)| *t)
            .ok()
            .and_then(|i| list.get(i))
            .map(|(_, p)| p)
    }

    /// The rows gained on one resource, given every row on it (all principals, as
    /// effective access emits them), by principal then capability.
    pub fn for_resource<'a>(
        &self,
        rows: &[&'a Row],
        scratch: &mut Scratch,
        mut sink: impl FnMut(TransitiveRow<'a>),
    ) where
        'c: 'a,
    {
        let n = self.closure.node_count();
        if scratch.held.len() != n * Capability::ALL.len() {
            *scratch = self.scratch();
        }
        scratch.call = scratch.call.wrapping_add(1);
        if scratch.call == 0 {
            // Stamps wrapped: start clean.
            *scratch = self.scratch();
            scratch.call = 1;
        }
        let call = scratch.call;
        let ids: Vec<Option<u32>> = rows
            .iter()
            .map(|r| self.closure.node_id(&r.principal))
            .collect();
        for (r, id) in rows.iter().zip(&ids) {
            if let Some(id) = id {
                scratch.held[cap_index(r.capability) * n + *id as usize] = call;
            }
        }
        scratch.touched.clear();
        for (i, (r, id)) in rows.iter().zip(&ids).enumerate() {
            let Some(holder) = *id else { continue };
            let base = cap_index(r.capability) * n;
            for &(source, access, len) in self.reachers.get(holder as usize).into_iter().flatten() {
                let cell = base + source as usize;
                if scratch.held[cell] == call {
                    continue;
                }
                let rank = (r.access.max(access), len, holder);
                let slot = &mut scratch.best[cell];
                if slot.0 != call {
                    *slot = (call, rank, i as u32);
                    scratch.touched.push((source, cell));
                } else if rank < slot.1 {
                    *slot = (call, rank, i as u32);
                }
            }
        }
        scratch
            .touched
            .sort_unstable_by_key(|(source, cell)| (*source, *cell));
        for &(source, cell) in &scratch.touched {
            let (_, (access, _, holder), i) = scratch.best[cell];
            let (Some(&row), Some(name), Some(via)) = (
                rows.get(i as usize),
                self.closure.node_name(source),
                self.path(source, holder),
            ) else {
                continue;
            };
            sink(TransitiveRow {
                principal: name,
                row,
                access,
                via: Arc::clone(via),
            });
        }
    }
}

/// Every gained row, by resource, then principal, then capability (`direct` in any
/// order).
pub fn transitive_rows<'a>(direct: &'a [Row], closure: &'a Closure) -> Vec<TransitiveRow<'a>> {
    let join = Inheritance::new(closure);
    let mut scratch = join.scratch();
    let mut rows: Vec<&'a Row> = direct.iter().collect();
    rows.sort_by(|a, b| a.resource.cmp(&b.resource));
    let mut out = Vec::new();
    for group in rows.chunk_by(|a, b| a.resource == b.resource) {
        join.for_resource(group, &mut scratch, |t| out.push(t));
    }
    out
}
