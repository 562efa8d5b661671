//! `report`: effective access and open drift per owner, as one self-contained HTML page
//! an application engineer can review in a quarter of an hour.
//!
//! Two pure steps, so both are unit-tested without files or a browser: [`build`] groups
//! already-computed effective-access lines and findings by owner, [`render`] turns that
//! into HTML. The page has inline CSS, no external asset and no script: it reads the
//! same from a CI artifact, an email attachment or a file on disk.
//!
//! Key design choices:
//! - The owner of a resource is read as drift reads it (`accessdrift_drift::drift::tag`
//!   over the configured owner tag keys, else the desired state's `owner`), so a
//!   finding always sits under the same owner as its resource; no owner is "unowned".
//! - Everything shown comes from account data (tags, role names, policy Sids): all text
//!   is HTML-escaped on the way out, attributes included, and ids in the page are
//!   generated (`owner-3`), never taken from the data.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use accessdrift_access::{Access, Line};
use accessdrift_desired::DesiredState;
use accessdrift_drift::drift::{DriftConfig, tag};
use accessdrift_drift::{Finding, Severity};
use accessdrift_evaluator::ConditionTree;
use accessdrift_snapshot::Snapshot;

use crate::collect::{Output, write_atomically};

pub use accessdrift_drift::UNOWNED;

/// Severities, most urgent first (the order of the page).
const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// What the page shows, grouped and sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The account reviewed.
    pub account: String,
    /// When the page was made (shown as given).
    pub generated_at: String,
    /// IAM users and roles in the account.
    pub principals: usize,
    /// Resources in the snapshot (roles included: a role is a resource too).
    pub resources: usize,
    /// Owners by name, `unowned` last.
    pub owners: Vec<OwnerSection>,
    /// What could not be evaluated: the access shown there is a lower bound.
    pub problems: Vec<Problem>,
}

/// A part of the account that could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The resource, principal, policy or path concerned.
    pub subject: String,
    /// Why.
    pub error: String,
}

/// One owner's open drift and resources.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerSection {
    /// The owner (a tag value, or [`UNOWNED`]).
    pub owner: String,
    /// Open drift, most severe first.
    pub drift: Vec<Finding>,
    /// The owner's resources, by ARN.
    pub resources: Vec<ResourceSection>,
}

/// One resource and who can do what on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSection {
    /// The ARN.
    pub arn: String,
    /// `AWS::S3::Bucket`...
    pub type_name: String,
    /// The classification tag, if any.
    pub classification: Option<String>,
    /// Effective access, by principal then capability.
    pub rows: Vec<AccessRow>,
}

/// One (principal, capability) on a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRow {
    /// The principal as AWS spells it.
    pub principal: String,
    /// The capability's word.
    pub capability: String,
    /// Only under request-time conditions (given in `conditions`).
    pub conditional: bool,
    /// The condition tree, for conditional rows: its keys (`aws:SecureTransport`) in
    /// words, the whole tree as JSON on hover.
    pub conditions: Option<Arc<ConditionTree>>,
    /// `policy [statement]` of each granting statement.
    pub grants: Vec<String>,
    /// Other things that must hold too, in words.
    pub requires: Vec<String>,
    /// The S3 keys the row holds for, when not every key.
    pub keys: Vec<String>,
    /// An open finding is about this row.
    pub drift: bool,
}

