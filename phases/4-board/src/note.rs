//! A note, and the rules for each of its fields.
//!
//! A note is a small card on a board: some text, a color, a column it sits in and an
//! `order` inside that column. Its `id` is chosen **by the client** that creates it (a
//! UUID, say): the creating browser shows the note at once (optimistic UI) and can queue
//! an edit or a move of it before the server has answered — no temporary id to swap for
//! a real one later, no pending op to rewrite.
//!
//! `order` is a floating-point number so that a note can be dropped *between* two others
//! without renumbering the column: between 1.0 and 2.0 goes 1.5, between 1.0 and 1.5 goes
//! 1.25. Fifty halvings in one spot exhaust an `f64`'s precision; a client that gets there
//! renumbers the column with moves (production systems use fractional-index *strings*,
//! which never run out; a number keeps the lesson short).
//!
//! `version` starts at 1 and grows by one with every accepted change to the note. A
//! change names the version it was based on (`baseVersion`), which is how the server
//! notices that two people changed the same thing at once ([`crate::rules`]).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

// ANCHOR: note
/// A note as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Chosen by the creating client: 1–64 of `A-Z a-z 0-9 _ -` (a UUID fits).
    pub id: String,
    /// The board it is on.
    pub board: String,
    /// The text, 0 to `LIVEBOARD_BOARD_MAX_TEXT_CHARS` characters.
    pub text: String,
    /// `#rrggbb`, lower case.
    pub color: String,
    /// The column's name, e.g. `"Todo"`: 1–32 characters.
    pub column: String,
    /// Position inside the column, ascending; ties are broken by `id`.
    pub order: f64,
    /// Display name of the person who created it.
    pub author: String,
    /// Display name of the person whose accepted change made this version ("Bo changed
    /// this note"); `author` on creation.
    pub updated_by: String,
    /// Server time of creation, milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub created_at_ms: u64,
    /// Server time of the last accepted change.
    #[ts(type = "number")]
    pub updated_at_ms: u64,
    /// 1 on creation, +1 with every accepted change.
    #[ts(type = "number")]
    pub version: u64,
}
// ANCHOR_END: note

/// Longest note id, in bytes.
pub const MAX_NOTE_ID_LEN: usize = 64;
/// Longest op id, in bytes.
pub const MAX_OP_ID_LEN: usize = 64;
/// Longest column name, in characters.
pub const MAX_COLUMN_CHARS: usize = 32;

/// Whether `id` is 1–`max` of `A-Z a-z 0-9 _ -` (note ids, op ids).
pub fn is_token(id: &str, max: usize) -> bool {
    (1..=max).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `color` is `#rrggbb`.
pub fn is_color(color: &str) -> bool {
    color
        .strip_prefix('#')
        .is_some_and(|hex| hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `column` is a column name: 1–32 characters after trimming, no control characters.
pub fn is_column(column: &str) -> bool {
    let trimmed = column.trim();
    trimmed == column
        && (1..=MAX_COLUMN_CHARS).contains(&column.chars().count())
        && !column.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_boring_tokens_and_a_uuid_is_one() {
        assert!(is_token(
            "4f1c2b1e-8a8b-4a53-9a55-2f7a3e1c9d00",
            MAX_NOTE_ID_LEN
        ));
        assert!(is_token("ana-17", MAX_OP_ID_LEN));
        for bad in ["", "a b", "a/b", "é", &"x".repeat(65)] {
            assert!(!is_token(bad, 64), "{bad:?}");
        }
    }

    #[test]
    fn colors_are_six_hex_digits_after_a_hash() {
        assert!(is_color("#fde68a"));
        assert!(is_color("#FDE68A"));
        for bad in ["fde68a", "#fde68", "#fde68g", "#fde68a0", ""] {
            assert!(!is_color(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_column_is_one_to_thirty_two_visible_characters() {
        assert!(is_column("Todo"));
        assert!(is_column("À faire"));
        for bad in ["", " Todo", "Todo ", "a\nb", &"x".repeat(33)] {
            assert!(!is_column(bad), "{bad:?}");
        }
    }
}
