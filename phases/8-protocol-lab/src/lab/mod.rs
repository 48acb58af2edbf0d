//! The lab receiver: a webhook receiver inside the server, so a browser can watch
//! deliveries arrive.
//!
//! The lab page (`/phases/8` of the web app) shows the same board events arriving by
//! short polling, long polling, SSE, WebSocket — and webhook. A browser can poll, stream
//! and hold a socket, but it cannot *receive* a webhook: a webhook is a request the server
//! makes to another server. So, with `--lab-receiver` (off by default), this server also
//! plays the other server:
//!
//! | request | answer |
//! |---|---|
//! | `POST /lab/receivers` | `201` `{id, url}`: a receiver, and the URL to register as a webhook's target |
//! | `POST /lab/receivers/:id` | a delivery: signature checked with the hook's secret, recorded; `204` |
//! | `GET /lab/receivers/:id/events` | the recorded deliveries, then each new one, as an SSE stream (`event: delivery`) |
//! | `DELETE /lab/receivers/:id` | `204`; its streams end |
//! | a bad or missing signature, a stale one | `401 bad_signature` naming the check that failed |
//! | a delivery for a receiver that is gone (deleted, evicted, never made) | `410 no_such_receiver` — which disables the hook at once ([`crate::webhooks`]) |
//! | a body over 64 KiB | `413 payload_too_large` |
//!
//! A delivery is checked exactly as an outside receiver must check it, by the same code
//! ([`crate::webhooks::signature::verify`]): the hook is found by the id in
//! `Liveboard-Delivery`, its target must be this receiver's URL, and the signature over
//! the raw body must verify with the hook's secret within the tolerance. What is recorded
//! is what arrived: the delivery id (a repeat — delivery is at least once — is marked
//! `duplicate`), the event, and the bytes of the request's body and head.
//!
//! ## Bounded
//! The receiver is a demonstration, and anyone who can reach the server can make one, so
//! everything it holds has a ceiling: [`MAX_RECEIVERS`] receivers (making one more evicts
//! the oldest), [`MAX_RECORDED`] deliveries each (the oldest are forgotten, and counted),
//! [`MAX_LISTENERS`] streams each, [`MAX_DELIVERY_BYTES`] per delivery. Nothing is written
//! to disk. A receiver's id is its only key: 16 random bytes, unguessable, like the
//! capability URLs of a shared document.
//!
//! ## Why the server may deliver to itself
//! Webhooks may not target loopback or private addresses ([`crate::webhooks::target`]):
//! that rule is what stops a user from making the server call the services on its own
//! network (SSRF). The lab receiver lives at such an address — the server's own. It is
//! let through by [`LabReceivers::is_own`], and only for a URL that is **exactly** one
//! the server minted and still serves: `http://<the local address of the socket the
//! receiver was created on>/lab/receivers/<a live receiver's id>`. The address comes from
//! the connection itself (phase 1's `LocalAddr`), never from a `Host` header a client
//! wrote; the path can only reach the route above; the id must exist. So the exception
//! lets the server call one route of its own, which verifies and records — never another
//! port, another path, or loopback in general. Without `--lab-receiver` there are no
//! receivers and no exception.

pub mod routes;

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
};

use bytes::Bytes;
use phase_2_sse::{
    queue::{CloseCause, Encoded, SubscriberQueue},
    sse,
};
use reqwest::Url;
use serde::Serialize;
use ts_rs::TS;

/// Most receivers at once; making one more forgets the oldest.
pub const MAX_RECEIVERS: usize = 16;
/// Most deliveries one receiver remembers; older ones are forgotten (and counted).
pub const MAX_RECORDED: usize = 200;
/// Most event streams following one receiver.
pub const MAX_LISTENERS: usize = 4;
/// Most bytes of one delivery's body.
pub const MAX_DELIVERY_BYTES: usize = 64 * 1024;
/// How far behind one stream may fall before it is cut (phase 2's queue budget).
const LISTENER_QUEUE_BYTES: usize = 256 * 1024;

/// `POST /lab/receivers`'s answer.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LabReceiverCreated {
    /// The receiver's id, `rx_` and 32 hex digits.
    pub id: String,
    /// The URL to register as a webhook's target.
    pub url: String,
    /// Most deliveries it remembers.
    pub max_recorded: u32,
}

/// One delivery as the receiver recorded it: the `data` of an `event: delivery` on
/// `GET /lab/receivers/:id/events`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LabDelivery {
    /// 1, 2, 3 … in the order they arrived (the SSE `id:`).
    #[ts(type = "number")]
    pub n: u64,
    /// `Liveboard-Delivery`: `<board>-<seq>-<hook id>`.
    pub delivery_id: String,
    /// The hook that sent it.
    pub hook_id: String,
    /// The board.
    pub board: String,
    /// The event's sequence number in the board's log.
    #[ts(type = "number")]
    pub seq: u64,
    /// `note.created`, `message` …
    pub event: String,
    /// Whether this delivery id had arrived before (delivery is at least once).
    pub duplicate: bool,
    /// Bytes of the request's body.
    pub body_bytes: u32,
    /// Bytes of the request's head as received: request line and headers, with their
    /// `\r\n`s (an HTTP/1.1 head is text, so this is exact up to header-name case).
    pub head_bytes: u32,
    /// When it arrived, Unix milliseconds (the server's clock).
    #[ts(type = "number")]
    pub received_at_ms: u64,
}

