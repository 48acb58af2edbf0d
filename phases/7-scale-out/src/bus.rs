//! The bus: every instance's committed events reach every other instance's hub, in order.
//!
//! ```text
//!  instance A                         NATS                       instance B
//!  writer: commit in Redis (seq 42)
//!   └ BusPublisher.publish ──▶ A's hub (its clients)
//!                          └─▶ outbox ──▶ liveboard.events.demo ──▶ receiver ──▶ B's hub
//!                                         (Liveboard-Seq: 42)        (fills 41 from
//!                                                                     the log if missing)
//! ```
//!
//! **Pub/sub, not a queue.** Every instance subscribes to every board's subject
//! (`<prefix>.events.*`) and receives every event, whether or not one of its clients
//! follows that board: the hub drops an event for a room nobody is in, at the cost of a
//! hash lookup. A subject per board lets NATS route by name; an instance that only
//! subscribed to the boards its clients follow would save the traffic and pay with
//! subscribe/unsubscribe churn as clients come and go — a trade-off the chapter measures
//! against, not one this phase needs.
//!
//! **The store numbers, the bus only carries.** An event's sequence number was given by
//! the shared store when it was committed ([`crate::redis_store`]); the message carries it
//! (`Liveboard-Seq`) and the receiving hub publishes at that number
//! ([`Hub::publish_at`]). Two instances writing one board commit 41 on B and 42 on A, but
//! their messages travel on two connections: C may receive 42 first. So before publishing
//! an event, this module compares it with the room's position ([`Hub::live_position`]):
//! a gap is filled **from the log** — the events between are already committed — and then
//! the event is published. The late 41 then arrives as a duplicate and is ignored. Without
//! the fill, `publish_at` would cut the room's subscribers and send them through a resume:
//! correct, but every reordering would cost a reconnection.
//!
//! **At most once on the wire, exactly once on the screen.** Core NATS delivers a message
//! at most once: one published while the link is down, or dropped for a slow consumer, is
//! gone. Nothing acknowledged is lost with it — the change is in the store — but another
//! instance's room would stay behind until the board's next event reveals the gap. So
//! every instance also **resynchronises**: when its bus link comes back, when NATS reports
//! it slow, and every `--bus-resync-ms`, it compares each room it holds with the store's
//! head and replays what is missing. The writer never waits for the bus: an event that
//! does not fit in the outbox is left to that resynchronisation.
//!
//! **A lost link is retried with phase 5's backoff** ([`crate::link`]): the NATS client
//! reconnects by itself, and asks us how long to wait before each attempt.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use async_nats::{Client, ConnectOptions, Event, HeaderMap};
use bytes::Bytes;
use futures_util::StreamExt;
use phase_2_sse::hub::{Hub, Published};
use phase_4_board::{
    events::LoggedEvent,
    publish::BoardPublisher,
    store::{BoardStore, LogReader},
};
use phase_5_hardening::backoff::BackoffPolicy;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::link::{redact, retry_delay, Link};

/// Events waiting for the bus; past this the writer drops the message (never waits) and
/// the resynchronisation delivers the event instead.
pub const OUTBOX_CAPACITY: usize = 8_192;

/// Most events filled from the log before one event. A room further behind is cut
/// instead: its subscribers resume (a replay, or a `reset`) — bounded work per message.
pub const MAX_FILL: u64 = 1_000;

/// The headers of a bus message; its payload is the event's data, as logged.
const INSTANCE: &str = "Liveboard-Instance";
const EPOCH: &str = "Liveboard-Epoch";
const SEQ: &str = "Liveboard-Seq";
const EVENT: &str = "Liveboard-Event";

// ANCHOR: bus_message
/// One board event on the bus: the subject names the board, the headers say who
/// committed it, in which history, at which number, and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct BusEvent {
    /// The instance that committed it.
    pub instance: String,
    /// The store's epoch: an instance wired to another store must not mix its numbers in.
    pub epoch: String,
    /// The board.
    pub board: String,
    /// The event, at its sequence number.
    pub event: LoggedEvent,
}
// ANCHOR_END: bus_message

