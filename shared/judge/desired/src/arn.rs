//! What a resource ARN and a principal entry may look like in a desired-state file,
//! and how a principal pattern matches a principal.
//!
//! The checks are deliberately shape-only (six `:`-separated parts, an IAM principal
//! kind, a 12-digit account): they catch typos and pasted policy fragments without
//! knowing every service's resource syntax.

use accessdrift_primitives::{arn_parts, is_account_id};

/// IAM principal kinds that take a name after `/` (`role/ci`, `assumed-role/r/s`).
const NAMED_KINDS: [&str; 6] = [
    "role",
    "user",
    "assumed-role",
    "federated-user",
    "saml-provider",
    "oidc-provider",
];

/// The account part of an ARN (`111111111111`, or empty for S3 buckets), if `arn`
/// has the six parts of an ARN.
pub(super) fn arn_account(arn: &str) -> Option<&str> {
    arn_parts(arn).map(|p| p[4])
}

/// Lowercase letters, digits and `-` (partition, service and region words).
fn is_word(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Checks a resource ARN: `arn:partition:service:region:account:resource`, exact (no
/// `*`). The error says what to fix.
/// The longest ARN AWS issues (IAM UG, "IAM and AWS STS quotas": ARNs are at most 2048
/// characters); anything longer is not an ARN.
pub const MAX_ARN_LEN: usize = 2048;

/// The checks every ARN-like entry passes first: a sane length, and no control or
/// direction characters (they would forge or hide text where the entry is shown; the
/// message shows them escaped).
fn check_text(entry: &str, what: &str) -> Result<(), String> {
    if entry.chars().count() > MAX_ARN_LEN {
        return Err(format!(
            "{what} is {} characters long; ARNs have at most {MAX_ARN_LEN}",
            entry.chars().count()
        ));
    }
    if !accessdrift_escape::is_plain(entry) {
        return Err(format!(
            "malformed {what} `{}`: it contains control or text-direction characters",
            accessdrift_escape::plain(entry)
        ));
    }
    Ok(())
}

pub(super) fn check_resource_arn(arn: &str) -> Result<(), String> {
    const SHAPE: &str = "`arn:partition:service:region:account:resource`";
    check_text(arn, "ARN")?;
    if arn.chars().any(char::is_whitespace) {
        return Err(format!("malformed ARN `{arn}`: it contains whitespace"));
    }
    let Some(["arn", partition, service, region, account, resource]) = arn_parts(arn) else {
        return Err(format!(
            "malformed ARN `{arn}`: expected {SHAPE} (6 parts separated by `:`)"
        ));
    };
    // An S3 object-key scope (`arn:aws:s3:::bucket/AWSLogs/*`) may hold IAM wildcards
    // in the key: it declares who may hold capabilities on those keys only (issue 18).
    let key_scope = service == "s3"
        && resource
            .split_once('/')
            .is_some_and(|(bucket, _)| !bucket.is_empty() && !bucket.contains(['*', '?']));
    if (arn.contains('*') || arn.contains('?')) && !key_scope {
        return Err(format!(
            "malformed ARN `{arn}`: a resource ARN is exact; `*` is allowed only in principals \
             and in the key part of an S3 object scope (`arn:aws:s3:::bucket/prefix/*`)"
        ));
    }
    if partition.is_empty() || !partition.starts_with("aws") || !is_word(partition) {
        return Err(format!(
            "malformed ARN `{arn}`: partition `{partition}` should be `aws`, `aws-cn` or `aws-us-gov`"
        ));
    }
    if service.is_empty() || !is_word(service) {
        return Err(format!(
            "malformed ARN `{arn}`: service `{service}` should be a service word such as `s3`"
        ));
    }
    if !is_word(region) {
        return Err(format!(
            "malformed ARN `{arn}`: region `{region}` should be a region such as `us-east-1`, or empty"
        ));
    }
    if !(account.is_empty() || is_account_id(account) || account == "aws") {
        return Err(format!(
            "malformed ARN `{arn}`: account `{account}` should be 12 digits, or empty"
        ));
    }
    if resource.is_empty() {
        return Err(format!(
            "malformed ARN `{arn}`: the resource part (after the fifth `:`) is empty"
        ));
    }
    Ok(())
}

/// Checks a principal entry: `*`, a 12-digit account id, a service principal
/// (`lambda.amazonaws.com`) or an IAM principal ARN, with `*` allowed in each ARN part.
pub(super) fn check_principal(entry: &str) -> Result<(), String> {
    const EXPECTED: &str = "expected `*`, a 12-digit account id, a service principal such as \
                            `lambda.amazonaws.com`, or an IAM principal ARN such as \
                            `arn:aws:iam::111111111111:role/name`";
    if entry == "*" || is_account_id(entry) {
        return Ok(());
    }
    check_text(entry, "principal")?;
    if entry.is_empty() {
        return Err(format!("empty principal: {EXPECTED}"));
    }
    if entry.chars().any(char::is_whitespace) {
        return Err(format!(
            "malformed principal `{entry}`: it contains whitespace"
        ));
    }
    if !entry.starts_with("arn:") {
        if is_service_principal(entry) {
            return Ok(());
        }
        return Err(format!("malformed principal `{entry}`: {EXPECTED}"));
    }
    let Some([_, partition, service, region, account, resource]) = arn_parts(entry) else {
        return Err(format!(
            "malformed principal ARN `{entry}`: expected \
             `arn:partition:iam::account:kind/name` (6 parts separated by `:`)"
        ));
    };
    let wild = |part: &str| part.contains('*');
    if partition.is_empty() || !(wild(partition) || partition.starts_with("aws")) {
        return Err(format!(
            "malformed principal ARN `{entry}`: partition `{partition}` should be `aws` (or a pattern with `*`)"
        ));
    }
    if !matches!(service, "iam" | "sts" | "*") {
        return Err(format!(
            "malformed principal ARN `{entry}`: principals are `iam` or `sts` ARNs, not `{service}`"
        ));
    }
    if !(region.is_empty() || region == "*") {
        return Err(format!(
            "malformed principal ARN `{entry}`: IAM ARNs have no region; remove `{region}`"
        ));
    }
    let account_ok = is_account_id(account)
        || (wild(account) && account.bytes().all(|b| b.is_ascii_digit() || b == b'*'));
    if !account_ok {
        return Err(format!(
            "malformed principal ARN `{entry}`: account `{account}` should be 12 digits (or a pattern with `*`)"
        ));
    }
    let (kind, name) = match resource.split_once('/') {
        Some((kind, name)) => (kind, Some(name)),
        None => (resource, None),
    };
    let kind_ok = match name {
        None => kind == "root" || kind == "*",
        Some(name) => (NAMED_KINDS.contains(&kind) || wild(kind)) && !name.is_empty(),
    };
    if !kind_ok {
        return Err(format!(
            "malformed principal ARN `{entry}`: `{resource}` should be `root`, or \
             `role/`, `user/`, `assumed-role/`, `federated-user/`, `saml-provider/` or \
             `oidc-provider/` followed by a name"
        ));
    }
    Ok(())
}

/// `name.amazonaws.com` (or `.amazonaws.com.cn`): letters, digits, `-` and `.`. Case
/// is not checked, so anything the access engine reports as a service reads back.
fn is_service_principal(entry: &str) -> bool {
    let name = entry
        .strip_suffix(".amazonaws.com")
        .or_else(|| entry.strip_suffix(".amazonaws.com.cn"));
    name.is_some_and(|name| {
        !name.is_empty()
            && !name.starts_with(['.', '-'])
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    })
}

/// Whether a desired-state principal entry (`pattern`) covers `principal`.
///
/// - `*` alone covers every principal (anonymous included);
/// - an account id covers that account's root ARN (`arn:<partition>:iam::<id>:root`);
/// - an ARN pattern is compared part by part (the six `:`-separated parts), where `*`
///   matches any run of characters within its part, including `/` in the last part
///   (`arn:aws:iam::*:role/ci`, `arn:aws:iam::111111111111:role/team-*`);
/// - anything else (a service principal) must be equal.
///
/// Matching is case-sensitive, as IAM compares ARNs.
pub fn principal_matches(pattern: &str, principal: &str) -> bool {
    if pattern == "*" || pattern == principal {
        return true;
    }
    if is_account_id(pattern) {
        return matches!(arn_parts(principal), Some(["arn", _, "iam", "", account, "root"]) if account == pattern);
    }
    if !pattern.starts_with("arn:") || !pattern.contains('*') {
        return false;
    }
    let (Some(pattern_parts), Some(principal_parts)) = (arn_parts(pattern), arn_parts(principal))
    else {
        return false;
    };
    pattern_parts
        .iter()
        .zip(&principal_parts)
        .all(|(p, s)| glob(p.as_bytes(), s.as_bytes()))
}

/// `*` matches any run of bytes (possibly empty); every other byte matches itself.
/// Linear-time greedy matching with one backtrack point.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_arns() {
        for ok in [
            "arn:aws:s3:::credit-applications",
            "arn:aws:dynamodb:us-east-1:111111111111:table/credit-decisions",
            "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
            "arn:aws-cn:sqs:cn-north-1:111111111111:queue",
            "arn:aws:lambda:us-east-1:111111111111:function:f",
            // An S3 key scope may hold wildcards in the key.
            "arn:aws:s3:::logs/AWSLogs/*/Config/*",
        ] {
            assert_eq!(check_resource_arn(ok), Ok(()), "{ok}");
        }
        for bad in [
            "credit-applications",
            "arn:aws:s3::credit-applications",
            "arn:aws:s3:::",
            "arn:aws:s3:::credit-*",
            "arn:aws:s3:::*/AWSLogs/*",
            "arn:aws:dynamodb:us-east-1:111111111111:table/*",
            "arn:aws:dynamodb:us-east-1:1111:table/t",
            "arn:AWS:s3:::b",
            "arn:aws:s3:::b c",
            "aws:s3:::a:b",
        ] {
            assert!(check_resource_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn principals() {
        for ok in [
            "*",
            "111111111111",
            "lambda.amazonaws.com",
            "delivery.logs.amazonaws.com",
            "arn:aws:iam::111111111111:root",
            "arn:aws:iam::111111111111:role/credit-processor",
            "arn:aws:iam::111111111111:role/service-role/x",
            "arn:aws:iam::*:role/ci",
            "arn:aws:iam::111111111111:role/team-*",
            "arn:aws:iam::111111111111:*",
            "arn:aws:sts::111111111111:assumed-role/r/session",
            "arn:*:iam::*:root",
        ] {
            assert_eq!(check_principal(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "credit-processor",
            "11111111111",
            "arn:aws:iam::111111111111",
            "arn:aws:s3:::bucket",
            "arn:aws:iam:us-east-1:111111111111:role/x",
            "arn:aws:iam::abc:role/x",
            "arn:aws:iam::111111111111:group/x",
            "arn:aws:iam::111111111111:role/",
            "arn:aws:iam::111111111111:policy/p",
            ".amazonaws.com",
            "my service.amazonaws.com",
        ] {
            assert!(check_principal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn glob_basics() {
        assert!(glob(b"*", b""));
        assert!(glob(b"a*c", b"abbbc"));
        assert!(glob(b"a*b*c", b"aXbYbZc"));
        assert!(!glob(b"a*c", b"abcd"));
        assert!(glob(b"role/*", b"role/a/b"));
        assert!(!glob(b"abc", b"ab"));
        assert!(glob(b"**", b"xyz"));
    }

    #[test]
    fn matching() {
        assert!(principal_matches("*", "arn:aws:iam::1:role/x"));
        assert!(principal_matches("*", "*"));
        assert!(principal_matches(
            "arn:aws:iam::*:role/ci",
            "arn:aws:iam::222222222222:role/ci"
        ));
        assert!(!principal_matches(
            "arn:aws:iam::*:role/ci",
            "arn:aws:iam::222222222222:role/ci-old"
        ));
        assert!(!principal_matches("arn:aws:iam::*:role/ci", "*"));
        assert!(principal_matches(
            "111111111111",
            "arn:aws:iam::111111111111:root"
        ));
        assert!(!principal_matches(
            "111111111111",
            "arn:aws:iam::111111111111:role/x"
        ));
        assert!(!principal_matches(
            "arn:aws:iam::111111111111:Role/x",
            "arn:aws:iam::111111111111:role/x"
        ));
        assert!(principal_matches(
            "lambda.amazonaws.com",
            "lambda.amazonaws.com"
        ));
    }
}
