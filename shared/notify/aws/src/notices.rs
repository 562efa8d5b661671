//! Owner notices on SNS.
//!
//! One `Publish` per digest with `MessageStructure=json`, so email subscribers get the
//! plain text and Slack (through AWS Chatbot) gets Chatbot's custom-notification JSON; the
//! message attributes (owner, account, severity, kinds as `String.Array`) let each team
//! subscribe with a filter policy.

use accessdrift_controller::ports::PortError;
pub use accessdrift_controller::ports::{Notifier, NotifyError};
use accessdrift_drift::notice::Notice;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use crate::sdk::port_error;

const WHAT: &str = "notices";

/// Notices published on an SNS topic.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    /// A notifier on `topic_arn`.
    pub fn new(client: Client, topic_arn: impl Into<String>) -> SnsNotifier {
        SnsNotifier {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

impl Notifier for SnsNotifier {
    async fn send(&self, notice: &Notice) -> Result<String, NotifyError> {
        let mut publish = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&notice.subject)
            .message_structure("json")
            .message(&notice.message_json);
        for (name, value) in &notice.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type(value.data_type())
                .string_value(value.string_value())
                .build()
                .map_err(|e| {
                    NotifyError::Service(PortError::lasting(WHAT, e.to_string()).caused_by(e))
                })?;
            publish = publish.message_attributes(name, attribute);
        }
        let out = publish
            .send()
            .await
            .map_err(|e| NotifyError::Service(port_error(WHAT, "SNS Publish", e)))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}
