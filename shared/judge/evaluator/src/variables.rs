//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}` and the
//! escapes `${*}`, `${?}`, `${$}` in `Resource`/`NotResource` patterns and condition
//! values.
//!
//! Rules (AWS IAM User Guide, "IAM policy elements: Variables and tags", and checklist
//! item 24):
//! - variables are recognised only in `"Version": "2012-10-17"` policies; otherwise
//!   `${...}` is literal text;
//! - key names are case-insensitive;
//! - `${*}`, `${?}` and `${$}` stand for the characters `*`, `?` and `$`, which then
//!   match only themselves;
//! - only single-valued keys substitute; a multivalued key cannot be a variable
//!   ("Single-valued vs. multivalued context keys", Key points), so it is unresolvable,
//!   default or not;
//! - a missing key with a default gives the default; without one the variable has *no
//!   value* ("Policy variables with no value"): a `Resource` or `NotResource` entry
//!   holding it "will not match any resource", and a condition value holding it matches
//!   no request value, so an inverted operator (`StringNotEquals`, `ArnNotLike`...)
//!   holds ("Access is specifically denied when aws:principaltag/Team is not set");
//! - substituted text is literal: a `*` in `aws:username` is not a wildcard.
//!
//! Key design choice: the result is a list of pieces that remember which text the
//! policy wrote (wildcards active) and which was substituted (literal), so the glob
//! matcher can honour the last rule without escaping. Text with no `${` (almost every
//! value) comes back borrowed, with no allocation.

use std::borrow::Cow;

use accessdrift_policy::Version;

use crate::context::{ContextValue, KeyState, RequestContext};
use crate::glob::{AsPiece, Piece};

/// An owned [`Piece`]: policy-written text (wildcards active) or substituted text
/// (literal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedPiece {
    /// Text as written in the policy.
    Pattern(String),
    /// Text that replaced a variable; matches only itself.
    Literal(String),
}

impl AsPiece for OwnedPiece {
    fn as_piece(&self) -> Piece<'_> {
        match self {
            OwnedPiece::Pattern(s) => Piece::Pattern(s),
            OwnedPiece::Literal(s) => Piece::Literal(s),
        }
    }
}

/// The outcome of substituting the variables of one policy value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Substituted<'a> {
    /// Nothing to substitute (no `${`, or a policy version without variables): the
    /// text as written, wildcards active.
    Unchanged(&'a str),
    /// Every variable resolved; the pieces concatenate to the final value.
    Resolved(Vec<OwnedPiece>),
    /// A variable names a key absent from the request, without default: the value
    /// equals nothing, so positive operators fail and inverted ones hold (AWS IAM User
    /// Guide, "Policy variables with no value").
    NoValue,
    /// A variable names a multivalued key or is malformed: the value cannot be read
    /// and the comparison fails, inverted or not.
    Unresolvable,
    /// A variable names a key whose presence or value cannot be known (Discovery mode).
    Unknown,
}

impl Substituted<'_> {
    /// The final text with wildcard characters kept as characters, for operators that
    /// do not glob (equality, numbers, dates, addresses). `None` when unresolvable or
    /// unknown. Borrowed when nothing was substituted.
    pub fn flatten(&self) -> Option<Cow<'_, str>> {
        match self {
            Substituted::Unchanged(s) => Some(Cow::Borrowed(s)),
            Substituted::Resolved(pieces) => Some(match pieces.as_slice() {
                [only] => Cow::Borrowed(only.as_piece().text()),
                _ => Cow::Owned(pieces.iter().map(|p| p.as_piece().text()).collect()),
            }),
            Substituted::NoValue | Substituted::Unresolvable | Substituted::Unknown => None,
        }
    }
}

/// Whether `text` would be substituted at all under `version`.
pub fn contains_variable(text: &str, version: Version) -> bool {
    version.supports_variables() && text.contains("${")
}

/// Substitutes the policy variables of `text` from `ctx`.
///
/// ```
/// use accessdrift_evaluator::variables::{substitute, Substituted};
/// use accessdrift_evaluator::RequestContext;
/// use accessdrift_policy::Version;
///
/// let mut ctx = RequestContext::new();
/// ctx.set("aws:username", "bob");
/// let s = substitute("home/${AWS:UserName}/*", Version::V2012_10_17, &ctx);
/// assert_eq!(s.flatten().as_deref(), Some("home/bob/*"));
/// assert_eq!(
///     substitute("home/${aws:userid}", Version::V2012_10_17, &ctx),
///     Substituted::NoValue
/// );
/// ```
pub fn substitute<'a>(text: &'a str, version: Version, ctx: &RequestContext) -> Substituted<'a> {
    if !contains_variable(text, version) {
        return Substituted::Unchanged(text);
    }
    let mut pieces: Vec<OwnedPiece> = Vec::new();
    let mut unknown = false;
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        push(&mut pieces, &rest[..start], false);
        let Some((var, consumed)) = parse_variable(&rest[start + 2..]) else {
            return Substituted::Unresolvable;
        };
        rest = &rest[start + 2 + consumed..];
        match var {
            Variable::Escape(c) => push(&mut pieces, c, true),
            Variable::Key { name, default } => match resolve(name, ctx) {
                Resolution::Value(v) => push(&mut pieces, v, true),
                Resolution::Absent => match default {
                    Some(d) => push(&mut pieces, d, true),
                    None => return Substituted::NoValue,
                },
                Resolution::MultiValued => return Substituted::Unresolvable,
                // Keep scanning: a later unresolvable variable is a definite answer.
                Resolution::Unknown => unknown = true,
            },
        }
    }
    push(&mut pieces, rest, false);
    if unknown {
        Substituted::Unknown
    } else {
        Substituted::Resolved(pieces)
    }
}

