//! `accessdrift findings`: the findings table (DynamoDB) for security teams and owners:
//! `list`, `show`, `suppress` and `unsuppress`.
//!
//! Every read is a DynamoDB Query on the table's key or one of its global secondary
//! indexes, never a Scan. `list` picks the index from the filters given, most selective
//! first; the other filters are applied by DynamoDB as a filter expression on that query:
//!
//! | filters given | index used | in the key condition |
//! |---|---|---|
//! | `--resource` | `by-resource` (resource, id) | resource |
//! | `--owner` (+ `--status`) | `by-owner-status` (owner, status) | owner, and status when given |
//! | `--account` | `by-account` (account, id) | account |
//! | `--severity` (+ `--since`) | `by-severity` (severity, last_seen) | severity, and `last_seen >= since` when given |
//! | only `--status` and/or `--since` | `by-severity`, once per severity (4 queries) | severity, and `last_seen >= since` |
//! | none | refused with exit 2: it would read the whole table | |
//!
//! `--status` alone reads every finding (the status is a filter on each severity's
//! query): add `--since 7d` to read only the recently seen ones. `--owner unowned`
//! lists findings whose resource has no owner. `--severity` matches exactly. `--since`
//! and `--until` take an RFC 3339 time (`2026-12-01T00:00:00Z`), a date (`2026-12-01`,
//! midnight UTC) or a duration (`30m`, `12h`, `7d`, `2w`: before now for `--since`,
//! after now for `--until`). `show ID` and the suppress commands read by the table's key.
//!
//! Output: `--format table` (default, for people, most severe first, then most recently
//! seen), `--format csv` (a header row, then one row per finding), `--format json` (one
//! JSON array, one finding per line, `[]` when none match; each element is the full
//! record that `show --json` prints: the finding's fields as in `drift --json`, plus
//! `status`, `first_seen`, `last_seen`, `version`, `notice_pending`, `suppression`,
//! `held` (why the last pass could not judge it, while it is held as it was),
//! `history`).
//!
//! `suppress` and `unsuppress` are read-modify-write, conditional on the version read:
//! when a sweep or another person writes the finding in between, the write is refused,
//! the finding is read again and the change re-applied (a few times, then exit 1).
//!
//! Exit codes: 0 success; 1 runtime or AWS error (the message says what to set or fix);
//! 2 bad usage or input, including a list without filters and a suppress of a finding
//! that is not open (unsuppress: not suppressed); 4 no finding with that id.
//!
//! ```sh
//! export ACCESSDRIFT_FINDINGS_TABLE=accessdrift-findings   # or --findings-table
//! accessdrift findings list --owner credit-team --status open
//! accessdrift findings list --severity critical --since 7d --format json | jq '.[].id'
//! accessdrift findings list --account 111111111111 --status open --format csv > open.csv
//! accessdrift findings list --resource arn:aws:s3:::credit-applications
//! accessdrift findings show 3f9c2a... --json
//! accessdrift findings suppress 3f9c2a... --reason "migration, ticket SEC-42" --by alice --until 30d
//! accessdrift findings unsuppress 3f9c2a... --by alice
//! ```

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use accessdrift_aws::findings::{FindingFilter, QueryError, plan};
use accessdrift_aws::{DynamoFindingStore, FindingStore, StoreError};
use accessdrift_drift::Severity;
use accessdrift_drift::lifecycle::{Status, StoredFinding, Suppression, suppress, unsuppress};
use accessdrift_primitives::Time;
use anyhow::{Context as _, anyhow};
use jiff::{SignedDuration, Timestamp};

use crate::cloud::{self, FindingsTable};

/// How many times a suppress or unsuppress re-reads after losing a race.
const ATTEMPTS: u32 = 5;

