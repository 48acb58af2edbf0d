//! Refusing a connection with an answer, before hyper sees it.
//!
//! A client the server will not serve (past the global cap, or past its address's share)
//! deserves to know at once, and a `503 Service Unavailable` with `Retry-After`
//! (RFC 9110 §15.6.4, §10.2.3) tells it what to do. Silence — leaving it in the kernel's
//! listen backlog — makes it wait for its own timeout, and a browser retries blindly.
//!
//! The answer is written by hand on the raw socket: it is a fixed, 200-byte response,
//! written with one non-blocking `try_write` into a fresh socket's empty send buffer, so
//! the accept loop never waits on a client it is refusing. Then we read (and discard)
//! whatever request bytes have already arrived, because closing a socket with unread
//! data makes the kernel send a reset, and a reset may destroy our answer before the
//! client reads it. Bytes arriving after the close can still cause that reset; a client
//! sending as it connects may see "connection reset" instead of the 503.

use tokio::net::TcpStream;

/// Why a connection is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Every connection slot (`--max-connections`) is taken.
    ServerFull,
    /// This client's address holds its share (`--max-connections-per-ip`) already.
    TooManyFromAddress,
}

/// Seconds a refused client is asked to wait: longer than a burst of connections takes
/// to finish, short enough for a person not to give up.
pub const RETRY_AFTER_SECS: u64 = 5;

impl Refusal {
    /// The error's stable `code` in the JSON body.
    pub fn code(self) -> &'static str {
        match self {
            Self::ServerFull => "server_full",
            Self::TooManyFromAddress => "too_many_connections_from_address",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::ServerFull => "the server has no free connection slot; retry after the delay",
            Self::TooManyFromAddress => {
                "your address holds as many connections as it may; close one or retry later"
            }
        }
    }

    // ANCHOR: refusal_response
    /// The whole HTTP/1.1 response: `503`, `Retry-After`, `Connection: close`, JSON body.
    pub fn response(self) -> String {
        let body = serde_json::json!({
            "error": { "code": self.code(), "message": self.message() }
        })
        .to_string();
        format!(
            "HTTP/1.1 503 Service Unavailable\r\n\
             content-type: application/json\r\n\
             content-length: {}\r\n\
             retry-after: {RETRY_AFTER_SECS}\r\n\
             connection: close\r\n\
             \r\n\
             {body}",
            body.len()
        )
    }
    // ANCHOR_END: refusal_response
}

// ANCHOR: header_timeout
/// Answers a connection whose request head did not arrive within the header deadline:
/// `408 Request Timeout` with a JSON body, `Connection: close`, without waiting (the
/// caller closes it). hyper's own deadline closes the connection without a word, and a
/// client then cannot tell a slow network from a server that hung up on it (RFC 9110
/// §15.5.9: a 408 says the server "would like to shut down this unused connection").
/// Not sent to an idle keep-alive connection that began no new request: closing those
/// quietly is ordinary (RFC 9112 §9.6).
pub fn answer_header_timeout(stream: &TcpStream, deadline: std::time::Duration) {
    let body = serde_json::json!({
        "error": {
            "code": "header_timeout",
            "message": format!(
                "the request headers did not arrive within {} ms; send the whole request at once",
                deadline.as_millis()
            )
        }
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 408 Request Timeout\r\n\
         content-type: application/json\r\n\
         content-length: {}\r\n\
         connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    );
    // The socket has room for a few hundred bytes unless the client stopped reading, and
    // then there is nobody to tell.
    let _ = stream.try_write(response.as_bytes());
}
// ANCHOR_END: header_timeout

/// Answers `stream` with `reason`'s `503` and closes it, without waiting.
pub fn refuse(stream: TcpStream, reason: Refusal) {
    // A write error or a short write means the client is gone or not reading; either way
    // there is nobody to wait for.
    let _ = stream.try_write(reason.response().as_bytes());
    let mut scratch = [0u8; 4096];
    for _ in 0..16 {
        match stream.try_read(&mut scratch) {
            Ok(n) if n > 0 => continue,
            _ => break,
        }
    }
    drop(stream);
}
