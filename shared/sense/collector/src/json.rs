//! AWS-shaped JSON built from SDK answers: what the collector puts into the snapshot
//! document's IAM entries and Organization policies.

use serde_json::Value;

/// A policy document as AWS returned it, kept as the parsed JSON object when it is
/// JSON, and as the text otherwise (URL-encoded, or broken: the reader decides).
pub(crate) fn document(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::String(text.to_string()),
    }
}

/// The object without its `null` members (AWS leaves unset fields out).
pub(crate) fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}
