//! [`SharedPresence`]: who is on a board, across every instance, over the bus.
//!
//! Presence is state, not history (phase 2): nobody replays a `presence.join` from a log;
//! a newcomer gets the list as it is. So it does not go through the store. Each instance
//! keeps its own connections in phase 2's [`Presence`], and **counts the other instances'
//! connections as tabs of the same list**: Ana with a tab on A and one on B is one entry
//! with two tabs on every instance, and her `presence.leave` is announced only when her
//! last tab anywhere closes. What travels, on the subject `<prefix>.presence`:
//!
//! | message | when | what the others do |
//! |---|---|---|
//! | `join` | a connection with a person opens here | count it as a remote tab ([`Presence::add_remote`]) |
//! | `leave` | it closes | uncount it ([`Presence::remove_remote`]) |
//! | `alive` | every `ttl / 3` | note the instance is alive |
//! | `hello` | this instance reached the bus (start, reconnect) | send it their `sync` |
//! | `sync` | after a `hello`, or after our own (re)connection | replace what they held for us |
//! | `gone` | this instance shuts down | uncount all its tabs at once |
//!
//! **Expiry.** An instance that dies says nothing. Each instance notes when it last heard
//! from each other one; one silent for longer than `--presence-ttl-ms` is presumed dead
//! and all its tabs are uncounted — its people leave, unless they have a tab elsewhere.
//! The cost of a shorter TTL is traffic (an `alive` every third of it, from every
//! instance); the cost of a longer one is ghosts that linger after a crash.
//!
//! **A lost message is repaired by the next sync.** Core NATS may lose a `join` or a
//! `leave` while a link is down. When an instance reconnects it sends `hello` and its
//! `sync` — the full list of its tabs, with a generation number; a receiver uncounts
//! any tab of that instance the sync does not mention (mark and sweep), so a `leave` lost
//! meanwhile cannot leave a ghost forever.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, Weak},
    time::{Duration, Instant},
};

use async_nats::Client;
use futures_util::StreamExt;
use phase_2_sse::{
    hub::{Resume, WireFormat},
    position::StreamPosition,
    presence::{BoardPresence, Membership, Person, Presence, PresenceEntry},
};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

/// Remote tabs are numbered from here: phase 2's hub numbers its subscriptions from 0,
/// and the two must never meet.
const FIRST_REMOTE_ID: u64 = 1 << 63;

/// Most presence messages waiting for the bus; past this, a full sync is sent instead.
const OUTBOX_CAPACITY: usize = 8_192;

/// Tabs per `sync` message: keeps each well under NATS's 1 MiB default payload limit.
const SYNC_CHUNK: usize = 500;

// ANCHOR: presence_message
/// One presence message on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PresenceMessage {
    /// Connection `conn` of a person opened on `board` at `instance`.
    Join {
        /// Where.
        instance: String,
        /// The tab.
        tab: Tab,
    },
    /// Connection `conn` closed.
    Leave {
        /// Where.
        instance: String,
        /// Its board.
        board: String,
        /// The connection, as numbered by its instance.
        conn: u64,
    },
    /// The instance is alive.
    Alive {
        /// Who.
        instance: String,
    },
    /// The instance reached the bus: the others send it their sync.
    Hello {
        /// Who.
        instance: String,
    },
    /// Part of the instance's full list of tabs (generation `generation`); `last` ends it.
    Sync {
        /// Whose.
        instance: String,
        /// Increases with every sync the instance sends.
        generation: u64,
        /// Some of its tabs.
        tabs: Vec<Tab>,
        /// The last part: tabs of older generations are gone.
        last: bool,
    },
    /// The instance is shutting down: all its tabs are gone.
    Gone {
        /// Who.
        instance: String,
    },
}

