//! Where hooks, their cursors and their delivery logs live: SQLite, next to the boards.
//!
//! `webhooks.sqlite3` in the board store's `--data-dir` (in memory when the boards are:
//! `--data-dir :memory:`), opened the way phase 4 opens its database — WAL, `synchronous
//! = FULL`, a busy timeout — so a cursor the worker advanced is on disk before the next
//! event is sent. Three things per hook:
//!
//! * the **hook**: its board, URL, events, secret, and status (enabled, or disabled and
//!   why, with its consecutive failures);
//! * its **cursor**: the last sequence number of the board's log delivered or skipped —
//!   the whole outbox ([`super`]): what is pending is "the log after the cursor";
//! * its **delivery log**: one row per delivery (updated by each attempt), the last
//!   [`KEPT_DELIVERIES`] kept.
//!
//! The calls are blocking (SQLite), so async callers go through [`HookStore::run`], on
//! tokio's blocking pool.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use phase_4_board::store::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The database file in the data directory.
pub const DB_FILE: &str = "webhooks.sqlite3";
/// Deliveries kept per hook: older rows are dropped as new ones come.
pub const KEPT_DELIVERIES: u64 = 1_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hooks (
    id TEXT PRIMARY KEY,
    board TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS hooks_by_board ON hooks (board, created_at_ms);
CREATE TABLE IF NOT EXISTS deliveries (
    hook_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    attempts INTEGER NOT NULL,
    latency_ms INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (hook_id, seq)
);
";

/// One registered webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// `wh_` and 16 hex digits.
    pub id: String,
    /// The board whose log it follows.
    pub board: String,
    /// Where deliveries go (validated when registered, re-checked at each attempt).
    pub url: String,
    /// The events it wants; `*` is all of them.
    pub events: Vec<String>,
    /// The HMAC key deliveries are signed with.
    pub secret: String,
    /// The last sequence number delivered or skipped.
    pub cursor: u64,
    /// Failed attempts in a row (0 after a success).
    pub failures: u32,
    /// Why it was disabled; `None` while enabled.
    pub disabled_reason: Option<String>,
    /// When it was registered, ms since the Unix epoch.
    pub created_at_ms: u64,
}

impl Hook {
    /// Whether `event` is one this hook asked for.
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == event)
    }
}

/// How a delivery ended, so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A `2xx`: the cursor moved past it.
    Delivered,
    /// The last attempt failed; another follows after a backoff.
    Retrying,
    /// The last attempt failed and the hook was disabled: it stays pending.
    Failed,
}

impl Outcome {
    /// As stored and listed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
        }
    }
}

/// One row of a hook's delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The event's sequence number on the board.
    pub seq: u64,
    /// The event's type.
    pub event: String,
    /// `delivered`, `retrying` or `failed`.
    pub outcome: String,
    /// The receiver's status code of the last attempt, if it answered.
    pub status_code: Option<u16>,
    /// Why the last attempt failed without a status (refused, timed out, unreachable).
    pub error: Option<String>,
    /// Attempts so far.
    pub attempts: u32,
    /// How long the last attempt took, in ms.
    pub latency_ms: u64,
    /// When the last attempt ended, ms since the Unix epoch.
    pub at_ms: u64,
}

/// The hooks' database.
#[derive(Debug)]
pub struct HookStore {
    conn: Mutex<Connection>,
}

