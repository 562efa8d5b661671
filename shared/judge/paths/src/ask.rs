//! Questions the rows cannot answer, put to the evaluator with every layer that applies.
//!
//! What it is for: one action at a time where a row only says "some action of the
//! capability" (a use-resource row on a role may hold because of `iam:PassRole` while
//! `sts:AssumeRole` needs MFA), facts a row does not carry (`iam:PassedToService`), a
//! resource the caller would create (`lambda:CreateFunction` on a function that does not
//! exist yet, asked as a pattern: "some name works"), a trust policy as a service sees
//! it, and a trust policy the caller would write (`iam:UpdateAssumeRolePolicy`).
//!
//! Key design choice: the request is built as the effective-access engine builds its own
//! (`accessdrift-access`, `subjects.rs`): the same known principal and resource facts in
//! Discovery mode, identity policies, boundary, SCPs unless the management account or a
//! service-linked role, RCPs unless the management account, the resource's policy. That
//! module is private to the access crate; a test checks that the two agree on every row
//! of the fixtures (`tests/paths.rs`, `the_asker_agrees_with_every_single_action_row`).
// OPEN: the access crate could expose its subjects so this mirror goes away (issue 13).

use std::collections::BTreeMap;
use std::sync::Arc;

use accessdrift_access::{Access, Grant, known_key_constraints, org_paths, resource_context_keys};
use accessdrift_evaluator::context::{
    ContextValue, KeyConstraint, KeyMatcher, Mode, RequestContext, SharedKeys,
};
use accessdrift_evaluator::{
    ConditionTree, Decision, NamedPolicy, OrgLevel, PolicySet, PolicyType, Principal, Request,
    Settings, evaluate,
};
use accessdrift_policy::Policy;
use accessdrift_snapshot::{IamPrincipal, Organization, PrincipalKind, Snapshot};
use rustc_hash::FxHashMap;

/// The evaluator's answer to one question, when it allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Allowed outright, or only under request-time conditions.
    pub access: Access,
    /// The identity and resource-policy statements that allow it, sorted.
    pub grants: Vec<Grant>,
    /// For Conditional: the condition tree the allow depends on.
    pub conditions: Option<ConditionTree>,
}

/// What a question is about: an existing resource, or one the caller would create.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The ARN, an ARN pattern or `*`.
    pub arn: &'a str,
    /// The account owning it.
    pub account: &'a str,
    /// Its region, when it has one (then `aws:RequestedRegion` is a fact).
    pub region: Option<&'a str>,
    /// Its tags.
    pub tags: Option<&'a BTreeMap<String, String>>,
    /// Its resource-based policy (a role's trust policy).
    pub policy: Option<&'a Policy>,
}

impl<'a> Target<'a> {
    /// A resource the caller would create in `account` (no tags, no policy yet).
    pub fn new_in(arn: &'a str, account: &'a str) -> Target<'a> {
        Target {
            arn,
            account,
            region: None,
            tags: None,
            policy: None,
        }
    }
}

/// One IAM principal of the snapshot, ready to ask about.
struct Caller<'s> {
    principal: Principal,
    identity: Vec<NamedPolicy<'s>>,
    boundary: Option<NamedPolicy<'s>>,
    scp_governed: bool,
    keys: SharedKeys,
}

/// Asks the evaluator on behalf of the snapshot's principals (and of services).
pub struct Asker<'s> {
    account: &'s str,
    org: Option<&'s Organization>,
    management: bool,
    callers: Vec<Caller<'s>>,
    by_arn: FxHashMap<&'s str, usize>,
    scp: Vec<OrgLevel<'s>>,
    rcp: Vec<OrgLevel<'s>>,
}

/// Keys the snapshot determines (the access engine's own list, so both ask the same
/// questions), plus `extra` keys the question fixes.
fn constraints(regional: bool, extra: &[(&str, String)]) -> Arc<[KeyConstraint]> {
    let known = |key: String| KeyConstraint {
        key: KeyMatcher::Exact(key),
        presence_known: true,
        value_known: true,
    };
    let mut out: Vec<KeyConstraint> = known_key_constraints().to_vec();
    if regional {
        out.push(known("aws:requestedregion".to_string()));
    }
    for (k, _) in extra {
        out.push(known(k.to_ascii_lowercase()));
    }
    out.into()
}

