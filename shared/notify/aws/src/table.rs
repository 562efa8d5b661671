//! Table definitions as data, shared by the code that creates tables (tests, local
//! runs) and the test that checks `template.yaml` declares the same keys and indexes.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};

/// Why a table could not be described or created.
#[derive(Debug, thiserror::Error)]
#[error("table: {0}")]
pub struct TableError(pub String);

/// A table's key schema and indexes (every key attribute is a string).
pub struct TableDefinition {
    /// Attribute definitions of every key.
    pub attributes: Vec<AttributeDefinition>,
    /// The primary key.
    pub key: Vec<KeySchemaElement>,
    /// The global secondary indexes.
    pub indexes: Vec<GlobalSecondaryIndex>,
}

/// A key element.
pub(crate) fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, TableError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| TableError(e.to_string()))
}

/// A string attribute definition.
pub(crate) fn string_attribute(name: &str) -> Result<AttributeDefinition, TableError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| TableError(e.to_string()))
}

/// A global secondary index projecting every attribute.
pub(crate) fn index(
    name: &str,
    hash: &str,
    range: &str,
) -> Result<GlobalSecondaryIndex, TableError> {
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
        .map_err(|e| TableError(e.to_string()))
}

/// Creates `table` from `def`, on demand billing (tests and local runs; in AWS the
/// SAM template creates it).
pub async fn create_table(
    client: &Client,
    table: &str,
    def: TableDefinition,
) -> Result<(), TableError> {
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
            TableError(format!(
                "{}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            ))
        })?;
    Ok(())
}
