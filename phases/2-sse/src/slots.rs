//! Counting open streams, per board and in total.
//!
//! An event stream holds a whole HTTP/1.1 connection for as long as the tab is open, so
//! streams are the resource a server runs out of first. [`StreamSlots`] hands out one
//! [`StreamSlot`] per stream and refuses past the limits with `503 too_many_streams`; the
//! slot is given back when the stream's body is dropped (the client went away, or the
//! stream ended).
//!
//! Note for browsers: `EventSource` treats any status but `200` as fatal and does **not**
//! retry, so the page shows the failure instead of hammering a full server.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use http::StatusCode;
use phase_1_foundations::ApiError;

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_board: HashMap<String, usize>,
}

/// Open-stream counters with limits.
#[derive(Debug)]
pub struct StreamSlots {
    max_total: usize,
    max_per_board: usize,
    counts: Mutex<Counts>,
}

/// One open stream's place; dropping it frees the place.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    board: String,
}

impl StreamSlots {
    /// Counters allowing `max_total` streams, at most `max_per_board` on one board.
    pub fn new(max_total: usize, max_per_board: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_board,
            counts: Mutex::new(Counts::default()),
        })
    }

    /// Takes a place for a stream on `board`, or explains why not (`503`).
    pub fn acquire(self: &Arc<Self>, board: &str) -> Result<StreamSlot, ApiError> {
        let mut counts = self.lock();
        if counts.total >= self.max_total {
            return Err(too_many(format!(
                "the server already serves {} event streams (LIVEBOARD_SSE_MAX_STREAMS)",
                self.max_total
            )));
        }
        let on_board = counts.per_board.get(board).copied().unwrap_or(0);
        if on_board >= self.max_per_board {
            return Err(too_many(format!(
                "board {board} already has {} event streams (LIVEBOARD_SSE_MAX_STREAMS_PER_BOARD)",
                self.max_per_board
            )));
        }
        counts.total += 1;
        counts.per_board.insert(board.to_owned(), on_board + 1);
        Ok(StreamSlot {
            slots: self.clone(),
            board: board.to_owned(),
        })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.lock().total
    }

    /// The total limit.
    pub fn max_total(&self) -> usize {
        self.max_total
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut counts = self.slots.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_board.get_mut(&self.board) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.per_board.remove(&self.board);
            }
        }
    }
}

fn too_many(message: String) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "too_many_streams", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_board_limit_and_the_total_limit_each_refuse_with_503() {
        let slots = StreamSlots::new(3, 2);
        let a1 = slots.acquire("a").unwrap();
        let _a2 = slots.acquire("a").unwrap();
        let err = slots.acquire("a").unwrap_err();
        assert_eq!((err.status.as_u16(), err.code), (503, "too_many_streams"));
        let _b1 = slots.acquire("b").unwrap();
        assert!(slots
            .acquire("c")
            .unwrap_err()
            .message
            .contains("MAX_STREAMS"));
        drop(a1);
        assert_eq!(slots.open(), 2);
        assert!(slots.acquire("a").is_ok());
    }
}
