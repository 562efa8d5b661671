//! The desired-state table on DynamoDB: every team's imported file, kept whole.
//!
//! Each team imports its own file as a *source* (by default named after the file). The
//! table keeps the text exactly as imported, so the controller's notices can point at
//! the team's own file and line, and `desired export` gives the file back.
//!
//! Schema ([`desired_table`]): key `source` (hash) + `item` (range).
//! - `item = "head"`: the source's current generation: `generation`, `parts`,
//!   `sha256`, `file`, `imported_at`, `imported_by`, counts; `kind = "head"` puts it
//!   in the sparse GSI `heads` (`kind`, `source`), so listing the sources is one Query.
//! - `item = "g<generation>#<sha256 prefix>#<n>"`: part `n` of that generation's text
//!   (`body`), split to stay under DynamoDB's 400 KB item limit.
//!
//! Key design choice: an import is all-or-nothing without a size limit. The text is
//! validated first (a rejected file writes nothing), the parts of the new generation
//! are written beside the old ones, and only then does one conditional write of the
//! head switch readers to them (`generation = old`, so two imports racing cannot both
//! win). Old parts are deleted afterwards; a reader never follows a head to parts that
//! are not complete.

use std::collections::HashMap;

use accessdrift_desired::{DesiredErrors, DesiredState, Merged, merge, overlaps, parse_desired};
use accessdrift_primitives::Time;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeyType};
use sha2::{Digest, Sha256};

use crate::sdk::port_error;
use crate::table::{TableDefinition, TableError, create_table, index, key, string_attribute};
use accessdrift_controller::ports::PortError;

/// The GSI listing every source's head.
pub const HEADS_INDEX: &str = "heads";

/// Bytes of text per part item (DynamoDB items are at most 400 KB).
const PART_BYTES: usize = 300_000;

/// The desired-state table's definition: key `source` + `item`; GSI `heads` (`kind`, `source`).
pub fn desired_table() -> Result<TableDefinition, TableError> {
    Ok(TableDefinition {
        attributes: vec![
            string_attribute("source")?,
            string_attribute("item")?,
            string_attribute("kind")?,
        ],
        key: vec![key("source", KeyType::Hash)?, key("item", KeyType::Range)?],
        indexes: vec![index(HEADS_INDEX, "kind", "source")?],
    })
}

/// Creates the desired-state table (tests and local runs; SAM creates it in AWS).
pub async fn create_desired_table(client: &Client, table: &str) -> Result<(), TableError> {
    create_table(client, table, desired_table()?).await
}

/// Why the desired state could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum DesiredStoreError {
    /// The file has mistakes; nothing was stored.
    #[error(transparent)]
    Invalid(#[from] DesiredErrors),
    /// The source name cannot be used.
    #[error(
        "source name `{0}` is not usable: use 1-100 letters, digits, `.`, `_` or `-` (set it with --source)"
    )]
    BadSourceName(String),
    /// Resources of the file belong to another source; nothing was stored.
    #[error("{}", claimed_message(source_name, claimed))]
    Claimed {
        /// The source being imported.
        source_name: String,
        /// `(resource ARN, source holding it)`.
        claimed: Vec<(String, String)>,
    },
    /// Another import of the same source landed first; nothing of this one was kept.
    #[error(
        "another import of source `{0}` landed while this one was being written; nothing of this import was kept: run it again"
    )]
    Conflict(String),
    /// DynamoDB refused or failed.
    #[error(transparent)]
    Service(PortError),
    /// A stored item is not readable by this version.
    #[error("desired-state table: source `{source_name}` is unreadable: {problem}")]
    Malformed {
        /// The source.
        source_name: String,
        /// What is wrong.
        problem: String,
    },
}

fn claimed_message(source: &str, claimed: &[(String, String)]) -> String {
    let mut out = format!(
        "desired state for source `{source}` rejected: {} resource(s) already belong to another source \
         (a resource has one owner; move it by removing it from the other file first):",
        claimed.len()
    );
    for (arn, other) in claimed {
        out.push_str(&format!("\n{arn}: held by source `{other}`"));
    }
    out
}

