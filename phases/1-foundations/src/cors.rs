//! Cross-Origin Resource Sharing: letting the web app (on `http://localhost:3000`) read
//! answers from the backend (on `http://127.0.0.1:8080`).
//!
//! Browsers apply the *same-origin policy*: a script may send a request anywhere, but may
//! only **read** the answer if the server says so with `Access-Control-Allow-Origin`
//! (Fetch standard, "CORS protocol"). For requests that could not have come from a plain
//! HTML form — a `PUT`, or a `Content-Type: application/json` body — the browser first
//! sends a *preflight*: `OPTIONS` with `Origin`, `Access-Control-Request-Method` and
//! `Access-Control-Request-Headers`, and only sends the real request if the answer allows it.
//!
//! Our policy is an allow-list of exact origins from configuration (`*` allows any).
//! We echo the request's origin rather than answering `*`, and add `Vary: Origin`, so a
//! cache never serves one origin's answer to another.
//!
//! **Credentials.** A page's `fetch(url, { credentials: "include" })` sends our cookies
//! (phase 4's signed session) and may read the answer only if it also carries
//! `Access-Control-Allow-Credentials: true`. We send that to origins listed *by name*
//! only: `*` lets any page read public answers, but a page that could read answers made
//! with *your* cookie could read your private boards.
//!
//! CORS protects *readers*, not the server: a non-browser client ignores it entirely.
//! The WebSocket handshake (phase 3) is not covered by CORS at all, which is why phase 3
//! checks `Origin` itself with [`CorsPolicy::allows`].

use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};

use crate::{
    body::{self, Body},
    error::ApiError,
};

/// Methods a cross-origin page may use.
const ALLOWED_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
/// Request headers a cross-origin page may send. `last-event-id` is here for phase 2:
/// an SSE polyfill sets it by hand.
const ALLOWED_HEADERS: &str = "content-type, last-event-id, authorization";
/// How long (seconds) a browser may cache a preflight answer. Browsers cap it anyway
/// (Chromium: 2 hours); 10 minutes keeps config changes visible quickly.
const PREFLIGHT_MAX_AGE_SECS: &str = "600";

/// Which origins may read our responses.
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    allowed: Vec<String>,
}

impl CorsPolicy {
    /// A policy allowing exactly these origins (`scheme://host[:port]`, no trailing slash);
    /// an entry `*` allows every origin.
    pub fn new(allowed: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            allowed: allowed
                .into_iter()
                .map(|o| o.into().trim_end_matches('/').to_owned())
                .collect(),
        }
    }

    /// Whether a page from `origin` may talk to us.
    pub fn allows(&self, origin: &str) -> bool {
        self.allowed.iter().any(|o| o == "*" || o == origin)
    }

    // ANCHOR: cors_credentials
    /// Whether a page from `origin` may read answers made with the user's cookies: only
    /// an origin listed by name, never one allowed through `*`.
    pub fn allows_credentials(&self, origin: &str) -> bool {
        self.allowed.iter().any(|o| o == origin)
    }
    // ANCHOR_END: cors_credentials

    // ANCHOR: cors_preflight
    /// Answers a preflight request, or `None` if `method`/`headers` are not a preflight.
    ///
    /// A preflight is `OPTIONS` carrying both `Origin` and `Access-Control-Request-Method`;
    /// any other `OPTIONS` goes to the router like a normal request.
    pub fn preflight(&self, method: &Method, headers: &HeaderMap) -> Option<Response<Body>> {
        // EXERCISE(ch1-cors-preflight): answer a CORS preflight (204 or 403)
        if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return None;
        }
        let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
        if !self.allows(origin) {
            return Some(
                ApiError::forbidden(
                    "origin_not_allowed",
                    format!("pages from {origin} may not call this server"),
                )
                .with_detail(format!(
                    "origin {origin} is not in the allowed origins (LIVEBOARD_ALLOWED_ORIGINS)"
                ))
                .into_response(),
            );
        }
        let mut res = Response::new(body::empty());
        *res.status_mut() = StatusCode::NO_CONTENT;
        let h = res.headers_mut();
        self.insert_allow_origin(h, origin);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE_SECS),
        );
        Some(res)
        // EXERCISE_END(ch1-cors-preflight)
    }
    // ANCHOR_END: cors_preflight

    // ANCHOR: cors_apply
    /// Adds the CORS headers to a normal response for a request from `origin`.
    pub fn apply(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        // Whatever the origin, the answer depends on it: tell caches (RFC 9110 §12.5.5).
        if !headers.get_all(header::VARY).iter().any(|v| v == "Origin") {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        let Some(origin) = origin.and_then(|o| o.to_str().ok()) else {
            return;
        };
        if self.allows(origin) {
            self.insert_allow_origin(headers, origin);
        }
    }
    // ANCHOR_END: cors_apply

    fn insert_allow_origin(&self, headers: &mut HeaderMap, origin: &str) {
        if let Ok(v) = HeaderValue::from_str(origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        if self.allows_credentials(origin) {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preflight_headers(origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        h.insert(
            header::ACCESS_CONTROL_REQUEST_METHOD,
            HeaderValue::from_static("PUT"),
        );
        h
    }

    #[test]
    fn an_allowed_origin_gets_a_204_preflight_echoing_it() {
        let p = CorsPolicy::new(["http://localhost:3000/"]);
        let res = p
            .preflight(
                &Method::OPTIONS,
                &preflight_headers("http://localhost:3000"),
            )
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://localhost:3000"
        );
    }

    #[test]
    fn a_foreign_origin_gets_403_and_no_allow_header() {
        let p = CorsPolicy::new(["http://localhost:3000"]);
        let res = p
            .preflight(&Method::OPTIONS, &preflight_headers("https://evil.example"))
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(!res
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    }

    #[test]
    fn a_plain_options_request_is_not_a_preflight() {
        let p = CorsPolicy::new(["*"]);
        assert!(p.preflight(&Method::OPTIONS, &HeaderMap::new()).is_none());
        assert!(p
            .preflight(&Method::GET, &preflight_headers("http://a"))
            .is_none());
    }

    #[test]
    fn only_an_origin_listed_by_name_may_read_with_credentials() {
        let p = CorsPolicy::new(["http://localhost:3000", "*"]);
        let mut h = HeaderMap::new();
        let listed = HeaderValue::from_static("http://localhost:3000");
        p.apply(Some(&listed), &mut h);
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        let mut h = HeaderMap::new();
        let other = HeaderValue::from_static("http://elsewhere:1");
        p.apply(Some(&other), &mut h);
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://elsewhere:1");
        assert!(!h.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
    }

    #[test]
    fn star_allows_any_origin() {
        assert!(CorsPolicy::new(["*"]).allows("http://anything:1"));
        assert!(!CorsPolicy::new(Vec::<String>::new()).allows("http://anything:1"));
    }
}
