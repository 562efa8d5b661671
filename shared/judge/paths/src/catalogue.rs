//! The edge catalogue (`data/edges.toml`): which actions let a principal become another
//! or rewrite what another may do, read once from the embedded file.
//!
//! What it is for: keeping the list of privilege-escalation paths reviewable as data,
//! with the reasoning and the source of each entry, like the capability data. What it
//! is not for: deciding anything; [`crate::edges`] asks the rows and the evaluator.
//!
//! Bad data never panics: a malformed entry is left out and reported in
//! [`load_errors`] (empty for the embedded file, which a test checks).

use std::sync::OnceLock;

use accessdrift_capabilities::ResourceKind;
use serde::Deserialize;

/// What an edge lets `from` do to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// `sts:AssumeRole` into a role.
    Assume,
    /// A credential of a user (access key, console password).
    Credential,
    /// Rewriting a role's trust policy, then assuming it.
    TrustWrite,
    /// Passing a role to a service the caller creates compute in.
    PassRole,
    /// Changing the code a Lambda function runs with its execution role.
    CodeWrite,
    /// Writing the target's identity policies (inline, attached, managed versions).
    PolicyWrite,
    /// Removing or replacing the target's permissions boundary.
    BoundaryRemoval,
    /// Adding any user (the caller included) to a group.
    GroupJoin,
}

impl EdgeKind {
    /// Every kind, in output order.
    pub const ALL: [EdgeKind; 8] = [
        EdgeKind::Assume,
        EdgeKind::Credential,
        EdgeKind::TrustWrite,
        EdgeKind::PassRole,
        EdgeKind::CodeWrite,
        EdgeKind::PolicyWrite,
        EdgeKind::BoundaryRemoval,
        EdgeKind::GroupJoin,
    ];

    /// The word in data and output (`pass-role`).
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Assume => "assume",
            EdgeKind::Credential => "credential",
            EdgeKind::TrustWrite => "trust-write",
            EdgeKind::PassRole => "pass-role",
            EdgeKind::CodeWrite => "code-write",
            EdgeKind::PolicyWrite => "policy-write",
            EdgeKind::BoundaryRemoval => "boundary-removal",
            EdgeKind::GroupJoin => "group-join",
        }
    }

    /// Reads the word.
    pub fn parse(word: &str) -> Option<EdgeKind> {
        EdgeKind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// Whether `from` can act as `to` (the closure follows it). The other kinds change
    /// what `to` may do and count only when `from` can also act as `to`.
    pub fn becomes(self) -> bool {
        matches!(
            self,
            EdgeKind::Assume
                | EdgeKind::Credential
                | EdgeKind::TrustWrite
                | EdgeKind::PassRole
                | EdgeKind::CodeWrite
        )
    }
}

impl std::fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who an edge found on a resource leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaches {
    /// The role or user the row is on.
    Target,
    /// Every user in the group the row is on.
    Members,
    /// Every principal the managed policy is attached to, directly or through a group.
    Attached,
    /// Every principal using the managed policy as its permissions boundary.
    BoundaryHolders,
    /// The execution role of the Lambda function the row is on.
    ExecutionRole,
    /// Any user not yet in the group (group-join: the caller can add any user).
    AnyUser,
}

impl Reaches {
    fn parse(word: &str) -> Option<Reaches> {
        Some(match word {
            "target" => Reaches::Target,
            "members" => Reaches::Members,
            "attached" => Reaches::Attached,
            "boundary-holders" => Reaches::BoundaryHolders,
            "execution-role" => Reaches::ExecutionRole,
            "any-user" => Reaches::AnyUser,
            _ => return None,
        })
    }

    /// Whether the edge may lead this way from a row on `on`.
    fn fits(self, on: ResourceKind) -> bool {
        matches!(
            (self, on),
            (
                Reaches::Target,
                ResourceKind::IamRole | ResourceKind::IamUser
            ) | (Reaches::Members | Reaches::AnyUser, ResourceKind::IamGroup)
                | (
                    Reaches::Attached | Reaches::BoundaryHolders,
                    ResourceKind::IamManagedPolicy
                )
                | (Reaches::ExecutionRole, ResourceKind::LambdaFunction)
        )
    }
}

