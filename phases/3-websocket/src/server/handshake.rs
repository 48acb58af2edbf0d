//! The opening handshake on hyper: from an HTTP `GET` to a WebSocket (RFC 6455 §4).
//!
//! A WebSocket starts life as an ordinary HTTP/1.1 request (§4.1):
//!
//! ```text
//! GET /ws HTTP/1.1
//! Host: 127.0.0.1:8080
//! Upgrade: websocket
//! Connection: Upgrade
//! Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
//! Sec-WebSocket-Version: 13
//! Origin: http://localhost:3000
//! Sec-WebSocket-Protocol: liveboard.v1
//! ```
//!
//! and the server agrees by answering `101 Switching Protocols` (§4.2.2):
//!
//! ```text
//! HTTP/1.1 101 Switching Protocols
//! Upgrade: websocket
//! Connection: Upgrade
//! Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
//! Sec-WebSocket-Protocol: liveboard.v1
//! ```
//!
//! After those bytes the TCP connection no longer carries HTTP: hyper hands it over
//! ([`hyper::upgrade::OnUpgrade`]) and the frame codec takes it from there.
//!
//! [`check_request`] verifies every requirement of §4.2.1 and refuses with a JSON
//! [`ApiError`] saying which one failed and what to send instead:
//!
//! | what is wrong | answer |
//! |---|---|
//! | not `GET` | `405` + `Allow: GET` |
//! | not HTTP/1.1 | `400 http_version_not_supported` |
//! | no `Host` header | `400 missing_host` |
//! | several `Host` headers, or an empty one | `400 bad_host` |
//! | `Sec-WebSocket-Version`, `Sec-WebSocket-Key` or `Origin` sent twice | `400 repeated_header` |
//! | no `Upgrade` header at all (a plain `GET`, e.g. a browser tab) | `426 upgrade_required` + `Upgrade: websocket` |
//! | `Upgrade` without the `websocket` token | `400 not_a_websocket_upgrade` |
//! | `Connection` without the `upgrade` token | `400 connection_not_upgrade` |
//! | `Sec-WebSocket-Version` missing or not `13` | `426 unsupported_websocket_version` + `Sec-WebSocket-Version: 13` |
//! | `Sec-WebSocket-Key` missing or not base64 of 16 bytes | `400 bad_websocket_key` |
//! | `Origin` present and not allowed | `403 origin_not_allowed` |
//!
//! **One value, one header.** The version, the key and the origin are single values, not
//! lists: a request carrying two keys (or two origins) is ambiguous, and answering it means
//! picking one — the first, as `HeaderMap::get` does — while a proxy or a logger in front
//! may have looked at the other. A lenient server that "just takes the first" is exactly
//! the disagreement request smuggling is built on, so a repeated single-valued header is
//! refused before any of them is read ([`single`]).
//!
//! **Why we check `Origin` ourselves.** CORS does not apply to WebSockets: a page on
//! `https://evil.example` may open `new WebSocket("ws://127.0.0.1:8080/ws")`, the browser
//! sends the user's cookies along, and nothing stops the page from reading the replies
//! (Cross-Site WebSocket Hijacking). The browser always sets `Origin` on the handshake
//! (§4.1, item 8; §10.2), so the server must compare it with its allow-list — the same one
//! CORS uses ([`CorsPolicy::allows`]). A request **without** `Origin` did not come from a
//! browser page (curl, tests, another server); it is allowed, because such a client could
//! send any `Origin` it liked anyway: the check protects browsers' users, not the server.
//!
//! **Subprotocols** (§1.9, §4.2.2 item 5.4). The client lists the application protocols it
//! speaks in `Sec-WebSocket-Protocol`, most preferred first; the server picks the **first
//! one it supports** and names it in the 101. When the client offers only protocols we do
//! not support we still accept, **without** a `Sec-WebSocket-Protocol` header — RFC 6455
//! says a server that does not agree to any "MUST NOT send back" the header, and leaves
//! the decision to the client: browsers then fail the connection themselves (their console
//! says the server did not pick a protocol), while a client that offered protocols only
//! opportunistically carries on with the endpoint's default. A client offering none gets
//! the default too: for `/ws` that is `liveboard.v1`, the only version so far.

use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version};
use hyper::upgrade::OnUpgrade;
use phase_1_foundations::{body, cors::CorsPolicy, ApiError, Body};

