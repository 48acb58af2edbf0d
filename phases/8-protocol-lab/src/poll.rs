//! `GET /boards/:board/poll?after=&wait_ms=`: a board's event log over plain HTTP.
//!
//! | request | answer |
//! |---|---|
//! | `?after=k3x9q1-41` | `200` `{board, epoch, head, events: [{seq, event, data}], next, more}` at once, with `ETag: "k3x9q1-<head>"`, `Cache-Control: no-cache` |
//! | … with `If-None-Match` equal to the current tag | `304`, no body (only the head was read) |
//! | `?after=…&wait_ms=20000`, nothing new | held until the board publishes (then `200` with the events) or the wait passes (then the same answer as a short poll: `200` with no events, or `304`) |
//! | a position from another epoch, or ahead of the log | `410 reset`: reload the board (`GET /boards/:board`) and poll from its `position` |
//! | a long poll past `--poll-max-held` | `503 too_many_held_polls` with `Retry-After` |
//! | held when the server stops | `200` with no events, the same `next`, `retryAfterMs` and `Retry-After` |
//! | a private board without the session cookie | `403 forbidden` (the SSE stream's rules) |
//! | `after=abc`, `wait_ms=soon` | `400 bad_cursor`, `400 bad_wait` |
//!
//! ## Short polling and long polling
//!
//! **Short polling** is the simplest real-time there is: ask every few seconds. Each
//! question is an ordinary request any proxy, cache and `curl` understands; the price is
//! latency (up to one interval) and requests that mostly say "nothing new" — which the
//! entity tag makes cheap ([`crate::etag`]: `304`, no body, one read of the head).
//!
//! **Long polling** asks the same question but lets the server sit on it: "answer when
//! there is something after 41, or in 20 s". An event reaches the client one round trip
//! after it happens, as with a stream, through anything that speaks HTTP/1.1. The price is
//! a **held request**: a connection, a task, a hub subscription and a slot of
//! `--poll-max-held`, per waiting client, for up to `--poll-max-wait-ms`. That is why held
//! requests are counted and capped (`503` past the cap, with the phase 1 vocabulary:
//! `Retry-After`), why the wait is capped under what proxies tolerate, and why, when the
//! server stops, every held request is answered at once — empty, with a retry hint —
//! instead of making the drain wait out its deadline.
//!
//! Either way the client loops on `next` ([`crate::cursor`]), so nothing is missed between
//! two polls: an event published while no request was open is simply in the log the next
//! request reads.
//!
//! ## Subscribe first, then read
//!
//! A long poll that finds nothing new must wait for the *next* event, and the order of
//! the two steps decides whether it can miss one:
//!
//! ```text
//!  read, then subscribe (wrong)            subscribe, then read (right)
//!  read head = 41                          subscribe to the room
//!                  ◀── event 42 published  read head = 41 ◀── event 42 published: rings
//!  subscribe (42 is gone by)               wait: rings at once → read 42 → answer
//!  wait… until the timeout
//! ```
//!
//! The writer publishes an event only after its commit. So once subscribed, every event
//! is either committed before the read (and the read sees it) or published after the
//! subscription (and rings the bell) — there is no third place for it to hide. The
//! doorbell ([`crate::wake`]) only says *that* something happened; what happened is
//! always read from the log, never under a lock: the store's reads are async
//! ([`BoardStore`]).

use std::{sync::Arc, time::Duration};

use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use phase_1_foundations::{
    body::{self, Body},
    json::json_response,
    ApiError, Params, RetryAdvice, ShutdownAdvice,
};
use phase_2_sse::{
    access::{BoardAction, SharedAccess},
    board_name::BoardName,
    position::StreamPosition,
    Hub,
};
use phase_4_board::store::BoardStore;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::{
    config::ProtocolLabConfig,
    cursor::PollQuery,
    etag::{log_tag, not_modified, validator_headers},
    wake::{Doorbell, Ring},
};

/// What the poll route shares: the log, the hub's rooms, the access rules, the cap on
/// held requests and the server's shutdown.
pub struct PollState {
    /// The board's log (phase 4's store, or whatever a later phase provided).
    pub store: Arc<dyn BoardStore>,
    /// The hub whose rooms ring the doorbells.
    pub hub: Arc<Hub>,
    /// The rules every way into a board is checked against.
    pub access: SharedAccess,
    /// The limits.
    pub config: ProtocolLabConfig,
    /// One permit per held request (`--poll-max-held`).
    pub held: Arc<Semaphore>,
    /// When a refused long poll should come back.
    pub retry: RetryAdvice,
    /// What to tell a held request at shutdown (phase 5 spreads it); `retry` without one.
    pub shutdown_advice: Option<ShutdownAdvice>,
    /// Cancelled when the server ends its never-ending responses (phase 1's tree).
    pub stop: CancellationToken,
}

impl PollState {
    /// Long polls held right now.
    pub fn held_now(&self) -> usize {
        self.config.max_held - self.held.available_permits()
    }
}

/// The answer to a poll (`200`): what the log holds after the cursor.
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PollAnswer<'a> {
    board: &'a str,
    /// The log's epoch: a cursor from another epoch is answered `410 reset`.
    epoch: &'a str,
    /// The log's last sequence number when the answer was made.
    #[ts(type = "number")]
    head: u64,
    events: Vec<PolledEvent<'a>>,
    /// The cursor for the next poll: the last event's position, or the one asked about.
    next: String,
    /// Whether the log holds more after `next` (this answer was a full page).
    more: bool,
    /// At shutdown only: when to poll again, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    retry_after_ms: Option<u64>,
}

