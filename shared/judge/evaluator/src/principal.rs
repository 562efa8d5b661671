//! Who makes a request, and whether a policy's `Principal` element names them.
//!
//! The kind of match matters, not just whether there is one: AWS treats a resource
//! policy that names a user or role-session ARN (a *direct* grant) differently from one
//! that names the role ARN or the account (AWS IAM User Guide, "Policy evaluation logic",
//! section "Evaluating identity-based and resource-based policies together", and
//! "Cross-account policy evaluation logic").

use accessdrift_policy::{PrincipalBlock, Principals};

use accessdrift_primitives::{Arn, is_account_id};

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An IAM user `arn:aws:iam::A:user/path/name`.
    User {
        /// The ARN as given.
        arn: String,
        /// Account id.
        account: String,
        /// User name (last path element).
        name: String,
    },
    /// An IAM role `arn:aws:iam::A:role/path/name`, standing for its sessions.
    Role {
        /// The ARN as given.
        arn: String,
        /// Account id.
        account: String,
        /// Role name (last path element).
        name: String,
        /// The path, `/` when none.
        path: String,
    },
    /// A role session `arn:aws:sts::A:assumed-role/RoleName/SessionName`.
    AssumedRole {
        /// The session ARN.
        arn: String,
        /// Account id.
        account: String,
        /// The role's name (session ARNs carry no path).
        role_name: String,
        /// The session name.
        session: String,
    },
    /// A federated-user session `arn:aws:sts::A:federated-user/name`.
    FederatedUser {
        /// The ARN.
        arn: String,
        /// Account id.
        account: String,
        /// The federated user's name.
        name: String,
    },
    /// The account root user `arn:aws:iam::A:root`.
    Root {
        /// Account id.
        account: String,
    },
    /// An AWS service principal, e.g. `cloudtrail.amazonaws.com`.
    Service(String),
    /// An unauthenticated caller.
    Anonymous,
    /// Something else (an OIDC provider, a canonical user id): matched by exact text only.
    Other(String),
}

impl Principal {
    /// Reads a principal as written in a request: an ARN, a service name or an account id.
    pub fn parse(text: &str) -> Principal {
        if let Some(arn) = Arn::parse(text) {
            let account = arn.account.to_string();
            match (arn.service, arn.resource) {
                ("iam", "root") => return Principal::Root { account },
                ("iam", res) if res.starts_with("user/") => {
                    let name = res.rsplit('/').next().unwrap_or(res).to_string();
                    return Principal::User {
                        arn: text.to_string(),
                        account,
                        name,
                    };
                }
                ("iam", res) if res.starts_with("role/") => {
                    let name = res.rsplit('/').next().unwrap_or(res).to_string();
                    let path_end = res.len() - name.len();
                    let path = res["role".len()..path_end].to_string();
                    return Principal::Role {
                        arn: text.to_string(),
                        account,
                        name,
                        path,
                    };
                }
                ("sts", res) if res.starts_with("assumed-role/") => {
                    let mut it = res["assumed-role/".len()..].splitn(2, '/');
                    let role_name = it.next().unwrap_or("").to_string();
                    let session = it.next().unwrap_or("").to_string();
                    return Principal::AssumedRole {
                        arn: text.to_string(),
                        account,
                        role_name,
                        session,
                    };
                }
                ("sts", res) if res.starts_with("federated-user/") => {
                    return Principal::FederatedUser {
                        arn: text.to_string(),
                        account,
                        name: res["federated-user/".len()..].to_string(),
                    };
                }
                _ => return Principal::Other(text.to_string()),
            }
        }
        if is_account_id(text) {
            return Principal::Root {
                account: text.to_string(),
            };
        }
        if text.ends_with(".amazonaws.com") || text.ends_with(".amazonaws.com.cn") {
            return Principal::Service(text.to_string());
        }
        Principal::Other(text.to_string())
    }

    /// The principal's account, when it has one.
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::User { account, .. }
            | Principal::Role { account, .. }
            | Principal::AssumedRole { account, .. }
            | Principal::FederatedUser { account, .. }
            | Principal::Root { account } => Some(account),
            _ => None,
        }
    }

    /// Whether this is a role or a role session.
    pub fn is_role_like(&self) -> bool {
        matches!(self, Principal::Role { .. } | Principal::AssumedRole { .. })
    }

    /// Service-linked roles are exempt from SCPs and RCPs. They are recognised by the
    /// path `/aws-service-role/`, or for a session (no path in the ARN) by the name
    /// prefix `AWSServiceRoleFor` (simulate.md, "Service-linked roles").
    pub fn is_service_linked_role(&self) -> bool {
        match self {
            Principal::Role { path, name, .. } => {
                path.starts_with("/aws-service-role/") || name.starts_with("AWSServiceRoleFor")
            }
            Principal::AssumedRole { role_name, .. } => role_name.starts_with("AWSServiceRoleFor"),
            _ => false,
        }
    }

    /// The principal's own ARN (or name, for services).
    pub fn text(&self) -> String {
        match self {
            Principal::User { arn, .. }
            | Principal::Role { arn, .. }
            | Principal::AssumedRole { arn, .. }
            | Principal::FederatedUser { arn, .. } => arn.clone(),
            Principal::Root { account } => format!("arn:aws:iam::{account}:root"),
            Principal::Service(s) | Principal::Other(s) => s.clone(),
            Principal::Anonymous => "*".to_string(),
        }
    }

    fn partition(&self) -> &str {
        match self {
            Principal::User { arn, .. }
            | Principal::Role { arn, .. }
            | Principal::AssumedRole { arn, .. }
            | Principal::FederatedUser { arn, .. } => {
                Arn::parse(arn).map_or("aws", |a| a.partition)
            }
            _ => "aws",
        }
    }
}

