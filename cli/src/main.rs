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
