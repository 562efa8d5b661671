//! Plain-text tables for people (`--format table`): left-aligned columns two spaces
//! apart, sized to the widest cell, no trailing blanks. Cells are account text (ARNs,
//! owners, summaries), so control characters and terminal escapes in them are shown as
//! escapes ([`accessdrift_escape::plain`]), never sent to the terminal.

use std::fmt::Write as _;

use accessdrift_escape::plain;

/// The header and rows as aligned lines, each ending in a newline.
pub fn columns<const N: usize>(header: [&str; N], rows: &[[&str; N]]) -> String {
    let shown: Vec<[String; N]> = rows
        .iter()
        .map(|row| row.map(|cell| plain(cell).into_owned()))
        .collect();
    let rows: Vec<[&str; N]> = shown
        .iter()
        .map(|row| row.each_ref().map(String::as_str))
        .collect();
    let rows = rows.as_slice();
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (cell, w) in row.iter().zip(widths) {
            let _ = write!(line, "{cell:<w$}  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::columns;

    #[test]
    fn columns_align_on_the_widest_cell_and_lines_end_without_blanks() {
        let out = columns(["ID", "OWNER"], &[["1", "credit-team"], ["22", "-"]]);
        assert_eq!(out, "ID  OWNER\n1   credit-team\n22  -\n");
    }

    #[test]
    fn control_characters_and_terminal_escapes_in_cells_are_shown_not_sent() {
        let out = columns(["ID", "SUMMARY"], &[["1", "ok\u{1b}[2J\nFix: run this"]]);
        assert_eq!(out, "ID  SUMMARY\n1   ok\\u{1b}[2J\\nFix: run this\n");
        assert!(!out.contains('\u{1b}'));
        assert_eq!(out.lines().count(), 2);
    }

    #[test]
    fn width_counts_characters_not_bytes() {
        let out = columns(["A", "B"], &[["é", "x"]]);
        assert_eq!(out, "A  B\né  x\n");
    }
}
