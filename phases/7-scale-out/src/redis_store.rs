//! [`RedisStore`]: phase 4's [`BoardStore`] in Redis — boards, notes, each board's log and
//! sequence, and the op-id records, shared by every instance of the server.
//!
//! ## Two writers, one sequence
//!
//! With one server, one writer thread hands out a board's sequence numbers, and SQLite's
//! transaction makes each change all-or-nothing. With two servers there are two writer
//! threads, and both may take a change of board `b` at the same moment: both read head 41,
//! both would write event 42. The store is where they meet, so the store must decide.
//!
//! Redis runs one command at a time, and a `MULTI` … `EXEC` block as one: no other
//! client's command runs between its commands. But the commands inside a block are only
//! queued — their replies arrive after `EXEC` — so a block cannot *read, decide, then
//! write*. Two ways around that:
//!
//! * **A Lua script** (`EVAL`) reads, decides and writes inside Redis, atomically. It
//!   would have to hold the op-id check, phase 4's conflict rule per field group, the
//!   caps — the rules written a second time, in a second language, drifting from the
//!   Rust ones that SQLite and the memory store run.
//! * **Optimistic concurrency** (`WATCH`), what this store does. `WATCH key` asks Redis
//!   to remember the key; the next `EXEC` on this connection runs its block only if no
//!   watched key was written by anyone since the `WATCH` — otherwise it runs nothing and
//!   answers nil. So: `WATCH` the board's head, read everything phase 4's `apply_op` may
//!   ask for, run `apply_op` — the very same function the other stores run, over
//!   [`StagedTx`] — and send its writes as one `MULTI` … `EXEC`. If another instance
//!   committed a change of the board in between, it moved the head: our `EXEC` does
//!   nothing, and we start again from `WATCH` with fresh reads. Nothing is ever written
//!   from a stale read.
//!
//! ```text
//!  writer thread                         Redis
//!  WATCH head epoch board-count ───────▶ (remembered for this connection)
//!  GET epoch, GET head, LLEN log,
//!  GET board-count, HGET ops <opId>,
//!  HGET notes <noteId>, SCARD live ────▶ one pipeline: one round trip
//!  apply_op over the answers (phase 4's rules, unchanged)
//!  MULTI HSET notes, SADD/SREM live, RPUSH log,
//!        HSET ops, SET head, ZADD boards
//!  EXEC ───────────────────────────────▶ all of it — or nil if a watched key changed:
//!                                        then again from WATCH (at most 32 times)
//! ```
//!
//! Every decision goes through `EXEC`, even a refusal or a duplicate (an empty
//! `MULTI`/`EXEC`): its nil says the reads were not one consistent state — another
//! instance's transaction landed between two of them — and the decision is made again.
//!
//! **Contention.** Each abort means another instance committed a change of the same
//! board: the system as a whole made progress. A change that loses 32 times in a row is
//! answered [`StoreError::Unavailable`] ("contended"), which the client retries later with
//! the same opId — safe, since the op-id check is part of every attempt. `board-count` is
//! watched by every change but changes only when a board is created, so it costs an abort
//! only then ([`crate::redis_keys`] says why it exists beside `boards`).
//!
//! ## Keys
//!
//! See [`crate::redis_keys`]: under `<prefix>:`, the `epoch`, the `boards` listing and the
//! `board-count`, and per board its `head`, `log` (a list: event `seq` at index
//! `seq - 1`, the log being gap-free), `notes` (tombstones included), `live` note ids and
//! `ops` records.
//!
//! ## Durability, and what a lost Redis does
//!
//! **Redis must run with `appendonly yes` and `appendfsync always`.** Then Redis appends
//! every write to its append-only file and fsyncs it before it answers — the `EXEC`
//! reply, and so the client's ack, comes after the change is on disk, as with SQLite's
//! `synchronous=FULL`. With the default `appendfsync everysec` a crash loses up to a
//! second of acknowledged changes. [`RedisStore::connect`] warns when Redis says it runs
//! otherwise.
//!
//! **Unreachable.** Every request has a deadline (`--redis-timeout-ms`). A request that
//! fails on the connection or times out is answered [`StoreError::Unavailable`] at once —
//! the writer answers the client `unavailable` with a retry hint, and the client retries
//! with the same opId — the link is marked down ([`RedisStore::link`], `/health`), and
//! from then on every call fails fast with `Unavailable` until a background task has
//! reconnected, retrying with phase 5's backoff ([`crate::link::retry_delay`]). An `EXEC`
//! whose reply was lost may still have committed: the client's retry then finds the op
//! record and gets the first ack back (`duplicate`), and the event, which this instance
//! never published, reaches the rooms from the log (a room that learns of a later
//! sequence number replays what it missed).
//!
//! **Restarted without its data.** The first server ever to use a Redis draws the
//! `epoch` and stores it (`SET NX`); every other reads it. Every change and every read
//! reads the epoch in the same round trip as the rest, and every reconnection checks it.
//! If it is gone, Redis lost its data (no append-only file, or another one): starting
//! over at sequence 1 would hand clients positions they already hold, for other events.
//! The store refuses — every call is `Unavailable`, `/health` says why — until the data
//! is restored, or the servers are restarted on purpose (a new epoch: every client is
//! told to reset).
//!
//! ## The hub's synchronous reads
//!
//! The hub reads a room's head when it is first used and replays beyond its memory
//! through [`BoardStore::history`], synchronously, under the room's lock. Here each such
//! read is a round trip to Redis on a blocking connection (from a small pool), bounded by
//! the timeout: it stalls that room — only that room — for the round trip, rarely (a
//! room's first use, a replay beyond memory). Phase 4 asks a network store for more: a
//! local copy of each room's log tail, kept by the writer and the bus, answering without
//! a round trip. That copy is left for later.

