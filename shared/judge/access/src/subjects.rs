//! Who effective access is computed for, and what is known about each ahead of time.
//!
//! Subjects are the account's IAM users and roles, the account's root user, and every
//! principal a resource policy names from outside: other accounts, specific external
//! principals, `*` (anyone, anonymous included) and AWS services.
//!
//! Known facts become request-context keys with *known* presence and value, so they are
//! evaluated strictly (AWS IAM User Guide, "AWS global condition context keys"): the
//! principal's ARN, account, type, tags, user name, Organization id and paths; the
//! resource's account, tags and Organization. Everything a request carries at request
//! time (source IP, MFA, VPC, time, source ARN, ...) stays unknown, so a grant that
//! depends on it comes out `Conditional` with the condition.

use std::sync::Arc;

use accessdrift_evaluator::Principal;
use accessdrift_evaluator::context::{
    ContextValue, KeyConstraint, KeyMatcher, Mode, RequestContext,
};
use accessdrift_snapshot::{IamPrincipal, Organization, PrincipalKind, Resource};

/// How a subject relates to the account, which decides how far its rows can be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectKind {
    /// An IAM user or role of the account: its identity policies are in the snapshot.
    Internal,
    /// The account's root user.
    Root,
    /// Another AWS account named in a resource policy: its own identity policies decide
    /// which of its principals get the access, so rows are `Conditional`.
    ExternalAccount(String),
    /// A specific principal of another account: its identity policies are not in the
    /// snapshot, so rows are `Conditional` on them.
    ExternalPrincipal(String),
    /// `*`: anyone, including anonymous callers.
    Anyone,
    /// An AWS service principal.
    Service,
}

/// One subject, ready to evaluate.
#[derive(Debug)]
pub struct Subject {
    /// The ARN (or `*`, or service name) as it appears in rows.
    pub arn: String,
    /// The evaluator's principal.
    pub principal: Principal,
    /// What kind of subject.
    pub kind: SubjectKind,
    /// Index into the snapshot's principals, for internal subjects.
    pub iam_index: Option<usize>,
    /// Whether SCPs govern this subject (not the management account's, not
    /// service-linked roles, not principals outside the account).
    pub scp_governed: bool,
    /// Principal keys, Discovery mode with the shared constraints.
    pub context: RequestContext,
    /// Which constraint set its requests use.
    pub family: Family,
    /// The context's keys as a shared layer (filled by [`Subject::share_keys`]).
    pub keys: accessdrift_evaluator::context::SharedKeys,
}

impl Subject {
    /// Freezes the context's keys into the shared layer used for every request.
    pub fn share_keys(mut self) -> Subject {
        self.keys = self.context.to_shared();
        self
    }
}

/// Keys the snapshot determines; their presence and value are known.
pub fn known_key_constraints() -> Arc<[KeyConstraint]> {
    let exact = [
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:username",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:principalservicenameslist",
        "aws:resourceaccount",
        "aws:resourceorgid",
        "aws:resourceorgpaths",
        "s3:resourceaccount",
    ];
    let mut out: Vec<KeyConstraint> = exact
        .iter()
        .map(|k| KeyConstraint {
            key: KeyMatcher::Exact((*k).to_string()),
            presence_known: true,
            value_known: true,
        })
        .collect();
    for prefix in ["aws:principaltag/", "aws:resourcetag/"] {
        out.push(KeyConstraint {
            key: KeyMatcher::Prefix(prefix.to_string()),
            presence_known: true,
            value_known: true,
        });
    }
    out.into()
}

/// Which constraint set a subject's requests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Principal and resource facts known.
    Known,
    /// Only resource facts known.
    Anyone,
    /// The principal's account and resource facts known.
    ExternalAccount,
    /// The principal's ARN and account and resource facts known.
    ExternalPrincipal,
}

