//! From `get-account-authorization-details` output to principals with resolved policies.
//!
//! What it does: parses each managed policy once (its default version only) and each
//! group's inline policies once, then gives every user and role its own inline and
//! managed policies, for users each group's policies, the permissions boundary and, for
//! roles, the trust policy. Shared documents are `Arc`s, so 5,000 roles attaching one
//! managed policy hold one parsed copy.
//!
//! Key design choice: managed policies are keyed by ARN, not name (the emulator omits
//! `PolicyName`), and anything unreadable becomes a [`Problem`](crate::Problem) on each principal it
//! concerns, so the principal keeps the policies that did read and the engine can say
//! "could not evaluate fully" for it alone. A definition that is broken (a managed
//! policy, a group) is also reported once under its own ARN, so nothing is dropped
//! silently even when nothing uses it.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use accessdrift_policy::Policy;

use super::raw::{Lenient, LenientList, RawEntity, RawGaad, RawManaged};
use super::{Problems, account_of_arn, parse_document, read_tags, text};
use crate::model::{IamPrincipal, NamedPolicy, PrincipalKind};

/// A policy document read once: the parsed policy, or why it could not be read.
type Parsed = Result<Arc<Policy>, String>;

/// What the authorization details yield.
pub(crate) struct IamRead {
    /// Users then roles, in document order.
    pub(crate) principals: Vec<IamPrincipal>,
    /// Each user, role, group and customer managed policy seen as a resource.
    pub(crate) roles: Vec<IamResource>,
    /// The account of the first group or customer-managed policy ARN, for deriving
    /// the snapshot's account when it has no principals.
    pub(crate) other_account: Option<String>,
}

/// An IAM entity as a resource: a role (its trust policy is its resource policy), a user,
/// a group or a customer managed policy (no resource policy: only identity policies of
/// the account can grant actions on them). Issue 18: before users, groups and policies
/// were resources, whoever could rewrite them had no row at all.
pub(crate) struct IamResource {
    /// The entity's ARN.
    pub(crate) arn: String,
    /// Its CloudFormation type (`AWS::IAM::Role`, `AWS::IAM::User`, ...).
    pub(crate) type_name: &'static str,
    /// Its tags (groups and policies have none in the authorization details).
    pub(crate) tags: BTreeMap<String, String>,
    /// The trust policy of a role, or why it could not be read; `None` for the others.
    pub(crate) policy: Result<Option<Arc<Policy>>, String>,
}

/// The CloudFormation type names of IAM entities seen as resources.
pub(crate) const USER_TYPE: &str = "AWS::IAM::User";
pub(crate) const GROUP_TYPE: &str = "AWS::IAM::Group";
pub(crate) const MANAGED_POLICY_TYPE: &str = "AWS::IAM::ManagedPolicy";

/// Reads the four lists. `at` prefixes JSON paths in problems
/// (`authorizationDetails.` in a snapshot, empty for a bare document).
pub(crate) fn read_iam(gaad: RawGaad<'_>, at: &str, problems: &mut Problems) -> IamRead {
    let mut other_account = None;
    let managed = read_managed(gaad.policies, at, problems, &mut other_account);
    let groups = read_groups(gaad.group_detail_list, at, problems, &mut other_account);
    let index = Index {
        managed: &managed,
        groups: &groups,
    };
    let mut principals = Vec::new();
    let mut roles = Vec::new();
    let mut seen = HashSet::new();
    // Customer managed policies (not AWS's own, account `aws`, which nobody can change)
    // and groups are resources too; sorted for a stable order.
    let mut policy_arns: Vec<&String> = managed
        .keys()
        .filter(|arn| account_of_arn(arn).is_some_and(|a| a != "aws"))
        .collect();
    policy_arns.sort();
    for arn in policy_arns {
        roles.push(IamResource {
            arn: arn.clone(),
            type_name: MANAGED_POLICY_TYPE,
            tags: BTreeMap::new(),
            policy: Ok(None),
        });
    }
    let mut group_arns: Vec<&String> = groups.values().filter_map(|g| g.arn.as_ref()).collect();
    group_arns.sort();
    for arn in group_arns {
        roles.push(IamResource {
            arn: arn.clone(),
            type_name: GROUP_TYPE,
            tags: BTreeMap::new(),
            policy: Ok(None),
        });
    }
    for (list, kind) in [
        (gaad.user_detail_list, PrincipalKind::User),
        (gaad.role_detail_list, PrincipalKind::Role),
    ] {
        let list_name = match kind {
            PrincipalKind::User => "UserDetailList",
            PrincipalKind::Role => "RoleDetailList",
        };
        for (i, entity) in entries(list, &format!("{at}{list_name}"), problems) {
            let path = format!("{at}{list_name}[{i}]");
            let Some(Building {
                principal,
                trust_error,
            }) = read_principal(entity, kind, &path, &index, problems)
            else {
                continue;
            };
            if !seen.insert(principal.arn.clone()) {
                problems.push(
                    &principal.arn,
                    format!("is listed twice (again at `{path}`); the first entry is used"),
                );
                continue;
            }
            roles.push(IamResource {
                arn: principal.arn.clone(),
                type_name: match kind {
                    PrincipalKind::Role => super::resources::ROLE_TYPE,
                    PrincipalKind::User => USER_TYPE,
                },
                tags: principal.tags.clone(),
                policy: match (kind, trust_error) {
                    (PrincipalKind::User, _) => Ok(None),
                    (PrincipalKind::Role, Some(reason)) => Err(reason),
                    (PrincipalKind::Role, None) => Ok(principal.trust_policy.clone()),
                },
            });
            principals.push(principal);
        }
    }
    IamRead {
        principals,
        roles,
        other_account,
    }
}

