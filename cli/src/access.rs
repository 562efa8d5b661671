//! `access`, `explain`, `score` and `generate-snapshot`: wiring from arguments to
//! `accessdrift-access`.

use std::io::{BufWriter, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accessdrift_access::output::{self, Format};
use accessdrift_access::score::{Scorer, is_confidential};
use accessdrift_access::{Line, effective_access, explain_pair};
use accessdrift_capabilities::Capability;
use accessdrift_escape::plain;
use accessdrift_snapshot::Snapshot;
use anyhow::{Context as _, bail};

/// Where the snapshot comes from.
#[derive(clap::Args, Debug)]
pub struct SnapshotArgs {
    /// The snapshot file: an account snapshot (shared/spec/snapshot.md) or the output of
    /// `aws iam get-account-authorization-details`.
    #[arg(long, value_name = "FILE")]
    snapshot: PathBuf,
    /// The account id, for a bare authorization-details document whose ARNs do not tell it.
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
}

/// Output formats on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header.
    Csv,
    /// Aligned columns for people.
    Table,
}

pub fn load(args: &SnapshotArgs) -> anyhow::Result<Snapshot> {
    load_path(&args.snapshot, args.account_id.as_deref())
}

/// Reads a snapshot file: plain JSON, or gzip (what `snapshot --output FILE.gz` writes,
/// recognised by its magic bytes rather than the name, so a renamed file still reads).
pub fn load_path(path: &Path, account_id: Option<&str>) -> anyhow::Result<Snapshot> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading the snapshot `{}`", path.display()))?;
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .with_context(|| format!("`{}` is not a readable gzip file", path.display()))?;
        text
    } else {
        String::from_utf8(bytes)
            .with_context(|| format!("`{}` is not UTF-8 JSON text", path.display()))?
    };
    let is_gaad = !text.contains("\"authorizationDetails\"")
        && (text.contains("\"RoleDetailList\"") || text.contains("\"UserDetailList\""));
    let snapshot = if is_gaad {
        accessdrift_snapshot::read_authorization_details(&text, account_id)
    } else {
        accessdrift_snapshot::read_snapshot(&text)
    };
    snapshot.with_context(|| format!("`{}` is not a readable snapshot", path.display()))
}

pub fn access(args: &SnapshotArgs, format: FormatArg) -> anyhow::Result<ExitCode> {
    let snapshot = load(args)?;
    let format = match format {
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv => Format::Csv,
        FormatArg::Table => Format::Table,
    };
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 20, stdout);
    let mut buf = String::with_capacity(1 << 16);
    match format {
        Format::Csv => buf.push_str(&format!("{}\n", output::CSV_HEADER)),
        Format::Table => buf.push_str(&output::table_header()),
        Format::Jsonl => {}
    }
    let mut failed: Option<std::io::Error> = None;
    effective_access(&snapshot, &Default::default(), |line| {
        if failed.is_some() {
            return;
        }
        output::write_line(&mut buf, &line, format);
        if buf.len() > (1 << 16) {
            if let Err(e) = out.write_all(buf.as_bytes()) {
                failed = Some(e);
            }
            buf.clear();
        }
    });
    if let Some(e) = failed {
        return Err(e).context("writing rows");
    }
    out.write_all(buf.as_bytes()).context("writing rows")?;
    out.flush().context("writing rows")?;
    Ok(ExitCode::SUCCESS)
}

