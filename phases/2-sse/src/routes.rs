//! Phase 2's HTTP routes and the state they share.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /boards/:board/events` | the event stream (`text/event-stream`): replay or reset, then live events, presence, keep-alives |
//! | `GET /boards/:board/presence` | who is on the board now, as JSON (with tab counts) |
//! | `POST /boards/:board/messages` | `{"text"}` → publishes a `message` event (numbered and kept like every event of the board), answers its position |
//! | `GET /stats` | the hub's counters and the open streams |
//!
//! **Where a reconnecting client left off.** The browser sends `Last-Event-ID` on its own
//! automatic reconnections. A page that opens a *new* `EventSource` (after a reset, or on a
//! new board) cannot set headers, so it may put the id in the URL: `?lastEventId=`. When
//! both are present the **header wins**: the URL was built when the page created the
//! `EventSource`, and the browser's header carries the newer id of its last reconnection.
//!
//! **A malformed id is a `400 bad_last_event_id`.** Every id we send parses (its epoch tells
//! a restarted server apart, and a foreign epoch gets a `reset`, not an error), so a value
//! that does not parse was not issued by us: a client bug, reported loudly. `EventSource`
//! treats a non-`200` answer as fatal and stops retrying, which is what a bug deserves;
//! a page that wants to carry on drops the id and connects fresh.

use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use phase_1_foundations::{body, json, ApiError, Params, Router};
use serde::{Deserialize, Serialize};

use crate::{
    access::{BoardAction, SharedAccess},
    board_name::BoardName,
    config::SseConfig,
    hub::{Hub, HubStats, RecordError},
    position::StreamPosition,
    presence::{parse_name, BoardPresence, Person, Presence, PresenceEntry},
    query::Query,
    retry::RetryAdvice,
    slots::StreamSlots,
    sse::SseFormat,
    stream::{event_stream, StreamOptions, StreamStop},
};

/// Everything phase 2's handlers share. Built by [`crate::module::Sse`], which passes it
/// to [`routes`].
pub struct SseState {
    hub: Arc<Hub>,
    presence: Arc<dyn BoardPresence>,
    slots: Arc<StreamSlots>,
    config: SseConfig,
    max_message_body_bytes: usize,
    retry: RetryAdvice,
    stop: StreamStop,
    access: SharedAccess,
}

impl SseState {
    /// State publishing through `hub` (which a later phase may have provided; the hub's
    /// own limits apply to its history). `server_max_body_bytes` is the server's
    /// `--max-body-bytes`, which caps what `POST .../messages` reads; `stop` ends every
    /// stream when the server stops.
    pub fn with_hub(
        hub: Arc<Hub>,
        config: SseConfig,
        server_max_body_bytes: usize,
        stop: StreamStop,
    ) -> Arc<Self> {
        let retry = RetryAdvice::fixed(config.retry_ms);
        Self::with_advice(
            hub.clone(),
            config,
            server_max_body_bytes,
            retry,
            stop,
            SharedAccess::default(),
            Presence::new(hub),
        )
    }

    /// The same, with what later phases provide: the retry advice (phase 5: drawn per
    /// client over a window) instead of the fixed `--sse-retry-ms`, the `access` rules
    /// every stream, presence read and message is checked against (phase 4: owners and
    /// share links; see [`crate::access`]), and `presence` (phase 7: shared by servers).
    pub fn with_advice(
        hub: Arc<Hub>,
        config: SseConfig,
        server_max_body_bytes: usize,
        retry: RetryAdvice,
        stop: StreamStop,
        access: SharedAccess,
        presence: Arc<dyn BoardPresence>,
    ) -> Arc<Self> {
        Arc::new(Self {
            retry,
            presence,
            slots: StreamSlots::new(config.max_streams, config.max_streams_per_board),
            max_message_body_bytes: config.max_message_body_bytes(server_max_body_bytes),
            hub,
            config,
            stop,
            access,
        })
    }

    /// The hub (publish board events through it).
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Presence on every board.
    pub fn presence(&self) -> &Arc<dyn BoardPresence> {
        &self.presence
    }

    /// The configuration.
    pub fn config(&self) -> &SseConfig {
        &self.config
    }

    /// Ends every open stream — what is queued, a last `retry:` if the server has
    /// advice, then `: closed: server shutting down` — as the server's shutdown does
    /// (through the same token), so that the HTTP drain does not wait for never-ending
    /// bodies.
    pub fn close_streams(&self) {
        self.stop.token.cancel();
    }
}

