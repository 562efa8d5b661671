//! The deployment templates agree with the code, and grant no more than they should.
//!
//! - `template.yaml`'s tables have exactly the key schemas and indexes the adapters use
//!   (`accessdrift_aws::findings_table()`, `desired_table()`);
//! - its EventBridge rules (and the forwarding rules of `infra/event-forwarding.yaml`) match
//!   exactly `accessdrift_triggers::event_patterns()`;
//! - every function is built the same way (Rust on `provided.al2023`, arm64, cargo-lambda,
//!   JSON logs) from a binary of its own, with the configuration the functions read;
//! - least privilege, measured by the effective-access engine itself: an account snapshot
//!   built from the template's own roles and policies (intrinsic functions resolved for a
//!   test account), plus other teams' resources, shows no data-plane access (read, write
//!   or delete data) for any function outside the detector's own resources; the member
//!   accounts' read role shows none at all.
//!
//! The templates are read with saphyr, which keeps CloudFormation's short-form tags
//! (`!Sub`, `!Ref`, `!GetAtt`, ...); they are turned into the long form (`Fn::Sub`, ...)
//! so the rest reads plain JSON.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::collections::{BTreeMap, BTreeSet};

use accessdrift_access::{Line, effective_access};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------------
// Reading templates
// ---------------------------------------------------------------------------------------

/// A template as JSON, short-form tags in their long form (see `accessdrift_tests`).
fn load(path: &str) -> Value {
    accessdrift_tests::load_template(path)
}

// ---------------------------------------------------------------------------------------
// Resolving intrinsic functions for a test deployment
// ---------------------------------------------------------------------------------------

const ACCOUNT: &str = "111111111111";
const MEMBER: &str = "222222222222";
const REGION: &str = "us-east-1";
const STACK: &str = "accessdrift";

/// A deployment of a template: parameter values, pseudo parameters and the physical ids
/// CloudFormation would give its resources.
struct Deployment<'t> {
    template: &'t Value,
    account: &'static str,
    params: BTreeMap<String, String>,
}

/// What `!Ref AWS::NoValue` resolves to: removed from its parent.
const NO_VALUE: &str = "\u{0}no-value";

impl<'t> Deployment<'t> {
    fn new(template: &'t Value, account: &'static str, overrides: &[(&str, &str)]) -> Self {
        let mut params = BTreeMap::new();
        if let Some(p) = template["Parameters"].as_object() {
            for (name, spec) in p {
                let default = match &spec["Default"] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                params.insert(name.clone(), default);
            }
        }
        for (k, v) in overrides {
            assert!(params.contains_key(*k), "no parameter {k}");
            params.insert((*k).to_string(), (*v).to_string());
        }
        Deployment {
            template,
            account,
            params,
        }
    }

    fn resource(&self, logical: &str) -> &Value {
        let r = &self.template["Resources"][logical];
        assert!(r.is_object(), "no resource {logical}");
        r
    }

    /// The physical name CloudFormation would give (explicit name properties resolved).
    fn name_of(&self, logical: &str) -> String {
        let r = self.resource(logical);
        let props = &r["Properties"];
        let explicit = [
            "TableName",
            "LogGroupName",
            "RoleName",
            "QueueName",
            "TopicName",
        ]
        .iter()
        .find_map(|p| props.get(*p))
        .map(|v| self.string(v));
        explicit.unwrap_or_else(|| {
            let generated = format!("{STACK}-{logical}-TESTSUFFIX");
            if r["Type"] == "AWS::S3::Bucket" {
                generated.to_lowercase()
            } else {
                generated
            }
        })
    }

    fn reference(&self, name: &str) -> Value {
        match name {
            "AWS::AccountId" => return json!(self.account),
            "AWS::Region" => return json!(REGION),
            "AWS::Partition" => return json!("aws"),
            "AWS::StackName" => return json!(STACK),
            "AWS::URLSuffix" => return json!("amazonaws.com"),
            "AWS::NoValue" => return json!(NO_VALUE),
            _ => {}
        }
        if let Some(v) = self.params.get(name) {
            return json!(v);
        }
        let kind = self.resource(name)["Type"].as_str().unwrap_or_default();
        let n = self.name_of(name);
        json!(match kind {
            "AWS::SQS::Queue" => format!("https://sqs.{REGION}.amazonaws.com/{}/{n}", self.account),
            "AWS::SNS::Topic" | "AWS::IAM::ManagedPolicy" => self.attribute(name, "Arn"),
            "AWS::KMS::Key" => format!("key-{}", name.to_lowercase()),
            _ => n,
        })
    }

