//! The [`SweepQueue`] over SQS: one message per account, sent ten at a time.

use accessdrift_controller::ports::{PortError, SweepQueue, SweepRequest};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::sdk::port_error;

const WHAT: &str = "sweep queue";

/// Sweep messages on an SQS queue.
#[derive(Debug, Clone)]
pub struct SqsSweepQueue {
    client: Client,
    url: String,
}

impl SqsSweepQueue {
    /// The queue at `url`.
    pub fn new(client: Client, url: impl Into<String>) -> SqsSweepQueue {
        SqsSweepQueue {
            client,
            url: url.into(),
        }
    }
}

impl SweepQueue for SqsSweepQueue {
    /// Sends in batches of ten (SQS's limit). A batch with refused entries is an
    /// error naming them; the caller fails and is retried, and sweeping an account
    /// twice is harmless (a sweep is idempotent).
    async fn enqueue(&self, requests: &[SweepRequest]) -> Result<usize, PortError> {
        let mut sent = 0;
        for chunk in requests.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(format!("m{i}"))
                        .message_body(r.to_json())
                        .build()
                        .map_err(|e| PortError::lasting(WHAT, e.to_string()).caused_by(e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| port_error(WHAT, "SendMessageBatch", e))?;
            if !out.failed().is_empty() {
                let why: Vec<String> = out
                    .failed()
                    .iter()
                    .map(|f| format!("{}: {}", f.code(), f.message().unwrap_or_default()))
                    .collect();
                // SQS says whose fault each refusal is; AWS's own may pass.
                let make = if out.failed().iter().any(|f| !f.sender_fault()) {
                    PortError::transient
                } else {
                    PortError::lasting
                };
                return Err(make(
                    WHAT,
                    format!(
                        "SendMessageBatch refused {} of {} messages ({}); {sent} were sent before",
                        why.len(),
                        chunk.len(),
                        why.join("; ")
                    ),
                ));
            }
            sent += out.successful().len();
        }
        Ok(sent)
    }
}
