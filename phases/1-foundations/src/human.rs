//! Numbers written for people, in the messages an error shows them.
//!
//! An error has two readers (see [`crate::error`]): the person at the keyboard, who reads
//! "at most 2,000 characters", and the developer, who reads the setting and its raw value
//! in the error's detail. This module writes the first kind.

/// `n` with a comma between each group of three digits: `10000` → `"10,000"`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `n` and the noun, singular for one: `counted(1, "note", "notes")` → `"1 note"`,
/// `counted(2000, "note", "notes")` → `"2,000 notes"`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

/// A wait in whole seconds, rounded up and at least 1: what "try again in 2 s" says.
pub fn seconds_up(wait: std::time::Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn digits_are_grouped_by_three_from_the_right() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (10_000, "10,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(grouped(n), text);
        }
    }

    #[test]
    fn a_count_of_one_takes_the_singular() {
        assert_eq!(counted(1, "note", "notes"), "1 note");
        assert_eq!(counted(0, "note", "notes"), "0 notes");
        assert_eq!(counted(2_000, "note", "notes"), "2,000 notes");
    }

    #[test]
    fn a_wait_is_rounded_up_to_whole_seconds_and_never_zero() {
        assert_eq!(seconds_up(Duration::from_millis(1)), 1);
        assert_eq!(seconds_up(Duration::from_millis(1_000)), 1);
        assert_eq!(seconds_up(Duration::from_millis(1_001)), 2);
        assert_eq!(seconds_up(Duration::ZERO), 1);
    }
}
