//! One hook's worker: the log after the cursor, delivered in order, one at a time.
//!
//! ```text
//!  hang a doorbell on the board's room          (subscribe first: see crate::poll)
//!  loop:
//!    read head; while cursor < head:
//!      read a page of events after the cursor
//!      for each: not wanted → skip (cursor past it)
//!                wanted     → attempt … until 2xx (cursor past it, on disk)
//!                                       or disabled (cursor stays: the event is not lost)
//!    wait for the doorbell (or the server stopping, or the hook deleted)
//! ```
//!
//! Each attempt is recorded in the delivery log **in the same transaction** as what it
//! changes (the cursor after a `2xx`, the failure count and a disabling after a failure),
//! so the log, the listing and the outbox never disagree, even across a crash.

use std::{sync::Arc, time::Duration};

use http::header;
use phase_4_board::{events::LoggedEvent, store::StoreError};
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{
    signature::{self, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER},
    store::{Delivery, Hook, Outcome},
    target, Webhooks,
};
use crate::wake::{Doorbell, Ring};

/// Events read from the log at once.
const PAGE: u64 = 100;

/// Whether the worker goes on.
enum Flow {
    Continue,
    Stop,
}

/// The body of a delivery.
#[derive(Serialize)]
struct Payload<'a> {
    id: &'a str,
    board: &'a str,
    seq: u64,
    event: &'a str,
    data: &'a RawValue,
}

/// The id receivers deduplicate by: the same on every attempt of a delivery.
pub fn delivery_id(board: &str, seq: u64, hook_id: &str) -> String {
    format!("{board}-{seq}-{hook_id}")
}

// ANCHOR: webhook_worker
/// Runs `hook`'s worker until the server stops, the hook is deleted or it is disabled.
pub async fn run(hooks: Arc<Webhooks>, mut hook: Hook, cancel: CancellationToken) {
    let mut bell = Doorbell::hang(&hooks.hub, &hook.board).await;
    let mut store_failures = 0;
    loop {
        match deliver_pending(&hooks, &mut hook, &cancel).await {
            Ok(Flow::Stop) => return,
            Ok(Flow::Continue) => store_failures = 0,
            Err(e) => {
                // The store failed (disk, a bug): try again later, as a failed delivery would.
                tracing::warn!(hook = %hook.id, board = %hook.board, error = %e, "webhook worker cannot read or record");
                let delay = hooks
                    .config
                    .webhooks
                    .backoff()
                    .delay_ms(store_failures, fastrand::f64());
                store_failures = store_failures.saturating_add(1);
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_millis(delay)) => continue,
                }
            }
        }
        // Caught up: wait for the board's next event (the bell rings at once if one was
        // published while delivering).
        tokio::select! {
            biased;
            () = cancel.cancelled() => return,
            ring = bell.rung() => {
                if ring == Ring::Cut {
                    bell = Doorbell::hang(&hooks.hub, &hook.board).await;
                }
            }
        }
    }
}
// ANCHOR_END: webhook_worker

/// Delivers everything after the cursor.
async fn deliver_pending(
    hooks: &Arc<Webhooks>,
    hook: &mut Hook,
    cancel: &CancellationToken,
) -> Result<Flow, StoreError> {
    loop {
        let head = hooks.store.head(&hook.board).await?;
        if head <= hook.cursor {
            return Ok(Flow::Continue);
        }
        let through = head.min(hook.cursor.saturating_add(PAGE));
        let events = hooks
            .store
            .events(&hook.board, hook.cursor, through)
            .await?;
        if events.is_empty() {
            return Ok(Flow::Continue);
        }
        let mut skipped = false;
        for event in events {
            if !hook.wants(&event.event) {
                hook.cursor = event.seq;
                skipped = true;
                continue;
            }
            if std::mem::take(&mut skipped) {
                save_cursor(hooks, hook).await?;
            }
            if let Flow::Stop = deliver(hooks, hook, &event, cancel).await? {
                return Ok(Flow::Stop);
            }
            hook.cursor = event.seq;
        }
        if skipped {
            save_cursor(hooks, hook).await?;
        }
    }
}

async fn save_cursor(hooks: &Arc<Webhooks>, hook: &Hook) -> Result<(), StoreError> {
    let (id, cursor) = (hook.id.clone(), hook.cursor);
    hooks.hooks.run(move |s| s.advance(&id, cursor)).await
}

