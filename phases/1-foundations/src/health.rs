//! `GET /health`: is the server up, which version, since when, with which phases.
//!
//! Load balancers and orchestrators call it to decide whether to route traffic here;
//! the web app's `/phases/1` page polls it — the naive "ask again and again" approach
//! that chapter 2 replaces with a stream.
//!
//! **Checks.** A server that depends on something outside itself — a shared store, a
//! message bus (phase 7) — registers a [`HealthCheck`] for it in [`HealthChecks`]; the
//! report then lists each under `checks` and says `"degraded"` while one is down. The
//! answer stays `200`: the process is up and serves what it can (live streams, reads from
//! memory), and the body says what it cannot. A balancer that should drain an instance
//! whose link is down matches on the body, not the status.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Instant,
};

use http::StatusCode;
use serde::Serialize;

use crate::{json::json_response, router::Router};

/// One phase of the course, as compiled into this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PhaseInfo {
    /// 1, 2, 3, ...
    pub number: u8,
    /// URL-friendly name, e.g. `foundations`.
    pub slug: &'static str,
    /// Human title, e.g. `Foundations`.
    pub title: &'static str,
}

/// The body of `GET /health`.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    /// `"ok"`, or `"degraded"` while a check is down.
    pub status: &'static str,
    /// The crate version.
    pub version: &'static str,
    /// Seconds since the server started.
    pub uptime_secs: f64,
    /// The phases this server was built with.
    pub phases: Vec<PhaseInfo>,
    /// Each registered check by name (absent when there are none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, CheckReport>,
}

/// How one dependency is doing, as `/health` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// Whether it works now.
    pub up: bool,
    /// What it is and where, e.g. `redis://127.0.0.1:6379`, `nats://…`.
    pub target: String,
    /// Why it is down, or the last failure it recovered from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// How many times the link was lost since the server started.
    pub disconnects: u64,
}

/// A dependency `/health` reports on.
pub trait HealthCheck: Send + Sync + 'static {
    /// Its name in the report, e.g. `store`, `bus`.
    fn name(&self) -> &str;
    /// How it is doing now: must answer at once (from state kept by the link itself).
    fn report(&self) -> CheckReport;
}

/// The checks `/health` reports, shared through [`crate::Services`]: a module registers
/// its own in `provide` or `build`.
#[derive(Clone, Default)]
pub struct HealthChecks(Arc<Mutex<Vec<Arc<dyn HealthCheck>>>>);

impl HealthChecks {
    /// Adds `check` to the report.
    pub fn register(&self, check: Arc<dyn HealthCheck>) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(check);
    }

    /// Every check's report, by name.
    pub fn reports(&self) -> BTreeMap<String, CheckReport> {
        let checks = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        checks
            .iter()
            .map(|c| (c.name().to_owned(), c.report()))
            .collect()
    }
}

// ANCHOR: health_route
/// The `/health` route for a server made of `phases`, reporting `checks`.
pub fn routes(phases: Vec<PhaseInfo>, checks: HealthChecks) -> Router {
    let started = Instant::now();
    Router::new().get("/health", move |_req, _params| {
        let checks = checks.reports();
        let report = HealthReport {
            status: if checks.values().all(|c| c.up) {
                "ok"
            } else {
                "degraded"
            },
            version: env!("CARGO_PKG_VERSION"),
            uptime_secs: started.elapsed().as_secs_f64(),
            phases: phases.clone(),
            checks,
        };
        async move { Ok(json_response(StatusCode::OK, &report)) }
    })
}
// ANCHOR_END: health_route
