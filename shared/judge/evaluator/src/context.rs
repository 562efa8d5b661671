//! The request context: the condition keys of one request, and what is *not* known.
//!
//! AWS evaluates a real request whose keys are all either present or absent. An
//! analysis done ahead of time also meets keys it cannot know (the caller's IP, MFA,
//! the time): those are [`KeyState::Unknown`], and conditions on them evaluate to
//! "unknown" rather than silently to true or false (checklist item 27).
//!
//! Key names are case-insensitive (AWS IAM User Guide, "IAM JSON policy elements:
//! Condition": "Condition key names are not case-sensitive"), so keys are stored
//! lowercase and looked up by their lowercase form.

use std::sync::Arc;

/// One key's value: a single string, or a set for multi-valued keys (`aws:TagKeys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// A single-valued key.
    Single(String),
    /// A multi-valued key (possibly empty).
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice: one for a single value.
    pub fn as_slice(&self) -> &[String] {
        match self {
            ContextValue::Single(s) => std::slice::from_ref(s),
            ContextValue::Multi(v) => v,
        }
    }
}

/// What the evaluator knows about one key for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState<'a> {
    /// The key is in the request with this value.
    Present(&'a ContextValue),
    /// The key is known not to be in the request.
    Absent,
    /// The key is known to be present, but its value cannot be known ahead.
    PresentValueUnknown,
    /// Whether and with what value the key is present cannot be known ahead.
    Unknown,
}

/// How keys the context does not list are treated.
#[derive(Debug, Clone, Default)]
pub enum Mode {
    /// As AWS evaluates a real request: a key not given is absent.
    #[default]
    Strict,
    /// Analysis ahead of time: a key not given is unknown, unless a constraint says
    /// its presence (and value) is known. Shared, since one set serves many requests.
    Discovery(Arc<[KeyConstraint]>),
}

/// Narrows Discovery mode for keys matching `key`: `presence_known` makes a key the
/// context lacks absent; `value_known = false` makes even a given value unknown.
#[derive(Debug, Clone)]
pub struct KeyConstraint {
    /// Which keys the constraint covers.
    pub key: KeyMatcher,
    /// Whether the presence of the key is known (a missing key is then absent).
    pub presence_known: bool,
    /// Whether a given value is to be trusted (otherwise the value is unknown).
    pub value_known: bool,
}

/// A key name (case-insensitive) or a regular expression over key names.
#[derive(Debug, Clone)]
pub enum KeyMatcher {
    /// An exact key name, stored lowercase.
    Exact(String),
    /// Every key starting with this lowercase prefix (`aws:principaltag/`): cheaper than
    /// a pattern for the engine's own constraints.
    Prefix(String),
    /// A pattern written `/regex/`, matched case-insensitively against the whole name.
    Pattern(regex_lite::Regex),
}

impl KeyMatcher {
    /// Reads `aws:SourceIp` as an exact name and `/aws:PrincipalTag/.*/` as a pattern.
    pub fn parse(text: &str) -> Result<KeyMatcher, String> {
        if text.len() >= 2 && text.starts_with('/') && text.ends_with('/') {
            let body = &text[1..text.len() - 1];
            regex_lite::Regex::new(&format!("(?i)^(?:{body})$"))
                .map(KeyMatcher::Pattern)
                .map_err(|e| format!("key pattern `{text}` is not a valid regular expression: {e}"))
        } else {
            Ok(KeyMatcher::Exact(text.to_ascii_lowercase()))
        }
    }

    fn matches(&self, key_lower: &str) -> bool {
        match self {
            KeyMatcher::Exact(k) => k == key_lower,
            KeyMatcher::Prefix(p) => key_lower.starts_with(p.as_str()),
            KeyMatcher::Pattern(re) => re.is_match(key_lower),
        }
    }
}

/// Keys shared by many requests (one principal's facts, one resource's facts).
pub type SharedKeys = Arc<[(String, ContextValue)]>;

/// The condition keys of one request. A request carries a handful of keys, so a small
/// vector searched linearly beats hashing every lookup. Keys common to many requests can
/// sit in up to two shared layers, searched after the request's own keys, so building
/// the context of one (principal, resource) pair allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    values: Vec<(String, ContextValue)>,
    shared: [Option<SharedKeys>; 2],
    mode: Mode,
}

impl RequestContext {
    /// An empty strict context.
    pub fn new() -> RequestContext {
        RequestContext::default()
    }

    /// An empty context in the given mode.
    pub fn with_mode(mode: Mode) -> RequestContext {
        RequestContext {
            values: Vec::new(),
            shared: [None, None],
            mode,
        }
    }

    /// A context whose keys are two shared layers (e.g. the principal's and the
    /// resource's), no copy made. The layers must not repeat a key.
    pub fn layered(mode: Mode, first: SharedKeys, second: SharedKeys) -> RequestContext {
        RequestContext {
            values: Vec::new(),
            shared: [Some(first), Some(second)],
            mode,
        }
    }

