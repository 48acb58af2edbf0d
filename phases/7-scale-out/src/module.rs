//! [`ScaleOut`]: phase 7 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! **Listed first**, before phase 2: it provides what phases 2 and 4 take.
//!
//! * **provides** (pass 1, before phase 4 takes what it finds): with `--redis-url`, the
//!   [`SharedBoardStore`] — boards, notes, logs and op ids in Redis; with `--nats-url`
//!   too, a [`PublisherFactory`] whose publisher is the bus
//!   ([`crate::bus::BusPublisher`]); each link as a `/health` check. Without either flag
//!   it provides nothing, and phase 4 opens its embedded store as before;
//! * **builds** (pass 2, before phase 2 builds its routes, after phase 4 made the hub):
//!   with the bus, presence shared by every instance ([`SharedPresence`]), which phases 2
//!   and 3 take instead of their own;
//! * **routes**: `GET /scale/instance` — which instance answered, and its links (the
//!   `/phases/7` page shows it, so two windows can tell they are on different servers);
//! * **starts** the bus's receiver and presence on the server's task tracker, stopped
//!   with the background token (shutdown stage 1): from then on this instance takes no
//!   more events from the others (its own still reach them until its writer closes), and
//!   says `gone`, so its people leave the others' lists at once.
//!
//! **Connecting at start.** `provide` is synchronous, the clients are not: it waits for
//! them on the runtime it was called in (`block_in_place`), which must be tokio's
//! multi-threaded one — the server's `main` is. A Redis that cannot be reached at start
//! stops the start with a clear error (there is no history to serve without it); a NATS
//! that cannot be reached does not (the instance serves its own clients and joins the
//! others when the bus comes up: `/health` says `degraded` meanwhile).
//!
//! **Private boards.** Phase 4 keeps boards' owners and share links beside its embedded
//! store; over a shared store it keeps them in each process's memory, so instance B would
//! not know that Ana owns the board she made on A, and the first person to open it there
//! would claim it. Until the access records move to the shared store too, a server with
//! `--redis-url` refuses to start with private boards: run it with `--board-access open`.

use std::{future::Future, sync::Arc, time::Duration};

use http::StatusCode;
use phase_1_foundations::{
    health::HealthChecks, json::json_response, Module, PhaseInfo, Router, ServerConfig, Services,
    ShutdownTree, StartError,
};
use phase_2_sse::{
    presence::{BoardPresence, Presence},
    Hub,
};
use phase_4_board::{
    access::AccessMode, publish::PublisherFactory, store::SharedBoardStore, BoardState,
};
use serde::Serialize;

use crate::{
    bus::{Bus, BusPublisher, BusSettings},
    config::ScaleOutConfig,
    presence::SharedPresence,
    redis_store::RedisStore,
};

// ANCHOR: scale_module
/// Phase 7's module: the shared store and the bus.
#[derive(Debug, Clone)]
pub struct ScaleOut {
    config: ScaleOutConfig,
}

impl ScaleOut {
    /// The module with these settings.
    pub fn new(config: ScaleOutConfig) -> Self {
        Self { config }
    }
}

impl Module for ScaleOut {
    fn phase(&self) -> PhaseInfo {
        crate::PHASE
    }