impl HookStore {
    /// Opens (creating if needed) `dir/webhooks.sqlite3`, or a database in memory.
    pub fn open(dir: Option<&Path>) -> Result<Self, StoreError> {
        let conn = match dir {
            None => Connection::open_in_memory()?,
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                    what: format!("creating the data directory {}", dir.display()),
                    source,
                })?;
                let conn = Connection::open(dir.join(DB_FILE))?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "FULL")?;
                conn.busy_timeout(Duration::from_secs(5))?;
                conn
            }
        };
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Runs blocking calls on tokio's blocking pool.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&HookStore) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::Io {
                what: "a webhook store call".to_owned(),
                source: std::io::Error::other(e.to_string()),
            })?
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock left no half-done transaction (SQLite rolls it
        // back), so the connection is still usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a new hook.
    pub fn insert(&self, hook: &Hook) -> Result<(), StoreError> {
        let events =
            serde_json::to_string(&hook.events).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn().execute(
            "INSERT INTO hooks (id, board, url, events, secret, cursor, failures, disabled_reason, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                hook.id,
                hook.board,
                hook.url,
                events,
                hook.secret,
                hook.cursor,
                hook.failures,
                hook.disabled_reason,
                hook.created_at_ms
            ],
        )?;
        Ok(())
    }

    /// The hooks of `board`, oldest first.
    pub fn on_board(&self, board: &str) -> Result<Vec<Hook>, StoreError> {
        self.select(
            "WHERE board = ?1 ORDER BY created_at_ms, id",
            params![board],
        )
    }

    /// Every enabled hook: what a starting server resumes.
    pub fn enabled(&self) -> Result<Vec<Hook>, StoreError> {
        self.select(
            "WHERE disabled_reason IS NULL ORDER BY created_at_ms, id",
            params![],
        )
    }

    /// One hook of `board`.
    pub fn get(&self, board: &str, id: &str) -> Result<Option<Hook>, StoreError> {
        Ok(self
            .select("WHERE board = ?1 AND id = ?2", params![board, id])?
            .pop())
    }

    fn select(&self, filter: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Hook>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT id, board, url, events, secret, cursor, failures, disabled_reason, created_at_ms
             FROM hooks {filter}"
        ))?;
        let rows = stmt.query_map(args, read_hook)?;
        let mut hooks = Vec::new();
        for row in rows {
            let (hook, events) = row?;
            hooks.push(Hook {
                events: serde_json::from_str(&events)
                    .map_err(|e| StoreError::Corrupt(format!("hook {}: events: {e}", hook.id)))?,
                ..hook
            });
        }
        Ok(hooks)
    }

    /// Removes a hook and its delivery log; whether it existed.
    pub fn delete(&self, board: &str, id: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let gone = tx.execute(
            "DELETE FROM hooks WHERE board = ?1 AND id = ?2",
            params![board, id],
        )?;
        tx.execute("DELETE FROM deliveries WHERE hook_id = ?1", params![id])?;
        tx.commit()?;
        Ok(gone > 0)
    }

    /// Moves the cursor (events delivered or skipped) and resets the failures.
    pub fn advance(&self, id: &str, cursor: u64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE hooks SET cursor = ?2, failures = 0 WHERE id = ?1 AND cursor < ?2",
            params![id, cursor],
        )?;
        Ok(())
    }

    // ANCHOR: record_attempt
    /// Records an attempt at delivering `seq`, in one transaction: its row in the delivery
    /// log; on success the cursor moves past it; on failure the failures count up and, if
    /// `disable` says why, the hook is disabled.
    pub fn record_attempt(
        &self,
        hook: &Hook,
        delivery: &Delivery,
        failures: u32,
        disable: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            // A hook deleted during the attempt gets no row.
            "INSERT INTO deliveries (hook_id, seq, event, outcome, status_code, error, attempts, latency_ms, at_ms)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE EXISTS (SELECT 1 FROM hooks WHERE id = ?1)
             ON CONFLICT (hook_id, seq) DO UPDATE SET outcome = ?4, status_code = ?5, error = ?6,
                 attempts = ?7, latency_ms = ?8, at_ms = ?9",
            params![
                hook.id,
                delivery.seq,
                delivery.event,
                delivery.outcome,
                delivery.status_code,
                delivery.error,
                delivery.attempts,
                delivery.latency_ms,
                delivery.at_ms
            ],
        )?;
        if delivery.outcome == Outcome::Delivered.as_str() {
            tx.execute(
                "UPDATE hooks SET cursor = max(cursor, ?2), failures = 0 WHERE id = ?1",
                params![hook.id, delivery.seq],
            )?;
        } else {
            tx.execute(
                "UPDATE hooks SET failures = ?2, disabled_reason = ?3 WHERE id = ?1",
                params![hook.id, failures, disable],
            )?;
        }
        tx.execute(
            "DELETE FROM deliveries WHERE hook_id = ?1 AND seq <= ?2 - ?3",
            params![hook.id, delivery.seq, KEPT_DELIVERIES],
        )?;
        tx.commit()?;
        Ok(())
    }
    // ANCHOR_END: record_attempt

    /// The last `limit` deliveries of a hook, newest first.
    pub fn deliveries(&self, id: &str, limit: u64) -> Result<Vec<Delivery>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, event, outcome, status_code, error, attempts, latency_ms, at_ms
             FROM deliveries WHERE hook_id = ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![id, limit], |r| {
            Ok(Delivery {
                seq: r.get(0)?,
                event: r.get(1)?,
                outcome: r.get(2)?,
                status_code: r.get(3)?,
                error: r.get(4)?,
                attempts: r.get(5)?,
                latency_ms: r.get(6)?,
                at_ms: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many hooks `board` has.
    pub fn count_on_board(&self, board: &str) -> Result<usize, StoreError> {
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM hooks WHERE board = ?1",
            params![board],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Whether hook `id` still exists (and is enabled).
    pub fn is_enabled(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM hooks WHERE id = ?1 AND disabled_reason IS NULL",
                params![id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

fn read_hook(r: &Row<'_>) -> rusqlite::Result<(Hook, String)> {
    Ok((
        Hook {
            id: r.get(0)?,
            board: r.get(1)?,
            url: r.get(2)?,
            events: Vec::new(),
            secret: r.get(4)?,
            cursor: r.get(5)?,
            failures: r.get(6)?,
            disabled_reason: r.get(7)?,
            created_at_ms: r.get(8)?,
        },
        r.get(3)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(id: &str) -> Hook {
        Hook {
            id: id.to_owned(),
            board: "b".to_owned(),
            url: "https://example.com/".to_owned(),
            events: vec!["*".to_owned()],
            secret: "whsec_x".to_owned(),
            cursor: 3,
            failures: 0,
            disabled_reason: None,
            created_at_ms: 1,
        }
    }

    fn attempt(seq: u64, outcome: Outcome, attempts: u32) -> Delivery {
        Delivery {
            seq,
            event: "message".to_owned(),
            outcome: outcome.as_str().to_owned(),
            status_code: Some(500),
            error: None,
            attempts,
            latency_ms: 1,
            at_ms: 2,
        }
    }

    #[test]
    fn a_cursor_and_a_delivery_log_survive_reopening_the_file() {
        let dir = std::env::temp_dir().join(format!("lb-hooks-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let store = HookStore::open(Some(&dir)).unwrap();
            let h = hook("wh_1");
            store.insert(&h).unwrap();
            store
                .record_attempt(&h, &attempt(4, Outcome::Retrying, 1), 1, None)
                .unwrap();
            store
                .record_attempt(&h, &attempt(4, Outcome::Delivered, 2), 0, None)
                .unwrap();
        }
        let store = HookStore::open(Some(&dir)).unwrap();
        let h = store.get("b", "wh_1").unwrap().unwrap();
        assert_eq!((h.cursor, h.failures), (4, 0));
        let log = store.deliveries("wh_1", 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].attempts, log[0].outcome.as_str()), (2, "delivered"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failure_with_a_reason_disables_and_delete_removes_the_log() {
        let store = HookStore::open(None).unwrap();
        let h = hook("wh_2");
        store.insert(&h).unwrap();
        store
            .record_attempt(&h, &attempt(4, Outcome::Failed, 8), 8, Some("gave up"))
            .unwrap();
        assert!(!store.is_enabled("wh_2").unwrap());
        assert!(store.enabled().unwrap().is_empty());
        let h = store.get("b", "wh_2").unwrap().unwrap();
        assert_eq!((h.cursor, h.failures), (3, 8));
        assert_eq!(h.disabled_reason.as_deref(), Some("gave up"));
        assert!(store.delete("b", "wh_2").unwrap());
        assert!(!store.delete("b", "wh_2").unwrap());
        assert!(store.deliveries("wh_2", 10).unwrap().is_empty());
    }
}
