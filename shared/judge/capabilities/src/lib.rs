//! Access capabilities, and which AWS actions grant each one on each kind of resource.
//!
//! What it is for: turning "which IAM actions may this principal call on this resource"
//! into the words an application team uses — `administer-resource`, `read-config`,
//! `read-data`, `write-data`, `delete-data`, `use-resource` — for S3 buckets (and their
//! objects), KMS keys, DynamoDB tables (with their indexes and streams), SQS queues, SNS
//! topics, Secrets Manager secrets, Lambda functions and IAM roles. For every action it
//! also says which ARN the engine must ask about ([`ClassifiedAction::target`],
//! [`request_resource`]).
//!
//! What it is not: a policy evaluator (that is `accessdrift-evaluator`), nor a source of
//! truth on which actions exist (that is the pinned catalog, `accessdrift-iam-data`).
//!
//! Key design choices:
//! - The classification is data, not code: one reviewed TOML file per kind in `data/`
//!   (`s3.toml`, `kms.toml`, `dynamodb.toml`, `sqs.toml`, `sns.toml`,
//!   `secretsmanager.toml`, `lambda.toml`, `iam-role.toml`), each opening with the
//!   reasoning for its judgement calls. They are compiled in with `include_str!` and
//!   parsed once, on first use, into sorted static tables. Nothing is read at run time.
//! - Completeness is enforced against the catalog: every action of a kind's services is
//!   either classified or listed, in a group with a one-line reason, as not about that
//!   kind. A test fails, naming the actions, when the pinned catalog gains one that is in
//!   neither list; [`uncovered_actions`] gives the same answer at run time.
//! - Bad data never panics: problems are collected in [`load_errors`] (empty for the
//!   embedded files, which a test checks) and the sound part of a file is still served.
//! - An action has more than one capability only when it truly does both (say
//!   `dynamodb:DeleteTable`: administers the table and deletes every item), and then it
//!   carries a one-line [`ClassifiedAction::why`].
//! - A KMS key holds no data: every cryptographic operation (`kms:Decrypt` included) is
//!   `use-resource`, and `kms:CreateGrant` is `administer-resource` and `use-resource`
//!   (the caller can grant itself the key's crypto operations). Likewise a role holds no
//!   data: assuming it and `iam:PassRole` are `use-resource`. See each data file.
//! - Some actions reach one resource through several ARNs. A DynamoDB `Query` on an index
//!   is authorized against the index ARN, and a Lambda call that names a version or alias
//!   against the qualified ARN. [`request_resources`] lists them all; an action counts as
//!   allowed on the resource when it is allowed on any of them.

mod data;
mod types;

use std::sync::OnceLock;

pub use types::{Capability, ResourceKind};

use data::{KindTable, cmp_ci};

/// One action classified for a resource kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifiedAction {
    /// The action in AWS's canonical case, e.g. `s3:GetObject`.
    pub action: String,
    /// The capabilities the action grants on the resource (at least one), in the order
    /// the data file lists them.
    pub capabilities: Vec<Capability>,
    /// The catalog resource type the action is authorized against (`bucket`, `object`,
    /// `table`, `index`, `key`, `role`, ...); [`request_resource`] turns it into the ARN
    /// or pattern to evaluate.
    pub target: String,
    /// Other catalog resource types of the same resource the action may be authorized
    /// against instead (e.g. `index` for `dynamodb:Query`); usually empty.
    pub also_targets: Vec<String>,
    /// Why the action has the capabilities it has; always present when it has several.
    pub why: Option<String>,
    /// The only resources of the kind it can act on; `None`: any of them.
    pub only_on: Option<OnlyOn>,
}

/// A subset of a kind's resources that an action is limited to, whatever the policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnlyOn {
    /// Roles under the path `/aws-service-role/`: `iam:CreateServiceLinkedRole` and
    /// `iam:DeleteServiceLinkedRole` create and delete only those (IAM User Guide, "Using
    /// service-linked roles"), so `Resource: "*"` on them administers no ordinary role.
    ServiceLinkedRole,
}

