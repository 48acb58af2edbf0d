//! The store behind a trait: boards, notes, the event log and the op-id records.
//!
//! [`BoardStore`] is what the rest of the phase talks to — the seam that decides where a
//! board's log and notes live. This phase puts the embedded stores behind it:
//! [`crate::sqlite::SqliteStore`] (the default: a file, durable) and
//! [`crate::memory::MemoryStore`] (tests, `--data-dir :memory:`), each a
//! [`BlockingStore`] run by [`crate::embedded::Embedded`]. Phase 7 puts a shared store
//! behind it, so that several servers serve the same boards.
//!
//! ## One change, one transaction
//!
//! Every change runs the same steps, [`apply_op`], inside **one** transaction of the
//! store, over the small set of reads and writes a store provides ([`LogTx`]):
//!
//! 1. **Was this op applied before?** Look its `opId` up. If it was, answer with the ack
//!    recorded then (same `seq`), apply nothing: a retry after a lost ack is harmless.
//! 2. **Decide**: read the note and the board's note count, run the pure rules
//!    ([`crate::rules`]); a first change of a board also counts the boards (the cap,
//!    `too_many_boards`). A refusal writes nothing.
//! 3. **Write**, all or nothing: the note's new state, the event at `head + 1`, the op-id
//!    record (holding the ack), the board's new head.
//!
//! Because steps 1–3 are one transaction, there is no moment when the note changed but
//! the event is missing (a client replaying the log would never see the change), or the
//! event exists but the op-id record does not (a retry would apply it twice). And because
//! the ack is sent only after the commit returns, an acknowledged change is on disk.
//!
//! ## Why the seam is async, and the stores under it are not
//!
//! SQLite is a blocking library: a commit waits for an `fsync`, a read for the disk. A
//! store across the network waits for replies. [`BoardStore`]'s calls return futures, so
//! that either can sit behind it without blocking an async worker thread: the embedded
//! adapter runs reads on tokio's blocking pool and writes on the thread that awaits them
//! — the writer's own thread ([`crate::writer`]), exactly as before the seam; a network
//! store awaits its client. The stores themselves stay synchronous ([`BlockingStore`]):
//! one transaction is plain straight-line code.
//!
//! ## What an implementation must do
//!
//! - [ ] **Decide a change atomically** ([`BoardStore::apply`]): the op-id check, the
//!   rules against the note as stored, the next sequence number — and write the note, the
//!   event, the op-id record and the head together or not at all ([`apply_op`] over a
//!   [`LogTx`] does all of it). With several servers, the store is where two writers meet:
//!   two changes of one board must never get the same sequence number.
//! - [ ] **Answer only once durable**: the writer publishes the event and acks the client
//!   as soon as `apply` returns.
//! - [ ] **Keep a board's log gap-free and forever readable** from any sequence number
//!   ([`BoardStore::events`]): resumes and the hub's replays read it.
//! - [ ] **Serve the hub's reads synchronously** ([`BoardStore::history`]): the hub
//!   reads a room's head and replays under a lock — see [`LogReader`] for what that asks.
//!
//! Nothing calls the store while holding the hub's or presence's locks, except those
//! reads: the writer calls `apply` with no lock held and publishes after it returns;
//! snapshots and board lists are read by the request's own task.

use std::{fmt, future::Future, pin::Pin, sync::Arc};

use bytes::Bytes;
use phase_1_foundations::human::counted;

use crate::{
    events::{self, LoggedEvent},
    note::Note,
    protocol::{NoteAck, NoteErrorCode},
    rules::{self, NoteOp, Rejection, RuleLimits, StoredNote},
};

/// A failure of the store itself (not a refused change): disk, corruption, a bug.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file or directory could not be created or opened.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// Stored data that does not read back (a bug, or a file edited by hand).
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// A store across the network cannot be reached now (phase 7): nothing was changed,
    /// and the same change may be retried once it is back.
    #[error("the store is unreachable: {0}")]
    Unavailable(String),
}

/// What [`BoardStore::apply`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The change was committed as `event`; answer with `ack`, then publish `event`.
    Applied {
        /// The answer for the client.
        ack: NoteAck,
        /// The event appended to the board's log.
        event: LoggedEvent,
    },
    /// The op had been applied before: its first ack (`duplicate: true`); nothing changed.
    Duplicate(NoteAck),
    /// The change was refused; nothing changed.
    Rejected(Rejection),
}

/// What [`BoardStore::append`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Appended {
    /// The event was committed at `seq`: publish it.
    Logged(LoggedEvent),
    /// It was refused (a first event of a board past the cap on boards); nothing changed.
    Refused(Rejection),
}