/// A person's connection on a board, as its instance numbers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tab {
    /// The board.
    pub board: String,
    /// The connection's id on its instance.
    pub conn: u64,
    /// The person's client id.
    pub client_id: String,
    /// Their display name.
    pub name: String,
    /// Their color.
    pub color: String,
}
// ANCHOR_END: presence_message

impl PresenceMessage {
    /// The instance that sent it.
    pub fn instance(&self) -> &str {
        match self {
            Self::Join { instance, .. }
            | Self::Leave { instance, .. }
            | Self::Alive { instance }
            | Self::Hello { instance }
            | Self::Sync { instance, .. }
            | Self::Gone { instance } => instance,
        }
    }
}

/// A tab of another instance, as counted here.
struct RemoteTab {
    board: String,
    client_id: String,
    /// Its id in this instance's presence lists.
    id: u64,
    /// The sync generation that last mentioned it.
    generation: u64,
}

/// What this instance knows of another one.
struct Peer {
    heard: Instant,
    generation: u64,
    tabs: HashMap<(String, u64), RemoteTab>,
}

#[derive(Default)]
struct Others {
    next_id: u64,
    peers: HashMap<String, Peer>,
}

/// Presence shared by every instance on the bus: phase 2's [`BoardPresence`].
pub struct SharedPresence {
    me: Weak<SharedPresence>,
    local: Arc<Presence>,
    instance: String,
    /// This instance's tabs, by connection id.
    mine: Mutex<HashMap<u64, Tab>>,
    others: Mutex<Others>,
    outbox: mpsc::Sender<PresenceMessage>,
    /// Set when a message did not fit the outbox: the next tick sends a full sync.
    lost: std::sync::atomic::AtomicBool,
    generation: std::sync::atomic::AtomicU64,
    ttl: Duration,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SharedPresence {
    /// Presence over `local` (this instance's), told to the others as `instance` through
    /// the outbox, whose receiving end goes to [`SharedPresence::run`].
    pub fn new(
        local: Arc<Presence>,
        instance: String,
        ttl: Duration,
    ) -> (Arc<Self>, mpsc::Receiver<PresenceMessage>) {
        let (outbox, queued) = mpsc::channel(OUTBOX_CAPACITY);
        let shared = Arc::new_cyclic(|me| Self {
            me: me.clone(),
            local,
            instance,
            mine: Mutex::new(HashMap::new()),
            others: Mutex::new(Others {
                next_id: FIRST_REMOTE_ID,
                peers: HashMap::new(),
            }),
            outbox,
            lost: Default::default(),
            generation: Default::default(),
            ttl,
        });
        (shared, queued)
    }

    fn send(&self, message: PresenceMessage) {
        if self.outbox.try_send(message).is_err() {
            self.lost.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// This instance's full list, in `sync` messages of a new generation.
    fn sync_messages(&self) -> Vec<PresenceMessage> {
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let tabs: Vec<Tab> = lock(&self.mine).values().cloned().collect();
        let mut chunks: Vec<Vec<Tab>> = tabs.chunks(SYNC_CHUNK).map(<[Tab]>::to_vec).collect();
        if chunks.is_empty() {
            chunks.push(Vec::new());
        }
        let n = chunks.len();
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, tabs)| PresenceMessage::Sync {
                instance: self.instance.clone(),
                generation,
                tabs,
                last: i + 1 == n,
            })
            .collect()
    }

    // ANCHOR: apply_remote
    /// Applies a message from another instance to the local lists; whether its sender
    /// asked for our list (a `hello`).
    pub fn apply(&self, message: PresenceMessage) -> bool {
        if message.instance() == self.instance {
            return false; // our own, back from the bus
        }
        let mut others = lock(&self.others);
        let Others { next_id, peers } = &mut *others;
        let peer = peers
            .entry(message.instance().to_owned())
            .or_insert_with(|| Peer {
                heard: Instant::now(),
                generation: 0,
                tabs: HashMap::new(),
            });
        peer.heard = Instant::now();
        match message {
            PresenceMessage::Join { tab, .. } => {
                let generation = peer.generation;
                self.add(peer, next_id, tab, generation);
            }
            PresenceMessage::Leave { board, conn, .. } => {
                if let Some(gone) = peer.tabs.remove(&(board, conn)) {
                    self.local
                        .remove_remote(&gone.board, gone.id, &gone.client_id);
                }
            }
            PresenceMessage::Sync {
                generation,
                tabs,
                last,
                ..
            } => {
                // EXERCISE(ch7-sync-sweep): count a sync's tabs; after its last part, sweep the rest
                peer.generation = peer.generation.max(generation);
                for tab in tabs {
                    self.add(peer, next_id, tab, generation);
                }
                if last {
                    // Mark and sweep: what this generation did not mention is gone.
                    self.sweep(peer, |t| t.generation < generation);
                }
                // EXERCISE_END(ch7-sync-sweep)
            }
            PresenceMessage::Gone { instance } => {
                if let Some(mut peer) = peers.remove(&instance) {
                    self.sweep(&mut peer, |_| true);
                }
            }
            PresenceMessage::Hello { .. } => return true,
            PresenceMessage::Alive { .. } => {}
        }
        false
    }
    // ANCHOR_END: apply_remote

    fn add(&self, peer: &mut Peer, next_id: &mut u64, tab: Tab, generation: u64) {
        let key = (tab.board.clone(), tab.conn);
        if let Some(known) = peer.tabs.get_mut(&key) {
            known.generation = generation;
            return; // already counted: a sync repeating a join
        }
        // Another instance's message is input: validated like a browser's.
        let Ok(person) = Person::parse(&tab.client_id, &tab.name, &tab.color) else {
            tracing::warn!(
                board = tab.board,
                "a presence message with an invalid person: ignored"
            );
            return;
        };
        if phase_2_sse::board_name::BoardName::parse(&tab.board).is_err() {
            return;
        }
        let id = *next_id;
        *next_id += 1;
        self.local.add_remote(&tab.board, id, person);
        peer.tabs.insert(
            key,
            RemoteTab {
                board: tab.board,
                client_id: tab.client_id,
                id,
                generation,
            },
        );
    }

    fn sweep(&self, peer: &mut Peer, gone: impl Fn(&RemoteTab) -> bool) {
        let keys: Vec<(String, u64)> = peer
            .tabs
            .iter()
            .filter(|(_, t)| gone(t))
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            if let Some(tab) = peer.tabs.remove(&key) {
                self.local.remove_remote(&tab.board, tab.id, &tab.client_id);
            }
        }
    }

