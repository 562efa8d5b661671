//! Combining the policy layers into one decision, as AWS does.
//!
//! The rules, and where they come from (AWS IAM User Guide):
//! - "Policy evaluation logic" / "Determining whether a request is allowed or denied
//!   within an account": an explicit `Deny` in any applicable policy wins; then RCPs,
//!   SCPs, resource-based policies, identity-based policies, permissions boundaries and
//!   session policies are checked in turn.
//! - "Evaluating identity-based and resource-based policies together": in the same
//!   account, an allow in either suffices; a resource policy that names a user or a
//!   role-session ARN is not limited by an implicit deny in identity policies,
//!   boundaries or session policies, while one that names the role ARN is limited by
//!   the boundary and session policy, and one that names the account delegates to the
//!   identity policies.
//! - "Cross-account policy evaluation logic": both the identity side in the caller's
//!   account and the resource policy in the resource's account must allow.
//! - "Service control policies (SCPs)": an allow is needed at every level from the
//!   root to the account; not for the management account or service-linked roles.
//! - "Resource control policies (RCPs)": full access is implicit at every level, so
//!   only denies matter; they apply along the *resource's* path, for services that
//!   support RCPs, and not to service-linked roles.
//! - AWS KMS Developer Guide, "Key policies": the key policy must allow, even in the same
//!   account; IAM policies count only when the key policy delegates to the account.
//! - "How IAM roles differ from resource-based policies" / role trust: the trust policy
//!   must allow `sts:AssumeRole` even in the same account.

use std::fmt;

use accessdrift_policy::{Effect, Policy, Statement};

use crate::action::{RequestAction, action_block_matches};
use crate::conditions::{Tri, evaluate_condition};
use crate::context::RequestContext;
use crate::formula::{Formula, Leaf, Source};
use crate::principal::{
    Principal, PrincipalMatch, block_applies, names_everyone, other_sessions_named,
};
use crate::resource::{ElementMatch, PolicyType, RequestResource, resource_block_applies};
use crate::s3;

/// A policy with the name used in explanations.
#[derive(Debug, Clone, Copy)]
pub struct NamedPolicy<'a> {
    /// Name or identifier (`inline:app/Read`, a managed-policy ARN, `ResourcePolicy`).
    pub name: &'a str,
    /// The parsed document.
    pub policy: &'a Policy,
}

/// One level of an organization's SCP or RCP path: the root, an OU or the account.
#[derive(Debug, Clone)]
pub struct OrgLevel<'a> {
    /// The level's id (`r-ab12`, `ou-...`, an account id).
    pub level: &'a str,
    /// The policies attached at that level.
    pub policies: Vec<NamedPolicy<'a>>,
}

/// Every policy that may apply to one request. Borrowed slices, so a caller evaluating
/// many requests for one principal builds its lists once.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// Identity-based policies of the principal (user, its groups, or role).
    pub identity: &'a [NamedPolicy<'a>],
    /// The session policy, if the session was created with one.
    pub session: Option<NamedPolicy<'a>>,
    /// The principal's permissions boundary.
    pub boundary: Option<NamedPolicy<'a>>,
    /// SCP levels along the principal's account path (empty: not governed).
    pub scp: &'a [OrgLevel<'a>],
    /// RCP levels along the resource's account path (empty: not governed).
    pub rcp: &'a [OrgLevel<'a>],
    /// The resource-based policy (bucket, key, trust policy, ...).
    pub resource: Option<NamedPolicy<'a>>,
    /// VPC endpoint policies on the request's path (`None`: no endpoint).
    pub vpce: Option<&'a [NamedPolicy<'a>]>,
}

/// Settings outside policies that change decisions.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    /// S3 Block Public Access (`RestrictPublicBuckets`) in force for the bucket.
    pub s3_block_public_access: bool,
}

/// One request to decide.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// The action, `service:Name`.
    pub action: &'a str,
    /// The resource ARN, a pattern, or `*`.
    pub resource: &'a str,
    /// The account owning the resource, when known.
    pub resource_account: Option<&'a str>,
    /// Condition keys, and what is unknown.
    pub context: &'a RequestContext,
    /// Whether the action takes no resource (authorized only against `*`); `None`: look
    /// it up in the action catalog.
    pub wildcard_only_action: Option<bool>,
}