use std::{
    sync::{Arc, Mutex, MutexGuard, Weak},
    time::Duration,
};

use bytes::Bytes;
use phase_4_board::{
    events::LoggedEvent,
    protocol::NoteAck,
    rules::{NoteOp, RuleLimits},
    store::{
        append_line, apply_op, sort_notes, Appended, BoardCursor, BoardRow, BoardStore, LogReader,
        Outcome, Snapshot, StoreError, StoreFuture,
    },
};
use phase_5_hardening::backoff::BackoffPolicy;
use redis::{aio::MultiplexedConnection, AsyncConnectionConfig, FromRedisValue, Value};
use tokio::sync::Notify;

use crate::{
    link::{redact, retry_delay, Link},
    redis_keys::{decode_event, decode_note, decode_op, Keys},
    staged::{Prefetched, StagedTx},
};

/// How many times a change is decided again after another instance's commit aborted it.
const MAX_ATTEMPTS: usize = 32;

/// Idle blocking connections kept for the hub's reads.
const MAX_IDLE_SYNC: usize = 4;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether the link works, and what every part of the store shares.
struct Shared {
    client: redis::Client,
    keys: Keys,
    epoch: String,
    timeout: Duration,
    link: Arc<Link>,
    /// Why calls are refused now (the link is down); `None` while it works.
    broken: Mutex<Option<String>>,
    /// Wakes the reconnection task.
    wake: Arc<Notify>,
}

impl Shared {
    /// Fails fast while the link is down.
    fn check(&self) -> Result<(), StoreError> {
        match lock(&self.broken).as_ref() {
            Some(why) => Err(StoreError::Unavailable(why.clone())),
            None => Ok(()),
        }
    }

    /// The link is lost: refuse calls, tell `/health`, start reconnecting.
    fn lost(&self, why: String) -> StoreError {
        *lock(&self.broken) = Some(why.clone());
        self.link.down(&why);
        self.wake.notify_one();
        StoreError::Unavailable(why)
    }

    /// A Redis error as the store's: a connection that failed or timed out (or a server
    /// that says "try again", e.g. still loading its file) makes the link lost; anything
    /// else is a bug or a key written by someone else.
    fn fail(&self, e: redis::RedisError) -> StoreError {
        let retryable = e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || !matches!(e.retry_method(), redis::RetryMethod::NoRetry);
        if retryable {
            self.lost(format!("redis: {e}"))
        } else {
            StoreError::Corrupt(format!("redis: {e}"))
        }
    }

    /// Checks the epoch read from Redis is this store's.
    fn check_epoch(&self, found: Option<String>) -> Result<(), StoreError> {
        match found {
            Some(epoch) if epoch == self.epoch => Ok(()),
            found => Err(self.lost(self.epoch_problem(found))),
        }
    }

