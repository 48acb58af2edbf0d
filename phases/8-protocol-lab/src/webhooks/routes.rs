//! The webhooks' HTTP API: register, list, remove, and read a hook's delivery log.
//! (The table of requests and answers is in [`super`].)

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use phase_1_foundations::{
    body::{self, Body},
    json::{json_response, read_json},
    ApiError, Params,
};
use phase_2_sse::{access::BoardAction, board_name::BoardName};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{
    signature::new_secret,
    store::{Delivery, Hook},
    target,
    worker::delivery_id,
    Webhooks, KNOWN_EVENTS,
};

/// Most bytes a registration's body may have.
const MAX_BODY_BYTES: usize = 8 * 1024;
/// Most event names one hook may list.
const MAX_EVENTS: usize = KNOWN_EVENTS.len() + 1;
/// Deliveries a log request answers.
const LISTED_DELIVERIES: u64 = 100;

/// `POST /boards/:board/webhooks`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Register {
    url: String,
    events: Vec<String>,
}

/// A hook as listed (never its secret, but in the answer to its registration).
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "Webhook")]
pub(crate) struct Listed<'a> {
    id: &'a str,
    board: &'a str,
    url: &'a str,
    events: Vec<&'a str>,
    /// `enabled` or `disabled`.
    #[ts(type = "\"enabled\" | \"disabled\"")]
    status: &'static str,
    /// Why it is disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    disabled_reason: Option<&'a str>,
    consecutive_failures: u32,
    /// The last sequence number delivered or skipped.
    #[ts(type = "number")]
    cursor: u64,
    #[ts(type = "number")]
    created_at_ms: u64,
    /// Only in the answer to the registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    secret: Option<&'a str>,
}

/// `GET /boards/:board/webhooks`'s answer.
#[derive(Serialize, TS)]
pub(crate) struct WebhookList<'a> {
    board: &'a str,
    webhooks: Vec<Listed<'a>>,
}

/// `GET /boards/:board/webhooks/:id/deliveries`'s answer: the hook, and its delivery log,
/// newest first.
#[derive(Serialize, TS)]
pub(crate) struct DeliveryLog<'a> {
    webhook: Listed<'a>,
    deliveries: Vec<ListedDelivery<'a>>,
}

impl<'a> Listed<'a> {
    fn of(hook: &'a Hook) -> Self {
        Self {
            id: &hook.id,
            board: &hook.board,
            url: &hook.url,
            events: hook.events.iter().map(String::as_str).collect(),
            status: if hook.disabled_reason.is_some() {
                "disabled"
            } else {
                "enabled"
            },
            disabled_reason: hook.disabled_reason.as_deref(),
            consecutive_failures: hook.failures,
            cursor: hook.cursor,
            created_at_ms: hook.created_at_ms,
            secret: None,
        }
    }
}

/// One row of the delivery log: an event, as its latest attempt left it.
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListedDelivery<'a> {
    /// `<board>-<seq>-<hook id>`, as sent in `Liveboard-Delivery`.
    id: String,
    #[ts(type = "number")]
    seq: u64,
    event: &'a str,
    /// `delivered`, `retrying` (this attempt failed; another follows) or `failed` (the
    /// hook was disabled).
    #[ts(type = "\"delivered\" | \"retrying\" | \"failed\"")]
    outcome: &'a str,
    /// The receiver's status code, if it answered.
    status_code: Option<u16>,
    /// Why there was no answer.
    error: Option<&'a str>,
    attempts: u32,
    /// How long the attempt took, in milliseconds.
    #[ts(type = "number")]
    latency_ms: u64,
    /// When it was made, Unix milliseconds.
    #[ts(type = "number")]
    at_ms: u64,
}

/// Checks the board name and that the request may manage its hooks (write the board).
fn admit(hooks: &Webhooks, req: &Request<Incoming>, params: &Params) -> Result<String, ApiError> {
    let board = BoardName::parse(params.require("board")?)?;
    hooks
        .access
        .admit(req.headers(), board.as_str(), BoardAction::Write)?;
    Ok(board.as_str().to_owned())
}

fn check_events(events: &[String]) -> Result<(), ApiError> {
    let known = || format!("one of {}, or \"*\" for all", KNOWN_EVENTS.join(", "));
    if events.is_empty() || events.len() > MAX_EVENTS {
        return Err(ApiError::bad_request(
            "bad_events",
            format!(
                "events must list 1 to {MAX_EVENTS} event names: {}",
                known()
            ),
        ));
    }
    if let Some(bad) = events
        .iter()
        .find(|e| *e != "*" && !KNOWN_EVENTS.contains(&e.as_str()))
    {
        return Err(ApiError::bad_request(
            "bad_events",
            format!(
                "{:?} is not an event of a board: {}",
                bad.chars().take(64).collect::<String>(),
                known()
            ),
        ));
    }
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

fn no_such(board: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_webhook",
        format!(
            "board {board} has no webhook {:?}: list them with GET /boards/{board}/webhooks",
            id.chars().take(64).collect::<String>()
        ),
    )
}