/// The three decisions AWS makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Allowed (in Discovery mode: allowed if [`Evaluation::conditions`] hold).
    Allowed,
    /// No allow applies (or a guardrail lacks one).
    ImplicitlyDenied,
    /// An applicable `Deny` statement matched.
    ExplicitlyDenied,
}

impl Decision {
    /// The decision's name in simulate output.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Allowed => "Allowed",
            Decision::ImplicitlyDenied => "ImplicitlyDenied",
            Decision::ExplicitlyDenied => "ExplicitlyDenied",
        }
    }
}

impl<'a> Evaluation<'a> {
    /// Allow statements that matched.
    pub fn allowed_by(&self) -> impl Iterator<Item = &StatementRef<'a>> {
        self.matched.iter().filter(|s| s.effect == Effect::Allow)
    }

    /// Deny statements that matched (or may match, when conditional).
    pub fn denied_by(&self) -> impl Iterator<Item = &StatementRef<'a>> {
        self.matched.iter().filter(|s| s.effect == Effect::Deny)
    }
}

/// The layer that stopped a request (simulate.md's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Blocker {
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
    /// The permissions boundary.
    Boundary,
    /// The session policy.
    Session,
    /// The identity-based policies.
    Identity,
    /// The resource-based policy.
    Resource,
    /// The KMS key policy (which must allow even in the same account).
    KmsKeyPolicy,
    /// The role trust policy (which must allow even in the same account).
    TrustPolicy,
    /// S3 Block Public Access.
    S3Bpa,
    /// A VPC endpoint policy.
    Vpce,
}

impl Blocker {
    /// The layer's name.
    pub fn name(self) -> &'static str {
        match self {
            Blocker::Scp => "scp",
            Blocker::Rcp => "rcp",
            Blocker::Boundary => "boundary",
            Blocker::Session => "session",
            Blocker::Identity => "identity",
            Blocker::Resource => "resource",
            Blocker::KmsKeyPolicy => "kms-key-policy",
            Blocker::TrustPolicy => "trust-policy",
            Blocker::S3Bpa => "s3-bpa",
            Blocker::Vpce => "vpce",
        }
    }
}

/// A rule that decided a request, beyond the plain layer-by-layer evaluation. Shown to
/// people (`explain`) and in simulate's `explain.notes`, always as its sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Note {
    /// STS API Reference, "GetCallerIdentity": "No permissions are required to perform
    /// this operation", and an explicit deny does not stop it.
    CallerIdentityNeedsNoPermission,
    /// S3 API Reference, "PutBucketPolicy": the bucket owner's root user can get, put
    /// and delete the bucket policy even when it denies them (lockout protection).
    BucketOwnerRootManagesPolicy,
    /// IAM User Guide, "AWS managed policies" (and the AWS-reserved roles of IAM
    /// Identity Center): nobody can change them.
    AwsOwnedIamResource,
    /// S3 User Guide, "Blocking public access to your Amazon S3 storage"
    /// (`RestrictPublicBuckets`).
    S3BlockPublicAccess,
    /// IAM User Guide, "Evaluating identity-based and resource-based policies together":
    /// a resource policy naming the user or role-session ARN is not capped by the
    /// boundary or session policy.
    ExactIdentityBypassesCaps,
}