impl OnlyOn {
    /// Whether `resource_arn` is in the subset.
    pub fn includes(self, resource_arn: &str) -> bool {
        match self {
            OnlyOn::ServiceLinkedRole => is_service_linked_role(resource_arn),
        }
    }

    /// The subset in words, for `explain`.
    pub fn describe(self) -> &'static str {
        match self {
            OnlyOn::ServiceLinkedRole => "acts only on service-linked roles",
        }
    }
}

/// Whether a role ARN names a service-linked role: AWS creates them, and only them, under
/// the path `/aws-service-role/` (IAM User Guide, "Using service-linked roles").
pub fn is_service_linked_role(role_arn: &str) -> bool {
    role_arn
        .split_once(":role/")
        .is_some_and(|(_, rest)| rest.starts_with("aws-service-role/"))
}

impl ClassifiedAction {
    /// Whether the action can act on `resource_arn` at all (see [`OnlyOn`]).
    pub fn applies_to(&self, resource_arn: &str) -> bool {
        self.only_on.is_none_or(|o| o.includes(resource_arn))
    }
}

impl ClassifiedAction {
    /// Whether the action grants `capability`.
    pub fn grants(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }

    /// The service prefix, e.g. `s3`.
    pub fn service(&self) -> &str {
        self.action.split_once(':').map_or("", |(s, _)| s)
    }

    /// `target` followed by `also_targets`.
    pub fn targets(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.target.as_str()).chain(self.also_targets.iter().map(String::as_str))
    }
}

/// Actions of a kind's services that are not about that kind, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludedGroup {
    /// One line saying why, e.g. `acts on access points`.
    pub reason: String,
    /// The actions, in AWS's canonical case, e.g. `s3:CreateAccessPoint`.
    pub actions: Vec<String>,
}

/// `(kind, file name, file text)` for a data file in `data/`.
macro_rules! source {
    ($kind:ident, $file:literal) => {
        (
            ResourceKind::$kind,
            $file,
            include_str!(concat!("../data/", $file)),
        )
    };
}

/// The data file of each kind, in [`ResourceKind::ALL`] order.
const SOURCES: [(ResourceKind, &str, &str); 11] = [
    source!(S3Bucket, "s3.toml"),
    source!(KmsKey, "kms.toml"),
    source!(DynamoDbTable, "dynamodb.toml"),
    source!(SqsQueue, "sqs.toml"),
    source!(SnsTopic, "sns.toml"),
    source!(SecretsManagerSecret, "secretsmanager.toml"),
    source!(LambdaFunction, "lambda.toml"),
    source!(IamRole, "iam-role.toml"),
    source!(IamUser, "iam-user.toml"),
    source!(IamGroup, "iam-group.toml"),
    source!(IamManagedPolicy, "iam-policy.toml"),
];

/// The parsed data of every kind, and the problems found reading it.
struct Tables {
    /// INVARIANT: one per entry of [`SOURCES`], same order.
    kinds: Vec<KindTable>,
    errors: Vec<String>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut errors = Vec::new();
        let kinds = SOURCES
            .iter()
            .map(|(kind, file, text)| data::load(*kind, file, text, &mut errors))
            .collect();
        Tables {
            kinds,
            errors: errors.iter().map(ToString::to_string).collect(),
        }
    })
}

fn table(kind: ResourceKind) -> Option<&'static KindTable> {
    let index = SOURCES.iter().position(|(k, _, _)| *k == kind)?;
    tables().kinds.get(index)
}

/// The target names a kind's data may use: exactly those [`request_resource`] knows.
pub(crate) fn known_targets(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::S3Bucket => &["bucket", "object"],
        ResourceKind::KmsKey => &["key"],
        ResourceKind::DynamoDbTable => &["table", "index", "stream"],
        ResourceKind::SqsQueue => &["queue"],
        ResourceKind::SnsTopic => &["topic"],
        ResourceKind::SecretsManagerSecret => &["Secret"],
        ResourceKind::LambdaFunction => &[
            "function",
            "function version",
            "function alias",
            "durable execution",
        ],
        ResourceKind::IamRole => &["role"],
        ResourceKind::IamUser => &["user"],
        ResourceKind::IamGroup => &["group"],
        ResourceKind::IamManagedPolicy => &["policy"],
    }
}

