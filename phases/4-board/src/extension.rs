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
//!    closure that encodes the `ack` or `error` (with the request's `id`) and sends it
//!    through phase 3's registry to this connection only (phase 3's `send_later`).
//!
//! A connection's changes reach the single writer queue in the order they arrived, so
//! they are applied in that order: a `note_create` followed at once by a `note_move` of
//! the same note finds the note there.
//!
//! ## `note_editing`: "Ana is editing", never stored
//!
//! Which editors are open is *state*, like presence, not *history*: nobody needs to
//! replay that Ana had a note open an hour ago. So `note_editing` skips steps 2–4: it
//! costs a token from the connection's own bucket only (opening an editor is not a change,
//! so the per-person change budget is left alone), is published at once with
//! [`Hub::publish_ephemeral`] — no position, nothing in the log, no replay — and answered
//! with phase 3's `ack`. The name and color are the `person` this connection gave in
//! `subscribe` for that board ([`SessionContext::person_on`]), never a name in the request:
//! a connection cannot say someone else is editing.
//!
//! Two things end an "is editing" besides `editing: false`:
//!
//! * **The connection closes.** The extension remembers the editors its connection opened;
//!   it is dropped with the connection's session, however the connection ended (a close
//!   frame, a lost network, the server cutting it), and its `Drop` publishes
//!   `editing: false` for each. A closed tab does not leave "Bo is editing" forever.
//! * **The lease runs out.** A sender repeats `editing: true` every 15 s while its editor
//!   stays open; a receiver drops an entry not refreshed for 45 s. That covers what no
//!   server can see: a server that crashed before it could publish the `false`.

