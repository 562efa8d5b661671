//! IAM: `GetAccountAuthorizationDetails` (all pages, merged) for a whole collection, and
//! one principal's entries in the same shape for a partial one.
//!
//! Entries are written as `aws iam get-account-authorization-details` prints them
//! (PascalCase names), with the policy documents exactly as the API returned them
//! (URL-encoded JSON from AWS; the reader accepts that and plain JSON). Left out: each
//! role's `InstanceProfileList` (a copy of roles already listed), which decides nothing
//! about access.
//!
//! A principal read on its own gets its managed policies through `GetPolicy` +
//! `GetPolicyVersion`, with the default version only (the reader uses no other).

use std::collections::BTreeSet;

use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use aws_sdk_iam::types::{AttachedPermissionsBoundary, AttachedPolicy, PolicyDetail, Tag};
use serde_json::{Value, json};

use crate::Collector;
use crate::collector::now;
use accessdrift_snapshot::document::AuthorizationDetails;

use crate::error::{Failure, FailureKind, failure};
use crate::json::strip_nulls;
use accessdrift_snapshot::{FreshPrincipal, PrincipalKind};

fn client(c: &Collector) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&c.config)
}

/// Every page of `GetAccountAuthorizationDetails`, merged.
pub(crate) async fn authorization_details(c: &Collector) -> Result<AuthorizationDetails, Failure> {
    let mut pages = client(c)
        .get_account_authorization_details()
        .into_paginator()
        .send();
    let mut details = AuthorizationDetails::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failure("iam:GetAccountAuthorizationDetails", e))?;
        details
            .user_detail_list
            .extend(page.user_detail_list().iter().map(|u| {
                strip_nulls(json!({
                    "Path": u.path(),
                    "UserName": u.user_name(),
                    "UserId": u.user_id(),
                    "Arn": u.arn(),
                    "CreateDate": u.create_date().map(date),
                    "UserPolicyList": inline(u.user_policy_list()),
                    "GroupList": u.group_list(),
                    "AttachedManagedPolicies": attached(u.attached_managed_policies()),
                    "PermissionsBoundary": u.permissions_boundary().map(boundary),
                    "Tags": tags(u.tags()),
                }))
            }));
        details
            .group_detail_list
            .extend(page.group_detail_list().iter().map(|g| {
                strip_nulls(json!({
                    "Path": g.path(),
                    "GroupName": g.group_name(),
                    "GroupId": g.group_id(),
                    "Arn": g.arn(),
                    "CreateDate": g.create_date().map(date),
                    "GroupPolicyList": inline(g.group_policy_list()),
                    "AttachedManagedPolicies": attached(g.attached_managed_policies()),
                }))
            }));
        details
            .role_detail_list
            .extend(page.role_detail_list().iter().map(|r| {
                strip_nulls(json!({
                    "Path": r.path(),
                    "RoleName": r.role_name(),
                    "RoleId": r.role_id(),
                    "Arn": r.arn(),
                    "CreateDate": r.create_date().map(date),
                    "AssumeRolePolicyDocument": r.assume_role_policy_document(),
                    "RolePolicyList": inline(r.role_policy_list()),
                    "AttachedManagedPolicies": attached(r.attached_managed_policies()),
                    "PermissionsBoundary": r.permissions_boundary().map(boundary),
                    "Tags": tags(r.tags()),
                    "RoleLastUsed": r.role_last_used().map(|u| strip_nulls(json!({
                        "LastUsedDate": u.last_used_date().map(date),
                        "Region": u.region(),
                    }))),
                }))
            }));
        details.policies.extend(page.policies().iter().map(|p| {
            let versions: Vec<Value> = p
                .policy_version_list()
                .iter()
                .map(|v| {
                    strip_nulls(json!({
                        "Document": v.document(),
                        "VersionId": v.version_id(),
                        "IsDefaultVersion": v.is_default_version(),
                        "CreateDate": v.create_date().map(date),
                    }))
                })
                .collect();
            strip_nulls(json!({
                "PolicyName": p.policy_name(),
                "PolicyId": p.policy_id(),
                "Arn": p.arn(),
                "Path": p.path(),
                "DefaultVersionId": p.default_version_id(),
                "AttachmentCount": p.attachment_count(),
                "PermissionsBoundaryUsageCount": p.permissions_boundary_usage_count(),
                "IsAttachable": p.is_attachable(),
                "CreateDate": p.create_date().map(date),
                "UpdateDate": p.update_date().map(date),
                "PolicyVersionList": versions,
            }))
        }));
    }
    Ok(details)
}

