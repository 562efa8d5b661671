//! `snapshot`: one account read live by `accessdrift-collector` and written as a
//! snapshot file (shared/spec/snapshot.md); also the account options and the progress
//! display that `scan` shares.
//!
//! Key design choices: the file is written to a temporary file beside the target and
//! renamed over it, so an interrupted run never leaves half a snapshot where a later
//! `scan --snapshot` would read it; progress goes to standard error (a bar on a
//! terminal, one plain line per step otherwise, so CI logs stay readable), keeping
//! standard output for the snapshot itself (`--output -`).

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use accessdrift_collector::{Collector, CollectorOptions, MemberRole, Progress};
use accessdrift_snapshot::document::AccountSnapshot;
use anyhow::{Context as _, anyhow};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cloud::{block_on, sdk_config};

/// Which account to read and how.
#[derive(clap::Args, Debug, Clone)]
pub struct CollectArgs {
    /// Regions whose regional resources are read, comma-separated (default: the
    /// configured region, AWS_REGION). S3 buckets are read whatever their region.
    #[arg(long, value_delimiter = ',', value_name = "REGION,...")]
    pub regions: Vec<String>,
    /// At most this many AWS calls in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Read this member account through its read-only role (with --role-name) instead
    /// of the account the credentials belong to.
    #[arg(long, value_name = "ID", requires = "role_name", value_parser = account_id)]
    pub account: Option<String>,
    /// The read-only role in that account (`accessdrift-read`, or `path/name`).
    #[arg(long, value_name = "NAME", requires = "account")]
    pub role_name: Option<String>,
    /// The external id the read-only role's trust policy requires.
    #[arg(long, value_name = "X", requires = "role_name")]
    pub external_id: Option<String>,
    /// Leave out the Organization path with its SCPs and RCPs (needed when the
    /// credentials are not the management account's or a delegated administrator's).
    #[arg(long)]
    pub no_organization: bool,
}

/// The ids of clap's [`CollectArgs`] arguments, for `conflicts_with_all` in `scan`.
pub const COLLECT_ARG_IDS: [&str; 6] = [
    "regions",
    "concurrency",
    "account",
    "role_name",
    "external_id",
    "no_organization",
];

fn account_id(s: &str) -> Result<String, String> {
    if accessdrift_primitives::is_account_id(s) {
        Ok(s.to_string())
    } else {
        Err("an AWS account id is 12 digits".to_string())
    }
}

/// Where a snapshot goes: a file (gzip when it ends in `.gz`) or standard output.
#[derive(Debug, Clone)]
pub enum Output {
    /// Standard output (`-`), uncompressed.
    Stdout,
    /// A file, replaced atomically.
    File(PathBuf),
}

impl Output {
    /// `-` is standard output; anything else a path.
    pub fn parse(s: &str) -> Result<Output, String> {
        match s {
            "" => Err("give a file name, or `-` for standard output".to_string()),
            "-" => Ok(Output::Stdout),
            path => Ok(Output::File(PathBuf::from(path))),
        }
    }

    /// For messages.
    pub fn shown(&self) -> String {
        match self {
            Output::Stdout => "standard output".to_string(),
            Output::File(p) => format!("`{}`", p.display()),
        }
    }
}

/// Reads the account with the standard AWS configuration, showing progress on
/// standard error.
pub fn collect(args: &CollectArgs) -> anyhow::Result<AccountSnapshot> {
    let options = CollectorOptions {
        regions: args
            .regions
            .iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        concurrency: usize::from(args.concurrency),
        collect_organization: !args.no_organization,
        ..Default::default()
    };
    let progress = ProgressDisplay::new();
    let result = block_on(async {
        let config = sdk_config().await?;
        let collector = match (&args.account, &args.role_name) {
            (Some(account), Some(role)) => {
                progress.step(&format!("assuming `{role}` in account {account}"));
                Collector::for_member_account(
                    &config,
                    &MemberRole {
                        account_id: account.clone(),
                        role_name: role.clone(),
                        external_id: args.external_id.clone(),
                    },
                    options,
                )
                .await?
            }
            _ => Collector::new(&config, options).await?,
        };
        progress.step(&format!(
            "reading account {} (regions: {})",
            collector.account_id(),
            collector.regions().join(", ")
        ));
        let snapshot = collector.collect_account(&|p| progress.report(&p)).await?;
        anyhow::Ok(snapshot)
    })?;
    progress.finish();
    result
}

/// Writes `value` as JSON to `output`: a file is written beside the target and renamed
/// over it (never half a file), gzip-compressed when its name ends in `.gz`.
pub fn write_json(output: &Output, value: &serde_json::Value) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec(value).context("serializing the snapshot")?;
    bytes.push(b'\n');
    match output {
        Output::Stdout => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&bytes)
                .and_then(|()| stdout.flush())
                .context("writing the snapshot to standard output")
        }
        Output::File(path) => {
            let gzip = path.extension().is_some_and(|e| e == "gz");
            write_atomically(path, |file| {
                if gzip {
                    let mut encoder =
                        flate2::write::GzEncoder::new(file, flate2::Compression::default());
                    encoder.write_all(&bytes)?;
                    encoder.finish()?.sync_all()
                } else {
                    file.write_all(&bytes)?;
                    file.sync_all()
                }
            })
        }
    }
}

