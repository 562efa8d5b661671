//! The closure over principals: for each principal, every principal it can become and
//! the best path there, and what it gains by rewriting IAM on the way.
//!
//! What it is for: answering "what can P become, and how" on a graph of principals
//! (a few thousand nodes), never on rows. What it is not for: the rows gained (that is
//! [`crate::inherit`]).
//!
//! Key design choices:
//! - Only become edges ([`EdgeKind::becomes`]) are followed. Control edges (policy
//!   writes, boundary removal, group joins) count when the principal can act both as
//!   the writer and as the target (or is them): then it gains a [`Gain`]. Writing the
//!   policies of a role one cannot use gains nothing (PMapper's admin check is the same
//!   rule for the self case).
//! - The best path is Allowed whenever some path is Allowed, and the shortest among
//!   those; otherwise the shortest path of all. Length first would let one short
//!   Conditional hop hide an unconditional longer chain. Two breadth-first searches per
//!   source: one over Allowed edges, one over every edge.
//! - Deterministic: nodes are numbered in ARN order, each layer is expanded in that
//!   order, so a node's predecessor is the lowest-ARN one at the previous distance,
//!   whatever order the edges came in. Between parallel edges, Allowed wins, then the
//!   kind order, then the edge order.

use std::sync::Arc;

use accessdrift_access::Access;
use rustc_hash::FxHashMap;

use rayon::prelude::*;

use crate::catalogue::EdgeKind;
use crate::edges::Edge;
use crate::search::{Adjacency, Bits, Graph, MATRIX_LIMIT};

/// No edge (an unreached slot).
const NONE: u32 = u32::MAX;

/// How one source reaches one node.
#[derive(Debug, Clone, Copy)]
struct Reached {
    to: u32,
    /// The last edge of the shortest path over every edge, and that path's length.
    any: u32,
    any_dist: u32,
    /// The last edge of the shortest all-Allowed path ([`NONE`]: there is none), and
    /// its length.
    allowed: u32,
    allowed_dist: u32,
}

/// What a principal gains by rewriting IAM where it can act both as writer and target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GainKind {
    /// It can give a principal it can act as any permission (its boundary and the SCPs
    /// still apply): administrator-equivalent.
    Administrator,
    /// It can remove the boundary of a principal it can act as.
    Unbounded {
        /// The principal whose boundary goes.
        principal: Arc<str>,
    },
    /// It can add a user it can act as to a group, and so gain the group's permissions.
    GroupMember {
        /// The user added.
        user: Arc<str>,
        /// The group.
        group: Arc<str>,
    },
}

/// A gain and the steps to it: reaching the writer, the write, reaching the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Gain {
    /// What is gained.
    pub kind: GainKind,
    /// Allowed when every step is.
    pub access: Access,
    /// The steps, in order; the control edge is among them.
    pub steps: Vec<Edge>,
}

/// A path from one principal to another.
#[derive(Debug, Clone, PartialEq)]
pub struct Path<'c> {
    /// Allowed when every step is.
    pub access: Access,
    /// The edges, from the source on.
    pub steps: Vec<&'c Edge>,
}

/// Every principal's reach, computed once.
#[derive(Debug, Clone, Default)]
pub struct Closure {
    /// Principals (and other callers: `*`, other accounts), sorted.
    nodes: Vec<Arc<str>>,
    index: FxHashMap<Arc<str>, u32>,
    /// Every edge, sorted as [`crate::edges::edges`] returns them.
    edges: Vec<Edge>,
    /// Per node: what it reaches, sorted by node.
    reach: Vec<Vec<Reached>>,
    /// Per node: its gains (at most one administrator gain, the best).
    gains: Vec<Vec<Gain>>,
    /// Per node: whether some node reaches it.
    reached_by_some: Vec<bool>,
}

/// Rank of an edge between parallel edges: Allowed first, then the kind order.
fn rank(e: &Edge) -> (Access, EdgeKind) {
    (e.access, e.kind)
}

