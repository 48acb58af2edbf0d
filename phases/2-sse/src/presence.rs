//! Presence: who is looking at a board right now.
//!
//! **One person, many connections.** A person is a `client_id` the browser chose (kept in
//! `localStorage`, so every tab of one browser shares it) with a display name and a color.
//! Each open stream is a *connection* of that person. Two tabs are two connections but one
//! person, so the others hear `presence.join` when the **first** tab opens and
//! `presence.leave` when the **last** one closes — not a join/leave flicker per tab, and
//! no "Ana, Ana" in the list. (Phoenix Presence and Centrifugo key presence the same way:
//! per connection, grouped under a user key.)
//!
//! **Full state, then diffs.** A new connection first receives `presence.list` (everyone
//! already here), then the same `presence.join` / `presence.leave` diffs as everyone else.
//! For the list plus the diffs to add up to the truth, no diff may fall between taking the
//! snapshot and queueing it, and none may be queued twice. So one lock is held while a
//! connection subscribes to the hub, takes the snapshot, queues it on its own queue and
//! broadcasts its own join; and while a leaving connection broadcasts its leave. Every
//! presence change is serialized by that lock, and each connection's queue sees them in
//! that order.
//!
//! A newcomer's snapshot is taken *before* it is added, so its own arrival reaches it as
//! a diff like everyone else's (list without me, then `presence.join` me) — one code path.
//!
//! **Ephemeral.** Presence is state, not history: it is sent with
//! [`Hub::publish_ephemeral`], never numbered or replayed. A reconnecting client gets a
//! fresh `presence.list` instead of a replay of old joins and leaves.
//!
//! **Behind a trait.** The transports — SSE here, WebSocket in phase 3, the board's
//! routes in phase 4 — use presence through [`BoardPresence`], shared as
//! `Arc<dyn BoardPresence>` in the server's services. [`Presence`], the in-process list
//! behind one mutex, is the default. With two servers, Ana's tab on one and Bo's on the
//! other must see each other: phase 7 provides a shared implementation (a store with
//! expiring entries, diffs on a bus) without touching a transport.
//!
//! ## What an implementation must do
//!
//! - [ ] **Join in one step** ([`BoardPresence::connect`]): subscribe the connection to the
//!   hub room (with its replay), queue `presence.list` on its queue, and broadcast
//!   `presence.join` if this is the person's first connection (or their details
//!   changed) — so that the list plus the diffs that follow add up to the truth.
//! - [ ] **Leave when the [`Membership`] drops**, however the connection ended: leave the
//!   room first, then, on the person's last connection, broadcast `presence.leave`
//!   ([`Membership::new`] takes what to run).
//! - [ ] **Group connections by `clientId`**: one entry per person, counted in tabs.
//! - [ ] **Send diffs as ephemeral events** ([`Hub::publish_ephemeral`]): never numbered,
//!   never replayed.
//! - [ ] **Call no store under its own lock** beyond what [`Hub::subscribe`] reads
//!   (see [`crate::hub::HistorySource`] for why that one read is safe).
//!
//! Wire shapes (JSON, camelCase):
//! `presence.list` `{"people":[{"clientId","name","color"},…]}` ·
//! `presence.join` `{"clientId","name","color"}` (also sent when a person's name or color
//! changes: it is an upsert keyed by `clientId`) · `presence.leave` `{"clientId"}`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, Weak},
};

use bytes::Bytes;
use phase_1_foundations::ApiError;
use serde::Serialize;

use crate::{
    hub::{Hub, Message, Resume, Subscription, WireFormat},
    position::StreamPosition,
    query::Query,
    queue::CloseCause,
};

/// Longest display name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 32;
/// Longest client id, in bytes.
pub const MAX_CLIENT_ID_LEN: usize = 64;

