//! Edges between principals: who can become whom, and who can rewrite whose permissions.
//!
//! What it is for: turning effective-access rows on IAM roles, users, groups, managed
//! policies and Lambda functions into [`Edge`]s, by the catalogue's rules
//! (`data/edges.toml`), and asking the evaluator what the rows cannot say (see
//! [`crate::ask`]). What it is not for: following edges (that is [`crate::closure`]).
//!
//! Key design choices:
//! - The rows decide which edges exist: the engine has already applied identity
//!   policies, boundary, SCPs/RCPs and the trust policy, and pruned the pairs. Each
//!   (principal, resource, action) a row names is then asked again for that one action,
//!   because a row's access and grants are those of its whole capability.
//! - An edge from a principal outside the snapshot (another account, `*`) keeps the
//!   row's access and grants: its identity policies are not in the snapshot, and the row
//!   is Conditional on them already.
//! - A role whose trust policy names an identity provider (`Federated`) gives an edge
//!   from the provider: an entry point from outside, asked with the provider as caller.
//! - Pass-role edges need three answers: `iam:PassRole` on the role with
//!   `iam:PassedToService` set to the service (IAM UG, "iam:PassedToService"), every
//!   action of a recipe on a resource the caller would create in its account (asked as a
//!   pattern), and the role's trust policy letting the service assume it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use accessdrift_access::{Access, Grant, Row};
use accessdrift_capabilities::ResourceKind;
use accessdrift_evaluator::ConditionTree;
use accessdrift_policy::{Policy, parse_policy_value};
use accessdrift_snapshot::{IamPrincipal, PrincipalKind, Resource, Snapshot};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::ask::{Answer, Asker, Target};
use crate::catalogue::{EdgeKind, PassRoleRule, Reaches, RowRule, catalogue};
use crate::closure::Acting;

/// One way for `from` to become `to`, or to rewrite what `to` may do.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// What `from` does.
    pub kind: EdgeKind,
    /// The principal that acts (an ARN, `*`, or another account's root).
    pub from: Arc<str>,
    /// The principal it reaches or rewrites (for [`EdgeKind::GroupJoin`]: the user the
    /// caller can add to the group `on`).
    pub to: Arc<str>,
    /// The resource the actions are authorized against (a role, user, group, managed
    /// policy or function ARN).
    pub on: Arc<str>,
    /// The actions the edge needs, the one found in the row first.
    pub actions: Vec<&'static str>,
    /// The statements that allow them, sorted.
    pub grants: Vec<Grant>,
    /// Allowed, or Conditional when any answer behind it is.
    pub access: Access,
    /// The condition trees Conditional answers depend on.
    pub conditions: Vec<ConditionTree>,
    /// What must also hold, in words (the snapshot cannot show it).
    pub requires: Vec<String>,
}

impl Edge {
    /// The action found in the row (or `iam:PassRole`).
    pub fn action(&self) -> &'static str {
        self.actions.first().copied().unwrap_or("")
    }
}

/// Evidence for one action: the evaluator's answer, or the row's.
#[derive(Debug, Clone)]
struct Evidence {
    access: Access,
    grants: Vec<Grant>,
    conditions: Vec<ConditionTree>,
    requires: Vec<String>,
}

impl Evidence {
    fn from_answer(a: Answer) -> Evidence {
        Evidence {
            access: a.access,
            grants: a.grants,
            conditions: a.conditions.into_iter().collect(),
            requires: Vec::new(),
        }
    }

    /// Both must hold.
    fn and(mut self, other: Evidence) -> Evidence {
        if other.access == Access::Conditional {
            self.access = Access::Conditional;
        }
        self.grants.extend(other.grants);
        self.grants.sort();
        self.grants.dedup();
        self.conditions.extend(other.conditions);
        for r in other.requires {
            self.require(r);
        }
        self
    }

    /// Something the snapshot cannot show must also hold.
    fn require(&mut self, text: String) {
        self.access = Access::Conditional;
        if !self.requires.contains(&text) {
            self.requires.push(text);
        }
    }
}

