//! Where a client is in a room's stream: `(epoch, sequence)`.
//!
//! Every published event gets the next **sequence** number of its room. A client that
//! remembers the last sequence it saw can reconnect and ask for "everything after 41".
//!
//! A bare sequence is not enough. Our history lives in memory: after a restart the room
//! starts again at 1, and a client saying "after 41" would silently miss events 1..=41 of
//! the *new* history (or be sent a replay of different events with the same numbers).
//! So every history also has an **epoch**, drawn at random when the history is created;
//! a position from another epoch cannot be resumed, and the client is told to reload
//! (a `reset`), never given a partial replay. (Centrifugo's stream position is the same
//! pair; it calls the epoch exactly that.)
//!
//! On the wire a position is `"<epoch>-<seq>"`, e.g. `"k3x9q1-42"` — what SSE sends as
//! `id:` and what the browser echoes back in `Last-Event-ID`.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A position in one room's stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamPosition {
    /// Identifies one history; changes when history is lost.
    pub epoch: String,
    /// The last sequence number seen (0 = nothing yet).
    pub seq: u64,
}

impl StreamPosition {
    /// A position in `epoch` at `seq`.
    pub fn new(epoch: impl Into<String>, seq: u64) -> Self {
        Self {
            epoch: epoch.into(),
            seq,
        }
    }
}

impl fmt::Display for StreamPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.epoch, self.seq)
    }
}

/// Why a string is not a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPosition(pub String);

impl fmt::Display for BadPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a stream position (expected <epoch>-<sequence>, e.g. k3x9q1-42)",
            self.0
        )
    }
}

impl FromStr for StreamPosition {
    type Err = BadPosition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // EXERCISE(ch2-last-event-id): parse a Last-Event-ID into a stream position
        let bad = || BadPosition(s.chars().take(64).collect());
        let (epoch, seq) = s.rsplit_once('-').ok_or_else(bad)?;
        if epoch.is_empty() || !epoch.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        let seq = seq.parse::<u64>().map_err(|_| bad())?;
        Ok(Self::new(epoch, seq))
        // EXERCISE_END(ch2-last-event-id)
    }
}

/// A fresh epoch: 12 base-36 characters from the clock and the process id, hashed with
/// std's randomly keyed SipHash. Unique enough to tell two runs apart; not a secret.
pub fn new_epoch() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    let mut n = h.finish();
    let mut out = String::with_capacity(12);
    for _ in 0..12 {
        let d = (n % 36) as u32;
        out.push(char::from_digit(d, 36).unwrap_or('0'));
        n /= 36;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_round_trips_through_its_wire_form() {
        let p = StreamPosition::new("k3x9q1", 42);
        assert_eq!(p.to_string(), "k3x9q1-42");
        assert_eq!("k3x9q1-42".parse::<StreamPosition>().unwrap(), p);
    }

    #[test]
    fn garbage_is_not_a_position() {
        for s in [
            "",
            "42",
            "-42",
            "abc-",
            "abc-x",
            "a b-1",
            "abc-18446744073709551616",
        ] {
            assert!(s.parse::<StreamPosition>().is_err(), "{s:?}");
        }
    }

    #[test]
    fn two_epochs_differ() {
        assert_ne!(new_epoch(), new_epoch());
        assert_eq!(new_epoch().len(), 12);
    }
}
