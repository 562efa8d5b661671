//! Lambda functions: tags, the function policy (`GetPolicy`;
//! `ResourceNotFoundException` on a function that exists means it has none) and the
//! execution role (`settings.Role`): who can change the function's code or
//! configuration can act as that role (transitive access, issue 13).

use aws_sdk_lambda::types::FunctionConfiguration;
use serde_json::json;

use super::{Job, Read, Reading, step};
use crate::Collector;
use crate::arn::ResourceRef;
use crate::error::{Failure, absent_or, failure};
use accessdrift_snapshot::document::ResourceType;

/// Lists the functions of a region.
///
/// `lambda:ListFunctions` is the only call that lists every function: the Resource
/// Groups Tagging API (`tag:GetResources`) misses functions that were never tagged,
/// and Cloud Control lists through `ListFunctions` with the caller's permissions. Its
/// answer carries each function's configuration, environment variable values
/// included, so the exposure is accepted here and bounded: [`listed`] keeps the name
/// the ARN and the execution role's ARN and drops the rest before anything can store
/// or log it (README, "What the read role can see").
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
        .filter_map(listed)
        .map(|Listed { name, arn, role }| Job::Function {
            client: client.clone(),
            name,
            arn,
            role,
        })
        .collect())
}

/// What is kept of a function's configuration.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Listed {
    name: String,
    arn: String,
    /// The execution role's ARN (not a secret: any principal that may read the
    /// function's configuration sees it).
    role: Option<String>,
}

/// The name, ARN and execution role of a function, and nothing else of it.
// INVARIANT: the configuration is consumed here; its environment, layers and code
// location never reach a `Job`, a snapshot or a log line.
fn listed(f: FunctionConfiguration) -> Option<Listed> {
    Some(Listed {
        name: f.function_name?,
        arn: f.function_arn?,
        role: f.role,
    })
}

/// Reads the function an ARN names.
pub(crate) async fn read_named(c: &Collector, f: &ResourceRef) -> Read {
    let client = aws_sdk_lambda::Client::new(&c.config_in(&f.region));
    let arn = format!(
        "arn:aws:lambda:{}:{}:function:{}",
        f.region, f.account, f.id
    );
    read(&client, &f.id, &arn, None).await
}

/// Reads one function. Tags first: `ListTags` on a function that does not exist is
/// `ResourceNotFoundException`, which `GetPolicy` also answers for a function without a
/// policy. So no `GetFunction` is needed (which would also hand out the code's URL).
/// `role` is the execution role as `ListFunctions` gave it; a function read on its own
/// (after an event) asks `GetFunctionConfiguration` and keeps only the role from it,
/// so a changed role is never kept stale.
pub(crate) async fn read(
    client: &aws_sdk_lambda::Client,
    name: &str,
    arn: &str,
    role: Option<String>,
) -> Read {
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
    let role = match role {
        Some(role) => Some(role),
        None => {
            let got = client
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
                .map_err(|e| failure("lambda:GetFunctionConfiguration", e));
            // INVARIANT: only the role is taken; the rest of the answer (environment
            // values included) is dropped here, as `listed` does for a listing.
            step!(r, got).and_then(|out| out.role)
        }
    };
    if let Some(role) = role {
        r.setting("Role", json!(role));
    }
    r.finish()
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::types::{EnvironmentResponse, FunctionConfiguration};

    use super::{Listed, listed};

    /// `ListFunctions` answers with environment variable values; only the name, the
    /// ARN and the execution role are kept.
    #[test]
    fn a_listed_function_keeps_its_name_and_arn_and_drops_its_environment() {
        let f = FunctionConfiguration::builder()
            .function_name("scorer")
            .function_arn("arn:aws:lambda:us-east-1:111111111111:function:scorer")
            .role("arn:aws:iam::111111111111:role/scorer")
            .environment(
                EnvironmentResponse::builder()
                    .variables("DB_PASSWORD", "hunter2-secret-value")
                    .build(),
            )
            .build();
        let kept = listed(f);
        assert_eq!(
            kept,
            Some(Listed {
                name: "scorer".to_string(),
                arn: "arn:aws:lambda:us-east-1:111111111111:function:scorer".to_string(),
                role: Some("arn:aws:iam::111111111111:role/scorer".to_string()),
            })
        );
        assert!(!format!("{kept:?}").contains("hunter2"));
    }
}
