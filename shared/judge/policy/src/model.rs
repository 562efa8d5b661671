//! The typed policy model: what a policy *says*, normalised but not interpreted.
//!
//! Normalisation done here, once, so the evaluator's hot path does not repeat it:
//! single values become lists, action patterns are split and lowercased, condition
//! operators are decoded, condition keys get a lowercase twin. Nothing here decides
//! whether a statement applies to a request; that is the evaluator's job.

use std::fmt;

/// The policy language version, which decides whether `${...}` policy variables are
/// substituted (`2012-10-17`) or literal text (`2008-10-17` or no `Version` at all).
///
/// AWS IAM User Guide, "IAM JSON policy elements: Version": variables are not
/// recognised in policies of the older version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `"Version": "2012-10-17"`: policy variables are substituted.
    V2012_10_17,
    /// `"Version": "2008-10-17"` or no `Version`: `${...}` is literal text.
    V2008_10_17,
}

impl Version {
    /// Whether `${...}` in `Resource` and condition values is a variable.
    pub fn supports_variables(self) -> bool {
        matches!(self, Version::V2012_10_17)
    }
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The language version.
    pub version: Version,
    /// The optional `Id` element.
    pub id: Option<String>,
    /// Statements in document order.
    pub statements: Vec<Statement>,
}

/// `Allow` or `Deny`. AWS matches the words case-sensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// The statement grants.
    Allow,
    /// The statement denies; an explicit deny wins over every allow.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// 1-based position in the document, the way people and AWS's tools count.
    pub index: usize,
    /// The optional `Sid`.
    pub sid: Option<String>,
    /// Allow or deny.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`; absent in identity policies and SCPs.
    pub principal: Option<PrincipalBlock>,
    /// `Action` or `NotAction` (one of them is required).
    pub action: ActionBlock,
    /// `Resource` or `NotResource`; may be absent in role trust policies.
    pub resource: Option<ResourceBlock>,
    /// Every condition clause of the `Condition` block; all must hold.
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// The statement's name as people see it: its `Sid`, else its 1-based index.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => sid.clone(),
            _ => self.index.to_string(),
        }
    }
}

/// `Principal` (negated = false) or `NotPrincipal` (negated = true).
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalBlock {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// Who is named.
    pub principals: Principals,
}

/// The value of a `Principal` element.
#[derive(Debug, Clone, PartialEq)]
pub enum Principals {
    /// `"Principal": "*"`: everyone, anonymous callers included.
    Any,
    /// `"Principal": {"AWS": ..., "Service": ..., ...}`.
    Map(PrincipalMap),
}

/// The typed lists of a principal map. `{"AWS": "*"}` is kept as the literal `*` in `aws`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrincipalMap {
    /// `AWS`: account ids, account root ARNs, user/role/session ARNs, unique ids or `*`.
    pub aws: Vec<String>,
    /// `Service`: service principals such as `cloudtrail.amazonaws.com`.
    pub service: Vec<String>,
    /// `Federated`: OIDC/SAML providers or `cognito-identity.amazonaws.com`.
    pub federated: Vec<String>,
    /// `CanonicalUser`: S3 canonical user ids.
    pub canonical_user: Vec<String>,
}

/// `Action` (negated = false) or `NotAction` (negated = true).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionBlock {
    /// True for `NotAction`.
    pub negated: bool,
    /// The listed patterns; the block matches when any does (or, negated, when none does).
    pub patterns: Vec<ActionPattern>,
}

/// One entry of an `Action`/`NotAction` list, decoded once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionPattern {
    /// The text as written.
    pub raw: String,
    /// What it matches.
    pub kind: ActionPatternKind,
}

impl ActionPattern {
    /// The service prefix as written (`s3`), for `service:name` patterns.
    pub fn service(&self) -> Option<&str> {
        match self.kind {
            ActionPatternKind::Service { colon } => Some(&self.raw[..colon]),
            _ => None,
        }
    }

