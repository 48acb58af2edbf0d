//! Webhooks: the board's log pushed to another server, one signed `POST` per event.
//!
//! Polling ([`crate::poll`]) serves a client that asks. A webhook serves one that will not
//! ask — another company's server, a chat bot, a CI job — by calling it: the board's owner
//! registers a URL and the events of interest, and every such event is `POST`ed there.
//!
//! | request | answer |
//! |---|---|
//! | `POST /boards/:board/webhooks` `{"url", "events": ["note.moved", …] or ["*"]}` | `201` the hook (`id`, `url`, `events`, `status`, `cursor`) and its `secret`, shown this once |
//! | `GET /boards/:board/webhooks` | `200` `{"webhooks": [...]}`: status `enabled` or `disabled` and `disabledReason`, `consecutiveFailures`, `cursor`; never the secret |
//! | `DELETE /boards/:board/webhooks/:id` | `204`; `404 no_such_webhook` |
//! | `GET /boards/:board/webhooks/:id/deliveries` | `200` the delivery log, newest first: `id`, `seq`, `event`, `outcome`, `statusCode` or `error`, `attempts`, `latencyMs`, `atMs` |
//! | a bad URL ([`target`]), unknown events, too many hooks | `400` naming the rule; `409 too_many_webhooks` |
//! | a private board, without the right to write it | `403 forbidden` |
//!
//! Managing a board's hooks is writing to it: a hook publishes the board's content to a
//! third party, so on a private board only someone who may write it may add, list or
//! remove hooks (phase 2's access rules, [`SharedAccess`]).
//!
//! ## A delivery
//!
//! ```text
//! POST /hooks/liveboard HTTP/1.1
//! Content-Type: application/json
//! Liveboard-Event: note.moved
//! Liveboard-Delivery: demo-42-wh_5f0c2a9e41b7d3c8
//! Liveboard-Signature: t=1718000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//!
//! {"id":"demo-42-wh_5f0c2a9e41b7d3c8","board":"demo","seq":42,"event":"note.moved","data":{…}}
//! ```
//!
//! A receiver verifies the signature over the raw body, refuses a timestamp older than
//! 5 minutes ([`signature`]), and answers any `2xx` quickly (work that takes long goes to a
//! queue of its own: past `--webhook-timeout-ms` the attempt counts as failed). The
//! example receiver, `examples/webhook_receiver.py`, does exactly that with Python's
//! standard library — `hmac.compare_digest` and all — and prints each verified delivery
//! as a line of JSON:
//!
//! ```text
//! python3 phases/8-protocol-lab/examples/webhook_receiver.py --port 9000 --secret whsec_…
//! ```
//!
//! ## The log is the outbox
//!
//! A webhook system must not lose an event when the receiver is down, nor when *this*
//! server restarts mid-delivery. The usual answer is an *outbox* table the sender writes
//! each pending delivery to. Here the board's event log already is one: it is durable,
//! gap-free and numbered. So each hook keeps a single **cursor** — the last sequence
//! number delivered (or skipped: an event the hook did not ask for) — and what is pending
//! is simply "the log after the cursor". A worker per enabled hook ([`worker`]):
//!
//! 1. reads the events after its cursor from the board's log (the async `BoardStore`,
//!    like a poll);
//! 2. delivers them **in order, one at a time**;
//! 3. moves the cursor past an event, on disk, only after a `2xx` ([`store`]).
//!
//! A restart loses nothing: the new worker starts from the cursor on disk, so an event
//! whose delivery was interrupted is sent again. That makes delivery **at least once**
//! — a receiver can get the same event twice (the `2xx` was sent, the cursor not yet
//! moved) — which is why every delivery carries an id, `<board>-<seq>-<hook id>`, the same
//! on every attempt: a receiver that must act once remembers the ids it has handled and
//! drops a repeat. Exactly once is not on offer from anyone over HTTP; "at least once +
//! an idempotency key" is what Stripe and GitHub give too.
//!
//! In order, one at a time, means one slow or failing receiver holds up only its own hook:
//! the others have their own workers and cursors. A worker waits for the board's next
//! event on a hub subscription, as a long poll does ([`crate::wake`]) — never on a timer.
//!
//! ## Failures, retries, giving up
//!
//! An attempt fails if the receiver answers anything but `2xx` (redirects are not
//! followed: see [`target`]), cannot be reached, or takes longer than
//! `--webhook-timeout-ms`. The worker retries the same event after a wait drawn by phase
//! 5's backoff contract (`BackoffPolicy`: the window doubles per failure, full jitter,
//! `--webhook-backoff-*`), so a receiver that was down is not hammered when it returns,
//! and many hooks failing together do not retry in lockstep. After
//! `--webhook-max-attempts` failures in a row the hook is **disabled**: its listing says
//! why, the server logs it once (a warning per disabled hook, never per attempt), and its
//! cursor stays before the event that failed, so the log still holds what it missed. A
//! receiver that answers **`410 Gone`** is saying "this endpoint is gone for good": the
//! hook is disabled at once, as GitHub and Stripe do.