use crate::rfc6455::accept::{accept_key, is_valid_client_key};

/// The only protocol version RFC 6455 defines (§4.1 item 9, §4.4).
pub const WEBSOCKET_VERSION: &str = "13";

/// What a valid request agreed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The `Sec-WebSocket-Accept` value.
    pub accept: String,
    /// The subprotocol chosen, if the client offered one we support.
    pub subprotocol: Option<&'static str>,
}

/// A handshake that succeeded: send `response`, then await `on_upgrade` for the socket.
pub struct Upgrade {
    /// The `101 Switching Protocols` response.
    pub response: Response<Body>,
    /// Resolves to the raw connection once hyper has written the 101.
    pub on_upgrade: OnUpgrade,
    /// The subprotocol chosen, if any.
    pub subprotocol: Option<&'static str>,
}

/// Whether any comma-separated element of any `name` header equals `token`, ignoring
/// ASCII case (RFC 9110 §5.6.1 lists; §7.8 `Upgrade` and §7.6.1 `Connection` are token lists).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn version_required(message: String) -> ApiError {
    ApiError::new(
        StatusCode::UPGRADE_REQUIRED,
        "unsupported_websocket_version",
        message,
    )
    // RFC 6455 §4.4: the server "MUST ... send back a |Sec-WebSocket-Version| header field
    // containing the version(s) the server is capable of understanding".
    .with_header(
        header::SEC_WEBSOCKET_VERSION,
        HeaderValue::from_static(WEBSOCKET_VERSION),
    )
}

// ANCHOR: check_request
/// Checks an upgrade request against RFC 6455 §4.2.1 and our origin allow-list, and
/// negotiates a subprotocol from `supported` (most preferred by *the client* wins).
pub fn check_request<B>(
    req: &Request<B>,
    origins: &CorsPolicy,
    supported: &[&'static str],
) -> Result<Accepted, ApiError> {
    let h = req.headers();
    // RFC 6455 §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
    if req.method() != Method::GET {
        return Err(ApiError::method_not_allowed(
            req.method(),
            req.uri().path(),
            &[Method::GET],
        ));
    }
    if req.version() != Version::HTTP_11 {
        return Err(ApiError::bad_request(
            "http_version_not_supported",
            format!(
                "a WebSocket handshake must be an HTTP/1.1 request, got {:?}",
                req.version()
            ),
        ));
    }
    // RFC 6455 §4.2.1 item 2: "A |Host| header field containing the server's authority."
    // hyper does not insist (it serves an HTTP/1.1 request without one), so we do; RFC
    // 9112 §3.2 also makes a missing, repeated or invalid Host a 400.
    check_host(h)?;
    // RFC 6455 §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket",
    // treated as an ASCII case-insensitive value."
    if !h.contains_key(header::UPGRADE) {
        // A plain GET (a browser tab, curl without headers): RFC 9110 §15.5.22 — 426 and
        // an `Upgrade` header naming the protocol to switch to.
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            "this endpoint speaks WebSocket: send Upgrade: websocket, Connection: Upgrade, \
             Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key (RFC 6455 §4.1)",
        )
        .with_header(header::UPGRADE, HeaderValue::from_static("websocket"))
        .with_header(header::CONNECTION, HeaderValue::from_static("Upgrade"))
        .with_header(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static(WEBSOCKET_VERSION),
        ));
    }
    if !has_token(h, header::UPGRADE, "websocket") {
        return Err(ApiError::bad_request(
            "not_a_websocket_upgrade",
            "the Upgrade header must contain the token \"websocket\" (RFC 6455 §4.2.1 item 3)",
        ));
    }
    // RFC 6455 §4.2.1 item 4: "A |Connection| header field that includes the token
    // "Upgrade", treated as an ASCII case-insensitive value."
    if !has_token(h, header::CONNECTION, "upgrade") {
        return Err(ApiError::bad_request(
            "connection_not_upgrade",
            "the Connection header must contain the token \"Upgrade\" (RFC 6455 §4.2.1 item 4)",
        ));
    }
    // RFC 6455 §4.2.1 item 6: "A |Sec-WebSocket-Version| header field, with a value of 13."
    // Checked before the key: a client of another version may format its key differently,
    // and what it needs to hear is which version we speak.
    match single(h, "Sec-WebSocket-Version", "RFC 6455 §4.2.1 item 6")?.map(HeaderValue::as_bytes)
    {
        Some(v) if v.trim_ascii() == WEBSOCKET_VERSION.as_bytes() => {}
        Some(v) => {
            return Err(version_required(format!(
                "Sec-WebSocket-Version {:?} is not supported; this server speaks version 13 \
                 (RFC 6455 §4.4)",
                String::from_utf8_lossy(v)
            )))
        }
        None => {
            return Err(version_required(
                "Sec-WebSocket-Version is missing; send Sec-WebSocket-Version: 13 \
                 (RFC 6455 §4.2.1 item 6)"
                    .into(),
            ))
        }
    }
    // RFC 6455 §4.2.1 item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded
    // value that, when decoded, is 16 bytes in length."
    // RFC 6455 §11.3.1: "The |Sec-WebSocket-Key| header field MUST NOT appear more than
    // once in an HTTP request."
    let key = single(h, "Sec-WebSocket-Key", "RFC 6455 §11.3.1")?
        .and_then(|v| v.to_str().ok())
        .filter(|k| is_valid_client_key(k))
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_websocket_key",
                "Sec-WebSocket-Key must be a random 16-byte value, base64-encoded \
                 (24 characters ending in \"==\"; RFC 6455 §4.1 item 7)",
            )
        })?;
    // RFC 6455 §10.2: "servers that are not intended to process input from any web page but
    // only for certain sites SHOULD verify the |Origin| field is an origin they expect."
    // RFC 6454 §7.3: "User agents MUST NOT include more than one Origin header field in
    // any HTTP request" — two of them come from no browser, and which one would we check?
    if let Some(origin) = single(h, "Origin", "RFC 6454 §7.3, RFC 6455 §4.2.1 item 8")? {
        let origin = origin.to_str().unwrap_or("(not ASCII)");
        if !origins.allows(origin) {
            return Err(ApiError::forbidden(
                "origin_not_allowed",
                format!("pages from origin {origin} may not open WebSockets here"),
            )
            .with_detail(format!(
                "origin {origin} is not in the allowed origins (LIVEBOARD_ALLOWED_ORIGINS)"
            )));
        }
    }
    Ok(Accepted {
        accept: accept_key(key),
        subprotocol: choose_subprotocol(h, supported),
    })
}
// ANCHOR_END: check_request

