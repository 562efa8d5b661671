//! Drift: the effective access an account really grants, compared with what its teams
//! intend, as a sorted list of [`Finding`]s.
//!
//! What it is for: the comparator of the control loop. It takes the engine's lines for
//! one account (`accessdrift_access::Line`), the desired state and the resources' tags,
//! and says what differs, how badly ([`crate::severity`]), in a sentence, and how to fix
//! or accept it. What it is not for: remembering earlier sweeps (new, changed and
//! resolved are decided by the store from the stable ids) or sending anything.
//!
//! The rules, per resource of the account:
//! - **Owner and classification** come from the resource's tags (the first of
//!   [`DriftConfig::owner_tag_keys`] / [`DriftConfig::classification_tag_keys`] present,
//!   key case ignored); the desired state's values apply only where the tag is missing.
//!   No owner anywhere is `no-owner`; a tag that contradicts the desired entry is
//!   `tag-mismatch` (one finding per resource, naming each contradicting tag).
//! - **Resources with a desired entry**: a principal holding a capability the entry
//!   does not give it (no pattern under that capability matches) is `unexpected-access`,
//!   or `public-or-external-access` when the principal is `*` or outside the
//!   Organization. A principal listed exactly (no `*`) that does not hold the capability
//!   (neither `Allowed` nor `Conditional`) is `missing-access`; this is not judged while
//!   the resource or that principal could not be evaluated (its rows are a lower bound).
//! - **Every resource, desired entry or not**: `*` holding any capability, or a
//!   principal outside the Organization holding any but `read-config`, is
//!   `public-or-external-access`, unless the desired entry lists it. Constraints apply to every resource of their classification
//!   (case-insensitive): `max-principals` counts distinct principals holding the
//!   capability (`constraint-violated`), `no-public-access` / `no-external-access` make
//!   every such holder `public-or-external-access`, listed in the desired state or not.
//! - **The account's own root** is skipped (it holds implicit access to everything in
//!   its account, and `max-principals` does not count it), unless the desired entry
//!   names it exactly (its ARN or the account id) under some capability: then it is
//!   judged like any principal.
//! - **Which resources**: those in `resources`, plus any the engine's lines name (their
//!   tags unknown, so no tag findings). A desired entry for a resource not among them
//!   (another account's, or one that no longer exists) is not judged here.
//! - **Errors**: a `ResourceError` line is `could-not-evaluate` on that resource; a
//!   `PrincipalError` line is `could-not-evaluate` with the principal as both resource
//!   and principal (so the owner of the role hears about it). `SnapshotError` lines are
//!   not findings: the engine also reports the principals they affect.
//!
//! Audience: `*` is public; a principal ARN of the resource's account (and an AWS
//! service principal) is the same account; another account in `org_accounts` is
//! cross-account; any other account is external.
//!
//! Key design choice: a finding's id is a hash of what it is *about* (account,
//! resource, principal, capability, kind), never of what it says, so the wording,
//! severity or grants can change without the store seeing a new finding.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use accessdrift_access::{Access, Line, Row};
use accessdrift_capabilities::Capability;
use accessdrift_desired::{
    Constraint, ConstraintRule, DesiredResource, DesiredState, Location, is_owner_word,
    principal_matches,
};
use accessdrift_evaluator::ConditionTree;
use sha2::{Digest, Sha256};

use crate::model::{Finding, FindingKind, GrantRef};
use crate::severity::{Audience, severity};

/// What drift needs to know about one resource of the account beyond its access.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceFacts {
    /// The resource ARN, as the engine's rows spell it.
    pub arn: String,
    /// The account that owns it (S3 ARNs do not say).
    pub account: String,
    /// Its tags, as AWS returns them.
    pub tags: BTreeMap<String, String>,
}

/// Which tags name a resource's owner and classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftConfig {
    /// Tag keys naming the owning team, first present wins (key case ignored).
    pub owner_tag_keys: Vec<String>,
    /// Tag keys naming the classification, first present wins (key case ignored).
    pub classification_tag_keys: Vec<String>,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            owner_tag_keys: vec!["owner".into(), "team".into()],
            classification_tag_keys: vec![
                "classification".into(),
                "confidentiality".into(),
                "data-classification".into(),
            ],
        }
    }
}

/// One account's sweep, ready to compare.
#[derive(Debug, Clone, Copy)]
pub struct DriftInput<'a> {
    /// The account swept.
    pub account: &'a str,
    /// Every account of the Organization (principals of other accounts are external).
    pub org_accounts: &'a BTreeSet<String>,
    /// The effective-access engine's output for the account.
    pub lines: &'a [Line],
    /// The desired state (entries for resources of other accounts are ignored).
    pub desired: &'a DesiredState,
    /// The account's resources with their tags.
    pub resources: &'a [ResourceFacts],
}

/// The stable id of a finding: the first 32 hex digits of the SHA-256 of account,
/// resource, principal, capability and kind joined with U+001F (which none of them can
/// contain). Absent principal or capability hash as empty.
pub fn finding_id(
    account: &str,
    resource: &str,
    principal: Option<&str>,
    capability: Option<Capability>,
    kind: FindingKind,
) -> String {
    let fields = [
        account,
        resource,
        principal.unwrap_or(""),
        capability.map_or("", Capability::as_str),
        kind.as_str(),
    ];
    let digest = Sha256::digest(fields.join("\u{1f}").as_bytes());
    let mut out = String::with_capacity(32);
    for byte in digest.iter().take(16) {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Compares the account's effective access with the desired state (see the module
/// docs for the rules). Findings are sorted by resource, kind, principal, capability.
pub fn drift(input: &DriftInput, config: &DriftConfig) -> Vec<Finding> {
    let index = Index::build(input);
    let mut out = Findings::default();

    let mut resources: BTreeSet<&str> = index.facts.keys().copied().collect();
    resources.extend(index.held.keys().copied());
    resources.extend(index.resource_errors.keys().copied());

    for arn in resources {
        let facts = index.facts.get(arn).copied();
        let desired = index.desired.get(arn).copied();
        let mut ctx = ResourceCtx::new(input, config, arn, facts, desired);
        ctx.key_scopes = index.key_scopes(arn);
        tag_findings(&ctx, &mut out);
        access_findings(input, &index, &ctx, &mut out);
        if let Some(errors) = index.resource_errors.get(arn) {
            let summary = format!(
                "could not evaluate {}: {}",
                resource_label(arn),
                errors.join("; ")
            );
            let remedy = "correct the resource's policy, or let the collector read it (the \
                          error says which); its access is not judged until then"
                .to_string();
            out.push(ctx.finding(Draft::new(FindingKind::CouldNotEvaluate, summary, remedy)));
        }
    }

    for (principal, errors) in &index.principal_errors {
        let facts = index.facts.get(principal).copied();
        let desired = index.desired.get(principal).copied();
        let ctx = ResourceCtx::new(input, config, principal, facts, desired);
        let who = principal_label(principal, &ctx.account, ctx.audience(principal));
        let summary = format!(
            "could not evaluate the policies of {who}: {}; its access is known only in part",
            errors.join("; ")
        );
        let remedy = "restore or correct the policy the error names, or let the collector read \
                      it; missing access is not judged for this principal until then"
            .to_string();
        let mut draft = Draft::new(FindingKind::CouldNotEvaluate, summary, remedy);
        draft.principal = Some(principal.to_string());
        out.push(ctx.finding(draft));
    }

    out.into_sorted()
}

// ----------------------------------------------------------------------------------
// Indexing the input

/// One (principal, capability) held on a resource: the rows that say so (usually one).
///
/// It keeps references, not copies: drift holds every row of the account, and copying
/// each row's grants and condition keys into the index made drift peak at several times
/// what effective access needs (issue 18). What a finding needs is computed from the
/// rows when a finding is made.
#[derive(Debug, Default)]
struct Held<'a> {
    rows: Vec<&'a Row>,
}

impl Held<'_> {
    /// Allowed if any row says Allowed.
    fn allowed(&self) -> bool {
        self.rows.iter().any(|r| r.access == Access::Allowed)
    }

    fn access(&self) -> Access {
        if self.allowed() {
            Access::Allowed
        } else {
            Access::Conditional
        }
    }

    fn grants(&self) -> BTreeSet<GrantRef> {
        self.rows
            .iter()
            .flat_map(|r| r.grants.iter())
            .map(|g| GrantRef {
                policy: g.policy.clone(),
                statement: g.statement.clone(),
            })
            .collect()
    }

    /// The condition keys of the Conditional rows.
    fn condition_keys(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for r in &self.rows {
            if r.access == Access::Conditional
                && let Some(conditions) = &r.conditions
            {
                out.extend(conditions.keys().map(str::to_string));
            }
        }
        out
    }

    /// What else must hold, from the rows (`requires`): why a row with no condition
    /// keys is Conditional (another account must grant it; decrypt on a key).
    fn requires(&self) -> BTreeSet<String> {
        self.rows
            .iter()
            .flat_map(|r| r.requires.iter().cloned())
            .collect()
    }

    /// Whether some row holds for every key (or is not about keys).
    fn whole(&self) -> bool {
        self.rows.iter().any(|r| r.keys.is_none())
    }

    /// The S3 key patterns the rows hold, when none holds for every key.
    fn keys(&self) -> BTreeSet<String> {
        self.rows
            .iter()
            .flat_map(|r| r.keys.iter().flat_map(|k| k.iter().cloned()))
            .collect()
    }

    /// Whether the holding is limited to some keys: each of them passes `f`.
    fn only_keys_where(&self, f: impl Fn(&str) -> bool) -> bool {
        let keys = self.keys();
        !self.whole() && !keys.is_empty() && keys.iter().all(|k| f(k))
    }

    /// The accounts every row's conditions pin the caller to (see [`pinned_accounts`]);
    /// `None` when a row is unconditional or pins nothing.
    fn pinned(&self) -> Option<BTreeSet<String>> {
        let mut out: Option<BTreeSet<String>> = None;
        for r in &self.rows {
            let pins = match (&r.access, &r.conditions) {
                (Access::Conditional, Some(c)) => pinned_accounts(c)?,
                _ => return None,
            };
            out = Some(match out {
                None => pins,
                Some(prev) => prev.intersection(&pins).cloned().collect(),
            });
        }
        out.filter(|p| !p.is_empty())
    }
}

