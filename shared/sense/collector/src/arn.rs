//! Which resource or principal an ARN names, for partial collection. Pure.

use accessdrift_primitives::arn_parts;

use accessdrift_snapshot::PrincipalKind;
use accessdrift_snapshot::document::ResourceType;

/// The parts of a resource ARN the collector needs to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceRef {
    /// What it is.
    pub(crate) kind: ResourceType,
    /// The region (empty for S3, whose bucket region is looked up).
    pub(crate) region: String,
    /// The account (empty for S3).
    pub(crate) account: String,
    /// The name or id the service's API takes: bucket, key id, table, queue name;
    /// the whole ARN for topics and secrets; the function name.
    pub(crate) id: String,
}

/// Splits a resource ARN into what the collector needs, or says why it cannot.
pub(crate) fn parse_resource_arn(arn: &str) -> Result<ResourceRef, String> {
    let Some([_, _partition, service, region, account, rest]) = arn_parts(arn) else {
        return Err(
            "it does not have the six parts `arn:partition:service:region:account:resource`".into(),
        );
    };
    let regional = |kind: ResourceType, id: &str| {
        if region.is_empty() || account.is_empty() || id.is_empty() {
            Err(format!(
                "a {} ARN needs a region, an account and a name",
                kind.service()
            ))
        } else {
            Ok(ResourceRef {
                kind,
                region: region.to_string(),
                account: account.to_string(),
                id: id.to_string(),
            })
        }
    };
    match service {
        "s3" if !rest.is_empty() && !rest.contains('/') && region.is_empty() && account.is_empty() => {
            Ok(ResourceRef {
                kind: ResourceType::S3Bucket,
                region: String::new(),
                account: String::new(),
                id: rest.to_string(),
            })
        }
        "s3" => Err("only bucket ARNs (`arn:aws:s3:::bucket`) are collected".into()),
        "kms" => match rest.strip_prefix("key/") {
            Some(id) => regional(ResourceType::KmsKey, id),
            None => Err("only key ARNs (`...:key/<id>`) are collected, not aliases".into()),
        },
        "dynamodb" => match rest.strip_prefix("table/") {
            Some(name) if !name.contains('/') => regional(ResourceType::DynamoDbTable, name),
            _ => Err("only table ARNs (`...:table/<name>`) are collected; indexes and streams go with their table".into()),
        },
        "sqs" => regional(ResourceType::SqsQueue, rest),
        "sns" if !rest.contains(':') => regional(ResourceType::SnsTopic, arn),
        "sns" => Err("only topic ARNs are collected, not subscriptions".into()),
        "secretsmanager" if rest.starts_with("secret:") => regional(ResourceType::Secret, arn),
        "lambda" => match rest.strip_prefix("function:") {
            Some(name) if !name.contains(':') => regional(ResourceType::LambdaFunction, name),
            _ => Err("only unqualified function ARNs (`...:function:<name>`) are collected, not versions or aliases".into()),
        },
        _ => Err(format!(
            "the collector reads {}",
            ResourceType::ALL.map(ResourceType::type_name).join(", ")
        )),
    }
}

/// The kind, name and account of an IAM user or role ARN.
pub(crate) fn parse_principal_arn(arn: &str) -> Result<(PrincipalKind, String, String), String> {
    let Some([_, _, "iam", "", account, rest]) = arn_parts(arn) else {
        return Err(
            "give an IAM user or role ARN (`arn:aws:iam::<account>:role/<path/name>`)".into(),
        );
    };
    let (kind, path_name) = if let Some(r) = rest.strip_prefix("role/") {
        (PrincipalKind::Role, r)
    } else if let Some(u) = rest.strip_prefix("user/") {
        (PrincipalKind::User, u)
    } else {
        return Err("only IAM users and roles are collected as principals".into());
    };
    let name = path_name.rsplit('/').next().unwrap_or_default();
    if name.is_empty() || account.is_empty() {
        return Err("the ARN has no account or no name".into());
    }
    Ok((kind, name.to_string(), account.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_arns_of_each_type() {
        let r = parse_resource_arn("arn:aws:s3:::credit-applications").unwrap();
        assert_eq!(
            (r.kind, r.id.as_str()),
            (ResourceType::S3Bucket, "credit-applications")
        );
        let r = parse_resource_arn("arn:aws:kms:eu-west-1:111111111111:key/1234-ab").unwrap();
        assert_eq!(
            (r.kind, r.region.as_str(), r.account.as_str(), r.id.as_str()),
            (ResourceType::KmsKey, "eu-west-1", "111111111111", "1234-ab")
        );
        let r = parse_resource_arn("arn:aws:dynamodb:us-east-1:111111111111:table/t").unwrap();
        assert_eq!((r.kind, r.id.as_str()), (ResourceType::DynamoDbTable, "t"));
        let r = parse_resource_arn("arn:aws:sqs:us-east-1:111111111111:q").unwrap();
        assert_eq!((r.kind, r.id.as_str()), (ResourceType::SqsQueue, "q"));
        let topic = "arn:aws:sns:us-east-1:111111111111:t";
        assert_eq!(parse_resource_arn(topic).unwrap().id, topic);
        let secret = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf";
        assert_eq!(
            parse_resource_arn(secret).unwrap().kind,
            ResourceType::Secret
        );
        let r = parse_resource_arn("arn:aws:lambda:us-east-1:111111111111:function:f").unwrap();
        assert_eq!((r.kind, r.id.as_str()), (ResourceType::LambdaFunction, "f"));
    }

    #[test]
    fn unsupported_arns_say_why() {
        for (arn, reason) in [
            ("arn:aws:s3:::b/key", "only bucket ARNs"),
            ("arn:aws:kms:us-east-1:111111111111:alias/x", "not aliases"),
            (
                "arn:aws:dynamodb:us-east-1:111111111111:table/t/index/i",
                "indexes and streams",
            ),
            (
                "arn:aws:lambda:us-east-1:111111111111:function:f:1",
                "not versions or aliases",
            ),
            (
                "arn:aws:sns:us-east-1:111111111111:t:sub-id",
                "not subscriptions",
            ),
            (
                "arn:aws:ec2:us-east-1:111111111111:instance/i-1",
                "the collector reads AWS::S3::Bucket",
            ),
            ("not-an-arn", "six parts"),
        ] {
            let e = parse_resource_arn(arn).unwrap_err();
            assert!(e.contains(reason), "{arn}: {e}");
        }
    }

    #[test]
    fn principal_arns() {
        assert_eq!(
            parse_principal_arn("arn:aws:iam::111111111111:role/svc/worker").unwrap(),
            (
                PrincipalKind::Role,
                "worker".to_string(),
                "111111111111".to_string()
            )
        );
        assert_eq!(
            parse_principal_arn("arn:aws:iam::111111111111:user/alice")
                .unwrap()
                .0,
            PrincipalKind::User
        );
        assert!(parse_principal_arn("arn:aws:iam::111111111111:group/ops").is_err());
        assert!(parse_principal_arn("arn:aws:sts::111111111111:assumed-role/r/s").is_err());
    }
}