impl DesiredStoreError {
    /// As the controller's port error: a DynamoDB failure as it came (transient or
    /// not), a conflicting import as transient (the next read sees it whole), the rest
    /// as lasting.
    pub fn into_port(self) -> PortError {
        match self {
            DesiredStoreError::Service(e) => e,
            e @ DesiredStoreError::Conflict(_) => {
                PortError::transient("desired state", e.to_string()).caused_by(e)
            }
            e => PortError::lasting("desired state", e.to_string()).caused_by(e),
        }
    }
}

/// A DynamoDB call of `operation` that failed.
fn service<E>(
    operation: &'static str,
) -> impl FnOnce(aws_sdk_dynamodb::error::SdkError<E>) -> DesiredStoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |e| DesiredStoreError::Service(port_error("desired-state table", operation, e))
}

/// What is known of one imported source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// The source's name.
    pub name: String,
    /// Bumped by every import that changed the text.
    pub generation: u64,
    /// The file as given to `desired import`.
    pub file: String,
    /// When (RFC 3339).
    pub imported_at: String,
    /// Who.
    pub imported_by: String,
    /// SHA-256 of the text, hex.
    pub sha256: String,
    /// Resources in it.
    pub resources: usize,
    /// Constraints in it.
    pub constraints: usize,
    parts: usize,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The source as stored now.
    pub stored: SourceInfo,
    /// What it replaced, if anything.
    pub previous: Option<SourceInfo>,
    /// The same text was stored already: nothing was written.
    pub unchanged: bool,
    /// Old parts that could not be deleted (harmless: never read again).
    pub leftovers: usize,
}

/// Every source, merged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadedDesired {
    /// The union (see [`accessdrift_desired::merge`]).
    pub merged: Merged,
    /// The sources read, by name.
    pub sources: Vec<SourceInfo>,
    /// Sources that could not be read, and other things worth reporting (never
    /// silently dropped).
    pub problems: Vec<String>,
    /// The sources that could not be read, each with why (also in `problems`): their
    /// resources' findings are held, never resolved, until they read again.
    pub unreadable: Vec<String>,
}

impl From<LoadedDesired> for accessdrift_controller::ports::DesiredRead {
    fn from(loaded: LoadedDesired) -> Self {
        accessdrift_controller::ports::DesiredRead {
            state: loaded.merged.state,
            unreadable: loaded.unreadable,
            problems: loaded.problems,
        }
    }
}

/// The desired-state table.
#[derive(Debug, Clone)]
pub struct DynamoDesiredStore {
    client: Client,
    table: String,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn valid_source(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Splits `text` into parts of at most [`PART_BYTES`], on character boundaries.
fn split_parts(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > PART_BYTES {
        let mut cut = PART_BYTES;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    out.push(rest);
    out
}

fn part_prefix(generation: u64, sha256: &str) -> String {
    format!("g{generation:010}#{}#", sha256.get(..16).unwrap_or(sha256))
}

/// The item key of part `n` of a generation: derivable from the head alone.
fn part_key(generation: u64, sha256: &str, n: usize) -> String {
    format!("{}{n:04}", part_prefix(generation, sha256))
}

fn head_from_item(item: &HashMap<String, AttributeValue>) -> Result<SourceInfo, DesiredStoreError> {
    let name = item
        .get("source")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let bad = |problem: &str| DesiredStoreError::Malformed {
        source_name: name.clone(),
        problem: problem.to_string(),
    };
    let text = |field: &str| -> Result<String, DesiredStoreError> {
        item.get(field)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| bad(&format!("head lacks `{field}`")))
    };
    let number = |field: &str| -> Result<u64, DesiredStoreError> {
        item.get(field)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad(&format!("head lacks the number `{field}`")))
    };
    Ok(SourceInfo {
        generation: number("generation")?,
        file: text("file")?,
        imported_at: text("imported_at")?,
        imported_by: text("imported_by")?,
        sha256: text("sha256")?,
        resources: usize::try_from(number("resources")?).unwrap_or(usize::MAX),
        constraints: usize::try_from(number("constraints")?).unwrap_or(usize::MAX),
        parts: usize::try_from(number("parts")?).unwrap_or(usize::MAX),
        name,
    })
}

impl DynamoDesiredStore {
    /// A store on `table`.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoDesiredStore {
        DynamoDesiredStore {
            client,
            table: table.into(),
        }
    }