/// Why a bus message was not a board event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadMessage {
    /// The subject is not `<prefix>.events.<board>`.
    #[error("subject {0:?} names no board")]
    Subject(String),
    /// A header is missing or not valid.
    #[error("header {0} is missing or invalid")]
    Header(&'static str),
}

impl BusEvent {
    /// The subject for `board`'s events.
    pub fn subject(prefix: &str, board: &str) -> String {
        format!("{prefix}.events.{board}")
    }

    /// The headers of this event.
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(INSTANCE, self.instance.as_str());
        headers.insert(EPOCH, self.epoch.as_str());
        headers.insert(SEQ, self.event.seq.to_string().as_str());
        headers.insert(EVENT, self.event.event.as_str());
        headers
    }

    /// Reads a message received on `subject`; anything malformed is refused, never
    /// guessed at (another program may publish on the bus).
    pub fn parse(
        prefix: &str,
        subject: &str,
        headers: Option<&HeaderMap>,
        data: Bytes,
    ) -> Result<Self, BadMessage> {
        // EXERCISE(ch7-parse-bus-event): a bus message back into a board event, or why not
        let board = subject
            .strip_prefix(prefix)
            .and_then(|s| s.strip_prefix(".events."))
            .filter(|b| phase_2_sse::board_name::BoardName::parse(b).is_ok())
            .ok_or_else(|| BadMessage::Subject(subject.to_owned()))?;
        let header = |name: &'static str| {
            headers
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or(BadMessage::Header(name))
        };
        let seq = header(SEQ)?
            .parse::<u64>()
            .ok()
            .filter(|s| *s > 0)
            .ok_or(BadMessage::Header(SEQ))?;
        Ok(Self {
            instance: header(INSTANCE)?,
            epoch: header(EPOCH)?,
            board: board.to_owned(),
            event: LoggedEvent {
                seq,
                event: header(EVENT)?,
                data,
            },
        })
        // EXERCISE_END(ch7-parse-bus-event)
    }
}

// ANCHOR: in_order
/// The numbers missing between `board`'s room and `seq`, as `(after, through)`: `None`
/// if the room is not in memory, or `seq` is next, old, or too far ahead to fill.
fn gap(hub: &Hub, board: &str, seq: u64) -> Option<(u64, u64)> {
    // EXERCISE(ch7-gap): which numbers are missing before this event, if any
    let at = hub.live_position(board)?;
    (seq > at + 1 && seq - 1 - at <= MAX_FILL).then_some((at, seq - 1))
    // EXERCISE_END(ch7-gap)
}

/// Publishes `missing` (read from the log), then `event`, at their numbers.
fn publish_in_order(
    hub: &Hub,
    board: &str,
    missing: Vec<LoggedEvent>,
    event: &LoggedEvent,
) -> Published {
    for filled in missing {
        hub.publish_at(board, filled.seq, &filled.event, filled.data);
    }
    hub.publish_at(board, event.seq, &event.event, event.data.clone())
}
// ANCHOR_END: in_order

/// Delivers `event` to this instance's hub, after whatever it is missing, read from the
/// log through the hub's own synchronous reader (the writer's thread may block).
fn deliver_blocking(hub: &Hub, log: &dyn LogReader, board: &str, event: &LoggedEvent) -> Published {
    let missing = match gap(hub, board, event.seq) {
        Some((after, through)) => log.events(board, after, through).unwrap_or_else(|e| {
            // publish_at then sees the gap and sends the room through a resume.
            tracing::warn!(board, error = %e, "cannot fill a gap from the log");
            Vec::new()
        }),
        None => Vec::new(),
    };
    publish_in_order(hub, board, missing, event)
}

