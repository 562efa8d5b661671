//! From JSON text or a `serde_json::Value` to the typed model, accepting every shape AWS
//! accepts and naming the statement and field of anything it does not.
//!
//! Shapes accepted (AWS IAM User Guide, "IAM JSON policy element reference" and
//! "Grammar of the IAM JSON policy language"): `Statement` as one object or a list;
//! string or list for `Action`, `Resource`, principal values and condition values;
//! `"Principal": "*"`; booleans and numbers as condition values; URL-encoded document
//! text, as `GetAccountAuthorizationDetails` returns it.
//!
//! Rejected with a [`PolicyError`]: unknown statement elements (a misspelt `Condition`
//! silently ignored would widen a grant), `Action` together with `NotAction`, an `Effect`
//! other than `Allow`/`Deny`, values of the wrong JSON type.

use serde_json::{Map, Value};

use crate::error::PolicyError;
use crate::model::*;

/// Parses policy text: JSON, or URL-encoded JSON (`%7B%22Version%22...`).
pub fn parse_policy_text(text: &str) -> Result<Policy, PolicyError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if let Some(policy) = crate::fast::parse_fast(trimmed) {
            return Ok(policy);
        }
        // Slow path: builds a `Value` to say precisely what is wrong.
        let value: Value =
            serde_json::from_str(trimmed).map_err(|e| PolicyError::Json(e.to_string()))?;
        parse_policy_value(&value)
    } else if trimmed.starts_with('%') {
        let decoded = decode_url_encoded(trimmed)?;
        let value: Value =
            serde_json::from_str(&decoded).map_err(|e| PolicyError::Json(e.to_string()))?;
        parse_policy_value(&value)
    } else {
        Err(PolicyError::Json(
            "expected a JSON object or URL-encoded JSON text".to_string(),
        ))
    }
}

/// Decodes `%XX` escapes. `+` stays `+`: AWS encodes a literal plus as `%2B`, so reading
/// `+` as a space would corrupt policies.
pub fn decode_url_encoded(text: &str) -> Result<String, PolicyError> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| PolicyError::Encoding)
}

/// Parses a policy given as a JSON value: an object, or a string holding JSON or
/// URL-encoded JSON (the two forms `GetAccountAuthorizationDetails` uses).
pub fn parse_policy_value(value: &Value) -> Result<Policy, PolicyError> {
    match value {
        Value::Object(map) => parse_policy_object(map),
        Value::String(text) => parse_policy_text(text),
        other => Err(PolicyError::Document {
            field: "policy",
            problem: format!("must be a JSON object, not {}", json_type(other)),
        }),
    }
}

fn parse_policy_object(map: &Map<String, Value>) -> Result<Policy, PolicyError> {
    let version = match map.get("Version") {
        None => Version::V2008_10_17,
        Some(Value::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
        Some(Value::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
        Some(other) => {
            return Err(PolicyError::Document {
                field: "Version",
                problem: format!(
                    "must be \"2012-10-17\" or \"2008-10-17\", not {}",
                    short(other)
                ),
            });
        }
    };
    let id = match map.get("Id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(PolicyError::Document {
                field: "Id",
                problem: format!("must be a string, not {}", json_type(other)),
            });
        }
    };
    for key in map.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(PolicyError::Document {
                field: "policy",
                problem: format!("has an unknown element `{key}`"),
            });
        }
    }
    let raw_statements: Vec<&Value> = match map.get("Statement") {
        None => {
            return Err(PolicyError::Document {
                field: "Statement",
                problem: "is missing".to_string(),
            });
        }
        Some(Value::Array(items)) => items.iter().collect(),
        Some(obj @ Value::Object(_)) => vec![obj],
        Some(other) => {
            return Err(PolicyError::Document {
                field: "Statement",
                problem: format!(
                    "must be an object or a list of objects, not {}",
                    json_type(other)
                ),
            });
        }
    };
    let statements = raw_statements
        .into_iter()
        .enumerate()
        .map(|(i, v)| parse_statement(i + 1, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy {
        version,
        id,
        statements,
    })
}