    /// Validates `text` (read from `file`) and stores it as source `source`, replacing
    /// what that source held; all or nothing. `by` and `now` (RFC 3339) are recorded.
    pub async fn import(
        &self,
        source: &str,
        file: &str,
        text: &str,
        by: &str,
        now: Time,
    ) -> Result<ImportReport, DesiredStoreError> {
        if !valid_source(source) {
            return Err(DesiredStoreError::BadSourceName(source.to_string()));
        }
        let state = parse_desired(text, file)?;
        let sha256 = format!("{:x}", Sha256::digest(text.as_bytes()));

        let previous = self.head(source).await?;
        if let Some(p) = previous.as_ref().filter(|p| p.sha256 == sha256) {
            return Ok(ImportReport {
                stored: p.clone(),
                previous: Some(p.clone()),
                unchanged: true,
                leftovers: 0,
            });
        }
        let others = self.load_sources().await?;
        let claimed = overlaps(&others.0, source, &state);
        if !claimed.is_empty() {
            return Err(DesiredStoreError::Claimed {
                source_name: source.to_string(),
                claimed,
            });
        }

        let generation = previous.as_ref().map_or(1, |p| p.generation + 1);
        let parts = split_parts(text);
        let mut written = Vec::new();
        for (i, body) in parts.iter().enumerate() {
            let item = part_key(generation, &sha256, i);
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("source", s(source))
                .item("item", s(&item))
                .item("body", s(body))
                .send()
                .await;
            if let Err(e) = put {
                self.delete_items(source, &written).await;
                return Err(service("PutItem")(e));
            }
            written.push(item);
        }

        let stored = SourceInfo {
            name: source.to_string(),
            generation,
            file: file.to_string(),
            imported_at: now.to_string(),
            imported_by: by.to_string(),
            sha256,
            resources: state.resources.len(),
            constraints: state.constraints.len(),
            parts: parts.len(),
        };
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("source", s(source))
            .item("item", s("head"))
            .item("kind", s("head"))
            .item("generation", n(generation))
            .item("parts", n(parts.len() as u64))
            .item("file", s(file))
            .item("imported_at", s(&now.to_string()))
            .item("imported_by", s(by))
            .item("sha256", s(&stored.sha256))
            .item("resources", n(stored.resources as u64))
            .item("constraints", n(stored.constraints as u64));
        put = match &previous {
            None => put.condition_expression("attribute_not_exists(#s)"),
            Some(p) => put
                .condition_expression("generation = :g")
                .expression_attribute_values(":g", n(p.generation)),
        };
        if previous.is_none() {
            put = put.expression_attribute_names("#s", "source");
        }
        if let Err(e) = put.send().await {
            self.delete_items(source, &written).await;
            let lost = e
                .as_service_error()
                .is_some_and(|se| se.is_conditional_check_failed_exception());
            return Err(if lost {
                DesiredStoreError::Conflict(source.to_string())
            } else {
                service("PutItem")(e)
            });
        }

        let mut leftovers = 0;
        if let Some(p) = &previous {
            let old: Vec<String> = (0..p.parts)
                .map(|n| part_key(p.generation, &p.sha256, n))
                .collect();
            leftovers = self.delete_items(source, &old).await;
        }
        Ok(ImportReport {
            stored,
            previous,
            unchanged: false,
            leftovers,
        })
    }

