//! Clean text at the domain edge. Every piece of free text a person types
//! (names, titles, messages, reasons, addresses) is parsed here before it is
//! stored, so both databases see the same, printable strings: PostgreSQL
//! refuses NUL in `text`, SQLite stores it, and neither should hold a
//! control character that can hide or reorder what a reader sees.
//!
//! Two shapes:
//! - [`line`]: one line (names, titles, tracking numbers): no control
//!   characters at all;
//! - [`block`]: multi-line text (descriptions, messages): newline and tab
//!   allowed, `\r\n` folded to `\n`.
//!
//! Both reject the bidirectional overrides and isolates (U+202A–U+202E,
//! U+2066–U+2069) that can make "gpj.exe" read as "exe.jpg", trim the ends
//! and bound the length in characters.

use unicode_normalization::UnicodeNormalization;

/// Why a text was refused; `field` names the input for the error details.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} must be at most {max_chars} characters")]
    TooLong {
        field: &'static str,
        max_chars: usize,
    },
    #[error("{field} must not contain control characters (U+{code_point:04X})")]
    ControlCharacter {
        field: &'static str,
        code_point: u32,
    },
}

impl TextError {
    pub fn field(&self) -> &'static str {
        match self {
            TextError::Empty { field }
            | TextError::TooLong { field, .. }
            | TextError::ControlCharacter { field, .. } => field,
        }
    }
}

/// Characters that reorder or hide text without being visible themselves.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The first character no text field may hold, given whether newlines and
/// tabs are allowed.
pub fn forbidden_char(raw: &str, multiline: bool) -> Option<char> {
    raw.chars().find(|&c| {
        let allowed_whitespace = multiline && matches!(c, '\n' | '\t' | '\r');
        (c.is_control() && !allowed_whitespace) || is_bidi_control(c)
    })
}

fn check(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    multiline: bool,
    required: bool,
) -> Result<String, TextError> {
    if let Some(c) = forbidden_char(raw, multiline) {
        return Err(TextError::ControlCharacter {
            field,
            code_point: u32::from(c),
        });
    }
    let folded = if multiline {
        raw.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        raw.to_string()
    };
    let trimmed = folded.trim();
    if required && trimmed.is_empty() {
        return Err(TextError::Empty { field });
    }
    if trimmed.chars().count() > max_chars {
        return Err(TextError::TooLong { field, max_chars });
    }
    Ok(trimmed.to_string())
}

/// The last `n` characters of `text` (all of it when shorter), for
/// showing a secret or an account number masked.
pub fn last_chars(text: &str, n: usize) -> &str {
    let skip = text.chars().count().saturating_sub(n);
    text.char_indices()
        .nth(skip)
        .map_or("", |(at, _)| &text[at..])
}

/// A required single line of at most `max_chars` characters, trimmed.
pub fn line(field: &'static str, raw: &str, max_chars: usize) -> Result<String, TextError> {
    check(field, raw, max_chars, false, true)
}

/// An optional single line (may be empty), trimmed.
pub fn optional_line(
    field: &'static str,
    raw: &str,
    max_chars: usize,
) -> Result<String, TextError> {
    check(field, raw, max_chars, false, false)
}

/// Required multi-line text of at most `max_chars` characters, trimmed.
pub fn block(field: &'static str, raw: &str, max_chars: usize) -> Result<String, TextError> {
    check(field, raw, max_chars, true, true)
}

/// Optional multi-line text (may be empty), trimmed.
pub fn optional_block(
    field: &'static str,
    raw: &str,
    max_chars: usize,
) -> Result<String, TextError> {
    check(field, raw, max_chars, true, false)
}

/// The UTS #39 skeleton of a name or address: NFKC, lower case, every
/// confusable character mapped to its prototype. Two strings with the same
/// skeleton look alike to a person ("Haven Support" and "Наvеn Ѕupport",
/// "paypal" and "paypa1"), so an account may not take a name whose
/// skeleton another account already has.
pub fn skeleton(raw: &str) -> String {
    // Case-sensitive prototypes first (Cyrillic "Н" is "H"), then again
    // after lower-casing (so "h" and "ʜ" meet as well).
    let normalised: String = raw.nfkc().collect();
    let first: String = unicode_security::skeleton(&normalised).collect();
    let skeleton: String = unicode_security::skeleton(&first.to_lowercase()).collect();
    // Spacing and dots are invisible enough to a reader to ignore.
    skeleton
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '_' | '-'))
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_chars_counts_characters_not_bytes() {
        assert_eq!(last_chars("DE89370400440532013000", 4), "3000");
        assert_eq!(last_chars("ab", 4), "ab");
        assert_eq!(last_chars("", 4), "");
        assert_eq!(last_chars("xÄÖÜß", 3), "ÖÜß");
    }

    #[test]
    fn control_characters_are_refused_in_lines() {
        for bad in [
            "a\0b",
            "a\nb",
            "tab\there",
            "bell\u{7}",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert!(
                matches!(
                    line("name", bad, 80),
                    Err(TextError::ControlCharacter { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn blocks_keep_newlines_and_tabs_but_not_nul() {
        assert_eq!(
            block("text", " one\r\ntwo\tthree \n", 100).unwrap(),
            "one\ntwo\tthree"
        );
        assert!(block("text", "a\0b", 100).is_err());
        assert!(block("text", "a\u{1b}[31m", 100).is_err());
    }

    #[test]
    fn bidi_overrides_are_refused_everywhere() {
        assert!(line("name", "invoice\u{202E}fdp.exe", 80).is_err());
        assert!(block("text", "look \u{2066}here\u{2069}", 80).is_err());
    }

    #[test]
    fn lengths_count_characters_and_empty_is_refused_when_required() {
        assert!(line("name", "ééé", 3).is_ok());
        assert_eq!(
            line("name", "éééé", 3),
            Err(TextError::TooLong {
                field: "name",
                max_chars: 3
            })
        );
        assert_eq!(
            line("name", "   ", 3),
            Err(TextError::Empty { field: "name" })
        );
        assert_eq!(optional_line("note", "  ", 3).unwrap(), "");
    }

    #[test]
    fn skeletons_match_lookalikes() {
        assert_eq!(skeleton("Haven Support"), skeleton("Наvеn Ѕupport"));
        assert_eq!(skeleton("paypal"), skeleton("paypa1"));
        assert_eq!(skeleton("modern"), skeleton("rnodern"));
        assert_eq!(skeleton("ＡＤＡ"), skeleton("ada"));
        assert_ne!(skeleton("Ada Lovelace"), skeleton("Alan Turing"));
    }
}