fn parse_statement(index: usize, value: &Value) -> Result<Statement, PolicyError> {
    let err = |field: &'static str, problem: String| PolicyError::Statement {
        statement: index,
        field,
        problem,
    };
    let Value::Object(map) = value else {
        return Err(err(
            "Statement",
            format!("must be an object, not {}", json_type(value)),
        ));
    };
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(err("Statement", format!("has an unknown element `{key}`")));
        }
    }
    let sid = match map.get("Sid") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(err(
                "Sid",
                format!("must be a string, not {}", json_type(other)),
            ));
        }
    };
    let effect = match map.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        None => return Err(err("Effect", "is missing".to_string())),
        Some(other) => {
            return Err(err(
                "Effect",
                format!("must be \"Allow\" or \"Deny\", not {}", short(other)),
            ));
        }
    };
    let principal = match (map.get("Principal"), map.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(err(
                "Principal",
                "and `NotPrincipal` cannot both be present".to_string(),
            ));
        }
        (Some(v), None) => Some(PrincipalBlock {
            negated: false,
            principals: parse_principals(v).map_err(|p| err("Principal", p))?,
        }),
        (None, Some(v)) => Some(PrincipalBlock {
            negated: true,
            principals: parse_principals(v).map_err(|p| err("NotPrincipal", p))?,
        }),
        (None, None) => None,
    };
    let action = match (map.get("Action"), map.get("NotAction")) {
        (Some(_), Some(_)) => {
            return Err(err(
                "Action",
                "and `NotAction` cannot both be present".to_string(),
            ));
        }
        (Some(v), None) => ActionBlock {
            negated: false,
            patterns: string_list(v)
                .map_err(|p| err("Action", p))?
                .into_iter()
                .map(parse_action_pattern)
                .collect(),
        },
        (None, Some(v)) => ActionBlock {
            negated: true,
            patterns: string_list(v)
                .map_err(|p| err("NotAction", p))?
                .into_iter()
                .map(parse_action_pattern)
                .collect(),
        },
        (None, None) => {
            return Err(err(
                "Action",
                "is missing (a statement needs `Action` or `NotAction`)".to_string(),
            ));
        }
    };
    let resource = match (map.get("Resource"), map.get("NotResource")) {
        (Some(_), Some(_)) => {
            return Err(err(
                "Resource",
                "and `NotResource` cannot both be present".to_string(),
            ));
        }
        (Some(v), None) => Some(ResourceBlock {
            negated: false,
            patterns: string_list(v).map_err(|p| err("Resource", p))?,
        }),
        (None, Some(v)) => Some(ResourceBlock {
            negated: true,
            patterns: string_list(v).map_err(|p| err("NotResource", p))?,
        }),
        (None, None) => None,
    };
    let conditions = match map.get("Condition") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => parse_conditions(v).map_err(|p| err("Condition", p))?,
    };
    Ok(Statement {
        index,
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

/// Decodes one `Action` entry. A pattern must be `*` or `service:name` with a service
/// prefix free of wildcards and whitespace; anything else never matches.
pub fn parse_action_pattern(raw: String) -> ActionPattern {
    let kind = if raw == "*" {
        ActionPatternKind::All
    } else {
        match raw.split_once(':') {
            Some((service, name))
                if !service.is_empty()
                    && !name.is_empty()
                    && !raw.chars().any(|c| c.is_whitespace() || c == ',')
                    && !service.contains(['*', '?'])
                    && !name.contains(':') =>
            {
                ActionPatternKind::Service {
                    colon: service.len(),
                }
            }
            _ => ActionPatternKind::Malformed,
        }
    };
    ActionPattern { raw, kind }
}

fn parse_principals(value: &Value) -> Result<Principals, String> {
    match value {
        Value::String(s) if s == "*" => Ok(Principals::Any),
        Value::Object(map) => {
            let mut out = PrincipalMap::default();
            for (kind, v) in map {
                let list = string_list(v).map_err(|p| format!("`{kind}` {p}"))?;
                match kind.as_str() {
                    "AWS" => out.aws.extend(list),
                    "Service" => out.service.extend(list),
                    "Federated" => out.federated.extend(list),
                    "CanonicalUser" => out.canonical_user.extend(list),
                    other => {
                        return Err(format!(
                            "has an unknown principal type `{other}` (expected AWS, Service, Federated or CanonicalUser)"
                        ));
                    }
                }
            }
            Ok(Principals::Map(out))
        }
        // A bare ARN or account id is read as `{"AWS": ...}`, as AWS's own parser does.
        Value::String(s) => Ok(Principals::Map(PrincipalMap {
            aws: vec![s.clone()],
            ..PrincipalMap::default()
        })),
        other => Err(format!(
            "must be \"*\" or an object, not {}",
            json_type(other)
        )),
    }
}

fn parse_conditions(value: &Value) -> Result<Vec<Condition>, String> {
    let Value::Object(ops) = value else {
        return Err(format!("must be an object, not {}", json_type(value)));
    };
    let mut out = Vec::new();
    for (op_name, clauses) in ops {
        let operator = Operator::parse(op_name);
        let Value::Object(keys) = clauses else {
            return Err(format!(
                "operator `{op_name}` must map to an object of keys, not {}",
                json_type(clauses)
            ));
        };
        for (key, values) in keys {
            let values =
                condition_values(values).map_err(|p| format!("`{op_name}` / `{key}` {p}"))?;
            out.push(Condition {
                operator: operator.clone(),
                key: key.clone(),
                key_lower: key.to_ascii_lowercase(),
                values,
            });
        }
    }
    Ok(out)
}

fn condition_values(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::Array(items) => items.iter().map(scalar_text).collect(),
        other => Ok(vec![scalar_text(other)?]),
    }
}

/// Condition values may be strings, booleans or numbers; all compare as text
/// (`"Bool": {"aws:SecureTransport": true}` equals `"true"`).
fn scalar_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "values must be strings, numbers or booleans, not {}",
            json_type(other)
        )),
    }
}