use std::{
    net::IpAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use phase_1_foundations::human::seconds_up;
use phase_2_sse::{access::BoardAction, board_name::BoardName, hub::Hub, presence::Person};
use phase_3_websocket::{
    board::protocol::{Ack, ErrorCode, ErrorPayload},
    board::session::{check_access, send_later, BoardExtension, BoardServices},
    ConnectionRegistry, SessionContext,
};

use crate::{
    note::{is_token, MAX_NOTE_ID_LEN},
    protocol::{
        encode, EditingRequest, NoteEditing, NoteError, NoteErrorCode, NoteRequest, NoteServerEvent,
    },
    rate::TokenBucket,
    rules::{self, NoteOp, Rejection},
    state::BoardState,
    store::{Outcome, StoreError},
    writer::SubmitError,
};

/// How long a client told `unavailable` should wait before retrying, in milliseconds.
const UNAVAILABLE_RETRY_MS: u64 = 1_000;

/// Most note editors one connection may have open at once; opening one more closes the
/// oldest (the others are told). Bounds what a connection makes the server remember.
pub const MAX_OPEN_EDITORS: usize = 16;

/// A note editor this connection said it opened, and who it subscribed as.
struct OpenEditor {
    board: String,
    note_id: String,
    person: Person,
}

/// One connection's note handling: its rate budget, the way back to it, and the note
/// editors it has open.
pub struct NotesExtension {
    state: Arc<BoardState>,
    registry: Arc<ConnectionRegistry>,
    bucket: TokenBucket,
    peer: Option<IpAddr>,
    editors: Vec<OpenEditor>,
}

impl NotesExtension {
    /// The extension for one new connection from `client` (phase 1's `ClientAddr`: the
    /// peer's address, or the one a trusted proxy forwarded).
    pub fn new(
        state: Arc<BoardState>,
        registry: Arc<ConnectionRegistry>,
        client: Option<IpAddr>,
    ) -> Self {
        let config = state.config();
        let bucket = TokenBucket::new(config.rate_per_sec, config.rate_burst, Instant::now());
        Self {
            state,
            registry,
            bucket,
            peer: client,
            editors: Vec::new(),
        }
    }

    // ANCHOR: rate_limits
    /// Takes a token from every budget `request` meets, or says which one is empty and how
    /// long until it has a token again. `note_editing` meets the connection's own only.
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
        if let NoteRequest::NoteEditing(_) = request {
            return Ok(());
        }
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

/// An error for the person (`message`) and the developer (`detail`).
fn error(
    code: NoteErrorCode,
    message: impl Into<String>,
    detail: impl Into<String>,
    op_id: Option<String>,
) -> NoteError {
    NoteError {
        code,
        message: message.into(),
        detail: Some(detail.into()),
        op_id,
        current: None,
        retry_after_ms: None,
    }
}

fn rejected(r: Rejection, op_id: &str) -> NoteError {
    NoteError {
        current: r.current.map(|note| *note),
        ..error(r.code, r.message, r.detail, Some(op_id.to_owned()))
    }
}

/// `rate_limited`, retrying after `wait`: `why` names the budget, for developers.
fn rate_limited(wait: Duration, why: &str, op_id: Option<String>) -> NoteError {
    NoteError {
        retry_after_ms: Some(wait.as_millis().max(1) as u64),
        ..error(
            NoteErrorCode::RateLimited,
            format!(
                "Too many changes at once; trying again in {} s.",
                seconds_up(wait)
            ),
            format!("{why}: retry after retryAfterMs"),
            op_id,
        )
    }
}

/// `unavailable`: the store is behind, stopped or failing; the client retries.
fn unavailable(message: &str, detail: String, op_id: Option<String>) -> NoteError {
    NoteError {
        retry_after_ms: Some(UNAVAILABLE_RETRY_MS),
        ..error(NoteErrorCode::Unavailable, message, detail, op_id)
    }
}

fn store_failed(e: &StoreError, op_id: Option<String>) -> NoteError {
    // What failed is for the server log, not the client: it may name files and tables.
    tracing::error!(error = %e, "store failed");
    unavailable(
        "The server could not reach its storage; trying again shortly.",
        "the store failed (see the server log); retry later, a change with the same opId".into(),
        op_id,
    )
}

/// The JSON of `event`, published to its board's room without a position.
fn publish_editing(hub: &Hub, event: &NoteEditing) {
    match serde_json::to_vec(event) {
        Ok(data) => {
            hub.publish_ephemeral(&event.board, "note.editing", Bytes::from(data));
        }
        // Strings and a bool always serialize; a failure would be a bug.
        Err(e) => tracing::error!(error = %e, "cannot encode note.editing"),
    }
}

fn editing_event(open: &OpenEditor, editing: bool) -> NoteEditing {
    NoteEditing {
        board: open.board.clone(),
        note_id: open.note_id.clone(),
        client_id: open.person.client_id.clone(),
        name: open.person.name.clone(),
        color: open.person.color.clone(),
        editing,
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

impl NotesExtension {
    // ANCHOR: handle_change
    fn change(
        &mut self,
        services: &BoardServices,
        cx: &mut SessionContext,
        id: Option<String>,
        op: NoteOp,
    ) {
        let op_id = op.op_id().to_owned();
        // Access first: a view-only member learns that, not that a field was wrong.
        let allowed = services
            .access
            .0
            .check(cx.identity(), op.board(), BoardAction::Write);
        if let Err(denied) = allowed {
            let err = error(
                NoteErrorCode::Forbidden,
                denied.message,
                denied.detail,
                Some(op_id),
            );
            cx.send_text(encode(id, NoteServerEvent::Error(err)));
            return;
        }
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
                send_later(&registry, connection, text);
            }),
        );
        if let Err(e) = submitted {
            let (message, setting) = match e {
                SubmitError::Busy(_) => (
                    "The server is busy; trying again in 1 s.",
                    " (LIVEBOARD_BOARD_WRITE_QUEUE)",
                ),
                SubmitError::Stopped => ("The server is shutting down; trying again in 1 s.", ""),
            };
            let detail = format!("{e}{setting}; retry later with the same opId");
            let err = unavailable(message, detail, Some(op_id));
            cx.send_text(encode(id, NoteServerEvent::Error(err)));
        }
    }
    // ANCHOR_END: handle_change

    fn snapshot(
        &mut self,
        services: &BoardServices,
        cx: &mut SessionContext,
        id: Option<String>,
        board: String,
    ) {
        let board = match BoardName::parse(&board) {
            Ok(b) => b,
            Err(e) => {
                let err = error(
                    NoteErrorCode::Validation,
                    "This board's name is not valid.",
                    e.message,
                    None,
                );
                cx.send_text(encode(id, NoteServerEvent::Error(err)));
                return;
            }
        };
        let allowed = services
            .access
            .0
            .check(cx.identity(), board.as_str(), BoardAction::Read);
        if let Err(denied) = allowed {
            let err = error(
                NoteErrorCode::Forbidden,
                denied.message,
                denied.detail,
                None,
            );
            cx.send_text(encode(id, NoteServerEvent::Error(err)));
            return;
        }
        let state = self.state.clone();
        let registry = self.registry.clone();
        let connection = cx.connection_id();
        tokio::spawn(async move {
            let event = match state.snapshot(board.as_str()).await {
                Ok(snapshot) => NoteServerEvent::Snapshot(snapshot),
                Err(e) => NoteServerEvent::Error(store_failed(&e, None)),
            };
            send_later(&registry, connection, encode(id, event));
        });
    }

    // ANCHOR: handle_editing
    /// `note_editing`: publish who opened or closed a note's editor, and remember it so
    /// that closing the connection closes it too. Nothing is stored.
    fn editing(
        &mut self,
        services: &BoardServices,
        cx: &SessionContext,
        req: EditingRequest,
    ) -> Result<Ack, ErrorPayload> {
        let board = BoardName::parse(&req.board).map_err(|e| {
            ErrorPayload::new(ErrorCode::BadBoardName, "This board's name is not valid.")
                .with_detail(e.message)
        })?;
        // Opening an editor is for those who may change the board.
        check_access(services, cx, board.as_str(), BoardAction::Write)?;
        if !is_token(&req.note_id, MAX_NOTE_ID_LEN) {
            return Err(ErrorPayload::new(
                ErrorCode::InvalidPayload,
                "This note's id is not valid.",
            )
            .with_detail(format!(
                "noteId must be 1 to {MAX_NOTE_ID_LEN} characters of A-Z, a-z, 0-9, '_' or '-'"
            )));
        }
        // Who is editing is who this connection subscribed as: a request cannot name
        // someone else.
        let Some(person) = cx.person_on(board.as_str()) else {
            return Err(ErrorPayload::new(
                ErrorCode::NotSubscribed,
                "Join the board with your name before editing its notes.",
            )
            .with_detail(format!(
                "note_editing needs this connection subscribed to board {board} with a person \
                 (subscribe {{ board, person }}) first"
            )));
        };
        let open = OpenEditor {
            board: board.as_str().to_owned(),
            note_id: req.note_id,
            person: person.clone(),
        };
        let known = self
            .editors
            .iter()
            .position(|e| e.board == open.board && e.note_id == open.note_id);
        if let Some(i) = known {
            self.editors.remove(i);
        }
        if req.editing {
            if self.editors.len() >= MAX_OPEN_EDITORS {
                let oldest = self.editors.remove(0);
                publish_editing(self.state.hub(), &editing_event(&oldest, false));
            }
            publish_editing(self.state.hub(), &editing_event(&open, true));
            self.editors.push(open);
        } else {
            publish_editing(self.state.hub(), &editing_event(&open, false));
        }
        Ok(Ack {
            request: "note_editing".into(),
            board: Some(board.as_str().to_owned()),
            position: None,
        })
    }
    // ANCHOR_END: handle_editing
}

// ANCHOR: editors_on_close
impl Drop for NotesExtension {
    /// The extension is dropped with its connection's session, however the connection
    /// ended: every editor it still had open is announced closed.
    fn drop(&mut self) {
        for open in self.editors.drain(..) {
            publish_editing(self.state.hub(), &editing_event(&open, false));
        }
    }
}
// ANCHOR_END: editors_on_close

// ANCHOR: extension
impl BoardExtension for NotesExtension {
    type Request = NoteRequest;

    fn handle(
        &mut self,
        services: &BoardServices,
        cx: &mut SessionContext,
        id: Option<String>,
        mut request: NoteRequest,
    ) -> Option<Result<Ack, ErrorPayload>> {
        // Signed in: the change is the session's person's, whatever `author` says.
        if let Some(person) = cx.identity() {
            request.set_author(&person.name);
        }
        if let Err((wait, why)) = self.take_tokens(&request) {
            let err = rate_limited(wait, &why, request.op_id().map(str::to_owned));
            cx.send_text(encode(id, NoteServerEvent::Error(err)));
            return None;
        }
        match request {
            // Answered at once, through phase 3's `ack` and `error`.
            NoteRequest::NoteEditing(r) => return Some(self.editing(services, cx, r)),
            NoteRequest::BoardSnapshot(r) => self.snapshot(services, cx, id, r.board),
            NoteRequest::NoteCreate(r) => self.change(services, cx, id, NoteOp::NoteCreate(r)),
            NoteRequest::NoteUpdate(r) => self.change(services, cx, id, NoteOp::NoteUpdate(r)),
            NoteRequest::NoteMove(r) => self.change(services, cx, id, NoteOp::NoteMove(r)),
            NoteRequest::NoteDelete(r) => self.change(services, cx, id, NoteOp::NoteDelete(r)),
        }
        // Every note request is answered by this extension itself (now or later).
        None
    }
}
// ANCHOR_END: extension
