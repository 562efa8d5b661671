//! The last snapshot of each account, kept gzip-compressed in the detector's own S3
//! bucket (`snapshots/<account>.json.gz`), so an event-driven pass refreshes only what
//! the event touched instead of re-reading the whole account, and the nightly pass can
//! tell what changed (owner tags) since the last one.
//!
//! Snapshots compress well: the synthetic 1,000-role, 2,000-resource account
//! (`accessdrift generate-snapshot --roles 1000 --resources 2000`) is 1.6 MB of JSON and
//! 69 KB gzipped (real accounts repeat themselves less). Each object carries the
//! snapshot's `collectedAt` as `collected-at` metadata for freshness reports.

use std::io::{Read as _, Write as _};

use accessdrift_controller::ports::{
    DesiredRead, DesiredSource, PortError, SaveError, SnapshotStore, StoredSnapshot,
};
use accessdrift_snapshot::Stamps;
use aws_sdk_s3::primitives::ByteStream;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::desired::{DesiredStoreError, DynamoDesiredStore};
use crate::sdk::port_error;

const WHAT: &str = "snapshot store";

/// A stored snapshot that cannot be used as it is (reading it again gives the same).
fn unusable(message: String) -> PortError {
    PortError::lasting(WHAT, message)
}

/// Snapshots in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3SnapshotStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3SnapshotStore {
    /// Snapshots in `bucket`.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> S3SnapshotStore {
        S3SnapshotStore {
            client,
            bucket: bucket.into(),
        }
    }

    /// The object key of `account`'s snapshot.
    pub fn key(account: &str) -> String {
        format!("snapshots/{account}.json.gz")
    }
}

/// Gzip of `text`.
pub fn compress(text: &str) -> Result<Vec<u8>, std::io::Error> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(text.as_bytes())?;
    encoder.finish()
}

/// The text in gzip `bytes`.
pub fn decompress(bytes: &[u8]) -> Result<String, std::io::Error> {
    let mut text = String::new();
    GzDecoder::new(bytes).read_to_string(&mut text)?;
    Ok(text)
}

/// The snapshot's own top-level `collectedAt`, if it has one (for the object's metadata),
/// as the snapshot's [`Stamps`] read it: parts patched in later carry their own.
fn collected_at(snapshot: &str) -> Option<String> {
    Stamps::read(snapshot)?.collected_at
}

impl SnapshotStore for S3SnapshotStore {
    async fn load(&self, account: &str) -> Result<Option<StoredSnapshot>, PortError> {
        let got = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(S3SnapshotStore::key(account))
            .send()
            .await;
        let out = match got {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => {
                return Ok(None);
            }
            Err(e) => {
                return Err(port_error(
                    WHAT,
                    &format!("GetObject {}", S3SnapshotStore::key(account)),
                    e,
                ));
            }
        };
        let version = out
            .e_tag()
            .map(str::to_string)
            .ok_or_else(|| unusable(format!("the snapshot of {account} has no ETag")))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| {
                PortError::transient(WHAT, format!("reading the snapshot of {account}: {e}"))
                    .caused_by(e)
            })?
            .into_bytes();
        let text = decompress(&bytes)
            .map_err(|e| unusable(format!("the snapshot of {account} is not gzip text: {e}")))?;
        Ok(Some(StoredSnapshot { text, version }))
    }

    /// A conditional PutObject: `If-Match` the ETag loaded, or `If-None-Match: *` when
    /// nothing was (S3 answers 412 PreconditionFailed, or 409 ConditionalRequestConflict
    /// when another conditional write is in flight; both are a conflict). moto 5.2.5
    /// honours both headers (tested in `shared/notify/aws/tests/snapshot_bucket.rs`).
    async fn save(
        &self,
        account: &str,
        snapshot: &str,
        expected: Option<&str>,
    ) -> Result<(), SaveError> {
        let body = compress(snapshot).map_err(|e| unusable(e.to_string()))?;
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(S3SnapshotStore::key(account))
            .content_type("application/json")
            .content_encoding("gzip")
            .body(ByteStream::from(body));
        put = match expected {
            Some(etag) => put.if_match(etag),
            None => put.if_none_match("*"),
        };
        if let Some(at) = collected_at(snapshot) {
            put = put.metadata("collected-at", at);
        }
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let code = e.as_service_error().and_then(|se| se.meta().code());
                if matches!(status, Some(412 | 409))
                    || matches!(
                        code,
                        Some("PreconditionFailed" | "ConditionalRequestConflict")
                    )
                {
                    Err(SaveError::Conflict(account.to_string()))
                } else {
                    Err(SaveError::Port(port_error(
                        WHAT,
                        &format!("PutObject {}", S3SnapshotStore::key(account)),
                        e,
                    )))
                }
            }
        }
    }
}

impl DesiredSource for DynamoDesiredStore {
    async fn load_desired(&self) -> Result<DesiredRead, PortError> {
        let loaded = self.load().await.map_err(DesiredStoreError::into_port)?;
        Ok(loaded.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_round_trips_and_collected_at_is_read_from_the_top() {
        let text = r#"{"accountId": "1", "collectedAt": "2026-11-24T02:00:00Z", "resources": []}"#;
        assert_eq!(decompress(&compress(text).unwrap()).unwrap(), text);
        assert_eq!(collected_at(text).as_deref(), Some("2026-11-24T02:00:00Z"));
        assert_eq!(collected_at("{}"), None);
        // A patched document: sorted keys, a patched part with its own time first.
        let patched = r#"{"accountId": "1", "authorizationDetails": {"RoleDetailList": [{"collectedAt": "2026-11-24T09:00:00Z"}]}, "collectedAt": "2026-11-24T02:00:00Z"}"#;
        assert_eq!(
            collected_at(patched).as_deref(),
            Some("2026-11-24T02:00:00Z")
        );
    }
}