impl Note {
    /// The sentence.
    pub fn as_str(self) -> &'static str {
        match self {
            Note::CallerIdentityNeedsNoPermission => {
                "sts:GetCallerIdentity needs no permission and cannot be denied"
            }
            Note::BucketOwnerRootManagesPolicy => {
                "the bucket owner's root user can always manage the bucket policy"
            }
            Note::AwsOwnedIamResource => {
                "AWS-managed policies and AWS-reserved roles cannot be modified"
            }
            Note::S3BlockPublicAccess => {
                "S3 Block Public Access restricts a public bucket policy to the bucket owner's account and AWS services"
            }
            Note::ExactIdentityBypassesCaps => {
                "a resource policy naming this exact identity is not limited by an implicit deny in the boundary or session policy"
            }
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// As its sentence: the JSON has always held the words.
impl serde::Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A statement that took part in a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementRef<'a> {
    /// The layer.
    pub policy_type: PolicyType,
    /// The policy's name.
    pub policy: &'a str,
    /// SCP/RCP level.
    pub org_level: Option<&'a str>,
    /// The statement's `Sid`.
    pub sid: Option<&'a str>,
    /// 1-based index.
    pub index: usize,
    /// Its effect.
    pub effect: Effect,
    /// True when it applies only under unknown conditions.
    pub conditional: bool,
    /// The statement itself.
    pub statement: &'a Statement,
}

/// A decision with its reasons.
#[derive(Debug, Clone)]
pub struct Evaluation<'a> {
    /// The decision.
    pub decision: Decision,
    /// For `Allowed`: the unknown conditions it depends on (`Formula::True` when none).
    pub conditions: Formula,
    /// For denials: the layer that stopped the request.
    pub blocked_by: Option<Blocker>,
    /// Every statement that matched (allow and deny), in evaluation order; see
    /// [`Evaluation::allowed_by`] and [`Evaluation::denied_by`].
    pub matched: Vec<StatementRef<'a>>,
    /// Rules that decided (e.g. a direct session-ARN grant bypassing the boundary).
    pub notes: Vec<Note>,
    /// For an `Allowed` pattern request (`arn:aws:s3:::bucket/*`): the narrower resource
    /// patterns the granting statements allow, when none of them allows all of the
    /// request (`s3:GetObject` on `arn:aws:s3:::*/AWSLogs/*` holds for some keys only).
    /// `None`: all of the request, or a grant whose extent is not known ahead (a policy
    /// variable or `NotResource`), taken as all of it.
    pub scope: Option<Vec<&'a str>>,
}

/// The outcome of one layer: when it allows and when it denies.
#[derive(Debug, Clone)]
struct LayerOutcome {
    allow: Formula,
    deny: Formula,
}

/// Resource-policy allows split by how the principal is named.
#[derive(Debug, Clone)]
struct ResourceOutcome {
    direct: Formula,
    role: Formula,
    account: Formula,
    deny: Formula,
}

struct Eval<'r, 'a> {
    req: &'r Request<'a>,
    action: RequestAction,
    resource: RequestResource<'a>,
    /// The request resource as an ARN, parsed once (`None` for `*` or a non-ARN).
    resource_arn: Option<accessdrift_primitives::arn::Arn<'a>>,
    has_boundary: bool,
    matched: Vec<StatementRef<'a>>,
}

/// Decides one request.
pub fn evaluate<'a>(
    req: &Request<'a>,
    policies: &PolicySet<'a>,
    settings: &Settings,
) -> Evaluation<'a> {
    let action = RequestAction::new(req.action);
    // Whether the action takes no resource: the caller may say; otherwise the action
    // catalog does (Service Authorization Reference: actions with no resource types are
    // authorized only against `*`). A `*` for any other action means "any resource".
    let wildcard_only = req.wildcard_only_action.unwrap_or_else(|| {
        req.resource == "*"
            && accessdrift_iam_data::catalog()
                .action(req.action)
                .is_some_and(|a| a.is_wildcard_only())
    });
    let resource = RequestResource::new(req.resource, wildcard_only);
    let is_pattern = resource.is_pattern() && !wildcard_only;
    let mut ev = Eval {
        req,
        resource,
        action,
        resource_arn: accessdrift_primitives::arn::Arn::parse(req.resource),
        has_boundary: policies.boundary.is_some(),
        matched: Vec::with_capacity(8),
    };
    let first = ev.decide(policies, settings);
    if is_pattern && first.decision == Decision::Allowed {
        return narrow_pattern_request(req, policies, settings, first);
    }
    first
}

