//! Text for messages and reports, shared by every module: shortening, and making text a target
//! sent safe to print (no terminal escape sequences, no forged lines, no bidi tricks).

use std::borrow::Cow;

/// `s` on one line, cut to `max` characters, control characters escaped.
pub fn brief(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (count, c) in s.chars().enumerate() {
        if count == max {
            out.push('…');
            return out;
        }
        match c {
            '\n' | '\r' => out.push(' '),
            c if is_unsafe(c, false) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Whether printing `c` could change what a terminal shows elsewhere: C0 and C1 controls and
/// DEL (escape sequences, carriage returns), and the Unicode bidi overrides and isolates (text
/// shown in another order than it is). Tabs are safe; newlines when `keep_newlines`.
fn is_unsafe(c: char, keep_newlines: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !keep_newlines,
        c if c.is_control() => true,
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// `s` with every unsafe character written as `\u{…}` (newlines kept when `keep_newlines`).
pub fn escape_controls(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c, keep_newlines) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bidi_overrides_are_written_out() {
        assert_eq!(
            escape_controls("a\u{1b}[31mred\u{7}\r", false),
            "a\\u{1b}[31mred\\u{7}\\u{d}"
        );
        assert_eq!(
            escape_controls("x\u{202e}y\u{85}", true),
            "x\\u{202e}y\\u{85}"
        );
        assert_eq!(escape_controls("two\nlines\tok", true), "two\nlines\tok");
        assert_eq!(escape_controls("two\nlines", false), "two\\u{a}lines");
        assert!(matches!(
            escape_controls("plain ü", false),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn brief_is_one_safe_line() {
        assert_eq!(brief("a\nb\u{1b}c", 10), "a b\\u{1b}c");
        assert_eq!(brief("abcdef", 3), "abc…");
        assert_eq!(brief("abc", 3), "abc");
    }
}