/// One event of the log, its JSON as the log holds it.
#[derive(Serialize, TS)]
pub(crate) struct PolledEvent<'a> {
    #[ts(type = "number")]
    seq: u64,
    /// `note.created`, `note.updated`, `note.moved`, `note.deleted`, `message`.
    event: &'a str,
    /// The event's payload, as the SSE stream and the WebSocket carry it.
    #[ts(type = "unknown")]
    data: &'a RawValue,
}

// ANCHOR: poll
/// Answers one poll: at once, or held until the board publishes, the wait passes or the
/// server stops.
pub async fn poll(
    state: &PollState,
    req: Request<Incoming>,
    params: Params,
) -> Result<Response<Body>, ApiError> {
    let board = BoardName::parse(params.require("board")?)?;
    let query = PollQuery::parse(req.uri().query())?;
    // The event stream's rules: a private board needs the session cookie.
    state
        .access
        .admit(req.headers(), board.as_str(), BoardAction::Follow)?;
    let board = board.as_str();
    let epoch = state.store.epoch();
    let head = read_head(state, board).await?;
    let after = query
        .after
        .resume(epoch, head)
        .map_err(|reason| reset(board, reason))?;
    let wait = Duration::from_millis(query.wait_ms.min(state.config.max_wait_ms));
    if after < head || wait.is_zero() || req.method() == Method::HEAD {
        return answer(state, board, req.headers(), after, head).await;
    }
    // Nothing new, and the client will wait: a held request, counted against the cap.
    let Ok(_held) = state.held.clone().try_acquire_owned() else {
        return Err(state.retry.on_error(
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_held_polls",
                "the server holds as many long polls as it may; retry after the delay \
                 (or poll without wait_ms)",
            )
            .with_detail(format!("--poll-max-held is {}", state.config.max_held)),
        ));
    };
    let deadline = tokio::time::Instant::now() + wait;
    // Subscribe first, then read (see the module's documentation).
    let mut bell = Doorbell::hang(&state.hub, board).await;
    loop {
        let head = read_head(state, board).await?;
        if head > after {
            return answer(state, board, req.headers(), after, head).await;
        }
        tokio::select! {
            biased;
            () = state.stop.cancelled() => return Ok(goodbye(state, board, after, head)),
            () = tokio::time::sleep_until(deadline) => {
                return answer(state, board, req.headers(), after, head).await;
            }
            ring = bell.rung() => {
                if ring == Ring::Cut {
                    bell = Doorbell::hang(&state.hub, board).await;
                }
            }
        }
    }
}
// ANCHOR_END: poll

async fn read_head(state: &PollState, board: &str) -> Result<u64, ApiError> {
    state.store.head(board).await.map_err(ApiError::internal)
}

/// The answer from the log at `head`: `304` if the client's tag matches, else a page of
/// at most `--poll-max-events` events after `after`.
async fn answer(
    state: &PollState,
    board: &str,
    request: &HeaderMap,
    after: u64,
    head: u64,
) -> Result<Response<Body>, ApiError> {
    let epoch = state.store.epoch();
    let tag = log_tag(epoch, head);
    if not_modified(request, &tag) {
        // RFC 9110 §15.4.5: 304 — the client's copy is current; no content is sent.
        let mut res = Response::new(body::empty());
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        validator_headers(res.headers_mut(), &tag);
        return Ok(res);
    }
    let through = head.min(after.saturating_add(state.config.max_events));
    let logged = if through > after {
        state
            .store
            .events(board, after, through)
            .await
            .map_err(ApiError::internal)?
    } else {
        Vec::new()
    };
    let mut events = Vec::with_capacity(logged.len());
    for (expected, e) in (after + 1..).zip(&logged) {
        // A cursor must never step over an event: a page with a hole is the store's bug.
        if e.seq != expected {
            return Err(ApiError::internal(format!(
                "the log of {board} skipped from {} to {}",
                expected - 1,
                e.seq
            )));
        }
        let data = serde_json::from_slice::<&RawValue>(&e.data)
            .map_err(|err| ApiError::internal(format!("event {} of {board}: {err}", e.seq)))?;
        events.push(PolledEvent {
            seq: e.seq,
            event: &e.event,
            data,
        });
    }
    let last = events.last().map_or(after, |e| e.seq);
    let body = PollAnswer {
        board,
        epoch,
        head,
        events,
        next: StreamPosition::new(epoch, last).to_string(),
        more: last < head,
        retry_after_ms: None,
    };
    let mut res = json_response(StatusCode::OK, &body);
    validator_headers(res.headers_mut(), &tag);
    Ok(res)
}

/// `410 reset`: the cursor cannot be resumed; the client reloads the board.
fn reset(board: &str, reason: String) -> ApiError {
    // RFC 9110 §15.5.11: 410 Gone — the history the cursor pointed into is no longer
    // available, and will not be again.
    ApiError::new(
        StatusCode::GONE,
        "reset",
        format!(
            "this cursor cannot be resumed: reload the board (GET /boards/{board}) and poll \
             after the position it gives"
        ),
    )
    .with_detail(reason)
}

/// What a held request is answered when the server stops: nothing new, the same `next`,
/// and when to come back.
fn goodbye(state: &PollState, board: &str, after: u64, head: u64) -> Response<Body> {
    let retry_ms = match &state.shutdown_advice {
        Some(advice) => advice.retry_ms(),
        None => state.retry.next_ms(),
    };
    let epoch = state.store.epoch();
    let body = PollAnswer {
        board,
        epoch,
        head,
        events: Vec::new(),
        next: StreamPosition::new(epoch, after).to_string(),
        more: false,
        retry_after_ms: Some(retry_ms),
    };
    let mut res = json_response(StatusCode::OK, &body);
    // RFC 9110 §10.2.3: Retry-After, in whole seconds, how long to wait before asking again.
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_ms.div_ceil(1_000).max(1)),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
