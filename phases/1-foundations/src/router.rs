//! A router of our own: method + path pattern → handler.
//!
//! A route is a method and a pattern such as `/boards/:board/notes/:id`. Literal segments
//! must match exactly; `:name` segments capture one path segment into [`Params`]. Routes
//! are tried in the order they were added, which keeps the rule a student has to hold in
//! their head small: *first match wins*.
//!
//! Two failures are distinguished, as RFC 9110 asks:
//! * no pattern matches the path → `404 Not Found`;
//! * some pattern matches the path but not with this method → `405 Method Not Allowed`
//!   with an `Allow` header listing the methods that would have worked (§15.5.6).
//!
//! A `GET` route also answers `HEAD` (§9.3.2: HEAD is GET without the body; hyper drops
//! the body for us).

use std::{future::Future, pin::Pin, sync::Arc};

use http::{Method, Request, Response};
use hyper::body::Incoming;

use crate::{body::Body, error::ApiError};

/// What a handler's future resolves to.
pub type HandlerResult = Result<Response<Body>, ApiError>;
/// A boxed handler future.
pub type HandlerFuture = Pin<Box<dyn Future<Output = HandlerResult> + Send>>;
/// A type-erased handler: the request (owned, so a handler may upgrade it) and the
/// captured path parameters.
pub type Handler = Arc<dyn Fn(Request<Incoming>, Params) -> HandlerFuture + Send + Sync>;

/// Path parameters captured by `:name` segments, percent-decoded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The value captured for `name`, if the pattern had such a segment.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Like [`Params::get`] but a missing parameter is a `500`: it means the handler was
    /// mounted on a pattern without that segment, a programming error.
    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::internal(format!("route has no path parameter :{name}")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

struct Route {
    method: Method,
    pattern: Vec<Segment>,
    handler: Handler,
}

// ANCHOR: match_enum
/// The outcome of looking a request up.
pub enum Match<'r> {
    /// A route matched: call this handler with these parameters.
    Found(&'r Handler, Params),
    /// The path exists, but not for this method.
    MethodNotAllowed(Vec<Method>),
    /// No route has this path.
    NotFound,
    /// A path segment was not valid percent-encoded UTF-8.
    BadPath(String),
}
// ANCHOR_END: match_enum

/// An ordered list of routes.
#[derive(Default, Clone)]
pub struct Router {
    routes: Vec<Arc<Route>>,
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route. `pattern` starts with `/`; `:name` segments capture.
    ///
    /// ```
    /// use phase_1_foundations::{Router, body};
    /// use http::{Method, Response};
    /// let router = Router::new().route(Method::GET, "/boards/:board", |_req, params| async move {
    ///     let board = params.require("board")?.to_owned();
    ///     Ok(Response::new(body::full(board)))
    /// });
    /// # let _ = router;
    /// ```
    pub fn route<F, Fut>(mut self, method: Method, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request<Incoming>, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |req, params| Box::pin(handler(req, params)));
        self.routes.push(Arc::new(Route {
            method,
            pattern: parse_pattern(pattern),
            handler,
        }));
        self
    }

    /// Shorthand for a `GET` route.
    pub fn get<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request<Incoming>, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.route(Method::GET, pattern, handler)
    }

    /// Shorthand for a `POST` route.
    pub fn post<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request<Incoming>, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.route(Method::POST, pattern, handler)
    }

    /// Appends every route of `other` after ours (how phases compose their routers).
    pub fn merge(mut self, other: Router) -> Self {
        self.routes.extend(other.routes);
        self
    }

    /// Every route as `(method, pattern)`, in matching order (what `--routes` prints).
    pub fn table(&self) -> Vec<(Method, String)> {
        self.routes
            .iter()
            .map(|route| {
                let path: String = route
                    .pattern
                    .iter()
                    .map(|segment| match segment {
                        Segment::Literal(s) => format!("/{s}"),
                        Segment::Param(name) => format!("/:{name}"),
                    })
                    .collect();
                let path = if path.is_empty() {
                    "/".to_owned()
                } else {
                    path
                };
                (route.method.clone(), path)
            })
            .collect()
    }

    // ANCHOR: router_find
    /// Finds the handler for `method` and `path` (the path without the query string).
    pub fn find(&self, method: &Method, path: &str) -> Match<'_> {
        // EXERCISE(ch1-router): match a route, or answer 404 / 405 with Allow
        let segments: Vec<&str> = split_path(path);
        let mut allowed: Vec<Method> = Vec::new();
        for route in &self.routes {
            let params = match match_pattern(&route.pattern, &segments) {
                Ok(Some(params)) => params,
                Ok(None) => continue,
                Err(bad) => return Match::BadPath(bad),
            };
            let head_as_get = *method == Method::HEAD && route.method == Method::GET;
            if route.method == *method || head_as_get {
                return Match::Found(&route.handler, params);
            }
            push_unique(&mut allowed, route.method.clone());
            if route.method == Method::GET {
                push_unique(&mut allowed, Method::HEAD);
            }
        }
        if allowed.is_empty() {
            Match::NotFound
        } else {
            Match::MethodNotAllowed(allowed)
        }
        // EXERCISE_END(ch1-router)
    }
    // ANCHOR_END: router_find
}

