//! IAM wildcard matching for plain strings: `*` matches any run of characters (including
//! none, and across `/` and `:`), `?` matches exactly one character.
//!
//! What it is for: action names, `StringLike` values and the segments of `ArnLike`
//! values. What it is not for: whole resource ARNs, whose segment rules live with the
//! resource matcher.
//!
//! Key design choices:
//! - One matcher, linear in the common cases and never exponential: the classic greedy
//!   scan that, on a mismatch, backtracks only to the *last* `*` seen (worst case
//!   `O(pattern * text)`). It allocates nothing.
//! - Text substituted from a policy variable is *literal*: a `*` that came from
//!   `${aws:username}` is not a wildcard (AWS IAM User Guide, "IAM policy elements:
//!   Variables and tags"). Callers pass a pattern as a list of [`Piece`]s, each either
//!   policy-written ([`Piece::Pattern`], wildcards active) or substituted
//!   ([`Piece::Literal`], every character matches only itself).
//! - Case-insensitive matching folds each character on its own (ASCII fast path, then
//!   single-character Unicode lowercase), so it never allocates either.

/// One part of a pattern whose wildcards may or may not be active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text written in the policy: `*` and `?` are wildcards.
    Pattern(&'a str),
    /// Text substituted from a variable: every character, `*` and `?` included, matches
    /// only itself.
    Literal(&'a str),
}

impl<'a> Piece<'a> {
    /// The piece's characters.
    pub fn text(&self) -> &'a str {
        match self {
            Piece::Pattern(s) | Piece::Literal(s) => s,
        }
    }

    /// Whether `*` and `?` in this piece are wildcards.
    pub fn is_pattern(&self) -> bool {
        matches!(self, Piece::Pattern(_))
    }
}

/// Anything that can be viewed as a [`Piece`], so that borrowed and owned piece lists
/// (`variables::OwnedPiece`) go through the same matcher without copying.
pub trait AsPiece {
    /// The borrowed view.
    fn as_piece(&self) -> Piece<'_>;
}

impl AsPiece for Piece<'_> {
    fn as_piece(&self) -> Piece<'_> {
        *self
    }
}

/// Whether `text` matches `pattern`, case-sensitively.
///
/// ```
/// use accessdrift_evaluator::glob;
/// assert!(glob::matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c"));
/// assert!(glob::matches("test???value", "test123value"));
/// assert!(!glob::matches("test", "TEST"));
/// ```
pub fn matches(pattern: &str, text: &str) -> bool {
    matches_with(pattern, text, false)
}

/// Whether `text` matches `pattern`, ignoring case (action names, for example).
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    matches_with(pattern, text, true)
}

/// Whether `text` matches `pattern`, ignoring case when `case_insensitive` is set.
pub fn matches_with(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let bytes = pattern.as_bytes();
    match bytes.iter().position(|&b| b == b'*' || b == b'?') {
        // No wildcard: plain equality.
        None => equals(pattern, text, case_insensitive),
        // `*` alone, or a prefix followed by a single trailing `*`: the common
        // `s3:Get*` and `arn:...:bucket/*` shapes.
        Some(i) if i + 1 == bytes.len() && bytes[i] == b'*' => {
            let prefix = &pattern[..i];
            if prefix.is_empty() {
                true
            } else if !case_insensitive {
                text.starts_with(prefix)
            } else if prefix.is_ascii() && text.is_ascii() {
                text.len() >= prefix.len()
                    && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
            } else {
                run(&StrPattern(pattern), text, case_insensitive)
            }
        }
        Some(_) => run(&StrPattern(pattern), text, case_insensitive),
    }
}

/// Whether `text` matches the concatenation of `pieces`, where only [`Piece::Pattern`]
/// pieces have active wildcards.
///
/// ```
/// use accessdrift_evaluator::glob::{matches_pieces, Piece};
/// // `test${aws:username}` with aws:username = `Bob*`: the `*` is literal.
/// let pieces = [Piece::Pattern("test"), Piece::Literal("Bob*")];
/// assert!(!matches_pieces(&pieces, "testBobTwo", false));
/// assert!(matches_pieces(&pieces, "testBob*", false));
/// ```
pub fn matches_pieces<P: AsPiece>(pieces: &[P], text: &str, case_insensitive: bool) -> bool {
    match pieces {
        [] => text.is_empty(),
        [only] => match only.as_piece() {
            Piece::Pattern(p) => matches_with(p, text, case_insensitive),
            Piece::Literal(l) => equals(l, text, case_insensitive),
        },
        _ => run(&PiecesPattern(pieces), text, case_insensitive),
    }
}

/// Whether `pattern` holds a `*` or `?` wildcard.
pub fn has_wildcards(pattern: &str) -> bool {
    pattern.bytes().any(|b| b == b'*' || b == b'?')
}

/// Whether two strings are equal ignoring case, character by character (the
/// `...IgnoreCase` operators). Allocation-free.
pub fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    let mut ai = a.chars();
    let mut bi = b.chars();
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if chars_eq(x, y, true) => {}
            _ => return false,
        }
    }
}