/// One board, for `GET /boards`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRow {
    /// Its name.
    pub name: String,
    /// Live (not deleted) notes.
    pub notes: u64,
    /// Its last sequence number.
    pub head: u64,
    /// When it last changed, ms since the Unix epoch.
    pub updated_at_ms: u64,
}

// ANCHOR: board_cursor
/// Where a page of `GET /boards` starts: just after this board in the listing order,
/// most recently changed first, then by name.
///
/// A *keyset* cursor (the last row's sort key), not an offset: page 2 starts right after
/// the last board of page 1 even if boards were created meanwhile, and the store finds
/// it through an index instead of skipping `offset` rows. A board that changes during a
/// walk moves to the front: it is not listed twice, and may be missed by this walk
/// (a new walk starts with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardCursor {
    /// The board's last change, ms since the Unix epoch.
    pub updated_at_ms: u64,
    /// Its name (the tiebreak between boards changed in the same millisecond).
    pub name: String,
}
// ANCHOR_END: board_cursor

impl BoardCursor {
    /// The cursor just after `row`.
    pub fn after(row: &BoardRow) -> Self {
        Self {
            updated_at_ms: row.updated_at_ms,
            name: row.name.clone(),
        }
    }

    /// Whether `row` comes after this cursor in the listing order.
    pub fn precedes(&self, row: &BoardRow) -> bool {
        row.updated_at_ms < self.updated_at_ms
            || (row.updated_at_ms == self.updated_at_ms && row.name > self.name)
    }

    /// Reads the `<updated_at_ms>.<name>` form [`fmt::Display`] writes (a board name has no
    /// `.`, so the split is unambiguous).
    pub fn parse(text: &str) -> Option<Self> {
        let (ms, name) = text.split_once('.')?;
        Some(Self {
            updated_at_ms: ms.parse().ok()?,
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for BoardCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.updated_at_ms, self.name)
    }
}

/// A board's notes and the sequence number they reflect.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The head, read in the same read transaction as, and before, the notes.
    pub seq: u64,
    /// Live notes by column, order, id.
    pub notes: Vec<Note>,
}

/// What a [`BoardStore`] call returns: a boxed future, so the trait stays object-safe
/// (`Arc<dyn BoardStore>`).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

// ANCHOR: board_store
/// Where boards, notes, their event logs and op-id records live — the seam the writer and
/// the readers use. Share as `Arc<dyn BoardStore>` ([`SharedBoardStore`]).
pub trait BoardStore: Send + Sync + 'static {
    /// The log's epoch: created with the store, the same after every restart. A client's
    /// position `<epoch>-<seq>` stays valid as long as the data does.
    fn epoch(&self) -> &str;

    /// Applies one change atomically (see [`apply_op`]): op-id check, rules, then the
    /// note, the event at the next sequence number and the op-id record — or nothing.
    /// Resolves once the change is durable.
    fn apply<'a>(
        &'a self,
        op: &'a NoteOp,
        limits: &'a RuleLimits,
        now_ms: u64,
    ) -> StoreFuture<'a, Outcome>;

    /// Appends an event that changes no note — a chat line — to the board's log at the
    /// next sequence number, atomically (see [`append_line`]).
    fn append<'a>(
        &'a self,
        board: &'a str,
        event: &'a str,
        data: Bytes,
        limits: &'a RuleLimits,
        now_ms: u64,
    ) -> StoreFuture<'a, Appended>;

    /// The board's last sequence number (0: never changed), read like [`BoardStore::events`]
    /// — off the caller's thread, under no lock: what a poll reads to learn whether
    /// anything is new (phase 8) before it reads any event.
    fn head<'a>(&'a self, board: &'a str) -> StoreFuture<'a, u64>;

    /// The board's events with `after < seq <= through`, in order.
    fn events<'a>(
        &'a self,
        board: &'a str,
        after: u64,
        through: u64,
    ) -> StoreFuture<'a, Vec<LoggedEvent>>;

    /// The board's live notes and the head they reflect, read consistently.
    fn snapshot<'a>(&'a self, board: &'a str) -> StoreFuture<'a, Snapshot>;

    /// Up to `limit` boards that have changed at least once, most recently changed first
    /// (ties by name), starting after `after` (from the first board if `None`).
    fn boards<'a>(
        &'a self,
        after: Option<&'a BoardCursor>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<BoardRow>>;

    /// The ack recorded for `op_id` on `board`, if that op was applied.
    fn find_op<'a>(&'a self, board: &'a str, op_id: &'a str) -> StoreFuture<'a, Option<NoteAck>>;

    /// The log as the hub reads it: synchronously, under a room's lock ([`LogReader`]).
    fn history(&self) -> Arc<dyn LogReader>;
}
// ANCHOR_END: board_store

