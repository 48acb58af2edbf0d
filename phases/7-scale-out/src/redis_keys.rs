//! Where [`crate::redis_store::RedisStore`] keeps each thing in Redis, and how each value
//! is written there.
//!
//! ```text
//! <prefix>:epoch               STRING  the log's epoch, drawn once (SET NX), never changed
//! <prefix>:boards              ZSET    board name → updated_at_ms: GET /boards, its order
//! <prefix>:board-count         STRING  how many boards exist (the cap), +1 with a new board
//! <prefix>:board:<b>:head      STRING  the board's last sequence number (absent: 0)
//! <prefix>:board:<b>:log       LIST    event seq at index seq - 1 ("<event>\n<data>")
//! <prefix>:board:<b>:notes     HASH    note id → the stored note as JSON, tombstones too
//! <prefix>:board:<b>:live      SET     ids of the live notes (SCARD: the note count)
//! <prefix>:board:<b>:ops       HASH    op id → {"request": fingerprint, "ack": JSON}
//! ```
//!
//! A board name is 1–64 of `A-Z a-z 0-9 _ -` (phase 2's rule), so `:` never occurs in
//! it and every key names exactly one thing.
//!
//! **Why a separate `board-count`**, when `ZCARD boards` says the same: the first change
//! of a board must read the count and be sure it did not change before its commit, so it
//! `WATCH`es what it read. Every change of every board updates its score in `boards`;
//! watching that would abort a board's creation whenever any board changed. The counter
//! changes only when a board is created: creations race only with each other.

use bytes::Bytes;
use phase_4_board::{
    events::LoggedEvent,
    note::Note,
    rules::StoredNote,
    store::{OpRecord, StoreError},
};
use serde::{Deserialize, Serialize};

/// The names of the keys under one prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Keys starting with `prefix:`.
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The epoch.
    pub fn epoch(&self) -> String {
        format!("{}:epoch", self.prefix)
    }

    /// The boards, scored by their last change.
    pub fn boards(&self) -> String {
        format!("{}:boards", self.prefix)
    }

    /// How many boards exist.
    pub fn board_count(&self) -> String {
        format!("{}:board-count", self.prefix)
    }

    /// A board's head.
    pub fn head(&self, board: &str) -> String {
        self.board(board, "head")
    }

    /// A board's event log.
    pub fn log(&self, board: &str) -> String {
        self.board(board, "log")
    }

    /// A board's notes, tombstones included.
    pub fn notes(&self, board: &str) -> String {
        self.board(board, "notes")
    }

    /// A board's live note ids.
    pub fn live(&self, board: &str) -> String {
        self.board(board, "live")
    }

    /// A board's op-id records.
    pub fn ops(&self, board: &str) -> String {
        self.board(board, "ops")
    }

    fn board(&self, board: &str, what: &str) -> String {
        format!("{}:board:{board}:{what}", self.prefix)
    }
}

/// A log entry as stored: the event's name, a line break, its data — the JSON exactly as
/// broadcast. An event name never holds a line break (it is an SSE `event:` field).
pub fn encode_event(event: &LoggedEvent) -> Result<Vec<u8>, StoreError> {
    if event.event.contains('\n') {
        return Err(StoreError::Corrupt(format!(
            "event name {:?} holds a line break: it cannot be logged",
            event.event
        )));
    }
    let mut entry = Vec::with_capacity(event.event.len() + 1 + event.data.len());
    entry.extend_from_slice(event.event.as_bytes());
    entry.push(b'\n');
    entry.extend_from_slice(&event.data);
    Ok(entry)
}

/// The log entry at sequence number `seq`, read back.
pub fn decode_event(board: &str, seq: u64, entry: Vec<u8>) -> Result<LoggedEvent, StoreError> {
    let entry = Bytes::from(entry);
    let corrupt = || StoreError::Corrupt(format!("board {board}: log entry {seq} is not an event"));
    let split = entry.iter().position(|&b| b == b'\n').ok_or_else(corrupt)?;
    let event = std::str::from_utf8(&entry[..split]).map_err(|_| corrupt())?;
    Ok(LoggedEvent {
        seq,
        event: event.to_owned(),
        // Shares the entry's buffer: the data is not copied again.
        data: entry.slice(split + 1..),
    })
}

/// A note as stored: the note as clients see it, plus what the conflict rule needs.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoteRecord {
    note: Note,
    text_version: u64,
    color_version: u64,
    place_version: u64,
    deleted: bool,
}

/// A stored note as JSON.
pub fn encode_note(stored: &StoredNote) -> Result<String, StoreError> {
    serde_json::to_string(&NoteRecord {
        note: stored.note.clone(),
        text_version: stored.text_version,
        color_version: stored.color_version,
        place_version: stored.place_version,
        deleted: stored.deleted,
    })
    .map_err(|e| StoreError::Corrupt(format!("encoding note {}: {e}", stored.note.id)))
}

/// A stored note, read back.
pub fn decode_note(board: &str, json: &str) -> Result<StoredNote, StoreError> {
    let record: NoteRecord = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("board {board}: a stored note: {e}")))?;
    Ok(StoredNote {
        note: record.note,
        text_version: record.text_version,
        color_version: record.color_version,
        place_version: record.place_version,
        deleted: record.deleted,
    })
}

#[derive(Serialize, Deserialize)]
struct OpRecordJson {
    request: String,
    ack: String,
}

/// An op-id record as JSON.
pub fn encode_op(record: &OpRecord) -> Result<String, StoreError> {
    serde_json::to_string(&OpRecordJson {
        request: record.request.clone(),
        ack: record.ack.clone(),
    })
    .map_err(|e| StoreError::Corrupt(format!("encoding an op record: {e}")))
}

/// An op-id record, read back.
pub fn decode_op(op_id: &str, json: &str) -> Result<OpRecord, StoreError> {
    let record: OpRecordJson = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("op record {op_id}: {e}")))?;
    Ok(OpRecord {
        request: record.request,
        ack: record.ack,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_entry_reads_back_as_the_event_it_was() {
        let event = LoggedEvent {
            seq: 7,
            event: "note.moved".into(),
            data: Bytes::from_static(b"{\"a\":\"x\\ny\"}"),
        };
        let entry = encode_event(&event).unwrap();
        assert_eq!(decode_event("b", 7, entry).unwrap(), event);
        assert!(decode_event("b", 1, b"no line break".to_vec()).is_err());
    }

    #[test]
    fn keys_of_two_prefixes_never_meet() {
        let (a, b) = (Keys::new("a"), Keys::new("b"));
        assert_eq!(a.head("x"), "a:board:x:head");
        assert_ne!(a.head("x"), b.head("x"));
    }
}
