//! Account text made safe for each medium it is shown in.
//!
//! What it is for: everything that comes from an account (policy Sids, tag values,
//! owner words, ARNs, names) is written by someone who may be hostile, and ends up in
//! an email, a terminal, a spreadsheet or a Slack channel. Each medium has its own way
//! to be tricked, so each has one function here, and the renderers call it at the
//! place account text enters their output:
//! - [`plain`]: email bodies, terminal tables, log-like text. Control characters
//!   (a newline in a Sid forges a "Fix:" line, an ANSI escape recolours or hides text
//!   in a terminal) and Unicode direction overrides (which reorder what a reader sees)
//!   become visible escapes such as `\n`, `\u{1b}`.
//! - [`csv_field`]: CSV cells. A cell a spreadsheet would evaluate (starting with `=`,
//!   `+`, `-`, `@`, tab or carriage return) gets a leading `'` and quotes, as OWASP's
//!   "CSV Injection" advises; quoting follows RFC 4180.
//! - [`slack`]: Slack mrkdwn (AWS Chatbot's `client-markdown`). `&`, `<` and `>` become
//!   entities, as Slack's "Formatting text for app surfaces" asks, so `<!channel>`,
//!   `<@U123>`, `<#C123>` and `<https://x|text>` show as text; `@` and `://` get a
//!   zero-width space so bare mentions and URLs are not linked; control characters are
//!   escaped as by [`plain`], so no line of ours can be forged. Emphasis markers (`*`,
//!   `_`, `~`, `` ` ``) are left alone: the messages' own formatting and copyable
//!   commands use them, and the worst account text can do with them is emphasis.
//!
//! What it is not for: HTML (the report escapes its own) and JSON (serde escapes).
//! Key design choice: text without anything to escape comes back borrowed, so the
//! common case costs one scan and no allocation.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a reader as itself: C0 and C1 controls, DEL, and the
/// characters that change text direction or separate lines invisibly.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `text` has nothing [`plain`] would escape: what validators of account-given
/// names (owner words, ARNs) require.
pub fn is_plain(text: &str) -> bool {
    !text.chars().any(is_unsafe)
}

/// `text` with every control, line-separator and direction character written as a
/// visible escape (`\n`, `\r`, `\t`, else `\u{..}`): one line, shown as it is stored.
///
/// ```
/// use accessdrift_escape::plain;
/// assert_eq!(plain("Sid\nFix: run this"), "Sid\\nFix: run this");
/// assert_eq!(plain("\u{1b}[31mred"), "\\u{1b}[31mred");
/// assert!(matches!(plain("credit-team"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn plain(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Appends `text` as one CSV cell (RFC 4180): quoted when it holds a comma, a quote or
/// a line break, and, when a spreadsheet would read it as a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return), prefixed with `'` and quoted (OWASP,
/// "CSV Injection").
///
/// ```
/// let mut out = String::new();
/// accessdrift_escape::csv_field(&mut out, "=HYPERLINK(\"http://x\",\"y\")");
/// assert_eq!(out, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
/// ```
pub fn csv_field(out: &mut String, text: &str) {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula || text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        if formula {
            out.push('\'');
        }
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// `text` safe inside Slack mrkdwn: no working mention, link, channel or user
/// reference and no control characters (see the crate docs).
///
/// ```
/// use accessdrift_escape::slack;
/// assert_eq!(slack("<!channel> hi"), "&lt;!channel&gt; hi");
/// assert_eq!(slack("@here"), "@\u{200B}here");
/// ```
pub fn slack(text: &str) -> Cow<'_, str> {
    let needs = |c: char| matches!(c, '&' | '<' | '>' | '@') || is_unsafe(c);
    if !text.chars().any(needs) && !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let text = plain(text);
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest: &str = &text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("://") {
            out.push_str(":\u{200B}//");
            rest = &rest[3..];
            continue;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("@\u{200B}"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_makes_every_control_and_direction_character_visible() {
        let hostile = "a\nb\rc\td\u{0}e\u{7f}f\u{85}g\u{1b}[2Jh\u{202e}i\u{2066}j\u{2028}k";
        let out = plain(hostile);
        assert_eq!(
            out,
            "a\\nb\\rc\\td\\u{0}e\\u{7f}f\\u{85}g\\u{1b}[2Jh\\u{202e}i\\u{2066}j\\u{2028}k"
        );
        assert!(!out.chars().any(is_unsafe));
        // Ordinary text, accents and emoji included, is untouched and borrowed.
        for ok in ["credit-team", "Zürich ✓", "arn:aws:s3:::b/*"] {
            assert!(matches!(plain(ok), Cow::Borrowed(s) if s == ok));
        }
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_evaluate_are_prefixed_and_quoted() {
        let cell = |s: &str| {
            let mut out = String::new();
            csv_field(&mut out, s);
            out
        };
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
        assert_eq!(cell("+1"), "\"'+1\"");
        assert_eq!(cell("-2"), "\"'-2\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("\tx"), "\"'\tx\"");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("arn:aws:s3:::b"), "arn:aws:s3:::b");
        assert_eq!(cell(""), "");
        // A minus inside a cell is not a formula.
        assert_eq!(cell("credit-team"), "credit-team");
    }

    #[test]
    fn slack_text_carries_no_mention_link_or_forged_line() {
        for hostile in [
            "<!channel>",
            "<!here|here>",
            "<@U123>",
            "<#C123>",
            "<https://evil.example|click here>",
            "see https://evil.example/x",
            "@channel @here",
            "a & b",
            "x\n• *critical* fake line",
        ] {
            let out = slack(hostile);
            assert!(!out.contains(['<', '>', '\n']), "{hostile:?} -> {out:?}");
            assert!(!out.contains("://"), "{out:?}");
            assert!(
                !out.contains("@channel") && !out.contains("@here"),
                "{out:?}"
            );
        }
        assert_eq!(slack("a & b"), "a &amp; b");
        assert!(matches!(
            slack("role/credit_reader *x* `y`"),
            Cow::Borrowed(_)
        ));
    }
}
