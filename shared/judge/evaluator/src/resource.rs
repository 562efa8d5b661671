//! Does a statement's `Resource`/`NotResource` cover the request's resource?
//!
//! IAM resource wildcards are not shell globs (AWS IAM User Guide, "IAM JSON policy
//! elements: Resource", "Using wildcards in resource ARNs"):
//! - matching is segment-wise over `arn:partition:service:region:account:resource`,
//!   case-sensitive; `*` and `?` work inside a segment;
//! - the resource part is one segment: wildcards match anywhere in it, its
//!   resource-type prefix included (`*` "can expand to replace everything within a
//!   segment, including characters like a forward slash (/)"), so
//!   `arn:aws:lambda:*:*:*:worker` names the function `worker`, and a `*` there crosses
//!   `/` and `:`. (The ARN page's "Incorrect wildcard usage" advises against a wildcard
//!   in the resource type; AWS's own managed policies use it, and matching honours it.)
//! - a pattern with fewer than six segments is read per policy type: identity-side
//!   policies expand it (missing segments are `*`), resource policies expand it only when
//!   it holds a wildcard, SCPs accept it only when it ends in `*`, RCPs never;
//! - a substituted policy variable is literal text (a `*` in a tag value is not a wildcard).
//!
//! A request resource may itself be a pattern (`arn:aws:s3:::bucket/*`, or `*` for
//! actions without resource-level permissions). Then an `Allow` applies when the
//! pattern *overlaps* the request (some resource is in both) and a `Deny` only when it
//! *covers* the request (every resource of the request is denied): an analysis must not
//! deny more than AWS would.

use accessdrift_policy::{Effect, ResourceBlock, Version};
use accessdrift_primitives::arn::split_arn;

use crate::context::RequestContext;
use crate::glob::matches as glob_matches;
use crate::variables::{OwnedPiece, Substituted, substitute};

/// Which kind of policy a statement belongs to; short-ARN rules differ by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyType {
    /// Identity-based policy (user, group, role; inline or managed).
    Identity,
    /// Session policy passed at AssumeRole/GetFederationToken.
    Session,
    /// Permissions boundary.
    Boundary,
    /// Resource-based policy (bucket policy, key policy, trust policy, ...).
    Resource,
    /// Service control policy.
    Scp,
    /// Resource control policy.
    Rcp,
    /// VPC endpoint policy.
    Vpce,
}

impl PolicyType {
    /// The layer's name in explanations (simulate.md's `explain` words).
    pub fn name(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Session => "session",
            PolicyType::Boundary => "boundary",
            PolicyType::Resource => "resource",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
            PolicyType::Vpce => "vpce",
        }
    }
}

