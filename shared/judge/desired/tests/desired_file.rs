//! The desired-state file as a team sees it: the example in the repository, a file
//! with several mistakes, JSON input, export and re-import, baselines and patterns.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use accessdrift_access::{Access, Row};
use accessdrift_capabilities::Capability;
use accessdrift_desired::{
    BaselineSelect, ConstraintRule, DesiredErrors, DesiredState, Location, baseline, normalized,
    parse_desired, principal_matches, to_yaml,
};

const EXAMPLE: &str = include_str!("../../../../examples/desired-state.yaml");

const BUCKET: &str = "arn:aws:s3:::credit-applications";
const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9";
const TABLE: &str = "arn:aws:dynamodb:us-east-1:111111111111:table/credit-decisions";
const PROCESSOR: &str = "arn:aws:iam::111111111111:role/credit-processor";
const ADMIN: &str = "arn:aws:iam::111111111111:role/admin";
const CI_ANYWHERE: &str = "arn:aws:iam::*:role/ci";

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The state with every location cleared, for comparing content.
fn without_locations(state: &DesiredState) -> DesiredState {
    let mut state = state.clone();
    for r in &mut state.resources {
        r.location = Location::default();
    }
    for c in &mut state.constraints {
        c.location = Location::default();
    }
    state
}

fn rejected(text: &str, file: &str) -> DesiredErrors {
    match parse_desired(text, file) {
        Ok(state) => panic!("accepted: {state:#?}"),
        Err(e) => e,
    }
}

#[test]
fn example_file_parses_with_lines() {
    let state = parse_desired(EXAMPLE, "examples/desired-state.yaml").unwrap();

    let arns: Vec<&str> = state.resources.iter().map(|r| r.arn.as_str()).collect();
    assert_eq!(arns, vec![BUCKET, KEY, TABLE]);

    let bucket = &state.resources[0];
    assert_eq!(bucket.owner.as_deref(), Some("credit-team"));
    assert_eq!(bucket.classification.as_deref(), Some("Confidential"));
    assert_eq!(
        bucket.location,
        Location {
            file: "examples/desired-state.yaml".into(),
            line: line_of(EXAMPLE, &format!("- arn: {BUCKET}")),
        }
    );
    assert_eq!(
        bucket.capabilities,
        BTreeMap::from([
            (Capability::AdministerResource, strings(&[ADMIN])),
            (Capability::ReadData, strings(&[PROCESSOR])),
            (Capability::WriteData, strings(&[PROCESSOR, CI_ANYWHERE])),
        ])
    );
    assert_eq!(
        state.resources[1].capabilities[&Capability::UseResource],
        strings(&[PROCESSOR])
    );
    assert_eq!(
        state.resources[2].location.line,
        line_of(EXAMPLE, &format!("- arn: {TABLE}"))
    );

    let rules: Vec<(&str, ConstraintRule, usize)> = state
        .constraints
        .iter()
        .map(|c| (c.classification.as_str(), c.rule.clone(), c.location.line))
        .collect();
    assert_eq!(
        rules,
        vec![
            (
                "Confidential",
                ConstraintRule::MaxPrincipals {
                    capability: Capability::ReadData,
                    max: 5
                },
                line_of(EXAMPLE, "read-data: 5"),
            ),
            (
                "Confidential",
                ConstraintRule::NoExternalAccess,
                line_of(EXAMPLE, "no-external-access: true"),
            ),
            (
                "Confidential",
                ConstraintRule::NoPublicAccess,
                line_of(EXAMPLE, "no-public-access: true"),
            ),
        ]
    );
}

