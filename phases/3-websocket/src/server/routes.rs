//! Phase 3's HTTP routes and the state they share.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /ws` | the board protocol ([`crate::board::protocol`]), subprotocol `liveboard.v1` |
//! | `GET /ws/echo` | echoes every message (interop and conformance tests, the inspector's playground) |
//! | `GET /ws/stats` | connection counters and the hub's, as JSON |
//!
//! Each upgrade is: check the handshake (a JSON 4xx if anything is wrong), take a slot in
//! the registry (`503` if full) — both *before* answering 101 — then return the 101 and
//! let the state's [`WsTransport`] spawn the connection's task, which awaits hyper's
//! upgrade and serves the connection ([`HandRolled`] unless a later phase chose another).
//! The tasks are tracked (on the server's tracker, in a composition), so a shutdown can
//! close every socket with 1001 and wait for the closing handshakes, under a deadline.

use std::{net::IpAddr, sync::Arc, time::Duration};

use http::{Request, StatusCode};
use phase_1_foundations::{
    app::PeerAddr, client_addr::ClientAddr, cors::CorsPolicy, json::json_response,
    router::HandlerResult, Router, ShutdownAdvice,
};
use phase_2_sse::{
    access::SharedAccess,
    hub::{Hub, HubStats},
    presence::BoardPresence,
    retry::RetryAdvice,
};
use serde::Serialize;
use tokio_util::task::TaskTracker;

use crate::{
    board::protocol::SUBPROTOCOL,
    board::session::{BoardExtension, BoardServices, BoardSession, Greeting, NoExtension},
    rfc6455::close::CloseCode,
    rfc6455::limits::Limits,
    server::config::WsConfig,
    server::connection::HandRolled,
    server::echo::EchoSession,
    server::handshake,
    server::registry::{CloseRequest, ConnectionRegistry},
    server::session::Session,
    server::stats::{WsStats, WsStatsSnapshot},
    server::transport::{AcceptedConnection, ConnectionOptions, WsTransport},
};

/// The advice a server without a later phase gives a refused client, in milliseconds
/// (`Retry-After: 5`).
pub const DEFAULT_RETRY_MS: u64 = 5_000;

/// The reason of the Close 1001 a stopping server sends (a retry hint may follow).
pub const SHUTDOWN_REASON: &str = "server shutting down";

/// Subprotocols `/ws` speaks, newest first.
pub const BOARD_SUBPROTOCOLS: &[&str] = &[SUBPROTOCOL];

/// Everything phase 3's handlers share. Build it once, pass it to [`routes`].
#[derive(Clone)]
pub struct WsState {
    config: WsConfig,
    origins: CorsPolicy,
    services: Arc<BoardServices>,
    retry: RetryAdvice,
    registry: Arc<ConnectionRegistry>,
    stats: Arc<WsStats>,
    tasks: TaskTracker,
    transport: Arc<dyn WsTransport>,
}

impl WsState {
    /// State on a hub and presence (phase 2's, when the server has phase 2: SSE and
    /// WebSocket clients of a board then see the same events and the same people).
    /// `origins` is the server's allow-list (the one CORS uses); connection tasks are
    /// spawned on `tasks` (the server's tracker, which its shutdown waits for).
    pub fn with_hub(
        config: WsConfig,
        origins: CorsPolicy,
        hub: Arc<Hub>,
        presence: Arc<dyn BoardPresence>,
        tasks: TaskTracker,
    ) -> Arc<Self> {
        Self::with_advice(
            config,
            origins,
            hub,
            presence,
            tasks,
            RetryAdvice::fixed(DEFAULT_RETRY_MS),
            Greeting::default(),
            SharedAccess::default(),
        )
    }

    /// The same, with what later phases provide: `retry`, the advice behind every
    /// `Retry-After` and every retry hint in a close reason, `greeting`, the messages
    /// every `/ws` connection gets right after `welcome`, and `access`, who may follow
    /// and write which board (phase 4).
    #[allow(clippy::too_many_arguments)]
    pub fn with_advice(
        config: WsConfig,
        origins: CorsPolicy,
        hub: Arc<Hub>,
        presence: Arc<dyn BoardPresence>,
        tasks: TaskTracker,
        retry: RetryAdvice,
        greeting: Greeting,
        access: SharedAccess,
    ) -> Arc<Self> {
        let stats = Arc::new(WsStats::default());
        let registry = ConnectionRegistry::new(config.max_connections, stats.clone());
        Arc::new(Self {
            services: Arc::new(BoardServices {
                hub,
                presence,
                config: config.clone(),
                greeting,
                registry: registry.clone(),
                access,
            }),
            registry,
            retry,
            origins,
            config,
            stats,
            tasks,
            transport: Arc::new(HandRolled),
        })
    }

