//! Findings for machines: an EventBridge event per finding state change (for
//! automation), and Security Hub findings in the AWS Security Finding Format (ASFF),
//! batched for `BatchImportFindings` (at most 100 findings a call).
//!
//! Pure rendering: the AWS adapters send what these functions build.

use accessdrift_primitives::Time;
use serde_json::{Value, json};

use crate::lifecycle::{Status, StoredFinding};
use crate::model::Severity;
use crate::notice::Change;

/// The `Source` of accessdrift's EventBridge events.
pub const EVENT_SOURCE: &str = "accessdrift";

/// The `DetailType` of a finding state change.
pub const EVENT_DETAIL_TYPE: &str = "Access drift finding state change";

/// `BatchImportFindings` takes at most 100 findings per call.
pub const ASFF_BATCH: usize = 100;

/// A `PutEvents` entry (`Source`, `DetailType`, `Detail` as JSON text) for one change of
/// one finding; rules match on `detail.change`, `detail.severity`, `detail.owner`...
pub fn state_change_event(record: &StoredFinding, change: Change, event_bus: &str) -> Value {
    let mut detail = record.finding.to_json();
    if let Some(obj) = detail.as_object_mut() {
        obj.insert("change".into(), Value::String(change.as_str().to_string()));
        obj.insert(
            "status".into(),
            Value::String(record.status.as_str().to_string()),
        );
        obj.insert("firstSeen".into(), Value::String(record.first_seen.clone()));
        obj.insert("lastSeen".into(), Value::String(record.last_seen.clone()));
    }
    json!({
        "Source": EVENT_SOURCE,
        "DetailType": EVENT_DETAIL_TYPE,
        "EventBusName": event_bus,
        "Resources": [record.finding.resource],
        "Detail": detail.to_string(),
    })
}

fn asff_severity(s: Severity) -> &'static str {
    match s {
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// The ASFF resource type for an ARN (Security Hub's `Resources[].Type` words).
fn asff_resource_type(arn: &str) -> &'static str {
    let service = arn.split(':').nth(2).unwrap_or("");
    match service {
        "s3" => "AwsS3Bucket",
        "kms" => "AwsKmsKey",
        "dynamodb" => "AwsDynamoDbTable",
        "sqs" => "AwsSqsQueue",
        "sns" => "AwsSnsTopic",
        "secretsmanager" => "AwsSecretsManagerSecret",
        "lambda" => "AwsLambdaFunction",
        "iam" => "AwsIamRole",
        _ => "Other",
    }
}

/// One finding in ASFF. `product_arn` is the account's default product ARN
/// (`arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`); times are RFC 3339.
pub fn asff(record: &StoredFinding, product_arn: &str, region: &str, now: Time) -> Value {
    let f = &record.finding;
    let workflow = match record.status {
        Status::Open => "NEW",
        Status::Resolved => "RESOLVED",
        Status::Suppressed => "SUPPRESSED",
    };
    let record_state = if record.status == Status::Resolved {
        "ARCHIVED"
    } else {
        "ACTIVE"
    };
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": format!("accessdrift/{}", f.id),
        "ProductArn": product_arn,
        "GeneratorId": format!("accessdrift/{}", f.kind.as_str()),
        "AwsAccountId": f.account,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices/Access drift"],
        "FirstObservedAt": record.first_seen,
        "LastObservedAt": record.last_seen,
        "CreatedAt": record.first_seen,
        "UpdatedAt": now.to_string(),
        "Severity": {"Label": asff_severity(f.severity)},
        "Title": truncate(&f.summary, 256),
        "Description": truncate(&format!("{} Fix: {}", f.summary, f.remedy), 1024),
        "Resources": [{"Type": asff_resource_type(&f.resource), "Id": f.resource, "Region": region}],
        "Workflow": {"Status": workflow},
        "RecordState": record_state,
        "ProductFields": {
            "accessdrift/kind": f.kind.as_str(),
            "accessdrift/principal": f.principal.clone().unwrap_or_default(),
            "accessdrift/capability": f.capability.map(|c| c.as_str()).unwrap_or(""),
            "accessdrift/owner": f.owner.clone().unwrap_or_default(),
        },
    })
}

/// ASFF findings in `BatchImportFindings`-sized batches.
pub fn asff_batches(
    records: &[StoredFinding],
    product_arn: &str,
    region: &str,
    now: Time,
) -> Vec<Vec<Value>> {
    records
        .chunks(ASFF_BATCH)
        .map(|chunk| {
            chunk
                .iter()
                .map(|r| asff(r, product_arn, region, now))
                .collect()
        })
        .collect()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
        out.push_str("...");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::reconcile;
    use crate::model::{Finding, FindingKind};

    fn at(text: &str) -> accessdrift_primitives::Time {
        accessdrift_primitives::Time::parse(text).unwrap()
    }

    fn finding(id: &str) -> Finding {
        Finding {
            id: id.into(),
            kind: FindingKind::PublicOrExternalAccess,
            severity: Severity::Critical,
            account: "111111111111".into(),
            resource: "arn:aws:s3:::credit-applications".into(),
            owner: Some("credit-team".into()),
            classification: Some("Confidential".into()),
            principal: Some("*".into()),
            capability: Some(accessdrift_capabilities::Capability::ReadData),
            access: Some(accessdrift_access::Access::Allowed),
            grants: vec![],
            summary: "anyone can read-data on s3 credit-applications".into(),
            remedy: "remove the public statement".into(),
        }
    }

    #[test]
    fn state_change_events_carry_the_change_for_rules_to_match() {
        let r = reconcile(&[], &[finding("a")], at("2026-11-24T00:00:00Z"));
        let e = state_change_event(&r.writes[0], Change::New, "default");
        assert_eq!(e["Source"], EVENT_SOURCE);
        let detail: Value = serde_json::from_str(e["Detail"].as_str().unwrap()).unwrap();
        assert_eq!(detail["change"], "new");
        assert_eq!(detail["severity"], "critical");
        assert_eq!(detail["status"], "open");
    }

    #[test]
    fn asff_maps_severity_status_and_resource_type() {
        let r = reconcile(&[], &[finding("a")], at("2026-11-24T00:00:00Z"));
        let a = asff(
            &r.writes[0],
            "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default",
            "us-east-1",
            at("2026-11-24T00:00:00Z"),
        );
        assert_eq!(a["Severity"]["Label"], "CRITICAL");
        assert_eq!(a["Workflow"]["Status"], "NEW");
        assert_eq!(a["RecordState"], "ACTIVE");
        assert_eq!(a["Resources"][0]["Type"], "AwsS3Bucket");
        assert_eq!(a["Id"], "accessdrift/a");
    }

    #[test]
    fn asff_batches_hold_at_most_100() {
        let found: Vec<Finding> = (0..250).map(|i| finding(&format!("f{i}"))).collect();
        let r = reconcile(&[], &found, at("2026-01-01T00:00:00Z"));
        let batches = asff_batches(&r.writes, "p", "us-east-1", at("2026-01-01T00:00:00Z"));
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [100, 100, 50]
        );
    }
}
