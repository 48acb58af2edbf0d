//! [`SqliteStore`]: the default store, one SQLite file in the data directory.
//!
//! SQLite is compiled into the binary (rusqlite's `bundled` feature), so the default needs
//! no setup: `--data-dir ./data` is created if missing and holds `liveboard.sqlite3`.
//!
//! ## What "acknowledged means on disk" costs
//!
//! * **WAL mode** (`journal_mode=WAL`): a commit appends to a write-ahead log instead of
//!   rewriting pages in place, and readers read the last committed state without waiting
//!   for the writer — so snapshots and replays (the reader connection) never queue behind
//!   a write (the writer connection).
//! * **`synchronous=FULL`**: every commit `fsync`s the WAL before returning. The ack is
//!   sent after the commit returns, so an acknowledged change survives a `kill -9` *and*
//!   a power cut. `NORMAL` would skip that fsync: in WAL mode it still survives a killed
//!   process (the bytes are in the kernel's page cache), but a power cut or kernel crash
//!   can take the last commits with it — acks for changes that no longer exist. An fsync
//!   costs from ~0.1 ms (NVMe) to ~10 ms (a cloud disk); with one writer that caps the
//!   write rate per server. Production batches (group commit): many changes, one fsync.
//! * **One transaction per change** (`BEGIN IMMEDIATE`: take the write lock up front), in
//!   which [`apply_op`] reads, decides and writes.
//!
//! ## Tables
//!
//! ```text
//! meta   (key PK, value)                       epoch, schema version (2)
//! boards (name PK, head, updated_at_ms)        head = last sequence number; indexed by
//!                                              (updated_at_ms DESC, name) for GET /boards
//! notes  (board, id, ..., version, text_version, color_version, place_version, deleted,
//!         updated_by)                          updated_by since schema 2 (see `migrate`)
//! events (board, seq, event, data)             PK (board, seq): the log, JSON as broadcast
//!                                              (note changes and chat lines, one sequence)
//! ops    (board, op_id, request, ack)          PK (board, op_id): idempotency records
//! ```
//!
//! The `ops` table grows with every change. Production expires records older than any
//! client would retry (a day, say); this phase keeps them.

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard},
};

use bytes::Bytes;
use phase_2_sse::position::new_epoch;
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

use crate::{
    events::LoggedEvent,
    note::Note,
    protocol::NoteAck,
    rules::{NoteOp, RuleLimits, StoredNote},
    store::{
        append_line, apply_op, Appended, BlockingStore, BoardCursor, BoardRow, LogReader, LogTx,
        OpRecord, Outcome, Snapshot, StoreError,
    },
};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "liveboard.sqlite3";

/// The schema this code writes: 2 added `notes.updated_by` ([`migrate`]).
const SCHEMA_VERSION: &str = "2";

