//! The findings table on DynamoDB.
//!
//! One item per finding, keyed by its stable id. Security teams query by owner and
//! status, by account, by resource and by severity: each pattern is a key or a global
//! secondary index, never a scan (see [`findings_table`]). Every write is conditional on
//! the version read (`attribute_not_exists(id)` for a new finding), so replaying a sweep
//! changes nothing and two concurrent sweeps cannot lose an update: the loser gets
//! [`StoreError::Conflict`], re-reads and reconciles again.
//!
//! For people (the `accessdrift findings` command): [`DynamoFindingStore::get`] by id,
//! and [`DynamoFindingStore::list`] with a [`FindingFilter`], planned by [`plan`] onto
//! the index that serves it (the table is in [`FindingFilter`]'s doc); a list without
//! any filter is refused rather than read the whole table.

use std::collections::HashMap;

use accessdrift_access::Access;
use accessdrift_capabilities::Capability;
use accessdrift_controller::ports::PortError;
pub use accessdrift_controller::ports::{FindingStore, StoreError};
use accessdrift_drift::lifecycle::{Status, StatusChange, StoredFinding, Suppression};
use accessdrift_drift::notice::Change;
use accessdrift_drift::{Finding, FindingKind, GrantRef, Severity, UNOWNED};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeyType};

use crate::sdk::port_error;
pub use crate::table::TableDefinition;
use crate::table::{TableError, create_table, index, key, string_attribute};

const WHAT: &str = "findings store";

/// The findings table's definition, the one the template and the tests share: `id`
/// (hash); GSIs `by-owner-status` (owner, status), `by-account` (account, id),
/// `by-resource` (resource, id), `by-severity` (severity, last_seen).
pub fn findings_table() -> Result<TableDefinition, StoreError> {
    let table = |e: TableError| StoreError::Service(PortError::lasting(WHAT, e.to_string()));
    Ok(TableDefinition {
        attributes: [
            "id",
            "owner",
            "status",
            "account",
            "resource",
            "severity",
            "last_seen",
        ]
        .iter()
        .map(|a| string_attribute(a))
        .collect::<Result<_, _>>()
        .map_err(table)?,
        key: vec![key("id", KeyType::Hash).map_err(table)?],
        indexes: vec![
            index("by-owner-status", "owner", "status").map_err(table)?,
            index("by-account", "account", "id").map_err(table)?,
            index("by-resource", "resource", "id").map_err(table)?,
            index("by-severity", "severity", "last_seen").map_err(table)?,
        ],
    })
}

/// Creates the findings table (for tests and local runs; the SAM template creates it in AWS).
pub async fn create_findings_table(client: &Client, table: &str) -> Result<(), StoreError> {
    create_table(client, table, findings_table()?)
        .await
        .map_err(|e| StoreError::Service(PortError::lasting(WHAT, e.to_string())))
}

/// The findings table on DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoFindingStore {
    client: Client,
    table: String,
}

impl DynamoFindingStore {
    /// A store on `table`.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoFindingStore {
        DynamoFindingStore {
            client,
            table: table.into(),
        }
    }
}

impl FindingStore for DynamoFindingStore {
    async fn load_account(&self, account: &str) -> Result<Vec<StoredFinding>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("by-account")
                .key_condition_expression("#a = :a")
                .expression_attribute_names("#a", "account")
                .expression_attribute_values(":a", AttributeValue::S(account.to_string()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StoreError::Service(port_error(WHAT, "Query by-account", e)))?;
            for item in page.items() {
                out.push(from_item(item)?);
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.finding.id.cmp(&b.finding.id));
        Ok(out)
    }

