//! `accessdrift`: the command line of accessdrift.
//!
//! Thin wiring only: each subcommand parses its arguments, calls one library function
//! and prints the result. Exit codes: 0 success, 1 runtime error, 2 unreadable input or
//! bad usage (clap's own usage errors also exit 2).

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

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

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Simulate { explain } => {
            let mut input = String::new();
            // Size the buffer once when stdin is a file (the usual `< cases.json`).
            if let Ok(meta) = std::fs::metadata("/dev/stdin") {
                input.reserve(meta.len() as usize);
            }
            std::io::stdin()
                .read_to_string(&mut input)
                .context("reading cases from standard input (is it UTF-8 text?)")?;
            match accessdrift_simulate::run_batch(&input, accessdrift_simulate::Options { explain })
            {
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
