//! The effective-access engine: every (principal, resource, capability) an account's
//! policies allow, with the actions and the statements that grant them.
//!
//! Cost control (the naive product principals x resources x actions is billions of
//! evaluations in a large account):
//! - each statement's `Action` block is matched against a resource kind's classified
//!   actions once per principal, as a bit set;
//! - a (principal, resource) pair is evaluated only when some identity allow statement
//!   could apply to that resource, or its resource policy names the principal;
//! - actions that the same statements match (in every layer) and that the evaluator
//!   treats alike are decided by one evaluation;
//! - resources are processed in parallel batches and their rows streamed out in order,
//!   so memory stays bounded whatever the account size.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use accessdrift_capabilities::{Capability, ClassifiedAction, ResourceKind};
use accessdrift_evaluator::action::{RequestAction, action_block_matches};
use accessdrift_evaluator::context::{ContextValue, RequestContext};
use accessdrift_evaluator::principal::{
    PrincipalMatch, block_applies, names_everyone, other_sessions_named,
};
use accessdrift_evaluator::resource::{
    ElementMatch, PolicyType, RequestResource, resource_block_applies,
};
use accessdrift_evaluator::{
    ConditionTree, Decision, Formula, NamedPolicy, Note, OrgLevel, PolicySet, Principal, Request,
    Settings, evaluate,
};
use accessdrift_policy::{Effect, Policy, Statement, parse_policy_value};
use accessdrift_snapshot::{Resource, Snapshot};
use rayon::prelude::*;

use crate::subjects::{
    Constraints, Subject, SubjectKind, external_subject, internal_subject, resource_keys,
    root_subject,
};

/// Allowed outright, or only under request-time conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Allowed whatever the request context.
    Allowed,
    /// Allowed only when the row's conditions hold at request time.
    Conditional,
}

impl Access {
    /// Reads the word.
    pub fn parse(word: &str) -> Option<Access> {
        [Access::Allowed, Access::Conditional]
            .into_iter()
            .find(|a| a.as_str() == word)
    }

    /// The word in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Allowed => "Allowed",
            Access::Conditional => "Conditional",
        }
    }
}

/// A statement that grants a row's access.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    /// The policy label (`inline:role/Name`, `managed:<arn>`, `group:g/...`, `resource`).
    pub policy: String,
    /// The statement's Sid, else its 1-based index.
    pub statement: String,
}

/// One (principal, resource, capability) that is not denied.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The principal as AWS spells it.
    pub principal: Arc<str>,
    /// The resource ARN.
    pub resource: Arc<str>,
    /// The capability.
    pub capability: Capability,
    /// Allowed or Conditional.
    pub access: Access,
    /// For Conditional rows: the condition tree, when the condition is a policy
    /// condition. Shared (`Arc`): see [`crate::Interner`].
    pub conditions: Option<Arc<ConditionTree>>,
    /// The allowed (or conditionally allowed) actions of the capability, sorted.
    /// Shared (`Arc`): principals with the same policies get the same lists.
    pub actions: Arc<[&'static str]>,
    /// The granting statements, sorted.
    pub grants: Arc<[Grant]>,
    /// Other things that must also hold, in words (the principal's own account must
    /// grant it; decrypt on the KMS key that protects the data).
    pub requires: Vec<String>,
    /// For an S3 bucket: the object keys the row holds for, as IAM wildcard patterns
    /// relative to the bucket (`AWSLogs/*/Config/*`), when its grants cover only some
    /// keys; `None`: every key (or a capability not about keys).
    pub keys: Option<Arc<[String]>>,
}

/// One output line: a row, or what could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A row of effective access.
    Row(Row),
    /// A resource that could not be evaluated (unreadable policy, unsupported type).
    ResourceError {
        /// The resource ARN.
        resource: String,
        /// What is wrong.
        error: String,
    },
    /// Something else in the snapshot that could not be read (a managed policy, an SCP):
    /// the principals it applies to also get their own error lines where known.
    SnapshotError {
        /// What it concerns (a policy ARN, or a path such as `organization.scp[1]`).
        subject: String,
        /// What is wrong.
        error: String,
    },
    /// A principal whose access could not be evaluated fully (a policy is missing or
    /// unreadable): its rows are a lower bound.
    PrincipalError {
        /// The principal ARN.
        principal: String,
        /// What is wrong.
        error: String,
    },
}

impl Line {
    /// The sort key: resource, then principal, then capability (bytewise).
    fn key(&self) -> (&str, &str, &str) {
        match self {
            Line::Row(r) => (&r.resource, &r.principal, r.capability.as_str()),
            Line::ResourceError { resource, .. } => (resource, "", ""),
            Line::PrincipalError { principal, .. } => ("", principal, ""),
            Line::SnapshotError { subject, .. } => ("", "", subject),
        }
    }
}

/// Per resource kind: its classified actions and how the engine asks about them.
///
/// An action may be authorized against more than one ARN form (a Lambda function or any
/// of its versions; a DynamoDB table or its indexes): each (action, target) is a *unit*,
/// and the action is allowed on the resource when any of its units is.
struct KindInfo {
    actions: &'static [ClassifiedAction],
    /// Distinct targets (`bucket`, `object`, ...).
    targets: Vec<String>,
    /// Per unit: the action it belongs to.
    unit_action: Vec<u16>,
    /// Per unit: its target (index into `targets`).
    target_of: Vec<u16>,
    /// Per action: which special rules of the evaluator it may trigger (see `action_class`).
    class_of: Vec<u8>,
    /// Per action: the lowercase decoded action, for matching statements.
    request_actions: Vec<RequestAction>,
}

/// The target names an action is authorized against.
fn action_targets(kind: ResourceKind, action: &ClassifiedAction) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in action.targets() {
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
        // A version or alias of a function counts as the function.
        if kind == ResourceKind::LambdaFunction
            && t == "function"
            && !out.iter().any(|o| o == "function version")
        {
            out.push("function version".to_string());
        }
    }
    out
}

/// The identity side of a principal outside the account, whose policies are not in
/// the snapshot: taken as allowing everything (rows are then an upper bound, marked
/// Conditional on that account's own grant).
fn external_identity() -> &'static [NamedPolicy<'static>] {
    static POLICY: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    static NAMED: std::sync::OnceLock<[NamedPolicy<'static>; 1]> = std::sync::OnceLock::new();
    let policy = POLICY.get_or_init(|| {
        parse_policy_value(&serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
        }))
        .unwrap_or(Policy {
            version: accessdrift_policy::Version::V2012_10_17,
            id: None,
            statements: Vec::new(),
        })
    });
    NAMED.get_or_init(|| {
        [NamedPolicy {
            name: "identity policies of the principal's own account (not in the snapshot)",
            policy,
        }]
    })
}

/// A bit set over one kind's actions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
    fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    fn any(&self) -> bool {
        self.0.iter().any(|w| *w != 0)
    }
    fn union(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= *b;
        }
    }
}

/// A statement with the kind's actions its `Action` block matches.
struct MaskedStatement<'s> {
    statement: &'s Statement,
    version: accessdrift_policy::Version,
    /// Bit `t`: the statement matches an action whose target is `t`.
    targets: u32,
}

/// What one internal subject can do with one kind, before looking at resources.
struct SubjectKindInfo<'s> {
    /// Identity allow statements matching at least one of the kind's actions.
    allows: Vec<MaskedStatement<'s>>,
    /// Per action: a group id over identity, boundary and SCP statement matches.
    signature: Vec<u32>,
    /// Actions some identity allow statement matches.
    allowed_any: Bits,
}

