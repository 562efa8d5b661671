//! The collector against the AWS emulator (moto server): a seeded member account of an
//! Organization collected whole, read back by the snapshot reader and run through the
//! effective-access engine; partial collection patched into a stored snapshot; and a
//! resource deleted between listing and reading.
//!
//! Emulator gaps these tests are built around (see `shared/reference/emulator.md`):
//! - moto never denies access, so the access-denied path is tested at the conversion
//!   layer (`resources::tests` in the crate), not here;
//! - `GetAccountAuthorizationDetails` ignores paging (one page), and its `Policies[]`
//!   lack `PolicyName`/`PolicyId`: assertions key managed policies by ARN;
//! - IAM user permission boundaries are not implemented: only roles get one here;
//! - S3 Control would need the account id in the host name; the collector sends it to
//!   the configured endpoint unchanged, and the seeding below does the same.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failure should stop loudly"
)]

use std::sync::Mutex;

use accessdrift_access::{Access, Line, effective_access};
use accessdrift_collector::{Collector, CollectorOptions, MemberRole, Progress};
use accessdrift_emulator::{DEFAULT_ACCOUNT, Emulator};
use accessdrift_snapshot::document::{
    AccountSnapshot, BlockPublicAccess, OrgLevel, ResourceEntry, ResourceType,
};
use accessdrift_snapshot::{FreshPart, PatchOutcome, Stamps, patch_snapshot};
use aws_config::SdkConfig;
use aws_sdk_s3control::config::endpoint::{Endpoint, EndpointFuture, Params, ResolveEndpoint};
use aws_sdk_sts::config::SharedCredentialsProvider;
use serde_json::{Value, json};

const REGION: &str = "us-east-1";

/// How fresh the part named by `arn` is in a patched document.
fn freshness(stored: &Value, arn: &str) -> Option<String> {
    Stamps::read(&stored.to_string())?
        .freshness(arn)
        .map(str::to_string)
}

/// An environment variable value of the seeded function.
const ENVIRONMENT_SECRET: &str = "hunter2-environment-value";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(sid: &str, actions: Value, resource: Value) -> Value {
    json!({"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource})
}

fn lambda_trust() -> Value {
    doc(
        json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
    )
}

/// The SDK config of `account`, through an assumed role (moto keeps each account apart).
async fn member_config(base: &SdkConfig, account: &str) -> SdkConfig {
    let provider = aws_config::sts::AssumeRoleProvider::builder(format!(
        "arn:aws:iam::{account}:role/accessdrift-read"
    ))
    .session_name("seed")
    .configure(base)
    .build()
    .await;
    base.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

#[derive(Debug)]
struct FixedEndpoint(String);

impl ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(&'a self, _params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::ready(Ok(Endpoint::builder().url(self.0.clone()).build()))
    }
}

/// What the seeding created, for the assertions.
struct Seeded {
    account: String,
    root: String,
    ou: String,
    key_id: String,
    secret_arn: String,
}

/// An Organization (management account = moto's default) with SCPs and RCPs enabled,
/// an OU `workloads` holding a new member account, a deny-list SCP and an RCP on the OU
/// (S3 only for principals of the Organization).
async fn seed_organization(base: &SdkConfig) -> (String, String, String) {
    let orgs = aws_sdk_organizations::Client::new(base);
    let org_id = orgs
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap()
        .organization()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let roots = orgs.list_roots().send().await.unwrap();
    let root = roots.roots()[0].id().unwrap().to_string();
    for t in [
        aws_sdk_organizations::types::PolicyType::ServiceControlPolicy,
        aws_sdk_organizations::types::PolicyType::ResourceControlPolicy,
    ] {
        orgs.enable_policy_type()
            .root_id(&root)
            .policy_type(t)
            .send()
            .await
            .unwrap();
    }
    let ou = orgs
        .create_organizational_unit()
        .parent_id(&root)
        .name("workloads")
        .send()
        .await
        .unwrap()
        .organizational_unit()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let account = orgs
        .create_account()
        .email("member@example.com")
        .account_name("member")
        .send()
        .await
        .unwrap()
        .create_account_status()
        .unwrap()
        .account_id()
        .unwrap()
        .to_string();
    orgs.move_account()
        .account_id(&account)
        .source_parent_id(&root)
        .destination_parent_id(&ou)
        .send()
        .await
        .unwrap();
    for (name, kind, document) in [
        (
            "DenyBucketDeletion",
            aws_sdk_organizations::types::PolicyType::ServiceControlPolicy,
            doc(json!([{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}])),
        ),
        (
            "OnlyOurOrg",
            aws_sdk_organizations::types::PolicyType::ResourceControlPolicy,
            doc(
                json!([{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id}}}]),
            ),
        ),
    ] {
        let policy_id = orgs
            .create_policy()
            .name(name)
            .description(name)
            .r#type(kind)
            .content(document.to_string())
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap()
            .policy_summary()
            .unwrap()
            .id()
            .unwrap()
            .to_string();
        orgs.attach_policy()
            .policy_id(policy_id)
            .target_id(&ou)
            .send()
            .await
            .unwrap();
    }
    (account, root, ou)
}

