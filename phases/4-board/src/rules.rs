//! The rules a change must pass: field validation, then the conflict rule.
//!
//! Everything here is a pure function of the request, the note as stored and the limits —
//! no I/O, no clock, no lock — so the same rules run inside every store's transaction
//! (SQLite, memory, phase 7's shared one) and are tested without any of them.
//!
//! ## The conflict rule: per field group, against `baseVersion`
//!
//! Two people change the same note at once. Ana (looking at version 3) drags it to *Done*;
//! Bo (also looking at version 3) fixes a typo in its text. What should happen?
//!
//! * **Reject if stale** (the note changed after `baseVersion`, whatever changed): Ana's
//!   move lands (v4), Bo's typo fix is refused although it touched nothing Ana touched. On
//!   a busy board most edits would bounce for no reason.
//! * **Last writer wins**, whole note: Bo's request carries the note as he saw it, so his
//!   write puts it back in *Todo* — Ana's move silently vanishes. The worst outcome: nobody
//!   is told anything was lost.
//! * **Per field** (ours): the server remembers, for each field group — **text**,
//!   **color**, **place** (column and order move together) — the version that last
//!   changed it. A change is refused with `version_conflict` only if a group *it changes*
//!   was changed after its `baseVersion`. Ana's move and Bo's text edit touch different
//!   groups: both land (v4, v5). Had both edited the text, the first would land and the
//!   second would get `version_conflict` carrying the current note, so Bo's client can show
//!   "Ana changed this meanwhile" and offer to re-apply his words on top. Nothing is ever
//!   overwritten unseen.
//!
//! A delete is refused if *anything* changed after `baseVersion`: deleting a note whose
//! new text you have never seen is the lost update in its purest form.

use phase_1_foundations::human::{counted, grouped};
use phase_2_sse::{
    board_name::BoardName,
    presence::{parse_name, MAX_NAME_CHARS},
};

use crate::{
    note::{is_color, is_column, is_token, Note, MAX_COLUMN_CHARS, MAX_NOTE_ID_LEN, MAX_OP_ID_LEN},
    protocol::{CreateNote, DeleteNote, MoveNote, NoteErrorCode, NoteField, UpdateNote},
};

/// One of the four changes (the requests that write).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum NoteOp {
    /// `note_create`.
    NoteCreate(CreateNote),
    /// `note_update`.
    NoteUpdate(UpdateNote),
    /// `note_move`.
    NoteMove(MoveNote),
    /// `note_delete`.
    NoteDelete(DeleteNote),
}

impl NoteOp {
    /// The request's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            NoteOp::NoteCreate(_) => "note_create",
            NoteOp::NoteUpdate(_) => "note_update",
            NoteOp::NoteMove(_) => "note_move",
            NoteOp::NoteDelete(_) => "note_delete",
        }
    }

    /// The board it changes.
    pub fn board(&self) -> &str {
        match self {
            NoteOp::NoteCreate(r) => &r.board,
            NoteOp::NoteUpdate(r) => &r.board,
            NoteOp::NoteMove(r) => &r.board,
            NoteOp::NoteDelete(r) => &r.board,
        }
    }

    /// The client's operation id.
    pub fn op_id(&self) -> &str {
        match self {
            NoteOp::NoteCreate(r) => &r.op_id,
            NoteOp::NoteUpdate(r) => &r.op_id,
            NoteOp::NoteMove(r) => &r.op_id,
            NoteOp::NoteDelete(r) => &r.op_id,
        }
    }

    /// The note it changes.
    pub fn note_id(&self) -> &str {
        match self {
            NoteOp::NoteCreate(r) => &r.note_id,
            NoteOp::NoteUpdate(r) => &r.note_id,
            NoteOp::NoteMove(r) => &r.note_id,
            NoteOp::NoteDelete(r) => &r.note_id,
        }
    }

    /// The acting person's display name, trimmed.
    pub fn author(&self) -> &str {
        match self {
            NoteOp::NoteCreate(r) => &r.author,
            NoteOp::NoteUpdate(r) => &r.author,
            NoteOp::NoteMove(r) => &r.author,
            NoteOp::NoteDelete(r) => &r.author,
        }
        .trim()
    }

    /// The request as stored beside its op id, to tell a retry (same request) from an op
    /// id reused for another request.
    pub fn fingerprint(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.kind().to_owned())
    }
}