    /// The head of `source`, read consistently.
    pub async fn head(&self, source: &str) -> Result<Option<SourceInfo>, DesiredStoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("source", s(source))
            .key("item", s("head"))
            .consistent_read(true)
            .send()
            .await
            .map_err(service("GetItem"))?;
        out.item().map(head_from_item).transpose()
    }

    /// Every source's head, by name (one Query of the `heads` index).
    pub async fn sources(&self) -> Result<Vec<SourceInfo>, DesiredStoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(HEADS_INDEX)
                .key_condition_expression("kind = :h")
                .expression_attribute_values(":h", s("head"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(service("Query"))?;
            for item in page.items() {
                out.push(head_from_item(item)?);
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The text of `source` as imported, with its head.
    pub async fn text(
        &self,
        source: &str,
    ) -> Result<Option<(SourceInfo, String)>, DesiredStoreError> {
        // Another import may replace the parts between the two reads: read again.
        for _ in 0..3 {
            let Some(head) = self.head(source).await? else {
                return Ok(None);
            };
            if let Some(text) = self.read_parts(&head).await? {
                return Ok(Some((head, text)));
            }
        }
        Err(DesiredStoreError::Malformed {
            source_name: source.to_string(),
            problem: "its text is incomplete (parts missing)".into(),
        })
    }

    /// Every source, parsed and merged: what the controller compares effective access with.
    pub async fn load(&self) -> Result<LoadedDesired, DesiredStoreError> {
        let (states, sources, unreadable) = self.load_sources().await?;
        let mut problems = unreadable.clone();
        let merged = merge(&states);
        for o in &merged.overlaps {
            problems.push(format!(
                "{} is claimed by sources `{}` and `{}`; `{}` counts (remove it from one file)",
                o.arn, o.kept, o.dropped, o.kept
            ));
        }
        Ok(LoadedDesired {
            merged,
            sources,
            problems,
            unreadable,
        })
    }

    /// `(name, state)` of every readable source, the heads, and the problems.
    async fn load_sources(
        &self,
    ) -> Result<(Vec<(String, DesiredState)>, Vec<SourceInfo>, Vec<String>), DesiredStoreError>
    {
        let mut states = Vec::new();
        let mut heads = Vec::new();
        let mut problems = Vec::new();
        for listed in self.sources().await? {
            // The index's head is usually current: read its parts directly, and read
            // the head again (consistently) only when a newer import replaced them.
            let read = match self.read_parts(&listed).await {
                Ok(Some(text)) => Ok(Some((listed, text))),
                Ok(None) => self.text(&listed.name).await,
                Err(e) => Err(e),
            };
            match read {
                Ok(Some((head, text))) => match parse_desired(&text, &head.file) {
                    Ok(state) => {
                        states.push((head.name.clone(), state));
                        heads.push(head);
                    }
                    Err(e) => problems.push(format!("source `{}`: {e}", head.name)),
                },
                Ok(None) => {} // removed since listed
                Err(DesiredStoreError::Malformed {
                    source_name,
                    problem,
                }) => {
                    problems.push(format!("source `{source_name}`: {problem}"));
                }
                Err(e) => return Err(e),
            }
        }
        Ok((states, heads, problems))
    }

    /// The text of `head`'s generation, or `None` when its parts are not all there.
    async fn read_parts(&self, head: &SourceInfo) -> Result<Option<String>, DesiredStoreError> {
        let prefix = part_prefix(head.generation, &head.sha256);
        let mut bodies: Vec<(String, String)> = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#s = :s AND begins_with(#i, :p)")
                .expression_attribute_names("#s", "source")
                .expression_attribute_names("#i", "item")
                .expression_attribute_values(":s", s(&head.name))
                .expression_attribute_values(":p", s(&prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(service("Query"))?;
            for item in page.items() {
                let (Some(key), Some(body)) = (
                    item.get("item").and_then(|v| v.as_s().ok()),
                    item.get("body").and_then(|v| v.as_s().ok()),
                ) else {
                    return Err(DesiredStoreError::Malformed {
                        source_name: head.name.clone(),
                        problem: "a part lacks its `item` or `body`".into(),
                    });
                };
                bodies.push((key.clone(), body.clone()));
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        if bodies.len() != head.parts {
            return Ok(None);
        }
        bodies.sort();
        let text: String = bodies.into_iter().map(|(_, b)| b).collect();
        let sha256 = format!("{:x}", Sha256::digest(text.as_bytes()));
        Ok((sha256 == head.sha256).then_some(text))
    }

    /// Deletes items of `source`; returns how many could not be deleted.
    async fn delete_items(&self, source: &str, items: &[String]) -> usize {
        let mut failed = 0;
        for item in items {
            let done = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("source", s(source))
                .key("item", s(item))
                .send()
                .await;
            if done.is_err() {
                failed += 1;
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_split_on_character_boundaries_and_join_back() {
        let text = "é".repeat(PART_BYTES); // two bytes each
        let parts = split_parts(&text);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.len() <= PART_BYTES));
        assert_eq!(parts.concat(), text);
        assert_eq!(split_parts("").len(), 1, "an empty text is one empty part");
    }

    #[test]
    fn source_names_are_plain_words() {
        assert!(valid_source("credit-team.desired_v2"));
        assert!(!valid_source(""));
        assert!(!valid_source("a/b"));
        assert!(!valid_source(&"x".repeat(101)));
    }
}