/// IAM, S3, KMS, DynamoDB, SQS, SNS, Secrets Manager and Lambda in `account`.
async fn seed_account(config: &SdkConfig, account: &str) -> (String, String) {
    let iam = aws_sdk_iam::Client::new(config);
    let bucket_arn = "arn:aws:s3:::credit-applications";
    let mut policy_arns = Vec::new();
    for (name, document) in [
        (
            "shared-read",
            doc(json!([allow(
                "SharedRead",
                json!("sqs:ReceiveMessage"),
                json!("*")
            )])),
        ),
        (
            "boundary",
            doc(json!([allow(
                "Bound",
                json!(["s3:*", "kms:*", "sqs:*", "secretsmanager:*", "dynamodb:*"]),
                json!("*")
            )])),
        ),
    ] {
        let arn = iam
            .create_policy()
            .policy_name(name)
            .policy_document(document.to_string())
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap()
            .arn()
            .unwrap()
            .to_string();
        policy_arns.push(arn);
    }
    iam.create_role()
        .role_name("credit-processor")
        .assume_role_policy_document(lambda_trust().to_string())
        .permissions_boundary(&policy_arns[1])
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("credit")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("credit-processor")
        .policy_name("ReadApps")
        .policy_document(
            doc(json!([allow(
                "ReadApps",
                json!(["s3:GetObject", "s3:ListBucket"]),
                json!([bucket_arn, format!("{bucket_arn}/*")])
            )]))
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("credit-processor")
        .policy_arn(&policy_arns[0])
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name("auditor")
        .path("/audit/")
        .assume_role_policy_document(lambda_trust().to_string())
        .send()
        .await
        .unwrap();
    iam.create_group().group_name("ops").send().await.unwrap();
    iam.put_group_policy()
        .group_name("ops")
        .policy_name("SendIntake")
        .policy_document(
            doc(json!([allow(
                "Send",
                json!("sqs:SendMessage"),
                json!(format!("arn:aws:sqs:{REGION}:{account}:intake"))
            )]))
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    iam.create_user().user_name("alice").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("ops")
        .user_name("alice")
        .send()
        .await
        .unwrap();

    // S3: one bucket with policy, tags, Block Public Access and ownership controls; one bare.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    );
    for b in ["credit-applications", "plain-bucket"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    s3.put_bucket_policy()
        .bucket("credit-applications")
        .policy(bucket_policy(account).to_string())
        .send()
        .await
        .unwrap();
    s3.put_bucket_tagging()
        .bucket("credit-applications")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("owner")
                        .value("credit-team")
                        .build()
                        .unwrap(),
                )
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("classification")
                        .value("Confidential")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket("credit-applications")
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_ownership_controls()
        .bucket("credit-applications")
        .ownership_controls(
            aws_sdk_s3::types::OwnershipControls::builder()
                .rules(
                    aws_sdk_s3::types::OwnershipControlsRule::builder()
                        .object_ownership(aws_sdk_s3::types::ObjectOwnership::BucketOwnerEnforced)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let s3control = aws_sdk_s3control::Client::from_conf(
        aws_sdk_s3control::config::Builder::from(config)
            .endpoint_resolver(FixedEndpoint(config.endpoint_url().unwrap().to_string()))
            .build(),
    );
    s3control
        .put_public_access_block()
        .account_id(account)
        .public_access_block_configuration(
            aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(false)
                .restrict_public_buckets(false)
                .build(),
        )
        .send()
        .await
        .unwrap();

    // KMS: a customer-managed key with a policy and tags.
    let kms = aws_sdk_kms::Client::new(config);
    let key_id = kms
        .create_key()
        .policy(key_policy(account).to_string())
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key("owner")
                .tag_value("credit-team")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();

    // DynamoDB: a table with a resource policy.
    let ddb = aws_sdk_dynamodb::Client::new(config);
    let table_arn = ddb
        .create_table()
        .table_name("ledger")
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("owner")
                .value("ledger-team")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .table_description()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string();
    ddb.put_resource_policy()
        .resource_arn(&table_arn)
        .policy(table_policy(account).to_string())
        .send()
        .await
        .unwrap();

    // SQS, SNS.
    let sqs = aws_sdk_sqs::Client::new(config);
    let queue_url = sqs
        .create_queue()
        .queue_name("intake")
        .tags("owner", "intake-team")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    sqs.set_queue_attributes()
        .queue_url(&queue_url)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::Policy,
            queue_policy(account).to_string(),
        )
        .send()
        .await
        .unwrap();
    aws_sdk_sns::Client::new(config)
        .create_topic()
        .name("alerts")
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key("owner")
                .value("ops")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // Secrets Manager: a secret with a resource policy.
    let secrets = aws_sdk_secretsmanager::Client::new(config);
    let secret_arn = secrets
        .create_secret()
        .name("db-password")
        .secret_string("not read by the collector")
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("owner")
                .value("credit-team")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    secrets
        .put_resource_policy()
        .secret_id(&secret_arn)
        .resource_policy(secret_policy(account).to_string())
        .send()
        .await
        .unwrap();

    // Lambda: a function (never run: the emulator would need Docker) with a permission
    // for S3 to invoke it. An empty zip archive is enough to create it.
    let lambda = aws_sdk_lambda::Client::new(config);
    let mut empty_zip = b"PK\x05\x06".to_vec();
    empty_zip.extend([0u8; 18]);
    lambda
        .create_function()
        .function_name("scorer")
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role(format!("arn:aws:iam::{account}:role/credit-processor"))
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(empty_zip))
                .build(),
        )
        .tags("owner", "credit-team")
        // `ListFunctions` hands these values to the read role; none may reach the
        // snapshot (issue 11). moto creates functions without Docker.
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .variables("DB_PASSWORD", ENVIRONMENT_SECRET)
                .build(),
        )
        .send()
        .await
        .unwrap();
    lambda
        .add_permission()
        .function_name("scorer")
        .statement_id("S3Invokes")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .source_arn("arn:aws:s3:::credit-applications")
        .send()
        .await
        .unwrap();
    (key_id, secret_arn)
}