type HeldMap<'a> = BTreeMap<(&'a str, Capability), Held<'a>>;

struct Index<'a> {
    facts: BTreeMap<&'a str, &'a ResourceFacts>,
    /// First entry per ARN.
    desired: BTreeMap<&'a str, &'a DesiredResource>,
    held: BTreeMap<&'a str, HeldMap<'a>>,
    resource_errors: BTreeMap<&'a str, Vec<&'a str>>,
    principal_errors: BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> Index<'a> {
    /// Desired entries for S3 key scopes of the bucket `arn` (`arn/...`).
    fn key_scopes(&self, arn: &str) -> Vec<&'a DesiredResource> {
        if !arn.starts_with("arn:") || !arn.contains(":s3:::") || arn.contains('/') {
            return Vec::new();
        }
        let prefix = format!("{arn}/");
        self.desired
            .range::<str, _>((
                std::ops::Bound::Included(prefix.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, d)| *d)
            .collect()
    }

    fn build(input: &DriftInput<'a>) -> Index<'a> {
        let mut facts = BTreeMap::new();
        for f in input.resources {
            facts.entry(f.arn.as_str()).or_insert(f);
        }
        let mut desired = BTreeMap::new();
        for d in &input.desired.resources {
            desired.entry(d.arn.as_str()).or_insert(d);
        }
        let mut held: BTreeMap<&str, HeldMap> = BTreeMap::new();
        let mut resource_errors: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut principal_errors: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for line in input.lines {
            match line {
                Line::Row(row) => add_row(&mut held, row),
                Line::ResourceError { resource, error } => {
                    resource_errors.entry(resource).or_default().push(error);
                }
                Line::PrincipalError { principal, error } => {
                    principal_errors.entry(principal).or_default().push(error);
                }
                Line::SnapshotError { .. } => {}
            }
        }
        Index {
            facts,
            desired,
            held,
            resource_errors,
            principal_errors,
        }
    }
}

fn add_row<'a>(held: &mut BTreeMap<&'a str, HeldMap<'a>>, row: &'a Row) {
    held.entry(&row.resource)
        .or_default()
        .entry((&row.principal, row.capability))
        .or_default()
        .rows
        .push(row);
}

/// The accounts a condition tree pins the caller to, if it does: an `aws:SourceOwner`,
/// `aws:SourceAccount` or `aws:PrincipalAccount` equality (`StringEquals`, or
/// `StringLike` without wildcards) holds only for a caller of, or a service acting for,
/// one of those accounts; an `and` pins what any of its parts pins, an `or` what all
/// of them do. The SNS default topic policy (`__default_statement_ID`: `Principal *`
/// with `StringEquals AWS:SourceOwner` = the owner) is the common case: SNS Developer
/// Guide, "Example cases for Amazon SNS access control" (aws:SourceAccount versus
/// aws:SourceOwner: the value is the account on whose behalf the caller acts), so it
/// grants the owner's own account, not anyone (issue 18).
fn pinned_accounts(tree: &ConditionTree) -> Option<BTreeSet<String>> {
    const KEYS: [&str; 3] = [
        "aws:sourceowner",
        "aws:sourceaccount",
        "aws:principalaccount",
    ];
    match tree {
        ConditionTree::Leaf(leaf) => {
            let key = leaf.key.to_ascii_lowercase();
            if !KEYS.contains(&key.as_str())
                || !matches!(leaf.op.as_str(), "StringEquals" | "StringLike")
            {
                return None;
            }
            let exact = leaf.values.iter().all(|v| is_account_id(v));
            (exact && !leaf.values.is_empty()).then(|| leaf.values.iter().cloned().collect())
        }
        ConditionTree::And(parts) => parts
            .iter()
            .filter_map(pinned_accounts)
            .reduce(|a, b| a.intersection(&b).cloned().collect()),
        ConditionTree::Or(parts) => parts
            .iter()
            .map(pinned_accounts)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .reduce(|a, b| a.union(&b).cloned().collect()),
    }
}

// ----------------------------------------------------------------------------------
// One resource

/// A tag found on the resource: the key as written and the value.
#[derive(Debug, Clone)]
struct Tag {
    key: String,
    value: String,
}

/// The first of `keys` present on `tags` with a non-blank value (key case ignored), as
/// `(key as written, trimmed value)`: how owner and classification tags are read
/// everywhere (drift, owner-change detection, baselines).
pub fn tag<'a>(tags: &'a BTreeMap<String, String>, keys: &[String]) -> Option<(&'a str, &'a str)> {
    keys.iter().find_map(|wanted| {
        tags.iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(wanted) && !v.trim().is_empty())
            .map(|(k, v)| (k.as_str(), v.trim()))
    })
}

fn find_tag(facts: Option<&ResourceFacts>, keys: &[String]) -> Option<Tag> {
    tag(&facts?.tags, keys).map(|(key, value)| Tag {
        key: key.to_string(),
        value: value.to_string(),
    })
}

/// What every finding about one resource shares.
struct ResourceCtx<'a> {
    arn: &'a str,
    account: String,
    org_accounts: &'a BTreeSet<String>,
    facts: Option<&'a ResourceFacts>,
    desired: Option<&'a DesiredResource>,
    owner_tag: Option<Tag>,
    classification_tag: Option<Tag>,
    owner: Option<String>,
    classification: Option<String>,
    /// `arn:<partition>:iam::<account>:root` of the resource's account.
    own_root: String,
    /// Whether the desired entry names the own root exactly.
    root_tracked: bool,
    /// Desired entries for key scopes of this S3 bucket (`arn:aws:s3:::b/AWSLogs/*`).
    key_scopes: Vec<&'a DesiredResource>,
    config: &'a DriftConfig,
}