/// What the snapshot says about who holds what, for following a row to principals.
struct Index<'s> {
    resources: FxHashMap<&'s str, &'s Resource>,
    principals: FxHashMap<&'s str, &'s IamPrincipal>,
    /// Group name -> member user ARNs.
    members: FxHashMap<&'s str, Vec<&'s str>>,
    /// Managed policy ARN -> principals it is attached to (directly or through a group).
    attached: FxHashMap<&'s str, Vec<&'s str>>,
    /// Managed policy ARN -> principals using it as their boundary.
    boundary_holders: FxHashMap<&'s str, Vec<&'s str>>,
}

/// The managed policy a policy label names (`managed:<arn>`, `group:<g>/managed:<arn>`).
fn attached_policy(label: &str) -> Option<&str> {
    label.strip_prefix("managed:").or_else(|| {
        label
            .strip_prefix("group:")
            .and_then(|rest| rest.split_once("/managed:"))
            .map(|(_, arn)| arn)
    })
}

/// The name of a group from its ARN (users list their groups by name).
fn group_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

impl<'s> Index<'s> {
    fn new(snap: &'s Snapshot) -> Index<'s> {
        let mut members: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
        let mut attached: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
        let mut boundary_holders: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
        for p in &snap.principals {
            for g in &p.groups {
                members.entry(g.as_str()).or_default().push(&p.arn);
            }
            for np in &p.policies {
                if let Some(policy) = attached_policy(&np.name) {
                    let list = attached.entry(policy).or_default();
                    if !list.contains(&p.arn.as_str()) {
                        list.push(&p.arn);
                    }
                }
            }
            if let Some(b) = &p.boundary
                && let Some(policy) = b.name.strip_prefix("boundary:")
            {
                boundary_holders.entry(policy).or_default().push(&p.arn);
            }
        }
        Index {
            resources: snap.resources.iter().map(|r| (r.arn.as_str(), r)).collect(),
            principals: snap
                .principals
                .iter()
                .map(|p| (p.arn.as_str(), p))
                .collect(),
            members,
            attached,
            boundary_holders,
        }
    }

    fn kind_of(&self, arn: &str) -> Option<ResourceKind> {
        self.resources
            .get(arn)
            .and_then(|r| ResourceKind::from_type_name(&r.type_name))
    }

    fn has_boundary(&self, arn: &str) -> bool {
        self.principals
            .get(arn)
            .is_some_and(|p| p.boundary.is_some())
    }

    /// The execution role a function's settings record (`Role`, as Lambda's
    /// GetFunctionConfiguration names it, or `role`).
    fn execution_role(&self, function: &str) -> Option<&'s str> {
        let r = self.resources.get(function)?;
        ["/Role", "/role"]
            .iter()
            .find_map(|p| r.settings.pointer(p).and_then(serde_json::Value::as_str))
            .filter(|arn| arn.contains(":role/"))
    }

    /// Who a rule's edge leads to from a row on `on`.
    fn reached(&self, rule: &RowRule, on: &'s str) -> Vec<&'s str> {
        let list = |m: &FxHashMap<&'s str, Vec<&'s str>>, k: &str| -> Vec<&'s str> {
            m.get(k).cloned().unwrap_or_default()
        };
        match rule.reaches {
            Reaches::Target => vec![on],
            // Expanded once every become edge is known (see `edges`).
            Reaches::AnyUser => Vec::new(),
            Reaches::Members => list(&self.members, group_name(on)),
            Reaches::Attached => list(&self.attached, on),
            Reaches::BoundaryHolders => list(&self.boundary_holders, on),
            Reaches::ExecutionRole => self.execution_role(on).into_iter().collect(),
        }
    }

