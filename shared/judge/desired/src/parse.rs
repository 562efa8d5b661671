//! Reading and checking a desired-state file: every mistake is collected (with its
//! line and field path) before the file is rejected, so a team fixes them in one go.

use std::collections::{BTreeMap, HashMap};

use accessdrift_capabilities::Capability;

use crate::arn::{check_principal, check_resource_arn};
use crate::state::{Constraint, ConstraintRule, DesiredResource, DesiredState, Location};
use crate::tree::{Kind, Node, load};
use crate::{DesiredError, DesiredErrors};

/// The format version this code reads and writes.
pub(super) const VERSION: u64 = 1;

const TOP_KEYS: [&str; 3] = ["version", "constraints", "resources"];
const RESOURCE_KEYS: [&str; 4] = ["arn", "owner", "classification", "capabilities"];
const CONSTRAINT_KEYS: [&str; 4] = [
    "classification",
    "max-principals",
    "no-external-access",
    "no-public-access",
];

/// Reads a desired-state file (YAML, or JSON, which is YAML) and checks it.
///
/// `file` is the name used in errors and in every entry's [`Location`]. On any
/// mistake nothing is returned but the full list of mistakes, sorted by line.
pub fn parse_desired(text: &str, file: &str) -> Result<DesiredState, DesiredErrors> {
    let mut checker = Checker {
        file,
        errors: Vec::new(),
    };
    let state = match load(text) {
        Err(e) => {
            checker.error(e.line, "", e.message);
            None
        }
        Ok(None) => {
            checker.error(
                1,
                "",
                "the file is empty; start with `version: 1` and list `resources`".to_string(),
            );
            None
        }
        Ok(Some(root)) => checker.top(&root),
    };
    match state {
        Some(state) if checker.errors.is_empty() => Ok(state),
        _ => {
            let mut errors = checker.errors;
            errors.sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.field.cmp(&b.field)));
            Err(DesiredErrors {
                file: file.to_string(),
                errors,
            })
        }
    }
}

/// The mistakes found so far.
struct Checker<'f> {
    file: &'f str,
    errors: Vec<DesiredError>,
}

/// The recognised entries of one mapping (first occurrence of each allowed key).
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The value of `key`, if present.
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }
}

