//! Three-valued results that remember *why* they are unknown.
//!
//! A [`Formula`] is `True`, `False`, or an expression over condition clauses whose keys
//! could not be known ahead (Discovery mode). Constants fold away as results combine,
//! so a strict evaluation never builds a tree; a discovery evaluation ends with exactly
//! the conditions an allow depends on, in the shape simulate.md documents.

use std::sync::Arc;

use accessdrift_policy::Effect;
use serde_json::{Value, json};

use crate::resource::PolicyType;

/// Where a condition comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The statement's effect.
    pub effect: Effect,
    /// The policy's name or identifier.
    pub policy: String,
    /// The layer.
    pub policy_type: PolicyType,
    /// 1-based statement index.
    pub statement_index: usize,
    /// The organization level (root, OU or account id) for SCPs and RCPs.
    pub org_level: Option<String>,
}

/// One unknown condition clause. For a clause taken from a `Deny` statement the leaf
/// states the condition under which the deny does *not* apply (`inverted`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// Operator as it applies (already inverted for deny escapes).
    pub op: String,
    /// Context key as written.
    pub key: String,
    /// Policy values.
    pub values: Vec<String>,
    /// True when this is the negation of a deny statement's clause.
    pub inverted: bool,
    /// The statement it comes from.
    pub source: Source,
}

/// A boolean expression over unknown clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// One clause.
    Leaf(Arc<Leaf>),
    /// All must hold.
    And(Vec<Expr>),
    /// At least one must hold.
    Or(Vec<Expr>),
}

/// True, false, or true exactly when an expression over unknown clauses holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formula {
    /// Holds for every request.
    True,
    /// Holds for no request.
    False,
    /// Holds when the expression does.
    Expr(Expr),
}

impl Formula {
    /// A single unknown leaf.
    pub fn leaf(leaf: Leaf) -> Formula {
        Formula::Expr(Expr::Leaf(Arc::new(leaf)))
    }

    /// From a plain boolean.
    pub fn from_bool(b: bool) -> Formula {
        if b { Formula::True } else { Formula::False }
    }

    /// Whether this is the constant `True`.
    pub fn is_true(&self) -> bool {
        matches!(self, Formula::True)
    }

    /// Whether this is the constant `False`.
    pub fn is_false(&self) -> bool {
        matches!(self, Formula::False)
    }

    /// Conjunction with constant folding and flattening.
    #[inline]
    pub fn and(self, other: Formula) -> Formula {
        match (self, other) {
            (Formula::False, _) | (_, Formula::False) => Formula::False,
            (Formula::True, x) | (x, Formula::True) => x,
            (Formula::Expr(a), Formula::Expr(b)) => Formula::and_exprs(a, b),
        }
    }

    #[inline(never)]
    fn and_exprs(a: Expr, b: Expr) -> Formula {
        {
            {
                let mut items = Vec::new();
                for e in [a, b] {
                    match e {
                        Expr::And(v) => items.extend(v),
                        other => items.push(other),
                    }
                }
                dedup(&mut items);
                if items.len() == 1 {
                    Formula::Expr(items.remove(0))
                } else {
                    Formula::Expr(Expr::And(items))
                }
            }
        }
    }

    /// Disjunction with constant folding and flattening.
    #[inline]
    pub fn or(self, other: Formula) -> Formula {
        match (self, other) {
            (Formula::True, _) | (_, Formula::True) => Formula::True,
            (Formula::False, x) | (x, Formula::False) => x,
            (Formula::Expr(a), Formula::Expr(b)) => Formula::or_exprs(a, b),
        }
    }

    #[inline(never)]
    fn or_exprs(a: Expr, b: Expr) -> Formula {
        {
            {
                let mut items = Vec::new();
                for e in [a, b] {
                    match e {
                        Expr::Or(v) => items.extend(v),
                        other => items.push(other),
                    }
                }
                dedup(&mut items);
                if items.len() == 1 {
                    Formula::Expr(items.remove(0))
                } else {
                    Formula::Expr(Expr::Or(items))
                }
            }
        }
    }