/// Writes a file through a temporary file in the same directory and a rename, so
/// readers see the old file or the whole new one. The temporary file is removed when
/// writing fails.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("`{}` is not a file name", path.display()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::File::create(&tmp)
        .with_context(|| {
            format!(
                "cannot create a file in `{}` (does the directory exist, can you write there?)",
                dir.display()
            )
        })
        .and_then(|mut file| write(&mut file).context("writing"))
        .and_then(|()| std::fs::rename(&tmp, path).context("renaming into place"));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.context(format!("writing `{}`", path.display())));
    }
    Ok(())
}

/// The one-line summary of a collection.
pub fn summary(snapshot: &AccountSnapshot) -> String {
    let iam = &snapshot.authorization_details;
    let errors = snapshot
        .resources
        .iter()
        .filter(|r| r.error.is_some())
        .count();
    let mut line = format!(
        "account {}: {} principals ({} roles, {} users), {} resources, {} could not be read",
        snapshot.account_id,
        iam.role_detail_list.len() + iam.user_detail_list.len(),
        iam.role_detail_list.len(),
        iam.user_detail_list.len(),
        snapshot.resources.len(),
        errors
    );
    if snapshot.organization.is_none() {
        line.push_str(", no Organization path");
    }
    line
}

/// `snapshot --output FILE`: collect, write, summarize on standard error.
pub fn snapshot_cmd(args: &CollectArgs, output: &Output) -> anyhow::Result<ExitCode> {
    let snapshot = collect(args)?;
    write_json(output, &snapshot.to_value())?;
    eprintln!("{}; written to {}", summary(&snapshot), output.shown());
    for note in &snapshot.not_collected {
        eprintln!("not collected: {note}");
    }
    for r in snapshot.resources.iter().filter(|r| r.error.is_some()) {
        eprintln!(
            "could not read {}: {}",
            r.arn,
            r.error.as_deref().unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Progress on standard error: an `indicatif` bar on a terminal, plain lines otherwise.
enum ProgressDisplay {
    Bar(ProgressBar),
    Lines {
        /// The last tenth of the reads reported, so a large account prints ten lines.
        last_tenth: AtomicUsize,
    },
}

impl ProgressDisplay {
    fn new() -> ProgressDisplay {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            ProgressDisplay::Bar(bar)
        } else {
            ProgressDisplay::Lines {
                last_tenth: AtomicUsize::new(0),
            }
        }
    }

    /// A step without a count.
    fn step(&self, message: &str) {
        match self {
            ProgressDisplay::Bar(bar) => bar.set_message(message.to_string()),
            ProgressDisplay::Lines { .. } => eprintln!("accessdrift: {message}"),
        }
    }

    fn report(&self, progress: &Progress) {
        match (self, progress) {
            (_, Progress::Iam {
                users,
                groups,
                roles,
                policies,
            }) => self.step(&format!(
                "IAM read: {roles} roles, {users} users, {groups} groups, {policies} managed policies"
            )),
            (_, Progress::Organization { levels }) => {
                self.step(&format!("Organization path read: {levels} levels"))
            }
            (ProgressDisplay::Bar(_), Progress::Listed {
                resource_type,
                region,
                count,
            }) => self.step(&format!(
                "listed {count} {} in {region}",
                resource_type.type_name()
            )),
            // Plain output lists only what has resources: an empty service in every
            // region would bury the useful lines.
            (ProgressDisplay::Lines { .. }, Progress::Listed {
                resource_type,
                region,
                count,
            }) if *count > 0 => self.step(&format!(
                "listed {count} {} in {region}",
                resource_type.type_name()
            )),
            (ProgressDisplay::Bar(bar), Progress::Reading { total }) => {
                bar.set_length(*total as u64);
                bar.set_position(0);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{elapsed:>4} reading resources [{bar:30}] {pos}/{len} ({eta} left)",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
            }
            (ProgressDisplay::Lines { .. }, Progress::Reading { total }) => {
                self.step(&format!("reading {total} resources"))
            }
            (ProgressDisplay::Bar(bar), Progress::Read { done, .. }) => {
                bar.set_position(*done as u64)
            }
            (ProgressDisplay::Lines { last_tenth }, Progress::Read { done, total }) => {
                let tenth = done * 10 / (*total).max(1);
                if tenth > last_tenth.fetch_max(tenth, Ordering::Relaxed) {
                    eprintln!("accessdrift: read {done}/{total} resources");
                }
            }
            _ => {}
        }
    }

    fn finish(&self) {
        if let ProgressDisplay::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