/// The constraint sets subjects use, built once per run.
#[derive(Debug, Clone)]
pub struct Constraints {
    /// The same four sets plus `aws:RequestedRegion`, for regional resources: a request
    /// to a regional resource goes to that region's endpoint, so the key is a fact.
    pub regional: [Arc<[KeyConstraint]>; 4],
    /// Internal principals, the root user and services: principal and resource facts.
    pub known: Arc<[KeyConstraint]>,
    /// `*`: only the resource's facts are known.
    pub anyone: Arc<[KeyConstraint]>,
    /// Another account: its id and the resource's facts.
    pub external_account: Arc<[KeyConstraint]>,
    /// A named external principal: its ARN, account and the resource's facts.
    pub external_principal: Arc<[KeyConstraint]>,
}

impl Constraints {
    /// Builds the four sets.
    pub fn new() -> Constraints {
        let resource_only = |extra: &[&str]| -> Arc<[KeyConstraint]> {
            let mut out: Vec<KeyConstraint> = [
                "aws:resourceaccount",
                "aws:resourceorgid",
                "aws:resourceorgpaths",
                "s3:resourceaccount",
            ]
            .iter()
            .chain(extra.iter())
            .map(|k| KeyConstraint {
                key: KeyMatcher::Exact((*k).to_string()),
                presence_known: true,
                value_known: true,
            })
            .collect();
            out.push(KeyConstraint {
                key: KeyMatcher::Prefix("aws:resourcetag/".to_string()),
                presence_known: true,
                value_known: true,
            });
            out.into()
        };
        let known = known_key_constraints();
        let anyone = resource_only(&[]);
        let external_account = resource_only(&["aws:principalaccount"]);
        let external_principal = resource_only(&["aws:principalaccount", "aws:principalarn"]);
        let with_region = |base: &Arc<[KeyConstraint]>| -> Arc<[KeyConstraint]> {
            let mut v: Vec<KeyConstraint> = base.to_vec();
            v.push(KeyConstraint {
                key: KeyMatcher::Exact("aws:requestedregion".to_string()),
                presence_known: true,
                value_known: true,
            });
            v.into()
        };
        Constraints {
            regional: [
                with_region(&known),
                with_region(&anyone),
                with_region(&external_account),
                with_region(&external_principal),
            ],
            known,
            anyone,
            external_account,
            external_principal,
        }
    }

    /// The set for a family, with or without the region as a known fact.
    pub fn get(&self, family: Family, regional: bool) -> &Arc<[KeyConstraint]> {
        let i = match family {
            Family::Known => 0,
            Family::Anyone => 1,
            Family::ExternalAccount => 2,
            Family::ExternalPrincipal => 3,
        };
        if regional {
            &self.regional[i]
        } else {
            match family {
                Family::Known => &self.known,
                Family::Anyone => &self.anyone,
                Family::ExternalAccount => &self.external_account,
                Family::ExternalPrincipal => &self.external_principal,
            }
        }
    }
}

impl Default for Constraints {
    fn default() -> Self {
        Constraints::new()
    }
}

/// `aws:PrincipalOrgID` and `aws:PrincipalOrgPaths` of a principal of the account.
fn push_principal_org(ctx: &mut RequestContext, org: &Organization) {
    ctx.push_lower(
        "aws:principalorgid".into(),
        ContextValue::Single(org.id.clone()),
    );
    ctx.push_lower(
        "aws:principalorgpaths".into(),
        ContextValue::Multi(org_paths(org)),
    );
}

/// The Organization path of an account of `org`, as `aws:PrincipalOrgPaths` and
/// `aws:ResourceOrgPaths` carry it: "o-id/r-root/ou-1/ou-2/" (IAM UG, global condition
/// keys).
pub fn org_paths(org: &Organization) -> Vec<String> {
    let mut path = format!("{}/", org.id);
    for p in &org.path {
        path.push_str(p);
        path.push('/');
    }
    vec![path]
}