/// One user or role (and its groups and managed policies); no entity when it is gone.
pub(crate) async fn principal(
    c: &Collector,
    arn: &str,
    kind: PrincipalKind,
    name: &str,
) -> Result<FreshPrincipal, Failure> {
    let collected_at = now();
    let read = match kind {
        PrincipalKind::Role => role(c, name).await,
        PrincipalKind::User => user(c, name).await,
    };
    let (entity, groups, policy_arns) = match read {
        Ok(found) => found,
        // Deleted before or while being read: it is gone from the account.
        Err(f) if f.kind == FailureKind::NotFound => {
            return Ok(FreshPrincipal {
                arn: arn.to_string(),
                kind,
                collected_at,
                entity: None,
                groups: Vec::new(),
                policies: Vec::new(),
            });
        }
        Err(f) => return Err(f),
    };
    let mut policies = Vec::new();
    for policy_arn in policy_arns {
        match managed_policy(c, &policy_arn).await {
            Ok(p) => policies.push(p),
            // Deleted meanwhile (AWS refuses to delete an attached policy, so it was
            // detached first): the reader reports it missing if still referenced.
            Err(f) if f.kind == FailureKind::NotFound => {}
            Err(f) => return Err(f),
        }
    }
    Ok(FreshPrincipal {
        arn: arn.to_string(),
        kind,
        collected_at,
        entity: Some(entity),
        groups,
        policies,
    })
}

/// The managed policies a principal names: attached ones and its boundary.
fn managed_arns(
    attached: &[AttachedPolicy],
    boundary: Option<&AttachedPermissionsBoundary>,
) -> BTreeSet<String> {
    attached
        .iter()
        .filter_map(|p| p.policy_arn())
        .chain(boundary.and_then(|b| b.permissions_boundary_arn()))
        .map(str::to_string)
        .collect()
}

/// A principal's inline policies (`{"PolicyName", "PolicyDocument"}` each) and its
/// attached managed policies, read one by one: the same three calls for a role, a user
/// and a group, on SDK builders of different types (hence a macro, not a function).
macro_rules! identity_policies {
    ($iam:expr, $set_name:ident, $name:expr,
     $list:ident / $list_op:literal, $get:ident / $get_op:literal,
     $attached:ident / $attached_op:literal) => {
        async {
            let names = $iam
                .$list()
                .$set_name($name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| failure($list_op, e))?;
            let mut inline = Vec::new();
            for policy_name in names {
                let p = $iam
                    .$get()
                    .$set_name($name)
                    .policy_name(&policy_name)
                    .send()
                    .await
                    .map_err(|e| failure($get_op, e))?;
                inline.push(
                    json!({"PolicyName": policy_name, "PolicyDocument": p.policy_document()}),
                );
            }
            let attached = $iam
                .$attached()
                .$set_name($name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| failure($attached_op, e))?;
            Ok::<_, Failure>((inline, attached))
        }
    };
}

/// A role's entry, and the managed policies it names.
async fn role(c: &Collector, name: &str) -> Result<(Value, Vec<Value>, BTreeSet<String>), Failure> {
    let iam = client(c);
    let out = iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| failure("iam:GetRole", e))?;
    let Some(r) = out.role() else {
        return Err(not_found("iam:GetRole", name));
    };
    let (inline_policies, attached_policies) = identity_policies!(
        iam,
        role_name,
        name,
        list_role_policies / "iam:ListRolePolicies",
        get_role_policy / "iam:GetRolePolicy",
        list_attached_role_policies / "iam:ListAttachedRolePolicies"
    )
    .await?;
    let arns = managed_arns(&attached_policies, r.permissions_boundary());
    let entity = strip_nulls(json!({
        "Path": r.path(),
        "RoleName": r.role_name(),
        "RoleId": r.role_id(),
        "Arn": r.arn(),
        "CreateDate": date(r.create_date()),
        "AssumeRolePolicyDocument": r.assume_role_policy_document(),
        "RolePolicyList": inline_policies,
        "AttachedManagedPolicies": attached(&attached_policies),
        "PermissionsBoundary": r.permissions_boundary().map(boundary),
        "Tags": tags(r.tags()),
        "RoleLastUsed": r.role_last_used().map(|u| strip_nulls(json!({
            "LastUsedDate": u.last_used_date().map(date),
            "Region": u.region(),
        }))),
    }));
    Ok((entity, Vec::new(), arns))
}

