//! Secrets Manager secrets: resource policy and tags (and the customer-managed key).
//! Never `GetSecretValue`: the collector reads who may reach a secret, not the secret.

use serde_json::json;

use super::{Job, Read, Reading, step};
use crate::Collector;
use crate::arn::ResourceRef;
use crate::error::{Failure, failure};
use accessdrift_snapshot::document::ResourceType;

/// What the listing (or `DescribeSecret`) tells about a secret.
pub(crate) struct Listed {
    arn: String,
    tags: Vec<(String, String)>,
    kms_key_id: Option<String>,
}

/// Lists the secrets of a region, with their tags.
pub(crate) async fn list(c: &Collector, region: &str) -> Result<Vec<Job>, Failure> {
    let client = aws_sdk_secretsmanager::Client::new(&c.config_in(region));
    let secrets = client
        .list_secrets()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("secretsmanager:ListSecrets", e))?;
    Ok(secrets
        .iter()
        .flat_map(|page| page.secret_list())
        .filter_map(|s| {
            Some(Job::Secret {
                client: client.clone(),
                listed: Listed {
                    arn: s.arn()?.to_string(),
                    tags: tag_pairs(s.tags()),
                    kms_key_id: s.kms_key_id().map(str::to_string),
                },
            })
        })
        .collect())
}

/// Reads the secret an ARN names (`DescribeSecret` for its tags, then its policy).
pub(crate) async fn read_arn(c: &Collector, s: &ResourceRef) -> Read {
    let client = aws_sdk_secretsmanager::Client::new(&c.config_in(&s.region));
    let mut r = Reading::new(s.id.clone(), ResourceType::Secret);
    let described = client
        .describe_secret()
        .secret_id(&s.id)
        .send()
        .await
        .map_err(|e| failure("secretsmanager:DescribeSecret", e));
    match step!(r, described) {
        Some(d) => {
            let listed = Listed {
                arn: d.arn().unwrap_or(&s.id).to_string(),
                tags: tag_pairs(d.tags()),
                kms_key_id: d.kms_key_id().map(str::to_string),
            };
            read(&client, listed).await
        }
        None => r.finish(),
    }
}

/// Reads one secret's policy; tags and key come from the listing.
pub(crate) async fn read(client: &aws_sdk_secretsmanager::Client, listed: Listed) -> Read {
    let mut r = Reading::new(listed.arn.clone(), ResourceType::Secret);
    r.tags(listed.tags);
    if let Some(key) = listed.kms_key_id {
        r.setting("KmsKeyId", json!(key));
    }
    let policy = client
        .get_resource_policy()
        .secret_id(&listed.arn)
        .send()
        .await
        .map_err(|e| failure("secretsmanager:GetResourcePolicy", e));
    if let Some(out) = step!(r, policy) {
        r.policy(out.resource_policy());
    }
    r.finish()
}

fn tag_pairs(tags: &[aws_sdk_secretsmanager::types::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}