/// The lookups a principal's policies are resolved against.
struct Index<'i> {
    managed: &'i HashMap<String, Parsed>,
    groups: &'i HashMap<String, Group>,
}

/// The elements of an optional list, with their index; a list of the wrong type or an
/// element that is not an object is a problem at its JSON path.
fn entries<T>(
    list: Option<LenientList<T>>,
    path: &str,
    problems: &mut Problems,
) -> Vec<(usize, T)> {
    match list {
        None => Vec::new(),
        Some(LenientList::Wrong(found)) => {
            problems.push(path, format!("must be a list, not {found}; it is ignored"));
            Vec::new()
        }
        Some(LenientList::List(items)) => items
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                Lenient::Ok(v) => Some((i, v)),
                Lenient::Bad(reason) => {
                    problems.push(
                        format!("{path}[{i}]"),
                        format!("could not be read: {reason}; it is left out"),
                    );
                    None
                }
            })
            .collect(),
    }
}

/// Parses every managed policy's default version, keyed by ARN.
fn read_managed(
    list: Option<LenientList<RawManaged<'_>>>,
    at: &str,
    problems: &mut Problems,
    other_account: &mut Option<String>,
) -> HashMap<String, Parsed> {
    let mut out = HashMap::new();
    for (i, mut entry) in entries(list, &format!("{at}Policies"), problems) {
        let path = format!("{at}Policies[{i}]");
        let Some(arn) = text(entry.arn.take(), "Arn", &path, problems) else {
            problems.push(
                &path,
                "has no `Arn`; it is left out (principals attaching it report it missing)",
            );
            continue;
        };
        let arn = arn.into_owned();
        if out.contains_key(&arn) {
            problems.push(
                &arn,
                format!(
                    "is listed twice in `Policies` (again at `{path}`); the first entry is used"
                ),
            );
            continue;
        }
        if other_account.is_none() {
            *other_account = account_of_arn(&arn).map(str::to_string);
        }
        let parsed = default_version(entry, &arn, problems);
        if let Err(reason) = &parsed {
            problems.push(&arn, format!("managed policy could not be read: {reason}"));
        }
        out.insert(arn, parsed);
    }
    out
}

/// The default version's document, parsed: the version marked `IsDefaultVersion`, else
/// the one named by `DefaultVersionId`.
fn default_version(entry: RawManaged<'_>, arn: &str, problems: &mut Problems) -> Parsed {
    let default_id = text(entry.default_version_id, "DefaultVersionId", arn, problems);
    let versions = match entry.policy_version_list {
        None => return Err("it has no `PolicyVersionList`".to_string()),
        Some(LenientList::Wrong(found)) => {
            return Err(format!("`PolicyVersionList` must be a list, not {found}"));
        }
        Some(LenientList::List(items)) => items,
    };
    let mut marked = Vec::new();
    let mut by_id = None;
    for (i, version) in versions.into_iter().enumerate() {
        let version = match version {
            Lenient::Ok(v) => v,
            Lenient::Bad(reason) => {
                problems.push(
                    arn,
                    format!("`PolicyVersionList[{i}]` could not be read: {reason}"),
                );
                continue;
            }
        };
        let is_default = match version.is_default_version {
            None => false,
            Some(Lenient::Ok(b)) => b,
            Some(Lenient::Bad(reason)) => {
                problems.push(
                    arn,
                    format!(
                        "`PolicyVersionList[{i}].IsDefaultVersion` could not be read: {reason}"
                    ),
                );
                false
            }
        };
        let id = text(version.version_id, "VersionId", arn, problems);
        if is_default {
            marked.push((id, version.document));
        } else if by_id.is_none() && id.is_some() && id == default_id {
            by_id = Some((id, version.document));
        }
    }
    if marked.len() > 1 {
        problems.push(
            arn,
            format!(
                "{} versions are marked `IsDefaultVersion`; the first is used",
                marked.len()
            ),
        );
    }
    let (id, document) = marked
        .into_iter()
        .next()
        .or(by_id)
        .ok_or_else(|| "`PolicyVersionList` has no default version".to_string())?;
    let document = document.ok_or_else(|| {
        format!(
            "default version `{}` has no `Document`",
            id.as_deref().unwrap_or("?")
        )
    })?;
    parse_document(document).map(Arc::new)
}

