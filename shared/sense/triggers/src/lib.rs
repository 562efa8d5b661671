//! What a CloudTrail event requires re-evaluating.
//!
//! What it is for: the event function receives "AWS API Call via CloudTrail" events from
//! EventBridge; [`classify`] tells it, from the [table](table::RULES), which resource,
//! principal, managed policy or Organization accounts the call may have changed the
//! access of, or that the event is to be ignored (a failed or read-only call) or is not
//! in the table. [`event_patterns`] builds the EventBridge rule patterns from the same
//! table, so the template's rules deliver exactly what the table knows.
//!
//! What it is not for: reading any state. The event is only a hint of *where* to look:
//! the function re-reads the current state there, so a duplicate, late or out-of-order
//! event is harmless.
//!
//! Key design choice: pure and lenient. Records are read with serde into our own types
//! that ignore unknown fields; a field of the wrong type reads as absent. An event the
//! table knows but whose record lacks the field that names the entity gives
//! [`Trigger::Invalid`] with the reason, never a panic, and an event the table does not
//! know gives [`Trigger::Unknown`], to be logged and acknowledged.
//!
//! ARNs are built the way the services spell them. IAM requests name roles and users
//! without their path, so a role or user ARN built from a name has no path: match IAM
//! principals by type and name (unique in an account whatever the path). A secret named
//! by its name gives a partial ARN (no random suffix): match it as a prefix.

mod arn;
mod record;
pub mod table;

use std::fmt;

use serde_json::Value;

use crate::arn::Arns;
use crate::record::{Envelope, Record};
pub use crate::table::{
    CLOUDTRAIL_DETAIL_TYPE, Change, Rule, RulePattern, Service, event_patterns, lookup,
};

/// What must be re-evaluated after a change.
///
/// Three words, three ideas: a `Target` is what to *judge* again (a role's trust policy
/// is the role as a resource); `accessdrift_snapshot::Part` is what to *re-read* (that
/// trust policy lives in the role's IAM entry, so the same change re-reads a principal
/// part: `accessdrift_controller::react`'s `part_of` maps one to the other); a
/// `FreshPart` is a part as read, ready to patch in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A resource, for every principal that may reach it (its policy, ACL, tags,
    /// settings or existence changed).
    Resource {
        /// The account that owns it.
        account: String,
        /// The region the event was recorded in (the resource's, for regional services).
        region: String,
        /// Its ARN.
        arn: String,
    },
    /// A principal (IAM role or user), against every resource.
    Principal {
        /// Its account.
        account: String,
        /// Its ARN.
        arn: String,
    },
    /// Every member of an IAM group, against every resource.
    Group {
        /// Its account.
        account: String,
        /// The group's ARN.
        arn: String,
    },
    /// Every principal a customer-managed policy is attached to (found from the
    /// account's snapshot), against every resource.
    ManagedPolicy {
        /// Its account.
        account: String,
        /// The policy's ARN.
        arn: String,
    },
    /// Every account under an Organization target: a root (`r-...`), an OU
    /// (`ou-...`) or an account id (itself).
    Accounts {
        /// The target id.
        target: String,
    },
    /// Every account under the targets an Organization policy (SCP, RCP) is attached to.
    OrgPolicy {
        /// The policy id (`p-...`).
        policy_id: String,
    },
}

/// Why an event is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoreReason {
    /// The call failed (`errorCode` is set): nothing changed.
    FailedCall {
        /// The error code, e.g. `AccessDenied`.
        error_code: String,
    },
    /// A read-only call (`readOnly`, or a `Get`/`List`/`Describe`/`Head` call).
    ReadOnly,
    /// A call in the table that, as made, changes no access (e.g. a new policy version
    /// that does not become the default).
    NoAccessChange(&'static str),
}

/// What an event requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Re-evaluate these (at least one; some calls change a role both as a principal
    /// and as a resource).
    Reevaluate(Vec<Target>),
    /// Nothing to do.
    Ignore(IgnoreReason),
    /// Not an event the table knows: log it and acknowledge it.
    Unknown {
        /// The EventBridge `source` or CloudTrail `eventSource`.
        source: String,
        /// The CloudTrail `eventName` (or the `detail-type` when it is not a CloudTrail
        /// API call).
        event_name: String,
    },
    /// An event the table knows, or should, that lacks what is needed to act on it.
    Invalid {
        /// The CloudTrail `eventSource`, when present.
        source: String,
        /// The CloudTrail `eventName`, when present.
        event_name: String,
        /// What is missing or malformed.
        reason: String,
    },
}