/// A pattern request (`arn:aws:s3:::bucket/*`) is allowed when *some* resource it covers
/// is allowed and not denied. A deny checked against the whole pattern only stops it
/// when it covers all of it; but if every granting statement grants only a narrower
/// pattern, the question is whether the deny covers *those*. So re-ask with each
/// granting pattern in place of the request (IAM UG, "Policy evaluation logic": a
/// request is allowed only if an allow applies and no deny applies, per resource).
/// The patterns that stay allowed are the allow's [`Evaluation::scope`].
fn narrow_pattern_request<'a>(
    req: &Request<'a>,
    policies: &PolicySet<'a>,
    settings: &Settings,
    first: Evaluation<'a>,
) -> Evaluation<'a> {
    // (pattern, whether it lies inside the request so that it can be asked about).
    let mut narrower: Vec<(&'a str, bool)> = Vec::new();
    let granting: Vec<&'a Statement> = first
        .allowed_by()
        .filter(|s| matches!(s.policy_type, PolicyType::Identity | PolicyType::Resource))
        .map(|s| s.statement)
        .collect();
    for statement in granting {
        let Some(block) = &statement.resource else {
            return first;
        };
        if block.negated {
            return first;
        }
        for p in &block.patterns {
            if p.contains("${") {
                return first;
            }
            if !crate::resource::text_overlaps(p, req.resource) {
                continue;
            }
            if crate::resource::text_covers(p, req.resource) {
                // Grants all of the request.
                return first;
            }
            narrower.push((p, crate::resource::text_covers(req.resource, p)));
        }
    }
    if narrower.is_empty() {
        return first;
    }
    narrower.sort_unstable();
    narrower.dedup();
    let mut allowed: Vec<&'a str> = Vec::new();
    let mut denial: Option<Evaluation<'a>> = None;
    for (p, inside) in narrower {
        if !inside {
            // An intersection we cannot name as one pattern (`*/AWSLogs/*` within
            // `bucket/*`): allowed for some of it, with denies checked against the
            // whole request only.
            allowed.push(p);
            continue;
        }
        let sub = Request {
            resource: p,
            ..req.clone()
        };
        let mut ev = Eval {
            req: &sub,
            resource: RequestResource::new(p, false),
            action: RequestAction::new(req.action),
            resource_arn: accessdrift_primitives::arn::Arn::parse(p),
            has_boundary: policies.boundary.is_some(),
            matched: Vec::new(),
        };
        let e = ev.decide(policies, settings);
        if e.decision == Decision::Allowed {
            allowed.push(p);
            continue;
        }
        if denial
            .as_ref()
            .is_none_or(|d| d.decision != Decision::ExplicitlyDenied)
        {
            denial = Some(e);
        }
    }
    if allowed.is_empty() {
        return denial.unwrap_or(first);
    }
    Evaluation {
        scope: Some(allowed),
        ..first
    }
}