/// The same, reading the log asynchronously (the receiver's task must not block).
async fn deliver(hub: &Hub, store: &dyn BoardStore, board: &str, event: &LoggedEvent) {
    let missing = match gap(hub, board, event.seq) {
        Some((after, through)) => store
            .events(board, after, through)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(board, error = %e, "cannot fill a gap from the log");
                Vec::new()
            }),
        None => Vec::new(),
    };
    publish_in_order(hub, board, missing, event);
}

/// Counters of the bus, for logs and tests.
#[derive(Debug, Default)]
pub struct BusCounters {
    /// Events handed to NATS.
    pub sent: AtomicU64,
    /// Events received from other instances.
    pub received: AtomicU64,
    /// Events left to the resynchronisation (outbox full, or the publish failed).
    pub dropped: AtomicU64,
    /// Messages that were not board events, or from another store's history.
    pub refused: AtomicU64,
    /// Events the resynchronisation replayed from the log.
    pub resynced: AtomicU64,
}

/// This instance's end of the bus.
pub struct Bus {
    client: Client,
    prefix: String,
    instance: String,
    epoch: String,
    link: Arc<Link>,
    outbox: mpsc::Sender<BusEvent>,
    resync: Arc<Notify>,
    connected: Arc<Notify>,
    counters: Arc<BusCounters>,
}

/// Where the bus is and how this instance appears on it.
#[derive(Debug, Clone)]
pub struct BusSettings {
    /// `nats://host:port`.
    pub url: String,
    /// Subjects start with `<prefix>.`.
    pub prefix: String,
    /// This instance's name.
    pub instance: String,
    /// The shared store's epoch: events of another history are refused.
    pub epoch: String,
    /// Reconnection waits.
    pub backoff: BackoffPolicy,
}

impl Bus {
    // ANCHOR: bus_connect
    /// Connects to NATS — in the background: a server started while the bus is down
    /// serves its own clients, reports the link down in `/health`, and joins the others
    /// when NATS comes up. The client reconnects forever, waiting phase 5's backoff
    /// between attempts.
    pub async fn connect(settings: BusSettings) -> Result<Arc<Self>, String> {
        let link = Arc::new(Link::new("bus", redact(&settings.url)));
        let (resync, connected) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let (events_link, events_resync, events_connected) =
            (link.clone(), resync.clone(), connected.clone());
        let policy = settings.backoff;
        let client = ConnectOptions::new()
            .name(format!("liveboard {}", settings.instance))
            .retry_on_initial_connect()
            .max_reconnects(None)
            .reconnect_delay_callback(move |attempts| {
                retry_delay(&policy, u32::try_from(attempts).unwrap_or(u32::MAX))
            })
            .event_callback(move |event| {
                let (link, resync, connected) = (
                    events_link.clone(),
                    events_resync.clone(),
                    events_connected.clone(),
                );
                async move {
                    match event {
                        Event::Connected => {
                            link.up();
                            // What was published while away is lost: catch up from the log,
                            // and tell the others who is here (presence).
                            resync.notify_one();
                            connected.notify_one();
                        }
                        Event::Disconnected => link.down("disconnected from NATS"),
                        Event::SlowConsumer(_) => {
                            tracing::warn!("NATS dropped messages for this slow consumer");
                            resync.notify_one();
                        }
                        other => tracing::warn!(event = %other, "NATS"),
                    }
                }
            })
            .connect(settings.url.as_str())
            .await
            .map_err(|e| format!("cannot connect to NATS at {}: {e}", redact(&settings.url)))?;
        let (outbox, queued) = mpsc::channel(OUTBOX_CAPACITY);
        let counters = Arc::new(BusCounters::default());
        tokio::spawn(forward(
            client.clone(),
            settings.prefix.clone(),
            queued,
            counters.clone(),
        ));
        Ok(Arc::new(Self {
            client,
            prefix: settings.prefix,
            instance: settings.instance,
            epoch: settings.epoch,
            link,
            outbox,
            resync,
            connected,
            counters,
        }))
    }
    // ANCHOR_END: bus_connect