    fn attribute(&self, logical: &str, attribute: &str) -> String {
        let r = self.resource(logical);
        let kind = r["Type"].as_str().unwrap_or_default();
        let n = self.name_of(logical);
        let (a, region) = (self.account, REGION);
        match (kind, attribute) {
            ("AWS::DynamoDB::Table", "Arn") => format!("arn:aws:dynamodb:{region}:{a}:table/{n}"),
            ("AWS::S3::Bucket", "Arn") => format!("arn:aws:s3:::{n}"),
            ("AWS::SQS::Queue", "Arn") => format!("arn:aws:sqs:{region}:{a}:{n}"),
            ("AWS::SQS::Queue", "QueueName") => n,
            ("AWS::SNS::Topic", "TopicArn" | "Arn") => format!("arn:aws:sns:{region}:{a}:{n}"),
            ("AWS::SNS::Topic", "TopicName") => n,
            ("AWS::KMS::Key", "Arn") => format!(
                "arn:aws:kms:{region}:{a}:key/{}",
                self.reference(logical).as_str().unwrap()
            ),
            ("AWS::IAM::Role", "Arn") => {
                let path = r["Properties"]
                    .get("Path")
                    .map_or_else(|| "/".to_string(), |p| self.string(p));
                format!("arn:aws:iam::{a}:role{path}{n}")
            }
            ("AWS::IAM::ManagedPolicy", "Arn") => format!("arn:aws:iam::{a}:policy/{n}"),
            ("AWS::Logs::LogGroup", "Arn") => format!("arn:aws:logs:{region}:{a}:log-group:{n}:*"),
            ("AWS::Serverless::Function", "Arn") => {
                format!("arn:aws:lambda:{region}:{a}:function:{n}")
            }
            _ => panic!("no attribute {attribute} of {logical} ({kind}) in this resolver"),
        }
    }

    fn string(&self, v: &Value) -> String {
        match self.resolve(v) {
            Value::String(s) => s,
            other => panic!("expected a string, got {other}"),
        }
    }

    fn condition(&self, name: &str) -> bool {
        self.truth(&self.template["Conditions"][name])
    }

    fn truth(&self, v: &Value) -> bool {
        let (f, args) = single(v).unwrap_or_else(|| panic!("condition {v}"));
        match f {
            "Fn::Equals" => self.resolve(&args[0]) == self.resolve(&args[1]),
            "Fn::Not" => !self.truth(&args[0]),
            "Fn::And" => args.as_array().unwrap().iter().all(|a| self.truth(a)),
            "Fn::Or" => args.as_array().unwrap().iter().any(|a| self.truth(a)),
            "Condition" => self.condition(args.as_str().unwrap()),
            _ => panic!("condition function {f}"),
        }
    }

