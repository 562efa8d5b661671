//! The [`Collector`]: clients for one account, and the orchestration of a whole-account
//! collection (IAM, account settings, Organization, then list every service in every
//! region, then read every resource with bounded concurrency).

use aws_config::retry::RetryConfig;
use aws_config::{Region, SdkConfig};
use aws_sdk_sts::config::SharedCredentialsProvider;
use futures_util::stream::{self, StreamExt as _};
use tracing::{info, warn};

use crate::arn::{parse_principal_arn, parse_resource_arn};
use crate::error::{CollectError, Failure, failure};
use crate::resources::{Job, Read};
use crate::{iam, org, resources};
use accessdrift_snapshot::document::{
    AccountSettings, AccountSnapshot, ResourceEntry, ResourceType,
};
use accessdrift_snapshot::{FreshIam, FreshPart, FreshPrincipal, FreshResource, Part};

/// How a [`Collector`] collects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectorOptions {
    /// The regions whose regional resources (KMS keys, tables, queues, topics, secrets,
    /// functions) are collected. Empty (the default): the SDK config's region only.
    /// S3 buckets are listed once for all regions. Discovering the enabled regions is
    /// left to the caller (`aws account list-regions`), which keeps EC2's SDK out.
    pub regions: Vec<String>,
    /// At most this many AWS calls in flight at once (at least 1). Default 8.
    pub concurrency: usize,
    /// Attempts per AWS call, retries included, with exponential backoff on
    /// throttling and transient errors. Default 8.
    pub max_attempts: u32,
    /// Adaptive retry (a client-side rate limiter that slows down when AWS throttles)
    /// rather than standard retry. Default true: a collection makes thousands of calls.
    pub adaptive_retry: bool,
    /// Read the Organization path with its SCPs and RCPs. Default true. This needs the
    /// management account's (or a delegated administrator's) credentials: see
    /// [`Collector::for_member_account`].
    pub collect_organization: bool,
}

impl Default for CollectorOptions {
    fn default() -> Self {
        CollectorOptions {
            regions: Vec::new(),
            concurrency: 8,
            max_attempts: 8,
            adaptive_retry: true,
            collect_organization: true,
        }
    }
}

/// The read-only role a member account lends the collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRole {
    /// The member account's id.
    pub account_id: String,
    /// The role's name (`accessdrift-read`), or path and name (`security/accessdrift-read`).
    pub role_name: String,
    /// The external id the role's trust policy requires, if any.
    pub external_id: Option<String>,
}

/// Where a collection has got to, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// The IAM authorization details are read.
    Iam {
        /// Users.
        users: usize,
        /// Groups.
        groups: usize,
        /// Roles.
        roles: usize,
        /// Managed policies.
        policies: usize,
    },
    /// The Organization path is read (`levels` from the root to the account).
    Organization {
        /// Levels on the path, the account included.
        levels: usize,
    },
    /// One service is listed in one region (`global` for S3).
    Listed {
        /// The resource type.
        resource_type: ResourceType,
        /// The region.
        region: String,
        /// How many resources it has.
        count: usize,
    },
    /// Everything is listed: `total` resources will now be read.
    Reading {
        /// Resources to read.
        total: usize,
    },
    /// One more resource is read (successfully or as an entry with an `error`).
    Read {
        /// Resources read so far.
        done: usize,
        /// Resources to read.
        total: usize,
    },
}

/// Reads one account. Built once, used for a whole collection or for partial ones.
#[derive(Debug, Clone)]
pub struct Collector {
    /// The account's SDK config (assumed-role credentials for a member account), with
    /// the retry configuration applied.
    pub(crate) config: SdkConfig,
    /// The config for Organizations calls (the caller's own credentials).
    pub(crate) org_config: SdkConfig,
    pub(crate) account_id: String,
    pub(crate) options: CollectorOptions,
    pub(crate) regions: Vec<String>,
}

impl Collector {
    /// A collector for the account the SDK config's credentials belong to (learned
    /// with `sts:GetCallerIdentity`, which also checks the credentials work).
    pub async fn new(
        sdk_config: &SdkConfig,
        options: CollectorOptions,
    ) -> Result<Collector, CollectError> {
        let config = with_retry(sdk_config, &options);
        let account_id = caller_account(&config)
            .await
            .map_err(CollectError::Identity)?;
        Ok(Collector::build(
            config.clone(),
            config,
            account_id,
            options,
        ))
    }