/// An edge found from effective-access rows: a row on `on` naming one of `actions`.
#[derive(Debug, Clone)]
pub struct RowRule {
    /// The edge kind (never [`EdgeKind::PassRole`], which has its own rules).
    pub kind: EdgeKind,
    /// The resource kind the row is on.
    pub on: ResourceKind,
    /// Any one of them gives the edge, in AWS's canonical case.
    pub actions: Vec<String>,
    /// Who the edge leads to.
    pub reaches: Reaches,
    /// What must also hold that the snapshot cannot show (the edge is then Conditional).
    pub requires: Option<String>,
    /// The reasoning.
    pub why: String,
    /// Where the path is described.
    pub source: String,
}

/// One action a pass-role recipe needs, on a resource the caller would create.
#[derive(Debug, Clone)]
pub struct WithAction {
    /// `lambda:CreateFunction`.
    pub action: String,
    /// The ARN pattern to ask about, `{region}` and `{account}` standing for where the
    /// caller would create it, or `*`.
    pub resource: String,
}

impl WithAction {
    /// The pattern for one account and region (`None`: any region).
    pub fn resource_in(&self, account: &str, region: Option<&str>) -> String {
        self.resource
            .replace("{account}", account)
            .replace("{region}", region.unwrap_or("*"))
    }
}

/// A way to run code as a passed role: the service that assumes it and the actions the
/// caller needs besides `iam:PassRole`.
#[derive(Debug, Clone)]
pub struct PassRoleRule {
    /// The service principal the role must trust (`lambda.amazonaws.com`).
    pub service: String,
    /// Every one of them is needed.
    pub with: Vec<WithAction>,
    /// What must also hold that the snapshot cannot show (the edge is then Conditional).
    pub requires: Option<String>,
    /// The reasoning.
    pub why: String,
    /// Where the path is described.
    pub source: String,
}

/// Trust-policy entry points from identity providers (no row carries them).
#[derive(Debug, Clone)]
pub struct FederatedRule {
    /// `sts:AssumeRoleWithWebIdentity`, `sts:AssumeRoleWithSAML`: each is asked.
    pub actions: Vec<String>,
    /// The reasoning.
    pub why: String,
    /// Where the path is described.
    pub source: String,
}

/// A path of the checklist the catalogue deliberately does not find.
#[derive(Debug, Clone)]
pub struct NotCovered {
    /// The path.
    pub what: String,
    /// Why it is not found.
    pub why: String,
}

/// The whole catalogue.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// Edges found from rows, in file order.
    pub rules: Vec<RowRule>,
    /// Pass-role recipes, in file order (earlier wins between equally good ones).
    pub pass_role: Vec<PassRoleRule>,
    /// Identity-provider entry points.
    pub federated: Vec<FederatedRule>,
    /// What is deliberately not found.
    pub not_covered: Vec<NotCovered>,
    errors: Vec<String>,
}

impl Catalogue {
    /// The row rules for rows on `on` that name `action` (any case).
    pub fn rules_for<'c>(
        &'c self,
        on: ResourceKind,
        action: &'c str,
    ) -> impl Iterator<Item = &'c RowRule> + 'c {
        self.rules
            .iter()
            .filter(move |r| r.on == on && r.actions.iter().any(|a| a.eq_ignore_ascii_case(action)))
    }
}

/// The embedded file.
const TEXT: &str = include_str!("../data/edges.toml");

/// The catalogue, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| parse(TEXT))
}

