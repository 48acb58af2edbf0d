//! The note protocol: phase 3's envelope, with note operations added as a
//! [`phase_3_websocket::BoardExtension`].
//!
//! Same envelope as phase 3, both ways: `{ "type", "id"?, "payload" }`, one JSON object per
//! text frame, on the same `/ws` connection as `subscribe`, `publish` and `ping`. The full
//! table with JSON examples is in `phases/4-board/PROTOCOL.md`; in short:
//!
//! | client → server | payload | answer (same `id`) |
//! |---|---|---|
//! | `note_create` | `{ board, opId, noteId, text, color, column, order, author }` | `ack` ([`NoteAck`]) or `error` ([`NoteError`]) |
//! | `note_update` | `{ board, opId, noteId, baseVersion, text?, color?, author }` | `ack` or `error` |
//! | `note_move` | `{ board, opId, noteId, baseVersion, column, order, author }` | `ack` or `error` |
//! | `note_delete` | `{ board, opId, noteId, baseVersion, author }` | `ack` or `error` |
//! | `board_snapshot` | `{ board }` | `snapshot` ([`BoardSnapshot`]) or `error` |
//! | `note_editing` | `{ board, noteId, editing }` | phase 3's `ack`, or `error` |
//!
//! Every accepted change is broadcast to the board's room (WebSocket *and* SSE) as
//! `note.created` / `note.updated` / `note.moved` / `note.deleted`, carrying the board
//! `position` and `seq` it got in the event log, the `opId` that caused it, the `author`
//! and a human `summary` ("Ana moved a note to Done").
//!
//! **Matching answers to pending ops.** The `ack` carries the request's envelope `id` *and*
//! the `opId`; the broadcast carries the `opId`. The ack and the client's own broadcast
//! travel different paths (a direct reply and the board's stream), so they may arrive in
//! either order: a client matches both by `opId` and applies board events by `seq`.
//!
//! `note_editing` says "I have this note's editor open" (or closed it). It is not a change:
//! it is never stored, numbered or replayed. The server publishes it to the board's room as
//! `note.editing` ([`NoteEditing`]) with the person the connection subscribed as, through
//! the hub's ephemeral path, like presence. See [`crate::extension`] for its lease.
//!
//! **Errors keep the connection**, as in phase 3. A payload that does not parse gets
//! phase 3's `invalid_payload`; everything this phase decides gets a [`NoteErrorCode`].

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::note::Note;

// ANCHOR: requests
/// A note request from the client: `{ "type", "id"?, "payload" }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NoteClientEnvelope {
    /// Chosen by the client; echoed in the `ack`, `error` or `snapshot` answering it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub id: Option<String>,
    /// What is asked.
    #[serde(flatten)]
    pub request: NoteRequest,
}

/// The note operations, offered to phase 3's `/ws` session as its extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum NoteRequest {
    /// Create a note with a client-chosen id.
    NoteCreate(CreateNote),
    /// Change a note's text and/or color.
    NoteUpdate(UpdateNote),
    /// Move a note to a column and an order in it.
    NoteMove(MoveNote),
    /// Delete a note.
    NoteDelete(DeleteNote),
    /// Ask for every note of a board and the position they reflect.
    BoardSnapshot(SnapshotRequest),
    /// Say that this person opened (or closed) a note's editor. Never stored.
    NoteEditing(EditingRequest),
}

/// `note_create`'s payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateNote {
    /// The board: 1–64 of `A-Z a-z 0-9 _ -`.
    pub board: String,
    /// The client's id for this operation (1–64 of `A-Z a-z 0-9 _ -`): a retry with the
    /// same `opId` is answered with the first answer and applied once.
    pub op_id: String,
    /// The new note's id, chosen by the client (a UUID): 1–64 of `A-Z a-z 0-9 _ -`.
    pub note_id: String,
    /// 0 to `LIVEBOARD_BOARD_MAX_TEXT_CHARS` characters.
    pub text: String,
    /// `#rrggbb`.
    pub color: String,
    /// Column name, 1–32 characters.
    pub column: String,
    /// Position in the column (any finite number).
    pub order: f64,
    /// Display name of the person acting (1–32 characters).
    pub author: String,
}

/// `note_update`'s payload: at least one of `text` and `color`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateNote {
    /// The board.
    pub board: String,
    /// The client's id for this operation.
    pub op_id: String,
    /// The note to change.
    pub note_id: String,
    /// The note's `version` this change was made on.
    #[ts(type = "number")]
    pub base_version: u64,
    /// The new text, if it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub text: Option<String>,
    /// The new color, if it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub color: Option<String>,
    /// Display name of the person acting.
    pub author: String,
}