impl<'r, 'a> Eval<'r, 'a> {
    fn decide(&mut self, policies: &PolicySet<'a>, settings: &Settings) -> Evaluation<'a> {
        let principal = self.req.principal;
        let mut notes = Vec::new();

        // STS API reference, GetCallerIdentity: "No permissions are required to perform
        // this operation", and an explicit deny does not stop it.
        if self.action.full_lower() == "sts:getcalleridentity" {
            notes.push(Note::CallerIdentityNeedsNoPermission);
            return self.finish(Decision::Allowed, Formula::True, None, notes);
        }

        let identity = self.layer(policies.identity, PolicyType::Identity, None);
        let session = policies
            .session
            .map(|p| self.layer(std::slice::from_ref(&p), PolicyType::Session, None));
        let boundary = policies
            .boundary
            .map(|p| self.layer(std::slice::from_ref(&p), PolicyType::Boundary, None));
        let mut resource = policies.resource.map(|p| self.resource_layer(p));
        if self.is_bucket_owner_root_managing_policy() {
            // S3 API reference, PutBucketPolicy: the root principal of the bucket
            // owner's account can get, put and delete the bucket policy even when the
            // bucket policy explicitly denies it (lockout protection).
            if let Some(r) = resource.as_mut()
                && !r.deny.is_false()
            {
                r.deny = Formula::False;
                notes.push(Note::BucketOwnerRootManagesPolicy);
            }
        }
        let vpce = policies.vpce.map(|v| self.layer(v, PolicyType::Vpce, None));

        let scp_applies = !policies.scp.is_empty() && self.scp_applies();
        let mut scp_gate = Formula::True;
        let mut scp_deny = Formula::False;
        if scp_applies {
            for level in policies.scp {
                let out = self.layer(&level.policies, PolicyType::Scp, Some(level.level));
                scp_gate = scp_gate.and(out.allow);
                scp_deny = scp_deny.or(out.deny);
            }
        }
        let rcp_applies = !policies.rcp.is_empty() && self.rcp_applies();
        let mut rcp_deny = Formula::False;
        if rcp_applies {
            for level in policies.rcp {
                let out = self.layer(&level.policies, PolicyType::Rcp, Some(level.level));
                rcp_deny = rcp_deny.or(out.deny);
            }
        }

        // 1. Explicit denies, in every applicable layer.
        let deny_layers: [(Blocker, Formula); 7] = [
            (Blocker::Scp, scp_deny),
            (Blocker::Rcp, rcp_deny),
            (Blocker::Identity, identity.deny.clone()),
            (
                Blocker::Resource,
                resource.as_ref().map_or(Formula::False, |r| r.deny.clone()),
            ),
            (
                Blocker::Boundary,
                boundary.as_ref().map_or(Formula::False, |b| b.deny.clone()),
            ),
            (
                Blocker::Session,
                session.as_ref().map_or(Formula::False, |s| s.deny.clone()),
            ),
            (
                Blocker::Vpce,
                vpce.as_ref().map_or(Formula::False, |v| v.deny.clone()),
            ),
        ];
        let mut any_deny = Formula::False;
        for (blocker, deny) in &deny_layers {
            if deny.is_true() {
                let blocker = if *blocker == Blocker::Resource {
                    self.resource_blocker()
                } else {
                    *blocker
                };
                return self.finish(
                    Decision::ExplicitlyDenied,
                    Formula::False,
                    Some(blocker),
                    notes,
                );
            }
            any_deny = any_deny.or(deny.clone());
        }
        let not_denied = any_deny.negated();

        // AWS-managed policies and AWS-reserved roles cannot be changed by anyone
        // (IAM UG, "AWS managed policies"; "AWS IAM Identity Center" reserved roles).
        if self.modifies_aws_owned_iam_resource() {
            notes.push(Note::AwsOwnedIamResource);
            return self.finish(
                Decision::ImplicitlyDenied,
                Formula::False,
                Some(Blocker::Resource),
                notes,
            );
        }

        // 2. Guardrails: SCPs (an allow at every level) and the VPC endpoint policy.
        if scp_gate.is_false() {
            return self.finish(
                Decision::ImplicitlyDenied,
                Formula::False,
                Some(Blocker::Scp),
                notes,
            );
        }
        let vpce_gate = vpce.as_ref().map_or(Formula::True, |v| v.allow.clone());
        if vpce_gate.is_false() {
            return self.finish(
                Decision::ImplicitlyDenied,
                Formula::False,
                Some(Blocker::Vpce),
                notes,
            );
        }

        // 3. S3 Block Public Access: a public bucket policy serves only the bucket
        //    owner's account and AWS services (S3 User Guide, "Blocking public access",
        //    RestrictPublicBuckets).
        let same_account = match (principal.account(), self.req.resource_account) {
            (Some(p), Some(r)) => p == r,
            (Some(_), None) => true,
            _ => false,
        };
        if settings.s3_block_public_access
            && self.action.service() == "s3"
            && !same_account
            && !matches!(principal, Principal::Service(_))
            && policies
                .resource
                .is_some_and(|rp| s3::is_public_policy(rp.policy))
        {
            // S3 rejects the request outright, like an explicit deny.
            notes.push(Note::S3BlockPublicAccess);
            return self.finish(
                Decision::ExplicitlyDenied,
                Formula::False,
                Some(Blocker::S3Bpa),
                notes,
            );
        }

        // 4. Identity side: identity allow capped by the boundary and session policy.
        let caps = boundary
            .as_ref()
            .map_or(Formula::True, |b| b.allow.clone())
            .and(session.as_ref().map_or(Formula::True, |s| s.allow.clone()));
        let identity_allow = match principal {
            // The root user has full access in its own account (IAM UG, "AWS account
            // root user"); cross-account it acts with the account's authority.
            Principal::Root { .. } => Formula::True,
            Principal::Anonymous | Principal::Service(_) | Principal::Other(_) => Formula::False,
            _ => identity.allow.clone(),
        };
        let identity_path = identity_allow.clone().and(caps.clone());

        let resource_must_allow = self.resource_policy_required();
        let (res_direct, res_role, res_account) = match &resource {
            Some(r) => (r.direct.clone(), r.role.clone(), r.account.clone()),
            None => (Formula::False, Formula::False, Formula::False),
        };
        let res_any = res_direct
            .clone()
            .or(res_role.clone())
            .or(res_account.clone());

        let allowed = match principal {
            Principal::Anonymous | Principal::Service(_) | Principal::Other(_) => res_any.clone(),
            _ if same_account => {
                if !res_direct.is_false() && !caps.is_true() {
                    notes.push(Note::ExactIdentityBypassesCaps);
                }
                let via_identity = if resource_must_allow {
                    res_account.clone().and(identity_path.clone())
                } else {
                    identity_path.clone()
                };
                res_direct
                    .clone()
                    .or(res_role.clone().and(caps.clone()))
                    .or(via_identity)
            }
            _ => identity_path.clone().and(res_any.clone()),
        };

        let total = allowed.clone().and(scp_gate).and(vpce_gate).and(not_denied);
        if total.is_false() {
            let blocker = self.implicit_blocker(
                principal,
                same_account,
                resource_must_allow,
                Layers {
                    identity_allow: &identity_allow,
                    caps: &caps,
                    res_any: &res_any,
                    boundary: &boundary,
                },
                policies.resource.is_some(),
            );
            return self.finish(
                Decision::ImplicitlyDenied,
                Formula::False,
                Some(blocker),
                notes,
            );
        }
        self.finish(Decision::Allowed, total, None, notes)
    }

    /// Which layer to name when nothing allowed the request.
    fn implicit_blocker(
        &self,
        principal: &Principal,
        same_account: bool,
        resource_must_allow: bool,
        layers: Layers<'_>,
        has_resource_policy: bool,
    ) -> Blocker {
        let Layers {
            identity_allow,
            caps,
            res_any,
            boundary,
        } = layers;
        if matches!(
            principal,
            Principal::Anonymous | Principal::Service(_) | Principal::Other(_)
        ) {
            return self.resource_blocker();
        }
        if resource_must_allow && res_any.is_false() {
            return self.resource_blocker();
        }
        if !identity_allow.is_false() && caps.is_false() {
            return if boundary.as_ref().is_some_and(|b| b.allow.is_false()) {
                Blocker::Boundary
            } else {
                Blocker::Session
            };
        }
        if !same_account
            && !identity_allow.is_false()
            && (res_any.is_false() || !has_resource_policy)
        {
            return self.resource_blocker();
        }
        Blocker::Identity
    }

    fn resource_blocker(&self) -> Blocker {
        if self.is_kms_key() {
            Blocker::KmsKeyPolicy
        } else if self.is_role_trust() {
            Blocker::TrustPolicy
        } else {
            Blocker::Resource
        }
    }

    fn finish(
        &mut self,
        decision: Decision,
        conditions: Formula,
        blocked_by: Option<Blocker>,
        notes: Vec<Note>,
    ) -> Evaluation<'a> {
        let matched = std::mem::take(&mut self.matched);
        Evaluation {
            decision,
            conditions: if decision == Decision::Allowed {
                conditions
            } else {
                Formula::False
            },
            blocked_by,
            matched,
            notes,
            scope: None,
        }
    }

