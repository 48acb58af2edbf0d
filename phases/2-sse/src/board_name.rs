//! Board names: the `:board` in `/boards/:board/events`.
//!
//! A board name becomes a hub room, a key in the presence map and a word in logs, so we
//! accept a small, boring alphabet: 1 to 64 of `A-Z a-z 0-9 _ -`. Anything else is a
//! `400 bad_board_name` that says the rule, rather than a room named `../../etc`.

use std::fmt;

use phase_1_foundations::ApiError;

/// Longest board name, in characters.
pub const MAX_BOARD_NAME_LEN: usize = 64;

/// A validated board name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoardName(String);

impl BoardName {
    /// Checks `name` against the rule above.
    pub fn parse(name: &str) -> Result<Self, ApiError> {
        let ok = (1..=MAX_BOARD_NAME_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(ApiError::bad_request(
                "bad_board_name",
                format!(
                    "board name {:?} must be 1 to {MAX_BOARD_NAME_LEN} characters of A-Z, a-z, 0-9, '_' or '-'",
                    name.chars().take(80).collect::<String>()
                ),
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BoardName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_underscore_and_dash_are_a_board_name() {
        for ok in ["demo", "Team_2-b", "a", &"x".repeat(64)] {
            assert_eq!(BoardName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn anything_else_is_400_bad_board_name() {
        for bad in ["", "a b", "a/b", "é", "..", &"x".repeat(65)] {
            let err = BoardName::parse(bad).unwrap_err();
            assert_eq!(err.status, http::StatusCode::BAD_REQUEST);
            assert_eq!(err.code, "bad_board_name");
        }
    }
}
