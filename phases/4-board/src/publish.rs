//! Where an accepted change is published: the [`BoardPublisher`] seam.
//!
//! ```text
//!  writer: commit ──▶ publisher.publish(board, event) ──▶ answer
//!                      │
//!                      ├─ LocalPublisher (this phase): Hub::publish_at, this server's hub
//!                      └─ a message bus (phase 7): every server's hub, each calling
//!                         Hub::publish_at with the log's sequence number
//! ```
//!
//! **Why the seam is cut here.** With one server, "publish" means one thing: hand the
//! event to this process's hub, which fans it out to every SSE stream and WebSocket of
//! the board. With two servers behind a load balancer, Ana's WebSocket may be on server A
//! and Bo's on server B, while A's writer commits Ana's change: B's hub must get it too.
//! Everything before this point — the rules, the transaction, the sequence number — is the
//! store's business; everything after it — numbering positions, replay, fan-out, slow
//! consumers — is the hub's. Only the step between them, *who is told*, changes with the
//! number of servers, so that step is a trait and the writer calls nothing else.
//!
//! **Every event of the log leaves through it.** A note change and a chat line are both
//! numbered by the board's log ([`crate::writer`]); both are published here, so a bus
//! that carries one carries the other.
//!
//! ## What an implementation must do
//!
//! - [ ] **Deliver the event to every hub that serves the board, at `event.seq`**, with
//!   [`Hub::publish_at`] — never with [`Hub::publish`], which numbers events itself.
//! - [ ] **Be called after the commit and return before the answer**: the writer calls
//!   it once the event is durable, so a subscriber that sees it can find it in the log,
//!   and answers the client afterwards. Return quickly: the writer waits.
//! - [ ] **Keep each board's events in order where it can, and not worry where it
//!   cannot**: the hub ignores an event at or below a room's position (a duplicate) and
//!   sends a room's subscribers back through a replay from the log when one arrives
//!   after a gap (see [`Hub::publish_at`]). A lost event is a gap the next event reveals.
//! - [ ] **Report what the local hub did** ([`Published`]): a chat line's sender is
//!   answered with it (its position, how many it reached on this server).
//! - [ ] **Never block on a subscriber**: fan-out is the hub's job, bounded per
//!   subscriber by its queue.

use std::sync::Arc;

use phase_2_sse::hub::{Hub, Published};

use crate::events::LoggedEvent;

// ANCHOR: board_publisher
/// Publishes events the board's log has committed. Share as `Arc<dyn BoardPublisher>`.
pub trait BoardPublisher: Send + Sync + 'static {
    /// Delivers `event`, committed at `event.seq` in `board`'s log, to the board's
    /// subscribers — on every server that serves it — and says what this server's hub did.
    fn publish(&self, board: &str, event: &LoggedEvent) -> Published;
}
// ANCHOR_END: board_publisher

/// One server: the event goes to this process's hub, and nowhere else.
pub struct LocalPublisher {
    hub: Arc<Hub>,
}

impl LocalPublisher {
    /// Publishes into `hub`.
    pub fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }
}

impl BoardPublisher for LocalPublisher {
    fn publish(&self, board: &str, event: &LoggedEvent) -> Published {
        // The JSON built in the transaction is the JSON every subscriber gets: the clone
        // shares its bytes.
        self.hub
            .publish_at(board, event.seq, &event.event, event.data.clone())
    }
}

type MakePublisher = dyn Fn(&Arc<Hub>) -> Arc<dyn BoardPublisher> + Send + Sync;

/// How phase 4 gets its publisher: a later module provides one in [`Services`] (pass 1,
/// before phase 4's; see [`crate::app`]), built from the hub phase 4 makes. Without one,
/// the [`LocalPublisher`].
///
/// [`Services`]: phase_1_foundations::Services
#[derive(Clone)]
pub struct PublisherFactory(Arc<MakePublisher>);

impl PublisherFactory {
    /// A factory from `make`, which is handed the server's hub.
    pub fn new(
        make: impl Fn(&Arc<Hub>) -> Arc<dyn BoardPublisher> + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(make))
    }

    /// The publisher for `hub`.
    pub fn make(&self, hub: &Arc<Hub>) -> Arc<dyn BoardPublisher> {
        (self.0)(hub)
    }
}

impl Default for PublisherFactory {
    fn default() -> Self {
        Self::new(|hub| Arc::new(LocalPublisher::new(hub.clone())))
    }
}