// ANCHOR: routes
/// Phase 2's routes.
pub fn routes(state: Arc<SseState>) -> Router {
    let events = state.clone();
    let presence = state.clone();
    let messages = state.clone();
    Router::new()
        .get("/boards/:board/events", move |req, params| {
            let state = events.clone();
            async move { open_stream(&state, req, params) }
        })
        .get("/boards/:board/presence", move |req, params| {
            let state = presence.clone();
            async move { presence_snapshot(&state, req.headers(), params) }
        })
        .post("/boards/:board/messages", move |req, params| {
            let state = messages.clone();
            async move { post_message(&state, req, params).await }
        })
        .get("/stats", move |_req, _params| {
            let state = state.clone();
            async move { Ok(stats(&state)) }
        })
}
// ANCHOR_END: routes

// ANCHOR: open_stream
fn open_stream(
    state: &Arc<SseState>,
    req: Request<Incoming>,
    params: Params,
) -> Result<Response<body::Body>, ApiError> {
    let board = BoardName::parse(params.require("board")?)?;
    let query = Query::parse(req.uri().query())?;
    let since = last_event_id(req.headers(), &query)?;
    // The server's word on who this is wins over the query's (see [`crate::access`]).
    let person = match state
        .access
        .admit(req.headers(), board.as_str(), BoardAction::Follow)?
    {
        Some(signed_in) => Some(signed_in),
        None => Person::from_query(&query)?,
    };
    if req.method() == Method::HEAD {
        // HEAD is GET without a body: answer the headers, but do not join the board (a
        // HEAD must not make someone appear online and vanish).
        return Ok(stream_headers(Response::new(body::empty())));
    }
    let slot = state
        .slots
        .acquire(board.as_str())
        .map_err(|e| state.retry.on_error(e))?;
    let (membership, resume) = state.presence.connect(
        board.as_str(),
        Arc::new(SseFormat),
        since.as_ref(),
        person,
        state.config.queue_bytes,
    );
    tracing::info!(%board, ?resume, subscriber = membership.subscription().id(), "stream opened");
    let queue = membership.subscription().queue().clone();
    let opts = StreamOptions {
        keepalive: state.config.keepalive(),
        retry_ms: Some(state.retry.next_ms()),
        stop: state.stop.clone(),
    };
    Ok(stream_headers(event_stream(
        queue,
        opts,
        (membership, slot),
    )))
}

/// The headers of an event stream's response (also the answer to a `HEAD`).
pub fn stream_headers(mut res: Response<body::Body>) -> Response<body::Body> {
    let h = res.headers_mut();
    // HTML §9.2: the MIME type that makes a response an event stream (always UTF-8).
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    // Every byte is news: no cache may store it or answer from it.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // nginx buffers proxied responses by default, which would hold events back until a
    // buffer fills; this header turns that off for this response.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    // A stream ends only when its connection closes (the body is delimited by the close,
    // see `event_stream`); a HEAD says the same, so the client knows not to reuse it.
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}
// ANCHOR_END: open_stream

// ANCHOR: last_event_id
/// The position to resume from: the `Last-Event-ID` header, else `?lastEventId=`; empty
/// means none; anything else that is not `<epoch>-<seq>` is a `400`.
pub fn last_event_id(
    headers: &HeaderMap,
    query: &Query,
) -> Result<Option<StreamPosition>, ApiError> {
    let bad = |why: String| ApiError::bad_request("bad_last_event_id", why);
    let from_header = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| bad("the Last-Event-ID header is not ASCII".into()))?,
        ),
        None => None,
    };
    let raw = from_header
        .filter(|s| !s.is_empty())
        .or_else(|| query.get("lastEventId").filter(|s| !s.is_empty()));
    raw.map(|s| s.parse::<StreamPosition>().map_err(|e| bad(e.to_string())))
        .transpose()
}
// ANCHOR_END: last_event_id

#[derive(Serialize)]
struct PresenceReply<'a> {
    board: &'a str,
    people: Vec<PresenceEntry>,
}

fn presence_snapshot(
    state: &SseState,
    headers: &HeaderMap,
    params: Params,
) -> Result<Response<body::Body>, ApiError> {
    let board = BoardName::parse(params.require("board")?)?;
    state
        .access
        .admit(headers, board.as_str(), BoardAction::Read)?;
    Ok(json::json_response(
        StatusCode::OK,
        &PresenceReply {
            board: board.as_str(),
            people: state.presence.snapshot(board.as_str()),
        },
    ))
}