// ANCHOR: single_header
/// The one value of a header that must not be repeated, or `None` if it is absent.
/// Sent twice (even with equal values) it is refused with `400 repeated_header`, naming
/// the header (`name`, spelled as the RFCs spell it; lookups ignore case) and the rule
/// (`rfc`) — never silently resolved to the first copy.
fn single<'h>(
    h: &'h HeaderMap,
    name: &'static str,
    rfc: &str,
) -> Result<Option<&'h HeaderValue>, ApiError> {
    let mut values = h.get_all(name).iter();
    match (values.next(), values.next()) {
        (only, None) => Ok(only),
        _ => Err(ApiError::bad_request(
            "repeated_header",
            format!("the handshake has more than one {name} header; send it exactly once ({rfc})"),
        )),
    }
}
// ANCHOR_END: single_header

/// The `Host` header must be there, once, and not empty. Which authority it names is not
/// checked: behind a proxy the server cannot know every name it is reached by.
fn check_host(h: &HeaderMap) -> Result<(), ApiError> {
    let mut hosts = h.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) => Err(ApiError::bad_request(
            "missing_host",
            "the handshake has no Host header; send Host: <host>:<port> naming this server \
             (RFC 6455 §4.2.1 item 2, RFC 9112 §3.2)",
        )),
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "bad_host",
            "the handshake has more than one Host header; send exactly one \
             (RFC 6455 §4.2.1 item 2, RFC 9112 §3.2)",
        )),
        (Some(host), None) if host.as_bytes().trim_ascii().is_empty() => {
            Err(ApiError::bad_request(
                "bad_host",
                "the handshake's Host header is empty; name this server, e.g. \
                 Host: 127.0.0.1:8080 (RFC 6455 §4.2.1 item 2)",
            ))
        }
        (Some(_), None) => Ok(()),
    }
}

/// The client's first offered subprotocol that we support (RFC 6455 §4.2.2 item 5.4:
/// "the value chosen MUST be derived from the client's handshake").
pub fn choose_subprotocol(headers: &HeaderMap, supported: &[&'static str]) -> Option<&'static str> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|offered| supported.iter().copied().find(|s| *s == offered))
}

