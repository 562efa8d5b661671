//! The `accessdrift simulate` contract (`shared/spec/simulate.md`): cases in, one
//! decision per line out, in input order.
//!
//! What it is for: exposing the evaluator in a neutral JSON format so it can be checked
//! case by case against the AWS documentation and other implementations. What it is not
//! for: deciding anything itself; every rule lives in `accessdrift-evaluator`.
//!
//! Key design choice: speed on large batches. Cases are split without building a
//! `serde_json::Value` tree, parsed into borrowed structs on both cores, and every
//! policy document is parsed once per batch (a cache keyed by its exact JSON text), so
//! a batch that repeats policies pays for each only once.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use accessdrift_evaluator::context::{
    ContextValue, KeyConstraint, KeyMatcher, Mode, RequestContext,
};
use accessdrift_evaluator::{
    Decision, Evaluation, NamedPolicy, OrgLevel, PolicySet, Principal, Request, Settings, evaluate,
};
use accessdrift_policy::{Policy, PolicyError, parse_policy_text, parse_policy_value};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

/// Input that cannot be read as cases at all (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Not a JSON array, and a line of it is not JSON either.
    #[error("input is neither a JSON array nor JSON Lines: {0}")]
    NotJson(String),
}

/// Options of one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Add the `explain` object to every result.
    pub explain: bool,
}

/// Runs a whole batch and returns the output text (one JSON object per line).
pub fn run_batch(input: &str, options: Options) -> Result<String, InputError> {
    let cache = PolicyCache::default();
    run_batch_with(input, options, &cache)
}

/// [`run_batch`] with a caller-owned policy cache (a caller that exits right after can
/// skip freeing it).
pub fn run_batch_with(
    input: &str,
    options: Options,
    cache: &PolicyCache,
) -> Result<String, InputError> {
    let trimmed = input.trim_start();
    let lines: Vec<String> = if trimmed.starts_with('[') {
        // Split on this thread while the worker threads evaluate the chunks already
        // found: splitting is sequential, so overlapping it keeps both cores busy.
        let done: std::sync::Mutex<Vec<(usize, Vec<String>)>> = std::sync::Mutex::new(Vec::new());
        let split = rayon::scope(|scope| {
            split_array(trimmed, 256, |start, chunk| {
                let done = &done;
                scope.spawn(move |_| {
                    let lines: Vec<String> = chunk
                        .iter()
                        .map(|raw| run_case_text(raw, cache, options))
                        .collect();
                    if let Ok(mut d) = done.lock() {
                        d.push((start, lines));
                    }
                });
            })
        });
        split?;
        let mut chunks = done.into_inner().unwrap_or_default();
        chunks.sort_unstable_by_key(|(start, _)| *start);
        chunks.into_iter().flat_map(|(_, lines)| lines).collect()
    } else {
        split_cases(input)?
            .par_iter()
            .with_min_len(32)
            .map(|raw| run_case_text(raw, cache, options))
            .collect()
    };
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Splits the input into the raw text of each case: a JSON array's elements or the
/// non-blank lines of JSON Lines.
fn split_cases(input: &str) -> Result<Vec<&str>, InputError> {
    let trimmed = input.trim_start();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if trimmed.starts_with('[') {
        let mut all = Vec::new();
        split_array(trimmed, usize::MAX, |_, chunk| all = chunk)?;
        return Ok(all);
    }
    let lines: Vec<&str> = input
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // JSON Lines: the input as a whole is unreadable only when no line is JSON at all.
    if let Some(first) = lines.first()
        && serde_json::from_str::<&RawValue>(first).is_err()
        && lines
            .iter()
            .all(|l| serde_json::from_str::<&RawValue>(l).is_err())
    {
        return Err(InputError::NotJson(format!(
            "line 1 is not JSON: {}",
            first.chars().take(60).collect::<String>()
        )));
    }
    Ok(lines)
}

type Parsed = Arc<Result<Policy, PolicyError>>;

/// Splits a JSON array into the text of its elements without parsing them (each is
/// parsed later, on a worker thread). Only structure is checked here: strings, escapes
/// and nesting; a malformed element becomes that case's error line.
///
/// Elements are handed to `on_chunk` in chunks of `chunk` (with the index of the first),
/// as soon as a chunk is complete; the last chunk may be shorter.
fn split_array<'a>(
    text: &'a str,
    chunk: usize,
    mut on_chunk: impl FnMut(usize, Vec<&'a str>),
) -> Result<(), InputError> {
    let bytes = text.as_bytes();
    let unterminated = || InputError::NotJson("the JSON array is not terminated".to_string());
    let mut items: Vec<&'a str> = Vec::new();
    let mut first = 0usize;
    let mut i = 1; // after '['
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                start.get_or_insert(i);
                // Jump to the closing quote, skipping escaped characters.
                i += 1;
                loop {
                    let Some(rest) = bytes.get(i..) else {
                        return Err(unterminated());
                    };
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(off) if bytes[i + off] == b'\\' => i += off + 2,
                        Some(off) => {
                            i += off;
                            break;
                        }
                        None => return Err(unterminated()),
                    }
                }
            }
            b'{' | b'[' => {
                start.get_or_insert(i);
                depth += 1;
            }
            b'}' => depth = depth.saturating_sub(1),
            b']' if depth == 0 => {
                if let Some(s) = start.take() {
                    items.push(text[s..i].trim_end());
                }
                let rest = text[i + 1..].trim();
                if !rest.is_empty() {
                    return Err(InputError::NotJson(format!(
                        "unexpected text after the JSON array: {}",
                        rest.chars().take(40).collect::<String>()
                    )));
                }
                if !items.is_empty() {
                    on_chunk(first, items);
                }
                return Ok(());
            }
            b']' => depth -= 1,
            b',' if depth == 0 => {
                match start.take() {
                    Some(s) => items.push(text[s..i].trim_end()),
                    None => items.push(""),
                }
                if items.len() >= chunk {
                    let n = items.len();
                    on_chunk(first, std::mem::take(&mut items));
                    first += n;
                }
            }
            b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => {
                start.get_or_insert(i);
            }
        }
        i += 1;
    }
    Err(unterminated())
}

