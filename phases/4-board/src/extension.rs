//! [`NotesExtension`]: the note requests on phase 3's `/ws` session.
//!
//! Phase 3's session parses every message; a `type` it does not know is offered to this
//! extension. What happens to a note request, in order:
//!
//! 1. **Rate limit** — the connection's [`TokenBucket`], then the buckets shared by every
//!    connection from the same IP address and, for a change, by the same person
//!    ([`crate::rate::KeyedBuckets`]); any empty: `rate_limited` at once.
//! 2. **Validate** — field rules ([`crate::rules::validate`]); broken: `validation` at once.
//!    Cheap checks answer on the connection, without a trip to the store.
//! 3. **Queue for the writer** ([`crate::writer`]) — full: `unavailable` at once. The
//!    connection's task does not wait: it goes back to reading and writing frames.
//! 4. **Answer later** — the writer thread commits, publishes, then hands the outcome to a
//!    closure that encodes the `ack` or `error` (with the request's `id`) as a frame and
//!    sends it through phase 3's [`ConnectionRegistry`] to this connection only.
//!
//! A connection's changes reach the single writer queue in the order they arrived, so
//! they are applied in that order: a `note_create` followed at once by a `note_move` of
//! the same note finds the note there.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use phase_2_sse::board_name::BoardName;
use phase_3_websocket::{
    board::protocol::{Ack, ErrorPayload},
    board::session::{BoardExtension, BoardServices},
    encode_server_frame, ConnectionRegistry, OpCode, SessionContext,
};

use crate::{
    protocol::{encode, NoteError, NoteErrorCode, NoteRequest, NoteServerEvent},
    rate::TokenBucket,
    rules::{self, NoteOp, Rejection},
    state::BoardState,
    store::{Outcome, StoreError},
};

/// How long a client told `unavailable` should wait before retrying, in milliseconds.
const UNAVAILABLE_RETRY_MS: u64 = 1_000;

/// One connection's note handling: its rate budget and the way back to it.
pub struct NotesExtension {
    state: Arc<BoardState>,
    registry: Arc<ConnectionRegistry>,
    bucket: TokenBucket,
    peer: Option<IpAddr>,
}

impl NotesExtension {
    /// The extension for one new connection from `peer` (phase 1's `PeerAddr`).
    pub fn new(
        state: Arc<BoardState>,
        registry: Arc<ConnectionRegistry>,
        peer: Option<SocketAddr>,
    ) -> Self {
        let config = state.config();
        let bucket = TokenBucket::new(config.rate_per_sec, config.rate_burst, Instant::now());
        Self {
            state,
            registry,
            bucket,
            peer: peer.map(|p| p.ip()),
        }
    }

    // ANCHOR: rate_limits
    /// Takes a token from every budget `request` meets, or says which one is empty and how
    /// long until it has a token again.
    fn take_tokens(&mut self, request: &NoteRequest) -> Result<(), (Duration, String)> {
        let now = Instant::now();
        let config = self.state.config();
        let shared = self.state.rate_limits();
        self.bucket.take(now).map_err(|wait| {
            let why = format!(
                "more than {} note requests a second (burst {}) on this connection \
                 (LIVEBOARD_BOARD_RATE_PER_SEC)",
                config.rate_per_sec, config.rate_burst
            );
            (wait, why)
        })?;
        // One address's connections share a budget: 250 connections do not get 250 of them.
        if let Some(ip) = self.peer {
            shared.per_ip.take(&ip, now).map_err(|wait| {
                let why = format!(
                    "more than {} note requests a second (burst {}) from your address \
                     over all its connections (LIVEBOARD_BOARD_RATE_PER_IP)",
                    config.rate_per_ip, config.rate_per_ip_burst
                );
                (wait, why)
            })?;
        }
        // So do one person's: a second tab does not double anyone's budget.
        if let Some(author) = request.author() {
            let person = author.trim().to_lowercase();
            shared.per_person.take(&person, now).map_err(|wait| {
                let why = format!(
                    "more than {} note changes a second (burst {}) by {} over all their \
                     connections (LIVEBOARD_BOARD_RATE_PER_PERSON)",
                    config.rate_per_person,
                    config.rate_per_person_burst,
                    author.trim()
                );
                (wait, why)
            })?;
        }
        Ok(())
    }
    // ANCHOR_END: rate_limits
}

fn error(code: NoteErrorCode, message: impl Into<String>, op_id: Option<String>) -> NoteError {
    NoteError {
        code,
        message: message.into(),
        op_id,
        current: None,
        retry_after_ms: None,
    }
}

fn rejected(r: Rejection, op_id: &str) -> NoteError {
    NoteError {
        code: r.code,
        message: r.message,
        op_id: Some(op_id.to_owned()),
        current: r.current.map(|note| *note),
        retry_after_ms: None,
    }
}

