//! ARNs split into their six parts, borrowed from the text (no allocation).
//!
//! AWS IAM User Guide, "IAM identifiers" / "Amazon Resource Names (ARNs)":
//! `arn:partition:service:region:account-id:resource`, where the resource part may
//! itself hold `:` and `/`.

use crate::account::is_account_id;

/// A borrowed view of an ARN's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: &'a str,
    /// Service namespace (`s3`, `iam`, `sts`).
    pub service: &'a str,
    /// Region; empty for global resources.
    pub region: &'a str,
    /// Account id; empty for S3 buckets and objects.
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits a full ARN; `None` when the text is not `arn:` followed by five more parts.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }

    /// The account part when it is an account id (it is empty for S3 buckets and AWS
    /// managed policies, `aws` in some service ARNs).
    pub fn account_id(&self) -> Option<&'a str> {
        Some(self.account).filter(|a| is_account_id(a))
    }
}

/// The account id an ARN names, if it is an ARN and its account part is an account id.
pub fn account_of(text: &str) -> Option<&str> {
    Arn::parse(text)?.account_id()
}

/// The six parts of a full ARN (`arn`, partition, service, region, account, resource;
/// the resource keeps any further colons); `None` when the text is not an ARN.
pub fn arn_parts(text: &str) -> Option<[&str; 6]> {
    match split_arn(text) {
        (parts, 6) if parts[0] == "arn" => Some(parts),
        _ => None,
    }
}

/// Splits ARN-like text at its first five colons without allocating: the parts and how
/// many there are (the last keeps its colons). For patterns, which may be shorter than
/// a full ARN or not start with `arn`; unused slots are empty.
pub fn split_arn(text: &str) -> ([&str; 6], usize) {
    let mut out = [""; 6];
    let mut n = 0;
    for (slot, part) in out.iter_mut().zip(text.splitn(6, ':')) {
        *slot = part;
        n += 1;
    }
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_resource_part_with_colons_and_slashes() {
        let a = Arn::parse("arn:aws:logs:us-east-1:111111111111:log-group:/a/b:*").unwrap();
        assert_eq!(a.service, "logs");
        assert_eq!(a.resource, "log-group:/a/b:*");
        let b = Arn::parse("arn:aws:s3:::bucket/key").unwrap();
        assert_eq!(b.account, "");
        assert_eq!(b.resource, "bucket/key");
        assert!(Arn::parse("arn:aws:s3").is_none());
        assert!(Arn::parse("*").is_none());
    }

    #[test]
    fn split_counts_short_patterns_and_keeps_colons_in_the_resource() {
        assert_eq!(
            split_arn("arn:aws:s3"),
            (["arn", "aws", "s3", "", "", ""], 3)
        );
        assert_eq!(split_arn("a:b:c:d:e:f:g").0[5], "f:g");
        assert_eq!(
            arn_parts("arn:aws:sns:us-east-1:1:t"),
            Some(["arn", "aws", "sns", "us-east-1", "1", "t"])
        );
        assert_eq!(arn_parts("urn:aws:sns:us-east-1:1:t"), None);
        assert_eq!(arn_parts("arn:aws:sns"), None);
    }

    #[test]
    fn account_of_needs_an_arn_with_an_account_id() {
        assert_eq!(
            account_of("arn:aws:iam::111111111111:role/r"),
            Some("111111111111")
        );
        assert_eq!(account_of("arn:aws:s3:::bucket"), None);
        assert_eq!(account_of("arn:aws:iam::aws:policy/ReadOnlyAccess"), None);
        assert_eq!(account_of("arn:aws:iam::1111111111112:role/r"), None);
        assert_eq!(account_of("not:an:arn:x:111111111111:y"), None);
    }
}