/// Groups effective-access `lines` and `findings` of `snapshot` by owner (pure).
pub fn build(
    snapshot: &Snapshot,
    desired: &DesiredState,
    lines: &[Line],
    findings: Vec<Finding>,
    config: &DriftConfig,
    generated_at: &str,
) -> Report {
    let desired_owner: BTreeMap<&str, &str> = desired
        .resources
        .iter()
        .filter_map(|d| {
            d.owner
                .as_deref()
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| (d.arn.as_str(), o))
        })
        .collect();
    let owner_of = |arn: &str, tags: Option<&BTreeMap<String, String>>| -> String {
        tags.and_then(|t| tag(t, &config.owner_tag_keys))
            .map(|(_, v)| v)
            .or_else(|| desired_owner.get(arn).copied())
            .unwrap_or(UNOWNED)
            .to_string()
    };

    let drift_keys: BTreeSet<(&str, &str, &str)> = findings
        .iter()
        .filter_map(|f| {
            Some((
                f.resource.as_str(),
                f.principal.as_deref()?,
                f.capability?.as_str(),
            ))
        })
        .collect();

    let mut owners: BTreeMap<String, OwnerSection> = BTreeMap::new();
    let mut index: BTreeMap<&str, (String, usize)> = BTreeMap::new();
    for r in &snapshot.resources {
        let owner = owner_of(&r.arn, Some(&r.tags));
        let s = section(&mut owners, &owner);
        s.resources.push(ResourceSection {
            arn: r.arn.clone(),
            type_name: r.type_name.clone(),
            classification: tag(&r.tags, &config.classification_tag_keys)
                .map(|(_, v)| v.to_string()),
            rows: Vec::new(),
        });
        index.insert(&r.arn, (owner, s.resources.len() - 1));
    }

    let mut problems = Vec::new();
    for line in lines {
        match line {
            Line::Row(row) => {
                let drift = drift_keys.contains(&(
                    &*row.resource,
                    &*row.principal,
                    row.capability.as_str(),
                ));
                let access = AccessRow {
                    principal: row.principal.to_string(),
                    capability: row.capability.as_str().to_string(),
                    conditional: row.access == Access::Conditional,
                    conditions: row.conditions.clone(),
                    grants: row
                        .grants
                        .iter()
                        .map(|g| format!("{} [{}]", g.policy, g.statement))
                        .collect(),
                    requires: row.requires.clone(),
                    keys: row
                        .keys
                        .as_deref()
                        .map(<[String]>::to_vec)
                        .unwrap_or_default(),
                    drift,
                };
                match index.get(&*row.resource) {
                    Some((owner, i)) => {
                        if let Some(r) = owners.get_mut(owner).and_then(|s| s.resources.get_mut(*i))
                        {
                            r.rows.push(access);
                        }
                    }
                    // INVARIANT (effective_access): rows are about snapshot resources;
                    // should one not be, it is still shown, unowned.
                    None => {
                        let s = section(&mut owners, UNOWNED);
                        match s.resources.iter_mut().find(|r| *r.arn == *row.resource) {
                            Some(r) => r.rows.push(access),
                            None => s.resources.push(ResourceSection {
                                arn: row.resource.to_string(),
                                type_name: String::new(),
                                classification: None,
                                rows: vec![access],
                            }),
                        }
                    }
                }
            }
            Line::ResourceError { resource, error } => problems.push(Problem {
                subject: resource.clone(),
                error: error.clone(),
            }),
            Line::PrincipalError { principal, error } => problems.push(Problem {
                subject: principal.clone(),
                error: error.clone(),
            }),
            Line::SnapshotError { subject, error } => problems.push(Problem {
                subject: subject.clone(),
                error: error.clone(),
            }),
        }
    }

    for f in findings {
        let owner = f
            .owner
            .clone()
            .filter(|o| !o.trim().is_empty())
            .unwrap_or_else(|| UNOWNED.to_string());
        section(&mut owners, &owner).drift.push(f);
    }

    let mut owners: Vec<OwnerSection> = owners.into_values().collect();
    for s in &mut owners {
        s.drift.sort_by(Finding::worst_first);
    }
    // Owners by name; `unowned` last, it is nobody's list to work through.
    owners.sort_by_key(|s| (s.owner == UNOWNED, s.owner.clone()));
    Report {
        account: snapshot.account_id.clone(),
        generated_at: generated_at.to_string(),
        principals: snapshot.principals.len(),
        resources: snapshot.resources.len(),
        owners,
        problems,
    }
}