/// Problems found reading the embedded file (empty when it is sound).
pub fn load_errors() -> &'static [String] {
    &catalogue().errors
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    edge: Vec<RawEdge>,
    #[serde(default)]
    pass_role: Vec<RawPassRole>,
    #[serde(default)]
    federated: Vec<RawFederated>,
    #[serde(default)]
    not_covered: Vec<RawNotCovered>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFederated {
    actions: Vec<String>,
    why: String,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdge {
    kind: String,
    on: String,
    actions: Vec<String>,
    reaches: String,
    requires: Option<String>,
    why: String,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPassRole {
    service: String,
    with: Vec<RawWith>,
    requires: Option<String>,
    why: String,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWith {
    action: String,
    resource: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotCovered {
    what: String,
    why: String,
}

/// The resource kind an `on` word names.
fn on_kind(word: &str) -> Option<ResourceKind> {
    Some(match word {
        "role" => ResourceKind::IamRole,
        "user" => ResourceKind::IamUser,
        "group" => ResourceKind::IamGroup,
        "managed-policy" => ResourceKind::IamManagedPolicy,
        "function" => ResourceKind::LambdaFunction,
        _ => return None,
    })
}

/// Whether `name` looks like `service:Action`.
fn is_action_name(name: &str) -> bool {
    name.split_once(':')
        .is_some_and(|(s, a)| !s.is_empty() && !a.is_empty() && !a.contains(['*', '?', ':']))
}

/// Parses a catalogue text; problems go to the catalogue's errors, never a panic.
fn parse(text: &str) -> Catalogue {
    let mut out = Catalogue::default();
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            out.errors
                .push(format!("`edges.toml`: not valid: {}", e.message()));
            return out;
        }
    };
    for (i, e) in raw.edge.into_iter().enumerate() {
        let at = format!("`edges.toml`: edge {}", i + 1);
        let Some(kind) = EdgeKind::parse(&e.kind).filter(|k| *k != EdgeKind::PassRole) else {
            out.errors
                .push(format!("{at}: `kind` `{}` is not a row edge kind", e.kind));
            continue;
        };
        let Some(on) = on_kind(&e.on) else {
            out.errors.push(format!("{at}: unknown `on` `{}`", e.on));
            continue;
        };
        let Some(reaches) = Reaches::parse(&e.reaches).filter(|r| r.fits(on)) else {
            out.errors.push(format!(
                "{at}: `reaches` `{}` does not fit `on` `{}`",
                e.reaches, e.on
            ));
            continue;
        };
        if (kind == EdgeKind::GroupJoin) != (reaches == Reaches::AnyUser) {
            out.errors.push(format!(
                "{at}: `group-join` and `reaches = \"any-user\"` go together"
            ));
            continue;
        }
        if let Some(bad) = e.actions.iter().find(|a| !is_action_name(a)) {
            out.errors
                .push(format!("{at}: `{bad}` is not a `service:Action` name"));
            continue;
        }
        if e.actions.is_empty() || e.why.trim().is_empty() || e.source.trim().is_empty() {
            out.errors.push(format!(
                "{at}: `actions`, `why` and `source` must not be empty"
            ));
            continue;
        }
        out.rules.push(RowRule {
            kind,
            on,
            actions: e.actions,
            reaches,
            requires: e.requires,
            why: e.why,
            source: e.source,
        });
    }
    for (i, p) in raw.pass_role.into_iter().enumerate() {
        let at = format!("`edges.toml`: pass_role {}", i + 1);
        if !p.service.ends_with(".amazonaws.com") {
            out.errors
                .push(format!("{at}: `{}` is not a service principal", p.service));
            continue;
        }
        if let Some(bad) = p.with.iter().find(|w| !is_action_name(&w.action)) {
            out.errors.push(format!(
                "{at}: `{}` is not a `service:Action` name",
                bad.action
            ));
            continue;
        }
        if p.with.is_empty() || p.why.trim().is_empty() || p.source.trim().is_empty() {
            out.errors.push(format!(
                "{at}: `with`, `why` and `source` must not be empty"
            ));
            continue;
        }
        out.pass_role.push(PassRoleRule {
            service: p.service,
            with: p
                .with
                .into_iter()
                .map(|w| WithAction {
                    action: w.action,
                    resource: w.resource,
                })
                .collect(),
            requires: p.requires,
            why: p.why,
            source: p.source,
        });
    }
    for (i, f) in raw.federated.into_iter().enumerate() {
        let at = format!("`edges.toml`: federated {}", i + 1);
        let assume = |a: &String| {
            is_action_name(a) && a.to_ascii_lowercase().starts_with("sts:assumerolewith")
        };
        if f.actions.is_empty() || !f.actions.iter().all(assume) || f.why.trim().is_empty() {
            out.errors.push(format!(
                "{at}: `actions` must be sts:AssumeRoleWith* actions, with a `why`"
            ));
            continue;
        }
        out.federated.push(FederatedRule {
            actions: f.actions,
            why: f.why,
            source: f.source,
        });
    }
    out.not_covered = raw
        .not_covered
        .into_iter()
        .map(|n| NotCovered {
            what: n.what,
            why: n.why,
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use accessdrift_iam_data::catalog;

    #[test]
    fn the_embedded_catalogue_reads_without_errors() {
        assert_eq!(load_errors(), &[] as &[String]);
        let c = catalogue();
        assert!(c.rules.len() >= 15, "{}", c.rules.len());
        assert!(c.pass_role.len() >= 10);
        assert!(!c.not_covered.is_empty());
    }

    /// Every action the catalogue names exists in the pinned AWS action catalog, in its
    /// canonical case.
    #[test]
    fn every_action_exists_in_the_iam_catalog() {
        let c = catalogue();
        let names = c.rules.iter().flat_map(|r| r.actions.iter()).chain(
            c.pass_role
                .iter()
                .flat_map(|p| p.with.iter().map(|w| &w.action))
                .chain(c.federated.iter().flat_map(|f| f.actions.iter())),
        );
        for name in names {
            let found = catalog().action(name);
            assert!(found.is_some(), "`{name}` is not in the IAM action catalog");
            assert_eq!(found.map(|a| a.full_name()).as_deref(), Some(name.as_str()));
        }
    }

    /// A row can only carry an action the capability data classifies on its kind.
    #[test]
    fn every_row_action_is_classified_on_its_kind() {
        for r in &catalogue().rules {
            for a in &r.actions {
                assert!(
                    accessdrift_capabilities::classify(r.on, a).is_some(),
                    "`{a}` is not classified on {}: no row could carry it",
                    r.on.type_name()
                );
            }
        }
        assert!(
            accessdrift_capabilities::classify(ResourceKind::IamRole, "iam:PassRole").is_some()
        );
    }

    /// Each `with` pattern is `*` for an action that takes no resource, else an ARN of
    /// one of the action's resource types.
    #[test]
    fn every_with_pattern_fits_its_action() {
        for p in &catalogue().pass_role {
            for w in &p.with {
                let Some(action) = catalog().action(&w.action) else {
                    panic!("`{}` unknown", w.action);
                };
                if w.resource == "*" {
                    assert!(action.is_wildcard_only(), "`{}` takes a resource", w.action);
                    continue;
                }
                let sample = w
                    .resource_in("111111111111", Some("us-east-1"))
                    .replace('*', "x");
                let service = catalog().service(&action.service);
                let fits = action.resource_types.iter().any(|t| {
                    service
                        .and_then(|s| s.resource_type(&t.name))
                        .is_some_and(|rt| rt.matches_arn(&sample))
                });
                assert!(
                    fits,
                    "`{}`: `{sample}` is none of its resource types",
                    w.action
                );
            }
        }
    }

    #[test]
    fn bad_entries_are_reported_not_panicked_on() {
        let c = parse(
            r#"
[[edge]]
kind = "teleport"
on = "role"
actions = ["sts:AssumeRole"]
reaches = "target"
why = "x"
source = "y"

[[edge]]
kind = "assume"
on = "role"
actions = ["sts:AssumeRole"]
reaches = "members"
why = "x"
source = "y"

[[pass_role]]
service = "lambda"
with = [{ action = "lambda:CreateFunction", resource = "*" }]
why = "x"
source = "y"
"#,
        );
        assert_eq!(c.errors.len(), 3, "{:?}", c.errors);
        assert!(c.rules.is_empty() && c.pass_role.is_empty());
        assert_eq!(parse("not toml [").errors.len(), 1);
    }

    #[test]
    fn kinds_round_trip_and_only_some_become() {
        for k in EdgeKind::ALL {
            assert_eq!(EdgeKind::parse(k.as_str()), Some(k));
        }
        assert!(EdgeKind::Assume.becomes());
        assert!(!EdgeKind::PolicyWrite.becomes());
        assert!(!EdgeKind::GroupJoin.becomes());
    }
}
