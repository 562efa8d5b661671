//! Finding state changes for machines: one EventBridge event per change (for
//! automation), and Security Hub findings in ASFF. Both are optional by configuration
//! and implement the drift crate's [`FindingFeed`] port.
//!
//! The documents are built by the pure `accessdrift_drift::events` module; these
//! adapters only batch and send them: `PutEvents` takes at most 10 entries a call,
//! `BatchImportFindings` at most 100 findings. Entries a service refuses are counted
//! and reported, never dropped silently.

pub use accessdrift_controller::ports::FindingFeed;
use accessdrift_controller::ports::{NotifyError, PortError};
use accessdrift_drift::events::{ASFF_BATCH, asff_batches, state_change_event};
use accessdrift_drift::lifecycle::StoredFinding;
use accessdrift_drift::notice::Change;
use accessdrift_primitives::Time;
use accessdrift_primitives::aws_error::classify;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Recommendation, RecordState, Remediation, Resource, Severity,
    SeverityLabel, Workflow, WorkflowStatus,
};
use serde_json::Value;

use crate::sdk::port_error;

/// `PutEvents` takes at most 10 entries a call.
const EVENTS_BATCH: usize = 10;

/// One EventBridge event per finding state change, on a bus.
#[derive(Debug, Clone)]
pub struct EventBridgeFeed {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridgeFeed {
    /// Events on `bus` (a name or ARN).
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> EventBridgeFeed {
        EventBridgeFeed {
            client,
            bus: bus.into(),
        }
    }
}

fn text(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_string)
}

impl FindingFeed for EventBridgeFeed {
    async fn publish(&self, changes: &[(StoredFinding, Change)]) -> Result<usize, NotifyError> {
        let mut accepted = 0;
        let mut refused = Refused::default();
        for chunk in changes.chunks(EVENTS_BATCH) {
            let entries: Vec<PutEventsRequestEntry> = chunk
                .iter()
                .map(|(record, change)| {
                    let e = state_change_event(record, *change, &self.bus);
                    PutEventsRequestEntry::builder()
                        .set_source(text(&e, "Source"))
                        .set_detail_type(text(&e, "DetailType"))
                        .set_event_bus_name(text(&e, "EventBusName"))
                        .set_detail(text(&e, "Detail"))
                        .set_resources(e.get("Resources").and_then(Value::as_array).map(|a| {
                            a.iter()
                                .filter_map(|r| r.as_str().map(str::to_string))
                                .collect()
                        }))
                        .build()
                })
                .collect();
            let out = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    NotifyError::Service(port_error("finding feed", "EventBridge PutEvents", e))
                })?;
            for (entry, (record, _)) in out.entries().iter().zip(chunk) {
                match entry.error_code() {
                    None => accepted += 1,
                    Some(code) => {
                        refused.push(&record.finding.id, Some(code), entry.error_message());
                    }
                }
            }
        }
        refused.or_accepted(accepted, "EventBridge", "events", changes.len())
    }
}

/// Security Hub findings (ASFF) in the account's default product.
#[derive(Debug, Clone)]
pub struct SecurityHubFeed {
    client: aws_sdk_securityhub::Client,
    product_arn: String,
    region: String,
    now: Time,
}

impl SecurityHubFeed {
    /// Findings imported into `account`'s Security Hub in `region`, stamped `now`.
    pub fn new(
        client: aws_sdk_securityhub::Client,
        account: &str,
        region: &str,
        now: Time,
    ) -> SecurityHubFeed {
        SecurityHubFeed {
            client,
            product_arn: format!(
                "arn:aws:securityhub:{region}:{account}:product/{account}/default"
            ),
            region: region.to_string(),
            now,
        }
    }
}

/// Our ASFF document as the SDK's type (the fields `asff` writes).
fn to_sdk(v: &Value) -> AwsSecurityFinding {
    let label = v
        .pointer("/Severity/Label")
        .and_then(Value::as_str)
        .map(SeverityLabel::from);
    let workflow = v
        .pointer("/Workflow/Status")
        .and_then(Value::as_str)
        .map(WorkflowStatus::from);
    let resources = v.get("Resources").and_then(Value::as_array).map(|rs| {
        rs.iter()
            .map(|r| {
                Resource::builder()
                    .set_type(text(r, "Type"))
                    .set_id(text(r, "Id"))
                    .set_region(text(r, "Region"))
                    .build()
            })
            .collect()
    });
    let product_fields = v.get("ProductFields").and_then(Value::as_object).map(|m| {
        m.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect()
    });
    let recommendation = v
        .pointer("/Remediation/Recommendation/Text")
        .and_then(Value::as_str)
        .map(|t| {
            Remediation::builder()
                .recommendation(Recommendation::builder().text(t).build())
                .build()
        });
    AwsSecurityFinding::builder()
        .set_schema_version(text(v, "SchemaVersion"))
        .set_id(text(v, "Id"))
        .set_product_arn(text(v, "ProductArn"))
        .set_generator_id(text(v, "GeneratorId"))
        .set_aws_account_id(text(v, "AwsAccountId"))
        .set_types(v.get("Types").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        }))
        .set_first_observed_at(text(v, "FirstObservedAt"))
        .set_last_observed_at(text(v, "LastObservedAt"))
        .set_created_at(text(v, "CreatedAt"))
        .set_updated_at(text(v, "UpdatedAt"))
        .set_severity(label.map(|l| Severity::builder().label(l).build()))
        .set_title(text(v, "Title"))
        .set_description(text(v, "Description"))
        .set_resources(resources)
        .set_workflow(workflow.map(|w| Workflow::builder().status(w).build()))
        .set_record_state(text(v, "RecordState").map(|s| RecordState::from(s.as_str())))
        .set_product_fields(product_fields)
        .set_remediation(recommendation)
        .build()
}

