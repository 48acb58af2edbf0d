//! [`Embedded`]: an embedded store (SQLite, memory) behind the async [`BoardStore`] seam.
//!
//! A [`BlockingStore`] answers on the thread that calls it, and blocking an async worker
//! thread stalls every connection it serves. So the adapter decides where each call runs:
//!
//! * **Writes** (`apply`, `append`) run on the thread that awaits them: the writer's own
//!   thread ([`crate::writer`]), which exists to wait for the disk — one at a time, in
//!   order, as before the seam. No thread hop, no extra allocation but the future's box.
//!   They must not be awaited on an async worker.
//! * **Reads** (`head`, `events`, `snapshot`, `boards`, `find_op`) run on tokio's blocking pool,
//!   side by side on SQLite's reader connection, and may be awaited anywhere.
//! * **The hub's reads** ([`BoardStore::history`]) are the store itself: synchronous and
//!   never waiting for the writer ([`crate::store::LogReader`] says why that is required).

use std::sync::Arc;

use bytes::Bytes;

use crate::{
    events::LoggedEvent,
    protocol::NoteAck,
    rules::{NoteOp, RuleLimits},
    store::{
        Appended, BlockingStore, BoardCursor, BoardRow, BoardStore, LogReader, Outcome, Snapshot,
        StoreError, StoreFuture,
    },
};

/// A [`BlockingStore`] as a [`BoardStore`].
pub struct Embedded<S>(Arc<S>);

impl<S: BlockingStore> Embedded<S> {
    /// Puts `store` behind the seam.
    pub fn new(store: S) -> Self {
        Self(Arc::new(store))
    }
}

/// Runs a blocking read on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(StoreError::Corrupt(format!("store task failed: {e}"))))
}

impl<S: BlockingStore> BoardStore for Embedded<S> {
    fn epoch(&self) -> &str {
        self.0.epoch()
    }

    fn apply<'a>(
        &'a self,
        op: &'a NoteOp,
        limits: &'a RuleLimits,
        now_ms: u64,
    ) -> StoreFuture<'a, Outcome> {
        // Runs when polled, on the polling thread: the writer's.
        Box::pin(async move { self.0.apply(op, limits, now_ms) })
    }

    fn append<'a>(
        &'a self,
        board: &'a str,
        event: &'a str,
        data: Bytes,
        limits: &'a RuleLimits,
        now_ms: u64,
    ) -> StoreFuture<'a, Appended> {
        Box::pin(async move { self.0.append(board, event, data, limits, now_ms) })
    }

    fn head<'a>(&'a self, board: &'a str) -> StoreFuture<'a, u64> {
        let (store, board) = (self.0.clone(), board.to_owned());
        Box::pin(blocking(move || store.head(&board)))
    }

    fn events<'a>(
        &'a self,
        board: &'a str,
        after: u64,
        through: u64,
    ) -> StoreFuture<'a, Vec<LoggedEvent>> {
        let (store, board) = (self.0.clone(), board.to_owned());
        Box::pin(blocking(move || store.events(&board, after, through)))
    }

    fn snapshot<'a>(&'a self, board: &'a str) -> StoreFuture<'a, Snapshot> {
        let (store, board) = (self.0.clone(), board.to_owned());
        Box::pin(blocking(move || store.snapshot(&board)))
    }

    fn boards<'a>(
        &'a self,
        after: Option<&'a BoardCursor>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<BoardRow>> {
        let (store, after) = (self.0.clone(), after.cloned());
        Box::pin(blocking(move || store.boards(after.as_ref(), limit)))
    }

    fn find_op<'a>(&'a self, board: &'a str, op_id: &'a str) -> StoreFuture<'a, Option<NoteAck>> {
        let (store, board, op_id) = (self.0.clone(), board.to_owned(), op_id.to_owned());
        Box::pin(blocking(move || store.find_op(&board, &op_id)))
    }

    fn history(&self) -> Arc<dyn LogReader> {
        self.0.clone()
    }
}
