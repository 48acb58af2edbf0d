//! `GET /health`: is the server up, which version, since when, with which phases.
//!
//! Load balancers and orchestrators call it to decide whether to route traffic here;
//! the web app's `/phases/1` page polls it — the naive "ask again and again" approach
//! that chapter 2 replaces with a stream.

use std::time::Instant;

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
    /// Always `"ok"` when the server can answer at all.
    pub status: &'static str,
    /// The crate version.
    pub version: &'static str,
    /// Seconds since the server started.
    pub uptime_secs: f64,
    /// The phases this server was built with.
    pub phases: Vec<PhaseInfo>,
}

// ANCHOR: health_route
/// The `/health` route for a server made of `phases`.
pub fn routes(phases: Vec<PhaseInfo>) -> Router {
    let started = Instant::now();
    Router::new().get("/health", move |_req, _params| {
        let report = HealthReport {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
            uptime_secs: started.elapsed().as_secs_f64(),
            phases: phases.clone(),
        };
        async move { Ok(json_response(StatusCode::OK, &report)) }
    })
}
// ANCHOR_END: health_route
