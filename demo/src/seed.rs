//! The credit-processor Organization, seeded through the real AWS APIs (on the
//! emulator): a management account that runs the detector, and a member account
//! `credit-prod` holding the credit team's data.
//!
//! Member account `credit-prod`:
//! - bucket `credit-applications` (owner `credit-team`, Confidential), encrypted with
//!   the team's KMS key, with a bucket policy that lets `credit-processor` read and
//!   write objects;
//! - table `credit-decisions` (owner `credit-team`), bucket `risk-models` (owner
//!   `risk-team`);
//! - roles `admin` (everything), `ci` (deploys: bucket configuration only),
//!   `cust-service` (support tooling with a broad `kms:Decrypt`, but no S3 data
//!   access) and `credit-processor` (the application: reads and writes the
//!   applications and decisions).

use anyhow::{Context as _, Result};
use aws_config::SdkConfig;
use aws_sdk_iam::Client as Iam;
use aws_sdk_organizations::types::{CreateAccountState, OrganizationFeatureSet};
use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging,
};
use aws_sdk_sts::config::SharedCredentialsProvider;
use serde_json::json;

/// What was seeded.
#[derive(Debug, Clone)]
pub struct CreditOrg {
    /// The management account (the detector's).
    pub management: String,
    /// The member account `credit-prod`.
    pub member: String,
    /// The Organization's id.
    pub org_id: String,
    /// The SDK config of the member account (assumed-role credentials), to make the
    /// changes an engineer of that account would.
    pub member_config: SdkConfig,
    /// The team's KMS key ARN.
    pub key_arn: String,
}

/// The bucket the story is about.
pub const BUCKET: &str = "credit-applications";