/// Policies parsed so far in this batch, keyed by their exact JSON text, sharded so both
/// worker threads rarely wait on each other.
#[derive(Default)]
pub struct PolicyCache {
    shards: [Mutex<HashMap<String, Parsed>>; 16],
    hasher: rustc_hash::FxBuildHasher,
}

impl PolicyCache {
    /// The parsed policy for this JSON text, parsing it on first sight.
    pub fn get(&self, raw: &str) -> Parsed {
        let shard = &self.shards[(self.hasher.hash_one(raw) % 16) as usize];
        if let Ok(map) = shard.lock()
            && let Some(p) = map.get(raw)
        {
            return Arc::clone(p);
        }
        let parsed = Arc::new(parse_policy_raw(raw));
        if let Ok(mut map) = shard.lock() {
            map.insert(raw.to_string(), Arc::clone(&parsed));
        }
        parsed
    }
}

fn parse_policy_raw(raw: &str) -> Result<Policy, PolicyError> {
    if raw.starts_with('{') {
        return parse_policy_text(raw);
    }
    // A JSON string holding (URL-encoded) policy text, or something that is no policy.
    let value: Value = serde_json::from_str(raw).map_err(|e| PolicyError::Json(e.to_string()))?;
    parse_policy_value(&value)
}

#[derive(Deserialize)]
struct CaseIn<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(borrow)]
    request: Option<RequestIn<'a>>,
    #[serde(borrow, default)]
    policies: Option<PoliciesIn<'a>>,
    #[serde(default)]
    settings: Option<Map<String, Value>>,
    #[serde(rename = "discoveryContextKeyConstraints", default)]
    constraints: Option<Vec<ConstraintIn>>,
}

#[derive(Deserialize)]
struct RequestIn<'a> {
    #[serde(borrow)]
    principal: &'a RawValue,
    #[serde(borrow)]
    action: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    resource: std::borrow::Cow<'a, str>,
    #[serde(rename = "resourceAccount", default)]
    resource_account: Option<String>,
    #[serde(default)]
    context: Option<Map<String, Value>>,
    #[serde(rename = "wildcardOnlyAction", default)]
    wildcard_only_action: Option<bool>,
}

