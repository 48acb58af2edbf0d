//! The board event protocol: what Liveboard's JSON messages over `/ws` look like.
//!
//! Every message, both ways, is one text frame holding one JSON object, the **envelope**:
//!
//! ```json
//! { "type": "publish", "id": "7", "payload": { "board": "demo", "text": "hello" } }
//! ```
//!
//! * `type` says what it is, and so which shape `payload` has;
//! * `id` is chosen by the client on a request; the server's answer — an `ack` or an
//!   `error` — carries the same `id`, so the client can match answers to requests
//!   (and, in phase 4, reconcile optimistic edits) however many are in flight;
//! * `payload` is the data. A request with no data may leave it out.
//!
//! In Rust each direction is one enum, `#[serde(tag = "type", content = "payload")]`,
//! so adding a message type is adding a variant, and the compiler finds every `match` that
//! must handle it. The TypeScript the web app uses is **generated** from these types
//! ([`crate::board::generated`]), so the two ends cannot drift apart.
//!
//! **Errors keep the connection.** Malformed JSON, an unknown `type`, a payload of the
//! wrong shape, a bad board name: each gets an `error` event with a stable `code` and a
//! sentence saying what was wrong, and the connection carries on. Only violations of
//! RFC 6455 itself (bad framing, invalid UTF-8, oversized messages) close it. Binary
//! messages are valid WebSocket but not this protocol: they get an `unsupported_binary`
//! error rather than a 1003 close, for the same reason — one wrong message should not
//! cost a user their connection.
//!
//! | client → server | payload | answer |
//! |---|---|---|
//! | `subscribe` | `{ board, since?, person? }` | `ack`, then the hub's `ready` (or `reset`), `presence.list`, live events |
//! | `unsubscribe` | `{ board }` | `ack` |
//! | `publish` | `{ board, text, name? }` | `ack` with the event's `position`; everyone subscribed gets `message` |
//! | `ping` | `{}` | `pong` (an application-level heartbeat a browser can see, unlike RFC 6455 pings) |
//!
//! The events from the hub (`ready`, `reset`, `message`, `presence.*`) are the ones SSE
//! streams receive too, as JSON of the same shape plus the `board` they belong to.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use ts_rs::TS;

/// The subprotocol name of this protocol's first version, negotiated in the handshake.
pub const SUBPROTOCOL: &str = "liveboard.v1";

// ANCHOR: client_messages
/// A message from the client: `{ "type", "id"?, "payload" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClientEnvelope {
    /// Chosen by the client; echoed in the `ack` or `error` answering this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub id: Option<String>,
    /// What is asked.
    #[serde(flatten)]
    pub request: ClientRequest,
}

/// What a client may ask. Phase 4 adds its note operations as a
/// [`crate::board::session::BoardExtension`] rather than by editing this enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum ClientRequest {
    /// Receive a board's events, optionally resuming after a position.
    Subscribe(SubscribeRequest),
    /// Stop receiving a board's events.
    Unsubscribe(UnsubscribeRequest),
    /// Broadcast a chat line to everyone on a board.
    Publish(PublishRequest),
    /// Application-level ping; answered by `pong`.
    Ping(PingRequest),
}

/// `subscribe`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscribeRequest {
    /// The board: 1–64 of `A-Z a-z 0-9 _ -`.
    pub board: String,
    /// The last position seen (`<epoch>-<seq>`), to replay what was missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub since: Option<String>,
    /// Who is connecting, to appear in the board's presence list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub person: Option<PersonInput>,
}

/// A person as the client describes itself (validated as phase 2's presence does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersonInput {
    /// Stable across tabs and reloads: 1–64 of `A-Z a-z 0-9 _ -`.
    pub client_id: String,
    /// Display name, 1–32 characters.
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// `unsubscribe`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeRequest {
    /// The board to leave.
    pub board: String,
}

/// `publish`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The board to publish on (no need to be subscribed to it).
    pub board: String,
    /// The text, 1 to `LIVEBOARD_WS_MAX_TEXT_CHARS` characters.
    pub text: String,
    /// The sender's display name, shown beside the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
}

/// `ping`'s payload: nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct PingRequest {}
// ANCHOR_END: client_messages

// ANCHOR: server_messages
/// A message from the server: `{ "type", "id"?, "payload" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ServerEnvelope {
    /// The request this answers (`ack`, `error`, `pong`); absent on broadcasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub id: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub event: ServerEvent,
}

/// Everything the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", content = "payload")]
pub enum ServerEvent {
    /// First message on every connection.
    #[serde(rename = "welcome")]
    Welcome(Welcome),
    /// A request succeeded.
    #[serde(rename = "ack")]
    Ack(Ack),
    /// A request failed; the connection stays open.
    #[serde(rename = "error")]
    Error(ErrorPayload),
    /// The answer to `ping`.
    #[serde(rename = "pong")]
    Pong(Pong),
    /// A subscription started; after a replay, `recovered` is true.
    #[serde(rename = "ready")]
    Ready(Ready),
    /// A subscription could not resume: reload the board, then continue from `position`.
    #[serde(rename = "reset")]
    Reset(Reset),
    /// A chat line published on a board.
    #[serde(rename = "message")]
    Message(BoardMessage),
    /// Who is on the board (sent once after subscribing).
    #[serde(rename = "presence.list")]
    PresenceList(PresenceList),
    /// Someone arrived (or changed name or color).
    #[serde(rename = "presence.join")]
    PresenceJoin(PresenceJoin),
    /// Someone's last connection left.
    #[serde(rename = "presence.leave")]
    PresenceLeave(PresenceLeave),
}