// ANCHOR: identity
/// Who a connection belongs to, as the browser said (validated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Chosen by the browser, stable across tabs and reloads: 1–64 of `A-Za-z0-9_-`.
    pub client_id: String,
    /// Display name: 1–32 characters after trimming, no control characters.
    pub name: String,
    /// `#rrggbb`, lower-cased.
    pub color: String,
}

impl Person {
    /// Validates each part; each failure is a `400` naming the field and the rule.
    pub fn parse(client_id: &str, name: &str, color: &str) -> Result<Self, ApiError> {
        let id_ok = (1..=MAX_CLIENT_ID_LEN).contains(&client_id.len())
            && client_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok {
            return Err(ApiError::bad_request(
                "bad_client_id",
                format!("clientId must be 1 to {MAX_CLIENT_ID_LEN} characters of A-Z, a-z, 0-9, '_' or '-'"),
            ));
        }
        let name = parse_name(name)?;
        let hex = color.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::bad_request(
                "bad_color",
                format!(
                    "color {:?} must be #rrggbb (six hex digits), e.g. #3b82f6",
                    color.chars().take(16).collect::<String>()
                ),
            ));
        }
        Ok(Self {
            client_id: client_id.to_owned(),
            name,
            color: color.to_ascii_lowercase(),
        })
    }

    /// Reads `clientId`, `name` and `color` from a stream URL's query. No `clientId` (and
    /// no name or color) is a watcher who does not appear in the list: `Ok(None)`.
    pub fn from_query(query: &Query) -> Result<Option<Self>, ApiError> {
        match (query.get("clientId"), query.get("name"), query.get("color")) {
            (None, None, None) => Ok(None),
            (Some(id), name, color) => {
                Self::parse(id, name.unwrap_or(""), color.unwrap_or("")).map(Some)
            }
            (None, _, _) => Err(ApiError::bad_request(
                "bad_client_id",
                "name and color need a clientId: add ?clientId=... (kept in localStorage)",
            )),
        }
    }
}

/// A display name: trimmed, 1–32 characters, no control characters.
pub fn parse_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let chars = name.chars().count();
    if !(1..=MAX_NAME_CHARS).contains(&chars) || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "bad_name",
            format!("name must be 1 to {MAX_NAME_CHARS} characters (after trimming spaces), without control characters"),
        ));
    }
    Ok(name.to_owned())
}
// ANCHOR_END: identity

/// A person in the `GET /boards/:board/presence` snapshot, with their open connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceEntry {
    /// Who.
    #[serde(flatten)]
    pub person: Person,
    /// Open connections (tabs).
    pub tabs: usize,
}

// ANCHOR: presence_list
/// What changed for the others when a connection came or went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new person, or new details for a known one: broadcast `presence.join`.
    Joined(Person),
    /// The person's last connection closed: broadcast `presence.leave`.
    Left(String),
    /// Another tab of someone already here, or one of several closing: say nothing.
    Unchanged,
}

/// The people on one board, in order of arrival, each with their connections.
#[derive(Debug, Default)]
pub struct PresenceList {
    entries: Vec<(Person, Vec<u64>)>,
}

impl PresenceList {
    /// The people, without connection counts (what `presence.list` carries).
    pub fn people(&self) -> Vec<Person> {
        self.entries.iter().map(|(p, _)| p.clone()).collect()
    }

    /// The people with their connection counts.
    pub fn entries(&self) -> Vec<PresenceEntry> {
        self.entries
            .iter()
            .map(|(p, conns)| PresenceEntry {
                person: p.clone(),
                tabs: conns.len(),
            })
            .collect()
    }

    /// Whether nobody is here.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    // EXERCISE(ch2-presence): presence: one person, many tabs (join, leave, unchanged)
    /// Connection `conn` of `person` opened.
    pub fn add(&mut self, conn: u64, person: Person) -> Change {
        match self
            .entries
            .iter_mut()
            .find(|(p, _)| p.client_id == person.client_id)
        {
            None => {
                self.entries.push((person.clone(), vec![conn]));
                Change::Joined(person)
            }
            Some((known, conns)) => {
                conns.push(conn);
                if *known == person {
                    Change::Unchanged
                } else {
                    // The newest tab's name and color win; tell everyone.
                    *known = person.clone();
                    Change::Joined(person)
                }
            }
        }
    }

