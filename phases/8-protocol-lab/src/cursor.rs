//! The cursor: where in a board's log a poll continues, `?after=`.
//!
//! A board's log numbers its events 1, 2, 3, … without gaps (phase 4), so "everything
//! after 41" names exactly what a client has not seen, however long it was away, whatever
//! happened in between. That is the whole trick of polling without loss: the client does
//! not ask "what happened since my last request" (a time, which the server cannot answer
//! exactly), it asks "what comes after sequence 41" — and an answer's `next` is the
//! cursor for the question after it.
//!
//! A sequence number alone is not quite enough, for the reason phase 2's
//! [`StreamPosition`] gives: if the log is lost (a store wiped, a server started on an
//! empty data directory), it starts again at 1, and "after 41" would skip the new log's
//! first 41 events, or be answered with different events under familiar numbers. So
//! `next` is a whole position, `<epoch>-<seq>` — the very string an SSE stream sends as
//! `id:` — and a position from another epoch gets a **reset**: reload the board, then poll
//! from the position the snapshot gives. Recovery is all or nothing, as for a stream.
//!
//! `after` accepts both forms: the position an answer gave (what a client sends in its
//! loop), or a bare sequence number, read in the log's current epoch — `after=0` for the
//! whole log from its start, or a number typed into `curl`.

use phase_1_foundations::ApiError;
use phase_2_sse::{position::StreamPosition, query::Query};

/// Where a poll continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The epoch the client's position is from; `None`: a bare sequence number, taken to
    /// be in the current epoch.
    pub epoch: Option<String>,
    /// The last sequence number the client has (0: none yet).
    pub seq: u64,
}

impl Cursor {
    /// Reads `after`: a position (`k3x9q1-42`) or a sequence number (`42`); absent: 0.
    pub fn parse(after: Option<&str>) -> Result<Self, ApiError> {
        let Some(text) = after else {
            return Ok(Self {
                epoch: None,
                seq: 0,
            });
        };
        if let Ok(seq) = text.parse::<u64>() {
            return Ok(Self { epoch: None, seq });
        }
        match text.parse::<StreamPosition>() {
            Ok(p) => Ok(Self {
                epoch: Some(p.epoch),
                seq: p.seq,
            }),
            Err(_) => Err(ApiError::bad_request(
                "bad_cursor",
                format!(
                    "after={:?} is not a cursor: send the `next` of the last answer \
                     (<epoch>-<sequence>, e.g. k3x9q1-42) or a sequence number (0: from the \
                     start of the log)",
                    text.chars().take(64).collect::<String>()
                ),
            )),
        }
    }

    // ANCHOR: cursor_resume
    /// Checks the cursor against the log (`epoch`, `head`): the sequence number to read
    /// after, or why it cannot be resumed (the client must reload — a reset).
    pub fn resume(&self, epoch: &str, head: u64) -> Result<u64, String> {
        // EXERCISE(ch8-poll-cursor): resume a cursor, or say why it is a reset
        if let Some(theirs) = self.epoch.as_deref().filter(|e| *e != epoch) {
            return Err(format!(
                "position {theirs}-{} is from another history (epoch {epoch} now): the log was lost or replaced",
                self.seq
            ));
        }
        if self.seq > head {
            return Err(format!(
                "position {} is ahead of the log (at {head})",
                self.seq
            ));
        }
        Ok(self.seq)
        // EXERCISE_END(ch8-poll-cursor)
    }
    // ANCHOR_END: cursor_resume
}

/// `?after=&wait_ms=`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollQuery {
    /// Where to continue.
    pub after: Cursor,
    /// How long to hold the request if nothing is new, in ms (0: answer at once), before
    /// the server's cap is applied.
    pub wait_ms: u64,
}

impl PollQuery {
    /// Reads the query string; a bad `after` or `wait_ms` is a `400` saying what is wrong.
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let query = Query::parse(query)?;
        let after = Cursor::parse(query.get("after"))?;
        let wait_ms = match query.get("wait_ms") {
            None => 0,
            Some(text) => text.parse::<u64>().map_err(|_| {
                ApiError::bad_request(
                    "bad_wait",
                    format!(
                        "wait_ms={:?} is not a number of milliseconds (0 or absent: answer at once)",
                        text.chars().take(32).collect::<String>()
                    ),
                )
            })?,
        };
        Ok(Self { after, wait_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_a_position_or_a_sequence_number() {
        assert_eq!(
            Cursor::parse(Some("k3x9q1-42")).unwrap(),
            Cursor {
                epoch: Some("k3x9q1".into()),
                seq: 42
            }
        );
        assert_eq!(
            Cursor::parse(Some("42")).unwrap(),
            Cursor {
                epoch: None,
                seq: 42
            }
        );
        assert_eq!(Cursor::parse(None).unwrap().seq, 0);
        for bad in ["abc", "-1", "k3x9q1-", "1.5", ""] {
            assert_eq!(
                Cursor::parse(Some(bad)).unwrap_err().code,
                "bad_cursor",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn another_epoch_or_a_future_sequence_is_a_reset() {
        let mine = Cursor::parse(Some("aaa-3")).unwrap();
        assert_eq!(mine.resume("aaa", 5), Ok(3));
        assert!(mine
            .resume("bbb", 5)
            .unwrap_err()
            .contains("another history"));
        assert!(mine.resume("aaa", 2).unwrap_err().contains("ahead"));
        assert_eq!(Cursor::parse(Some("3")).unwrap().resume("zzz", 3), Ok(3));
    }

    #[test]
    fn wait_ms_must_be_a_number() {
        assert_eq!(
            PollQuery::parse(Some("wait_ms=soon")).unwrap_err().code,
            "bad_wait"
        );
        assert_eq!(
            PollQuery::parse(Some("after=1&wait_ms=50"))
                .unwrap()
                .wait_ms,
            50
        );
    }
}