    /// The same state — hub, registry, counters, tasks — with its connections served by
    /// `transport`: mounted on other paths, both transports share one connection limit
    /// and one shutdown.
    pub fn with_transport(&self, transport: Arc<dyn WsTransport>) -> Arc<Self> {
        Arc::new(Self {
            transport,
            ..self.clone()
        })
    }

    /// What serves this state's connections after the handshake.
    pub fn transport(&self) -> &Arc<dyn WsTransport> {
        &self.transport
    }

    /// The hub boards are published through.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.services.hub
    }

    /// The open connections.
    pub fn registry(&self) -> &Arc<ConnectionRegistry> {
        &self.registry
    }

    /// The counters.
    pub fn stats(&self) -> WsStatsSnapshot {
        self.stats.snapshot()
    }

    /// The configuration.
    pub fn config(&self) -> &WsConfig {
        &self.config
    }

    // ANCHOR: shutdown
    /// Says goodbye to every WebSocket: Close 1001 with the reason `"server shutting
    /// down"` — with a retry hint drawn for each connection when `advice` is given (phase 5
    /// spreads them over a window, so the restart is not met by all clients at once).
    /// Returns how many connections were asked.
    pub async fn close_all(&self, advice: Option<&ShutdownAdvice>) -> usize {
        let n = self
            .registry
            .close_all(|| CloseRequest {
                code: CloseCode::GoingAway.code(),
                reason: match advice {
                    Some(advice) => advice.close_reason(SHUTDOWN_REASON),
                    None => SHUTDOWN_REASON.to_owned(),
                },
            })
            .await;
        tracing::info!(open = n, "closing websockets with 1001");
        n
    }

    /// Closes every WebSocket (as [`WsState::close_all`], without advice) and waits, at
    /// most `deadline`, for their closing handshakes to finish. Returns whether all
    /// finished in time. (In a composition the server's shutdown waits instead.)
    pub async fn shutdown(&self, deadline: Duration) -> bool {
        self.close_all(None).await;
        self.tasks.close();
        tokio::time::timeout(deadline, self.tasks.wait())
            .await
            .is_ok()
    }
    // ANCHOR_END: shutdown

    fn options(&self, limits: Limits) -> ConnectionOptions {
        ConnectionOptions {
            limits,
            close_timeout: self.config.close_timeout(),
            send_timeout: self.config.send_timeout(),
            retry: self.retry.clone(),
        }
    }
}

// ANCHOR: routes
/// Phase 3's routes: `/ws`, `/ws/echo`, `/ws/stats`.
pub fn routes(state: Arc<WsState>) -> Router {
    routes_with_extension(state, |_peer| NoExtension)
}

/// The same routes, with `/ws` also speaking an extension's requests (phase 4's notes);
/// `make_extension` builds one extension per connection, given the client's address
/// (phase 1's [`ClientAddr`]: the peer's, or the one a trusted proxy forwarded; phase 4
/// limits requests per address with it). A module of a later
/// phase reaches this through a [`BoardExtensionFactory`] it provides.
pub fn routes_with_extension<E, F>(state: Arc<WsState>, make_extension: F) -> Router
where
    E: BoardExtension,
    F: Fn(Option<IpAddr>) -> E + Send + Sync + 'static,
{
    with_stats(
        connection_routes(state.clone(), "/ws", make_extension),
        state,
    )
}

/// Adds `/ws/stats`: the connection counters and the hub's.
fn with_stats(router: Router, state: Arc<WsState>) -> Router {
    router.get("/ws/stats", move |_req, _params| {
        let state = state.clone();
        async move { Ok(stats(&state)) }
    })
}

/// The board endpoint at `base` and the echo at `base/echo`, served by `state`'s
/// transport (phase 6 mounts them a second time, on another transport).
pub fn routes_at(state: Arc<WsState>, base: &str) -> Router {
    connection_routes(state, base, |_peer| NoExtension)
}

