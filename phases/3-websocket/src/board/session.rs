//! `GET /ws`: the board protocol's [`Session`] — requests in, acks, errors and board
//! events out.
//!
//! Rooms, history and fan-out are phase 2's hub: `subscribe` joins a board through
//! phase 2's presence (which subscribes to the hub and keeps the who's-online list), with
//! a [`WsFormat`] so the hub encodes each broadcast once as a WebSocket frame; `publish`
//! is `Hub::publish_recorded`, exactly what phase 2's `POST /boards/:board/messages` does —
//! so SSE readers and WebSocket readers of a board see the same events in the same order.
//! When the board's log numbers the room (phase 4), the chat line is numbered and kept by
//! the log, and the `ack` comes once it is durable, through the [`ConnectionRegistry`].
//!
//! **Extending the protocol without copying it.** Phase 4 adds note operations. Rather
//! than a second copy of this session, it implements [`BoardExtension`]: its own request
//! enum and handler. A message whose `type` is not one of [`ClientRequest`]'s is offered
//! to the extension; only if neither knows it is it an `unknown_type` error.

use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use phase_1_foundations::{human::grouped, ApiError};
use phase_2_sse::{
    access::{BoardAction, SharedAccess},
    board_name::BoardName,
    hub::{Hub, Published, RecordError, Recording},
    position::StreamPosition,
    presence::{parse_name, BoardPresence, Person},
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{
    board::protocol::{
        encode_event, Ack, ClientRequest, ErrorCode, ErrorPayload, Pong, PublishRequest, Rejected,
        RequestEnvelope, RequestError, ServerEvent, SubscribeRequest, Welcome,
    },
    board::ws_format::WsFormat,
    server::config::WsConfig,
    server::registry::ConnectionRegistry,
    server::session::{BoardFeed, Session, SessionContext},
};

/// What every board session shares: the hub, presence, the limits and the way to answer
/// a connection later.
pub struct BoardServices {
    /// Rooms and fan-out (shared with SSE in the backend).
    pub hub: Arc<Hub>,
    /// Who is on each board (shared with SSE in the backend).
    pub presence: Arc<dyn BoardPresence>,
    /// Limits for requests.
    pub config: WsConfig,
    /// What every connection is told right after `welcome`.
    pub greeting: Greeting,
    /// The open connections: a `publish` numbered by the board's log is answered through
    /// it, once durable, from outside the connection's task.
    pub registry: Arc<ConnectionRegistry>,
    /// Who may follow and write which board (phase 4 provides the rules; see
    /// [`phase_2_sse::access`]).
    pub access: SharedAccess,
}

// ANCHOR: greeting
/// Messages every `/ws` connection gets right after `welcome`, in order: how a later phase
/// tells each client something when it connects without editing this session (phase 5:
/// the reconnection and heartbeat policy). Each is the text of one message, built once.
#[derive(Debug, Clone, Default)]
pub struct Greeting(pub Arc<[String]>);
// ANCHOR_END: greeting

/// A protocol extension: more request types on the same connection (phase 4's notes).
pub trait BoardExtension: Send + 'static {
    /// The extension's requests, a `#[serde(tag = "type", content = "payload")]` enum.
    type Request: DeserializeOwned;
    /// Handles one request whose envelope carried `id`. `Some(Ok)` is sent as an `ack`,
    /// `Some(Err)` as an `error`, both with `id`. `None`: the extension answers itself,
    /// with `id` — at once through `cx`, or later with [`send_later`] (phase 4 answers
    /// after a disk write, which must not hold up the connection's task).
    fn handle(
        &mut self,
        services: &BoardServices,
        cx: &mut SessionContext,
        id: Option<String>,
        request: Self::Request,
    ) -> Option<Result<Ack, ErrorPayload>>;
}

/// No extension: phase 3's protocol only.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoExtension;

/// A request type with no variants: every `type` is unknown to it.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum NoRequest {}

impl BoardExtension for NoExtension {
    type Request = NoRequest;
    fn handle(
        &mut self,
        _: &BoardServices,
        _: &mut SessionContext,
        _: Option<String>,
        r: NoRequest,
    ) -> Option<Result<Ack, ErrorPayload>> {
        match r {}
    }
}

