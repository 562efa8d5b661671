//! DynamoDB tables: resource policy (`PolicyNotFoundException` is "none"), tags, and
//! the customer-managed key of their encryption at rest.

use serde_json::json;

use super::{Job, Read, Reading, step};
use crate::Collector;
use crate::error::{Failure, absent_or, failure};
use accessdrift_snapshot::document::ResourceType;

/// Lists the tables of a region.
pub(crate) async fn list(c: &Collector, region: &str) -> Result<Vec<Job>, Failure> {
    let client = aws_sdk_dynamodb::Client::new(&c.config_in(region));
    let names = client
        .list_tables()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("dynamodb:ListTables", e))?;
    Ok(names
        .into_iter()
        .map(|name| Job::Table {
            client: client.clone(),
            name,
        })
        .collect())
}

/// Reads one table.
pub(crate) async fn read(c: &Collector, client: &aws_sdk_dynamodb::Client, name: &str) -> Read {
    let region = client
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let mut r = Reading::new(
        format!("arn:aws:dynamodb:{region}:{}:table/{name}", c.account_id),
        ResourceType::DynamoDbTable,
    );
    let described = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| failure("dynamodb:DescribeTable", e));
    let table = step!(r, described).and_then(|d| d.table);
    let arn = table
        .as_ref()
        .and_then(|t| t.table_arn())
        .map_or_else(|| r.arn().to_string(), str::to_string);
    if let Some(key) = table
        .as_ref()
        .and_then(|t| t.sse_description())
        .and_then(|s| s.kms_master_key_arn())
    {
        r.setting("SSEDescription", json!({"KMSMasterKeyArn": key}));
    }

    let policy = client.get_resource_policy().resource_arn(&arn).send().await;
    let policy = step!(
        r,
        absent_or(
            "dynamodb:GetResourcePolicy",
            policy,
            &["PolicyNotFoundException"]
        )
    );
    r.policy(policy.flatten().as_ref().and_then(|p| p.policy()));

    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_tags_of_resource()
            .resource_arn(&arn)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| failure("dynamodb:ListTagsOfResource", e));
        let Some(page) = step!(r, page) else {
            break;
        };
        r.tags(page.tags().iter().map(|t| (t.key(), t.value())));
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    r.finish()
}