/// `note_move`'s payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoveNote {
    /// The board.
    pub board: String,
    /// The client's id for this operation.
    pub op_id: String,
    /// The note to move.
    pub note_id: String,
    /// The note's `version` this move was made on.
    #[ts(type = "number")]
    pub base_version: u64,
    /// The destination column.
    pub column: String,
    /// The position in it.
    pub order: f64,
    /// Display name of the person acting.
    pub author: String,
}

/// `note_delete`'s payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteNote {
    /// The board.
    pub board: String,
    /// The client's id for this operation.
    pub op_id: String,
    /// The note to delete.
    pub note_id: String,
    /// The note's `version` the person saw when deleting it.
    #[ts(type = "number")]
    pub base_version: u64,
    /// Display name of the person acting.
    pub author: String,
}

/// `note_editing`'s payload. Who is editing is not in it: the server uses the `person`
/// this connection gave in `subscribe` for `board`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EditingRequest {
    /// The board (this connection must be subscribed to it with a `person`).
    pub board: String,
    /// The note whose editor opened or closed.
    pub note_id: String,
    /// `true`: the editor is open (sent again every 15 s while it stays open); `false`:
    /// it closed.
    pub editing: bool,
}

/// `board_snapshot`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRequest {
    /// The board.
    pub board: String,
}
// ANCHOR_END: requests

impl NoteRequest {
    /// The request's `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            NoteRequest::NoteCreate(_) => "note_create",
            NoteRequest::NoteUpdate(_) => "note_update",
            NoteRequest::NoteMove(_) => "note_move",
            NoteRequest::NoteDelete(_) => "note_delete",
            NoteRequest::BoardSnapshot(_) => "board_snapshot",
            NoteRequest::NoteEditing(_) => "note_editing",
        }
    }

    /// The operation id, for the four changes.
    pub fn op_id(&self) -> Option<&str> {
        match self {
            NoteRequest::NoteCreate(r) => Some(&r.op_id),
            NoteRequest::NoteUpdate(r) => Some(&r.op_id),
            NoteRequest::NoteMove(r) => Some(&r.op_id),
            NoteRequest::NoteDelete(r) => Some(&r.op_id),
            NoteRequest::BoardSnapshot(_) | NoteRequest::NoteEditing(_) => None,
        }
    }

    /// Replaces the author of a change by `name` (the signed-in person's: a client cannot
    /// write as someone else). Requests that are not changes have no author.
    pub fn set_author(&mut self, name: &str) {
        let author = match self {
            NoteRequest::NoteCreate(r) => &mut r.author,
            NoteRequest::NoteUpdate(r) => &mut r.author,
            NoteRequest::NoteMove(r) => &mut r.author,
            NoteRequest::NoteDelete(r) => &mut r.author,
            NoteRequest::BoardSnapshot(_) | NoteRequest::NoteEditing(_) => return,
        };
        name.clone_into(author);
    }

    /// The acting person's display name, for the four changes (the per-person budget).
    pub fn author(&self) -> Option<&str> {
        match self {
            NoteRequest::NoteCreate(r) => Some(&r.author),
            NoteRequest::NoteUpdate(r) => Some(&r.author),
            NoteRequest::NoteMove(r) => Some(&r.author),
            NoteRequest::NoteDelete(r) => Some(&r.author),
            NoteRequest::BoardSnapshot(_) | NoteRequest::NoteEditing(_) => None,
        }
    }
}

// ANCHOR: answers
/// Everything this phase sends: answers to note requests and the board's note events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NoteServerEnvelope {
    /// The request answered (`ack`, `error`, `snapshot`); absent on broadcasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub id: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub event: NoteServerEvent,
}

/// The messages of this phase, by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", content = "payload")]
pub enum NoteServerEvent {
    /// A note change was applied (or had been: a retry).
    #[serde(rename = "ack")]
    Ack(NoteAck),
    /// A note request was refused; nothing changed.
    #[serde(rename = "error")]
    Error(NoteError),
    /// The answer to `board_snapshot`.
    #[serde(rename = "snapshot")]
    Snapshot(BoardSnapshot),
    /// Broadcast: a note was created.
    #[serde(rename = "note.created")]
    NoteCreated(NoteCreated),
    /// Broadcast: a note's text or color changed.
    #[serde(rename = "note.updated")]
    NoteUpdated(NoteUpdated),
    /// Broadcast: a note moved.
    #[serde(rename = "note.moved")]
    NoteMoved(NoteMoved),
    /// Broadcast: a note was deleted.
    #[serde(rename = "note.deleted")]
    NoteDeleted(NoteDeleted),
    /// Broadcast, never stored: someone opened or closed a note's editor.
    #[serde(rename = "note.editing")]
    NoteEditing(NoteEditing),
}