/// The event's identity, for logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventInfo {
    /// CloudTrail's `eventID` (else EventBridge's `id`).
    pub id: String,
    /// CloudTrail's `eventSource`.
    pub event_source: String,
    /// CloudTrail's `eventName`.
    pub event_name: String,
    /// The account the event is about (`recipientAccountId`, else the envelope's).
    pub account: String,
    /// The region it was recorded in.
    pub region: String,
}

/// An event and what it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// Which event.
    pub event: EventInfo,
    /// What it requires.
    pub trigger: Trigger,
}

/// Classifies EventBridge event JSON text (invalid JSON gives [`Trigger::Invalid`]).
pub fn classify_json(text: &str) -> Classified {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => classify(&value),
        Err(e) => Classified {
            event: EventInfo::default(),
            trigger: Trigger::Invalid {
                source: String::new(),
                event_name: String::new(),
                reason: format!("not JSON: {e}"),
            },
        },
    }
}

/// Classifies one event: an EventBridge event whose `detail` is a CloudTrail record, or
/// a bare CloudTrail record.
pub fn classify(event: &Value) -> Classified {
    let Some((envelope, record)) = read(event) else {
        return Classified {
            event: EventInfo::default(),
            trigger: invalid("", "", "not an EventBridge event nor a CloudTrail record"),
        };
    };
    let account = record
        .recipient_account_id
        .clone()
        .or_else(|| envelope.account.clone())
        .or_else(|| record.user_identity_account())
        .unwrap_or_default();
    let info = EventInfo {
        id: record
            .event_id
            .clone()
            .or_else(|| envelope.id.clone())
            .unwrap_or_default(),
        event_source: record.event_source.clone().unwrap_or_default(),
        event_name: record.event_name.clone().unwrap_or_default(),
        account,
        region: record
            .aws_region
            .clone()
            .or_else(|| envelope.region.clone())
            .unwrap_or_default(),
    };
    let trigger = decide(&envelope, &record, &info);
    Classified {
        event: info,
        trigger,
    }
}

/// Reads the envelope and the record; `None` when the JSON is neither shape.
fn read(event: &Value) -> Option<(Envelope, Record)> {
    let object = event.as_object()?;
    if object.contains_key("detail") || object.contains_key("detail-type") {
        let envelope = Envelope::read(event);
        let record = envelope
            .detail
            .as_ref()
            .map(Record::read)
            .unwrap_or_default();
        Some((envelope, record))
    } else if object.contains_key("eventSource") || object.contains_key("eventName") {
        Some((Envelope::default(), Record::read(event)))
    } else {
        None
    }
}

fn invalid(source: &str, event_name: &str, reason: impl Into<String>) -> Trigger {
    Trigger::Invalid {
        source: source.to_string(),
        event_name: event_name.to_string(),
        reason: reason.into(),
    }
}

fn decide(envelope: &Envelope, record: &Record, info: &EventInfo) -> Trigger {
    if let Some(detail_type) = &envelope.detail_type
        && detail_type != CLOUDTRAIL_DETAIL_TYPE
    {
        return Trigger::Unknown {
            source: envelope.source.clone().unwrap_or_default(),
            event_name: detail_type.clone(),
        };
    }
    let (source, name) = (info.event_source.as_str(), info.event_name.as_str());
    if source.is_empty() || name.is_empty() {
        return invalid(
            source,
            name,
            "the CloudTrail record has no `eventSource` or `eventName`",
        );
    }
    if let Some(error_code) = record.error_code.as_ref().filter(|c| !c.is_empty()) {
        return Trigger::Ignore(IgnoreReason::FailedCall {
            error_code: error_code.clone(),
        });
    }
    let rule = Service::from_event_source(source).and_then(|s| lookup(s, name));
    let looks_read_only = ["Get", "List", "Describe", "Head"]
        .iter()
        .any(|p| name.starts_with(p));
    if record.read_only == Some(true) || (rule.is_none() && looks_read_only) {
        return Trigger::Ignore(IgnoreReason::ReadOnly);
    }
    let Some(rule) = rule else {
        return Trigger::Unknown {
            source: source.to_string(),
            event_name: name.to_string(),
        };
    };
    let arns = Arns::new(&info.account, &info.region);
    match targets(rule.change, record, &arns, &info.account) {
        Ok(Some(targets)) => Trigger::Reevaluate(targets),
        Ok(None) => Trigger::Ignore(IgnoreReason::NoAccessChange(
            "a policy version that does not become the default",
        )),
        Err(missing) => invalid(source, name, missing),
    }
}

