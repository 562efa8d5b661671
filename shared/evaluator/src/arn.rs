//! ARNs split into their six parts, borrowed from the text (no allocation).
//!
//! AWS IAM User Guide, "IAM identifiers" / "Amazon Resource Names (ARNs)":
//! `arn:partition:service:region:account-id:resource`, where the resource part may
//! itself hold `:` and `/`.

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
}

/// The six parts of a full ARN (`arn`, partition, service, region, account, resource;
/// the resource keeps any further colons); `None` when the text is not an ARN.
pub fn arn_parts(text: &str) -> Option<[&str; 6]> {
    let mut it = text.splitn(6, ':');
    let parts = [
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ];
    (parts[0] == "arn").then_some(parts)
}

/// Splits ARN-like text into its colon-separated parts, at most six (the sixth keeps
/// its colons). Used for patterns, which may be shorter than a full ARN.
pub fn arn_segments(text: &str) -> Vec<&str> {
    text.splitn(6, ':').collect()
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
}