    // ANCHOR: expire
    /// Uncounts every tab of the instances not heard from for longer than the TTL.
    pub fn expire(&self, now: Instant) -> Vec<String> {
        // EXERCISE(ch7-expire): uncount the tabs of every instance silent past the TTL
        let mut others = lock(&self.others);
        let dead: Vec<String> = others
            .peers
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.heard) > self.ttl)
            .map(|(name, _)| name.clone())
            .collect();
        for name in &dead {
            if let Some(mut peer) = others.peers.remove(name) {
                tracing::warn!(
                    instance = name,
                    tabs = peer.tabs.len(),
                    "instance silent: its people leave"
                );
                self.sweep(&mut peer, |_| true);
            }
        }
        dead
        // EXERCISE_END(ch7-expire)
    }
    // ANCHOR_END: expire

    /// Runs the presence side of the bus until `stop`: publishes the outbox, applies the
    /// others' messages, says `alive` and expires the silent every `ttl / 3`, and says
    /// `hello` and syncs whenever the link (re)connects. Says `gone` when stopped.
    pub async fn run(
        self: Arc<Self>,
        client: Client,
        subject: String,
        mut queued: mpsc::Receiver<PresenceMessage>,
        connected: Arc<Notify>,
        stop: CancellationToken,
    ) {
        let publish = |message: PresenceMessage| {
            let (client, subject) = (client.clone(), subject.clone());
            async move {
                match serde_json::to_vec(&message) {
                    Ok(body) => {
                        if let Err(e) = client.publish(subject, body.into()).await {
                            tracing::warn!(error = %e, "a presence message did not reach the bus");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot encode a presence message"),
                }
            }
        };
        let mut subscription = match client.subscribe(subject.clone()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(subject, error = %e, "cannot subscribe to presence");
                return;
            }
        };
        let mut tick = tokio::time::interval((self.ttl / 3).max(Duration::from_millis(10)));
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                Some(message) = queued.recv() => publish(message).await,
                () = connected.notified() => {
                    publish(PresenceMessage::Hello { instance: self.instance.clone() }).await;
                    for sync in self.sync_messages() {
                        publish(sync).await;
                    }
                }
                _ = tick.tick() => {
                    self.expire(Instant::now());
                    publish(PresenceMessage::Alive { instance: self.instance.clone() }).await;
                    if self.lost.swap(false, std::sync::atomic::Ordering::Relaxed) {
                        for sync in self.sync_messages() {
                            publish(sync).await;
                        }
                    }
                }
                message = subscription.next() => {
                    let Some(message) = message else { break };
                    let parsed = serde_json::from_slice::<PresenceMessage>(&message.payload);
                    match parsed {
                        // Someone new is here: they need our list.
                        Ok(message) => if self.apply(message) {
                            for sync in self.sync_messages() {
                                publish(sync).await;
                            }
                        },
                        Err(e) => tracing::warn!(error = %e, "not a presence message: ignored"),
                    }
                }
            }
        }
        publish(PresenceMessage::Gone {
            instance: self.instance.clone(),
        })
        .await;
        let _ = client.flush().await;
    }
}

