//! SQS queues: the `Policy` attribute, tags, and the customer-managed key
//! (`KmsMasterKeyId`).

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::json;

use super::{Job, Read, Reading, step};
use crate::Collector;
use crate::arn::ResourceRef;
use crate::error::{Failure, failure};
use accessdrift_snapshot::document::ResourceType;

/// Lists the queues of a region.
pub(crate) async fn list(c: &Collector, region: &str) -> Result<Vec<Job>, Failure> {
    let client = aws_sdk_sqs::Client::new(&c.config_in(region));
    let urls = client
        .list_queues()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("sqs:ListQueues", e))?;
    Ok(urls
        .into_iter()
        .map(|url| Job::Queue {
            client: client.clone(),
            url,
        })
        .collect())
}

/// Reads the queue an ARN names (its URL first).
pub(crate) async fn read_named(c: &Collector, q: &ResourceRef) -> Read {
    let client = aws_sdk_sqs::Client::new(&c.config_in(&q.region));
    let mut r = Reading::new(
        format!("arn:aws:sqs:{}:{}:{}", q.region, q.account, q.id),
        ResourceType::SqsQueue,
    );
    let url = client
        .get_queue_url()
        .queue_name(&q.id)
        .queue_owner_aws_account_id(&q.account)
        .send()
        .await
        .map_err(|e| failure("sqs:GetQueueUrl", e));
    match step!(r, url).and_then(|u| u.queue_url) {
        Some(url) => read(&client, &url).await,
        None => r.finish(),
    }
}

/// Reads one queue.
pub(crate) async fn read(client: &aws_sdk_sqs::Client, url: &str) -> Read {
    let region = client
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let mut r = Reading::new(arn_of_url(&region, url), ResourceType::SqsQueue);
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .map_err(|e| failure("sqs:GetQueueAttributes", e));
    if let Some(attributes) = step!(r, attributes).and_then(|a| a.attributes) {
        if let Some(arn) = attributes.get(&QueueAttributeName::QueueArn) {
            r.set_arn(arn);
        }
        r.policy(
            attributes
                .get(&QueueAttributeName::Policy)
                .map(String::as_str),
        );
        if let Some(key) = attributes.get(&QueueAttributeName::KmsMasterKeyId) {
            r.setting("KmsMasterKeyId", json!(key));
        }
    }
    let tags = client
        .list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .map_err(|e| failure("sqs:ListQueueTags", e));
    if let Some(tags) = step!(r, tags).and_then(|t| t.tags) {
        r.tags(tags);
    }
    r.finish()
}

/// The queue ARN from its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`),
/// until `QueueArn` tells it.
fn arn_of_url(region: &str, url: &str) -> String {
    let mut parts = url.trim_end_matches('/').rsplit('/');
    let name = parts.next().unwrap_or_default();
    let account = parts.next().unwrap_or_default();
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn arn_of_url() {
        assert_eq!(
            super::arn_of_url(
                "eu-west-1",
                "https://sqs.eu-west-1.amazonaws.com/111111111111/q"
            ),
            "arn:aws:sqs:eu-west-1:111111111111:q"
        );
    }
}