    /// SCPs govern principals of member accounts, not service-linked roles, AWS
    /// services or anonymous callers.
    fn scp_applies(&self) -> bool {
        let p = self.req.principal;
        p.account().is_some() && !p.is_service_linked_role()
    }

    /// RCPs govern resources of services that support them, not calls by
    /// service-linked roles, AWS-managed KMS keys or `kms:RetireGrant`.
    fn rcp_applies(&self) -> bool {
        let service = self.action.service();
        if self.req.principal.is_service_linked_role() {
            return false;
        }
        if self.action.full_lower() == "kms:retiregrant" {
            return false;
        }
        if service == "kms" && self.req.resource.contains(":alias/aws/") {
            return false;
        }
        accessdrift_iam_data::catalog().supports_rcp(service)
    }

    fn is_bucket_owner_root_managing_policy(&self) -> bool {
        matches!(self.req.principal, Principal::Root { account } if Some(account.as_str()) == self.req.resource_account)
            && matches!(
                self.action.full_lower(),
                "s3:getbucketpolicy" | "s3:putbucketpolicy" | "s3:deletebucketpolicy"
            )
    }

    /// Writes to resources AWS owns: AWS-managed IAM policies, AWS-reserved roles and
    /// AWS-managed KMS aliases (`alias/aws/*`) cannot be changed by any policy.
    fn modifies_aws_owned_iam_resource(&self) -> bool {
        let Some(arn) = self.resource_arn else {
            return false;
        };
        let aws_owned = match self.action.service() {
            "iam" => {
                (arn.account == "aws" && arn.resource.starts_with("policy/"))
                    || arn.resource.starts_with("role/aws-reserved/")
            }
            "kms" => arn.resource.starts_with("alias/aws/"),
            _ => false,
        };
        if !aws_owned {
            return false;
        }
        use accessdrift_iam_data::AccessLevel;
        match accessdrift_iam_data::catalog().action(self.req.action) {
            Some(a) => !matches!(a.access_level, AccessLevel::Read | AccessLevel::List),
            None => {
                let name = self.action.name();
                !(name.starts_with("get")
                    || name.starts_with("list")
                    || name.starts_with("describe"))
            }
        }
    }

