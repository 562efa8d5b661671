//! S3's notion of a *public* bucket policy, which S3 Block Public Access acts on.
//!
//! Amazon S3 User Guide, "Blocking public access to your Amazon S3 storage", section
//! "The meaning of 'public'": a policy is non-public only if every `Allow` statement
//! grants to fixed values: specific principals, or a wildcard principal narrowed by a
//! condition on a fixed account, organization, VPC, VPC endpoint, source ARN, service,
//! or a non-broad IP range. Conditions that any caller can satisfy (tags, user names,
//! `aws:SecureTransport`) do not make a wildcard grant non-public; deny statements never
//! make a policy public or non-public.

use accessdrift_policy::{
    BaseOperator, Condition, Effect, Policy, Principals, SetQualifier, Statement,
};

/// Whether S3 considers the bucket policy public.
pub fn is_public_policy(policy: &Policy) -> bool {
    !public_statements(policy).is_empty()
}

/// The 1-based indices of the statements that make the policy public.
pub fn public_statements(policy: &Policy) -> Vec<usize> {
    policy
        .statements
        .iter()
        .filter(|s| statement_is_public(s))
        .map(|s| s.index)
        .collect()
}

fn statement_is_public(st: &Statement) -> bool {
    if st.effect != Effect::Allow {
        return false;
    }
    let Some(block) = &st.principal else {
        return false;
    };
    let wildcard = block.negated
        || match &block.principals {
            Principals::Any => true,
            Principals::Map(m) => {
                m.aws.iter().any(|a| a == "*") || m.canonical_user.iter().any(|a| a == "*")
            }
        };
    wildcard && !st.conditions.iter().any(condition_fixes_caller)
}

/// Whether one condition clause confines the grant to fixed callers.
fn condition_fixes_caller(c: &Condition) -> bool {
    let op = &c.operator;
    if op.if_exists || op.base.is_negated() || c.values.is_empty() {
        return false;
    }
    let key = c.key_lower.as_str();
    let positive_string = matches!(
        op.base,
        BaseOperator::StringEquals
            | BaseOperator::StringEqualsIgnoreCase
            | BaseOperator::StringLike
            | BaseOperator::ArnEquals
            | BaseOperator::ArnLike
    );
    let all = |f: &dyn Fn(&str) -> bool| c.values.iter().all(|v| f(v));
    let no_wildcard = |v: &str| !v.contains(['*', '?']);
    match key {
        "aws:principalaccount"
        | "aws:principalorgid"
        | "aws:sourcevpc"
        | "aws:sourcevpce"
        | "aws:sourceaccount"
        | "aws:vpceaccount"
        | "aws:vpceorgid"
        | "aws:sourceowner"
        | "aws:sourceorgid"
        | "s3:dataaccesspointaccount"
        | "aws:sourcearn"
        | "aws:sourcevpcarn"
        | "s3:dataaccesspointarn" => {
            positive_string && op.set != SetQualifier::ForAllValues && all(&no_wildcard)
        }
        "aws:principalarn" => {
            // A fixed account field is enough: `arn:aws:iam::111111111111:role/*`.
            positive_string
                && all(&|v: &str| {
                    let (parts, n) = accessdrift_primitives::arn::split_arn(v);
                    n == 6 && no_wildcard(parts[4]) && !parts[4].is_empty()
                })
        }
        "aws:principalorgpaths" | "aws:vpceorgpaths" | "aws:sourceorgpaths" => {
            positive_string
                && all(&|v: &str| {
                    v.split('/')
                        .next()
                        .is_some_and(|org| !org.is_empty() && no_wildcard(org))
                })
        }
        "aws:userid" => {
            positive_string
                && all(&|v: &str| {
                    v.split(':')
                        .next()
                        .is_some_and(|id| !id.is_empty() && no_wildcard(id))
                })
        }
        "aws:principalisawsservice" => {
            (positive_string || op.base == BaseOperator::Bool)
                && all(&|v: &str| v.eq_ignore_ascii_case("true"))
        }
        "aws:principalservicename" | "aws:principalservicenameslist" => {
            positive_string && op.set != SetQualifier::ForAllValues
        }
        "aws:sourceip" => op.base == BaseOperator::IpAddress && all(&narrow_ip_range),
        _ => false,
    }
}

/// An IP range is narrow enough to count as fixed when it is at least a /8 in IPv4 or a
/// /32 in IPv6 (broader ranges reach large parts of the internet).
fn narrow_ip_range(v: &str) -> bool {
    if let Ok(net) = v.parse::<ipnet::IpNet>() {
        return match net {
            ipnet::IpNet::V4(n) => n.prefix_len() >= 8,
            ipnet::IpNet::V6(n) => n.prefix_len() >= 32,
        };
    }
    v.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use accessdrift_policy::parse_policy_value;
    use serde_json::json;

    fn public(p: serde_json::Value) -> bool {
        is_public_policy(&parse_policy_value(&p).unwrap())
    }

    #[test]
    fn wildcard_principal_is_public_unless_fixed_by_condition() {
        assert!(public(
            json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}})
        ));
        assert!(!public(
            json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}})
        ));
        assert!(public(
            json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}})
        ));
        assert!(public(
            json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}}})
        ));
    }
}