/// Appends text to the piece list, merging with a previous piece of the same kind.
fn push(pieces: &mut Vec<OwnedPiece>, text: &str, literal: bool) {
    if text.is_empty() {
        return;
    }
    match (pieces.last_mut(), literal) {
        (Some(OwnedPiece::Literal(s)), true) | (Some(OwnedPiece::Pattern(s)), false) => {
            s.push_str(text)
        }
        _ => pieces.push(if literal {
            OwnedPiece::Literal(text.to_string())
        } else {
            OwnedPiece::Pattern(text.to_string())
        }),
    }
}

/// What a `${...}` holds.
#[derive(Debug, PartialEq, Eq)]
enum Variable<'a> {
    /// `${*}`, `${?}` or `${$}`: the character itself.
    Escape(&'a str),
    /// `${key}` or `${key, 'default'}`.
    Key {
        name: &'a str,
        default: Option<&'a str>,
    },
}

/// Parses the inside of a variable, `s` starting just after `${`. Returns the variable
/// and the bytes consumed (through the closing `}`), or `None` when malformed.
fn parse_variable(s: &str) -> Option<(Variable<'_>, usize)> {
    let end = s.find(['}', ','])?;
    let name = s[..end].trim();
    if name.is_empty() {
        return None;
    }
    let (default, consumed) = if s[end..].starts_with('}') {
        (None, end + 1)
    } else {
        // `, 'default'}`: spaces allowed around the quoted default.
        let after_comma = &s[end + 1..];
        let quoted = after_comma.trim_start();
        let quoted_at = end + 1 + (after_comma.len() - quoted.len());
        let body = quoted.strip_prefix('\'')?;
        let close = body.find('\'')?;
        let default = &body[..close];
        let tail = &body[close + 1..];
        let tail_trimmed = tail.trim_start();
        if !tail_trimmed.starts_with('}') {
            return None;
        }
        let consumed = quoted_at + 1 + close + 1 + (tail.len() - tail_trimmed.len()) + 1;
        (Some(default), consumed)
    };
    let var = match name {
        "*" | "?" | "$" if default.is_none() => Variable::Escape(name),
        _ => Variable::Key { name, default },
    };
    Some((var, consumed))
}

enum Resolution<'c> {
    Value(&'c str),
    Absent,
    MultiValued,
    Unknown,
}