/// The bucket policy as the credit team wrote it.
pub fn team_bucket_policy(member: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ProcessorReadsAndWrites",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{member}:role/credit-processor")},
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": format!("arn:aws:s3:::{BUCKET}/*")
        }]
    })
    .to_string()
}

/// The team's policy plus a statement a support engineer might add "for a ticket":
/// customer service may read the applications.
pub fn bucket_policy_with_support_read(member: &str) -> String {
    let mut policy: serde_json::Value =
        serde_json::from_str(&team_bucket_policy(member)).unwrap_or_default();
    if let Some(statements) = policy["Statement"].as_array_mut() {
        statements.push(json!({
            "Sid": "SupportReadsApplications",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{member}:role/cust-service")},
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{BUCKET}/*")
        }));
    }
    policy.to_string()
}

/// Seeds the Organization and the member account. `management` is the SDK config of
/// the management account.
pub async fn seed(management: &SdkConfig) -> Result<CreditOrg> {
    let sts = aws_sdk_sts::Client::new(management);
    let me = sts.get_caller_identity().send().await?;
    let management_id = me.account().unwrap_or_default().to_string();

    let orgs = aws_sdk_organizations::Client::new(management);
    let org = orgs
        .create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .context("create the Organization")?;
    let org_id = org
        .organization()
        .and_then(|o| o.id())
        .unwrap_or_default()
        .to_string();
    let roots = orgs.list_roots().send().await?;
    let root = roots
        .roots()
        .first()
        .and_then(|r| r.id())
        .context("the Organization has no root")?
        .to_string();
    let ou = orgs
        .create_organizational_unit()
        .parent_id(&root)
        .name("workloads")
        .send()
        .await?
        .organizational_unit()
        .and_then(|o| o.id())
        .unwrap_or_default()
        .to_string();
    let created = orgs
        .create_account()
        .email("credit-prod@example.com")
        .account_name("credit-prod")
        .send()
        .await
        .context("create the member account")?;
    let status = created
        .create_account_status()
        .context("no account status")?;
    anyhow::ensure!(
        status.state() == Some(&CreateAccountState::Succeeded),
        "the member account was not created: {status:?}"
    );
    let member = status.account_id().unwrap_or_default().to_string();
    orgs.move_account()
        .account_id(&member)
        .source_parent_id(&root)
        .destination_parent_id(&ou)
        .send()
        .await?;

    let member_config = assume(management, &member, "OrganizationAccountAccessRole").await?;
    let key_arn = seed_member(&member_config, &member).await?;
    Ok(CreditOrg {
        management: management_id,
        member,
        org_id,
        member_config,
        key_arn,
    })
}

/// The SDK config of `role` in `account`, assumed from `base`.
pub async fn assume(base: &SdkConfig, account: &str, role: &str) -> Result<SdkConfig> {
    let provider =
        aws_config::sts::AssumeRoleProvider::builder(format!("arn:aws:iam::{account}:role/{role}"))
            .session_name("accessdrift-demo")
            .configure(base)
            .build()
            .await;
    Ok(base
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build())
}

async fn role(
    iam: &Iam,
    name: &str,
    trust: &serde_json::Value,
    policy: &serde_json::Value,
) -> Result<()> {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .with_context(|| format!("create role {name}"))?;
    iam.put_role_policy()
        .role_name(name)
        .policy_name(format!("{name}-access"))
        .policy_document(policy.to_string())
        .send()
        .await
        .with_context(|| format!("put the policy of role {name}"))?;
    Ok(())
}

fn tagging(pairs: &[(&str, &str)]) -> Result<Tagging> {
    let tags = pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Tagging::builder().set_tag_set(Some(tags)).build()?)
}

async fn seed_member(config: &SdkConfig, member: &str) -> Result<String> {
    let iam = Iam::new(config);
    // The read-only role the detector assumes (infra/member-read-role.yaml deploys it
    // in AWS; the emulator does not check the trust, but the role is there as in AWS).
    let detector_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
    iam.create_role()
        .role_name("accessdrift-read")
        .assume_role_policy_document(detector_trust.to_string())
        .send()
        .await
        .context("create role accessdrift-read")?;
    let account_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{member}:root")}, "Action": "sts:AssumeRole"}]});
    let lambda_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let bucket = format!("arn:aws:s3:::{BUCKET}");
    let table = format!("arn:aws:dynamodb:us-east-1:{member}:table/credit-decisions");
    role(
        &iam,
        "admin",
        &account_trust,
        &json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    .await?;
    role(&iam, "ci", &account_trust, &json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "DeployBuckets", "Effect": "Allow", "Action": ["s3:GetBucketPolicy", "s3:PutBucketPolicy",
            "s3:PutBucketTagging", "s3:PutEncryptionConfiguration"], "Resource": bucket}]})).await?;
    role(&iam, "cust-service", &account_trust, &json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "SupportTooling", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"},
        {"Sid": "LookUpDecisions", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": table}]})).await?;
    role(&iam, "credit-processor", &lambda_trust, &json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Applications", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("{bucket}/*")},
        {"Sid": "Keys", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"},
        {"Sid": "Decisions", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], "Resource": table}]})).await?;

    let kms = aws_sdk_kms::Client::new(config);
    let key = kms
        .create_key()
        .description("credit-team data key")
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key("owner")
                .tag_value("credit-team")
                .build()?,
        )
        .send()
        .await
        .context("create the KMS key")?;
    let key_arn = key
        .key_metadata()
        .map(|m| m.arn().unwrap_or_default().to_string())
        .unwrap_or_default();

    let s3 = aws_sdk_s3::Client::new(config);
    for (name, owner, classification) in [
        (BUCKET, "credit-team", "Confidential"),
        ("risk-models", "risk-team", "Internal"),
    ] {
        s3.create_bucket()
            .bucket(name)
            .send()
            .await
            .with_context(|| format!("create bucket {name}"))?;
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(tagging(&[
                ("owner", owner),
                ("classification", classification),
            ])?)
            .send()
            .await?;
    }
    let sse = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::AwsKms)
                        .kms_master_key_id(&key_arn)
                        .build()?,
                )
                .build(),
        )
        .build()?;
    s3.put_bucket_encryption()
        .bucket(BUCKET)
        .server_side_encryption_configuration(sse)
        .send()
        .await?;
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(team_bucket_policy(member))
        .send()
        .await?;

    let dynamo = aws_sdk_dynamodb::Client::new(config);
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    dynamo
        .create_table()
        .table_name("credit-decisions")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("owner")
                .value("credit-team")
                .build()?,
        )
        .send()
        .await
        .context("create table credit-decisions")?;
    Ok(key_arn)
}