    /// The action-name pattern as written (`Get*`), for `service:name` patterns.
    pub fn name(&self) -> Option<&str> {
        match self.kind {
            ActionPatternKind::Service { colon } => Some(&self.raw[colon + 1..]),
            _ => None,
        }
    }
}

/// What an action pattern matches. Action names are case-insensitive; the pattern keeps
/// its text once and is compared ignoring ASCII case (one allocation per pattern matters
/// when a batch holds hundreds of thousands of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionPatternKind {
    /// `*`: every action of every service.
    All,
    /// `service:name`, where `name` may hold `*` and `?` wildcards.
    Service {
        /// Byte offset of the `:` in the pattern's text.
        colon: usize,
    },
    /// Something AWS would reject (no `service:` prefix, whitespace, empty part).
    /// It never matches, so a `NotAction` holding only such entries matches everything
    /// (evaluator checklist item 11).
    Malformed,
}

/// `Resource` (negated = false) or `NotResource` (negated = true).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceBlock {
    /// True for `NotResource`.
    pub negated: bool,
    /// ARN patterns as written (case-sensitive; may hold wildcards and `${...}` variables).
    pub patterns: Vec<String>,
}

/// One clause of a `Condition` block: an operator applied to one key with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator, decoded.
    pub operator: Operator,
    /// The context key as written (`aws:PrincipalTag/Team`).
    pub key: String,
    /// The key, lowercase: context key names are case-insensitive.
    pub key_lower: String,
    /// The policy values, as text (JSON booleans and numbers are kept as their text).
    pub values: Vec<String>,
}

/// A condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The operator as written.
    pub raw: String,
    /// The comparison.
    pub base: BaseOperator,
    /// The set qualifier, for multi-valued keys.
    pub set: SetQualifier,
    /// `...IfExists`: a missing key makes the clause true.
    pub if_exists: bool,
}

/// `ForAllValues:` / `ForAnyValue:` or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// No qualifier: the key is compared as a single value.
    None,
    /// `ForAllValues:`: every request value must match (vacuously true when none).
    ForAllValues,
    /// `ForAnyValue:`: at least one request value must match.
    ForAnyValue,
}

/// The comparison of a condition operator, without set qualifier or `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[expect(missing_docs, reason = "the variants are AWS's operator names")]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
    /// An operator AWS does not define; the clause never holds (checklist item 48).
    Unknown,
}

impl BaseOperator {
    /// Decodes an operator name without qualifier or `IfExists` suffix.
    /// AWS spells operators case-sensitively; anything else is [`BaseOperator::Unknown`].
    pub fn from_name(name: &str) -> BaseOperator {
        use BaseOperator::*;
        match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "BinaryEquals" => BinaryEquals,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => Unknown,
        }
    }

    /// Negated operators hold when *no* policy value matches (NOR across values) and
    /// hold for a missing key (checklist items 19 and 21).
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// The operator with the opposite outcome, used to state the condition under which a
    /// `Deny` does *not* apply (`StringEquals` -> `StringNotEquals`).
    pub fn inverse(self) -> Option<BaseOperator> {
        use BaseOperator::*;
        Some(match self {
            StringEquals => StringNotEquals,
            StringNotEquals => StringEquals,
            StringEqualsIgnoreCase => StringNotEqualsIgnoreCase,
            StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
            StringLike => StringNotLike,
            StringNotLike => StringLike,
            NumericEquals => NumericNotEquals,
            NumericNotEquals => NumericEquals,
            NumericLessThan => NumericGreaterThanEquals,
            NumericGreaterThanEquals => NumericLessThan,
            NumericLessThanEquals => NumericGreaterThan,
            NumericGreaterThan => NumericLessThanEquals,
            DateEquals => DateNotEquals,
            DateNotEquals => DateEquals,
            DateLessThan => DateGreaterThanEquals,
            DateGreaterThanEquals => DateLessThan,
            DateLessThanEquals => DateGreaterThan,
            DateGreaterThan => DateLessThanEquals,
            IpAddress => NotIpAddress,
            NotIpAddress => IpAddress,
            ArnEquals => ArnNotEquals,
            ArnNotEquals => ArnEquals,
            ArnLike => ArnNotLike,
            ArnNotLike => ArnLike,
            Bool | BinaryEquals | Null | Unknown => return None,
        })
    }

    /// The operator's AWS name.
    pub fn name(self) -> &'static str {
        use BaseOperator::*;
        match self {
            StringEquals => "StringEquals",
            StringNotEquals => "StringNotEquals",
            StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            StringLike => "StringLike",
            StringNotLike => "StringNotLike",
            NumericEquals => "NumericEquals",
            NumericNotEquals => "NumericNotEquals",
            NumericLessThan => "NumericLessThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThan => "NumericGreaterThan",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            DateEquals => "DateEquals",
            DateNotEquals => "DateNotEquals",
            DateLessThan => "DateLessThan",
            DateLessThanEquals => "DateLessThanEquals",
            DateGreaterThan => "DateGreaterThan",
            DateGreaterThanEquals => "DateGreaterThanEquals",
            Bool => "Bool",
            BinaryEquals => "BinaryEquals",
            IpAddress => "IpAddress",
            NotIpAddress => "NotIpAddress",
            ArnEquals => "ArnEquals",
            ArnLike => "ArnLike",
            ArnNotEquals => "ArnNotEquals",
            ArnNotLike => "ArnNotLike",
            Null => "Null",
            Unknown => "Unknown",
        }
    }
}

