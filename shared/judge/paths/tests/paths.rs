//! Transitive access on small hand-built accounts: one test per path kind of the
//! checklist (PMapper, iam-vulnerable, Rhino Security Labs), each with a control
//! principal that looks similar and cannot escalate (no false "can become").

// Test code throughout (clippy's test exemptions for unwrap/expect/panic reach helpers too).
#![cfg(test)]

use accessdrift_access::{Access, Line, Row, effective_access};
use accessdrift_paths::ask::{Asker, Target};
use accessdrift_paths::{
    Closure, Edge, EdgeKind, GainKind, TransitiveRow, closure, edges, transitive_rows,
};
use accessdrift_snapshot::Snapshot;
use serde_json::{Value, json};

const A: &str = "111111111111";

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:role/{name}")
}

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:user/{name}")
}

fn group_arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:group/{name}")
}

fn policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:policy/{name}")
}

fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:{A}:function:{name}")
}

const VAULT: &str = "arn:aws:s3:::vault";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(actions: &[&str], resources: &[&str]) -> Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": resources})
}

/// A trust policy letting the `AWS` principals assume the role.
fn trusts(principals: &[&str]) -> Value {
    doc(json!([{"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]))
}

/// A trust policy letting a service assume the role.
fn trusts_service(service: &str) -> Value {
    doc(json!([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]))
}

/// Reads the vault bucket.
fn reads_vault() -> Value {
    allow(&["s3:GetObject"], &["arn:aws:s3:::vault/*"])
}

/// One principal or group as the authorization details list it.
#[derive(Default)]
struct Entity {
    statements: Vec<Value>,
    managed: Vec<String>,
    boundary: Option<String>,
    groups: Vec<String>,
    trust: Option<Value>,
}

impl Entity {
    fn with(statements: Vec<Value>) -> Entity {
        Entity {
            statements,
            ..Default::default()
        }
    }
    fn trust(mut self, trust: Value) -> Entity {
        self.trust = Some(trust);
        self
    }
    fn managed(mut self, policy: &str) -> Entity {
        self.managed.push(policy_arn(policy));
        self
    }
    fn boundary(mut self, policy: &str) -> Entity {
        self.boundary = Some(policy_arn(policy));
        self
    }
    fn in_group(mut self, group: &str) -> Entity {
        self.groups.push(group.to_string());
        self
    }
}

#[derive(Default)]
struct Account {
    roles: Vec<Value>,
    users: Vec<Value>,
    groups: Vec<Value>,
    policies: Vec<Value>,
    resources: Vec<Value>,
    organization: Option<Value>,
}

fn entity_json(kind: &str, name: &str, e: Entity) -> Value {
    let (name_key, id_key, list_key, arn, id) = match kind {
        "user" => (
            "UserName",
            "UserId",
            "UserPolicyList",
            user_arn(name),
            "AIDA",
        ),
        "group" => (
            "GroupName",
            "GroupId",
            "GroupPolicyList",
            group_arn(name),
            "AGPA",
        ),
        _ => (
            "RoleName",
            "RoleId",
            "RolePolicyList",
            role_arn(name),
            "AROA",
        ),
    };
    let mut v = json!({
        name_key: name, id_key: format!("{id}{}", name.to_uppercase()), "Arn": arn, "Path": "/",
        list_key: if e.statements.is_empty() { json!([]) } else { json!([{"PolicyName": "inline", "PolicyDocument": doc(Value::Array(e.statements))}]) },
        "AttachedManagedPolicies": e.managed.iter().map(|m| json!({"PolicyArn": m})).collect::<Vec<_>>(),
    });
    if kind == "user" {
        v["GroupList"] = json!(e.groups);
    }
    if kind == "role" {
        v["AssumeRolePolicyDocument"] = e
            .trust
            .unwrap_or_else(|| trusts_service("ec2.amazonaws.com"));
    }
    if let Some(b) = e.boundary {
        v["PermissionsBoundary"] =
            json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": b});
    }
    v
}

impl Account {
    fn role(mut self, name: &str, e: Entity) -> Account {
        self.roles.push(entity_json("role", name, e));
        self
    }
    fn user(mut self, name: &str, e: Entity) -> Account {
        self.users.push(entity_json("user", name, e));
        self
    }
    fn group(mut self, name: &str, e: Entity) -> Account {
        self.groups.push(entity_json("group", name, e));
        self
    }
    fn policy(mut self, name: &str, statements: Vec<Value>) -> Account {
        self.policies.push(json!({
            "PolicyName": name, "Arn": policy_arn(name), "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": doc(Value::Array(statements)), "VersionId": "v1", "IsDefaultVersion": true}],
        }));
        self
    }
    fn vault(mut self) -> Account {
        self.resources
            .push(json!({"arn": VAULT, "type": "AWS::S3::Bucket", "tags": {}}));
        self
    }
    /// An Organization whose SCPs deny everything but IAM and STS outside `region`.
    fn only_region(mut self, region: &str) -> Account {
        let full =
            json!({"name": "FullAWSAccess", "document": doc(json!([allow(&["*"], &["*"])]))});
        let regions = json!({"name": "DenyRegions", "document": doc(json!([{
            "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": [region]}}}]))});
        self.organization = Some(json!({
            "id": "o-a1b2c3d4e5", "managementAccountId": "999999999999", "path": ["r-ab12"],
            "scp": [{"level": "r-ab12", "policies": [full.clone()]},
                    {"level": A, "policies": [full, regions]}],
        }));
        self
    }
    fn function(self, name: &str, role: Option<&str>) -> Account {
        self.function_in("us-east-1", name, role)
    }
    fn function_in(mut self, region: &str, name: &str, role: Option<&str>) -> Account {
        let arn = format!("arn:aws:lambda:{region}:{A}:function:{name}");
        let mut f = json!({"arn": arn, "type": "AWS::Lambda::Function", "tags": {}});
        if let Some(r) = role {
            f["settings"] = json!({"Role": role_arn(r)});
        }
        self.resources.push(f);
        self
    }
    fn build(self) -> World {
        let text = json!({
            "accountId": A,
            "authorizationDetails": {"UserDetailList": self.users, "GroupDetailList": self.groups, "RoleDetailList": self.roles, "Policies": self.policies},
            "resources": self.resources,
        })
        .to_string();
        let text = match self.organization {
            None => text,
            Some(org) => {
                let mut v: Value = serde_json::from_str(&text).unwrap();
                v["organization"] = org;
                v.to_string()
            }
        };
        let snapshot = accessdrift_snapshot::read_snapshot(&text).expect("the fixture reads");
        assert!(
            snapshot.problems.is_empty(),
            "fixture problems: {:?}",
            snapshot.problems
        );
        let mut rows = Vec::new();
        effective_access(&snapshot, &Default::default(), |l| {
            if let Line::Row(r) = l {
                rows.push(r);
            }
        });
        let edges = edges(&snapshot, &rows);
        let closure = closure(edges.clone());
        World {
            snapshot,
            rows,
            edges,
            closure,
        }
    }
}