    fn target(&self, arn: &'s str) -> Option<Target<'s>> {
        let r = self.resources.get(arn)?;
        Some(Target {
            arn: &r.arn,
            account: &r.account,
            region: Some(r.region.as_str()).filter(|x| !x.is_empty()),
            tags: Some(&r.tags),
            policy: r.policy.as_ref().ok().and_then(|p| p.as_deref()),
        })
    }
}

/// What the rows say about one (principal, resource, action).
struct Candidate {
    access: Access,
    /// The rows' grants, shared with the rows (used only when no question can be asked).
    grants: Vec<Arc<[Grant]>>,
    requires: Vec<String>,
}

/// A trust policy naming only `caller`: what `iam:UpdateAssumeRolePolicy` can write.
fn trust_naming(caller: &str) -> Option<Policy> {
    parse_policy_value(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}]
    }))
    .ok()
}

/// Every edge the rows and the catalogue give, sorted by (from, to, kind, on, actions).
/// `rows` may be the whole effective-access output: only rows on IAM entities and
/// Lambda functions that name a catalogue action are looked at.
///
/// Two kinds of edge are left out because nothing would use them: a become edge when a
/// better one joins the same two principals through the same resource (Allowed first,
/// then the kind order: the closure follows only the best), and a control edge when no
/// principal is or can become both its writer and its target, or when its writer may
/// rewrite its own policies outright (every administrator gain through it is then at
/// least as long and no more Allowed). Both are decided before the evaluator is asked.
pub fn edges<'r>(snapshot: &Snapshot, rows: impl IntoIterator<Item = &'r Row>) -> Vec<Edge> {
    let mut builder = EdgeBuilder::new(snapshot);
    for row in rows {
        builder.add(row);
    }
    builder.finish()
}

/// [`edges`] one row at a time, for a caller streaming effective access: it keeps what
/// the rows say about catalogue actions, not the rows.
pub struct EdgeBuilder<'s> {
    snapshot: &'s Snapshot,
    index: Index<'s>,
    own_root: String,
    groups: FxHashMap<Pair, Vec<(&'static str, Candidate)>>,
}

