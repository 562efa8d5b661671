//! The evaluator against the reference corpus in `../shared/conformance/`.
//!
//! Read at test time, never copied into the repo. The location comes from
//! `ACCESSDRIFT_CONFORMANCE` (default `../shared/conformance` beside the repo). When it
//! is missing, every trial here is reported *ignored* with a loud message: these tests
//! never claim to have passed on data they did not see.
//!
//! Targets (issue 2): 100% of the AWS documentation probes and smoke cases; >= 97% of
//! the corpus decisions, resource matches and S3 public-policy cases. Where the corpus
//! contradicts the AWS documentation we follow AWS and list the case in
//! `KNOWN_DIVERGENCES` with the reason.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::path::PathBuf;

use accessdrift_evaluator::context::{ContextValue, RequestContext};
use accessdrift_evaluator::resource::{
    ElementMatch, PolicyType, RequestResource, resource_block_applies,
};
use accessdrift_policy::{Effect, ResourceBlock, Version, parse_policy_value};
use accessdrift_simulate::{Options, PolicyCache, run_case_text};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// Corpus cases where the AWS documentation and the corpus disagree; we follow AWS.
/// (id, reason with the AWS page).
const KNOWN_DIVERGENCES: &[(&str, &str)] = &[
    (
        "core/sessionPolicies.json#7",
        "IAM UG, \"Policy evaluation logic\" / \"Session policies\": a resource-based policy that names the \
         role-session ARN directly is not limited by an implicit deny in the session policy (simulate.md lists \
         this as a place where the corpus contradicts AWS)",
    ),
    (
        "core/resourceWildcards/requestWildcards.json#8",
        "Service Authorization Reference, Amazon EC2: ec2:DescribeInstances supports no resource-level \
         permissions, so a statement naming one instance ARN does not grant it; the corpus's core harness \
         evaluates without the action catalog (its simulation harness agrees with AWS, see \
         simulation/edgeCases/wildcardOnlyActions.json#0)",
    ),
    (
        "resource/NotResource#4",
        "IAM UG, \"IAM policy elements: Variables and tags\", \"Policy variables with no value\": a \
         NotResource entry whose variable has no value \"will not match any resource\", so the NotResource \
         element still applies to every other resource (the corpus drops the whole element)",
    ),
    ("resource/Resource#12", WILDCARD_RESOURCE_TYPE),
    ("resource/Resource#14", WILDCARD_RESOURCE_TYPE),
];

/// Why a wildcard in the resource-type part of an ARN matches (issue 18).
const WILDCARD_RESOURCE_TYPE: &str = "IAM UG, \"IAM JSON policy elements: Resource\", \"Using wildcards in \
     resource ARNs\": wildcards work \"within the individual segments of an ARN\" and `*` \"can expand to \
     replace everything within a segment, including characters like a forward slash (/)\"; the resource \
     part is one segment, its type prefix included (AWS managed policies use `arn:aws:lambda:*:*:*:name`). \
     The corpus follows the ARN page's advice against such wildcards (\"Incorrect wildcard usage\")";

fn corpus_dir() -> PathBuf {
    match std::env::var_os("ACCESSDRIFT_CONFORMANCE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/conformance"),
    }
}