/// The principal facts of an IAM user or role, as the access engine knows them.
fn principal_keys(p: &IamPrincipal, account: &str, org: Option<&Organization>) -> SharedKeys {
    let single = |v: &str| ContextValue::Single(v.to_string());
    let mut keys: Vec<(String, ContextValue)> = vec![
        ("aws:principalarn".into(), single(&p.arn)),
        ("aws:principalaccount".into(), single(account)),
        ("aws:principalisawsservice".into(), single("false")),
    ];
    match p.kind {
        PrincipalKind::User => {
            keys.push(("aws:principaltype".into(), single("User")));
            keys.push(("aws:username".into(), single(&p.name)));
            if !p.unique_id.is_empty() {
                keys.push(("aws:userid".into(), single(&p.unique_id)));
            }
        }
        // Requests come from the role's sessions.
        PrincipalKind::Role => keys.push(("aws:principaltype".into(), single("AssumedRole"))),
    }
    for (k, v) in &p.tags {
        keys.push((
            format!("aws:principaltag/{}", k.to_ascii_lowercase()),
            single(v),
        ));
    }
    if let Some(org) = org {
        keys.push(("aws:principalorgid".into(), single(&org.id)));
        keys.push((
            "aws:principalorgpaths".into(),
            ContextValue::Multi(org_paths(org)),
        ));
    }
    keys.into()
}

/// The resource facts of a target, as the access engine knows them.
fn resource_keys(target: &Target<'_>, org: Option<&Organization>) -> SharedKeys {
    resource_context_keys(
        target.account,
        target.tags.into_iter().flatten(),
        target.region,
        org,
    )
    .into()
}

impl<'s> Asker<'s> {
    /// Prepares every principal of the snapshot.
    pub fn new(snap: &'s Snapshot) -> Asker<'s> {
        let org = snap.organization.as_ref();
        let account = snap.account_id.as_str();
        let management = org.is_some_and(|o| o.management_account_id == account);
        let named = |np: &'s accessdrift_snapshot::NamedPolicy| NamedPolicy {
            name: &np.name,
            policy: &np.policy,
        };
        let callers = snap
            .principals
            .iter()
            .map(|p| {
                let principal = Principal::parse(&p.arn);
                Caller {
                    scp_governed: org.is_some()
                        && !management
                        && !principal.is_service_linked_role(),
                    principal,
                    identity: p.policies.iter().map(named).collect(),
                    boundary: p.boundary.as_ref().map(named),
                    keys: principal_keys(p, account, org),
                }
            })
            .collect();
        let levels = |ls: &'s [accessdrift_snapshot::OrgLevel]| -> Vec<OrgLevel<'s>> {
            ls.iter()
                .map(|l| OrgLevel {
                    level: &l.level,
                    policies: l.policies.iter().map(named).collect(),
                })
                .collect()
        };
        let (scp, rcp) = match org {
            Some(o) if !management => (levels(&o.scp), levels(&o.rcp)),
            _ => (Vec::new(), Vec::new()),
        };
        Asker {
            account,
            org,
            management,
            callers,
            by_arn: snap
                .principals
                .iter()
                .enumerate()
                .map(|(i, p)| (p.arn.as_str(), i))
                .collect(),
            scp,
            rcp,
        }
    }