/// A group's policies, parsed once for all its members.
struct Group {
    name: String,
    /// The group's ARN, when the entry gives one (it is then a resource too).
    arn: Option<String>,
    policies: OwnPolicies,
}

/// Reads the groups, keyed by name (users list their groups by name).
fn read_groups(
    list: Option<LenientList<RawEntity<'_>>>,
    at: &str,
    problems: &mut Problems,
    other_account: &mut Option<String>,
) -> HashMap<String, Group> {
    let mut out: HashMap<String, Group> = HashMap::new();
    for (i, mut entity) in entries(list, &format!("{at}GroupDetailList"), problems) {
        let path = format!("{at}GroupDetailList[{i}]");
        let arn = text(entity.arn.take(), "Arn", &path, problems);
        let subject = arn.as_deref().unwrap_or(&path).to_string();
        let name = text(entity.name.take(), "GroupName", &subject, problems)
            .map(Cow::into_owned)
            .or_else(|| arn.as_deref().map(last_segment).map(str::to_string));
        let Some(name) = name else {
            problems.push(
                &path,
                "has neither `GroupName` nor `Arn`; it is left out (its members report it missing)",
            );
            continue;
        };
        if other_account.is_none() {
            *other_account = arn.as_deref().and_then(account_of_arn).map(str::to_string);
        }
        if out.contains_key(&name) {
            problems.push(
                &subject,
                format!(
                    "group `{name}` is listed twice (again at `{path}`); the first entry is used"
                ),
            );
            continue;
        }
        let policies = own_policies(&mut entity, "GroupPolicyList");
        for issue in &policies.issues {
            problems.push(&subject, issue.clone());
        }
        for (policy_name, parsed) in &policies.inline {
            if let Err(reason) = parsed {
                problems.push(
                    &subject,
                    format!("inline policy `{policy_name}` could not be read: {reason}"),
                );
            }
        }
        let arn = arn.map(Cow::into_owned);
        out.insert(
            name.clone(),
            Group {
                name,
                arn,
                policies,
            },
        );
    }
    out
}

/// An entity's own inline policies (parsed) and managed-policy ARNs, with what was
/// wrong in its lists.
struct OwnPolicies {
    inline: Vec<(String, Parsed)>,
    managed: Vec<String>,
    issues: Vec<String>,
}