/// The limits the rules enforce (from [`crate::config::BoardConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleLimits {
    /// Longest note text, in characters.
    pub max_text_chars: usize,
    /// Most notes on one board.
    pub max_notes: u64,
    /// Most boards on the server (a create on a new board past it is refused).
    pub max_boards: u64,
}

// ANCHOR: rejection
/// Why a change was refused, and (for a conflict) the note as it is now.
///
/// Every rejection is written twice, for its two readers. The `message` is what the
/// person at the board sees, in their words: "This note is too long: 10,000 characters,
/// at most 2,000." It names no setting and no protocol field (`baseVersion`, `opId`): a
/// person cannot act on those. The `detail` is for the developer or operator: the field,
/// the rule, the setting and its value — "text is 10000 characters;
/// LIVEBOARD_BOARD_MAX_TEXT_CHARS is 2000".
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// The reason, for programs.
    pub code: NoteErrorCode,
    /// The reason, for people.
    pub message: String,
    /// The reason, for developers: the field, the rule, the setting.
    pub detail: String,
    /// The note now (for `version_conflict`); boxed to keep `Result<_, Rejection>` small.
    pub current: Option<Box<Note>>,
}
// ANCHOR_END: rejection

impl Rejection {
    /// A rejection without a current note.
    pub fn new(code: NoteErrorCode, message: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: detail.into(),
            current: None,
        }
    }

    fn validation(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(NoteErrorCode::Validation, message, detail)
    }
}

// ANCHOR: stored_note
/// A note as a store keeps it: the note, the version that last changed each field group
/// (for the conflict rule), and whether it was deleted (a tombstone, so that its id is
/// never reused and a late edit gets `not_found` rather than editing a new note).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNote {
    /// The note.
    pub note: Note,
    /// The version that last set `text`.
    pub text_version: u64,
    /// The version that last set `color`.
    pub color_version: u64,
    /// The version that last set `column` and `order`.
    pub place_version: u64,
    /// Deleted (kept as a tombstone).
    pub deleted: bool,
}
// ANCHOR_END: stored_note

/// What an accepted change does.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The note after the change (a tombstone after a delete).
    pub stored: StoredNote,
    /// For an update: the fields set.
    pub changed: Vec<NoteField>,
    /// For a move or delete: the column the note was in.
    pub from_column: Option<String>,
}

