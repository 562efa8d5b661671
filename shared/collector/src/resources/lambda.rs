//! Lambda functions: tags and the function policy (`GetPolicy`;
//! `ResourceNotFoundException` on a function that exists means it has none).

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

/// Reads the function an ARN names.
pub(crate) async fn read_named(c: &Collector, f: &ResourceRef) -> Read {
    let client = aws_sdk_lambda::Client::new(&c.config_in(&f.region));
    let arn = format!(
        "arn:aws:lambda:{}:{}:function:{}",
        f.region, f.account, f.id
    );
    read(&client, &f.id, &arn).await
}

/// Reads one function. Tags first: `ListTags` on a function that does not exist is
/// `ResourceNotFoundException`, which `GetPolicy` also answers for a function without a
/// policy. So no `GetFunction` is needed (which would also hand out the code's URL).
pub(crate) async fn read(client: &aws_sdk_lambda::Client, name: &str, arn: &str) -> Read {
    let mut r = Reading::new(arn, ResourceType::LambdaFunction);
    let tags = client
        .list_tags()
        .resource(arn)
        .send()
        .await
        .map_err(|e| failure("lambda:ListTags", e));
    if let Some(tags) = step!(r, tags).and_then(|t| t.tags) {
        r.tags(tags);
    }
    let policy = client.get_policy().function_name(name).send().await;
    let policy = step!(
        r,
        absent_or("lambda:GetPolicy", policy, &["ResourceNotFoundException"])
    );
    r.policy(policy.flatten().as_ref().and_then(|p| p.policy()));
    r.finish()
}
