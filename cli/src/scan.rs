//! `scan`: snapshot, effective access and drift in one command, for a person at a
//! terminal or a delivery pipeline (`--fail-on-drift`).
//!
//! The account is read live (as `snapshot` does) or from a snapshot file; the desired
//! state comes from files (merged as the controller merges the table's sources) or
//! from the desired-state table. The findings are the controller's
//! (`accessdrift_controller::findings`), the same as `drift` and the sweep produce.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use accessdrift_aws::DynamoDesiredStore;
use accessdrift_desired::DesiredState;
use accessdrift_drift::{Finding, Severity};
use accessdrift_snapshot::Snapshot;
use anyhow::Context as _;

use crate::collect::{self, CollectArgs, Output};
use crate::findings::csv_row;

/// The exit status of `scan --fail-on-drift` (and `drift --fail-on-drift`) when there
/// is drift: the same code for the same meaning, so a pipeline gate need not care which
/// command it runs.
pub const DRIFT_FOUND: u8 = 3;

/// How `scan` prints its findings.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ScanFormat {
    /// Aligned columns for people, most severe first, and a count by severity.
    Table,
    /// One JSON object per finding per line (the shape of `drift --json`).
    Json,
    /// A header row, then one row per finding.
    Csv,
}

/// `scan`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Read this snapshot file (JSON, or gzip) instead of the live account.
    #[arg(long, value_name = "FILE", conflicts_with_all = collect::COLLECT_ARG_IDS)]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub collect: CollectArgs,
    /// A desired-state file (YAML or JSON); repeat for several teams' files.
    #[arg(
        long = "desired",
        value_name = "FILE",
        required_unless_present = "desired_table"
    )]
    pub desired: Vec<PathBuf>,
    /// Read the desired state from this desired-state table (DynamoDB) instead of files:
    /// every imported source, merged.
    #[arg(long, value_name = "TABLE", conflicts_with = "desired")]
    pub desired_table: Option<String>,
    /// Other accounts of the Organization (principals of accounts not listed count as external).
    #[arg(long = "org-account", value_name = "ID")]
    pub org_accounts: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Also write the collected snapshot here (`.gz`: gzip), for `report` or a later
    /// offline scan.
    #[arg(long, value_name = "FILE", conflicts_with = "snapshot", value_parser = Output::parse)]
    pub save_snapshot: Option<Output>,
    /// Exit with status 3 when there is any finding (a delivery-pipeline gate).
    #[arg(long)]
    pub fail_on_drift: bool,
}