/// Why a receiver cannot be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowError {
    /// No receiver with that id.
    NoSuchReceiver,
    /// It has [`MAX_LISTENERS`] streams already.
    TooManyListeners,
}

struct Listener {
    key: u64,
    queue: Arc<SubscriberQueue>,
}

struct Receiver {
    id: String,
    url: String,
    next: u64,
    recorded: VecDeque<LabDelivery>,
    listeners: Vec<Listener>,
}

impl Receiver {
    fn close_listeners(&mut self) {
        for l in self.listeners.drain(..) {
            l.queue.close(CloseCause::Closed);
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Oldest first.
    receivers: VecDeque<Receiver>,
    next_listener: u64,
}

/// Every lab receiver of this server.
#[derive(Default)]
pub struct LabReceivers {
    inner: Mutex<Inner>,
}

impl LabReceivers {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes a receiver served at `local` (the server's own address, as the request that
    /// asked for it reached it), forgetting the oldest if there are [`MAX_RECEIVERS`].
    pub fn create(&self, local: SocketAddr) -> std::io::Result<LabReceiverCreated> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| std::io::Error::other(e.to_string()))?;
        let id = format!("rx_{}", phase_1_foundations::signed::hex(&id));
        let url = receiver_url(local, &id)?;
        let mut inner = self.lock();
        while inner.receivers.len() >= MAX_RECEIVERS {
            if let Some(mut oldest) = inner.receivers.pop_front() {
                oldest.close_listeners();
            }
        }
        inner.receivers.push_back(Receiver {
            id: id.clone(),
            url: url.clone(),
            next: 1,
            recorded: VecDeque::new(),
            listeners: Vec::new(),
        });
        Ok(LabReceiverCreated {
            id,
            url,
            max_recorded: MAX_RECORDED as u32,
        })
    }

    /// Whether `url` is exactly the URL of a receiver this server serves now: the one
    /// exception to the private-address rule (see the module's documentation).
    pub fn is_own(&self, url: &Url) -> bool {
        self.lock().receivers.iter().any(|r| r.url == url.as_str())
    }

    /// The URL of receiver `id`, if it exists.
    pub fn url_of(&self, id: &str) -> Option<String> {
        self.lock()
            .receivers
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.url.clone())
    }

    /// Removes receiver `id` and ends its streams; whether it existed.
    pub fn delete(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let Some(at) = inner.receivers.iter().position(|r| r.id == id) else {
            return false;
        };
        if let Some(mut gone) = inner.receivers.remove(at) {
            gone.close_listeners();
        }
        true
    }

    /// Records a verified delivery on receiver `id` and sends it to its streams; `None` if
    /// the receiver is gone. `delivery.n` and `duplicate` are filled in here.
    pub fn record(&self, id: &str, mut delivery: LabDelivery) -> Option<LabDelivery> {
        let mut inner = self.lock();
        let receiver = inner.receivers.iter_mut().find(|r| r.id == id)?;
        delivery.n = receiver.next;
        receiver.next += 1;
        delivery.duplicate = receiver
            .recorded
            .iter()
            .any(|d| d.delivery_id == delivery.delivery_id);
        if receiver.recorded.len() >= MAX_RECORDED {
            receiver.recorded.pop_front();
        }
        receiver.recorded.push_back(delivery.clone());
        let message = encode(&delivery);
        // A stream too far behind is cut by its queue (and reconnects with Last-Event-ID).
        receiver
            .listeners
            .retain(|l| l.queue.push(&message).is_ok());
        Some(delivery)
    }

    /// A new stream of receiver `id`: the deliveries recorded after `after`, then each new
    /// one. The [`ListenerGuard`] removes it when the stream's body is dropped.
    pub fn follow(
        self: &Arc<Self>,
        id: &str,
        after: u64,
    ) -> Result<(Arc<SubscriberQueue>, ListenerGuard), FollowError> {
        let mut inner = self.lock();
        let key = inner.next_listener;
        inner.next_listener += 1;
        let receiver = inner
            .receivers
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or(FollowError::NoSuchReceiver)?;
        if receiver.listeners.len() >= MAX_LISTENERS {
            return Err(FollowError::TooManyListeners);
        }
        let queue = Arc::new(SubscriberQueue::new(LISTENER_QUEUE_BYTES));
        for d in receiver.recorded.iter().filter(|d| d.n > after) {
            // An empty queue takes any message, and MAX_RECORDED small ones fit the budget.
            let _ = queue.push(&encode(d));
        }
        receiver.listeners.push(Listener {
            key,
            queue: queue.clone(),
        });
        Ok((
            queue,
            ListenerGuard {
                receivers: self.clone(),
                id: id.to_owned(),
                key,
            },
        ))
    }