fn push_unique(list: &mut Vec<Method>, m: Method) {
    if !list.contains(&m) {
        list.push(m);
    }
}

fn split_path(path: &str) -> Vec<&str> {
    // "/a/b/" and "/a/b" are the same resource here; empty segments are ignored.
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn parse_pattern(pattern: &str) -> Vec<Segment> {
    split_path(pattern)
        .into_iter()
        .map(|s| match s.strip_prefix(':') {
            Some(name) => Segment::Param(name.to_owned()),
            None => Segment::Literal(s.to_owned()),
        })
        .collect()
}

/// `Ok(None)`: no match. `Err`: a parameter segment was not valid percent-encoding.
fn match_pattern(pattern: &[Segment], segments: &[&str]) -> Result<Option<Params>, String> {
    if pattern.len() != segments.len() {
        return Ok(None);
    }
    let mut params = Vec::new();
    for (seg, actual) in pattern.iter().zip(segments) {
        match seg {
            Segment::Literal(lit) if lit == actual => {}
            Segment::Literal(_) => return Ok(None),
            Segment::Param(name) => params.push((name.clone(), percent_decode(actual)?)),
        }
    }
    Ok(Some(Params(params)))
}

/// Decodes `%XX` escapes (RFC 3986 §2.1) and checks the result is UTF-8.
pub fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid percent-escape in path segment {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("path segment {s:?} is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body;

    fn router() -> Router {
        let ok = |_req, _p| async { Ok(Response::new(body::empty())) };
        Router::new()
            .get("/health", ok)
            .get("/boards/:board/notes/:id", ok)
            .route(Method::DELETE, "/boards/:board/notes/:id", ok)
    }

    #[test]
    fn a_literal_route_matches_its_path_only() {
        let r = router();
        assert!(matches!(r.find(&Method::GET, "/health"), Match::Found(..)));
        assert!(matches!(r.find(&Method::GET, "/health/"), Match::Found(..)));
        assert!(matches!(r.find(&Method::GET, "/healthz"), Match::NotFound));
    }

    #[test]
    fn parameters_are_captured_and_percent_decoded() {
        let r = router();
        match r.find(&Method::GET, "/boards/team%20a/notes/42") {
            Match::Found(_, p) => {
                assert_eq!(p.get("board"), Some("team a"));
                assert_eq!(p.get("id"), Some("42"));
                assert_eq!(p.get("nope"), None);
            }
            _ => panic!("expected a match"),
        }
    }

    #[test]
    fn a_known_path_with_another_method_is_405_with_the_allowed_list() {
        match router().find(&Method::POST, "/boards/a/notes/1") {
            Match::MethodNotAllowed(allowed) => {
                assert_eq!(allowed, vec![Method::GET, Method::HEAD, Method::DELETE])
            }
            _ => panic!("expected 405"),
        }
    }

    #[test]
    fn the_table_lists_each_route_with_its_pattern_in_order() {
        let table = router().table();
        let rows: Vec<(&str, &str)> = table
            .iter()
            .map(|(m, p)| (m.as_str(), p.as_str()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("GET", "/health"),
                ("GET", "/boards/:board/notes/:id"),
                ("DELETE", "/boards/:board/notes/:id"),
            ]
        );
    }

    #[test]
    fn head_is_answered_by_the_get_route() {
        assert!(matches!(
            router().find(&Method::HEAD, "/health"),
            Match::Found(..)
        ));
    }

    #[test]
    fn a_broken_percent_escape_is_reported_not_panicked_on() {
        assert!(matches!(
            router().find(&Method::GET, "/boards/%zz/notes/1"),
            Match::BadPath(_)
        ));
        assert!(matches!(
            router().find(&Method::GET, "/boards/%ff/notes/1"),
            Match::BadPath(_)
        ));
        assert!(matches!(
            router().find(&Method::GET, "/boards/%4/notes/1"),
            Match::BadPath(_)
        ));
    }
}
