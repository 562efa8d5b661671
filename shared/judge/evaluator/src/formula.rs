//! Three-valued results that remember *why* they are unknown.
//!
//! A [`Formula`] is `True`, `False`, or a [`ConditionTree`] over condition clauses whose
//! keys could not be known ahead (Discovery mode). Constants fold away as results
//! combine, so a strict evaluation never builds a tree; a discovery evaluation ends with
//! exactly the conditions an allow depends on. The tree is what rows, explanations and
//! findings carry; it becomes JSON (the shape simulate.md documents) only when written.

use std::fmt;
use std::sync::Arc;

use accessdrift_policy::Effect;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::resource::PolicyType;

/// Where a condition comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// A boolean expression over unknown clauses: the conditions an allow depends on.
/// Negation is pushed down to the leaves ([`Leaf::inverted`]), so there is no `Not`.
///
/// Serializes as simulate.md's JSON: a leaf is
/// `{"conditionType":"condition","key","op","sources":[..],"values",("inverted")}`, a
/// group `{"conditionType":"group","conditions":[..],"operator":"and"|"or"}`, object
/// keys in sorted order (the order `serde_json::Value` has always written them in).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConditionTree {
    /// One clause.
    Leaf(Arc<Leaf>),
    /// All must hold.
    And(Vec<ConditionTree>),
    /// At least one must hold.
    Or(Vec<ConditionTree>),
}

impl ConditionTree {
    /// The clauses, in document order.
    pub fn leaves(&self) -> Leaves<'_> {
        Leaves { stack: vec![self] }
    }

    /// The context keys of the clauses as written, in document order (repeats kept).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.leaves().map(|l| l.key.as_str())
    }
}

/// The clauses of a [`ConditionTree`], depth first (see [`ConditionTree::leaves`]).
#[derive(Debug, Clone)]
pub struct Leaves<'a> {
    stack: Vec<&'a ConditionTree>,
}

impl<'a> Iterator for Leaves<'a> {
    type Item = &'a Leaf;

    fn next(&mut self) -> Option<&'a Leaf> {
        loop {
            match self.stack.pop()? {
                ConditionTree::Leaf(l) => return Some(l),
                ConditionTree::And(items) | ConditionTree::Or(items) => {
                    self.stack.extend(items.iter().rev());
                }
            }
        }
    }
}

/// True, false, or true exactly when an expression over unknown clauses holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formula {
    /// Holds for every request.
    True,
    /// Holds for no request.
    False,
    /// Holds when the tree does.
    Expr(ConditionTree),
}