/// Every action classified for `kind`, sorted by action (ASCII case-insensitively,
/// which is the catalog's order).
pub fn actions_for(kind: ResourceKind) -> &'static [ClassifiedAction] {
    table(kind).map_or(&[], |t| &t.actions)
}

/// The classification of `action` (e.g. `s3:getobject`, any case) for `kind`; `None`
/// when it is not classified for that kind (unknown, or listed as not about it).
pub fn classify(kind: ResourceKind, action: &str) -> Option<&'static ClassifiedAction> {
    let actions = actions_for(kind);
    actions
        .binary_search_by(|a| cmp_ci(&a.action, action))
        .ok()
        .and_then(|i| actions.get(i))
}

/// The actions of `kind`'s services that are not about that kind, in groups with a
/// reason each, in the data file's order.
pub fn not_about_resource(kind: ResourceKind) -> &'static [ExcludedGroup] {
    table(kind).map_or(&[], |t| &t.excluded)
}

/// The group that lists `action` (any case) as not about `kind`, if one does.
pub fn exclusion(kind: ResourceKind, action: &str) -> Option<&'static ExcludedGroup> {
    let t = table(kind)?;
    let i = t
        .excluded_index
        .binary_search_by(|(a, _)| cmp_ci(a, action))
        .ok()?;
    let (_, group) = t.excluded_index.get(i)?;
    t.excluded.get(*group)
}

/// The services whose actions `kind` covers (`["s3"]`; `["iam", "sts"]` for roles).
pub fn services(kind: ResourceKind) -> &'static [String] {
    table(kind).map_or(&[], |t| &t.services)
}

/// The ARN, or ARN pattern, to evaluate an action with this `target` against, for the
/// resource `resource_arn` of kind `kind`:
/// S3 `object` -> `ARN/*`; DynamoDB `index` -> `ARN/index/*`, `stream` -> `ARN/stream/*`;
/// Lambda `function version` / `function alias` -> `ARN:*`, `durable execution` ->
/// `ARN:*/durable-execution/*`; every other target (`bucket`, `table`, `key`, `queue`,
/// `topic`, `Secret`, `function`, `role`, or one this crate does not know) -> the ARN.
pub fn request_resource(kind: ResourceKind, resource_arn: &str, target: &str) -> String {
    let suffix = match (kind, target) {
        (ResourceKind::S3Bucket, "object") => "/*",
        (ResourceKind::DynamoDbTable, "index") => "/index/*",
        (ResourceKind::DynamoDbTable, "stream") => "/stream/*",
        (ResourceKind::LambdaFunction, "function version" | "function alias") => ":*",
        (ResourceKind::LambdaFunction, "durable execution") => ":*/durable-execution/*",
        _ => "",
    };
    format!("{resource_arn}{suffix}")
}

/// Every ARN or pattern `action` may be authorized against for the resource
/// `resource_arn`: its target's first, then its `also_targets`', then — for a Lambda
/// `function` target — the qualified form `ARN:*` (a version or alias of the function
/// counts as the function). The action is allowed on the resource when it is allowed on
/// any of them. No duplicates.
pub fn request_resources(
    kind: ResourceKind,
    resource_arn: &str,
    action: &ClassifiedAction,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(2);
    for target in action.targets() {
        let mut push = |arn: String| {
            if !out.contains(&arn) {
                out.push(arn);
            }
        };
        push(request_resource(kind, resource_arn, target));
        if kind == ResourceKind::LambdaFunction && target == "function" {
            push(request_resource(kind, resource_arn, "function version"));
        }
    }
    out
}