impl<'a> ResourceCtx<'a> {
    fn new(
        input: &DriftInput<'a>,
        config: &'a DriftConfig,
        arn: &'a str,
        facts: Option<&'a ResourceFacts>,
        desired: Option<&'a DesiredResource>,
    ) -> ResourceCtx<'a> {
        let account = facts
            .map(|f| f.account.as_str())
            .filter(|a| !a.is_empty())
            .or_else(|| arn_parts(arn).map(|p| p[4]).filter(|a| !a.is_empty()))
            .unwrap_or(input.account)
            .to_string();
        let partition = arn_parts(arn).map_or("aws", |p| p[1]);
        let own_root = format!("arn:{partition}:iam::{account}:root");
        let owner_tag = find_tag(facts, &config.owner_tag_keys);
        let classification_tag = find_tag(facts, &config.classification_tag_keys);
        // A tag value that is not an owner word routes nowhere (it could not be
        // subscribed to, or it would smuggle text into every medium): the desired
        // state's owner applies, and a tag-mismatch finding still names the tag.
        let owner = owner_tag
            .as_ref()
            .map(|t| t.value.clone())
            .filter(|v| is_owner_word(v))
            .or_else(|| {
                desired
                    .and_then(|d| named(d.owner.as_deref()))
                    .map(str::to_string)
            });
        let classification = classification_tag
            .as_ref()
            .map(|t| t.value.clone())
            .or_else(|| {
                desired
                    .and_then(|d| named(d.classification.as_deref()))
                    .map(str::to_string)
            });
        let root_tracked = desired.is_some_and(|d| {
            d.capabilities
                .values()
                .flatten()
                .any(|p| !p.contains('*') && principal_matches(p, &own_root))
        });
        ResourceCtx {
            arn,
            account,
            org_accounts: input.org_accounts,
            facts,
            desired,
            owner_tag,
            classification_tag,
            owner,
            classification,
            own_root,
            root_tracked,
            key_scopes: Vec::new(),
            config,
        }
    }

    /// The key scopes of the bucket, of those entries that cover `key` (a row's key
    /// pattern): every key the pattern matches lies in the scope.
    fn scopes_covering<'k>(
        &'k self,
        key: &'k str,
    ) -> impl Iterator<Item = &'a DesiredResource> + 'k {
        let prefix_len = self.arn.len() + 1;
        self.key_scopes.iter().copied().filter(move |d| {
            d.arn
                .get(prefix_len..)
                .is_some_and(|scope| accessdrift_evaluator::resource::text_covers(scope, key))
        })
    }

    /// Whether the holding is declared: the bucket's own entry lists the principal for
    /// the capability, or the holding is limited to keys and every key pattern lies in a
    /// key scope that lists it.
    fn lists(&self, principal: &str, capability: Capability, h: &Held) -> bool {
        let names = |d: &DesiredResource| {
            d.capabilities
                .get(&capability)
                .is_some_and(|ps| ps.iter().any(|p| principal_matches(p, principal)))
        };
        if self.desired.is_some_and(names) {
            return true;
        }
        h.only_keys_where(|k| self.scopes_covering(k).any(&names))
    }

    /// Whether the desired state says anything about this resource or its keys.
    fn declared(&self) -> bool {
        self.desired.is_some() || !self.key_scopes.is_empty()
    }

    fn audience(&self, principal: &str) -> Audience {
        if principal == "*" {
            return Audience::Public;
        }
        match principal_account(principal) {
            None => Audience::SameAccount,
            Some(a) if a == self.account => Audience::SameAccount,
            Some(a) if self.org_accounts.contains(a) => Audience::CrossAccountInOrg,
            Some(_) => Audience::External,
        }
    }

    /// The audience of a holding: as [`ResourceCtx::audience`], except that anyone (`*`)
    /// held only under conditions pinning the caller to accounts is those accounts'
    /// audience (the SNS default topic policy grants the owner's account, not anyone).
    fn audience_of(&self, principal: &str, h: &Held) -> Audience {
        let plain = self.audience(principal);
        if plain != Audience::Public {
            return plain;
        }
        match h.pinned() {
            Some(accounts) => accounts
                .iter()
                .map(|a| {
                    if *a == self.account {
                        Audience::SameAccount
                    } else if self.org_accounts.contains(a) {
                        Audience::CrossAccountInOrg
                    } else {
                        Audience::External
                    }
                })
                .max()
                .unwrap_or(plain),
            _ => plain,
        }
    }

    /// Whether a holding by anyone (`*`) is pinned to the resource's own account alone:
    /// that account's principals get rows of their own, judged one by one, so the `*`
    /// row says nothing more (the SNS default topic policy).
    fn own_account_only(&self, principal: &str, h: &Held) -> bool {
        principal == "*"
            && h.pinned()
                .is_some_and(|p| p.len() == 1 && p.contains(&self.account))
    }

    /// Whether `principal` is skipped as the account's own, untracked root.
    fn skips(&self, principal: &str) -> bool {
        !self.root_tracked && principal == self.own_root
    }

    /// Where the desired entry was written, in words ("desired/credit.yaml line 12").
    fn desired_place(&self) -> Option<String> {
        self.desired.map(|d| place(&d.location))
    }

    fn finding(&self, draft: Draft) -> Finding {
        let audience = draft
            .audience
            .or_else(|| draft.principal.as_deref().map(|p| self.audience(p)))
            .unwrap_or(Audience::SameAccount);
        Finding {
            id: finding_id(
                &self.account,
                self.arn,
                draft.principal.as_deref(),
                draft.capability,
                draft.kind,
            ),
            kind: draft.kind,
            severity: severity(
                draft.kind,
                draft.capability,
                self.classification.as_deref(),
                audience,
            ),
            account: self.account.clone(),
            resource: self.arn.to_string(),
            owner: self.owner.clone(),
            classification: self.classification.clone(),
            principal: draft.principal,
            capability: draft.capability,
            access: draft.access,
            grants: draft.grants,
            summary: draft.summary,
            remedy: draft.remedy,
        }
    }
}

/// The parts of a finding that vary; [`ResourceCtx::finding`] adds the rest.
struct Draft {
    kind: FindingKind,
    principal: Option<String>,
    capability: Option<Capability>,
    access: Option<Access>,
    grants: Vec<GrantRef>,
    /// Overrides the principal's audience (max-principals: the widest holder).
    audience: Option<Audience>,
    summary: String,
    remedy: String,
}

impl Draft {
    fn new(kind: FindingKind, summary: String, remedy: String) -> Draft {
        Draft {
            kind,
            principal: None,
            capability: None,
            access: None,
            grants: Vec::new(),
            audience: None,
            summary,
            remedy,
        }
    }
}

/// Findings collected so far; the first finding with an id wins.
#[derive(Default)]
struct Findings(BTreeMap<String, Finding>);

impl Findings {
    fn push(&mut self, f: Finding) {
        self.0.entry(f.id.clone()).or_insert(f);
    }

    fn into_sorted(self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self.0.into_values().collect();
        out.sort_by(|a, b| {
            (&a.resource, a.kind, &a.principal, a.capability, &a.id).cmp(&(
                &b.resource,
                b.kind,
                &b.principal,
                b.capability,
                &b.id,
            ))
        });
        out
    }
}