    fn sub(&self, text: &str, vars: &Map<String, Value>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').expect("closing brace in !Sub");
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.get(name) {
                out.push_str(&self.string(v));
            } else if let Some((logical, attribute)) = name
                .split_once('.')
                .filter(|(l, _)| !l.starts_with("AWS::"))
            {
                out.push_str(&self.attribute(logical, attribute));
            } else {
                out.push_str(self.reference(name).as_str().unwrap());
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Resolves every intrinsic function in `v`.
    fn resolve(&self, v: &Value) -> Value {
        if let Some((f, args)) = single(v) {
            match f {
                "Ref" => return self.reference(args.as_str().unwrap()),
                "Fn::GetAtt" => {
                    let a = args.as_array().unwrap();
                    return json!(self.attribute(a[0].as_str().unwrap(), a[1].as_str().unwrap()));
                }
                "Fn::Sub" => {
                    return json!(match args {
                        Value::String(s) => self.sub(s, &Map::new()),
                        Value::Array(a) =>
                            self.sub(a[0].as_str().unwrap(), a[1].as_object().unwrap()),
                        other => panic!("!Sub {other}"),
                    });
                }
                "Fn::If" => {
                    let a = args.as_array().unwrap();
                    let chosen = if self.condition(a[0].as_str().unwrap()) {
                        &a[1]
                    } else {
                        &a[2]
                    };
                    return self.resolve(chosen);
                }
                "Fn::Join" => {
                    let a = args.as_array().unwrap();
                    let parts: Vec<String> = self
                        .resolve(&a[1])
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| p.as_str().unwrap().to_string())
                        .collect();
                    return json!(parts.join(a[0].as_str().unwrap()));
                }
                _ if f.starts_with("Fn::") => panic!("intrinsic {f} not handled by this resolver"),
                _ => {}
            }
        }
        match v {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.resolve(i))
                    .filter(|i| i != NO_VALUE)
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .filter(|(_, v)| v != NO_VALUE)
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Resources of one type, in template order, with their properties resolved.
    fn resources_of(&self, kind: &str) -> Vec<(String, Value)> {
        self.template["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Type"] == kind)
            .filter(|(_, r)| {
                r.get("Condition")
                    .is_none_or(|c| self.condition(c.as_str().unwrap()))
            })
            .map(|(name, r)| (name.clone(), self.resolve(&r["Properties"])))
            .collect()
    }
}

/// `{"Fn::X": args}` as `("Fn::X", args)`.
fn single(v: &Value) -> Option<(&str, &Value)> {
    let map = v.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (k, args) = map.iter().next()?;
    (k == "Ref" || k == "Condition" || k.starts_with("Fn::")).then_some((k.as_str(), args))
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

/// A table schema in comparable form: attributes, key, indexes (name -> key, projection).
type Schema = (
    BTreeSet<(String, String)>,
    Vec<(String, String)>,
    BTreeMap<String, (Vec<(String, String)>, String)>,
);

fn schema_of_template(props: &Value) -> Schema {
    let pair = |v: &Value, a: &str, b: &str| {
        (
            v[a].as_str().unwrap().to_string(),
            v[b].as_str().unwrap().to_string(),
        )
    };
    let key = |k: &Value| -> Vec<(String, String)> {
        k.as_array()
            .unwrap()
            .iter()
            .map(|e| pair(e, "AttributeName", "KeyType"))
            .collect()
    };
    (
        props["AttributeDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| pair(a, "AttributeName", "AttributeType"))
            .collect(),
        key(&props["KeySchema"]),
        props["GlobalSecondaryIndexes"]
            .as_array()
            .map(|gsis| {
                gsis.iter()
                    .map(|g| {
                        (
                            g["IndexName"].as_str().unwrap().to_string(),
                            (
                                key(&g["KeySchema"]),
                                g["Projection"]["ProjectionType"]
                                    .as_str()
                                    .unwrap()
                                    .to_string(),
                            ),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// The same from the adapters' SDK definitions (`findings::TableDefinition` and
/// `table::TableDefinition` have the same fields).
macro_rules! schema_of_code {
    ($def:expr) => {{
        let def = $def;
        let key = |k: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
            k.iter()
                .map(|e| {
                    (
                        e.attribute_name().to_string(),
                        e.key_type().as_str().to_string(),
                    )
                })
                .collect()
        };
        let schema: Schema = (
            def.attributes
                .iter()
                .map(|a| {
                    (
                        a.attribute_name().to_string(),
                        a.attribute_type().as_str().to_string(),
                    )
                })
                .collect(),
            key(&def.key),
            def.indexes
                .iter()
                .map(|g| {
                    (
                        g.index_name().to_string(),
                        (
                            key(g.key_schema()),
                            g.projection()
                                .and_then(|p| p.projection_type())
                                .map(|p| p.as_str().to_string())
                                .unwrap_or_default(),
                        ),
                    )
                })
                .collect(),
        );
        schema
    }};
}

fn detector() -> Value {
    load("template.yaml")
}

#[test]
fn tables_have_the_key_schemas_and_indexes_the_adapters_use() {
    let t = detector();
    let findings = &t["Resources"]["FindingsTable"]["Properties"];
    assert_eq!(
        schema_of_template(findings),
        schema_of_code!(accessdrift_aws::findings_table().unwrap()),
        "FindingsTable differs from accessdrift_aws::findings_table()"
    );
    let desired = &t["Resources"]["DesiredTable"]["Properties"];
    assert_eq!(
        schema_of_template(desired),
        schema_of_code!(accessdrift_aws::desired_table().unwrap()),
        "DesiredTable differs from accessdrift_aws::desired_table()"
    );
    let d = Deployment::new(&t, ACCOUNT, &[("OrgId", "o-a1b2c3d4e5")]);
    for (table, suffix) in [("FindingsTable", "findings"), ("DesiredTable", "desired")] {
        let props = &t["Resources"][table]["Properties"];
        assert_eq!(d.name_of(table), format!("{STACK}-{suffix}"));
        assert_eq!(props["BillingMode"], "PAY_PER_REQUEST", "{table}");
        assert_eq!(
            props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true,
            "{table}"
        );
        assert_eq!(props["SSESpecification"]["SSEEnabled"], true, "{table}");
    }
}

// ---------------------------------------------------------------------------------------
// Event rules
// ---------------------------------------------------------------------------------------

fn expected_patterns() -> BTreeMap<String, Value> {
    accessdrift_triggers::event_patterns()
        .into_iter()
        .map(|p| (format!("{}Changes", p.service.name()), p.pattern))
        .collect()
}

#[test]
fn event_rules_are_the_triggers_table() {
    let t = detector();
    let events = t["Resources"]["EventFunction"]["Properties"]["Events"]
        .as_object()
        .unwrap();
    let rules: BTreeMap<String, Value> = events
        .iter()
        .filter(|(_, e)| e["Type"] == "EventBridgeRule")
        .map(|(name, e)| (name.clone(), e["Properties"]["Pattern"].clone()))
        .collect();
    assert_eq!(rules, expected_patterns());
    for (name, e) in events {
        assert!(
            e["Properties"].get("EventBusName").is_none(),
            "{name}: rules are on the default bus"
        );
    }
}

#[test]
fn forwarding_rules_are_the_triggers_table_with_global_services_in_us_east_1() {
    let t = load("infra/event-forwarding.yaml");
    let resources = t["Resources"].as_object().unwrap();
    let rules: BTreeMap<String, Value> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Events::Rule")
        .map(|(name, r)| {
            (
                name.strip_prefix("Forward").unwrap().to_string(),
                r["Properties"]["EventPattern"].clone(),
            )
        })
        .collect();
    assert_eq!(rules, expected_patterns());
    for (name, r) in resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Events::Rule")
    {
        let global = name.contains("Iam") || name.contains("Organizations");
        assert_eq!(
            r.get("Condition").and_then(Value::as_str),
            global.then_some("IsGlobalEventRegion"),
            "{name}"
        );
        let target = &r["Properties"]["Targets"][0];
        assert!(
            target["Arn"].to_string().contains("event-bus/default"),
            "{name}"
        );
        assert!(
            target.get("RoleArn").is_some(),
            "{name}: cross-account PutEvents needs a role"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------

/// A function's property, from the function or else from `Globals.Function`.
fn property<'a>(t: &'a Value, function: &'a Value, name: &str) -> &'a Value {
    function["Properties"]
        .get(name)
        .unwrap_or(&t["Globals"]["Function"][name])
}

#[test]
fn every_function_is_a_rust_arm64_binary_of_its_own_with_json_logs() {
    let t = detector();
    let functions: Vec<(&String, &Value)> = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .collect();
    let mut binaries = BTreeMap::new();
    for (name, f) in &functions {
        assert_eq!(property(&t, f, "Runtime"), "provided.al2023", "{name}");
        assert_eq!(
            property(&t, f, "Architectures"),
            &json!(["arm64"]),
            "{name}"
        );
        assert_eq!(property(&t, f, "Handler"), "bootstrap", "{name}");
        assert_eq!(
            property(&t, f, "CodeUri"),
            ".",
            "{name}: built from the workspace root"
        );
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{name}");
        assert_eq!(
            f["Properties"]["LoggingConfig"]["LogFormat"], "JSON",
            "{name}"
        );
        assert!(
            f["Properties"]["Role"].is_object(),
            "{name}: a role of this template"
        );
        let binary = f["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no BuildProperties.Binary"));
        if let Some(other) = binaries.insert(binary.to_string(), name.to_string()) {
            panic!("binary {binary} built by both {other} and {name}");
        }
        let env: BTreeSet<&str> = [
            t["Globals"]["Function"]["Environment"]["Variables"].as_object(),
            f["Properties"]["Environment"]["Variables"].as_object(),
        ]
        .into_iter()
        .flatten()
        .flat_map(|m| m.keys().map(String::as_str))
        .collect();
        for var in [
            "FINDINGS_TABLE",
            "DESIRED_TABLE",
            "NOTICE_TOPIC_ARN",
            "SNAPSHOT_BUCKET",
            "READ_ROLE_NAME",
            "ORG_ID",
            "OWNER_TAG_KEYS",
            "CLASSIFICATION_TAG_KEYS",
            "FALLBACK_OWNER",
            "REGIONS",
            "FINDING_EVENTS_BUS",
            "SECURITY_HUB",
        ] {
            assert!(env.contains(var), "{name}: no {var}");
        }
        if name.as_str() != "WorkerFunction" {
            assert!(
                env.contains("SWEEP_QUEUE_URL"),
                "{name}: no SWEEP_QUEUE_URL"
            );
        }
    }
    assert_eq!(
        binaries.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "accessdrift-event",
            "accessdrift-planner",
            "accessdrift-worker"
        ]
    );

    let worker = &t["Resources"]["WorkerFunction"]["Properties"];
    assert_eq!(worker["Timeout"], 900);
    let sweep = &worker["Events"]["Sweep"];
    assert_eq!(sweep["Type"], "SQS");
    assert_eq!(sweep["Properties"]["BatchSize"], 1);
    assert_eq!(
        sweep["Properties"]["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(
        sweep["Properties"]["Queue"],
        json!({"Fn::GetAtt": ["SweepQueue", "Arn"]})
    );
    let queue = &t["Resources"]["SweepQueue"]["Properties"];
    assert_eq!(
        queue["RedrivePolicy"]["deadLetterTargetArn"],
        json!({"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]})
    );
    assert!(queue["VisibilityTimeout"].as_u64().unwrap() >= 900);

    let planner = &t["Resources"]["PlannerFunction"]["Properties"];
    assert_eq!(
        planner["Events"]["NightlySweep"]["Properties"]["Schedule"],
        json!({"Ref": "SweepSchedule"})
    );
    assert_eq!(
        t["Parameters"]["SweepSchedule"]["Default"],
        "cron(0 2 * * ? *)"
    );
    let on_failure = &t["Resources"]["EventFunction"]["Properties"]["EventInvokeConfig"]["DestinationConfig"]
        ["OnFailure"];
    assert_eq!(
        on_failure["Destination"],
        json!({"Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]})
    );
}

// ---------------------------------------------------------------------------------------
// Least privilege, measured
// ---------------------------------------------------------------------------------------

fn statements(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(s) => s.clone(),
        one => vec![one.clone()],
    }
}

#[test]
fn member_read_role_has_the_detectors_read_statements() {
    let t = detector();
    let m = load("infra/member-read-role.yaml");
    let detector_read = &t["Resources"]["ConfigReadPolicy"]["Properties"]["PolicyDocument"];
    let member_read = &m["Resources"]["ReadRole"]["Properties"]["Policies"][0]["PolicyDocument"];
    assert_eq!(statements(detector_read), statements(member_read));
    assert_eq!(
        m["Parameters"]["ReadRoleName"]["Default"],
        t["Parameters"]["ReadRoleName"]["Default"]
    );
}

/// The template's roles and managed policies as `get-account-authorization-details`.
fn authorization_details(d: &Deployment) -> Value {
    let policies: Vec<Value> = d
        .resources_of("AWS::IAM::ManagedPolicy")
        .into_iter()
        .map(|(name, p)| {
            json!({
                "PolicyName": d.name_of(&name), "PolicyId": format!("ANPA{name}"),
                "Arn": d.attribute(&name, "Arn"), "Path": "/", "DefaultVersionId": "v1",
                "IsAttachable": true,
                "PolicyVersionList": [{"Document": p["PolicyDocument"], "VersionId": "v1", "IsDefaultVersion": true}],
            })
        })
        .collect();
    let roles: Vec<Value> = d
        .resources_of("AWS::IAM::Role")
        .into_iter()
        .map(|(name, p)| {
            let inline: Vec<Value> = p["Policies"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|i| json!({"PolicyName": i["PolicyName"], "PolicyDocument": i["PolicyDocument"]}))
                .collect();
            let managed: Vec<Value> = p["ManagedPolicyArns"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|arn| {
                    let arn = arn.as_str().unwrap().to_string();
                    json!({"PolicyName": arn.rsplit('/').next().unwrap(), "PolicyArn": arn})
                })
                .collect();
            assert!(
                managed.iter().all(|m| m["PolicyArn"].as_str().unwrap().starts_with(&format!("arn:aws:iam::{}:", d.account))),
                "{name}: AWS managed policies are too broad for a function role"
            );
            json!({
                "Path": p.get("Path").cloned().unwrap_or(json!("/")),
                "RoleName": d.name_of(&name), "RoleId": format!("AROA{name}"),
                "Arn": d.attribute(&name, "Arn"),
                "AssumeRolePolicyDocument": p["AssumeRolePolicyDocument"],
                "RolePolicyList": inline, "AttachedManagedPolicies": managed, "Tags": [],
            })
        })
        .collect();
    json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies})
}

/// Other teams' data in the same account: buckets (one behind a KMS key, one not: data
/// behind a key the role cannot use is not readable, which would hide an `s3:GetObject`),
/// a KMS key the account may use through IAM, a secret, a table, a queue, a topic, a
/// function.
fn others_resources(account: &str) -> Vec<Value> {
    let key = format!("arn:aws:kms:{REGION}:{account}:key/other-team-key");
    let tags = json!({"owner": "payroll", "classification": "Confidential"});
    vec![
        json!({"arn": "arn:aws:s3:::payroll-exports", "type": "AWS::S3::Bucket", "policy": null, "tags": tags,
               "settings": {"kmsKeyArn": key}}),
        json!({"arn": "arn:aws:s3:::payroll-reports", "type": "AWS::S3::Bucket", "policy": null, "tags": tags}),
        json!({"arn": key, "type": "AWS::KMS::Key", "tags": tags, "policy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
             "Action": "kms:*", "Resource": "*"}]}}),
        json!({"arn": format!("arn:aws:secretsmanager:{REGION}:{account}:secret:payroll/db-AbCdEf"),
               "type": "AWS::SecretsManager::Secret", "policy": null, "tags": tags}),
        json!({"arn": format!("arn:aws:dynamodb:{REGION}:{account}:table/payroll-ledger"),
               "type": "AWS::DynamoDB::Table", "policy": null, "tags": tags}),
        json!({"arn": format!("arn:aws:sqs:{REGION}:{account}:payroll-intake"), "type": "AWS::SQS::Queue", "policy": null, "tags": tags}),
        json!({"arn": format!("arn:aws:sns:{REGION}:{account}:payroll-alerts"), "type": "AWS::SNS::Topic", "policy": null, "tags": tags}),
        json!({"arn": format!("arn:aws:lambda:{REGION}:{account}:function:payroll-run"), "type": "AWS::Lambda::Function", "policy": null, "tags": tags}),
    ]
}

/// The detector's own resources with their resource policies, by ARN.
fn own_resources(d: &Deployment) -> Vec<Value> {
    let policy_of = |kind: &str, property: &str, target: &str| -> Value {
        d.resources_of(kind)
            .into_iter()
            .find(|(_, p)| {
                let t = &p[property];
                t == target || t.as_array().is_some_and(|a| a.iter().any(|x| x == target))
            })
            .map_or(Value::Null, |(_, p)| p["PolicyDocument"].clone())
    };
    let tags = json!({"owner": "security"});
    let mut own = Vec::new();
    for (name, _) in d.resources_of("AWS::DynamoDB::Table") {
        own.push(json!({"arn": d.attribute(&name, "Arn"), "type": "AWS::DynamoDB::Table", "policy": null, "tags": tags}));
    }
    for (name, p) in d.resources_of("AWS::S3::Bucket") {
        let bucket = d.name_of(&name);
        let mut r = json!({"arn": d.attribute(&name, "Arn"), "type": "AWS::S3::Bucket", "tags": tags,
                           "policy": policy_of("AWS::S3::BucketPolicy", "Bucket", &bucket)});
        let by_default = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
        if let Some(key) = by_default["KMSMasterKeyID"].as_str() {
            r["settings"] = json!({"kmsKeyArn": key});
        }
        own.push(r);
    }
    for (name, _) in d.resources_of("AWS::SQS::Queue") {
        let url = d.reference(&name);
        own.push(json!({"arn": d.attribute(&name, "Arn"), "type": "AWS::SQS::Queue", "tags": tags,
                        "policy": policy_of("AWS::SQS::QueuePolicy", "Queues", url.as_str().unwrap())}));
    }
    for (name, _) in d.resources_of("AWS::SNS::Topic") {
        own.push(json!({"arn": d.attribute(&name, "Arn"), "type": "AWS::SNS::Topic", "policy": null, "tags": tags}));
    }
    for (name, p) in d.resources_of("AWS::KMS::Key") {
        own.push(json!({"arn": d.attribute(&name, "Arn"), "type": "AWS::KMS::Key", "policy": p["KeyPolicy"], "tags": tags}));
    }
    for (name, _) in d.resources_of("AWS::Serverless::Function") {
        own.push(json!({"arn": d.attribute(&name, "Arn"), "type": "AWS::Lambda::Function", "policy": null, "tags": tags}));
    }
    own
}

fn run(snapshot: &Value) -> Vec<Line> {
    let snap = accessdrift_snapshot::read_snapshot(&snapshot.to_string()).expect("snapshot reads");
    let mut lines = Vec::new();
    effective_access(&snap, &Default::default(), |l| lines.push(l));
    lines
}

/// (principal, resource, capability) of the data-plane rows.
fn data_rows(lines: &[Line]) -> Vec<(String, String, String)> {
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Row(r) if r.capability.is_data() => Some((
                r.principal.to_string(),
                r.resource.to_string(),
                format!("{} via {}", r.capability.as_str(), r.actions.join(",")),
            )),
            _ => None,
        })
        .collect()
}

fn errors(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Row(_) => None,
            other => Some(format!("{other:?}")),
        })
        .collect()
}

#[test]
fn function_roles_have_no_data_access_beyond_the_detectors_own_resources() {
    let t = detector();
    // The widest configuration: every optional statement present.
    let d = Deployment::new(
        &t,
        ACCOUNT,
        &[
            ("OrgId", "o-a1b2c3d4e5"),
            ("SecurityHubEnabled", "true"),
            ("FindingEventsBusName", "default"),
            ("SecurityEmail", "security@example.com"),
        ],
    );
    let own = own_resources(&d);
    let own_arns: BTreeSet<String> = own
        .iter()
        .map(|r| r["arn"].as_str().unwrap().to_string())
        .collect();
    let mut resources = own;
    resources.extend(others_resources(ACCOUNT));
    let snapshot = json!({
        "accountId": ACCOUNT,
        "authorizationDetails": authorization_details(&d),
        "resources": resources,
    });
    let lines = run(&snapshot);
    assert!(errors(&lines).is_empty(), "{:#?}", errors(&lines));

    let functions: BTreeSet<String> = [
        "EventFunctionRole",
        "PlannerFunctionRole",
        "WorkerFunctionRole",
    ]
    .iter()
    .map(|r| d.attribute(r, "Arn"))
    .collect();
    let outside: Vec<_> = data_rows(&lines)
        .into_iter()
        .filter(|(p, r, _)| functions.contains(p) && !own_arns.contains(r))
        .collect();
    assert!(
        outside.is_empty(),
        "data-plane access outside the detector's resources: {outside:#?}"
    );
    // Stronger, on other teams' resources: configuration reads only (no key use, so no
    // `kms:Decrypt` of their keys; no administration).
    let others: BTreeSet<String> = others_resources(ACCOUNT)
        .iter()
        .map(|r| r["arn"].as_str().unwrap().to_string())
        .collect();
    let beyond_config: Vec<String> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Row(r)
                if functions.contains(&*r.principal)
                    && others.contains(&*r.resource)
                    && r.capability.as_str() != "read-config" =>
            {
                Some(format!(
                    "{} {} {} via {}",
                    r.principal,
                    r.capability.as_str(),
                    r.resource,
                    r.actions.join(",")
                ))
            }
            _ => None,
        })
        .collect();
    assert!(beyond_config.is_empty(), "{beyond_config:#?}");

    // The measurement sees what it should, so the absence above means something: the
    // worker keeps findings and snapshots, and every reading function reads configuration.
    let worker = d.attribute("WorkerFunctionRole", "Arn");
    let has = |principal: &str, resource: &str, capability: &str| {
        lines.iter().any(|l| matches!(l, Line::Row(r)
            if &*r.principal == principal && &*r.resource == resource && r.capability.as_str() == capability))
    };
    assert!(has(
        &worker,
        &d.attribute("FindingsTable", "Arn"),
        "write-data"
    ));
    assert!(has(
        &worker,
        &d.attribute("SnapshotBucket", "Arn"),
        "read-data"
    ));
    assert!(has(
        &worker,
        &d.attribute("NoticeTopic", "Arn"),
        "write-data"
    ));
    for role in ["EventFunctionRole", "WorkerFunctionRole"] {
        let arn = d.attribute(role, "Arn");
        for other in others_resources(ACCOUNT) {
            let resource = other["arn"].as_str().unwrap();
            assert!(
                has(&arn, resource, "read-config"),
                "{role} cannot read the configuration of {resource}"
            );
        }
    }
    let planner = d.attribute("PlannerFunctionRole", "Arn");
    assert!(
        !lines
            .iter()
            .any(|l| matches!(l, Line::Row(r) if *r.principal == *planner
            && !own_arns.contains(&*r.resource))),
        "the planner touches nothing but its queue"
    );
}

#[test]
fn member_read_role_has_no_data_access_at_all() {
    let m = load("infra/member-read-role.yaml");
    let event_role =
        format!("arn:aws:iam::{ACCOUNT}:role/accessdrift/accessdrift-EventFunctionRole-AbC123");
    let worker_role =
        format!("arn:aws:iam::{ACCOUNT}:role/accessdrift/accessdrift-WorkerFunctionRole-DeF456");
    let d = Deployment::new(
        &m,
        MEMBER,
        &[
            ("EventFunctionRoleArn", &event_role),
            ("WorkerFunctionRoleArn", &worker_role),
        ],
    );
    let mut resources = others_resources(MEMBER);
    // The read role is a resource too: only the detector's functions may assume it.
    let role_arn = d.attribute("ReadRole", "Arn");
    assert_eq!(
        role_arn,
        format!("arn:aws:iam::{MEMBER}:role/accessdrift-read")
    );
    let (_, props) = d.resources_of("AWS::IAM::Role").remove(0);
    resources.push(json!({"arn": role_arn, "type": "AWS::IAM::Role",
                          "policy": props["AssumeRolePolicyDocument"], "tags": {}}));
    let snapshot = json!({
        "accountId": MEMBER,
        "authorizationDetails": authorization_details(&d),
        "resources": resources,
    });
    let lines = run(&snapshot);
    assert!(errors(&lines).is_empty(), "{:#?}", errors(&lines));
    let data: Vec<_> = data_rows(&lines)
        .into_iter()
        .filter(|(p, _, _)| *p == role_arn)
        .collect();
    assert!(data.is_empty(), "{data:#?}");
    assert!(lines.iter().any(|l| matches!(l, Line::Row(r)
        if *r.principal == *role_arn && r.capability.as_str() == "read-config")));
    // Who may use it: the detector's two function roles, by their exact ARNs (issue 11:
    // not the detector account with a role-name pattern anyone there can match), and the
    // member account's own root user, which holds everything in its account implicitly.
    let own_root = format!("arn:aws:iam::{MEMBER}:root");
    let assumers: BTreeSet<String> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Row(r)
                if *r.resource == *role_arn
                    && r.capability.as_str() == "use-resource"
                    && *r.principal != *own_root =>
            {
                Some(r.principal.to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        assumers,
        BTreeSet::from([event_role, worker_role]),
        "only the detector's function roles"
    );
    let trust = props["AssumeRolePolicyDocument"].to_string();
    assert!(
        !trust.contains('*') && !trust.contains("Condition"),
        "no pattern: {trust}"
    );
}

// ---------------------------------------------------------------------------------------
// The Organization's boundary (issue 11)
// ---------------------------------------------------------------------------------------

fn list_of(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    }
}

/// An account outside the Organization can create a role named like the read role;
/// the functions may assume it only in accounts of the Organization.
#[test]
fn functions_assume_read_roles_only_in_accounts_of_the_organization() {
    let t = detector();
    let d = Deployment::new(&t, ACCOUNT, &[("OrgId", "o-a1b2c3d4e5")]);
    let mut assuming = Vec::new();
    for (name, role) in d.resources_of("AWS::IAM::Role") {
        for policy in list_of(&role["Policies"]) {
            for s in statements(&policy["PolicyDocument"]) {
                let assumes = list_of(&s["Action"]).iter().any(|a| {
                    let a = a.as_str().unwrap().to_ascii_lowercase();
                    a == "*" || a.starts_with("sts:")
                });
                if s["Effect"] == "Allow" && assumes {
                    assert_eq!(
                        s["Condition"]["StringEquals"]["aws:ResourceOrgID"], "o-a1b2c3d4e5",
                        "{name}: {s}"
                    );
                    assuming.push(name.clone());
                }
            }
        }
    }
    assuming.sort();
    assert_eq!(assuming, ["EventFunctionRole", "WorkerFunctionRole"]);
}

/// Issue 11: the snapshot bucket holds every policy of the Organization. It is encrypted
/// with a key of the detector's own (bucket key on), and its policy admits only the
/// detector's functions to objects and listings: an administrator of the detector
/// account holding `s3:*` and `kms:*` on everything reads nothing in it.
#[test]
fn the_snapshot_bucket_is_the_functions_alone_and_encrypted_with_its_own_key() {
    let t = detector();
    let d = Deployment::new(&t, ACCOUNT, &[("OrgId", "o-a1b2c3d4e5")]);
    let bucket = &t["Resources"]["SnapshotBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        [0];
    assert_eq!(
        bucket["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "aws:kms"
    );
    assert_eq!(bucket["BucketKeyEnabled"], true);
    let snapshot_key = d.attribute("SnapshotKey", "Arn");
    assert_eq!(
        d.resolve(&bucket["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]),
        snapshot_key.as_str()
    );

    let mut details = authorization_details(&d);
    let admin = format!("arn:aws:iam::{ACCOUNT}:role/admin");
    details["RoleDetailList"].as_array_mut().unwrap().push(json!({
        "Path": "/", "RoleName": "admin", "RoleId": "AROAADMIN", "Arn": admin,
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
        "RolePolicyList": [{"PolicyName": "everything", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}]}}],
        "AttachedManagedPolicies": [], "Tags": [],
    }));
    let mut resources = own_resources(&d);
    resources.extend(others_resources(ACCOUNT));
    let snapshot = json!({"accountId": ACCOUNT, "authorizationDetails": details,
                          "resources": resources});
    let lines = run(&snapshot);
    assert!(errors(&lines).is_empty(), "{:#?}", errors(&lines));
    let bucket_arn = d.attribute("SnapshotBucket", "Arn");
    let data_of = |principal: &str| -> Vec<String> {
        data_rows(&lines)
            .into_iter()
            .filter(|(p, r, _)| p == principal && *r == bucket_arn)
            .map(|(_, _, c)| c)
            .collect()
    };
    assert!(data_of(&admin).is_empty(), "{:#?}", data_of(&admin));
    // The measurement sees the admin's access elsewhere, and the functions' here.
    assert!(
        data_rows(&lines).iter().any(|(p, r, c)| *p == admin
            && r == "arn:aws:s3:::payroll-reports"
            && c.starts_with("read-data")),
        "the admin reads other buckets"
    );
    for role in ["EventFunctionRole", "WorkerFunctionRole"] {
        let got = data_of(&d.attribute(role, "Arn"));
        assert!(
            got.iter().any(|c| c.starts_with("read-data")),
            "{role}: {got:?}"
        );
        assert!(
            got.iter().any(|c| c.starts_with("write-data")),
            "{role}: {got:?}"
        );
    }
    // Only the functions' roles hold the snapshot key, and only to encrypt and decrypt.
    for (name, role) in d.resources_of("AWS::IAM::Role") {
        for policy in list_of(&role["Policies"]) {
            for st in statements(&policy["PolicyDocument"]) {
                if list_of(&st["Resource"])
                    .iter()
                    .any(|r| *r == snapshot_key.as_str())
                {
                    for a in list_of(&st["Action"]) {
                        assert!(
                            ["kms:GenerateDataKey", "kms:Decrypt"].contains(&a.as_str().unwrap()),
                            "{name}: {a}"
                        );
                    }
                }
            }
        }
    }
}