#[derive(Deserialize, Default)]
struct PoliciesIn<'a> {
    #[serde(borrow, default)]
    identity: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    session: Option<&'a RawValue>,
    #[serde(rename = "permissionBoundary", borrow, default)]
    permission_boundary: Option<&'a RawValue>,
    #[serde(borrow, default)]
    scp: Option<Vec<LevelIn<'a>>>,
    #[serde(borrow, default)]
    rcp: Option<Vec<LevelIn<'a>>>,
    #[serde(borrow, default)]
    resource: Option<&'a RawValue>,
    #[serde(rename = "vpcEndpoint", borrow, default)]
    vpc_endpoint: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct LevelIn<'a> {
    #[serde(default)]
    level: Option<String>,
    #[serde(borrow, default)]
    policies: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct ConstraintIn {
    #[serde(rename = "keyName")]
    key_name: String,
    #[serde(rename = "presenceIsKnown", default)]
    presence_is_known: bool,
    #[serde(rename = "valueIsKnown", default)]
    value_is_known: bool,
}

/// Runs one case given as JSON text and renders its output line.
pub fn run_case_text(raw: &str, cache: &PolicyCache, options: Options) -> String {
    let case: CaseIn<'_> = match serde_json::from_str(raw) {
        Ok(c) => c,
        Err(e) => {
            // Echo the id when the text is at least a JSON object with one.
            let (id, msg) = match serde_json::from_str::<Map<String, Value>>(raw) {
                Err(_) => (Value::Null, "case is not a JSON object".to_string()),
                Ok(m) => match m.get("id") {
                    None | Some(Value::Null) => (Value::Null, "case has no `id`".to_string()),
                    Some(id) => (id.clone(), format!("case could not be read: {e}")),
                },
            };
            return error_line(&id, &msg);
        }
    };
    let id_text = match case.id.map(RawValue::get) {
        None | Some("null") => return error_line(&Value::Null, "case has no `id`"),
        // Echo the id as given, on one line.
        Some(t) if !t.contains(['\n', '\r']) => std::borrow::Cow::Borrowed(t),
        Some(t) => std::borrow::Cow::Owned(
            serde_json::from_str::<Value>(t).map_or_else(|_| "null".to_string(), |v| v.to_string()),
        ),
    };
    match run_case(&case, cache, options) {
        Ok(fields) => {
            let mut line = String::with_capacity(48 + id_text.len());
            line.push_str("{\"id\":");
            line.push_str(&id_text);
            for (key, value) in fields {
                line.push_str(",\"");
                line.push_str(key);
                line.push_str("\":");
                line.push_str(&value);
            }
            line.push('}');
            line
        }
        Err(msg) => {
            let id: Value = serde_json::from_str(&id_text).unwrap_or(Value::Null);
            error_line(&id, &msg)
        }
    }
}

fn error_line(id: &Value, msg: &str) -> String {
    format!(
        "{{\"id\":{id},\"error\":{}}}",
        Value::String(msg.to_string())
    )
}

/// A policy resolved from the case: its name and the shared parsed document.
struct Resolved {
    name: String,
    policy: Arc<Result<Policy, PolicyError>>,
}

fn resolve(
    raw: &RawValue,
    default_name: &str,
    cache: &PolicyCache,
    what: &str,
) -> Result<Resolved, String> {
    let text = raw.get();
    // `{"name": ..., "document": ...}` or a bare document.
    #[derive(Deserialize)]
    struct Named<'a> {
        #[serde(default)]
        name: Option<String>,
        #[serde(borrow)]
        document: &'a RawValue,
    }
    let (name, doc_text) = match serde_json::from_str::<Named<'_>>(text) {
        Ok(n) => (
            n.name.unwrap_or_else(|| default_name.to_string()),
            n.document.get(),
        ),
        _ => (default_name.to_string(), text),
    };
    let policy = cache.get(doc_text);
    if let Err(e) = policy.as_ref() {
        return Err(format!("{what} policy `{name}`: {e}"));
    }
    Ok(Resolved { name, policy })
}

fn as_list(raw: Option<&RawValue>) -> Result<Vec<&RawValue>, String> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let text = raw.get().trim_start();
    if text == "null" {
        Ok(Vec::new())
    } else if text.starts_with('[') {
        serde_json::from_str::<Vec<&RawValue>>(raw.get()).map_err(|e| e.to_string())
    } else {
        Ok(vec![raw])
    }
}

