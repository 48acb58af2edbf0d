//! Phase 3's WebSocket upgrade checks ([`check_request`]), on requests parsed from raw
//! bytes the way hyper parses them (httparse).

use http::{header, Method, Request, Version};
use phase_1_foundations::cors::CorsPolicy;
use phase_3_websocket::{accept_key, is_valid_client_key, server::handshake::check_request};

const ORIGIN: &str = "http://localhost:3000";
const SUPPORTED: &[&str] = &["liveboard.v1"];

/// Parses `data` as an HTTP request head and runs the handshake checks on it. When they
/// accept, checks what RFC 6455 §4.2.1 and the allow-list require of an accepted request:
/// a `GET` over HTTP/1.1, exactly one `Host` and one valid `Sec-WebSocket-Key`, the
/// matching `Sec-WebSocket-Accept`, at most one `Origin` and an allowed one, and a
/// subprotocol only if the client offered it.
pub fn websocket_handshake(data: &[u8]) {
    let Some(req) = parse(data) else { return };
    let origins = CorsPolicy::new([ORIGIN]);
    let Ok(accepted) = check_request(&req, &origins, SUPPORTED) else {
        return;
    };
    let h = req.headers();
    assert_eq!(req.method(), Method::GET);
    assert_eq!(req.version(), Version::HTTP_11);
    assert_eq!(h.get_all(header::HOST).iter().count(), 1);
    let keys: Vec<_> = h.get_all(header::SEC_WEBSOCKET_KEY).iter().collect();
    assert_eq!(keys.len(), 1, "accepted with {} keys", keys.len());
    let key = keys[0].to_str().expect("an accepted key is text");
    assert!(is_valid_client_key(key), "accepted the key {key:?}");
    assert_eq!(accepted.accept, accept_key(key));
    let origins: Vec<_> = h.get_all(header::ORIGIN).iter().collect();
    assert!(origins.len() <= 1, "accepted {} origins", origins.len());
    if let Some(origin) = origins.first() {
        assert_eq!(origin.as_bytes(), ORIGIN.as_bytes(), "accepted {origin:?}");
    }
    if let Some(chosen) = accepted.subprotocol {
        let offered = h
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|p| p.trim() == chosen);
        assert!(offered, "chose {chosen}, which the client did not offer");
    }
}

/// The request head in `data`, as hyper would build it, or `None` if hyper would refuse
/// it before any handler ran.
fn parse(data: &[u8]) -> Option<Request<()>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(_) = parsed.parse(data).ok()? else {
        return None;
    };
    let version = match parsed.version? {
        0 => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut builder = Request::builder()
        .method(parsed.method?)
        .uri(parsed.path?)
        .version(version);
    for h in parsed.headers.iter() {
        builder = builder.header(h.name, h.value);
    }
    builder.body(()).ok()
}