    /// The link's state, for `/health`.
    pub fn link(&self) -> Arc<Link> {
        self.link.clone()
    }

    /// The bus's counters.
    pub fn counters(&self) -> &BusCounters {
        &self.counters
    }

    /// The NATS client (phase 7's presence publishes with it too).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The subject of presence messages.
    pub fn presence_subject(&self) -> String {
        format!("{}.presence", self.prefix)
    }

    /// This instance's name on the bus.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Notified each time the link (re)connects.
    pub fn connected(&self) -> Arc<Notify> {
        self.connected.clone()
    }

    /// Queues `event` for the other instances; never waits.
    fn send(&self, board: &str, event: &LoggedEvent) {
        let message = BusEvent {
            instance: self.instance.clone(),
            epoch: self.epoch.clone(),
            board: board.to_owned(),
            event: event.clone(),
        };
        if self.outbox.try_send(message).is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            self.resync.notify_one();
        }
    }

    /// Subscribes to every board's events and hands the other instances' to `hub`, until
    /// `stop`; and resynchronises `hub`'s rooms with `store` every `resync` (if not zero)
    /// and whenever the link asks. Spawn it on the server's task tracker.
    pub async fn receive(
        self: Arc<Self>,
        hub: Arc<Hub>,
        store: Arc<dyn BoardStore>,
        resync_every: Duration,
        stop: CancellationToken,
    ) {
        let subject = format!("{}.events.*", self.prefix);
        let mut subscription = match self.client.subscribe(subject.clone()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(subject, error = %e, "cannot subscribe to the bus");
                return;
            }
        };
        let mut tick = (!resync_every.is_zero()).then(|| tokio::time::interval(resync_every));
        loop {
            let ticked = async {
                match tick.as_mut() {
                    Some(t) => {
                        t.tick().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.resync.notified() => self.resynchronise(&hub, store.as_ref()).await,
                () = ticked => self.resynchronise(&hub, store.as_ref()).await,
                message = subscription.next() => {
                    let Some(message) = message else { break };
                    self.receive_one(&hub, store.as_ref(), message).await;
                }
            }
        }
        let _ = subscription.unsubscribe().await;
    }

    async fn receive_one(&self, hub: &Hub, store: &dyn BoardStore, message: async_nats::Message) {
        let parsed = BusEvent::parse(
            &self.prefix,
            message.subject.as_str(),
            message.headers.as_ref(),
            message.payload,
        );
        let event = match parsed {
            Ok(event) if event.epoch != self.epoch => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    from = event.instance,
                    epoch = event.epoch,
                    "an instance of another store's history publishes on this bus: refused"
                );
                return;
            }
            Ok(event) => event,
            Err(e) => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "not a board event: ignored");
                return;
            }
        };
        if event.instance == self.instance {
            return; // published here already, before it was sent
        }
        self.counters.received.fetch_add(1, Ordering::Relaxed);
        deliver(hub, store, &event.board, &event.event).await;
    }

    // ANCHOR: resynchronise
    /// Brings every room in memory up to the store's head, from the log.
    async fn resynchronise(&self, hub: &Hub, store: &dyn BoardStore) {
        for board in hub.live_rooms() {
            let Some(at) = hub.live_position(&board) else {
                continue;
            };
            let head = match store.head(&board).await {
                Ok(head) => head,
                Err(e) => {
                    tracing::warn!(board, error = %e, "cannot resynchronise: the store is away");
                    return; // the next tick tries again
                }
            };
            if head <= at {
                continue;
            }
            let through = head.min(at + MAX_FILL);
            match store.events(&board, at, through).await {
                Ok(events) => {
                    self.counters
                        .resynced
                        .fetch_add(events.len() as u64, Ordering::Relaxed);
                    for event in events {
                        hub.publish_at(&board, event.seq, &event.event, event.data);
                    }
                }
                Err(e) => tracing::warn!(board, error = %e, "cannot resynchronise a room"),
            }
        }
    }
    // ANCHOR_END: resynchronise
}