#[test]
fn four_mistakes_are_all_reported_at_once() {
    let text = "\
version: 1
resources:
  - arn: arn:aws:s3:::credit-applications
    owner: credit-team
    capabilities:
      read-everything:
        - arn:aws:iam::111111111111:role/credit-processor
      write-data:
        - arn:aws:iam::111111111111:role/ci
        - arn:aws:iam::111111111111:role/ci
  - arn: arn:aws:dynamodb:us-east-1:table/credit-decisions
    owner: credit-team
  - arn: arn:aws:s3:::credit-applications
";
    let errors = rejected(text, "desired/credit.yaml");
    let got: Vec<(usize, &str)> = errors
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (6, "resources[0].capabilities.read-everything"),
            (10, "resources[0].capabilities.write-data[1]"),
            (11, "resources[1].arn"),
            (13, "resources[2].arn"),
        ],
        "{errors}"
    );
    let shown = errors.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines[0],
        "desired state `desired/credit.yaml` rejected: 4 errors"
    );
    assert_eq!(
        lines[1],
        "desired/credit.yaml:6: resources[0].capabilities.read-everything: unknown capability \
         `read-everything` (expected one of: administer-resource, read-config, read-data, \
         list-data, write-data, delete-data, use-resource)"
    );
    assert!(
        lines[2].starts_with(
            "desired/credit.yaml:10: resources[0].capabilities.write-data[1]: duplicate principal \
             `arn:aws:iam::111111111111:role/ci` (already listed at line 9)"
        ),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with(
            "desired/credit.yaml:11: resources[1].arn: malformed ARN \
             `arn:aws:dynamodb:us-east-1:table/credit-decisions`"
        ),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with(
            "desired/credit.yaml:13: resources[2].arn: duplicate resource \
             `arn:aws:s3:::credit-applications` (first at line 3)"
        ),
        "{}",
        lines[4]
    );
}

#[test]
fn bad_principals_and_constraints_have_their_lines() {
    let text = "\
version: 1
constraints:
  - classification: Confidential
    max-principals: {read-data: many}
    no-public-access: maybe
resources:
  - arn: arn:aws:s3:::b
    capabilities:
      read-data: [credit-processor, '*', '111111111111', lambda.amazonaws.com]
      use-resource:
        - arn:aws:s3:::not-a-principal
";
    let errors = rejected(text, "d.yaml");
    let got: Vec<(usize, &str)> = errors
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (4, "constraints[0].max-principals.read-data"),
            (5, "constraints[0].no-public-access"),
            (9, "resources[0].capabilities.read-data[0]"),
            (11, "resources[0].capabilities.use-resource[0]"),
        ],
        "{errors}"
    );
}

#[test]
fn json_is_accepted_with_lines() {
    let text = r#"{
  "version": 1,
  "constraints": [
    {"classification": "Confidential", "no-public-access": true}
  ],
  "resources": [
    {
      "arn": "arn:aws:s3:::credit-applications",
      "owner": "credit-team",
      "capabilities": {
        "read-data": ["arn:aws:iam::111111111111:role/credit-processor"],
        "write-data": ["arn:aws:iam::111111111111:role/credit-processor", "arn:aws:iam::*:role/ci"]
      }
    }
  ]
}
"#;
    let state = parse_desired(text, "desired.json").unwrap();
    assert_eq!(state.resources.len(), 1);
    assert_eq!(state.resources[0].location.line, 7);
    assert_eq!(
        state.resources[0].capabilities[&Capability::WriteData],
        strings(&[PROCESSOR, CI_ANYWHERE])
    );
    assert_eq!(state.constraints[0].rule, ConstraintRule::NoPublicAccess);
    assert_eq!(state.constraints[0].location.line, 4);

    let bad = text.replace("\"read-data\"", "\"read-everything\"");
    let errors = rejected(&bad, "desired.json");
    assert_eq!(errors.errors.len(), 1, "{errors}");
    assert_eq!(errors.errors[0].line, 11);
    assert_eq!(
        errors.errors[0].field,
        "resources[0].capabilities.read-everything"
    );
}

#[test]
fn yaml_syntax_error_names_its_line() {
    let text =
        "version: 1\nresources:\n  - arn: arn:aws:s3:::b\n    capabilities: {read-data: [x\n";
    let errors = rejected(text, "d.yaml");
    assert_eq!(errors.errors.len(), 1, "{errors}");
    assert!(errors.errors[0].line >= 4, "{errors}");
    assert!(
        errors.errors[0].message.starts_with("invalid YAML"),
        "{errors}"
    );
}

#[test]
fn export_round_trips() {
    let state = parse_desired(EXAMPLE, "examples/desired-state.yaml").unwrap();
    let yaml = to_yaml(&state);
    let again = parse_desired(&yaml, "exported.yaml").unwrap();
    assert_eq!(without_locations(&again), normalized(&state));
    assert_eq!(to_yaml(&again), yaml, "export is deterministic");

    // Principals come out sorted; `*` and account ids are quoted.
    let odd = "\
version: 1
resources:
  - arn: arn:aws:sqs:us-east-1:111111111111:q
    owner: '12345'
    classification: 'true'
    capabilities:
      use-resource: ['*', '222222222222', sns.amazonaws.com]
      read-config: []
";
    let state = parse_desired(odd, "odd.yaml").unwrap();
    let yaml = to_yaml(&state);
    assert!(yaml.contains("- \"*\"\n"), "{yaml}");
    assert!(yaml.contains("- \"222222222222\"\n"), "{yaml}");
    let again = parse_desired(&yaml, "exported.yaml").unwrap();
    assert_eq!(without_locations(&again), normalized(&state));
    assert_eq!(again.resources[0].owner.as_deref(), Some("12345"), "{yaml}");
}

