//! Plain-text tables for people (`--format table`): left-aligned columns two spaces
//! apart, sized to the widest cell, no trailing blanks.

use std::fmt::Write as _;

/// The header and rows as aligned lines, each ending in a newline.
pub fn columns<const N: usize>(header: [&str; N], rows: &[[&str; N]]) -> String {
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
    fn width_counts_characters_not_bytes() {
        let out = columns(["A", "B"], &[["é", "x"]]);
        assert_eq!(out, "A  B\né  x\n");
    }
}