    /// Negation: constants flip; an expression is negated by De Morgan with every leaf
    /// inverted (used for "the deny does not apply").
    pub fn negated(self) -> Formula {
        match self {
            Formula::True => Formula::False,
            Formula::False => Formula::True,
            Formula::Expr(e) => Formula::Expr(negate(e)),
        }
    }

    /// The condition tree as JSON in the corpus's shape, or `None` for constants.
    pub fn to_json(&self) -> Option<Value> {
        match self {
            Formula::Expr(e) => Some(expr_json(e)),
            _ => None,
        }
    }
}

fn dedup(items: &mut Vec<Expr>) {
    let mut out: Vec<Expr> = Vec::with_capacity(items.len());
    for e in items.drain(..) {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    *items = out;
}

fn negate(e: Expr) -> Expr {
    match e {
        Expr::Leaf(l) => {
            let op = accessdrift_policy::Operator::parse(&l.op);
            let new_op = match op.base.inverse() {
                Some(inv) => op.with_base(inv).raw,
                None => format!("Not({})", l.op),
            };
            Expr::Leaf(Arc::new(Leaf {
                op: new_op,
                key: l.key.clone(),
                values: l.values.clone(),
                inverted: !l.inverted,
                source: l.source.clone(),
            }))
        }
        Expr::And(v) => Expr::Or(v.into_iter().map(negate).collect()),
        Expr::Or(v) => Expr::And(v.into_iter().map(negate).collect()),
    }
}

fn expr_json(e: &Expr) -> Value {
    match e {
        Expr::Leaf(l) => {
            let mut source = json!({
                "effect": l.source.effect.to_string(),
                "policyIdentifier": l.source.policy,
                "policyType": l.source.policy_type.name(),
                "statementIndex": l.source.statement_index,
            });
            if let (Some(level), Some(obj)) = (&l.source.org_level, source.as_object_mut()) {
                obj.insert("orgIdentifier".into(), Value::String(level.clone()));
            }
            let mut v = json!({
                "conditionType": "condition",
                "op": l.op,
                "key": l.key,
                "values": l.values,
                "sources": [source],
            });
            if l.inverted
                && let Some(obj) = v.as_object_mut()
            {
                obj.insert("inverted".into(), Value::Bool(true));
            }
            v
        }
        Expr::And(items) => json!({
            "conditionType": "group",
            "operator": "and",
            "conditions": items.iter().map(expr_json).collect::<Vec<_>>(),
        }),
        Expr::Or(items) => json!({
            "conditionType": "group",
            "operator": "or",
            "conditions": items.iter().map(expr_json).collect::<Vec<_>>(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(op: &str, key: &str) -> Formula {
        Formula::leaf(Leaf {
            op: op.into(),
            key: key.into(),
            values: vec!["v".into()],
            inverted: false,
            source: Source {
                effect: Effect::Allow,
                policy: "p".into(),
                policy_type: PolicyType::Identity,
                statement_index: 1,
                org_level: None,
            },
        })
    }

    #[test]
    fn constants_fold() {
        let a = leaf("StringEquals", "aws:SourceVpc");
        assert_eq!(a.clone().and(Formula::True), a);
        assert_eq!(a.clone().and(Formula::False), Formula::False);
        assert_eq!(a.clone().or(Formula::True), Formula::True);
        assert_eq!(a.clone().or(Formula::False), a);
    }

    #[test]
    fn negation_inverts_leaf_operators() {
        let a = leaf("StringEquals", "aws:SourceVpc").and(leaf("IpAddress", "aws:SourceIp"));
        let n = a.negated();
        let json = n.to_json().unwrap();
        assert_eq!(json["operator"], "or");
        assert_eq!(json["conditions"][0]["op"], "StringNotEquals");
        assert_eq!(json["conditions"][0]["inverted"], true);
        assert_eq!(json["conditions"][1]["op"], "NotIpAddress");
    }
}