/// How a `Principal` element names the caller. Ordered from strongest to weakest, so
/// the best match over several entries is the minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Names this exact identity: the user ARN, the role-session ARN, the federated-user
    /// ARN, the service, or the root user itself. Such a grant is not limited by an
    /// implicit deny in identity policies, the boundary or the session policy.
    Direct,
    /// Names the role of a session (by the role ARN). Limited by boundary and session
    /// policy, but needs no identity-policy allow in the same account.
    Role,
    /// `*`: anyone, including anonymous callers.
    Wildcard,
    /// Names the caller's account (`111111111111` or `arn:aws:iam::111111111111:root`):
    /// account-level trust, which delegates to the account's identity policies.
    Account,
}

/// The best way an entry of `block` names `who`, ignoring negation; `None` when no
/// entry names them.
pub fn principal_names(block_principals: &Principals, who: &Principal) -> Option<PrincipalMatch> {
    match block_principals {
        Principals::Any => Some(PrincipalMatch::Wildcard),
        Principals::Map(map) => {
            let mut best: Option<PrincipalMatch> = None;
            let mut consider = |m: Option<PrincipalMatch>| {
                if let Some(m) = m {
                    best = Some(best.map_or(m, |b| b.min(m)));
                }
            };
            for entry in &map.aws {
                consider(aws_entry_names(entry, who));
            }
            for entry in &map.service {
                consider(match who {
                    Principal::Service(s) if s == entry => Some(PrincipalMatch::Direct),
                    _ if entry == "*" => Some(PrincipalMatch::Wildcard),
                    _ => None,
                });
            }
            for entry in map.federated.iter().chain(&map.canonical_user) {
                consider(match who {
                    Principal::Other(s) if s == entry => Some(PrincipalMatch::Direct),
                    _ => None,
                });
            }
            best
        }
    }
}

/// Whether a `Principal`/`NotPrincipal` block applies to `who`, with the match kind for
/// `Principal`. For `NotPrincipal` the statement applies to everyone the list does not
/// name, and "names" is strict: only the caller's own ARN exempts it. A role ARN exempts
/// no session of the role, and an account exempts only its root user (AWS IAM User
/// Guide, "AWS JSON policy elements: NotPrincipal": with the session ARN, the role ARN
/// and the account listed, "all principals except the assumed-role user named
/// cross-account-audit-app ... are explicitly denied"; another session of that role is
/// denied). A caller given as the role ARN itself is exempted by that ARN; in Discovery
/// mode, where the role stands for its future sessions, the engine does not ask this
/// function (see [`names_everyone`] and [`other_sessions_named`]).
pub fn block_applies(block: &PrincipalBlock, who: &Principal) -> Option<PrincipalMatch> {
    let named = principal_names(&block.principals, who);
    if !block.negated {
        return named;
    }
    let excluded = match named {
        None => false,
        Some(PrincipalMatch::Wildcard) | Some(PrincipalMatch::Direct) => true,
        Some(PrincipalMatch::Role) => matches!(who, Principal::Role { .. }),
        Some(PrincipalMatch::Account) => matches!(who, Principal::Root { .. }),
    };
    if excluded {
        None
    } else {
        Some(PrincipalMatch::Wildcard)
    }
}

/// Whether the block names every principal (`"*"`, as `Principal: "*"` or an AWS entry).
pub fn names_everyone(block_principals: &Principals) -> bool {
    match block_principals {
        Principals::Any => true,
        Principals::Map(map) => map.aws.iter().chain(&map.service).any(|e| e == "*"),
    }
}