struct World {
    snapshot: Snapshot,
    rows: Vec<Row>,
    edges: Vec<Edge>,
    closure: Closure,
}

impl World {
    fn edge(&self, kind: EdgeKind, from: &str, to: &str) -> Option<&Edge> {
        self.edges
            .iter()
            .find(|e| e.kind == kind && &*e.from == from && &*e.to == to)
    }
    fn expect_edge(&self, kind: EdgeKind, from: &str, to: &str) -> &Edge {
        self.edge(kind, from, to)
            .unwrap_or_else(|| panic!("no {kind} edge {from} -> {to}; edges: {:#?}", self.edges))
    }
    fn edges_from(&self, from: &str) -> Vec<&Edge> {
        self.edges.iter().filter(|e| &*e.from == from).collect()
    }
    /// Whom `from` can become.
    fn becomes(&self, from: &str) -> Vec<String> {
        self.closure
            .paths_from(from)
            .into_iter()
            .map(|(to, _)| to.to_string())
            .collect()
    }
    fn gained(&self) -> Vec<TransitiveRow<'_>> {
        transitive_rows(&self.rows, &self.closure)
    }
    /// Whether `principal` gains read-data on the vault through a path.
    fn gains_vault(&self, principal: &str) -> Option<Access> {
        self.gained()
            .into_iter()
            .find(|r| {
                r.principal == principal
                    && &*r.row.resource == VAULT
                    && r.row.capability.as_str() == "read-data"
            })
            .map(|r| r.access)
    }
    /// No path and no gain: `principal` can become nobody and rewrites nothing usable.
    fn assert_cannot_escalate(&self, principal: &str) {
        assert_eq!(self.becomes(principal), Vec::<String>::new(), "{principal}");
        assert!(
            self.closure.gains(principal).is_empty(),
            "{principal}: {:#?}",
            self.closure.gains(principal)
        );
        assert_eq!(self.gains_vault(principal), None, "{principal}");
    }
}

/// IAM UG, "Granting a user permissions to switch roles": the caller's identity policy
/// and the role's trust policy must both allow; the caller then holds the role's rows.
#[test]
fn assume_same_account_becomes_the_role_and_inherits_its_rows() {
    let w = Account::default()
        .vault()
        .role(
            "admin",
            Entity::with(vec![reads_vault()]).trust(trusts(&[&role_arn("dev")])),
        )
        .role(
            "dev",
            Entity::with(vec![allow(&["sts:AssumeRole"], &[&role_arn("admin")])]),
        )
        // Control: the same identity policy, but the trust does not name it.
        .role(
            "dev2",
            Entity::with(vec![allow(&["sts:AssumeRole"], &[&role_arn("admin")])]),
        )
        .build();
    let e = w.expect_edge(EdgeKind::Assume, &role_arn("dev"), &role_arn("admin"));
    assert_eq!(e.access, Access::Allowed);
    assert_eq!(e.actions, ["sts:AssumeRole"]);
    assert!(
        e.grants.iter().any(|g| g.policy == "inline:dev/inline"),
        "{:?}",
        e.grants
    );
    assert!(e.grants.iter().any(|g| g.policy == "resource"));
    assert_eq!(w.gains_vault(&role_arn("dev")), Some(Access::Allowed));
    let gained = w.gained();
    let r = gained
        .iter()
        .find(|r| r.principal == role_arn("dev") && &*r.row.resource == VAULT)
        .unwrap();
    assert_eq!(r.via.len(), 1);
    assert_eq!(r.via[0].action(), "sts:AssumeRole");
    assert_eq!(&*r.row.principal, role_arn("admin"));
    w.assert_cannot_escalate(&role_arn("dev2"));
}

/// IAM UG, "Cross-account policy evaluation logic": a trust naming another account's
/// role gives that role an edge, Conditional on its own account's identity policies.
#[test]
fn assume_cross_account_is_conditional_on_the_other_account() {
    let partner = "arn:aws:iam::222222222222:role/partner";
    let other = "arn:aws:iam::333333333333:role/partner";
    let w = Account::default()
        .vault()
        .role(
            "vendor-access",
            Entity::with(vec![reads_vault()]).trust(trusts(&[partner])),
        )
        // Control: a role trusting only its own account's root.
        .role(
            "internal-only",
            Entity::with(vec![reads_vault()]).trust(trusts(&[&format!("arn:aws:iam::{A}:root")])),
        )
        .build();
    let e = w.expect_edge(EdgeKind::Assume, partner, &role_arn("vendor-access"));
    assert_eq!(e.access, Access::Conditional);
    assert!(
        e.requires.iter().any(|r| r.contains("222222222222")),
        "{e:?}"
    );
    assert_eq!(w.becomes(partner), [role_arn("vendor-access")]);
    assert_eq!(w.gains_vault(partner), Some(Access::Conditional));
    assert!(
        w.edge(EdgeKind::Assume, partner, &role_arn("internal-only"))
            .is_none()
    );
    assert!(w.edges_from(other).is_empty());
    assert_eq!(w.becomes(other), Vec::<String>::new());
}

