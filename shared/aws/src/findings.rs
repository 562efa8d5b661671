//! The findings table on DynamoDB.
//!
//! One item per finding, keyed by its stable id. Security teams query by owner and
//! status, by account, by resource and by severity: each pattern is a key or a global
//! secondary index, never a scan (see [`findings_table`]). Every write is conditional on
//! the version read (`attribute_not_exists(id)` for a new finding), so replaying a sweep
//! changes nothing and two concurrent sweeps cannot lose an update: the loser gets
//! [`StoreError::Conflict`], re-reads and reconciles again.

use std::collections::HashMap;

use accessdrift_access::Access;
use accessdrift_capabilities::Capability;
use accessdrift_drift::lifecycle::{Status, StatusChange, StoredFinding, Suppression};
use accessdrift_drift::notice::Change;
pub use accessdrift_drift::sweep::{FindingStore, StoreError};
use accessdrift_drift::{Finding, FindingKind, GrantRef, Severity};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};

/// The table's key schema and indexes, the one definition the template and the tests
/// share: `id` (hash); GSIs `by-owner-status` (owner, status), `by-account` (account,
/// id), `by-resource` (resource, id), `by-severity` (severity, last_seen).
pub struct TableDefinition {
    /// Attribute definitions of every key.
    pub attributes: Vec<AttributeDefinition>,
    /// The primary key.
    pub key: Vec<KeySchemaElement>,
    /// The global secondary indexes.
    pub indexes: Vec<GlobalSecondaryIndex>,
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| StoreError::Service(e.to_string()))
}

/// The findings table's definition.
pub fn findings_table() -> Result<TableDefinition, StoreError> {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| StoreError::Service(e.to_string()))
    };
    let gsi = |name: &str, hash: &str, range: &str| -> Result<GlobalSecondaryIndex, StoreError> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(hash, KeyType::Hash)?)
            .key_schema(key(range, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(|e| StoreError::Service(e.to_string()))
    };
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
        .map(|a| attr(a))
        .collect::<Result<_, _>>()?,
        key: vec![key("id", KeyType::Hash)?],
        indexes: vec![
            gsi("by-owner-status", "owner", "status")?,
            gsi("by-account", "account", "id")?,
            gsi("by-resource", "resource", "id")?,
            gsi("by-severity", "severity", "last_seen")?,
        ],
    })
}

/// Creates the findings table (for tests and local runs; the SAM template creates it in AWS).
pub async fn create_findings_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let def = findings_table()?;
    client
        .create_table()
        .table_name(table)
        .set_attribute_definitions(Some(def.attributes))
        .set_key_schema(Some(def.key))
        .set_global_secondary_indexes(Some(def.indexes))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| {
            StoreError::Service(format!(
                "{}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            ))
        })?;
    Ok(())
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
                .map_err(|e| {
                    StoreError::Service(format!(
                        "{}",
                        aws_sdk_dynamodb::error::DisplayErrorContext(e)
                    ))
                })?;
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
                    Err(StoreError::Service(format!(
                        "{}",
                        aws_sdk_dynamodb::error::DisplayErrorContext(e)
                    )))
                }
            }
        }
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// A record as a DynamoDB item. Key attributes are never empty (GSI keys cannot be):
/// a finding without owner is stored under owner `unowned`.
pub fn to_item(r: &StoredFinding) -> HashMap<String, AttributeValue> {
    let f = &r.finding;
    let mut item = HashMap::new();
    item.insert("id".into(), s(&f.id));
    item.insert("account".into(), s(&f.account));
    item.insert("resource".into(), s(&f.resource));
    item.insert("owner".into(), s(f.owner.as_deref().unwrap_or("unowned")));
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
            owner: (owner != "unowned").then_some(owner),
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
        version: item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("missing `version`"))?,
    })
}