/// The request's resource, decoded once per request.
#[derive(Debug, Clone)]
pub struct RequestResource<'a> {
    text: &'a str,
    /// The request names no specific resource: the action takes none (`*`).
    wildcard_only: bool,
    /// The request resource holds `*` or `?`: it stands for a set of resources.
    is_pattern: bool,
    /// The text split at its first five colons, once per request.
    segments: ([&'a str; 6], usize),
}

impl<'a> RequestResource<'a> {
    /// Decodes a request resource. `wildcard_only` marks an action AWS authorizes only
    /// against `*`.
    pub fn new(text: &'a str, wildcard_only: bool) -> RequestResource<'a> {
        RequestResource {
            text,
            wildcard_only,
            is_pattern: text.contains(['*', '?']),
            segments: split_arn(text),
        }
    }

    /// The resource text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Whether the request resource stands for a set of resources.
    pub fn is_pattern(&self) -> bool {
        self.is_pattern
    }
}

/// Three-valued result of an element match (unknown when a policy variable's key is
/// unknown in Discovery mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementMatch {
    /// The element applies.
    Yes,
    /// The element does not apply.
    No,
    /// Depends on the value of this unknown context key (used as a policy variable).
    Unknown(String),
}

/// Whether the block applies to the request resource, for a statement of `effect` in a
/// policy of `policy_type`. `None` block (no `Resource` element, as in trust policies)
/// applies to every resource.
pub fn resource_block_applies(
    block: Option<&ResourceBlock>,
    effect: Effect,
    policy_type: PolicyType,
    version: Version,
    request: &RequestResource<'_>,
    ctx: &RequestContext,
) -> ElementMatch {
    let Some(block) = block else {
        return ElementMatch::Yes;
    };
    // For an Allow we ask "does the statement apply to *some* resource of the request",
    // for a Deny "to *every* resource". NotResource flips what a pattern hit means, so
    // it flips the quantifier too.
    let mode = match (effect, block.negated) {
        (Effect::Allow, false) | (Effect::Deny, true) => Mode::Overlap,
        (Effect::Deny, false) | (Effect::Allow, true) => Mode::Covers,
    };
    let mut any_hit = false;
    let mut any_invalid = false;
    let mut unknown: Option<String> = None;
    for pattern in &block.patterns {
        match pattern_result(pattern, mode, policy_type, version, request, ctx) {
            PatternResult::Hit => {
                any_hit = true;
                break;
            }
            PatternResult::Miss => {}
            PatternResult::Invalid => any_invalid = true,
            PatternResult::Unknown(key) => {
                unknown.get_or_insert(key);
            }
        }
    }
    if block.negated {
        // NotResource applies when no pattern covers the request; a pattern AWS would
        // reject makes the element not apply rather than apply to everything.
        if any_hit || any_invalid {
            ElementMatch::No
        } else if let Some(key) = unknown {
            ElementMatch::Unknown(key)
        } else {
            ElementMatch::Yes
        }
    } else if any_hit {
        ElementMatch::Yes
    } else if let Some(key) = unknown {
        ElementMatch::Unknown(key)
    } else {
        ElementMatch::No
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Some resource matches both the pattern and the request.
    Overlap,
    /// Every resource of the request matches the pattern.
    Covers,
}

#[derive(Debug, PartialEq, Eq)]
enum PatternResult {
    Hit,
    Miss,
    /// The pattern is not valid for this policy type, or a short ARN that does not
    /// fit after expansion: it never applies, not even through `NotResource`.
    Invalid,
    Unknown(String),
}

/// One token of a resource pattern or request resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// A character written in the pattern.
    Lit(char),
    /// A character substituted from a policy variable: literal, never a separator.
    Sub(char),
    /// `*`.
    Star,
    /// `?`.
    One,
}

impl Tok {
    fn literal(self) -> Option<char> {
        match self {
            Tok::Lit(c) | Tok::Sub(c) => Some(c),
            _ => None,
        }
    }
}

fn pattern_result(
    pattern: &str,
    mode: Mode,
    policy_type: PolicyType,
    version: Version,
    request: &RequestResource<'_>,
    ctx: &RequestContext,
) -> PatternResult {
    if request.wildcard_only {
        // The action takes no resource: only a pattern that is `*` itself applies.
        let toks = match tokenize_pattern(pattern, version, ctx) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let star = [Tok::Lit('*')];
        return hit(covers(&toks, &star));
    }
    if pattern == "*" {
        return PatternResult::Hit;
    }
    // Fast path: a literal request and a pattern without variables.
    let has_vars = version.supports_variables() && pattern.contains("${");
    if !request.is_pattern && !has_vars && pattern.is_ascii() && request.text.is_ascii() {
        return match_literal_fast(pattern, request.text, request.segments, policy_type);
    }
    let toks = match tokenize_pattern(pattern, version, ctx) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req_toks = wildcard_tokens(request.text);
    if req_toks == [Tok::Star] {
        // A request for "any resource": every pattern overlaps it, none but `*` covers it.
        return match mode {
            Mode::Overlap => PatternResult::Hit,
            Mode::Covers => hit(covers(&toks, &req_toks)),
        };
    }
    match_segments(&toks, &req_toks, mode, policy_type)
}

fn wildcard_tokens(text: &str) -> Vec<Tok> {
    text.chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        })
        .collect()
}

/// Whether every resource matching `inner` matches `outer` (both plain wildcard text).
pub fn text_covers(outer: &str, inner: &str) -> bool {
    covers(&wildcard_tokens(outer), &wildcard_tokens(inner))
}

/// Whether some resource matches both wildcard texts.
pub fn text_overlaps(a: &str, b: &str) -> bool {
    overlaps(&wildcard_tokens(a), &wildcard_tokens(b))
}

