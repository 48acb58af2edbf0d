//! Holding a request until the board changes: a hub subscription used as a doorbell.
//!
//! A long poll must wake when the board's log grows, and only then: no timer that
//! re-reads the log every 100 ms (a busy loop that costs a store read per held request
//! per tick, and still answers up to a tick late). The hub already knows the moment: every
//! event the log commits is published into the board's room ([`Hub::publish_at`], through
//! phase 4's publisher) — the same fan-out that feeds SSE streams and WebSockets. So a
//! held request joins the room like any subscriber, with a queue of its own, and sleeps
//! until something is pushed into it.
//!
//! It does not take the events from the queue, though: the log is the truth, and the
//! answer is read from it ([`crate::poll`]). The doorbell's [`WireFormat`] encodes a
//! numbered event as one byte and an ephemeral one (presence) as nothing, so a presence
//! change does not make a held request read the log; a tiny queue is enough, and a
//! subscription cut for lagging (or sent back to the log after a gap, see
//! [`Hub::publish_at`]) is just one more reason to read the log.
//!
//! [`Hub::publish_at`]: phase_2_sse::hub::Hub::publish_at

use std::sync::Arc;

use bytes::Bytes;
use phase_2_sse::{
    hub::{Hub, Message, Subscription, WireFormat},
    queue::Encoded,
};

/// A doorbell's queue budget, in bytes: one byte per numbered event, so a request woken
/// by a burst of events is cut only after 4 096 of them — which only makes it read the log.
const DOORBELL_QUEUE_BYTES: usize = 4_096;

/// How a doorbell encodes the room's messages: a byte for an event of the log, nothing
/// for an ephemeral one.
struct DoorbellFormat;

impl WireFormat for DoorbellFormat {
    fn name(&self) -> &'static str {
        "poll-doorbell"
    }

    fn encode(&self, msg: &Message) -> Encoded {
        match msg.position {
            Some(_) => Encoded::from(Bytes::from_static(b"n")),
            None => Encoded::new(std::iter::empty()),
        }
    }
}

/// Why a doorbell stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ring {
    /// An event was published on the board: read the log.
    Event,
    /// The hub cut the subscription (it lagged, or the room was sent back to the log):
    /// read the log, and ring on a fresh subscription if there is still nothing new.
    Cut,
}

/// A subscription to a board's room that only says "something was published".
pub struct Doorbell {
    subscription: Subscription,
    batch: Vec<Bytes>,
}

impl Doorbell {
    /// Joins `board`'s room on `hub`, and takes the `ready` every subscription starts
    /// with (queued before `subscribe` returns, so this does not wait).
    pub async fn hang(hub: &Arc<Hub>, board: &str) -> Self {
        let (subscription, _fresh) =
            hub.subscribe(board, Arc::new(DoorbellFormat), None, DOORBELL_QUEUE_BYTES);
        let mut bell = Self {
            subscription,
            batch: Vec::new(),
        };
        let _ready = bell.subscription.queue().next_batch(&mut bell.batch).await;
        bell
    }

    /// Waits until an event of the log is published on the board, or the subscription is cut.
    pub async fn rung(&mut self) -> Ring {
        loop {
            self.batch.clear();
            match self.subscription.queue().next_batch(&mut self.batch).await {
                // Only ephemeral messages (presence): the log did not change.
                Ok(_) if self.batch.is_empty() => continue,
                Ok(_) => return Ring::Event,
                Err(_) => return Ring::Cut,
            }
        }
    }
}