// ANCHOR: validate
/// Checks every field of `op` against its rule, before any state is looked at. Runs on
/// the connection (an early, cheap answer) and again inside the store's transaction.
pub fn validate(op: &NoteOp, limits: &RuleLimits) -> Result<(), Rejection> {
    // EXERCISE(ch4-validate): validate every field of a note operation
    BoardName::parse(op.board())
        .map_err(|e| Rejection::validation("This board's name is not valid.", e.message))?;
    if !is_token(op.op_id(), MAX_OP_ID_LEN) {
        return Err(Rejection::validation(
            "This change could not be read: it carries an invalid change id.",
            format!("opId must be 1 to {MAX_OP_ID_LEN} characters of A-Z, a-z, 0-9, '_' or '-'"),
        ));
    }
    if !is_token(op.note_id(), MAX_NOTE_ID_LEN) {
        return Err(Rejection::validation(
            "This change could not be read: it names a note with an invalid id.",
            format!(
                "noteId must be 1 to {MAX_NOTE_ID_LEN} characters of A-Z, a-z, 0-9, '_' or '-' (a UUID fits)"
            ),
        ));
    }
    parse_name(op.author()).map_err(|e| {
        Rejection::validation(
            format!("Your name must be 1 to {MAX_NAME_CHARS} characters."),
            format!("author: {}", e.message),
        )
    })?;
    let (text, color, place) = match op {
        NoteOp::NoteCreate(c) => (Some(&c.text), Some(&c.color), Some((&c.column, c.order))),
        NoteOp::NoteUpdate(u) => {
            if u.text.is_none() && u.color.is_none() {
                return Err(Rejection::validation(
                    "There is nothing to change in this note.",
                    "note_update needs a text, a color or both: there is nothing to change",
                ));
            }
            (u.text.as_ref(), u.color.as_ref(), None)
        }
        NoteOp::NoteMove(m) => (None, None, Some((&m.column, m.order))),
        NoteOp::NoteDelete(_) => (None, None, None),
    };
    if let Some(text) = text {
        let chars = text.chars().count();
        if chars > limits.max_text_chars {
            return Err(Rejection::validation(
                format!(
                    "This note is too long: {} characters, at most {}.",
                    grouped(chars as u64),
                    grouped(limits.max_text_chars as u64)
                ),
                format!(
                    "text is {chars} characters; LIVEBOARD_BOARD_MAX_TEXT_CHARS is {}",
                    limits.max_text_chars
                ),
            ));
        }
    }
    if let Some(color) = color {
        if !is_color(color) {
            return Err(Rejection::validation(
                "This color is not one the board can show.",
                format!(
                    "color {:?} must be #rrggbb (six hex digits), e.g. #fde68a",
                    color.chars().take(16).collect::<String>()
                ),
            ));
        }
    }
    if let Some((column, order)) = place {
        if !is_column(column) {
            return Err(Rejection::validation(
                format!("A column's name must be 1 to {MAX_COLUMN_CHARS} characters."),
                format!(
                    "column must be 1 to {MAX_COLUMN_CHARS} characters, without control characters or surrounding spaces"
                ),
            ));
        }
        if !order.is_finite() {
            return Err(Rejection::validation(
                "This note's place in its column is not valid.",
                "order must be a finite number",
            ));
        }
    }
    Ok(())
    // EXERCISE_END(ch4-validate)
}
// ANCHOR_END: validate