/// A user's entry, its groups' entries, and the managed policies they name.
async fn user(c: &Collector, name: &str) -> Result<(Value, Vec<Value>, BTreeSet<String>), Failure> {
    let iam = client(c);
    let out = iam
        .get_user()
        .user_name(name)
        .send()
        .await
        .map_err(|e| failure("iam:GetUser", e))?;
    let Some(u) = out.user() else {
        return Err(not_found("iam:GetUser", name));
    };
    let (inline_policies, attached_policies) = identity_policies!(
        iam,
        user_name,
        name,
        list_user_policies / "iam:ListUserPolicies",
        get_user_policy / "iam:GetUserPolicy",
        list_attached_user_policies / "iam:ListAttachedUserPolicies"
    )
    .await?;
    let mut arns = managed_arns(&attached_policies, u.permissions_boundary());

    let group_list = iam
        .list_groups_for_user()
        .user_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("iam:ListGroupsForUser", e))?;
    let mut groups = Vec::new();
    for g in &group_list {
        let group_name = g.group_name();
        let (group_inline, group_attached) = identity_policies!(
            iam,
            group_name,
            group_name,
            list_group_policies / "iam:ListGroupPolicies",
            get_group_policy / "iam:GetGroupPolicy",
            list_attached_group_policies / "iam:ListAttachedGroupPolicies"
        )
        .await?;
        arns.extend(
            group_attached
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string)),
        );
        groups.push(strip_nulls(json!({
            "Path": g.path(),
            "GroupName": group_name,
            "GroupId": g.group_id(),
            "Arn": g.arn(),
            "CreateDate": date(g.create_date()),
            "GroupPolicyList": group_inline,
            "AttachedManagedPolicies": attached(&group_attached),
        })));
    }
    let entity = strip_nulls(json!({
        "Path": u.path(),
        "UserName": u.user_name(),
        "UserId": u.user_id(),
        "Arn": u.arn(),
        "CreateDate": date(u.create_date()),
        "UserPolicyList": inline_policies,
        "GroupList": group_list.iter().map(|g| g.group_name()).collect::<Vec<_>>(),
        "AttachedManagedPolicies": attached(&attached_policies),
        "PermissionsBoundary": u.permissions_boundary().map(boundary),
        "Tags": tags(u.tags()),
    }));
    Ok((entity, groups, arns))
}

/// A managed policy as a `Policies` entry, with its default version only.
async fn managed_policy(c: &Collector, arn: &str) -> Result<Value, Failure> {
    let iam = client(c);
    let out = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| failure("iam:GetPolicy", e))?;
    let Some(p) = out.policy() else {
        return Err(not_found("iam:GetPolicy", arn));
    };
    let version_id = p.default_version_id().unwrap_or("v1");
    let version = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version_id)
        .send()
        .await
        .map_err(|e| failure("iam:GetPolicyVersion", e))?;
    let versions: Vec<Value> = version
        .policy_version()
        .map(|v| {
            strip_nulls(json!({
                "Document": v.document(),
                "VersionId": v.version_id(),
                "IsDefaultVersion": v.is_default_version(),
                "CreateDate": v.create_date().map(date),
            }))
        })
        .into_iter()
        .collect();
    Ok(strip_nulls(json!({
        "PolicyName": p.policy_name(),
        "PolicyId": p.policy_id(),
        "Arn": p.arn().unwrap_or(arn),
        "Path": p.path(),
        "DefaultVersionId": p.default_version_id(),
        "AttachmentCount": p.attachment_count(),
        "PermissionsBoundaryUsageCount": p.permissions_boundary_usage_count(),
        "IsAttachable": p.is_attachable(),
        "CreateDate": p.create_date().map(date),
        "UpdateDate": p.update_date().map(date),
        "PolicyVersionList": versions,
    })))
}

fn not_found(operation: &'static str, name: &str) -> Failure {
    Failure {
        operation,
        kind: FailureKind::NotFound,
        code: None,
        message: format!("the answer has no `{name}`"),
    }
}

fn inline(list: &[PolicyDetail]) -> Vec<Value> {
    list.iter()
        .map(|p| {
            strip_nulls(
                json!({"PolicyName": p.policy_name(), "PolicyDocument": p.policy_document()}),
            )
        })
        .collect()
}

fn attached(list: &[AttachedPolicy]) -> Vec<Value> {
    list.iter()
        .map(|p| strip_nulls(json!({"PolicyName": p.policy_name(), "PolicyArn": p.policy_arn()})))
        .collect()
}

fn boundary(b: &AttachedPermissionsBoundary) -> Value {
    strip_nulls(json!({
        "PermissionsBoundaryType": b.permissions_boundary_type().map(|t| t.as_str()),
        "PermissionsBoundaryArn": b.permissions_boundary_arn(),
    }))
}

fn tags(list: &[Tag]) -> Vec<Value> {
    list.iter()
        .map(|t| json!({"Key": t.key(), "Value": t.value()}))
        .collect()
}

/// A date as the AWS CLI prints it (RFC 3339).
fn date(d: &DateTime) -> Value {
    d.fmt(DateTimeFormat::DateTime)
        .map_or(Value::Null, Value::String)
}