/// What a row's change names in this record. `Ok(None)`: the call changes no access.
fn targets(
    change: Change,
    record: &Record,
    arns: &Arns,
    account: &str,
) -> Result<Option<Vec<Target>>, String> {
    let req = &record.request_parameters;
    let resp = &record.response_elements;
    let resource = |arn: String| Target::Resource {
        account: arn::account_of(&arn).unwrap_or(account).to_string(),
        region: arns.region().to_string(),
        arn,
    };
    let principal = |arn: String| Target::Principal {
        account: arn::account_of(&arn).unwrap_or(account).to_string(),
        arn,
    };
    let needed = |what: &str| format!("the record has no {what}");
    let one = |t: Target| Ok(Some(vec![t]));
    match change {
        Change::RolePermissions => {
            let name = req
                .str("roleName")
                .ok_or_else(|| needed("`requestParameters.roleName`"))?;
            one(principal(arns.iam("role", name)))
        }
        Change::RoleTrust => {
            let name = req
                .str("roleName")
                .ok_or_else(|| needed("`requestParameters.roleName`"))?;
            one(resource(arns.iam("role", name)))
        }
        Change::Role => {
            let arn = resp
                .path(&["role", "arn"])
                .map(str::to_string)
                .or_else(|| req.str("roleName").map(|n| arns.iam("role", n)))
                .ok_or_else(|| {
                    needed("`requestParameters.roleName` or `responseElements.role.arn`")
                })?;
            Ok(Some(vec![principal(arn.clone()), resource(arn)]))
        }
        Change::User => {
            let arn = resp
                .path(&["user", "arn"])
                .map(str::to_string)
                .or_else(|| req.str("userName").map(|n| arns.iam("user", n)))
                .ok_or_else(|| needed("`requestParameters.userName`"))?;
            one(principal(arn))
        }
        Change::Group => {
            let arn = resp
                .path(&["group", "arn"])
                .map(str::to_string)
                .or_else(|| req.str("groupName").map(|n| arns.iam("group", n)))
                .ok_or_else(|| needed("`requestParameters.groupName`"))?;
            one(Target::Group {
                account: arn::account_of(&arn).unwrap_or(account).to_string(),
                arn,
            })
        }
        Change::UserRenamed => {
            let old = req
                .str("userName")
                .ok_or_else(|| needed("`requestParameters.userName`"))?;
            let mut out = vec![principal(arns.iam("user", old))];
            if let Some(new) = req.str("newUserName").filter(|n| *n != old) {
                out.push(principal(arns.iam("user", new)));
            }
            Ok(Some(out))
        }
        Change::GroupRenamed => {
            let old = req
                .str("groupName")
                .ok_or_else(|| needed("`requestParameters.groupName`"))?;
            let group = |arn: String| Target::Group {
                account: arn::account_of(&arn).unwrap_or(account).to_string(),
                arn,
            };
            let mut out = vec![group(arns.iam("group", old))];
            if let Some(new) = req.str("newGroupName").filter(|n| *n != old) {
                out.push(group(arns.iam("group", new)));
            }
            Ok(Some(out))
        }
        Change::ManagedPolicy | Change::PolicyVersion => {
            if change == Change::PolicyVersion && req.bool("setAsDefault") != Some(true) {
                return Ok(None);
            }
            let arn = req
                .str("policyArn")
                .ok_or_else(|| needed("`requestParameters.policyArn`"))?;
            one(Target::ManagedPolicy {
                account: arn::account_of(arn).unwrap_or(account).to_string(),
                arn: arn.to_string(),
            })
        }
        Change::Bucket => {
            let name = req
                .str("bucketName")
                .map(str::to_string)
                .or_else(|| {
                    record
                        .resource_arn("AWS::S3::Bucket")
                        .and_then(|a| a.strip_prefix(arns.s3_prefix()).map(str::to_string))
                })
                .ok_or_else(|| needed("`requestParameters.bucketName`"))?;
            one(resource(arns.bucket(&name)))
        }
        Change::AccountPublicAccessBlock => {
            let target = req
                .str("accountId")
                .filter(|a| arn::is_account_id(a))
                .unwrap_or(account);
            if !arn::is_account_id(target) {
                return Err(needed("account id (`recipientAccountId`)"));
            }
            one(Target::Accounts {
                target: target.to_string(),
            })
        }
        Change::Key => {
            let arn = record
                .resource_arn("AWS::KMS::Key")
                .map(str::to_string)
                .or_else(|| resp.path(&["keyMetadata", "arn"]).map(str::to_string))
                .or_else(|| req.str("keyId").and_then(|k| arns.key(k)))
                .ok_or_else(|| {
                    needed("key ARN (`resources[].ARN`, `requestParameters.keyId` as an id or ARN)")
                })?;
            one(resource(arn))
        }
        Change::Queue => {
            let arn = req
                .str("queueUrl")
                .or_else(|| resp.str("queueUrl"))
                .and_then(|url| arns.queue_from_url(url))
                .or_else(|| req.str("queueName").map(|n| arns.regional("sqs", n)))
                .ok_or_else(|| needed("`requestParameters.queueUrl`"))?;
            one(resource(arn))
        }
        Change::Topic => {
            let arn = req
                .str("topicArn")
                .or_else(|| req.str("resourceArn"))
                .or_else(|| resp.str("topicArn"))
                .map(str::to_string)
                .or_else(|| req.str("name").map(|n| arns.regional("sns", n)))
                .ok_or_else(|| needed("`requestParameters.topicArn` or `resourceArn`"))?;
            one(resource(arn))
        }
        Change::Secret => {
            let arn = resp
                .str("arn")
                .filter(|a| a.starts_with("arn:"))
                .map(str::to_string)
                .or_else(|| req.str("secretId").map(|s| arns.secret(s)))
                .or_else(|| req.str("name").map(|s| arns.secret(s)))
                .ok_or_else(|| needed("`requestParameters.secretId`"))?;
            one(resource(arn))
        }
        Change::Table => {
            let arn = req
                .str("resourceArn")
                .map(str::to_string)
                .or_else(|| {
                    resp.path(&["tableDescription", "tableArn"])
                        .map(str::to_string)
                })
                .or_else(|| req.str("tableName").map(|t| arns.table(t)))
                .ok_or_else(|| needed("`requestParameters.resourceArn` or `tableName`"))?;
            one(resource(arn))
        }
        Change::Function => {
            let arn = req
                .str("functionName")
                .or_else(|| req.str("resource"))
                .and_then(|f| arns.function(f))
                .ok_or_else(|| needed("`requestParameters.functionName` or `resource`"))?;
            one(resource(arn))
        }
        Change::OrgPolicyTarget => {
            let target = req
                .str("targetId")
                .ok_or_else(|| needed("`requestParameters.targetId`"))?;
            one(Target::Accounts {
                target: target.to_string(),
            })
        }
        Change::OrgAccountMoved => {
            let target = req
                .str("accountId")
                .ok_or_else(|| needed("`requestParameters.accountId`"))?;
            one(Target::Accounts {
                target: target.to_string(),
            })
        }
        Change::OrgMembership => {
            if !arn::is_account_id(account) {
                return Err(needed("account id (`recipientAccountId`)"));
            }
            one(Target::Accounts {
                target: account.to_string(),
            })
        }
        Change::OrgPolicyType => {
            let target = req
                .str("rootId")
                .ok_or_else(|| needed("`requestParameters.rootId`"))?;
            one(Target::Accounts {
                target: target.to_string(),
            })
        }
        Change::OrgPolicy => {
            let id = req
                .str("policyId")
                .ok_or_else(|| needed("`requestParameters.policyId`"))?;
            one(Target::OrgPolicy {
                policy_id: id.to_string(),
            })
        }
    }
}