/// The `findings` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum FindingsCommand {
    /// List findings, filtered; each filter is served by an index of the table, never a scan.
    ///
    /// At least one filter is required. The index used: --resource, else --owner (with
    /// --status as part of the key), else --account, else --severity (with --since as
    /// part of the key); --status and/or --since alone query each severity in turn. The
    /// other filters are applied to that query.
    ///
    /// --format json prints one JSON array ([] when nothing matches), one full record per
    /// line; csv prints a header row first; table (the default) is for people.
    ///
    /// Exit codes: 0 success (also when nothing matches), 1 AWS or runtime error,
    /// 2 bad usage (e.g. no filter).
    ///
    /// Examples:
    ///   accessdrift findings list --owner credit-team --status open
    ///   accessdrift findings list --status open --since 7d
    ///   accessdrift findings list --severity critical --since 2026-11-01 --format json
    ///   accessdrift findings list --account 111111111111 --format csv > findings.csv
    ///   accessdrift findings list --resource arn:aws:s3:::credit-applications --status suppressed
    #[command(verbatim_doc_comment)]
    List(ListArgs),

    /// One finding in full: the access, the granting statements, the fix, and its history.
    ///
    /// Exit codes: 0 success, 1 AWS or runtime error, 4 no finding with that id.
    ///
    /// Examples:
    ///   accessdrift findings show 3f9c2a0d5e7b41c8a9d06e2f1b3c4d5e
    ///   accessdrift findings show 3f9c2a0d5e7b41c8a9d06e2f1b3c4d5e --json | jq .history
    #[command(verbatim_doc_comment)]
    Show(ShowArgs),

    /// Accept an open finding until a date: it stays quiet (no notices) until then, and
    /// reopens at the first sweep after the expiry if the drift is still there.
    ///
    /// The write is conditional on the version read: if a sweep or someone else changes
    /// the finding meanwhile, it is read again and the suppression re-applied.
    ///
    /// Exit codes: 0 suppressed, 1 AWS or runtime error, 2 bad input or the finding is
    /// not open (resolved, or already suppressed: unsuppress it first to change the
    /// suppression), 4 no finding with that id.
    ///
    /// Examples:
    ///   accessdrift findings suppress 3f9c2a0d5e7b41c8a9d06e2f1b3c4d5e \
    ///       --reason "bucket migration, ticket SEC-42" --by alice@example.com --until 30d
    ///   accessdrift findings suppress 3f9c2a0d5e7b41c8a9d06e2f1b3c4d5e \
    ///       --reason "accepted risk" --by alice --until 2027-01-31
    #[command(verbatim_doc_comment)]
    Suppress(SuppressArgs),

    /// Lift a suppression before it expires: the finding is open again, and its owner is
    /// told at the next sweep (as when a suppression expires).
    ///
    /// Exit codes: 0 unsuppressed, 1 AWS or runtime error, 2 bad input or the finding is
    /// not suppressed, 4 no finding with that id.
    ///
    /// Example:
    ///   accessdrift findings unsuppress 3f9c2a0d5e7b41c8a9d06e2f1b3c4d5e --by alice@example.com
    #[command(verbatim_doc_comment)]
    Unsuppress(UnsuppressArgs),
}

/// `findings list`.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Only findings of this owning team (`unowned`: resources without an owner).
    #[arg(long)]
    owner: Option<String>,
    /// Only findings on resources of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// Only findings on this resource.
    #[arg(long, value_name = "ARN")]
    resource: Option<String>,
    /// Only findings with this status.
    #[arg(long, value_enum)]
    status: Option<StatusArg>,
    /// Only findings of exactly this severity.
    #[arg(long, value_enum)]
    severity: Option<SeverityArg>,
    /// Only findings a sweep saw at or after this moment: RFC 3339 time, date, or a
    /// duration before now (30m, 12h, 7d, 2w).
    #[arg(long, value_name = "WHEN", value_parser = parse_moment)]
    since: Option<Moment>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
    #[command(flatten)]
    table: FindingsTable,
}

/// `findings show`.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The finding's id.
    id: String,
    /// Print the record as one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    table: FindingsTable,
}

/// `findings suppress`.
#[derive(clap::Args, Debug)]
pub struct SuppressArgs {
    /// The finding's id.
    id: String,
    /// Why the access is acceptable for now (kept in the finding's history).
    #[arg(long)]
    reason: String,
    /// Who decides (a name or email).
    #[arg(long, value_name = "WHO")]
    by: String,
    /// Until when: RFC 3339 time, date (midnight UTC), or a duration from now (12h, 30d, 2w).
    #[arg(long, value_name = "WHEN", value_parser = parse_moment)]
    until: Moment,
    #[command(flatten)]
    table: FindingsTable,
}

/// `findings unsuppress`.
#[derive(clap::Args, Debug)]
pub struct UnsuppressArgs {
    /// The finding's id.
    id: String,
    /// Who lifts the suppression (a name or email).
    #[arg(long, value_name = "WHO")]
    by: String,
    #[command(flatten)]
    table: FindingsTable,
}

/// A status on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum StatusArg {
    /// The drift is there.
    Open,
    /// The drift went away.
    Resolved,
    /// Accepted until an expiry.
    Suppressed,
}

impl From<StatusArg> for Status {
    fn from(s: StatusArg) -> Status {
        match s {
            StatusArg::Open => Status::Open,
            StatusArg::Resolved => Status::Resolved,
            StatusArg::Suppressed => Status::Suppressed,
        }
    }
}

/// A severity on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum SeverityArg {
    /// Worth a look.
    Low,
    /// Fix soon.
    Medium,
    /// Fix now.
    High,
    /// Data exposed beyond the Organization or to anyone.
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// Output formats of `findings list`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// Aligned columns for people.
    Table,
    /// One JSON array of full records.
    Json,
    /// Comma-separated values with a header.
    Csv,
}

/// A moment as given on the command line: a point in time, or a duration relative to
/// now (before now for `--since`, after now for `--until`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// An absolute time.
    At(Timestamp),
    /// A duration from now.
    Relative(SignedDuration),
}