/// IAM UG, "Configure MFA-protected API access" and "The confused deputy problem"
/// (sts:ExternalId): the edge holds only under the request-time condition. The caller
/// also holds iam:PassRole on the role, so its use-resource row is Allowed: the edge must
/// still be Conditional (asked for sts:AssumeRole alone).
#[test]
fn assume_that_needs_mfa_or_an_external_id_is_conditional() {
    let mfa_trust = doc(json!([{
        "Effect": "Allow", "Principal": {"AWS": user_arn("alice")}, "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    }]));
    let external_id_trust = doc(json!([{
        "Effect": "Allow", "Principal": {"AWS": role_arn("broker")}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "s3cr3t"}}
    }]));
    let w = Account::default()
        .vault()
        .role(
            "mfa-admin",
            Entity::with(vec![reads_vault()]).trust(mfa_trust),
        )
        .role(
            "partner-gate",
            Entity::with(vec![reads_vault()]).trust(external_id_trust),
        )
        .user(
            "alice",
            Entity::with(vec![allow(&["sts:AssumeRole", "iam:PassRole"], &["*"])]),
        )
        .role(
            "broker",
            Entity::with(vec![allow(&["sts:AssumeRole"], &["*"])]),
        )
        // Control: the same identity policy; no trust names it.
        .user(
            "bob",
            Entity::with(vec![allow(&["sts:AssumeRole", "iam:PassRole"], &["*"])]),
        )
        .build();
    let row = w
        .rows
        .iter()
        .find(|r| *r.principal == *user_arn("alice") && *r.resource == *role_arn("mfa-admin"))
        .unwrap();
    assert_eq!(
        row.access,
        Access::Allowed,
        "the row holds through PassRole"
    );
    let e = w.expect_edge(EdgeKind::Assume, &user_arn("alice"), &role_arn("mfa-admin"));
    assert_eq!(e.access, Access::Conditional);
    assert!(
        e.conditions
            .iter()
            .any(|c| c.to_string().contains("MultiFactorAuthPresent")),
        "{e:?}"
    );
    assert_eq!(w.gains_vault(&user_arn("alice")), Some(Access::Conditional));
    let e = w.expect_edge(
        EdgeKind::Assume,
        &role_arn("broker"),
        &role_arn("partner-gate"),
    );
    assert_eq!(e.access, Access::Conditional);
    assert!(
        e.conditions
            .iter()
            .any(|c| c.to_string().contains("sts:ExternalId"))
    );
    w.assert_cannot_escalate(&user_arn("bob"));
}

/// iam-vulnerable PassExistingRoleToNewLambdaThenInvoke, Rhino method 15: PassRole on
/// a role Lambda may assume, CreateFunction and InvokeFunction run code as the role.
#[test]
fn pass_role_to_a_new_lambda_function_becomes_the_role() {
    let any_function = format!("arn:aws:lambda:*:{A}:function:*");
    let w = Account::default()
        .vault()
        .role(
            "lambda-exec",
            Entity::with(vec![reads_vault()]).trust(trusts_service("lambda.amazonaws.com")),
        )
        .role(
            "ci",
            Entity::with(vec![
                allow(&["iam:PassRole"], &[&role_arn("lambda-exec")]),
                allow(&["lambda:CreateFunction", "lambda:InvokeFunction"], &[&any_function]),
            ]),
        )
        // Controls: no way to run the function; PassRole only to EC2.
        .role(
            "ci-no-invoke",
            Entity::with(vec![
                allow(&["iam:PassRole"], &[&role_arn("lambda-exec")]),
                allow(&["lambda:CreateFunction"], &[&any_function]),
            ]),
        )
        .role(
            "ci-ec2-only",
            Entity::with(vec![
                json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn("lambda-exec"),
                       "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}),
                allow(&["lambda:CreateFunction", "lambda:InvokeFunction"], &[&any_function]),
            ]),
        )
        .build();
    let e = w.expect_edge(
        EdgeKind::PassRole,
        &role_arn("ci"),
        &role_arn("lambda-exec"),
    );
    assert_eq!(e.access, Access::Allowed, "{e:?}");
    assert_eq!(
        e.actions,
        [
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction"
        ]
    );
    assert_eq!(w.gains_vault(&role_arn("ci")), Some(Access::Allowed));
    w.assert_cannot_escalate(&role_arn("ci-no-invoke"));
    w.assert_cannot_escalate(&role_arn("ci-ec2-only"));
}

/// iam-vulnerable PassExistingRoleToNewEC2, Rhino method 3: the instance serves the
/// role's credentials; Conditional, because the snapshot keeps no instance profiles.
#[test]
fn pass_role_to_a_new_ec2_instance_is_conditional_on_an_instance_profile() {
    let instances = format!("arn:aws:ec2:*:{A}:instance/*");
    let w = Account::default()
        .vault()
        .role(
            "ec2-app",
            Entity::with(vec![reads_vault()]).trust(trusts_service("ec2.amazonaws.com")),
        )
        .role(
            "fn-app",
            Entity::with(vec![reads_vault()]).trust(trusts_service("lambda.amazonaws.com")),
        )
        .user(
            "ops",
            Entity::with(vec![
                allow(&["iam:PassRole"], &[&role_arn("ec2-app")]),
                allow(&["ec2:RunInstances"], &[&instances]),
            ]),
        )
        // Control: the same, but the role it may pass trusts only Lambda.
        .user(
            "ops2",
            Entity::with(vec![
                allow(&["iam:PassRole"], &[&role_arn("fn-app")]),
                allow(&["ec2:RunInstances"], &[&instances]),
            ]),
        )
        .build();
    let e = w.expect_edge(EdgeKind::PassRole, &user_arn("ops"), &role_arn("ec2-app"));
    assert_eq!(e.access, Access::Conditional);
    assert!(
        e.requires.iter().any(|r| r.contains("instance profile")),
        "{e:?}"
    );
    assert_eq!(w.gains_vault(&user_arn("ops")), Some(Access::Conditional));
    w.assert_cannot_escalate(&user_arn("ops2"));
}

/// iam-vulnerable CreateNewPolicyVersion, Rhino method 1: a new default version of a
/// policy attached to a role the writer can assume makes it administrator-equivalent.
/// Writing the policy of a role one cannot use gains nothing.
#[test]
fn create_policy_version_on_a_policy_of_an_assumable_role_is_administrator_equivalence() {
    let w = Account::default()
        .policy("ops-policy", vec![allow(&["s3:ListAllMyBuckets"], &["*"])])
        .role(
            "admin",
            Entity::default()
                .managed("ops-policy")
                .trust(trusts(&[&user_arn("pat")])),
        )
        .user(
            "pat",
            Entity::with(vec![
                allow(&["iam:CreatePolicyVersion"], &[&policy_arn("ops-policy")]),
                allow(&["sts:AssumeRole"], &[&role_arn("admin")]),
            ]),
        )
        // Control: may write the policy but cannot act as the role.
        .user(
            "sam",
            Entity::with(vec![allow(
                &["iam:CreatePolicyVersion"],
                &[&policy_arn("ops-policy")],
            )]),
        )
        .build();
    let e = w.expect_edge(EdgeKind::PolicyWrite, &user_arn("pat"), &role_arn("admin"));
    assert_eq!(&*e.on, policy_arn("ops-policy"));
    assert_eq!(e.actions, ["iam:CreatePolicyVersion"]);
    let gain = w
        .closure
        .administrator(&user_arn("pat"))
        .expect("pat is admin-equivalent");
    assert_eq!(gain.access, Access::Allowed);
    let kinds: Vec<EdgeKind> = gain.steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [EdgeKind::PolicyWrite, EdgeKind::Assume]);
    // sam may rewrite the role's permissions, but nobody can both write them and act
    // as the role: the control edge is left out.
    assert!(w.edges_from(&user_arn("sam")).is_empty(), "{:#?}", w.edges);
    w.assert_cannot_escalate(&user_arn("sam"));
}

/// iam-vulnerable PutUserPolicy, Rhino method 12: a user who may write its own inline
/// policy is administrator-equivalent; one who may write another user's is not.
#[test]
fn put_user_policy_on_self_is_administrator_equivalence() {
    let w = Account::default()
        .user(
            "eve",
            Entity::with(vec![allow(
                &["iam:PutUserPolicy"],
                &[&format!("arn:aws:iam::{A}:user/${{aws:username}}")],
            )]),
        )
        // Control: may write someone else's policy and only read its own.
        .user(
            "frank",
            Entity::with(vec![
                allow(&["iam:PutUserPolicy"], &[&user_arn("eve")]),
                allow(&["iam:GetUserPolicy"], &[&user_arn("frank")]),
            ]),
        )
        .build();
    let e = w.expect_edge(EdgeKind::PolicyWrite, &user_arn("eve"), &user_arn("eve"));
    assert_eq!(e.access, Access::Allowed);
    let gain = w.closure.administrator(&user_arn("eve")).expect("eve");
    assert_eq!(gain.steps.len(), 1);
    assert!(w.edges_from(&user_arn("frank")).is_empty());
    w.assert_cannot_escalate(&user_arn("frank"));
}

/// iam-vulnerable AttachRolePolicy, Rhino method 9: attaching a policy to a role the
/// caller can assume; the control may attach but not assume.
#[test]
fn attach_role_policy_on_another_role_counts_only_when_the_role_can_be_assumed() {
    let w = Account::default()
        .role(
            "worker",
            Entity::default().trust(trusts(&[&role_arn("builder")])),
        )
        .role(
            "builder",
            Entity::with(vec![allow(
                &["iam:AttachRolePolicy", "sts:AssumeRole"],
                &[&role_arn("worker")],
            )]),
        )
        .role(
            "builder2",
            Entity::with(vec![allow(
                &["iam:AttachRolePolicy", "sts:AssumeRole"],
                &[&role_arn("worker")],
            )]),
        )
        .build();
    let gain = w
        .closure
        .administrator(&role_arn("builder"))
        .expect("builder");
    let kinds: Vec<EdgeKind> = gain.steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [EdgeKind::PolicyWrite, EdgeKind::Assume]);
    assert!(w.edges_from(&role_arn("builder2")).is_empty());
    assert!(
        w.closure
            .path(&role_arn("builder2"), &role_arn("worker"))
            .is_none()
    );
    w.assert_cannot_escalate(&role_arn("builder2"));
}