    /// This context's own keys, for sharing as a layer of others.
    pub fn to_shared(&self) -> SharedKeys {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    /// Replaces the mode (the keys stay).
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// The mode.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// Whether this is a Discovery-mode context.
    pub fn is_discovery(&self) -> bool {
        matches!(self.mode, Mode::Discovery(_))
    }

    /// How many keys are set (for [`RequestContext::truncate`]).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Drops keys set after the first `len`: lets a caller keep one context per
    /// principal and swap only the resource's keys per resource.
    pub fn truncate(&mut self, len: usize) {
        self.values.truncate(len);
    }

    /// Adds a key already lowercase, without checking for an earlier value (the caller
    /// guarantees it is new); the fast path for building contexts in bulk.
    pub fn push_lower(&mut self, key_lower: String, value: ContextValue) {
        self.values.push((key_lower, value));
    }

    /// Sets a key (any case) to a value, replacing an earlier value.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        let key = key.to_ascii_lowercase();
        match self.values.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.values.push((key, value)),
        }
    }

    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.insert(key, ContextValue::Single(value.into()));
    }

    /// The raw value of a key given in the context, whatever the mode.
    pub fn given(&self, key_lower: &str) -> Option<&ContextValue> {
        self.values
            .iter()
            .chain(self.shared.iter().flatten().flat_map(|l| l.iter()))
            .find(|(k, _)| k == key_lower)
            .map(|(_, v)| v)
    }

    /// Iterates the given keys (lowercase) and values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.values
            .iter()
            .chain(self.shared.iter().flatten().flat_map(|l| l.iter()))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Discovery mode treats a value given for a key that no constraint covers as a
    /// *hint*: it is used when it favours access, but a condition it would fail (or a
    /// deny it would trigger) is reported as unknown instead, because an analysis ahead
    /// of time cannot be sure the real request carries that value. Strictly known keys
    /// are those named in a constraint with `valueIsKnown`.
    pub fn is_hint(&self, key_lower: &str) -> bool {
        match &self.mode {
            Mode::Strict => false,
            Mode::Discovery(constraints) => {
                self.given(key_lower).is_some()
                    && !constraints.iter().any(|c| c.key.matches(key_lower))
            }
        }
    }

    /// What is known about a key, given its lowercase name.
    pub fn lookup(&self, key_lower: &str) -> KeyState<'_> {
        let given = self.given(key_lower);
        match &self.mode {
            Mode::Strict => given.map_or(KeyState::Absent, KeyState::Present),
            Mode::Discovery(constraints) => {
                match constraints.iter().find(|c| c.key.matches(key_lower)) {
                    Some(c) => match given {
                        Some(v) if c.value_known => KeyState::Present(v),
                        Some(_) if c.presence_known => KeyState::PresentValueUnknown,
                        Some(_) => KeyState::Unknown,
                        None if c.presence_known => KeyState::Absent,
                        None => KeyState::Unknown,
                    },
                    None => given.map_or(KeyState::Unknown, KeyState::Present),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_mode_missing_key_is_absent_and_names_are_case_insensitive() {
        let mut ctx = RequestContext::new();
        ctx.set("aws:PrincipalTag/Team", "a");
        assert_eq!(
            ctx.lookup("aws:principaltag/team"),
            KeyState::Present(&ContextValue::Single("a".into()))
        );
        assert_eq!(ctx.lookup("aws:sourceip"), KeyState::Absent);
    }

    #[test]
    fn discovery_mode_missing_key_is_unknown_unless_presence_known() {
        let mut ctx = RequestContext::with_mode(Mode::Discovery(Arc::from(vec![KeyConstraint {
            key: KeyMatcher::parse("/aws:PrincipalTag/.*/").unwrap(),
            presence_known: true,
            value_known: true,
        }])));
        ctx.set("aws:SourceAccount", "1");
        assert_eq!(ctx.lookup("aws:sourceip"), KeyState::Unknown);
        assert_eq!(ctx.lookup("aws:principaltag/dept"), KeyState::Absent);
        assert!(matches!(
            ctx.lookup("aws:sourceaccount"),
            KeyState::Present(_)
        ));
    }

    #[test]
    fn discovery_value_unknown_hides_given_value() {
        let mut ctx = RequestContext::with_mode(Mode::Discovery(Arc::from(vec![KeyConstraint {
            key: KeyMatcher::parse("aws:SourceAccount").unwrap(),
            presence_known: true,
            value_known: false,
        }])));
        ctx.set("aws:SourceAccount", "1");
        assert_eq!(
            ctx.lookup("aws:sourceaccount"),
            KeyState::PresentValueUnknown
        );
    }
}