    fn epoch_problem(&self, found: Option<String>) -> String {
        match found {
            None => format!(
                "Redis lost its data (the key {} is gone): refusing to start a new history \
                 that would reuse sequence numbers clients hold. Restore Redis's data, or \
                 restart every server to begin a new epoch (clients are told to reset)",
                self.keys.epoch()
            ),
            Some(other) => format!(
                "Redis holds another history (epoch {other}, this server's is {}): \
                 restart this server",
                self.epoch
            ),
        }
    }

    /// A pipeline that starts by reading the epoch (checked by [`Shared::checked`]).
    fn read_pipe(&self, atomic: bool) -> redis::Pipeline {
        let mut pipe = redis::pipe();
        if atomic {
            pipe.atomic();
        }
        pipe.get(self.keys.epoch());
        pipe
    }

    /// The replies of a [`Shared::read_pipe`] after its epoch, which must be ours.
    fn checked(&self, values: Vec<Value>) -> Result<Replies, StoreError> {
        let mut replies = Replies(values.into_iter());
        let epoch = replies.next("the epoch")?;
        self.check_epoch(epoch)?;
        Ok(replies)
    }

    fn async_config(&self) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
    }
}

/// A pipeline's replies, taken in order.
struct Replies(std::vec::IntoIter<Value>);

impl Replies {
    fn next<T: FromRedisValue>(&mut self, what: &str) -> Result<T, StoreError> {
        let value = self
            .0
            .next()
            .ok_or_else(|| StoreError::Corrupt(format!("redis: no reply for {what}")))?;
        redis::from_redis_value(value)
            .map_err(|e| StoreError::Corrupt(format!("redis: the reply for {what}: {e}")))
    }
}

/// The events `after + 1 ..` from the log entries read from `after`.
fn decode_events(
    board: &str,
    after: u64,
    entries: Vec<Vec<u8>>,
) -> Result<Vec<LoggedEvent>, StoreError> {
    (after + 1..)
        .zip(entries)
        .map(|(seq, entry)| decode_event(board, seq, entry))
        .collect()
}

/// `LRANGE`'s bounds for the events `after < seq <= through` (indexes `after` to
/// `through - 1`), or `None` if there are none.
fn log_range(after: u64, through: u64) -> Option<(isize, isize)> {
    (through > after).then(|| {
        let index = |n: u64| isize::try_from(n).unwrap_or(isize::MAX);
        (index(after), index(through - 1))
    })
}

// ANCHOR: redis_store
/// Boards in Redis, shared by every instance. Share as `Arc<RedisStore>`.
pub struct RedisStore {
    shared: Arc<Shared>,
    /// The writer's own connection: `WATCH` belongs to a connection, so no other request
    /// may use it between a `WATCH` and its `EXEC`. Held for a whole change.
    writer: tokio::sync::Mutex<MultiplexedConnection>,
    /// The readers' connection (snapshots, board lists, replays), shared.
    reader: Mutex<MultiplexedConnection>,
    /// The hub's blocking reads.
    history: Arc<SyncReader>,
}
// ANCHOR_END: redis_store

impl RedisStore {
    /// Connects to `url`, keys under `prefix:`, every request bounded by `timeout`, a lost
    /// link retried with `backoff`. Fails if Redis cannot be reached now: a server must not
    /// start without its store. Spawns the reconnection task on the current runtime.
    pub async fn connect(
        url: &str,
        prefix: &str,
        timeout: Duration,
        backoff: BackoffPolicy,
    ) -> Result<Arc<Self>, StoreError> {
        let target = redact(url);
        let client = redis::Client::open(url).map_err(|e| {
            StoreError::Unavailable(format!("{target} is not a usable Redis URL: {e}"))
        })?;
        let keys = Keys::new(prefix);
        let unreachable = |e: redis::RedisError| {
            StoreError::Unavailable(format!(
                "cannot reach Redis at {target}: {e} (is it running? see --redis-url)"
            ))
        };
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let mut reader = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(unreachable)?;
        let writer = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(unreachable)?;
        // The epoch: drawn by the first server ever to use this Redis, read by the others.
        redis::cmd("SET")
            .arg(keys.epoch())
            .arg(phase_2_sse::position::new_epoch())
            .arg("NX")
            .query_async::<Value>(&mut reader)
            .await
            .map_err(unreachable)?;
        let epoch: Option<String> = redis::cmd("GET")
            .arg(keys.epoch())
            .query_async(&mut reader)
            .await
            .map_err(unreachable)?;
        let epoch = epoch.ok_or_else(|| {
            StoreError::Corrupt(format!("{} vanished right after it was set", keys.epoch()))
        })?;
        warn_unless_durable(&mut reader, &target).await;

        let link = Arc::new(Link::new("store", target));
        let shared = Arc::new(Shared {
            client,
            keys,
            epoch,
            timeout,
            link: link.clone(),
            broken: Mutex::new(None),
            wake: Arc::new(Notify::new()),
        });
        let store = Arc::new(Self {
            history: Arc::new(SyncReader {
                shared: shared.clone(),
                pool: Mutex::new(Vec::new()),
            }),
            shared,
            writer: tokio::sync::Mutex::new(writer),
            reader: Mutex::new(reader),
        });
        link.up();
        tokio::spawn(reconnect(
            Arc::downgrade(&store),
            store.shared.wake.clone(),
            backoff,
        ));
        Ok(store)
    }

