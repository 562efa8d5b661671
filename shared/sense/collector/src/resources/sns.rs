//! SNS topics: the `Policy` attribute, tags, and the customer-managed key
//! (`KmsMasterKeyId`).

use serde_json::json;

use super::{Job, Read, Reading, step};
use crate::Collector;
use crate::error::{Failure, failure};
use accessdrift_snapshot::document::ResourceType;

/// Lists the topics of a region.
pub(crate) async fn list(c: &Collector, region: &str) -> Result<Vec<Job>, Failure> {
    let client = aws_sdk_sns::Client::new(&c.config_in(region));
    let topics = client
        .list_topics()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("sns:ListTopics", e))?;
    Ok(topics
        .into_iter()
        .filter_map(|t| {
            Some(Job::Topic {
                client: client.clone(),
                arn: t.topic_arn?,
            })
        })
        .collect())
}

/// Reads one topic.
pub(crate) async fn read(client: &aws_sdk_sns::Client, arn: &str) -> Read {
    let mut r = Reading::new(arn, ResourceType::SnsTopic);
    let attributes = client
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .map_err(|e| failure("sns:GetTopicAttributes", e));
    if let Some(attributes) = step!(r, attributes).and_then(|a| a.attributes) {
        r.policy(attributes.get("Policy").map(String::as_str));
        if let Some(key) = attributes.get("KmsMasterKeyId") {
            r.setting("KmsMasterKeyId", json!(key));
        }
    }
    let tags = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| failure("sns:ListTagsForResource", e));
    if let Some(out) = step!(r, tags) {
        r.tags(out.tags().iter().map(|t| (t.key(), t.value())));
    }
    r.finish()
}