impl fmt::Display for Target {
    /// `resource ARN`, `principal ARN`, `group ARN`, `managed-policy ARN`,
    /// `accounts TARGET`, `org-policy ID`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Resource { arn, .. } => write!(f, "resource {arn}"),
            Target::Principal { arn, .. } => write!(f, "principal {arn}"),
            Target::Group { arn, .. } => write!(f, "group {arn}"),
            Target::ManagedPolicy { arn, .. } => write!(f, "managed-policy {arn}"),
            Target::Accounts { target } => write!(f, "accounts {target}"),
            Target::OrgPolicy { policy_id } => write!(f, "org-policy {policy_id}"),
        }
    }
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IgnoreReason::FailedCall { error_code } => write!(f, "failed-call {error_code}"),
            IgnoreReason::ReadOnly => f.write_str("read-only"),
            IgnoreReason::NoAccessChange(why) => write!(f, "no-access-change ({why})"),
        }
    }
}

impl fmt::Display for Trigger {
    /// One line: the targets joined with ` + `, or `ignore REASON`,
    /// `unknown SOURCE NAME`, `invalid SOURCE NAME: REASON`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Reevaluate(targets) => {
                for (i, t) in targets.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" + ")?;
                    }
                    write!(f, "{t}")?;
                }
                Ok(())
            }
            Trigger::Ignore(reason) => write!(f, "ignore {reason}"),
            Trigger::Unknown { source, event_name } => write!(f, "unknown {source} {event_name}"),
            Trigger::Invalid {
                source,
                event_name,
                reason,
            } => write!(f, "invalid {source} {event_name}: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests;