/// `welcome`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Welcome {
    /// This connection's id on the server (for logs and bug reports).
    #[ts(type = "number")]
    pub connection_id: u64,
    /// The subprotocol agreed in the handshake, if any.
    pub subprotocol: Option<String>,
    /// The largest message the server accepts, in bytes (larger closes with 1009).
    #[ts(type = "number")]
    pub max_message_bytes: u64,
}

/// `ack`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Ack {
    /// The `type` of the request acknowledged.
    pub request: String,
    /// The board it concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub board: Option<String>,
    /// For `publish`: the position the event got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub position: Option<String>,
}

/// `error`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ErrorPayload {
    /// Stable, for programs.
    pub code: ErrorCode,
    /// A sentence for people, saying what to change.
    pub message: String,
}

impl ErrorPayload {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The text was not JSON.
    MalformedJson,
    /// JSON, but not `{ "type": string, "id"?: string, "payload"?: object }`.
    InvalidEnvelope,
    /// A `type` this server does not know.
    UnknownType,
    /// The payload does not have the shape this `type` needs.
    InvalidPayload,
    /// A board name outside `[A-Za-z0-9_-]{1,64}`.
    BadBoardName,
    /// A `since` that is not `<epoch>-<seq>`.
    BadPosition,
    /// A `person` with an invalid id, name or color.
    BadPerson,
    /// `subscribe` to a board this connection already receives.
    AlreadySubscribed,
    /// `unsubscribe` from a board this connection does not receive.
    NotSubscribed,
    /// More boards than `LIVEBOARD_WS_MAX_BOARDS_PER_CONNECTION`.
    TooManyBoards,
    /// Empty or blank `text`.
    EmptyText,
    /// `text` longer than `LIVEBOARD_WS_MAX_TEXT_CHARS`.
    TextTooLong,
    /// A binary message: this protocol is JSON text.
    UnsupportedBinary,
}

/// `pong`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Pong {
    /// Server time, milliseconds since the Unix epoch (lets a client estimate clock skew).
    #[ts(type = "number")]
    pub server_time_ms: u64,
}

/// `ready`'s payload (made by the hub, phase 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Ready {
    /// The board.
    pub board: String,
    /// The board's position now: resume from here next time.
    pub position: String,
    /// True when every missed event after `since` was replayed.
    pub recovered: bool,
    /// How many events the replay held.
    #[ts(type = "number")]
    pub replayed: u64,
}

/// `reset`'s payload (made by the hub, phase 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Reset {
    /// The board.
    pub board: String,
    /// The board's position now.
    pub position: String,
    /// Why the old position could not be resumed.
    pub reason: String,
}

/// `message`'s payload: a chat line (the same JSON phase 2's SSE streams carry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BoardMessage {
    /// The board.
    pub board: String,
    /// The event's position in the board's stream.
    pub position: String,
    /// The text.
    pub text: String,
    /// The sender's display name, if given.
    pub name: Option<String>,
    /// Server time of publication, milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub sent_at_ms: u64,
}

/// A person on a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PersonView {
    /// Stable id of the person (shared by their tabs).
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// `presence.list`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PresenceList {
    /// The board.
    pub board: String,
    /// Everyone on it, in order of arrival.
    pub people: Vec<PersonView>,
}

/// `presence.join`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresenceJoin {
    /// The board.
    pub board: String,
    /// Who.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// `presence.leave`'s payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresenceLeave {
    /// The board.
    pub board: String,
    /// Who left.
    pub client_id: String,
}
// ANCHOR_END: server_messages

/// The JSON text of a server message.
pub fn encode_event(id: Option<String>, event: ServerEvent) -> String {
    let envelope = ServerEnvelope { id, event };
    // Serializing these plain structs cannot fail (no maps with non-string keys, no
    // custom serializers); a failure would be a bug, reported as an error event.
    serde_json::to_string(&envelope).unwrap_or_else(|e| {
        format!(r#"{{"type":"error","payload":{{"code":"invalid_envelope","message":"server failed to encode an event: {e}"}}}}"#)
    })
}

// ANCHOR: parse_request
/// A request that could not be understood, and the id to answer it with (when the
/// envelope was readable enough to have one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The request's id, if any could be read.
    pub id: Option<String>,
    /// What was wrong.
    pub error: ErrorPayload,
}