/// Every principal the edges name, sorted (node ids follow ARN order, which makes
/// tie-breaks deterministic), and each one's node id.
fn name_index<'e>(
    edges: impl Iterator<Item = &'e Edge>,
) -> (Vec<Arc<str>>, FxHashMap<Arc<str>, u32>) {
    let mut names: Vec<Arc<str>> = edges
        .flat_map(|e| [Arc::clone(&e.from), Arc::clone(&e.to)])
        .collect();
    names.sort();
    names.dedup();
    let index = names
        .iter()
        .enumerate()
        .map(|(i, n)| (Arc::clone(n), i as u32))
        .collect();
    (names, index)
}

/// Builds the closure of `edges` (any order; duplicates are harmless).
pub fn closure(mut edges: Vec<Edge>) -> Closure {
    edges.sort_by(|a, b| {
        (&a.from, &a.to, a.kind, &a.on, &a.actions)
            .cmp(&(&b.from, &b.to, b.kind, &b.on, &b.actions))
    });
    let (names, index) = name_index(edges.iter());
    let id = |s: &Arc<str>| index.get(s).copied().unwrap_or(NONE);
    let n = names.len();
    let mut any: Adjacency = vec![Vec::new(); n];
    let mut allowed: Adjacency = vec![Vec::new(); n];
    // Control edges by target: a source looks at the writers of what it can act as.
    let mut control: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        let (f, t) = (id(&e.from), id(&e.to));
        if f == NONE || t == NONE {
            continue;
        }
        let slot = f as usize;
        if !e.kind.becomes() {
            control[t as usize].push(i as u32);
            continue;
        }
        if f == t {
            continue;
        }
        let better = |list: &mut Vec<(u32, u32)>| match list.last_mut() {
            Some(last) if last.0 == t => {
                if rank(e) < rank(&edges[last.1 as usize]) {
                    last.1 = i as u32;
                }
            }
            _ => list.push((t, i as u32)),
        };
        better(&mut any[slot]);
        if e.access == Access::Allowed {
            better(&mut allowed[slot]);
        }
    }
    let mut c = Closure {
        nodes: names,
        index,
        edges,
        reach: Vec::with_capacity(n),
        gains: Vec::with_capacity(n),
        reached_by_some: vec![false; n],
    };
    let matrix = n <= MATRIX_LIMIT;
    let (any, allowed) = (Graph::new(any, matrix), Graph::new(allowed, matrix));
    c.reach = (0..n as u32)
        .into_par_iter()
        .map(|source| reach_from(source, &any, &allowed))
        .collect();
    for r in c.reach.iter().flatten() {
        c.reached_by_some[r.to as usize] = true;
    }
    c.gains = (0..n as u32)
        .into_par_iter()
        .map(|source| c.gains_of(source, &control))
        .collect();
    c
}

/// Who can act as whom over some become edges (before the closure proper): for
/// deciding which control edges anyone can use.
pub(crate) struct Acting {
    index: FxHashMap<Arc<str>, u32>,
    /// Per node: itself and every node that reaches it, ascending.
    reachers: Vec<Vec<u32>>,
}

impl Acting {
    /// From the become edges among `edges` (the others are ignored).
    pub(crate) fn new(edges: &[Edge]) -> Acting {
        let become_: Vec<&Edge> = edges.iter().filter(|e| e.kind.becomes()).collect();
        let (names, index) = name_index(become_.iter().copied());
        let n = names.len();
        let mut adj: Adjacency = vec![Vec::new(); n];
        for (i, e) in become_.iter().enumerate() {
            if let (Some(&f), Some(&t)) = (index.get(&e.from), index.get(&e.to))
                && f != t
            {
                adj[f as usize].push((t, i as u32));
            }
        }
        for out in &mut adj {
            out.sort_unstable();
            out.dedup_by_key(|(t, _)| *t);
        }
        let graph = Graph::new(adj, n <= MATRIX_LIMIT);
        let reached: Vec<Vec<(u32, u32, u32)>> = (0..n as u32)
            .into_par_iter()
            .map(|s| graph.bfs(s))
            .collect();
        let mut reachers: Vec<Vec<u32>> = (0..n as u32).map(|i| vec![i]).collect();
        for (source, list) in reached.iter().enumerate() {
            for (to, _, _) in list {
                reachers[*to as usize].push(source as u32);
            }
        }
        for r in &mut reachers {
            r.sort_unstable();
        }
        Acting { index, reachers }
    }