fn run_case(case: &CaseIn<'_>, cache: &PolicyCache, options: Options) -> Result<Fields, String> {
    let req = case.request.as_ref().ok_or("case has no `request`")?;
    let principal_value: Value =
        serde_json::from_str(req.principal.get()).map_err(|e| e.to_string())?;
    let principal = match &principal_value {
        Value::String(s) => Principal::parse(s),
        Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("Anonymous") => {
            Principal::Anonymous
        }
        other => {
            return Err(format!(
                "`request.principal` must be an ARN, a service name or {{\"type\": \"Anonymous\"}}, not {other}"
            ));
        }
    };
    let discovery = match case.mode.as_deref() {
        None | Some("Strict") => false,
        Some("Discovery") => true,
        Some(other) => {
            return Err(format!(
                "`mode` must be \"Strict\" or \"Discovery\", not `{other}`"
            ));
        }
    };
    let mode = if discovery {
        let mut constraints = Vec::new();
        for c in case.constraints.iter().flatten() {
            constraints.push(KeyConstraint {
                key: KeyMatcher::parse(&c.key_name)?,
                presence_known: c.presence_is_known,
                value_known: c.value_is_known,
            });
        }
        Mode::Discovery(constraints.into())
    } else {
        Mode::Strict
    };
    let mut ctx = RequestContext::with_mode(mode);
    for (k, v) in req.context.iter().flatten() {
        let value = match v {
            Value::Array(items) => {
                ContextValue::Multi(items.iter().map(scalar).collect::<Result<_, _>>()?)
            }
            other => ContextValue::Single(scalar(other)?),
        };
        ctx.insert(k, value);
    }

    let empty = PoliciesIn::default();
    let p = case.policies.as_ref().unwrap_or(&empty);
    let identity: Vec<Resolved> = p
        .identity
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, raw)| resolve(raw, &i.to_string(), cache, "identity"))
        .collect::<Result<_, _>>()?;
    let session = match p.session.filter(|r| r.get() != "null") {
        Some(raw) => Some(resolve(raw, "SessionPolicy", cache, "session")?),
        None => None,
    };
    let boundary = match as_list(p.permission_boundary)?.first() {
        Some(raw) => Some(resolve(
            raw,
            "PermissionBoundary",
            cache,
            "permission boundary",
        )?),
        None => None,
    };
    let resource = match p.resource.filter(|r| r.get() != "null") {
        Some(raw) => Some(resolve(raw, "ResourcePolicy", cache, "resource")?),
        None => None,
    };
    let vpce = match p.vpc_endpoint.filter(|r| r.get() != "null") {
        Some(raw) => Some(
            as_list(Some(raw))?
                .into_iter()
                .enumerate()
                .map(|(i, r)| resolve(r, &format!("VpcEndpointPolicy{i}"), cache, "VPC endpoint"))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let levels = |levels: &Option<Vec<LevelIn<'_>>>,
                  what: &str|
     -> Result<Vec<(String, Vec<Resolved>)>, String> {
        levels
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, l)| {
                let level = l.level.clone().unwrap_or_else(|| i.to_string());
                let ps = l
                    .policies
                    .iter()
                    .enumerate()
                    .map(|(j, raw)| resolve(raw, &j.to_string(), cache, what))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((level, ps))
            })
            .collect()
    };
    let scp = levels(&p.scp, "SCP")?;
    let rcp = levels(&p.rcp, "RCP")?;

    let identity_set: Vec<NamedPolicy<'_>> = identity.iter().filter_map(named).collect();
    let scp_set: Vec<OrgLevel<'_>> = scp
        .iter()
        .map(|(level, ps)| OrgLevel {
            level,
            policies: ps.iter().filter_map(named).collect(),
        })
        .collect();
    let rcp_set: Vec<OrgLevel<'_>> = rcp
        .iter()
        .map(|(level, ps)| OrgLevel {
            level,
            policies: ps.iter().filter_map(named).collect(),
        })
        .collect();
    let vpce_set: Option<Vec<NamedPolicy<'_>>> =
        vpce.as_ref().map(|v| v.iter().filter_map(named).collect());
    let set = PolicySet {
        identity: &identity_set,
        session: session.as_ref().and_then(named),
        boundary: boundary.as_ref().and_then(named),
        scp: &scp_set,
        rcp: &rcp_set,
        resource: resource.as_ref().and_then(named),
        vpce: vpce_set.as_deref(),
    };
    let settings = Settings {
        s3_block_public_access: case
            .settings
            .as_ref()
            .and_then(|s| s.get("s3BlockPublicAccess"))
            .is_some_and(|v| v.as_bool().unwrap_or(false) || v.is_object()),
    };
    let request = Request {
        principal: &principal,
        action: &req.action,
        resource: &req.resource,
        resource_account: req.resource_account.as_deref(),
        context: &ctx,
        wildcard_only_action: req.wildcard_only_action,
    };
    let evaluation = evaluate(&request, &set, &settings);
    Ok(render(&evaluation, options))
}