/// One `/ws` connection's protocol state.
pub struct BoardSession<E: BoardExtension = NoExtension> {
    services: Arc<BoardServices>,
    subprotocol: Option<&'static str>,
    extension: E,
    identity: Option<Person>,
}

impl BoardSession<NoExtension> {
    /// A session speaking phase 3's protocol.
    pub fn new(services: Arc<BoardServices>, subprotocol: Option<&'static str>) -> Self {
        Self::with_extension(services, subprotocol, NoExtension)
    }
}

/// The JSON data of a `message` event, as phase 2's `POST /boards/:board/messages` makes
/// it (the hub adds nothing; [`WsFormat`] adds `board` and `position`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageData<'a> {
    text: &'a str,
    name: Option<&'a str>,
    sent_at_ms: u64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An HTTP-style validation error (phase 2's helpers return them) as a protocol error.
fn from_api(code: ErrorCode, err: ApiError) -> ErrorPayload {
    ErrorPayload::new(code, err.message)
}

fn ack(request: &str, board: &str, position: Option<String>) -> Ack {
    Ack {
        request: request.into(),
        board: Some(board.into()),
        position,
    }
}

impl<E: BoardExtension> BoardSession<E> {
    /// A session speaking phase 3's protocol plus `extension`'s requests.
    pub fn with_extension(
        services: Arc<BoardServices>,
        subprotocol: Option<&'static str>,
        extension: E,
    ) -> Self {
        Self {
            services,
            subprotocol,
            extension,
            identity: None,
        }
    }

    /// The same session for a connection whose handshake proved who it is (a signed
    /// session cookie): that person subscribes and writes, whatever a request says.
    pub fn with_identity(mut self, identity: Option<Person>) -> Self {
        self.identity = identity;
        self
    }

    fn send(cx: &mut SessionContext, id: Option<String>, event: ServerEvent) {
        cx.send_text(encode_event(id, event));
    }

    // ANCHOR: dispatch
    fn dispatch(&mut self, text: &str, cx: &mut SessionContext) {
        // The envelope is read once; its payload is built only by the enum that knows
        // the `type` (phase 3's requests first, then the extension's).
        let envelope = match RequestEnvelope::parse(text) {
            Ok(envelope) => envelope,
            Err(Rejected { id, error }) => {
                return Self::send(cx, id, ServerEvent::Error(error.to_payload()));
            }
        };
        let id = envelope.id.clone();
        let result = match envelope.request::<ClientRequest>() {
            Ok(request) => match self.handle(request, id.clone(), cx) {
                Some(result) => result,
                None => return, // answered once recorded
            },
            Err(RequestError::UnknownType { kind, expected }) => {
                match envelope.request::<E::Request>() {
                    Ok(request) => {
                        match self
                            .extension
                            .handle(&self.services, cx, id.clone(), request)
                        {
                            Some(result) => result.map(ServerEvent::Ack),
                            None => return, // the extension answers itself
                        }
                    }
                    // Unknown to both: name every type either knows.
                    Err(RequestError::UnknownType {
                        expected: extension_types,
                        ..
                    }) => Err(RequestError::UnknownType {
                        kind,
                        expected: [expected, extension_types].concat(),
                    }
                    .to_payload()),
                    Err(error) => Err(error.to_payload()),
                }
            }
            Err(error) => Err(error.to_payload()),
        };
        let event = result.unwrap_or_else(ServerEvent::Error);
        Self::send(cx, id, event);
    }

    /// Handles a core request: the answer is an `ack` (or a `pong`) or an `error` — or
    /// `None` when it is sent later, with `id` (a `publish` the board's log numbers).
    fn handle(
        &mut self,
        request: ClientRequest,
        id: Option<String>,
        cx: &mut SessionContext,
    ) -> Option<Result<ServerEvent, ErrorPayload>> {
        let ack = match request {
            ClientRequest::Subscribe(req) => self.subscribe(req, cx),
            ClientRequest::Unsubscribe(req) => board_name(&req.board).and_then(|board| {
                if !cx.remove_feed(board.as_str()) {
                    return Err(ErrorPayload::new(
                        ErrorCode::NotSubscribed,
                        format!("this connection is not subscribed to board {board}"),
                    ));
                }
                Ok(ack("unsubscribe", board.as_str(), None))
            }),
            ClientRequest::Publish(req) => self.publish(req, id, cx).transpose()?,
            ClientRequest::Ping(_) => {
                return Some(Ok(ServerEvent::Pong(Pong {
                    server_time_ms: now_ms(),
                })))
            }
        };
        Some(ack.map(ServerEvent::Ack))
    }
    // ANCHOR_END: dispatch

    // ANCHOR: subscribe
    fn subscribe(
        &mut self,
        req: SubscribeRequest,
        cx: &mut SessionContext,
    ) -> Result<Ack, ErrorPayload> {
        let board = board_name(&req.board)?;
        let since = req
            .since
            .as_deref()
            .map(str::parse::<StreamPosition>)
            .transpose()
            .map_err(|e| ErrorPayload::new(ErrorCode::BadPosition, e.to_string()))?;
        let claimed = req
            .person
            .map(|p| Person::parse(&p.client_id, &p.name, &p.color))
            .transpose()
            .map_err(|e| from_api(ErrorCode::BadPerson, e))?;
        // Signed in: the session's person joins, not the one the request names.
        let person = cx.identity().cloned().or(claimed);
        if cx.has_feed(board.as_str()) {
            return Err(ErrorPayload::new(
                ErrorCode::AlreadySubscribed,
                format!("this connection is already subscribed to board {board}"),
            ));
        }
        let max = self.services.config.max_boards_per_connection;
        if cx.feed_count() >= max {
            return Err(ErrorPayload::new(
                ErrorCode::TooManyBoards,
                format!(
                    "This window follows {max} boards already, the most it may; close one first."
                ),
            )
            .with_detail(format!(
                "a connection may follow at most {max} boards \
                 (LIVEBOARD_WS_MAX_BOARDS_PER_CONNECTION is {max}); unsubscribe from one first"
            )));
        }
        check_access(&self.services, cx, board.as_str(), BoardAction::Follow)?;
        // Joins the hub room (queueing `ready` or `reset`, after any replay) and the
        // presence list (queueing `presence.list`), under one lock: nothing falls between.
        let (membership, resume) = self.services.presence.connect(
            board.as_str(),
            Arc::new(WsFormat::new(board.as_str(), cx.broadcast_framing())),
            since.as_ref(),
            person.clone(),
            self.services.config.queue_bytes,
        );
        tracing::debug!(%board, ?resume, connection = cx.connection_id(), "subscribed");
        let queue = membership.subscription().queue().clone();
        // The feed remembers who subscribed, so an extension can say who did something
        // on this board (phase 4: "Ana is editing") without trusting a name in a request.
        cx.add_feed(BoardFeed::new(board.as_str(), queue, membership).with_person(person));
        Ok(ack("subscribe", board.as_str(), None))
    }
    // ANCHOR_END: subscribe

    /// Publishes a chat line. `Ok(Some(ack))`: published at once (the hub numbers the
    /// board). `Ok(None)`: the board's log numbers it; the `ack` (or `error`), with `id`,
    /// follows once it is durable — like a note change's.
    fn publish(
        &mut self,
        req: PublishRequest,
        id: Option<String>,
        cx: &SessionContext,
    ) -> Result<Option<Ack>, ErrorPayload> {
        let board = board_name(&req.board)?;
        check_access(&self.services, cx, board.as_str(), BoardAction::Write)?;
        if req.text.trim().is_empty() {
            return Err(ErrorPayload::new(
                ErrorCode::EmptyText,
                "text must not be empty",
            ));
        }
        let max = self.services.config.max_text_chars;
        let chars = req.text.chars().count();
        if chars > max {
            return Err(ErrorPayload::new(
                ErrorCode::TextTooLong,
                format!(
                    "This message is too long: {} characters, at most {}.",
                    grouped(chars as u64),
                    grouped(max as u64)
                ),
            )
            .with_detail(format!(
                "text is {chars} characters; LIVEBOARD_WS_MAX_TEXT_CHARS is {max}"
            )));
        }
        let name = match cx.identity() {
            Some(person) => Some(person.name.clone()),
            None => req
                .name
                .as_deref()
                .map(parse_name)
                .transpose()
                .map_err(|e| from_api(ErrorCode::InvalidPayload, e))?,
        };
        let data = serde_json::to_vec(&MessageData {
            text: &req.text,
            name: name.as_deref(),
            sent_at_ms: now_ms(),
        })
        .map_err(|e| ErrorPayload::new(ErrorCode::InvalidPayload, e.to_string()))?;
        let recording =
            self.services
                .hub
                .publish_recorded(board.as_str(), "message", Bytes::from(data));
        let pending = match recording {
            Recording::Published(published) => {
                return Ok(Some(publish_ack(board.as_str(), published)))
            }
            pending => pending,
        };
        let registry = self.services.registry.clone();
        let connection = cx.connection_id();
        tokio::spawn(async move {
            let event = match pending.published().await {
                Ok(published) => ServerEvent::Ack(publish_ack(board.as_str(), published)),
                Err(e) => ServerEvent::Error(record_error(e)),
            };
            send_later(&registry, connection, encode_event(id, event));
        });
        Ok(None)
    }
}

fn publish_ack(board: &str, published: Published) -> Ack {
    ack("publish", board, published.position.map(|p| p.to_string()))
}

/// A chat line the board's log could not take, as a protocol error.
fn record_error(error: RecordError) -> ErrorPayload {
    let code = match error {
        RecordError::Refused(_) => ErrorCode::Refused,
        RecordError::Unavailable(_) | RecordError::Failed(_) => ErrorCode::Unavailable,
    };
    ErrorPayload::new(code, format!("This message was not sent: {error}."))
}

/// Sends `text` to connection `connection` from outside its task: an answer that comes
/// after the request's turn (a chat line once durable, a note change once committed).
/// Its transport frames it. Not delivered to a connection that is gone, or being closed
/// as a slow consumer — and that is fine: the change happened anyway, and a client that
/// missed its answer retries with the same id and is answered as a duplicate.
pub fn send_later(registry: &ConnectionRegistry, connection: u64, text: String) {
    if let Err(e) = registry.send_text(connection, text) {
        tracing::debug!(connection, ?e, "answer not delivered");
    }
}

// ANCHOR: check_access
/// Whether this connection's person may do `action` on `board`: `forbidden` if not (the
/// connection lives on; it may follow other boards).
pub fn check_access(
    services: &BoardServices,
    cx: &SessionContext,
    board: &str,
    action: BoardAction,
) -> Result<(), ErrorPayload> {
    services
        .access
        .0
        .check(cx.identity(), board, action)
        .map_err(|denied| {
            ErrorPayload::new(ErrorCode::Forbidden, denied.message).with_detail(denied.detail)
        })
}
// ANCHOR_END: check_access

fn board_name(name: &str) -> Result<BoardName, ErrorPayload> {
    BoardName::parse(name).map_err(|e| from_api(ErrorCode::BadBoardName, e))
}

impl<E: BoardExtension> Session for BoardSession<E> {
    fn on_open(&mut self, cx: &mut SessionContext) {
        cx.set_identity(self.identity.take());
        let welcome = Welcome {
            connection_id: cx.connection_id(),
            subprotocol: self.subprotocol.map(str::to_owned),
            max_message_bytes: self.services.config.limits().max_message_size as u64,
        };
        Self::send(cx, None, ServerEvent::Welcome(welcome));
        for message in self.services.greeting.0.iter() {
            cx.send_text(message.clone());
        }
    }

    fn on_text(&mut self, text: String, cx: &mut SessionContext) {
        self.dispatch(&text, cx);
    }

    fn on_binary(&mut self, data: Bytes, cx: &mut SessionContext) {
        Self::send(
            cx,
            None,
            ServerEvent::Error(ErrorPayload::new(
                ErrorCode::UnsupportedBinary,
                format!(
                    "received a {}-byte binary message; this protocol is JSON in text messages",
                    data.len()
                ),
            )),
        );
    }
}