/// Actions of `kind`'s services in the pinned catalog that the data neither classifies
/// nor lists as not about the kind, in the catalog's canonical case (empty for the
/// embedded data and catalog, which a test checks; not empty means the catalog was
/// updated and the data file needs a decision for each).
pub fn uncovered_actions(kind: ResourceKind) -> Vec<String> {
    let catalog = accessdrift_iam_data::catalog();
    let mut out = Vec::new();
    for service in services(kind) {
        let Some(s) = catalog.service(service) else {
            continue;
        };
        for a in &s.actions {
            let name = a.full_name();
            if classify(kind, &name).is_none() && exclusion(kind, &name).is_none() {
                out.push(name);
            }
        }
    }
    out
}

/// Problems found reading the embedded data files (empty when they are sound). Reading
/// never panics: a malformed entry is left out and reported here.
pub fn load_errors() -> &'static [String] {
    &tables().errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use Capability::*;
    use ResourceKind::*;
    use accessdrift_iam_data::catalog;
    use std::collections::BTreeMap;

    /// Every action name a kind's data file mentions, classified or excluded, as written.
    fn listed(kind: ResourceKind) -> Vec<String> {
        actions_for(kind)
            .iter()
            .map(|a| a.action.clone())
            .chain(
                not_about_resource(kind)
                    .iter()
                    .flat_map(|g| g.actions.clone()),
            )
            .collect()
    }

    fn caps(kind: ResourceKind, action: &str) -> Vec<Capability> {
        match classify(kind, action) {
            Some(a) => a.capabilities.clone(),
            None => panic!("`{action}` is not classified for {kind:?}"),
        }
    }

    #[test]
    fn the_embedded_data_loads_without_errors() {
        assert!(
            load_errors().is_empty(),
            "data problems:\n{}",
            load_errors().join("\n")
        );
        for kind in ResourceKind::ALL {
            assert!(
                !actions_for(kind).is_empty(),
                "{kind:?} has no classified actions"
            );
            assert!(!services(kind).is_empty(), "{kind:?} has no services");
        }
    }

    #[test]
    fn every_catalog_action_of_every_kind_is_classified_or_excluded() {
        let mut missing = Vec::new();
        for kind in ResourceKind::ALL {
            for service in services(kind) {
                assert!(
                    catalog().service(service).is_some(),
                    "{kind:?}: the catalog has no service `{service}`"
                );
            }
            for action in uncovered_actions(kind) {
                missing.push(format!(
                    "{} ({}): {action}",
                    kind.type_name(),
                    data_file(kind)
                ));
            }
        }
        assert!(
            missing.is_empty(),
            "the catalog has actions the data neither classifies nor lists as not about the \
             resource; add each to its data file:\n{}",
            missing.join("\n")
        );
    }

    fn data_file(kind: ResourceKind) -> &'static str {
        SOURCES
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map_or("?", |(_, f, _)| f)
    }

    #[test]
    fn no_action_is_both_classified_and_excluded_or_listed_twice() {
        // Counted on the files as written: the loader drops repeats, so the tables alone
        // could not show them.
        for (kind, file, text) in SOURCES {
            let raw = data::parse(file, text).unwrap_or_else(|e| panic!("{e}"));
            let mut seen: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for a in &raw.action {
                seen.entry(a.name.to_ascii_lowercase())
                    .or_default()
                    .push("classified");
            }
            for g in &raw.not_about_resource {
                for a in &g.actions {
                    seen.entry(a.to_ascii_lowercase())
                        .or_default()
                        .push("excluded");
                }
            }
            let repeated: Vec<String> = seen
                .iter()
                .filter(|(_, places)| places.len() > 1)
                .map(|(a, places)| format!("{a}: {}", places.join(" + ")))
                .collect();
            assert!(
                repeated.is_empty(),
                "{kind:?} ({file}) lists actions more than once:\n{}",
                repeated.join("\n")
            );
        }
    }

    #[test]
    fn every_listed_action_exists_in_the_catalog_in_canonical_case() {
        let mut wrong = Vec::new();
        for kind in ResourceKind::ALL {
            for name in listed(kind) {
                match catalog().action(&name) {
                    None => wrong.push(format!("{kind:?}: `{name}` is not in the catalog")),
                    Some(a) if a.full_name() != name => wrong.push(format!(
                        "{kind:?}: `{name}` is spelt `{}` in the catalog",
                        a.full_name()
                    )),
                    Some(_) => {}
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn wildcard_only_actions_are_never_classified_as_acting_on_the_resource() {
        let wildcard: Vec<String> = ResourceKind::ALL
            .into_iter()
            .flat_map(actions_for)
            .filter(|a| {
                catalog()
                    .action(&a.action)
                    .is_some_and(|c| c.is_wildcard_only())
            })
            .map(|a| a.action.clone())
            .collect();
        assert!(
            wildcard.is_empty(),
            "classified but Resource \"*\" only: {wildcard:?}"
        );
    }

    #[test]
    fn every_action_with_several_capabilities_says_why() {
        let unexplained: Vec<&str> = ResourceKind::ALL
            .into_iter()
            .flat_map(actions_for)
            .filter(|a| {
                a.capabilities.len() > 1 && a.why.as_deref().is_none_or(|w| w.trim().is_empty())
            })
            .map(|a| a.action.as_str())
            .collect();
        assert!(unexplained.is_empty(), "{unexplained:?}");
    }

    #[test]
    fn every_target_is_one_of_the_actions_catalog_resource_types() {
        // No exceptions are needed today: Lambda's qualified ARNs are handled by
        // `request_resources`, not by a target the catalog does not list.
        let mut wrong = Vec::new();
        for kind in ResourceKind::ALL {
            for a in actions_for(kind) {
                let Some(c) = catalog().action(&a.action) else {
                    continue;
                };
                for t in a.targets() {
                    if !c.resource_types.iter().any(|rt| rt.name == t) {
                        let types: Vec<&str> =
                            c.resource_types.iter().map(|rt| rt.name.as_str()).collect();
                        wrong.push(format!(
                            "{kind:?}: `{}` target `{t}` is not among {types:?}",
                            a.action
                        ));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn every_target_names_a_resource_type_whose_arns_the_request_pattern_covers() {
        // The pattern `request_resource` builds must be an ARN of the target's type once
        // its wildcards are filled in, so the engine asks about the right thing.
        let samples = [
            (S3Bucket, "arn:aws:s3:::b", "s3"),
            (KmsKey, "arn:aws:kms:us-east-1:111122223333:key/k", "kms"),
            (
                DynamoDbTable,
                "arn:aws:dynamodb:us-east-1:111122223333:table/t",
                "dynamodb",
            ),
            (SqsQueue, "arn:aws:sqs:us-east-1:111122223333:q", "sqs"),
            (SnsTopic, "arn:aws:sns:us-east-1:111122223333:t", "sns"),
            (
                SecretsManagerSecret,
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:s-AbCdEf",
                "secretsmanager",
            ),
            (
                LambdaFunction,
                "arn:aws:lambda:us-east-1:111122223333:function:f",
                "lambda",
            ),
            (IamRole, "arn:aws:iam::111122223333:role/r", "iam"),
        ];
        for (kind, arn, service) in samples {
            let s = catalog()
                .service(service)
                .unwrap_or_else(|| panic!("no `{service}`"));
            for target in known_targets(kind) {
                let rt = s
                    .resource_type(target)
                    .unwrap_or_else(|| panic!("`{service}` has no type `{target}`"));
                // Fill each `*` with a plausible segment.
                let concrete = request_resource(kind, arn, target)
                    .replace(":*/", ":1/")
                    .replace("/durable-execution/*", "/durable-execution/run/0")
                    .replace('*', "x");
                assert!(
                    rt.matches_arn(&concrete),
                    "{kind:?} `{target}`: `{concrete}` is not a {}",
                    rt.arn_format
                );
            }
        }
    }

    #[test]
    fn actions_are_sorted_and_lookups_ignore_case() {
        for kind in ResourceKind::ALL {
            let actions = actions_for(kind);
            assert!(
                actions
                    .windows(2)
                    .all(|w| cmp_ci(&w[0].action, &w[1].action).is_lt()),
                "{kind:?}"
            );
            for a in actions {
                assert_eq!(
                    classify(kind, &a.action.to_ascii_uppercase()).map(|c| &c.action),
                    Some(&a.action)
                );
                assert!(exclusion(kind, &a.action).is_none());
            }
            for g in not_about_resource(kind) {
                for a in &g.actions {
                    assert_eq!(
                        exclusion(kind, &a.to_ascii_lowercase()).map(|e| &e.reason),
                        Some(&g.reason)
                    );
                    assert!(classify(kind, a).is_none());
                }
            }
        }
        assert!(classify(S3Bucket, "s3:GetObjectX").is_none());
        assert!(classify(S3Bucket, "kms:Decrypt").is_none());
        assert!(exclusion(S3Bucket, "s3:GetObject").is_none());
    }

    #[test]
    fn every_excluded_group_gives_a_reason() {
        for kind in ResourceKind::ALL {
            for g in not_about_resource(kind) {
                assert!(
                    !g.reason.trim().is_empty() && !g.actions.is_empty(),
                    "{kind:?}: {g:?}"
                );
            }
        }
    }

    #[test]
    fn iam_principals_as_resources_judgement_calls() {
        // Creating a credential of a user is taking on the user (as AssumeRole is for a role).
        for a in [
            "iam:CreateAccessKey",
            "iam:CreateLoginProfile",
            "iam:UpdateLoginProfile",
        ] {
            assert_eq!(caps(IamUser, a), [AdministerResource, UseResource], "{a}");
        }
        assert_eq!(caps(IamUser, "iam:PutUserPolicy"), [AdministerResource]);
        assert_eq!(caps(IamUser, "iam:GetUser"), [ReadConfig]);
        // AddUserToGroup is authorized against the group.
        assert!(exclusion(IamUser, "iam:AddUserToGroup").is_some());
        assert_eq!(caps(IamGroup, "iam:AddUserToGroup"), [AdministerResource]);
        assert_eq!(caps(IamGroup, "iam:PutGroupPolicy"), [AdministerResource]);
        assert_eq!(
            caps(IamManagedPolicy, "iam:CreatePolicyVersion"),
            [AdministerResource]
        );
        assert_eq!(
            caps(IamManagedPolicy, "iam:ListEntitiesForPolicy"),
            [ReadConfig]
        );
        // Attaching is authorized against the role/user/group, not the policy.
        assert!(exclusion(IamManagedPolicy, "iam:AttachRolePolicy").is_some());
        assert_eq!(services(IamUser), ["iam"]);
    }

    #[test]
    fn service_linked_role_actions_act_only_on_service_linked_roles() {
        // IAM User Guide, "Using service-linked roles": AWS creates them under
        // /aws-service-role/, and CreateServiceLinkedRole/DeleteServiceLinkedRole act on no other.
        let slr = "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig";
        let ordinary = "arn:aws:iam::111122223333:role/app";
        for a in [
            "iam:CreateServiceLinkedRole",
            "iam:DeleteServiceLinkedRole",
            "iam:GetServiceLinkedRoleDeletionStatus",
        ] {
            let c = classify(IamRole, a).unwrap();
            assert!(c.applies_to(slr) && !c.applies_to(ordinary), "{a}");
        }
        let delete = classify(IamRole, "iam:DeleteRole").unwrap();
        assert!(delete.applies_to(slr) && delete.applies_to(ordinary));
        assert!(!is_service_linked_role(
            "arn:aws:iam::111122223333:role/x/aws-service-role/y"
        ));
    }

    #[test]
    fn s3_judgement_calls() {
        assert_eq!(caps(S3Bucket, "s3:PutBucketPolicy"), [AdministerResource]);
        assert_eq!(caps(S3Bucket, "s3:PutBucketAcl"), [AdministerResource]);
        assert_eq!(caps(S3Bucket, "s3:GetBucketPolicy"), [ReadConfig]);
        assert_eq!(caps(S3Bucket, "s3:GetObjectAcl"), [ReadConfig]);
        // S3 refuses to delete a bucket that still holds objects.
        assert_eq!(caps(S3Bucket, "s3:DeleteBucket"), [AdministerResource]);
        // Listing keys is a lesser read of its own (issue 18: auditors tripped max-principals).
        for list in [
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
        ] {
            assert_eq!(caps(S3Bucket, list), [ListData], "{list}");
        }
        assert_eq!(caps(S3Bucket, "s3:DeleteObject"), [DeleteData]);
        let get = classify(S3Bucket, "s3:GetObject");
        assert_eq!(
            get.map(|a| (a.capabilities.as_slice(), a.target.as_str())),
            Some((&[ReadData][..], "object"))
        );
        assert_eq!(
            classify(S3Bucket, "s3:ListBucket").map(|a| a.target.as_str()),
            Some("bucket")
        );
        assert!(exclusion(S3Bucket, "s3:ListAllMyBuckets").is_some());
        assert!(exclusion(S3Bucket, "s3:PutAccessPointPolicy").is_some());
    }

    #[test]
    fn kms_crypto_is_use_and_create_grant_also_administers() {
        for op in [
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:ReEncryptFrom",
            "kms:Sign",
            "kms:Verify",
        ] {
            assert_eq!(caps(KmsKey, op), [UseResource], "{op}");
        }
        assert_eq!(
            caps(KmsKey, "kms:CreateGrant"),
            [AdministerResource, UseResource]
        );
        assert_eq!(caps(KmsKey, "kms:PutKeyPolicy"), [AdministerResource]);
        assert_eq!(
            caps(KmsKey, "kms:ScheduleKeyDeletion"),
            [AdministerResource]
        );
        assert!(
            actions_for(KmsKey)
                .iter()
                .all(|a| !a.capabilities.iter().any(|c| c.is_data())),
            "a key holds no data"
        );
        assert!(exclusion(KmsKey, "kms:CreateKey").is_some());
    }

    #[test]
    fn dynamodb_export_reads_data_and_delete_table_deletes_it() {
        assert_eq!(
            caps(DynamoDbTable, "dynamodb:ExportTableToPointInTime"),
            [ReadData]
        );
        assert_eq!(
            caps(DynamoDbTable, "dynamodb:DeleteTable"),
            [AdministerResource, DeleteData]
        );
        assert_eq!(
            caps(DynamoDbTable, "dynamodb:BatchWriteItem"),
            [WriteData, DeleteData]
        );
        let query = classify(DynamoDbTable, "dynamodb:Query");
        assert_eq!(
            query.map(|a| a.also_targets.clone()),
            Some(vec!["index".to_string()])
        );
        assert_eq!(
            classify(DynamoDbTable, "dynamodb:GetRecords").map(|a| a.target.as_str()),
            Some("stream")
        );
    }

    #[test]
    fn queue_topic_and_secret_judgement_calls() {
        assert_eq!(caps(SqsQueue, "sqs:PurgeQueue"), [DeleteData]);
        assert_eq!(
            caps(SqsQueue, "sqs:DeleteQueue"),
            [AdministerResource, DeleteData]
        );
        assert_eq!(caps(SqsQueue, "sqs:ReceiveMessage"), [ReadData]);
        assert_eq!(caps(SnsTopic, "sns:Publish"), [WriteData]);
        assert_eq!(caps(SnsTopic, "sns:Subscribe"), [ReadData]);
        assert_eq!(
            caps(SecretsManagerSecret, "secretsmanager:GetSecretValue"),
            [ReadData]
        );
        assert_eq!(
            caps(SecretsManagerSecret, "secretsmanager:PutSecretValue"),
            [WriteData]
        );
        assert!(exclusion(SecretsManagerSecret, "secretsmanager:BatchGetSecretValue").is_some());
    }

    #[test]
    fn roles_and_functions_are_used_by_assuming_passing_and_invoking() {
        for a in [
            "sts:AssumeRole",
            "sts:AssumeRoleWithSAML",
            "sts:AssumeRoleWithWebIdentity",
            "iam:PassRole",
        ] {
            assert_eq!(caps(IamRole, a), [UseResource], "{a}");
        }
        assert_eq!(
            caps(IamRole, "iam:UpdateAssumeRolePolicy"),
            [AdministerResource]
        );
        assert!(exclusion(IamRole, "sts:TagSession").is_some());
        assert!(exclusion(IamRole, "iam:CreateUser").is_some());
        assert_eq!(services(IamRole), ["iam", "sts"]);
        assert_eq!(caps(LambdaFunction, "lambda:InvokeFunction"), [UseResource]);
        assert_eq!(
            caps(LambdaFunction, "lambda:UpdateFunctionCode"),
            [AdministerResource]
        );
        assert_eq!(caps(LambdaFunction, "lambda:GetFunction"), [ReadConfig]);
    }

    #[test]
    fn request_resource_examples() {
        let bucket = "arn:aws:s3:::my-bucket";
        assert_eq!(request_resource(S3Bucket, bucket, "bucket"), bucket);
        assert_eq!(
            request_resource(S3Bucket, bucket, "object"),
            "arn:aws:s3:::my-bucket/*"
        );
        let table = "arn:aws:dynamodb:eu-west-1:111122223333:table/Orders";
        assert_eq!(request_resource(DynamoDbTable, table, "table"), table);
        assert_eq!(
            request_resource(DynamoDbTable, table, "index"),
            format!("{table}/index/*")
        );
        assert_eq!(
            request_resource(DynamoDbTable, table, "stream"),
            format!("{table}/stream/*")
        );
        let function = "arn:aws:lambda:eu-west-1:111122223333:function:resize";
        assert_eq!(
            request_resource(LambdaFunction, function, "function"),
            function
        );
        assert_eq!(
            request_resource(LambdaFunction, function, "function version"),
            format!("{function}:*")
        );
        assert_eq!(
            request_resource(LambdaFunction, function, "durable execution"),
            format!("{function}:*/durable-execution/*")
        );
        let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(request_resource(KmsKey, key, "key"), key);
        let role = "arn:aws:iam::111122223333:role/service/app";
        assert_eq!(request_resource(IamRole, role, "role"), role);
        // A target of another kind is not reinterpreted.
        assert_eq!(request_resource(KmsKey, key, "object"), key);
    }

    #[test]
    fn request_resources_cover_indexes_and_qualified_functions() {
        let table = "arn:aws:dynamodb:eu-west-1:111122223333:table/Orders";
        let query = classify(DynamoDbTable, "dynamodb:Query").unwrap_or_else(|| panic!("Query"));
        assert_eq!(
            request_resources(DynamoDbTable, table, query),
            [table.to_string(), format!("{table}/index/*")]
        );
        let get = classify(DynamoDbTable, "dynamodb:GetItem").unwrap_or_else(|| panic!("GetItem"));
        assert_eq!(request_resources(DynamoDbTable, table, get), [table]);
        let function = "arn:aws:lambda:eu-west-1:111122223333:function:resize";
        let invoke =
            classify(LambdaFunction, "lambda:InvokeFunction").unwrap_or_else(|| panic!("Invoke"));
        assert_eq!(
            request_resources(LambdaFunction, function, invoke),
            [function.to_string(), format!("{function}:*")]
        );
        let pc = classify(LambdaFunction, "lambda:GetProvisionedConcurrencyConfig")
            .unwrap_or_else(|| panic!("PC"));
        assert_eq!(
            request_resources(LambdaFunction, function, pc),
            [format!("{function}:*")]
        );
    }

    #[test]
    fn every_kind_reads_its_own_file() {
        for (kind, file, text) in SOURCES {
            assert!(
                text.contains(&format!("kind = \"{}\"", kind.type_name())),
                "{file}"
            );
        }
        let order: Vec<ResourceKind> = SOURCES.iter().map(|(k, _, _)| *k).collect();
        assert_eq!(order, ResourceKind::ALL);
    }
}