    /// Receivers now (for tests and the bounds).
    pub fn len(&self) -> usize {
        self.lock().receivers.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Deliveries receiver `id` remembers now.
    pub fn recorded(&self, id: &str) -> Option<usize> {
        self.lock()
            .receivers
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.recorded.len())
    }
}

/// Removes a stream from its receiver when the stream's body is dropped.
pub struct ListenerGuard {
    receivers: Arc<LabReceivers>,
    id: String,
    key: u64,
}

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        let mut inner = self.receivers.lock();
        if let Some(r) = inner.receivers.iter_mut().find(|r| r.id == self.id) {
            r.listeners.retain(|l| l.key != self.key);
        }
    }
}

/// `http://<local>/lab/receivers/<id>`, normalised as [`Url`] writes it (so that
/// [`LabReceivers::is_own`] compares like with like).
fn receiver_url(local: SocketAddr, id: &str) -> std::io::Result<String> {
    Url::parse(&format!("http://{local}/lab/receivers/{id}"))
        .map(String::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// One delivery as an SSE event: `event: delivery`, `id: <n>`, the JSON as `data`.
fn encode(d: &LabDelivery) -> Encoded {
    let json = serde_json::to_string(d).unwrap_or_default();
    let event = sse::Event::new(json)
        .event("delivery")
        .and_then(|e| e.id(d.n.to_string()));
    Encoded::new([event.map_or_else(|_| Bytes::new(), |e| e.encode())])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> SocketAddr {
        "127.0.0.1:8080".parse().unwrap()
    }

    fn delivery(id: &str) -> LabDelivery {
        LabDelivery {
            n: 0,
            delivery_id: id.to_owned(),
            hook_id: "wh_1".to_owned(),
            board: "demo".to_owned(),
            seq: 1,
            event: "message".to_owned(),
            duplicate: false,
            body_bytes: 10,
            head_bytes: 100,
            received_at_ms: 0,
        }
    }

    #[test]
    fn only_the_exact_url_of_a_live_receiver_is_own() {
        let receivers = Arc::new(LabReceivers::default());
        let made = receivers.create(local()).unwrap();
        assert!(made
            .url
            .starts_with("http://127.0.0.1:8080/lab/receivers/rx_"));
        assert!(receivers.is_own(&Url::parse(&made.url).unwrap()));
        for other in [
            format!("{}?x=1", made.url),
            made.url.replace(":8080", ":6379"),
            made.url.replace("/lab/receivers/", "/lab/receivers/x"),
            "http://127.0.0.1:8080/lab/receivers/rx_0".to_owned(),
            "http://127.0.0.1:8080/".to_owned(),
        ] {
            assert!(!receivers.is_own(&Url::parse(&other).unwrap()), "{other}");
        }
        assert!(receivers.delete(&made.id));
        assert!(!receivers.is_own(&Url::parse(&made.url).unwrap()));
    }

    #[test]
    fn receivers_and_their_records_are_bounded_and_repeats_are_marked() {
        let receivers = Arc::new(LabReceivers::default());
        let first = receivers.create(local()).unwrap();
        for _ in 0..MAX_RECEIVERS {
            receivers.create(local()).unwrap();
        }
        assert_eq!(receivers.len(), MAX_RECEIVERS);
        assert!(
            receivers.url_of(&first.id).is_none(),
            "the oldest is evicted"
        );
        let id = receivers.create(local()).unwrap().id;
        for i in 0..MAX_RECORDED + 10 {
            receivers.record(&id, delivery(&format!("d{i}"))).unwrap();
        }
        assert_eq!(receivers.recorded(&id), Some(MAX_RECORDED));
        let repeat = receivers
            .record(&id, delivery(&format!("d{}", MAX_RECORDED + 9)))
            .unwrap();
        assert!(repeat.duplicate);
        assert_eq!(repeat.n, MAX_RECORDED as u64 + 11);
    }

    #[test]
    fn a_stream_gets_what_was_recorded_after_its_position_and_is_removed_when_dropped() {
        let receivers = Arc::new(LabReceivers::default());
        let id = receivers.create(local()).unwrap().id;
        receivers.record(&id, delivery("a")).unwrap();
        receivers.record(&id, delivery("b")).unwrap();
        let (queue, guard) = receivers.follow(&id, 1).unwrap();
        let mut out = Vec::new();
        futures_util::FutureExt::now_or_never(queue.next_batch(&mut out))
            .unwrap()
            .unwrap();
        let text: String = out.iter().map(|b| String::from_utf8_lossy(b)).collect();
        assert!(
            text.contains("\"deliveryId\":\"b\"") && !text.contains("\"a\""),
            "{text}"
        );
        let mut guards = vec![guard];
        for _ in 1..MAX_LISTENERS {
            guards.push(receivers.follow(&id, 0).unwrap().1);
        }
        assert!(matches!(
            receivers.follow(&id, 0),
            Err(FollowError::TooManyListeners)
        ));
        guards.pop();
        assert!(receivers.follow(&id, 0).is_ok());
    }
}