/// `scan`: exit 0 (drift or not, without `--fail-on-drift`), 3 with drift and
/// `--fail-on-drift`, 2 for an unreadable snapshot or invalid desired-state file,
/// 1 for AWS and other runtime errors.
pub fn scan(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    // The desired state first: a typo in a file should not cost a whole collection.
    let desired = match &args.desired_table {
        Some(table) => desired_from_table(table)?,
        None => match crate::drift::read_desired_files(&args.desired)? {
            Ok(d) => d,
            Err(errors) => {
                eprintln!("{errors}");
                return Ok(ExitCode::from(2));
            }
        },
    };
    let snapshot: Snapshot = match &args.snapshot {
        Some(path) => match crate::access::load_path(path, None) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("accessdrift: {e:#}");
                return Ok(ExitCode::from(2));
            }
        },
        None => {
            let collected = collect::collect(&args.collect)?;
            eprintln!("{}", collect::summary(&collected));
            let value = collected.to_value();
            if let Some(out) = &args.save_snapshot {
                collect::write_json(out, &value)?;
                eprintln!("snapshot written to {}", out.shown());
            }
            accessdrift_snapshot::read_snapshot(&value.to_string())
                .context("reading back the collected snapshot")?
        }
    };
    let settings = accessdrift_controller::Settings {
        org_accounts: args.org_accounts.iter().cloned().collect(),
        ..Default::default()
    };
    let (mut findings, rows) = accessdrift_controller::findings(&snapshot, &desired, &settings);
    findings.sort_by(accessdrift_drift::Finding::worst_first);
    let text = match args.format {
        ScanFormat::Table => render_table(&findings),
        ScanFormat::Json => render_json(&findings),
        ScanFormat::Csv => render_csv(&findings),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing findings")?;
    eprintln!(
        "account {}: {rows} effective-access rows, {} findings",
        snapshot.account_id,
        findings.len()
    );
    Ok(if args.fail_on_drift && !findings.is_empty() {
        ExitCode::from(DRIFT_FOUND)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every source of the desired-state table, merged; sources that cannot be read are
/// warnings (as in the sweep), not a reason to stop.
fn desired_from_table(table: &str) -> anyhow::Result<DesiredState> {
    crate::cloud::block_on(async {
        let config = crate::cloud::sdk_config().await?;
        let store = DynamoDesiredStore::new(aws_sdk_dynamodb::Client::new(&config), table);
        let loaded = store.load().await.map_err(|e| {
            let text = e.to_string();
            if text.contains("ResourceNotFound") {
                anyhow::anyhow!(
                    "{text}\nthe desired-state table `{table}` does not exist here: deploy the \
                     stack, or pass --desired-table the stack output `DesiredTableName`"
                )
            } else {
                anyhow::anyhow!("reading the desired-state table `{table}`: {text}")
            }
        })?;
        for p in &loaded.problems {
            eprintln!("warning: {}", accessdrift_escape::plain(p));
        }
        if loaded.sources.is_empty() {
            eprintln!(
                "warning: the desired-state table `{table}` holds no source yet \
                 (`accessdrift desired import FILE` stores one)"
            );
        }
        anyhow::Ok(loaded.merged.state)
    })?
}

fn principal_short(f: &Finding) -> &str {
    f.principal.as_deref().unwrap_or("-")
}

fn render_table(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no drift\n".to_string();
    }
    let header = [
        "SEVERITY",
        "KIND",
        "RESOURCE",
        "PRINCIPAL",
        "CAPABILITY",
        "OWNER",
    ];
    let rows: Vec<[&str; 6]> = findings
        .iter()
        .map(|f| {
            [
                f.severity.as_str(),
                f.kind.as_str(),
                f.resource.as_str(),
                principal_short(f),
                f.capability.map_or("-", |c| c.as_str()),
                f.owner.as_deref().unwrap_or("-"),
            ]
        })
        .collect();
    let mut out = crate::text::columns(header, &rows);
    let counts: Vec<String> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .iter()
    .filter_map(|s| {
        let n = findings.iter().filter(|f| f.severity == *s).count();
        (n > 0).then(|| format!("{n} {}", s.as_str()))
    })
    .collect();
    let _ = writeln!(
        out,
        "{} findings ({}); the fix for each: --format json, field `remedy`",
        findings.len(),
        counts.join(", ")
    );
    out
}

fn render_json(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&f.to_json().to_string());
        out.push('\n');
    }
    out
}

/// The CSV columns of `scan --format csv`.
const CSV_HEADER: &str =
    "id,severity,kind,owner,account,resource,principal,capability,access,grants,summary,remedy";

fn render_csv(findings: &[Finding]) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    for f in findings {
        let grants = f
            .grants
            .iter()
            .map(|g| format!("{} [{}]", g.policy, g.statement))
            .collect::<Vec<_>>()
            .join("; ");
        let fields = [
            f.id.as_str(),
            f.severity.as_str(),
            f.kind.as_str(),
            f.owner.as_deref().unwrap_or(""),
            &f.account,
            &f.resource,
            f.principal.as_deref().unwrap_or(""),
            f.capability.map_or("", |c| c.as_str()),
            f.access.map_or("", |a| a.as_str()),
            &grants,
            &f.summary,
            &f.remedy,
        ];
        csv_row(&mut out, &fields);
    }
    out
}