    fn provide(&self, services: &mut Services) -> Result<(), StartError> {
        let config = &self.config;
        if services.require::<ServerConfig>()?.list_routes {
            return Ok(()); // `--routes` lists the routes: it connects to nothing
        }
        let Some(redis_url) = &config.redis_url else {
            return match config.nats_url {
                Some(_) => Err(StartError::new(
                    "--nats-url needs --redis-url: instances that share a bus must share \
                     the store that numbers the boards' events",
                )),
                None => Ok(()), // phase 4's embedded store and this process's hub
            };
        };
        let checks = services.get_or_insert_with(HealthChecks::default);
        let timeout = Duration::from_millis(config.redis_timeout_ms);
        let store = wait_for(RedisStore::connect(
            redis_url,
            &config.prefix,
            timeout,
            config.backoff(),
        ))?
        .map_err(|e| StartError::new(format!("cannot open the shared store: {e}")))?;
        checks.register(store.link());
        let shared: SharedBoardStore = SharedBoardStore(store.clone());
        services.insert(shared);
        let Some(nats_url) = &config.nats_url else {
            return Ok(());
        };
        let bus = wait_for(Bus::connect(BusSettings {
            url: nats_url.clone(),
            prefix: config.prefix.clone(),
            instance: config.instance(),
            epoch: phase_4_board::BoardStore::epoch(store.as_ref()).to_owned(),
            backoff: config.backoff(),
        }))?
        .map_err(StartError::new)?;
        checks.register(bus.link());
        let tree = services.require::<ShutdownTree>()?.clone();
        let resync = Duration::from_millis(config.resync_ms);
        services.insert(bus.clone());
        services.insert(PublisherFactory::new(move |hub: &Arc<Hub>| {
            let receiver =
                bus.clone()
                    .receive(hub.clone(), store.clone(), resync, tree.background());
            tree.tasks().spawn(receiver);
            Arc::new(BusPublisher::new(hub.clone(), store.as_ref(), bus.clone()))
        }));
        Ok(())
    }

    fn build(&self, services: &mut Services) -> Result<Router, StartError> {
        let shared = services.get::<Arc<Bus>>().is_some() || self.config.redis_url.is_some();
        if shared && !services.require::<ServerConfig>()?.list_routes {
            let board = services.require::<Arc<BoardState>>()?;
            if board.config().access == AccessMode::Private {
                return Err(StartError::new(
                    "--redis-url with private boards: this version keeps boards' owners and \
                     share links per instance, so another instance could hand a board to \
                     the wrong person; run with --board-access open",
                ));
            }
        }
        let answer = InstanceAnswer {
            instance: self.config.instance(),
            store: if self.config.redis_url.is_some() {
                "redis"
            } else {
                "embedded"
            },
            bus: if self.config.nats_url.is_some() {
                "nats"
            } else {
                "none"
            },
        };
        if let Some(bus) = services.get::<Arc<Bus>>().cloned() {
            self.share_presence(services, &bus)?;
        }
        Ok(Router::new().get("/scale/instance", move |_req, _params| {
            let answer = answer.clone();
            async move { Ok(json_response(StatusCode::OK, &answer)) }
        }))
    }
}
// ANCHOR_END: scale_module

impl ScaleOut {
    // ANCHOR: share_presence
    /// Presence over the bus, provided for phases 2 and 3 (built after this one).
    fn share_presence(&self, services: &mut Services, bus: &Arc<Bus>) -> Result<(), StartError> {
        if services.get::<Arc<dyn BoardPresence>>().is_some() {
            return Err(StartError::new(
                "presence was built before phase 7's: list phase 7's module before phase 2's",
            ));
        }
        let hub = services.require::<Arc<Hub>>()?.clone();
        let ttl = Duration::from_millis(self.config.presence_ttl_ms);
        let (shared, queued) =
            SharedPresence::new(Presence::new(hub), bus.instance().to_owned(), ttl);
        let tree = services.require::<ShutdownTree>()?;
        tree.tasks().spawn(shared.clone().run(
            bus.client().clone(),
            bus.presence_subject(),
            queued,
            bus.connected(),
            tree.background(),
        ));
        let presence: Arc<dyn BoardPresence> = shared;
        services.insert(presence);
        Ok(())
    }
    // ANCHOR_END: share_presence
}

/// The body of `GET /scale/instance`.
#[derive(Debug, Clone, Serialize)]
struct InstanceAnswer {
    /// `--instance-id`, or host name and process id.
    instance: String,
    /// `redis` or `embedded`.
    store: &'static str,
    /// `nats` or `none`.
    bus: &'static str,
}

/// Waits for `future` from synchronous code running on tokio's multi-threaded runtime.
fn wait_for<F: Future>(future: F) -> Result<F::Output, StartError> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|_| StartError::new("phase 7 must be started inside a tokio runtime"))?;
    if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
        return Err(StartError::new(
            "phase 7 connects to Redis and NATS at start: it needs tokio's multi-threaded runtime",
        ));
    }
    Ok(tokio::task::block_in_place(|| handle.block_on(future)))
}