fn store_failed(e: &StoreError, op_id: Option<String>) -> NoteError {
    // The detail is for the server log, not the client.
    tracing::error!(error = %e, "store failed");
    NoteError {
        retry_after_ms: Some(UNAVAILABLE_RETRY_MS),
        ..error(
            NoteErrorCode::Unavailable,
            "the server could not store this; retry later with the same opId",
            op_id,
        )
    }
}

/// The answer to a change, as a message for the client.
fn answer(outcome: Result<Outcome, StoreError>, op_id: &str) -> NoteServerEvent {
    match outcome {
        Ok(Outcome::Applied { ack, .. }) | Ok(Outcome::Duplicate(ack)) => NoteServerEvent::Ack(ack),
        Ok(Outcome::Rejected(r)) => NoteServerEvent::Error(rejected(r, op_id)),
        Err(e) => NoteServerEvent::Error(store_failed(&e, Some(op_id.to_owned()))),
    }
}

/// Sends a message to connection `id` from outside its task (a frame through the registry).
fn send_later(registry: &ConnectionRegistry, connection: u64, text: &str) {
    match encode_server_frame(OpCode::Text, text.as_bytes()) {
        Ok(frame) => {
            if let Err(e) = registry.send(connection, frame.into_bytes()) {
                // Gone (the client will retry with the same opId) or not reading (being
                // closed as a slow consumer): nothing more to do.
                tracing::debug!(connection, ?e, "answer not delivered");
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot encode an answer"),
    }
}

impl NotesExtension {
    // ANCHOR: handle_change
    fn change(&mut self, cx: &mut SessionContext, id: Option<String>, op: NoteOp) {
        let op_id = op.op_id().to_owned();
        if let Err(r) = rules::validate(&op, &self.state.config().rule_limits()) {
            cx.send_text(encode(id, NoteServerEvent::Error(rejected(r, &op_id))));
            return;
        }
        let registry = self.registry.clone();
        let connection = cx.connection_id();
        let reply_id = id.clone();
        let reply_op = op_id.clone();
        let submitted = self.state.writer().submit(
            op,
            Box::new(move |outcome| {
                let text = encode(reply_id, answer(outcome, &reply_op));
                send_later(&registry, connection, &text);
            }),
        );
        if let Err(e) = submitted {
            let err = NoteError {
                retry_after_ms: Some(UNAVAILABLE_RETRY_MS),
                ..error(
                    NoteErrorCode::Unavailable,
                    format!("{e}; retry later with the same opId"),
                    Some(op_id),
                )
            };
            cx.send_text(encode(id, NoteServerEvent::Error(err)));
        }
    }
    // ANCHOR_END: handle_change

    fn snapshot(&mut self, cx: &mut SessionContext, id: Option<String>, board: String) {
        let board = match BoardName::parse(&board) {
            Ok(b) => b,
            Err(e) => {
                let err = error(NoteErrorCode::Validation, e.message, None);
                cx.send_text(encode(id, NoteServerEvent::Error(err)));
                return;
            }
        };
        let state = self.state.clone();
        let registry = self.registry.clone();
        let connection = cx.connection_id();
        tokio::spawn(async move {
            let event = match state.snapshot(board.as_str()).await {
                Ok(snapshot) => NoteServerEvent::Snapshot(snapshot),
                Err(e) => NoteServerEvent::Error(store_failed(&e, None)),
            };
            send_later(&registry, connection, &encode(id, event));
        });
    }
}

// ANCHOR: extension
impl BoardExtension for NotesExtension {
    type Request = NoteRequest;

    fn handle(
        &mut self,
        _services: &BoardServices,
        cx: &mut SessionContext,
        id: Option<String>,
        request: NoteRequest,
    ) -> Option<Result<Ack, ErrorPayload>> {
        if let Err((wait, why)) = self.take_tokens(&request) {
            let err = NoteError {
                retry_after_ms: Some(wait.as_millis().max(1) as u64),
                ..error(
                    NoteErrorCode::RateLimited,
                    format!("{why}: retry after retryAfterMs"),
                    request.op_id().map(str::to_owned),
                )
            };
            cx.send_text(encode(id, NoteServerEvent::Error(err)));
            return None;
        }
        match request {
            NoteRequest::BoardSnapshot(r) => self.snapshot(cx, id, r.board),
            NoteRequest::NoteCreate(r) => self.change(cx, id, NoteOp::NoteCreate(r)),
            NoteRequest::NoteUpdate(r) => self.change(cx, id, NoteOp::NoteUpdate(r)),
            NoteRequest::NoteMove(r) => self.change(cx, id, NoteOp::NoteMove(r)),
            NoteRequest::NoteDelete(r) => self.change(cx, id, NoteOp::NoteDelete(r)),
        }
        // Every note request is answered by this extension itself (now or later).
        None
    }
}
// ANCHOR_END: extension
