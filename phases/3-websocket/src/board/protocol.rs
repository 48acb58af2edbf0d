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

use std::fmt;

use serde::{
    de::{
        value::{BorrowedStrDeserializer, MapAccessDeserializer},
        DeserializeOwned, DeserializeSeed, IgnoredAny, IntoDeserializer, MapAccess, Visitor,
    },
    Deserialize, Deserializer, Serialize,
};
use serde_json::{error::Category, value::RawValue, Value};
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
///
/// Two texts for two readers: `message` is shown to the person at the keyboard, so it
/// names no setting and no field; `detail`, when present, is for the developer or
/// operator reading the console or the log: the setting, the numbers, the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ErrorPayload {
    /// Stable, for programs.
    pub code: ErrorCode,
    /// A sentence for people, saying what to change.
    pub message: String,
    /// For developers and operators: the limit's setting and value, the rule broken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub detail: Option<String>,
}

impl ErrorPayload {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
        }
    }

    /// The same error with a `detail` for developers.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
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
    /// The board's log could not take a `publish` now (behind, stopping, or failed):
    /// nothing was sent; send it again in a moment.
    Unavailable,
    /// The board's log refused a `publish` (the server holds as many boards as it may):
    /// retrying will not help; use an existing board.
    Refused,
    /// The board's access rules refuse this: `subscribe` to a private board you are not a
    /// member of, `publish` with view-only rights (phase 4's owners and share links).
    Forbidden,
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
/// Why a client message could not be understood. Told apart by variant, never by the text
/// of a parser's message; each maps to the stable [`ErrorCode`] the client sees.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The text is not JSON at all.
    #[error("not JSON: {0}")]
    MalformedJson(serde_json::Error),
    /// JSON, but not an object.
    #[error("a message must be a JSON object: {{\"type\": ..., \"id\"?: ..., \"payload\"?: ...}}")]
    NotAnObject,
    /// `id` is present but neither a string nor `null`.
    #[error("\"id\" must be a string, got {0}")]
    IdNotAString(serde_json::Value),
    /// No `type`, or one that is not a string.
    #[error("a message needs a string \"type\", e.g. {{\"type\": \"ping\"}}")]
    MissingType,
    /// A field other than `type`, `id` and `payload`, or one of those twice.
    #[error("{0}: an envelope has only \"type\", \"id\" and \"payload\", each once")]
    BadField(String),
    /// A `type` that no part of this server handles.
    #[error("unknown message type {kind:?}; this server knows {}", .expected.join(", "))]
    UnknownType {
        /// The `type` received.
        kind: String,
        /// Every `type` the request enums tried know.
        expected: Vec<&'static str>,
    },
    /// A known `type` whose payload does not have the shape it needs.
    #[error("the payload of {kind:?} does not fit: {source}")]
    InvalidPayload {
        /// The `type` received.
        kind: String,
        /// What serde found wrong, with line and column.
        source: serde_json::Error,
    },
}

impl RequestError {
    /// The wire code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            RequestError::MalformedJson(_) => ErrorCode::MalformedJson,
            RequestError::NotAnObject
            | RequestError::IdNotAString(_)
            | RequestError::MissingType
            | RequestError::BadField(_) => ErrorCode::InvalidEnvelope,
            RequestError::UnknownType { .. } => ErrorCode::UnknownType,
            RequestError::InvalidPayload { .. } => ErrorCode::InvalidPayload,
        }
    }

    /// The `error` event's payload: the code and this error's sentence.
    pub fn to_payload(&self) -> ErrorPayload {
        ErrorPayload::new(self.code(), self.to_string())
    }
}

/// A request that could not be understood, and the id to answer it with (when the
/// envelope was readable enough to have one).
#[derive(Debug)]
pub struct Rejected {
    /// The request's id, if any could be read.
    pub id: Option<String>,
    /// What was wrong.
    pub error: RequestError,
}