// ANCHOR: switching_protocols
/// The `101 Switching Protocols` answer (RFC 6455 §4.2.2 item 5).
pub fn switching_protocols(accepted: &Accepted) -> Response<Body> {
    let mut res = Response::new(body::empty());
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accepted.accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    if let Some(p) = accepted.subprotocol {
        h.insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(p));
    }
    res
}
// ANCHOR_END: switching_protocols

/// Checks the request and, if it is a valid handshake, takes hyper's upgrade handle out
/// of it. The caller returns [`Upgrade::response`] from its handler and spawns a task
/// awaiting [`Upgrade::on_upgrade`]: hyper resolves it after writing the 101 (the server
/// must serve connections `.with_upgrades()`, which phase 1's does).
pub fn accept<B>(
    req: &mut Request<B>,
    origins: &CorsPolicy,
    supported: &[&'static str],
) -> Result<Upgrade, ApiError> {
    let accepted = check_request(req, origins, supported)?;
    Ok(Upgrade {
        response: switching_protocols(&accepted),
        on_upgrade: hyper::upgrade::on(req),
        subprotocol: accepted.subprotocol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn request(edit: impl FnOnce(http::request::Builder) -> http::request::Builder) -> Request<()> {
        let b = Request::get("/ws")
            .header("host", "127.0.0.1:8080")
            .header("upgrade", "websocket")
            .header("connection", "Upgrade")
            .header("sec-websocket-key", KEY)
            .header("sec-websocket-version", "13");
        edit(b).body(()).unwrap()
    }

    fn check(req: &Request<()>) -> Result<Accepted, ApiError> {
        check_request(
            req,
            &CorsPolicy::new(["http://localhost:3000"]),
            &["liveboard.v1"],
        )
    }

    #[test]
    fn the_rfc_example_request_is_accepted_with_the_rfc_accept_value() {
        let ok = check(&request(|b| b)).unwrap();
        assert_eq!(ok.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(ok.subprotocol, None);
    }

    #[test]
    fn tokens_are_case_insensitive_and_may_sit_in_comma_lists() {
        let req = Request::get("/ws")
            .header("host", "127.0.0.1:8080")
            .header("upgrade", "h2c, WebSocket")
            .header("connection", "keep-alive, UPGRADE")
            .header("sec-websocket-key", KEY)
            .header("sec-websocket-version", "13")
            .body(())
            .unwrap();
        assert!(check(&req).is_ok());
    }

    #[test]
    fn each_missing_requirement_has_its_own_status_and_code() {
        let cases: Vec<(Request<()>, u16, &str)> = vec![
            (
                Request::get("/ws")
                    .header("host", "127.0.0.1:8080")
                    .body(())
                    .unwrap(),
                426,
                "upgrade_required",
            ),
            (request(|b| b.method("POST")), 405, "method_not_allowed"),
            (
                request(|b| b.version(Version::HTTP_10)),
                400,
                "http_version_not_supported",
            ),
            (
                Request::get("/ws")
                    .header("host", "127.0.0.1:8080")
                    .header("upgrade", "h2c")
                    .body(())
                    .unwrap(),
                400,
                "not_a_websocket_upgrade",
            ),
            (
                Request::get("/ws")
                    .header("host", "127.0.0.1:8080")
                    .header("upgrade", "websocket")
                    .header("connection", "keep-alive")
                    .body(())
                    .unwrap(),
                400,
                "connection_not_upgrade",
            ),
        ];
        for (req, status, code) in cases {
            let err = check(&req).unwrap_err();
            assert_eq!(err.status.as_u16(), status, "{code}");
            assert_eq!(err.code, code);
        }
    }

    #[test]
    fn a_missing_repeated_or_empty_host_is_400() {
        let without = |edit: fn(http::request::Builder) -> http::request::Builder| {
            let b = Request::get("/ws")
                .header("upgrade", "websocket")
                .header("connection", "Upgrade")
                .header("sec-websocket-key", KEY)
                .header("sec-websocket-version", "13");
            check(&edit(b).body(()).unwrap()).unwrap_err()
        };
        let missing = without(|b| b);
        assert_eq!(
            (missing.status, missing.code),
            (StatusCode::BAD_REQUEST, "missing_host")
        );
        assert!(missing.message.contains("Host"), "{}", missing.message);
        let twice = without(|b| b.header("host", "a:1").header("host", "b:2"));
        assert_eq!(twice.code, "bad_host");
        let empty = without(|b| b.header("host", " "));
        assert_eq!(empty.code, "bad_host");
    }

    #[test]
    fn a_wrong_or_missing_version_is_426_naming_version_13() {
        for version in [Some("8"), Some("14"), None] {
            let mut b = Request::get("/ws")
                .header("host", "127.0.0.1:8080")
                .header("upgrade", "websocket")
                .header("connection", "Upgrade")
                .header("sec-websocket-key", KEY);
            if let Some(v) = version {
                b = b.header("sec-websocket-version", v);
            }
            let err = check(&b.body(()).unwrap()).unwrap_err();
            assert_eq!(err.status, StatusCode::UPGRADE_REQUIRED);
            assert_eq!(err.code, "unsupported_websocket_version");
            assert!(err
                .headers
                .iter()
                .any(|(n, v)| n == header::SEC_WEBSOCKET_VERSION && v == "13"));
        }
    }

    #[test]
    fn a_key_that_is_not_sixteen_base64_bytes_is_400() {
        for key in [
            "",
            "abc",
            "AAAAAAAAAAAAAAAAAAAAAAAA",
            "dGhlIHNhbXBsZSBub25jZQ",
        ] {
            let req = Request::get("/ws")
                .header("host", "127.0.0.1:8080")
                .header("upgrade", "websocket")
                .header("connection", "Upgrade")
                .header("sec-websocket-key", key)
                .header("sec-websocket-version", "13")
                .body(())
                .unwrap();
            assert_eq!(
                check(&req).unwrap_err().code,
                "bad_websocket_key",
                "{key:?}"
            );
        }
    }

    #[test]
    fn a_repeated_key_version_or_origin_is_400_naming_the_header() {
        let other_key = "AQIDBAUGBwgJCgsMDQ4PEA==";
        let cases: [(&str, &str, &str); 3] = [
            ("sec-websocket-key", other_key, "Sec-WebSocket-Key"),
            // Even the same value twice: the header is single-valued.
            ("sec-websocket-version", "13", "Sec-WebSocket-Version"),
            ("origin", "http://localhost:3000", "Origin"),
        ];
        for (name, second, spelled) in cases {
            let mut req = request(|b| b.header("origin", "http://localhost:3000"));
            req.headers_mut()
                .append(name, HeaderValue::from_static(second));
            let err = check(&req).unwrap_err();
            assert_eq!(
                (err.status, err.code),
                (StatusCode::BAD_REQUEST, "repeated_header"),
                "{name}"
            );
            assert!(err.message.contains(spelled), "{}", err.message);
        }
    }

    #[test]
    fn a_foreign_origin_is_403_and_a_missing_origin_is_allowed() {
        let err = check(&request(|b| b.header("origin", "https://evil.example"))).unwrap_err();
        assert_eq!(err.status, StatusCode::FORBIDDEN);
        assert!(check(&request(|b| b.header("origin", "http://localhost:3000"))).is_ok());
        assert!(check(&request(|b| b)).is_ok());
    }

    #[test]
    fn the_first_offered_subprotocol_we_support_is_chosen() {
        let pick = |offer: &str| {
            check(&request(|b| b.header("sec-websocket-protocol", offer)))
                .unwrap()
                .subprotocol
        };
        assert_eq!(pick("chat, liveboard.v1"), Some("liveboard.v1"));
        assert_eq!(pick("liveboard.v1"), Some("liveboard.v1"));
        // Only unknown ones: accepted without a subprotocol (the client decides).
        assert_eq!(pick("chat, superchat"), None);
    }

    #[test]
    fn the_101_carries_upgrade_connection_accept_and_the_chosen_protocol() {
        let res = switching_protocols(&Accepted {
            accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
            subprotocol: Some("liveboard.v1"),
        });
        assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
        let h = res.headers();
        assert_eq!(h[header::UPGRADE], "websocket");
        assert_eq!(h[header::CONNECTION], "Upgrade");
        assert_eq!(
            h[header::SEC_WEBSOCKET_ACCEPT],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(h[header::SEC_WEBSOCKET_PROTOCOL], "liveboard.v1");
    }
}