    fn is_kms_key(&self) -> bool {
        self.action.service() == "kms"
            && self
                .resource_arn
                .is_some_and(|a| a.service == "kms" && a.resource.starts_with("key/"))
    }

    fn is_role_trust(&self) -> bool {
        self.action.service() == "sts"
            && self.action.name().starts_with("assumerole")
            && self
                .resource_arn
                .is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/"))
    }

    /// KMS key policies and role trust policies must allow even in the same account.
    fn resource_policy_required(&self) -> bool {
        self.is_kms_key() || self.is_role_trust()
    }

    fn layer(
        &mut self,
        policies: &[NamedPolicy<'a>],
        ptype: PolicyType,
        level: Option<&'a str>,
    ) -> LayerOutcome {
        let mut allow = Formula::False;
        let mut deny = Formula::False;
        for np in policies {
            for st in &np.policy.statements {
                let (applies, _) = self.statement(st, np, ptype, level);
                if applies.is_false() {
                    continue;
                }
                match st.effect {
                    Effect::Allow => allow = allow.or(applies),
                    Effect::Deny => deny = deny.or(applies),
                }
            }
        }
        LayerOutcome { allow, deny }
    }

    fn resource_layer(&mut self, np: NamedPolicy<'a>) -> ResourceOutcome {
        let mut out = ResourceOutcome {
            direct: Formula::False,
            role: Formula::False,
            account: Formula::False,
            deny: Formula::False,
        };
        for st in &np.policy.statements {
            let (applies, how) = self.statement(st, &np, PolicyType::Resource, None);
            if applies.is_false() {
                continue;
            }
            match (st.effect, how) {
                (Effect::Deny, _) => out.deny = out.deny.or(applies),
                // A grant to `*` reaches the caller directly, like one naming its ARN: it
                // is not limited by an implicit deny in the boundary.
                (Effect::Allow, Some(PrincipalMatch::Direct | PrincipalMatch::Wildcard)) => {
                    out.direct = out.direct.or(applies)
                }
                (Effect::Allow, Some(PrincipalMatch::Role)) => out.role = out.role.or(applies),
                (Effect::Allow, Some(PrincipalMatch::Account)) => {
                    out.account = out.account.or(applies)
                }
                (Effect::Allow, None) => {}
            }
        }
        out
    }

    /// When a statement applies to this request, and how its principal names the caller.
    fn statement(
        &mut self,
        st: &'a Statement,
        np: &NamedPolicy<'a>,
        ptype: PolicyType,
        level: Option<&'a str>,
    ) -> (Formula, Option<PrincipalMatch>) {
        if !action_block_matches(&st.action, &self.action) {
            return (Formula::False, None);
        }
        // Session names that decide whether the statement applies, when the caller is a
        // role whose future session name is unknown (Discovery mode): `(names, true)`
        // for "applies unless the session is so named" (a NotPrincipal exemption).
        let mut session_condition: Option<(Vec<String>, bool)> = None;
        let how = match ptype {
            PolicyType::Resource | PolicyType::Rcp | PolicyType::Vpce => match &st.principal {
                Some(block) => {
                    if block.negated && st.effect == Effect::Deny && self.has_boundary {
                        // A Deny with NotPrincipal always applies to a principal with a
                        // permissions boundary (IAM UG, "NotPrincipal").
                        Some(PrincipalMatch::Wildcard)
                    } else {
                        let future_sessions = self.req.context.is_discovery()
                            && matches!(self.req.principal, Principal::Role { .. });
                        match block_applies(block, self.req.principal) {
                            _ if block.negated && future_sessions => {
                                // The role stands for its future sessions, and only a
                                // session's own ARN exempts it from a NotPrincipal (IAM
                                // UG, "NotPrincipal"): the statement applies unless the
                                // session is one the list names.
                                if names_everyone(&block.principals) {
                                    return (Formula::False, None);
                                }
                                let sessions =
                                    other_sessions_named(&block.principals, self.req.principal);
                                if !sessions.is_empty() {
                                    session_condition = Some((sessions, true));
                                }
                                Some(PrincipalMatch::Wildcard)
                            }
                            Some(m) => Some(m),
                            None if !block.negated && self.req.context.is_discovery() => {
                                let sessions =
                                    other_sessions_named(&block.principals, self.req.principal);
                                if sessions.is_empty() {
                                    return (Formula::False, None);
                                }
                                session_condition = Some((sessions, false));
                                Some(PrincipalMatch::Direct)
                            }
                            None => return (Formula::False, None),
                        }
                    }
                }
                // A resource-policy statement without Principal never matches.
                None if ptype == PolicyType::Resource => return (Formula::False, None),
                None => Some(PrincipalMatch::Wildcard),
            },
            _ => None,
        };
        let version = np.policy.version;
        let source = |inverted_effect: Effect| Source {
            effect: inverted_effect,
            policy: np.name.to_string(),
            policy_type: ptype,
            statement_index: st.index,
            org_level: level.map(str::to_string),
        };
        let mut applies = match resource_block_applies(
            st.resource.as_ref(),
            st.effect,
            ptype,
            version,
            &self.resource,
            self.req.context,
        ) {
            ElementMatch::No => return (Formula::False, how),
            ElementMatch::Yes => Formula::True,
            ElementMatch::Unknown(key) => Formula::leaf(Leaf {
                op: "ResourceVariable".to_string(),
                key,
                values: st
                    .resource
                    .as_ref()
                    .map(|r| r.patterns.clone())
                    .unwrap_or_default(),
                inverted: false,
                source: source(st.effect),
            }),
        };
        if let Some((sessions, exempt)) = session_condition {
            // The grant names another session of the caller's role: it applies if the
            // request comes from a session so named. A NotPrincipal exemption: unless.
            applies = applies.and(Formula::leaf(Leaf {
                op: if exempt {
                    "StringNotEquals"
                } else {
                    "StringEquals"
                }
                .to_string(),
                key: "sts:RoleSessionName".to_string(),
                values: sessions,
                inverted: false,
                source: source(st.effect),
            }));
        }
        for cond in &st.conditions {
            let mut tri = evaluate_condition(cond, version, self.req.context);
            // Discovery mode: a hinted value that would stop access is not trusted.
            let unfavorable = match st.effect {
                Effect::Allow => tri == Tri::False,
                Effect::Deny => tri == Tri::True,
            };
            if unfavorable && self.req.context.is_hint(&cond.key_lower) {
                tri = Tri::Unknown;
            }
            match tri {
                Tri::True => {}
                Tri::False => return (Formula::False, how),
                Tri::Unknown => {
                    applies = applies.and(Formula::leaf(Leaf {
                        op: cond.operator.raw.clone(),
                        key: cond.key.clone(),
                        values: cond.values.clone(),
                        inverted: false,
                        source: source(st.effect),
                    }))
                }
            }
        }
        self.matched.push(StatementRef {
            policy_type: ptype,
            policy: np.name,
            org_level: level,
            sid: st.sid.as_deref(),
            index: st.index,
            effect: st.effect,
            conditional: !applies.is_true(),
            statement: st,
        });
        (applies, how)
    }
}

/// What each layer allowed, for naming the one that blocked an implicit deny.
#[derive(Clone, Copy)]
struct Layers<'f> {
    /// Identity policies (and a resource policy naming the principal itself).
    identity_allow: &'f Formula,
    /// The caps on identity grants: boundary and session policies.
    caps: &'f Formula,
    /// The resource policy, for any principal.
    res_any: &'f Formula,
    /// The permissions boundary, when there is one.
    boundary: &'f Option<LayerOutcome>,
}
