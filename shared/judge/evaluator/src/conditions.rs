//! Condition operators: one clause of a `Condition` block (one operator, one key, its
//! policy values) evaluated against the request context, in three-valued logic.
//!
//! What it is for: the statement matcher asks [`evaluate_condition`] about every clause
//! and ANDs the answers. What it is not for: combining clauses or statements, or
//! deciding what an unknown answer means for the decision.
//!
//! Semantics (AWS IAM User Guide, "IAM JSON policy elements: Condition operators",
//! "Condition with multiple context keys or values", "Single-valued vs. multivalued
//! context keys"; checklist items 19-25 and 48):
//! - OR across the policy values of one key; for negated operators (`StringNotEquals`,
//!   `NotIpAddress`, `ArnNotLike`, ...) NOR: the request value must match *none*;
//! - a missing key: positive operators false, negated operators true, `...IfExists`
//!   true; `Null` tests presence;
//! - `ForAnyValue:` some request value satisfies the operator (missing or empty key:
//!   false, true with `IfExists`); `ForAllValues:` every request value does (missing or
//!   empty key: vacuously true). A single-valued key under a set operator is a set of one
//!   (the corpus's `forAllValuesMisused` cases);
//! - a multivalued request value without a set operator does not match, whatever the
//!   operator ("Multivalued context keys require a condition set operator"; the corpus
//!   tool reads it the same way). An *empty* multivalued key counts as missing;
//! - an unparsable or unresolvable value never matches, and makes a negated operator
//!   false too (the corpus's `...NotEquals`/`NotIpAddress`/`ArnNotLike` cases);
//! - an operator AWS does not define is false, always.
//!
//! Key design choice: every comparison borrows from the model and the context; nothing
//! is precomputed or cached, and the common case (no `${`, single-valued key) allocates
//! nothing. The request value is parsed once per clause value, before the policy values
//! are scanned.

use std::cmp::Ordering;
use std::net::IpAddr;

use accessdrift_policy::{BaseOperator, Condition, Operator, SetQualifier, Version};
use ipnet::IpNet;
use jiff::Timestamp;

use crate::context::{ContextValue, KeyState, RequestContext};
use crate::glob::{self, AsPiece, Piece};
use crate::variables::{OwnedPiece, Substituted, substitute};

/// A three-valued truth: a condition on a key that cannot be known ahead (Discovery
/// mode) is `Unknown`, never silently true or false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tri {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Cannot be decided from what is known.
    Unknown,
}

impl Tri {
    /// Kleene AND: false wins, then unknown.
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    /// Kleene OR: true wins, then unknown.
    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }

    /// Whether this is [`Tri::True`].
    pub fn is_true(self) -> bool {
        self == Tri::True
    }

    /// Whether this is [`Tri::False`].
    pub fn is_false(self) -> bool {
        self == Tri::False
    }

    /// Whether this is [`Tri::Unknown`].
    pub fn is_unknown(self) -> bool {
        self == Tri::Unknown
    }
}