impl Formula {
    /// A single unknown leaf.
    pub fn leaf(leaf: Leaf) -> Formula {
        Formula::Expr(ConditionTree::Leaf(Arc::new(leaf)))
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
    fn and_exprs(a: ConditionTree, b: ConditionTree) -> Formula {
        {
            {
                let mut items = Vec::new();
                for e in [a, b] {
                    match e {
                        ConditionTree::And(v) => items.extend(v),
                        other => items.push(other),
                    }
                }
                dedup(&mut items);
                if items.len() == 1 {
                    Formula::Expr(items.remove(0))
                } else {
                    Formula::Expr(ConditionTree::And(items))
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
    fn or_exprs(a: ConditionTree, b: ConditionTree) -> Formula {
        {
            {
                let mut items = Vec::new();
                for e in [a, b] {
                    match e {
                        ConditionTree::Or(v) => items.extend(v),
                        other => items.push(other),
                    }
                }
                dedup(&mut items);
                if items.len() == 1 {
                    Formula::Expr(items.remove(0))
                } else {
                    Formula::Expr(ConditionTree::Or(items))
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

    /// The condition tree, or `None` for constants.
    pub fn tree(&self) -> Option<&ConditionTree> {
        match self {
            Formula::Expr(e) => Some(e),
            _ => None,
        }
    }

    /// The condition tree, or `None` for constants.
    pub fn into_tree(self) -> Option<ConditionTree> {
        match self {
            Formula::Expr(e) => Some(e),
            _ => None,
        }
    }
}

fn dedup(items: &mut Vec<ConditionTree>) {
    let mut out: Vec<ConditionTree> = Vec::with_capacity(items.len());
    for e in items.drain(..) {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    *items = out;
}

fn negate(e: ConditionTree) -> ConditionTree {
    match e {
        ConditionTree::Leaf(l) => {
            let op = accessdrift_policy::Operator::parse(&l.op);
            let new_op = match op.base.inverse() {
                Some(inv) => op.with_base(inv).raw,
                None => format!("Not({})", l.op),
            };
            ConditionTree::Leaf(Arc::new(Leaf {
                op: new_op,
                key: l.key.clone(),
                values: l.values.clone(),
                inverted: !l.inverted,
                source: l.source.clone(),
            }))
        }
        ConditionTree::And(v) => ConditionTree::Or(v.into_iter().map(negate).collect()),
        ConditionTree::Or(v) => ConditionTree::And(v.into_iter().map(negate).collect()),
    }
}

// Keys in sorted order: the JSON used to be built as a `serde_json::Value`, whose maps
// sort their keys, and the jsonl rows, simulate and explain output have that order.

impl Serialize for ConditionTree {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (operator, items) = match self {
            ConditionTree::Leaf(l) => return l.serialize(serializer),
            ConditionTree::And(items) => ("and", items),
            ConditionTree::Or(items) => ("or", items),
        };
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("conditionType", "group")?;
        map.serialize_entry("conditions", items)?;
        map.serialize_entry("operator", operator)?;
        map.end()
    }
}

impl Serialize for Leaf {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("conditionType", "condition")?;
        if self.inverted {
            map.serialize_entry("inverted", &true)?;
        }
        map.serialize_entry("key", &self.key)?;
        map.serialize_entry("op", &self.op)?;
        map.serialize_entry("sources", std::slice::from_ref(&self.source))?;
        map.serialize_entry("values", &self.values)?;
        map.end()
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("effect", &format_args!("{}", self.effect))?;
        if let Some(level) = &self.org_level {
            map.serialize_entry("orgIdentifier", level)?;
        }
        map.serialize_entry("policyIdentifier", &self.policy)?;
        map.serialize_entry("policyType", self.policy_type.name())?;
        map.serialize_entry("statementIndex", &self.statement_index)?;
        map.end()
    }
}

/// Compact JSON, as the jsonl rows and simulate print it.
impl fmt::Display for ConditionTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        serde_json::to_writer(FmtWriter(f), self).map_err(|_| fmt::Error)
    }
}

/// Lets serde_json write straight into a formatter (no intermediate `String`).
struct FmtWriter<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl std::io::Write for FmtWriter<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // serde_json splits its output only at ASCII characters, so every chunk is text.
        let text = std::str::from_utf8(buf).map_err(std::io::Error::other)?;
        self.0.write_str(text).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
        let json = serde_json::to_value(n.tree().unwrap()).unwrap();
        assert_eq!(json["operator"], "or");
        assert_eq!(json["conditions"][0]["op"], "StringNotEquals");
        assert_eq!(json["conditions"][0]["inverted"], true);
        assert_eq!(json["conditions"][1]["op"], "NotIpAddress");
    }

    /// The JSON the tree was written as when it was built as a `serde_json::Value`
    /// (captured from that code): every optional field, escapes, nesting.
    const WRITTEN_BEFORE: &str = r#"{"conditionType":"group","conditions":[{"conditionType":"group","conditions":[{"conditionType":"condition","key":"aws:SourceVpc","op":"StringEquals","sources":[{"effect":"Deny","policyIdentifier":"arn:aws:iam::aws:policy/\"q\"","policyType":"scp","statementIndex":12}],"values":["vpc-1","é\n"]},{"conditionType":"condition","key":"aws:PrincipalTag/x","op":"ForAnyValue:StringLike","sources":[{"effect":"Deny","orgIdentifier":"ou-1","policyIdentifier":"arn:aws:iam::aws:policy/\"q\"","policyType":"scp","statementIndex":12}],"values":[]}],"operator":"or"},{"conditionType":"condition","inverted":true,"key":"aws:SecureTransport","op":"Not(Bool)","sources":[{"effect":"Deny","policyIdentifier":"arn:aws:iam::aws:policy/\"q\"","policyType":"scp","statementIndex":12}],"values":["true"]}],"operator":"and"}"#;

    fn every_field() -> ConditionTree {
        let src = |org: Option<&str>| Source {
            effect: Effect::Deny,
            policy: "arn:aws:iam::aws:policy/\"q\"".into(),
            policy_type: PolicyType::Scp,
            statement_index: 12,
            org_level: org.map(str::to_string),
        };
        let clause = |op: &str, key: &str, values: &[&str], org| {
            Formula::leaf(Leaf {
                op: op.into(),
                key: key.into(),
                values: values.iter().map(|v| (*v).to_string()).collect(),
                inverted: false,
                source: src(org),
            })
        };
        let a = clause("StringEquals", "aws:SourceVpc", &["vpc-1", "é\n"], None);
        let b = clause(
            "ForAnyValue:StringLike",
            "aws:PrincipalTag/x",
            &[],
            Some("ou-1"),
        );
        let c = clause("Bool", "aws:SecureTransport", &["true"], None);
        a.or(b).and(c.negated()).into_tree().unwrap()
    }

    #[test]
    fn json_is_byte_identical_to_what_was_written_before() {
        let tree = every_field();
        assert_eq!(tree.to_string(), WRITTEN_BEFORE);
        assert_eq!(serde_json::to_string(&tree).unwrap(), WRITTEN_BEFORE);
        // Embedded in a `Value` (explain --json), the same text.
        assert_eq!(
            serde_json::to_value(&tree).unwrap().to_string(),
            WRITTEN_BEFORE
        );
    }

    #[test]
    fn keys_are_in_document_order() {
        let tree = every_field();
        let keys: Vec<&str> = tree.keys().collect();
        assert_eq!(
            keys,
            ["aws:SourceVpc", "aws:PrincipalTag/x", "aws:SecureTransport"]
        );
    }
}