    async fn write(&self, record: &StoredFinding) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(record)));
        put = if record.version <= 1 {
            put.condition_expression("attribute_not_exists(id)")
        } else {
            put.condition_expression("#v = :prev")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(
                    ":prev",
                    AttributeValue::N((record.version - 1).to_string()),
                )
        };
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let conflict = e
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception());
                if conflict {
                    Err(StoreError::Conflict(record.finding.id.clone()))
                } else {
                    Err(StoreError::Service(port_error(WHAT, "PutItem", e)))
                }
            }
        }
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// A record as a DynamoDB item. Key attributes are never empty (GSI keys cannot be):
/// a finding without owner is stored under owner [`UNOWNED`].
pub fn to_item(r: &StoredFinding) -> HashMap<String, AttributeValue> {
    let f = &r.finding;
    let mut item = HashMap::new();
    item.insert("id".into(), s(&f.id));
    item.insert("account".into(), s(&f.account));
    item.insert("resource".into(), s(&f.resource));
    item.insert("owner".into(), s(f.owner.as_deref().unwrap_or(UNOWNED)));
    item.insert("status".into(), s(r.status.as_str()));
    item.insert("severity".into(), s(f.severity.as_str()));
    item.insert("kind".into(), s(f.kind.as_str()));
    item.insert("summary".into(), s(&f.summary));
    item.insert("remedy".into(), s(&f.remedy));
    item.insert("first_seen".into(), s(&r.first_seen));
    item.insert("last_seen".into(), s(&r.last_seen));
    item.insert("version".into(), AttributeValue::N(r.version.to_string()));
    if let Some(p) = &f.principal {
        item.insert("principal".into(), s(p));
    }
    if let Some(c) = f.capability {
        item.insert("capability".into(), s(c.as_str()));
    }
    if let Some(a) = f.access {
        item.insert("access".into(), s(a.as_str()));
    }
    if let Some(c) = &f.classification {
        item.insert("classification".into(), s(c));
    }
    if let Some(c) = r.notice_pending {
        item.insert("notice_pending".into(), s(c.as_str()));
    }
    if let Some(why) = &r.held {
        item.insert("held".into(), s(why));
    }
    let grants: Vec<String> = f
        .grants
        .iter()
        .map(|g| format!("{}\u{1f}{}", g.policy, g.statement))
        .collect();
    if !grants.is_empty() {
        item.insert(
            "grants".into(),
            AttributeValue::L(grants.iter().map(|g| s(g)).collect()),
        );
    }
    item.insert(
        "history".into(),
        AttributeValue::L(
            r.history
                .iter()
                .map(|h| {
                    s(&format!(
                        "{}\u{1f}{}\u{1f}{}",
                        h.at,
                        h.status.as_str(),
                        h.note
                    ))
                })
                .collect(),
        ),
    );
    if let Some(sup) = &r.suppression {
        item.insert("suppression_reason".into(), s(&sup.reason));
        item.insert("suppressed_by".into(), s(&sup.by));
        item.insert("suppressed_until".into(), s(&sup.until));
    }
    item
}

