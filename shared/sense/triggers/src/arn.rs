//! ARNs as each service spells them, built from what a CloudTrail record names.

/// Builds ARNs in the event's account, region and partition.
pub(crate) struct Arns {
    partition: &'static str,
    account: String,
    region: String,
    s3_prefix: String,
}

impl Arns {
    /// For an event about `account`, recorded in `region`.
    pub fn new(account: &str, region: &str) -> Arns {
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        Arns {
            partition,
            account: account.to_string(),
            region: region.to_string(),
            s3_prefix: format!("arn:{partition}:s3:::"),
        }
    }

    /// The event's region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// `arn:aws:s3:::`, the prefix of bucket ARNs.
    pub fn s3_prefix(&self) -> &str {
        &self.s3_prefix
    }

    /// An IAM role, user or group from its name (without path: requests do not carry
    /// it), or the ARN itself when given one.
    pub fn iam(&self, kind: &str, name: &str) -> String {
        if name.starts_with("arn:") {
            return name.to_string();
        }
        format!("arn:{}:iam::{}:{kind}/{name}", self.partition, self.account)
    }

    /// A bucket from its name.
    pub fn bucket(&self, name: &str) -> String {
        format!("{}{name}", self.s3_prefix)
    }

    /// A regional resource named `name` directly after the account (SQS, SNS).
    pub fn regional(&self, service: &str, name: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{name}",
            self.partition, self.region, self.account
        )
    }

    /// A KMS key from a key id or key ARN; `None` for an alias, which names no key
    /// without a lookup.
    pub fn key(&self, key: &str) -> Option<String> {
        if key.starts_with("arn:") {
            return key.contains(":key/").then(|| key.to_string());
        }
        if key.starts_with("alias/") {
            return None;
        }
        Some(format!(
            "arn:{}:kms:{}:{}:key/{key}",
            self.partition, self.region, self.account
        ))
    }

    /// A queue from its URL: `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (also the
    /// legacy `REGION.queue.amazonaws.com` and `queue.amazonaws.com` hosts).
    pub fn queue_from_url(&self, url: &str) -> Option<String> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        let mut parts = rest.split('/').filter(|p| !p.is_empty());
        let host = parts.next()?;
        let account = parts.next().filter(|a| is_account_id(a))?;
        let name = parts.next()?;
        let labels: Vec<&str> = host.split('.').collect();
        let region = match labels.as_slice() {
            ["sqs", region, ..] if region.contains('-') => region,
            [region, "queue", ..] if region.contains('-') => region,
            _ => self.region.as_str(),
        };
        Some(format!(
            "arn:{}:sqs:{region}:{account}:{name}",
            self.partition
        ))
    }

    /// A secret from its ARN, or its name as a partial ARN (without the six random
    /// characters Secrets Manager appends).
    pub fn secret(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            return id.to_string();
        }
        format!(
            "arn:{}:secretsmanager:{}:{}:secret:{id}",
            self.partition, self.region, self.account
        )
    }

    /// A table from its name or ARN.
    pub fn table(&self, table: &str) -> String {
        if table.starts_with("arn:") {
            return table.to_string();
        }
        format!(
            "arn:{}:dynamodb:{}:{}:table/{table}",
            self.partition, self.region, self.account
        )
    }

    /// A function's unqualified ARN from any form Lambda accepts: `name`,
    /// `name:qualifier`, `ACCOUNT:function:name[:qualifier]` or the (qualified) ARN.
    pub fn function(&self, function: &str) -> Option<String> {
        let parts: Vec<&str> = function.split(':').collect();
        let (region, account, name) = match parts.as_slice() {
            ["arn", _, "lambda", region, account, "function", name, ..] => {
                (*region, *account, *name)
            }
            [account, "function", name, ..] => (self.region.as_str(), *account, *name),
            [name] | [name, _] => (self.region.as_str(), self.account.as_str(), *name),
            _ => return None,
        };
        if name.is_empty() {
            return None;
        }
        Some(format!(
            "arn:{}:lambda:{region}:{account}:function:{name}",
            self.partition
        ))
    }
}

pub(crate) use accessdrift_primitives::{account_of, is_account_id};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_in_every_form_lambda_accepts() {
        let a = Arns::new("222222222222", "eu-west-1");
        let want = "arn:aws:lambda:eu-west-1:222222222222:function:scorer";
        for f in [
            "scorer",
            "scorer:live",
            "222222222222:function:scorer",
            "222222222222:function:scorer:3",
            "arn:aws:lambda:eu-west-1:222222222222:function:scorer",
            "arn:aws:lambda:eu-west-1:222222222222:function:scorer:live",
        ] {
            assert_eq!(a.function(f).as_deref(), Some(want), "{f}");
        }
        assert_eq!(a.function("a:b:c:d"), None);
    }

    #[test]
    fn queues_from_every_url_form() {
        let a = Arns::new("111111111111", "us-east-1");
        for (url, want) in [
            (
                "https://sqs.eu-west-1.amazonaws.com/222222222222/q",
                "arn:aws:sqs:eu-west-1:222222222222:q",
            ),
            (
                "https://eu-west-1.queue.amazonaws.com/222222222222/q",
                "arn:aws:sqs:eu-west-1:222222222222:q",
            ),
            (
                "https://queue.amazonaws.com/222222222222/q",
                "arn:aws:sqs:us-east-1:222222222222:q",
            ),
        ] {
            assert_eq!(a.queue_from_url(url).as_deref(), Some(want), "{url}");
        }
        assert_eq!(a.queue_from_url("sqs/q"), None);
    }

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(
            Arns::new("222222222222", "cn-north-1").bucket("b"),
            "arn:aws-cn:s3:::b"
        );
        assert_eq!(
            Arns::new("222222222222", "us-gov-west-1").iam("role", "r"),
            "arn:aws-us-gov:iam::222222222222:role/r"
        );
    }

    #[test]
    fn keys_by_id_or_arn_but_not_alias() {
        let a = Arns::new("222222222222", "us-east-1");
        assert_eq!(
            a.key("1234abcd").as_deref(),
            Some("arn:aws:kms:us-east-1:222222222222:key/1234abcd")
        );
        assert_eq!(a.key("alias/x"), None);
        assert_eq!(a.key("arn:aws:kms:us-east-1:222222222222:alias/x"), None);
    }
}