impl BoardPresence for SharedPresence {
    fn connect(
        &self,
        board: &str,
        format: Arc<dyn WireFormat>,
        since: Option<&StreamPosition>,
        person: Option<Person>,
        queue_bytes: usize,
    ) -> (Membership, Resume) {
        let (membership, resume) =
            self.local
                .connect(board, format, since, person.clone(), queue_bytes);
        let Some(person) = person else {
            return (membership, resume);
        };
        let conn = membership.subscription().id();
        let tab = Tab {
            board: board.to_owned(),
            conn,
            client_id: person.client_id,
            name: person.name,
            color: person.color,
        };
        lock(&self.mine).insert(conn, tab.clone());
        self.send(PresenceMessage::Join {
            instance: self.instance.clone(),
            tab,
        });
        let (me, board) = (self.me.clone(), board.to_owned());
        let membership = membership.then_on_leave(Box::new(move || {
            if let Some(me) = me.upgrade() {
                lock(&me.mine).remove(&conn);
                me.send(PresenceMessage::Leave {
                    instance: me.instance.clone(),
                    board,
                    conn,
                });
            }
        }));
        (membership, resume)
    }

    fn snapshot(&self, board: &str) -> Vec<PresenceEntry> {
        self.local.snapshot(board)
    }

    fn close_person(&self, board: &str, client_id: &str) -> usize {
        // This instance's connections only: boards shared across instances are open
        // (see the module), so nobody's access is revoked.
        self.local.close_person(board, client_id)
    }
}

#[cfg(test)]
mod tests {
    use phase_2_sse::hub::{Hub, HubLimits};

    use super::*;

    fn tab(board: &str, conn: u64, who: &str) -> Tab {
        Tab {
            board: board.into(),
            conn,
            client_id: who.into(),
            name: who.into(),
            color: "#aabbcc".into(),
        }
    }

    fn shared(ttl: Duration) -> Arc<SharedPresence> {
        let local = Presence::new(Hub::new(HubLimits::default()));
        SharedPresence::new(local, "here".into(), ttl).0
    }

