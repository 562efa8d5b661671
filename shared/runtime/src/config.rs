//! The functions' configuration, from the environment `template.yaml` sets (README,
//! "Configuration"). Read once per cold start; a missing required variable is an
//! error naming it, so a broken deployment fails its first invocation loudly.

use accessdrift_controller::Settings;
use accessdrift_drift::UNOWNED;
use accessdrift_drift::drift::DriftConfig;

/// A required variable is missing or empty.
#[derive(Debug, thiserror::Error)]
#[error(
    "environment variable `{0}` is not set; it comes from template.yaml (see README, Configuration)"
)]
pub struct MissingVariable(pub &'static str);

/// Everything the functions read from their environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `FINDINGS_TABLE`.
    pub findings_table: Option<String>,
    /// `DESIRED_TABLE`.
    pub desired_table: Option<String>,
    /// `NOTICE_TOPIC_ARN`.
    pub notice_topic_arn: Option<String>,
    /// `SNAPSHOT_BUCKET`.
    pub snapshot_bucket: Option<String>,
    /// `SWEEP_QUEUE_URL`.
    pub sweep_queue_url: Option<String>,
    /// `READ_ROLE_NAME` (default `accessdrift-read`).
    pub read_role_name: String,
    /// `READ_ROLE_EXTERNAL_ID`, if the member role requires one.
    pub read_role_external_id: Option<String>,
    /// `OWNER_TAG_KEYS` (comma-separated; default `owner,team`).
    pub owner_tag_keys: Vec<String>,
    /// `CLASSIFICATION_TAG_KEYS` (comma-separated).
    pub classification_tag_keys: Vec<String>,
    /// `FALLBACK_OWNER`: the owner attribute of notices about unowned resources
    /// (default `unowned`).
    pub fallback_owner: String,
    /// `SECURITY_OWNER`: the owner word of security's notices (default `security`).
    pub security_owner: String,
    /// `REGIONS` (comma-separated; empty = the function's region).
    pub regions: Vec<String>,
    /// `FINDING_EVENTS_BUS`: an event bus for finding state changes, if any.
    pub finding_events_bus: Option<String>,
    /// `SECURITY_HUB` = `true`: import findings into Security Hub.
    pub security_hub: bool,
    /// `COLLECT_CONCURRENCY`: AWS calls in flight per account (default 8).
    pub concurrency: usize,
}

fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Config {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (tests pass a map). Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Config {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let defaults = DriftConfig::default();
        let keys = |name: &str, default: Vec<String>| {
            let l = list(get(name));
            if l.is_empty() { default } else { l }
        };
        Config {
            findings_table: get("FINDINGS_TABLE"),
            desired_table: get("DESIRED_TABLE"),
            notice_topic_arn: get("NOTICE_TOPIC_ARN"),
            snapshot_bucket: get("SNAPSHOT_BUCKET"),
            sweep_queue_url: get("SWEEP_QUEUE_URL"),
            read_role_name: get("READ_ROLE_NAME").unwrap_or_else(|| "accessdrift-read".into()),
            read_role_external_id: get("READ_ROLE_EXTERNAL_ID"),
            owner_tag_keys: keys("OWNER_TAG_KEYS", defaults.owner_tag_keys),
            classification_tag_keys: keys(
                "CLASSIFICATION_TAG_KEYS",
                defaults.classification_tag_keys,
            ),
            fallback_owner: get("FALLBACK_OWNER").unwrap_or_else(|| UNOWNED.into()),
            security_owner: get("SECURITY_OWNER").unwrap_or_else(|| "security".into()),
            regions: list(get("REGIONS")),
            finding_events_bus: get("FINDING_EVENTS_BUS"),
            security_hub: get("SECURITY_HUB").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            concurrency: get("COLLECT_CONCURRENCY")
                .and_then(|v| v.parse().ok())
                .unwrap_or(8),
        }
    }

    /// The value of a required variable.
    pub fn require<'a>(
        value: &'a Option<String>,
        name: &'static str,
    ) -> Result<&'a str, MissingVariable> {
        value.as_deref().ok_or(MissingVariable(name))
    }

    /// How passes judge, given the Organization's accounts.
    pub fn settings(&self, org_accounts: impl IntoIterator<Item = String>) -> Settings {
        Settings {
            drift: DriftConfig {
                owner_tag_keys: self.owner_tag_keys.clone(),
                classification_tag_keys: self.classification_tag_keys.clone(),
            },
            org_accounts: org_accounts.into_iter().collect(),
            security_owner: self.security_owner.clone(),
            fallback_owner: self.fallback_owner.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn lists_are_trimmed_blanks_are_unset_and_defaults_fill_in() {
        let env: HashMap<&str, &str> = [
            ("FINDINGS_TABLE", "f"),
            ("DESIRED_TABLE", "  "),
            ("OWNER_TAG_KEYS", " team , owner,"),
            ("REGIONS", "eu-west-1,us-east-1"),
            ("SECURITY_HUB", "TRUE"),
        ]
        .into();
        let c = Config::from_lookup(|k| env.get(k).map(|v| v.to_string()));
        assert_eq!(c.findings_table.as_deref(), Some("f"));
        assert_eq!(c.desired_table, None);
        assert_eq!(c.owner_tag_keys, ["team", "owner"]);
        assert_eq!(c.regions, ["eu-west-1", "us-east-1"]);
        assert!(c.security_hub);
        assert_eq!(c.read_role_name, "accessdrift-read");
        assert_eq!(c.fallback_owner, "unowned");
        assert_eq!(
            c.classification_tag_keys,
            DriftConfig::default().classification_tag_keys
        );
        let e = Config::require(&c.desired_table, "DESIRED_TABLE").unwrap_err();
        assert!(e.to_string().contains("`DESIRED_TABLE` is not set"), "{e}");
    }
}
