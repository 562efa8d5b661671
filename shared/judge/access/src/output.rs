//! Rows as text: JSON Lines (the contract of `shared/spec/snapshot.md`), CSV and a
//! table for people.

use std::fmt::Write as _;

use accessdrift_escape::{csv_field, plain};

use crate::engine::{Line, Row};

/// Output formats of `accessdrift access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line (the stable contract).
    Jsonl,
    /// `resource,principal,capability,access,actions,keys` (lists joined with `;`;
    /// `keys` empty when the row holds for every key).
    Csv,
    /// Aligned columns for people; may change.
    Table,
}

/// The CSV header line.
pub const CSV_HEADER: &str = "resource,principal,capability,access,actions,keys";

/// Appends `s` as a JSON string. ARNs and action names almost never need escaping, so
/// the common case is one copy; anything else goes through serde_json's escaper.
fn json_str(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        let _ = write!(out, "{}", serde_json::Value::String(s.to_string()));
    }
}

/// Appends one line in the format (with its trailing newline).
pub fn write_line(out: &mut String, line: &Line, format: Format) {
    match format {
        Format::Jsonl => jsonl(out, line),
        Format::Csv => csv(out, line),
        Format::Table => table(out, line),
    }
}

fn jsonl(out: &mut String, line: &Line) {
    match line {
        Line::Row(r) => row_json(out, r),
        Line::ResourceError { resource, error } => {
            out.push_str("{\"resource\":");
            json_str(out, resource);
            out.push_str(",\"error\":");
            json_str(out, error);
            out.push('}');
        }
        Line::PrincipalError { principal, error } => {
            out.push_str("{\"principal\":");
            json_str(out, principal);
            out.push_str(",\"error\":");
            json_str(out, error);
            out.push('}');
        }
        Line::SnapshotError { subject, error } => {
            out.push_str("{\"subject\":");
            json_str(out, subject);
            out.push_str(",\"error\":");
            json_str(out, error);
            out.push('}');
        }
    }
    out.push('\n');
}

/// One row as a JSON object (no newline).
pub fn row_json(out: &mut String, r: &Row) {
    out.push_str("{\"principal\":");
    json_str(out, &r.principal);
    out.push_str(",\"resource\":");
    json_str(out, &r.resource);
    out.push_str(",\"capability\":\"");
    out.push_str(r.capability.as_str());
    out.push_str("\",\"access\":\"");
    out.push_str(r.access.as_str());
    out.push('"');
    if let Some(c) = &r.conditions {
        out.push_str(",\"conditions\":");
        let _ = write!(out, "{c}");
    }
    out.push_str(",\"actions\":[");
    for (i, a) in r.actions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, a);
    }
    out.push(']');
    if let Some(keys) = &r.keys {
        out.push_str(",\"keys\":[");
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_str(out, k);
        }
        out.push(']');
    }
    out.push_str(",\"grants\":[");
    for (i, g) in r.grants.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"policy\":");
        json_str(out, &g.policy);
        out.push_str(",\"statement\":");
        json_str(out, &g.statement);
        out.push('}');
    }
    out.push(']');
    if !r.requires.is_empty() {
        out.push_str(",\"requires\":[");
        for (i, q) in r.requires.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_str(out, q);
        }
        out.push(']');
    }
    out.push('}');
}

fn csv(out: &mut String, line: &Line) {
    match line {
        Line::Row(r) => {
            csv_field(out, &r.resource);
            out.push(',');
            csv_field(out, &r.principal);
            out.push(',');
            out.push_str(r.capability.as_str());
            out.push(',');
            out.push_str(r.access.as_str());
            out.push(',');
            csv_field(out, &r.actions.join(";"));
            out.push(',');
            if let Some(keys) = &r.keys {
                csv_field(out, &keys.join(";"));
            }
        }
        Line::ResourceError { resource, error } => {
            csv_field(out, resource);
            out.push_str(",,,error,");
            csv_field(out, error);
            out.push(',');
        }
        Line::PrincipalError { principal, error } => {
            out.push(',');
            csv_field(out, principal);
            out.push_str(",,error,");
            csv_field(out, error);
            out.push(',');
        }
        Line::SnapshotError { subject, error } => {
            out.push_str(",,,error,");
            csv_field(out, &format!("{subject}: {error}"));
            out.push(',');
        }
    }
    out.push('\n');
}

fn table(out: &mut String, line: &Line) {
    match line {
        Line::Row(r) => {
            let _ = write!(
                out,
                "{:<60} {:<60} {:<20} {:<11} {}",
                plain(&r.resource),
                plain(&r.principal),
                r.capability.as_str(),
                r.access.as_str(),
                r.actions.len()
            );
            if let Some(keys) = &r.keys {
                let _ = write!(out, "  keys {}", plain(&keys.join(", ")));
            }
            out.push('\n');
        }
        // Account text reaches a terminal: no control characters or escapes.
        Line::ResourceError { resource, error } => {
            let _ = writeln!(out, "{:<60} ERROR {}", plain(resource), plain(error));
        }
        Line::PrincipalError { principal, error } => {
            let _ = writeln!(
                out,
                "{:<60} {:<60} ERROR {}",
                "",
                plain(principal),
                plain(error)
            );
        }
        Line::SnapshotError { subject, error } => {
            let _ = writeln!(out, "ERROR {}: {}", plain(subject), plain(error));
        }
    }
}

/// The table's header line.
pub fn table_header() -> String {
    format!(
        "{:<60} {:<60} {:<20} {:<11} {}\n",
        "RESOURCE", "PRINCIPAL", "CAPABILITY", "ACCESS", "ACTIONS"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_needing_escapes_are_escaped() {
        let mut out = String::new();
        json_str(&mut out, "a\"b\\c\n");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\"");
        let mut out = String::new();
        json_str(&mut out, "arn:aws:s3:::bucket");
        assert_eq!(out, "\"arn:aws:s3:::bucket\"");
    }
}