/// `base` (the board protocol) and `base/echo`.
fn connection_routes<E, F>(state: Arc<WsState>, base: &str, make_extension: F) -> Router
where
    E: BoardExtension,
    F: Fn(Option<IpAddr>) -> E + Send + Sync + 'static,
{
    let make_extension = Arc::new(make_extension);
    let echo = state.clone();
    Router::new()
        .get(base, move |req, _params| {
            let state = state.clone();
            let make_extension = make_extension.clone();
            async move {
                let services = state.services.clone();
                let limits = state.config.limits();
                let client = req.extensions().get::<ClientAddr>().map(|c| c.0);
                // Who the handshake's cookie proves this is, for the connection's life.
                let identity = services.access.0.identify(req.headers());
                upgrade(
                    &state,
                    req,
                    BOARD_SUBPROTOCOLS,
                    limits,
                    move |subprotocol| {
                        BoardSession::with_extension(services, subprotocol, make_extension(client))
                            .with_identity(identity)
                    },
                )
            }
        })
        .get(&format!("{base}/echo"), move |req, _params| {
            let state = echo.clone();
            async move {
                let limits = state.config.echo_limits();
                upgrade(&state, req, &[], limits, |_| EchoSession)
            }
        })
}
// ANCHOR_END: routes

// ANCHOR: extension_factory
/// How a later phase extends `/ws` without re-mounting it: it provides one of these
/// (phase 4: the note requests) and phase 3's module mounts its routes with it.
#[derive(Clone)]
pub struct BoardExtensionFactory {
    mount: Arc<MountAt>,
}

/// Mounts the board endpoint (with the extension) and the echo at a base path.
type MountAt = dyn Fn(Arc<WsState>, &str) -> Router + Send + Sync;

impl BoardExtensionFactory {
    /// `make_extension` builds one extension per `/ws` connection, given phase 3's state
    /// (its registry is how an extension answers a connection later) and the client's
    /// address (phase 1's `ClientAddr`; `None` only when a test router runs without
    /// phase 1's server).
    pub fn new<E, F>(make_extension: F) -> Self
    where
        E: BoardExtension,
        F: Fn(&WsState, Option<IpAddr>) -> E + Send + Sync + 'static,
    {
        let make_extension = Arc::new(make_extension);
        Self {
            mount: Arc::new(move |state: Arc<WsState>, base: &str| {
                let make_extension = make_extension.clone();
                let for_connections = state.clone();
                connection_routes(state, base, move |client| {
                    make_extension(&for_connections, client)
                })
            }),
        }
    }

    /// Phase 3's routes with this extension on `/ws`.
    pub fn routes(&self, state: Arc<WsState>) -> Router {
        with_stats((self.mount)(state.clone(), "/ws"), state)
    }

    /// The board endpoint with this extension at `base`, and the echo at `base/echo`,
    /// served by `state`'s transport.
    pub fn routes_at(&self, state: Arc<WsState>, base: &str) -> Router {
        (self.mount)(state, base)
    }
}
// ANCHOR_END: extension_factory

// ANCHOR: upgrade
/// The handshake, then the connection's task.
fn upgrade<B, S>(
    state: &Arc<WsState>,
    mut req: Request<B>,
    subprotocols: &[&'static str],
    limits: Limits,
    make_session: impl FnOnce(Option<&'static str>) -> S,
) -> HandlerResult
where
    B: Send + 'static,
    S: Session,
{
    let up = handshake::accept(&mut req, &state.origins, subprotocols)?;
    let registration = state
        .registry
        .register()
        .map_err(|e| state.retry.on_error(e))?;
    let session = Box::new(make_session(up.subprotocol));
    let peer = req.extensions().get::<PeerAddr>().map(|p| p.0);
    let client = req.extensions().get::<ClientAddr>().map(|c| c.0);
    tracing::info!(
        connection = registration.id(),
        ?peer,
        ?client,
        path = req.uri().path(),
        transport = state.transport.name(),
        "websocket accepted"
    );
    let connection = AcceptedConnection {
        session,
        registration,
        stats: state.stats.clone(),
        options: state.options(limits),
    };
    state
        .transport
        .spawn(&state.tasks, up.on_upgrade, connection);
    Ok(up.response)
}
// ANCHOR_END: upgrade

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    websockets: WsStatsSnapshot,
    max_connections: usize,
    hub: HubStats,
}

fn stats(state: &WsState) -> http::Response<phase_1_foundations::Body> {
    json_response(
        StatusCode::OK,
        &Stats {
            websockets: state.stats.snapshot(),
            max_connections: state.registry.max(),
            hub: state.services.hub.stats(),
        },
    )
}