/// iam-vulnerable AddUserToGroup, Rhino method 10: AddUserToGroup is authorized against
/// the group only, so a user may add itself. A member gains nothing by it; a role with
/// the same permission has no user to add that it can act as.
#[test]
fn add_user_to_group_gains_the_group_for_a_user_the_caller_is() {
    let w = Account::default()
        .group("admins", Entity::with(vec![reads_vault()]))
        .vault()
        .user(
            "gina",
            Entity::with(vec![allow(
                &["iam:AddUserToGroup"],
                &[&group_arn("admins")],
            )]),
        )
        // Controls: already a member; a role (not a user); a lookalike permission.
        .user(
            "hank",
            Entity::with(vec![allow(
                &["iam:AddUserToGroup"],
                &[&group_arn("admins")],
            )])
            .in_group("admins"),
        )
        .role(
            "robot",
            Entity::with(vec![allow(
                &["iam:AddUserToGroup"],
                &[&group_arn("admins")],
            )]),
        )
        .user(
            "ivan",
            Entity::with(vec![allow(
                &["iam:RemoveUserFromGroup"],
                &[&group_arn("admins")],
            )]),
        )
        .build();
    let e = w.expect_edge(EdgeKind::GroupJoin, &user_arn("gina"), &user_arn("gina"));
    assert_eq!(&*e.on, group_arn("admins"));
    let gains = w.closure.gains(&user_arn("gina"));
    assert_eq!(
        gains.iter().map(|g| g.kind.clone()).collect::<Vec<_>>(),
        [GainKind::GroupMember {
            user: user_arn("gina").into(),
            group: group_arn("admins").into()
        }]
    );
    assert!(
        w.edge(EdgeKind::GroupJoin, &user_arn("hank"), &user_arn("hank"))
            .is_none()
    );
    w.assert_cannot_escalate(&user_arn("hank"));
    w.assert_cannot_escalate(&role_arn("robot"));
    w.assert_cannot_escalate(&user_arn("ivan"));
    assert!(w.edges_from(&user_arn("ivan")).is_empty());
}