// ANCHOR: schema
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS boards (
    name TEXT PRIMARY KEY,
    head INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notes (
    board TEXT NOT NULL,
    id TEXT NOT NULL,
    text TEXT NOT NULL,
    color TEXT NOT NULL,
    col TEXT NOT NULL,
    ord REAL NOT NULL,
    author TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL,
    text_version INTEGER NOT NULL,
    color_version INTEGER NOT NULL,
    place_version INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (board, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    board TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (board, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ops (
    board TEXT NOT NULL,
    op_id TEXT NOT NULL,
    request TEXT NOT NULL,
    ack TEXT NOT NULL,
    PRIMARY KEY (board, op_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS boards_by_recent ON boards (updated_at_ms DESC, name);
";
// ANCHOR_END: schema

/// Boards in a SQLite file: one connection writes, one reads.
pub struct SqliteStore {
    path: PathBuf,
    epoch: String,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("epoch", &self.epoch)
            .finish()
    }
}

// ANCHOR: open
impl SqliteStore {
    /// Opens (creating if needed) `dir/liveboard.sqlite3`. The first open draws the epoch
    /// and stores it; every later open reads it back, so positions survive restarts.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            what: format!("creating the data directory {}", dir.display()),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let writer = Connection::open(&path)?;
        // WAL survives in the file; `synchronous` is per connection and must be set on each.
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        writer.busy_timeout(std::time::Duration::from_secs(5))?;
        writer.execute_batch(SCHEMA)?;
        migrate(&writer)?;
        let epoch = {
            let tx = writer.unchecked_transaction()?;
            let found: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            let epoch = match found {
                Some(epoch) => epoch,
                None => {
                    let epoch = new_epoch();
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES ('epoch', ?1), ('schema', ?2)",
                        params![epoch, SCHEMA_VERSION],
                    )?;
                    epoch
                }
            };
            tx.commit()?;
            epoch
        };
        let reader = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Self {
            path,
            epoch,
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }
    // ANCHOR_END: open

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic mid-transaction drops the transaction, which rolls back: still consistent.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// ANCHOR: migrate
/// Brings a database written by an older version up to [`SCHEMA_VERSION`], in one
/// transaction. `CREATE TABLE IF NOT EXISTS` leaves an existing table as it was, so a
/// column added since must be added here, and filled: a database from before
/// `updated_by` gets the column, each note's `author` in it (the best answer there is:
/// who changed it last was not recorded), and keeps working.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let tx = conn.unchecked_transaction()?;
    let has_updated_by = tx
        .prepare("SELECT 1 FROM pragma_table_info('notes') WHERE name = 'updated_by'")?
        .exists([])?;
    if !has_updated_by {
        tx.execute_batch(
            "ALTER TABLE notes ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
             UPDATE notes SET updated_by = author;",
        )?;
        tracing::info!("database migrated: notes.updated_by added, filled from author");
    }
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema'",
        [SCHEMA_VERSION],
    )?;
    tx.commit()?;
    Ok(())
}
// ANCHOR_END: migrate

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

const NOTE_COLUMNS: &str =
    "board, id, text, color, col, ord, author, created_at_ms, updated_at_ms, \
     version, text_version, color_version, place_version, deleted, updated_by";

fn read_note(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredNote> {
    Ok(StoredNote {
        note: Note {
            board: row.get(0)?,
            id: row.get(1)?,
            text: row.get(2)?,
            color: row.get(3)?,
            column: row.get(4)?,
            order: row.get(5)?,
            author: row.get(6)?,
            updated_by: row.get(14)?,
            created_at_ms: to_u64(row.get(7)?),
            updated_at_ms: to_u64(row.get(8)?),
            version: to_u64(row.get(9)?),
        },
        text_version: to_u64(row.get(10)?),
        color_version: to_u64(row.get(11)?),
        place_version: to_u64(row.get(12)?),
        deleted: row.get(13)?,
    })
}

fn head_in(conn: &Connection, board: &str) -> Result<u64, StoreError> {
    let head: Option<i64> = conn
        .prepare_cached("SELECT head FROM boards WHERE name = ?1")?
        .query_row([board], |r| r.get(0))
        .optional()?;
    Ok(head.map_or(0, to_u64))
}

// ANCHOR: sqlite_tx
/// [`LogTx`] over one SQLite transaction. Every statement goes through the connection's
/// prepared-statement cache (`prepare_cached`): parsing and planning the SQL is paid once
/// per connection, not on every change. Measured in the fan-out benchmark (perf, 1,000
/// subscribers), `execute` with the SQL text spent the writer thread's time in SQLite's
/// parser and planner (`yy_reduce`, `sqlite3WhereBegin`, `sqlite3Select`).
struct SqliteTx<'c>(Transaction<'c>);

impl LogTx for SqliteTx<'_> {
    fn head(&mut self, board: &str) -> Result<u64, StoreError> {
        head_in(&self.0, board)
    }
    fn op(&mut self, board: &str, op_id: &str) -> Result<Option<OpRecord>, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT request, ack FROM ops WHERE board = ?1 AND op_id = ?2")?
            .query_row([board, op_id], |r| {
                Ok(OpRecord {
                    request: r.get(0)?,
                    ack: r.get(1)?,
                })
            })
            .optional()?)
    }
    fn note(&mut self, board: &str, id: &str) -> Result<Option<StoredNote>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {NOTE_COLUMNS} FROM notes WHERE board = ?1 AND id = ?2"
            ))?
            .query_row([board, id], read_note)
            .optional()?)
    }
    fn live_notes(&mut self, board: &str) -> Result<u64, StoreError> {
        let n: i64 = self.0.query_row(
            "SELECT COUNT(*) FROM notes WHERE board = ?1 AND deleted = 0",
            [board],
            |r| r.get(0),
        )?;
        Ok(to_u64(n))
    }
    fn board_count(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self
            .0
            .query_row("SELECT COUNT(*) FROM boards", [], |r| r.get(0))?;
        Ok(to_u64(n))
    }
    fn put_note(&mut self, s: &StoredNote) -> Result<(), StoreError> {
        let n = &s.note;
        self.0
            .prepare_cached(&format!(
                "INSERT OR REPLACE INTO notes ({NOTE_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
            ))?
            .execute(params![
                n.board,
                n.id,
                n.text,
                n.color,
                n.column,
                n.order,
                n.author,
                to_i64(n.created_at_ms),
                to_i64(n.updated_at_ms),
                to_i64(n.version),
                to_i64(s.text_version),
                to_i64(s.color_version),
                to_i64(s.place_version),
                s.deleted,
                n.updated_by,
            ])?;
        Ok(())
    }
    fn append_event(&mut self, board: &str, e: &LoggedEvent) -> Result<(), StoreError> {
        // A plain INSERT: a second event at the same (board, seq) violates the primary key
        // and fails the whole transaction — the log can never fork.
        self.0
            .prepare_cached("INSERT INTO events (board, seq, event, data) VALUES (?1, ?2, ?3, ?4)")?
            // The JSON we serialized is UTF-8, so this borrows it (no copy) as TEXT.
            .execute(params![
                board,
                to_i64(e.seq),
                e.event,
                String::from_utf8_lossy(&e.data)
            ])?;
        Ok(())
    }
    fn record_op(&mut self, board: &str, op_id: &str, r: &OpRecord) -> Result<(), StoreError> {
        self.0
            .prepare_cached("INSERT INTO ops (board, op_id, request, ack) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![board, op_id, r.request, r.ack])?;
        Ok(())
    }
    fn set_head(&mut self, board: &str, seq: u64, now_ms: u64) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO boards (name, head, updated_at_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET head = excluded.head, updated_at_ms = excluded.updated_at_ms",
            )?
            .execute(params![board, to_i64(seq), to_i64(now_ms)])?;
        Ok(())
    }
}
// ANCHOR_END: sqlite_tx