/// The body of `POST /boards/:board/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMessage {
    text: String,
    /// The sender's display name, shown beside the text (optional).
    #[serde(default)]
    name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageEvent<'a> {
    text: &'a str,
    name: Option<&'a str>,
    /// Server time in milliseconds since the Unix epoch.
    sent_at_ms: u64,
}

#[derive(Serialize)]
struct Posted {
    position: String,
    delivered: usize,
}

// ANCHOR: post_message
async fn post_message(
    state: &SseState,
    req: Request<Incoming>,
    params: Params,
) -> Result<Response<body::Body>, ApiError> {
    let board = BoardName::parse(params.require("board")?)?;
    let signed_in = state
        .access
        .admit(req.headers(), board.as_str(), BoardAction::Write)?;
    let msg: NewMessage = json::read_json(req, state.max_message_body_bytes).await?;
    let chars = msg.text.chars().count();
    if msg.text.trim().is_empty() {
        return Err(ApiError::bad_request(
            "empty_text",
            "text must not be empty",
        ));
    }
    if chars > state.config.max_message_chars {
        return Err(ApiError::bad_request(
            "text_too_long",
            format!(
                "text has {chars} characters; the limit is {} (LIVEBOARD_SSE_MAX_MESSAGE_CHARS)",
                state.config.max_message_chars
            ),
        ));
    }
    // Signed in: the message is theirs, whatever name the body gives.
    let name = match signed_in {
        Some(person) => Some(person.name),
        None => msg.name.as_deref().map(parse_name).transpose()?,
    };
    let event = MessageEvent {
        text: &msg.text,
        name: name.as_deref(),
        sent_at_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
    };
    let data = serde_json::to_vec(&event).map_err(ApiError::internal)?;
    // Numbered like every event of the board: by the hub, or by the board's log (phase 4)
    // once it is durable — so each line has its own id and is replayed after a reconnect.
    let published = state
        .hub
        .publish_recorded(board.as_str(), "message", data.into())
        .published()
        .await
        .map_err(|e| record_error(state, e))?;
    let position = published
        .position
        .map(|p| p.to_string())
        .unwrap_or_default();
    Ok(json::json_response(
        StatusCode::OK,
        &Posted {
            position,
            delivered: published.delivered,
        },
    ))
}
// ANCHOR_END: post_message

/// A message the board's history could not take, as an HTTP error.
fn record_error(state: &SseState, error: RecordError) -> ApiError {
    match error {
        RecordError::Unavailable(why) => state.retry.on_error(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("the message was not sent: {why}; send it again in a moment"),
        )),
        RecordError::Refused(why) => ApiError::new(
            StatusCode::CONFLICT,
            "refused",
            format!("the message was not sent: {why}"),
        ),
        RecordError::Failed(why) => ApiError::internal(why),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StreamStats {
    open: usize,
    max: usize,
}

#[derive(Serialize)]
struct Stats {
    hub: HubStats,
    streams: StreamStats,
}

fn stats(state: &SseState) -> Response<body::Body> {
    json::json_response(
        StatusCode::OK,
        &Stats {
            hub: state.hub.stats(),
            streams: StreamStats {
                open: state.slots.open(),
                max: state.slots.max_total(),
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("last-event-id", HeaderValue::from_str(id).unwrap());
        h
    }

    #[test]
    fn the_header_wins_over_the_query_parameter() {
        let q = Query::parse(Some("lastEventId=old-1")).unwrap();
        let got = last_event_id(&headers("new-5"), &q).unwrap().unwrap();
        assert_eq!(got, StreamPosition::new("new", 5));
        let got = last_event_id(&HeaderMap::new(), &q).unwrap().unwrap();
        assert_eq!(got, StreamPosition::new("old", 1));
    }

    #[test]
    fn an_empty_id_means_none_and_a_malformed_one_is_400() {
        let q = Query::parse(Some("lastEventId=")).unwrap();
        assert_eq!(last_event_id(&headers(""), &q).unwrap(), None);
        let err = last_event_id(&headers("garbage"), &Query::default()).unwrap_err();
        assert_eq!(err.code, "bad_last_event_id");
    }
}