    fn people(p: &SharedPresence, board: &str) -> Vec<(String, usize)> {
        p.snapshot(board)
            .into_iter()
            .map(|e| (e.person.client_id, e.tabs))
            .collect()
    }

    #[test]
    fn a_join_and_a_leave_from_another_instance_count_and_uncount_a_tab() {
        let p = shared(Duration::from_secs(15));
        let join = |conn| PresenceMessage::Join {
            instance: "a".into(),
            tab: tab("b", conn, "ana"),
        };
        p.apply(join(7));
        p.apply(join(7)); // repeated: counted once
        p.apply(join(8));
        assert_eq!(people(&p, "b"), [("ana".to_owned(), 2)]);
        p.apply(PresenceMessage::Leave {
            instance: "a".into(),
            board: "b".into(),
            conn: 7,
        });
        assert_eq!(people(&p, "b"), [("ana".to_owned(), 1)]);
    }

    #[test]
    fn a_sync_sweeps_the_tabs_it_does_not_mention() {
        let p = shared(Duration::from_secs(15));
        for conn in [1, 2] {
            p.apply(PresenceMessage::Join {
                instance: "a".into(),
                tab: tab("b", conn, if conn == 1 { "ana" } else { "bo" }),
            });
        }
        // Bo's leave was lost while the link was down; the sync after it says only Ana.
        p.apply(PresenceMessage::Sync {
            instance: "a".into(),
            generation: 1,
            tabs: vec![tab("b", 1, "ana")],
            last: true,
        });
        assert_eq!(people(&p, "b"), [("ana".to_owned(), 1)]);
    }

    #[test]
    fn an_instance_silent_past_the_ttl_takes_its_people_with_it_and_gone_does_at_once() {
        let p = shared(Duration::from_millis(100));
        p.apply(PresenceMessage::Join {
            instance: "a".into(),
            tab: tab("b", 1, "ana"),
        });
        p.apply(PresenceMessage::Join {
            instance: "c".into(),
            tab: tab("b", 1, "cy"),
        });
        assert!(p.expire(Instant::now()).is_empty(), "heard just now");
        let later = Instant::now() + Duration::from_millis(200);
        let mut dead = p.expire(later);
        dead.sort();
        assert_eq!(dead, ["a", "c"]);
        assert!(people(&p, "b").is_empty());
        p.apply(PresenceMessage::Join {
            instance: "a".into(),
            tab: tab("b", 1, "ana"),
        });
        p.apply(PresenceMessage::Gone {
            instance: "a".into(),
        });
        assert!(people(&p, "b").is_empty());
    }

    #[test]
    fn an_invalid_person_or_board_from_the_bus_is_ignored_and_our_own_messages_too() {
        let p = shared(Duration::from_secs(15));
        let mut bad = tab("b", 1, "ana");
        bad.color = "red".into();
        p.apply(PresenceMessage::Join {
            instance: "a".into(),
            tab: bad,
        });
        p.apply(PresenceMessage::Join {
            instance: "a".into(),
            tab: tab("../x", 2, "ana"),
        });
        p.apply(PresenceMessage::Join {
            instance: "here".into(),
            tab: tab("b", 3, "me"),
        });
        assert!(people(&p, "b").is_empty());
        assert!(
            p.apply(PresenceMessage::Hello {
                instance: "a".into()
            }),
            "a hello asks for our sync"
        );
    }

    #[test]
    fn a_sync_of_many_tabs_comes_in_parts_and_only_the_last_sweeps() {
        let p = shared(Duration::from_secs(15));
        for conn in 0..1_200 {
            lock(&p.mine).insert(conn, tab("b", conn, "ana"));
        }
        let parts = p.sync_messages();
        assert_eq!(parts.len(), 3);
        let lasts: Vec<bool> = parts
            .iter()
            .map(|m| matches!(m, PresenceMessage::Sync { last: true, .. }))
            .collect();
        assert_eq!(lasts, [false, false, true]);
    }
}