/// Hands queued events to NATS, in order, until every sender is gone.
async fn forward(
    client: Client,
    prefix: String,
    mut queued: mpsc::Receiver<BusEvent>,
    counters: Arc<BusCounters>,
) {
    while let Some(message) = queued.recv().await {
        let subject = BusEvent::subject(&prefix, &message.board);
        let sent = client
            .publish_with_headers(subject, message.headers(), message.event.data.clone())
            .await;
        match sent {
            Ok(()) => counters.sent.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                tracing::warn!(error = %e, "an event did not reach the bus");
                counters.dropped.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

// ANCHOR: bus_publisher
/// Phase 4's [`BoardPublisher`] over the bus: this instance's hub first (in order, a gap
/// filled from the log), then every other instance through NATS.
pub struct BusPublisher {
    hub: Arc<Hub>,
    log: Arc<dyn LogReader>,
    bus: Arc<Bus>,
}

impl BusPublisher {
    /// Publishes into `hub` and on `bus`; gaps are read from `store`'s log.
    pub fn new(hub: Arc<Hub>, store: &dyn BoardStore, bus: Arc<Bus>) -> Self {
        Self {
            hub,
            log: store.history(),
            bus,
        }
    }
}

impl BoardPublisher for BusPublisher {
    fn publish(&self, board: &str, event: &LoggedEvent) -> Published {
        // Another instance may have committed the numbers just before this one, and
        // their messages may still be on the way: fill them from the log first.
        let published = deliver_blocking(&self.hub, self.log.as_ref(), board, event);
        self.bus.send(board, event);
        published
    }
}
// ANCHOR_END: bus_publisher

#[cfg(test)]
mod tests {
    use phase_2_sse::{
        hub::{HubLimits, Message, Subscription, WireFormat},
        queue::Encoded,
    };
    use phase_4_board::{
        embedded::Embedded, history::LogHistory, memory::MemoryStore, rules::RuleLimits,
        store::Appended,
    };

    use super::*;

    /// Writes each event as `<seq>:<event>`.
    struct Numbers;
    impl WireFormat for Numbers {
        fn name(&self) -> &'static str {
            "numbers"
        }
        fn encode(&self, msg: &Message) -> Encoded {
            let seq = msg.position.as_ref().map_or(0, |p| p.seq);
            Bytes::from(format!("{seq}:{}", msg.event)).into()
        }
    }

    /// A memory store and a hub numbered by its log, as phase 4 builds them.
    fn store_and_hub() -> (Arc<dyn BoardStore>, Arc<Hub>) {
        let store: Arc<dyn BoardStore> = Arc::new(Embedded::new(MemoryStore::new()));
        let history = Arc::new(LogHistory::new(store.as_ref(), 100));
        (
            store.clone(),
            Hub::with_history(HubLimits::default(), history),
        )
    }

    /// Commits a chat line in the store only — as another instance's writer would.
    async fn commit_elsewhere(store: &dyn BoardStore, text: &str) -> LoggedEvent {
        let limits = RuleLimits {
            max_text_chars: 100,
            max_notes: 100,
            max_boards: 100,
        };
        match store
            .append("b", "chat", Bytes::from(text.to_owned()), &limits, 0)
            .await
        {
            Ok(Appended::Logged(event)) => event,
            other => panic!("the memory store refused a line: {other:?}"),
        }
    }

    /// Everything queued for `subscription` now, as `<seq>:<event>` (after its `ready`).
    async fn received(subscription: &Subscription) -> Vec<String> {
        let mut parts = Vec::new();
        let _ = subscription.queue().next_batch(&mut parts).await;
        parts
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .filter(|p| p != "0:ready")
            .collect()
    }

    #[tokio::test]
    async fn an_event_that_arrives_before_the_ones_it_follows_is_delivered_after_them_from_the_log()
    {
        let (store, hub) = store_and_hub();
        let (subscription, _) = hub.subscribe("b", Arc::new(Numbers), None, 1 << 20);
        let mut ready = Vec::new();
        subscription.queue().next_batch(&mut ready).await.unwrap();
        // Instance B committed 1 and 2, instance A then 3; A's message came first.
        commit_elsewhere(store.as_ref(), "one").await;
        commit_elsewhere(store.as_ref(), "two").await;
        let third = commit_elsewhere(store.as_ref(), "three").await;
        let published = deliver_blocking(&hub, store.history().as_ref(), "b", &third);
        assert_eq!(published.cut, 0, "nobody was sent through a resume");
        assert_eq!(
            received(&subscription).await,
            ["1:chat", "2:chat", "3:chat"]
        );
        // B's own message for 2 arrives late: a duplicate, ignored.
        let late = store.events("b", 1, 2).await.unwrap().remove(0);
        deliver(&hub, store.as_ref(), "b", &late).await;
        let fourth = commit_elsewhere(store.as_ref(), "four").await;
        deliver(&hub, store.as_ref(), "b", &fourth).await;
        assert_eq!(received(&subscription).await, ["4:chat"]);
    }

    #[tokio::test]
    async fn a_room_nobody_follows_reads_nothing_from_the_log() {
        let (store, hub) = store_and_hub();
        commit_elsewhere(store.as_ref(), "one").await;
        let second = commit_elsewhere(store.as_ref(), "two").await;
        assert_eq!(gap(&hub, "b", second.seq), None);
        let published = deliver_blocking(&hub, store.history().as_ref(), "b", &second);
        assert_eq!(published.delivered, 0);
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, *v);
        }
        h
    }

    #[test]
    fn a_bus_event_reads_back_what_it_wrote() {
        let event = BusEvent {
            instance: "a".into(),
            epoch: "k3x9q1".into(),
            board: "demo".into(),
            event: LoggedEvent {
                seq: 42,
                event: "note.created".into(),
                data: Bytes::from_static(b"{}"),
            },
        };
        let subject = BusEvent::subject("lb", "demo");
        let parsed = BusEvent::parse(
            "lb",
            &subject,
            Some(&event.headers()),
            event.event.data.clone(),
        );
        assert_eq!(parsed, Ok(event));
    }

    #[test]
    fn a_message_that_is_not_a_board_event_is_refused_with_the_reason() {
        let good = [
            (INSTANCE, "a"),
            (EPOCH, "e"),
            (SEQ, "1"),
            (EVENT, "note.created"),
        ];
        let data = Bytes::new();
        assert_eq!(
            BusEvent::parse("lb", "lb.events.../x", Some(&headers(&good)), data.clone()),
            Err(BadMessage::Subject("lb.events.../x".into()))
        );
        assert_eq!(
            BusEvent::parse(
                "lb",
                "other.events.demo",
                Some(&headers(&good)),
                data.clone()
            ),
            Err(BadMessage::Subject("other.events.demo".into()))
        );
        let mut zero = good;
        zero[2] = (SEQ, "0");
        assert_eq!(
            BusEvent::parse("lb", "lb.events.demo", Some(&headers(&zero)), data.clone()),
            Err(BadMessage::Header(SEQ))
        );
        assert_eq!(
            BusEvent::parse(
                "lb",
                "lb.events.demo",
                Some(&headers(&good[..3])),
                data.clone()
            ),
            Err(BadMessage::Header(EVENT))
        );
        assert_eq!(
            BusEvent::parse("lb", "lb.events.demo", None, data),
            Err(BadMessage::Header(SEQ))
        );
    }
}