// ANCHOR: webhook_retry
/// Attempts `event` until a `2xx` (then `Continue`), or until the hook is disabled, deleted
/// or the server stops (then `Stop`).
async fn deliver(
    hooks: &Arc<Webhooks>,
    hook: &mut Hook,
    event: &LoggedEvent,
    cancel: &CancellationToken,
) -> Result<Flow, StoreError> {
    let policy = hooks.config.webhooks.backoff();
    let max_attempts = hooks.config.webhooks.max_attempts;
    loop {
        let started = Instant::now();
        let result = tokio::select! {
            () = cancel.cancelled() => return Ok(Flow::Stop),
            result = send(hooks, hook, event) => result,
        };
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let delivered = matches!(result, Ok(status) if (200..300).contains(&status));
        let failures = if delivered { 0 } else { hook.failures + 1 };
        let disable = match result {
            _ if delivered => None,
            // RFC 9110 §15.5.11: 410 Gone — "no longer available … likely permanent".
            Ok(410) => Some("the receiver answered 410 Gone: it wants no more deliveries".to_owned()),
            _ if failures >= max_attempts => Some(format!(
                "{failures} of {max_attempts} attempts failed in a row (--webhook-max-attempts); last: {}",
                describe(&result)
            )),
            _ => None,
        };
        let outcome = match (delivered, &disable) {
            (true, _) => Outcome::Delivered,
            (false, Some(_)) => Outcome::Failed,
            (false, None) => Outcome::Retrying,
        };
        let record = Delivery {
            seq: event.seq,
            event: event.event.clone(),
            outcome: outcome.as_str().to_owned(),
            status_code: result.as_ref().ok().copied(),
            error: result.as_ref().err().cloned(),
            attempts: hook.failures + 1,
            latency_ms,
            at_ms: now_ms(),
        };
        let (snapshot, reason) = (hook.clone(), disable.clone());
        hooks
            .hooks
            .run(move |s| s.record_attempt(&snapshot, &record, failures, reason.as_deref()))
            .await?;
        hook.failures = failures;
        if delivered {
            return Ok(Flow::Continue);
        }
        if let Some(reason) = disable {
            // Once per hook: a disabled hook has no worker, so this cannot repeat.
            tracing::warn!(hook = %hook.id, board = %hook.board, url = %hook.url, %reason, "webhook disabled");
            hooks.stop_worker(&hook.id);
            return Ok(Flow::Stop);
        }
        tracing::debug!(hook = %hook.id, seq = event.seq, failures, result = %describe(&result), "webhook attempt failed");
        // Phase 5's contract: attempt n waits a draw inside a window that doubles per failure.
        let delay = policy.delay_ms(failures - 1, fastrand::f64());
        tokio::select! {
            () = cancel.cancelled() => return Ok(Flow::Stop),
            () = tokio::time::sleep(Duration::from_millis(delay)) => {}
        }
    }
}
// ANCHOR_END: webhook_retry

/// One attempt: the receiver's status code, or why there was none.
async fn send(hooks: &Webhooks, hook: &Hook, event: &LoggedEvent) -> Result<u16, String> {
    let url = target::parse(&hook.url).map_err(|e| e.to_string())?;
    // A name is re-checked by the client's resolver; an IP literal never reaches one.
    target::check_literal(&url, hooks.may_target_private(&url)).map_err(|e| e.to_string())?;
    let id = delivery_id(&hook.board, event.seq, &hook.id);
    let data = serde_json::from_slice::<&RawValue>(&event.data)
        .map_err(|e| format!("event {} is not JSON: {e}", event.seq))?;
    let body = serde_json::to_vec(&Payload {
        id: &id,
        board: &hook.board,
        seq: event.seq,
        event: &event.event,
        data,
    })
    .map_err(|e| e.to_string())?;
    let signed = signature::sign(&hook.secret, signature::unix_now(), &body);
    let response = hooks
        .client()
        .post(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signed)
        .header(DELIVERY_HEADER, &id)
        .header(EVENT_HEADER, &event.event)
        .body(body)
        .send()
        .await
        .map_err(|e| error_chain(&e, hooks.config.webhooks.timeout_ms))?;
    Ok(response.status().as_u16())
}

/// A client error with its causes: "error sending request: … : refused: 127.0.0.1 is …".
fn error_chain(e: &reqwest::Error, timeout_ms: u64) -> String {
    if e.is_timeout() {
        return format!("timed out after {timeout_ms} ms (--webhook-timeout-ms)");
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn describe(result: &Result<u16, String>) -> String {
    match result {
        Ok(status) => format!("HTTP {status}"),
        Err(e) => e.clone(),
    }
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