/// `ack`'s payload for a note change: a superset of phase 3's `Ack`
/// (`request`, `board`, `position`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteAck {
    /// The request's `type`, e.g. `note_move`.
    pub request: String,
    /// The board.
    pub board: String,
    /// The position the change got in the board's event log (`<epoch>-<seq>`).
    pub position: String,
    /// The sequence number alone.
    #[ts(type = "number")]
    pub seq: u64,
    /// The operation acknowledged.
    pub op_id: String,
    /// The note changed.
    pub note_id: String,
    /// The note's version after the change (for a delete: the version deleted).
    #[ts(type = "number")]
    pub version: u64,
    /// The note after the change; `null` after a delete.
    pub note: Option<Note>,
    /// True when this op had been applied before (a retry): this is the first answer again,
    /// same `seq`, and nothing was applied twice.
    pub duplicate: bool,
}

/// `error`'s payload for a note request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteError {
    /// Stable, for programs.
    pub code: NoteErrorCode,
    /// A sentence for the person at the board: no setting, no field name.
    pub message: String,
    /// For developers and operators: the field, the rule, the setting and its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub detail: Option<String>,
    /// The refused operation, when the request had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub op_id: Option<String>,
    /// For `version_conflict`: the note as it is now, to rebase on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub current: Option<Note>,
    /// For `rate_limited` (and `unavailable`): when a retry may succeed, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub retry_after_ms: Option<u64>,
}

/// Why a note request was refused. Nothing was changed in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoteErrorCode {
    /// A field breaks its rule (board name, ids, text length, color, column, order,
    /// author, an update with nothing to change, an `opId` reused for another request,
    /// a `noteId` already used). Do not retry as is.
    Validation,
    /// No such note on this board (never created, or deleted).
    NotFound,
    /// Someone changed what this op changes after `baseVersion`: `current` holds the note
    /// now. Rebase (or drop) and send a new op with a new `opId`.
    VersionConflict,
    /// Over a request rate (this connection's, this address's or this person's): retry
    /// after `retryAfterMs`.
    RateLimited,
    /// The board holds `LIVEBOARD_BOARD_MAX_NOTES` notes already.
    TooManyNotes,
    /// A `note_create` would make a new board, and the server holds
    /// `LIVEBOARD_BOARD_MAX_BOARDS` boards already. Use an existing board.
    TooManyBoards,
    /// The server could not store the change (busy or failing): retry later, same `opId`.
    Unavailable,
    /// You may not change this board: you joined it through a view link, or it is
    /// someone else's private board. Do not retry; the connection stays open.
    Forbidden,
}

/// A board's notes and the position they reflect: `snapshot`'s payload and the body of
/// `GET /boards/:board`. Apply only events with `seq` greater than this `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BoardSnapshot {
    /// The board.
    pub board: String,
    /// The log position the notes reflect, read *before* them (`<epoch>-<seq>`).
    pub position: String,
    /// The sequence number alone.
    #[ts(type = "number")]
    pub seq: u64,
    /// Every note, by column, then order, then id.
    pub notes: Vec<Note>,
}

/// One board in `GET /boards`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BoardSummary {
    /// The board's name.
    pub board: String,
    /// Notes on it now.
    #[ts(type = "number")]
    pub notes: u64,
    /// Its last sequence number.
    #[ts(type = "number")]
    pub seq: u64,
    /// Its position (`<epoch>-<seq>`).
    pub position: String,
    /// Server time of its last change, milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub updated_at_ms: u64,
}

/// The body of `GET /boards?limit=&after=`: one page of boards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BoardList {
    /// Boards with at least one change, most recently changed first (ties by name).
    pub boards: Vec<BoardSummary>,
    /// The `after` of the next page, or `null` on the last page.
    pub next: Option<String>,
}

/// The fields every note event (`note.created`, `.updated`, `.moved`, `.deleted`) starts
/// with; flattened into each, so on the wire they sit beside the event's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteEventHeader {
    /// The board.
    pub board: String,
    /// This event's position in the board's log.
    pub position: String,
    /// The sequence number alone.
    #[ts(type = "number")]
    pub seq: u64,
    /// The operation that caused it.
    pub op_id: String,
    /// Who did it (display name).
    pub author: String,
    /// A sentence for a notification, e.g. "Ana moved a note to Done".
    pub summary: String,
}

