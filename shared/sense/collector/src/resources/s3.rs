//! S3 buckets: listed once for every region, each read in its own region (policy, tags,
//! Block Public Access, ownership controls, ACL grants, default encryption); and the
//! account-level Block Public Access through S3 Control.

use aws_sdk_s3::config::Region;
use aws_sdk_s3control::config::endpoint::{Endpoint, EndpointFuture, Params, ResolveEndpoint};
use serde_json::{Value, json};

use super::{Job, Read, Reading, step};
use crate::Collector;
use accessdrift_snapshot::document::{BlockPublicAccess, ResourceType};

use crate::error::{Failure, absent_or, failure};
use crate::json::strip_nulls;

fn client(c: &Collector, region: Option<&str>) -> aws_sdk_s3::Client {
    let mut builder = aws_sdk_s3::config::Builder::from(&c.config);
    if let Some(region) = region {
        builder = builder.region(Region::new(region.to_string()));
    }
    if c.config.endpoint_url().is_some() {
        // An explicit endpoint (an emulator, a VPC endpoint by name): bucket names
        // cannot become host names there.
        builder = builder.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// Lists every bucket of the account (all regions).
pub(crate) async fn list(c: &Collector) -> Result<Vec<Job>, Failure> {
    let buckets = client(c, None)
        .list_buckets()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failure("s3:ListAllMyBuckets", e))?;
    Ok(buckets
        .into_iter()
        .filter_map(|b| {
            Some(Job::Bucket {
                name: b.name()?.to_string(),
                region: b.bucket_region().map(str::to_string),
            })
        })
        .collect())
}

/// Reads one bucket; `region` when known, else `GetBucketLocation` tells it.
pub(crate) async fn read(c: &Collector, name: &str, region: Option<String>) -> Read {
    let mut r = Reading::new(format!("arn:aws:s3:::{name}"), ResourceType::S3Bucket);
    let region = match region {
        Some(region) => Some(region),
        None => {
            let location = client(c, None)
                .get_bucket_location()
                .bucket(name)
                .send()
                .await
                .map_err(|e| failure("s3:GetBucketLocation", e));
            step!(r, location).map(|out| match out.location_constraint().map(|l| l.as_str()) {
                None | Some("") => "us-east-1".to_string(),
                Some("EU") => "eu-west-1".to_string(),
                Some(other) => other.to_string(),
            })
        }
    };
    let s3 = client(c, region.as_deref());
    if let Some(region) = &region {
        r.setting("region", json!(region));
    }

    let policy = s3.get_bucket_policy().bucket(name).send().await;
    let policy = step!(
        r,
        absent_or("s3:GetBucketPolicy", policy, &["NoSuchBucketPolicy"])
    );
    r.policy(policy.flatten().as_ref().and_then(|p| p.policy()));

    let tagging = s3.get_bucket_tagging().bucket(name).send().await;
    if let Some(Some(out)) = step!(
        r,
        absent_or("s3:GetBucketTagging", tagging, &["NoSuchTagSet"])
    ) {
        r.tags(out.tag_set().iter().map(|t| (t.key(), t.value())));
    }

    let block = s3.get_public_access_block().bucket(name).send().await;
    let block = absent_or(
        "s3:GetBucketPublicAccessBlock",
        block,
        &["NoSuchPublicAccessBlockConfiguration"],
    );
    let block = step!(r, block).flatten();
    if let Some(conf) = block
        .as_ref()
        .and_then(|o| o.public_access_block_configuration())
    {
        r.setting(
            "PublicAccessBlock",
            flags(
                conf.block_public_acls(),
                conf.ignore_public_acls(),
                conf.block_public_policy(),
                conf.restrict_public_buckets(),
            ),
        );
    }

    let ownership = s3.get_bucket_ownership_controls().bucket(name).send().await;
    let ownership = absent_or(
        "s3:GetBucketOwnershipControls",
        ownership,
        &["OwnershipControlsNotFoundError"],
    );
    let ownership = step!(r, ownership).flatten();
    if let Some(controls) = ownership.as_ref().and_then(|o| o.ownership_controls()) {
        let rules: Vec<Value> = controls
            .rules()
            .iter()
            .map(|rule| json!({"ObjectOwnership": rule.object_ownership().as_str()}))
            .collect();
        r.setting("OwnershipControls", json!({ "Rules": rules }));
    }

    let acl = s3
        .get_bucket_acl()
        .bucket(name)
        .send()
        .await
        .map_err(|e| failure("s3:GetBucketAcl", e));
    if let Some(out) = step!(r, acl) {
        let grants: Vec<Value> = out.grants().iter().map(grant).collect();
        r.setting("Grants", Value::Array(grants));
        if let Some(owner) = out.owner() {
            r.setting(
                "Owner",
                strip_nulls(json!({"ID": owner.id(), "DisplayName": owner.display_name()})),
            );
        }
    }

    let encryption = s3.get_bucket_encryption().bucket(name).send().await;
    let encryption = absent_or(
        "s3:GetEncryptionConfiguration",
        encryption,
        &["ServerSideEncryptionConfigurationNotFoundError"],
    );
    let encryption = step!(r, encryption).flatten();
    if let Some(conf) = encryption
        .as_ref()
        .and_then(|o| o.server_side_encryption_configuration())
    {
        let rules: Vec<Value> = conf
            .rules()
            .iter()
            .map(|rule| {
                let default = rule.apply_server_side_encryption_by_default().map(|d| {
                    strip_nulls(json!({
                        "SSEAlgorithm": d.sse_algorithm().as_str(),
                        "KMSMasterKeyID": d.kms_master_key_id(),
                    }))
                });
                strip_nulls(json!({
                    "ApplyServerSideEncryptionByDefault": default,
                    "BucketKeyEnabled": rule.bucket_key_enabled(),
                }))
            })
            .collect();
        r.setting(
            "ServerSideEncryptionConfiguration",
            json!({ "Rules": rules }),
        );
    }
    r.finish()
}

/// The account's S3 Block Public Access; `None` when none is set.
pub(crate) async fn account_block_public_access(
    c: &Collector,
) -> Result<Option<BlockPublicAccess>, Failure> {
    let mut builder = aws_sdk_s3control::config::Builder::from(&c.config);
    if let Some(url) = c.config.endpoint_url() {
        // S3 Control puts the account id in the host name (`<account>.s3-control...`),
        // which an explicit endpoint such as an emulator on 127.0.0.1 cannot take.
        builder = builder.endpoint_resolver(FixedEndpoint(url.to_string()));
    }
    let out = aws_sdk_s3control::Client::from_conf(builder.build())
        .get_public_access_block()
        .account_id(&c.account_id)
        .send()
        .await;
    let out = absent_or(
        "s3:GetAccountPublicAccessBlock",
        out,
        &["NoSuchPublicAccessBlockConfiguration"],
    )?;
    Ok(out.and_then(|o| {
        o.public_access_block_configuration()
            .map(|conf| BlockPublicAccess {
                block_public_acls: conf.block_public_acls().unwrap_or(false),
                ignore_public_acls: conf.ignore_public_acls().unwrap_or(false),
                block_public_policy: conf.block_public_policy().unwrap_or(false),
                restrict_public_buckets: conf.restrict_public_buckets().unwrap_or(false),
            })
    }))
}

/// Sends every S3 Control request to the configured endpoint unchanged.
#[derive(Debug)]
struct FixedEndpoint(String);

impl ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(&'a self, _params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::ready(Ok(Endpoint::builder().url(self.0.clone()).build()))
    }
}

/// The four flags as AWS names them; an absent flag is `false`, as in AWS.
fn flags(
    acls: Option<bool>,
    ignore: Option<bool>,
    policy: Option<bool>,
    restrict: Option<bool>,
) -> Value {
    json!({
        "BlockPublicAcls": acls.unwrap_or(false),
        "IgnorePublicAcls": ignore.unwrap_or(false),
        "BlockPublicPolicy": policy.unwrap_or(false),
        "RestrictPublicBuckets": restrict.unwrap_or(false),
    })
}

/// One ACL grant as `GetBucketAcl` prints it.
fn grant(g: &aws_sdk_s3::types::Grant) -> Value {
    let grantee = g.grantee().map(|e| {
        strip_nulls(json!({
            "Type": e.r#type().as_str(),
            "ID": e.id(),
            "URI": e.uri(),
            "DisplayName": e.display_name(),
            "EmailAddress": e.email_address(),
        }))
    });
    strip_nulls(json!({"Grantee": grantee, "Permission": g.permission().map(|p| p.as_str())}))
}
