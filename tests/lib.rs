//! End-to-end tests of accessdrift as a whole live beside this file, one per concern
//! (the deployment template, the loop on the AWS emulator); each is a `[[test]]` of
//! this crate. Tests of one crate live next to that crate's code.
//!
//! What the tests share lives here: reading the deployment templates, so an emulator
//! test can deploy what `template.yaml` says (its subscription filter policies) rather
//! than a copy of it.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a template that cannot be read must stop the test loudly"
)]

use std::path::PathBuf;

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Value, json};

/// A file of the repository.
pub fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// A template as JSON, CloudFormation's short-form tags (`!Sub`, `!Ref`, `!GetAtt`...)
/// in their long form (`Fn::Sub`...), so the rest reads plain JSON.
pub fn load_template(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_file(path)).expect("template readable");
    let docs = Yaml::load_from_str(&text).expect("template is YAML");
    assert_eq!(docs.len(), 1, "{path}: one YAML document");
    yaml_to_json(&docs[0])
}

/// One YAML node as JSON, short-form tags in their long form.
pub fn yaml_to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        Yaml::Value(Scalar::Integer(i)) => json!(i),
        Yaml::Value(Scalar::FloatingPoint(f)) => json!(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => Value::String(s.to_string()),
        Yaml::Representation(s, _, _) => Value::String(s.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match yaml_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(tag, inner) => {
            assert_eq!(tag.handle, "!", "unexpected tag {tag:?}");
            let inner = yaml_to_json(inner);
            let name = tag.suffix.as_str();
            match name {
                "Ref" | "Condition" => json!({ name: inner }),
                "GetAtt" => match inner {
                    Value::String(s) => {
                        let (resource, attribute) =
                            s.split_once('.').expect("!GetAtt Resource.Attribute");
                        json!({"Fn::GetAtt": [resource, attribute]})
                    }
                    other => json!({"Fn::GetAtt": other}),
                },
                _ => json!({ format!("Fn::{name}"): inner }),
            }
        }
        other => panic!("unsupported YAML node {other:?}"),
    }
}

/// The filter policy of the SNS subscription `logical` in `template.yaml`, as JSON text,
/// each `!Ref` to a parameter replaced by the parameter's default (what a stack deployed
/// with defaults would hold).
pub fn subscription_filter_policy(logical: &str) -> String {
    let template = load_template("template.yaml");
    let subscription = &template["Resources"][logical];
    assert_eq!(
        subscription["Type"], "AWS::SNS::Subscription",
        "{logical} is not a subscription"
    );
    fn resolve(v: &Value, params: &Value) -> Value {
        match v {
            Value::Object(o) if o.len() == 1 && o.contains_key("Ref") => {
                let name = o["Ref"].as_str().expect("Ref to a name");
                params[name]["Default"].clone()
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), resolve(v, params)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| resolve(v, params)).collect()),
            other => other.clone(),
        }
    }
    resolve(
        &subscription["Properties"]["FilterPolicy"],
        &template["Parameters"],
    )
    .to_string()
}