/// A client message whose envelope has been read and whose payload has not:
/// `{ "type", "id"?, "payload"? }`.
///
/// **One parse.** The text is read once, here: `type` and `id` into values, `payload`
/// kept as a slice of the text ([`RawValue`]: checked to be well-formed JSON, not built
/// into anything). [`RequestEnvelope::request`] then builds the payload straight into the
/// request type that knows this `type` — phase 3's [`ClientRequest`], or, when that does
/// not know it, an extension's (phase 4's notes). A type one enum does not know is
/// refused by its tag alone, before its payload is touched, so the payload is built once.
#[derive(Debug)]
pub struct RequestEnvelope<'a> {
    /// The request's id, echoed in its answer.
    pub id: Option<String>,
    /// The request's `type`.
    pub kind: String,
    payload: &'a RawValue,
}

impl<'a> RequestEnvelope<'a> {
    /// Reads the envelope of one client message.
    pub fn parse(text: &'a str) -> Result<Self, Rejected> {
        let reject = |id, error| Rejected { id, error };
        let fields: EnvelopeFields<'a> = serde_json::from_str(text).map_err(|e| {
            // serde_json classifies its errors: syntax (and text ending early) versus
            // well-formed JSON of the wrong type — here, anything but an object.
            let error = match e.classify() {
                Category::Data => RequestError::NotAnObject,
                Category::Syntax | Category::Eof | Category::Io => RequestError::MalformedJson(e),
            };
            reject(None, error)
        })?;
        let id = match fields.id {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(id),
            Some(other) => return Err(reject(None, RequestError::IdNotAString(other))),
        };
        if let Some(field) = fields.bad_field {
            return Err(reject(id, RequestError::BadField(field)));
        }
        let Some(Value::String(kind)) = fields.kind else {
            return Err(reject(id, RequestError::MissingType));
        };
        // A request with nothing to say may leave the payload out.
        let payload = fields.payload.unwrap_or_else(empty_object);
        Ok(Self { id, kind, payload })
    }

    /// Builds the request, if `R` knows this `type`: `R` is any
    /// `#[serde(tag = "type", content = "payload")]` enum.
    pub fn request<R: DeserializeOwned>(&self) -> Result<R, RequestError> {
        let tagged = TaggedPayload {
            kind: &self.kind,
            payload: self.payload,
            next: TaggedField::Type,
        };
        R::deserialize(MapAccessDeserializer::new(tagged)).map_err(|e| match e {
            TagError::UnknownType { expected } => RequestError::UnknownType {
                kind: self.kind.clone(),
                expected: expected.to_vec(),
            },
            TagError::Payload(source) => RequestError::InvalidPayload {
                kind: self.kind.clone(),
                source,
            },
            // The tag and payload are presented as a map of two fields, which every
            // adjacently tagged enum reads; another error would be a bug in this module.
            TagError::Other(message) => RequestError::InvalidPayload {
                kind: self.kind.clone(),
                source: serde::de::Error::custom(message),
            },
        })
    }
}

fn empty_object<'a>() -> &'a RawValue {
    // "{}" is valid JSON: this cannot fail.
    serde_json::from_str("{}").unwrap_or_else(|_| unreachable!("{{}} is JSON"))
}

/// The envelope's fields as read in one pass: `id` and `type` as (small) values, the
/// payload raw, and the first field that does not belong.
#[derive(Default)]
struct EnvelopeFields<'a> {
    id: Option<Value>,
    kind: Option<Value>,
    payload: Option<&'a RawValue>,
    bad_field: Option<String>,
}

impl<'de> Deserialize<'de> for EnvelopeFields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = EnvelopeFields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = EnvelopeFields::default();
        while let Some(key) = map.next_key::<String>()? {
            let seen = match key.as_str() {
                "id" => fields.id.replace(map.next_value()?).is_some(),
                "type" => fields.kind.replace(map.next_value()?).is_some(),
                "payload" => fields.payload.replace(map.next_value()?).is_some(),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    fields
                        .bad_field
                        .get_or_insert_with(|| format!("unknown field {key:?}"));
                    continue;
                }
            };
            if seen {
                fields
                    .bad_field
                    .get_or_insert_with(|| format!("field {key:?} appears twice"));
            }
        }
        Ok(fields)
    }
}

