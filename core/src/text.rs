//! Server text made safe to show: one cleaning for every piece of text from a server (or a host
//! error) that reaches a message, a warning or an error field. A hostile server must not forge
//! log lines, move a terminal's cursor or reorder what a reader sees.

#[allow(unused_imports)]
use crate::prelude::*;

/// Whether `c` is replaced by [`clean`]: control characters (C0 with TAB, DEL, C1: U+0085 is a
/// line break to some log parsers, U+009B a terminal escape), the Unicode line and paragraph
/// separators, and the bidirectional formatting characters (Unicode UAX #9: embeddings,
/// overrides, isolates and marks).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every [`is_unsafe`] character replaced by U+FFFD.
pub fn clean(s: &str) -> String {
    s.chars().map(|c| if is_unsafe(c) { '\u{fffd}' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code point: cleaned text holds no unsafe character, and every safe one is kept.
    #[test]
    fn every_code_point() {
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let s = ['a', c, 'b'].iter().collect::<String>();
            let out = clean(&s);
            assert!(!out.chars().any(is_unsafe), "U+{:04X}", c as u32);
            let expected = if is_unsafe(c) { '\u{fffd}' } else { c };
            assert_eq!(out, ['a', expected, 'b'].iter().collect::<String>(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_dangerous_ones() {
        for c in [
            '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', '\u{2028}', '\u{2029}', '\u{202e}', '\u{2066}',
            '\u{2069}',
        ] {
            assert!(is_unsafe(c), "U+{:04X}", c as u32);
        }
        for c in [' ', 'é', '\u{a0}', '\u{fffd}', '€', '日'] {
            assert!(!is_unsafe(c), "U+{:04X}", c as u32);
        }
    }
}