fn row(principal: &str, resource: &str, capability: Capability, access: Access) -> Row {
    Row {
        principal: Arc::from(principal),
        resource: Arc::from(resource),
        capability,
        access,
        conditions: None,
        actions: Arc::from(Vec::<&'static str>::new()),
        grants: Arc::from(Vec::new()),
        requires: Vec::new(),
        keys: None,
    }
}

#[test]
fn baseline_takes_todays_access_of_the_chosen_resources() {
    let queue = "arn:aws:sqs:us-east-1:222222222222:other-team-queue";
    let rows = vec![
        row(PROCESSOR, TABLE, Capability::WriteData, Access::Allowed),
        row(PROCESSOR, BUCKET, Capability::ReadData, Access::Conditional),
        row(
            "arn:aws:iam::111111111111:role/ci",
            BUCKET,
            Capability::WriteData,
            Access::Conditional,
        ),
        row(
            PROCESSOR,
            BUCKET,
            Capability::WriteData,
            Access::Conditional,
        ),
        row(PROCESSOR, TABLE, Capability::ReadData, Access::Allowed),
        row(PROCESSOR, TABLE, Capability::ReadData, Access::Allowed),
        row("*", queue, Capability::WriteData, Access::Allowed),
        row(
            "sns.amazonaws.com",
            queue,
            Capability::WriteData,
            Access::Allowed,
        ),
    ];
    let owners = BTreeMap::from([
        (BUCKET.to_string(), "credit-team".to_string()),
        (TABLE.to_string(), "credit-team".to_string()),
        (KEY.to_string(), "credit-team".to_string()),
        (queue.to_string(), "other-team".to_string()),
    ]);
    let classifications = BTreeMap::from([(BUCKET.to_string(), "Confidential".to_string())]);

    let select = BaselineSelect {
        owner: Some("credit-team".into()),
        ..BaselineSelect::default()
    };
    let state = baseline(&rows, &select, &owners, &classifications);
    let arns: Vec<&str> = state.resources.iter().map(|r| r.arn.as_str()).collect();
    assert_eq!(arns, vec![TABLE, KEY, BUCKET], "sorted by ARN");
    let table = &state.resources[0];
    assert_eq!(table.owner.as_deref(), Some("credit-team"));
    assert_eq!(table.classification, None);
    assert_eq!(
        table.capabilities,
        BTreeMap::from([
            (Capability::ReadData, strings(&[PROCESSOR])),
            (Capability::WriteData, strings(&[PROCESSOR])),
        ])
    );
    assert!(
        state.resources[1].capabilities.is_empty(),
        "a tagged key nobody can use today"
    );
    let bucket = &state.resources[2];
    assert_eq!(bucket.classification.as_deref(), Some("Confidential"));
    assert_eq!(
        bucket.capabilities[&Capability::WriteData],
        strings(&["arn:aws:iam::111111111111:role/ci", PROCESSOR])
    );
    assert!(state.constraints.is_empty());

    // Exported and re-imported, a baseline is the same state.
    let again = parse_desired(&to_yaml(&state), "baseline.yaml").unwrap();
    assert_eq!(without_locations(&again), state);

    // Filters combine: account and ARN.
    let by_account = BaselineSelect {
        account: Some("222222222222".into()),
        ..BaselineSelect::default()
    };
    let state = baseline(&rows, &by_account, &owners, &classifications);
    let arns: Vec<&str> = state.resources.iter().map(|r| r.arn.as_str()).collect();
    assert_eq!(arns, vec![BUCKET, queue], "buckets carry no account");
    assert_eq!(
        state.resources[1].capabilities[&Capability::WriteData],
        strings(&["*", "sns.amazonaws.com"])
    );
    let by_arn = BaselineSelect {
        owner: Some("credit-team".into()),
        arns: vec![TABLE.into(), queue.into()],
        ..BaselineSelect::default()
    };
    let state = baseline(&rows, &by_arn, &owners, &classifications);
    let arns: Vec<&str> = state.resources.iter().map(|r| r.arn.as_str()).collect();
    assert_eq!(arns, vec![TABLE]);

    // Same rows in another order give the same state.
    let mut reversed = rows.clone();
    reversed.reverse();
    assert_eq!(
        baseline(&reversed, &select, &owners, &classifications),
        baseline(&rows, &select, &owners, &classifications)
    );
}

#[test]
fn principal_patterns() {
    let cases = [
        ("*", "arn:aws:iam::111111111111:role/anything", true),
        ("*", "*", true),
        ("*", "lambda.amazonaws.com", true),
        (CI_ANYWHERE, "arn:aws:iam::111111111111:role/ci", true),
        (CI_ANYWHERE, "arn:aws:iam::222222222222:role/ci", true),
        (
            CI_ANYWHERE,
            "arn:aws:iam::222222222222:role/ci-admin",
            false,
        ),
        (CI_ANYWHERE, "arn:aws:iam::222222222222:user/ci", false),
        (CI_ANYWHERE, "*", false),
        (
            "arn:aws:iam::111111111111:role/team-*",
            "arn:aws:iam::111111111111:role/team-a",
            true,
        ),
        (
            "arn:aws:iam::111111111111:role/*",
            "arn:aws:iam::111111111111:role/service-role/x",
            true,
        ),
        (
            "arn:aws:iam::111111111111:role/*",
            "arn:aws:iam::222222222222:role/x",
            false,
        ),
        (
            "arn:aws:iam::1111*:root",
            "arn:aws:iam::111122223333:root",
            true,
        ),
        (
            "arn:aws:iam::*:root",
            "arn:aws:iam::111111111111:role/x",
            false,
        ),
        ("111111111111", "arn:aws:iam::111111111111:root", true),
        ("111111111111", "arn:aws-cn:iam::111111111111:root", true),
        (
            "111111111111",
            "arn:aws:iam::111111111111:role/admin",
            false,
        ),
        ("111111111111", "arn:aws:iam::222222222222:root", false),
        (PROCESSOR, PROCESSOR, true),
        (
            PROCESSOR,
            "arn:aws:iam::111111111111:role/Credit-Processor",
            false,
        ),
        ("lambda.amazonaws.com", "lambda.amazonaws.com", true),
        ("lambda.amazonaws.com", "sns.amazonaws.com", false),
    ];
    for (pattern, principal, expected) in cases {
        assert_eq!(
            principal_matches(pattern, principal),
            expected,
            "{pattern} vs {principal}"
        );
    }
}

/// Issue 11: owner words and ARNs from a desired-state file reach notices, terminals
/// and filter policies, so the file may only hold ones that are safe everywhere; each
/// error names the file and line, and shows the offending text escaped.
#[test]
fn hostile_owner_words_and_arns_are_refused_with_file_and_line() {
    let long = format!("arn:aws:s3:::{}", "a".repeat(2100));
    for (entry, expected) in [
        ("    owner: \"<!channel>\"\n", "is not an owner word"),
        ("    owner: \"credit team\"\n", "is not an owner word"),
        ("    owner: \"-team\"\n", "is not an owner word"),
        (
            &format!("    owner: {}\n", "x".repeat(65)),
            "is not an owner word",
        ),
        ("    owner: \"team\\u001b[2J\"\n", "is not an owner word"),
    ] {
        let text = format!("version: 1\nresources:\n  - arn: arn:aws:s3:::b\n{entry}");
        let err = parse_desired(&text, "hostile.yaml").unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("hostile.yaml:4"), "{shown}");
        assert!(shown.contains(expected), "{shown}");
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
    }
    for arn in [
        "\"arn:aws:s3:::b\\u001b[31m\"".to_string(),
        "\"arn:aws:s3:::b\\u202e\"".to_string(),
        long,
    ] {
        let text = format!("version: 1\nresources:\n  - arn: {arn}\n    owner: team\n");
        let err = parse_desired(&text, "hostile.yaml").unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("hostile.yaml:3"), "{shown}");
        assert!(!shown.contains(['\u{1b}', '\u{202e}']), "{shown:?}");
    }
    let principal = "version: 1\nresources:\n  - arn: arn:aws:s3:::b\n    capabilities:\n      read-data: [\"arn:aws:iam::111111111111:role/a\\u0007\"]\n";
    let err = parse_desired(principal, "hostile.yaml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("control or text-direction"), "{err}");
    // The words teams use are fine.
    for owner in ["credit-team", "security", "risk.team_2", "12345"] {
        let text = format!("version: 1\nresources:\n  - arn: arn:aws:s3:::b\n    owner: {owner}\n");
        assert!(parse_desired(&text, "ok.yaml").is_ok(), "{owner}");
    }
}
