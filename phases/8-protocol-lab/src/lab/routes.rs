//! The lab receiver's HTTP routes (the table is in [`super`]).

use std::{sync::Arc, time::Duration};

use http::{HeaderMap, Request, Response, StatusCode};
use hyper::body::Incoming;
use phase_1_foundations::{
    app::LocalAddr,
    body::{self, read_to_limit, Body, BodyDeadline, ReadBodyError},
    json::json_response,
    ApiError, Params,
};
use phase_2_sse::{
    routes::stream_headers,
    stream::{event_stream, StreamOptions, StreamStop},
};
use serde::Deserialize;
use tokio::time::Instant;

use super::{FollowError, LabDelivery, LabReceivers, MAX_DELIVERY_BYTES, MAX_LISTENERS};
use crate::webhooks::{
    signature::{self, DELIVERY_HEADER, SIGNATURE_HEADER},
    Webhooks,
};

/// How long a delivery's body may take when the request did not come through the server
/// (which sets its own deadline).
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Silence after which a receiver's stream sends a keep-alive comment.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// The `retry:` hint of a receiver's stream, in milliseconds.
const RETRY_MS: u64 = 1_000;

/// What the receiver's routes share.
pub struct LabState {
    /// The receivers.
    pub receivers: Arc<LabReceivers>,
    /// The hooks, whose secrets deliveries are checked with.
    pub webhooks: Arc<Webhooks>,
    /// How a receiver's streams end when the server stops.
    pub stop: StreamStop,
}

/// The fields of a delivery's body the receiver checks against its headers.
#[derive(Deserialize)]
struct Payload {
    id: String,
    board: String,
    seq: u64,
    event: String,
}

fn no_such_receiver(id: &str) -> ApiError {
    // RFC 9110 §15.5.11: 410 Gone — and a webhook whose receiver answers 410 is disabled.
    ApiError::new(
        StatusCode::GONE,
        "no_such_receiver",
        format!(
            "no lab receiver {:?}: it was deleted, or evicted by newer ones, or never made \
             (POST /lab/receivers makes one)",
            id.chars().take(64).collect::<String>()
        ),
    )
}

fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// `POST /lab/receivers`: a receiver at the address this request reached the server on.
pub fn create(state: &LabState, req: &Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let Some(LocalAddr(local)) = req.extensions().get::<LocalAddr>().copied() else {
        return Err(ApiError::internal(
            "the request carries no local address to build the receiver's URL from",
        ));
    };
    let made = state.receivers.create(local).map_err(ApiError::internal)?;
    Ok(json_response(StatusCode::CREATED, &made))
}

/// `DELETE /lab/receivers/:id`.
pub fn delete(state: &LabState, params: &Params) -> Result<Response<Body>, ApiError> {
    let id = params.require("id")?;
    if !state.receivers.delete(id) {
        return Err(no_such_receiver(id));
    }
    let mut res = Response::new(body::empty());
    *res.status_mut() = StatusCode::NO_CONTENT;
    Ok(res)
}

/// The bytes of the request's head as it arrived on an HTTP/1.1 connection: the request
/// line, each `name: value` line, the empty line.
fn head_bytes(req: &Request<Incoming>) -> usize {
    let target = req.uri().path_and_query().map_or(1, |p| p.as_str().len());
    let line = req.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    line + headers + 2
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            unauthorized(
                "missing_signature",
                format!(
                    "the delivery has no {name} header: it did not come from a Liveboard webhook"
                ),
            )
        })
}

