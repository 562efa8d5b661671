//! The snapshot's JSON as serde shapes that borrow from the input text.
//!
//! What it is for: one pass of typed deserialization per nesting level, no
//! `serde_json::Value` tree for the bulky parts (principals, roles, resources, policy
//! documents), so a 100 MB snapshot reads in about a second. Policy documents stay
//! [`RawValue`]s here and are parsed once, later, by the policy crate.
//!
//! Key design choice: nothing in here fails for valid JSON. Every list element and every
//! field that could have the wrong type is wrapped in [`Lenient`] (or [`LenientList`]),
//! which keeps the reason instead of failing the whole document, so one bad entry
//! becomes one `Problem` and the rest of the snapshot is still read.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON string, borrowed from the input when it has no escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        deserializer.deserialize_str(TextVisitor).map(Text)
    }
}

/// A value that is kept even when it has the wrong shape: `Bad` holds the reason
/// (serde's message without its line/column, which would point into a fragment).
#[derive(Debug)]
pub(crate) enum Lenient<T> {
    /// The value read as `T`.
    Ok(T),
    /// Why it could not be read as `T`.
    Bad(String),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // INVARIANT: the snapshot is always read with `serde_json::from_str`, whose
        // deserializer can lend `RawValue`s from the input text.
        let raw = <&'de RawValue>::deserialize(deserializer)?;
        Ok(match serde_json::from_str::<T>(raw.get()) {
            Ok(value) => Lenient::Ok(value),
            Err(e) => Lenient::Bad(serde_message(&e)),
        })
    }
}

/// A JSON list whose elements are each [`Lenient`]; `Wrong` names the JSON type found
/// when the value is not a list at all.
#[derive(Debug)]
pub(crate) enum LenientList<T> {
    /// The elements, in order.
    List(Vec<Lenient<T>>),
    /// The value was not a list: its JSON type (`an object`, `a string`...).
    Wrong(&'static str),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LenientList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = LenientList<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element::<Lenient<T>>()? {
                    items.push(item);
                }
                Ok(LenientList::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientList::Wrong("an object"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LenientList::Wrong("a string"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientList::Wrong("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LenientList::Wrong("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LenientList::Wrong("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LenientList::Wrong("a number"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LenientList::Wrong("null"))
            }
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// serde_json's message without the trailing ` at line L column C`.
pub(crate) fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(stripped) => stripped.to_string(),
        None => text,
    }
}

/// The snapshot's top level. The four `get-account-authorization-details` lists are
/// here too, for the bare form (a GAAD document given instead of a snapshot).
#[derive(Deserialize)]
pub(crate) struct TopLevel<'a> {
    #[serde(rename = "accountId")]
    pub(crate) account_id: Option<Value>,
    #[serde(rename = "authorizationDetails", borrow)]
    pub(crate) authorization_details: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) resources: Option<LenientList<RawResource<'a>>>,
    #[serde(rename = "accountSettings")]
    pub(crate) account_settings: Option<Value>,
    pub(crate) organization: Option<Value>,
    #[serde(rename = "UserDetailList", borrow)]
    pub(crate) user_detail_list: Option<LenientList<RawEntity<'a>>>,
    #[serde(rename = "GroupDetailList", borrow)]
    pub(crate) group_detail_list: Option<LenientList<RawEntity<'a>>>,
    #[serde(rename = "RoleDetailList", borrow)]
    pub(crate) role_detail_list: Option<LenientList<RawEntity<'a>>>,
    #[serde(rename = "Policies", borrow)]
    pub(crate) policies: Option<LenientList<RawManaged<'a>>>,
}

impl<'a> TopLevel<'a> {
    /// Moves the top-level authorization-details lists out (the bare form). Not done
    /// with `#[serde(flatten)]`, which buffers the whole document and cannot lend
    /// `RawValue`s.
    pub(crate) fn take_gaad(&mut self) -> RawGaad<'a> {
        RawGaad {
            user_detail_list: self.user_detail_list.take(),
            group_detail_list: self.group_detail_list.take(),
            role_detail_list: self.role_detail_list.take(),
            policies: self.policies.take(),
        }
    }
}

/// The output of `aws iam get-account-authorization-details`, all pages merged.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
#[serde(expecting = "the output of `get-account-authorization-details` (an object)")]
pub(crate) struct RawGaad<'a> {
    #[serde(borrow)]
    pub(crate) user_detail_list: Option<LenientList<RawEntity<'a>>>,
    #[serde(borrow)]
    pub(crate) group_detail_list: Option<LenientList<RawEntity<'a>>>,
    #[serde(borrow)]
    pub(crate) role_detail_list: Option<LenientList<RawEntity<'a>>>,
    #[serde(borrow)]
    pub(crate) policies: Option<LenientList<RawManaged<'a>>>,
}

impl RawGaad<'_> {
    /// The name of the first of the four lists that is present.
    pub(crate) fn first_present(&self) -> Option<&'static str> {
        [
            (self.user_detail_list.is_some(), "UserDetailList"),
            (self.group_detail_list.is_some(), "GroupDetailList"),
            (self.role_detail_list.is_some(), "RoleDetailList"),
            (self.policies.is_some(), "Policies"),
        ]
        .into_iter()
        .find_map(|(present, name)| present.then_some(name))
    }
}

