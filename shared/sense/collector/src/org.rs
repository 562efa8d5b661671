//! The Organization: id, management account, the path from the root to the account, and
//! the SCPs and RCPs attached at each level (root, each OU, the account).
//!
//! Calls go out with the collector's *base* credentials (see
//! [`Collector::for_member_account`](crate::Collector::for_member_account)): only the
//! management account or a delegated administrator may call `ListParents`,
//! `ListPoliciesForTarget` and `DescribePolicy`. A policy type that is not enabled in the
//! root applies nowhere, so its level list is left empty (the reader then applies none).

use std::collections::HashMap;

use aws_sdk_organizations::types::{ParentType, PolicyType, PolicyTypeStatus};

use crate::Collector;
use crate::collector::now;
use accessdrift_snapshot::document::{OrgLevel, OrgPolicy, OrganizationEntry};

use crate::error::{Failure, FailureKind, failure};
use crate::json::document;

/// The account's Organization; `None` when it is in none.
pub(crate) async fn organization(c: &Collector) -> Result<Option<OrganizationEntry>, Failure> {
    let orgs = aws_sdk_organizations::Client::new(&c.org_config);
    let described = match orgs.describe_organization().send().await {
        Ok(out) => out,
        Err(e) => {
            let f = failure("organizations:DescribeOrganization", e);
            if f.has_code(&["AWSOrganizationsNotInUseException"]) {
                return Ok(None);
            }
            return Err(f);
        }
    };
    let Some(org) = described.organization() else {
        return Ok(None);
    };
    let collected_at = now();
    let id = org.id().unwrap_or_default().to_string();
    let management_account_id = org.master_account_id().unwrap_or_default().to_string();

    // Walk up from the account to the root.
    let mut path = Vec::new();
    let mut child = c.account_id.clone();
    loop {
        let parents = orgs
            .list_parents()
            .child_id(&child)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| failure("organizations:ListParents", e))?;
        let parents: Vec<_> = parents.iter().flat_map(|p| p.parents()).collect();
        let Some(parent) = parents.first() else {
            return Err(Failure {
                operation: "organizations:ListParents",
                kind: FailureKind::Other,
                code: None,
                message: format!("`{child}` has no parent: the path to the root is unknown"),
            });
        };
        let parent_id = parent.id().unwrap_or_default().to_string();
        let is_root = parent.r#type() == Some(&ParentType::Root);
        path.push(parent_id.clone());
        if is_root {
            break;
        }
        // OUs nest at most five deep under the root.
        if path.len() > 6 {
            return Err(Failure {
                operation: "organizations:ListParents",
                kind: FailureKind::Other,
                code: None,
                message: format!(
                    "no root above `{}` after {} levels",
                    c.account_id,
                    path.len()
                ),
            });
        }
        child = parent_id;
    }
    path.reverse();

    let roots = orgs
        .list_roots()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("organizations:ListRoots", e))?;
    let roots: Vec<_> = roots.iter().flat_map(|p| p.roots()).collect();
    let enabled = |policy_type: &PolicyType| {
        roots
            .iter()
            .filter(|r| path.first().is_some_and(|p| r.id() == Some(p)))
            .flat_map(|r| r.policy_types())
            .any(|t| {
                t.r#type() == Some(policy_type) && t.status() == Some(&PolicyTypeStatus::Enabled)
            })
    };

    let mut targets = path.clone();
    targets.push(c.account_id.clone());
    let mut documents: HashMap<String, serde_json::Value> = HashMap::new();
    let mut scp = Vec::new();
    let mut rcp = Vec::new();
    for (policy_type, levels) in [
        (PolicyType::ServiceControlPolicy, &mut scp),
        (PolicyType::ResourceControlPolicy, &mut rcp),
    ] {
        if !enabled(&policy_type) {
            continue;
        }
        for target in &targets {
            let summaries = orgs
                .list_policies_for_target()
                .target_id(target)
                .filter(policy_type.clone())
                .into_paginator()
                .send()
                .try_collect()
                .await
                .map_err(|e| failure("organizations:ListPoliciesForTarget", e))?;
            let summaries: Vec<_> = summaries.iter().flat_map(|p| p.policies()).collect();
            let mut policies = Vec::new();
            for s in summaries {
                let policy_id = s.id().unwrap_or_default().to_string();
                let document = match documents.get(&policy_id) {
                    Some(d) => d.clone(),
                    None => {
                        let out = orgs
                            .describe_policy()
                            .policy_id(&policy_id)
                            .send()
                            .await
                            .map_err(|e| failure("organizations:DescribePolicy", e))?;
                        let content = out.policy().and_then(|p| p.content()).unwrap_or_default();
                        let d = document(content);
                        documents.insert(policy_id.clone(), d.clone());
                        d
                    }
                };
                policies.push(OrgPolicy {
                    id: policy_id,
                    name: s.name().unwrap_or_default().to_string(),
                    document,
                });
            }
            levels.push(OrgLevel {
                level: target.clone(),
                policies,
            });
        }
    }
    Ok(Some(OrganizationEntry {
        id,
        management_account_id,
        path,
        scp,
        rcp,
        collected_at,
    }))
}