fn resolve<'c>(name: &str, ctx: &'c RequestContext) -> Resolution<'c> {
    let key: Cow<'_, str> = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    match ctx.lookup(&key) {
        KeyState::Present(ContextValue::Single(v)) => Resolution::Value(v),
        KeyState::Present(ContextValue::Multi(_)) => Resolution::MultiValued,
        KeyState::Absent => Resolution::Absent,
        KeyState::Unknown | KeyState::PresentValueUnknown => Resolution::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{KeyConstraint, KeyMatcher, Mode};

    const V12: Version = Version::V2012_10_17;

    fn ctx(pairs: &[(&str, &str)]) -> RequestContext {
        let mut c = RequestContext::new();
        for (k, v) in pairs {
            c.set(k, *v);
        }
        c
    }

    fn lit(s: &str) -> OwnedPiece {
        OwnedPiece::Literal(s.into())
    }

    fn pat(s: &str) -> OwnedPiece {
        OwnedPiece::Pattern(s.into())
    }

    #[test]
    fn text_without_variables_is_borrowed_unchanged() {
        let c = ctx(&[]);
        assert_eq!(
            substitute("arn:aws:s3:::b/*", V12, &c),
            Substituted::Unchanged("arn:aws:s3:::b/*")
        );
        assert_eq!(
            substitute("cost $5 {x}", V12, &c),
            Substituted::Unchanged("cost $5 {x}")
        );
    }

    #[test]
    fn version_2008_leaves_variables_as_literal_text() {
        // AWS IAM User Guide, "IAM JSON policy elements: Version".
        let c = ctx(&[("aws:username", "bob")]);
        assert_eq!(
            substitute("home/${aws:username}", Version::V2008_10_17, &c),
            Substituted::Unchanged("home/${aws:username}")
        );
    }

    #[test]
    fn key_names_are_case_insensitive_and_values_literal() {
        let c = ctx(&[("aws:PrincipalTag/Team", "Blue*")]);
        assert_eq!(
            substitute("t/${AWS:principaltag/team}/*", V12, &c),
            Substituted::Resolved(vec![pat("t/"), lit("Blue*"), pat("/*")])
        );
    }

    #[test]
    fn escapes_give_literal_characters() {
        let c = ctx(&[]);
        assert_eq!(
            substitute("a${*}b${?}c${$}", V12, &c),
            Substituted::Resolved(vec![
                pat("a"),
                lit("*"),
                pat("b"),
                lit("?"),
                pat("c"),
                lit("$")
            ])
        );
    }

    #[test]
    fn policy_variables_with_no_value_missing_key_without_default_has_no_value() {
        // AWS IAM User Guide, "Policy variables with no value".
        assert_eq!(
            substitute("${aws:username}", V12, &ctx(&[])),
            Substituted::NoValue
        );
    }

    #[test]
    fn missing_key_uses_default_with_flexible_spacing() {
        let c = ctx(&[]);
        for text in [
            "${aws:PrincipalTag/team, 'company-wide'}",
            "${aws:PrincipalTag/team,'company-wide'}",
            "${ aws:PrincipalTag/team ,  'company-wide' }",
        ] {
            assert_eq!(
                substitute(text, V12, &c),
                Substituted::Resolved(vec![lit("company-wide")]),
                "{text}"
            );
        }
        // The default is only for a missing key.
        let c = ctx(&[("aws:PrincipalTag/team", "red")]);
        assert_eq!(
            substitute("x-${aws:PrincipalTag/team, 'company-wide'}-y", V12, &c),
            Substituted::Resolved(vec![pat("x-"), lit("red"), pat("-y")])
        );
    }

    #[test]
    fn default_may_hold_braces_and_commas() {
        assert_eq!(
            substitute("${k, 'a,}b'}!", V12, &ctx(&[])),
            Substituted::Resolved(vec![lit("a,}b"), pat("!")])
        );
    }

    #[test]
    fn multivalued_key_is_unresolvable_even_with_default() {
        let mut c = RequestContext::new();
        c.insert(
            "aws:PrincipalOrgPaths",
            ContextValue::Multi(vec!["a".into(), "b".into()]),
        );
        assert_eq!(
            substitute("${aws:PrincipalOrgPaths}", V12, &c),
            Substituted::Unresolvable
        );
        assert_eq!(
            substitute("${aws:PrincipalOrgPaths, 'x'}", V12, &c),
            Substituted::Unresolvable
        );
    }

    #[test]
    fn malformed_variable_is_unresolvable() {
        let c = ctx(&[("k", "v")]);
        for text in ["${k", "${}", "${k, default}", "${k, 'd'", "${k, 'd' x}"] {
            assert_eq!(
                substitute(text, V12, &c),
                Substituted::Unresolvable,
                "{text}"
            );
        }
    }

    #[test]
    fn unknown_key_in_discovery_mode_is_unknown() {
        let c = RequestContext::with_mode(Mode::Discovery(Vec::new().into()));
        assert_eq!(substitute("${aws:username}", V12, &c), Substituted::Unknown);
        assert_eq!(
            substitute("${aws:username, 'd'}", V12, &c),
            Substituted::Unknown
        );
    }

    #[test]
    fn no_value_beats_unknown() {
        let c = RequestContext::with_mode(Mode::Discovery(
            vec![KeyConstraint {
                key: KeyMatcher::parse("aws:userid").unwrap(),
                presence_known: true,
                value_known: true,
            }]
            .into(),
        ));
        assert_eq!(
            substitute("${aws:username}/${aws:userid}", V12, &c),
            Substituted::NoValue
        );
    }

    #[test]
    fn flatten_joins_pieces_and_borrows_when_it_can() {
        let c = ctx(&[("aws:username", "bob")]);
        let s = substitute("home/${aws:username}/*", V12, &c);
        assert_eq!(s.flatten().as_deref(), Some("home/bob/*"));
        let s = substitute("${aws:username}", V12, &c);
        assert!(matches!(s.flatten(), Some(Cow::Borrowed("bob"))));
        assert_eq!(Substituted::Unknown.flatten(), None);
    }

    #[test]
    fn substituted_value_may_be_empty() {
        let c = ctx(&[("aws:username", "")]);
        assert_eq!(
            substitute("a${aws:username}b", V12, &c),
            Substituted::Resolved(vec![pat("ab")])
        );
    }
}