pub fn explain(
    args: &SnapshotArgs,
    principal: &str,
    resource: &str,
    capability: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let wanted = match capability {
        Some(c) => Some(Capability::parse(c).with_context(|| {
            format!(
                "unknown capability `{c}`; use one of: {}",
                Capability::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?),
        None => None,
    };
    let snapshot = load(args)?;
    let ex = match explain_pair(&snapshot, principal, resource) {
        Ok(ex) => ex,
        Err(e) => bail!("{e}"),
    };
    let mut out = String::new();
    let caps: Vec<Capability> = match wanted {
        Some(c) => vec![c],
        None => Capability::ALL.to_vec(),
    };
    if json {
        let mut rows = Vec::new();
        for cap in &caps {
            let row = ex.rows.iter().find(|r| r.capability == *cap);
            let actions: Vec<serde_json::Value> = ex
                .actions
                .iter()
                .filter(|a| a.capabilities.contains(cap))
                .map(|a| {
                    serde_json::json!({
                        "action": a.action,
                        "decision": a.decision.name(),
                        "conditions": a.conditions,
                        "blockedBy": a.blocked_by,
                        "grants": a.allowed_by.iter().map(|g| serde_json::json!({"policy": g.policy, "statement": g.statement})).collect::<Vec<_>>(),
                        "deniedBy": a.denied_by.iter().map(|g| serde_json::json!({"policy": g.policy, "statement": g.statement})).collect::<Vec<_>>(),
                        "notes": a.notes,
                    })
                })
                .collect();
            if actions.is_empty() {
                continue;
            }
            rows.push(serde_json::json!({
                "capability": cap.as_str(),
                "access": row.map_or("Denied", |r| r.access.as_str()),
                "requires": row.map(|r| r.requires.clone()).unwrap_or_default(),
                "keys": row.and_then(|r| r.keys.as_deref()),
                "actions": actions,
            }));
        }
        out.push_str(&serde_json::to_string_pretty(&serde_json::json!({
            "principal": ex.principal, "resource": ex.resource, "capabilities": rows,
            "dataKey": ex.data_key.as_ref().map(|(k, ok)| serde_json::json!({"key": k, "decryptAllowed": ok})),
        }))?);
        out.push('\n');
    } else {
        // Account text (ARNs, policy names, Sids, keys) reaches a terminal: escaped.
        out.push_str(&format!(
            "{} on {}\n",
            plain(&ex.principal),
            plain(&ex.resource)
        ));
        for cap in &caps {
            let actions: Vec<_> = ex
                .actions
                .iter()
                .filter(|a| a.capabilities.contains(cap))
                .collect();
            if actions.is_empty() {
                continue;
            }
            let row = ex.rows.iter().find(|r| r.capability == *cap);
            out.push_str(&format!(
                "\n{}: {}\n",
                cap.as_str(),
                row.map_or("denied", |r| r.access.as_str())
            ));
            if let Some(r) = row {
                if let Some(keys) = &r.keys {
                    out.push_str(&format!(
                        "  only on the keys {} (not the whole bucket)\n",
                        plain(&keys.join(", "))
                    ));
                }
                for q in &r.requires {
                    out.push_str(&format!("  requires {}\n", plain(q)));
                }
            }
            if *cap == Capability::ReadData
                && let Some((key, false)) = &ex.data_key
            {
                let key = plain(key);
                out.push_str(&format!("  the data is encrypted with {key}: reading it needs kms:Decrypt on that key, which is not allowed\n"));
            }
            for a in actions {
                let grants: Vec<String> = a
                    .allowed_by
                    .iter()
                    .map(|g| format!("{} [{}]", plain(&g.policy), plain(&g.statement)))
                    .collect();
                let denies: Vec<String> = a
                    .denied_by
                    .iter()
                    .map(|g| format!("{} [{}]", plain(&g.policy), plain(&g.statement)))
                    .collect();
                let why = match a.decision {
                    accessdrift_evaluator::Decision::Allowed if a.conditions.is_some() => {
                        format!("allowed if conditions hold, by {}", grants.join(", "))
                    }
                    accessdrift_evaluator::Decision::Allowed => {
                        format!("allowed by {}", grants.join(", "))
                    }
                    accessdrift_evaluator::Decision::ExplicitlyDenied => format!(
                        "denied by {} ({})",
                        denies.join(", "),
                        a.blocked_by.as_deref().unwrap_or("?")
                    ),
                    accessdrift_evaluator::Decision::ImplicitlyDenied => format!(
                        "not allowed (blocked by: {})",
                        a.blocked_by.as_deref().unwrap_or("no allow")
                    ),
                };
                out.push_str(&format!("  {:<45} {}\n", plain(&a.action), plain(&why)));
                for n in &a.notes {
                    out.push_str(&format!("  {:<45}   note: {n}\n", ""));
                }
            }
        }
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("writing the explanation")?;
    Ok(ExitCode::SUCCESS)
}

pub fn score(args: &SnapshotArgs, format: FormatArg) -> anyhow::Result<ExitCode> {
    let snapshot = load(args)?;
    let types: std::collections::HashMap<&str, (&str, bool)> = snapshot
        .resources
        .iter()
        .map(|r| {
            (
                r.arn.as_str(),
                (r.type_name.as_str(), is_confidential(&r.tags)),
            )
        })
        .collect();
    let mut scorer = Scorer::default();
    for p in &snapshot.principals {
        scorer.touch(&p.arn);
    }
    effective_access(&snapshot, &Default::default(), |line| {
        if let Line::Row(row) = line {
            let (ty, conf) = types.get(&*row.resource).copied().unwrap_or(("", false));
            scorer.add(&row, ty, conf);
        }
    });
    let scores = scorer.finish();
    let mut out = String::new();
    match format {
        FormatArg::Jsonl => {
            for s in &scores {
                let by: serde_json::Map<String, serde_json::Value> = s
                    .by_capability
                    .iter()
                    .map(|(c, p)| (c.as_str().to_string(), serde_json::json!(p)))
                    .collect();
                out.push_str(&serde_json::json!({"principal": s.principal, "score": s.points, "rows": s.rows, "byCapability": by}).to_string());
                out.push('\n');
            }
        }
        _ => {
            out.push_str(&format!("{:>10}  {:>6}  PRINCIPAL\n", "SCORE", "ROWS"));
            for s in &scores {
                out.push_str(&format!(
                    "{:>10.1}  {:>6}  {}\n",
                    s.points,
                    s.rows,
                    plain(&s.principal)
                ));
            }
        }
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("writing scores")?;
    Ok(ExitCode::SUCCESS)
}

pub fn generate(roles: usize, resources: usize, seed: u64) -> anyhow::Result<ExitCode> {
    let doc =
        accessdrift_access::synthetic::generate(&accessdrift_access::synthetic::SyntheticSpec {
            roles,
            resources,
            seed,
        });
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    serde_json::to_writer(&mut out, &doc).context("writing the snapshot")?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