impl Operator {
    /// Decodes an operator as written in a `Condition` block, e.g.
    /// `ForAllValues:StringLikeIfExists`. Never fails: an unknown name decodes to
    /// [`BaseOperator::Unknown`], which never holds.
    pub fn parse(raw: &str) -> Operator {
        let (set, rest) = if let Some(rest) = raw.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, rest)
        } else if let Some(rest) = raw.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, rest)
        } else {
            (SetQualifier::None, raw)
        };
        let mut base = BaseOperator::from_name(rest);
        let mut if_exists = false;
        if base == BaseOperator::Unknown
            && let Some(stem) = rest.strip_suffix("IfExists")
        {
            let stem_op = BaseOperator::from_name(stem);
            // `NullIfExists` is not an AWS operator.
            if stem_op != BaseOperator::Unknown && stem_op != BaseOperator::Null {
                base = stem_op;
                if_exists = true;
            }
        }
        Operator {
            raw: raw.to_string(),
            base,
            set,
            if_exists,
        }
    }

    /// The operator's text with the given base, keeping qualifier and `IfExists`.
    pub fn with_base(&self, base: BaseOperator) -> Operator {
        let prefix = match self.set {
            SetQualifier::None => "",
            SetQualifier::ForAllValues => "ForAllValues:",
            SetQualifier::ForAnyValue => "ForAnyValue:",
        };
        let suffix = if self.if_exists { "IfExists" } else { "" };
        Operator {
            raw: format!("{prefix}{}{suffix}", base.name()),
            base,
            set: self.set,
            if_exists: self.if_exists,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_parsing_splits_qualifier_and_if_exists() {
        let op = Operator::parse("ForAllValues:StringLikeIfExists");
        assert_eq!(op.base, BaseOperator::StringLike);
        assert_eq!(op.set, SetQualifier::ForAllValues);
        assert!(op.if_exists);

        let op = Operator::parse("NullIfExists");
        assert_eq!(op.base, BaseOperator::Unknown);

        let op = Operator::parse("stringequals");
        assert_eq!(
            op.base,
            BaseOperator::Unknown,
            "operators are case-sensitive"
        );

        let op = Operator::parse("ArnNotLike");
        assert!(op.base.is_negated());
        assert_eq!(op.base.inverse(), Some(BaseOperator::ArnLike));
    }

    #[test]
    fn with_base_keeps_qualifiers() {
        let op = Operator::parse("ForAnyValue:StringEqualsIfExists");
        assert_eq!(
            op.with_base(BaseOperator::StringNotEquals).raw,
            "ForAnyValue:StringNotEqualsIfExists"
        );
    }
}