fn named(r: &Resolved) -> Option<NamedPolicy<'_>> {
    r.policy.as_ref().as_ref().ok().map(|policy| NamedPolicy {
        name: &r.name,
        policy,
    })
}

fn scalar(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "context values must be strings or lists of strings, not {other}"
        )),
    }
}

/// Output fields after `id`, in order: (key, JSON text).
type Fields = Vec<(&'static str, String)>;

fn render(e: &Evaluation<'_>, options: Options) -> Fields {
    let mut out: Fields = Vec::with_capacity(3);
    out.push(("decision", format!("\"{}\"", e.decision.name())));
    if e.decision == Decision::Allowed
        && let Some(tree) = e.conditions.tree()
    {
        out.push(("conditions", tree.to_string()));
    }
    if options.explain {
        out.push(("explain", explain_json(e).to_string()));
    }
    out
}

/// The `explain` object: the deciding statements and the blocking layer.
pub fn explain_json(e: &Evaluation<'_>) -> Value {
    let stmt = |s: &accessdrift_evaluator::StatementRef<'_>| {
        let mut v = json!({
            "policyType": s.policy_type.name(),
            "policy": s.policy,
            "statement": s.sid.filter(|x| !x.is_empty()).map_or_else(|| s.index.to_string(), str::to_string),
            "index": s.index,
            "effect": s.effect.to_string(),
        });
        if let Some(obj) = v.as_object_mut() {
            if let Some(level) = s.org_level {
                obj.insert("orgLevel".into(), Value::String(level.into()));
            }
            if s.conditional {
                obj.insert("conditional".into(), Value::Bool(true));
            }
        }
        v
    };
    let mut v = json!({
        "decision": e.decision.name(),
        "allowedBy": e.allowed_by().map(stmt).collect::<Vec<_>>(),
        "deniedBy": e.denied_by().map(stmt).collect::<Vec<_>>(),
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(b) = e.blocked_by {
            obj.insert("blockedBy".into(), Value::String(b.name().into()));
        }
        if !e.notes.is_empty() {
            obj.insert("notes".into(), json!(e.notes));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_prints_nothing() {
        assert_eq!(run_batch("", Options::default()).unwrap(), "");
        assert_eq!(run_batch("  \n", Options::default()).unwrap(), "");
    }

    #[test]
    fn escape_at_end_of_input_is_unterminated_not_a_panic() {
        // Found by `cargo fuzz` (fuzz/fuzz_targets/evaluate.rs).
        assert!(run_batch("\n[\"f\n\\\0\\", Options::default()).is_err());
        assert!(run_batch("[\"\\", Options::default()).is_err());
    }

    #[test]
    fn unreadable_input_is_an_error() {
        assert!(run_batch("this is not json", Options::default()).is_err());
    }

    #[test]
    fn bad_case_yields_error_line_and_run_goes_on() {
        let input = r#"[{"id": "a", "request": {"principal": "arn:aws:iam::111111111111:user/u", "action": "s3:GetObject", "resource": "*"},
            "policies": {"identity": [{"Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}}]}},
            {"request": {}},
            {"id": "c", "request": {"principal": "arn:aws:iam::111111111111:user/u", "action": "s3:GetObject", "resource": "*"},
            "policies": {"identity": [{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}]}}]"#;
        let out = run_batch(input, Options::default()).unwrap();
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["id"], "a");
        assert!(
            lines[0]["error"]
                .as_str()
                .unwrap()
                .contains("statement 1: `Effect`")
        );
        assert_eq!(lines[1]["id"], Value::Null);
        assert_eq!(lines[2]["decision"], "Allowed");
    }

    #[test]
    fn explain_notes_are_their_sentences() {
        let input = r#"[{"id": "n", "request": {"principal": "arn:aws:iam::111111111111:user/u", "action": "sts:GetCallerIdentity", "resource": "*"},
            "policies": {"identity": [{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}]}}]"#;
        let out = run_batch(input, Options { explain: true }).unwrap();
        assert!(
            out.contains(
                r#""notes":["sts:GetCallerIdentity needs no permission and cannot be denied"]"#
            ),
            "{out}"
        );
    }
}