fn main() {
    let args = Arguments::from_args();
    let dir = corpus_dir();
    let present = dir.join("iam-simulate-cases.jsonl").is_file();
    if !present {
        eprintln!();
        eprintln!("==================================================================");
        eprintln!(" conformance corpus NOT FOUND at {}", dir.display());
        eprintln!(" these tests did NOT run (set ACCESSDRIFT_CONFORMANCE to its path)");
        eprintln!("==================================================================");
        eprintln!();
    }
    let d = dir.clone();
    let trials = vec![
        Trial::test("smoke_cases_all_pass", {
            let d = d.clone();
            move || exact_file(&d.join("smoke.json"))
        }),
        Trial::test("aws_doc_probes_all_pass", {
            let d = d.clone();
            move || exact_file(&d.join("aws-doc-probes.json"))
        }),
        Trial::test("corpus_decisions_at_least_97_percent", {
            let d = d.clone();
            move || corpus_kind(&d, "decision")
        }),
        Trial::test("corpus_resource_match_at_least_97_percent", {
            let d = d.clone();
            move || corpus_kind(&d, "resource_match")
        }),
        Trial::test("corpus_s3_public_policy_at_least_97_percent", {
            let d = d.clone();
            move || corpus_kind(&d, "s3_public_policy")
        }),
        Trial::test(
            "fast_and_slow_policy_parsers_agree_on_every_corpus_policy",
            {
                let d = d.clone();
                move || parsers_agree(&d)
            },
        ),
    ]
    .into_iter()
    // Without the corpus a developer's plain `cargo test` skips these loudly; when the
    // corpus was named (`make test` always names it) and is missing, they fail, so CI
    // can never pass without having run them.
    .map(|t| t.with_ignored_flag(!present && std::env::var_os("ACCESSDRIFT_CONFORMANCE").is_none()))
    .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn decision_of(case: &Value, cache: &PolicyCache) -> String {
    let out = run_case_text(&case.to_string(), cache, Options::default());
    let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    match v.get("decision").and_then(Value::as_str) {
        Some(d) => d.to_string(),
        None => format!(
            "error: {}",
            v.get("error").and_then(Value::as_str).unwrap_or("?")
        ),
    }
}

/// Every case of the file must get its expected decision.
fn exact_file(path: &PathBuf) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cases: Vec<Value> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let cache = PolicyCache::default();
    let mut failures = Vec::new();
    for case in &cases {
        let expected = case["expected"]["decision"].as_str().unwrap_or("?");
        let got = decision_of(case, &cache);
        if got != expected {
            failures.push(format!("{}: expected {expected}, got {got}", case["id"]));
        }
    }
    println!(
        "{}: {}/{} pass",
        path.display(),
        cases.len() - failures.len(),
        cases.len()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

fn corpus_kind(dir: &std::path::Path, kind: &str) -> Result<(), Failed> {
    let path = dir.join("iam-simulate-cases.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cache = PolicyCache::default();
    let (mut total, mut passed, mut diverged) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        if case["kind"] != kind {
            continue;
        }
        total += 1;
        let id = case["id"].as_str().unwrap_or("?");
        let (ok, detail) = match kind {
            "decision" => {
                let expected = case["expected"]["decision"].as_str().unwrap_or("?");
                let got = decision_of(&case, &cache);
                (got == expected, format!("expected {expected}, got {got}"))
            }
            "resource_match" => {
                let expected = case["expected"]["matches"].as_bool().unwrap_or(false);
                let got = resource_match(&case);
                (got == expected, format!("expected {expected}, got {got}"))
            }
            "s3_public_policy" => {
                let expected: Vec<u64> = case["expected"]["publicStatements"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s["index"].as_u64()).collect())
                    .unwrap_or_default();
                let got: Vec<u64> = match parse_policy_value(&case["policy"]) {
                    Ok(p) => accessdrift_evaluator::s3::public_statements(&p)
                        .into_iter()
                        .map(|i| i as u64)
                        .collect(),
                    Err(e) => return Err(format!("{id}: {e}").into()),
                };
                (
                    got == expected,
                    format!("expected public statements {expected:?}, got {got:?}"),
                )
            }
            _ => (false, "unknown kind".into()),
        };
        if ok {
            passed += 1;
        } else if let Some((_, why)) = KNOWN_DIVERGENCES.iter().find(|(d, _)| *d == id) {
            diverged += 1;
            println!("  known divergence {id}: {why}");
        } else {
            failures.push(format!(
                "  {id} ({}): {detail}",
                case["name"].as_str().unwrap_or("")
            ));
        }
    }
    let counted = total - diverged;
    let rate = if counted == 0 {
        0.0
    } else {
        passed as f64 * 100.0 / counted as f64
    };
    println!("corpus {kind}: {passed}/{counted} pass ({rate:.1}%), {diverged} known divergences");
    for f in &failures {
        println!("{f}");
    }
    if total == 0 {
        return Err(format!("no `{kind}` cases found in {}", path.display()).into());
    }
    if rate < 97.0 {
        return Err(format!("corpus {kind}: {rate:.1}% < 97%").into());
    }
    Ok(())
}

/// Every policy document in the corpus parses to the same model through the fast typed
/// path (`parse_policy_text`) and the `Value` path (`parse_policy_value`).
fn parsers_agree(dir: &std::path::Path) -> Result<(), Failed> {
    fn walk(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(m) => {
                if m.contains_key("Statement") {
                    out.push(v.clone());
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut docs = Vec::new();
    for file in [
        "iam-simulate-cases.jsonl",
        "aws-doc-probes.json",
        "smoke.json",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).map_err(|e| e.to_string())?;
        for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                walk(&v, &mut docs);
            }
        }
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            walk(&v, &mut docs);
        }
    }
    let mut mismatches = 0;
    for doc in &docs {
        let fast = accessdrift_policy::parse_policy_text(&doc.to_string());
        let slow = parse_policy_value(doc);
        if fast != slow {
            mismatches += 1;
            println!("  parsers disagree on {doc}");
        }
    }
    println!(
        "policy parsers: {} documents, {mismatches} disagreements",
        docs.len()
    );
    if mismatches > 0 {
        return Err(format!("{mismatches} documents parse differently").into());
    }
    Ok(())
}

fn resource_match(case: &Value) -> bool {
    let patterns: Vec<String> = case["patterns"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let block = ResourceBlock {
        negated: case["element"] == "NotResource",
        patterns,
    };
    let effect = if case["effect"] == "Deny" {
        Effect::Deny
    } else {
        Effect::Allow
    };
    let policy_type = match case["policyType"].as_str() {
        Some("session") => PolicyType::Session,
        Some("pb") => PolicyType::Boundary,
        Some("resource") => PolicyType::Resource,
        Some("scp") => PolicyType::Scp,
        Some("rcp") => PolicyType::Rcp,
        Some("vpce") => PolicyType::Vpce,
        _ => PolicyType::Identity,
    };
    let req = &case["request"];
    let mut ctx = RequestContext::new();
    if let Some(map) = req["context"].as_object() {
        for (k, v) in map {
            let value = match v {
                Value::Array(items) => ContextValue::Multi(
                    items
                        .iter()
                        .map(|i| i.as_str().unwrap_or_default().to_string())
                        .collect(),
                ),
                other => ContextValue::Single(other.as_str().unwrap_or_default().to_string()),
            };
            ctx.insert(k, value);
        }
    }
    let resource = RequestResource::new(
        req["resource"].as_str().unwrap_or_default(),
        req["wildcardOnlyAction"].as_bool().unwrap_or(false),
    );
    resource_block_applies(
        Some(&block),
        effect,
        policy_type,
        Version::V2012_10_17,
        &resource,
        &ctx,
    ) == ElementMatch::Yes
}