/// Session names of `who`'s role that the principal map names by session ARN, when it
/// does not name `who` itself. In Discovery mode the session name of a future request
/// is unknown, so such an entry grants "if the session is named so".
pub fn other_sessions_named(block_principals: &Principals, who: &Principal) -> Vec<String> {
    let (account, role_name) = match who {
        Principal::Role { account, name, .. } => (account, name),
        Principal::AssumedRole {
            account, role_name, ..
        } => (account, role_name),
        _ => return Vec::new(),
    };
    let Principals::Map(map) = block_principals else {
        return Vec::new();
    };
    map.aws
        .iter()
        .filter_map(|entry| {
            let arn = Arn::parse(entry)?;
            let rest = arn.resource.strip_prefix("assumed-role/")?;
            let (role, session) = rest.split_once('/')?;
            (arn.service == "sts" && arn.account == account && role == role_name)
                .then(|| session.to_string())
        })
        .collect()
}

fn aws_entry_names(entry: &str, who: &Principal) -> Option<PrincipalMatch> {
    if entry == "*" {
        return Some(PrincipalMatch::Wildcard);
    }
    if matches!(who, Principal::Anonymous | Principal::Service(_)) {
        return None;
    }
    let who_account = who.account()?;
    if is_account_id(entry) {
        return (entry == who_account).then(|| account_match(who));
    }
    let arn = Arn::parse(entry)?;
    if arn.service == "iam" && arn.resource == "root" {
        return (arn.account == who_account && arn.partition == who.partition())
            .then(|| account_match(who));
    }
    match who {
        Principal::User { arn: who_arn, .. } | Principal::FederatedUser { arn: who_arn, .. } => {
            (entry == who_arn).then_some(PrincipalMatch::Direct)
        }
        Principal::Role {
            arn: who_arn,
            name,
            account,
            ..
        } => {
            if entry == who_arn {
                return Some(PrincipalMatch::Role);
            }
            role_arn_names(&arn, account, name).then_some(PrincipalMatch::Role)
        }
        Principal::AssumedRole {
            arn: who_arn,
            role_name,
            account,
            ..
        } => {
            if entry == who_arn {
                return Some(PrincipalMatch::Direct);
            }
            role_arn_names(&arn, account, role_name).then_some(PrincipalMatch::Role)
        }
        _ => None,
    }
}

/// The root user named by its account is the caller itself.
fn account_match(who: &Principal) -> PrincipalMatch {
    if matches!(who, Principal::Root { .. }) {
        PrincipalMatch::Direct
    } else {
        PrincipalMatch::Account
    }
}

/// A role ARN in a policy names a role by account and name; the path is not part of
/// the identity of a session (session ARNs carry no path).
fn role_arn_names(entry: &Arn<'_>, account: &str, role_name: &str) -> bool {
    entry.service == "iam"
        && entry.account == account
        && entry.resource.starts_with("role/")
        && entry.resource.rsplit('/').next() == Some(role_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use accessdrift_policy::PrincipalMap;

    fn aws(entries: &[&str]) -> Principals {
        Principals::Map(PrincipalMap {
            aws: entries.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
    }

    #[test]
    fn parses_every_principal_kind() {
        assert!(matches!(
            Principal::parse("arn:aws:iam::111111111111:role/a/b/app"),
            Principal::Role { ref name, ref path, .. } if name == "app" && path == "/a/b/"
        ));
        assert!(matches!(
            Principal::parse("arn:aws:sts::111111111111:assumed-role/app/s1"),
            Principal::AssumedRole { ref role_name, ref session, .. } if role_name == "app" && session == "s1"
        ));
        assert_eq!(
            Principal::parse("arn:aws:iam::111111111111:root"),
            Principal::Root {
                account: "111111111111".into()
            }
        );
        assert_eq!(
            Principal::parse("s3.amazonaws.com"),
            Principal::Service("s3.amazonaws.com".into())
        );
    }

    #[test]
    fn role_arn_with_path_names_sessions_by_role_name() {
        let who = Principal::parse("arn:aws:sts::111111111111:assumed-role/app/s1");
        assert_eq!(
            principal_names(&aws(&["arn:aws:iam::111111111111:role/team/app"]), &who),
            Some(PrincipalMatch::Role)
        );
        assert_eq!(
            principal_names(
                &aws(&["arn:aws:sts::111111111111:assumed-role/app/s1"]),
                &who
            ),
            Some(PrincipalMatch::Direct)
        );
        assert_eq!(
            principal_names(&aws(&["111111111111"]), &who),
            Some(PrincipalMatch::Account)
        );
        assert_eq!(
            principal_names(&aws(&["arn:aws:iam::222222222222:root"]), &who),
            None
        );
    }

    #[test]
    fn service_linked_roles_by_path_or_name() {
        assert!(
            Principal::parse(
                "arn:aws:iam::111111111111:role/aws-service-role/elasticmapreduce.amazonaws.com/AWSServiceRoleForEMR"
            )
            .is_service_linked_role()
        );
        assert!(
            Principal::parse("arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForEMR/x")
                .is_service_linked_role()
        );
        assert!(!Principal::parse("arn:aws:iam::111111111111:role/app").is_service_linked_role());
    }
}