/// `note.created`'s payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteCreated {
    /// What every note event carries (its summary here: A sentence for a notification: "Ana added a note to Todo".).
    #[serde(flatten)]
    #[ts(flatten)]
    pub header: NoteEventHeader,
    /// The new note.
    pub note: Note,
}

/// Which field an update changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoteField {
    /// The text.
    Text,
    /// The color.
    Color,
}

/// `note.updated`'s payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteUpdated {
    /// What every note event carries (its summary here: "Ana edited a note in Todo".).
    #[serde(flatten)]
    #[ts(flatten)]
    pub header: NoteEventHeader,
    /// The fields this change set.
    pub changed: Vec<NoteField>,
    /// The note after the change.
    pub note: Note,
}

/// `note.moved`'s payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteMoved {
    /// What every note event carries (its summary here: "Ana moved a note to Done".).
    #[serde(flatten)]
    #[ts(flatten)]
    pub header: NoteEventHeader,
    /// The column it came from.
    pub from_column: String,
    /// The note after the move.
    pub note: Note,
}

// ANCHOR: note_editing_event
/// `note.editing`'s payload: who opened or closed a note's editor. Not in the board's log:
/// no `position`, no `seq`, never replayed. A receiver keeps "Ana is editing" for at most
/// 45 s without a refresh (the sender repeats `editing: true` every 15 s), so an entry
/// whose `editing: false` was lost still goes away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteEditing {
    /// The board.
    pub board: String,
    /// The note.
    pub note_id: String,
    /// Who (their stable id, shared by their tabs).
    pub client_id: String,
    /// Their display name.
    pub name: String,
    /// Their color, `#rrggbb`.
    pub color: String,
    /// `true`: the editor is open; `false`: it closed (or their connection did).
    pub editing: bool,
}
// ANCHOR_END: note_editing_event

/// `note.deleted`'s payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteDeleted {
    /// What every note event carries (its summary here: "Ana deleted a note from Done".).
    #[serde(flatten)]
    #[ts(flatten)]
    pub header: NoteEventHeader,
    /// The note deleted.
    pub note_id: String,
    /// Its last version.
    #[ts(type = "number")]
    pub version: u64,
}
// ANCHOR_END: answers

/// The JSON text of one message of this phase.
pub fn encode(id: Option<String>, event: NoteServerEvent) -> String {
    serde_json::to_string(&NoteServerEnvelope { id, event }).unwrap_or_else(|e| {
        // Plain structs of strings and numbers always serialize; a failure is a bug.
        format!(
            r#"{{"type":"error","payload":{{"code":"unavailable","message":"server failed to encode an answer: {e}"}}}}"#
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use phase_3_websocket::board::protocol::RequestEnvelope;

    fn parse(text: &str) -> (Option<String>, NoteRequest) {
        let envelope = RequestEnvelope::parse(text).unwrap();
        (envelope.id.clone(), envelope.request().unwrap())
    }

    #[test]
    fn a_note_request_parses_through_phase_3s_envelope() {
        let text = r##"{"type":"note_create","id":"7","payload":{"board":"demo","opId":"op-1",
            "noteId":"n1","text":"hi","color":"#fde68a","column":"Todo","order":1.5,"author":"Ana"}}"##;
        let (id, req) = parse(text);
        assert_eq!(id.as_deref(), Some("7"));
        assert_eq!(req.kind(), "note_create");
        assert_eq!(req.op_id(), Some("op-1"));
        let NoteRequest::NoteCreate(c) = req else {
            panic!("not a create")
        };
        assert_eq!(c.order, 1.5);
    }

    #[test]
    fn an_update_may_leave_out_the_fields_it_does_not_change() {
        let text = r#"{"type":"note_update","payload":{"board":"b","opId":"o","noteId":"n",
            "baseVersion":3,"text":"new","author":"Bo"}}"#;
        let (_, req) = parse(text);
        let NoteRequest::NoteUpdate(u) = req else {
            panic!("not an update")
        };
        assert_eq!(u.text.as_deref(), Some("new"));
        assert_eq!(u.color, None);
    }

    #[test]
    fn an_error_leaves_out_what_it_does_not_have() {
        let json = encode(
            Some("9".into()),
            NoteServerEvent::Error(NoteError {
                code: NoteErrorCode::NotFound,
                message: "no note n1 on board b".into(),
                detail: None,
                op_id: Some("o".into()),
                current: None,
                retry_after_ms: None,
            }),
        );
        assert_eq!(
            json,
            r#"{"id":"9","type":"error","payload":{"code":"not_found","message":"no note n1 on board b","opId":"o"}}"#
        );
    }
}
