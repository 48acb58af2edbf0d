//! One request's life, in order:
//!
//! 1. give it an id and open a `tracing` span, so every log line it causes is tagged;
//! 2. answer a CORS preflight directly (it never reaches a handler);
//! 3. look the route up: `404` / `405` / `400` become JSON errors here;
//! 4. run the handler; an `Err(ApiError)` becomes its JSON response here — the only place;
//! 5. add CORS headers, log status and latency.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Instant,
};

use http::{header, Request, Response};
use hyper::body::Incoming;
use tracing::Instrument;

use crate::{
    body::Body,
    client_addr::{ClientAddr, TrustedProxies},
    cors::CorsPolicy,
    error::ApiError,
    router::{Match, Router},
};

/// The peer's socket address, stored in each request's extensions by the server so
/// handlers (logs) can see who is calling; behind a reverse proxy that is the proxy.
/// Limits per client address read [`ClientAddr`] instead.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// The server's own socket address a request arrived on (the connection's local end),
/// stored in each request's extensions by the server: the address a client reached it
/// at, known from the socket rather than from a `Host` header the client wrote.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub SocketAddr);

/// The request handler the server calls: router + CORS + logging.
pub struct App {
    router: Router,
    cors: CorsPolicy,
    proxies: TrustedProxies,
    next_request_id: AtomicU64,
}

impl App {
    /// An app serving `router` under `cors`.
    pub fn new(router: Router, cors: CorsPolicy) -> Self {
        Self {
            router,
            cors,
            proxies: TrustedProxies::default(),
            next_request_id: AtomicU64::new(1),
        }
    }

    /// Believes `X-Forwarded-For` from `proxies` when working out each request's
    /// [`ClientAddr`] (see [`crate::client_addr`]).
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    // ANCHOR: app_handle
    /// Handles one request. Never fails: every error is a response.
    pub async fn handle(
        self: Arc<Self>,
        mut req: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Body> {
        let id = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        let span =
            tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path());
        let client = self.proxies.client_ip(peer.ip(), req.headers());
        req.extensions_mut().insert(PeerAddr(peer));
        req.extensions_mut().insert(ClientAddr(client));
        async move {
            let started = Instant::now();
            let origin = req.headers().get(header::ORIGIN).cloned();
            let mut res = match self.cors.preflight(req.method(), req.headers()) {
                Some(res) => res,
                None => self.dispatch(req).await,
            };
            self.cors.apply(origin.as_ref(), res.headers_mut());
            tracing::info!(
                status = res.status().as_u16(),
                micros = started.elapsed().as_micros() as u64,
                "response"
            );
            res
        }
        .instrument(span)
        .await
    }
    // ANCHOR_END: app_handle

    // ANCHOR: app_dispatch
    async fn dispatch(&self, req: Request<Incoming>) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let result = match self.router.find(req.method(), &path) {
            Match::Found(handler, params) => handler(req, params).await,
            Match::MethodNotAllowed(allowed) => {
                Err(ApiError::method_not_allowed(req.method(), &path, &allowed))
            }
            Match::NotFound => Err(ApiError::not_found(&path)),
            Match::BadPath(why) => Err(ApiError::bad_request("bad_path", why)),
        };
        result.unwrap_or_else(ApiError::into_response)
    }
    // ANCHOR_END: app_dispatch
}