/// Reads `2026-12-01T00:00:00Z` (any RFC 3339 offset), `2026-12-01` (midnight UTC) or
/// a duration `<n>m|h|d|w`.
fn parse_moment(text: &str) -> Result<Moment, String> {
    let bad = || {
        format!(
            "`{text}` is not a time: give an RFC 3339 time (2026-12-01T00:00:00Z), a date \
             (2026-12-01) or a duration (30m, 12h, 7d, 2w)"
        )
    };
    let text = text.trim();
    if let Some(unit) = text.chars().last().filter(char::is_ascii_alphabetic) {
        let digits = &text[..text.len() - 1];
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = digits.parse().map_err(|_| bad())?;
            let seconds_per = match unit {
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(bad()),
            };
            let secs = n.checked_mul(seconds_per).ok_or_else(bad)?;
            return Ok(Moment::Relative(SignedDuration::from_secs(secs)));
        }
    }
    if text.len() == 10 && text.parse::<jiff::civil::Date>().is_ok() {
        return format!("{text}T00:00:00Z")
            .parse::<Timestamp>()
            .map(Moment::At)
            .map_err(|_| bad());
    }
    text.parse::<Timestamp>().map(Moment::At).map_err(|_| bad())
}

/// The moment as RFC 3339 UTC to the second (the form the table stores and compares as
/// text), `direction` -1 for durations before `now`, +1 after.
fn resolve(moment: Moment, now: Timestamp, direction: i64) -> Result<String, String> {
    let at = match moment {
        Moment::At(t) => t,
        Moment::Relative(d) => {
            let d = if direction < 0 { -d } else { d };
            now.checked_add(d)
                .map_err(|_| format!("`{d}` from now is out of range"))?
        }
    };
    Ok(rfc3339(at))
}

/// RFC 3339 UTC, whole seconds: `2026-11-24T00:00:00Z`.
fn rfc3339(t: Timestamp) -> String {
    Time::from(t).rfc3339()
}

/// Runs a `findings` subcommand.
pub fn run(command: FindingsCommand) -> anyhow::Result<ExitCode> {
    match command {
        FindingsCommand::List(args) => list(args),
        FindingsCommand::Show(args) => show(args),
        FindingsCommand::Suppress(args) => suppress_cmd(args),
        FindingsCommand::Unsuppress(args) => unsuppress_cmd(args),
    }
}

/// The store and where it is, for messages.
struct Session {
    store: DynamoFindingStore,
    table: String,
    region: String,
}

async fn open(table: &FindingsTable) -> anyhow::Result<Session> {
    let config = cloud::sdk_config().await?;
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    Ok(Session {
        store: DynamoFindingStore::new(aws_sdk_dynamodb::Client::new(&config), &table.name),
        table: table.name.clone(),
        region,
    })
}

impl Session {
    /// A store error as a message that says what to do.
    fn explain(&self, e: QueryError) -> anyhow::Error {
        match e {
            QueryError::TableNotFound(_) => anyhow!(
                "the findings table `{}` does not exist in region {}: name the right table with \
                 --findings-table or ACCESSDRIFT_FINDINGS_TABLE (and the region with AWS_REGION), \
                 or deploy the stack that creates it",
                self.table,
                self.region
            ),
            QueryError::NoFilter => anyhow!("{e}"),
            QueryError::Store(e) => self.explain_store(e),
        }
    }

    fn explain_store(&self, e: StoreError) -> anyhow::Error {
        anyhow!(
            "{e}\n(table `{}` in region {}: check the credentials and their permissions on it, \
             and AWS_ENDPOINT_URL if set)",
            self.table,
            self.region
        )
    }
}

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let now = Timestamp::now();
    let since = match args.since.map(|m| resolve(m, now, -1)).transpose() {
        Ok(since) => since,
        Err(e) => return usage(&e),
    };
    let filter = FindingFilter {
        owner: args.owner,
        account: args.account,
        resource: args.resource,
        status: args.status.map(Status::from),
        severity: args.severity.map(Severity::from),
        since,
    };
    // Refuse an unbounded list before touching AWS.
    if let Err(e) = plan(&filter) {
        return usage(&format!(
            "{e}; for example --status open, --since 7d or --owner TEAM"
        ));
    }
    let records = cloud::block_on(async {
        let session = open(&args.table).await?;
        session
            .store
            .list(&filter)
            .await
            .map_err(|e| session.explain(e))
    })??;
    let text = render(&sorted(records), args.format);
    print(&text)
}

fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let record = cloud::block_on(async {
        let session = open(&args.table).await?;
        session
            .store
            .get(&args.id)
            .await
            .map_err(|e| session.explain(e))
    })??;
    let Some(record) = record else {
        return not_found(&args.id, &args.table.name);
    };
    let text = if args.json {
        format!("{}\n", record_json(&record))
    } else {
        show_text(&record)
    };
    print(&text)
}