/// Kleene NOT (`!tri`, or `tri.not()` with `std::ops::Not` in scope): unknown stays
/// unknown.
impl std::ops::Not for Tri {
    type Output = Tri;

    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

/// Evaluates one clause: `cond.operator` applied to the request's value of `cond.key`
/// and the clause's policy values (whose `${...}` variables are substituted when
/// `version` supports them).
pub fn evaluate_condition(cond: &Condition, version: Version, ctx: &RequestContext) -> Tri {
    let op = &cond.operator;
    if op.base == BaseOperator::Unknown {
        // Checklist item 48: an operator AWS does not define never holds.
        return Tri::False;
    }
    let state = ctx.lookup(&cond.key_lower);
    if op.base == BaseOperator::Null {
        // `ForAllValues:Null` / `ForAnyValue:Null` on an absent or empty key are not
        // documented. We read `Null` as a test of the key's presence, a fact of the key
        // and not of its values, so the qualifier changes nothing (a present key agrees
        // under either reading). The other reading (iterate the values: vacuously true
        // for `ForAllValues`, false for `ForAnyValue`) differs only when the key is
        // absent, so Discovery mode reports that case as a condition, not a guess.
        let absent = match state {
            KeyState::Unknown => return Tri::Unknown,
            KeyState::PresentValueUnknown => false,
            KeyState::Absent => true,
            KeyState::Present(v) => is_empty(v),
        };
        if absent && op.set != SetQualifier::None && ctx.is_discovery() {
            return Tri::Unknown;
        }
        return null_matches(&cond.values, !absent).into();
    }
    let value = match state {
        // Even `...IfExists` and `ForAllValues` are unknown: the key may be there or not.
        KeyState::Unknown | KeyState::PresentValueUnknown => return Tri::Unknown,
        KeyState::Absent => return missing_key(op),
        KeyState::Present(v) => v,
    };
    let values = &cond.values;
    match op.set {
        SetQualifier::None => match value {
            ContextValue::Single(s) => base_operator_tri(op.base, values, s, version, ctx),
            ContextValue::Multi(list) if list.is_empty() => missing_key(op),
            // "Multivalued context keys require a condition set operator" (AWS IAM User
            // Guide, "Single-valued vs. multivalued context keys"): without one, no match.
            ContextValue::Multi(_) => Tri::False,
        },
        SetQualifier::ForAnyValue => {
            let request = value.as_slice();
            if is_null_data_set(request) {
                return missing_key(op);
            }
            let mut acc = Tri::False;
            for r in request {
                acc = acc.or(base_operator_tri(op.base, values, r, version, ctx));
                if acc == Tri::True {
                    break;
                }
            }
            acc
        }
        SetQualifier::ForAllValues => {
            let request = value.as_slice();
            if is_null_data_set(request) {
                return missing_key(op);
            }
            let mut acc = Tri::True;
            for r in request {
                acc = acc.and(base_operator_tri(op.base, values, r, version, ctx));
                if acc == Tri::False {
                    break;
                }
            }
            acc
        }
    }
}

/// Whether one request value satisfies `op` against the policy values (OR across them;
/// NOR for negated operators). The strict, two-valued form of [`base_operator_tri`]:
/// an unknown answer (a variable naming a key unknown in Discovery mode) is `false`.
pub fn base_operator_matches(
    op: BaseOperator,
    policy_values: &[String],
    request_value: &str,
    version: Version,
    ctx: &RequestContext,
) -> bool {
    base_operator_tri(op, policy_values, request_value, version, ctx) == Tri::True
}

/// Whether one request value satisfies `op` against the policy values, three-valued:
/// `Unknown` only when a policy value's variable names a key unknown in Discovery mode
/// and no other value settles the answer.
pub fn base_operator_tri(
    op: BaseOperator,
    policy_values: &[String],
    request_value: &str,
    version: Version,
    ctx: &RequestContext,
) -> Tri {
    let Some(request) = RequestValue::parse(op, request_value) else {
        // Unparsable request value (or an undefined operator): no match, negated or not.
        return Tri::False;
    };
    if let RequestValue::Null = request {
        // The key is present (it has a value): `Null` holds for a policy value `false`.
        return null_matches(policy_values, true).into();
    }
    let negated = op.is_negated();
    let mut unknown = false;
    for pv in policy_values {
        match compare(op, &request, pv, version, ctx) {
            Outcome::Match => return (!negated).into(),
            Outcome::NoMatch => {}
            Outcome::Invalid if negated => return Tri::False,
            Outcome::Invalid => {}
            Outcome::Unknown => unknown = true,
        }
    }
    if unknown {
        Tri::Unknown
    } else {
        negated.into()
    }
}

/// The answer for a key that is absent (or an empty multivalued key).
fn missing_key(op: &Operator) -> Tri {
    match op.set {
        SetQualifier::None => (op.if_exists || op.base.is_negated()).into(),
        SetQualifier::ForAnyValue => op.if_exists.into(),
        SetQualifier::ForAllValues => Tri::True,
    }
}

/// Whether a key's values are a *null data set*: none, or only empty strings. AWS IAM
/// User Guide, "Set operators for multivalued context keys": `ForAllValues` "also
/// returns true if ... the key values resolve to a null data set, such as an empty
/// string", and `ForAnyValue` returns false "for no matching key or a null dataset".
fn is_null_data_set(values: &[String]) -> bool {
    values.iter().all(String::is_empty)
}

fn is_empty(v: &ContextValue) -> bool {
    matches!(v, ContextValue::Multi(list) if list.is_empty())
}

/// `Null`: `"true"` holds when the key is absent, `"false"` when present (values
/// case-insensitive, like `Bool`).
fn null_matches(policy_values: &[String], present: bool) -> bool {
    let want = if present { "false" } else { "true" };
    policy_values.iter().any(|v| v.eq_ignore_ascii_case(want))
}

/// How one policy value compares with the request value, before negation.
enum Outcome {
    Match,
    NoMatch,
    /// The policy value cannot be read (unparsable, unresolvable variable).
    Invalid,
    /// The policy value depends on an unknown key.
    Unknown,
}

impl From<bool> for Outcome {
    fn from(b: bool) -> Outcome {
        if b { Outcome::Match } else { Outcome::NoMatch }
    }
}

/// The request value, parsed once for the operator's type.
enum RequestValue<'r> {
    Str(&'r str),
    Num(Decimal<'r>),
    Date(Timestamp),
    Bool(bool),
    Ip(IpAddr),
    Arn([&'r str; 6]),
    Null,
}

impl<'r> RequestValue<'r> {
    fn parse(op: BaseOperator, s: &'r str) -> Option<RequestValue<'r>> {
        use accessdrift_policy::BaseOperator::*;
        Some(match op {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike
            | BinaryEquals => RequestValue::Str(s),
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => RequestValue::Num(Decimal::parse(s)?),
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => RequestValue::Date(parse_date(s)?),
            Bool => RequestValue::Bool(parse_bool(s)?),
            IpAddress | NotIpAddress => RequestValue::Ip(s.parse().ok()?),
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
                RequestValue::Arn(accessdrift_primitives::arn::arn_parts(s)?)
            }
            Null => RequestValue::Null,
            Unknown => return None,
        })
    }
}

/// Compares one policy value with the request value under the operator's *positive*
/// form (`StringNotEquals` compares for equality; the caller negates).
fn compare(
    op: BaseOperator,
    request: &RequestValue<'_>,
    policy_value: &str,
    version: Version,
    ctx: &RequestContext,
) -> Outcome {
    use accessdrift_policy::BaseOperator::*;
    let sub = substitute(policy_value, version, ctx);
    match sub {
        // "Policy variables with no value" (AWS IAM User Guide): the value equals
        // nothing, so the positive comparison fails and an inverted operator holds.
        Substituted::NoValue => return Outcome::NoMatch,
        Substituted::Unresolvable => return Outcome::Invalid,
        Substituted::Unknown => return Outcome::Unknown,
        Substituted::Unchanged(_) | Substituted::Resolved(_) => {}
    }
    match (op, request) {
        (StringLike | StringNotLike, RequestValue::Str(r)) => match &sub {
            Substituted::Unchanged(p) => glob::matches(p, r).into(),
            Substituted::Resolved(pieces) => glob::matches_pieces(pieces, r, false).into(),
            Substituted::NoValue | Substituted::Unresolvable | Substituted::Unknown => {
                Outcome::Invalid
            }
        },
        (ArnEquals | ArnLike | ArnNotEquals | ArnNotLike, RequestValue::Arn(r)) => {
            arn_like(&sub, r)
        }
        _ => {
            let Some(text) = sub.flatten() else {
                return Outcome::Invalid;
            };
            let p: &str = &text;
            match (op, request) {
                (StringEquals | StringNotEquals | BinaryEquals, RequestValue::Str(r)) => {
                    (p == *r).into()
                }
                (StringEqualsIgnoreCase | StringNotEqualsIgnoreCase, RequestValue::Str(r)) => {
                    glob::eq_ignore_case(p, r).into()
                }
                (_, RequestValue::Num(r)) => match Decimal::parse(p) {
                    Some(pv) => ordering_holds(op, r.compare(&pv)).into(),
                    None => Outcome::Invalid,
                },
                (_, RequestValue::Date(r)) => match parse_date(p) {
                    Some(pv) => ordering_holds(op, r.cmp(&pv)).into(),
                    None => Outcome::Invalid,
                },
                (_, RequestValue::Bool(r)) => match parse_bool(p) {
                    Some(pv) => (pv == *r).into(),
                    None => Outcome::Invalid,
                },
                (_, RequestValue::Ip(r)) => match parse_network(p) {
                    Some(net) => net.contains(r).into(),
                    None => Outcome::Invalid,
                },
                _ => Outcome::Invalid,
            }
        }
    }
}

/// Whether `request.cmp(policy)` satisfies a numeric or date operator. `...NotEquals`
/// is compared as equality; the caller negates.
fn ordering_holds(op: BaseOperator, ord: Ordering) -> bool {
    use accessdrift_policy::BaseOperator::*;
    match op {
        NumericEquals | NumericNotEquals | DateEquals | DateNotEquals => ord == Ordering::Equal,
        NumericLessThan | DateLessThan => ord == Ordering::Less,
        NumericLessThanEquals | DateLessThanEquals => ord != Ordering::Greater,
        NumericGreaterThan | DateGreaterThan => ord == Ordering::Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => ord != Ordering::Less,
        _ => false,
    }
}

/// `Bool` values are case-insensitive (checklist item 20).
fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A policy address: CIDR (IPv4 or IPv6), or a bare address as /32 or /128. Host bits
/// set under the prefix (`192.168.0.1/16`) are ignored.
fn parse_network(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// A decimal number read exactly from its text: integers and decimals of any length
/// compare without floating-point rounding (`10` equals `10.0`). Accepts an optional
/// sign, digits, and an optional fraction; nothing else (no exponent, no spaces).
#[derive(Debug, Clone, Copy)]
struct Decimal<'a> {
    negative: bool,
    /// Integer digits without leading zeros (empty for zero).
    int: &'a str,
    /// Fraction digits without trailing zeros (empty for none).
    frac: &'a str,
}

impl<'a> Decimal<'a> {
    fn parse(s: &'a str) -> Option<Decimal<'a>> {
        let (negative, digits) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        // -0 is 0.
        let negative = negative && !(int.is_empty() && frac.is_empty());
        Some(Decimal {
            negative,
            int,
            frac,
        })
    }

    fn compare_magnitude(&self, other: &Decimal<'_>) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            // Without trailing zeros, fractions compare as digit strings.
            .then_with(|| self.frac.cmp(other.frac))
    }

    fn compare(&self, other: &Decimal<'_>) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.compare_magnitude(other),
            (true, true) => other.compare_magnitude(self),
        }
    }
}

/// Reads a date the way the Date operators do.
///
/// - Epoch time, as an integer: seconds, which is what AWS documents ("IAM JSON policy
///   elements: Condition operators", Date condition operators). The corpus also uses
///   epoch *milliseconds* (`operator/DateEquals#1`: `1704067200000` is 2024-01-01), so a
///   number too large to be a date in seconds (beyond year 9999) is read as
///   milliseconds.
/// - ISO 8601 / W3C date-time: with an offset (`2024-01-01T00:00:00Z`,
///   `...+01:00`, fractional seconds), without one (taken as UTC), a bare date
///   (`2024-01-01`, midnight UTC) or a year-month (`2024-01`).
fn parse_date(s: &str) -> Option<Timestamp> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        return Timestamp::from_second(n)
            .or_else(|_| Timestamp::from_millisecond(n))
            .ok();
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    let utc = jiff::tz::Offset::UTC;
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return utc.to_timestamp(dt).ok();
    }
    // W3C "YYYY-MM".
    let (y, m) = s.split_once('-')?;
    if y.len() == 4 && m.len() == 2 && y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        let date = jiff::civil::Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()?;
        return utc
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .ok();
    }
    None
}

/// `ArnLike`/`ArnEquals` (which behave the same): "Each of the six colon-delimited
/// components of the ARN is checked separately and each can include multi-character
/// match wildcards (*) or single-character match wildcards (?)" (AWS IAM User Guide,
/// "IAM JSON policy elements: Condition operators", Amazon Resource Name (ARN)
/// condition operators). Case-sensitive. The first five components are globbed on
/// their own (a `*` there stays within its component); the resource component is the
/// rest of the text, where `*` crosses `/` and `:`. A policy value with fewer than six
/// components is not an ARN and never matches.
fn arn_like(policy: &Substituted<'_>, request: &[&str; 6]) -> Outcome {
    match policy {
        Substituted::Unchanged(p) => {
            let (parts, 6) = accessdrift_primitives::arn::split_arn(p) else {
                return Outcome::Invalid;
            };
            if !glob::matches(parts[0], "arn") {
                return Outcome::Invalid;
            }
            parts
                .iter()
                .zip(request)
                .all(|(p, r)| glob::matches(p, r))
                .into()
        }
        Substituted::Resolved(pieces) => {
            let Some(segments) = split_pieces_at_colons(pieces) else {
                return Outcome::Invalid;
            };
            if !glob::matches_pieces(&segments[0], "arn", false) {
                return Outcome::Invalid;
            }
            segments
                .iter()
                .zip(request)
                .all(|(seg, r)| glob::matches_pieces(seg, r, false))
                .into()
        }
        Substituted::NoValue => Outcome::NoMatch,
        Substituted::Unresolvable => Outcome::Invalid,
        Substituted::Unknown => Outcome::Unknown,
    }
}

/// Splits substituted pieces into the six ARN components, at the first five colons
/// wherever they come from (a variable may hold a whole ARN, e.g. `${aws:PrincipalArn}`).
fn split_pieces_at_colons(pieces: &[OwnedPiece]) -> Option<Vec<Vec<Piece<'_>>>> {
    let mut segments: Vec<Vec<Piece<'_>>> = vec![Vec::new()];
    for owned in pieces {
        let piece = owned.as_piece();
        let mut rest = piece.text();
        loop {
            let split = if segments.len() < 6 {
                rest.split_once(':')
            } else {
                None
            };
            let current = segments.last_mut()?;
            match split {
                Some((head, tail)) => {
                    current.push(same_kind(piece, head));
                    segments.push(Vec::new());
                    rest = tail;
                }
                None => {
                    current.push(same_kind(piece, rest));
                    break;
                }
            }
        }
    }
    (segments.len() == 6).then_some(segments)
}

