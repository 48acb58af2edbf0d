//! Note ops built in one line, for store tests (feature `testing`).
//!
//! Every store keeps the same contract — phase 4's memory and SQLite stores here, phase 7's
//! Redis store later — and its tests drive it with the same few ops: a note created in
//! `Todo`, a note moved on board `b`. Built here once, the contract's tests in each phase
//! read the same and cannot drift apart on what an op looks like.

use crate::{
    protocol::{CreateNote, MoveNote},
    rules::NoteOp,
};

/// `note` created on `board` by Ana, in `Todo` at order 1, with the text `text of <note>`.
pub fn create(board: &str, op: &str, note: &str) -> NoteOp {
    NoteOp::NoteCreate(CreateNote {
        board: board.into(),
        op_id: op.into(),
        note_id: note.into(),
        text: format!("text of {note}"),
        color: "#fde68a".into(),
        column: "Todo".into(),
        order: 1.0,
        author: "Ana".into(),
    })
}

/// `note` on board `b` moved by Bo to `column` (order 2), based on version `base`.
pub fn mv(op: &str, note: &str, base: u64, column: &str) -> NoteOp {
    NoteOp::NoteMove(MoveNote {
        board: "b".into(),
        op_id: op.into(),
        note_id: note.into(),
        base_version: base,
        column: column.into(),
        order: 2.0,
        author: "Bo".into(),
    })
}