fn suppress_cmd(args: SuppressArgs) -> anyhow::Result<ExitCode> {
    let now = Timestamp::now();
    let until = match resolve(args.until, now, 1) {
        Ok(until) => until,
        Err(e) => return usage(&e),
    };
    let now_text = rfc3339(now);
    if until <= now_text {
        return usage(&format!(
            "--until {until} is not in the future: a suppression must end after now ({now_text})"
        ));
    }
    if let Err(e) = check_text("--reason", &args.reason).and(check_text("--by", &args.by)) {
        return usage(&e);
    }
    let suppression = Suppression {
        reason: args.reason.trim().to_string(),
        by: args.by.trim().to_string(),
        until,
    };
    let change = |r: &StoredFinding| suppress(r, suppression.clone(), Time::from(now));
    update_cmd(&args.id, &args.table, "suppress", Status::Open, change)
}

fn unsuppress_cmd(args: UnsuppressArgs) -> anyhow::Result<ExitCode> {
    if let Err(e) = check_text("--by", &args.by) {
        return usage(&e);
    }
    let now = Time::now();
    let by = args.by.trim().to_string();
    let change = |r: &StoredFinding| unsuppress(r, &by, now);
    update_cmd(
        &args.id,
        &args.table,
        "unsuppress",
        Status::Suppressed,
        change,
    )
}

/// A free-text value that the table can keep: not empty, and no control characters (the
/// stored history separates its fields with one).
fn check_text(flag: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{flag} must not be empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{flag} must be one line of text (no control characters)"
        ));
    }
    Ok(())
}

fn update_cmd(
    id: &str,
    table: &FindingsTable,
    verb: &str,
    needs: Status,
    change: impl Fn(&StoredFinding) -> Option<StoredFinding>,
) -> anyhow::Result<ExitCode> {
    let outcome = cloud::block_on(async {
        let session = open(table).await?;
        let mut stderr = std::io::stderr();
        update(&session.store, id, &change, &mut stderr)
            .await
            .map_err(|e| match e {
                UpdateError::Query(e) => session.explain(e),
                UpdateError::Store(e) => session.explain_store(e),
            })
    })??;
    match outcome {
        Outcome::Written(r) => {
            let detail = match &r.suppression {
                Some(s) => format!(" until {} (by {}: {})", s.until, s.by, s.reason),
                None => String::new(),
            };
            print(&format!(
                "{verb}ed `{id}`: now {}{detail} (version {})\n",
                r.status.as_str(),
                r.version
            ))
        }
        Outcome::NotFound => not_found(id, &table.name),
        Outcome::WrongStatus(status) => usage(&format!(
            "cannot {verb} `{id}`: it is {}, and only a{} {} finding can be {verb}ed{}",
            status.as_str(),
            if needs == Status::Open { "n" } else { "" },
            needs.as_str(),
            if status == Status::Suppressed {
                " (to change a suppression, unsuppress it first)"
            } else {
                ""
            }
        )),
        Outcome::KeptChanging => Err(anyhow!(
            "`{id}` changed under every one of {ATTEMPTS} attempts to {verb} it (sweeps or \
             other people are writing it): try again in a minute"
        )),
    }
}

/// Reads and writes records by id (the table; a fake in tests).
trait Records {
    /// One record by id, strongly consistent.
    async fn get(&self, id: &str) -> Result<Option<StoredFinding>, QueryError>;
    /// Writes conditional on `record.version - 1`.
    async fn put(&self, record: &StoredFinding) -> Result<(), StoreError>;
}

impl Records for DynamoFindingStore {
    async fn get(&self, id: &str) -> Result<Option<StoredFinding>, QueryError> {
        DynamoFindingStore::get(self, id).await
    }
    async fn put(&self, record: &StoredFinding) -> Result<(), StoreError> {
        FindingStore::write(self, record).await
    }
}

/// What a read-modify-write came to.
#[derive(Debug)]
enum Outcome {
    /// Written: the new record.
    Written(Box<StoredFinding>),
    /// No finding with that id.
    NotFound,
    /// The finding's status does not allow the change.
    WrongStatus(Status),
    /// Lost the race on every attempt.
    KeptChanging,
}

/// Why a read-modify-write failed.
#[derive(Debug)]
enum UpdateError {
    Query(QueryError),
    Store(StoreError),
}

/// Reads `id`, applies `change`, writes conditional on the version read; a lost race
/// (someone wrote in between) is reported on `log`, then read and applied again.
async fn update(
    records: &impl Records,
    id: &str,
    change: impl Fn(&StoredFinding) -> Option<StoredFinding>,
    log: &mut impl std::io::Write,
) -> Result<Outcome, UpdateError> {
    for attempt in 1..=ATTEMPTS {
        let Some(current) = records.get(id).await.map_err(UpdateError::Query)? else {
            return Ok(Outcome::NotFound);
        };
        let Some(next) = change(&current) else {
            return Ok(Outcome::WrongStatus(current.status));
        };
        match records.put(&next).await {
            Ok(()) => return Ok(Outcome::Written(Box::new(next))),
            Err(StoreError::Conflict(_)) => {
                // Best effort: a failed note on stderr must not stop the retry.
                let _ = writeln!(
                    log,
                    "accessdrift: `{id}` changed since it was read (a sweep or someone else \
                     wrote it); reading it again (attempt {attempt} of {ATTEMPTS})"
                );
            }
            Err(e) => return Err(UpdateError::Store(e)),
        }
    }
    Ok(Outcome::KeptChanging)
}