    /// Whether some principal is or can become both `writer` and `target`.
    pub(crate) fn useful(&self, writer: &str, target: &str) -> bool {
        if writer == target {
            return true;
        }
        let (Some(&q), Some(&t)) = (self.index.get(writer), self.index.get(target)) else {
            return false;
        };
        let (a, b) = (&self.reachers[q as usize], &self.reachers[t as usize]);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
            }
        }
        false
    }
}

/// What `source` reaches in both graphs, sorted by node.
fn reach_from(source: u32, any: &Graph, allowed: &Graph) -> Vec<Reached> {
    let mut out: Vec<Reached> = any
        .bfs(source)
        .into_iter()
        .map(|(to, e, d)| Reached {
            to,
            any: e,
            any_dist: d,
            allowed: NONE,
            allowed_dist: 0,
        })
        .collect();
    out.sort_unstable_by_key(|r| r.to);
    for (to, e, d) in allowed.bfs(source) {
        if let Ok(i) = out.binary_search_by_key(&to, |r| r.to) {
            out[i].allowed = e;
            out[i].allowed_dist = d;
        }
    }
    out
}

impl Closure {
    /// Every node (principals and callers outside the snapshot), sorted.
    pub fn nodes(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| &**n)
    }

    /// Every edge, become and control, sorted by (from, to, kind, on, actions).
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    fn id(&self, arn: &str) -> Option<u32> {
        self.index.get(arn).copied()
    }

    /// How many nodes.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// A node's id (its rank in ARN order).
    pub(crate) fn node_id(&self, arn: &str) -> Option<u32> {
        self.id(arn)
    }

    /// A node's ARN.
    pub(crate) fn node_name(&self, id: u32) -> Option<&str> {
        self.nodes.get(id as usize).map(|n| &**n)
    }

    /// The nodes `source` reaches, ascending.
    pub(crate) fn reached_ids(&self, source: u32) -> impl Iterator<Item = u32> + '_ {
        self.reach
            .get(source as usize)
            .into_iter()
            .flatten()
            .map(|r| r.to)
    }

    /// The best path between two nodes by id.
    pub(crate) fn path_by_id(&self, source: u32, to: u32) -> Option<Path<'_>> {
        self.path_ids(source, to)
    }

    fn reached(&self, source: u32, to: u32) -> Option<&Reached> {
        let list = self.reach.get(source as usize)?;
        list.binary_search_by_key(&to, |r| r.to)
            .ok()
            .and_then(|i| list.get(i))
    }

    /// The best path from `source` to `to` by node ids; `None` when not reached (or the
    /// same node: the empty path is not a path).
    fn path_ids(&self, source: u32, to: u32) -> Option<Path<'_>> {
        let r = self.reached(source, to)?;
        let allowed = r.allowed != NONE;
        let mut steps = Vec::new();
        let mut at = to;
        // INVARIANT: each step's `from` is reached from `source` in the same search
        // (Allowed or any), so the walk ends at `source` within `nodes.len()` steps.
        for _ in 0..self.nodes.len() {
            if at == source {
                break;
            }
            let here = self.reached(source, at)?;
            let e = if allowed { here.allowed } else { here.any };
            let edge = self.edges.get(e as usize)?;
            steps.push(edge);
            at = self.id(&edge.from)?;
        }
        if at != source {
            return None;
        }
        steps.reverse();
        Some(Path {
            access: if allowed {
                Access::Allowed
            } else {
                Access::Conditional
            },
            steps,
        })
    }

    /// Every principal `from` can become, sorted by ARN, with the best path to each.
    pub fn paths_from(&self, from: &str) -> Vec<(&str, Path<'_>)> {
        let Some(source) = self.id(from) else {
            return Vec::new();
        };
        self.reach
            .get(source as usize)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let name = self.nodes.get(r.to as usize)?;
                Some((&**name, self.path_ids(source, r.to)?))
            })
            .collect()
    }

    /// Whether some principal can become `arn`.
    pub fn is_reached(&self, arn: &str) -> bool {
        self.id(arn)
            .and_then(|i| self.reached_by_some.get(i as usize).copied())
            .unwrap_or(false)
    }

    /// Whether `arn` can become some principal.
    pub fn reaches_anything(&self, arn: &str) -> bool {
        self.id(arn)
            .and_then(|i| self.reach.get(i as usize))
            .is_some_and(|r| !r.is_empty())
    }

    /// The best path from `from` to `to`, if `from` can become `to`.
    pub fn path(&self, from: &str, to: &str) -> Option<Path<'_>> {
        self.path_ids(self.id(from)?, self.id(to)?)
    }

    /// How many steps the best path has (`None`: not reached).
    pub fn distance(&self, from: &str, to: &str) -> Option<usize> {
        self.path(from, to).map(|p| p.steps.len())
    }

    /// What `from` gains by rewriting IAM, the administrator gain first.
    pub fn gains(&self, from: &str) -> &[Gain] {
        self.id(from)
            .and_then(|i| self.gains.get(i as usize))
            .map_or(&[], Vec::as_slice)
    }

    /// The administrator-equivalence of `from`, with its path, if it has one.
    pub fn administrator(&self, from: &str) -> Option<&Gain> {
        self.gains(from)
            .iter()
            .find(|g| g.kind == GainKind::Administrator)
    }

    /// The best path's access and length from `source` to `node` (the empty path to
    /// itself), without building it.
    fn best_len(&self, source: u32, node: u32) -> Option<(Access, u32)> {
        if node == source {
            return Some((Access::Allowed, 0));
        }
        let r = self.reached(source, node)?;
        Some(if r.allowed == NONE {
            (Access::Conditional, r.any_dist)
        } else {
            (Access::Allowed, r.allowed_dist)
        })
    }

    /// The path's edges from `source` to `node` (none to itself).
    fn steps_to(&self, source: u32, node: u32) -> Vec<Edge> {
        if node == source {
            return Vec::new();
        }
        self.path_ids(source, node)
            .map(|p| p.steps.into_iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The gains of one source: for each control edge whose writer and target the
    /// source is or can become, the best (Allowed, fewest steps, then edge order).
    /// Candidates are ranked on lengths; only the winners' steps are built.
    fn gains_of(&self, source: u32, control: &[Vec<u32>]) -> Vec<Gain> {
        // The source itself, then everything it reaches.
        let mut members: Vec<u32> = vec![source];
        members.extend(
            self.reach
                .get(source as usize)
                .into_iter()
                .flatten()
                .map(|r| r.to),
        );
        let mut within = Bits::new(self.nodes.len());
        for m in &members {
            within.set(*m);
        }
        // key -> (access, steps, control edge, writer, target)
        type Best = ((Access, u32, u32), u32, u32);
        let mut best: FxHashMap<GainKey, Best> = FxHashMap::default();
        for &target in &members {
            let Some((a2, l2)) = self.best_len(source, target) else {
                continue;
            };
            for &c in control.get(target as usize).into_iter().flatten() {
                let Some(edge) = self.edges.get(c as usize) else {
                    continue;
                };
                let Some(writer) = self.id(&edge.from).filter(|w| within.get(*w)) else {
                    continue;
                };
                let Some((a1, l1)) = self.best_len(source, writer) else {
                    continue;
                };
                // Acting as the target: already there when the writer is the target.
                let len = l1 + 1 + if target == writer { 0 } else { l2 };
                let access = a1.max(a2).max(edge.access);
                let key = match edge.kind {
                    EdgeKind::PolicyWrite => GainKey::Administrator,
                    EdgeKind::BoundaryRemoval => GainKey::Unbounded(target),
                    EdgeKind::GroupJoin => GainKey::Group(Arc::clone(&edge.on)),
                    _ => continue,
                };
                let rank = (access, len, c);
                let slot = best.entry(key).or_insert((rank, writer, target));
                if rank < slot.0 {
                    *slot = (rank, writer, target);
                }
            }
        }
        let mut out: Vec<(GainKey, Best)> = best.into_iter().collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.into_iter()
            .filter_map(|(_, ((access, _, c), writer, target))| {
                let edge = self.edges.get(c as usize)?;
                let kind = match edge.kind {
                    EdgeKind::PolicyWrite => GainKind::Administrator,
                    EdgeKind::BoundaryRemoval => GainKind::Unbounded {
                        principal: Arc::clone(&edge.to),
                    },
                    _ => GainKind::GroupMember {
                        user: Arc::clone(&edge.to),
                        group: Arc::clone(&edge.on),
                    },
                };
                let mut steps = self.steps_to(source, writer);
                steps.push(edge.clone());
                if target != writer {
                    steps.extend(self.steps_to(source, target));
                }
                Some(Gain {
                    kind,
                    access,
                    steps,
                })
            })
            .collect()
    }
}

/// One gain per key and source; the order is the output order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum GainKey {
    Administrator,
    Unbounded(u32),
    Group(Arc<str>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn edge(kind: EdgeKind, from: &str, to: &str, access: Access) -> Edge {
        Edge {
            kind,
            from: from.into(),
            to: to.into(),
            on: to.into(),
            actions: vec!["sts:AssumeRole"],
            grants: Vec::new(),
            access,
            conditions: Vec::new(),
            requires: Vec::new(),
        }
    }

    fn assume(from: &str, to: &str) -> Edge {
        edge(EdgeKind::Assume, from, to, Access::Allowed)
    }

    fn hops(c: &Closure, from: &str, to: &str) -> Vec<String> {
        let p = c.path(from, to).expect("reached");
        let mut out = vec![from.to_string()];
        out.extend(p.steps.iter().map(|e| e.to.to_string()));
        out
    }

    #[test]
    fn multi_hop_chains_are_followed_to_the_end() {
        let c = closure(vec![assume("a", "b"), assume("b", "c"), assume("c", "d")]);
        let reached: Vec<&str> = c.paths_from("a").into_iter().map(|(t, _)| t).collect();
        assert_eq!(reached, ["b", "c", "d"]);
        assert_eq!(hops(&c, "a", "d"), ["a", "b", "c", "d"]);
        assert_eq!(c.distance("b", "d"), Some(2));
        assert!(c.path("d", "a").is_none());
        assert!(c.is_reached("d") && !c.is_reached("a") && !c.is_reached("nobody"));
        assert!(c.reaches_anything("a") && !c.reaches_anything("d"));
    }

    #[test]
    fn cycles_end_and_a_node_does_not_reach_itself() {
        let c = closure(vec![assume("a", "b"), assume("b", "a"), assume("b", "c")]);
        let reached: Vec<&str> = c.paths_from("a").into_iter().map(|(t, _)| t).collect();
        assert_eq!(reached, ["b", "c"]);
        let reached: Vec<&str> = c.paths_from("b").into_iter().map(|(t, _)| t).collect();
        assert_eq!(reached, ["a", "c"]);
        assert!(c.path("a", "a").is_none());
    }

    #[test]
    fn the_shortest_path_wins() {
        let c = closure(vec![
            assume("a", "b"),
            assume("b", "c"),
            assume("c", "d"),
            assume("a", "d"),
        ]);
        assert_eq!(hops(&c, "a", "d"), ["a", "d"]);
    }

    /// A short Conditional hop must not hide an unconditional longer chain.
    #[test]
    fn an_allowed_path_beats_a_shorter_conditional_one() {
        let c = closure(vec![
            edge(EdgeKind::Assume, "a", "d", Access::Conditional),
            assume("a", "b"),
            assume("b", "d"),
        ]);
        let p = c.path("a", "d").unwrap();
        assert_eq!(p.access, Access::Allowed);
        assert_eq!(hops(&c, "a", "d"), ["a", "b", "d"]);
        let c = closure(vec![
            edge(EdgeKind::Assume, "a", "d", Access::Conditional),
            assume("a", "b"),
            edge(EdgeKind::Assume, "b", "d", Access::Conditional),
        ]);
        assert_eq!(c.path("a", "d").unwrap().access, Access::Conditional);
        assert_eq!(hops(&c, "a", "d"), ["a", "d"]);
    }

    #[test]
    fn between_parallel_edges_the_allowed_one_is_taken() {
        let c = closure(vec![
            edge(EdgeKind::Assume, "a", "b", Access::Conditional),
            edge(EdgeKind::Credential, "a", "b", Access::Allowed),
        ]);
        let p = c.path("a", "b").unwrap();
        assert_eq!(p.access, Access::Allowed);
        assert_eq!(p.steps[0].kind, EdgeKind::Credential);
    }

    /// Equal paths: the predecessor with the lowest ARN, whatever the input order.
    #[test]
    fn ties_break_by_arn_whatever_the_edge_order() {
        let edges = vec![
            assume("a", "c"),
            assume("a", "b"),
            assume("c", "d"),
            assume("b", "d"),
        ];
        let forward = closure(edges.clone());
        let mut reversed = edges;
        reversed.reverse();
        let backward = closure(reversed);
        assert_eq!(hops(&forward, "a", "d"), ["a", "b", "d"]);
        assert_eq!(hops(&backward, "a", "d"), ["a", "b", "d"]);
        for n in ["a", "b", "c", "d"] {
            assert_eq!(forward.paths_from(n), backward.paths_from(n));
        }
    }

    #[test]
    fn a_policy_write_counts_when_the_writer_and_the_target_are_reachable() {
        let write = edge(EdgeKind::PolicyWrite, "q", "t", Access::Allowed);
        let c = closure(vec![assume("a", "q"), assume("a", "t"), write.clone()]);
        let gain = c.administrator("a").expect("a");
        let kinds: Vec<(EdgeKind, &str)> = gain.steps.iter().map(|e| (e.kind, &*e.to)).collect();
        assert_eq!(
            kinds,
            [
                (EdgeKind::Assume, "q"),
                (EdgeKind::PolicyWrite, "t"),
                (EdgeKind::Assume, "t")
            ]
        );
        // q writes t's policies but cannot act as t.
        assert!(c.administrator("q").is_none());
        // Writing one's own policies.
        let c = closure(vec![edge(
            EdgeKind::PolicyWrite,
            "s",
            "s",
            Access::Conditional,
        )]);
        let g = c.administrator("s").unwrap();
        assert_eq!((g.access, g.steps.len()), (Access::Conditional, 1));
    }

    /// Reference model: distances by relaxation to a fixpoint over every become edge,
    /// and over Allowed ones.
    fn naive(
        n: usize,
        edges: &[(usize, usize, bool, bool)],
        allowed_only: bool,
    ) -> Vec<Vec<Option<usize>>> {
        let mut d = vec![vec![None; n]; n];
        for (f, t, allowed, becomes) in edges {
            if *becomes && f != t && (!allowed_only || *allowed) {
                d[*f][*t] = Some(1);
            }
        }
        loop {
            let mut changed = false;
            for i in 0..n {
                for k in 0..n {
                    let Some(a) = d[i][k] else { continue };
                    let via_k = d[k].clone();
                    for (j, b) in via_k.iter().enumerate() {
                        let Some(b) = b else { continue };
                        if i != j && d[i][j].is_none_or(|x| a + b < x) {
                            d[i][j] = Some(a + b);
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                return d;
            }
        }
    }

    /// The gains of every node, as (kind, access, steps) per node.
    fn all_gains(c: &Closure, n: usize) -> Vec<Vec<(GainKind, Access, usize)>> {
        (0..n)
            .map(|i| {
                c.gains(&format!("n{i}"))
                    .iter()
                    .map(|g| (g.kind.clone(), g.access, g.steps.len()))
                    .collect()
            })
            .collect()
    }

    proptest! {
        /// What `edges` leaves out (control edges nobody can use, and other policy
        /// writes of a writer that may rewrite its own outright) changes no gain.
        #[test]
        fn leaving_out_unusable_control_edges_changes_no_gain(
            n in 1usize..8,
            raw in proptest::collection::vec((0usize..8, 0usize..8, any::<bool>(), 0u8..5), 0..30),
        ) {
            let kinds = [EdgeKind::Assume, EdgeKind::Credential, EdgeKind::PolicyWrite, EdgeKind::PolicyWrite, EdgeKind::BoundaryRemoval];
            let edges: Vec<Edge> = raw
                .iter()
                .map(|(f, t, a, k)| {
                    let access = if *a { Access::Allowed } else { Access::Conditional };
                    edge(kinds[*k as usize], &format!("n{}", f % n), &format!("n{}", t % n), access)
                })
                .collect();
            let acting = Acting::new(&edges);
            let writes_itself = |q: &str| {
                edges.iter().any(|e| {
                    e.kind == EdgeKind::PolicyWrite && &*e.from == q && &*e.to == q && e.access == Access::Allowed
                })
            };
            let kept: Vec<Edge> = edges
                .iter()
                .filter(|e| {
                    e.kind.becomes()
                        || (acting.useful(&e.from, &e.to)
                            && !(e.kind == EdgeKind::PolicyWrite && e.from != e.to && writes_itself(&e.from)))
                })
                .cloned()
                .collect();
            prop_assert_eq!(all_gains(&closure(edges), n), all_gains(&closure(kept), n));
        }

        #[test]
        fn the_closure_equals_a_naive_fixpoint(
            n in 1usize..9,
            raw in proptest::collection::vec((0usize..9, 0usize..9, any::<bool>(), 0u8..4), 0..30),
        ) {
            let name = |i: usize| format!("n{i}");
            // becomes: 3 in 4 edges; the rest are policy writes.
            let spec: Vec<(usize, usize, bool, bool)> = raw
                .iter()
                .map(|(f, t, a, k)| (f % n, t % n, *a, *k != 0))
                .collect();
            let edges: Vec<Edge> = spec
                .iter()
                .map(|(f, t, a, becomes)| {
                    let access = if *a { Access::Allowed } else { Access::Conditional };
                    let kind = if *becomes { EdgeKind::Assume } else { EdgeKind::PolicyWrite };
                    edge(kind, &name(*f), &name(*t), access)
                })
                .collect();
            let c = closure(edges.clone());
            let any = naive(n, &spec, false);
            let allowed = naive(n, &spec, true);
            for i in 0..n {
                let from = name(i);
                let got = c.paths_from(&from);
                let expected: Vec<String> =
                    (0..n).filter(|j| any[i][*j].is_some()).map(name).collect();
                let mut expected_sorted = expected.clone();
                expected_sorted.sort();
                let got_names: Vec<String> = got.iter().map(|(t, _)| t.to_string()).collect();
                prop_assert_eq!(&got_names, &expected_sorted);
                for (to, path) in &got {
                    let j: usize = to[1..].parse().unwrap();
                    // A real path from `from` to `to`, made of given become edges.
                    let mut at = from.clone();
                    for e in &path.steps {
                        prop_assert_eq!(&*e.from, at.as_str());
                        prop_assert!(e.kind.becomes());
                        prop_assert!(edges.contains(e));
                        at = e.to.to_string();
                    }
                    prop_assert_eq!(at.as_str(), *to);
                    match allowed[i][j] {
                        Some(d) => {
                            prop_assert_eq!(path.access, Access::Allowed);
                            prop_assert_eq!(path.steps.len(), d);
                        }
                        None => {
                            prop_assert_eq!(path.access, Access::Conditional);
                            prop_assert_eq!(Some(path.steps.len()), any[i][j]);
                        }
                    }
                }
                // Administrator-equivalent exactly when some policy write has its writer
                // and its target among the node and what it reaches.
                let within = |k: usize| k == i || any[i][k].is_some();
                let admin = spec.iter().any(|(f, t, _, becomes)| !becomes && within(*f) && within(*t));
                prop_assert_eq!(c.administrator(&from).is_some(), admin);
            }
        }
    }
}