fn equals(a: &str, b: &str, case_insensitive: bool) -> bool {
    if case_insensitive {
        eq_ignore_case(a, b)
    } else {
        a == b
    }
}

/// Folds a character for case-insensitive comparison: ASCII lowercase, else the
/// single-character Unicode lowercase (characters whose lowercase is several characters
/// stay as they are).
fn fold(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn chars_eq(a: char, b: char, case_insensitive: bool) -> bool {
    a == b || (case_insensitive && fold(a) == fold(b))
}

/// One token of a pattern.
#[derive(Clone, Copy)]
enum Tok {
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
    /// A character that matches itself.
    Lit(char),
}

/// A pattern read token by token from a position; lets one matcher serve both a plain
/// `&str` and a list of pieces without building an intermediate token list.
trait Pat {
    type Pos: Copy;
    fn start(&self) -> Self::Pos;
    /// The token at `pos` and the position after it, or `None` at the end.
    fn next(&self, pos: Self::Pos) -> Option<(Tok, Self::Pos)>;
}

struct StrPattern<'a>(&'a str);

impl Pat for StrPattern<'_> {
    type Pos = usize;

    fn start(&self) -> usize {
        0
    }

    fn next(&self, pos: usize) -> Option<(Tok, usize)> {
        let c = self.0.get(pos..)?.chars().next()?;
        let tok = match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        };
        Some((tok, pos + c.len_utf8()))
    }
}

struct PiecesPattern<'a, P>(&'a [P]);

impl<P: AsPiece> Pat for PiecesPattern<'_, P> {
    /// (piece index, byte offset in that piece)
    type Pos = (usize, usize);

    fn start(&self) -> (usize, usize) {
        (0, 0)
    }

    fn next(&self, (mut idx, mut off): (usize, usize)) -> Option<(Tok, (usize, usize))> {
        loop {
            let piece = self.0.get(idx)?.as_piece();
            let Some(c) = piece.text().get(off..).and_then(|s| s.chars().next()) else {
                idx += 1;
                off = 0;
                continue;
            };
            let tok = match (piece.is_pattern(), c) {
                (true, '*') => Tok::Star,
                (true, '?') => Tok::One,
                (_, c) => Tok::Lit(c),
            };
            return Some((tok, (idx, off + c.len_utf8())));
        }
    }
}

/// The character at byte `pos` of `text` and the position after it.
fn char_at(text: &str, pos: usize) -> Option<(char, usize)> {
    let c = text.get(pos..)?.chars().next()?;
    Some((c, pos + c.len_utf8()))
}