/// A piece of the same kind as `piece` holding `text`.
fn same_kind<'a>(piece: Piece<'a>, text: &'a str) -> Piece<'a> {
    if piece.is_pattern() {
        Piece::Pattern(text)
    } else {
        Piece::Literal(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{KeyConstraint, KeyMatcher, Mode};
    use std::ops::Not;

    const V12: Version = Version::V2012_10_17;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition {
            operator: Operator::parse(op),
            key: key.to_string(),
            key_lower: key.to_ascii_lowercase(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn ctx(pairs: &[(&str, &str)]) -> RequestContext {
        let mut c = RequestContext::new();
        for (k, v) in pairs {
            c.set(k, *v);
        }
        c
    }

    fn multi(key: &str, values: &[&str]) -> RequestContext {
        let mut c = RequestContext::new();
        c.insert(
            key,
            ContextValue::Multi(values.iter().map(|v| v.to_string()).collect()),
        );
        c
    }

    fn eval(op: &str, values: &[&str], c: &RequestContext) -> Tri {
        evaluate_condition(&cond(op, "test:Key", values), V12, c)
    }

    fn with(v: &str) -> RequestContext {
        ctx(&[("test:key", v)])
    }

    fn discovery() -> RequestContext {
        RequestContext::with_mode(Mode::Discovery(Vec::new().into()))
    }

    fn matches(op: BaseOperator, values: &[&str], request: &str) -> bool {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        base_operator_matches(op, &values, request, V12, &RequestContext::new())
    }

    // ---- Tri ----

    #[test]
    fn tri_follows_kleene_logic() {
        use Tri::*;
        assert_eq!(True.and(Unknown), Unknown);
        assert_eq!(False.and(Unknown), False);
        assert_eq!(True.or(Unknown), True);
        assert_eq!(False.or(Unknown), Unknown);
        assert_eq!(Unknown.not(), Unknown);
        assert_eq!(!True, False);
        assert_eq!(Tri::from(true), True);
        assert!(Unknown.is_unknown() && True.is_true() && False.is_false());
    }

    // ---- String ----

    #[test]
    fn string_equals_is_case_sensitive_and_ors_values() {
        assert_eq!(eval("StringEquals", &["a", "b"], &with("b")), Tri::True);
        assert_eq!(eval("StringEquals", &["a", "b"], &with("B")), Tri::False);
        assert_eq!(
            eval("StringEquals", &["a*"], &with("abc")),
            Tri::False,
            "no wildcards"
        );
    }

    #[test]
    fn string_not_equals_is_nor_across_values() {
        // AWS IAM User Guide, "Condition with multiple context keys or values": negated
        // operators hold only when the request value matches none of the values.
        assert_eq!(eval("StringNotEquals", &["a", "b"], &with("b")), Tri::False);
        assert_eq!(eval("StringNotEquals", &["a", "b"], &with("c")), Tri::True);
    }

    #[test]
    fn string_ignore_case_operators_fold_case() {
        assert_eq!(
            eval("StringEqualsIgnoreCase", &["Test"], &with("tEST")),
            Tri::True
        );
        assert_eq!(
            eval("StringNotEqualsIgnoreCase", &["Test"], &with("tEST")),
            Tri::False
        );
        assert_eq!(
            eval("StringEqualsIgnoreCase", &["tést"], &with("TÉST")),
            Tri::True
        );
    }

    #[test]
    fn string_like_uses_star_and_question_mark() {
        assert_eq!(
            eval("StringLike", &["home/*"], &with("home/a/b")),
            Tri::True
        );
        assert_eq!(eval("StringLike", &["t??t"], &with("test")), Tri::True);
        assert_eq!(eval("StringLike", &["t??t"], &with("tet")), Tri::False);
        assert_eq!(
            eval("StringNotLike", &["A*", "B*"], &with("Apple")),
            Tri::False
        );
        assert_eq!(
            eval("StringNotLike", &["A*", "B*"], &with("Cherry")),
            Tri::True
        );
    }

    #[test]
    fn string_like_substituted_star_is_literal() {
        // AWS IAM User Guide, "IAM policy elements: Variables and tags".
        let c = ctx(&[("test:key", "testBobTwo"), ("aws:username", "Bob*")]);
        assert_eq!(eval("StringLike", &["test${aws:username}"], &c), Tri::False);
        assert_eq!(
            eval("StringLike", &["test${aws:username}*"], &c),
            Tri::False
        );
        let c = ctx(&[("test:key", "testBob*x"), ("aws:username", "Bob*")]);
        assert_eq!(eval("StringLike", &["test${aws:username}?"], &c), Tri::True);
    }

    #[test]
    fn escaped_star_variable_is_literal_in_string_like() {
        assert_eq!(eval("StringLike", &["a${*}"], &with("a*")), Tri::True);
        assert_eq!(eval("StringLike", &["a${*}"], &with("ab")), Tri::False);
    }

    #[test]
    fn variables_are_literal_text_in_version_2008_policies() {
        let c = ctx(&[
            ("test:key", "home/${aws:username}"),
            ("aws:username", "bob"),
        ]);
        let cd = cond("StringEquals", "test:key", &["home/${aws:username}"]);
        assert_eq!(evaluate_condition(&cd, Version::V2008_10_17, &c), Tri::True);
        assert_eq!(evaluate_condition(&cd, V12, &c), Tri::False);
    }

    #[test]
    fn policy_variables_with_no_value_fail_positive_and_hold_for_inverted_operators() {
        // AWS IAM User Guide, "Policy variables with no value": a variable naming an
        // absent key matches no request value, so inverted operators hold ("Access is
        // specifically denied when aws:principaltag/Team is not set").
        let c = with("test");
        assert_eq!(eval("StringEquals", &["${aws:username}"], &c), Tri::False);
        assert_eq!(eval("StringNotEquals", &["${aws:username}"], &c), Tri::True);
        assert_eq!(eval("StringNotLike", &["${aws:username}*"], &c), Tri::True);
        assert_eq!(
            eval("StringNotEqualsIgnoreCase", &["${aws:username}"], &c),
            Tri::True
        );
        // NOR across values: another value equal to the request still decides.
        assert_eq!(
            eval("StringNotEquals", &["${aws:username}", "test"], &c),
            Tri::False
        );
        // Another value can still match a positive operator.
        assert_eq!(
            eval("StringEquals", &["${aws:username}", "test"], &c),
            Tri::True
        );
        // ARN operators too.
        let mut arn = RequestContext::new();
        arn.set("aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:t");
        let cd = cond(
            "ArnNotLike",
            "aws:SourceArn",
            &["arn:aws:sns:*:${aws:PrincipalAccount}:*"],
        );
        assert_eq!(evaluate_condition(&cd, V12, &arn), Tri::True);
        let cd = cond(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:sns:*:${aws:PrincipalAccount}:*"],
        );
        assert_eq!(evaluate_condition(&cd, V12, &arn), Tri::False);
    }

    #[test]
    fn multivalued_or_malformed_variable_fails_positive_and_inverted_operators() {
        // Not "no value": the value cannot be read at all, so nothing holds.
        let mut c = with("test");
        c.insert(
            "aws:PrincipalOrgPaths",
            ContextValue::Multi(vec!["a".into(), "b".into()]),
        );
        assert_eq!(
            eval("StringNotEquals", &["${aws:PrincipalOrgPaths}"], &c),
            Tri::False
        );
        assert_eq!(eval("StringNotEquals", &["${aws:username"], &c), Tri::False);
    }

    #[test]
    fn variable_default_applies_when_key_missing() {
        let c = with("company-wide");
        assert_eq!(
            eval(
                "StringEquals",
                &["${aws:PrincipalTag/team, 'company-wide'}"],
                &c
            ),
            Tri::True
        );
    }

    // ---- Numeric ----

    #[test]
    fn numeric_compares_integers_and_decimals_exactly() {
        use accessdrift_policy::BaseOperator::*;
        assert!(matches(NumericEquals, &["10"], "10.0"));
        assert!(matches(NumericEquals, &["10.50"], "10.5"));
        assert!(matches(NumericEquals, &["-0"], "0"));
        assert!(matches(NumericLessThan, &["10"], "9.999"));
        assert!(matches(NumericLessThan, &["-1"], "-2"));
        assert!(!matches(NumericLessThan, &["10"], "10"));
        assert!(matches(NumericLessThanEquals, &["10"], "10"));
        assert!(matches(NumericGreaterThan, &["10"], "100"));
        assert!(matches(NumericGreaterThan, &["0.1"], "0.11"));
        assert!(!matches(NumericGreaterThan, &["0.11"], "0.1"));
        assert!(matches(NumericGreaterThanEquals, &["10"], "10"));
        assert!(matches(
            NumericEquals,
            &["123456789012345678901234567890"],
            "123456789012345678901234567890.000"
        ));
        assert!(!matches(
            NumericEquals,
            &["9007199254740993"],
            "9007199254740992"
        ));
    }

    #[test]
    fn numeric_unparsable_either_side_never_matches() {
        use accessdrift_policy::BaseOperator::*;
        assert!(!matches(NumericEquals, &["a"], "10"));
        assert!(!matches(NumericEquals, &["10"], "a"));
        assert!(
            !matches(NumericNotEquals, &["a"], "10"),
            "negated: still no match"
        );
        assert!(!matches(NumericNotEquals, &["10"], "a"));
        for bad in ["", "-", ".", "1e3", " 1", "1 ", "0x10", "1.2.3"] {
            assert!(Decimal::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn numeric_not_equals_is_nor() {
        use accessdrift_policy::BaseOperator::*;
        assert!(!matches(NumericNotEquals, &["10", "20"], "10"));
        assert!(matches(NumericNotEquals, &["10", "20"], "15"));
    }

    // ---- Date ----

    #[test]
    fn date_reads_iso_8601_forms() {
        use accessdrift_policy::BaseOperator::*;
        assert!(matches(DateEquals, &["2024-01-01"], "2024-01-01T00:00:00Z"));
        assert!(matches(
            DateEquals,
            &["2024-01-01T01:00:00+01:00"],
            "2024-01-01T00:00:00Z"
        ));
        assert!(matches(
            DateEquals,
            &["2024-01-01T00:00:00"],
            "2024-01-01T00:00:00Z"
        ));
        assert!(matches(
            DateEquals,
            &["2024-01-01T00:00:00.000Z"],
            "2024-01-01T00:00:00Z"
        ));
        assert!(matches(DateEquals, &["2024-01"], "2024-01-01T00:00:00Z"));
        assert!(matches(
            DateLessThan,
            &["2024-01-01T00:00:00Z"],
            "2023-12-31T23:59:59Z"
        ));
        assert!(matches(
            DateGreaterThanEquals,
            &["2024-01-01"],
            "2024-01-01T00:00:00Z"
        ));
        assert!(!matches(
            DateGreaterThan,
            &["2024-01-01"],
            "2024-01-01T00:00:00Z"
        ));
    }

    #[test]
    fn date_reads_epoch_seconds_and_milliseconds() {
        use accessdrift_policy::BaseOperator::*;
        // AWS documents epoch seconds (aws:EpochTime).
        assert!(matches(DateEquals, &["2024-01-01T00:00:00Z"], "1704067200"));
        assert!(matches(DateGreaterThan, &["1704067200"], "1704067201"));
        // The corpus also uses milliseconds (operator/DateEquals#1).
        assert!(matches(DateEquals, &["2024-01-01"], "1704067200000"));
        assert!(!matches(DateEquals, &["2024-01-01"], "1704067200001"));
    }

    #[test]
    fn date_unparsable_either_side_never_matches() {
        use accessdrift_policy::BaseOperator::*;
        assert!(!matches(DateEquals, &["not a date"], "2024-01-01"));
        assert!(!matches(DateNotEquals, &["not a date"], "2024-01-01"));
        assert!(!matches(DateNotEquals, &["2024-01-01"], "a"));
        assert!(!matches(DateLessThan, &["2024-13-01"], "2024-01-01"));
    }

    // ---- Bool and Binary ----

    #[test]
    fn bool_is_case_insensitive_and_strict_about_words() {
        use accessdrift_policy::BaseOperator::*;
        assert!(matches(Bool, &["true"], "TRUE"));
        assert!(matches(Bool, &["FALSE"], "false"));
        assert!(!matches(Bool, &["true"], "false"));
        assert!(!matches(Bool, &["true"], "yes"));
        assert!(!matches(Bool, &["1"], "true"));
    }

    #[test]
    fn binary_equals_compares_base64_text() {
        use accessdrift_policy::BaseOperator::*;
        assert!(matches(BinaryEquals, &["QmluYXJ5", "b3RoZXI="], "b3RoZXI="));
        assert!(!matches(BinaryEquals, &["QmluYXJ5"], "qmluyxj5"));
    }

    // ---- IP ----

    #[test]
    fn ip_address_matches_v4_and_v6_cidrs() {
        use accessdrift_policy::BaseOperator::*;
        assert!(matches(IpAddress, &["203.0.113.0/24"], "203.0.113.7"));
        assert!(!matches(IpAddress, &["203.0.113.0/24"], "203.0.114.7"));
        assert!(matches(IpAddress, &["2001:db8::/32"], "2001:0db8:1::1"));
        assert!(
            matches(IpAddress, &["10.0.0.1"], "10.0.0.1"),
            "bare IPv4 is /32"
        );
        assert!(!matches(IpAddress, &["10.0.0.1"], "10.0.0.2"));
        assert!(
            matches(IpAddress, &["2001:db8::1"], "2001:db8::1"),
            "bare IPv6 is /128"
        );
        assert!(
            matches(IpAddress, &["192.168.1.1/16"], "192.168.200.1"),
            "host bits ignored"
        );
    }

    #[test]
    fn ip_family_mismatch_is_a_valid_non_match() {
        use accessdrift_policy::BaseOperator::*;
        assert!(!matches(IpAddress, &["10.0.0.0/8"], "2001:db8::1"));
        assert!(matches(NotIpAddress, &["10.0.0.0/8"], "2001:db8::1"));
    }

    #[test]
    fn ip_invalid_either_side_never_matches() {
        use accessdrift_policy::BaseOperator::*;
        assert!(!matches(IpAddress, &["10.0.0.0/8"], "not-an-ip"));
        assert!(!matches(NotIpAddress, &["10.0.0.0/8"], "not-an-ip"));
        assert!(!matches(NotIpAddress, &["123456789012"], "10.0.0.1"));
        assert!(!matches(IpAddress, &["10.0.0.0/33"], "10.0.0.1"));
        assert!(
            !matches(IpAddress, &["10.0.0.0/8"], "10.0.0.0/8"),
            "request is an address"
        );
    }

    // ---- ARN ----

    #[test]
    fn arn_like_compares_segment_by_segment() {
        use accessdrift_policy::BaseOperator::*;
        let r = "arn:aws:ec2:us-east-1:123456789012:instance/i-1";
        assert!(matches(
            ArnLike,
            &["arn:aws:ec2:*:123456789012:instance/*"],
            r
        ));
        assert!(matches(ArnLike, &["arn:???:*:*:*:*"], r));
        assert!(!matches(
            ArnLike,
            &["arn:aws:ec2:us-east-1:123456789012:INSTANCE/*"],
            r
        ));
        // A star in a leading segment stays within that segment.
        assert!(!matches(
            ArnLike,
            &["arn:aws:*:123456789012:instance/i-1"],
            r
        ));
    }

    #[test]
    fn arn_like_resource_star_crosses_slashes_and_colons() {
        use accessdrift_policy::BaseOperator::*;
        let r = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*";
        assert!(matches(
            ArnLike,
            &["arn:aws:logs:us-east-1:123456789012:*"],
            r
        ));
        assert!(matches(ArnLike, &["arn:aws:logs:*:*:log-group:/aws/*"], r));
    }

    #[test]
    fn arn_equals_behaves_like_arn_like() {
        // AWS IAM User Guide, "IAM JSON policy elements: Condition operators": both
        // ArnEquals and ArnLike allow * and ? in each of the six components.
        use accessdrift_policy::BaseOperator::*;
        let r = "arn:aws:iam::123456789012:role/app";
        for (op, neg) in [(ArnEquals, ArnNotEquals), (ArnLike, ArnNotLike)] {
            assert!(matches(op, &["arn:aws:iam::*:role/*"], r));
            assert!(!matches(neg, &["arn:aws:iam::*:role/*"], r));
            assert!(matches(neg, &["arn:aws:iam::*:user/*"], r));
        }
    }

    #[test]
    fn arn_invalid_either_side_never_matches() {
        use accessdrift_policy::BaseOperator::*;
        let r = "arn:aws:s3:::bucket";
        assert!(!matches(ArnLike, &["arn:::bucket"], r));
        assert!(!matches(ArnNotLike, &["arn:::bucket"], r));
        assert!(!matches(ArnLike, &["arn:aws:s3:::*"], "arn:::bucket"));
        assert!(!matches(ArnNotLike, &["arn:aws:s3:::*"], "arn:::bucket"));
        assert!(!matches(ArnLike, &["*"], r));
        assert!(!matches(ArnNotLike, &["xyz:aws:s3:::other"], r));
        assert!(matches(ArnLike, &["arn:aws:s3:::bucket"], r));
    }

    #[test]
    fn arn_like_with_variables_keeps_substituted_text_literal() {
        let mut c = ctx(&[("test:key", "arn:aws:iam::123456789012:user/Bob")]);
        c.set("aws:username", "Bob");
        assert_eq!(
            eval("ArnLike", &["arn:aws:iam::*:user/${aws:username}"], &c),
            Tri::True
        );
        c.set("aws:username", "B*");
        assert_eq!(
            eval("ArnLike", &["arn:aws:iam::*:user/${aws:username}"], &c),
            Tri::False
        );
        // A variable holding a whole ARN is split at its colons.
        c.set("aws:PrincipalArn", "arn:aws:iam::123456789012:user/Bob");
        assert_eq!(eval("ArnEquals", &["${aws:PrincipalArn}"], &c), Tri::True);
    }

    // ---- Null ----

    #[test]
    fn null_true_means_the_key_is_absent() {
        assert_eq!(eval("Null", &["true"], &RequestContext::new()), Tri::True);
        assert_eq!(eval("Null", &["true"], &with("x")), Tri::False);
    }

    #[test]
    fn null_false_means_the_key_is_present() {
        assert_eq!(eval("Null", &["false"], &with("x")), Tri::True);
        assert_eq!(eval("Null", &["false"], &RequestContext::new()), Tri::False);
    }

    #[test]
    fn null_values_are_case_insensitive() {
        assert_eq!(eval("Null", &["TRUE"], &RequestContext::new()), Tri::True);
        assert_eq!(eval("Null", &["False"], &with("x")), Tri::True);
        assert_eq!(eval("Null", &["maybe"], &with("x")), Tri::False);
    }

    #[test]
    fn null_treats_an_empty_multivalued_key_as_absent() {
        let c = multi("test:key", &[]);
        assert_eq!(eval("Null", &["true"], &c), Tri::True);
        assert_eq!(
            eval("Null", &["false"], &multi("test:key", &["a"])),
            Tri::True
        );
    }

    #[test]
    fn null_on_an_unknown_key_is_unknown() {
        assert_eq!(eval("Null", &["true"], &discovery()), Tri::Unknown);
        assert_eq!(eval("Null", &["false"], &discovery()), Tri::Unknown);
    }

    // ---- Missing keys ----

    #[test]
    fn missing_key_makes_positive_operators_false() {
        let c = RequestContext::new();
        for op in [
            "StringEquals",
            "StringLike",
            "NumericLessThan",
            "DateEquals",
            "Bool",
            "IpAddress",
            "ArnLike",
            "BinaryEquals",
        ] {
            assert_eq!(eval(op, &["x"], &c), Tri::False, "{op}");
        }
    }

    #[test]
    fn missing_key_makes_negated_operators_true() {
        let c = RequestContext::new();
        for op in [
            "StringNotEquals",
            "StringNotEqualsIgnoreCase",
            "StringNotLike",
            "NumericNotEquals",
            "DateNotEquals",
            "NotIpAddress",
            "ArnNotEquals",
            "ArnNotLike",
        ] {
            assert_eq!(eval(op, &["x"], &c), Tri::True, "{op}");
        }
    }

    #[test]
    fn missing_key_makes_if_exists_true() {
        let c = RequestContext::new();
        assert_eq!(eval("StringEqualsIfExists", &["x"], &c), Tri::True);
        assert_eq!(eval("NumericLessThanIfExists", &["1"], &c), Tri::True);
        assert_eq!(eval("StringNotEqualsIfExists", &["x"], &c), Tri::True);
    }

    #[test]
    fn if_exists_on_a_present_key_compares_normally() {
        assert_eq!(eval("StringEqualsIfExists", &["x"], &with("y")), Tri::False);
        assert_eq!(eval("StringEqualsIfExists", &["x"], &with("x")), Tri::True);
        // Checklist item 21: a present key of the wrong type fails the comparison.
        assert_eq!(
            eval("NumericLessThanIfExists", &["10"], &with("abc")),
            Tri::False
        );
    }

    // ---- Set operators ----

    #[test]
    fn for_any_value_matches_when_some_request_value_matches() {
        let c = multi("test:key", &["a", "b"]);
        assert_eq!(eval("ForAnyValue:StringEquals", &["b", "z"], &c), Tri::True);
        assert_eq!(
            eval("ForAnyValue:StringEquals", &["y", "z"], &c),
            Tri::False
        );
    }

    #[test]
    fn for_any_value_missing_key_is_false() {
        assert_eq!(
            eval("ForAnyValue:StringEquals", &["a"], &RequestContext::new()),
            Tri::False
        );
        assert_eq!(
            eval(
                "ForAnyValue:StringNotEquals",
                &["a"],
                &RequestContext::new()
            ),
            Tri::False
        );
    }

    #[test]
    fn for_any_value_empty_key_is_false() {
        assert_eq!(
            eval("ForAnyValue:StringEquals", &["a"], &multi("test:key", &[])),
            Tri::False
        );
    }

    #[test]
    fn for_any_value_if_exists_missing_or_empty_key_is_true() {
        assert_eq!(
            eval(
                "ForAnyValue:StringEqualsIfExists",
                &["a"],
                &RequestContext::new()
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                "ForAnyValue:StringEqualsIfExists",
                &["a"],
                &multi("test:key", &[])
            ),
            Tri::True
        );
    }

    #[test]
    fn for_all_values_requires_every_request_value_to_match_some_policy_value() {
        let c = multi("test:key", &["a", "b"]);
        assert_eq!(
            eval("ForAllValues:StringEquals", &["a", "b", "c"], &c),
            Tri::True
        );
        assert_eq!(eval("ForAllValues:StringEquals", &["a"], &c), Tri::False);
        assert_eq!(
            eval("ForAllValues:StringLike", &["a*", "b*"], &c),
            Tri::True
        );
    }

    #[test]
    fn for_all_values_missing_key_is_vacuously_true() {
        // AWS IAM User Guide, "Single-valued vs. multivalued context keys": ForAllValues
        // "also returns true if there are no context keys in the request".
        assert_eq!(
            eval("ForAllValues:StringEquals", &["a"], &RequestContext::new()),
            Tri::True
        );
    }

    #[test]
    fn for_all_values_empty_key_is_vacuously_true() {
        assert_eq!(
            eval("ForAllValues:StringEquals", &["a"], &multi("test:key", &[])),
            Tri::True
        );
    }

    #[test]
    fn for_all_values_string_not_equals_needs_every_value_unequal_to_all() {
        let c = multi("test:key", &["a", "b"]);
        assert_eq!(
            eval("ForAllValues:StringNotEquals", &["x", "y"], &c),
            Tri::True
        );
        assert_eq!(
            eval("ForAllValues:StringNotEquals", &["b", "y"], &c),
            Tri::False
        );
        assert_eq!(
            eval(
                "ForAllValues:StringNotEquals",
                &["x"],
                &RequestContext::new()
            ),
            Tri::True
        );
    }

    #[test]
    fn for_any_value_string_not_equals_needs_some_value_unequal_to_all() {
        let c = multi("test:key", &["a", "b"]);
        assert_eq!(eval("ForAnyValue:StringNotEquals", &["a"], &c), Tri::True);
        assert_eq!(
            eval("ForAnyValue:StringNotEquals", &["a", "b"], &c),
            Tri::False
        );
    }

    #[test]
    fn for_all_values_string_not_like_matches_aws_doc_table() {
        // AWS IAM User Guide, "Multivalued context key examples", ForAllValues:StringNotLike
        // on aws:TagKeys with "key1*".
        let op = "ForAllValues:StringNotLike";
        assert_eq!(
            eval(op, &["key1*"], &multi("test:key", &["key1:legal"])),
            Tri::False
        );
        assert_eq!(
            eval(
                op,
                &["key1*"],
                &multi("test:key", &["key1:hr", "key1:personnel"])
            ),
            Tri::False
        );
        assert_eq!(
            eval(op, &["key1*"], &multi("test:key", &["key2:audit"])),
            Tri::True
        );
        assert_eq!(eval(op, &["key1*"], &RequestContext::new()), Tri::True);
    }

    #[test]
    fn set_operator_on_single_valued_key_treats_it_as_a_set_of_one() {
        // Corpus: core/conditions/forAllValuesMisused.json.
        assert_eq!(
            eval("ForAllValues:StringEquals", &["o-a", "o-b"], &with("o-a")),
            Tri::True
        );
        assert_eq!(
            eval("ForAllValues:StringEquals", &["o-a", "o-b"], &with("o-z")),
            Tri::False
        );
        assert_eq!(
            eval("ForAnyValue:StringEquals", &["o-a"], &with("o-a")),
            Tri::True
        );
    }

    #[test]
    fn multivalued_key_without_set_operator_does_not_match() {
        // "Multivalued context keys require a condition set operator" (AWS IAM User
        // Guide, "Single-valued vs. multivalued context keys"); checklist item 23.
        let two = multi("test:key", &["a", "b"]);
        let one = multi("test:key", &["a"]);
        assert_eq!(eval("StringEquals", &["a", "b"], &two), Tri::False);
        assert_eq!(
            eval("StringEquals", &["a"], &one),
            Tri::False,
            "one-element list too"
        );
        assert_eq!(
            eval("StringNotEquals", &["z"], &two),
            Tri::False,
            "negated too"
        );
        assert_eq!(eval("StringNotEquals", &["z"], &one), Tri::False);
        assert_eq!(eval("StringEqualsIfExists", &["a"], &one), Tri::False);
    }

    #[test]
    fn empty_multivalued_key_without_set_operator_counts_as_missing() {
        let empty = multi("test:key", &[]);
        assert_eq!(eval("StringEquals", &["a"], &empty), Tri::False);
        assert_eq!(eval("StringNotEquals", &["a"], &empty), Tri::True);
        assert_eq!(eval("StringEqualsIfExists", &["a"], &empty), Tri::True);
    }

    // ---- Null data sets: AWS IAM User Guide, "Set operators for multivalued context keys"

    #[test]
    fn set_operators_for_multivalued_context_keys_empty_string_is_a_null_data_set() {
        // ForAllValues "also returns true if ... the key values resolve to a null data
        // set, such as an empty string"; ForAnyValue returns false "for no matching key
        // or a null dataset".
        for c in [
            with(""),
            multi("test:key", &[""]),
            multi("test:key", &["", ""]),
        ] {
            assert_eq!(
                eval("ForAllValues:StringEquals", &["team"], &c),
                Tri::True,
                "{c:?}"
            );
            assert_eq!(
                eval("ForAnyValue:StringEquals", &["team"], &c),
                Tri::False,
                "{c:?}"
            );
            assert_eq!(
                eval("ForAnyValue:StringNotEquals", &["team"], &c),
                Tri::False
            );
            assert_eq!(
                eval("ForAnyValue:StringEqualsIfExists", &["team"], &c),
                Tri::True
            );
        }
        // An empty string among real values is a value like any other.
        let c = multi("test:key", &["", "team"]);
        assert_eq!(eval("ForAllValues:StringEquals", &["team"], &c), Tri::False);
        assert_eq!(eval("ForAnyValue:StringEquals", &["team"], &c), Tri::True);
        // Without a set operator an empty string is compared as a string.
        assert_eq!(eval("StringEquals", &[""], &with("")), Tri::True);
        assert_eq!(eval("StringEquals", &["team"], &with("")), Tri::False);
    }

    #[test]
    fn null_with_a_set_operator_tests_presence_and_discovery_leaves_absence_open() {
        // Undocumented; see evaluate_condition. Simulation: presence, as plain Null.
        let absent = RequestContext::new();
        for op in ["ForAllValues:Null", "ForAnyValue:Null"] {
            assert_eq!(eval(op, &["true"], &absent), Tri::True, "{op}");
            assert_eq!(eval(op, &["false"], &absent), Tri::False, "{op}");
            assert_eq!(eval(op, &["false"], &with("a")), Tri::True, "{op}");
            assert_eq!(eval(op, &["true"], &with("a")), Tri::False, "{op}");
        }
        // Discovery mode with the key known absent: a condition, not a guess.
        let known_absent = RequestContext::with_mode(Mode::Discovery(
            vec![KeyConstraint {
                key: KeyMatcher::parse("test:key").unwrap(),
                presence_known: true,
                value_known: true,
            }]
            .into(),
        ));
        assert_eq!(
            eval("ForAllValues:Null", &["true"], &known_absent),
            Tri::Unknown
        );
        assert_eq!(
            eval("ForAnyValue:Null", &["false"], &known_absent),
            Tri::Unknown
        );
        assert_eq!(eval("Null", &["true"], &known_absent), Tri::True);
    }

    // ---- Unknown keys and operators ----

    #[test]
    fn unknown_key_state_is_unknown_for_every_form() {
        let c = discovery();
        for op in [
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIfExists",
            "ForAllValues:StringEquals",
            "ForAnyValue:StringEqualsIfExists",
        ] {
            assert_eq!(eval(op, &["a"], &c), Tri::Unknown, "{op}");
        }
    }

    #[test]
    fn known_key_in_discovery_mode_is_decided() {
        let mut c = discovery();
        c.set("test:key", "a");
        assert_eq!(eval("StringEquals", &["a"], &c), Tri::True);
        let c = RequestContext::with_mode(Mode::Discovery(
            vec![KeyConstraint {
                key: KeyMatcher::parse("test:key").unwrap(),
                presence_known: true,
                value_known: true,
            }]
            .into(),
        ));
        assert_eq!(eval("StringEquals", &["a"], &c), Tri::False);
    }

    #[test]
    fn variable_naming_an_unknown_key_is_unknown_unless_settled() {
        let mut c = discovery();
        c.set("test:key", "bob");
        assert_eq!(eval("StringEquals", &["${aws:username}"], &c), Tri::Unknown);
        assert_eq!(
            eval("StringEquals", &["${aws:username}", "bob"], &c),
            Tri::True
        );
        assert_eq!(
            eval("StringNotEquals", &["${aws:username}"], &c),
            Tri::Unknown
        );
        assert_eq!(
            eval("StringNotEquals", &["${aws:username}", "bob"], &c),
            Tri::False
        );
        let values = vec!["${aws:username}".to_string()];
        assert!(!base_operator_matches(
            BaseOperator::StringEquals,
            &values,
            "bob",
            V12,
            &c
        ));
    }

    #[test]
    fn unknown_operator_is_false_even_when_key_missing_or_unknown() {
        for c in [RequestContext::new(), with("a"), discovery()] {
            assert_eq!(eval("StringEqualz", &["a"], &c), Tri::False);
            assert_eq!(eval("ForAllValues:Bogus", &["a"], &c), Tri::False);
            assert_eq!(eval("NullIfExists", &["true"], &c), Tri::False);
        }
        assert!(!matches(BaseOperator::Unknown, &["a"], "a"));
    }

    #[test]
    fn condition_key_lookup_uses_the_lowercase_key() {
        let c = ctx(&[("aws:PrincipalTag/Team", "blue")]);
        let cd = cond("StringEquals", "AWS:principaltag/TEAM", &["blue"]);
        assert_eq!(evaluate_condition(&cd, V12, &c), Tri::True);
    }
}
