//! Lambda functions: the function policy (`GetPolicy`; `ResourceNotFoundException` on a
//! listed function means it has none) and tags.

use super::{Job, Read, Reading, step};
use crate::Collector;
use crate::arn::ResourceRef;
use crate::document::ResourceType;
use crate::error::{Failure, absent_or, failure};

/// Lists the functions of a region.
pub(crate) async fn list(c: &Collector, region: &str) -> Result<Vec<Job>, Failure> {
    let client = aws_sdk_lambda::Client::new(&c.config_in(region));
    let functions = client
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("lambda:ListFunctions", e))?;
    Ok(functions
        .into_iter()
        .filter_map(|f| {
            Some(Job::Function {
                client: client.clone(),
                name: f.function_name?,
                arn: f.function_arn?,
            })
        })
        .collect())
}

/// Reads the function an ARN names (`GetFunction` first: `GetPolicy` cannot tell a
/// deleted function from one without a policy).
pub(crate) async fn read_named(c: &Collector, f: &ResourceRef) -> Read {
    let client = aws_sdk_lambda::Client::new(&c.config_in(&f.region));
    let arn = format!(
        "arn:aws:lambda:{}:{}:function:{}",
        f.region, f.account, f.id
    );
    let mut r = Reading::new(arn.clone(), ResourceType::LambdaFunction);
    let exists = client
        .get_function()
        .function_name(&f.id)
        .send()
        .await
        .map_err(|e| failure("lambda:GetFunction", e));
    match step!(r, exists) {
        Some(_) => read(&client, &f.id, &arn).await,
        None => r.finish(),
    }
}

/// Reads one function.
pub(crate) async fn read(client: &aws_sdk_lambda::Client, name: &str, arn: &str) -> Read {
    let mut r = Reading::new(arn, ResourceType::LambdaFunction);
    let policy = client.get_policy().function_name(name).send().await;
    let policy = step!(
        r,
        absent_or("lambda:GetPolicy", policy, &["ResourceNotFoundException"])
    );
    r.policy(policy.flatten().as_ref().and_then(|p| p.policy()));
    let tags = client
        .list_tags()
        .resource(arn)
        .send()
        .await
        .map_err(|e| failure("lambda:ListTags", e));
    if let Some(tags) = step!(r, tags).and_then(|t| t.tags) {
        r.tags(tags);
    }
    r.finish()
}