/// PMapper iam edges, iam-vulnerable CreateAccessKey: a key of another user signs as
/// that user. Listing its keys does not.
#[test]
fn create_access_key_on_another_user_becomes_that_user() {
    let w = Account::default()
        .vault()
        .user("kate", Entity::with(vec![reads_vault()]))
        .user(
            "jack",
            Entity::with(vec![allow(
                &["iam:CreateAccessKey"],
                &[&user_arn("kate"), &user_arn("jack")],
            )]),
        )
        .user(
            "leo",
            Entity::with(vec![allow(&["iam:ListAccessKeys"], &[&user_arn("kate")])]),
        )
        .build();
    let e = w.expect_edge(EdgeKind::Credential, &user_arn("jack"), &user_arn("kate"));
    assert_eq!(e.access, Access::Allowed);
    assert_eq!(e.actions, ["iam:CreateAccessKey"]);
    // A key of one's own is not a path anywhere.
    assert!(
        w.edge(EdgeKind::Credential, &user_arn("jack"), &user_arn("jack"))
            .is_none()
    );
    assert_eq!(w.gains_vault(&user_arn("jack")), Some(Access::Allowed));
    w.assert_cannot_escalate(&user_arn("leo"));
}

/// iam-vulnerable UpdateAssumeRolePolicy, Rhino method 14: the caller rewrites the trust
/// to name itself. For a role caller the boundary still limits a trust naming the role
/// (IAM UG, "Policy evaluation logic"), so a role whose boundary does not allow
/// sts:AssumeRole cannot use the rewritten trust.
#[test]
fn update_assume_role_policy_becomes_the_role_unless_the_boundary_stops_the_assume() {
    let w = Account::default()
        .vault()
        .policy("no-sts", vec![allow(&["iam:*"], &["*"])])
        .role("vault-reader", Entity::with(vec![reads_vault()]))
        .user(
            "mia",
            Entity::with(vec![allow(
                &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
                &[&role_arn("vault-reader")],
            )]),
        )
        .role(
            "fenced",
            Entity::with(vec![allow(
                &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
                &[&role_arn("vault-reader")],
            )])
            .boundary("no-sts"),
        )
        .user(
            "ned",
            Entity::with(vec![allow(&["iam:GetRole"], &[&role_arn("vault-reader")])]),
        )
        .build();
    let e = w.expect_edge(
        EdgeKind::TrustWrite,
        &user_arn("mia"),
        &role_arn("vault-reader"),
    );
    assert_eq!(e.access, Access::Allowed);
    assert_eq!(e.actions, ["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"]);
    assert_eq!(w.gains_vault(&user_arn("mia")), Some(Access::Allowed));
    w.assert_cannot_escalate(&role_arn("fenced"));
    w.assert_cannot_escalate(&user_arn("ned"));
}

/// PMapper lambda edges, iam-vulnerable UpdateExistingFunctionCode: new code runs with
/// the function's role; Allowed when the caller may also invoke it.
#[test]
fn update_function_code_becomes_the_execution_role() {
    let w = Account::default()
        .vault()
        .role(
            "payments-exec",
            Entity::with(vec![reads_vault()]).trust(trusts_service("lambda.amazonaws.com")),
        )
        .function("payments", Some("payments-exec"))
        .function("unknown-role", None)
        .user(
            "dana",
            Entity::with(vec![allow(
                &["lambda:UpdateFunctionCode", "lambda:InvokeFunction"],
                &[&function_arn("payments"), &function_arn("unknown-role")],
            )]),
        )
        .user(
            "otto",
            Entity::with(vec![allow(
                &["lambda:UpdateFunctionCode"],
                &[&function_arn("payments")],
            )]),
        )
        // Control: reads the function's configuration only.
        .user(
            "quinn",
            Entity::with(vec![allow(
                &["lambda:GetFunction"],
                &[&function_arn("payments")],
            )]),
        )
        .build();
    let e = w.expect_edge(
        EdgeKind::CodeWrite,
        &user_arn("dana"),
        &role_arn("payments-exec"),
    );
    assert_eq!(e.access, Access::Allowed);
    assert_eq!(&*e.on, function_arn("payments"));
    assert_eq!(
        w.edges_from(&user_arn("dana")).len(),
        1,
        "no edge through a function without a recorded role"
    );
    let e = w.expect_edge(
        EdgeKind::CodeWrite,
        &user_arn("otto"),
        &role_arn("payments-exec"),
    );
    assert_eq!(
        e.access,
        Access::Conditional,
        "cannot invoke it: its triggers must run it"
    );
    assert_eq!(w.gains_vault(&user_arn("dana")), Some(Access::Allowed));
    w.assert_cannot_escalate(&user_arn("quinn"));
}