fn bucket_policy(account: &str) -> Value {
    doc(json!([{"Sid": "AuditorReads", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:role/audit/auditor")},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::credit-applications/*"}]))
}

fn key_policy(account: &str) -> Value {
    doc(json!([
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "ProcessorDecrypts", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:role/credit-processor")},
         "Action": "kms:Decrypt", "Resource": "*"}
    ]))
}

fn table_policy(account: &str) -> Value {
    doc(json!([{"Sid": "AuditorGets", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:role/audit/auditor")},
        "Action": "dynamodb:GetItem", "Resource": format!("arn:aws:dynamodb:{REGION}:{account}:table/ledger")}]))
}

fn queue_policy(account: &str) -> Value {
    doc(
        json!([{"Sid": "PartnerSends", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
        "Action": "sqs:SendMessage", "Resource": format!("arn:aws:sqs:{REGION}:{account}:intake")}]),
    )
}

fn secret_policy(account: &str) -> Value {
    doc(json!([{"Sid": "ProcessorReads", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:role/credit-processor")},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]))
}

/// The entry of `arn` in the collected snapshot.
fn entry<'s>(s: &'s AccountSnapshot, arn: &str) -> &'s ResourceEntry {
    s.resources
        .iter()
        .find(|r| r.arn == arn)
        .unwrap_or_else(|| panic!("no resource {arn} in {:#?}", s.resources))
}

fn lines_of(text: &str) -> (accessdrift_snapshot::Snapshot, Vec<Line>) {
    let snap =
        accessdrift_snapshot::read_snapshot(text).expect("the reader reads the collected snapshot");
    let mut lines = Vec::new();
    effective_access(&snap, &Default::default(), |l| lines.push(l));
    (snap, lines)
}

/// `(capability, access, grants as "policy#statement")` of a principal on a resource.
fn rows(lines: &[Line], principal: &str, resource: &str) -> Vec<(String, Access, Vec<String>)> {
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Row(r) if &*r.principal == principal && &*r.resource == resource => Some((
                r.capability.as_str().to_string(),
                r.access,
                r.grants
                    .iter()
                    .map(|g| format!("{}#{}", g.policy, g.statement))
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_member_account_is_collected_whole_and_the_engine_runs_on_it() {
    let emulator = Emulator::start();
    let base = emulator.sdk_config().await;
    let (account, root, ou) = seed_organization(&base).await;
    let member = member_config(&base, &account).await;
    let (key_id, secret_arn) = seed_account(&member, &account).await;
    let seeded = Seeded {
        account,
        root,
        ou,
        key_id,
        secret_arn,
    };
    let account = seeded.account.as_str();

    let collector = Collector::for_member_account(
        &base,
        &MemberRole {
            account_id: account.to_string(),
            role_name: "accessdrift-read".into(),
            external_id: None,
        },
        CollectorOptions::default(),
    )
    .await
    .expect("the member's read role is assumed");
    assert_eq!(collector.account_id(), account);
    assert_eq!(collector.regions(), [REGION]);

    let events = Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    let snapshot = collector
        .collect_account(&|p| events.lock().unwrap().push(p))
        .await
        .expect("the account is collected");
    eprintln!("collected the seeded account in {:?}", started.elapsed());
    let text = serde_json::to_string(&snapshot.to_value()).unwrap();
    assert!(
        text.contains(&format!(
            "arn:aws:lambda:{REGION}:{account}:function:scorer"
        )),
        "the function is collected"
    );
    assert!(
        !text.contains(ENVIRONMENT_SECRET) && !text.contains("DB_PASSWORD"),
        "no environment variable reaches the snapshot"
    );

    // The account, regions, IAM.
    assert_eq!(snapshot.account_id, account);
    assert_eq!(snapshot.regions, [REGION]);
    assert!(
        snapshot.not_collected.is_empty(),
        "{:?}",
        snapshot.not_collected
    );
    let gaad = &snapshot.authorization_details;
    let names = |list: &[Value], key: &str| -> Vec<String> {
        let mut v: Vec<String> = list
            .iter()
            .map(|e| e[key].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    // Organizations creates `OrganizationAccountAccessRole` in the accounts it creates
    // (moto does as AWS does).
    assert_eq!(
        names(&gaad.role_detail_list, "RoleName"),
        [
            "OrganizationAccountAccessRole",
            "auditor",
            "credit-processor"
        ]
    );
    assert_eq!(names(&gaad.user_detail_list, "UserName"), ["alice"]);
    assert_eq!(names(&gaad.group_detail_list, "GroupName"), ["ops"]);
    // moto's GAAD `Policies[]` has no `PolicyName`: key by ARN.
    assert_eq!(
        names(&gaad.policies, "Arn"),
        [
            format!("arn:aws:iam::{account}:policy/boundary"),
            format!("arn:aws:iam::{account}:policy/shared-read")
        ]
    );
    let processor = gaad
        .role_detail_list
        .iter()
        .find(|r| r["RoleName"] == "credit-processor")
        .unwrap();
    assert_eq!(processor["RolePolicyList"][0]["PolicyName"], "ReadApps");
    assert_eq!(
        processor["PermissionsBoundary"]["PermissionsBoundaryArn"],
        format!("arn:aws:iam::{account}:policy/boundary")
    );
    assert_eq!(
        processor["Tags"],
        json!([{"Key": "team", "Value": "credit"}])
    );
    assert_eq!(gaad.user_detail_list[0]["GroupList"], json!(["ops"]));

    // Resources: exactly the seeded ones, sorted by ARN.
    let key_arn = format!("arn:aws:kms:{REGION}:{account}:key/{}", seeded.key_id);
    let table_arn = format!("arn:aws:dynamodb:{REGION}:{account}:table/ledger");
    let queue_arn = format!("arn:aws:sqs:{REGION}:{account}:intake");
    let topic_arn = format!("arn:aws:sns:{REGION}:{account}:alerts");
    let function_arn = format!("arn:aws:lambda:{REGION}:{account}:function:scorer");
    let arns: Vec<&str> = snapshot.resources.iter().map(|r| r.arn.as_str()).collect();
    assert_eq!(
        arns,
        [
            table_arn.as_str(),
            key_arn.as_str(),
            function_arn.as_str(),
            "arn:aws:s3:::credit-applications",
            "arn:aws:s3:::plain-bucket",
            seeded.secret_arn.as_str(),
            topic_arn.as_str(),
            queue_arn.as_str(),
        ]
    );
    for r in &snapshot.resources {
        assert_eq!(r.error, None, "{}", r.arn);
        assert!(r.collected_at >= snapshot.collected_at, "{}", r.arn);
    }
    let bucket = entry(&snapshot, "arn:aws:s3:::credit-applications");
    assert_eq!(bucket.type_name, "AWS::S3::Bucket");
    assert_eq!(bucket.policy, Some(bucket_policy(account)));
    assert_eq!(
        bucket.tags,
        [
            ("classification".to_string(), "Confidential".to_string()),
            ("owner".to_string(), "credit-team".to_string())
        ]
        .into()
    );
    assert_eq!(bucket.settings["region"], REGION);
    assert_eq!(
        bucket.settings["PublicAccessBlock"],
        json!({"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true})
    );
    assert_eq!(
        bucket.settings["OwnershipControls"],
        json!({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    );
    assert_eq!(bucket.settings["Grants"][0]["Permission"], "FULL_CONTROL");
    assert_eq!(
        bucket.settings["Grants"][0]["Grantee"]["Type"],
        "CanonicalUser"
    );
    let plain = entry(&snapshot, "arn:aws:s3:::plain-bucket");
    assert_eq!((plain.policy.as_ref(), plain.tags.len()), (None, 0));
    assert_eq!(plain.settings.get("PublicAccessBlock"), None);
    let key = entry(&snapshot, &key_arn);
    assert_eq!(key.type_name, "AWS::KMS::Key");
    assert_eq!(key.policy, Some(key_policy(account)));
    assert_eq!(
        key.tags,
        [("owner".to_string(), "credit-team".to_string())].into()
    );
    let table = entry(&snapshot, &table_arn);
    assert_eq!(table.policy, Some(table_policy(account)));
    assert_eq!(
        table.tags,
        [("owner".to_string(), "ledger-team".to_string())].into()
    );
    let queue = entry(&snapshot, &queue_arn);
    assert_eq!(queue.policy, Some(queue_policy(account)));
    assert_eq!(
        queue.tags,
        [("owner".to_string(), "intake-team".to_string())].into()
    );
    let topic = entry(&snapshot, &topic_arn);
    // SNS gives every new topic a default policy (AWS does too).
    assert_eq!(topic.policy.as_ref().unwrap()["Id"], "__default_policy_ID");
    assert_eq!(
        topic.tags,
        [("owner".to_string(), "ops".to_string())].into()
    );
    let secret = entry(&snapshot, &seeded.secret_arn);
    assert_eq!(secret.type_name, "AWS::SecretsManager::Secret");
    assert_eq!(secret.policy, Some(secret_policy(account)));
    assert_eq!(
        secret.tags,
        [("owner".to_string(), "credit-team".to_string())].into()
    );

    let function = entry(&snapshot, &function_arn);
    assert_eq!(function.type_name, "AWS::Lambda::Function");
    let statement = &function.policy.as_ref().unwrap()["Statement"][0];
    assert_eq!(
        (
            &statement["Sid"],
            &statement["Principal"],
            &statement["Action"]
        ),
        (
            &json!("S3Invokes"),
            &json!({"Service": "s3.amazonaws.com"}),
            &json!("lambda:InvokeFunction")
        )
    );
    assert_eq!(
        function.tags,
        [("owner".to_string(), "credit-team".to_string())].into()
    );
    // The execution role is kept (transitive access: who may change the code acts as
    // it); the partial read below must give the same (GetFunctionConfiguration).
    assert_eq!(
        function.settings.get("Role"),
        Some(&json!(format!(
            "arn:aws:iam::{account}:role/credit-processor"
        )))
    );

    assert_eq!(
        snapshot.account_settings.s3_block_public_access,
        Some(BlockPublicAccess {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: false,
            restrict_public_buckets: false,
        })
    );

    // The Organization, from the management account's credentials.
    let org = snapshot
        .organization
        .as_ref()
        .expect("the account is in an Organization");
    assert!(org.id.starts_with("o-"), "{}", org.id);
    assert_eq!(org.management_account_id, DEFAULT_ACCOUNT);
    assert_eq!(org.path, [seeded.root.clone(), seeded.ou.clone()]);
    let level_names = |levels: &[OrgLevel]| -> Vec<(String, Vec<String>)> {
        levels
            .iter()
            .map(|l| {
                let mut n: Vec<String> = l.policies.iter().map(|p| p.name.clone()).collect();
                n.sort();
                (l.level.clone(), n)
            })
            .collect()
    };
    assert_eq!(
        level_names(&org.scp),
        [
            (seeded.root.clone(), vec!["FullAWSAccess".to_string()]),
            (
                seeded.ou.clone(),
                vec![
                    "DenyBucketDeletion".to_string(),
                    "FullAWSAccess".to_string()
                ]
            ),
            (account.to_string(), vec!["FullAWSAccess".to_string()]),
        ]
    );
    assert_eq!(
        level_names(&org.rcp),
        [
            (seeded.root.clone(), vec!["RCPFullAWSAccess".to_string()]),
            (
                seeded.ou.clone(),
                vec!["OnlyOurOrg".to_string(), "RCPFullAWSAccess".to_string()]
            ),
            (account.to_string(), vec!["RCPFullAWSAccess".to_string()]),
        ]
    );

    // Partial collection reads each resource exactly as the whole collection did.
    for full in &snapshot.resources {
        let fragment = collector.collect_resource(&full.arn).await.unwrap();
        let mut one = fragment
            .entry
            .unwrap_or_else(|| panic!("{} exists", full.arn));
        assert!(one.collected_at >= full.collected_at);
        one.collected_at.clone_from(&full.collected_at);
        assert_eq!(&one, full);
    }
    for missing in [
        format!("arn:aws:lambda:{REGION}:{account}:function:nope"),
        format!("arn:aws:sqs:{REGION}:{account}:nope"),
        format!("arn:aws:sns:{REGION}:{account}:nope"),
        format!("arn:aws:dynamodb:{REGION}:{account}:table/nope"),
        format!("arn:aws:secretsmanager:{REGION}:{account}:secret:nope-AbCdEf"),
        format!("arn:aws:kms:{REGION}:{account}:key/00000000-0000-0000-0000-000000000000"),
        "arn:aws:s3:::nope-bucket".to_string(),
    ] {
        let fragment = collector.collect_resource(&missing).await.unwrap();
        assert_eq!(fragment.entry, None, "{missing}");
    }
    let other_account = collector
        .collect_resource("arn:aws:sqs:us-east-1:999999999999:q")
        .await
        .unwrap_err();
    assert!(
        other_account
            .to_string()
            .contains("belongs to account `999999999999`"),
        "{other_account}"
    );

    // Progress: IAM, the Organization, one listing per (type, region), then each read.
    let events = events.into_inner().unwrap();
    assert!(
        matches!(
            events[0],
            Progress::Iam {
                users: 1,
                groups: 1,
                roles: 3,
                policies: 2
            }
        ),
        "{events:?}"
    );
    assert!(
        matches!(events[1], Progress::Organization { levels: 3 }),
        "{events:?}"
    );
    let listed: usize = events
        .iter()
        .filter_map(|e| match e {
            Progress::Listed { count, .. } => Some(*count),
            _ => None,
        })
        .sum();
    assert_eq!(listed, 8);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Progress::Listed { .. }))
            .count(),
        ResourceType::ALL.len()
    );
    assert!(events.contains(&Progress::Reading { total: 8 }));
    assert_eq!(events.last(), Some(&Progress::Read { done: 8, total: 8 }));

    // The reader reads it, and the engine finds the grants.
    let text = serde_json::to_string(&snapshot).unwrap();
    let (snap, lines) = lines_of(&text);
    let problems: Vec<String> = snap
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.subject, p.message))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        !lines.iter().any(|l| !matches!(l, Line::Row(_))),
        "{:#?}",
        lines
            .iter()
            .filter(|l| !matches!(l, Line::Row(_)))
            .collect::<Vec<_>>()
    );
    let auditor = format!("arn:aws:iam::{account}:role/audit/auditor");
    let processor = format!("arn:aws:iam::{account}:role/credit-processor");
    assert_eq!(
        rows(&lines, &auditor, "arn:aws:s3:::credit-applications"),
        [(
            "read-data".to_string(),
            Access::Allowed,
            vec!["resource#AuditorReads".to_string()]
        )]
    );
    assert_eq!(
        rows(&lines, &auditor, &table_arn),
        [(
            "read-data".to_string(),
            Access::Allowed,
            vec!["resource#AuditorGets".to_string()]
        )]
    );
    let processor_on_bucket = rows(&lines, &processor, "arn:aws:s3:::credit-applications");
    assert!(
        processor_on_bucket.contains(&(
            "read-data".to_string(),
            Access::Allowed,
            vec!["inline:credit-processor/ReadApps#ReadApps".to_string()]
        )),
        "{processor_on_bucket:?}"
    );
    let processor_on_secret = rows(&lines, &processor, &seeded.secret_arn);
    assert!(
        processor_on_secret.iter().any(|(c, a, g)| c == "read-data"
            && *a == Access::Allowed
            && g == &["resource#ProcessorReads"]),
        "{processor_on_secret:?}"
    );
    // The group's inline policy reaches alice.
    let alice = format!("arn:aws:iam::{account}:user/alice");
    let alice_on_queue = rows(&lines, &alice, &queue_arn);
    assert!(
        alice_on_queue
            .iter()
            .any(|(c, _, g)| c == "write-data" && g == &["group:ops/inline:SendIntake#Send"]),
        "{alice_on_queue:?}"
    );
    // The service S3 may invoke the function, only from the bucket: a request-time condition.
    assert_eq!(
        rows(&lines, "s3.amazonaws.com", &function_arn),
        [(
            "use-resource".to_string(),
            Access::Conditional,
            vec!["resource#S3Invokes".to_string()]
        )]
    );
    // The partner account named by the queue policy: Conditional (it must grant its own).
    assert!(
        rows(&lines, "arn:aws:iam::222222222222:root", &queue_arn)
            .iter()
            .all(|(_, a, _)| *a == Access::Conditional)
    );
}

/// A single account (moto's default) with one bucket and one role, collected whole.
async fn small_account(emulator: &Emulator) -> (SdkConfig, Collector, AccountSnapshot) {
    let config = emulator.sdk_config().await;
    let s3 = aws_sdk_s3::Client::new(&config);
    for b in ["reports", "scratch"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let iam = aws_sdk_iam::Client::new(&config);
    iam.create_role()
        .role_name("analyst")
        .assume_role_policy_document(lambda_trust().to_string())
        .send()
        .await
        .unwrap();
    let collector = Collector::new(
        &config,
        CollectorOptions {
            concurrency: 2,
            collect_organization: false,
            ..CollectorOptions::default()
        },
    )
    .await
    .unwrap();
    let snapshot = collector.collect_account(&|_| {}).await.unwrap();
    (config, collector, snapshot)
}

#[tokio::test]
async fn a_changed_bucket_policy_and_a_changed_role_are_patched_in_with_their_own_freshness() {
    let emulator = Emulator::start();
    let (config, collector, snapshot) = small_account(&emulator).await;
    assert_eq!(snapshot.organization, None);
    let analyst = format!("arn:aws:iam::{DEFAULT_ACCOUNT}:role/analyst");
    let mut stored = serde_json::to_value(&snapshot).unwrap();
    let (_, before) = lines_of(&stored.to_string());
    assert!(rows(&before, &analyst, "arn:aws:s3:::reports").is_empty());
    let first = freshness(&stored, "arn:aws:s3:::reports").unwrap();

    // The bucket policy changes: a grant to the analyst.
    let policy = doc(
        json!([{"Sid": "AnalystReads", "Effect": "Allow", "Principal": {"AWS": analyst},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]),
    );
    aws_sdk_s3::Client::new(&config)
        .put_bucket_policy()
        .bucket("reports")
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let fragment = collector
        .collect_resource("arn:aws:s3:::reports")
        .await
        .unwrap();
    assert_eq!(fragment.entry.as_ref().unwrap().policy, Some(policy));
    assert_eq!(
        patch_snapshot(&mut stored, &FreshPart::Resource(fragment)).unwrap(),
        PatchOutcome::Replaced
    );
    let (_, after) = lines_of(&stored.to_string());
    assert_eq!(
        rows(&after, &analyst, "arn:aws:s3:::reports"),
        [(
            "read-data".to_string(),
            Access::Allowed,
            vec!["resource#AnalystReads".to_string()]
        )]
    );
    let second = freshness(&stored, "arn:aws:s3:::reports").unwrap();
    assert!(second > first, "{second} after {first}");
    // The other bucket keeps its freshness.
    assert_eq!(
        freshness(&stored, "arn:aws:s3:::scratch").as_deref(),
        Some(
            entry(&snapshot, "arn:aws:s3:::scratch")
                .collected_at
                .as_str()
        )
    );

    // The role gains an inline policy on the other bucket.
    aws_sdk_iam::Client::new(&config)
        .put_role_policy()
        .role_name("analyst")
        .policy_name("Scratch")
        .policy_document(
            doc(json!([allow(
                "WriteScratch",
                json!("s3:PutObject"),
                json!("arn:aws:s3:::scratch/*")
            )]))
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let fragment = collector.collect_principal(&analyst).await.unwrap();
    assert_eq!(
        fragment.entity.as_ref().unwrap()["RolePolicyList"][0]["PolicyName"],
        "Scratch"
    );
    assert_eq!(
        patch_snapshot(&mut stored, &FreshPart::Principal(fragment)).unwrap(),
        PatchOutcome::Replaced
    );
    let (_, after) = lines_of(&stored.to_string());
    assert_eq!(
        rows(&after, &analyst, "arn:aws:s3:::scratch"),
        [(
            "write-data".to_string(),
            Access::Allowed,
            vec!["inline:analyst/Scratch#WriteScratch".to_string()]
        )]
    );
    assert!(freshness(&stored, &analyst).unwrap() > snapshot.collected_at);

    // Deleted: the bucket and the role leave the snapshot.
    aws_sdk_s3::Client::new(&config)
        .delete_bucket()
        .bucket("scratch")
        .send()
        .await
        .unwrap();
    let gone = collector
        .collect_resource("arn:aws:s3:::scratch")
        .await
        .unwrap();
    assert_eq!(gone.entry, None);
    assert_eq!(
        patch_snapshot(&mut stored, &FreshPart::Resource(gone)).unwrap(),
        PatchOutcome::Removed
    );
    let iam = aws_sdk_iam::Client::new(&config);
    iam.delete_role_policy()
        .role_name("analyst")
        .policy_name("Scratch")
        .send()
        .await
        .unwrap();
    iam.delete_role().role_name("analyst").send().await.unwrap();
    let gone = collector.collect_principal(&analyst).await.unwrap();
    assert_eq!(gone.entity, None);
    assert_eq!(
        patch_snapshot(&mut stored, &FreshPart::Principal(gone)).unwrap(),
        PatchOutcome::Removed
    );
    let (snap, after) = lines_of(&stored.to_string());
    assert!(
        snap.resources
            .iter()
            .all(|r| r.arn != "arn:aws:s3:::scratch")
    );
    assert!(snap.principals.iter().all(|p| p.arn != analyst));
    assert!(rows(&after, &analyst, "arn:aws:s3:::reports").is_empty());
}

#[tokio::test]
async fn a_bucket_deleted_between_listing_and_reading_is_could_not_evaluate_and_the_rest_goes_on() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let s3 = aws_sdk_s3::Client::new(&config);
    for b in ["doomed", "kept"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let collector = Collector::new(
        &config,
        CollectorOptions {
            collect_organization: false,
            ..CollectorOptions::default()
        },
    )
    .await
    .unwrap();
    // Between the listing and the reads (the `Reading` event), the bucket goes. The
    // callback is synchronous, so the deletion runs on a thread with its own runtime.
    let url = emulator.url().to_string();
    let snapshot = collector
        .collect_account(&|p| {
            if let Progress::Reading { .. } = p {
                let url = url.clone();
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                            .region(aws_config::Region::new(REGION))
                            .endpoint_url(url)
                            .test_credentials()
                            .load()
                            .await;
                        aws_sdk_s3::Client::new(&config)
                            .delete_bucket()
                            .bucket("doomed")
                            .send()
                            .await
                            .unwrap();
                    });
                })
                .join()
                .unwrap();
            }
        })
        .await
        .unwrap();
    let doomed = entry(&snapshot, "arn:aws:s3:::doomed");
    assert_eq!(doomed.policy, None);
    let error = doomed.error.as_deref().unwrap();
    assert!(
        error.starts_with(
            "it was deleted while being read (`s3:GetBucketLocation` not found: NoSuchBucket"
        ),
        "{error}"
    );
    let kept = entry(&snapshot, "arn:aws:s3:::kept");
    assert_eq!((kept.error.as_ref(), kept.policy.as_ref()), (None, None));

    let (_, lines) = lines_of(&serde_json::to_string(&snapshot).unwrap());
    let errors: Vec<(&str, &str)> = lines
        .iter()
        .filter_map(|l| match l {
            Line::ResourceError { resource, error } => Some((resource.as_str(), error.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "arn:aws:s3:::doomed");
    assert!(
        errors[0].1.starts_with("could not evaluate: policy could not be read: the producer could not read it: it was deleted while being read"),
        "{}",
        errors[0].1
    );
}