/// The store every module uses, provided in [`phase_1_foundations::Services`]: phase 4
/// opens its embedded store unless a module before it provided one ([`crate::app`]).
#[derive(Clone)]
pub struct SharedBoardStore(pub Arc<dyn BoardStore>);

/// The reads the hub makes **under a room's lock** (phase 2's `HistorySource`, through
/// [`crate::history::LogHistory`]): a room's head when it is first used, a replay when a
/// resume reaches further back than memory.
///
/// The one place the store is called under a lock, and why that is safe: these answer
/// from data already durable and at hand, and never wait for the writer — which waits
/// for that same lock to publish. SQLite reads through its reader connection, which in
/// WAL mode never waits for the writer's transaction; the memory store holds its own
/// mutex for a copy. Calls are rare and a replay is capped
/// (`LIVEBOARD_BOARD_MAX_REPLAY_EVENTS`). A store across the network must answer from a
/// local copy of the log's tail here — a round trip under the lock would stall the room.
pub trait LogReader: Send + Sync + 'static {
    /// The board's last sequence number (0: never changed).
    fn head(&self, board: &str) -> Result<u64, StoreError>;

    /// The board's events with `after < seq <= through`, in order.
    fn events(&self, board: &str, after: u64, through: u64)
        -> Result<Vec<LoggedEvent>, StoreError>;
}

/// A store whose calls block the calling thread until done: the embedded stores, SQLite
/// and memory. [`crate::embedded::Embedded`] puts one behind [`BoardStore`].
pub trait BlockingStore: LogReader {
    /// See [`BoardStore::epoch`].
    fn epoch(&self) -> &str;

    /// See [`BoardStore::apply`]; returns once durable.
    fn apply(&self, op: &NoteOp, limits: &RuleLimits, now_ms: u64) -> Result<Outcome, StoreError>;

    /// See [`BoardStore::append`].
    fn append(
        &self,
        board: &str,
        event: &str,
        data: Bytes,
        limits: &RuleLimits,
        now_ms: u64,
    ) -> Result<Appended, StoreError>;

    /// See [`BoardStore::snapshot`].
    fn snapshot(&self, board: &str) -> Result<Snapshot, StoreError>;

    /// See [`BoardStore::boards`].
    fn boards(
        &self,
        after: Option<&BoardCursor>,
        limit: usize,
    ) -> Result<Vec<BoardRow>, StoreError>;

    /// See [`BoardStore::find_op`].
    fn find_op(&self, board: &str, op_id: &str) -> Result<Option<NoteAck>, StoreError>;
}
// ANCHOR_END: board_store

/// What an op-id record holds: the request it was for and the ack it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRecord {
    /// [`NoteOp::fingerprint`] of the request.
    pub request: String,
    /// The ack as JSON.
    pub ack: String,
}

// ANCHOR: log_tx
/// The reads and writes of one store transaction — all a store must provide for
/// [`apply_op`] to run in it.
pub trait LogTx {
    /// The board's head (0 if it does not exist yet).
    fn head(&mut self, board: &str) -> Result<u64, StoreError>;
    /// The op-id record of `op_id` on `board`.
    fn op(&mut self, board: &str, op_id: &str) -> Result<Option<OpRecord>, StoreError>;
    /// The note `id` (tombstones included).
    fn note(&mut self, board: &str, id: &str) -> Result<Option<StoredNote>, StoreError>;
    /// How many live notes the board has.
    fn live_notes(&mut self, board: &str) -> Result<u64, StoreError>;
    /// How many boards exist (have changed at least once).
    fn board_count(&mut self) -> Result<u64, StoreError>;
    /// Writes the note's new state (insert or replace).
    fn put_note(&mut self, note: &StoredNote) -> Result<(), StoreError>;
    /// Appends `event` to the board's log.
    fn append_event(&mut self, board: &str, event: &LoggedEvent) -> Result<(), StoreError>;
    /// Records that `op_id` was applied, with its ack.
    fn record_op(&mut self, board: &str, op_id: &str, record: &OpRecord) -> Result<(), StoreError>;
    /// Sets the board's head (creating the board on its first change).
    fn set_head(&mut self, board: &str, seq: u64, now_ms: u64) -> Result<(), StoreError>;
}
// ANCHOR_END: log_tx