/// The subject for an IAM user or role of the snapshot.
pub fn internal_subject(
    index: usize,
    p: &IamPrincipal,
    account: &str,
    org: Option<&Organization>,
    constraints: &Arc<[KeyConstraint]>,
) -> Subject {
    let principal = Principal::parse(&p.arn);
    let mut ctx = RequestContext::with_mode(Mode::Discovery(Arc::clone(constraints)));
    ctx.push_lower(
        "aws:principalarn".into(),
        ContextValue::Single(p.arn.clone()),
    );
    ctx.push_lower(
        "aws:principalaccount".into(),
        ContextValue::Single(account.to_string()),
    );
    ctx.push_lower(
        "aws:principalisawsservice".into(),
        ContextValue::Single("false".into()),
    );
    match p.kind {
        PrincipalKind::User => {
            ctx.push_lower(
                "aws:principaltype".into(),
                ContextValue::Single("User".into()),
            );
            ctx.push_lower("aws:username".into(), ContextValue::Single(p.name.clone()));
            if !p.unique_id.is_empty() {
                ctx.push_lower(
                    "aws:userid".into(),
                    ContextValue::Single(p.unique_id.clone()),
                );
            }
        }
        // Requests come from the role's sessions.
        PrincipalKind::Role => {
            ctx.push_lower(
                "aws:principaltype".into(),
                ContextValue::Single("AssumedRole".into()),
            );
        }
    }
    for (k, v) in &p.tags {
        ctx.push_lower(
            format!("aws:principaltag/{}", k.to_ascii_lowercase()),
            ContextValue::Single(v.clone()),
        );
    }
    if let Some(org) = org {
        push_principal_org(&mut ctx, org);
    }
    let management = org.is_some_and(|o| o.management_account_id == account);
    Subject {
        arn: p.arn.clone(),
        scp_governed: org.is_some() && !management && !principal.is_service_linked_role(),
        principal,
        kind: SubjectKind::Internal,
        iam_index: Some(index),
        context: ctx,
        family: Family::Known,
        keys: Vec::new().into(),
    }
}

/// The account's root user.
pub fn root_subject(
    account: &str,
    org: Option<&Organization>,
    constraints: &Arc<[KeyConstraint]>,
) -> Subject {
    let arn = format!("arn:aws:iam::{account}:root");
    let mut ctx = RequestContext::with_mode(Mode::Discovery(Arc::clone(constraints)));
    ctx.push_lower("aws:principalarn".into(), ContextValue::Single(arn.clone()));
    ctx.push_lower(
        "aws:principalaccount".into(),
        ContextValue::Single(account.to_string()),
    );
    ctx.push_lower(
        "aws:principaltype".into(),
        ContextValue::Single("Account".into()),
    );
    ctx.push_lower(
        "aws:principalisawsservice".into(),
        ContextValue::Single("false".into()),
    );
    ctx.push_lower(
        "aws:userid".into(),
        ContextValue::Single(account.to_string()),
    );
    if let Some(org) = org {
        push_principal_org(&mut ctx, org);
    }
    let management = org.is_some_and(|o| o.management_account_id == account);
    Subject {
        principal: Principal::Root {
            account: account.to_string(),
        },
        arn,
        kind: SubjectKind::Root,
        iam_index: None,
        scp_governed: org.is_some() && !management,
        context: ctx,
        family: Family::Known,
        keys: Vec::new().into(),
    }
}

