//! `accessdrift`: the command line of accessdrift.
//!
//! Thin wiring only: each subcommand parses its arguments, calls one library function
//! and prints the result. Exit codes: 0 success, 1 runtime error (AWS included), 2
//! unreadable input or bad usage (clap's own usage errors also exit 2), 3 drift found
//! with `--fail-on-drift` (`drift`, `scan`), 4 no such finding or source.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

mod access;
mod cloud;
mod collect;
mod desired;
mod drift;
mod event;
mod findings;
mod report;
mod scan;
mod text;

// A batch allocates many small policy objects on two threads; mimalloc is markedly
// faster than the system allocator for that (measured in the simulate benchmark).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "accessdrift",
    version,
    about = "Keep AWS access at the intended least privilege: who can really do what, and when it drifts.",
    long_about = None,
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide authorization requests the way AWS does, one JSON result per case.
    ///
    /// Reads cases (a JSON array, or JSON Lines) from standard input, in the format of
    /// shared/spec/simulate.md, and prints one JSON object per case on standard output,
    /// in input order. A case that cannot be evaluated yields {"id": ..., "error": ...}
    /// and the run goes on.
    ///
    /// Examples:
    ///   accessdrift simulate < cases.json
    ///   accessdrift simulate --explain < cases.jsonl | jq .explain
    #[command(verbatim_doc_comment)]
    Simulate {
        /// Add the deciding policies and statements, and the blocking layer, to each result.
        #[arg(long)]
        explain: bool,
    },

    /// Effective access: every (principal, resource, capability) the account's policies allow.
    ///
    /// Reads an account snapshot (shared/spec/snapshot.md) or a bare
    /// `aws iam get-account-authorization-details` document, and prints one row per
    /// (principal, resource, capability) that is not denied, sorted by resource, then
    /// principal, then capability. `Conditional` rows hold only under request-time
    /// conditions (shown). A resource or principal that could not be evaluated gets an
    /// error row naming it; the run goes on.
    ///
    /// Examples:
    ///   accessdrift access --snapshot account.json
    ///   accessdrift access --snapshot account.json --format csv > access.csv
    ///   aws iam get-account-authorization-details > gaad.json
    ///   accessdrift access --snapshot gaad.json --account-id 111111111111 --format table
    #[command(verbatim_doc_comment)]
    Access {
        #[command(flatten)]
        snapshot: access::SnapshotArgs,
        /// Output format: jsonl (stable contract), csv, or table (for people).
        #[arg(long, value_enum, default_value_t = access::FormatArg::Jsonl)]
        format: access::FormatArg,
    },

    /// Why a principal holds (or lacks) each capability on a resource.
    ///
    /// Evaluates every action of the resource's kind for the principal and shows, per
    /// capability, the statements that grant it and the layer that blocks the rest.
    ///
    /// Examples:
    ///   accessdrift explain --snapshot account.json \
    ///       --principal arn:aws:iam::111111111111:role/ci --resource arn:aws:s3:::credit-applications
    ///   accessdrift explain --snapshot account.json --principal ... --resource ... --capability read-data --json
    #[command(verbatim_doc_comment)]
    Explain {
        #[command(flatten)]
        snapshot: access::SnapshotArgs,
        /// The principal's ARN (an IAM user or role, the account root, or an external principal).
        #[arg(long)]
        principal: String,
        /// The resource's ARN.
        #[arg(long)]
        resource: String,
        /// Only this capability (administer-resource, read-config, read-data, write-data,
        /// delete-data, use-resource).
        #[arg(long)]
        capability: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },

    /// Least-privilege score per principal (lowest wins); see the formula in the README.
    ///
    /// Examples:
    ///   accessdrift score --snapshot account.json
    ///   accessdrift score --snapshot account.json --format jsonl
    #[command(verbatim_doc_comment)]
    Score {
        #[command(flatten)]
        snapshot: access::SnapshotArgs,
        /// Output format: table or jsonl.
        #[arg(long, value_enum, default_value_t = access::FormatArg::Table)]
        format: access::FormatArg,
    },

    /// Desired state: what each team intends (validate a file, or baseline today's access).
    #[command(subcommand)]
    Desired(DesiredCommand),

    /// Drift: findings of an account snapshot against a desired-state file (offline).
    ///
    /// Exit codes: 0 no drift (or drift without --fail-on-drift), 3 drift found with
    /// --fail-on-drift (use it as a delivery-pipeline gate), 2 invalid desired-state file.
    ///
    /// Examples:
    ///   accessdrift drift --snapshot account.json --desired desired/credit.yaml
    ///   accessdrift drift --snapshot account.json --desired desired/credit.yaml --json --fail-on-drift
    #[command(verbatim_doc_comment)]
    Drift {
        #[command(flatten)]
        snapshot: access::SnapshotArgs,
        /// The desired-state file (YAML or JSON).
        #[arg(long, value_name = "FILE")]
        desired: std::path::PathBuf,
        /// Other accounts of the Organization (principals of accounts not listed count as external).
        #[arg(long = "org-account", value_name = "ID")]
        org_accounts: Vec<String>,
        /// One JSON object per finding instead of text.
        #[arg(long)]
        json: bool,
        /// Exit with status 3 when there is any finding.
        #[arg(long)]
        fail_on_drift: bool,
    },

    /// Read one account live into a snapshot file (shared/spec/snapshot.md).
    ///
    /// Uses the standard AWS settings (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...) and
    /// only read calls. A member account is read through its read-only role (--account
    /// with --role-name). A resource that cannot be read is kept in the snapshot with
    /// its error (it shows as "could not evaluate"); a whole part that cannot be read
    /// (IAM, a service's listing, the Organization) stops the run. Progress goes to
    /// standard error: a bar on a terminal, plain lines otherwise (CI logs).
    ///
    /// The file is written atomically (a temporary file renamed into place); a name
    /// ending in .gz is gzip-compressed; `-` writes JSON to standard output.
    ///
    /// Exit codes: 0 written, 1 AWS or runtime error (the message says what to set),
    /// 2 bad usage.
    ///
    /// Examples:
    ///   accessdrift snapshot --output account.json
    ///   accessdrift snapshot --output account.json.gz --regions us-east-1,eu-west-1 --concurrency 16
    ///   accessdrift snapshot --output member.json.gz --account 222222222222 \
    ///       --role-name accessdrift-read --external-id "$EXTERNAL_ID" --no-organization
    #[command(verbatim_doc_comment)]
    Snapshot {
        #[command(flatten)]
        collect: collect::CollectArgs,
        /// Where to write it: a file (`.gz`: gzip), or `-` for standard output.
        #[arg(long, value_name = "FILE", value_parser = collect::Output::parse)]
        output: collect::Output,
    },

    /// Snapshot, effective access and drift in one go: the findings, and with
    /// --fail-on-drift a delivery-pipeline gate.
    ///
    /// The account is read live (the options of `snapshot`; AWS_ENDPOINT_URL is
    /// honoured) or, with --snapshot, from a file (offline). The desired state comes
    /// from one or more files (--desired, repeatable, merged as the table merges
    /// teams' sources) or from the desired-state table (--desired-table).
    ///
    /// Exit codes: 0 no drift, or drift without --fail-on-drift; 3 drift found with
    /// --fail-on-drift (the same code as `drift`); 2 unreadable snapshot or invalid
    /// desired-state file (every error listed); 1 AWS or runtime error.
    ///
    /// Examples:
    ///   accessdrift scan --desired desired/credit.yaml
    ///   accessdrift scan --desired desired/credit.yaml --fail-on-drift --save-snapshot account.json.gz
    ///   accessdrift scan --snapshot account.json --desired a.yaml --desired b.yaml --format csv > drift.csv
    ///   accessdrift scan --desired-table accessdrift-desired --format json | jq .severity
    #[command(verbatim_doc_comment)]
    Scan(scan::ScanArgs),

    /// One self-contained HTML page (no script, no external asset) of effective access
    /// and open drift per owner, for a team to review.
    ///
    /// The owner of a resource is its owner tag (as drift reads it), else the desired
    /// state's owner, else "unowned". The page opens with a summary (owners, drift by
    /// severity, resources, principals, what could not be evaluated), then, per owner,
    /// the open drift and the effective access to each of its resources.
    ///
    /// Exit codes: 0 written, 2 unreadable snapshot or invalid desired-state file,
    /// 1 other errors.
    ///
    /// Examples:
    ///   accessdrift report --snapshot account.json --desired desired/credit.yaml --output report.html
    ///   accessdrift report --snapshot account.json.gz --desired a.yaml --desired b.yaml --output - > r.html
    #[command(verbatim_doc_comment)]
    Report {
        /// The snapshot file (JSON, or gzip).
        #[arg(long, value_name = "FILE")]
        snapshot: std::path::PathBuf,
        /// A desired-state file (YAML or JSON); repeat for several teams' files.
        #[arg(long = "desired", value_name = "FILE", required = true)]
        desired: Vec<std::path::PathBuf>,
        /// Other accounts of the Organization (principals of accounts not listed count as external).
        #[arg(long = "org-account", value_name = "ID")]
        org_accounts: Vec<String>,
        /// Where to write the page (`-`: standard output).
        #[arg(long, value_name = "FILE", value_parser = collect::Output::parse)]
        output: collect::Output,
    },

    /// What the detector does with CloudTrail events: the trigger table, offline.
    ///
    /// Examples:
    ///   accessdrift event classify events/s3-put-bucket-policy.json
    ///   accessdrift event classify --json cloudtrail/*.json | jq 'select(.outcome == "unknown")'
    #[command(subcommand, verbatim_doc_comment)]
    Event(EventCommand),

    /// Findings in the findings table (DynamoDB): list, show, suppress, unsuppress.
    ///
    /// Exit codes: 0 success, 1 AWS or runtime error (the message says what to set),
    /// 2 bad usage or input, 4 no finding with that id.
    ///
    /// Examples:
    ///   accessdrift findings list --owner credit-team --status open
    ///   accessdrift findings show 3f9c2a0d5e7b41c8a9d06e2f1b3c4d5e
    #[command(subcommand, verbatim_doc_comment)]
    Findings(findings::FindingsCommand),

    /// Write a synthetic account snapshot (for benchmarks and trying things out).
    ///
    /// Example:
    ///   accessdrift generate-snapshot --roles 1000 --resources 2000 > big.json
    #[command(verbatim_doc_comment, hide = true)]
    GenerateSnapshot {
        /// IAM roles.
        #[arg(long, default_value_t = 1000)]
        roles: usize,
        /// Resources besides the roles.
        #[arg(long, default_value_t = 2000)]
        resources: usize,
        /// Random seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum EventCommand {
    /// Classify events as the event function would: what each re-evaluates (a resource,
    /// a principal, a group, the principals of a managed policy, whole accounts), or
    /// why it is ignored, or that the table does not know it. Reads no account.
    ///
    /// Each file holds one event: an EventBridge event (`AWS API Call via CloudTrail`)
    /// or a bare CloudTrail record; `-` reads standard input. Exit codes: 0 every file
    /// classified (ignored and unknown events included), 2 a file is not an event.
    ///
    /// Examples:
    ///   accessdrift event classify events/iam-put-role-policy.json
    ///   aws cloudtrail lookup-events ... | jq -c '.Events[].CloudTrailEvent | fromjson' | \
    ///       while read -r e; do echo "$e" | accessdrift event classify -; done
    #[command(verbatim_doc_comment)]
    Classify {
        /// Event files (`-`: standard input).
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// One JSON object per file instead of a line of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DesiredCommand {
    /// Check a desired-state file; every error is listed with its file, line and field.
    ///
    /// Example:
    ///   accessdrift desired validate desired/credit.yaml
    #[command(verbatim_doc_comment)]
    Validate {
        /// The desired-state file (YAML or JSON).
        file: std::path::PathBuf,
    },
    /// Today's effective access of the chosen resources, as a desired-state file: the
    /// usual first step for an existing account. Review it, then commit it.
    ///
    /// Examples:
    ///   accessdrift desired baseline --snapshot account.json --owner credit-team > desired/credit.yaml
    ///   accessdrift desired baseline --snapshot account.json --arn arn:aws:s3:::credit-applications
    #[command(verbatim_doc_comment)]
    Baseline {
        #[command(flatten)]
        snapshot: access::SnapshotArgs,
        /// Only resources whose owner tag has this value.
        #[arg(long)]
        owner: Option<String>,
        /// Only resources of this account.
        #[arg(long = "resource-account")]
        resource_account: Option<String>,
        /// Only these resources (repeatable).
        #[arg(long = "arn")]
        arns: Vec<String>,
    },
    /// Validate a desired-state file and store it in the desired-state table, replacing
    /// what its source held: all or nothing.
    ///
    /// Each team's file is one source (by default the file name without extension). A
    /// rejected file (every error listed with file, line and field), or one that claims
    /// a resource another source holds, changes nothing stored and exits 2.
    /// Exit codes: 0 stored or unchanged, 1 AWS error, 2 rejected.
    ///
    /// Examples:
    ///   accessdrift desired import desired/credit.yaml
    ///   accessdrift desired import desired/credit.yaml --source credit-team --by "$(git config user.email)"
    #[command(verbatim_doc_comment)]
    Import {
        /// The desired-state file (YAML or JSON).
        file: std::path::PathBuf,
        /// The source it replaces (default: the file name without extension).
        #[arg(long)]
        source: Option<String>,
        /// Who imports it, recorded with the source.
        #[arg(long, env = "USER", default_value = "unknown")]
        by: String,
        #[command(flatten)]
        table: cloud::DesiredTable,
    },
    /// Print the stored desired state: one source's file exactly as imported, or every
    /// source merged, in canonical form.
    ///
    /// Exit codes: 0 printed, 1 AWS error, 4 no such source.
    ///
    /// Examples:
    ///   accessdrift desired export --source credit > desired/credit.yaml
    ///   accessdrift desired export > all-teams.yaml
    #[command(verbatim_doc_comment)]
    Export {
        /// Only this source, as imported.
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        table: cloud::DesiredTable,
    },
    /// List the sources in the desired-state table: generation, counts, when and by whom.
    ///
    /// Example:
    ///   accessdrift desired list
    #[command(verbatim_doc_comment)]
    List {
        #[command(flatten)]
        table: cloud::DesiredTable,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("accessdrift: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Reads all of standard input. A large regular file (the usual `< cases.json`) is read
/// in two halves on two threads: on a fresh buffer the page faults, not the copy, are
/// the cost, and they then split across both cores.
fn read_stdin() -> anyhow::Result<String> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open("/dev/stdin");
    let len = file
        .as_ref()
        .ok()
        .and_then(|f| f.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len() as usize);
    let (Ok(file), Some(len)) = (file, len) else {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        return Ok(input);
    };
    if len < (1 << 20) {
        let mut input = String::with_capacity(len);
        std::io::stdin().read_to_string(&mut input)?;
        return Ok(input);
    }
    let mut buf = vec![0u8; len];
    let (first, second) = buf.split_at_mut(len / 2);
    std::thread::scope(|s| -> std::io::Result<()> {
        let back = s.spawn(|| file.read_exact_at(second, (len / 2) as u64));
        file.read_exact_at(first, 0)?;
        back.join()
            .unwrap_or_else(|_| Err(std::io::Error::other("reader thread failed")))
    })?;
    Ok(String::from_utf8(buf)?)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Access { snapshot, format } => access::access(&snapshot, format),
        Command::Explain {
            snapshot,
            principal,
            resource,
            capability,
            json,
        } => access::explain(
            &snapshot,
            &principal,
            &resource,
            capability.as_deref(),
            json,
        ),
        Command::Score { snapshot, format } => access::score(&snapshot, format),
        Command::GenerateSnapshot {
            roles,
            resources,
            seed,
        } => access::generate(roles, resources, seed),
        Command::Desired(DesiredCommand::Validate { file }) => drift::validate(&file),
        Command::Desired(DesiredCommand::Import {
            file,
            source,
            by,
            table,
        }) => desired::import(&file, source, by, &table),
        Command::Desired(DesiredCommand::Export { source, table }) => {
            desired::export(source, &table)
        }
        Command::Desired(DesiredCommand::List { table }) => desired::list(&table),
        Command::Desired(DesiredCommand::Baseline {
            snapshot,
            owner,
            resource_account,
            arns,
        }) => drift::baseline_cmd(
            &snapshot,
            accessdrift_desired::BaselineSelect {
                owner,
                account: resource_account,
                arns,
            },
        ),
        Command::Drift {
            snapshot,
            desired,
            org_accounts,
            json,
            fail_on_drift,
        } => drift::drift_cmd(&snapshot, &desired, &org_accounts, json, fail_on_drift),
        Command::Findings(command) => findings::run(command),
        Command::Event(EventCommand::Classify { files, json }) => event::classify(&files, json),
        Command::Snapshot { collect, output } => collect::snapshot_cmd(&collect, &output),
        Command::Scan(args) => scan::scan(&args),
        Command::Report {
            snapshot,
            desired,
            org_accounts,
            output,
        } => report::report_cmd(&snapshot, &desired, &org_accounts, &output),
        Command::Simulate { explain } => {
            let input =
                read_stdin().context("reading cases from standard input (is it UTF-8 text?)")?;
            // The process exits right after printing: the parsed policies need not be
            // freed one by one, so the cache is deliberately leaked.
            let cache: &'static accessdrift_simulate::PolicyCache = Box::leak(Box::default());
            match accessdrift_simulate::run_batch_with(
                &input,
                accessdrift_simulate::Options { explain },
                cache,
            ) {
                Ok(out) => {
                    let mut stdout = std::io::stdout().lock();
                    stdout
                        .write_all(out.as_bytes())
                        .context("writing results")?;
                    stdout.flush().context("writing results")?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("accessdrift simulate: {e}");
                    eprintln!(
                        "expected a JSON array of cases or one case per line (see shared/spec/simulate.md)"
                    );
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command a user can see has `--help` with at least one example, and the
    /// definitions are consistent (clap's own checks).
    #[test]
    fn every_visible_command_s_help_has_an_example() {
        let mut cli = Cli::command();
        cli.build();
        cli.clone().debug_assert();
        let mut missing = Vec::new();
        let mut stack = vec![(String::from("accessdrift"), cli)];
        while let Some((path, mut cmd)) = stack.pop() {
            let subs: Vec<clap::Command> = cmd
                .get_subcommands()
                .filter(|s| !s.is_hide_set() && s.get_name() != "help")
                .cloned()
                .collect();
            if subs.is_empty() {
                let help = cmd.render_long_help().to_string();
                if !help.contains("Example") {
                    missing.push(path);
                }
            } else {
                for s in subs {
                    stack.push((format!("{path} {}", s.get_name()), s));
                }
            }
        }
        assert!(missing.is_empty(), "no example in --help of: {missing:?}");
    }
}
