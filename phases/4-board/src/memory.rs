//! [`MemoryStore`]: the store in a `Mutex`, for tests and `--data-dir :memory:`.
//!
//! It runs the very same [`apply_op`] as SQLite; its "transaction" is the mutex held for
//! the whole change. Nothing is written before the rules have decided, and writes to
//! maps cannot fail, so all-or-nothing holds without a rollback. Nothing survives the
//! process: a new `MemoryStore` has a new epoch, so clients of the old one get a `reset`.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Mutex, MutexGuard},
};

use bytes::Bytes;
use phase_2_sse::position::new_epoch;

use crate::{
    events::LoggedEvent,
    protocol::NoteAck,
    rules::{NoteOp, RuleLimits, StoredNote},
    store::{
        append_line, apply_op, sort_notes, Appended, BlockingStore, BoardCursor, BoardRow,
        LogReader, LogTx, OpRecord, Outcome, Snapshot, StoreError,
    },
};

#[derive(Debug, Default)]
struct Board {
    head: u64,
    updated_at_ms: u64,
    notes: BTreeMap<String, StoredNote>,
    events: Vec<LoggedEvent>,
    ops: HashMap<String, OpRecord>,
}

/// Every board in memory.
#[derive(Debug)]
pub struct MemoryStore {
    epoch: String,
    boards: Mutex<BTreeMap<String, Board>>,
}

impl MemoryStore {
    /// An empty store with a fresh epoch.
    pub fn new() -> Self {
        Self {
            epoch: new_epoch(),
            boards: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Board>> {
        // Every change is decided before anything is written: a panic cannot leave a
        // half-applied change behind, so a poisoned lock is still consistent.
        self.boards.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

/// The maps, borrowed for one change.
struct MemoryTx<'a>(&'a mut BTreeMap<String, Board>);

impl MemoryTx<'_> {
    fn board(&mut self, name: &str) -> &mut Board {
        self.0.entry(name.to_owned()).or_default()
    }
}

impl LogTx for MemoryTx<'_> {
    fn head(&mut self, board: &str) -> Result<u64, StoreError> {
        Ok(self.0.get(board).map_or(0, |b| b.head))
    }
    fn op(&mut self, board: &str, op_id: &str) -> Result<Option<OpRecord>, StoreError> {
        Ok(self.0.get(board).and_then(|b| b.ops.get(op_id).cloned()))
    }
    fn note(&mut self, board: &str, id: &str) -> Result<Option<StoredNote>, StoreError> {
        Ok(self.0.get(board).and_then(|b| b.notes.get(id).cloned()))
    }
    fn live_notes(&mut self, board: &str) -> Result<u64, StoreError> {
        Ok(self.0.get(board).map_or(0, |b| {
            b.notes.values().filter(|n| !n.deleted).count() as u64
        }))
    }
    fn board_count(&mut self) -> Result<u64, StoreError> {
        Ok(self.0.values().filter(|b| b.head > 0).count() as u64)
    }
    fn put_note(&mut self, note: &StoredNote) -> Result<(), StoreError> {
        self.board(&note.note.board)
            .notes
            .insert(note.note.id.clone(), note.clone());
        Ok(())
    }
    fn append_event(&mut self, board: &str, event: &LoggedEvent) -> Result<(), StoreError> {
        self.board(board).events.push(event.clone());
        Ok(())
    }
    fn record_op(&mut self, board: &str, op_id: &str, record: &OpRecord) -> Result<(), StoreError> {
        self.board(board)
            .ops
            .insert(op_id.to_owned(), record.clone());
        Ok(())
    }
    fn set_head(&mut self, board: &str, seq: u64, now_ms: u64) -> Result<(), StoreError> {
        let b = self.board(board);
        b.head = seq;
        b.updated_at_ms = now_ms;
        Ok(())
    }
}

impl LogReader for MemoryStore {
    fn head(&self, board: &str) -> Result<u64, StoreError> {
        Ok(self.lock().get(board).map_or(0, |b| b.head))
    }

    fn events(
        &self,
        board: &str,
        after: u64,
        through: u64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let boards = self.lock();
        let Some(b) = boards.get(board) else {
            return Ok(Vec::new());
        };
        // Sequence numbers start at 1 without gaps: event n is at index n - 1.
        let start = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(b.events.len());
        let end = usize::try_from(through)
            .unwrap_or(usize::MAX)
            .min(b.events.len());
        Ok(b.events[start..end.max(start)].to_vec())
    }
}

impl BlockingStore for MemoryStore {
    fn epoch(&self) -> &str {
        &self.epoch
    }

    fn apply(&self, op: &NoteOp, limits: &RuleLimits, now_ms: u64) -> Result<Outcome, StoreError> {
        let mut boards = self.lock();
        apply_op(&mut MemoryTx(&mut boards), &self.epoch, op, limits, now_ms)
    }

    fn append(
        &self,
        board: &str,
        event: &str,
        data: Bytes,
        limits: &RuleLimits,
        now_ms: u64,
    ) -> Result<Appended, StoreError> {
        let mut boards = self.lock();
        append_line(
            &mut MemoryTx(&mut boards),
            board,
            event,
            data,
            limits,
            now_ms,
        )
    }

    fn snapshot(&self, board: &str) -> Result<Snapshot, StoreError> {
        let boards = self.lock();
        let Some(b) = boards.get(board) else {
            return Ok(Snapshot {
                seq: 0,
                notes: Vec::new(),
            });
        };
        let mut notes: Vec<_> = b
            .notes
            .values()
            .filter(|n| !n.deleted)
            .map(|n| n.note.clone())
            .collect();
        sort_notes(&mut notes);
        Ok(Snapshot { seq: b.head, notes })
    }

    fn boards(
        &self,
        after: Option<&BoardCursor>,
        limit: usize,
    ) -> Result<Vec<BoardRow>, StoreError> {
        let mut rows: Vec<BoardRow> = self
            .lock()
            .iter()
            .filter(|(_, b)| b.head > 0)
            .map(|(name, b)| BoardRow {
                name: name.clone(),
                notes: b.notes.values().filter(|n| !n.deleted).count() as u64,
                head: b.head,
                updated_at_ms: b.updated_at_ms,
            })
            .filter(|row| after.map_or(true, |c| c.precedes(row)))
            .collect();
        // No index here: sort what is left (a test store holds few boards).
        rows.sort_by(|a, b| {
            b.updated_at_ms
                .cmp(&a.updated_at_ms)
                .then_with(|| a.name.cmp(&b.name))
        });
        rows.truncate(limit);
        Ok(rows)
    }

    fn find_op(&self, board: &str, op_id: &str) -> Result<Option<NoteAck>, StoreError> {
        let boards = self.lock();
        let Some(record) = boards.get(board).and_then(|b| b.ops.get(op_id)) else {
            return Ok(None);
        };
        serde_json::from_str(&record.ack)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("op record {op_id}: {e}")))
    }
}