/// IAM UG, "Permissions boundaries for IAM entities": removing one's own boundary gains
/// what the identity policies grant beyond it. A role without a boundary has none to
/// remove, and one that may remove another role's boundary but cannot act as it gains
/// nothing.
#[test]
fn removing_a_boundary_is_a_gain_only_for_a_bounded_principal_one_can_act_as() {
    let w = Account::default()
        .policy(
            "narrow",
            vec![allow(
                &["s3:ListAllMyBuckets", "iam:DeleteRolePermissionsBoundary"],
                &["*"],
            )],
        )
        .vault()
        .role(
            "bounded",
            Entity::with(vec![
                reads_vault(),
                allow(
                    &["iam:DeleteRolePermissionsBoundary"],
                    &[&role_arn("bounded")],
                ),
            ])
            .boundary("narrow"),
        )
        .role(
            "free",
            Entity::with(vec![allow(
                &["iam:DeleteRolePermissionsBoundary"],
                &[&role_arn("free")],
            )]),
        )
        .role(
            "watcher",
            Entity::with(vec![allow(
                &["iam:DeleteRolePermissionsBoundary"],
                &[&role_arn("bounded")],
            )]),
        )
        .build();
    // The boundary keeps the row away today.
    assert!(
        !w.rows
            .iter()
            .any(|r| *r.principal == *role_arn("bounded") && &*r.resource == VAULT)
    );
    assert!(
        w.rows
            .iter()
            .any(|r| *r.principal == *role_arn("bounded") && *r.resource == *role_arn("bounded"))
    );
    let gains = w.closure.gains(&role_arn("bounded"));
    assert_eq!(
        gains.iter().map(|g| g.kind.clone()).collect::<Vec<_>>(),
        [GainKind::Unbounded {
            principal: role_arn("bounded").into()
        }],
        "{gains:#?}"
    );
    assert!(w.edges_from(&role_arn("free")).is_empty());
    w.assert_cannot_escalate(&role_arn("free"));
    assert!(w.edges_from(&role_arn("watcher")).is_empty());
    w.assert_cannot_escalate(&role_arn("watcher"));
}

/// A group's policy write reaches each member, through a managed policy attached to a
/// group too; it counts for a writer that can also act as the member (here by creating
/// its access key), not for one that cannot.
#[test]
fn policy_writes_on_groups_and_group_policies_reach_every_member() {
    let writes = || {
        vec![
            allow(&["iam:PutGroupPolicy"], &[&group_arn("ops")]),
            allow(&["iam:CreatePolicyVersion"], &[&policy_arn("team")]),
        ]
    };
    let mut lead = writes();
    lead.push(allow(&["iam:CreateAccessKey"], &[&user_arn("member")]));
    let w = Account::default()
        .policy("team", vec![allow(&["s3:ListAllMyBuckets"], &["*"])])
        .group("ops", Entity::default().managed("team"))
        .user("member", Entity::default().in_group("ops"))
        .user("lead", Entity::with(lead))
        .user("lead2", Entity::with(writes()))
        .build();
    let to_member: Vec<&str> = w
        .edges_from(&user_arn("lead"))
        .iter()
        .filter(|e| e.kind == EdgeKind::PolicyWrite && *e.to == *user_arn("member"))
        .map(|e| &*e.on)
        .collect::<Vec<_>>();
    assert_eq!(to_member.len(), 2, "{:#?}", w.edges);
    assert!(to_member.contains(&group_arn("ops").as_str()));
    assert!(to_member.contains(&policy_arn("team").as_str()));
    let gain = w.closure.administrator(&user_arn("lead")).expect("lead");
    let kinds: Vec<EdgeKind> = gain.steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [EdgeKind::PolicyWrite, EdgeKind::Credential]);
    w.assert_cannot_escalate(&user_arn("lead2"));
    assert!(w.edges_from(&user_arn("lead2")).is_empty());
}

/// A chain of two hops, a cycle back, and the rows at the end.
#[test]
fn a_two_hop_chain_through_a_cycle_is_found_with_its_path() {
    let w = Account::default()
        .vault()
        .role(
            "a",
            Entity::with(vec![allow(&["sts:AssumeRole"], &["*"])]).trust(trusts(&[&role_arn("b")])),
        )
        .role(
            "b",
            Entity::with(vec![allow(&["sts:AssumeRole"], &["*"])]).trust(trusts(&[&role_arn("a")])),
        )
        .role(
            "c",
            Entity::with(vec![reads_vault()]).trust(trusts(&[&role_arn("b")])),
        )
        .build();
    assert_eq!(w.becomes(&role_arn("a")), [role_arn("b"), role_arn("c")]);
    let p = w.closure.path(&role_arn("a"), &role_arn("c")).unwrap();
    let hops: Vec<(&str, &str)> = p.steps.iter().map(|e| (&*e.from, &*e.to)).collect();
    let (a, b, c) = (role_arn("a"), role_arn("b"), role_arn("c"));
    assert_eq!(hops, [(a.as_str(), b.as_str()), (b.as_str(), c.as_str())]);
    let gained = w.gained();
    let r = gained
        .iter()
        .find(|r| r.principal == a && &*r.row.resource == VAULT)
        .unwrap();
    assert_eq!(r.via.len(), 2);
    assert_eq!(&*r.row.principal, c);
}