    /// Connection `conn` of `client_id` closed.
    pub fn remove(&mut self, conn: u64, client_id: &str) -> Change {
        let Some(i) = self
            .entries
            .iter()
            .position(|(p, _)| p.client_id == client_id)
        else {
            return Change::Unchanged;
        };
        let conns = &mut self.entries[i].1;
        conns.retain(|c| *c != conn);
        if conns.is_empty() {
            self.entries.remove(i);
            Change::Left(client_id.to_owned())
        } else {
            Change::Unchanged
        }
    }
    // EXERCISE_END(ch2-presence)
}
// ANCHOR_END: presence_list

// ANCHOR: board_presence
/// Who is on each board, as the transports need it. Share as `Arc<dyn BoardPresence>`.
pub trait BoardPresence: Send + Sync + 'static {
    /// Subscribes a connection to `board` with a queue of `queue_bytes` (replaying from
    /// `since`, see [`Hub::subscribe`]), queues the presence snapshot on it, and — if
    /// `person` is given and this is their first connection, or their details changed —
    /// broadcasts `presence.join`. Dropping the membership undoes all of it.
    fn connect(
        &self,
        board: &str,
        format: Arc<dyn WireFormat>,
        since: Option<&StreamPosition>,
        person: Option<Person>,
        queue_bytes: usize,
    ) -> (Membership, Resume);

    /// Everyone on `board`, with their connection counts.
    fn snapshot(&self, board: &str) -> Vec<PresenceEntry>;

    /// Ends every connection `client_id` has open on `board` (their transports say
    /// goodbye: `: closed` on an event stream, Close 1000 on a WebSocket) — phase 4 does
    /// when a revoked link removes someone. Returns how many were closed.
    fn close_person(&self, board: &str, client_id: &str) -> usize;
}
// ANCHOR_END: board_presence

/// What a [`BoardPresence`] runs when a connection's membership ends (after it left the
/// hub room): take the connection out of the list, announce a leave.
pub type Leave = Box<dyn FnOnce() + Send + Sync>;

/// A connection's membership: its hub subscription and (for a person) its presence
/// entry. Dropping it leaves the room, then — if it was that person's last connection —
/// broadcasts `presence.leave`.
pub struct Membership {
    // Field order is drop order: leave the room first, then announce the leave.
    subscription: Subscription,
    _leave: Option<LeaveOnDrop>,
}

impl Membership {
    /// A membership of `subscription`; `leave` runs once it has left the room.
    pub fn new(subscription: Subscription, leave: Option<Leave>) -> Self {
        Self {
            subscription,
            _leave: leave.map(|leave| LeaveOnDrop(Some(leave))),
        }
    }

    /// The hub subscription (its queue is what the transport drains).
    pub fn subscription(&self) -> &Subscription {
        &self.subscription
    }

    /// The same membership, running `then` after its own leave (phase 7 tells the other
    /// servers that this connection is gone).
    pub fn then_on_leave(mut self, then: Leave) -> Self {
        let first = self._leave.take().and_then(|mut l| l.0.take());
        let both: Leave = Box::new(move || {
            if let Some(first) = first {
                first();
            }
            then();
        });
        self._leave = Some(LeaveOnDrop(Some(both)));
        self
    }
}

struct LeaveOnDrop(Option<Leave>);

impl Drop for LeaveOnDrop {
    fn drop(&mut self) {
        if let Some(leave) = self.0.take() {
            leave();
        }
    }
}