/// The section of `owner`, created empty on first use.
fn section<'a>(
    owners: &'a mut BTreeMap<String, OwnerSection>,
    owner: &str,
) -> &'a mut OwnerSection {
    owners
        .entry(owner.to_string())
        .or_insert_with(|| OwnerSection {
            owner: owner.to_string(),
            drift: Vec::new(),
            resources: Vec::new(),
        })
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg-soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--fg); margin: 0; padding: 24px 32px 48px; max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; padding-top: 12px; border-top: 3px solid var(--fg); }
h3 { font-size: 15px; margin: 22px 0 6px; }
h4 { font-size: 14px; margin: 16px 0 4px; font-weight: 600; }
p.meta, .muted { color: var(--muted); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 130px; background: var(--bg-soft); }
.card .n { font-size: 24px; font-weight: 600; display: block; }
.card .l { color: var(--muted); font-size: 12.5px; }
.card .breakdown { display: block; font-size: 12.5px; margin-top: 2px; }
.sev-text-critical { color: #7a1010; font-weight: 600; } .sev-text-high { color: #c62828; font-weight: 600; }
.sev-text-medium { color: #a85d00; font-weight: 600; } .sev-text-low { color: #355f9e; font-weight: 600; }
table.fixed { table-layout: fixed; }
td.zero { color: var(--muted); } td.total { font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; font-size: 12.5px; }
td { overflow-wrap: anywhere; }
tr.drift td { background: #fff4e5; }
.sev { display: inline-block; min-width: 64px; text-align: center; border-radius: 4px; padding: 1px 6px;
       font-size: 12px; font-weight: 600; color: #fff; }
.sev-critical { background: #7a1010; } .sev-high { background: #c62828; }
.sev-medium { background: #a85d00; } .sev-low { background: #355f9e; }
.tag { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 12px; border: 1px solid var(--line); }
.tag-cond { background: #fff8c5; border-color: #d4a72c; }
.tag-allowed { background: #e6f4ea; border-color: #8fc79a; }
.tag-drift { background: #ffe1cc; border-color: #e0823d; }
.fix { color: var(--muted); font-size: 12.5px; margin-top: 3px; }
.kind { color: var(--muted); font-size: 12px; margin-top: 3px; }
tr.finding td { border-bottom: none; }
tr.fix-row td { border-top: none; padding-top: 0; }
td.grants { font-size: 12.5px; }
ul.problems li { margin: 3px 0; }
.none { color: var(--muted); font-style: italic; }
"#;

fn severity_badge(out: &mut String, s: Severity) {
    let _ = write!(
        out,
        r#"<span class="sev sev-{0}">{0}</span>"#,
        escape(s.as_str())
    );
}

/// `1 resource`, `2 resources`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn counts_by_severity(findings: &[Finding]) -> [usize; 4] {
    SEVERITIES.map(|s| findings.iter().filter(|f| f.severity == s).count())
}

/// The page (pure). Every piece of account data goes through [`escape`].
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let account = escape(&report.account);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>accessdrift report: account {account}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    let _ = writeln!(out, "<h1>Access review: account {account}</h1>");
    let _ = writeln!(
        out,
        "<p class=\"meta\">Generated by accessdrift on {}. Effective access is computed from the \
         account's IAM and resource policies; drift is measured against the teams' desired state.</p>",
        escape(&report.generated_at)
    );

    // Summary.
    let all: Vec<&Finding> = report.owners.iter().flat_map(|o| &o.drift).collect();
    let by_sev = SEVERITIES.map(|s| all.iter().filter(|f| f.severity == s).count());
    out.push_str("<section id=\"summary\">\n<div class=\"cards\">\n");
    let card = |out: &mut String, n: usize, label: &str| {
        let _ = writeln!(
            out,
            "<div class=\"card\"><span class=\"n\">{n}</span><span class=\"l\">{label}</span></div>"
        );
    };
    card(&mut out, report.owners.len(), "owners");
    let breakdown: Vec<String> = SEVERITIES
        .iter()
        .zip(by_sev)
        .map(|(s, n)| {
            format!(
                "<span class=\"sev-count sev-text-{0}\">{n} {0}</span>",
                s.as_str()
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "<div class=\"card card-drift\"><span class=\"n\">{}</span><span class=\"l\">open drift findings</span>\
         <span class=\"breakdown\">{}</span></div>",
        all.len(),
        breakdown.join(" · ")
    );
    card(&mut out, report.resources, "resources");
    card(&mut out, report.principals, "IAM principals");
    card(&mut out, report.problems.len(), "could not evaluate");
    out.push_str("</div>\n");

    out.push_str(
        "<table class=\"owners\">\n<thead><tr><th>Owner</th><th>Open drift</th>\
         <th>critical</th><th>high</th><th>medium</th><th>low</th><th>Resources</th></tr></thead>\n<tbody>\n",
    );
    for (i, o) in report.owners.iter().enumerate() {
        let c = counts_by_severity(&o.drift);
        let _ = write!(
            out,
            "<tr><td><a href=\"#owner-{i}\">{}</a></td>",
            escape(&o.owner)
        );
        let cell = |out: &mut String, n: usize, class: &str| {
            if n == 0 {
                out.push_str("<td class=\"zero\">0</td>");
            } else {
                let _ = write!(out, "<td class=\"{class}\">{n}</td>");
            }
        };
        cell(&mut out, o.drift.len(), "total");
        for (s, n) in SEVERITIES.iter().zip(c) {
            cell(&mut out, n, &format!("sev-text-{}", s.as_str()));
        }
        let _ = writeln!(out, "<td>{}</td></tr>", o.resources.len());
    }
    out.push_str("</tbody>\n</table>\n");

    if !report.problems.is_empty() {
        out.push_str(
            "<h3>Could not evaluate</h3>\n<p class=\"muted\">Access shown for these is a lower \
             bound: fix what the message says and run again.</p>\n<ul class=\"problems\">\n",
        );
        for p in &report.problems {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {}</li>",
                escape(&p.subject),
                escape(&p.error)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");

    for (i, o) in report.owners.iter().enumerate() {
        render_owner(&mut out, i, o, &report.account);
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn render_owner(out: &mut String, i: usize, o: &OwnerSection, account: &str) {
    let root = format!("arn:aws:iam::{account}:root");
    let owner = escape(&o.owner);
    let _ = writeln!(
        out,
        "<section class=\"owner\" id=\"owner-{i}\">\n<h2>Owner: {owner}</h2>"
    );
    let _ = writeln!(
        out,
        "<p class=\"muted\">{}, {}.</p>",
        count(o.drift.len(), "open drift finding"),
        count(o.resources.len(), "resource")
    );

    let _ = writeln!(out, "<h3>Open drift</h3>");
    if o.drift.is_empty() {
        out.push_str("<p class=\"none\">No open drift.</p>\n");
    } else {
        out.push_str(
            "<table class=\"drift fixed\">\n<colgroup><col style=\"width:135px\"><col style=\"width:17%\">\
             <col style=\"width:15%\"><col style=\"width:115px\"><col><col style=\"width:16%\"></colgroup>\n<thead><tr><th>Severity</th><th>Resource</th><th>Principal</th>\
             <th>Capability</th><th>Why</th><th>Granting statements</th></tr></thead>\n<tbody>\n",
        );
        for f in &o.drift {
            // Two rows per finding: the facts, then the fix across the full width (it
            // is long, and squeezed into a column it would triple the row's height).
            out.push_str("<tr class=\"finding\"><td rowspan=\"2\">");
            severity_badge(out, f.severity);
            let grants: Vec<String> = f
                .grants
                .iter()
                .map(|g| {
                    format!(
                        "<code>{}</code> [{}]",
                        escape(&g.policy),
                        escape(&g.statement)
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "<div class=\"kind\">{}</div></td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
                 <td>{}</td><td>{}</td><td class=\"grants\">{}</td></tr>\n\
                 <tr class=\"fix-row\"><td colspan=\"5\"><span class=\"fix\">Fix: {}</span></td></tr>",
                escape(f.kind.as_str()),
                escape(&f.resource),
                escape(f.principal.as_deref().unwrap_or("–")),
                escape(f.capability.map_or("–", |c| c.as_str())),
                escape(&f.summary),
                if grants.is_empty() {
                    "–".to_string()
                } else {
                    grants.join("<br>")
                },
                escape(&f.remedy),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }

    let _ = writeln!(out, "<h3>Effective access to {owner}'s resources</h3>");
    if o.resources.is_empty() {
        out.push_str("<p class=\"none\">No resources in this account.</p>\n");
    }
    for r in &o.resources {
        let _ = write!(out, "<h4><code>{}</code>", escape(&r.arn));
        if !r.type_name.is_empty() {
            let _ = write!(
                out,
                " <span class=\"muted\">{}</span>",
                escape(&r.type_name)
            );
        }
        if let Some(c) = &r.classification {
            let _ = write!(out, " <span class=\"tag\">{}</span>", escape(c));
        }
        out.push_str("</h4>\n");
        if r.rows.is_empty() {
            out.push_str("<p class=\"none\">Nobody holds any capability on it.</p>\n");
            continue;
        }
        out.push_str(
            "<table class=\"access fixed\">\n<colgroup><col style=\"width:30%\"><col style=\"width:165px\">\
             <col style=\"width:125px\"><col></colgroup>\n<thead><tr><th>Principal</th><th>Capability</th>\
             <th>Access</th><th>Granting statements, conditions</th></tr></thead>\n<tbody>\n",
        );
        for row in &r.rows {
            let class = if row.drift { " class=\"drift\"" } else { "" };
            let mut access = if row.conditional {
                "<span class=\"tag tag-cond\">conditional</span>".to_string()
            } else {
                "<span class=\"tag tag-allowed\">allowed</span>".to_string()
            };
            if row.drift {
                access.push_str(" <span class=\"tag tag-drift\">drift</span>");
            }
            let mut grants = if !row.grants.is_empty() {
                row.grants
                    .iter()
                    .map(|g| escape(g))
                    .collect::<Vec<_>>()
                    .join("<br>")
            } else if row.principal == root {
                // The root user's access in its own account needs no statement.
                "<span class=\"muted\">none needed: the account root</span>".to_string()
            } else {
                "–".to_string()
            };
            // The keys in words; the whole condition tree on hover (a title needs no script).
            if let Some(tree) = &row.conditions {
                // Sorted, once each.
                let keys: BTreeSet<&str> = tree.keys().collect();
                let keys = if keys.is_empty() {
                    "request-time conditions".to_string()
                } else {
                    keys.into_iter().map(escape).collect::<Vec<_>>().join(", ")
                };
                let _ = write!(
                    grants,
                    "<div class=\"fix\" title=\"{}\">depends on {keys}</div>",
                    escape(&tree.to_string())
                );
            }
            if !row.keys.is_empty() {
                let keys: Vec<String> = row.keys.iter().map(|k| escape(k)).collect();
                let _ = write!(
                    grants,
                    "<div class=\"fix\">only on the keys {}</div>",
                    keys.join(", ")
                );
            }
            for q in &row.requires {
                let _ = write!(grants, "<div class=\"fix\">requires {}</div>", escape(q));
            }
            let _ = writeln!(
                out,
                "<tr{class}><td class=\"mono\">{}</td><td>{}</td><td>{access}</td><td class=\"mono\">{grants}</td></tr>",
                escape(&row.principal),
                escape(&row.capability),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

/// `report --snapshot FILE --desired FILE... --output FILE`: exit 0 written, 2 for an
/// unreadable snapshot or invalid desired-state file, 1 otherwise.
pub fn report_cmd(
    snapshot_file: &std::path::Path,
    desired_files: &[PathBuf],
    org_accounts: &[String],
    output: &Output,
) -> anyhow::Result<ExitCode> {
    let desired = match crate::drift::read_desired_files(desired_files)? {
        Ok(d) => d,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(2));
        }
    };
    let snapshot = match crate::access::load_path(snapshot_file, None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("accessdrift: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let settings = accessdrift_controller::Settings {
        org_accounts: org_accounts.iter().cloned().collect(),
        ..Default::default()
    };
    let (findings, _) = accessdrift_controller::findings(&snapshot, &desired, &settings);
    let mut lines = Vec::new();
    let mut interner = accessdrift_access::Interner::new();
    accessdrift_access::effective_access(&snapshot, &Default::default(), |l| {
        lines.push(interner.intern(l))
    });
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string();
    let report = build(&snapshot, &desired, &lines, findings, &settings.drift, &now);
    let html = render(&report);
    match output {
        Output::Stdout => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(html.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(anyhow::Error::from)?;
        }
        Output::File(path) => write_atomically(path, |f| {
            use std::io::Write as _;
            f.write_all(html.as_bytes())?;
            f.sync_all()
        })?,
    }
    let drift: usize = report.owners.iter().map(|o| o.drift.len()).sum();
    eprintln!(
        "report of account {}: {} owners, {drift} open drift findings, {} could not evaluate; written to {}",
        report.account,
        report.owners.len(),
        report.problems.len(),
        output.shown()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::expect_used,
        clippy::unwrap_used,
        clippy::panic,
        reason = "test code: a failure should stop loudly"
    )]

    use super::*;
    use accessdrift_desired::parse_desired;
    use accessdrift_evaluator::formula::{Leaf, Source};
    use accessdrift_evaluator::{Effect, PolicyType};

    const HOSTILE: &str = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>&amp;";

    #[test]
    fn escape_turns_markup_into_text() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape("arn:aws:s3:::plain"), "arn:aws:s3:::plain");
    }

    fn report_with(text: &str) -> Report {
        let finding = Finding {
            id: "0".repeat(32),
            kind: accessdrift_drift::FindingKind::UnexpectedAccess,
            severity: Severity::Critical,
            account: "111111111111".into(),
            resource: format!("arn:aws:s3:::b{text}"),
            owner: Some(text.into()),
            classification: None,
            principal: Some(format!("arn:aws:iam::111111111111:role/{text}")),
            capability: Some(accessdrift_capabilities::Capability::ReadData),
            access: Some(Access::Allowed),
            grants: vec![accessdrift_drift::GrantRef {
                policy: format!("inline:role/{text}"),
                statement: text.into(),
            }],
            summary: format!("summary {text}"),
            remedy: format!("remedy {text}"),
        };
        Report {
            account: format!("111111111111{text}"),
            generated_at: text.into(),
            principals: 1,
            resources: 1,
            owners: vec![OwnerSection {
                owner: text.into(),
                drift: vec![finding],
                resources: vec![ResourceSection {
                    arn: format!("arn:aws:s3:::b{text}"),
                    type_name: text.into(),
                    classification: Some(text.into()),
                    rows: vec![AccessRow {
                        principal: text.into(),
                        capability: text.into(),
                        conditional: true,
                        conditions: Some(Arc::new(ConditionTree::Leaf(Arc::new(Leaf {
                            op: text.into(),
                            key: text.into(),
                            values: vec![text.into()],
                            inverted: false,
                            source: Source {
                                effect: Effect::Allow,
                                policy: text.into(),
                                policy_type: PolicyType::Identity,
                                statement_index: 1,
                                org_level: Some(text.into()),
                            },
                        })))),
                        grants: vec![text.into()],
                        requires: vec![text.into()],
                        keys: vec![text.into()],
                        drift: true,
                    }],
                }],
            }],
            problems: vec![Problem {
                subject: text.into(),
                error: text.into(),
            }],
        }
    }

    #[test]
    fn account_data_with_markup_is_shown_as_text_never_as_markup() {
        let html = render(&report_with(HOSTILE));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        // The same page structure as with harmless text: no element or attribute added.
        let plain = render(&report_with("plain"));
        for c in ['<', '>', '"'] {
            assert_eq!(html.matches(c).count(), plain.matches(c).count(), "{c}");
        }
        // Every place it appears, it appears escaped, `&amp;` included.
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;";
        assert!(html.matches(escaped).count() >= 15, "{html}");
        // The page stands alone: no script, no external asset.
        assert!(!html.contains("src=\"") && !html.contains("<link"));
    }

    /// Three buckets: owned by tag (`Team`, any case, as drift reads it), owned only
    /// through the desired state, and owned by nobody; one role reads all three.
    const SNAPSHOT: &str = r#"{
      "accountId": "111111111111",
      "authorizationDetails": {
        "UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": [{
          "Path": "/", "RoleName": "reader", "RoleId": "AROAREADERXXXXXXXXXX",
          "Arn": "arn:aws:iam::111111111111:role/reader",
          "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
          "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Sid": "ReadAll", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}],
          "AttachedManagedPolicies": [], "Tags": []
        }]
      },
      "resources": [
        {"arn": "arn:aws:s3:::payments-ledger", "type": "AWS::S3::Bucket", "tags": {"Team": "payments"}, "policy": null},
        {"arn": "arn:aws:s3:::credit-applications", "type": "AWS::S3::Bucket", "tags": {}, "policy": null},
        {"arn": "arn:aws:s3:::scratch", "type": "AWS::S3::Bucket", "tags": {}, "policy": null}
      ]
    }"#;

    const DESIRED: &str = "version: 1\nresources:\n  - arn: arn:aws:s3:::credit-applications\n    owner: credit\n    capabilities:\n      read-data: []\n";

    #[test]
    fn resources_and_drift_are_grouped_by_owner_tag_then_desired_owner_then_unowned() {
        let snapshot = accessdrift_snapshot::read_snapshot(SNAPSHOT).unwrap();
        let desired = parse_desired(DESIRED, "desired.yaml").unwrap();
        let settings = accessdrift_controller::Settings::default();
        let (findings, _) = accessdrift_controller::findings(&snapshot, &desired, &settings);
        let mut lines = Vec::new();
        let mut interner = accessdrift_access::Interner::new();
        accessdrift_access::effective_access(&snapshot, &Default::default(), |l| {
            lines.push(interner.intern(l))
        });
        let report = build(
            &snapshot,
            &desired,
            &lines,
            findings,
            &settings.drift,
            "now",
        );

        let owners: Vec<&str> = report.owners.iter().map(|o| o.owner.as_str()).collect();
        assert_eq!(
            owners,
            ["credit", "payments", UNOWNED],
            "by name, unowned last"
        );
        let arns = |o: &OwnerSection| -> Vec<String> {
            o.resources.iter().map(|r| r.arn.clone()).collect()
        };
        assert_eq!(
            arns(&report.owners[0]),
            ["arn:aws:s3:::credit-applications"]
        );
        assert_eq!(arns(&report.owners[1]), ["arn:aws:s3:::payments-ledger"]);
        assert!(arns(&report.owners[2]).contains(&"arn:aws:s3:::scratch".to_string()));

        // credit's desired state gives read-data to nobody: the reader role is drift,
        // under credit, and its row is marked.
        let credit = &report.owners[0];
        assert!(
            credit
                .drift
                .iter()
                .any(|f| f.resource == "arn:aws:s3:::credit-applications"
                    && f.principal.as_deref() == Some("arn:aws:iam::111111111111:role/reader"))
        );
        let row = credit.resources[0]
            .rows
            .iter()
            .find(|r| r.principal == "arn:aws:iam::111111111111:role/reader")
            .expect("the reader's row");
        assert_eq!(row.capability, "read-data");
        assert!(row.drift && !row.conditional);
        assert_eq!(row.grants, ["inline:reader/read [ReadAll]"]);
        // scratch has no owner anywhere: a no-owner finding, shown with the unowned.
        assert!(
            report.owners[2]
                .drift
                .iter()
                .any(|f| f.resource == "arn:aws:s3:::scratch")
        );
        assert!(
            report.owners[1]
                .drift
                .iter()
                .all(|f| f.owner.as_deref() == Some("payments"))
        );

        let html = render(&report);
        let credit_at = html.find("<h2>Owner: credit</h2>").unwrap();
        let payments_at = html.find("<h2>Owner: payments</h2>").unwrap();
        let unowned_at = html.find("<h2>Owner: unowned</h2>").unwrap();
        assert!(credit_at < payments_at && payments_at < unowned_at);
        assert!(html[credit_at..payments_at].contains("arn:aws:s3:::credit-applications"));
        assert!(!html[credit_at..payments_at].contains("arn:aws:s3:::payments-ledger"));
    }
}