/// What `pattern` matches after the literal `prefix`: the patterns `r` such that
/// `prefix + s` matches `pattern` exactly when `s` matches one of them. For an S3 grant
/// this is the key scope: `residuals("arn:aws:s3:::*/AWSLogs/*", "arn:aws:s3:::b/")` is
/// `["*/AWSLogs/*", "AWSLogs/*"]` (the first `*` may stop at the bucket name or run on
/// into the key). Empty when nothing under the prefix matches; a residual of `*` alone
/// means everything under it. Residuals covered by another are left out; sorted.
pub fn residuals(pattern: &str, prefix: &str) -> Vec<String> {
    let toks = wildcard_tokens(pattern);
    // NFA states: positions in `toks`; a `*` may match nothing (closure) or stay.
    let close = |states: &mut Vec<usize>| {
        let mut i = 0;
        while i < states.len() {
            let s = states[i];
            if matches!(toks.get(s), Some(Tok::Star)) && !states.contains(&(s + 1)) {
                states.push(s + 1);
            }
            i += 1;
        }
    };
    let mut states = vec![0usize];
    close(&mut states);
    for c in prefix.chars() {
        let mut next = Vec::new();
        for &s in &states {
            match toks.get(s) {
                Some(Tok::Star) => next.push(s),
                Some(Tok::One) => next.push(s + 1),
                Some(Tok::Lit(l) | Tok::Sub(l)) if *l == c => next.push(s + 1),
                _ => {}
            }
        }
        next.sort_unstable();
        next.dedup();
        close(&mut next);
        states = next;
        if states.is_empty() {
            return Vec::new();
        }
    }
    let text = |from: usize| -> String {
        toks[from..]
            .iter()
            .map(|t| match t {
                Tok::Star => '*',
                Tok::One => '?',
                Tok::Lit(c) | Tok::Sub(c) => *c,
            })
            .collect()
    };
    let mut out: Vec<String> = states.iter().map(|&s| text(s)).collect();
    // Shortest first, so that of two equivalent residuals (`*`, `**`) the first is kept.
    out.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    out.dedup();
    let mut kept: Vec<String> = out
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            !out.iter()
                .enumerate()
                .any(|(j, o)| j != *i && text_covers(o, r) && (j < *i || !text_covers(r, o)))
        })
        .map(|(_, r)| r.clone())
        .collect();
    kept.sort_unstable();
    // The empty residual (the pattern ends exactly at the prefix) matches only the
    // prefix itself, which is no S3 key (keys are never empty); leave it out.
    kept.retain(|r| !r.is_empty());
    kept
}

fn hit(b: bool) -> PatternResult {
    if b {
        PatternResult::Hit
    } else {
        PatternResult::Miss
    }
}

/// Turns pattern text into tokens, substituting `${...}` variables (2012-10-17 only)
/// through [`crate::variables`]: substituted text becomes literal tokens that are never
/// wildcards or segment separators.
fn tokenize_pattern(
    pattern: &str,
    version: Version,
    ctx: &RequestContext,
) -> Result<Vec<Tok>, PatternResult> {
    fn push_pattern(text: &str, out: &mut Vec<Tok>) {
        out.extend(text.chars().map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        }));
    }
    let mut out = Vec::with_capacity(pattern.len());
    match substitute(pattern, version, ctx) {
        Substituted::Unchanged(text) => push_pattern(text, &mut out),
        Substituted::Resolved(pieces) => {
            for piece in &pieces {
                match piece {
                    OwnedPiece::Pattern(text) => push_pattern(text, &mut out),
                    OwnedPiece::Literal(text) => out.extend(text.chars().map(Tok::Sub)),
                }
            }
        }
        // "Policy variables with no value" (AWS IAM User Guide): an entry whose
        // variable has no value "will not match any resource", so a NotResource
        // statement holding it still covers every other resource.
        Substituted::NoValue => return Err(PatternResult::Miss),
        // Multivalued or malformed: the pattern cannot apply, not even through
        // NotResource.
        Substituted::Unresolvable => return Err(PatternResult::Invalid),
        Substituted::Unknown => return Err(PatternResult::Unknown(pattern.to_string())),
    }
    Ok(out)
}

/// Splits tokens at the first five separator colons (written, not substituted).
fn split_segments(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut segs = Vec::with_capacity(6);
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if segs.len() == 5 {
            break;
        }
        if *t == Tok::Lit(':') {
            segs.push(&toks[start..i]);
            start = i + 1;
        }
    }
    segs.push(&toks[start..]);
    segs
}

fn has_wildcard(toks: &[Tok]) -> bool {
    toks.iter().any(|t| matches!(t, Tok::Star | Tok::One))
}

