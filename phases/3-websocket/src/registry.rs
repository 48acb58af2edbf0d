//! The connection registry: every open WebSocket by id, for what the hub cannot do.
//!
//! Rooms and fan-out are the hub's job ([`phase_2_sse::hub`]): a WebSocket joins a board
//! exactly as an SSE stream does, and a broadcast reaches both through the same code.
//! What is WebSocket-specific — and lives here — is:
//!
//! * **the connection limit**: [`ConnectionRegistry::register`] is called *before* the
//!   101, so a full server answers `503 too_many_websockets` (JSON, with `Retry-After`)
//!   instead of accepting a socket it cannot serve;
//! * **direct sends** to one connection ([`ConnectionRegistry::send`]), e.g. a reply from
//!   another part of the server, through a small bounded channel: a connection that lets
//!   it fill is not reading, and is closed as a slow consumer rather than buffered for;
//! * **closing** one or every connection with a code ([`ConnectionRegistry::close_all`]
//!   with 1001 on shutdown). A close request is a `watch` value, not a channel message,
//!   so it can never be refused for lack of room.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
};

use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use phase_1_foundations::ApiError;
use tokio::sync::{mpsc, watch};

use crate::{close::CloseCode, stats::WsStats};

/// Frames a connection's direct channel holds before the connection counts as not
/// reading. Default 64. Direct sends are replies, not broadcasts (those go through the
/// hub's byte-bounded queues), so a handful is plenty; more only delays the verdict.
pub const DIRECT_QUEUE_FRAMES: usize = 64;

/// A request to close a connection: the code and reason to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRequest {
    /// The status code (use sendable ones, see [`CloseCode::is_sendable`]).
    pub code: u16,
    /// The reason (cut to fit 123 bytes when sent).
    pub reason: String,
}

impl CloseRequest {
    /// A request with a code from the table and its standard reason.
    pub fn from_code(code: CloseCode) -> Self {
        Self {
            code: code.code(),
            reason: code.reason().to_owned(),
        }
    }
}

struct Entry {
    direct: mpsc::Sender<Bytes>,
    close: watch::Sender<Option<CloseRequest>>,
}

/// Why a direct send failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// No open connection has this id.
    NoSuchConnection,
    /// Its channel was full: the connection is being closed as a slow consumer.
    SlowConsumer,
}

/// Open WebSockets by id. Share it as `Arc<ConnectionRegistry>`.
pub struct ConnectionRegistry {
    max: usize,
    next_id: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
    stats: Arc<WsStats>,
}

/// One connection's place in the registry; dropping it unregisters the connection.
pub struct Registration {
    id: u64,
    registry: Arc<ConnectionRegistry>,
    /// Frames other parts of the server send to this connection only.
    pub direct: mpsc::Receiver<Bytes>,
    /// Close requests for this connection.
    pub close: watch::Receiver<Option<CloseRequest>>,
}

impl Registration {
    /// The connection's id, unique for the life of the process.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.registry.lock().remove(&self.id).is_some() {
            self.registry.stats.connection_closed();
        }
    }
}

impl ConnectionRegistry {
    /// A registry admitting at most `max` connections.
    pub fn new(max: usize, stats: Arc<WsStats>) -> Arc<Self> {
        Arc::new(Self {
            max,
            next_id: AtomicU64::new(1),
            entries: Mutex::new(HashMap::new()),
            stats,
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    // ANCHOR: register
    /// Takes a slot for a new connection, or refuses with `503` when all are taken.
    pub fn register(self: &Arc<Self>) -> Result<Registration, ApiError> {
        let mut entries = self.lock();
        if entries.len() >= self.max {
            drop(entries);
            self.stats.refused();
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_websockets",
                format!(
                    "this server holds its maximum of {} WebSocket connections \
                     (LIVEBOARD_WS_MAX_CONNECTIONS); try again later",
                    self.max
                ),
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (direct_tx, direct) = mpsc::channel(DIRECT_QUEUE_FRAMES);
        let (close_tx, close) = watch::channel(None);
        entries.insert(
            id,
            Entry {
                direct: direct_tx,
                close: close_tx,
            },
        );
        drop(entries);
        self.stats.connection_opened();
        Ok(Registration {
            id,
            registry: self.clone(),
            direct,
            close,
        })
    }
    // ANCHOR_END: register

    /// Queues an encoded frame for connection `id` only.
    pub fn send(&self, id: u64, frame: Bytes) -> Result<(), SendError> {
        let entries = self.lock();
        let entry = entries.get(&id).ok_or(SendError::NoSuchConnection)?;
        match entry.direct.try_send(frame) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::NoSuchConnection),
            Err(mpsc::error::TrySendError::Full(_)) => {
                entry.close.send_replace(Some(CloseRequest {
                    code: CloseCode::TryAgainLater.code(),
                    reason: "slow consumer: direct messages not read".into(),
                }));
                Err(SendError::SlowConsumer)
            }
        }
    }

    /// Asks connection `id` to close with `request`. Returns whether it was open.
    pub fn close(&self, id: u64, request: CloseRequest) -> bool {
        match self.lock().get(&id) {
            Some(entry) => {
                entry.close.send_replace(Some(request));
                true
            }
            None => false,
        }
    }

    /// Asks every connection to close with `code` (1001 on shutdown). Returns how many.
    pub fn close_all(&self, code: CloseCode) -> usize {
        let entries = self.lock();
        for entry in entries.values() {
            entry
                .close
                .send_replace(Some(CloseRequest::from_code(code)));
        }
        entries.len()
    }

    /// Connections open now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most connections admitted at once.
    pub fn max(&self) -> usize {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_past_the_limit_is_refused_with_503_and_freed_on_drop() {
        let stats = Arc::new(WsStats::default());
        let reg = ConnectionRegistry::new(1, stats.clone());
        let first = reg.register().unwrap();
        let err = reg.register().err().unwrap();
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(err.code, "too_many_websockets");
        drop(first);
        assert!(reg.register().is_ok());
        assert_eq!(stats.snapshot().refused, 1);
    }

    #[tokio::test]
    async fn a_full_direct_channel_turns_into_a_close_request() {
        let reg = ConnectionRegistry::new(10, Arc::default());
        let mut conn = reg.register().unwrap();
        for _ in 0..DIRECT_QUEUE_FRAMES {
            reg.send(conn.id(), Bytes::from_static(b"x")).unwrap();
        }
        assert_eq!(
            reg.send(conn.id(), Bytes::from_static(b"x")),
            Err(SendError::SlowConsumer)
        );
        let req = conn.close.borrow_and_update().clone().unwrap();
        assert_eq!(req.code, 1013);
        assert_eq!(
            reg.send(999, Bytes::new()),
            Err(SendError::NoSuchConnection)
        );
    }

    #[test]
    fn close_all_reaches_every_connection() {
        let reg = ConnectionRegistry::new(10, Arc::default());
        let a = reg.register().unwrap();
        let b = reg.register().unwrap();
        assert_eq!(reg.close_all(CloseCode::GoingAway), 2);
        for conn in [&a, &b] {
            assert_eq!(conn.close.borrow().as_ref().unwrap().code, 1001);
        }
    }
}
