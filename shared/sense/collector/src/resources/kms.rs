//! KMS keys: customer-managed keys with their `default` key policy and tags.
//! AWS-managed keys (`aws/s3`...) are left out: AWS sets their key policies (each allows
//! the account's principals through its own service only), and the snapshot says how
//! many were left out.

use aws_sdk_kms::types::KeyManagerType;
use serde_json::json;

use super::{Job, Read, Reading, step};
use crate::Collector;
use crate::error::{Failure, failure};
use accessdrift_snapshot::document::ResourceType;

/// Lists the keys of a region.
pub(crate) async fn list(c: &Collector, region: &str) -> Result<Vec<Job>, Failure> {
    let client = aws_sdk_kms::Client::new(&c.config_in(region));
    let keys = client
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("kms:ListKeys", e))?;
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            Some(Job::Key {
                client: client.clone(),
                region: region.to_string(),
                key_id: k.key_id()?.to_string(),
            })
        })
        .collect())
}

/// Reads one key.
pub(crate) async fn read(
    c: &Collector,
    client: &aws_sdk_kms::Client,
    region: &str,
    key_id: &str,
) -> Read {
    let mut r = Reading::new(
        format!("arn:aws:kms:{region}:{}:key/{key_id}", c.account_id),
        ResourceType::KmsKey,
    );
    let described = client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| failure("kms:DescribeKey", e));
    if let Some(meta) = step!(r, described).as_ref().and_then(|d| d.key_metadata()) {
        if meta.key_manager() == Some(&KeyManagerType::Aws) {
            return Read::Skipped(format!(
                "AWS-managed KMS keys in {region} (AWS sets their key policies; not collected)"
            ));
        }
        if let Some(arn) = meta.arn() {
            r.set_arn(arn);
        }
        if let Some(state) = meta.key_state() {
            r.setting("KeyState", json!(state.as_str()));
        }
        r.setting("KeyManager", json!("CUSTOMER"));
    }

    let policy = client
        .get_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .send()
        .await
        .map_err(|e| failure("kms:GetKeyPolicy", e));
    if let Some(out) = step!(r, policy) {
        r.policy(out.policy());
    }

    let tags = client
        .list_resource_tags()
        .key_id(key_id)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("kms:ListResourceTags", e));
    if let Some(tags) = step!(r, tags) {
        r.tags(tags.iter().map(|t| (t.tag_key(), t.tag_value())));
    }
    r.finish()
}