/// A DynamoDB item back as a record.
pub fn from_item(item: &HashMap<String, AttributeValue>) -> Result<StoredFinding, StoreError> {
    let id = item
        .get("id")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let bad = |problem: &str| StoreError::Malformed {
        id: id.clone(),
        problem: problem.to_string(),
    };
    let get = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    let need = |k: &str| get(k).ok_or_else(|| bad(&format!("missing `{k}`")));
    let kind_word = need("kind")?;
    let kind = FindingKind::parse(&kind_word)
        .ok_or_else(|| bad(&format!("unknown kind `{kind_word}`")))?;
    let sev_word = need("severity")?;
    let severity =
        Severity::parse(&sev_word).ok_or_else(|| bad(&format!("unknown severity `{sev_word}`")))?;
    let owner = need("owner")?;
    let split = |text: &str| -> Vec<String> { text.split('\u{1f}').map(str::to_string).collect() };
    let list = |k: &str| -> Vec<String> {
        item.get(k)
            .and_then(|v| v.as_l().ok())
            .map(|l| l.iter().filter_map(|x| x.as_s().ok().cloned()).collect())
            .unwrap_or_default()
    };
    let grants = list("grants")
        .iter()
        .map(|g| {
            let p = split(g);
            GrantRef {
                policy: p.first().cloned().unwrap_or_default(),
                statement: p.get(1).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let history = list("history")
        .iter()
        .filter_map(|h| {
            let p = split(h);
            Some(StatusChange {
                at: p.first()?.clone(),
                status: Status::parse(p.get(1)?)?,
                note: p.get(2).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let status_word = need("status")?;
    Ok(StoredFinding {
        finding: Finding {
            id: id.clone(),
            kind,
            severity,
            account: need("account")?,
            resource: need("resource")?,
            owner: (owner != UNOWNED).then_some(owner),
            classification: get("classification"),
            principal: get("principal"),
            capability: get("capability").and_then(|c| Capability::parse(&c)),
            access: get("access").and_then(|a| Access::parse(&a)),
            grants,
            summary: get("summary").unwrap_or_default(),
            remedy: get("remedy").unwrap_or_default(),
        },
        status: Status::parse(&status_word)
            .ok_or_else(|| bad(&format!("unknown status `{status_word}`")))?,
        first_seen: need("first_seen")?,
        last_seen: need("last_seen")?,
        history,
        suppression: match (
            get("suppression_reason"),
            get("suppressed_by"),
            get("suppressed_until"),
        ) {
            (Some(reason), Some(by), Some(until)) => Some(Suppression { reason, by, until }),
            _ => None,
        },
        notice_pending: get("notice_pending").and_then(|c| Change::parse(&c)),
        held: get("held"),
        version: item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("missing `version`"))?,
    })
}

// ---------------------------------------------------------------------------------------
// Queries for people (the `findings` command): every one is served by the key or a
// global secondary index, never by a Scan.
// ---------------------------------------------------------------------------------------

/// Which findings to list: every filter given must hold.
///
/// Which index serves a filter (the first that applies, most selective first; the
/// other filters go into the query's `FilterExpression`):
///
/// | filters given | index | key condition |
/// |---|---|---|
/// | `resource` | `by-resource` | resource |
/// | `owner` (+ `status`) | `by-owner-status` | owner (and status) |
/// | `account` | `by-account` | account |
/// | `severity` (+ `since`) | `by-severity` | severity (and `last_seen >= since`) |
/// | only `status` and/or `since` | `by-severity`, one query per severity (4) | severity (and `last_seen >= since`) |
/// | none | refused ([`QueryError::NoFilter`]): that would read the whole table |
///
/// `status` alone reads every finding of every severity (the status is then a filter):
/// add `since` to read only the recently seen ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFilter {
    /// The owning team (`unowned` for findings without an owner).
    pub owner: Option<String>,
    /// The account of the resource.
    pub account: Option<String>,
    /// The resource ARN.
    pub resource: Option<String>,
    /// The status.
    pub status: Option<Status>,
    /// The severity (exactly).
    pub severity: Option<Severity>,
    /// Seen by a sweep at or after this moment (RFC 3339 UTC, compared as text like
    /// every stored timestamp).
    pub since: Option<String>,
}

/// One DynamoDB Query: an index, its key condition and the filter on the other
/// attributes, with the `#name` and `:value` placeholders they use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedQuery {
    /// The global secondary index.
    pub index: &'static str,
    /// The key condition expression.
    pub key_condition: String,
    /// The filter expression, when some filters are not in the key.
    pub filter: Option<String>,
    /// `#placeholder` -> attribute name.
    pub names: Vec<(String, String)>,
    /// `:placeholder` -> string value.
    pub values: Vec<(String, String)>,
}

/// Why findings could not be queried.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No filter was given: listing every finding would read the whole table.
    #[error(
        "no filter: give at least one of owner, account, resource, severity, status or since \
         (listing every finding would read the whole table)"
    )]
    NoFilter,
    /// The table does not exist in this account and region.
    #[error("the findings table `{0}` does not exist in this account and region")]
    TableNotFound(String),
    /// Any other store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The four severities, each a partition of `by-severity`.
const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// Plans the queries that serve `filter` (see [`FindingFilter`] for which index serves
/// which filter). Pure, so the choice is tested without DynamoDB.
pub fn plan(filter: &FindingFilter) -> Result<Vec<PlannedQuery>, QueryError> {
    // (attribute, value) pairs still to place, in a fixed order for stable expressions.
    let status = filter.status.map(|s| s.as_str().to_string());
    let severity = filter.severity.map(|s| s.as_str().to_string());
    let equal: [(&str, Option<&String>); 5] = [
        ("resource", filter.resource.as_ref()),
        ("owner", filter.owner.as_ref()),
        ("account", filter.account.as_ref()),
        ("severity", severity.as_ref()),
        ("status", status.as_ref()),
    ];
    let since = filter.since.as_ref();
    if equal.iter().all(|(_, v)| v.is_none()) && since.is_none() {
        return Err(QueryError::NoFilter);
    }

    // The index and the attributes its key condition covers.
    let (index, key_attrs, since_in_key): (&'static str, &[&str], bool) =
        if filter.resource.is_some() {
            ("by-resource", &["resource"], false)
        } else if filter.owner.is_some() {
            if filter.status.is_some() {
                ("by-owner-status", &["owner", "status"], false)
            } else {
                ("by-owner-status", &["owner"], false)
            }
        } else if filter.account.is_some() {
            ("by-account", &["account"], false)
        } else {
            ("by-severity", &["severity"], true)
        };

    let mut names = Vec::new();
    let mut values = Vec::new();
    let mut key = Vec::new();
    let mut rest = Vec::new();
    for (attr, value) in equal {
        let Some(value) = value else { continue };
        names.push((format!("#{attr}"), attr.to_string()));
        values.push((format!(":{attr}"), value.clone()));
        let clause = format!("#{attr} = :{attr}");
        if key_attrs.contains(&attr) {
            key.push(clause);
        } else {
            rest.push(clause);
        }
    }
    if let Some(since) = since {
        names.push(("#last_seen".into(), "last_seen".into()));
        values.push((":since".into(), since.clone()));
        let clause = "#last_seen >= :since".to_string();
        if since_in_key {
            key.push(clause);
        } else {
            rest.push(clause);
        }
    }
    let query = |key: Vec<String>, names: Vec<(String, String)>, values| PlannedQuery {
        index,
        key_condition: key.join(" AND "),
        filter: (!rest.is_empty()).then(|| rest.join(" AND ")),
        names,
        values,
    };

    if index == "by-severity" && filter.severity.is_none() {
        // No severity given: one query per severity partition.
        // INVARIANT: `severity` is not among `names`/`values` here (it was not given).
        let key_of = |sev: Severity| {
            let mut names = names.clone();
            let mut values = values.clone();
            names.push(("#severity".into(), "severity".into()));
            values.push((":severity".into(), sev.as_str().to_string()));
            let mut k = vec!["#severity = :severity".to_string()];
            k.extend(key.iter().cloned());
            query(k, names, values)
        };
        return Ok(SEVERITIES.into_iter().map(key_of).collect());
    }
    // by-severity with a severity given: the severity clause first, as the hash key.
    Ok(vec![query(key, names, values)])
}

fn service_error<E>(e: aws_sdk_dynamodb::error::SdkError<E>, table: &str) -> QueryError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + Send + Sync + 'static,
{
    use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;
    if e.code() == Some("ResourceNotFoundException") {
        return QueryError::TableNotFound(table.to_string());
    }
    QueryError::Store(StoreError::Service(port_error(WHAT, "Query", e)))
}

impl DynamoFindingStore {
    /// One finding by id (a strongly consistent read, so a read-modify-write starts
    /// from the latest version), or `None` when there is no such finding.
    pub async fn get(&self, id: &str) -> Result<Option<StoredFinding>, QueryError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| service_error(e, &self.table))?;
        match out.item() {
            Some(item) => Ok(Some(from_item(item)?)),
            None => Ok(None),
        }
    }

    /// The findings that match `filter`, every page followed, sorted by id (see
    /// [`FindingFilter`] for the index each filter uses).
    pub async fn list(&self, filter: &FindingFilter) -> Result<Vec<StoredFinding>, QueryError> {
        let mut out = Vec::new();
        for q in plan(filter)? {
            self.run(&q, &mut out).await?;
        }
        out.sort_by(|a, b| a.finding.id.cmp(&b.finding.id));
        Ok(out)
    }

    /// The findings of an owning team (`unowned` for none), optionally of one status,
    /// through `by-owner-status`.
    pub async fn query_by_owner(
        &self,
        owner: &str,
        status: Option<Status>,
    ) -> Result<Vec<StoredFinding>, QueryError> {
        self.list(&FindingFilter {
            owner: Some(owner.to_string()),
            status,
            ..FindingFilter::default()
        })
        .await
    }

    /// The findings of an account, through `by-account`.
    pub async fn query_by_account(&self, account: &str) -> Result<Vec<StoredFinding>, QueryError> {
        self.list(&FindingFilter {
            account: Some(account.to_string()),
            ..FindingFilter::default()
        })
        .await
    }

    /// The findings on a resource, through `by-resource`.
    pub async fn query_by_resource(
        &self,
        resource: &str,
    ) -> Result<Vec<StoredFinding>, QueryError> {
        self.list(&FindingFilter {
            resource: Some(resource.to_string()),
            ..FindingFilter::default()
        })
        .await
    }

    /// The findings of a severity, optionally only those seen at or after `since`
    /// (RFC 3339 UTC; a key condition on `last_seen`), through `by-severity`.
    pub async fn query_by_severity(
        &self,
        severity: Severity,
        since: Option<&str>,
    ) -> Result<Vec<StoredFinding>, QueryError> {
        self.list(&FindingFilter {
            severity: Some(severity),
            since: since.map(str::to_string),
            ..FindingFilter::default()
        })
        .await
    }

    /// Runs one planned query, following every page.
    async fn run(&self, q: &PlannedQuery, out: &mut Vec<StoredFinding>) -> Result<(), QueryError> {
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(q.index)
                .key_condition_expression(&q.key_condition)
                .set_filter_expression(q.filter.clone())
                .set_exclusive_start_key(start.take());
            for (k, v) in &q.names {
                req = req.expression_attribute_names(k, v);
            }
            for (k, v) in &q.values {
                req = req.expression_attribute_values(k, s(v));
            }
            let page = req
                .send()
                .await
                .map_err(|e| service_error(e, &self.table))?;
            for item in page.items() {
                out.push(from_item(item)?);
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::panic,
        reason = "test code: a failure should stop loudly"
    )]

    use super::*;

    fn only(filter: FindingFilter) -> PlannedQuery {
        let mut p = plan(&filter).unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        p.remove(0)
    }

    #[test]
    fn no_filter_is_refused_rather_than_read_the_whole_table() {
        assert!(matches!(
            plan(&FindingFilter::default()),
            Err(QueryError::NoFilter)
        ));
    }

    #[test]
    fn owner_and_status_are_both_the_key_of_by_owner_status() {
        let q = only(FindingFilter {
            owner: Some("credit-team".into()),
            status: Some(Status::Open),
            ..Default::default()
        });
        assert_eq!(q.index, "by-owner-status");
        assert_eq!(q.key_condition, "#owner = :owner AND #status = :status");
        assert_eq!(q.filter, None);
        assert!(q.values.contains(&(":status".into(), "open".into())));
    }

    #[test]
    fn since_with_an_owner_is_a_filter_but_with_a_severity_a_key_condition() {
        let q = only(FindingFilter {
            owner: Some("credit-team".into()),
            since: Some("2026-11-01T00:00:00Z".into()),
            ..Default::default()
        });
        assert_eq!(q.index, "by-owner-status");
        assert_eq!(q.key_condition, "#owner = :owner");
        assert_eq!(q.filter.as_deref(), Some("#last_seen >= :since"));

        let q = only(FindingFilter {
            severity: Some(Severity::High),
            since: Some("2026-11-01T00:00:00Z".into()),
            status: Some(Status::Open),
            ..Default::default()
        });
        assert_eq!(q.index, "by-severity");
        assert_eq!(
            q.key_condition,
            "#severity = :severity AND #last_seen >= :since"
        );
        assert_eq!(q.filter.as_deref(), Some("#status = :status"));
    }

    #[test]
    fn resource_wins_over_owner_and_account() {
        let q = only(FindingFilter {
            resource: Some("arn:aws:s3:::b".into()),
            owner: Some("credit-team".into()),
            account: Some("111111111111".into()),
            ..Default::default()
        });
        assert_eq!(q.index, "by-resource");
        assert_eq!(q.key_condition, "#resource = :resource");
        assert_eq!(
            q.filter.as_deref(),
            Some("#owner = :owner AND #account = :account")
        );
    }

    #[test]
    fn account_is_the_key_of_by_account_and_status_a_filter() {
        let q = only(FindingFilter {
            account: Some("111111111111".into()),
            status: Some(Status::Resolved),
            ..Default::default()
        });
        assert_eq!(q.index, "by-account");
        assert_eq!(q.key_condition, "#account = :account");
        assert_eq!(q.filter.as_deref(), Some("#status = :status"));
    }

    #[test]
    fn status_alone_queries_each_severity_partition() {
        let p = plan(&FindingFilter {
            status: Some(Status::Open),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.len(), 4);
        let severities: Vec<&str> = p
            .iter()
            .map(|q| {
                assert_eq!(q.index, "by-severity");
                assert_eq!(q.key_condition, "#severity = :severity");
                assert_eq!(q.filter.as_deref(), Some("#status = :status"));
                q.values
                    .iter()
                    .find(|(k, _)| k == ":severity")
                    .map(|(_, v)| v.as_str())
                    .unwrap()
            })
            .collect();
        assert_eq!(severities, ["critical", "high", "medium", "low"]);
    }

    #[test]
    fn since_alone_is_a_key_condition_on_each_severity_partition() {
        let p = plan(&FindingFilter {
            since: Some("2026-11-01T00:00:00Z".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.len(), 4);
        for q in &p {
            assert_eq!(
                q.key_condition,
                "#severity = :severity AND #last_seen >= :since"
            );
            assert_eq!(q.filter, None);
        }
    }
}