/// `path.key`, or `key` at the top.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The closest word of `options` to `word`, when it is close enough to be a typo.
fn suggest<'a>(word: &str, options: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    options
        .into_iter()
        .map(|o| (edit_distance(word, o), o))
        .filter(|(d, o)| *d <= 2.max(o.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// `a, b, c`.
fn list(words: &[&str]) -> String {
    words.join(", ")
}

impl Checker<'_> {
    fn error(&mut self, line: usize, field: &str, message: String) {
        self.errors.push(DesiredError {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            message,
        });
    }

    fn location(&self, line: usize) -> Location {
        Location {
            file: self.file.to_string(),
            line,
        }
    }

    /// The entries of a mapping, reporting keys that are not strings, not allowed, or
    /// repeated. `None` (after reporting) if `node` is not a mapping.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        what: &str,
        allowed: &[&str],
    ) -> Option<Fields<'n>> {
        let Kind::Map(entries) = &node.kind else {
            self.error(
                node.line,
                path,
                format!(
                    "expected {what} (keys: {}), found {}",
                    list(allowed),
                    node.describe()
                ),
            );
            return None;
        };
        let mut fields = Fields {
            entries: Vec::new(),
        };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (key, value) in entries {
            let Some(name) = key.text() else {
                self.error(
                    key.line,
                    path,
                    format!(
                        "keys must be words ({}), found {}",
                        list(allowed),
                        key.describe()
                    ),
                );
                continue;
            };
            let field = join(path, name);
            if let Some(first) = seen.get(name) {
                self.error(
                    key.line,
                    &field,
                    format!("duplicate key `{name}` (first at line {first}); keep one"),
                );
                continue;
            }
            seen.insert(name, key.line);
            if !allowed.contains(&name) {
                let hint = match suggest(name, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? "),
                    None => String::new(),
                };
                self.error(
                    key.line,
                    &field,
                    format!(
                        "unknown key `{name}` ({hint}expected one of: {})",
                        list(allowed)
                    ),
                );
                continue;
            }
            fields.entries.push((name, key, value));
        }
        Some(fields)
    }

    /// A sequence's items; reports anything else.
    fn items<'n>(&mut self, node: &'n Node, path: &str, what: &str) -> Option<&'n [Node]> {
        match &node.kind {
            Kind::Seq(items) => Some(items),
            _ => {
                self.error(
                    node.line,
                    path,
                    format!("expected a list of {what}, found {}", node.describe()),
                );
                None
            }
        }
    }

    /// A non-empty string value.
    fn string(&mut self, node: &Node, path: &str, what: &str) -> Option<String> {
        match node.text() {
            Some(text) if !text.trim().is_empty() => Some(text.to_string()),
            _ => {
                self.error(
                    node.line,
                    path,
                    format!("expected {what}, found {}", node.describe()),
                );
                None
            }
        }
    }

    /// A string value that may be left out or null.
    fn optional_string(&mut self, node: Option<&Node>, path: &str, what: &str) -> Option<String> {
        node.filter(|n| !n.is_null())
            .and_then(|n| self.string(n, path, what))
    }

    /// `true` or `false`, unquoted.
    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match node.plain() {
            Some("true" | "True" | "TRUE") => Some(true),
            Some("false" | "False" | "FALSE") => Some(false),
            _ => {
                self.error(
                    node.line,
                    path,
                    format!("expected `true` or `false`, found {}", node.describe()),
                );
                None
            }
        }
    }

    fn top(&mut self, root: &Node) -> Option<DesiredState> {
        let fields = self.fields(root, "", "a mapping", &TOP_KEYS)?;
        match fields.get("version") {
            None => self.error(
                root.line,
                "version",
                format!("missing `version`; add `version: {VERSION}` at the top"),
            ),
            Some(v) => {
                if v.plain().and_then(|t| t.parse::<u64>().ok()) != Some(VERSION) {
                    self.error(
                        v.line,
                        "version",
                        format!(
                            "unsupported version {}; this accessdrift reads `version: {VERSION}`",
                            v.describe()
                        ),
                    );
                }
            }
        }
        let mut state = DesiredState::default();
        if let Some(node) = fields.get("constraints") {
            state.constraints = self.constraints(node);
        }
        if let Some(node) = fields.get("resources") {
            state.resources = self.resources(node);
        }
        Some(state)
    }

    fn resources(&mut self, node: &Node) -> Vec<DesiredResource> {
        let Some(items) = self.items(node, "resources", "resources (`- arn: ...`)") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("resources[{i}]");
            let Some(resource) = self.resource(item, &path) else {
                continue;
            };
            if let Some(first) = seen.get(&resource.arn) {
                self.error(
                    resource.location.line,
                    &format!("{path}.arn"),
                    format!(
                        "duplicate resource `{}` (first at line {first}); merge the two entries",
                        resource.arn
                    ),
                );
                continue;
            }
            seen.insert(resource.arn.clone(), resource.location.line);
            out.push(resource);
        }
        out
    }

    fn resource(&mut self, node: &Node, path: &str) -> Option<DesiredResource> {
        let fields = self.fields(node, path, "a resource", &RESOURCE_KEYS)?;
        let arn_path = join(path, "arn");
        let arn = match fields.get("arn") {
            None => {
                self.error(
                    node.line,
                    &arn_path,
                    "missing `arn`; add the resource's ARN".to_string(),
                );
                None
            }
            Some(n) => match self.string(n, &arn_path, "the resource's ARN") {
                Some(arn) => match check_resource_arn(&arn) {
                    Ok(()) => Some(arn),
                    Err(message) => {
                        self.error(n.line, &arn_path, message);
                        None
                    }
                },
                None => None,
            },
        };
        let owner = self
            .optional_string(
                fields.get("owner"),
                &join(path, "owner"),
                "the owning team's name",
            )
            .filter(|owner| {
                let ok = crate::is_owner_word(owner);
                if !ok && let Some(n) = fields.get("owner") {
                    self.error(
                        n.line,
                        &join(path, "owner"),
                        format!(
                            "`{}` is not an owner word: use 1 to {} letters, digits, `.`, `_` or \
                             `-`, starting with a letter or digit (such as `credit-team`)",
                            accessdrift_escape::plain(owner),
                            crate::MAX_OWNER_LEN
                        ),
                    );
                }
                ok
            });
        let classification = self.optional_string(
            fields.get("classification"),
            &join(path, "classification"),
            "a classification such as `Confidential`",
        );
        let capabilities = match fields.get("capabilities") {
            Some(n) if !n.is_null() => self.capabilities(n, &join(path, "capabilities")),
            _ => BTreeMap::new(),
        };
        Some(DesiredResource {
            arn: arn?,
            owner,
            classification,
            capabilities,
            location: self.location(node.line),
        })
    }

    /// Reports an unknown capability word, with the words that exist.
    fn unknown_capability(&mut self, line: usize, path: &str, word: &str) {
        let words: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
        let hint = match suggest(word, words.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? "),
            None => String::new(),
        };
        self.error(
            line,
            path,
            format!(
                "unknown capability `{word}` ({hint}expected one of: {})",
                list(&words)
            ),
        );
    }

    fn capabilities(&mut self, node: &Node, path: &str) -> BTreeMap<Capability, Vec<String>> {
        let mut out = BTreeMap::new();
        let words: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
        let Kind::Map(entries) = &node.kind else {
            self.error(
                node.line,
                path,
                format!(
                    "expected a mapping from capability ({}) to principals, found {}",
                    list(&words),
                    node.describe()
                ),
            );
            return out;
        };
        for (capability, _, value, field) in self.capability_keys(entries, path, "merge the lists")
        {
            out.insert(capability, self.principals(value, &field));
        }
        out
    }

    /// The entries of a mapping keyed by capability words, each with its capability,
    /// key, value and field path; a key that is not a capability word, or one given
    /// twice (`advice` says what to do), is an error and left out.
    fn capability_keys<'n>(
        &mut self,
        entries: &'n [(Node, Node)],
        path: &str,
        advice: &str,
    ) -> Vec<(Capability, &'n Node, &'n Node, String)> {
        let mut out = Vec::new();
        let mut seen: HashMap<Capability, usize> = HashMap::new();
        for (key, value) in entries {
            let Some(word) = key.text() else {
                self.error(
                    key.line,
                    path,
                    format!("expected a capability word, found {}", key.describe()),
                );
                continue;
            };
            let field = join(path, word);
            let Some(capability) = Capability::parse(word) else {
                self.unknown_capability(key.line, &field, word);
                continue;
            };
            if let Some(first) = seen.get(&capability) {
                self.error(
                    key.line,
                    &field,
                    format!("duplicate capability `{word}` (first at line {first}); {advice}"),
                );
                continue;
            }
            seen.insert(capability, key.line);
            out.push((capability, key, value, field));
        }
        out
    }

    /// A list of principals (a single string counts as a list of one).
    fn principals(&mut self, node: &Node, path: &str) -> Vec<String> {
        let single = std::slice::from_ref(node);
        let (items, indexed) = match &node.kind {
            Kind::Seq(items) => (items.as_slice(), true),
            Kind::Scalar { .. } if !node.is_null() => (single, false),
            _ => {
                self.error(
                    node.line,
                    path,
                    format!(
                        "expected a list of principals (write `[]` for nobody), found {}",
                        node.describe()
                    ),
                );
                return Vec::new();
            }
        };
        let mut out: Vec<String> = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let field = if indexed {
                format!("{path}[{i}]")
            } else {
                path.to_string()
            };
            let Some(entry) = item.text() else {
                self.error(
                    item.line,
                    &field,
                    format!("expected a principal, found {}", item.describe()),
                );
                continue;
            };
            if let Err(message) = check_principal(entry) {
                self.error(item.line, &field, message);
                continue;
            }
            if let Some(first) = seen.get(entry) {
                self.error(
                    item.line,
                    &field,
                    format!(
                        "duplicate principal `{entry}` (already listed at line {first}); remove one"
                    ),
                );
                continue;
            }
            seen.insert(entry, item.line);
            out.push(entry.to_string());
        }
        out
    }

    fn constraints(&mut self, node: &Node) -> Vec<Constraint> {
        let Some(items) = self.items(node, "constraints", "constraints (`- classification: ...`)")
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // (classification lowercased, rule name) -> line, to reject a rule given twice.
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("constraints[{i}]");
            for (constraint, field, rule_name) in self.constraint(item, &path) {
                let key = (constraint.classification.to_lowercase(), rule_name.clone());
                if let Some(first) = seen.get(&key) {
                    self.error(
                        constraint.location.line,
                        &field,
                        format!(
                            "duplicate rule `{rule_name}` for classification `{}` (first at line {first}); keep one",
                            constraint.classification
                        ),
                    );
                    continue;
                }
                seen.insert(key, constraint.location.line);
                out.push(constraint);
            }
        }
        out
    }

    /// One constraint entry's rules, each with its field path and rule name.
    fn constraint(&mut self, node: &Node, path: &str) -> Vec<(Constraint, String, String)> {
        let Some(fields) = self.fields(node, path, "a constraint", &CONSTRAINT_KEYS) else {
            return Vec::new();
        };
        let class_path = join(path, "classification");
        let classification = match fields.get("classification") {
            None => {
                self.error(
                    node.line,
                    &class_path,
                    "missing `classification`; name the classification the rules apply to"
                        .to_string(),
                );
                None
            }
            Some(n) => self.string(n, &class_path, "a classification such as `Confidential`"),
        };
        let mut rules: Vec<(ConstraintRule, usize, String, String)> = Vec::new();
        if let Some(n) = fields.get("max-principals") {
            rules.extend(self.max_principals(n, &join(path, "max-principals")));
        }
        for (key, rule) in [
            ("no-external-access", ConstraintRule::NoExternalAccess),
            ("no-public-access", ConstraintRule::NoPublicAccess),
        ] {
            if let Some(n) = fields.get(key) {
                let field = join(path, key);
                if self.boolean(n, &field) == Some(true) {
                    rules.push((rule, n.line, field, key.to_string()));
                }
            }
        }
        let has_rule = ["max-principals", "no-external-access", "no-public-access"]
            .iter()
            .any(|k| fields.get(k).is_some());
        if !has_rule {
            self.error(
                node.line,
                path,
                "a constraint needs a rule: `max-principals`, `no-external-access` or \
                 `no-public-access`"
                    .to_string(),
            );
        }
        let Some(classification) = classification else {
            return Vec::new();
        };
        rules
            .into_iter()
            .map(|(rule, line, field, name)| {
                (
                    Constraint {
                        classification: classification.clone(),
                        rule,
                        location: self.location(line),
                    },
                    field,
                    name,
                )
            })
            .collect()
    }

    /// `{capability: max, ...}`: one rule per capability, each with line, field and name.
    fn max_principals(
        &mut self,
        node: &Node,
        path: &str,
    ) -> Vec<(ConstraintRule, usize, String, String)> {
        let mut out = Vec::new();
        let Kind::Map(entries) = &node.kind else {
            self.error(
                node.line,
                path,
                format!(
                    "expected a mapping from capability to a number, such as `{{read-data: 5}}`, found {}",
                    node.describe()
                ),
            );
            return out;
        };
        for (capability, key, value, field) in self.capability_keys(entries, path, "keep one") {
            let word = key.text().unwrap_or(capability.as_str());
            let max = value.plain().and_then(|t| t.parse::<usize>().ok());
            match max {
                Some(max) => out.push((
                    ConstraintRule::MaxPrincipals { capability, max },
                    key.line,
                    field,
                    format!("max-principals.{word}"),
                )),
                None => self.error(
                    value.line,
                    &field,
                    format!(
                        "expected a whole number of principals, 0 or more, found {}",
                        value.describe()
                    ),
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<(usize, String, String)> {
        match parse_desired(text, "d.yaml") {
            Ok(state) => panic!("accepted: {state:?}"),
            Err(e) => e
                .errors
                .into_iter()
                .map(|e| (e.line, e.field, e.message))
                .collect(),
        }
    }

    fn one_error(text: &str) -> (usize, String, String) {
        let mut all = errors(text);
        assert_eq!(all.len(), 1, "{all:#?}");
        all.remove(0)
    }

    #[test]
    fn minimal_file() {
        let state = parse_desired("version: 1\n", "d.yaml").unwrap();
        assert_eq!(state, DesiredState::default());
    }

    #[test]
    fn resource_fields_and_location() {
        let text = "version: 1\nresources:\n  - arn: arn:aws:s3:::b\n    owner: team\n    \
                    capabilities:\n      read-data: arn:aws:iam::111111111111:role/r\n      \
                    write-data: []\n";
        let state = parse_desired(text, "d.yaml").unwrap();
        let r = &state.resources[0];
        assert_eq!(r.arn, "arn:aws:s3:::b");
        assert_eq!(r.owner.as_deref(), Some("team"));
        assert_eq!(r.classification, None);
        assert_eq!(
            r.location,
            Location {
                file: "d.yaml".into(),
                line: 3
            }
        );
        assert_eq!(
            r.capabilities[&Capability::ReadData],
            vec!["arn:aws:iam::111111111111:role/r".to_string()]
        );
        assert!(r.capabilities[&Capability::WriteData].is_empty());
    }

    #[test]
    fn version_is_required_and_must_be_1() {
        let (line, field, message) = one_error("resources: []\n");
        assert_eq!((line, field.as_str()), (1, "version"));
        assert!(message.contains("version: 1"), "{message}");
        let (line, _, message) = one_error("\nversion: 2\n");
        assert_eq!(line, 2);
        assert!(message.contains("unsupported version `2`"), "{message}");
        let (_, _, message) = one_error("version: '1'\n");
        assert!(message.contains("unsupported version"), "{message}");
    }

    #[test]
    fn unknown_keys_suggest_a_fix() {
        let (line, field, message) =
            one_error("version: 1\nresources:\n  - arn: arn:aws:s3:::b\n    ownr: t\n");
        assert_eq!((line, field.as_str()), (4, "resources[0].ownr"));
        assert!(message.contains("did you mean `owner`?"), "{message}");
        let (line, field, _) = one_error("version: 1\nresource: []\n");
        assert_eq!((line, field.as_str()), (2, "resource"));
    }

    #[test]
    fn unknown_capability_lists_the_words() {
        let (line, field, message) = one_error(
            "version: 1\nresources:\n  - arn: arn:aws:s3:::b\n    capabilities:\n      \
             read-everything: ['*']\n",
        );
        assert_eq!(
            (line, field.as_str()),
            (5, "resources[0].capabilities.read-everything")
        );
        assert!(
            message.starts_with("unknown capability `read-everything`"),
            "{message}"
        );
        assert!(message.contains(
            "administer-resource, read-config, read-data, list-data, write-data, delete-data, use-resource"
        ));
    }

    #[test]
    fn missing_arn_points_at_the_entry() {
        let (line, field, message) =
            one_error("version: 1\nresources:\n  - arn: arn:aws:s3:::a\n  - owner: t\n");
        assert_eq!((line, field.as_str()), (4, "resources[1].arn"));
        assert!(message.starts_with("missing `arn`"), "{message}");
    }

    #[test]
    fn duplicates_are_reported_where_repeated() {
        let all = errors(
            "version: 1\nresources:\n  - arn: arn:aws:s3:::a\n    capabilities:\n      \
             read-data:\n        - '*'\n        - '*'\n  - arn: arn:aws:s3:::a\n",
        );
        assert_eq!(all.len(), 2, "{all:#?}");
        assert_eq!(
            (all[0].0, all[0].1.as_str()),
            (7, "resources[0].capabilities.read-data[1]")
        );
        assert!(
            all[0].2.contains("already listed at line 6"),
            "{}",
            all[0].2
        );
        assert_eq!((all[1].0, all[1].1.as_str()), (8, "resources[1].arn"));
        assert!(all[1].2.contains("first at line 3"), "{}", all[1].2);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let (line, field, _) = one_error("version: 1\nversion: 1\n");
        assert_eq!((line, field.as_str()), (2, "version"));
        let (line, field, _) = one_error(
            "version: 1\nresources:\n  - arn: arn:aws:s3:::a\n    capabilities:\n      \
             read-data: []\n      read-data: []\n",
        );
        assert_eq!(
            (line, field.as_str()),
            (6, "resources[0].capabilities.read-data")
        );
    }

    #[test]
    fn constraints_expand_per_rule() {
        let text = "version: 1\nconstraints:\n  - classification: Confidential\n    \
                    max-principals: {read-data: 5, write-data: 0}\n    \
                    no-external-access: true\n    no-public-access: false\n";
        let state = parse_desired(text, "d.yaml").unwrap();
        let rules: Vec<_> = state
            .constraints
            .iter()
            .map(|c| (c.rule.clone(), c.location.line))
            .collect();
        assert_eq!(
            rules,
            vec![
                (
                    ConstraintRule::MaxPrincipals {
                        capability: Capability::ReadData,
                        max: 5
                    },
                    4
                ),
                (
                    ConstraintRule::MaxPrincipals {
                        capability: Capability::WriteData,
                        max: 0
                    },
                    4
                ),
                (ConstraintRule::NoExternalAccess, 5),
            ]
        );
    }

    #[test]
    fn constraint_values_are_checked() {
        let all = errors(
            "version: 1\nconstraints:\n  - classification: C\n    max-principals:\n      \
             read-data: -1\n      write-data: '3'\n    no-public-access: yes\n  - no-external-access: true\n",
        );
        let got: Vec<(usize, &str)> = all.iter().map(|e| (e.0, e.1.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (5, "constraints[0].max-principals.read-data"),
                (6, "constraints[0].max-principals.write-data"),
                (7, "constraints[0].no-public-access"),
                (8, "constraints[1].classification"),
            ],
            "{all:#?}"
        );
    }

    #[test]
    fn constraint_without_rule_and_repeated_rule() {
        let all = errors(
            "version: 1\nconstraints:\n  - classification: C\n  - classification: C\n    \
             no-public-access: true\n  - classification: c\n    no-public-access: true\n",
        );
        assert_eq!(all.len(), 2, "{all:#?}");
        assert_eq!((all[0].0, all[0].1.as_str()), (3, "constraints[0]"));
        assert_eq!(
            (all[1].0, all[1].1.as_str()),
            (7, "constraints[2].no-public-access")
        );
        assert!(all[1].2.contains("first at line 5"), "{}", all[1].2);
    }

    #[test]
    fn wrong_shapes_are_explained() {
        let (line, field, message) = one_error("version: 1\nresources: {arn: x}\n");
        assert_eq!((line, field.as_str()), (2, "resources"));
        assert!(
            message.contains("expected a list of resources"),
            "{message}"
        );
        let (_, field, message) = one_error("- a\n- b\n");
        assert_eq!(field, "");
        assert!(message.contains("found a list"), "{message}");
        let (line, field, message) = one_error(
            "version: 1\nresources:\n  - arn: arn:aws:s3:::a\n    capabilities:\n      read-data:\n",
        );
        assert_eq!(
            (line, field.as_str()),
            (5, "resources[0].capabilities.read-data")
        );
        assert!(message.contains("write `[]` for nobody"), "{message}");
    }

    #[test]
    fn syntax_and_empty() {
        let (line, field, message) = one_error("version: 1\nresources: [\n");
        assert_eq!(field, "");
        assert!(line >= 2, "{line}");
        assert!(message.starts_with("invalid YAML"), "{message}");
        let (line, _, message) = one_error("");
        assert_eq!(line, 1);
        assert!(message.contains("empty"), "{message}");
    }

    #[test]
    fn null_owner_is_absent() {
        let state = parse_desired(
            "{\"version\": 1, \"resources\": [{\"arn\": \"arn:aws:s3:::a\", \"owner\": null}]}",
            "d.json",
        )
        .unwrap();
        assert_eq!(state.resources[0].owner, None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("ownr", RESOURCE_KEYS), Some("owner"));
        assert_eq!(suggest("zzzzzzzz", RESOURCE_KEYS), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