/// The `type` and the raw payload, shown to an adjacently tagged enum's `Deserialize` as
/// the map `{"type": kind, "payload": payload}` — tag first, so the enum picks its
/// variant before it reads the payload, and reads it straight from the text.
struct TaggedPayload<'a> {
    kind: &'a str,
    payload: &'a RawValue,
    next: TaggedField,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TaggedField {
    Type,
    Payload,
    Done,
}

impl<'de> MapAccess<'de> for TaggedPayload<'de> {
    type Error = TagError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TagError> {
        let key = match self.next {
            TaggedField::Type => "type",
            TaggedField::Payload => "payload",
            TaggedField::Done => return Ok(None),
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TagError> {
        match self.next {
            TaggedField::Type => {
                self.next = TaggedField::Payload;
                seed.deserialize(BorrowedStrDeserializer::new(self.kind))
            }
            _ => {
                self.next = TaggedField::Done;
                seed.deserialize(self.payload).map_err(TagError::Payload)
            }
        }
    }
}

/// What reading a request from a [`TaggedPayload`] can fail with. Its own type, so that
/// an unknown `type` is recognised by the hook serde calls for it
/// ([`serde::de::Error::unknown_variant`]), not by the wording of a message.
#[derive(Debug)]
enum TagError {
    /// The enum has no variant for this `type`; these are the ones it has.
    UnknownType { expected: &'static [&'static str] },
    /// The payload does not fit the variant.
    Payload(serde_json::Error),
    /// Anything else serde reports.
    Other(String),
}

impl serde::de::Error for TagError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TagError::Other(msg.to_string())
    }

    fn unknown_variant(_variant: &str, expected: &'static [&'static str]) -> Self {
        TagError::UnknownType { expected }
    }
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagError::UnknownType { expected } => {
                write!(f, "unknown type, expected one of {}", expected.join(", "))
            }
            TagError::Payload(e) => e.fmt(f),
            TagError::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for TagError {}
// ANCHOR_END: parse_request

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(Option<String>, ClientRequest), Rejected> {
        let envelope = RequestEnvelope::parse(text)?;
        let id = envelope.id.clone();
        envelope
            .request()
            .map(|request| (id.clone(), request))
            .map_err(|error| Rejected { id, error })
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
            assert_eq!(rejected.error.code(), code, "{text}");
            assert_eq!(rejected.id.as_deref(), id, "{text}");
            assert!(!rejected.error.to_string().is_empty());
        }
    }

    #[test]
    fn an_unknown_type_names_the_types_it_could_have_been_and_keeps_the_id() {
        let rejected = parse(r#"{"id":"z","type":"dance","payload":{}}"#).unwrap_err();
        assert_eq!(rejected.id.as_deref(), Some("z"));
        let RequestError::UnknownType { kind, expected } = &rejected.error else {
            panic!("{:?}", rejected.error)
        };
        assert_eq!(kind, "dance");
        assert_eq!(expected, &["subscribe", "unsubscribe", "publish", "ping"]);
        let duplicate = parse(r#"{"type":"ping","type":"ping"}"#).unwrap_err();
        assert_eq!(duplicate.error.code(), ErrorCode::InvalidEnvelope);
    }

    // ANCHOR: parse_once_test
    /// A payload that counts how many times it is built.
    #[derive(Debug)]
    struct Counted;
    static BUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    impl<'de> Deserialize<'de> for Counted {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            BUILT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            IgnoredAny::deserialize(d).map(|_| Counted)
        }
    }
    #[derive(Debug, Deserialize)]
    #[serde(tag = "type", content = "payload", rename_all = "snake_case")]
    enum Extension {
        Count(Counted),
    }

    #[test]
    fn a_payload_is_built_once_by_the_one_enum_that_knows_its_type() {
        let envelope =
            RequestEnvelope::parse(r#"{"type":"count","payload":{"n":[1,2,3]}}"#).unwrap();
        // Phase 3's requests do not know `count`: refused by the tag, payload untouched.
        assert!(matches!(
            envelope.request::<ClientRequest>(),
            Err(RequestError::UnknownType { .. })
        ));
        assert!(matches!(
            envelope.request::<Extension>(),
            Ok(Extension::Count(Counted))
        ));
        assert_eq!(BUILT.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
    // ANCHOR_END: parse_once_test

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
