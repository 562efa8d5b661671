//! The `accessdrift` binary as a user runs it, one module per command group. One test
//! binary, not one per file: each binary links the whole AWS SDK, which cost minutes of
//! linking and gigabytes of `target/` (issue 12).

mod access_cli;
mod desired_cli;
mod event_cli;
mod findings_cli;
mod report_cli;
mod scan_cli;
mod simulate_cli;
