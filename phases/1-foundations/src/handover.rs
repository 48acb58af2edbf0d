//! Handing a connection over: a response whose body is written on the bare socket, not
//! through hyper.
//!
//! **Why.** hyper serves a connection with a read buffer and a write buffer of 8 KiB each
//! for as long as the connection lives. For a request that is answered and done, that is
//! nothing. For an event stream — a response that lasts hours and writes a few hundred
//! bytes a minute — it is most of what the stream costs: about 16 KiB per open stream, ten
//! thousand streams 160 MB, to hold buffers that are empty almost all the time. A WebSocket
//! escapes hyper through the `101` upgrade; a `200` response has no such door. This module
//! is that door, for responses whose body runs until the connection closes.
//!
//! **How.** A handler answers as usual and attaches a [`Handover`] to its response with
//! [`hand_over`]: the function that will write the body. The server's per-connection
//! service ([`crate::server`]) sees it before hyper does, keeps the response head, and never
//! gives hyper an answer; the connection task takes the socket back from hyper
//! (`into_parts`: the request is read, nothing has been written), writes the head itself
//! — [`encode_head`], a few lines of RFC 9112 — and runs the handover's function on the
//! socket in a task of its own. hyper's connection, with its buffers, is dropped.
//!
//! **The message framing.** The body is *delimited by the close of the connection*, the
//! oldest way an HTTP/1 message can end (RFC 9112 §6.3, rule 8: a response with neither
//! `Transfer-Encoding` nor `Content-Length` runs until the server closes). So the head says
//! `Connection: close`, carries no length and no chunking, and the body's bytes go to the
//! socket as they are — no chunk sizes to frame each write (hyper would have chunked it).
//! The connection is never reused, which an event stream never wanted anyway.
//!
//! The handover is for responses that end with their connection. The request must have
//! been read whole (an event stream's `GET` has no body); bytes a client sent after it
//! are given to the handover's function, which may read on.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    time::SystemTime,
};

use bytes::Bytes;
use http::{header, response, HeaderValue, Response};

use crate::{body::Body, memory_release::CountedStream};

/// What runs on the socket once the head is written: it gets the stream and any bytes
/// the client sent after the request.
pub type HandoverFn =
    Box<dyn FnOnce(CountedStream, Bytes) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

// ANCHOR: handover
/// The function that writes a handed-over response's body, carried in the response's
/// extensions (which need `Clone`, hence the shared slot) until the server takes it.
#[derive(Clone)]
pub struct Handover(Arc<Mutex<Option<HandoverFn>>>);

impl Handover {
    /// Takes the function out; `None` if it was taken already.
    pub fn take(&self) -> Option<HandoverFn> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl fmt::Debug for Handover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Handover")
    }
}

/// Makes `res` a handed-over response: its head is written as it is (plus `Connection:
/// close`), then `run` writes the body on the socket until it returns, and the connection
/// closes. Whatever `run` captured (a subscription, a slot) is dropped if the client
/// goes away before the head could be written.
pub fn hand_over<F, Fut>(res: &mut Response<Body>, run: F)
where
    F: FnOnce(CountedStream, Bytes) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let run: HandoverFn = Box::new(move |stream, read_ahead| Box::pin(run(stream, read_ahead)));
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res.extensions_mut()
        .insert(Handover(Arc::new(Mutex::new(Some(run)))));
}
// ANCHOR_END: handover

// ANCHOR: encode_head
/// The bytes of a response head for a body delimited by the connection's close:
/// the status line and the fields (RFC 9112 §4 and §5), a `Date` if the handler set none
/// (RFC 9110 §6.6.1: an origin server with a clock must send one), and the empty line.
/// `Content-Length` and `Transfer-Encoding` are left out: either would promise an end
/// other than the close.
pub fn encode_head(head: &response::Parts) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(head.status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in &head.headers {
        if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !head.headers.contains_key(header::DATE) {
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(httpdate::fmt_http_date(SystemTime::now()).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}
// ANCHOR_END: encode_head

#[cfg(test)]
mod tests {
    use super::*;

    fn head_of(res: Response<Body>) -> String {
        let (parts, _body) = res.into_parts();
        String::from_utf8(encode_head(&parts)).unwrap()
    }

    #[test]
    fn the_head_is_a_status_line_fields_a_date_and_an_empty_line() {
        let mut res = Response::new(crate::body::empty());
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        hand_over(&mut res, |_stream, _read_ahead| async {});
        let head = head_of(res);
        let mut lines = head.split("\r\n");
        assert_eq!(lines.next(), Some("HTTP/1.1 200 OK"));
        assert_eq!(lines.next(), Some("content-type: text/event-stream"));
        assert_eq!(lines.next(), Some("connection: close"));
        let date = lines.next().unwrap().strip_prefix("date: ").unwrap();
        assert!(httpdate::parse_http_date(date).is_ok(), "{date}");
        assert_eq!(
            lines.collect::<Vec<_>>(),
            ["", ""],
            "ends with an empty line"
        );
    }

    #[test]
    fn a_length_or_chunking_the_body_will_not_honour_is_left_out() {
        let mut res = Response::new(crate::body::empty());
        res.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        res.headers_mut().insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        res.headers_mut().insert(
            header::DATE,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        let head = head_of(res);
        assert!(!head.contains("content-length"), "{head}");
        assert!(!head.contains("transfer-encoding"), "{head}");
        assert_eq!(
            head.matches("date:").count(),
            1,
            "the handler's date is kept"
        );
    }

    #[test]
    fn the_function_can_be_taken_once() {
        let mut res = Response::new(crate::body::empty());
        hand_over(&mut res, |_stream, _read_ahead| async {});
        let handover = res.extensions().get::<Handover>().unwrap().clone();
        assert!(handover.take().is_some());
        assert!(handover.take().is_none());
    }
}