    /// The link's state, for `/health`.
    pub fn link(&self) -> Arc<Link> {
        self.shared.link.clone()
    }

    /// The readers' connection, or `Unavailable` at once while the link is down.
    fn reader(&self) -> Result<MultiplexedConnection, StoreError> {
        self.shared.check()?;
        Ok(lock(&self.reader).clone())
    }

    /// Runs a [`Shared::read_pipe`] on the readers' connection.
    async fn read(&self, pipe: &redis::Pipeline) -> Result<Replies, StoreError> {
        let mut con = self.reader()?;
        let values: Vec<Value> = pipe
            .query_async(&mut con)
            .await
            .map_err(|e| self.shared.fail(e))?;
        self.shared.checked(values)
    }

    // ANCHOR: redis_change
    /// One change of `board`: `WATCH`, read ahead (the op `op_id` and note `note_id` too,
    /// for a note change), `decide` over the answers, `EXEC` its writes — again from
    /// `WATCH` while another instance's commit aborts it.
    async fn change<T>(
        &self,
        board: &str,
        note_op: Option<(&str, &str)>,
        mut decide: impl FnMut(&mut StagedTx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.shared.check()?;
        let mut writer = self.writer.lock().await;
        let con = &mut *writer;
        for _ in 0..MAX_ATTEMPTS {
            let read = self.read_ahead(con, board, note_op).await?;
            let mut tx = StagedTx::new(read);
            let decided = decide(&mut tx).and_then(|d| Ok((d, tx.transaction(&self.shared.keys)?)));
            let (decision, transaction) = match decided {
                Ok(decided) => decided,
                Err(e) => {
                    // Leave no watch behind for the next change (best effort: the error is
                    // what the caller needs to hear).
                    let _ = redis::cmd("UNWATCH").query_async::<()>(con).await;
                    return Err(e);
                }
            };
            // Redis answers EXEC after appendfsync=always has written and fsynced it.
            let reply: Value = transaction
                .query_async(con)
                .await
                .map_err(|e| self.shared.fail(e))?;
            if reply != Value::Nil {
                return Ok(decision);
            }
            // Nil: a watched key changed since WATCH — another instance committed a change
            // of this board (or made a board). Nothing was written: decide again.
            tracing::debug!(board, "a change lost a race with another instance: retried");
        }
        Err(StoreError::Unavailable(format!(
            "board {board} is contended: {MAX_ATTEMPTS} attempts in a row lost to other \
             instances' changes"
        )))
    }
    // ANCHOR_END: redis_change

    /// `WATCH`es the board's head, the epoch and the board count, then reads in the same
    /// round trip everything a change may ask about.
    async fn read_ahead(
        &self,
        con: &mut MultiplexedConnection,
        board: &str,
        note_op: Option<(&str, &str)>,
    ) -> Result<Prefetched, StoreError> {
        let keys = &self.shared.keys;
        let mut pipe = redis::pipe();
        pipe.cmd("WATCH")
            .arg(keys.head(board))
            .arg(keys.epoch())
            .arg(keys.board_count())
            .ignore();
        pipe.get(keys.epoch())
            .get(keys.head(board))
            .llen(keys.log(board))
            .get(keys.board_count());
        if let Some((op_id, note_id)) = note_op {
            pipe.hget(keys.ops(board), op_id)
                .hget(keys.notes(board), note_id)
                .scard(keys.live(board));
        }
        let values: Vec<Value> = pipe
            .query_async(con)
            .await
            .map_err(|e| self.shared.fail(e))?;
        let mut replies = self.shared.checked(values)?;
        let head: Option<u64> = replies.next("the head")?;
        let logged: u64 = replies.next("the log's length")?;
        let board_count: Option<u64> = replies.next("the board count")?;
        let head = head.unwrap_or(0);
        if logged != head {
            return Err(StoreError::Corrupt(format!(
                "board {board}: the head is {head} but the log holds {logged} events"
            )));
        }
        let mut read = Prefetched {
            board: board.to_owned(),
            head,
            board_count: board_count.unwrap_or(0),
            ..Prefetched::default()
        };
        if let Some((op_id, note_id)) = note_op {
            let op: Option<String> = replies.next("the op record")?;
            let note: Option<String> = replies.next("the note")?;
            read.op = Some((
                op_id.to_owned(),
                op.map(|json| decode_op(op_id, &json)).transpose()?,
            ));
            read.note = Some((
                note_id.to_owned(),
                note.map(|json| decode_note(board, &json)).transpose()?,
            ));
            read.live_notes = Some(replies.next("the live note count")?);
        }
        Ok(read)
    }

    /// Opens new connections and checks the epoch; on success the link is up again.
    async fn reopen(&self) -> Result<(), String> {
        let shared = &self.shared;
        let config = shared.async_config();
        let open = || {
            shared
                .client
                .get_multiplexed_async_connection_with_config(&config)
        };
        let mut reader = open().await.map_err(|e| format!("redis: {e}"))?;
        let writer = open().await.map_err(|e| format!("redis: {e}"))?;
        let epoch: Option<String> = redis::cmd("GET")
            .arg(shared.keys.epoch())
            .query_async(&mut reader)
            .await
            .map_err(|e| format!("redis: {e}"))?;
        if epoch.as_deref() != Some(shared.epoch.as_str()) {
            return Err(shared.epoch_problem(epoch));
        }
        *self.writer.lock().await = writer;
        *lock(&self.reader) = reader;
        // Blocking connections from before the loss are dead: drop them all.
        lock(&self.history.pool).clear();
        *lock(&shared.broken) = None;
        shared.link.up();
        Ok(())
    }

    /// Up to `limit` boards after `after` in the listing order (see [`BoardCursor`]).
    async fn list(
        &self,
        after: Option<&BoardCursor>,
        limit: usize,
    ) -> Result<Vec<BoardRow>, StoreError> {
        let keys = &self.shared.keys;
        let count = isize::try_from(limit).unwrap_or(isize::MAX);
        // Redis orders a sorted set by score, and members of equal score by name — but
        // ZREVRANGEBYSCORE reverses both, while the listing wants newest first, then names
        // ascending. So: the rest of the cursor's millisecond (names ascending), then a
        // page of older boards, then that page's last millisecond read whole (a page may
        // cut through it), sorted as the listing wants.
        let mut pipe = self.shared.read_pipe(false);
        let upper = match after {
            Some(c) => {
                pipe.zrangebyscore(keys.boards(), c.updated_at_ms, c.updated_at_ms);
                format!("({}", c.updated_at_ms)
            }
            None => "+inf".to_owned(),
        };
        pipe.cmd("ZREVRANGEBYSCORE")
            .arg(keys.boards())
            .arg(&upper)
            .arg("-inf")
            .arg("WITHSCORES")
            .arg("LIMIT")
            .arg(0)
            .arg(count);
        let mut replies = self.read(&pipe).await?;
        let mut names: Vec<(u64, String)> = match after {
            Some(c) => {
                let same_ms: Vec<String> = replies.next("the boards of the cursor's ms")?;
                same_ms
                    .into_iter()
                    .filter(|name| *name > c.name)
                    .map(|name| (c.updated_at_ms, name))
                    .collect()
            }
            None => Vec::new(),
        };
        let older: Vec<(String, f64)> = replies.next("a page of boards")?;
        let mut older: Vec<(u64, String)> = older
            .into_iter()
            .map(|(name, score)| (score as u64, name))
            .collect();
        if let Some(&(last_ms, _)) = older.last() {
            let mut pipe = self.shared.read_pipe(false);
            pipe.zrangebyscore(keys.boards(), last_ms, last_ms);
            let whole: Vec<String> = self.read(&pipe).await?.next("a millisecond of boards")?;
            older.retain(|(ms, _)| *ms != last_ms);
            older.extend(whole.into_iter().map(|name| (last_ms, name)));
            older.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        }
        names.extend(older);
        names.truncate(limit);
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = self.shared.read_pipe(false);
        for (_, name) in &names {
            pipe.get(keys.head(name)).scard(keys.live(name));
        }
        let mut replies = self.read(&pipe).await?;
        names
            .into_iter()
            .map(|(updated_at_ms, name)| {
                let head: Option<u64> = replies.next("a board's head")?;
                Ok(BoardRow {
                    notes: replies.next("a board's note count")?,
                    head: head.unwrap_or(0),
                    updated_at_ms,
                    name,
                })
            })
            .collect()
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        // Wake the reconnection task: it finds the store gone and ends.
        self.shared.wake.notify_one();
    }
}

/// Says so in the log when Redis would not keep every acknowledged change.
async fn warn_unless_durable(con: &mut MultiplexedConnection, target: &str) {
    let mut pipe = redis::pipe();
    pipe.cmd("CONFIG").arg("GET").arg("appendonly");
    pipe.cmd("CONFIG").arg("GET").arg("appendfsync");
    match pipe.query_async::<(Vec<String>, Vec<String>)>(con).await {
        Ok((appendonly, appendfsync)) => {
            let on = appendonly.get(1).is_some_and(|v| v == "yes");
            let always = appendfsync.get(1).is_some_and(|v| v == "always");
            if !(on && always) {
                tracing::warn!(
                    redis = target,
                    "Redis does not fsync every write (it needs appendonly yes and \
                     appendfsync always): a Redis crash can lose acknowledged changes"
                );
            }
        }
        // Managed Redis often refuses CONFIG: nothing to check then.
        Err(e) => tracing::debug!(redis = target, error = %e, "cannot read Redis's config"),
    }
}

/// Reconnects each time the link is lost, waiting with phase 5's backoff between
/// attempts; ends when the store is dropped.
async fn reconnect(store: Weak<RedisStore>, wake: Arc<Notify>, backoff: BackoffPolicy) {
    loop {
        wake.notified().await;
        let mut attempt = 0;
        loop {
            match store.upgrade() {
                None => return,
                Some(store) if lock(&store.shared.broken).is_none() => break,
                Some(_) => {}
            }
            tokio::time::sleep(retry_delay(&backoff, attempt)).await;
            let Some(store) = store.upgrade() else { return };
            match store.reopen().await {
                Ok(()) => break,
                Err(why) => {
                    store.shared.link.down(&why);
                    *lock(&store.shared.broken) = Some(why);
                    attempt = attempt.saturating_add(1);
                }
            }
        }
    }
}

impl BoardStore for RedisStore {
    fn epoch(&self) -> &str {
        &self.shared.epoch
    }