// ANCHOR: register_webhook
/// `POST /boards/:board/webhooks`: validates the URL and events, stores the hook with its
/// cursor at the board's head (it delivers what happens from now on) and starts its worker.
pub async fn register(
    hooks: &Arc<Webhooks>,
    req: Request<Incoming>,
    params: Params,
) -> Result<Response<Body>, ApiError> {
    let board = admit(hooks, &req, &params)?;
    let wanted: Register = read_json(req, MAX_BODY_BYTES).await?;
    check_events(&wanted.events)?;
    // The server's own lab receiver is the one private target allowed without the flag.
    let own = target::parse(&wanted.url).is_ok_and(|url| hooks.may_target_private(&url));
    let url = target::validate(&wanted.url, own)
        .await
        .map_err(|e| e.to_api_error())?;
    let cap = hooks.config.webhooks.max_per_board;
    let on_board = board.clone();
    if hooks
        .hooks
        .run(move |s| s.count_on_board(&on_board))
        .await
        .map_err(internal)?
        >= cap
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_many_webhooks",
            format!("board {board} has as many webhooks as it may: delete one first"),
        )
        .with_detail(format!("--webhook-max-per-board is {cap}")));
    }
    let head = hooks.store.head(&board).await.map_err(internal)?;
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).map_err(internal)?;
    let hook = Hook {
        id: format!("wh_{}", phase_1_foundations::signed::hex(&id)),
        board,
        url: url.to_string(),
        events: wanted.events,
        secret: new_secret().map_err(internal)?,
        cursor: head,
        failures: 0,
        disabled_reason: None,
        created_at_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    };
    let stored = hook.clone();
    hooks
        .hooks
        .run(move |s| s.insert(&stored))
        .await
        .map_err(internal)?;
    hooks.start(hook.clone());
    let mut shown = Listed::of(&hook);
    // The only time the secret leaves the server: the receiver's owner stores it now.
    shown.secret = Some(&hook.secret);
    Ok(json_response(StatusCode::CREATED, &shown))
}
// ANCHOR_END: register_webhook

/// `GET /boards/:board/webhooks`.
pub async fn list(
    hooks: &Arc<Webhooks>,
    req: Request<Incoming>,
    params: Params,
) -> Result<Response<Body>, ApiError> {
    let board = admit(hooks, &req, &params)?;
    let on_board = board.clone();
    let all = hooks
        .hooks
        .run(move |s| s.on_board(&on_board))
        .await
        .map_err(internal)?;
    let listed: Vec<Listed<'_>> = all.iter().map(Listed::of).collect();
    Ok(json_response(
        StatusCode::OK,
        &WebhookList {
            board: &board,
            webhooks: listed,
        },
    ))
}

/// `DELETE /boards/:board/webhooks/:id`.
pub async fn delete(
    hooks: &Arc<Webhooks>,
    req: Request<Incoming>,
    params: Params,
) -> Result<Response<Body>, ApiError> {
    let board = admit(hooks, &req, &params)?;
    let id = params.require("id")?.to_owned();
    let (b, i) = (board.clone(), id.clone());
    if !hooks
        .hooks
        .run(move |s| s.delete(&b, &i))
        .await
        .map_err(internal)?
    {
        return Err(no_such(&board, &id));
    }
    hooks.stop_worker(&id);
    let mut res = Response::new(body::empty());
    *res.status_mut() = StatusCode::NO_CONTENT;
    Ok(res)
}

/// `GET /boards/:board/webhooks/:id/deliveries`.
pub async fn deliveries(
    hooks: &Arc<Webhooks>,
    req: Request<Incoming>,
    params: Params,
) -> Result<Response<Body>, ApiError> {
    let board = admit(hooks, &req, &params)?;
    let id = params.require("id")?.to_owned();
    let (b, i) = (board.clone(), id.clone());
    let found: Option<(Hook, Vec<Delivery>)> = hooks
        .hooks
        .run(move |s| match s.get(&b, &i)? {
            Some(hook) => Ok(Some((hook, s.deliveries(&i, LISTED_DELIVERIES)?))),
            None => Ok(None),
        })
        .await
        .map_err(internal)?;
    let Some((hook, log)) = found else {
        return Err(no_such(&board, &id));
    };
    let listed: Vec<ListedDelivery<'_>> = log
        .iter()
        .map(|d| ListedDelivery {
            id: delivery_id(&hook.board, d.seq, &hook.id),
            seq: d.seq,
            event: &d.event,
            outcome: &d.outcome,
            status_code: d.status_code,
            error: d.error.as_deref(),
            attempts: d.attempts,
            latency_ms: d.latency_ms,
            at_ms: d.at_ms,
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &DeliveryLog {
            webhook: Listed::of(&hook),
            deliveries: listed,
        },
    ))
}
