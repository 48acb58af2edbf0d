//! Waiting on the boards a connection follows: what every transport does with the
//! [`BoardFeed`]s in its [`SessionContext`](crate::server::session::SessionContext).
//!
//! Three questions, the same whoever frames the bytes:
//!
//! * **Is there something to send?** [`next_from_feeds`] waits for the next batch from
//!   any followed board, and hands over its buffers without copying them.
//! * **Was this connection cut?** A client that falls a whole queue budget behind is cut
//!   by the hub. A transport blocked in a write (the client is not reading: that is why it
//!   fell behind) must not wait for that write to learn it, so [`cut`] resolves the moment
//!   any of the queues is cut, whatever else the transport is doing.
//! * **What does the client hear?** [`close_request_for`] turns the reason a queue was
//!   closed into the Close to send: 1013 and a retry hint for a slow consumer.

use bytes::Bytes;
use phase_2_sse::{
    queue::{CloseCause, SubscriberQueue},
    retry::{with_retry_hint, RetryAdvice},
};

use crate::{
    rfc6455::close::CloseCode, server::registry::CloseRequest, server::session::BoardFeed,
};

// ANCHOR: next_from_feeds
/// Waits until any board's queue has messages (their buffers moved into `out`; returns
/// how many messages) or is closed (returns its cause). With no board joined it never
/// resolves: a transport waits on it beside its socket and direct sends.
///
/// `out` receives the queue's buffers back to back; each message is one buffer when the
/// feeds were made with [`BroadcastFraming::Payload`](crate::server::outgoing::BroadcastFraming::Payload),
/// several (header and payload pieces) with `Frames`.
pub async fn next_from_feeds(
    feeds: &[BoardFeed],
    out: &mut Vec<Bytes>,
) -> Result<usize, CloseCause> {
    match feeds {
        [] => std::future::pending().await,
        // The common case: one board, no allocation.
        [one] => one.queue().next_batch(out).await,
        many => {
            let waits = many.iter().map(|feed| {
                Box::pin(async move {
                    let mut got = Vec::new();
                    let taken = wait_batch(feed.queue(), &mut got).await;
                    (got, taken)
                })
            });
            let ((got, taken), _, _) = futures_util::future::select_all(waits).await;
            out.extend(got);
            taken
        }
    }
}
// ANCHOR_END: next_from_feeds

// ANCHOR: cut
/// Resolves when the hub cuts this connection from any of its boards (a slow consumer);
/// never, with no board joined or for other closes (those wait their turn in the loop).
pub async fn cut(feeds: &[BoardFeed]) {
    let cuts = feeds.iter().map(|feed| {
        Box::pin(async move {
            if feed.queue().closed().await != CloseCause::SlowConsumer {
                std::future::pending::<()>().await;
            }
        })
    });
    if feeds.is_empty() {
        std::future::pending::<()>().await;
    }
    futures_util::future::select_all(cuts).await;
}
// ANCHOR_END: cut

async fn wait_batch(queue: &SubscriberQueue, out: &mut Vec<Bytes>) -> Result<usize, CloseCause> {
    queue.next_batch(out).await
}

/// The Close to send when the hub closed a board's queue: 1013 with a retry hint for a
/// slow consumer, 1001 for a shutdown, 1000 for a board closed otherwise.
pub fn close_request_for(cause: CloseCause, retry: &RetryAdvice) -> CloseRequest {
    let code = match cause {
        // Not the client's fault and not permanent: 1013 says "come back later" (with
        // backoff), and the client resumes from its last position without loss.
        CloseCause::SlowConsumer => CloseCode::TryAgainLater,
        CloseCause::Shutdown => CloseCode::GoingAway,
        CloseCause::Closed => CloseCode::Normal,
    };
    // The slow-consumer reason says what happened to *this* client; for the others the
    // close-code table's reason is the one the client's table explains, so use it.
    // A slow consumer is told when to come back: each one a different time when the
    // server's advice is drawn (phase 5), so a burst of cuts does not return as a herd.
    let reason = match cause {
        CloseCause::SlowConsumer => with_retry_hint(cause.reason(), retry.next_ms()),
        CloseCause::Shutdown | CloseCause::Closed => code.reason().to_owned(),
    };
    CloseRequest {
        code: code.code(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_queue_closes_with_1013_and_a_shutdown_with_1001() {
        let advice = RetryAdvice::fixed(1_234);
        let slow = close_request_for(CloseCause::SlowConsumer, &advice);
        assert_eq!(slow.code, 1013);
        assert!(slow.reason.starts_with("slow consumer"));
        assert_eq!(phase_2_sse::retry::retry_hint(&slow.reason), Some(1_234));
        assert_eq!(close_request_for(CloseCause::Shutdown, &advice).code, 1001);
    }
}