impl LogReader for SqliteStore {
    fn head(&self, board: &str) -> Result<u64, StoreError> {
        head_in(&self.reader(), board)
    }

    fn events(
        &self,
        board: &str,
        after: u64,
        through: u64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, event, data FROM events WHERE board = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![board, to_i64(after), to_i64(through)], |r| {
            Ok(LoggedEvent {
                seq: to_u64(r.get(0)?),
                event: r.get(1)?,
                data: r.get::<_, String>(2)?.into(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl BlockingStore for SqliteStore {
    fn epoch(&self) -> &str {
        &self.epoch
    }

    // ANCHOR: sqlite_apply
    fn apply(&self, op: &NoteOp, limits: &RuleLimits, now_ms: u64) -> Result<Outcome, StoreError> {
        let mut conn = self.writer();
        let mut tx = SqliteTx(conn.transaction_with_behavior(TransactionBehavior::Immediate)?);
        let outcome = apply_op(&mut tx, &self.epoch, op, limits, now_ms)?;
        if let Outcome::Applied { .. } = outcome {
            // Returns once the WAL is fsynced (synchronous=FULL): only now may we ack.
            tx.0.commit()?;
        }
        // Otherwise dropping `tx` rolls back (nothing was written anyway).
        Ok(outcome)
    }
    // ANCHOR_END: sqlite_apply

    fn append(
        &self,
        board: &str,
        event: &str,
        data: Bytes,
        limits: &RuleLimits,
        now_ms: u64,
    ) -> Result<Appended, StoreError> {
        let mut conn = self.writer();
        let mut tx = SqliteTx(conn.transaction_with_behavior(TransactionBehavior::Immediate)?);
        let appended = append_line(&mut tx, board, event, data, limits, now_ms)?;
        if let Appended::Logged(_) = appended {
            tx.0.commit()?; // fsynced, as a note change: only now is it published
        }
        Ok(appended)
    }

    // ANCHOR: sqlite_snapshot
    fn snapshot(&self, board: &str) -> Result<Snapshot, StoreError> {
        let mut conn = self.reader();
        // One read transaction: the head and the notes come from the same committed state
        // (WAL gives a reader a fixed view for the whole transaction). The head is read
        // first, so even a store without such views would err on the safe side: a client
        // re-applies an event it already has (skipped by seq), it never misses one.
        let tx = conn.transaction()?;
        let seq = head_in(&tx, board)?;
        let mut notes = {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {NOTE_COLUMNS} FROM notes WHERE board = ?1 AND deleted = 0 \
                 ORDER BY col, ord, id"
            ))?;
            let rows = stmt.query_map([board], read_note)?;
            rows.map(|r| r.map(|s| s.note))
                .collect::<Result<Vec<_>, _>>()?
        };
        tx.finish()?;
        crate::store::sort_notes(&mut notes);
        Ok(Snapshot { seq, notes })
    }
    // ANCHOR_END: sqlite_snapshot

    // ANCHOR: sqlite_boards
    fn boards(
        &self,
        after: Option<&BoardCursor>,
        limit: usize,
    ) -> Result<Vec<BoardRow>, StoreError> {
        let conn = self.reader();
        // Keyset pagination: the rows strictly after the cursor in the index's order
        // (`boards_by_recent`), so each page costs `limit` rows, however deep it is.
        let mut stmt = conn.prepare_cached(
            "SELECT b.name, b.head, b.updated_at_ms, \
                    (SELECT COUNT(*) FROM notes n WHERE n.board = b.name AND n.deleted = 0) \
             FROM boards b \
             WHERE ?1 IS NULL OR b.updated_at_ms < ?1 OR (b.updated_at_ms = ?1 AND b.name > ?2) \
             ORDER BY b.updated_at_ms DESC, b.name LIMIT ?3",
        )?;
        let (ms, name) = match after {
            Some(c) => (Some(to_i64(c.updated_at_ms)), c.name.as_str()),
            None => (None, ""),
        };
        let rows = stmt.query_map(params![ms, name, to_i64(limit as u64)], |r| {
            Ok(BoardRow {
                name: r.get(0)?,
                head: to_u64(r.get(1)?),
                updated_at_ms: to_u64(r.get(2)?),
                notes: to_u64(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    // ANCHOR_END: sqlite_boards

    fn find_op(&self, board: &str, op_id: &str) -> Result<Option<NoteAck>, StoreError> {
        let ack: Option<String> = self
            .reader()
            .query_row(
                "SELECT ack FROM ops WHERE board = ?1 AND op_id = ?2",
                [board, op_id],
                |r| r.get(0),
            )
            .optional()?;
        ack.map(|a| {
            serde_json::from_str(&a)
                .map_err(|e| StoreError::Corrupt(format!("op record {op_id}: {e}")))
        })
        .transpose()
    }
}