    fn apply<'a>(
        &'a self,
        op: &'a NoteOp,
        limits: &'a RuleLimits,
        now_ms: u64,
    ) -> StoreFuture<'a, Outcome> {
        Box::pin(async move {
            let epoch = self.shared.epoch.as_str();
            self.change(op.board(), Some((op.op_id(), op.note_id())), |tx| {
                apply_op(tx, epoch, op, limits, now_ms)
            })
            .await
        })
    }

    fn append<'a>(
        &'a self,
        board: &'a str,
        event: &'a str,
        data: Bytes,
        limits: &'a RuleLimits,
        now_ms: u64,
    ) -> StoreFuture<'a, Appended> {
        Box::pin(async move {
            self.change(board, None, |tx| {
                append_line(tx, board, event, data.clone(), limits, now_ms)
            })
            .await
        })
    }

    fn head<'a>(&'a self, board: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let mut pipe = self.shared.read_pipe(false);
            pipe.get(self.shared.keys.head(board));
            let head: Option<u64> = self.read(&pipe).await?.next("the head")?;
            Ok(head.unwrap_or(0))
        })
    }

    fn events<'a>(
        &'a self,
        board: &'a str,
        after: u64,
        through: u64,
    ) -> StoreFuture<'a, Vec<LoggedEvent>> {
        Box::pin(async move {
            let Some((start, stop)) = log_range(after, through) else {
                return Ok(Vec::new());
            };
            let mut pipe = self.shared.read_pipe(false);
            pipe.lrange(self.shared.keys.log(board), start, stop);
            let entries: Vec<Vec<u8>> = self.read(&pipe).await?.next("the log")?;
            decode_events(board, after, entries)
        })
    }

    fn snapshot<'a>(&'a self, board: &'a str) -> StoreFuture<'a, Snapshot> {
        Box::pin(async move {
            // MULTI/EXEC: the head and the notes from one state, no change in between.
            let keys = &self.shared.keys;
            let mut pipe = self.shared.read_pipe(true);
            pipe.get(keys.head(board)).hvals(keys.notes(board));
            let mut replies = self.read(&pipe).await?;
            let head: Option<u64> = replies.next("the head")?;
            let stored: Vec<String> = replies.next("the notes")?;
            let mut notes = Vec::with_capacity(stored.len());
            for json in stored {
                let note = decode_note(board, &json)?;
                if !note.deleted {
                    notes.push(note.note);
                }
            }
            sort_notes(&mut notes);
            Ok(Snapshot {
                seq: head.unwrap_or(0),
                notes,
            })
        })
    }

    fn boards<'a>(
        &'a self,
        after: Option<&'a BoardCursor>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<BoardRow>> {
        Box::pin(self.list(after, limit))
    }

    fn find_op<'a>(&'a self, board: &'a str, op_id: &'a str) -> StoreFuture<'a, Option<NoteAck>> {
        Box::pin(async move {
            let mut pipe = self.shared.read_pipe(false);
            pipe.hget(self.shared.keys.ops(board), op_id);
            let record: Option<String> = self.read(&pipe).await?.next("the op record")?;
            let Some(record) = record else {
                return Ok(None);
            };
            let record = decode_op(op_id, &record)?;
            serde_json::from_str(&record.ack)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("op record {op_id}: {e}")))
        })
    }

    fn history(&self) -> Arc<dyn LogReader> {
        self.history.clone()
    }
}

