//! Breadth-first search on the principal graph, layer by layer in node order.
//!
//! What it is for: the closure's two searches per source (every edge, Allowed edges).
//! Key design choice: two ways to expand a layer, with the same answer. Lists scan each
//! frontier node's out-edges (cost: the out-degrees); bit sets OR the frontier's rows of
//! an adjacency matrix and hand each new node to the lowest frontier node that has an
//! edge to it (cost: frontier x n/64). Accounts where a few admin-like principals can
//! become thousands of roles make the first quadratic, so the matrix is used up to
//! [`MATRIX_LIMIT`] nodes (n^2/8 bytes per graph); beyond it, the lists. A property
//! test checks the two agree.

/// Out-edges per node: `(to, edge)` sorted by `to`, at most one per pair.
pub(crate) type Adjacency = Vec<Vec<(u32, u32)>>;

/// Up to this many nodes the adjacency is also kept as a bit matrix (8 MB per graph).
pub(crate) const MATRIX_LIMIT: usize = 8192;

/// A fixed-size bit set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bits(Vec<u64>);

impl Bits {
    pub(crate) fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    pub(crate) fn set(&mut self, i: u32) {
        if let Some(w) = self.0.get_mut(i as usize / 64) {
            *w |= 1 << (i % 64);
        }
    }
    pub(crate) fn get(&self, i: u32) -> bool {
        self.0
            .get(i as usize / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    fn clear(&mut self) {
        self.0.iter_mut().for_each(|w| *w = 0);
    }
    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    fn or(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= *b;
        }
    }
    fn and(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= *b;
        }
    }
    fn and_not(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= !*b;
        }
    }
    /// The set bits, ascending.
    fn ones(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(i, w)| {
            let mut w = *w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros();
                w &= w - 1;
                Some(i as u32 * 64 + b)
            })
        })
    }
}

/// A graph to search: the lists, and the matrix when small enough.
pub(crate) struct Graph {
    adj: Adjacency,
    matrix: Option<Vec<Bits>>,
}

impl Graph {
    pub(crate) fn new(adj: Adjacency, matrix: bool) -> Graph {
        let n = adj.len();
        let matrix = matrix.then(|| {
            adj.iter()
                .map(|out| {
                    let mut b = Bits::new(n);
                    for (v, _) in out {
                        b.set(*v);
                    }
                    b
                })
                .collect()
        });
        Graph { adj, matrix }
    }

    /// The edge `u -> v`.
    fn edge(&self, u: u32, v: u32) -> Option<u32> {
        let out = self.adj.get(u as usize)?;
        out.binary_search_by_key(&v, |(t, _)| *t)
            .ok()
            .and_then(|i| out.get(i))
            .map(|(_, e)| *e)
    }

    /// Every node reached from `source` (not itself): `(node, last edge, distance)`,
    /// the last edge's start being the lowest node at the previous distance with an
    /// edge to it.
    pub(crate) fn bfs(&self, source: u32) -> Vec<(u32, u32, u32)> {
        match &self.matrix {
            Some(m) => self.bfs_matrix(source, m),
            None => self.bfs_lists(source),
        }
    }

    fn bfs_lists(&self, source: u32) -> Vec<(u32, u32, u32)> {
        let n = self.adj.len();
        let mut seen = Bits::new(n);
        seen.set(source);
        let mut out = Vec::new();
        let mut frontier = vec![source];
        let mut dist = 0;
        while !frontier.is_empty() {
            dist += 1;
            let mut next = Vec::new();
            for &u in &frontier {
                for &(v, e) in self.adj.get(u as usize).into_iter().flatten() {
                    if !seen.get(v) {
                        seen.set(v);
                        next.push(v);
                        out.push((v, e, dist));
                    }
                }
            }
            next.sort_unstable();
            frontier = next;
        }
        out
    }

    fn bfs_matrix(&self, source: u32, m: &[Bits]) -> Vec<(u32, u32, u32)> {
        let n = self.adj.len();
        let mut seen = Bits::new(n);
        seen.set(source);
        let mut next = Bits::new(n);
        let mut out = Vec::new();
        let mut frontier = vec![source];
        let mut dist = 0;
        while !frontier.is_empty() {
            dist += 1;
            next.clear();
            for &u in &frontier {
                if let Some(row) = m.get(u as usize) {
                    next.or(row);
                }
            }
            next.and_not(&seen);
            if next.is_empty() {
                break;
            }
            seen.or(&next);
            let layer: Vec<u32> = next.ones().collect();
            // Each new node goes to the lowest frontier node with an edge to it.
            let mut unassigned = next.clone();
            for &u in &frontier {
                let Some(row) = m.get(u as usize) else {
                    continue;
                };
                let mut mine = row.clone();
                mine.and(&unassigned);
                if mine.is_empty() {
                    continue;
                }
                for v in mine.ones() {
                    if let Some(e) = self.edge(u, v) {
                        out.push((v, e, dist));
                    }
                }
                unassigned.and_not(&mine);
                if unassigned.is_empty() {
                    break;
                }
            }
            frontier = layer;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The matrix search is an optimisation of the list search: same answer.
        #[test]
        fn matrix_and_lists_agree(
            n in 1usize..70,
            raw in proptest::collection::vec((0usize..70, 0usize..70), 0..300),
        ) {
            let mut adj: Adjacency = vec![Vec::new(); n];
            for (i, (f, t)) in raw.iter().enumerate() {
                let (f, t) = (f % n, t % n);
                if f != t && !adj[f].iter().any(|(v, _)| *v as usize == t) {
                    adj[f].push((t as u32, i as u32));
                }
            }
            for out in &mut adj {
                out.sort_unstable();
            }
            let lists = Graph::new(adj.clone(), false);
            let matrix = Graph::new(adj, true);
            for s in 0..n as u32 {
                let mut a = lists.bfs(s);
                let mut b = matrix.bfs(s);
                a.sort_unstable();
                b.sort_unstable();
                prop_assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn bits_iterate_in_order() {
        let mut b = Bits::new(200);
        for i in [3, 64, 65, 199] {
            b.set(i);
        }
        assert_eq!(b.ones().collect::<Vec<_>>(), [3, 64, 65, 199]);
        assert!(b.get(64) && !b.get(63));
    }
}