/// Whether `arn` is a role AWS creates and manages: a service-linked role (path
/// `/aws-service-role/`, IAM UG "Using service-linked roles") or an IAM Identity Center
/// role (path `/aws-reserved/sso.amazonaws.com/`, names `AWSReservedSSO_*`).
fn is_aws_managed_role(arn: &str) -> bool {
    let Some(parts) = arn_parts(arn) else {
        return false;
    };
    let Some(path) = (parts[2] == "iam")
        .then(|| parts[5].strip_prefix("role/"))
        .flatten()
    else {
        return false;
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    path.starts_with("aws-service-role/")
        || path.starts_with("aws-reserved/")
        || name.starts_with("AWSServiceRoleFor")
        || name.starts_with("AWSReservedSSO_")
}

/// Whether `arn` is an IAM group or managed policy: the authorization details carry no
/// tags for them (groups cannot be tagged at all), so a missing owner tag is no finding;
/// they go to the fallback owner unless the desired state names one.
fn is_untagged_iam_entity(arn: &str) -> bool {
    arn_parts(arn).is_some_and(|parts| {
        parts[2] == "iam" && (parts[5].starts_with("group/") || parts[5].starts_with("policy/"))
    })
}

fn tag_findings(ctx: &ResourceCtx, out: &mut Findings) {
    if ctx.facts.is_none() {
        // Tags unknown (the resource appears only in the engine's lines).
        return;
    }
    let keys = |list: &[String]| {
        list.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    // Roles AWS creates and manages (service-linked roles, IAM Identity Center's
    // `AWSReservedSSO_*` roles) belong to no team: tagging them is not the fix, and
    // flagging each one buried real findings (issue 18).
    if ctx.owner.is_none() && !is_aws_managed_role(ctx.arn) && !is_untagged_iam_entity(ctx.arn) {
        let why = match &ctx.owner_tag {
            Some(t) => format!(
                "its `{}` tag holds `{}`, which is not an owner word,",
                t.key, t.value
            ),
            None => format!("no {} tag,", keys(&ctx.config.owner_tag_keys)),
        };
        let summary = format!(
            "{} has no owner: {why} and no owner in the desired state",
            resource_label(ctx.arn),
        );
        let tag = ctx
            .config
            .owner_tag_keys
            .first()
            .map_or("owner", String::as_str);
        let remedy = format!(
            "tag {} with `{tag}=TEAM`, or set `owner: TEAM` in its desired-state entry \
             and run `accessdrift desired import FILE`",
            ctx.arn
        );
        out.push(ctx.finding(Draft::new(FindingKind::NoOwner, summary, remedy)));
    }

    let Some(desired) = ctx.desired else {
        return;
    };
    let place = ctx.desired_place().unwrap_or_default();
    let file = desired_file(&desired.location);
    let mut said = Vec::new();
    let mut fixes = Vec::new();
    let mut restores = Vec::new();
    let pairs = [
        ("owner", &ctx.owner_tag, &desired.owner),
        (
            "classification",
            &ctx.classification_tag,
            &desired.classification,
        ),
    ];
    for (field, tag, wanted) in pairs {
        let (Some(tag), Some(wanted)) = (tag, wanted.as_deref().map(str::trim)) else {
            continue;
        };
        if wanted.is_empty() || tag.value.eq_ignore_ascii_case(wanted) {
            continue;
        }
        said.push(format!(
            "tag `{}={}` says the {field} is {}, but the desired state ({place}) says {wanted}",
            tag.key, tag.value, tag.value
        ));
        fixes.push(format!("`{field}: {}`", tag.value));
        restores.push(format!("`{}={wanted}`", tag.key));
    }
    if said.is_empty() {
        return;
    }
    let summary = format!("{}: {}", resource_label(ctx.arn), said.join("; "));
    let remedy = format!(
        "if the tag is right, set {} for {} in {file} and run `accessdrift desired import {file}`; \
         if not, set the tag back to {} (a tag is not proof: anyone who can tag the resource \
         can redirect its notices)",
        fixes.join(" and "),
        ctx.arn,
        restores.join(" and ")
    );
    out.push(ctx.finding(Draft::new(FindingKind::TagMismatch, summary, remedy)));
}

/// Constraints of the resource's classification.
fn constraints<'a>(desired: &'a DesiredState, classification: Option<&str>) -> Vec<&'a Constraint> {
    let Some(class) = classification else {
        return Vec::new();
    };
    desired
        .constraints
        .iter()
        .filter(|c| c.classification.trim().eq_ignore_ascii_case(class.trim()))
        .collect()
}

/// Whether `audience` holding `capability` is exposure in its own right, desired
/// entry or not: anyone (`*`) holding any capability (a role anyone may assume, a
/// topic anyone may administer, issue 18), or a principal outside the Organization
/// holding data, the resource itself or its use. Reading configuration from outside is
/// judged only against a desired entry.
fn exposes(audience: Audience, capability: Capability) -> bool {
    match audience {
        Audience::Public => true,
        Audience::External => capability != Capability::ReadConfig,
        _ => false,
    }
}

fn access_findings(input: &DriftInput, index: &Index, ctx: &ResourceCtx, out: &mut Findings) {
    let empty = BTreeMap::new();
    let held = index.held.get(ctx.arn).unwrap_or(&empty);
    let rules = constraints(input.desired, ctx.classification.as_deref());
    let class = ctx.classification.as_deref().unwrap_or("unclassified");

    for (&(principal, capability), h) in held {
        if ctx.skips(principal) || ctx.own_account_only(principal, h) {
            continue;
        }
        let audience = ctx.audience_of(principal, h);
        let beyond_org = matches!(audience, Audience::External | Audience::Public);
        // The constraints this holder breaks: (the rule's key in the file, its words).
        let forbidding: Vec<(&str, &Location, String)> = rules
            .iter()
            .filter_map(|c| match c.rule {
                ConstraintRule::NoPublicAccess if audience == Audience::Public => Some((
                    "no-public-access",
                    &c.location,
                    format!(
                        "the {class} rule at {} forbids public access",
                        place(&c.location)
                    ),
                )),
                ConstraintRule::NoExternalAccess if beyond_org => Some((
                    "no-external-access",
                    &c.location,
                    format!(
                        "the {class} rule at {} forbids access from outside the Organization",
                        place(&c.location)
                    ),
                )),
                _ => None,
            })
            .collect();
        let listed = ctx.lists(principal, capability, h);
        let kind = if !forbidding.is_empty() || (exposes(audience, capability) && !listed) {
            FindingKind::PublicOrExternalAccess
        } else if ctx.declared() && !listed {
            if beyond_org {
                FindingKind::PublicOrExternalAccess
            } else {
                FindingKind::UnexpectedAccess
            }
        } else {
            continue;
        };
        let mut summary = gained(ctx, principal, audience, capability, h);
        for (_, _, words) in &forbidding {
            summary.push_str("; ");
            summary.push_str(words);
        }
        let remedy = match forbidding.first() {
            None => format!(
                "{}, or accept it: {}",
                removal(&h.grants(), ctx.arn),
                accept_line(ctx, principal, capability)
            ),
            Some((key, location, _)) => {
                let file = desired_file(location);
                format!(
                    "{}; the {class} rule allows no exception (to accept it, remove `{key}` \
                     from that rule in {file}, then run `accessdrift desired import {file}`)",
                    removal(&h.grants(), ctx.arn)
                )
            }
        };
        let mut draft = Draft::new(kind, summary, remedy);
        draft.principal = Some(principal.to_string());
        draft.capability = Some(capability);
        draft.access = Some(h.access());
        draft.grants = h.grants().into_iter().collect();
        out.push(ctx.finding(draft));
    }

    if let Some(desired) = ctx.desired
        && !index.resource_errors.contains_key(ctx.arn)
    {
        missing_findings(index, ctx, desired, held, out);
    }

    max_principals(ctx, &rules, held, class, out);
}

fn missing_findings(
    index: &Index,
    ctx: &ResourceCtx,
    desired: &DesiredResource,
    held: &HeldMap,
    out: &mut Findings,
) {
    let file = desired_file(&desired.location);
    for (&capability, patterns) in &desired.capabilities {
        for pattern in patterns.iter().filter(|p| !p.contains('*')) {
            if index.principal_errors.contains_key(pattern.as_str()) {
                continue;
            }
            let holds = held
                .keys()
                .any(|&(p, c)| c == capability && principal_matches(pattern, p));
            if holds {
                continue;
            }
            let who = principal_label(pattern, &ctx.account, ctx.audience(pattern));
            let summary = format!(
                "{who} lacks {capability} on {}, which the desired state ({}) gives it",
                resource_label(ctx.arn),
                place(&desired.location)
            );
            let remedy = format!(
                "restore the grant, or accept it: remove `{pattern}` from `{capability}` for {} \
                 in {file}, then run `accessdrift desired import {file}`. To see what blocks it: \
                 `accessdrift explain --snapshot SNAPSHOT --principal {pattern} --resource {} \
                 --capability {capability}`",
                ctx.arn, ctx.arn
            );
            let mut draft = Draft::new(FindingKind::MissingAccess, summary, remedy);
            draft.principal = Some(pattern.clone());
            draft.capability = Some(capability);
            out.push(ctx.finding(draft));
        }
    }
}

fn max_principals(
    ctx: &ResourceCtx,
    rules: &[&Constraint],
    held: &HeldMap,
    class: &str,
    out: &mut Findings,
) {
    // Strictest first: the first finding per id wins.
    let mut maxes: Vec<(Capability, usize, &Location)> = rules
        .iter()
        .filter_map(|c| match c.rule {
            ConstraintRule::MaxPrincipals { capability, max } => {
                Some((capability, max, &c.location))
            }
            _ => None,
        })
        .collect();
    maxes.sort_by_key(|&(capability, max, _)| (capability, max));
    for (capability, max, location) in maxes {
        // A holder limited to keys that all lie in key scopes of another classification
        // (`logs/public/*` declared Public in a Confidential bucket) is judged by those.
        let elsewhere = |h: &Held| {
            h.only_keys_where(|k| {
                ctx.scopes_covering(k).any(|d| {
                    d.classification
                        .as_deref()
                        .is_some_and(|c| !c.trim().eq_ignore_ascii_case(class.trim()))
                })
            })
        };
        let holders: Vec<(&str, &Held)> = held
            .iter()
            .filter(|((p, c), h)| {
                *c == capability && !ctx.skips(p) && !ctx.own_account_only(p, h) && !elsewhere(h)
            })
            .map(|((p, _), h)| (*p, h))
            .collect();
        if holders.len() <= max {
            continue;
        }
        let audience = holders
            .iter()
            .map(|(p, _)| ctx.audience(p))
            .max()
            .unwrap_or(Audience::SameAccount);
        let names: Vec<String> = holders
            .iter()
            .map(|(p, _)| principal_label(p, &ctx.account, ctx.audience(p)))
            .collect();
        let summary = format!(
            "{} principals hold {capability} on {}; the {class} rule at {} allows at most {max}: {}",
            holders.len(),
            resource_label(ctx.arn),
            place(location),
            list_some(&names, 8)
        );
        let remedy = format!(
            "remove {capability} from {} of them, or raise `{capability}: {max}` under \
             `max-principals` for {class} in {}, then run `accessdrift desired import {}`",
            holders.len() - max,
            desired_file(location),
            desired_file(location)
        );
        let any_allowed = holders.iter().any(|(_, h)| h.allowed());
        let grants: BTreeSet<GrantRef> = holders.iter().flat_map(|(_, h)| h.grants()).collect();
        let mut draft = Draft::new(FindingKind::ConstraintViolated, summary, remedy);
        draft.capability = Some(capability);
        draft.access = Some(if any_allowed {
            Access::Allowed
        } else {
            Access::Conditional
        });
        draft.grants = grants.into_iter().collect();
        draft.audience = Some(audience);
        out.push(ctx.finding(draft));
    }
}

