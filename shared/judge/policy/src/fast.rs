//! The fast path from JSON text to the model: typed serde structs that borrow from the
//! text, with no intermediate `serde_json::Value` tree.
//!
//! It accepts only well-formed policies and returns `None` for anything else; the caller
//! then runs the `Value`-based parser, which is slower but says exactly what is wrong and
//! where. Both must build the same [`Policy`] for every valid document (tested below and
//! in the property tests).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

use crate::model::*;
use crate::parse::parse_action_pattern;

/// Parses a well-formed policy document; `None` when anything is off.
pub(crate) fn parse_fast(text: &str) -> Option<Policy> {
    let raw: RawPolicy<'_> = serde_json::from_str(text).ok()?;
    let version = match raw.version.as_deref() {
        None => Version::V2008_10_17,
        Some("2012-10-17") => Version::V2012_10_17,
        Some("2008-10-17") => Version::V2008_10_17,
        Some(_) => return None,
    };
    let mut statements = Vec::with_capacity(raw.statement.0.len());
    for (i, st) in raw.statement.0.into_iter().enumerate() {
        statements.push(statement(i + 1, st)?);
    }
    Some(Policy {
        version,
        id: raw.id.map(Cow::into_owned),
        statements,
    })
}

fn statement(index: usize, st: RawStatement<'_>) -> Option<Statement> {
    let effect = match st.effect.as_ref() {
        "Allow" => Effect::Allow,
        "Deny" => Effect::Deny,
        _ => return None,
    };
    let principal = match (st.principal, st.not_principal) {
        (Some(_), Some(_)) => return None,
        (Some(p), None) => Some(PrincipalBlock {
            negated: false,
            principals: p.0,
        }),
        (None, Some(p)) => Some(PrincipalBlock {
            negated: true,
            principals: p.0,
        }),
        (None, None) => None,
    };
    let action = match (st.action, st.not_action) {
        (Some(a), None) => ActionBlock {
            negated: false,
            patterns: a
                .0
                .into_iter()
                .map(|s| parse_action_pattern(s.into_owned()))
                .collect(),
        },
        (None, Some(a)) => ActionBlock {
            negated: true,
            patterns: a
                .0
                .into_iter()
                .map(|s| parse_action_pattern(s.into_owned()))
                .collect(),
        },
        _ => return None,
    };
    let resource = match (st.resource, st.not_resource) {
        (Some(r), None) => Some(ResourceBlock {
            negated: false,
            patterns: r.0.into_iter().map(Cow::into_owned).collect(),
        }),
        (None, Some(r)) => Some(ResourceBlock {
            negated: true,
            patterns: r.0.into_iter().map(Cow::into_owned).collect(),
        }),
        (None, None) => None,
        _ => return None,
    };
    let mut conditions = Vec::new();
    for (op_name, keys) in st.condition.unwrap_or_default() {
        let operator = Operator::parse(&op_name);
        for (key, values) in keys {
            conditions.push(Condition {
                operator: operator.clone(),
                key_lower: key.to_ascii_lowercase(),
                key: key.into_owned(),
                values: values.0,
            });
        }
    }
    Some(Statement {
        index,
        sid: st.sid.map(Cow::into_owned),
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy<'a> {
    #[serde(rename = "Version", borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(rename = "Id", borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(rename = "Statement", borrow)]
    statement: Statements<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement<'a> {
    #[serde(rename = "Sid", borrow, default)]
    sid: Option<Cow<'a, str>>,
    #[serde(rename = "Effect", borrow)]
    effect: Cow<'a, str>,
    #[serde(rename = "Principal", default)]
    principal: Option<RawPrincipals>,
    #[serde(rename = "NotPrincipal", default)]
    not_principal: Option<RawPrincipals>,
    #[serde(rename = "Action", borrow, default)]
    action: Option<StrList<'a>>,
    #[serde(rename = "NotAction", borrow, default)]
    not_action: Option<StrList<'a>>,
    #[serde(rename = "Resource", borrow, default)]
    resource: Option<StrList<'a>>,
    #[serde(rename = "NotResource", borrow, default)]
    not_resource: Option<StrList<'a>>,
    // BTreeMaps give the same clause order as the `Value` path (serde_json's sorted map).
    #[serde(rename = "Condition", borrow, default)]
    condition: Option<RawConditions<'a>>,
}

/// Operator -> key -> values.
type RawConditions<'a> = BTreeMap<Cow<'a, str>, BTreeMap<Cow<'a, str>, ScalarList>>;

/// One statement object or a list of them.
struct Statements<'a>(Vec<RawStatement<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Statements<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Statements<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a statement or a list of statements")
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                RawStatement::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|s| Statements(vec![s]))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(s) = seq.next_element()? {
                    out.push(s);
                }
                Ok(Statements(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A string or a list of strings, borrowed where the text has no escapes.
struct StrList<'a>(Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for StrList<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = StrList<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StrList(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StrList(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(StrList(vec![Cow::Owned(v)]))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(s) = seq.next_element::<BorrowedOrOwned<'a>>()? {
                    out.push(s.0);
                }
                Ok(StrList(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

struct BorrowedOrOwned<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for BorrowedOrOwned<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = BorrowedOrOwned<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedOrOwned(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BorrowedOrOwned(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(BorrowedOrOwned(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// Condition values: scalars (string, boolean, number) or a list of them, as text.
struct ScalarList(Vec<String>);

impl<'de> Deserialize<'de> for ScalarList {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScalarList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a condition value or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ScalarList(vec![v.to_string()]))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(ScalarList(vec![v.to_string()]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ScalarList(vec![v.to_string()]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ScalarList(vec![v.to_string()]))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // Same text as serde_json::Number's Display in the Value path.
                Ok(ScalarList(vec![
                    serde_json::Number::from_f64(v)
                        .map_or_else(|| v.to_string(), |n| n.to_string()),
                ]))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(2));
                while let Some(v) = seq.next_element::<Scalar>()? {
                    out.push(v.0);
                }
                Ok(ScalarList(out))
            }
        }
        d.deserialize_any(V)
    }
}

struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar(
                    serde_json::Number::from_f64(v)
                        .map_or_else(|| v.to_string(), |n| n.to_string()),
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// `"*"`, a bare ARN (read as `{"AWS": ...}`), or a map of principal types to lists.
struct RawPrincipals(Principals);

impl<'de> Deserialize<'de> for RawPrincipals {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawPrincipals;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"*\" or a principal map")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawPrincipals(if v == "*" {
                    Principals::Any
                } else {
                    Principals::Map(PrincipalMap {
                        aws: vec![v.to_string()],
                        ..PrincipalMap::default()
                    })
                }))
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut out = PrincipalMap::default();
                while let Some(kind) = map.next_key::<BorrowedOrOwned<'de>>()? {
                    let list = map
                        .next_value::<StrList<'de>>()?
                        .0
                        .into_iter()
                        .map(Cow::into_owned);
                    match kind.0.as_ref() {
                        "AWS" => out.aws.extend(list),
                        "Service" => out.service.extend(list),
                        "Federated" => out.federated.extend(list),
                        "CanonicalUser" => out.canonical_user.extend(list),
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown principal type `{other}`"
                            )));
                        }
                    }
                }
                Ok(RawPrincipals(Principals::Map(out)))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_policy_value;

    fn both(text: &str) -> (Option<Policy>, Policy) {
        let slow = parse_policy_value(&serde_json::from_str(text).unwrap()).unwrap();
        (parse_fast(text), slow)
    }

    #[test]
    fn fast_and_slow_paths_agree() {
        for text in [
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            r#"{"Statement":[{"Sid":"A","Effect":"Deny","NotAction":["iam:*","s3:Get*"],"NotResource":"arn:aws:s3:::b/\u002a",
                "Condition":{"StringEquals":{"aws:PrincipalTag/Team":["a","b"]},"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":10.5}}}]}"#,
            r#"{"Version":"2012-10-17","Id":"x","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},
                {"Effect":"Allow","NotPrincipal":{"AWS":["111111111111"],"Service":"s3.amazonaws.com"},"Action":"sqs:*","Resource":["a","b"]},
                {"Effect":"Allow","Principal":"arn:aws:iam::111111111111:root","Action":"sts:AssumeRole"}]}"#,
        ] {
            let (fast, slow) = both(text);
            assert_eq!(fast.as_ref(), Some(&slow), "{text}");
        }
    }

    #[test]
    fn fast_path_declines_what_it_cannot_vouch_for() {
        for text in [
            r#"{"Statement":{"Effect":"allow","Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Conditions":{}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*"}}"#,
            r#"{"Version":"2013-01-01","Statement":[]}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Principal":{"Nobody":"x"}}}"#,
        ] {
            assert!(parse_fast(text).is_none(), "{text}");
        }
    }
}