    /// The snapshot's account.
    pub fn account(&self) -> &'s str {
        self.account
    }

    /// The index of an IAM principal of the snapshot.
    pub fn caller(&self, arn: &str) -> Option<usize> {
        self.by_arn.get(arn).copied()
    }

    /// May the snapshot's principal `caller` call `action` on `target`? `facts` are keys
    /// the question fixes (`iam:PassedToService`); `trust` replaces the target's policy
    /// (a trust policy the caller would write).
    pub fn ask(
        &self,
        caller: usize,
        action: &str,
        target: &Target<'_>,
        facts: &[(&str, String)],
    ) -> Option<Answer> {
        let c = self.callers.get(caller)?;
        let set = PolicySet {
            identity: &c.identity,
            boundary: c.boundary,
            scp: if c.scp_governed { &self.scp } else { &[] },
            rcp: if self.management { &[] } else { &self.rcp },
            resource: target.policy.map(|p| NamedPolicy {
                name: "resource",
                policy: p,
            }),
            ..Default::default()
        };
        self.decide(
            &c.principal,
            Arc::clone(&c.keys),
            action,
            target,
            facts,
            &set,
        )
    }

    /// May the AWS service `service` call `action` (`sts:AssumeRole`) on `target`? The
    /// service acts for a resource the caller creates in the account, so
    /// `aws:SourceAccount` is the account (AWS's confused-deputy keys; IAM UG, "The
    /// confused deputy problem"); `aws:SourceArn` stays unknown.
    pub fn ask_service(&self, service: &str, action: &str, target: &Target<'_>) -> Option<Answer> {
        let keys: SharedKeys = vec![
            (
                "aws:principalisawsservice".to_string(),
                ContextValue::Single("true".into()),
            ),
            (
                "aws:principalservicename".to_string(),
                ContextValue::Single(service.to_string()),
            ),
        ]
        .into();
        let set = PolicySet {
            rcp: if self.management { &[] } else { &self.rcp },
            resource: target.policy.map(|p| NamedPolicy {
                name: "resource",
                policy: p,
            }),
            ..Default::default()
        };
        let facts = [("aws:SourceAccount", self.account.to_string())];
        self.decide(
            &Principal::Service(service.to_string()),
            keys,
            action,
            target,
            &facts,
            &set,
        )
    }

    /// May whoever the identity provider `provider` (a `Federated` trust entry)
    /// vouches for call `action` on `target`? Nothing about the token is known, so
    /// conditions on its claims stay unknown.
    pub fn ask_federated(
        &self,
        provider: &str,
        action: &str,
        target: &Target<'_>,
    ) -> Option<Answer> {
        let set = PolicySet {
            rcp: if self.management { &[] } else { &self.rcp },
            resource: target.policy.map(|p| NamedPolicy {
                name: "resource",
                policy: p,
            }),
            ..Default::default()
        };
        self.decide(
            &Principal::Other(provider.to_string()),
            Vec::new().into(),
            action,
            target,
            &[],
            &set,
        )
    }

    fn decide(
        &self,
        principal: &Principal,
        principal_keys: SharedKeys,
        action: &str,
        target: &Target<'_>,
        facts: &[(&str, String)],
        set: &PolicySet<'_>,
    ) -> Option<Answer> {
        let mut context = RequestContext::layered(
            Mode::Discovery(constraints(target.region.is_some(), facts)),
            principal_keys,
            resource_keys(target, self.org),
        );
        for (k, v) in facts {
            context.set(k, v.clone());
        }
        let request = Request {
            principal,
            action,
            resource: target.arn,
            resource_account: Some(target.account),
            context: &context,
            wildcard_only_action: (target.arn != "*").then_some(false),
        };
        let ev = evaluate(&request, set, &Settings::default());
        if ev.decision != Decision::Allowed {
            return None;
        }
        let mut grants: Vec<Grant> = ev
            .allowed_by()
            .filter(|s| matches!(s.policy_type, PolicyType::Identity | PolicyType::Resource))
            .map(|s| Grant {
                policy: s.policy.to_string(),
                statement: s
                    .sid
                    .filter(|x| !x.is_empty())
                    .map_or_else(|| s.index.to_string(), str::to_string),
            })
            .collect();
        grants.sort();
        grants.dedup();
        let allowed = ev.conditions.is_true();
        Some(Answer {
            access: if allowed {
                Access::Allowed
            } else {
                Access::Conditional
            },
            grants,
            conditions: if allowed {
                None
            } else {
                ev.conditions.into_tree()
            },
        })
    }
}