// ----------------------------------------------------------------------------------
// Words

/// "role/ci gained write-data on s3 credit-applications (Allowed), granted by
/// inline:ci/Deploy [Write]".
fn gained(
    ctx: &ResourceCtx,
    principal: &str,
    audience: Audience,
    capability: Capability,
    h: &Held,
) -> String {
    let mut access = h.access().as_str().to_string();
    let condition_keys = h.condition_keys();
    let requires = h.requires();
    if !h.allowed() && !condition_keys.is_empty() {
        let keys: Vec<String> = condition_keys.into_iter().collect();
        let _ = write!(access, " on {}", list_some(&keys, 3));
    } else if !h.allowed() && !requires.is_empty() {
        // Say why a row with no condition is Conditional (issue 18: a cross-account
        // row said nothing).
        let requires: Vec<String> = requires.into_iter().collect();
        let _ = write!(access, ": {}", list_some(&requires, 2));
    }
    // A holding limited to some keys says which (issue 18: not the whole bucket).
    let held_keys = h.keys();
    let scope = if h.whole() || held_keys.is_empty() {
        String::new()
    } else {
        let keys: Vec<String> = held_keys.iter().map(|k| format!("`{k}`")).collect();
        format!("the keys {} of ", list_some(&keys, 3))
    };
    format!(
        "{} gained {capability} on {scope}{} ({access}), granted by {}",
        principal_label(principal, &ctx.account, audience),
        resource_label(ctx.arn),
        grants_label(&h.grants())
    )
}

/// `inline:ci/Deploy [Write], resource [2]`.
fn grants_label(grants: &BTreeSet<GrantRef>) -> String {
    if grants.is_empty() {
        return "no statement the engine could name".to_string();
    }
    let items: Vec<String> = grants
        .iter()
        .map(|g| format!("{} [{}]", g.policy, g.statement))
        .collect();
    list_some(&items, 3)
}

/// "remove statement `Write` from inline:ci/Deploy".
fn removal(grants: &BTreeSet<GrantRef>, resource: &str) -> String {
    if grants.is_empty() {
        return format!(
            "remove the access (`accessdrift explain --snapshot SNAPSHOT --resource {resource}` \
             shows the statements)"
        );
    }
    let items: Vec<String> = grants
        .iter()
        .map(|g| {
            let statement = if g.statement.bytes().all(|b| b.is_ascii_digit()) {
                format!("statement {}", g.statement)
            } else {
                format!("statement `{}`", g.statement)
            };
            let policy = if g.policy == "resource" {
                "the resource policy".to_string()
            } else {
                g.policy.clone()
            };
            format!("{statement} from {policy}")
        })
        .collect();
    let shown = items
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join(" and ");
    if items.len() > 3 {
        format!("remove {shown}, and {} more statements", items.len() - 3)
    } else {
        format!("remove {shown}")
    }
}

/// "add `arn:...:role/ci` under `write-data` for arn:aws:s3:::b in desired/x.yaml, then
/// run `accessdrift desired import desired/x.yaml`".
fn accept_line(ctx: &ResourceCtx, principal: &str, capability: Capability) -> String {
    match ctx.desired {
        Some(d) => {
            let file = desired_file(&d.location);
            format!(
                "add `{principal}` under `{capability}` for {} in {file}, then run \
                 `accessdrift desired import {file}`",
                ctx.arn
            )
        }
        None => format!(
            "add an entry for {} with `{principal}` under `{capability}` to a desired-state \
             file, then run `accessdrift desired import FILE`",
            ctx.arn
        ),
    }
}

/// `desired/credit.yaml line 12`, or `the desired-state file` when unknown.
fn place(location: &Location) -> String {
    match (location.file.is_empty(), location.line) {
        (true, _) => "the desired-state file".to_string(),
        (false, 0) => location.file.clone(),
        (false, line) => format!("{} line {line}", location.file),
    }
}

/// The file to edit and import, or `FILE` when unknown.
fn desired_file(location: &Location) -> &str {
    if location.file.is_empty() {
        "FILE"
    } else {
        &location.file
    }
}

/// The first `n` items joined with `, `, then "and N more".
fn list_some(items: &[String], n: usize) -> String {
    let shown = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        format!("{shown} and {} more", items.len() - n)
    } else {
        shown
    }
}