impl FindingFeed for SecurityHubFeed {
    async fn publish(&self, changes: &[(StoredFinding, Change)]) -> Result<usize, NotifyError> {
        let records: Vec<StoredFinding> = changes.iter().map(|(r, _)| r.clone()).collect();
        let mut accepted = 0;
        let mut refused = Refused::default();
        for batch in asff_batches(&records, &self.product_arn, &self.region, self.now) {
            debug_assert!(batch.len() <= ASFF_BATCH);
            let findings: Vec<AwsSecurityFinding> = batch.iter().map(to_sdk).collect();
            let sent = findings.len();
            let out = self
                .client
                .batch_import_findings()
                .set_findings(Some(findings))
                .send()
                .await
                .map_err(|e| {
                    NotifyError::Service(port_error(
                        "finding feed",
                        "Security Hub BatchImportFindings",
                        e,
                    ))
                })?;
            let failed = usize::try_from(out.failed_count().unwrap_or(0)).unwrap_or(0);
            accepted += sent.saturating_sub(failed);
            for f in out.failed_findings() {
                refused.push(
                    f.id().unwrap_or_default(),
                    f.error_code(),
                    f.error_message(),
                );
            }
        }
        refused.or_accepted(accepted, "Security Hub", "findings", changes.len())
    }
}

/// Entries a batch call refused one by one: worth sending again when any refusal was
/// throttling or an internal failure, not when every one was a bad entry.
#[derive(Debug, Default)]
struct Refused {
    entries: Vec<String>,
    transient: bool,
}

impl Refused {
    fn push(&mut self, id: &str, code: Option<&str>, message: Option<&str>) {
        self.transient |= classify(code).is_transient();
        self.entries.push(format!(
            "{id}: {} {}",
            code.unwrap_or_default(),
            message.unwrap_or_default()
        ));
    }

    /// `Ok(accepted)` when `service` refused nothing, else every refusal in one error.
    fn or_accepted(
        self,
        accepted: usize,
        service: &str,
        noun: &str,
        total: usize,
    ) -> Result<usize, NotifyError> {
        if self.entries.is_empty() {
            return Ok(accepted);
        }
        let make = if self.transient {
            PortError::transient
        } else {
            PortError::lasting
        };
        Err(NotifyError::Service(make(
            "finding feed",
            format!(
                "{service} refused {} of {total} {noun}: {}",
                self.entries.len(),
                self.entries.join("; ")
            ),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use accessdrift_drift::events::asff;
    use accessdrift_drift::lifecycle::reconcile;
    use accessdrift_drift::{Finding, FindingKind, Severity as DriftSeverity};

    fn at(text: &str) -> accessdrift_primitives::Time {
        accessdrift_primitives::Time::parse(text).unwrap()
    }

    #[test]
    fn the_sdk_finding_carries_every_field_our_asff_document_sets() {
        let f = Finding {
            id: "abc".into(),
            kind: FindingKind::PublicOrExternalAccess,
            severity: DriftSeverity::Critical,
            account: "111111111111".into(),
            resource: "arn:aws:s3:::credit-applications".into(),
            owner: Some("credit-team".into()),
            classification: Some("Confidential".into()),
            principal: Some("*".into()),
            capability: None,
            access: None,
            grants: vec![],
            summary: "anyone can read-data".into(),
            remedy: "remove statement `Public`".into(),
        };
        let rec = reconcile(&[], &[f], at("2026-11-24T00:00:00Z"))
            .writes
            .remove(0);
        let doc = asff(
            &rec,
            "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default",
            "us-east-1",
            at("2026-11-24T00:00:00Z"),
        );
        let sdk = to_sdk(&doc);
        assert_eq!(sdk.id(), Some("accessdrift/abc"));
        assert_eq!(sdk.aws_account_id(), Some("111111111111"));
        assert_eq!(
            sdk.severity().and_then(|s| s.label()),
            Some(&SeverityLabel::Critical)
        );
        assert_eq!(
            sdk.workflow().and_then(|w| w.status()),
            Some(&WorkflowStatus::New)
        );
        assert_eq!(sdk.record_state(), Some(&RecordState::Active));
        assert_eq!(sdk.resources()[0].r#type(), Some("AwsS3Bucket"));
        assert_eq!(
            sdk.resources()[0].id(),
            Some("arn:aws:s3:::credit-applications")
        );
        assert_eq!(
            sdk.product_fields()
                .and_then(|p| p.get("accessdrift/owner"))
                .map(String::as_str),
            Some("credit-team")
        );
        assert_eq!(sdk.types().len(), 1);
        assert!(sdk.title().is_some_and(|t| t.contains("read-data")));
    }
}