/// The matcher: scan left to right; remember the last `*` and where its match began;
/// on a mismatch let that `*` swallow one more character and resume after it. Earlier
/// stars never need revisiting, because the last star can absorb anything they could.
fn run<P: Pat>(pat: &P, text: &str, case_insensitive: bool) -> bool {
    let mut p = pat.start();
    let mut t = 0usize;
    // (pattern position just after the last `*`, text position its match ends at)
    let mut star: Option<(P::Pos, usize)> = None;
    while let Some((c, t_next)) = char_at(text, t) {
        match pat.next(p) {
            Some((Tok::Star, p_next)) => {
                star = Some((p_next, t));
                p = p_next;
                continue;
            }
            Some((Tok::One, p_next)) => {
                p = p_next;
                t = t_next;
                continue;
            }
            Some((Tok::Lit(pc), p_next)) if chars_eq(pc, c, case_insensitive) => {
                p = p_next;
                t = t_next;
                continue;
            }
            _ => {}
        }
        match star {
            Some((after_star, star_end)) => {
                // INVARIANT: star_end < text.len(): star_end <= t and t is at a character.
                let Some((_, grown)) = char_at(text, star_end) else {
                    return false;
                };
                star = Some((after_star, grown));
                p = after_star;
                t = grown;
            }
            None => return false,
        }
    }
    // Text exhausted: only stars may remain.
    loop {
        match pat.next(p) {
            None => return true,
            Some((Tok::Star, p_next)) => p = p_next,
            Some(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: a direct recursive transcription of the rules, exponential in the
    /// worst case but obviously right. Tokens are (char, wildcard_active).
    fn naive(pat: &[(char, bool)], text: &[char], ci: bool) -> bool {
        match pat.split_first() {
            None => text.is_empty(),
            Some((&('*', true), rest)) => (0..=text.len()).any(|k| naive(rest, &text[k..], ci)),
            Some((&('?', true), rest)) => !text.is_empty() && naive(rest, &text[1..], ci),
            Some((&(c, _), rest)) => match text.split_first() {
                Some((&t, trest)) => chars_eq(c, t, ci) && naive(rest, trest, ci),
                None => false,
            },
        }
    }

    fn tokens_of_pieces(pieces: &[Piece<'_>]) -> Vec<(char, bool)> {
        pieces
            .iter()
            .flat_map(|p| p.text().chars().map(move |c| (c, p.is_pattern())))
            .collect()
    }

    #[test]
    fn star_matches_empty_and_crosses_slash_and_colon() {
        assert!(matches("a*b", "ab"));
        assert!(matches("a*b", "a/x:y/b"));
        assert!(matches("*", ""));
        assert!(matches("*", "anything:at/all"));
        assert!(matches("**", ""));
    }

    #[test]
    fn question_mark_matches_exactly_one_character() {
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "ac"));
        assert!(!matches("a?c", "abbc"));
        assert!(matches("?", "é"), "one character, not one byte");
        assert!(!matches("??", "é"));
    }

    #[test]
    fn matching_is_case_sensitive_unless_asked() {
        assert!(!matches("s3:Get*", "s3:getobject"));
        assert!(matches_ignore_case("s3:Get*", "S3:GETOBJECT"));
        assert!(matches_ignore_case("ÉTÉ", "été"));
        assert!(matches_ignore_case("*Été?", "xxétéz"));
        assert!(!matches_ignore_case("abc", "abd"));
    }

    #[test]
    fn fast_paths_agree_with_the_general_matcher() {
        for (p, t) in [
            ("abc", "abc"),
            ("abc", "abcd"),
            ("ab*", "ab"),
            ("ab*", "a"),
            ("ab*", "abxyz"),
            ("*", "x"),
            ("Ab*", "aB"),
        ] {
            for ci in [false, true] {
                assert_eq!(
                    matches_with(p, t, ci),
                    run(&StrPattern(p), t, ci),
                    "{p} vs {t} ci={ci}"
                );
            }
        }
    }

    #[test]
    fn backtracking_to_the_last_star_finds_late_matches() {
        assert!(matches("*ab*ab", "xxabyyabab"));
        assert!(matches("a*a*a*a*b", "aaaaaaaaaaab"));
        assert!(!matches("a*a*a*a*b", "aaaaaaaaaaaa"));
        assert!(matches("*?x", "yx"));
        assert!(!matches("*?x", "x"));
    }

    #[test]
    fn pathological_pattern_is_not_exponential() {
        let text = "a".repeat(5_000);
        let pattern = format!("{}b", "a*".repeat(50));
        let start = std::time::Instant::now();
        assert!(!matches(&pattern, &text));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn substituted_star_is_literal_in_pieces() {
        // AWS IAM User Guide, "IAM policy elements: Variables and tags": a value
        // substituted for a variable is taken literally.
        let pieces = [
            Piece::Pattern("home/"),
            Piece::Literal("*"),
            Piece::Pattern("/*"),
        ];
        assert!(matches_pieces(&pieces, "home/*/file", false));
        assert!(!matches_pieces(&pieces, "home/bob/file", false));
        let q = [Piece::Literal("a?"), Piece::Pattern("?")];
        assert!(matches_pieces(&q, "a?z", false));
        assert!(!matches_pieces(&q, "abz", false));
    }

    #[test]
    fn empty_piece_list_matches_only_empty_text() {
        let none: [Piece<'_>; 0] = [];
        assert!(matches_pieces(&none, "", false));
        assert!(!matches_pieces(&none, "x", false));
        let empties = [Piece::Pattern(""), Piece::Literal("")];
        assert!(matches_pieces(&empties, "", false));
        assert!(!matches_pieces(&empties, "x", false));
    }

    #[test]
    fn eq_ignore_case_handles_unicode_and_lengths() {
        assert!(eq_ignore_case("Test", "tEST"));
        assert!(eq_ignore_case("Ärger", "äRGER"));
        assert!(!eq_ignore_case("Ärger", "ärge"));
        assert!(!eq_ignore_case("a", ""));
    }

    fn small_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[abAB/:é*?]{0,10}").expect("valid regex")
    }

    fn small_pattern() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[abAB/:é*?]{0,8}").expect("valid regex")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn matcher_agrees_with_naive_reference(p in small_pattern(), t in small_text(), ci in any::<bool>()) {
            let pat: Vec<(char, bool)> = p.chars().map(|c| (c, true)).collect();
            let text: Vec<char> = t.chars().collect();
            prop_assert_eq!(matches_with(&p, &t, ci), naive(&pat, &text, ci));
        }

        #[test]
        fn pieces_matcher_agrees_with_naive_reference(
            parts in proptest::collection::vec((small_pattern(), any::<bool>()), 0..4),
            t in small_text(),
            ci in any::<bool>(),
        ) {
            let pieces: Vec<Piece<'_>> = parts
                .iter()
                .map(|(s, lit)| if *lit { Piece::Literal(s) } else { Piece::Pattern(s) })
                .collect();
            let text: Vec<char> = t.chars().collect();
            prop_assert_eq!(
                matches_pieces(&pieces, &t, ci),
                naive(&tokens_of_pieces(&pieces), &text, ci)
            );
        }

        #[test]
        fn every_string_matches_itself_when_literal(t in small_text()) {
            prop_assert!(matches_pieces(&[Piece::Literal(&t)], &t, false));
        }
    }
}