    /// A collector for a member account, reading it through its read-only role, which
    /// the SDK config's principal assumes. Organizations calls keep the SDK config's own
    /// credentials (members may not call `ListParents` or `ListPoliciesForTarget`): give
    /// the management account's or a delegated administrator's, or turn
    /// [`CollectorOptions::collect_organization`] off.
    pub async fn for_member_account(
        sdk_config: &SdkConfig,
        role: &MemberRole,
        options: CollectorOptions,
    ) -> Result<Collector, CollectError> {
        let base = with_retry(sdk_config, &options);
        let partition = partition(base.region().map(|r| r.as_ref()).unwrap_or_default());
        let role_arn = format!(
            "arn:{partition}:iam::{}:role/{}",
            role.account_id,
            role.role_name.trim_start_matches('/')
        );
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn.clone())
            .session_name("accessdrift-collector")
            .configure(&base);
        if let Some(id) = &role.external_id {
            builder = builder.external_id(id.clone());
        }
        let provider = builder.build().await;
        let member = base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        let account_id =
            caller_account(&member)
                .await
                .map_err(|source| CollectError::AssumeRole {
                    role_arn: role_arn.clone(),
                    source,
                })?;
        if account_id != role.account_id {
            return Err(CollectError::AssumeRole {
                role_arn,
                source: Failure {
                    operation: "sts:GetCallerIdentity",
                    kind: crate::FailureKind::Other,
                    code: None,
                    message: format!("the assumed credentials belong to account `{account_id}`"),
                },
            });
        }
        Ok(Collector::build(member, base, account_id, options))
    }

    fn build(
        config: SdkConfig,
        org_config: SdkConfig,
        account_id: String,
        options: CollectorOptions,
    ) -> Collector {
        let regions = if options.regions.is_empty() {
            config
                .region()
                .map(|r| vec![r.to_string()])
                .unwrap_or_default()
        } else {
            options.regions.clone()
        };
        Collector {
            config,
            org_config,
            account_id,
            options,
            regions,
        }
    }

    /// The account this collector reads.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The regions whose regional resources it reads.
    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    /// The SDK config for `region`.
    pub(crate) fn config_in(&self, region: &str) -> SdkConfig {
        self.config
            .to_builder()
            .region(Region::new(region.to_string()))
            .build()
    }

    fn concurrency(&self) -> usize {
        self.options.concurrency.max(1)
    }

    /// Collects the whole account: IAM, the account's S3 Block Public Access, the
    /// Organization path, and every resource of every supported type in the configured
    /// regions. A resource that cannot be read becomes an entry with an `error`; a part
    /// that cannot be read as a whole (IAM, a service's listing...) stops the collection.
    #[tracing::instrument(name = "collect_account", skip_all, fields(account = %self.account_id))]
    pub async fn collect_account(
        &self,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<AccountSnapshot, CollectError> {
        let collected_at = now();
        let started = std::time::Instant::now();

        let authorization_details = iam::authorization_details(self)
            .await
            .map_err(CollectError::Iam)?;
        let counts = (
            authorization_details.user_detail_list.len(),
            authorization_details.group_detail_list.len(),
            authorization_details.role_detail_list.len(),
            authorization_details.policies.len(),
        );
        info!(
            users = counts.0,
            groups = counts.1,
            roles = counts.2,
            policies = counts.3,
            "iam: authorization details read"
        );
        progress(Progress::Iam {
            users: counts.0,
            groups: counts.1,
            roles: counts.2,
            policies: counts.3,
        });

        let account_settings = AccountSettings {
            s3_block_public_access: resources::s3::account_block_public_access(self)
                .await
                .map_err(CollectError::AccountSettings)?,
        };

        let organization = if self.options.collect_organization {
            let org = org::organization(self)
                .await
                .map_err(CollectError::Organization)?;
            match &org {
                Some(o) => {
                    info!(
                        org = %o.id,
                        levels = o.path.len() + 1,
                        scp_levels = o.scp.len(),
                        rcp_levels = o.rcp.len(),
                        "organizations: path read"
                    );
                    progress(Progress::Organization {
                        levels: o.path.len() + 1,
                    });
                }
                None => info!("organizations: the account is not in an Organization"),
            }
            org
        } else {
            info!("organizations: not collected (turned off)");
            None
        };

        // List every (type, region), then read every resource: the total is known before
        // reading starts, and one limit bounds the calls in flight across all services.
        let mut units = vec![(ResourceType::S3Bucket, "global".to_string())];
        for region in &self.regions {
            for kind in ResourceType::ALL
                .into_iter()
                .filter(|k| *k != ResourceType::S3Bucket)
            {
                units.push((kind, region.clone()));
            }
        }
        let listed: Vec<(ResourceType, String, Result<Vec<Job>, Failure>)> = stream::iter(units)
            .map(|(kind, region)| async move {
                let jobs = resources::list(self, kind, &region).await;
                (kind, region, jobs)
            })
            .buffer_unordered(self.concurrency())
            .collect()
            .await;
        let mut jobs = Vec::new();
        for (kind, region, result) in listed {
            let listed = result.map_err(|source| CollectError::List {
                service: kind.service(),
                region: region.clone(),
                source,
            })?;
            info!(service = kind.service(), region = %region, count = listed.len(), "listed");
            progress(Progress::Listed {
                resource_type: kind,
                region,
                count: listed.len(),
            });
            jobs.extend(listed);
        }

        let total = jobs.len();
        progress(Progress::Reading { total });
        let mut reads = stream::iter(jobs)
            .map(|job| resources::read(self, job))
            .buffer_unordered(self.concurrency());
        let mut entries: Vec<ResourceEntry> = Vec::with_capacity(total);
        let mut skipped: std::collections::BTreeMap<String, usize> = Default::default();
        let mut done = 0;
        while let Some(read) = reads.next().await {
            done += 1;
            match read {
                Read::Entry(entry) => {
                    if let Some(error) = &entry.error {
                        warn!(resource = %entry.arn, %error, "could not read a resource fully; it is marked could-not-evaluate");
                    }
                    entries.push(entry);
                }
                Read::Gone {
                    arn,
                    type_name,
                    failure,
                } => {
                    warn!(resource = %arn, "deleted while being read");
                    entries.push(ResourceEntry {
                        arn,
                        type_name: type_name.to_string(),
                        policy: None,
                        tags: Default::default(),
                        settings: Default::default(),
                        error: Some(format!(
                            "it was deleted while being read ({failure}); the next collection leaves it out"
                        )),
                        collected_at: now(),
                    });
                }
                Read::Skipped(note) => *skipped.entry(note).or_default() += 1,
            }
            progress(Progress::Read { done, total });
        }
        entries.sort_by(|a, b| a.arn.cmp(&b.arn));
        entries.dedup_by(|a, b| a.arn == b.arn);
        let errors = entries.iter().filter(|e| e.error.is_some()).count();
        let not_collected: Vec<String> = skipped
            .into_iter()
            .map(|(note, n)| format!("{n} {note}"))
            .collect();
        for note in &not_collected {
            info!(note = %note, "not collected");
        }
        info!(
            resources = entries.len(),
            could_not_evaluate = errors,
            seconds = started.elapsed().as_secs_f64(),
            "account collected"
        );
        Ok(AccountSnapshot {
            account_id: self.account_id.clone(),
            collected_at,
            regions: self.regions.clone(),
            authorization_details,
            resources: entries,
            account_settings,
            organization,
            not_collected,
        })
    }

    /// Reads one part of the account, for `accessdrift_snapshot::patch_snapshot`.
    pub async fn collect_part(&self, part: &Part) -> Result<FreshPart, CollectError> {
        Ok(match part {
            Part::Resource(arn) => FreshPart::Resource(self.collect_resource(arn).await?),
            Part::Principal(arn) => FreshPart::Principal(self.collect_principal(arn).await?),
            Part::Iam => FreshPart::Iam(self.collect_iam().await?),
        })
    }

    /// Reads one resource for `accessdrift_snapshot::patch_snapshot`: its entry, an
    /// entry with an `error` when it could not be read, or none when it no longer
    /// exists. An AWS-managed KMS key yields none too (the collector leaves those out).
    #[tracing::instrument(name = "collect_resource", skip_all, fields(resource = %arn))]
    pub async fn collect_resource(&self, arn: &str) -> Result<FreshResource, CollectError> {
        let unsupported = |reason: String| CollectError::UnsupportedArn {
            arn: arn.to_string(),
            reason,
        };
        let r = parse_resource_arn(arn).map_err(unsupported)?;
        if !r.account.is_empty() && r.account != self.account_id {
            return Err(unsupported(format!(
                "it belongs to account `{}`, this collector reads `{}`",
                r.account, self.account_id
            )));
        }
        let collected_at = now();
        let entry = match resources::read_one(self, &r).await {
            Read::Entry(e) => Some(e),
            Read::Gone { .. } | Read::Skipped(_) => None,
        };
        info!(exists = entry.is_some(), "resource collected");
        Ok(FreshResource {
            arn: arn.to_string(),
            collected_at,
            entry,
        })
    }

    /// Reads the account's whole IAM state (`GetAccountAuthorizationDetails`, all
    /// pages), for `accessdrift_snapshot::patch_snapshot`: what a change to a group
    /// or a managed policy needs, since it reaches every member or attachment, and the
    /// snapshot alone cannot say who they are now.
    #[tracing::instrument(name = "collect_iam", skip_all, fields(account = %self.account_id))]
    pub async fn collect_iam(&self) -> Result<FreshIam, CollectError> {
        let collected_at = now();
        let details = iam::authorization_details(self)
            .await
            .map_err(CollectError::Iam)?;
        info!(
            users = details.user_detail_list.len(),
            groups = details.group_detail_list.len(),
            roles = details.role_detail_list.len(),
            policies = details.policies.len(),
            "IAM collected"
        );
        Ok(FreshIam {
            account: self.account_id.clone(),
            collected_at,
            details,
        })
    }

    /// Reads one IAM user or role as authorization-details entries, for
    /// `accessdrift_snapshot::patch_snapshot`: its entry, its groups (users), and
    /// the managed policies it and its groups attach plus its permissions boundary; no
    /// entry when it no longer exists.
    #[tracing::instrument(name = "collect_principal", skip_all, fields(principal = %arn))]
    pub async fn collect_principal(&self, arn: &str) -> Result<FreshPrincipal, CollectError> {
        let (kind, name, account) =
            parse_principal_arn(arn).map_err(|reason| CollectError::UnsupportedArn {
                arn: arn.to_string(),
                reason,
            })?;
        if account != self.account_id {
            return Err(CollectError::UnsupportedArn {
                arn: arn.to_string(),
                reason: format!(
                    "it belongs to account `{account}`, this collector reads `{}`",
                    self.account_id
                ),
            });
        }
        let fragment = iam::principal(self, arn, kind, &name)
            .await
            .map_err(CollectError::Iam)?;
        info!(
            exists = fragment.entity.is_some(),
            groups = fragment.groups.len(),
            policies = fragment.policies.len(),
            "principal collected"
        );
        Ok(fragment)
    }
}

/// The partition of a region (`aws`, `aws-cn`, `aws-us-gov`), for the role ARN.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The SDK config with the collector's retry configuration.
fn with_retry(sdk_config: &SdkConfig, options: &CollectorOptions) -> SdkConfig {
    let retry = if options.adaptive_retry {
        RetryConfig::adaptive()
    } else {
        RetryConfig::standard()
    }
    .with_max_attempts(options.max_attempts.max(1));
    sdk_config.to_builder().retry_config(retry).build()
}

async fn caller_account(config: &SdkConfig) -> Result<String, Failure> {
    let out = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| failure("sts:GetCallerIdentity", e))?;
    out.account().map(str::to_string).ok_or_else(|| Failure {
        operation: "sts:GetCallerIdentity",
        kind: crate::FailureKind::Other,
        code: None,
        message: "the answer has no account".into(),
    })
}

/// Now, RFC 3339 in UTC with milliseconds, fixed width, so that later times sort later
/// as text too (`2026-11-24T12:00:00.123Z`).
pub(crate) fn now() -> String {
    accessdrift_primitives::Time::now().rfc3339_millis()
}