/// What makes two principals' policies the same: identity policies (address and label),
/// boundary, whether SCPs govern it, user or role.
type PolicyKey<'a> = (Vec<(usize, &'a str)>, Option<usize>, bool, u8);

/// Which IAM principals' identity allow statements may reach a resource, by the literal
/// prefix of their `Resource` patterns (the part before the first wildcard). A resource
/// request `R` (literal part `L`) can be reached by a pattern with literal prefix `P`
/// only if `P` is a prefix of `L` or starts with `L`: everything else is skipped without
/// matching, which keeps big accounts from costing principals x resources.
#[derive(Debug, Default)]
struct CandidateIndex {
    /// Subjects with a pattern that may reach anything (`*`, variables, NotResource).
    always: Vec<usize>,
    /// Literal prefix -> subjects.
    by_prefix: BTreeMap<String, Vec<usize>>,
}

/// Settings of a run.
#[derive(Debug, Clone, Default)]
pub struct AccessOptions {
    /// Only these resources (by ARN), for an event-driven pass that re-read just them;
    /// `None` is the whole account. Principal-level error lines, which are not tied to a
    /// resource, come only from whole-account runs.
    pub resources: Option<std::collections::BTreeSet<String>>,
}

/// Computes effective access for a whole snapshot and hands each line, in sorted order,
/// to `sink` (which may write it out at once: rows are never all held in memory).
pub fn effective_access(snapshot: &Snapshot, options: &AccessOptions, mut sink: impl FnMut(Line)) {
    let engine = Engine::new(snapshot);
    let selected: Vec<_>;
    let resources = match &options.resources {
        None => {
            // Lines not tied to one resource come first (empty resource sorts first).
            let mut head: Vec<Line> = engine.principal_errors();
            head.sort_by(|a, b| a.key().cmp(&b.key()));
            for line in head {
                sink(line);
            }
            &snapshot.resources[..]
        }
        Some(only) => {
            selected = snapshot
                .resources
                .iter()
                .filter(|r| only.contains(&r.arn))
                .cloned()
                .collect();
            &selected[..]
        }
    };
    const BATCH: usize = 64;
    for chunk in resources.chunks(BATCH) {
        let per_resource: Vec<Vec<Line>> =
            chunk.par_iter().map(|r| engine.resource_lines(r)).collect();
        for lines in per_resource {
            for line in lines {
                sink(line);
            }
        }
    }
}

/// The rows for one principal and one resource, every classified action evaluated
/// (no pruning): what `accessdrift explain` shows.
pub fn explain_pair(
    snapshot: &Snapshot,
    principal_arn: &str,
    resource_arn: &str,
) -> Result<PairExplanation, String> {
    let engine = Engine::new(snapshot);
    let resource = snapshot
        .resources
        .iter()
        .find(|r| r.arn == resource_arn)
        .ok_or_else(|| format!("resource `{resource_arn}` is not in the snapshot"))?;
    let kind = ResourceKind::from_type_name(&resource.type_name)
        .ok_or_else(|| format!("resource type `{}` is not supported", resource.type_name))?;
    let rp = resource.policy.clone()?;
    let ctx_res = ResourceCtx::new(&engine, resource, kind, rp.as_deref());
    let subject = engine.internal.iter().find(|s| s.arn == principal_arn);
    let external;
    let subject = match subject {
        Some(s) => s,
        None => {
            external = external_subject(principal_arn, &snapshot.account_id, &engine.constraints)
                .map(Subject::share_keys)
                .ok_or_else(|| format!("principal `{principal_arn}` is neither in the snapshot nor an external principal"))?;
            &external
        }
    };
    let mut actions = Vec::new();
    let info = engine
        .kinds
        .get(&kind)
        .ok_or("resource kind has no classified actions")?;
    let context = engine.pair_context(subject, &ctx_res);
    for (i, ca) in info.actions.iter().enumerate() {
        // The first allowing unit, else the first unit's denial.
        let units: Vec<usize> = (0..info.unit_action.len())
            .filter(|u| info.unit_action[*u] as usize == i)
            .collect();
        let mut outcome: Option<Outcome> = None;
        for u in units {
            let o = engine.decide(subject, &ctx_res, &context, u);
            let allowed = o.decision == Decision::Allowed;
            if outcome.is_none() || allowed {
                outcome = Some(o);
            }
            if allowed {
                break;
            }
        }
        let Some(mut outcome) = outcome else { continue };
        if let Some(only) = ca.only_on.filter(|_| ctx_res.inapplicable.get(i)) {
            // The policies may allow it, but it cannot act on this resource.
            outcome.decision = Decision::ImplicitlyDenied;
            outcome.blocked_by = Some(only.describe());
        }
        actions.push(ActionExplanation {
            action: ca.action.clone(),
            capabilities: ca.capabilities.clone(),
            decision: outcome.decision,
            conditions: outcome.conditions.into_tree(),
            blocked_by: outcome.blocked_by.map(str::to_string),
            allowed_by: outcome.grants.iter().map(GrantRef::grant).collect(),
            denied_by: outcome.denied_by.iter().map(GrantRef::grant).collect(),
            notes: outcome.notes,
        });
    }
    Ok(PairExplanation {
        principal: subject.arn.clone(),
        resource: resource.arn.clone(),
        data_key: resource
            .kms_key_arn
            .as_ref()
            .map(|k| (k.clone(), engine.decrypt(subject, k).is_some())),
        rows: {
            let mut rows = engine.rows_for_pair(subject, &ctx_res);
            engine.apply_key_requirement(subject, &ctx_res, &mut rows);
            rows
        },
        actions,
    })
}

/// Why a principal has (or lacks) each capability on a resource.
#[derive(Debug, Clone)]
pub struct PairExplanation {
    /// The principal.
    pub principal: String,
    /// The resource.
    pub resource: String,
    /// The rows the pair produces.
    pub rows: Vec<Row>,
    /// Every classified action with its decision and reasons.
    pub actions: Vec<ActionExplanation>,
    /// The customer-managed KMS key protecting the resource's data, and whether the
    /// principal may decrypt with it (read-data needs both).
    pub data_key: Option<(String, bool)>,
}

/// The decision for one action, with its reasons.
#[derive(Debug, Clone)]
pub struct ActionExplanation {
    /// `s3:GetObject`.
    pub action: String,
    /// The capabilities it counts towards.
    pub capabilities: Vec<Capability>,
    /// The evaluator's decision.
    pub decision: Decision,
    /// The request-time conditions an allow depends on.
    pub conditions: Option<ConditionTree>,
    /// For denials: the layer that stopped it.
    pub blocked_by: Option<String>,
    /// Granting statements.
    pub allowed_by: Vec<Grant>,
    /// Denying statements.
    pub denied_by: Vec<Grant>,
    /// Rules that decided.
    pub notes: Vec<Note>,
}