fn usage(message: &str) -> anyhow::Result<ExitCode> {
    eprintln!("accessdrift findings: {message}");
    Ok(ExitCode::from(2))
}

fn not_found(id: &str, table: &str) -> anyhow::Result<ExitCode> {
    eprintln!(
        "accessdrift findings: no finding `{id}` in table `{table}` (ids are the 32 hex digits \
         `findings list` and the notices show)"
    );
    Ok(ExitCode::from(4))
}

fn print(text: &str) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("writing to standard output")?;
    Ok(ExitCode::SUCCESS)
}

/// Most severe first, then most recently seen, then by id.
fn sorted(mut records: Vec<StoredFinding>) -> Vec<StoredFinding> {
    records.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| b.last_seen.cmp(&a.last_seen))
            .then_with(|| a.finding.id.cmp(&b.finding.id))
    });
    records
}

/// The full record as JSON: the finding (as `drift --json`), its status and history.
fn record_json(r: &StoredFinding) -> serde_json::Value {
    let mut v = r.finding.to_json();
    if let Some(o) = v.as_object_mut() {
        o.insert("status".into(), r.status.as_str().into());
        o.insert("first_seen".into(), r.first_seen.clone().into());
        o.insert("last_seen".into(), r.last_seen.clone().into());
        o.insert("version".into(), r.version.into());
        o.insert(
            "notice_pending".into(),
            r.notice_pending.map(|c| c.as_str()).into(),
        );
        o.insert("held".into(), r.held.clone().into());
        o.insert(
            "suppression".into(),
            r.suppression.as_ref().map_or(
                serde_json::Value::Null,
                |s| serde_json::json!({"reason": s.reason, "by": s.by, "until": s.until}),
            ),
        );
        o.insert(
            "history".into(),
            r.history
                .iter()
                .map(|h| serde_json::json!({"at": h.at, "status": h.status.as_str(), "note": h.note}))
                .collect::<Vec<_>>()
                .into(),
        );
    }
    v
}

fn render(records: &[StoredFinding], format: ListFormat) -> String {
    match format {
        ListFormat::Json => render_json(records),
        ListFormat::Csv => render_csv(records),
        ListFormat::Table => render_table(records),
    }
}

/// One JSON array, one record per line.
fn render_json(records: &[StoredFinding]) -> String {
    if records.is_empty() {
        return "[]\n".to_string();
    }
    let lines: Vec<String> = records.iter().map(|r| record_json(r).to_string()).collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}

/// The CSV columns.
const CSV_HEADER: &str = "id,severity,status,owner,account,kind,resource,principal,capability,\
                          access,first_seen,last_seen,suppressed_until,summary";

/// One CSV record: the fields, comma-separated, and a line end.
pub(crate) fn csv_row(out: &mut String, fields: &[&str]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        accessdrift_escape::csv_field(out, field);
    }
    out.push('\n');
}

fn render_csv(records: &[StoredFinding]) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    for r in records {
        let f = &r.finding;
        let fields = [
            f.id.as_str(),
            f.severity.as_str(),
            r.status.as_str(),
            f.owner.as_deref().unwrap_or(""),
            &f.account,
            f.kind.as_str(),
            &f.resource,
            f.principal.as_deref().unwrap_or(""),
            f.capability.map_or("", |c| c.as_str()),
            f.access.map_or("", |a| a.as_str()),
            &r.first_seen,
            &r.last_seen,
            r.suppression.as_ref().map_or("", |s| s.until.as_str()),
            &f.summary,
        ];
        csv_row(&mut out, &fields);
    }
    out
}

fn render_table(records: &[StoredFinding]) -> String {
    if records.is_empty() {
        return "no findings match\n".to_string();
    }
    let header = [
        "ID",
        "SEVERITY",
        "STATUS",
        "OWNER",
        "ACCOUNT",
        "LAST SEEN",
        "KIND",
        "RESOURCE",
        "PRINCIPAL",
    ];
    let rows: Vec<[&str; 9]> = records
        .iter()
        .map(|r| {
            let f = &r.finding;
            [
                f.id.as_str(),
                f.severity.as_str(),
                r.status.as_str(),
                f.owner.as_deref().unwrap_or("-"),
                &f.account,
                &r.last_seen,
                f.kind.as_str(),
                &f.resource,
                f.principal.as_deref().unwrap_or("-"),
            ]
        })
        .collect();
    let mut out = crate::text::columns(header, &rows);
    let _ = writeln!(out, "{} findings", records.len());
    out
}

