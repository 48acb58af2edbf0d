//! From an accepted change to what the world is told: the logged event and the ack.
//!
//! The event's JSON is built **once**, inside the transaction that appends it, and stored
//! in the log as is. The live broadcast, a replay after a reconnect, a replay after a
//! restart and (phase 8) a webhook delivery all send those same bytes: what a client
//! sees for sequence 42 can never depend on when it asked.
//!
//! Every event carries a `summary` for people — "Ana moved a note to Done" — which is what
//! the SSE notification feed shows as a toast.

use bytes::Bytes;
use phase_2_sse::position::StreamPosition;

use crate::{
    protocol::{
        NoteAck, NoteCreated, NoteDeleted, NoteEventHeader, NoteField, NoteMoved, NoteUpdated,
    },
    rules::{Decision, NoteOp},
};

/// One entry of a board's event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// Its sequence number on the board (1, 2, 3, ... without gaps).
    pub seq: u64,
    /// The event type, e.g. `note.moved`.
    pub event: String,
    /// The payload as JSON text, exactly as broadcast: built once, then shared (a `Bytes`
    /// clone is a reference count) by the log, the live broadcast and every transport.
    pub data: Bytes,
}

// ANCHOR: summary
/// The sentence a notification shows.
pub fn summary(op: &NoteOp, decision: &Decision) -> String {
    let who = op.author();
    let column = &decision.stored.note.column;
    match op {
        NoteOp::NoteCreate(_) => format!("{who} added a note to {column}"),
        NoteOp::NoteUpdate(_) if decision.changed == [NoteField::Color] => {
            format!("{who} recolored a note in {column}")
        }
        NoteOp::NoteUpdate(_) => format!("{who} edited a note in {column}"),
        NoteOp::NoteMove(_) if decision.from_column.as_ref() == Some(column) => {
            format!("{who} reordered a note in {column}")
        }
        NoteOp::NoteMove(_) => format!("{who} moved a note to {column}"),
        NoteOp::NoteDelete(_) => format!("{who} deleted a note from {column}"),
    }
}
// ANCHOR_END: summary

/// The event an accepted change appends at `seq`, in the store's `epoch`.
pub fn logged_event(epoch: &str, seq: u64, op: &NoteOp, decision: &Decision) -> LoggedEvent {
    let header = NoteEventHeader {
        board: op.board().to_owned(),
        position: StreamPosition::new(epoch, seq).to_string(),
        seq,
        op_id: op.op_id().to_owned(),
        author: op.author().to_owned(),
        summary: summary(op, decision),
    };
    let note = decision.stored.note.clone();
    let (event, data) = match op {
        NoteOp::NoteCreate(_) => (
            "note.created",
            serde_json::to_vec(&NoteCreated { header, note }),
        ),
        NoteOp::NoteUpdate(_) => (
            "note.updated",
            serde_json::to_vec(&NoteUpdated {
                header,
                changed: decision.changed.clone(),
                note,
            }),
        ),
        NoteOp::NoteMove(_) => (
            "note.moved",
            serde_json::to_vec(&NoteMoved {
                header,
                from_column: decision.from_column.clone().unwrap_or_default(),
                note,
            }),
        ),
        NoteOp::NoteDelete(_) => (
            "note.deleted",
            serde_json::to_vec(&NoteDeleted {
                header,
                note_id: note.id,
                version: note.version,
            }),
        ),
    };
    LoggedEvent {
        seq,
        event: event.to_owned(),
        // Structs of strings and numbers always serialize (a NaN order was refused).
        data: Bytes::from(
            data.unwrap_or_else(|e| format!(r#"{{"error":"encoding failed: {e}"}}"#).into_bytes()),
        ),
    }
}

/// The ack an accepted change is answered with (and, stored beside the op id, answered
/// with again on a retry).
pub fn ack(epoch: &str, seq: u64, op: &NoteOp, decision: &Decision) -> NoteAck {
    let stored = &decision.stored;
    NoteAck {
        request: op.kind().to_owned(),
        board: op.board().to_owned(),
        position: StreamPosition::new(epoch, seq).to_string(),
        seq,
        op_id: op.op_id().to_owned(),
        note_id: stored.note.id.clone(),
        version: stored.note.version,
        note: (!stored.deleted).then(|| stored.note.clone()),
        duplicate: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        protocol::{CreateNote, MoveNote},
        rules::{decide, RuleLimits},
    };

    const LIMITS: RuleLimits = RuleLimits {
        max_text_chars: 100,
        max_notes: 10,
        max_boards: 100,
    };

    fn create() -> NoteOp {
        NoteOp::NoteCreate(CreateNote {
            board: "demo".into(),
            op_id: "o1".into(),
            note_id: "n1".into(),
            text: "hi".into(),
            color: "#fde68a".into(),
            column: "Todo".into(),
            order: 1.0,
            author: "Ana".into(),
        })
    }

    #[test]
    fn a_move_to_another_column_is_summarized_for_people() {
        let created = decide(&create(), None, 0, &LIMITS, 1).unwrap();
        let mv = NoteOp::NoteMove(MoveNote {
            board: "demo".into(),
            op_id: "o2".into(),
            note_id: "n1".into(),
            base_version: 1,
            column: "Done".into(),
            order: 1.0,
            author: "Ana".into(),
        });
        let moved = decide(&mv, Some(&created.stored), 1, &LIMITS, 2).unwrap();
        assert_eq!(summary(&mv, &moved), "Ana moved a note to Done");
        let event = logged_event("ep", 2, &mv, &moved);
        assert_eq!(event.event, "note.moved");
        let data: serde_json::Value = serde_json::from_slice(&event.data).unwrap();
        assert_eq!(data["position"], "ep-2");
        assert_eq!(data["seq"], 2);
        assert_eq!(data["fromColumn"], "Todo");
        assert_eq!(data["opId"], "o2");
        assert_eq!(data["note"]["version"], 2);
    }

    #[test]
    fn the_ack_of_a_create_carries_the_note_and_its_position() {
        let created = decide(&create(), None, 0, &LIMITS, 1).unwrap();
        let ack = ack("ep", 1, &create(), &created);
        assert_eq!(ack.position, "ep-1");
        assert_eq!(ack.version, 1);
        assert_eq!(ack.note.unwrap().text, "hi");
        assert!(!ack.duplicate);
    }
}