// ANCHOR: apply_op
/// One change, in one transaction `tx`: idempotency, rules, then every write. The caller
/// commits if this returns [`Outcome::Applied`] and rolls back otherwise.
pub fn apply_op(
    tx: &mut impl LogTx,
    epoch: &str,
    op: &NoteOp,
    limits: &RuleLimits,
    now_ms: u64,
) -> Result<Outcome, StoreError> {
    let board = op.board();
    // EXERCISE(ch4-idempotent-retry): answer a retried opId with its first ack
    // 1. A retry of an applied op gets the first answer again.
    if let Some(record) = tx.op(board, op.op_id())? {
        if record.request != op.fingerprint() {
            return Ok(Outcome::Rejected(Rejection::new(
                NoteErrorCode::Validation,
                "This change could not be applied: its id was already used for another change.",
                format!(
                    "opId {} was already used for a different request: use a new opId per operation",
                    op.op_id()
                ),
            )));
        }
        let mut ack: NoteAck = serde_json::from_str(&record.ack)
            .map_err(|e| StoreError::Corrupt(format!("op record {}: {e}", op.op_id())))?;
        ack.duplicate = true;
        return Ok(Outcome::Duplicate(ack));
    }
    // EXERCISE_END(ch4-idempotent-retry)
    // 2. Decide, from the note as stored and the board's size.
    if let Err(rejection) = rules::validate(op, limits) {
        return Ok(Outcome::Rejected(rejection));
    }
    let current = tx.note(board, op.note_id())?;
    let live = tx.live_notes(board)?;
    let decision = match rules::decide(op, current.as_ref(), live, limits, now_ms) {
        Ok(decision) => decision,
        Err(rejection) => return Ok(Outcome::Rejected(rejection)),
    };
    // A first change makes a new board: only while there are fewer than the cap. (Only a
    // create can be a first change: anything else found no note above.)
    let head = tx.head(board)?;
    if let Some(rejection) = over_board_cap(tx, head, limits)? {
        return Ok(Outcome::Rejected(rejection));
    }
    // 3. Write: the note, the event at the next sequence number, the op record, the head.
    let seq = head + 1;
    let event = events::logged_event(epoch, seq, op, &decision);
    let ack = events::ack(epoch, seq, op, &decision);
    let record = OpRecord {
        request: op.fingerprint(),
        ack: serde_json::to_string(&ack)
            .map_err(|e| StoreError::Corrupt(format!("encoding an ack: {e}")))?,
    };
    tx.put_note(&decision.stored)?;
    tx.append_event(board, &event)?;
    tx.record_op(board, op.op_id(), &record)?;
    tx.set_head(board, seq, now_ms)?;
    Ok(Outcome::Applied { ack, event })
}
// ANCHOR_END: apply_op

/// Why a first event of a board (`head` 0) may not make one more board, if it may not.
fn over_board_cap(
    tx: &mut impl LogTx,
    head: u64,
    limits: &RuleLimits,
) -> Result<Option<Rejection>, StoreError> {
    if head != 0 {
        return Ok(None);
    }
    let boards = tx.board_count()?;
    if boards < limits.max_boards {
        return Ok(None);
    }
    Ok(Some(Rejection::new(
        NoteErrorCode::TooManyBoards,
        format!(
            "This server is full ({}): use an existing board.",
            counted(limits.max_boards, "board", "boards")
        ),
        format!(
            "the server holds {boards} boards; LIVEBOARD_BOARD_MAX_BOARDS is {}",
            limits.max_boards
        ),
    )))
}

// ANCHOR: append_line
/// A chat line, in one transaction `tx`: the event at `head + 1` and the new head — the
/// same sequence, the same single writer as note changes, so a board's log stays one
/// gap-free order of everything that happened on it. It changes no note, so a snapshot's
/// notes are untouched, but its `seq` counts the line. It is kept like every event of the
/// log (which this phase never truncates; a resume replays at most
/// `LIVEBOARD_BOARD_MAX_REPLAY_EVENTS`). The caller commits if this returns
/// [`Appended::Logged`].
pub fn append_line(
    tx: &mut impl LogTx,
    board: &str,
    event: &str,
    data: Bytes,
    limits: &RuleLimits,
    now_ms: u64,
) -> Result<Appended, StoreError> {
    let head = tx.head(board)?;
    // A line on a board nobody has used yet makes the board: the same cap as a note.
    if let Some(rejection) = over_board_cap(tx, head, limits)? {
        return Ok(Appended::Refused(rejection));
    }
    let event = LoggedEvent {
        seq: head + 1,
        event: event.to_owned(),
        data,
    };
    tx.append_event(board, &event)?;
    tx.set_head(board, event.seq, now_ms)?;
    Ok(Appended::Logged(event))
}
// ANCHOR_END: append_line

/// Notes in display order: column, then order, then id (ties).
pub fn sort_notes(notes: &mut [Note]) {
    notes.sort_by(|a, b| {
        a.column
            .cmp(&b.column)
            .then(a.order.total_cmp(&b.order))
            .then_with(|| a.id.cmp(&b.id))
    });
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Applied { ack, .. } => write!(f, "applied at seq {}", ack.seq),
            Outcome::Duplicate(ack) => write!(f, "duplicate of seq {}", ack.seq),
            Outcome::Rejected(r) => write!(f, "rejected: {:?}", r.code),
        }
    }
}