fn own_policies(entity: &mut RawEntity<'_>, inline_list: &str) -> OwnPolicies {
    let mut issues = Vec::new();
    let mut inline = Vec::new();
    match entity.inline_policies.take() {
        None => {}
        Some(LenientList::Wrong(found)) => issues.push(format!(
            "`{inline_list}` must be a list, not {found}; its policies are unknown"
        )),
        Some(LenientList::List(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let entry = match item {
                    Lenient::Ok(entry) => entry,
                    Lenient::Bad(reason) => {
                        issues.push(format!(
                            "`{inline_list}[{i}]` could not be read: {reason}; its policy is unknown"
                        ));
                        continue;
                    }
                };
                let name = match entry.policy_name {
                    Some(Lenient::Ok(t)) => t.0.into_owned(),
                    Some(Lenient::Bad(reason)) => {
                        issues.push(format!(
                            "`{inline_list}[{i}].PolicyName` could not be read: {reason}"
                        ));
                        (i + 1).to_string()
                    }
                    None => {
                        issues.push(format!("`{inline_list}[{i}]` has no `PolicyName`"));
                        (i + 1).to_string()
                    }
                };
                let parsed = match entry.policy_document {
                    Some(raw) => parse_document(raw).map(Arc::new),
                    None => Err("it has no `PolicyDocument`".to_string()),
                };
                inline.push((name, parsed));
            }
        }
    }
    let mut managed = Vec::new();
    match entity.attached_managed_policies.take() {
        None => {}
        Some(LenientList::Wrong(found)) => issues.push(format!(
            "`AttachedManagedPolicies` must be a list, not {found}; its policies are unknown"
        )),
        Some(LenientList::List(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let arn = match item {
                    Lenient::Ok(entry) => match entry.policy_arn {
                        Some(Lenient::Ok(t)) => Ok(t.0.into_owned()),
                        Some(Lenient::Bad(reason)) => Err(format!("its `PolicyArn` {reason}")),
                        None => Err("it has no `PolicyArn`".to_string()),
                    },
                    Lenient::Bad(reason) => Err(reason),
                };
                match arn {
                    Ok(arn) => managed.push(arn),
                    Err(reason) => issues.push(format!(
                        "`AttachedManagedPolicies[{i}]` could not be read ({reason}); its policy is unknown"
                    )),
                }
            }
        }
    }
    OwnPolicies {
        inline,
        managed,
        issues,
    }
}

/// A principal as read, with the reason its trust policy could not be read (the role
/// resource's policy is then that error).
struct Building {
    principal: IamPrincipal,
    trust_error: Option<String>,
}

fn read_principal(
    mut entity: RawEntity<'_>,
    kind: PrincipalKind,
    path: &str,
    index: &Index<'_>,
    problems: &mut Problems,
) -> Option<Building> {
    let Some(arn) = text(entity.arn.take(), "Arn", path, problems) else {
        problems.push(path, "has no `Arn`; it is left out");
        return None;
    };
    let arn = arn.into_owned();
    let (name_field, id_field, inline_list) = match kind {
        PrincipalKind::User => ("UserName", "UserId", "UserPolicyList"),
        PrincipalKind::Role => ("RoleName", "RoleId", "RolePolicyList"),
    };
    let name = text(entity.name.take(), name_field, &arn, problems)
        .map(Cow::into_owned)
        .unwrap_or_else(|| last_segment(&arn).to_string());
    let path_value = text(entity.path.take(), "Path", &arn, problems)
        .map(Cow::into_owned)
        .unwrap_or_else(|| "/".to_string());
    let unique_id = text(entity.id.take(), id_field, &arn, problems)
        .map(Cow::into_owned)
        .unwrap_or_default();
    let tags = read_tags(entity.tags.take(), "Tags", &arn, problems);

    let mut policies = Vec::new();
    let own = own_policies(&mut entity, inline_list);
    attach(
        &mut policies,
        &own,
        Labels {
            inline: &format!("inline:{name}/"),
            managed: "managed:",
            context: "",
        },
        index.managed,
        &arn,
        problems,
    );

    let mut groups = Vec::new();
    if kind == PrincipalKind::User {
        match entity.group_list.take() {
            None => {}
            Some(LenientList::Wrong(found)) => problems.push(
                &arn,
                format!(
                    "`GroupList` must be a list, not {found}; its groups' policies are unknown"
                ),
            ),
            Some(LenientList::List(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Lenient::Ok(t) => groups.push(t.0.into_owned()),
                        Lenient::Bad(reason) => problems.push(
                            &arn,
                            format!("`GroupList[{i}]` could not be read: {reason}; that group's policies are unknown"),
                        ),
                    }
                }
            }
        }
        for group_name in &groups {
            match index.groups.get(group_name) {
                Some(group) => attach(
                    &mut policies,
                    &group.policies,
                    Labels {
                        inline: &format!("group:{}/inline:", group.name),
                        managed: &format!("group:{}/managed:", group.name),
                        context: &format!("group `{}`: ", group.name),
                    },
                    index.managed,
                    &arn,
                    problems,
                ),
                None => problems.push(
                    &arn,
                    format!(
                        "is in group `{group_name}`, which is not in `GroupDetailList`; that group's policies are unknown"
                    ),
                ),
            }
        }
    } else if entity.group_list.is_some() {
        problems.push(&arn, "a role has no groups; its `GroupList` is ignored");
    }

    let boundary = read_boundary(&mut entity, index.managed, &arn, problems);

    let mut trust_error = None;
    let trust_policy = match (kind, entity.assume_role_policy_document) {
        (PrincipalKind::Role, Some(raw)) => {
            match parse_document(raw) {
                Ok(p) => Some(Arc::new(p)),
                Err(reason) => {
                    problems.push(
                    &arn,
                    format!("trust policy (`AssumeRolePolicyDocument`) could not be parsed: {reason}"),
                );
                    trust_error = Some(format!("policy could not be parsed: {reason}"));
                    None
                }
            }
        }
        (PrincipalKind::Role, None) => {
            problems.push(
                &arn,
                "has no `AssumeRolePolicyDocument`; who can assume it is unknown",
            );
            trust_error = Some("the role's trust policy is missing".to_string());
            None
        }
        (PrincipalKind::User, Some(_)) => {
            problems.push(
                &arn,
                "a user has no trust policy; its `AssumeRolePolicyDocument` is ignored",
            );
            None
        }
        (PrincipalKind::User, None) => None,
    };

    Some(Building {
        principal: IamPrincipal {
            arn,
            kind,
            name,
            path: path_value,
            unique_id,
            tags,
            policies,
            boundary,
            groups,
            trust_policy,
        },
        trust_error,
    })
}