fn match_segments(
    pattern: &[Tok],
    request: &[Tok],
    mode: Mode,
    policy_type: PolicyType,
) -> PatternResult {
    let p_segs = split_segments(pattern);
    let r_segs = split_segments(request);
    if r_segs.len() < 6 {
        // Not an ARN (or a malformed one): compare as plain text.
        return hit(compare(pattern, request, mode));
    }
    if p_segs.len() < 6 {
        return short_pattern(pattern, &p_segs, &r_segs, request, mode, policy_type);
    }
    for i in 0..5 {
        if !compare(p_segs[i], r_segs[i], mode) {
            return PatternResult::Miss;
        }
    }
    hit(compare(p_segs[5], r_segs[5], mode))
}

/// A pattern with fewer than six segments, read per policy type (see the module docs).
fn short_pattern(
    pattern: &[Tok],
    p_segs: &[&[Tok]],
    r_segs: &[&[Tok]],
    request: &[Tok],
    mode: Mode,
    policy_type: PolicyType,
) -> PatternResult {
    let expand = |invalid_on_miss: bool| {
        // Missing trailing segments are `*`.
        let fits = p_segs
            .iter()
            .zip(r_segs.iter())
            .all(|(p, r)| compare(p, r, mode));
        match (fits, invalid_on_miss) {
            (true, _) => PatternResult::Hit,
            (false, true) => PatternResult::Invalid,
            (false, false) => PatternResult::Miss,
        }
    };
    match policy_type {
        PolicyType::Identity | PolicyType::Session | PolicyType::Boundary | PolicyType::Vpce => {
            expand(true)
        }
        PolicyType::Resource => {
            if has_wildcard(pattern) {
                expand(true)
            } else {
                PatternResult::Miss
            }
        }
        PolicyType::Scp => {
            if pattern.last() == Some(&Tok::Star) {
                // A trailing `*` crosses the remaining colons.
                hit(compare(pattern, request, mode))
            } else {
                PatternResult::Invalid
            }
        }
        PolicyType::Rcp => PatternResult::Invalid,
    }
}

fn compare(pattern: &[Tok], request: &[Tok], mode: Mode) -> bool {
    match mode {
        Mode::Overlap => overlaps(pattern, request),
        Mode::Covers => covers(pattern, request),
    }
}