// ANCHOR: decide
/// Decides a validated change against the note as stored (`None`: no such id on the
/// board) and the board's live note count. Pure: the store writes what this returns.
pub fn decide(
    op: &NoteOp,
    current: Option<&StoredNote>,
    live_notes: u64,
    limits: &RuleLimits,
    now_ms: u64,
) -> Result<Decision, Rejection> {
    let author = op.author().to_owned();
    if let NoteOp::NoteCreate(c) = op {
        if current.is_some() {
            return Err(Rejection::validation(
                "This note already exists on the board.",
                format!(
                    "noteId {} is already used on board {}: pick a new id for a new note",
                    c.note_id, c.board
                ),
            ));
        }
        if live_notes >= limits.max_notes {
            return Err(Rejection::new(
                NoteErrorCode::TooManyNotes,
                format!(
                    "This board is full ({}). Delete one to make room.",
                    counted(limits.max_notes, "note", "notes")
                ),
                format!(
                    "board {} holds {live_notes} notes; LIVEBOARD_BOARD_MAX_NOTES is {}",
                    c.board, limits.max_notes
                ),
            ));
        }
        let note = Note {
            id: c.note_id.clone(),
            board: c.board.clone(),
            text: c.text.clone(),
            color: c.color.to_ascii_lowercase(),
            column: c.column.clone(),
            order: c.order,
            updated_by: author.clone(),
            author,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            version: 1,
        };
        return Ok(Decision {
            stored: StoredNote {
                note,
                text_version: 1,
                color_version: 1,
                place_version: 1,
                deleted: false,
            },
            changed: Vec::new(),
            from_column: None,
        });
    }
    let Some(current) = current.filter(|n| !n.deleted) else {
        return Err(Rejection::new(
            NoteErrorCode::NotFound,
            "This note is not on the board any more: someone may have deleted it.",
            format!(
                "there is no note {} on board {} (never created, or deleted)",
                op.note_id(),
                op.board()
            ),
        ));
    };
    let (base, version) = (base_version(op), current.note.version);
    if base > version {
        return Err(Rejection::validation(
            "This change was made on a version of the note the server never had.",
            format!("baseVersion {base} is newer than the note, which is at version {version}"),
        ));
    }
    // The conflict rule: which field groups does this op change, and did any of them
    // change after the version the client based it on?
    // EXERCISE(ch4-conflict-rule): refuse a change to a field group modified after baseVersion
    let touched: Vec<(FieldGroup, u64)> = match op {
        NoteOp::NoteUpdate(u) => [
            u.text
                .as_ref()
                .map(|_| (FieldGroup::Text, current.text_version)),
            u.color
                .as_ref()
                .map(|_| (FieldGroup::Color, current.color_version)),
        ]
        .into_iter()
        .flatten()
        .collect(),
        NoteOp::NoteMove(_) => vec![(FieldGroup::Place, current.place_version)],
        NoteOp::NoteDelete(_) => vec![(FieldGroup::Whole, version)],
        NoteOp::NoteCreate(_) => Vec::new(),
    };
    if let Some((group, changed_at)) = touched.iter().find(|(_, v)| *v > base) {
        return Err(Rejection {
            current: Some(Box::new(current.note.clone())),
            ..Rejection::new(
                NoteErrorCode::VersionConflict,
                group.conflict_message(),
                format!(
                    "this note's {} changed at version {changed_at}, after baseVersion {base}: \
                     rebase on `current` (version {version}) and send a new op",
                    group.name()
                ),
            )
        });
    }
    // EXERCISE_END(ch4-conflict-rule)
    let mut next = current.clone();
    let v = version + 1;
    next.note.version = v;
    next.note.updated_at_ms = now_ms;
    next.note.updated_by = author;
    let mut changed = Vec::new();
    let mut from_column = None;
    match op {
        NoteOp::NoteUpdate(u) => {
            if let Some(text) = &u.text {
                next.note.text = text.clone();
                next.text_version = v;
                changed.push(NoteField::Text);
            }
            if let Some(color) = &u.color {
                next.note.color = color.to_ascii_lowercase();
                next.color_version = v;
                changed.push(NoteField::Color);
            }
        }
        NoteOp::NoteMove(m) => {
            from_column = Some(current.note.column.clone());
            next.note.column = m.column.clone();
            next.note.order = m.order;
            next.place_version = v;
        }
        NoteOp::NoteDelete(_) => {
            // The tombstone keeps the version deleted: a delete is not a new version.
            next.note.version = version;
            from_column = Some(current.note.column.clone());
            next.deleted = true;
        }
        NoteOp::NoteCreate(_) => {}
    }
    Ok(Decision {
        stored: next,
        changed,
        from_column,
    })
}
// ANCHOR_END: decide

/// What a change touches, for the conflict rule and its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldGroup {
    Text,
    Color,
    /// Column and order: they move together.
    Place,
    /// Everything: a delete.
    Whole,
}

impl FieldGroup {
    /// Its name in a detail.
    fn name(self) -> &'static str {
        match self {
            FieldGroup::Text => "text",
            FieldGroup::Color => "color",
            FieldGroup::Place => "place",
            FieldGroup::Whole => "content",
        }
    }

    /// What the person whose change lost is told.
    fn conflict_message(self) -> &'static str {
        match self {
            FieldGroup::Text => "Someone changed this note's text after you started editing.",
            FieldGroup::Color => "Someone changed this note's color after you picked yours.",
            FieldGroup::Place => "Someone moved this note after you started moving it.",
            FieldGroup::Whole => {
                "Someone changed this note after you last saw it; look at it again before deleting it."
            }
        }
    }
}