fn read_boundary(
    entity: &mut RawEntity<'_>,
    managed: &HashMap<String, Parsed>,
    arn: &str,
    problems: &mut Problems,
) -> Option<NamedPolicy> {
    let boundary = match entity.permissions_boundary.take()? {
        Lenient::Ok(b) => b,
        Lenient::Bad(reason) => {
            problems.push(
                arn,
                format!(
                    "`PermissionsBoundary` could not be read: {reason}; the boundary is unknown"
                ),
            );
            return None;
        }
    };
    let Some(boundary_arn) = text(
        boundary.permissions_boundary_arn,
        "PermissionsBoundary.PermissionsBoundaryArn",
        arn,
        problems,
    ) else {
        problems.push(
            arn,
            "`PermissionsBoundary` has no `PermissionsBoundaryArn`; the boundary is unknown",
        );
        return None;
    };
    match managed.get(boundary_arn.as_ref()) {
        Some(Ok(policy)) => Some(NamedPolicy {
            name: format!("boundary:{boundary_arn}"),
            policy: Arc::clone(policy),
        }),
        Some(Err(reason)) => {
            problems.push(
                arn,
                format!("permissions boundary `{boundary_arn}` could not be read: {reason}; the boundary is unknown"),
            );
            None
        }
        None => {
            problems.push(
                arn,
                format!(
                    "permissions boundary `{boundary_arn}` is not in `Policies`; the boundary is unknown"
                ),
            );
            None
        }
    }
}

/// How [`attach`] labels policies: the prefixes of inline and managed policy names, and
/// of problem messages (`group `ops`: `) when the policies come through a group.
#[derive(Clone, Copy)]
struct Labels<'s> {
    inline: &'s str,
    managed: &'s str,
    context: &'s str,
}

/// Adds an entity's policies to a principal's list under their labels, and a problem
/// on the principal for each one that is missing or unreadable. `context` prefixes
/// messages (`group `ops`: `) when the policies come through a group.
fn attach(
    out: &mut Vec<NamedPolicy>,
    own: &OwnPolicies,
    labels: Labels<'_>,
    managed: &HashMap<String, Parsed>,
    subject: &str,
    problems: &mut Problems,
) {
    let Labels {
        inline: inline_prefix,
        managed: managed_prefix,
        context,
    } = labels;
    for issue in &own.issues {
        problems.push(subject, format!("{context}{issue}"));
    }
    for (name, parsed) in &own.inline {
        match parsed {
            Ok(policy) => out.push(NamedPolicy {
                name: format!("{inline_prefix}{name}"),
                policy: Arc::clone(policy),
            }),
            Err(reason) => problems.push(
                subject,
                format!(
                    "{context}inline policy `{name}` could not be read: {reason}; it is left out"
                ),
            ),
        }
    }
    for policy_arn in &own.managed {
        match managed.get(policy_arn) {
            Some(Ok(policy)) => out.push(NamedPolicy {
                name: format!("{managed_prefix}{policy_arn}"),
                policy: Arc::clone(policy),
            }),
            Some(Err(reason)) => problems.push(
                subject,
                format!("{context}managed policy `{policy_arn}` could not be read: {reason}; it is left out"),
            ),
            None => problems.push(
                subject,
                format!(
                    "{context}managed policy `{policy_arn}` is not in `Policies` (AWS-managed policies are there only when collected); its permissions are unknown"
                ),
            ),
        }
    }
}

/// The part of an ARN after the last `/` (a user, group or role name).
fn last_segment(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}