fn string_list(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "must hold strings only, found {}",
                    json_type(other)
                )),
            })
            .collect(),
        other => Err(format!(
            "must be a string or a list of strings, not {}",
            json_type(other)
        )),
    }
}

/// `a string`, `an object`... for error messages about JSON input.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value rendered for an error message, cut to about 40 characters.
pub fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 40 {
        format!("{}...", &text[..text.floor_char_boundary(40)])
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_statement_object_and_string_values() {
        let p = parse_policy_value(&json!({
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
        }))
        .unwrap();
        assert_eq!(p.version, Version::V2012_10_17);
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].index, 1);
        let pattern = &p.statements[0].action.patterns[0];
        assert_eq!(pattern.service(), Some("s3"));
        assert_eq!(pattern.name(), Some("GetObject"));
    }

    #[test]
    fn absent_version_means_2008_and_no_variables() {
        let p = parse_policy_value(&json!({"Statement": []})).unwrap();
        assert_eq!(p.version, Version::V2008_10_17);
        assert!(!p.version.supports_variables());
    }

    #[test]
    fn url_encoded_document_as_gaad_returns_it() {
        let text = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGet%2A%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aa%2Bb%2F%2A%22%7D%5D%7D";
        let p = parse_policy_value(&Value::String(text.into())).unwrap();
        let st = &p.statements[0];
        assert_eq!(st.action.patterns[0].raw, "s3:Get*");
        assert_eq!(
            st.resource.as_ref().unwrap().patterns[0],
            "arn:aws:s3:::a+b/*"
        );
    }

    #[test]
    fn principal_shapes() {
        let p = parse_policy_value(&json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*"},
            {"Effect": "Allow", "Principal": {"AWS": "111111111111", "Service": ["s3.amazonaws.com"]}, "Action": "*"},
            {"Effect": "Deny", "NotPrincipal": {"CanonicalUser": "abc", "Federated": "cognito-identity.amazonaws.com"}, "Action": "*"}
        ]}))
        .unwrap();
        assert_eq!(
            p.statements[0].principal.as_ref().unwrap().principals,
            Principals::Any
        );
        let Principals::Map(m) = &p.statements[1].principal.as_ref().unwrap().principals else {
            panic!("expected a map")
        };
        assert_eq!(m.aws, vec!["111111111111"]);
        assert_eq!(m.service, vec!["s3.amazonaws.com"]);
        assert!(p.statements[2].principal.as_ref().unwrap().negated);
    }

    #[test]
    fn condition_values_of_every_json_scalar() {
        let p = parse_policy_value(&json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": true}, "NumericLessThan": {"s3:max-keys": [10, "20"]}}}]}))
        .unwrap();
        let c = &p.statements[0].conditions;
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].values, vec!["true"]);
        assert_eq!(c[1].values, vec!["10", "20"]);
        assert_eq!(c[0].key_lower, "aws:securetransport");
    }

    #[test]
    fn malformed_actions_never_match_anything() {
        for raw in [
            "s3",
            "s3 :GetObject",
            "*:GetObject",
            "s3:",
            ":x",
            "s3:Get,Put",
        ] {
            assert_eq!(
                parse_action_pattern(raw.to_string()).kind,
                ActionPatternKind::Malformed,
                "{raw}"
            );
        }
    }

    #[test]
    fn errors_name_statement_and_field() {
        let e = parse_policy_value(&json!({"Statement": [
            {"Effect": "Allow", "Action": "*"},
            {"Effect": "allow", "Action": "*"}
        ]}))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "statement 2: `Effect` must be \"Allow\" or \"Deny\", not \"allow\""
        );
        let e = parse_policy_value(
            &json!({"Statement": {"Effect": "Allow", "Action": "*", "Conditions": {}}}),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("unknown element `Conditions`"),
            "{e}"
        );
        let e = parse_policy_value(
            &json!({"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "*"}}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("statement 1: `Action`"), "{e}");
        let e = parse_policy_text("{not json").unwrap_err();
        assert!(matches!(e, PolicyError::Json(_)));
        let e = parse_policy_value(&json!({"Version": "2013-01-01", "Statement": []})).unwrap_err();
        assert!(e.to_string().contains("Version"), "{e}");
    }
}
