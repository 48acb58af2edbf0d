//! The event log as the hub's history: [`LogHistory`] implements phase 2's
//! [`HistorySource`] over a [`BoardStore`]'s [`LogReader`].
//!
//! This is how "the event log is the spine" reaches every transport. The hub numbers a
//! board's room from the log's head, publishes each event at the sequence number the log
//! gave it, and — when a client resumes from further back than the hub's in-memory tail
//! (after a restart, or a long absence) — replays from the log. SSE's `Last-Event-ID` and
//! WebSocket's `subscribe { since }` resume from the same numbers, across restarts.
//!
//! The hub calls these methods under a room's lock, on the subscribing task's thread:
//! they read through the store's [`LogReader`] (SQLite: the *reader* connection, which in
//! WAL mode never waits for the writer) and never wait for the writer thread, which is
//! what publishes into that room — waiting for it there could deadlock. A replay is
//! bounded by `LIVEBOARD_BOARD_MAX_REPLAY_EVENTS`; beyond it, the client is told to reload.
//!
//! **Chat lines are in the log too.** Since the log numbers a board's room, an event the
//! hub would have numbered itself — a chat line — must be numbered by the log, or two
//! lines would share a position and none could be replayed. [`HistorySource::append`]
//! hands it to the [`Writer`], the log's only writer, which appends it between the note
//! changes as a `message` event, and publishes it like them. The history holds the writer
//! weakly: the writer's thread holds the publisher, which holds the hub, which holds this
//! history, and a strong handle would keep them all alive.

use std::sync::{Arc, OnceLock, Weak};

use bytes::Bytes;
use phase_2_sse::{
    hub::{HistorySource, Message, Numbered, RecordError},
    position::StreamPosition,
};

use crate::{
    store::{BoardStore, LogReader},
    writer::Writer,
};

/// A board store, seen by the hub as the history of its rooms.
pub struct LogHistory {
    log: Arc<dyn LogReader>,
    epoch: String,
    max_replay_events: u64,
    writer: OnceLock<Weak<Writer>>,
}

impl LogHistory {
    /// The history of `store`'s boards; replays longer than `max_replay_events` are refused.
    pub fn new(store: &dyn BoardStore, max_replay_events: u64) -> Self {
        Self {
            log: store.history(),
            epoch: store.epoch().to_owned(),
            max_replay_events,
            writer: OnceLock::new(),
        }
    }

    /// Appends through `writer` from now on (it is built after the hub, which it needs).
    pub fn attach(&self, writer: &Arc<Writer>) {
        let _ = self.writer.set(Arc::downgrade(writer));
    }
}

// ANCHOR: log_history
impl HistorySource for LogHistory {
    fn epoch(&self) -> String {
        self.epoch.clone()
    }

    fn head(&self, room: &str) -> Result<u64, String> {
        self.log.head(room).map_err(|e| e.to_string())
    }

    fn events(&self, room: &str, after: u64, through: u64) -> Result<Vec<Message>, String> {
        let missed = through.saturating_sub(after);
        if missed > self.max_replay_events {
            return Err(format!(
                "{missed} events were missed, more than the {} a resume may replay \
                 (LIVEBOARD_BOARD_MAX_REPLAY_EVENTS): load a snapshot",
                self.max_replay_events
            ));
        }
        let epoch = &self.epoch;
        Ok(self
            .log
            .events(room, after, through)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|e| Message {
                position: Some(StreamPosition::new(epoch, e.seq)),
                event: e.event,
                data: e.data,
            })
            .collect())
    }

    fn append(&self, room: &str, event: &str, data: Bytes, numbered: Numbered) {
        match self.writer.get().and_then(Weak::upgrade) {
            Some(writer) => writer.append(room, event, data, numbered),
            None => numbered(Err(RecordError::Unavailable(
                "the board's writer has stopped".into(),
            ))),
        }
    }
}
// ANCHOR_END: log_history