/// A subject named in a resource policy from outside the account, by the entry's text
/// (`*`, an account id or root ARN, a principal ARN, a service name).
pub fn external_subject(entry: &str, account: &str, constraints: &Constraints) -> Option<Subject> {
    if entry == "*" {
        return Some(Subject {
            arn: "*".into(),
            principal: Principal::Anonymous,
            kind: SubjectKind::Anyone,
            iam_index: None,
            scp_governed: false,
            context: RequestContext::with_mode(Mode::Discovery(Arc::clone(&constraints.anyone))),
            family: Family::Anyone,
            keys: Vec::new().into(),
        });
    }
    let principal = Principal::parse(entry);
    match &principal {
        Principal::Service(name) => {
            let mut ctx =
                RequestContext::with_mode(Mode::Discovery(Arc::clone(&constraints.known)));
            ctx.push_lower(
                "aws:principalisawsservice".into(),
                ContextValue::Single("true".into()),
            );
            ctx.push_lower(
                "aws:principalservicename".into(),
                ContextValue::Single(name.clone()),
            );
            Some(Subject {
                arn: name.clone(),
                principal,
                kind: SubjectKind::Service,
                iam_index: None,
                scp_governed: false,
                context: ctx,
                family: Family::Known,
                keys: Vec::new().into(),
            })
        }
        Principal::Root { account: other } if other != account => {
            let arn = format!("arn:aws:iam::{other}:root");
            let mut ctx = RequestContext::with_mode(Mode::Discovery(Arc::clone(
                &constraints.external_account,
            )));
            ctx.set("aws:PrincipalAccount", other.clone());
            Some(Subject {
                arn,
                kind: SubjectKind::ExternalAccount(other.clone()),
                principal,
                iam_index: None,
                scp_governed: false,
                context: ctx,
                family: Family::ExternalAccount,
                keys: Vec::new().into(),
            })
        }
        Principal::User { account: other, .. }
        | Principal::Role { account: other, .. }
        | Principal::AssumedRole { account: other, .. }
        | Principal::FederatedUser { account: other, .. }
            if other != account =>
        {
            let mut ctx = RequestContext::with_mode(Mode::Discovery(Arc::clone(
                &constraints.external_principal,
            )));
            ctx.set("aws:PrincipalAccount", other.clone());
            ctx.set("aws:PrincipalArn", entry.to_string());
            Some(Subject {
                arn: entry.to_string(),
                kind: SubjectKind::ExternalPrincipal(other.clone()),
                principal,
                iam_index: None,
                scp_governed: false,
                context: ctx,
                family: Family::ExternalPrincipal,
                keys: Vec::new().into(),
            })
        }
        _ => None,
    }
}

/// The region a request to the resource goes to: the ARN's, or for S3 buckets (whose
/// ARNs carry none) `settings.region` / `settings.LocationConstraint` when the snapshot
/// gives it. `None` for global resources (IAM roles) and unknown regions.
pub fn resource_region(resource: &Resource) -> Option<&str> {
    if !resource.region.is_empty() {
        return Some(&resource.region);
    }
    ["/region", "/LocationConstraint"]
        .iter()
        .find_map(|p| {
            resource
                .settings
                .pointer(p)
                .and_then(serde_json::Value::as_str)
        })
        .filter(|r| !r.is_empty())
}

/// The resource's own keys, appended to a subject's context for each request.
pub fn resource_keys(
    resource: &Resource,
    org: Option<&Organization>,
) -> Vec<(String, ContextValue)> {
    resource_context_keys(
        &resource.account,
        &resource.tags,
        resource_region(resource),
        org,
    )
}

/// The keys a resource of `account` with `tags` in `region` sets: what
/// [`resource_keys`] sets for a resource of the snapshot, and what transitive access
/// sets for one a principal would create (no resource entry yet).
pub fn resource_context_keys<'t>(
    account: &str,
    tags: impl IntoIterator<Item = (&'t String, &'t String)>,
    region: Option<&str>,
    org: Option<&Organization>,
) -> Vec<(String, ContextValue)> {
    let single = |v: &str| ContextValue::Single(v.to_string());
    let mut keys = vec![
        ("aws:resourceaccount".to_string(), single(account)),
        ("s3:resourceaccount".to_string(), single(account)),
    ];
    for (k, v) in tags {
        keys.push((
            format!("aws:resourcetag/{}", k.to_ascii_lowercase()),
            single(v),
        ));
    }
    if let Some(region) = region {
        keys.push(("aws:requestedregion".to_string(), single(region)));
    }
    if let Some(org) = org {
        keys.push(("aws:resourceorgid".to_string(), single(&org.id)));
        keys.push((
            "aws:resourceorgpaths".to_string(),
            ContextValue::Multi(org_paths(org)),
        ));
    }
    keys
}