/// The hub's reads: blocking connections with read and write timeouts, from a pool.
struct SyncReader {
    shared: Arc<Shared>,
    pool: Mutex<Vec<redis::Connection>>,
}

impl SyncReader {
    /// Runs a [`Shared::read_pipe`] on a pooled blocking connection (a new one if none is
    /// idle), at most the timeout per read or write.
    fn read(&self, pipe: &redis::Pipeline) -> Result<Replies, StoreError> {
        self.shared.check()?;
        let pooled = lock(&self.pool).pop();
        let mut con = match pooled {
            Some(con) => con,
            None => self.open().map_err(|e| self.shared.fail(e))?,
        };
        let values: Vec<Value> = pipe.query(&mut con).map_err(|e| self.shared.fail(e))?;
        // Only a connection that answered goes back to the pool.
        let mut pool = lock(&self.pool);
        if pool.len() < MAX_IDLE_SYNC {
            pool.push(con);
        }
        drop(pool);
        self.shared.checked(values)
    }

    fn open(&self) -> redis::RedisResult<redis::Connection> {
        let timeout = self.shared.timeout;
        let con = self.shared.client.get_connection_with_timeout(timeout)?;
        con.set_read_timeout(Some(timeout))?;
        con.set_write_timeout(Some(timeout))?;
        Ok(con)
    }
}

impl LogReader for SyncReader {
    fn head(&self, board: &str) -> Result<u64, StoreError> {
        let mut pipe = self.shared.read_pipe(false);
        pipe.get(self.shared.keys.head(board));
        let head: Option<u64> = self.read(&pipe)?.next("the head")?;
        Ok(head.unwrap_or(0))
    }

    fn events(
        &self,
        board: &str,
        after: u64,
        through: u64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let Some((start, stop)) = log_range(after, through) else {
            return Ok(Vec::new());
        };
        let mut pipe = self.shared.read_pipe(false);
        pipe.lrange(self.shared.keys.log(board), start, stop);
        let entries: Vec<Vec<u8>> = self.read(&pipe)?.next("the log")?;
        decode_events(board, after, entries)
    }
}
