//! `desired import|export|list`: the desired-state table (DynamoDB) from the command
//! line. Each team's file is one *source*; an import replaces that source whole or
//! changes nothing (see `accessdrift_aws::desired`).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use accessdrift_aws::{DesiredStoreError, DynamoDesiredStore};
use accessdrift_desired::{normalized, to_yaml};
use anyhow::Context as _;

use crate::cloud::{DesiredTable, block_on, sdk_config};

async fn store(table: &DesiredTable) -> anyhow::Result<DynamoDesiredStore> {
    let config = sdk_config().await?;
    Ok(DynamoDesiredStore::new(
        aws_sdk_dynamodb::Client::new(&config),
        &table.name,
    ))
}

/// Advice for a table that is not there.
fn table_hint(e: &DesiredStoreError, table: &DesiredTable) -> String {
    let text = e.to_string();
    if text.contains("ResourceNotFound") {
        format!(
            "{text}\nthe desired-state table `{}` does not exist here: deploy the stack, or set \
             --desired-table / ACCESSDRIFT_DESIRED_TABLE to its name (the stack output `DesiredTableName`)",
            table.name
        )
    } else {
        text
    }
}

/// The source name for `file`: its name without the extension.
fn default_source(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `desired import FILE`: validate and store; exit 2 (nothing stored) when the file is
/// rejected or claims another source's resources.
pub fn import(
    file: &Path,
    source: Option<String>,
    by: String,
    table: &DesiredTable,
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading `{}`", file.display()))?;
    let source = source.unwrap_or_else(|| default_source(file));
    let shown = file.display().to_string();
    block_on(async {
        let store = store(table).await?;
        match store
            .import(
                &source,
                &shown,
                &text,
                &by,
                accessdrift_primitives::Time::now(),
            )
            .await
        {
            Ok(r) if r.unchanged => {
                println!(
                    "source `{source}`: unchanged (generation {}, imported {} by {})",
                    r.stored.generation, r.stored.imported_at, r.stored.imported_by
                );
                Ok(ExitCode::SUCCESS)
            }
            Ok(r) => {
                let was = r.previous.map_or_else(
                    || "new source".to_string(),
                    |p| {
                        format!(
                            "replaces generation {} ({} resources, imported {} by {})",
                            p.generation, p.resources, p.imported_at, p.imported_by
                        )
                    },
                );
                println!(
                    "source `{source}`: stored {} as generation {} ({} resources, {} constraints); {was}",
                    shown, r.stored.generation, r.stored.resources, r.stored.constraints
                );
                if r.leftovers > 0 {
                    eprintln!(
                        "note: {} old part(s) could not be deleted; they are never read again",
                        r.leftovers
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(
                e @ (DesiredStoreError::Invalid(_)
                | DesiredStoreError::Claimed { .. }
                | DesiredStoreError::BadSourceName(_)),
            ) => {
                eprintln!("{e}\nnothing was stored");
                Ok(ExitCode::from(2))
            }
            Err(e) => Err(anyhow::anyhow!(table_hint(&e, table))),
        }
    })?
}

/// `desired export [--source S]`: one source's file as imported, or every source merged
/// in canonical form.
pub fn export(source: Option<String>, table: &DesiredTable) -> anyhow::Result<ExitCode> {
    block_on(async {
        let store = store(table).await?;
        let text = match &source {
            Some(name) => match store
                .text(name)
                .await
                .map_err(|e| anyhow::anyhow!(table_hint(&e, table)))?
            {
                Some((_, text)) => text,
                None => {
                    eprintln!(
                        "no source `{name}` in `{}` (see `accessdrift desired list`)",
                        table.name
                    );
                    return Ok(ExitCode::from(4));
                }
            },
            None => {
                let loaded = store
                    .load()
                    .await
                    .map_err(|e| anyhow::anyhow!(table_hint(&e, table)))?;
                for p in &loaded.problems {
                    eprintln!("warning: {}", accessdrift_escape::plain(p));
                }
                to_yaml(&normalized(&loaded.merged.state))
            }
        };
        std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .context("writing the desired state")?;
        Ok(ExitCode::SUCCESS)
    })?
}

/// `desired list`: the sources, one line each.
pub fn list(table: &DesiredTable) -> anyhow::Result<ExitCode> {
    block_on(async {
        let store = store(table).await?;
        let sources = store
            .sources()
            .await
            .map_err(|e| anyhow::anyhow!(table_hint(&e, table)))?;
        let mut out =
            String::from("SOURCE\tGENERATION\tRESOURCES\tCONSTRAINTS\tIMPORTED\tBY\tFILE\n");
        for s in &sources {
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                // Anyone who can write the table set these: no TAB, line break or
                // escape may split a column or reach the terminal.
                accessdrift_escape::plain(&s.name),
                s.generation,
                s.resources,
                s.constraints,
                accessdrift_escape::plain(&s.imported_at),
                accessdrift_escape::plain(&s.imported_by),
                accessdrift_escape::plain(&s.file)
            ));
        }
        std::io::stdout()
            .lock()
            .write_all(out.as_bytes())
            .context("writing the sources")?;
        Ok(ExitCode::SUCCESS)
    })?
}