/// Parses one client message into its id and a request of type `R` (any
/// `#[serde(tag = "type", content = "payload")]` enum: [`ClientRequest`], or phase 4's).
///
/// Done in two steps so each failure gets its own code: first the envelope (is it JSON?
/// an object? a string `type`? a string `id`?), then the payload for that `type`.
pub fn parse_request<R: DeserializeOwned>(text: &str) -> Result<(Option<String>, R), Rejected> {
    let reject = |id: Option<String>, code, message: String| Rejected {
        id,
        error: ErrorPayload::new(code, message),
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        reject(
            None,
            ErrorCode::MalformedJson,
            format!("not JSON: {e} (line {}, column {})", e.line(), e.column()),
        )
    })?;
    let serde_json::Value::Object(mut fields) = value else {
        return Err(reject(
            None,
            ErrorCode::InvalidEnvelope,
            "a message must be a JSON object: {\"type\": ..., \"id\"?: ..., \"payload\"?: ...}"
                .into(),
        ));
    };
    let id = match fields.remove("id") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(id)) => Some(id),
        Some(other) => {
            return Err(reject(
                None,
                ErrorCode::InvalidEnvelope,
                format!("\"id\" must be a string, got {other}"),
            ))
        }
    };
    let Some(serde_json::Value::String(kind)) = fields.get("type").cloned() else {
        return Err(reject(
            id,
            ErrorCode::InvalidEnvelope,
            "a message needs a string \"type\", e.g. {\"type\": \"ping\"}".into(),
        ));
    };
    if let Some(extra) = fields.keys().find(|k| *k != "type" && *k != "payload") {
        return Err(reject(
            id,
            ErrorCode::InvalidEnvelope,
            format!(
                "unknown field {extra:?}: an envelope has only \"type\", \"id\" and \"payload\""
            ),
        ));
    }
    // A request with nothing to say may leave the payload out.
    fields
        .entry("payload")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    match R::deserialize(serde_json::Value::Object(fields)) {
        Ok(request) => Ok((id, request)),
        // serde's message for an unknown tag: "unknown variant `x`, expected one of ...".
        Err(e) if e.to_string().starts_with("unknown variant") => Err(reject(
            id,
            ErrorCode::UnknownType,
            format!("unknown message type {kind:?}: {e}"),
        )),
        Err(e) => Err(reject(
            id,
            ErrorCode::InvalidPayload,
            format!("the payload of {kind:?} does not fit: {e}"),
        )),
    }
}
// ANCHOR_END: parse_request

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(Option<String>, ClientRequest), Rejected> {
        parse_request(text)
    }

    #[test]
    fn a_request_parses_with_its_id() {
        let (id, req) =
            parse(r#"{"type":"publish","id":"7","payload":{"board":"demo","text":"hi"}}"#).unwrap();
        assert_eq!(id.as_deref(), Some("7"));
        assert_eq!(
            req,
            ClientRequest::Publish(PublishRequest {
                board: "demo".into(),
                text: "hi".into(),
                name: None
            })
        );
    }

    #[test]
    fn a_request_without_payload_gets_an_empty_one() {
        assert_eq!(
            parse(r#"{"type":"ping"}"#).unwrap().1,
            ClientRequest::Ping(PingRequest {})
        );
    }

    #[test]
    fn each_kind_of_bad_message_has_its_own_code_and_keeps_the_id_when_it_can() {
        let cases = [
            ("{nope", ErrorCode::MalformedJson, None),
            ("[1,2]", ErrorCode::InvalidEnvelope, None),
            (
                r#"{"id":5,"type":"ping"}"#,
                ErrorCode::InvalidEnvelope,
                None,
            ),
            (r#"{"id":"a"}"#, ErrorCode::InvalidEnvelope, Some("a")),
            (
                r#"{"id":"b","type":"ping","extra":1}"#,
                ErrorCode::InvalidEnvelope,
                Some("b"),
            ),
            (
                r#"{"id":"c","type":"dance"}"#,
                ErrorCode::UnknownType,
                Some("c"),
            ),
            (
                r#"{"id":"d","type":"publish","payload":{"board":"x"}}"#,
                ErrorCode::InvalidPayload,
                Some("d"),
            ),
            (
                r#"{"id":"e","type":"subscribe","payload":{"board":"x","sinse":"a-1"}}"#,
                ErrorCode::InvalidPayload,
                Some("e"),
            ),
        ];
        for (text, code, id) in cases {
            let rejected = parse(text).unwrap_err();
            assert_eq!(rejected.error.code, code, "{text}");
            assert_eq!(rejected.id.as_deref(), id, "{text}");
            assert!(!rejected.error.message.is_empty());
        }
    }

    #[test]
    fn server_events_have_the_envelope_shape() {
        let json = encode_event(
            Some("7".into()),
            ServerEvent::Ack(Ack {
                request: "publish".into(),
                board: Some("demo".into()),
                position: Some("e-1".into()),
            }),
        );
        assert_eq!(
            json,
            r#"{"id":"7","type":"ack","payload":{"request":"publish","board":"demo","position":"e-1"}}"#
        );
        let err = encode_event(
            None,
            ServerEvent::Error(ErrorPayload::new(ErrorCode::UnknownType, "no")),
        );
        assert_eq!(
            err,
            r#"{"type":"error","payload":{"code":"unknown_type","message":"no"}}"#
        );
    }
}
