//! Plain-text layout shared by the commands' tables.

/// `rows` under `header`, each column as wide as its widest cell, two spaces apart.
pub fn columns<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header = header.map(String::from);
    let mut text = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(widths) {
            line.push_str(cell);
            line.extend(std::iter::repeat_n(
                ' ',
                width.saturating_sub(cell.chars().count()) + 2,
            ));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// `text` on one line (runs of whitespace and control characters become one
/// space), cut to `max` characters with an ellipsis.
pub fn one_line(text: &str, max: usize) -> String {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let line = words.join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_flattens_newlines_and_tabs_and_cuts_long_text_with_an_ellipsis() {
        assert_eq!(
            one_line("  gate failed:\n\terror[E0308]\r\n  mismatched ", 100),
            "gate failed: error[E0308] mismatched"
        );
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("abcd", 4), "abcd");
    }

    #[test]
    fn columns_pad_to_the_widest_cell_and_trim_line_ends() {
        let rows = [
            ["a".to_owned(), "long cell".to_owned()],
            ["wider".to_owned(), "x".to_owned()],
        ];
        assert_eq!(
            columns(&["K", "V"], &rows),
            "K      V\na      long cell\nwider  x\n"
        );
    }
}