/// A user, group or role entry. One shape for the three: their fields differ only by
/// the entity word (`UserName`/`GroupName`/`RoleName`, `UserPolicyList`/...).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[serde(expecting = "an IAM user, group or role (an object)")]
pub(crate) struct RawEntity<'a> {
    #[serde(borrow)]
    pub(crate) arn: Option<Lenient<Text<'a>>>,
    #[serde(rename = "UserName", alias = "GroupName", alias = "RoleName", borrow)]
    pub(crate) name: Option<Lenient<Text<'a>>>,
    #[serde(rename = "UserId", alias = "GroupId", alias = "RoleId", borrow)]
    pub(crate) id: Option<Lenient<Text<'a>>>,
    #[serde(borrow)]
    pub(crate) path: Option<Lenient<Text<'a>>>,
    #[serde(borrow)]
    pub(crate) group_list: Option<LenientList<Text<'a>>>,
    #[serde(
        rename = "UserPolicyList",
        alias = "GroupPolicyList",
        alias = "RolePolicyList",
        borrow
    )]
    pub(crate) inline_policies: Option<LenientList<RawInline<'a>>>,
    #[serde(borrow)]
    pub(crate) attached_managed_policies: Option<LenientList<RawAttached<'a>>>,
    #[serde(borrow)]
    pub(crate) permissions_boundary: Option<Lenient<RawBoundary<'a>>>,
    #[serde(borrow)]
    pub(crate) assume_role_policy_document: Option<&'a RawValue>,
    pub(crate) tags: Option<Value>,
}

/// An inline policy entry.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[serde(expecting = "an inline policy entry (an object with `PolicyName` and `PolicyDocument`)")]
pub(crate) struct RawInline<'a> {
    #[serde(borrow)]
    pub(crate) policy_name: Option<Lenient<Text<'a>>>,
    #[serde(borrow)]
    pub(crate) policy_document: Option<&'a RawValue>,
}

/// An `AttachedManagedPolicies` entry.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[serde(expecting = "an attached policy entry (an object with `PolicyArn`)")]
pub(crate) struct RawAttached<'a> {
    #[serde(borrow)]
    pub(crate) policy_arn: Option<Lenient<Text<'a>>>,
}

/// A `PermissionsBoundary` value.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[serde(expecting = "a permissions boundary (an object with `PermissionsBoundaryArn`)")]
pub(crate) struct RawBoundary<'a> {
    #[serde(borrow)]
    pub(crate) permissions_boundary_arn: Option<Lenient<Text<'a>>>,
}

/// A `Policies` entry (a managed policy with its versions).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[serde(expecting = "a managed policy entry (an object with `Arn` and `PolicyVersionList`)")]
pub(crate) struct RawManaged<'a> {
    #[serde(borrow)]
    pub(crate) arn: Option<Lenient<Text<'a>>>,
    #[serde(borrow)]
    pub(crate) default_version_id: Option<Lenient<Text<'a>>>,
    #[serde(borrow)]
    pub(crate) policy_version_list: Option<LenientList<RawVersion<'a>>>,
}

/// A `PolicyVersionList` entry.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[serde(
    expecting = "a policy version (an object with `Document`, `VersionId`, `IsDefaultVersion`)"
)]
pub(crate) struct RawVersion<'a> {
    #[serde(borrow)]
    pub(crate) document: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) version_id: Option<Lenient<Text<'a>>>,
    pub(crate) is_default_version: Option<Lenient<bool>>,
}

/// A `resources` entry.
#[derive(Deserialize)]
#[serde(expecting = "a resource (an object with `arn`, `type`, `policy`, `tags`, `settings`)")]
pub(crate) struct RawResource<'a> {
    #[serde(borrow)]
    pub(crate) arn: Option<Lenient<Text<'a>>>,
    #[serde(rename = "type", borrow)]
    pub(crate) type_name: Option<Lenient<Text<'a>>>,
    #[serde(borrow)]
    pub(crate) policy: Option<&'a RawValue>,
    pub(crate) tags: Option<Value>,
    pub(crate) settings: Option<Value>,
    /// Why the producer could not read the resource (the collector's could-not-evaluate).
    pub(crate) error: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_borrows_when_it_can() {
        let t: Text<'_> = serde_json::from_str(r#""plain""#).unwrap();
        assert!(matches!(t.0, Cow::Borrowed("plain")));
        let t: Text<'_> = serde_json::from_str(r#""a\"b""#).unwrap();
        assert_eq!(t.0, "a\"b");
    }

    #[test]
    fn lenient_keeps_the_reason_without_position() {
        let v: Vec<Lenient<Text<'_>>> = serde_json::from_str(r#"["a", 5, {"x": 1}]"#).unwrap();
        assert!(matches!(&v[0], Lenient::Ok(t) if t.0 == "a"));
        let Lenient::Bad(reason) = &v[1] else {
            panic!("expected a reason")
        };
        assert_eq!(reason, "invalid type: integer `5`, expected a string");
        assert!(matches!(&v[2], Lenient::Bad(_)));
    }

    #[test]
    fn lenient_list_names_what_it_found() {
        for (text, found) in [
            (r#"{"a": [1, 2]}"#, "an object"),
            (r#""x""#, "a string"),
            ("true", "a boolean"),
            ("-1", "a number"),
            ("1.5", "a number"),
        ] {
            let list: LenientList<Text<'_>> = serde_json::from_str(text).unwrap();
            assert!(
                matches!(list, LenientList::Wrong(f) if f == found),
                "{text}"
            );
        }
        let list: Option<LenientList<Text<'_>>> = serde_json::from_str("null").unwrap();
        assert!(list.is_none());
    }
}