/// The asker builds its requests as the access engine builds its own: on every row of
/// these accounts, each action of the row is allowed when asked alone, and the row is
/// Allowed exactly when one of them is allowed outright.
#[test]
fn the_asker_agrees_with_every_row() {
    let worlds = [
        Account::default()
            .vault()
            .role("r", Entity::with(vec![reads_vault()]).trust(trusts(&[&user_arn("u")])))
            .user(
                "u",
                Entity::with(vec![
                    allow(&["sts:AssumeRole"], &["*"]),
                    json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
                ]),
            )
            .build(),
        Account::default()
            .only_region("us-east-1")
            .policy("narrow", vec![allow(&["s3:*", "iam:Get*", "iam:Put*"], &["*"])])
            .vault()
            .function("f", Some("x"))
            .role("x", Entity::with(vec![allow(&["*"], &["*"])]).boundary("narrow"))
            .user(
                "y",
                Entity::with(vec![
                    allow(&["iam:*", "s3:GetObject", "lambda:*"], &["*"]),
                    json!({"Effect": "Deny", "Action": "iam:CreateAccessKey", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
                ]),
            )
            .group("g", Entity::with(vec![allow(&["sts:AssumeRole"], &["*"])]))
            .user("z", Entity::default().in_group("g"))
            .build(),
    ];
    let mut checked = 0;
    for w in &worlds {
        let asker = Asker::new(&w.snapshot);
        for row in &w.rows {
            let Some(caller) = asker.caller(&row.principal) else {
                continue;
            };
            let res = w
                .snapshot
                .resources
                .iter()
                .find(|r| r.arn == *row.resource)
                .unwrap();
            let kind =
                accessdrift_capabilities::ResourceKind::from_type_name(&res.type_name).unwrap();
            let mut best: Option<Access> = None;
            for action in row.actions.iter() {
                let classified = accessdrift_capabilities::classify(kind, action).unwrap();
                let answer =
                    accessdrift_capabilities::request_resources(kind, &res.arn, classified)
                        .iter()
                        .filter_map(|arn| {
                            let target = Target {
                                arn,
                                account: &res.account,
                                region: Some(res.region.as_str()).filter(|r| !r.is_empty()),
                                tags: Some(&res.tags),
                                policy: res.policy.as_ref().ok().and_then(|p| p.as_deref()),
                            };
                            asker.ask(caller, action, &target, &[]).map(|a| a.access)
                        })
                        .min();
                assert!(
                    answer.is_some(),
                    "{} {} {action}: the asker denies",
                    row.principal,
                    row.resource
                );
                best = match (best, answer) {
                    (Some(b), Some(a)) => Some(b.min(a)),
                    (b, a) => b.or(a),
                };
                checked += 1;
            }
            assert_eq!(best, Some(row.access), "{} {}", row.principal, row.resource);
        }
    }
    assert!(checked >= 50, "{checked}");
}

/// Rows gained through paths: a direct row wins over the same row through a path; among
/// paths, Allowed beats Conditional, then the shorter wins; a gained row is Conditional
/// when the reached row is.
#[test]
fn gained_rows_keep_direct_rows_and_the_best_path() {
    let mfa_only = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::vault/*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}});
    let from_office = json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::vault/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}});
    let assume_any = || allow(&["sts:AssumeRole"], &["*"]);
    let mfa_trust = |who: &[String]| {
        doc(
            json!([{"Effect": "Allow", "Principal": {"AWS": who}, "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]),
        )
    };
    let w = Account::default()
        .vault()
        // `start` reads the vault itself under MFA, and can reach readers three ways.
        .role("start", Entity::with(vec![mfa_only, assume_any()]))
        .role(
            "near",
            Entity::with(vec![reads_vault(), from_office])
                .trust(mfa_trust(&[role_arn("start"), role_arn("start2")])),
        )
        .role(
            "hop",
            Entity::with(vec![assume_any()])
                .trust(trusts(&[&role_arn("start"), &role_arn("start2")])),
        )
        .role(
            "far",
            Entity::with(vec![
                reads_vault(),
                allow(&["s3:DeleteObject"], &["arn:aws:s3:::vault/*"]),
            ])
            .trust(trusts(&[&role_arn("hop")])),
        )
        // `start2` holds nothing itself.
        .role("start2", Entity::with(vec![assume_any()]))
        .build();
    // read-data for start2: through far (Allowed, two steps), not near (one step, MFA).
    let read = w
        .gained()
        .into_iter()
        .find(|r| {
            r.principal == role_arn("start2")
                && &*r.row.resource == VAULT
                && r.row.capability.as_str() == "read-data"
        })
        .unwrap();
    assert_eq!((read.access, read.via.len()), (Access::Allowed, 2));
    assert_eq!(&*read.row.principal, role_arn("far"));
    let start = role_arn("start");
    let gained: Vec<TransitiveRow<'_>> = w
        .gained()
        .into_iter()
        .filter(|r| r.principal == start && &*r.row.resource == VAULT)
        .collect();
    let by_cap = |cap: &str| gained.iter().find(|r| r.row.capability.as_str() == cap);
    // read-data: the direct (Conditional) row wins over both paths.
    assert!(by_cap("read-data").is_none(), "{gained:#?}");
    // delete-data: only through hop -> far, Allowed, two steps.
    let del = by_cap("delete-data").unwrap();
    assert_eq!((del.access, del.via.len()), (Access::Allowed, 2));
    assert_eq!(&*del.row.principal, role_arn("far"));
    // write-data: only `near` holds it, Conditional (source IP), reached under MFA.
    let write = by_cap("write-data").unwrap();
    assert_eq!((write.access, write.via.len()), (Access::Conditional, 1));
    assert_eq!(write.via[0].access, Access::Conditional);
    // Every gained row's path starts at the principal and ends at the row's holder.
    for r in w.gained() {
        assert_eq!(r.via.first().map(|s| &*s.from), Some(r.principal));
        assert_eq!(r.via.last().map(|s| &*s.to), Some(&*r.row.principal));
    }
}

/// IAM UG, "Create a role for OpenID Connect federation": a trust naming an identity
/// provider is an entry point from outside; conditions on the token's claims make it
/// Conditional, none make it open to whoever the provider vouches for. A service in a
/// trust is where pass-role leads, never the start of a path.
#[test]
fn a_trust_naming_an_identity_provider_is_an_entry_point() {
    let github = format!("arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com");
    let oidc_trust = |condition: Option<Value>| {
        let mut st = json!({"Effect": "Allow", "Principal": {"Federated": github},
            "Action": "sts:AssumeRoleWithWebIdentity"});
        if let Some(c) = condition {
            st["Condition"] = c;
        }
        doc(json!([st]))
    };
    let w = Account::default()
        .vault()
        .role(
            "gh-deploy",
            Entity::with(vec![reads_vault()]).trust(oidc_trust(Some(json!({"StringLike":
                {"token.actions.githubusercontent.com:sub": "repo:example/app:*"}})))),
        )
        .role(
            "gh-open",
            Entity::with(vec![reads_vault()]).trust(oidc_trust(None)),
        )
        .role(
            "fn-only",
            Entity::with(vec![reads_vault()]).trust(trusts_service("lambda.amazonaws.com")),
        )
        .build();
    let e = w.expect_edge(EdgeKind::Assume, &github, &role_arn("gh-deploy"));
    assert_eq!(e.access, Access::Conditional);
    assert_eq!(e.actions, ["sts:AssumeRoleWithWebIdentity"]);
    assert!(
        e.conditions
            .iter()
            .any(|c| c.to_string().contains("repo:example/app:*"))
    );
    let e = w.expect_edge(EdgeKind::Assume, &github, &role_arn("gh-open"));
    assert_eq!(e.access, Access::Allowed);
    assert_eq!(
        w.becomes(&github),
        [role_arn("gh-deploy"), role_arn("gh-open")]
    );
    assert!(w.edges.iter().all(|e| *e.to != *role_arn("fn-only")));
    assert!(w.edges_from("lambda.amazonaws.com").is_empty());
}

/// The caller picks the region of what it creates: with an SCP that denies all but one
/// region, a recipe allowed in a region the account uses is Allowed; if the account
/// uses no allowed region, the edge is Conditional on the region, never dropped.
#[test]
fn pass_role_picks_a_region_the_scps_allow() {
    let build = |region: &str| {
        Account::default()
            .only_region("eu-west-1")
            .vault()
            .function_in(region, "existing", None)
            .role(
                "lambda-exec",
                Entity::with(vec![reads_vault()]).trust(trusts_service("lambda.amazonaws.com")),
            )
            .role(
                "ci",
                Entity::with(vec![
                    allow(&["iam:PassRole"], &[&role_arn("lambda-exec")]),
                    allow(
                        &["lambda:CreateFunction", "lambda:InvokeFunction"],
                        &[&format!("arn:aws:lambda:*:{A}:function:*")],
                    ),
                ]),
            )
            .build()
    };
    let w = build("eu-west-1");
    let e = w.expect_edge(
        EdgeKind::PassRole,
        &role_arn("ci"),
        &role_arn("lambda-exec"),
    );
    assert_eq!(e.access, Access::Allowed, "{e:#?}");
    let w = build("us-west-2");
    let e = w.expect_edge(
        EdgeKind::PassRole,
        &role_arn("ci"),
        &role_arn("lambda-exec"),
    );
    assert_eq!(e.access, Access::Conditional);
    assert!(
        e.conditions
            .iter()
            .any(|c| c.to_string().contains("aws:RequestedRegion"))
    );
}

/// The per-resource join is an optimisation of the plain rule; on random graphs and
/// rows it gives what the plain rule gives: for each principal and (resource,
/// capability) it does not hold directly, the best of the rows the principals it can
/// become hold (Allowed first, then fewer steps, then the holder's ARN).
mod join_against_the_plain_rule {
    use super::*;
    use accessdrift_capabilities::Capability;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// A row from the engine, to copy (Row has no constructor of its own).
    fn template() -> Row {
        let w = Account::default()
            .vault()
            .role("t", Entity::with(vec![reads_vault()]))
            .build();
        w.rows.into_iter().next().unwrap()
    }

    fn edge(from: &str, to: &str, access: Access) -> Edge {
        let mut e = Account::default()
            .role("b", Entity::default().trust(trusts(&[&role_arn("a")])))
            .role("a", Entity::with(vec![allow(&["sts:AssumeRole"], &["*"])]))
            .build()
            .edges
            .remove(0);
        e.from = from.into();
        e.to = to.into();
        e.access = access;
        e
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn same_rows(
            graph in proptest::collection::vec((0usize..6, 0usize..6, any::<bool>()), 0..14),
            held in proptest::collection::vec((0usize..6, 0usize..3, 0usize..3, any::<bool>()), 0..30),
        ) {
            let name = |i: usize| format!("arn:aws:iam::{A}:role/n{i}");
            let access = |a: bool| if a { Access::Allowed } else { Access::Conditional };
            let edges: Vec<Edge> = graph.iter().map(|(f, t, a)| edge(&name(*f), &name(*t), access(*a))).collect();
            let c = closure(edges);
            let t = template();
            let caps = [Capability::ReadData, Capability::WriteData, Capability::ReadConfig];
            let mut rows: Vec<Row> = Vec::new();
            for (p, r, k, a) in &held {
                let mut row = t.clone();
                row.principal = Arc::from(name(*p));
                row.resource = Arc::from(format!("arn:aws:s3:::b{r}"));
                row.capability = caps[*k];
                row.access = access(*a);
                if !rows.iter().any(|x| x.principal == row.principal && x.resource == row.resource && x.capability == row.capability) {
                    rows.push(row);
                }
            }
            let got: Vec<(String, String, Capability, Access, String, usize)> = transitive_rows(&rows, &c)
                .into_iter()
                .map(|g| (g.principal.to_string(), g.row.resource.to_string(), g.row.capability, g.access, g.row.principal.to_string(), g.via.len()))
                .collect();
            let mut want = Vec::new();
            for p in 0..6 {
                let p = name(p);
                for r in 0..3 {
                    let res = format!("arn:aws:s3:::b{r}");
                    for cap in caps {
                        let find = |who: &str| rows.iter().find(|x| &*x.principal == who && *x.resource == *res && x.capability == cap);
                        if find(&p).is_some() {
                            continue;
                        }
                        let best = c
                            .paths_from(&p)
                            .into_iter()
                            .filter_map(|(to, path)| {
                                let row = find(to)?;
                                Some(((row.access.max(path.access), path.steps.len(), to.to_string()), row))
                            })
                            .min_by(|a, b| a.0.cmp(&b.0));
                        if let Some(((access, len, holder), _)) = best {
                            want.push((p.clone(), res.clone(), cap, access, holder, len));
                        }
                    }
                }
            }
            let key = |x: &(String, String, Capability, Access, String, usize)| (x.1.clone(), x.0.clone(), x.2);
            want.sort_by_key(key);
            prop_assert_eq!(got, want);
        }
    }
}