fn base_version(op: &NoteOp) -> u64 {
    match op {
        NoteOp::NoteCreate(_) => 0,
        NoteOp::NoteUpdate(u) => u.base_version,
        NoteOp::NoteMove(m) => m.base_version,
        NoteOp::NoteDelete(d) => d.base_version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: RuleLimits = RuleLimits {
        max_text_chars: 10,
        max_notes: 2,
        max_boards: 100,
    };

    fn create(id: &str) -> NoteOp {
        NoteOp::NoteCreate(CreateNote {
            board: "b".into(),
            op_id: format!("op-{id}"),
            note_id: id.into(),
            text: "hi".into(),
            color: "#FDE68A".into(),
            column: "Todo".into(),
            order: 1.0,
            author: " Ana ".into(),
        })
    }

    fn update(base: u64, text: Option<&str>, color: Option<&str>) -> NoteOp {
        NoteOp::NoteUpdate(UpdateNote {
            board: "b".into(),
            op_id: "u".into(),
            note_id: "n".into(),
            base_version: base,
            text: text.map(Into::into),
            color: color.map(Into::into),
            author: "Bo".into(),
        })
    }

    fn mv(base: u64, column: &str) -> NoteOp {
        NoteOp::NoteMove(MoveNote {
            board: "b".into(),
            op_id: "m".into(),
            note_id: "n".into(),
            base_version: base,
            column: column.into(),
            order: 2.0,
            author: "Ana".into(),
        })
    }

    fn delete(base: u64) -> NoteOp {
        NoteOp::NoteDelete(DeleteNote {
            board: "b".into(),
            op_id: "d".into(),
            note_id: "n".into(),
            base_version: base,
            author: "Ana".into(),
        })
    }

    fn apply(op: &NoteOp, note: Option<&StoredNote>) -> Result<StoredNote, Rejection> {
        validate(op, &LIMITS)?;
        decide(op, note, 0, &LIMITS, 7).map(|d| d.stored)
    }

    fn created() -> StoredNote {
        apply(&create("n"), None).unwrap()
    }

    #[test]
    fn a_create_makes_version_one_with_a_lower_case_color_and_a_trimmed_author() {
        let n = created();
        assert_eq!(n.note.version, 1);
        assert_eq!(n.note.color, "#fde68a");
        assert_eq!(n.note.author, "Ana");
        assert_eq!((n.note.created_at_ms, n.note.updated_at_ms), (7, 7));
    }

    #[test]
    fn each_invalid_field_is_a_validation_error_naming_it() {
        let mut long = create("n");
        if let NoteOp::NoteCreate(c) = &mut long {
            c.text = "x".repeat(11);
        }
        let mut nan = mv(1, "Done");
        if let NoteOp::NoteMove(m) = &mut nan {
            m.order = f64::NAN;
        }
        let mut bad_id = create("n");
        if let NoteOp::NoteCreate(c) = &mut bad_id {
            c.note_id = "a b".into();
        }
        let cases = [
            (long, "text is 11 characters"),
            (update(1, None, Some("red")), "color"),
            (update(1, None, None), "nothing to change"),
            (mv(1, " Done"), "column"),
            (nan, "finite"),
            (bad_id, "noteId"),
            (create("a b"), "opId"),
        ];
        for (op, needle) in cases {
            let err = apply(&op, Some(&created())).unwrap_err();
            assert_eq!(err.code, NoteErrorCode::Validation, "{op:?}");
            assert!(err.detail.contains(needle), "{}", err.detail);
        }
    }

    /// Every rejection these rules can produce, one per path through them.
    fn every_rejection() -> Vec<Rejection> {
        let mut long = create("n");
        if let NoteOp::NoteCreate(c) = &mut long {
            c.text = "x".repeat(11);
        }
        let mut nan = mv(1, "Done");
        if let NoteOp::NoteMove(m) = &mut nan {
            m.order = f64::NAN;
        }
        let mut bad_note_id = create("n");
        if let NoteOp::NoteCreate(c) = &mut bad_note_id {
            c.note_id = "a b".into();
        }
        let mut bad_board = create("n");
        if let NoteOp::NoteCreate(c) = &mut bad_board {
            c.board = "a/b".into();
        }
        let mut nameless = create("n");
        if let NoteOp::NoteCreate(c) = &mut nameless {
            c.author = " ".into();
        }
        let v1 = created();
        let v2_text = apply(&update(1, Some("t"), None), Some(&v1)).unwrap();
        let v2_color = apply(&update(1, None, Some("#000000")), Some(&v1)).unwrap();
        let v2_place = apply(&mv(1, "Doing"), Some(&v1)).unwrap();
        let gone = apply(&delete(1), Some(&v1)).unwrap();
        let refused = [
            apply(&bad_board, None),
            apply(&create("a b"), None),
            apply(&bad_note_id, None),
            apply(&nameless, None),
            apply(&update(1, None, None), Some(&v1)),
            apply(&long, None),
            apply(&update(1, None, Some("red")), Some(&v1)),
            apply(&mv(1, " Done"), Some(&v1)),
            apply(&nan, Some(&v1)),
            apply(&create("n"), Some(&v1)),
            decide(&create("x"), None, 2, &LIMITS, 0).map(|d| d.stored),
            apply(&mv(1, "Done"), None),
            apply(&update(1, Some("x"), None), Some(&gone)),
            apply(&update(5, Some("x"), None), Some(&v1)),
            apply(&update(1, Some("x"), None), Some(&v2_text)),
            apply(&update(1, None, Some("#ffffff")), Some(&v2_color)),
            apply(&mv(1, "Done"), Some(&v2_place)),
            apply(&delete(1), Some(&v2_text)),
        ];
        refused
            .into_iter()
            .map(|r| r.expect_err("each case is refused"))
            .collect()
    }

    #[test]
    fn every_rejection_speaks_to_people_in_its_message_and_to_developers_in_its_detail() {
        let rejections = every_rejection();
        assert_eq!(rejections.len(), 18);
        for r in &rejections {
            for jargon in ["LIVEBOARD_", "baseVersion", "opId", "noteId", "note_update"] {
                assert!(
                    !r.message.contains(jargon),
                    "message names {jargon}: {:?}",
                    r.message
                );
            }
            assert!(
                r.message.ends_with('.') && r.message.starts_with(char::is_uppercase),
                "a sentence: {:?}",
                r.message
            );
            assert!(!r.detail.is_empty(), "{r:?}");
        }
        // A limit's detail names its setting and value; its message, the number only.
        let long = &rejections[5];
        assert_eq!(
            long.message,
            "This note is too long: 11 characters, at most 10."
        );
        assert_eq!(
            long.detail,
            "text is 11 characters; LIVEBOARD_BOARD_MAX_TEXT_CHARS is 10"
        );
        let full = &rejections[10];
        assert_eq!(full.code, NoteErrorCode::TooManyNotes);
        assert_eq!(
            full.message,
            "This board is full (2 notes). Delete one to make room."
        );
        assert!(
            full.detail.contains("LIVEBOARD_BOARD_MAX_NOTES is 2"),
            "{full:?}"
        );
        // A conflict says which part someone else changed, and the detail the versions.
        let text_conflict = &rejections[14];
        assert_eq!(text_conflict.code, NoteErrorCode::VersionConflict);
        assert_eq!(
            text_conflict.message,
            "Someone changed this note's text after you started editing."
        );
        assert!(
            text_conflict.detail.contains("baseVersion 1"),
            "{text_conflict:?}"
        );
    }

    #[test]
    fn updated_by_is_the_author_on_creation_then_whoever_changed_the_note_last() {
        let v1 = created();
        assert_eq!(v1.note.updated_by, "Ana");
        let v2 = apply(&update(1, Some("Bo's"), None), Some(&v1)).unwrap();
        assert_eq!(
            (v2.note.author.as_str(), v2.note.updated_by.as_str()),
            ("Ana", "Bo")
        );
        let v3 = apply(&mv(2, "Done"), Some(&v2)).unwrap();
        assert_eq!(v3.note.updated_by, "Ana");
    }

    #[test]
    fn a_board_at_its_limit_refuses_a_create_with_too_many_notes() {
        let err = decide(&create("x"), None, 2, &LIMITS, 0).unwrap_err();
        assert_eq!(err.code, NoteErrorCode::TooManyNotes);
    }

    #[test]
    fn an_id_already_used_even_by_a_deleted_note_cannot_be_created_again() {
        let gone = apply(&delete(1), Some(&created())).unwrap();
        assert!(gone.deleted);
        let err = apply(&create("n"), Some(&gone)).unwrap_err();
        assert_eq!(err.code, NoteErrorCode::Validation);
    }

    #[test]
    fn changing_a_missing_or_deleted_note_is_not_found() {
        let gone = apply(&delete(1), Some(&created())).unwrap();
        for op in [update(1, Some("x"), None), mv(1, "Done"), delete(1)] {
            assert_eq!(apply(&op, None).unwrap_err().code, NoteErrorCode::NotFound);
            assert_eq!(
                apply(&op, Some(&gone)).unwrap_err().code,
                NoteErrorCode::NotFound
            );
        }
    }

    #[test]
    fn a_move_and_a_text_edit_based_on_the_same_version_both_succeed() {
        let v1 = created();
        let v2 = apply(&mv(1, "Done"), Some(&v1)).unwrap();
        let v3 = apply(&update(1, Some("typo fixed"), None), Some(&v2)).unwrap();
        assert_eq!(v3.note.version, 3);
        assert_eq!(v3.note.column, "Done");
        assert_eq!(v3.note.text, "typo fixed");
    }

    #[test]
    fn two_text_edits_based_on_the_same_version_conflict_and_the_loser_gets_the_current_note() {
        let v1 = created();
        let v2 = apply(&update(1, Some("Ana's"), None), Some(&v1)).unwrap();
        let err = apply(&update(1, Some("Bo's"), None), Some(&v2)).unwrap_err();
        assert_eq!(err.code, NoteErrorCode::VersionConflict);
        assert_eq!(err.current.unwrap().text, "Ana's");
        // Rebased on version 2, Bo's edit goes through.
        let v3 = apply(&update(2, Some("Bo's"), None), Some(&v2)).unwrap();
        assert_eq!(v3.note.text, "Bo's");
    }

    #[test]
    fn a_color_change_does_not_conflict_with_a_text_edit_but_two_moves_do() {
        let v1 = created();
        let v2 = apply(&update(1, Some("t"), None), Some(&v1)).unwrap();
        assert!(apply(&update(1, None, Some("#000000")), Some(&v2)).is_ok());
        let v3 = apply(&mv(2, "Doing"), Some(&v2)).unwrap();
        let err = apply(&mv(2, "Done"), Some(&v3)).unwrap_err();
        assert_eq!(err.code, NoteErrorCode::VersionConflict);
    }

    #[test]
    fn a_delete_conflicts_with_any_change_it_has_not_seen() {
        let v2 = apply(&update(1, None, Some("#000000")), Some(&created())).unwrap();
        let err = apply(&delete(1), Some(&v2)).unwrap_err();
        assert_eq!(err.code, NoteErrorCode::VersionConflict);
        assert!(apply(&delete(2), Some(&v2)).unwrap().deleted);
    }

    #[test]
    fn a_base_version_from_the_future_is_a_validation_error() {
        let err = apply(&update(5, Some("x"), None), Some(&created())).unwrap_err();
        assert_eq!(err.code, NoteErrorCode::Validation);
    }
}