/// A value that is present and not blank, trimmed.
fn named(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

use accessdrift_primitives::{arn_parts, is_account_id};

/// The account of a principal ARN (`None` for `*`, service principals and ARNs without
/// one).
fn principal_account(principal: &str) -> Option<&str> {
    arn_parts(principal)
        .map(|p| p[4])
        .filter(|a| !a.is_empty())
        .or_else(|| is_account_id(principal).then_some(principal))
}

/// A resource in few words: `s3 credit-applications`, `dynamodb table/loans`.
pub(crate) fn resource_label(arn: &str) -> String {
    match arn_parts(arn) {
        Some(p) => format!("{} {}", p[2], p[5]),
        None => arn.to_string(),
    }
}

/// A principal in few words, relative to the resource's account: `role/ci`,
/// `anyone (*)`, `account 222222222222 (outside the Organization)`.
fn principal_label(principal: &str, own_account: &str, audience: Audience) -> String {
    if principal == "*" {
        return "anyone (*)".to_string();
    }
    let place = match audience {
        Audience::CrossAccountInOrg => "in the Organization",
        _ => "outside the Organization",
    };
    if is_account_id(principal) {
        return if principal == own_account {
            "the account root".to_string()
        } else {
            format!("account {principal} ({place})")
        };
    }
    let Some(p) = arn_parts(principal) else {
        return format!("service {principal}");
    };
    let (account, name) = (p[4], p[5]);
    match (account == own_account, name == "root") {
        (true, true) => "the account root".to_string(),
        (true, false) => name.to_string(),
        (false, true) => format!("account {account} ({place})"),
        (false, false) => format!("{name} in account {account} ({place})"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use accessdrift_access::Grant;
    use accessdrift_evaluator::formula::{Leaf, Source};
    use accessdrift_evaluator::{Effect, PolicyType};

    use super::*;
    use crate::model::Severity;

    const ACCOUNT: &str = "111111111111";
    const IN_ORG: &str = "333333333333";
    const OUTSIDE: &str = "222222222222";
    const BUCKET: &str = "arn:aws:s3:::credit-applications";
    const TABLE: &str = "arn:aws:dynamodb:us-east-1:111111111111:table/credit-decisions";
    const REPORTS: &str = "arn:aws:s3:::credit-reports";
    const QUEUE: &str = "arn:aws:sqs:us-east-1:111111111111:orphan-queue";
    const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c";
    const SECRET: &str = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf";

    fn role(name: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT}:role/{name}")
    }

    fn row(principal: &str, resource: &str, capability: Capability, access: Access) -> Line {
        row_by(
            principal,
            resource,
            capability,
            access,
            &[("inline:x/Policy", "1")],
        )
    }

    fn row_by(
        principal: &str,
        resource: &str,
        capability: Capability,
        access: Access,
        grants: &[(&str, &str)],
    ) -> Line {
        let grants: Vec<Grant> = grants
            .iter()
            .map(|(policy, statement)| Grant {
                policy: (*policy).to_string(),
                statement: (*statement).to_string(),
            })
            .collect();
        Line::Row(Row {
            principal: principal.into(),
            resource: resource.into(),
            capability,
            access,
            conditions: None,
            actions: Arc::from(Vec::<&'static str>::new()),
            grants: grants.into(),
            requires: Vec::new(),
            keys: None,
        })
    }

    fn facts(arn: &str, tags: &[(&str, &str)]) -> ResourceFacts {
        ResourceFacts {
            arn: arn.to_string(),
            account: ACCOUNT.to_string(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        }
    }

    fn entry(
        arn: &str,
        owner: Option<&str>,
        classification: Option<&str>,
        caps: &[(Capability, &[&str])],
        line: usize,
    ) -> DesiredResource {
        DesiredResource {
            arn: arn.to_string(),
            owner: owner.map(str::to_string),
            classification: classification.map(str::to_string),
            capabilities: caps
                .iter()
                .map(|(c, ps)| (*c, ps.iter().map(|p| (*p).to_string()).collect()))
                .collect(),
            location: Location {
                file: "desired/credit.yaml".into(),
                line,
            },
        }
    }

    fn org() -> BTreeSet<String> {
        [ACCOUNT, IN_ORG].iter().map(|a| (*a).to_string()).collect()
    }

    /// One resource per finding kind, plus access that matches the desired state
    /// (wildcard patterns, Conditional access, the account root) and must not be reported.
    struct Fixture {
        lines: Vec<Line>,
        desired: DesiredState,
        resources: Vec<ResourceFacts>,
        org: BTreeSet<String>,
    }

    fn fixture() -> Fixture {
        use Capability::*;
        let processor = role("credit-processor");
        let lines = vec![
            row(&processor, BUCKET, ReadData, Access::Allowed),
            row(&processor, BUCKET, WriteData, Access::Allowed),
            // Accepted through a wildcard pattern, and only Conditional.
            row(&role("analyst-jane"), BUCKET, ReadData, Access::Conditional),
            // Not in the desired state: unexpected-access.
            row_by(
                &role("ci"),
                BUCKET,
                WriteData,
                Access::Allowed,
                &[("inline:ci/Deploy", "Write")],
            ),
            // The account root: implicit, ignored.
            row(
                &format!("arn:aws:iam::{ACCOUNT}:root"),
                BUCKET,
                ReadData,
                Access::Allowed,
            ),
            // Three readers of a Confidential table that allows two.
            row(&role("a"), TABLE, ReadData, Access::Allowed),
            row(&role("b"), TABLE, ReadData, Access::Allowed),
            row(&role("c"), TABLE, ReadData, Access::Conditional),
            // Anyone can read the reports bucket.
            row_by(
                "*",
                REPORTS,
                ReadData,
                Access::Allowed,
                &[("resource", "PublicRead")],
            ),
            // The key: as intended.
            row(&processor, KEY, UseResource, Access::Allowed),
            Line::ResourceError {
                resource: SECRET.into(),
                error: "resource policy is not valid JSON".into(),
            },
            // A snapshot error is not a finding of its own.
            Line::SnapshotError {
                subject: "organization.scp[1]".into(),
                error: "unreadable".into(),
            },
        ];
        let desired = DesiredState {
            resources: vec![
                entry(
                    BUCKET,
                    Some("credit"),
                    Some("Confidential"),
                    &[
                        (
                            ReadData,
                            &[
                                processor.as_str(),
                                "arn:aws:iam::111111111111:role/analyst-*",
                            ],
                        ),
                        (
                            WriteData,
                            &[processor.as_str(), "arn:aws:iam::111111111111:role/ingest"],
                        ),
                    ],
                    3,
                ),
                entry(
                    KEY,
                    Some("credit"),
                    None,
                    &[(UseResource, &[processor.as_str()])],
                    20,
                ),
            ],
            constraints: vec![Constraint {
                classification: "confidential".into(),
                rule: ConstraintRule::MaxPrincipals {
                    capability: ReadData,
                    max: 2,
                },
                location: Location {
                    file: "desired/constraints.yaml".into(),
                    line: 4,
                },
            }],
        };
        let resources = vec![
            facts(
                BUCKET,
                &[("owner", "credit"), ("classification", "Confidential")],
            ),
            facts(
                TABLE,
                &[("Team", "credit"), ("Classification", "Confidential")],
            ),
            facts(
                REPORTS,
                &[("owner", "credit"), ("classification", "Internal")],
            ),
            facts(QUEUE, &[]),
            facts(KEY, &[("owner", "payments")]),
            facts(SECRET, &[("owner", "credit")]),
        ];
        Fixture {
            lines,
            desired,
            resources,
            org: org(),
        }
    }

    fn run(f: &Fixture) -> Vec<Finding> {
        drift(
            &DriftInput {
                account: ACCOUNT,
                org_accounts: &f.org,
                lines: &f.lines,
                desired: &f.desired,
                resources: &f.resources,
            },
            &DriftConfig::default(),
        )
    }

    /// The fixture's findings, one of each kind (the notice tests render them).
    pub(crate) fn example_findings() -> Vec<Finding> {
        run(&fixture())
    }

    fn only(findings: &[Finding], kind: FindingKind) -> &Finding {
        let of_kind: Vec<&Finding> = findings.iter().filter(|f| f.kind == kind).collect();
        assert_eq!(of_kind.len(), 1, "{kind:?}: {findings:#?}");
        of_kind[0]
    }

    #[test]
    fn one_finding_of_each_kind() {
        let findings = run(&fixture());
        assert_eq!(findings.len(), 7, "{findings:#?}");

        let f = only(&findings, FindingKind::UnexpectedAccess);
        assert_eq!(f.resource, BUCKET);
        assert_eq!(f.principal.as_deref(), Some(role("ci").as_str()));
        assert_eq!(f.capability, Some(Capability::WriteData));
        assert_eq!(f.access, Some(Access::Allowed));
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.owner.as_deref(), Some("credit"));
        assert_eq!(f.account, ACCOUNT);
        assert_eq!(
            f.grants,
            vec![GrantRef {
                policy: "inline:ci/Deploy".into(),
                statement: "Write".into()
            }]
        );
        assert_eq!(
            f.summary,
            "role/ci gained write-data on s3 credit-applications (Allowed), granted by \
             inline:ci/Deploy [Write]"
        );
        assert_eq!(
            f.remedy,
            "remove statement `Write` from inline:ci/Deploy, or accept it: add \
             `arn:aws:iam::111111111111:role/ci` under `write-data` for \
             arn:aws:s3:::credit-applications in desired/credit.yaml, then run \
             `accessdrift desired import desired/credit.yaml`"
        );

        let f = only(&findings, FindingKind::MissingAccess);
        assert_eq!(f.principal.as_deref(), Some(role("ingest").as_str()));
        assert_eq!(f.capability, Some(Capability::WriteData));
        assert_eq!(f.access, None);
        assert!(
            f.summary
                .starts_with("role/ingest lacks write-data on s3 credit-applications")
        );

        let f = only(&findings, FindingKind::ConstraintViolated);
        assert_eq!(f.resource, TABLE);
        assert_eq!(
            f.owner.as_deref(),
            Some("credit"),
            "the `team` tag names the owner"
        );
        assert_eq!(f.principal, None);
        assert_eq!(f.capability, Some(Capability::ReadData));
        assert_eq!(f.severity, Severity::High);
        assert!(
            f.summary.starts_with("3 principals hold read-data"),
            "{}",
            f.summary
        );

        let f = only(&findings, FindingKind::PublicOrExternalAccess);
        assert_eq!(f.resource, REPORTS);
        assert_eq!(f.principal.as_deref(), Some("*"));
        assert_eq!(
            f.severity,
            Severity::Critical,
            "public access to Internal data"
        );
        assert!(f.summary.starts_with("anyone (*) gained read-data"));
        assert!(
            f.remedy
                .starts_with("remove statement `PublicRead` from the resource policy")
        );

        let f = only(&findings, FindingKind::NoOwner);
        assert_eq!(f.resource, QUEUE);
        assert_eq!(f.owner, None);

        let f = only(&findings, FindingKind::TagMismatch);
        assert_eq!(f.resource, KEY);
        assert_eq!(f.owner.as_deref(), Some("payments"), "the tag wins");
        assert!(f.summary.contains("tag `owner=payments`"), "{}", f.summary);

        let f = only(&findings, FindingKind::CouldNotEvaluate);
        assert_eq!(f.resource, SECRET);
        assert!(f.summary.contains("resource policy is not valid JSON"));
    }

    #[test]
    fn same_inputs_give_the_same_ids_and_order() {
        let a = run(&fixture());
        let mut f = fixture();
        f.lines.reverse();
        f.resources.reverse();
        let b = run(&f);
        assert_eq!(a, b);
        let ids: BTreeSet<&str> = a.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids.len(), a.len(), "ids are distinct");
        assert!(a.iter().all(|f| f.id.len() == 32));
    }

    #[test]
    fn the_id_hashes_what_the_finding_is_about() {
        let id = finding_id(
            ACCOUNT,
            BUCKET,
            Some("*"),
            Some(Capability::ReadData),
            FindingKind::PublicOrExternalAccess,
        );
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            id,
            finding_id(
                ACCOUNT,
                BUCKET,
                Some("*"),
                Some(Capability::ReadData),
                FindingKind::PublicOrExternalAccess
            )
        );
        assert_ne!(
            id,
            finding_id(
                ACCOUNT,
                BUCKET,
                Some("*"),
                Some(Capability::ReadData),
                FindingKind::UnexpectedAccess
            )
        );
        // The separator keeps fields apart: moving text across a boundary changes the id.
        assert_ne!(
            finding_id("a", "bc", None, None, FindingKind::NoOwner),
            finding_id("ab", "c", None, None, FindingKind::NoOwner)
        );
    }

    #[test]
    fn conditional_access_is_reported_as_conditional_with_its_condition_keys() {
        let mut f = fixture();
        let conditions = ConditionTree::And(vec![ConditionTree::Leaf(Arc::new(Leaf {
            op: "IpAddress".into(),
            key: "aws:SourceIp".into(),
            values: vec!["10.0.0.0/8".into()],
            inverted: false,
            source: Source {
                effect: Effect::Allow,
                policy: "resource".into(),
                policy_type: PolicyType::Resource,
                statement_index: 2,
                org_level: None,
            },
        }))]);
        f.lines.push(Line::Row(Row {
            principal: role("batch").into(),
            resource: BUCKET.into(),
            capability: Capability::DeleteData,
            access: Access::Conditional,
            conditions: Some(Arc::new(conditions)),
            actions: Arc::from(vec!["s3:DeleteObject"]),
            grants: vec![Grant {
                policy: "resource".into(),
                statement: "2".into(),
            }]
            .into(),
            requires: Vec::new(),
            keys: None,
        }));
        let findings = run(&f);
        let f = findings
            .iter()
            .find(|f| f.principal.as_deref() == Some(role("batch").as_str()))
            .expect("a finding for role/batch");
        assert_eq!(f.kind, FindingKind::UnexpectedAccess);
        assert_eq!(f.access, Some(Access::Conditional));
        assert_eq!(
            f.summary,
            "role/batch gained delete-data on s3 credit-applications (Conditional on \
             aws:SourceIp), granted by resource [2]"
        );
        assert!(
            f.remedy
                .starts_with("remove statement 2 from the resource policy, or accept")
        );
    }

    #[test]
    fn wildcard_patterns_accept_and_do_not_demand() {
        let findings = run(&fixture());
        // role/analyst-jane matched `role/analyst-*`: no finding, and the pattern itself
        // is not expected to hold anything.
        assert!(!findings.iter().any(|f| {
            f.principal
                .as_deref()
                .is_some_and(|p| p.contains("analyst"))
        }));
    }

    #[test]
    fn account_root_is_ignored_unless_the_desired_state_names_it() {
        let root = format!("arn:aws:iam::{ACCOUNT}:root");
        let findings = run(&fixture());
        assert!(
            !findings
                .iter()
                .any(|f| f.principal.as_deref() == Some(&root))
        );

        // Named (by account id) under read-data: its other capabilities are judged.
        let mut f = fixture();
        f.desired.resources[0]
            .capabilities
            .get_mut(&Capability::ReadData)
            .expect("read-data listed")
            .push(ACCOUNT.to_string());
        f.lines.push(row(
            &root,
            BUCKET,
            Capability::AdministerResource,
            Access::Allowed,
        ));
        let findings = run(&f);
        let about_root: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.principal.as_deref() == Some(&root))
            .collect();
        assert_eq!(about_root.len(), 1, "{about_root:#?}");
        assert_eq!(about_root[0].kind, FindingKind::UnexpectedAccess);
        assert_eq!(
            about_root[0].capability,
            Some(Capability::AdministerResource)
        );
        assert!(about_root[0].summary.starts_with("the account root gained"));
    }

    #[test]
    fn other_accounts_are_cross_account_inside_the_organization_and_external_outside() {
        let mut f = fixture();
        let in_org = format!("arn:aws:iam::{IN_ORG}:root");
        let outside = format!("arn:aws:iam::{OUTSIDE}:role/reader");
        f.lines.push(row(
            &in_org,
            BUCKET,
            Capability::ReadConfig,
            Access::Conditional,
        ));
        f.lines.push(row(
            &outside,
            BUCKET,
            Capability::ReadConfig,
            Access::Conditional,
        ));
        let findings = run(&f);
        let by = |p: &str| {
            findings
                .iter()
                .find(|f| f.principal.as_deref() == Some(p))
                .expect("a finding")
        };
        let cross = by(&in_org);
        assert_eq!(cross.kind, FindingKind::UnexpectedAccess);
        assert_eq!(cross.severity, Severity::Medium);
        assert!(
            cross
                .summary
                .starts_with("account 333333333333 (in the Organization) gained read-config")
        );
        let external = by(&outside);
        assert_eq!(external.kind, FindingKind::PublicOrExternalAccess);
        assert_eq!(external.severity, Severity::Medium);
        assert!(external.summary.starts_with(
            "role/reader in account 222222222222 (outside the Organization) gained read-config"
        ));
    }

    #[test]
    fn external_data_access_is_reported_without_a_desired_entry() {
        let mut f = fixture();
        let outside = format!("arn:aws:iam::{OUTSIDE}:root");
        f.lines.push(row(
            &outside,
            TABLE,
            Capability::ReadConfig,
            Access::Conditional,
        ));
        f.lines.push(row(
            &outside,
            TABLE,
            Capability::WriteData,
            Access::Conditional,
        ));
        let findings = run(&f);
        let about: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.principal.as_deref() == Some(&outside))
            .collect();
        assert_eq!(about.len(), 1, "only the data capability: {about:#?}");
        assert_eq!(about[0].kind, FindingKind::PublicOrExternalAccess);
        assert_eq!(
            about[0].severity,
            Severity::Critical,
            "external, Confidential data"
        );
        assert!(about[0].remedy.contains("add an entry for"));
    }

    #[test]
    fn no_public_and_no_external_constraints_hold_even_against_the_desired_state() {
        let mut f = fixture();
        // The team lists anyone as a reader, but Confidential forbids public access.
        f.desired.resources[0]
            .capabilities
            .get_mut(&Capability::ReadData)
            .expect("read-data listed")
            .push("*".into());
        f.desired.constraints.push(Constraint {
            classification: "Confidential".into(),
            rule: ConstraintRule::NoPublicAccess,
            location: Location {
                file: "desired/constraints.yaml".into(),
                line: 6,
            },
        });
        f.lines.push(row_by(
            "*",
            BUCKET,
            Capability::ReadData,
            Access::Allowed,
            &[("resource", "Anyone")],
        ));
        let findings = run(&f);
        let public: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.resource == BUCKET && f.kind == FindingKind::PublicOrExternalAccess)
            .collect();
        assert_eq!(public.len(), 1, "{public:#?}");
        assert_eq!(public[0].severity, Severity::Critical);
        assert!(
            public[0].summary.ends_with(
                "the Confidential rule at desired/constraints.yaml line 6 forbids public access"
            ),
            "{}",
            public[0].summary
        );
        assert!(
            public[0].remedy.ends_with(
                "remove `no-public-access` from that rule in desired/constraints.yaml, then run \
                 `accessdrift desired import desired/constraints.yaml`)"
            ),
            "{}",
            public[0].remedy
        );
        // The public reader also counts towards max-principals (3 > 2 with `*`).
        assert!(
            findings
                .iter()
                .any(|f| f.resource == BUCKET && f.kind == FindingKind::ConstraintViolated)
        );
    }

    #[test]
    fn listed_public_access_without_a_constraint_is_accepted() {
        let mut f = fixture();
        f.desired.resources.push(entry(
            REPORTS,
            Some("credit"),
            Some("Internal"),
            &[(Capability::ReadData, &["*"])],
            30,
        ));
        let findings = run(&f);
        assert!(
            !findings.iter().any(|f| f.resource == REPORTS),
            "{findings:#?}"
        );
    }

    #[test]
    fn missing_access_waits_while_the_principal_cannot_be_evaluated() {
        let mut f = fixture();
        f.lines.push(Line::PrincipalError {
            principal: role("ingest"),
            error: "managed policy arn:aws:iam::111111111111:policy/Ingest is missing".into(),
        });
        let findings = run(&f);
        assert!(
            !findings
                .iter()
                .any(|f| f.kind == FindingKind::MissingAccess)
        );
        let f = findings
            .iter()
            .find(|f| f.kind == FindingKind::CouldNotEvaluate && f.principal.is_some())
            .expect("the principal's error");
        assert_eq!(f.resource, role("ingest"));
        assert!(
            f.summary
                .starts_with("could not evaluate the policies of role/ingest:")
        );
    }

    #[test]
    fn desired_owner_applies_only_where_the_tag_is_missing() {
        let mut f = fixture();
        // The bucket loses its owner tag: the desired owner applies, no finding.
        f.resources[0].tags.remove("owner");
        let findings = run(&f);
        let on_bucket: Vec<&Finding> = findings.iter().filter(|f| f.resource == BUCKET).collect();
        assert!(
            on_bucket
                .iter()
                .all(|f| f.owner.as_deref() == Some("credit"))
        );
        assert!(
            !on_bucket
                .iter()
                .any(|f| matches!(f.kind, FindingKind::NoOwner | FindingKind::TagMismatch))
        );
    }

    /// Issue 18: AWS-managed roles belong to no team, so they raise no `no-owner`.
    #[test]
    fn service_linked_and_identity_center_roles_raise_no_no_owner() {
        let mut f = fixture();
        let managed = [
            format!(
                "arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"
            ),
            format!(
                "arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"
            ),
        ];
        let ordinary = role("untagged-app");
        for arn in managed.iter().chain([&ordinary]) {
            f.resources.push(facts(arn, &[]));
        }
        let findings = run(&f);
        for arn in &managed {
            assert!(
                !findings.iter().any(|x| &x.resource == arn),
                "{arn}: {findings:#?}"
            );
        }
        assert!(
            findings
                .iter()
                .any(|x| x.resource == ordinary && x.kind == FindingKind::NoOwner),
            "{findings:#?}"
        );
    }

    /// Issue 11: a tag value that is not an owner word routes nowhere, and says so.
    #[test]
    fn an_owner_tag_that_is_not_an_owner_word_names_no_owner() {
        let mut f = fixture();
        let queue = "arn:aws:sqs:us-east-1:111111111111:hostile";
        f.resources
            .push(facts(queue, &[("owner", "=HYPERLINK(\"x\")")]));
        let findings = run(&f);
        let on_queue: Vec<&Finding> = findings.iter().filter(|x| x.resource == queue).collect();
        assert!(on_queue.iter().all(|x| x.owner.is_none()), "{on_queue:#?}");
        let no_owner = on_queue
            .iter()
            .find(|x| x.kind == FindingKind::NoOwner)
            .expect("no-owner");
        assert!(
            no_owner.summary.contains("is not an owner word"),
            "{}",
            no_owner.summary
        );
    }

    /// Issue 18: anyone (`*`) holding any capability is exposure, not only data; an
    /// outside account trusted to use a role is too; reading configuration from outside
    /// is judged only against a desired entry.
    #[test]
    fn public_and_external_use_or_administer_is_a_finding_desired_entry_or_not() {
        let mut f = fixture();
        let open_role = role("open-to-anyone");
        let partner_role = role("partner-access");
        let topic = "arn:aws:sns:us-east-1:111111111111:alerts";
        for arn in [&open_role, &partner_role] {
            f.resources.push(facts(arn, &[("owner", "credit")]));
        }
        f.resources.push(facts(topic, &[("owner", "credit")]));
        f.lines.push(row(
            "*",
            &open_role,
            Capability::UseResource,
            Access::Allowed,
        ));
        f.lines.push(row(
            "arn:aws:iam::999999999999:root",
            &partner_role,
            Capability::UseResource,
            Access::Allowed,
        ));
        f.lines.push(row(
            "*",
            topic,
            Capability::AdministerResource,
            Access::Allowed,
        ));
        f.lines.push(row(
            "arn:aws:iam::999999999999:root",
            topic,
            Capability::ReadConfig,
            Access::Allowed,
        ));
        let findings = run(&f);
        let public: Vec<(&str, Option<&str>)> = findings
            .iter()
            .filter(|x| x.kind == FindingKind::PublicOrExternalAccess)
            .map(|x| (x.resource.as_str(), x.principal.as_deref()))
            .collect();
        assert!(
            public.contains(&(open_role.as_str(), Some("*"))),
            "{findings:#?}"
        );
        assert!(
            public.contains(&(
                partner_role.as_str(),
                Some("arn:aws:iam::999999999999:root")
            )),
            "{findings:#?}"
        );
        assert!(public.contains(&(topic, Some("*"))), "{findings:#?}");
        assert!(
            !public.contains(&(topic, Some("arn:aws:iam::999999999999:root"))),
            "{findings:#?}"
        );
    }

    /// Issue 18, item 3: a row limited to keys (`AWSConfigRulesExecutionRole`'s
    /// `arn:aws:s3:::*/AWSLogs/*/Config/*`) is judged against key-scope entries of the
    /// desired state (`arn:aws:s3:::BUCKET/AWSLogs/*`), and a key scope of another
    /// classification takes its holders out of the bucket's `max-principals`.
    #[test]
    fn key_scoped_rows_are_judged_by_key_scope_entries() {
        let logs = "arn:aws:s3:::logs";
        let scoped = |principal: &str, keys: &[&str]| {
            let Line::Row(mut r) = row(principal, logs, Capability::ReadData, Access::Allowed)
            else {
                unreachable!()
            };
            r.keys = Some(
                keys.iter()
                    .map(|k| (*k).to_string())
                    .collect::<Vec<_>>()
                    .into(),
            );
            Line::Row(r)
        };
        let lines = vec![
            // Inside the declared scope: not drift.
            scoped(&role("config"), &["AWSLogs/*/Config/*"]),
            // Also keys outside any scope: drift, and the summary says which keys.
            scoped(&role("audit"), &["AWSLogs/*", "*/AWSLogs/*"]),
            // Only in the Public scope: not counted against the Confidential rule.
            scoped(&role("web"), &["public/*"]),
            row(&role("owner"), logs, Capability::ReadData, Access::Allowed),
        ];
        let desired = DesiredState {
            resources: vec![
                entry(
                    logs,
                    Some("credit"),
                    Some("Confidential"),
                    &[(Capability::ReadData, &[&role("owner")])],
                    3,
                ),
                entry(
                    "arn:aws:s3:::logs/AWSLogs/*",
                    None,
                    None,
                    &[(Capability::ReadData, &[&role("config"), &role("audit")])],
                    9,
                ),
                entry(
                    "arn:aws:s3:::logs/public/*",
                    None,
                    Some("Public"),
                    &[(Capability::ReadData, &[&role("web")])],
                    14,
                ),
            ],
            constraints: vec![Constraint {
                classification: "Confidential".into(),
                rule: ConstraintRule::MaxPrincipals {
                    capability: Capability::ReadData,
                    max: 2,
                },
                location: Location {
                    file: "desired/credit.yaml".into(),
                    line: 20,
                },
            }],
        };
        let f = Fixture {
            lines,
            desired,
            resources: vec![facts(logs, &[("owner", "credit")])],
            org: org(),
        };
        let findings = run(&f);
        let unexpected: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.kind == FindingKind::UnexpectedAccess)
            .collect();
        assert_eq!(unexpected.len(), 1, "{findings:#?}");
        assert_eq!(
            unexpected[0].principal.as_deref(),
            Some(role("audit").as_str())
        );
        assert!(
            unexpected[0]
                .summary
                .contains("the keys `*/AWSLogs/*`, `AWSLogs/*` of"),
            "{}",
            unexpected[0].summary
        );
        // owner, config, audit count (3 > 2); web's keys are all in the Public scope.
        let over = only(&findings, FindingKind::ConstraintViolated);
        assert!(
            over.summary.starts_with("3 principals hold read-data"),
            "{}",
            over.summary
        );
        assert!(!over.summary.contains("role/web"), "{}", over.summary);
    }
}