// ANCHOR: lab_receive
/// `POST /lab/receivers/:id`: checks a delivery as any receiver must — the hook's
/// signature over the raw body, within the tolerance — then records it.
pub async fn receive(
    state: &LabState,
    req: Request<Incoming>,
    params: Params,
) -> Result<Response<Body>, ApiError> {
    let id = params.require("id")?.to_owned();
    let Some(own_url) = state.receivers.url_of(&id) else {
        return Err(no_such_receiver(&id));
    };
    let head = head_bytes(&req);
    let signed = header_text(req.headers(), SIGNATURE_HEADER)?.to_owned();
    let delivery_id = header_text(req.headers(), DELIVERY_HEADER)?.to_owned();
    // `<board>-<seq>-<hook id>`: a board name may hold `-`, a hook id never does.
    let mut parts = delivery_id.rsplitn(3, '-');
    let (Some(hook_id), Some(_seq), Some(board)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(unauthorized(
            "unknown_webhook",
            "Liveboard-Delivery is not <board>-<seq>-<hook id>",
        ));
    };
    let (board, hook_id) = (board.to_owned(), hook_id.to_owned());
    let deadline = req
        .extensions()
        .get::<BodyDeadline>()
        .map_or_else(|| Instant::now() + BODY_TIMEOUT, |d| d.0);
    let raw = match read_to_limit(req.into_body(), MAX_DELIVERY_BYTES, deadline).await {
        Ok(raw) => raw,
        Err(ReadBodyError::TooLarge(limit)) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("a lab receiver takes deliveries of at most {limit} bytes"),
            ))
        }
        Err(ReadBodyError::TimedOut) => {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the delivery's body did not arrive in time",
            ))
        }
        Err(ReadBodyError::Failed(e)) => {
            return Err(ApiError::bad_request(
                "body_read_failed",
                format!("could not read the delivery's body: {e}"),
            ))
        }
    };
    let (b, h) = (board.clone(), hook_id.clone());
    let hook = state
        .webhooks
        .hooks
        .run(move |s| s.get(&b, &h))
        .await
        .map_err(ApiError::internal)?
        // Only a hook that targets this very receiver may deliver to it.
        .filter(|hook| hook.url == own_url)
        .ok_or_else(|| {
            unauthorized(
                "unknown_webhook",
                format!("board {board} has no webhook {hook_id:?} targeting this receiver"),
            )
        })?;
    // The signature over the raw bytes, before parsing them: one code path with any receiver.
    signature::verify(&hook.secret, &signed, &raw, signature::unix_now())
        .map_err(|e| unauthorized("bad_signature", e.to_string()))?;
    let payload: Payload = serde_json::from_slice(&raw).map_err(|e| {
        ApiError::bad_request(
            "bad_payload",
            format!("the signed body is not a delivery: {e}"),
        )
    })?;
    if payload.id != delivery_id || payload.board != hook.board {
        return Err(ApiError::bad_request(
            "bad_payload",
            "the body's id and board differ from the Liveboard-Delivery header",
        ));
    }
    let recorded = LabDelivery {
        n: 0,
        delivery_id,
        hook_id: hook.id,
        board: payload.board,
        seq: payload.seq,
        event: payload.event,
        duplicate: false,
        body_bytes: u32::try_from(raw.len()).unwrap_or(u32::MAX),
        head_bytes: u32::try_from(head).unwrap_or(u32::MAX),
        received_at_ms: crate::webhooks::worker::now_ms(),
    };
    if state.receivers.record(&id, recorded).is_none() {
        return Err(no_such_receiver(&id));
    }
    let mut res = Response::new(body::empty());
    *res.status_mut() = StatusCode::NO_CONTENT;
    Ok(res)
}
// ANCHOR_END: lab_receive

/// `GET /lab/receivers/:id/events`: the deliveries recorded after `Last-Event-ID` (all of
/// them without one), then each new one, on phase 2's event stream.
pub fn events(
    state: &LabState,
    req: &Request<Incoming>,
    params: &Params,
) -> Result<Response<Body>, ApiError> {
    let id = params.require("id")?;
    let after = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let (queue, guard) = state.receivers.follow(id, after).map_err(|e| match e {
        FollowError::NoSuchReceiver => no_such_receiver(id),
        FollowError::TooManyListeners => ApiError::new(
            StatusCode::CONFLICT,
            "too_many_listeners",
            format!("a lab receiver has at most {MAX_LISTENERS} streams: close one first"),
        ),
    })?;
    let opts = StreamOptions {
        keepalive: KEEPALIVE,
        retry_ms: Some(RETRY_MS),
        stop: state.stop.clone(),
    };
    Ok(stream_headers(event_stream(queue, opts, guard)))
}
