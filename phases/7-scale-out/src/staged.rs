//! [`StagedTx`]: phase 4's [`LogTx`] over values read ahead of time, writes held back for
//! one `MULTI`/`EXEC`.
//!
//! Phase 4's [`apply_op`](phase_4_board::store::apply_op) asks its transaction questions
//! one at a time ("the op record?", "the note?") and then writes. Asking Redis each
//! question in turn would cost a round trip per question; instead
//! [`crate::redis_store`] reads every answer `apply_op` can ask for in one pipeline, right
//! after `WATCH`, and hands them to this type. `apply_op` runs unchanged over it — the
//! same rules, the same code as SQLite's and memory's — and its writes are kept in order,
//! to be sent as one `MULTI` … `EXEC` ([`StagedTx::transaction`]).
//!
//! A question about something not read ahead (another board, another note) would be a
//! bug of this crate: `apply_op` asks only about the op's own board, op id and note. It is
//! answered with [`StoreError::Corrupt`] saying so, never with a guess.

use phase_4_board::{
    events::LoggedEvent,
    rules::StoredNote,
    store::{LogTx, OpRecord, StoreError},
};

use crate::redis_keys::{encode_event, encode_note, encode_op, Keys};

/// What was read after `WATCH`, for one board.
#[derive(Debug, Default)]
pub struct Prefetched {
    /// The board.
    pub board: String,
    /// Its head (0: no board yet).
    pub head: u64,
    /// How many boards exist.
    pub board_count: u64,
    /// The op id asked about, and its record (a note change only).
    pub op: Option<(String, Option<OpRecord>)>,
    /// The note id asked about, and the note (a note change only).
    pub note: Option<(String, Option<StoredNote>)>,
    /// The board's live notes (a note change only).
    pub live_notes: Option<u64>,
}

/// One write, held back until the commit.
#[derive(Debug)]
enum Write {
    Note(Box<StoredNote>),
    Event(LoggedEvent),
    Op { op_id: String, record: OpRecord },
    Head { seq: u64, now_ms: u64 },
}

/// A [`LogTx`] answering from [`Prefetched`] and recording its writes.
#[derive(Debug)]
pub struct StagedTx {
    read: Prefetched,
    writes: Vec<Write>,
}

fn not_prefetched(what: String) -> StoreError {
    StoreError::Corrupt(format!(
        "bug: the transaction asked for {what}, which was not read after WATCH"
    ))
}

impl StagedTx {
    /// A transaction over `read`, with nothing written yet.
    pub fn new(read: Prefetched) -> Self {
        Self {
            read,
            writes: Vec::new(),
        }
    }

    fn same_board(&self, board: &str) -> Result<(), StoreError> {
        if board == self.read.board {
            Ok(())
        } else {
            Err(not_prefetched(format!("board {board}")))
        }
    }

    /// The writes as one `MULTI` … `EXEC` (empty if nothing was written: an `EXEC` that
    /// only confirms that no watched key changed since the reads).
    pub fn transaction(&self, keys: &Keys) -> Result<redis::Pipeline, StoreError> {
        let board = self.read.board.as_str();
        let mut pipe = redis::pipe();
        pipe.atomic();
        for write in &self.writes {
            match write {
                Write::Note(stored) => {
                    let id = &stored.note.id;
                    pipe.hset(keys.notes(board), id, encode_note(stored)?)
                        .ignore();
                    if stored.deleted {
                        pipe.srem(keys.live(board), id).ignore();
                    } else {
                        pipe.sadd(keys.live(board), id).ignore();
                    }
                }
                Write::Event(event) => {
                    pipe.rpush(keys.log(board), encode_event(event)?).ignore();
                }
                Write::Op { op_id, record } => {
                    pipe.hset(keys.ops(board), op_id, encode_op(record)?)
                        .ignore();
                }
                Write::Head { seq, now_ms } => {
                    pipe.set(keys.head(board), seq).ignore();
                    pipe.zadd(keys.boards(), board, now_ms).ignore();
                    if self.read.head == 0 {
                        // The board's first change makes the board.
                        pipe.incr(keys.board_count(), 1).ignore();
                    }
                }
            }
        }
        Ok(pipe)
    }
}

impl LogTx for StagedTx {
    fn head(&mut self, board: &str) -> Result<u64, StoreError> {
        self.same_board(board)?;
        Ok(self.read.head)
    }

    fn op(&mut self, board: &str, op_id: &str) -> Result<Option<OpRecord>, StoreError> {
        self.same_board(board)?;
        match &self.read.op {
            Some((id, record)) if id == op_id => Ok(record.clone()),
            _ => Err(not_prefetched(format!("op {op_id}"))),
        }
    }

    fn note(&mut self, board: &str, id: &str) -> Result<Option<StoredNote>, StoreError> {
        self.same_board(board)?;
        match &self.read.note {
            Some((note_id, note)) if note_id == id => Ok(note.clone()),
            _ => Err(not_prefetched(format!("note {id}"))),
        }
    }

    fn live_notes(&mut self, board: &str) -> Result<u64, StoreError> {
        self.same_board(board)?;
        self.read
            .live_notes
            .ok_or_else(|| not_prefetched("the live note count".into()))
    }

    fn board_count(&mut self) -> Result<u64, StoreError> {
        Ok(self.read.board_count)
    }

    fn put_note(&mut self, note: &StoredNote) -> Result<(), StoreError> {
        self.same_board(&note.note.board)?;
        self.writes.push(Write::Note(Box::new(note.clone())));
        Ok(())
    }

    fn append_event(&mut self, board: &str, event: &LoggedEvent) -> Result<(), StoreError> {
        self.same_board(board)?;
        self.writes.push(Write::Event(event.clone()));
        Ok(())
    }

    fn record_op(&mut self, board: &str, op_id: &str, record: &OpRecord) -> Result<(), StoreError> {
        self.same_board(board)?;
        self.writes.push(Write::Op {
            op_id: op_id.to_owned(),
            record: record.clone(),
        });
        Ok(())
    }

    fn set_head(&mut self, board: &str, seq: u64, now_ms: u64) -> Result<(), StoreError> {
        self.same_board(board)?;
        self.writes.push(Write::Head { seq, now_ms });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_about_something_not_read_ahead_is_a_clear_error_not_a_guess() {
        let mut tx = StagedTx::new(Prefetched {
            board: "b".into(),
            ..Prefetched::default()
        });
        assert_eq!(tx.head("b").unwrap(), 0);
        let err = tx.head("other").unwrap_err().to_string();
        assert!(err.contains("board other"), "{err}");
        let err = tx.note("b", "n1").unwrap_err().to_string();
        assert!(err.contains("not read after WATCH"), "{err}");
    }
}