struct Engine<'s> {
    snap: &'s Snapshot,
    constraints: Constraints,
    internal: Vec<Subject>,
    identity: Vec<Vec<NamedPolicy<'s>>>,
    boundary: Vec<Option<NamedPolicy<'s>>>,
    scp: Vec<OrgLevel<'s>>,
    rcp: Vec<OrgLevel<'s>>,
    kinds: HashMap<ResourceKind, KindInfo>,
    subject_kinds: Vec<HashMap<ResourceKind, SubjectKindInfo<'s>>>,
    /// Per IAM principal: see [`Engine::fingerprints`].
    fingerprints: Vec<(u32, BTreeSet<String>)>,
    /// Per IAM principal: the values of the principal facts its policies read.
    facts: Vec<Arc<[String]>>,
    /// Per resource kind: which IAM principals may hold anything on a given resource.
    candidates: HashMap<ResourceKind, CandidateIndex>,
    /// Action masks of identity, boundary and guardrail statements (by address), per kind.
    masks: HashMap<(usize, ResourceKind), Bits>,
    /// Internal subjects by ARN, and roles by (account, name).
    by_arn: HashMap<String, usize>,
    roles_by_name: HashMap<(String, String), Vec<usize>>,
    keys_by_arn: HashMap<&'s str, &'s Resource>,
    bpa_account: bool,
    management: bool,
}

/// The outcome of one evaluation, kept for every action of its group.
#[derive(Debug, Clone)]
struct Outcome<'a> {
    decision: Decision,
    conditions: Formula,
    blocked_by: Option<&'static str>,
    /// Granting statements (identity and resource policies), labelled only when a row
    /// is built: most evaluations feed rows that share their grants.
    grants: Vec<GrantRef<'a>>,
    denied_by: Vec<GrantRef<'a>>,
    notes: Vec<Note>,
    /// The evaluator's scope of an allowed pattern request (see `Evaluation::scope`).
    scope: Option<Vec<&'a str>>,
}

/// A statement named in a row, before its label is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct GrantRef<'a> {
    policy: &'a str,
    sid: Option<&'a str>,
    index: usize,
}

impl GrantRef<'_> {
    fn grant(&self) -> Grant {
        Grant {
            policy: self.policy.to_string(),
            statement: self
                .sid
                .filter(|x| !x.is_empty())
                .map_or_else(|| self.index.to_string(), str::to_string),
        }
    }
}

/// A resource, prepared once for all subjects.
struct ResourceCtx<'r> {
    resource: &'r Resource,
    /// The ARN, shared by every row of the resource.
    arn: Arc<str>,
    kind: ResourceKind,
    policy: Option<&'r Policy>,
    /// Request resource per target.
    requests: Vec<String>,
    keys: accessdrift_evaluator::context::SharedKeys,
    /// Per action: group id over resource-policy statement matches.
    signature: Vec<u32>,
    /// Actions some resource-policy allow statement matches.
    allowed_any: Bits,
    /// Actions that cannot act on this resource whatever the policies say
    /// (`ClassifiedAction::only_on`: service-linked-role actions on an ordinary role).
    inapplicable: Bits,
    settings: Settings,
}

impl<'r> ResourceCtx<'r> {
    fn new(
        engine: &Engine<'_>,
        resource: &'r Resource,
        kind: ResourceKind,
        policy: Option<&'r Policy>,
    ) -> ResourceCtx<'r> {
        let info = engine.kinds.get(&kind);
        let requests = info
            .map(|i| {
                i.targets
                    .iter()
                    .map(|t| accessdrift_capabilities::request_resource(kind, &resource.arn, t))
                    .collect()
            })
            .unwrap_or_default();
        let signature = match (info, policy) {
            (Some(i), Some(p)) => signature_over(i, p.statements.iter()),
            (Some(i), None) => vec![0; i.actions.len()],
            _ => Vec::new(),
        };
        let mut allowed_any = Bits::new(info.map_or(0, |i| i.actions.len()));
        if let (Some(i), Some(p)) = (info, policy) {
            for st in p.statements.iter().filter(|st| st.effect == Effect::Allow) {
                allowed_any.union(&action_mask(i, st));
            }
        }
        let mut inapplicable = Bits::new(info.map_or(0, |i| i.actions.len()));
        if let Some(i) = info {
            for (a, ca) in i.actions.iter().enumerate() {
                if !ca.applies_to(&resource.arn) {
                    inapplicable.set(a);
                }
            }
        }
        let bucket_restrict = resource
            .settings
            .pointer("/PublicAccessBlock/RestrictPublicBuckets")
            .or_else(|| {
                resource
                    .settings
                    .pointer("/publicAccessBlock/RestrictPublicBuckets")
            })
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        ResourceCtx {
            resource,
            arn: Arc::from(resource.arn.as_str()),
            kind,
            policy,
            requests,
            keys: resource_keys(resource, engine.snap.organization.as_ref()).into(),
            signature,
            allowed_any,
            inapplicable,
            settings: Settings {
                s3_block_public_access: kind == ResourceKind::S3Bucket
                    && (engine.bpa_account || bucket_restrict),
            },
        }
    }
}

/// The principal facts a policy reads: condition keys about the principal, and the keys
/// named by `${...}` policy variables (which nearly always name principal facts). Two
/// principals with the same policies and the same values for these keys get the same
/// decisions, so their rows can be computed once.
fn principal_refs(policy: &Policy, out: &mut BTreeSet<String>) {
    fn variables(text: &str, out: &mut BTreeSet<String>) {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let name = after[..end]
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            out.insert(name);
            rest = &after[end + 1..];
        }
    }
    for st in &policy.statements {
        for c in &st.conditions {
            let k = c.key_lower.as_str();
            if k.starts_with("aws:principal")
                || matches!(
                    k,
                    "aws:username" | "aws:userid" | "aws:sourceidentity" | "aws:federatedprovider"
                )
            {
                out.insert(k.to_string());
            }
            for v in &c.values {
                variables(v, out);
            }
        }
        if let Some(r) = &st.resource {
            for p in &r.patterns {
                variables(p, out);
            }
        }
    }
}

/// The values of the given keys in a subject's context, as a cache-key part.
fn fact_values(subject: &Subject, keys: &BTreeSet<String>) -> Vec<String> {
    keys.iter()
        .map(|k| match subject.context.given(k) {
            Some(ContextValue::Single(v)) => v.clone(),
            Some(ContextValue::Multi(v)) => v.join("\u{1}"),
            None => "\u{0}".to_string(),
        })
        .collect()
}

/// How a resource-policy principal element names a subject, as the evaluator reads it
/// in Discovery mode (0: not at all). A role stands for its future sessions there: an
/// entry naming one of its sessions applies if the session is so named (`SESSION`), and
/// a `NotPrincipal` applies to it unless it names everyone (only a session's own ARN
/// exempts a session; the role ARN exempts none), conditionally when it names some of
/// its sessions (`SESSION`). `block_applies` alone says "not named" for both, which
/// made the engine skip pairs the evaluator grants.
fn principal_code(block: &accessdrift_policy::PrincipalBlock, who: &Principal) -> u8 {
    if block.negated && matches!(who, Principal::Role { .. }) {
        if names_everyone(&block.principals) {
            return 0;
        }
        return if other_sessions_named(&block.principals, who).is_empty() {
            PrincipalMatch::Wildcard as u8 + 1
        } else {
            SESSION
        };
    }
    match block_applies(block, who) {
        Some(m) => m as u8 + 1,
        None if !block.negated && !other_sessions_named(&block.principals, who).is_empty() => {
            SESSION
        }
        None => 0,
    }
}

/// [`principal_code`] of a grant that holds only for some session names of the role:
/// the names are in the rows' conditions, so such rows are not shared between roles.
const SESSION: u8 = u8::MAX;

