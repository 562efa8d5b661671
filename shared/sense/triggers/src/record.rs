//! The EventBridge envelope and the CloudTrail record, as our own lenient types.
//!
//! Unknown fields are ignored; a field of an unexpected type reads as absent (never an
//! error), so one odd field cannot turn a known event into an unreadable one. The
//! request and response objects stay JSON: their shape differs per call, and
//! [`Params`] reads them by name.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string, or absent when the JSON value is not a string.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        _ => None,
    })
}

/// A boolean, from `true`/`false` or the strings `"true"`/`"false"`.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

/// The EventBridge event around a CloudTrail record.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Envelope {
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: Option<String>,
    #[serde(default, rename = "detail-type", deserialize_with = "lenient_string")]
    pub detail_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub source: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub account: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub region: Option<String>,
    #[serde(default)]
    pub detail: Option<Value>,
}

impl Envelope {
    /// Reads an envelope; anything unreadable reads as empty.
    pub fn read(value: &Value) -> Envelope {
        Envelope::deserialize(value).unwrap_or_default()
    }
}

/// A CloudTrail record (the `detail` of the EventBridge event).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Record {
    #[serde(default, rename = "eventID", deserialize_with = "lenient_string")]
    pub event_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub event_source: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub event_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub aws_region: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub error_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub read_only: Option<bool>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub recipient_account_id: Option<String>,
    #[serde(default)]
    pub user_identity: Params,
    #[serde(default)]
    pub request_parameters: Params,
    #[serde(default)]
    pub response_elements: Params,
    #[serde(default)]
    pub resources: Option<Value>,
}

impl Record {
    /// Reads a record; anything unreadable reads as empty.
    pub fn read(value: &Value) -> Record {
        Record::deserialize(value).unwrap_or_default()
    }

    /// `userIdentity.accountId`.
    pub fn user_identity_account(&self) -> Option<String> {
        self.user_identity.str("accountId").map(str::to_string)
    }

    /// The ARN of the first entry of `resources` of this type (CloudTrail spells the
    /// fields `ARN` and `type`).
    pub fn resource_arn(&self, kind: &str) -> Option<&str> {
        self.resources
            .as_ref()?
            .as_array()?
            .iter()
            .filter(|r| field(r, "type").and_then(Value::as_str) == Some(kind))
            .find_map(|r| {
                field(r, "ARN")
                    .and_then(Value::as_str)
                    .filter(|a| a.starts_with("arn:"))
            })
    }
}

/// A JSON object read by field name: `requestParameters`, `responseElements`.
///
/// Names are matched exactly first, then ignoring ASCII case: services spell the same
/// field `arn`, `aRN` or `ARN`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(transparent)]
pub(crate) struct Params(pub Value);

/// A field of a JSON object, by exact name, else ignoring ASCII case.
fn field<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

impl Params {
    /// A non-empty string field.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.path(&[name])
    }

    /// A boolean field (`true` or `"true"`).
    pub fn bool(&self, name: &str) -> Option<bool> {
        match field(&self.0, name)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// A non-empty string at a path of object fields.
    pub fn path(&self, path: &[&str]) -> Option<&str> {
        path.iter()
            .try_fold(&self.0, |at, name| field(at, name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
}