/// Presence on every board in this process, behind one mutex, tied to the hub the diffs
/// are broadcast through: the default [`BoardPresence`].
pub struct Presence {
    /// Itself (weak: not a cycle), so that each membership it hands out holds it.
    me: Weak<Presence>,
    hub: Arc<Hub>,
    boards: Mutex<HashMap<String, PresenceList>>,
}

impl Presence {
    /// Presence for boards that are rooms of `hub`.
    pub fn new(hub: Arc<Hub>) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            me: me.clone(),
            hub,
            boards: Mutex::new(HashMap::new()),
        })
    }

    // ANCHOR: remote_connections
    /// Connection `conn` of `person`, held by **another server**, is on `board` (phase 7
    /// hears it from the bus): counted like a local connection, so a person with tabs on
    /// two servers is one entry with two tabs, and announced the same way — a
    /// `presence.join` only if they were not here yet. `conn` must never be the id of one
    /// of this hub's subscriptions: phase 7 numbers remote connections from 2^63 up.
    pub fn add_remote(&self, board: &str, conn: u64, person: Person) {
        let mut boards = self.lock();
        let change = boards
            .entry(board.to_owned())
            .or_default()
            .add(conn, person);
        self.broadcast(board, change);
    }

    /// Remote connection `conn` of `client_id` left `board` (or its server is gone): a
    /// `presence.leave` if it was their last connection, here or anywhere.
    pub fn remove_remote(&self, board: &str, conn: u64, client_id: &str) {
        self.disconnect(board, conn, client_id);
    }
    // ANCHOR_END: remote_connections

    fn disconnect(&self, board: &str, conn: u64, client_id: &str) {
        let mut boards = self.lock();
        let Some(list) = boards.get_mut(board) else {
            return;
        };
        let change = list.remove(conn, client_id);
        if list.is_empty() {
            boards.remove(board);
        }
        // Broadcast while still holding the lock, so diffs keep their order.
        self.broadcast(board, change);
    }

    /// Sends a change to everyone on the board. Called with the presence lock held.
    fn broadcast(&self, board: &str, change: Change) {
        match change {
            Change::Joined(person) => {
                self.hub
                    .publish_ephemeral(board, "presence.join", to_json(&person));
            }
            Change::Left(client_id) => {
                self.hub.publish_ephemeral(
                    board,
                    "presence.leave",
                    to_json(&serde_json::json!({ "clientId": client_id })),
                );
            }
            Change::Unchanged => {}
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, PresenceList>> {
        self.boards.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl BoardPresence for Presence {
    // ANCHOR: presence_connect
    fn connect(
        &self,
        board: &str,
        format: Arc<dyn WireFormat>,
        since: Option<&StreamPosition>,
        person: Option<Person>,
        queue_bytes: usize,
    ) -> (Membership, Resume) {
        let mut boards = self.lock();
        let (subscription, resume) = self
            .hub
            .subscribe(board, format.clone(), since, queue_bytes);
        // The snapshot, taken and queued under the lock: no diff can come between.
        let people = boards
            .get(board)
            .map(PresenceList::people)
            .unwrap_or_default();
        let list = Message {
            position: None,
            event: "presence.list".into(),
            data: to_json(&PeopleList { people: &people }),
        };
        // A fresh queue has room for it; if it does not, the connection is being cut anyway.
        let _ = subscription.queue().push(&format.encode(&list));
        let presence = person.map(|person| {
            let client_id = person.client_id.clone();
            let change = boards
                .entry(board.to_owned())
                .or_default()
                .add(subscription.id(), person);
            self.broadcast(board, change);
            let (me, board, conn) = (self.me.upgrade(), board.to_owned(), subscription.id());
            let leave: Leave = Box::new(move || {
                if let Some(presence) = me {
                    presence.disconnect(&board, conn, &client_id);
                }
            });
            leave
        });
        drop(boards);
        (Membership::new(subscription, presence), resume)
    }
    // ANCHOR_END: presence_connect

    fn close_person(&self, board: &str, client_id: &str) -> usize {
        let conns: Vec<u64> = self
            .lock()
            .get(board)
            .and_then(|list| {
                list.entries
                    .iter()
                    .find(|(p, _)| p.client_id == client_id)
                    .map(|(_, conns)| conns.clone())
            })
            .unwrap_or_default();
        self.hub
            .close_subscribers(board, &conns, CloseCause::Closed)
    }

    fn snapshot(&self, board: &str) -> Vec<PresenceEntry> {
        self.lock()
            .get(board)
            .map(PresenceList::entries)
            .unwrap_or_default()
    }
}
/// The data of `presence.list`.
#[derive(Serialize)]
struct PeopleList<'a> {
    people: &'a [Person],
}

/// JSON text of a value whose serialization cannot fail (plain structs, no maps with
/// non-string keys).
fn to_json<T: Serialize>(value: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{hub::HubLimits, queue::Encoded};

    /// Each subscriber's queue budget in these tests.
    const BUDGET: usize = 1024 * 1024;

    /// Writes `event data` lines so tests can read what was queued.
    struct Plain;
    impl WireFormat for Plain {
        fn name(&self) -> &'static str {
            "plain"
        }
        fn encode(&self, msg: &Message) -> Encoded {
            Bytes::from(format!(
                "{} {}",
                msg.event,
                String::from_utf8_lossy(&msg.data)
            ))
            .into()
        }
    }

    fn person(id: &str) -> Person {
        Person::parse(id, id, "#AABBCC").unwrap()
    }

    async fn drain(m: &Membership) -> Vec<String> {
        let mut out = Vec::new();
        let _ = m.subscription().queue().next_batch(&mut out).await;
        out.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .filter(|s| s.starts_with("presence"))
            .collect()
    }

    #[test]
    fn a_person_needs_a_valid_id_a_1_to_32_char_name_and_an_rrggbb_color() {
        let ok = Person::parse("c-1", "  Ana  ", "#3B82F6").unwrap();
        assert_eq!(ok.name, "Ana");
        assert_eq!(ok.color, "#3b82f6");
        assert!(Person::parse("c", &"é".repeat(32), "#000000").is_ok());
        let code =
            |id: &str, name: &str, color: &str| Person::parse(id, name, color).unwrap_err().code;
        assert_eq!(code("", "Ana", "#000000"), "bad_client_id");
        assert_eq!(code("a b", "Ana", "#000000"), "bad_client_id");
        assert_eq!(code("c", "   ", "#000000"), "bad_name");
        assert_eq!(code("c", &"x".repeat(33), "#000000"), "bad_name");
        assert_eq!(code("c", "a\u{7}b", "#000000"), "bad_name");
        assert_eq!(code("c", "Ana", "red"), "bad_color");
        assert_eq!(code("c", "Ana", "#12345"), "bad_color");
        assert_eq!(code("c", "Ana", "#12345g"), "bad_color");
    }

    #[test]
    fn two_connections_of_one_person_are_one_entry_with_two_tabs() {
        let mut list = PresenceList::default();
        assert_eq!(list.add(1, person("ana")), Change::Joined(person("ana")));
        assert_eq!(list.add(2, person("ana")), Change::Unchanged);
        assert_eq!(list.entries()[0].tabs, 2);
        assert_eq!(list.remove(1, "ana"), Change::Unchanged);
        assert_eq!(list.remove(2, "ana"), Change::Left("ana".into()));
        assert!(list.is_empty());
    }

    #[test]
    fn a_tab_with_a_new_name_updates_the_person_and_is_announced() {
        let mut list = PresenceList::default();
        list.add(1, person("ana"));
        let renamed = Person::parse("ana", "Ana B", "#000000").unwrap();
        assert_eq!(
            list.add(2, renamed.clone()),
            Change::Joined(renamed.clone())
        );
        assert_eq!(list.people(), vec![renamed]);
    }

    #[tokio::test]
    async fn a_newcomer_gets_the_list_then_diffs_and_the_others_get_only_diffs() {
        let hub = Hub::new(HubLimits::default());
        let presence = Presence::new(hub);
        let (ana, _) = presence.connect("b", Arc::new(Plain), None, Some(person("ana")), BUDGET);
        assert_eq!(
            drain(&ana).await,
            [
                r#"presence.list {"people":[]}"#,
                r##"presence.join {"clientId":"ana","name":"ana","color":"#aabbcc"}"##
            ]
        );
        let (bo, _) = presence.connect("b", Arc::new(Plain), None, Some(person("bo")), BUDGET);
        assert_eq!(
            drain(&bo).await,
            [
                r##"presence.list {"people":[{"clientId":"ana","name":"ana","color":"#aabbcc"}]}"##,
                r##"presence.join {"clientId":"bo","name":"bo","color":"#aabbcc"}"##
            ]
        );
        assert_eq!(
            drain(&ana).await,
            [r##"presence.join {"clientId":"bo","name":"bo","color":"#aabbcc"}"##]
        );
        drop(bo);
        assert_eq!(drain(&ana).await, [r#"presence.leave {"clientId":"bo"}"#]);
        assert_eq!(presence.snapshot("b").len(), 1);
    }

    #[tokio::test]
    async fn a_person_on_another_server_counts_as_a_tab_and_leaves_only_with_their_last_one() {
        let hub = Hub::new(HubLimits::default());
        let presence = Presence::new(hub);
        let (watcher, _) = presence.connect("b", Arc::new(Plain), None, None, BUDGET);
        let _ = drain(&watcher).await;
        presence.add_remote("b", 1 << 63, person("ana"));
        assert_eq!(
            drain(&watcher).await,
            [r##"presence.join {"clientId":"ana","name":"ana","color":"#aabbcc"}"##]
        );
        let left = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = left.clone();
        let (here, _) = presence.connect("b", Arc::new(Plain), None, Some(person("ana")), BUDGET);
        let here = here.then_on_leave(Box::new(move || {
            seen.store(true, std::sync::atomic::Ordering::SeqCst)
        }));
        assert_eq!(presence.snapshot("b")[0].tabs, 2, "one here, one there");
        drop(here);
        assert!(
            left.load(std::sync::atomic::Ordering::SeqCst),
            "the chained leave ran"
        );
        assert_eq!(
            watcher.subscription().queue().queued_bytes(),
            0,
            "still there"
        );
        presence.remove_remote("b", 1 << 63, "ana");
        assert_eq!(
            drain(&watcher).await,
            [r#"presence.leave {"clientId":"ana"}"#]
        );
        assert!(presence.snapshot("b").is_empty());
    }

    #[tokio::test]
    async fn a_second_tab_is_silent_and_only_the_last_tab_closing_is_a_leave() {
        let hub = Hub::new(HubLimits::default());
        let presence = Presence::new(hub);
        let (watcher, _) = presence.connect("b", Arc::new(Plain), None, None, BUDGET);
        let _ = drain(&watcher).await;
        let (tab1, _) = presence.connect("b", Arc::new(Plain), None, Some(person("ana")), BUDGET);
        assert_eq!(drain(&watcher).await.len(), 1); // the join
        let (tab2, _) = presence.connect("b", Arc::new(Plain), None, Some(person("ana")), BUDGET);
        drop(tab1);
        assert_eq!(presence.snapshot("b")[0].tabs, 1);
        assert!(
            watcher.subscription().queue().queued_bytes() == 0,
            "no diff for tab 2 or tab 1 closing"
        );
        drop(tab2);
        assert_eq!(
            drain(&watcher).await,
            [r#"presence.leave {"clientId":"ana"}"#]
        );
        assert!(presence.snapshot("b").is_empty());
    }
}
