//! `desired validate`, `desired baseline` and `drift`: the controller's pure logic on
//! files, offline (storing desired state and findings in DynamoDB comes with the AWS
//! adapters).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accessdrift_desired::{BaselineSelect, DesiredState, merge, parse_desired, to_yaml};
use anyhow::Context as _;

use crate::access::{SnapshotArgs, load};

fn read_desired(file: &Path) -> anyhow::Result<Result<DesiredState, String>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading `{}`", file.display()))?;
    Ok(parse_desired(&text, &file.display().to_string()).map_err(|e| e.to_string()))
}

/// Several teams' desired-state files as one state, each file a source named by its
/// file name (as `desired import` names them), merged as the controller merges the
/// table's sources. `Err` holds every error of every file, for the user; a resource
/// claimed by two files is a warning on standard error (the first file by name counts).
pub fn read_desired_files(files: &[PathBuf]) -> anyhow::Result<Result<DesiredState, String>> {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match read_desired(file)? {
            Ok(state) => sources.push((file.display().to_string(), state)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors.join("\n")));
    }
    let merged = merge(&sources);
    for o in &merged.overlaps {
        eprintln!(
            "warning: {} is in both `{}` and `{}`; `{}` counts (remove it from one file)",
            o.arn, o.kept, o.dropped, o.kept
        );
    }
    Ok(Ok(merged.state))
}

/// `desired validate FILE`: exit 0 when valid, 2 with every error listed otherwise.
pub fn validate(file: &Path) -> anyhow::Result<ExitCode> {
    match read_desired(file)? {
        Ok(state) => {
            println!(
                "{}: valid ({} resources, {} constraints)",
                file.display(),
                state.resources.len(),
                state.constraints.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            eprintln!("{errors}");
            Ok(ExitCode::from(2))
        }
    }
}

/// `desired baseline`: today's effective access of the chosen resources as YAML.
pub fn baseline_cmd(args: &SnapshotArgs, select: BaselineSelect) -> anyhow::Result<ExitCode> {
    let snapshot = load(args)?;
    let state = accessdrift_controller::baseline(&snapshot, &select, &Default::default());
    std::io::stdout()
        .lock()
        .write_all(to_yaml(&state).as_bytes())
        .context("writing the desired state")?;
    Ok(ExitCode::SUCCESS)
}

/// `drift`: findings of the snapshot against a desired-state file. Exit 0 with no
/// findings, 3 with findings when `fail_on_drift` (a pipeline gate), 2 for an invalid file.
pub fn drift_cmd(
    args: &SnapshotArgs,
    desired_file: &Path,
    org_accounts: &[String],
    json: bool,
    fail_on_drift: bool,
) -> anyhow::Result<ExitCode> {
    let desired = match read_desired(desired_file)? {
        Ok(d) => d,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(2));
        }
    };
    let snapshot = load(args)?;
    let settings = accessdrift_controller::Settings {
        org_accounts: org_accounts.iter().cloned().collect(),
        ..Default::default()
    };
    let (findings, _) = accessdrift_controller::findings(&snapshot, &desired, &settings);
    let mut out = String::new();
    for f in &findings {
        if json {
            out.push_str(&f.to_json().to_string());
        } else {
            out.push_str(&format!(
                "[{}] {} {}\n  {}\n  fix: {}",
                f.severity.as_str(),
                f.kind.as_str(),
                accessdrift_escape::plain(&f.resource),
                accessdrift_escape::plain(&f.summary),
                accessdrift_escape::plain(&f.remedy)
            ));
        }
        out.push('\n');
    }
    if !json {
        out.push_str(&format!("{} findings\n", findings.len()));
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("writing findings")?;
    Ok(if fail_on_drift && !findings.is_empty() {
        ExitCode::from(crate::scan::DRIFT_FOUND)
    } else {
        ExitCode::SUCCESS
    })
}