impl<'s> EdgeBuilder<'s> {
    /// Ready for the rows of `snapshot`.
    pub fn new(snapshot: &'s Snapshot) -> EdgeBuilder<'s> {
        EdgeBuilder {
            snapshot,
            index: Index::new(snapshot),
            own_root: format!("arn:aws:iam::{}:root", snapshot.account_id),
            groups: FxHashMap::default(),
        }
    }

    /// Takes what one row says (any row: most are ignored at once).
    pub fn add(&mut self, row: &Row) {
        let cat = catalogue();
        // Services are not callers to escalate from (they are where pass-role leads),
        // and the account's root user holds everything already.
        if !(row.principal.starts_with("arn:") || &*row.principal == "*")
            || *row.principal == *self.own_root
        {
            return;
        }
        let Some(kind) = self.index.kind_of(&row.resource) else {
            return;
        };
        if !matches!(
            kind,
            ResourceKind::IamRole
                | ResourceKind::IamUser
                | ResourceKind::IamGroup
                | ResourceKind::IamManagedPolicy
                | ResourceKind::LambdaFunction
        ) {
            return;
        }
        for &action in row.actions.iter() {
            let wanted = cat.rules_for(kind, action).next().is_some() || is_pass_role(kind, action);
            if !wanted {
                continue;
            }
            // An action can sit in two capability rows (CreateAccessKey is
            // administer-resource and use-resource).
            let list = self
                .groups
                .entry((Arc::clone(&row.principal), Arc::clone(&row.resource)))
                .or_default();
            let c = match list.iter_mut().position(|(a, _)| *a == action) {
                Some(i) => &mut list[i].1,
                None => {
                    list.push((
                        action,
                        Candidate {
                            access: row.access,
                            grants: Vec::new(),
                            requires: Vec::new(),
                        },
                    ));
                    let Some((_, c)) = list.last_mut() else {
                        continue;
                    };
                    c
                }
            };
            c.access = c.access.min(row.access);
            if !c.grants.iter().any(|g| Arc::ptr_eq(g, &row.grants)) {
                c.grants.push(Arc::clone(&row.grants));
            }
            for r in &row.requires {
                if !c.requires.contains(r) {
                    c.requires.push(r.clone());
                }
            }
        }
    }

    /// Every edge, as [`edges`] returns them.
    pub fn finish(self) -> Vec<Edge> {
        let EdgeBuilder {
            snapshot,
            index,
            groups,
            ..
        } = self;
        finish(snapshot, &index, groups)
    }
}

fn finish(
    snapshot: &Snapshot,
    index: &Index<'_>,
    groups: FxHashMap<Pair, Vec<(&'static str, Candidate)>>,
) -> Vec<Edge> {
    let groups: Vec<Group> = groups.into_iter().collect();

    let asker = Asker::new(snapshot);
    let regions = regions(snapshot);
    let pass = PassRoleAnswers::new(&asker, index, &groups, &regions);
    let ctx = Ctx {
        index,
        asker: &asker,
        pass: &pass,
    };
    let per_group: Vec<(Vec<Edge>, Vec<Control<'_>>)> =
        groups.par_iter().map(|g| ctx.become_edges(g)).collect();
    let mut out: Vec<Edge> = Vec::new();
    let mut control: Vec<Control<'_>> = Vec::new();
    for (e, c) in per_group {
        out.extend(e);
        control.extend(c);
    }
    out.extend(federated_edges(snapshot, index, &asker));

    // Control edges count only where some principal is, or can become, both the writer
    // and the target: the others rewrite permissions nobody can use.
    let acting = Acting::new(&out);
    // A group join matters for a user the caller is or can become: the caller itself,
    // or a user some become edge leads to (nobody else can act as a user).
    let users: BTreeSet<&str> = out
        .iter()
        .map(|e| &*e.to)
        .chain(control.iter().map(|c| &*c.key.0))
        .filter(|u| {
            index
                .principals
                .get(u)
                .is_some_and(|p| p.kind == PrincipalKind::User)
        })
        .collect();
    // Self-targets first, then the others but for writers that may rewrite their own
    // policies outright.
    let own: Vec<Edge> = control
        .par_iter()
        .flat_map_iter(|c| ctx.control_edges(c, true, &acting, &users, &BTreeSet::new()))
        .collect();
    let writes_itself: BTreeSet<&str> = own
        .iter()
        .filter(|e| e.kind == EdgeKind::PolicyWrite && e.access == Access::Allowed)
        .map(|e| &*e.from)
        .collect();
    let others: Vec<Edge> = control
        .par_iter()
        .flat_map_iter(|c| ctx.control_edges(c, false, &acting, &users, &writes_itself))
        .collect();
    out.extend(own);
    out.extend(others);
    out.sort_by(|a, b| {
        (&a.from, &a.to, a.kind, &a.on, &a.actions)
            .cmp(&(&b.from, &b.to, b.kind, &b.on, &b.actions))
    });
    out.dedup_by(|a, b| {
        (&a.from, &a.to, a.kind, &a.on, &a.actions) == (&b.from, &b.to, b.kind, &b.on, &b.actions)
    });
    out
}

/// Whether a row's action on a kind is the pass-role one.
fn is_pass_role(kind: ResourceKind, action: &str) -> bool {
    kind == ResourceKind::IamRole && action.eq_ignore_ascii_case("iam:PassRole")
}

/// A (principal, resource, action) a control rule applies to, for the second phase.
struct Control<'g> {
    key: Key,
    cand: &'g Candidate,
    kind: ResourceKind,
}

/// What the phases share (all read-only, so groups are decided in parallel).
struct Ctx<'a, 's> {
    index: &'a Index<'s>,
    asker: &'a Asker<'s>,
    pass: &'a PassRoleAnswers,
}

impl Ctx<'_, '_> {
    /// The become edges of one (principal, resource), best first: once one is Allowed
    /// the weaker kinds are not asked (they all lead to the same principal). The control
    /// candidates are handed back for later.
    fn become_edges<'g>(&self, group: &'g Group) -> (Vec<Edge>, Vec<Control<'g>>) {
        let ((principal, resource), actions) = group;
        let mut out = Vec::new();
        let mut control = Vec::new();
        let Some(kind) = self.index.kind_of(resource) else {
            return (out, control);
        };
        let caller = self.asker.caller(principal);
        // (kind, rule or pass-role, action, candidate), in kind order.
        let mut items: Vec<(EdgeKind, Option<&RowRule>, &'static str, &Candidate)> = Vec::new();
        for (action, cand) in actions {
            if is_pass_role(kind, action) {
                items.push((EdgeKind::PassRole, None, action, cand));
            }
            for rule in catalogue().rules_for(kind, action) {
                if rule.kind.becomes() {
                    items.push((rule.kind, Some(rule), action, cand));
                } else if !control.iter().any(|c: &Control<'_>| c.key.2 == *action) {
                    control.push(Control {
                        key: (Arc::clone(principal), Arc::clone(resource), action),
                        cand,
                        kind,
                    });
                }
            }
        }
        items.sort_by_key(|(k, _, _, _)| *k);
        for (_, rule, action, cand) in items {
            if out.iter().any(|e: &Edge| e.access == Access::Allowed) {
                break;
            }
            let Some(rule) = rule else {
                if let Some(c) = caller {
                    out.extend(
                        self.pass
                            .edge(self.asker, self.index, c, principal, resource),
                    );
                }
                continue;
            };
            let key = (Arc::clone(principal), Arc::clone(resource), action);
            let ev = evidence_for(self.asker, self.index, &key, cand);
            let Some(mut ev) = special(
                rule, self.asker, self.index, caller, principal, resource, &ev,
            ) else {
                continue;
            };
            if let Some(r) = &rule.requires {
                ev.require(r.clone());
            }
            for to in self.index.reached(rule, resource) {
                if **principal != *to {
                    out.push(edge(rule, &key, to, &ev));
                }
            }
        }
        (out, control)
    }

    /// The control edges of one candidate: to itself (`own`) or to others, kept to
    /// those someone can use.
    fn control_edges(
        &self,
        c: &Control<'_>,
        own: bool,
        acting: &Acting,
        users: &BTreeSet<&str>,
        writes_itself: &BTreeSet<&str>,
    ) -> Vec<Edge> {
        let (principal, resource, action) = &c.key;
        let mut out = Vec::new();
        let mut evidence: Option<Evidence> = None;
        for rule in catalogue()
            .rules_for(c.kind, action)
            .filter(|r| !r.kind.becomes())
        {
            if !own && rule.kind == EdgeKind::PolicyWrite && writes_itself.contains(&**principal) {
                continue;
            }
            let reached: Vec<&str> = match rule.reaches {
                Reaches::AnyUser => {
                    let group = group_name(resource);
                    users
                        .iter()
                        .copied()
                        .filter(|u| {
                            !self
                                .index
                                .principals
                                .get(u)
                                .is_some_and(|p| p.groups.iter().any(|g| g == group))
                        })
                        .collect()
                }
                _ => self.index.reached(rule, resource),
            };
            let targets: Vec<&str> = reached
                .into_iter()
                .filter(|to| (**principal == **to) == own)
                .filter(|to| rule.kind != EdgeKind::BoundaryRemoval || self.index.has_boundary(to))
                .filter(|to| acting.useful(principal, to))
                .collect();
            if targets.is_empty() {
                continue;
            }
            let mut ev = evidence
                .get_or_insert_with(|| evidence_for(self.asker, self.index, &c.key, c.cand))
                .clone();
            if let Some(r) = &rule.requires {
                ev.require(r.clone());
            }
            for to in targets {
                out.push(edge(rule, &c.key, to, &ev));
            }
        }
        out
    }
}

/// A (principal, resource, action) the rows name.
type Key = (Arc<str>, Arc<str>, &'static str);

/// A (principal, resource) the rows name.
type Pair = (Arc<str>, Arc<str>);

/// The catalogue actions the rows name for one (principal, resource).
type Group = (Pair, Vec<(&'static str, Candidate)>);

/// The evaluator's answer for one (principal, resource, action), or, for a principal
/// outside the snapshot, the rows' word.
fn evidence_for(asker: &Asker<'_>, index: &Index<'_>, key: &Key, cand: &Candidate) -> Evidence {
    let (principal, resource, action) = key;
    match (asker.caller(principal), index.target(resource)) {
        (Some(c), Some(t)) => asker.ask(c, action, &t, &[]).map(Evidence::from_answer),
        _ => None,
    }
    .unwrap_or_else(|| Evidence {
        // Outside the snapshot (or, against expectation, the evaluator disagrees with
        // the engine): the row's word.
        access: cand.access,
        grants: {
            let mut g: Vec<Grant> = cand.grants.iter().flat_map(|g| g.iter().cloned()).collect();
            g.sort();
            g.dedup();
            g
        },
        conditions: Vec::new(),
        requires: cand.requires.clone(),
    })
}

/// The edge a rule gives from a row's (principal, resource, action) to `to`.
fn edge(rule: &RowRule, key: &Key, to: &str, ev: &Evidence) -> Edge {
    let (principal, resource, action) = key;
    Edge {
        kind: rule.kind,
        from: Arc::clone(principal),
        to: Arc::from(to),
        on: Arc::clone(resource),
        actions: extra_actions(rule.kind, action),
        grants: ev.grants.clone(),
        access: ev.access,
        conditions: ev.conditions.clone(),
        requires: ev.requires.clone(),
    }
}

/// The actions an edge of `kind` found through `action` needs.
fn extra_actions(kind: EdgeKind, action: &'static str) -> Vec<&'static str> {
    match kind {
        EdgeKind::TrustWrite => vec![action, "sts:AssumeRole"],
        _ => vec![action],
    }
}

/// The questions some kinds need beyond the row's action; `None`: no edge.
fn special(
    rule: &RowRule,
    asker: &Asker<'_>,
    index: &Index<'_>,
    caller: Option<usize>,
    principal: &str,
    resource: &str,
    evidence: &Evidence,
) -> Option<Evidence> {
    match rule.kind {
        // Rewrite the trust to name the caller, then assume: asked with that trust, so
        // SCPs, RCPs and (for a role caller) its boundary still decide.
        EdgeKind::TrustWrite => {
            let c = caller?;
            let trust = trust_naming(principal)?;
            let mut target = index.target(resource)?;
            target.policy = Some(&trust);
            let assume = asker.ask(c, "sts:AssumeRole", &target, &[])?;
            Some(evidence.clone().and(Evidence::from_answer(assume)))
        }
        // The new code runs when the function does: at once if the caller may invoke it.
        EdgeKind::CodeWrite => {
            let invoke = caller
                .zip(index.target(resource))
                .and_then(|(c, t)| asker.ask(c, "lambda:InvokeFunction", &t, &[]));
            Some(match invoke {
                Some(a) => evidence.clone().and(Evidence::from_answer(a)),
                None => {
                    let mut ev = evidence.clone();
                    ev.require(
                        "the function runs again (the caller may not invoke it; its own triggers must)"
                            .to_string(),
                    );
                    ev
                }
            })
        }
        _ => Some(evidence.clone()),
    }
}

/// Pass-role answers that many pairs share, asked once each (in parallel): the trust
/// of every role someone may pass, per recipe, and every recipe a caller may need.
struct PassRoleAnswers {
    /// Role -> per recipe: whether its service may assume the role.
    trust: FxHashMap<Arc<str>, Vec<Option<Evidence>>>,
    /// Caller -> per recipe: whether it may create and start the compute (asked only
    /// for recipes whose service one of its roles trusts).
    recipes: FxHashMap<usize, Vec<Option<Evidence>>>,
}

impl PassRoleAnswers {
    fn new(
        asker: &Asker<'_>,
        index: &Index<'_>,
        groups: &[Group],
        regions: &[Option<&str>],
    ) -> PassRoleAnswers {
        let rules = &catalogue().pass_role;
        // (caller, role) pairs a PassRole row names.
        let pairs: Vec<(usize, &Arc<str>)> = groups
            .iter()
            .filter(|((_, resource), actions)| {
                index.kind_of(resource) == Some(ResourceKind::IamRole)
                    && actions
                        .iter()
                        .any(|(a, _)| is_pass_role(ResourceKind::IamRole, a))
            })
            .filter_map(|((principal, resource), _)| Some((asker.caller(principal)?, resource)))
            .collect();
        let roles: BTreeSet<&Arc<str>> = pairs.iter().map(|(_, r)| *r).collect();
        let trust: FxHashMap<Arc<str>, Vec<Option<Evidence>>> = roles
            .into_par_iter()
            .map(|role| {
                let answers = rules
                    .iter()
                    .map(|rule| {
                        let target = index.target(role)?;
                        asker
                            .ask_service(&rule.service, "sts:AssumeRole", &target)
                            .map(Evidence::from_answer)
                    })
                    .collect();
                (Arc::clone(role), answers)
            })
            .collect();
        let mut needed: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for (caller, role) in &pairs {
            for (i, t) in trust.get(*role).into_iter().flatten().enumerate() {
                if t.is_some() {
                    needed.entry(*caller).or_default().insert(i);
                }
            }
        }
        let recipes = needed
            .into_par_iter()
            .map(|(caller, wanted)| {
                let answers = rules
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| {
                        wanted
                            .contains(&i)
                            .then(|| recipe(asker, caller, rule, regions))
                            .flatten()
                    })
                    .collect();
                (caller, answers)
            })
            .collect();
        PassRoleAnswers { trust, recipes }
    }

    /// The best pass-role edge from `caller` to the role `role` (Allowed before
    /// Conditional, then the catalogue's order), if any recipe works.
    fn edge(
        &self,
        asker: &Asker<'_>,
        index: &Index<'_>,
        caller: usize,
        principal: &Arc<str>,
        role: &Arc<str>,
    ) -> Option<Edge> {
        if **principal == **role {
            return None;
        }
        let asker_target = index.target(role)?;
        let (trust, recipes) = (self.trust.get(role)?, self.recipes.get(&caller)?);
        let rules = &catalogue().pass_role;
        let mut best: Option<(Evidence, &'static PassRoleRule)> = None;
        for (i, rule) in rules.iter().enumerate() {
            let (Some(Some(trust)), Some(Some(recipe))) = (trust.get(i), recipes.get(i)) else {
                continue;
            };
            let facts = [("iam:PassedToService", rule.service.clone())];
            let Some(pass) = asker.ask(caller, "iam:PassRole", &asker_target, &facts) else {
                continue;
            };
            let mut ev = Evidence::from_answer(pass)
                .and(recipe.clone())
                .and(trust.clone());
            if let Some(r) = &rule.requires {
                ev.require(r.clone());
            }
            let better = match &best {
                None => true,
                Some((b, _)) => b.access == Access::Conditional && ev.access == Access::Allowed,
            };
            if better {
                best = Some((ev, rule));
            }
            if best
                .as_ref()
                .is_some_and(|(b, _)| b.access == Access::Allowed)
            {
                break;
            }
        }
        let (ev, rule) = best?;
        let mut actions: Vec<&'static str> = vec!["iam:PassRole"];
        actions.extend(rule.with.iter().map(|w| w.action.as_str()));
        Some(Edge {
            kind: EdgeKind::PassRole,
            from: Arc::clone(principal),
            to: Arc::clone(role),
            on: Arc::clone(role),
            actions,
            grants: ev.grants,
            access: ev.access,
            conditions: ev.conditions,
            requires: {
                let mut r = vec![format!("through {}", rule.service)];
                r.extend(ev.requires);
                r
            },
        })
    }
}

/// Entry points from identity providers named in trust policies (`Federated`).
fn federated_edges(snapshot: &Snapshot, index: &Index<'_>, asker: &Asker<'_>) -> Vec<Edge> {
    let mut out = Vec::new();
    for p in snapshot
        .principals
        .iter()
        .filter(|p| p.kind == PrincipalKind::Role)
    {
        let Some(trust) = &p.trust_policy else {
            continue;
        };
        let mut providers: BTreeSet<&str> = BTreeSet::new();
        for st in &trust.statements {
            if let Some(accessdrift_policy::PrincipalBlock {
                principals: accessdrift_policy::Principals::Map(m),
                negated: false,
            }) = &st.principal
            {
                providers.extend(m.federated.iter().map(String::as_str));
            }
        }
        let Some(target) = index.target(&p.arn) else {
            continue;
        };
        for provider in providers {
            for rule in &catalogue().federated {
                for action in &rule.actions {
                    let Some(answer) = asker.ask_federated(provider, action, &target) else {
                        continue;
                    };
                    let ev = Evidence::from_answer(answer);
                    out.push(Edge {
                        kind: EdgeKind::Assume,
                        from: Arc::from(provider),
                        to: Arc::from(p.arn.as_str()),
                        on: Arc::from(p.arn.as_str()),
                        actions: vec![action.as_str()],
                        grants: ev.grants,
                        access: ev.access,
                        conditions: ev.conditions,
                        requires: vec![format!("a token from `{provider}` the trust accepts")],
                    });
                }
            }
        }
    }
    out
}

/// Whether `caller` may call every action of a recipe on a resource it would create,
/// in the best of `regions` (the caller picks where to create; `None`: any region).
fn recipe(
    asker: &Asker<'_>,
    caller: usize,
    rule: &PassRoleRule,
    regions: &[Option<&str>],
) -> Option<Evidence> {
    let account = asker.account();
    let mut best: Option<Evidence> = None;
    for region in regions {
        let mut all: Option<Evidence> = None;
        for w in &rule.with {
            let arn = w.resource_in(account, *region);
            let mut target = Target::new_in(&arn, account);
            target.region = *region;
            let Some(answer) = asker.ask(caller, &w.action, &target, &[]) else {
                all = None;
                break;
            };
            let ev = Evidence::from_answer(answer);
            all = Some(match all {
                None => ev,
                Some(prev) => prev.and(ev),
            });
        }
        let Some(ev) = all else { continue };
        let allowed = ev.access == Access::Allowed;
        if best.is_none() || allowed {
            best = Some(ev);
        }
        if allowed {
            break;
        }
    }
    best
}

/// The regions the snapshot's resources are in (where a caller would create compute),
/// sorted, then any region (`None`: the pattern, which an SCP's region list leaves
/// Conditional rather than denied, for a region the snapshot has nothing in).
fn regions(snapshot: &Snapshot) -> Vec<Option<&str>> {
    let set: BTreeSet<&str> = snapshot
        .resources
        .iter()
        .map(|r| r.region.as_str())
        .filter(|r| !r.is_empty())
        .collect();
    set.into_iter().map(Some).chain([None]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_labels_name_their_managed_policy() {
        assert_eq!(
            attached_policy("managed:arn:aws:iam::1:policy/p"),
            Some("arn:aws:iam::1:policy/p")
        );
        assert_eq!(
            attached_policy("group:ops/managed:arn:aws:iam::1:policy/p"),
            Some("arn:aws:iam::1:policy/p")
        );
        assert_eq!(attached_policy("inline:alice/p"), None);
        assert_eq!(attached_policy("group:ops/inline:p"), None);
        assert_eq!(group_name("arn:aws:iam::1:group/team/ops"), "ops");
    }
}