pub mod routes;
pub mod signature;
pub mod store;
pub mod target;
pub mod worker;

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use phase_2_sse::{access::SharedAccess, Hub};
use phase_4_board::store::{BoardStore, StoreError};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{config::ProtocolLabConfig, lab::LabReceivers};
use store::{Hook, HookStore};
use target::GuardedResolver;

/// The events a board's log holds, which a hook may ask for (or `*`: all of them).
pub const KNOWN_EVENTS: [&str; 5] = [
    "note.created",
    "note.updated",
    "note.moved",
    "note.deleted",
    "message",
];

/// Everything webhooks share: the hooks' database, the board's log and hub, the access
/// rules, the delivering client and the running workers.
pub struct Webhooks {
    /// Hooks, cursors and delivery logs.
    pub hooks: Arc<HookStore>,
    /// The boards' logs.
    pub store: Arc<dyn BoardStore>,
    /// Whose rooms wake the workers.
    pub hub: Arc<Hub>,
    /// Who may manage a board's hooks.
    pub access: SharedAccess,
    /// The limits.
    pub config: ProtocolLabConfig,
    client: reqwest::Client,
    running: Mutex<HashMap<String, CancellationToken>>,
    stop: CancellationToken,
    tasks: TaskTracker,
    lab: Option<Arc<LabReceivers>>,
}

/// The parts [`Webhooks::open`] takes from the server.
pub struct WebhookParts {
    /// The data directory; `None`: in memory.
    pub data_dir: Option<std::path::PathBuf>,
    /// The boards' logs.
    pub store: Arc<dyn BoardStore>,
    /// The hub.
    pub hub: Arc<Hub>,
    /// The access rules.
    pub access: SharedAccess,
    /// Cancelled when the server begins to stop.
    pub stop: CancellationToken,
    /// Where workers are spawned (the server waits for them).
    pub tasks: TaskTracker,
    /// The server's own lab receivers (`--lab-receiver`), which hooks may target.
    pub lab: Option<Arc<LabReceivers>>,
}

impl Webhooks {
    /// Opens the hooks' database and builds the delivering client.
    pub fn open(config: ProtocolLabConfig, parts: WebhookParts) -> Result<Arc<Self>, String> {
        let hooks = HookStore::open(parts.data_dir.as_deref().map(Path::new))
            .map_err(|e| format!("cannot open the webhook store: {e}"))?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("Liveboard-Webhooks/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_millis(config.webhooks.timeout_ms))
            // A redirect is a URL nobody validated (see `target`): a 3xx is a failure.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(
                GuardedResolver {
                    allow_private: config.webhooks.allow_private_targets,
                }
                .shared(),
            )
            .build()
            .map_err(|e| format!("cannot build the webhook client: {e}"))?;
        Ok(Arc::new(Self {
            hooks: Arc::new(hooks),
            store: parts.store,
            hub: parts.hub,
            access: parts.access,
            config,
            client,
            running: Mutex::new(HashMap::new()),
            stop: parts.stop,
            tasks: parts.tasks,
            lab: parts.lab,
        }))
    }

    /// Starts a worker for every enabled hook: what a starting server does.
    pub fn resume_all(self: &Arc<Self>) -> Result<usize, StoreError> {
        let hooks = self.hooks.enabled()?;
        let n = hooks.len();
        for hook in hooks {
            self.start(hook);
        }
        Ok(n)
    }

    /// Starts `hook`'s worker.
    pub fn start(self: &Arc<Self>, hook: Hook) {
        let cancel = self.stop.child_token();
        self.workers().insert(hook.id.clone(), cancel.clone());
        self.tasks.spawn(worker::run(self.clone(), hook, cancel));
    }

    /// Stops `id`'s worker (deleted or disabled); an attempt in flight is abandoned.
    pub fn stop_worker(&self, id: &str) {
        if let Some(cancel) = self.workers().remove(id) {
            cancel.cancel();
        }
    }

    /// Workers running now.
    pub fn running(&self) -> usize {
        self.workers().len()
    }

    fn workers(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `url` may be at a private address: with `--webhook-allow-private-targets`
    /// any may; without it, only this server's own lab receiver (see [`crate::lab`]).
    pub fn may_target_private(&self, url: &reqwest::Url) -> bool {
        self.config.webhooks.allow_private_targets
            || self.lab.as_ref().is_some_and(|lab| lab.is_own(url))
    }

    /// The client deliveries are sent with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}