/// `show` as text for people.
fn show_text(r: &StoredFinding) -> String {
    let f = &r.finding;
    let mut out = String::new();
    // Every value may be account text: shown on one line, without control characters.
    let mut field = |name: &str, value: &str| {
        let _ = writeln!(
            out,
            "{:<16}{}",
            format!("{name}:"),
            accessdrift_escape::plain(value)
        );
    };
    field("finding", &f.id);
    field("status", r.status.as_str());
    field("severity", f.severity.as_str());
    field("kind", f.kind.as_str());
    field("summary", &f.summary);
    field("account", &f.account);
    field("resource", &f.resource);
    field("owner", f.owner.as_deref().unwrap_or("(none)"));
    if let Some(c) = &f.classification {
        field("classification", c);
    }
    if let Some(p) = &f.principal {
        field("principal", p);
    }
    if let Some(c) = f.capability {
        let access = f.access.map(|a| format!(" ({})", a.as_str()));
        field(
            "capability",
            &format!("{}{}", c.as_str(), access.unwrap_or_default()),
        );
    }
    field("remedy", &f.remedy);
    field("first seen", &r.first_seen);
    field("last seen", &r.last_seen);
    if let Some(s) = &r.suppression {
        field(
            "suppressed",
            &format!("until {} by {}: {}", s.until, s.by, s.reason),
        );
    }
    if let Some(c) = r.notice_pending {
        field("notice pending", c.as_str());
    }
    if let Some(why) = &r.held {
        field("held (could not evaluate)", why);
    }
    field("version", &r.version.to_string());
    if !f.grants.is_empty() {
        let _ = writeln!(out, "grants:");
        for g in &f.grants {
            let _ = writeln!(out, "  {} statement {}", g.policy, g.statement);
        }
    }
    let _ = writeln!(out, "history:");
    for h in &r.history {
        let _ = writeln!(out, "  {}  {:<10}  {}", h.at, h.status.as_str(), h.note);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        reason = "test code: a failure should stop loudly"
    )]

    use std::cell::{Cell, RefCell};

    use accessdrift_access::Access;
    use accessdrift_capabilities::Capability;
    use accessdrift_drift::lifecycle::StatusChange;
    use accessdrift_drift::notice::Change;
    use accessdrift_drift::{Finding, FindingKind, GrantRef};

    fn at(text: &str) -> accessdrift_primitives::Time {
        accessdrift_primitives::Time::parse(text).unwrap()
    }

    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn moments_are_times_dates_or_durations() {
        assert_eq!(
            parse_moment("2026-12-01T10:00:00+02:00"),
            Ok(Moment::At(ts("2026-12-01T08:00:00Z")))
        );
        assert_eq!(
            parse_moment("2026-12-01"),
            Ok(Moment::At(ts("2026-12-01T00:00:00Z")))
        );
        assert_eq!(
            parse_moment("7d"),
            Ok(Moment::Relative(SignedDuration::from_hours(7 * 24)))
        );
        assert_eq!(
            parse_moment("30m"),
            Ok(Moment::Relative(SignedDuration::from_mins(30)))
        );
        assert_eq!(
            parse_moment("2w"),
            Ok(Moment::Relative(SignedDuration::from_hours(14 * 24)))
        );
        assert_eq!(
            parse_moment("12h"),
            Ok(Moment::Relative(SignedDuration::from_hours(12)))
        );
        for bad in [
            "",
            "7",
            "d",
            "7y",
            "-7d",
            "7 days",
            "2026-13-01",
            "2026-12-01T00:00:00",
            "soon",
            "99999999999999999999d",
        ] {
            let e = parse_moment(bad).unwrap_err();
            assert!(e.contains("7d"), "{bad}: {e}");
        }
    }

    #[test]
    fn durations_count_back_for_since_and_forward_for_until() {
        let now = ts("2026-11-24T12:00:00.750Z");
        let week = Moment::Relative(SignedDuration::from_hours(7 * 24));
        assert_eq!(resolve(week, now, -1).unwrap(), "2026-11-17T12:00:00Z");
        assert_eq!(resolve(week, now, 1).unwrap(), "2026-12-01T12:00:00Z");
        let at = Moment::At(ts("2026-12-01T10:00:00+02:00"));
        assert_eq!(resolve(at, now, -1).unwrap(), "2026-12-01T08:00:00Z");
        let huge = Moment::Relative(SignedDuration::from_hours(24 * 365 * 20_000));
        assert!(resolve(huge, now, 1).is_err());
    }

    #[test]
    fn free_text_must_be_one_non_empty_line() {
        assert!(check_text("--reason", "migration, ticket SEC-42").is_ok());
        assert!(check_text("--reason", "  ").is_err());
        assert!(check_text("--reason", "a\u{1f}b").is_err());
        assert!(check_text("--by", "a\nb").is_err());
    }

    fn record(id: &str, severity: Severity, status: Status, last_seen: &str) -> StoredFinding {
        StoredFinding {
            finding: Finding {
                id: id.into(),
                kind: FindingKind::UnexpectedAccess,
                severity,
                account: "111111111111".into(),
                resource: "arn:aws:s3:::credit-applications".into(),
                owner: Some("credit-team".into()),
                classification: Some("Confidential".into()),
                principal: Some("arn:aws:iam::111111111111:role/ci".into()),
                capability: Some(Capability::WriteData),
                access: Some(Access::Allowed),
                grants: vec![GrantRef {
                    policy: "inline:ci/Deploy".into(),
                    statement: "Write".into(),
                }],
                summary: "role/ci gained write-data, \"unexpected\"".into(),
                remedy: "remove statement `Write`".into(),
            },
            status,
            first_seen: "2026-11-20T00:00:00Z".into(),
            last_seen: last_seen.into(),
            history: vec![StatusChange {
                at: "2026-11-20T00:00:00Z".into(),
                status: Status::Open,
                note: "opened".into(),
            }],
            suppression: None,
            notice_pending: None,
            held: None,
            version: 2,
        }
    }

    #[test]
    fn lists_put_the_most_severe_and_most_recent_first() {
        let records = vec![
            record("a", Severity::Low, Status::Open, "2026-11-24T00:00:00Z"),
            record(
                "b",
                Severity::Critical,
                Status::Open,
                "2026-11-20T00:00:00Z",
            ),
            record(
                "c",
                Severity::Critical,
                Status::Open,
                "2026-11-24T00:00:00Z",
            ),
            record(
                "d",
                Severity::Critical,
                Status::Open,
                "2026-11-24T00:00:00Z",
            ),
        ];
        let ids: Vec<String> = sorted(records).into_iter().map(|r| r.finding.id).collect();
        assert_eq!(ids, ["c", "d", "b", "a"]);
    }

    #[test]
    fn json_is_one_array_of_full_records() {
        let mut r = record(
            "a",
            Severity::High,
            Status::Suppressed,
            "2026-11-24T00:00:00Z",
        );
        r.suppression = Some(Suppression {
            reason: "migration".into(),
            by: "alice".into(),
            until: "2026-12-01T00:00:00Z".into(),
        });
        r.notice_pending = Some(Change::New);
        let text = render(
            &[r.clone(), record("b", Severity::Low, Status::Open, "t")],
            ListFormat::Json,
        );
        assert_eq!(text.lines().count(), 4, "[, one line per record, ]: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let a = &v[0];
        assert_eq!(a["id"], "a");
        assert_eq!(a["status"], "suppressed");
        assert_eq!(a["capability"], "write-data");
        assert_eq!(a["access"], "Allowed");
        assert_eq!(a["grants"][0]["statement"], "Write");
        assert_eq!(a["remedy"], "remove statement `Write`");
        assert_eq!(a["suppression"]["by"], "alice");
        assert_eq!(a["notice_pending"], "new");
        assert_eq!(a["version"], 2);
        assert_eq!(
            a["history"],
            serde_json::json!([{"at": "2026-11-20T00:00:00Z", "status": "open", "note": "opened"}])
        );
        assert_eq!(v[1]["suppression"], serde_json::Value::Null);
        assert_eq!(render(&[], ListFormat::Json), "[]\n");
    }

    #[test]
    fn csv_has_a_header_and_quotes_what_needs_quoting() {
        let text = render(
            &[record(
                "a",
                Severity::High,
                Status::Open,
                "2026-11-24T00:00:00Z",
            )],
            ListFormat::Csv,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(
            lines[1],
            "a,high,open,credit-team,111111111111,unexpected-access,\
             arn:aws:s3:::credit-applications,arn:aws:iam::111111111111:role/ci,write-data,\
             Allowed,2026-11-20T00:00:00Z,2026-11-24T00:00:00Z,,\
             \"role/ci gained write-data, \"\"unexpected\"\"\""
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(render(&[], ListFormat::Csv), format!("{CSV_HEADER}\n"));
    }

    #[test]
    fn the_table_aligns_columns_and_counts() {
        let mut b = record(
            "bb",
            Severity::Critical,
            Status::Open,
            "2026-11-24T00:00:00Z",
        );
        b.finding.owner = None;
        b.finding.principal = None;
        let text = render(
            &[
                b,
                record("a", Severity::Low, Status::Resolved, "2026-11-23T00:00:00Z"),
            ],
            ListFormat::Table,
        );
        assert_eq!(
            text,
            "\
ID  SEVERITY  STATUS    OWNER        ACCOUNT       LAST SEEN             KIND               RESOURCE                          PRINCIPAL
bb  critical  open      -            111111111111  2026-11-24T00:00:00Z  unexpected-access  arn:aws:s3:::credit-applications  -
a   low       resolved  credit-team  111111111111  2026-11-23T00:00:00Z  unexpected-access  arn:aws:s3:::credit-applications  arn:aws:iam::111111111111:role/ci
2 findings
"
        );
        assert_eq!(render(&[], ListFormat::Table), "no findings match\n");
    }

    #[test]
    fn show_prints_grants_remedy_suppression_and_history() {
        let mut r = record(
            "a",
            Severity::High,
            Status::Suppressed,
            "2026-11-24T00:00:00Z",
        );
        r.suppression = Some(Suppression {
            reason: "migration".into(),
            by: "alice".into(),
            until: "2026-12-01T00:00:00Z".into(),
        });
        r.history.push(StatusChange {
            at: "2026-11-24T01:00:00Z".into(),
            status: Status::Suppressed,
            note: "suppressed by alice until 2026-12-01T00:00:00Z: migration".into(),
        });
        let text = show_text(&r);
        for expected in [
            "finding:        a\n",
            "status:         suppressed\n",
            "capability:     write-data (Allowed)\n",
            "remedy:         remove statement `Write`\n",
            "suppressed:     until 2026-12-01T00:00:00Z by alice: migration\n",
            "grants:\n  inline:ci/Deploy statement Write\n",
            "history:\n  2026-11-20T00:00:00Z  open        opened\n  2026-11-24T01:00:00Z  suppressed  suppressed by alice",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    /// A table of one record where another writer gets in first `races` times: each
    /// time, between our read and our write, a sweep updates `last_seen`.
    struct Racing {
        record: RefCell<StoredFinding>,
        races: Cell<u32>,
    }

    impl Records for Racing {
        async fn get(&self, id: &str) -> Result<Option<StoredFinding>, QueryError> {
            let r = self.record.borrow().clone();
            Ok((r.finding.id == id).then_some(r))
        }
        async fn put(&self, record: &StoredFinding) -> Result<(), StoreError> {
            if self.races.get() > 0 {
                self.races.set(self.races.get() - 1);
                let mut other = self.record.borrow_mut();
                other.version += 1;
                other.last_seen = format!("2026-11-25T00:00:0{}Z", other.version);
            }
            let mut current = self.record.borrow_mut();
            if record.version != current.version + 1 {
                return Err(StoreError::Conflict(record.finding.id.clone()));
            }
            *current = record.clone();
            Ok(())
        }
    }

    fn suppression() -> Suppression {
        Suppression {
            reason: "migration".into(),
            by: "alice".into(),
            until: "2026-12-01T00:00:00Z".into(),
        }
    }

    #[tokio::test]
    async fn a_lost_race_is_read_again_and_nothing_the_other_writer_did_is_lost() {
        let table = Racing {
            record: RefCell::new(record(
                "a",
                Severity::High,
                Status::Open,
                "2026-11-24T00:00:00Z",
            )),
            races: Cell::new(2),
        };
        let mut log = Vec::new();
        let change = |r: &StoredFinding| suppress(r, suppression(), at("2026-11-25T00:00:10Z"));
        let outcome = update(&table, "a", change, &mut log).await.unwrap();
        let Outcome::Written(written) = outcome else {
            panic!("{outcome:?}")
        };
        let stored = table.record.borrow().clone();
        assert_eq!(*written, stored);
        assert_eq!(stored.status, Status::Suppressed);
        assert_eq!(stored.version, 5, "2 versions by the sweep, then ours");
        assert_eq!(
            stored.last_seen, "2026-11-25T00:00:04Z",
            "the sweep's write is kept"
        );
        let log = String::from_utf8(log).unwrap();
        assert_eq!(log.matches("changed since it was read").count(), 2, "{log}");
    }

    #[tokio::test]
    async fn a_finding_that_keeps_changing_gives_up_after_the_attempts() {
        let table = Racing {
            record: RefCell::new(record("a", Severity::High, Status::Open, "t")),
            races: Cell::new(ATTEMPTS),
        };
        let change = |r: &StoredFinding| suppress(r, suppression(), at("2026-01-01T02:00:00Z"));
        let outcome = update(&table, "a", change, &mut Vec::new()).await.unwrap();
        assert!(matches!(outcome, Outcome::KeptChanging), "{outcome:?}");
        assert_eq!(table.record.borrow().status, Status::Open);
    }

    #[tokio::test]
    async fn unknown_ids_and_wrong_statuses_write_nothing() {
        let table = Racing {
            record: RefCell::new(record("a", Severity::High, Status::Resolved, "t")),
            races: Cell::new(0),
        };
        let change = |r: &StoredFinding| suppress(r, suppression(), at("2026-01-01T02:00:00Z"));
        let outcome = update(&table, "nope", change, &mut Vec::new())
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::NotFound), "{outcome:?}");
        let outcome = update(&table, "a", change, &mut Vec::new()).await.unwrap();
        assert!(
            matches!(outcome, Outcome::WrongStatus(Status::Resolved)),
            "{outcome:?}"
        );
        let change = |r: &StoredFinding| unsuppress(r, "bob", at("2026-01-01T02:00:00Z"));
        let outcome = update(&table, "a", change, &mut Vec::new()).await.unwrap();
        assert!(
            matches!(outcome, Outcome::WrongStatus(Status::Resolved)),
            "{outcome:?}"
        );
        assert_eq!(table.record.borrow().version, 2);
    }
}