/// Whether every string matching `request` matches `pattern` (a literal request is
/// the one-string case). `?` in the request needs `?` or `*` in the pattern; `*` in the
/// request needs `*`.
fn covers(pattern: &[Tok], request: &[Tok]) -> bool {
    let (n, m) = (pattern.len(), request.len());
    // dp[j]: pattern[..i] covers request[..j]
    let mut prev = vec![false; m + 1];
    prev[0] = true;
    let mut cur = vec![false; m + 1];
    for i in 1..=n {
        let p = pattern[i - 1];
        cur[0] = p == Tok::Star && prev[0];
        for j in 1..=m {
            let r = request[j - 1];
            cur[j] = match p {
                Tok::Star => prev[j] || cur[j - 1],
                Tok::One => prev[j - 1] && r != Tok::Star,
                _ => prev[j - 1] && r.literal().is_some() && r.literal() == p.literal(),
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// Whether some string matches both token sequences (both may hold wildcards).
fn overlaps(a: &[Tok], b: &[Tok]) -> bool {
    let (n, m) = (a.len(), b.len());
    let idx = |i: usize, j: usize| i * (m + 1) + j;
    let mut seen = vec![false; (n + 1) * (m + 1)];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if seen[idx(i, j)] {
            continue;
        }
        seen[idx(i, j)] = true;
        if i == n && j == m {
            return true;
        }
        let ta = a.get(i).copied();
        let tb = b.get(j).copied();
        // A star may match nothing.
        if ta == Some(Tok::Star) {
            stack.push((i + 1, j));
        }
        if tb == Some(Tok::Star) {
            stack.push((i, j + 1));
        }
        // Both consume one character.
        if let (Some(x), Some(y)) = (ta, tb) {
            let compatible = match (x.literal(), y.literal()) {
                (Some(c), Some(d)) => c == d,
                _ => true,
            };
            if compatible {
                let ni = if x == Tok::Star { i } else { i + 1 };
                let nj = if y == Tok::Star { j } else { j + 1 };
                if (ni, nj) != (i, j) {
                    stack.push((ni, nj));
                } else {
                    // Both stars: any character keeps both in place; already covered by
                    // the epsilon moves.
                }
            }
        }
    }
    false
}

/// Fast path for ASCII literal requests and variable-free patterns, with the same
/// rules as the token path.
fn match_literal_fast(
    pattern: &str,
    request: &str,
    (r_segs, r_len): ([&str; 6], usize),
    policy_type: PolicyType,
) -> PatternResult {
    let (p_all, p_len) = split_arn(pattern);
    let p_segs = &p_all[..p_len];
    if r_len < 6 {
        return hit(glob_matches(pattern, request));
    }
    if p_segs.len() < 6 {
        let fits = p_segs
            .iter()
            .zip(r_segs.iter())
            .all(|(p, r)| glob_matches(p, r));
        let has_wild = pattern.contains(['*', '?']);
        return match policy_type {
            PolicyType::Identity
            | PolicyType::Session
            | PolicyType::Boundary
            | PolicyType::Vpce => {
                if fits {
                    PatternResult::Hit
                } else {
                    PatternResult::Invalid
                }
            }
            PolicyType::Resource => match (has_wild, fits) {
                (false, _) => PatternResult::Miss,
                (true, true) => PatternResult::Hit,
                (true, false) => PatternResult::Invalid,
            },
            PolicyType::Scp => {
                if pattern.ends_with('*') {
                    hit(glob_matches(pattern, request))
                } else {
                    PatternResult::Invalid
                }
            }
            PolicyType::Rcp => PatternResult::Invalid,
        };
    }
    for i in 0..5 {
        if !glob_matches(p_segs[i], r_segs[i]) {
            return PatternResult::Miss;
        }
    }
    hit(glob_matches(p_segs[5], r_segs[5]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(patterns: &[&str], negated: bool) -> ResourceBlock {
        ResourceBlock {
            negated,
            patterns: patterns.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn applies(
        patterns: &[&str],
        negated: bool,
        effect: Effect,
        pt: PolicyType,
        req: &str,
    ) -> bool {
        let ctx = RequestContext::new();
        resource_block_applies(
            Some(&block(patterns, negated)),
            effect,
            pt,
            Version::V2012_10_17,
            &RequestResource::new(req, false),
            &ctx,
        ) == ElementMatch::Yes
    }

    #[test]
    fn resource_arns_are_case_sensitive() {
        assert!(!applies(
            &["arn:aws:s3:::Bucket/*"],
            false,
            Effect::Allow,
            PolicyType::Identity,
            "arn:aws:s3:::bucket/k"
        ));
    }

    #[test]
    fn star_in_resource_id_crosses_slashes() {
        assert!(applies(
            &["arn:aws:s3:::b/*"],
            false,
            Effect::Allow,
            PolicyType::Identity,
            "arn:aws:s3:::b/a/b/c"
        ));
    }

    #[test]
    fn using_wildcards_in_resource_arns_matches_within_the_resource_type_too() {
        // IAM UG, "IAM JSON policy elements: Resource", "Using wildcards in resource
        // ARNs": the resource part is one segment, its type prefix included (issue 18).
        let cases = [
            (
                "arn:aws:ec2:us-east-1:123456789012:*/12345",
                "arn:aws:ec2:us-east-1:123456789012:instance/12345",
            ),
            (
                "arn:aws:dynamodb:*:*:tab?e/orders",
                "arn:aws:dynamodb:us-east-1:1:table/orders",
            ),
            (
                "arn:aws:dynamodb:*:*:*/orders",
                "arn:aws:dynamodb:us-east-1:1:table/orders",
            ),
            (
                "arn:aws:lambda:*:*:*:worker",
                "arn:aws:lambda:us-east-1:1:function:worker",
            ),
            ("arn:aws:iam::*:*/app", "arn:aws:iam::1:role/app"),
        ];
        for (pattern, request) in cases {
            for (effect, ptype) in [
                (Effect::Allow, PolicyType::Identity),
                (Effect::Deny, PolicyType::Identity),
                (Effect::Deny, PolicyType::Scp),
                (Effect::Allow, PolicyType::Resource),
            ] {
                assert!(
                    applies(&[pattern], false, effect, ptype, request),
                    "{pattern} {effect:?} {ptype:?}"
                );
                // NotResource: the pattern names the resource, so it is excluded.
                assert!(
                    !applies(&[pattern], true, effect, ptype, request),
                    "Not {pattern}"
                );
            }
        }
        // Still segment-wise: the type wildcard does not reach other names.
        assert!(!applies(
            &["arn:aws:lambda:*:*:*:worker"],
            false,
            Effect::Allow,
            PolicyType::Identity,
            "arn:aws:lambda:us-east-1:1:function:worker-2"
        ));
    }

    #[test]
    fn residuals_give_the_key_scope_of_a_grant_under_a_bucket() {
        let b = "arn:aws:s3:::logs/";
        // AWSConfigRulesExecutionRole's object grant (issue 18): the first `*` may end at
        // the bucket name or run on into the key.
        assert_eq!(
            residuals("arn:aws:s3:::*/AWSLogs/*/Config/*", b),
            ["*/AWSLogs/*/Config/*", "AWSLogs/*/Config/*"]
        );
        assert_eq!(residuals("arn:aws:s3:::logs/*", b), ["*"]);
        assert_eq!(residuals("arn:aws:s3:::*", b), ["*"]);
        assert_eq!(residuals("*", b), ["*"]);
        assert_eq!(residuals("arn:aws:s3:::logs/team-a/*", b), ["team-a/*"]);
        assert_eq!(residuals("arn:aws:s3:::log?/a/*", b), ["a/*"]);
        assert!(residuals("arn:aws:s3:::other/*", b).is_empty());
        assert!(residuals("arn:aws:s3:::logs", b).is_empty());
        // Every residual really is the set: spot-check against the matcher.
        for key in [
            "AWSLogs/1/Config/x",
            "x/AWSLogs/1/Config/y",
            "AWSLogs/1/CloudTrail/x",
        ] {
            let whole = text_covers("arn:aws:s3:::*/AWSLogs/*/Config/*", &format!("{b}{key}"));
            let by_residual = residuals("arn:aws:s3:::*/AWSLogs/*/Config/*", b)
                .iter()
                .any(|r| text_covers(r, key));
            assert_eq!(whole, by_residual, "{key}");
        }
    }

    #[test]
    fn request_patterns_allow_on_overlap_deny_on_cover() {
        let req = "arn:aws:s3:::b/*";
        assert!(applies(
            &["arn:aws:s3:::b/foo*"],
            false,
            Effect::Allow,
            PolicyType::Identity,
            req
        ));
        assert!(!applies(
            &["arn:aws:s3:::b/foo*"],
            false,
            Effect::Deny,
            PolicyType::Identity,
            req
        ));
        assert!(applies(
            &["arn:aws:s3:::b/*"],
            false,
            Effect::Deny,
            PolicyType::Identity,
            req
        ));
    }

    #[test]
    fn short_arns_per_policy_type() {
        let q = "arn:aws:sqs:us-east-1:111111111111:test-queue";
        assert!(applies(
            &["arn:aws:sqs"],
            false,
            Effect::Allow,
            PolicyType::Identity,
            q
        ));
        assert!(!applies(
            &["arn:aws:sqs"],
            false,
            Effect::Allow,
            PolicyType::Resource,
            q
        ));
        assert!(applies(
            &["arn:aws:sqs:*:111111111111"],
            false,
            Effect::Allow,
            PolicyType::Resource,
            q
        ));
        assert!(!applies(
            &["arn:aws:sqs:*:111111111111"],
            false,
            Effect::Deny,
            PolicyType::Scp,
            q
        ));
        assert!(applies(
            &["arn:aws:sqs:*"],
            false,
            Effect::Deny,
            PolicyType::Scp,
            q
        ));
        assert!(!applies(
            &["arn:aws:sqs:*"],
            false,
            Effect::Deny,
            PolicyType::Rcp,
            q
        ));
    }

    #[test]
    fn variables_substitute_literally() {
        let mut ctx = RequestContext::new();
        ctx.set("aws:username", "a*");
        let r = resource_block_applies(
            Some(&block(&["arn:aws:s3:::b/${aws:username}/x"], false)),
            Effect::Allow,
            PolicyType::Identity,
            Version::V2012_10_17,
            &RequestResource::new("arn:aws:s3:::b/abc/x", false),
            &ctx,
        );
        assert_eq!(r, ElementMatch::No, "a substituted * is not a wildcard");
        let r = resource_block_applies(
            Some(&block(&["arn:aws:s3:::b/${aws:username}/x"], false)),
            Effect::Allow,
            PolicyType::Identity,
            Version::V2012_10_17,
            &RequestResource::new("arn:aws:s3:::b/a*/x", false),
            &ctx,
        );
        assert_eq!(r, ElementMatch::Yes);
    }
}
