//! Keeping a whole account's rows in memory without keeping thousands of copies of the
//! same condition tree and grant list.
//!
//! Why: the engine builds each row's `conditions` (a condition tree) and `grants`
//! afresh, which costs nothing when rows stream out (`accessdrift access`), but a caller
//! that keeps every row (drift, the report) held one tree per row. On the account of
//! every AWS managed policy, 200,000 Conditional rows (mostly `iam:PassRole` with
//! `iam:PassedToService`) made drift peak at 1.1 GB where `access` needs 120 MB; the
//! trees are a few hundred distinct ones. [`Interner`] makes equal values share one `Arc`.

use std::collections::HashMap;
use std::sync::Arc;

use accessdrift_evaluator::ConditionTree;

use crate::engine::{Grant, Line};

/// Shares equal `conditions`, `grants` and `actions` between the rows passed through it.
#[derive(Debug, Default)]
pub struct Interner {
    conditions: HashMap<Arc<ConditionTree>, ()>,
    grants: HashMap<Arc<[Grant]>, ()>,
    actions: HashMap<Arc<[&'static str]>, ()>,
}

impl Interner {
    /// A new, empty interner.
    pub fn new() -> Interner {
        Interner::default()
    }

    /// The line, with its row's shared parts replaced by the first equal ones seen.
    pub fn intern(&mut self, mut line: Line) -> Line {
        if let Line::Row(row) = &mut line {
            if let Some(c) = row.conditions.take() {
                row.conditions = Some(share(&mut self.conditions, c));
            }
            row.grants = share(&mut self.grants, Arc::clone(&row.grants));
            row.actions = share(&mut self.actions, Arc::clone(&row.actions));
        }
        line
    }
}

fn share<T: ?Sized + Eq + std::hash::Hash>(set: &mut HashMap<Arc<T>, ()>, value: Arc<T>) -> Arc<T> {
    match set.get_key_value(&value) {
        Some((kept, ())) => Arc::clone(kept),
        None => {
            set.insert(Arc::clone(&value), ());
            value
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Access, Row};
    use accessdrift_capabilities::Capability;
    use accessdrift_evaluator::formula::{Leaf, Source};
    use accessdrift_evaluator::{Effect, PolicyType};

    fn row(principal: &str) -> Line {
        Line::Row(Row {
            principal: principal.into(),
            resource: "arn:aws:iam::111111111111:role/r".into(),
            capability: Capability::UseResource,
            access: Access::Conditional,
            // Built anew for each row: equal, not the same allocation.
            conditions: Some(Arc::new(ConditionTree::Leaf(Arc::new(Leaf {
                op: "StringEquals".into(),
                key: "iam:PassedToService".into(),
                values: vec!["ec2.amazonaws.com".into()],
                inverted: false,
                source: Source {
                    effect: Effect::Allow,
                    policy: "managed:arn:aws:iam::aws:policy/p".into(),
                    policy_type: PolicyType::Identity,
                    statement_index: 1,
                    org_level: None,
                },
            })))),
            actions: vec!["iam:PassRole"].into(),
            grants: vec![Grant {
                policy: "managed:arn:aws:iam::aws:policy/p".into(),
                statement: "1".into(),
            }]
            .into(),
            requires: Vec::new(),
            keys: None,
        })
    }

    #[test]
    fn equal_parts_share_one_allocation_and_rows_stay_equal() {
        let mut interner = Interner::new();
        let (a, b) = (row("a"), row("b"));
        let (ia, ib) = (interner.intern(a.clone()), interner.intern(b.clone()));
        assert_eq!((&ia, &ib), (&a, &b));
        let (Line::Row(ra), Line::Row(rb)) = (&ia, &ib) else {
            unreachable!()
        };
        assert!(Arc::ptr_eq(
            ra.conditions.as_ref().unwrap(),
            rb.conditions.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(&ra.grants, &rb.grants));
        assert!(Arc::ptr_eq(&ra.actions, &rb.actions));
    }
}