/// How each resource-policy statement's principal element names the subject (0: not).
fn rp_principal_signature(policy: Option<&Policy>, who: &Principal) -> Vec<u8> {
    policy.map_or_else(Vec::new, |p| {
        p.statements
            .iter()
            .map(|st| st.principal.as_ref().map_or(0, |b| principal_code(b, who)))
            .collect()
    })
}

/// Groups a kind's actions by which of the given statements match them: equal ids mean
/// the same statements apply.
fn signature_over<'a>(
    info: &KindInfo,
    statements: impl Iterator<Item = &'a Statement>,
) -> Vec<u32> {
    let masks: Vec<Bits> = statements.map(|st| action_mask(info, st)).collect();
    signature_of(info.actions.len(), &masks)
}

/// Group ids per action from statement masks: actions matched by the same statements
/// share an id.
fn signature_of(actions: usize, masks: &[Bits]) -> Vec<u32> {
    let mut ids: rustc_hash::FxHashMap<Vec<u64>, u32> = rustc_hash::FxHashMap::default();
    let words = masks.len().div_ceil(64);
    (0..actions)
        .map(|a| {
            let mut key = vec![0u64; words];
            for (i, m) in masks.iter().enumerate() {
                if m.get(a) {
                    key[i / 64] |= 1 << (i % 64);
                }
            }
            let next = ids.len() as u32;
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

fn action_mask(info: &KindInfo, st: &Statement) -> Bits {
    let mut bits = Bits::new(info.actions.len());
    for (i, a) in info.request_actions.iter().enumerate() {
        if action_block_matches(&st.action, a) {
            bits.set(i);
        }
    }
    bits
}

/// Which evaluator special cases an action may hit, so that actions in one group are
/// decided alike: role trust (sts:AssumeRole*), S3 bucket-policy lockout protection,
/// read-only vs modifying (AWS-owned resources), kms:RetireGrant (no RCPs).
fn action_class(action: &str) -> u8 {
    let lower = action.to_ascii_lowercase();
    let mut class = 0u8;
    if lower.starts_with("sts:assumerole") {
        class |= 1;
    }
    if matches!(
        lower.as_str(),
        "s3:getbucketpolicy" | "s3:putbucketpolicy" | "s3:deletebucketpolicy"
    ) {
        class |= 2;
    }
    if lower == "kms:retiregrant" {
        class |= 4;
    }
    let read_only = accessdrift_iam_data::catalog()
        .action(action)
        .is_some_and(|a| {
            matches!(
                a.access_level,
                accessdrift_iam_data::AccessLevel::Read | accessdrift_iam_data::AccessLevel::List
            )
        });
    if read_only {
        class |= 8;
    }
    class
}

impl<'s> Engine<'s> {
    fn new(snap: &'s Snapshot) -> Engine<'s> {
        let constraints = Constraints::new();
        let org = snap.organization.as_ref();
        let account = snap.account_id.as_str();
        let mut internal: Vec<Subject> = snap
            .principals
            .iter()
            .enumerate()
            .map(|(i, p)| internal_subject(i, p, account, org, &constraints.known).share_keys())
            .collect();
        internal.push(root_subject(account, org, &constraints.known).share_keys());
        let mut identity: Vec<Vec<NamedPolicy<'s>>> = snap
            .principals
            .iter()
            .map(|p| {
                p.policies
                    .iter()
                    .map(|np| NamedPolicy {
                        name: &np.name,
                        policy: &np.policy,
                    })
                    .collect()
            })
            .collect();
        identity.push(Vec::new());
        let mut boundary: Vec<Option<NamedPolicy<'s>>> = snap
            .principals
            .iter()
            .map(|p| {
                p.boundary.as_ref().map(|np| NamedPolicy {
                    name: &np.name,
                    policy: &np.policy,
                })
            })
            .collect();
        boundary.push(None);
        let levels = |ls: &'s [accessdrift_snapshot::OrgLevel]| -> Vec<OrgLevel<'s>> {
            ls.iter()
                .map(|l| OrgLevel {
                    level: &l.level,
                    policies: l
                        .policies
                        .iter()
                        .map(|np| NamedPolicy {
                            name: &np.name,
                            policy: &np.policy,
                        })
                        .collect(),
                })
                .collect()
        };
        let management = org.is_some_and(|o| o.management_account_id == account);
        let (scp, rcp) = match org {
            Some(o) if !management => (levels(&o.scp), levels(&o.rcp)),
            _ => (Vec::new(), Vec::new()),
        };
        let present: BTreeSet<ResourceKind> = snap
            .resources
            .iter()
            .filter_map(|r| ResourceKind::from_type_name(&r.type_name))
            .collect();
        let mut kinds = HashMap::new();
        for kind in present {
            let actions = accessdrift_capabilities::actions_for(kind);
            let mut targets: Vec<String> = Vec::new();
            let mut target_of = Vec::with_capacity(actions.len());
            let mut unit_action = Vec::with_capacity(actions.len());
            for (ai, a) in actions.iter().enumerate() {
                for t in action_targets(kind, a) {
                    let idx = match targets.iter().position(|x| *x == t) {
                        Some(i) => i,
                        None => {
                            targets.push(t);
                            targets.len() - 1
                        }
                    };
                    target_of.push(idx as u16);
                    unit_action.push(ai as u16);
                }
            }
            kinds.insert(
                kind,
                KindInfo {
                    actions,
                    targets,
                    unit_action,
                    target_of,
                    class_of: actions
                        .iter()
                        .map(|a| {
                            let c = action_class(&a.action);
                            // Read-only vs modifying matters only for AWS-reserved roles.
                            if kind == ResourceKind::IamRole {
                                c
                            } else {
                                c & !8
                            }
                        })
                        .collect(),
                    request_actions: actions
                        .iter()
                        .map(|a| RequestAction::new(&a.action))
                        .collect(),
                },
            );
        }
        let mut engine = Engine {
            snap,
            constraints,
            internal,
            identity,
            boundary,
            scp,
            rcp,
            kinds,
            subject_kinds: Vec::new(),
            fingerprints: Vec::new(),
            facts: Vec::new(),
            candidates: HashMap::new(),
            masks: HashMap::new(),
            by_arn: HashMap::new(),
            roles_by_name: HashMap::new(),
            keys_by_arn: snap.resources.iter().map(|r| (r.arn.as_str(), r)).collect(),
            bpa_account: snap
                .account_settings
                .s3_block_public_access
                .restrict_public_buckets,
            management,
        };
        engine.fingerprints = engine.fingerprints();
        engine.facts = engine
            .fingerprints
            .iter()
            .enumerate()
            .map(|(i, (_, refs))| Arc::from(fact_values(&engine.internal[i], refs)))
            .collect();
        engine.masks = engine.statement_masks();
        for (i, subject) in engine.internal.iter().enumerate() {
            engine.by_arn.insert(subject.arn.clone(), i);
            if let Principal::Role { account, name, .. } = &subject.principal {
                engine
                    .roles_by_name
                    .entry((account.clone(), name.clone()))
                    .or_default()
                    .push(i);
            }
        }
        engine.subject_kinds = (0..engine.internal.len())
            .into_par_iter()
            .map(|s| engine.subject_kind_infos(s))
            .collect();
        engine.candidates = engine.candidate_indexes();
        engine
    }

    /// Per IAM principal: an id shared by principals with the same policies (and
    /// labels), and the principal facts those policies and the guardrails read.
    fn fingerprints(&self) -> Vec<(u32, BTreeSet<String>)> {
        let mut guardrail_refs = BTreeSet::new();
        for p in self
            .scp
            .iter()
            .chain(self.rcp.iter())
            .flat_map(|l| l.policies.iter())
        {
            principal_refs(p.policy, &mut guardrail_refs);
        }
        let mut ids: HashMap<PolicyKey<'_>, u32> = HashMap::new();
        let mut refs_cache: HashMap<usize, BTreeSet<String>> = HashMap::new();
        (0..self.snap.principals.len())
            .map(|i| {
                let subject = &self.internal[i];
                let mut refs = guardrail_refs.clone();
                for p in self.identity[i].iter().chain(self.boundary[i].iter()) {
                    let r = refs_cache
                        .entry(p.policy as *const Policy as usize)
                        .or_insert_with(|| {
                            let mut r = BTreeSet::new();
                            principal_refs(p.policy, &mut r);
                            r
                        });
                    refs.extend(r.iter().cloned());
                }
                let key = (
                    self.identity[i]
                        .iter()
                        .map(|np| (np.policy as *const Policy as usize, np.name))
                        .collect(),
                    self.boundary[i].map(|b| b.policy as *const Policy as usize),
                    subject.scp_governed,
                    match subject.principal {
                        Principal::User { .. } => 0,
                        _ => 1,
                    },
                );
                let next = ids.len() as u32;
                (*ids.entry(key).or_insert(next), refs)
            })
            .collect()
    }

    fn candidate_indexes(&self) -> HashMap<ResourceKind, CandidateIndex> {
        let mut out: HashMap<ResourceKind, CandidateIndex> = HashMap::new();
        for (s, kinds) in self.subject_kinds.iter().enumerate() {
            for (kind, info) in kinds {
                let index = out.entry(*kind).or_default();
                let mut always = false;
                let mut prefixes: BTreeSet<&str> = BTreeSet::new();
                for m in &info.allows {
                    match &m.statement.resource {
                        Some(block) if !block.negated => {
                            for p in &block.patterns {
                                let literal = p.find(['*', '?']).map_or(p.as_str(), |i| &p[..i]);
                                if literal.is_empty()
                                    || (m.version.supports_variables() && p.contains("${"))
                                {
                                    always = true;
                                } else {
                                    prefixes.insert(literal);
                                }
                            }
                        }
                        _ => always = true,
                    }
                }
                if always {
                    index.always.push(s);
                } else {
                    for p in prefixes {
                        index.by_prefix.entry(p.to_string()).or_default().push(s);
                    }
                }
            }
        }
        out
    }

    /// The internal subjects worth evaluating on a resource, in subject order: the root
    /// user, principals a resource policy names, and principals whose identity allow
    /// patterns may reach one of the resource's request forms.
    fn candidate_subjects(&self, ctx: &ResourceCtx<'_>) -> Vec<usize> {
        let n = self.internal.len();
        let mut mark = vec![false; n];
        // The root user (last subject) has implicit access in its own account.
        if let Some(last) = mark.last_mut() {
            *last = true;
        }
        if let Some(policy) = ctx.policy {
            let everyone = policy.statements.iter().any(|st| {
                st.effect == Effect::Allow
                    && st.principal.as_ref().is_some_and(|b| {
                        b.negated
                            || matches!(&b.principals, accessdrift_policy::Principals::Any)
                            || matches!(&b.principals, accessdrift_policy::Principals::Map(m) if m.aws.iter().any(|a| a == "*"))
                    })
            });
            if everyone {
                mark.iter_mut().for_each(|m| *m = true);
            } else {
                // Principals the policy names by ARN; account-level entries delegate to
                // identity policies, which the index below covers.
                for st in &policy.statements {
                    let Some(block) = st.principal.as_ref().filter(|_| st.effect == Effect::Allow)
                    else {
                        continue;
                    };
                    let accessdrift_policy::Principals::Map(m) = &block.principals else {
                        continue;
                    };
                    for entry in &m.aws {
                        for s in self.named_subjects(entry) {
                            mark[s] = true;
                        }
                    }
                }
            }
        }
        if let Some(index) = self.candidates.get(&ctx.kind) {
            for s in &index.always {
                mark[*s] = true;
            }
            for request in &ctx.requests {
                let literal = request
                    .find(['*', '?'])
                    .map_or(request.as_str(), |i| &request[..i]);
                // Patterns whose literal prefix is a prefix of the request...
                for (i, _) in literal
                    .char_indices()
                    .skip(1)
                    .chain(std::iter::once((literal.len(), ' ')))
                {
                    if let Some(subjects) = index.by_prefix.get(&literal[..i]) {
                        for s in subjects {
                            mark[*s] = true;
                        }
                    }
                }
                // ...or that start with the request's literal part (pattern requests).
                if literal.len() < request.len() {
                    for (_, subjects) in index
                        .by_prefix
                        .range::<str, _>((
                            std::ops::Bound::Included(literal),
                            std::ops::Bound::Unbounded,
                        ))
                        .take_while(|(p, _)| p.starts_with(literal))
                    {
                        for s in subjects {
                            mark[*s] = true;
                        }
                    }
                }
            }
        }
        (0..n).filter(|s| mark[*s]).collect()
    }

    /// Action masks of every distinct identity, boundary, SCP and RCP statement, per kind:
    /// a managed policy attached to 500 roles is matched against the catalog once.
    fn statement_masks(&self) -> HashMap<(usize, ResourceKind), Bits> {
        let mut seen: BTreeSet<usize> = BTreeSet::new();
        let mut statements: Vec<&Statement> = Vec::new();
        let policies = self
            .identity
            .iter()
            .flatten()
            .chain(self.boundary.iter().flatten())
            .chain(
                self.scp
                    .iter()
                    .chain(self.rcp.iter())
                    .flat_map(|l| l.policies.iter()),
            );
        for np in policies {
            if seen.insert(np.policy as *const Policy as usize) {
                statements.extend(np.policy.statements.iter());
            }
        }
        statements
            .par_iter()
            .flat_map_iter(|st| {
                self.kinds.iter().map(move |(kind, info)| {
                    (
                        (*st as *const Statement as usize, *kind),
                        action_mask(info, st),
                    )
                })
            })
            .collect()
    }

    fn mask(&self, st: &Statement, kind: ResourceKind, info: &KindInfo) -> Bits {
        self.masks
            .get(&(st as *const Statement as usize, kind))
            .cloned()
            .unwrap_or_else(|| action_mask(info, st))
    }

    /// The internal subjects a resource-policy `AWS` entry names: a user or role by ARN,
    /// a role (by account and name, paths aside) through its ARN or a session ARN.
    fn named_subjects(&self, entry: &str) -> Vec<usize> {
        let Some(arn) = accessdrift_primitives::Arn::parse(entry) else {
            return Vec::new();
        };
        let role_name = match (arn.service, arn.resource) {
            ("iam", r) if r.starts_with("role/") => r.rsplit('/').next(),
            ("sts", r) if r.starts_with("assumed-role/") => {
                r["assumed-role/".len()..].split('/').next()
            }
            _ => None,
        };
        if let Some(name) = role_name {
            return self
                .roles_by_name
                .get(&(arn.account.to_string(), name.to_string()))
                .cloned()
                .unwrap_or_default();
        }
        self.by_arn.get(entry).map(|s| vec![*s]).unwrap_or_default()
    }

    fn subject_kind_infos(&self, s: usize) -> HashMap<ResourceKind, SubjectKindInfo<'s>> {
        let mut out = HashMap::new();
        for (kind, info) in &self.kinds {
            let mut allows = Vec::new();
            let mut allowed_any = Bits::new(info.actions.len());
            for np in &self.identity[s] {
                for st in &np.policy.statements {
                    if st.effect != Effect::Allow {
                        continue;
                    }
                    let mask = self.mask(st, *kind, info);
                    allowed_any.union(&mask);
                    if mask.any() {
                        let mut targets = 0u32;
                        for (u, t) in info.target_of.iter().enumerate() {
                            if mask.get(info.unit_action[u] as usize) {
                                targets |= 1 << (*t as u32 % 32);
                            }
                        }
                        allows.push(MaskedStatement {
                            statement: st,
                            version: np.policy.version,
                            targets,
                        });
                    }
                }
            }
            let scp_statements = self
                .scp
                .iter()
                .flat_map(|l| l.policies.iter())
                .flat_map(|p| p.policy.statements.iter());
            let rcp_statements = self
                .rcp
                .iter()
                .flat_map(|l| l.policies.iter())
                .flat_map(|p| p.policy.statements.iter());
            let statements = self.identity[s]
                .iter()
                .chain(self.boundary[s].iter())
                .flat_map(|p| p.policy.statements.iter())
                .chain(scp_statements)
                .chain(rcp_statements);
            out.insert(
                *kind,
                SubjectKindInfo {
                    allows,
                    signature: signature_of(
                        info.actions.len(),
                        &statements
                            .map(|st| self.mask(st, *kind, info))
                            .collect::<Vec<_>>(),
                    ),
                    allowed_any,
                },
            );
        }
        out
    }

    /// Problems of the snapshot that are not about one resource (those become the
    /// resource's own error line): principals evaluated on incomplete policies, and
    /// unreadable managed policies or Organization policies.
    fn principal_errors(&self) -> Vec<Line> {
        let principal_arns: BTreeSet<&str> = self
            .snap
            .principals
            .iter()
            .map(|p| p.arn.as_str())
            .collect();
        let mut seen = BTreeSet::new();
        self.snap
            .problems
            .iter()
            .filter(|p| !self.keys_by_arn.contains_key(p.subject.as_str()))
            .filter(|p| seen.insert((p.subject.clone(), p.message.clone())))
            .map(|p| {
                if principal_arns.contains(p.subject.as_str()) {
                    Line::PrincipalError {
                        principal: p.subject.clone(),
                        error: format!("could not evaluate fully: {}", p.message),
                    }
                } else {
                    Line::SnapshotError {
                        subject: p.subject.clone(),
                        error: p.message.clone(),
                    }
                }
            })
            .collect()
    }

    /// Every line for one resource, sorted.
    fn resource_lines(&self, resource: &Resource) -> Vec<Line> {
        let Some(kind) = ResourceKind::from_type_name(&resource.type_name) else {
            return vec![Line::ResourceError {
                resource: resource.arn.clone(),
                error: format!(
                    "could not evaluate: resource type `{}` is not supported (supported: {})",
                    resource.type_name,
                    ResourceKind::ALL
                        .iter()
                        .map(|k| k.type_name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }];
        };
        let policy = match &resource.policy {
            Ok(p) => p.as_deref(),
            Err(e) => {
                return vec![Line::ResourceError {
                    resource: resource.arn.clone(),
                    error: format!("could not evaluate: policy could not be read: {e}"),
                }];
            }
        };
        let ctx = ResourceCtx::new(self, resource, kind, policy);
        let mut lines: Vec<Line> = Vec::new();
        // Subjects with the same policies and the same values of the principal facts
        // those policies read decide alike on this resource: evaluate once per (policies,
        // facts, how the resource policy names them) and reuse the rows for the others.
        let mut rp_refs = BTreeSet::new();
        if let Some(p) = policy {
            principal_refs(p, &mut rp_refs);
        }
        type CacheKey = (u32, Vec<u8>, Arc<[String]>, Vec<String>);
        let mut cache: rustc_hash::FxHashMap<CacheKey, Vec<Row>> = rustc_hash::FxHashMap::default();
        for s in self.candidate_subjects(&ctx) {
            let subject = &self.internal[s];
            // Rows that hold only for some session names of the role are not shared.
            let key = subject.iam_index.and_then(|i| {
                let rp_signature = rp_principal_signature(policy, &subject.principal);
                if rp_signature.contains(&SESSION) {
                    return None;
                }
                let (fp, _) = &self.fingerprints[i];
                Some((
                    *fp,
                    rp_signature,
                    Arc::clone(&self.facts[i]),
                    if rp_refs.is_empty() {
                        Vec::new()
                    } else {
                        fact_values(subject, &rp_refs)
                    },
                ))
            });
            let mut rows = match key.as_ref().and_then(|k| cache.get(k)) {
                Some(template) => {
                    let name: Arc<str> = Arc::from(subject.arn.as_str());
                    template
                        .iter()
                        .map(|r| Row {
                            principal: Arc::clone(&name),
                            ..r.clone()
                        })
                        .collect()
                }
                None => {
                    let rows = if self.is_candidate(subject, &ctx) {
                        self.rows_for_pair(subject, &ctx)
                    } else {
                        Vec::new()
                    };
                    if let Some(k) = key {
                        cache.insert(k, rows.clone());
                    }
                    rows
                }
            };
            self.apply_key_requirement(subject, &ctx, &mut rows);
            lines.extend(rows.into_iter().map(Line::Row));
        }
        for subject in self.external_subjects(&ctx) {
            let mut rows = self.rows_for_pair(&subject, &ctx);
            self.apply_key_requirement(&subject, &ctx, &mut rows);
            lines.extend(rows.into_iter().map(Line::Row));
        }
        lines.sort_by(|a, b| a.key().cmp(&b.key()));
        lines
    }

    /// Principals the resource policy names that are not the account's own.
    fn external_subjects(&self, ctx: &ResourceCtx<'_>) -> Vec<Subject> {
        let Some(policy) = ctx.policy else {
            return Vec::new();
        };
        let mut names: BTreeSet<String> = BTreeSet::new();
        for st in &policy.statements {
            if st.effect != Effect::Allow {
                continue;
            }
            let Some(block) = &st.principal else { continue };
            if block.negated {
                names.insert("*".to_string());
                continue;
            }
            match &block.principals {
                accessdrift_policy::Principals::Any => {
                    names.insert("*".to_string());
                }
                accessdrift_policy::Principals::Map(m) => {
                    names.extend(m.aws.iter().cloned());
                    names.extend(m.service.iter().cloned());
                }
            }
        }
        let mut out: Vec<Subject> = names
            .iter()
            .filter_map(|n| external_subject(n, &self.snap.account_id, &self.constraints))
            .map(Subject::share_keys)
            .collect();
        // A session of one of the account's roles, named by its ARN (issue 18: a trust
        // policy naming `arn:aws:sts::A:assumed-role/ci/deploy` gave that session no
        // row). It acts with its role's policies; the grant names it directly (IAM UG,
        // "AWS JSON policy elements: Principal", role session principals).
        for name in &names {
            let principal = Principal::parse(name);
            let Principal::AssumedRole {
                account, role_name, ..
            } = &principal
            else {
                continue;
            };
            if *account != self.snap.account_id {
                continue;
            }
            let Some(roles) = self
                .roles_by_name
                .get(&(account.clone(), role_name.clone()))
            else {
                continue;
            };
            for &i in roles {
                let Some(role) = self.internal.get(i) else {
                    continue;
                };
                out.push(
                    Subject {
                        arn: name.clone(),
                        principal: principal.clone(),
                        kind: SubjectKind::Internal,
                        iam_index: role.iam_index,
                        scp_governed: role.scp_governed,
                        context: role.context.clone(),
                        family: role.family,
                        keys: Vec::new().into(),
                    }
                    .share_keys(),
                );
            }
        }
        // One subject per row name: an account named both by id and by root ARN
        // (`222222222222`, `arn:aws:iam::222222222222:root`) got every row twice.
        let mut seen = BTreeSet::new();
        out.retain(|s| seen.insert(s.arn.clone()));
        out
    }

    /// Whether the pair can hold anything: an identity allow that may reach the
    /// resource, the root user's implicit access, or a resource policy naming it.
    fn is_candidate(&self, subject: &Subject, ctx: &ResourceCtx<'_>) -> bool {
        if subject.kind == SubjectKind::Root {
            return true;
        }
        if let Some(policy) = ctx.policy {
            let named = policy.statements.iter().any(|st| {
                st.effect == Effect::Allow
                    && st
                        .principal
                        .as_ref()
                        .is_some_and(|b| principal_code(b, &subject.principal) != 0)
            });
            if named {
                return true;
            }
        }
        let Some(s) = subject.iam_index else {
            return false;
        };
        let Some(info) = self.subject_kinds.get(s).and_then(|m| m.get(&ctx.kind)) else {
            return false;
        };
        let Some(kind_info) = self.kinds.get(&ctx.kind) else {
            return false;
        };
        info.allows.iter().any(|m| {
            kind_info.targets.iter().enumerate().any(|(t, _)| {
                m.targets & (1 << (t as u32 % 32)) != 0
                    && resource_block_applies(
                        m.statement.resource.as_ref(),
                        Effect::Allow,
                        PolicyType::Identity,
                        m.version,
                        &RequestResource::new(&ctx.requests[t], false),
                        &subject.context,
                    ) != ElementMatch::No
            })
        })
    }

    /// Evaluates one classified action for a pair.
    /// The subject's context with the resource's keys, as two shared layers: building
    /// it costs two reference counts, not a copy of every key.
    fn pair_context(&self, subject: &Subject, ctx: &ResourceCtx<'_>) -> RequestContext {
        let regional = crate::subjects::resource_region(ctx.resource).is_some();
        RequestContext::layered(
            accessdrift_evaluator::context::Mode::Discovery(std::sync::Arc::clone(
                self.constraints.get(subject.family, regional),
            )),
            Arc::clone(&subject.keys),
            Arc::clone(&ctx.keys),
        )
    }

    fn decide<'x>(
        &'x self,
        subject: &'x Subject,
        ctx: &'x ResourceCtx<'x>,
        context: &'x RequestContext,
        unit: usize,
    ) -> Outcome<'x> {
        let Some(info) = self.kinds.get(&ctx.kind) else {
            return Outcome {
                decision: Decision::ImplicitlyDenied,
                conditions: Formula::False,
                blocked_by: None,
                scope: None,
                grants: Vec::new(),
                denied_by: Vec::new(),
                notes: Vec::new(),
            };
        };
        let external_identity = external_identity();
        let (identity, boundary): (&[NamedPolicy<'_>], Option<NamedPolicy<'_>>) =
            match (&subject.kind, subject.iam_index) {
                (SubjectKind::Internal, Some(i)) => (&self.identity[i], self.boundary[i]),
                (SubjectKind::ExternalPrincipal(_), _) => (external_identity, None),
                _ => (&[], None),
            };
        let rp = ctx.policy.map(|p| NamedPolicy {
            name: "resource",
            policy: p,
        });
        let set = PolicySet {
            identity,
            boundary,
            scp: if subject.scp_governed { &self.scp } else { &[] },
            rcp: if self.management { &[] } else { &self.rcp },
            resource: rp,
            ..Default::default()
        };
        let action = &info.actions[info.unit_action[unit] as usize];
        let target = info.target_of[unit] as usize;
        let request = Request {
            principal: &subject.principal,
            action: &action.action,
            resource: &ctx.requests[target],
            resource_account: Some(&ctx.resource.account),
            context,
            wildcard_only_action: Some(false),
        };
        let ev = evaluate(&request, &set, &ctx.settings);
        let label = |s: &accessdrift_evaluator::StatementRef<'x>| GrantRef {
            policy: s.policy,
            sid: s.sid,
            index: s.index,
        };
        Outcome {
            decision: ev.decision,
            grants: ev
                .allowed_by()
                .filter(|s| matches!(s.policy_type, PolicyType::Identity | PolicyType::Resource))
                .filter(|s| s.policy != external_identity[0].name)
                .map(label)
                .collect(),
            denied_by: ev.denied_by().map(label).collect(),
            blocked_by: ev.blocked_by.map(|b| b.name()),
            conditions: ev.conditions,
            notes: ev.notes.clone(),
            scope: ev.scope,
        }
    }

    /// The rows one subject gets on one resource.
    fn rows_for_pair(&self, subject: &Subject, ctx: &ResourceCtx<'_>) -> Vec<Row> {
        let Some(info) = self.kinds.get(&ctx.kind) else {
            return Vec::new();
        };
        let subject_info = subject
            .iam_index
            .and_then(|s| self.subject_kinds.get(s))
            .and_then(|m| m.get(&ctx.kind));
        // Subjects without IAM policies of their own (the root user, principals from
        // outside the account, `*`, services) still meet the SCPs and RCPs: group their
        // actions by the guardrail statements too, or an action a guardrail denies gets
        // its group's decision. The root user's entry (last subject, no identity
        // policies, no boundary) holds exactly that signature.
        let subject_sig = subject_info
            .or_else(|| self.subject_kinds.last().and_then(|m| m.get(&ctx.kind)))
            .map(|i| i.signature.as_slice());
        // An action no allow statement matches (identity or resource policy) is denied
        // without asking, except for the root user (implicit allow in its account) and a
        // named external principal (its unseen identity policies are taken as allowing).
        let can_skip = !matches!(
            subject.kind,
            SubjectKind::Root | SubjectKind::ExternalPrincipal(_)
        );
        let reachable = |a: usize| -> bool {
            if ctx.inapplicable.get(a) {
                return false;
            }
            !can_skip
                || ctx.allowed_any.get(a)
                || subject_info.is_some_and(|i| i.allowed_any.get(a))
        };
        // Group units the evaluator must decide alike.
        let mut groups: rustc_hash::FxHashMap<(u32, u32, u16, u8), usize> =
            rustc_hash::FxHashMap::default();
        let mut group_of = Vec::with_capacity(info.unit_action.len());
        let mut representatives: Vec<usize> = Vec::new();
        for u in 0..info.unit_action.len() {
            let a = info.unit_action[u] as usize;
            if !reachable(a) {
                group_of.push(usize::MAX);
                continue;
            }
            let key = (
                subject_sig.map_or(0, |s| s[a]),
                ctx.signature.get(a).copied().unwrap_or(0),
                info.target_of[u],
                info.class_of[a],
            );
            let g = *groups.entry(key).or_insert_with(|| {
                representatives.push(u);
                representatives.len() - 1
            });
            group_of.push(g);
        }
        let context = self.pair_context(subject, ctx);
        let outcomes: Vec<Outcome> = representatives
            .iter()
            .map(|&u| self.decide(subject, ctx, &context, u))
            .collect();
        // Per action: the best of its units (allowed outright beats conditionally).
        let mut best: Vec<Option<&Outcome>> = vec![None; info.actions.len()];
        for (u, g) in group_of.iter().enumerate() {
            let Some(o) = outcomes.get(*g) else { continue };
            if o.decision != Decision::Allowed {
                continue;
            }
            let slot = &mut best[info.unit_action[u] as usize];
            let better = match slot {
                None => true,
                Some(prev) => !prev.conditions.is_true() && o.conditions.is_true(),
            };
            if better {
                *slot = Some(o);
            }
        }

        // Aggregate per capability.
        struct Acc<'g> {
            allowed: bool,
            conditions: Formula,
            actions: BTreeSet<&'static str>,
            grants: BTreeSet<GrantRef<'g>>,
            /// S3 keys the actions hold for; `None` once one holds for every key.
            keys: Option<BTreeSet<String>>,
        }
        let key_prefix = (ctx.kind == ResourceKind::S3Bucket).then(|| format!("{}/", ctx.arn));
        let mut per_cap: BTreeMap<Capability, Acc<'_>> = BTreeMap::new();
        for (a, ca) in info.actions.iter().enumerate() {
            let Some(o) = best[a] else { continue };
            for cap in &ca.capabilities {
                let acc = per_cap.entry(*cap).or_insert_with(|| Acc {
                    allowed: false,
                    conditions: Formula::False,
                    actions: BTreeSet::new(),
                    grants: BTreeSet::new(),
                    keys: Some(BTreeSet::new()),
                });
                if o.conditions.is_true() {
                    acc.allowed = true;
                } else {
                    acc.conditions = std::mem::replace(&mut acc.conditions, Formula::False)
                        .or(o.conditions.clone());
                }
                acc.actions.insert(ca.action.as_str());
                acc.grants.extend(o.grants.iter().copied());
                // A grant on some keys only (issue 18: `arn:aws:s3:::*/AWSLogs/*`) keeps
                // its key scope; any grant on every key makes the row whole.
                match (&mut acc.keys, &o.scope, &key_prefix) {
                    (Some(keys), Some(scope), Some(prefix)) => {
                        for p in scope {
                            keys.extend(accessdrift_evaluator::resource::residuals(p, prefix));
                        }
                        if keys.contains("*") {
                            acc.keys = None;
                        }
                    }
                    _ => acc.keys = None,
                }
            }
        }
        let mut rows = Vec::with_capacity(per_cap.len());
        let principal_name: Arc<str> = Arc::from(subject.arn.as_str());
        for (capability, acc) in per_cap {
            let mut access = if acc.allowed {
                Access::Allowed
            } else {
                Access::Conditional
            };
            let conditions = if acc.allowed {
                None
            } else {
                acc.conditions.into_tree()
            };
            let mut requires = Vec::new();
            match &subject.kind {
                SubjectKind::ExternalAccount(a) => {
                    access = Access::Conditional;
                    requires.push(format!(
                        "account {a} must grant the access to its own principals"
                    ));
                }
                SubjectKind::ExternalPrincipal(a) => {
                    access = Access::Conditional;
                    requires.push(format!(
                        "the principal's identity policies in account {a} must allow it"
                    ));
                }
                _ => {}
            }
            if access == Access::Conditional && conditions.is_none() && requires.is_empty() {
                // Never a Conditional row that says nothing about why.
                requires.push(
                    "request-time conditions the engine could not name (run `accessdrift explain`)"
                        .to_string(),
                );
            }
            rows.push(Row {
                principal: Arc::clone(&principal_name),
                resource: Arc::clone(&ctx.arn),
                capability,
                access,
                conditions: conditions.map(Arc::new),
                actions: acc.actions.into_iter().collect(),
                grants: {
                    let mut grants: Vec<Grant> = acc.grants.iter().map(GrantRef::grant).collect();
                    grants.sort();
                    grants.dedup();
                    grants.into()
                },
                keys: acc.keys.filter(|k| !k.is_empty()).map(|k| {
                    let keys: Vec<String> = k.into_iter().collect();
                    keys.into()
                }),
                requires,
            });
        }
        rows
    }

    /// Data behind a customer-managed key is readable only with decrypt on the key too
    /// (AWS KMS Developer Guide, "How AWS services use AWS KMS"): read-data rows are
    /// dropped when the subject cannot decrypt, made Conditional when decrypt is.
    fn apply_key_requirement(&self, subject: &Subject, ctx: &ResourceCtx<'_>, rows: &mut Vec<Row>) {
        let Some(key) = &ctx.resource.kms_key_arn else {
            return;
        };
        let Some(pos) = rows
            .iter()
            .position(|r| r.capability == Capability::ReadData)
        else {
            return;
        };
        match self.decrypt(subject, key) {
            None => {
                rows.remove(pos);
            }
            Some((key_access, key_conditions)) => {
                let row = &mut rows[pos];
                row.requires.push(format!("kms:Decrypt on {key}"));
                if key_access == Access::Conditional {
                    row.access = Access::Conditional;
                    // The row's tree and the key's side by side, each kept whole (not
                    // flattened into one `and`), as the rows have always shown them.
                    row.conditions = match (row.conditions.take(), key_conditions) {
                        (Some(a), Some(b)) => Some(Arc::new(ConditionTree::And(vec![
                            Arc::unwrap_or_clone(a),
                            b,
                        ]))),
                        (a, b) => a.or(b.map(Arc::new)),
                    };
                }
            }
        }
    }

    /// Whether the subject can decrypt with the key: `None` when denied; Conditional
    /// when the key is not in the snapshot (its key policy decides, and it is unknown).
    fn decrypt(&self, subject: &Subject, key_arn: &str) -> Option<(Access, Option<ConditionTree>)> {
        let Some(key) = self.keys_by_arn.get(key_arn) else {
            return Some((Access::Conditional, None));
        };
        let policy = key.policy.as_ref().ok().and_then(|p| p.as_deref());
        let ctx = ResourceCtx::new(self, key, ResourceKind::KmsKey, policy);
        let context = self.pair_context(subject, &ctx);
        // As in `decide`: a named external principal's unseen identity policies are
        // taken as allowing (with none, a key policy granting it or its account could
        // never be used, and its read-data rows were dropped).
        let identity: &[NamedPolicy<'_>] = match (&subject.kind, subject.iam_index) {
            (SubjectKind::Internal, Some(i)) => &self.identity[i],
            (SubjectKind::ExternalPrincipal(_), _) => external_identity(),
            _ => &[],
        };
        let set = PolicySet {
            identity,
            boundary: subject.iam_index.and_then(|i| self.boundary[i]),
            scp: if subject.scp_governed { &self.scp } else { &[] },
            rcp: if self.management { &[] } else { &self.rcp },
            resource: policy.map(|p| NamedPolicy {
                name: "resource",
                policy: p,
            }),
            ..Default::default()
        };
        let request = Request {
            principal: &subject.principal,
            action: "kms:Decrypt",
            resource: key_arn,
            resource_account: Some(&key.account),
            context: &context,
            wildcard_only_action: Some(false),
        };
        let ev = evaluate(&request, &set, &Settings::default());
        match ev.decision {
            Decision::Allowed if ev.conditions.is_true() => Some((Access::Allowed, None)),
            Decision::Allowed => Some((Access::Conditional, ev.conditions.into_tree())),
            _ => None,
        }
    }
}
