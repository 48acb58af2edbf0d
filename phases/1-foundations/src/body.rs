//! Bodies: the response body type every handler returns, and reading a request body into
//! memory safely.
//!
//! hyper is generic over the body type, which is precise but awkward for a router that
//! holds many handlers: one answers with a fixed JSON document, another (phase 2) with an
//! endless `text/event-stream`. We erase the difference behind one boxed type.
//!
//! Our bodies never fail half-way (a stream that must stop simply ends), so the error type
//! is [`Infallible`]. `UnsyncBoxBody` (rather than `BoxBody`) only asks the body to be
//! `Send`, which lets a stream hold a `tokio::sync::mpsc::Receiver`.
//!
//! **Reading a request body** ([`read_to_limit`]) costs memory in proportion to the bytes
//! the client sent, not to the TCP segments they came in. hyper hands us each read as a
//! [`Bytes`] that is a slice of its connection's read buffer (kilobytes); a client that
//! sends one byte per segment makes every 1-byte chunk pin one such buffer, and keeping
//! the chunks (as `BodyExt::collect` does) turned 3 KB received into megabytes held. So
//! we copy each chunk into one `Vec` and drop it at once; the `Vec` grows by doubling but
//! never past the limit. And a body that trickles must still end: the whole body must
//! arrive before the [`BodyDeadline`] the server stamps on each request.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Empty, Full};
use tokio::time::Instant;

/// A boxed HTTP response body.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A body holding exactly these bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// An empty body (for `204`, `101`, preflight answers).
pub fn empty() -> Body {
    Empty::<Bytes>::new().boxed_unsync()
}

/// When a request's body must have arrived in full; the server puts one in every
/// request's extensions (`--body-timeout-ms` after its headers were read).
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Instant);

/// Why [`read_to_limit`] gave up.
#[derive(Debug)]
pub enum ReadBodyError {
    /// The body is longer than the limit (in bytes).
    TooLarge(usize),
    /// The body had not arrived in full by the deadline.
    TimedOut,
    /// The connection failed while the body was arriving (the client hung up, or sent a
    /// malformed chunked encoding).
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

// ANCHOR: read_to_limit
/// Reads `body` into one buffer of at most `max_bytes` bytes, before `deadline`.
pub async fn read_to_limit<B>(
    body: B,
    max_bytes: usize,
    deadline: Instant,
) -> Result<Vec<u8>, ReadBodyError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut body = std::pin::pin!(body);
    let mut buffer = Vec::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_elapsed) => return Err(ReadBodyError::TimedOut),
            Ok(None) => return Ok(buffer),
            Ok(Some(Err(e))) => return Err(ReadBodyError::Failed(e.into())),
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers (a chunked body may end with some) are not part of the JSON.
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        let needed = buffer.len() + chunk.len();
        if needed > max_bytes {
            return Err(ReadBodyError::TooLarge(max_bytes));
        }
        if needed > buffer.capacity() {
            // Double (amortised O(1) per byte), but never reserve past the limit.
            let target = needed.max(buffer.capacity() * 2).min(max_bytes);
            buffer.reserve_exact(target - buffer.len());
        }
        buffer.extend_from_slice(&chunk);
        // `chunk` drops here, and with it hyper's claim on its read buffer.
    }
}
// ANCHOR_END: read_to_limit

#[cfg(test)]
mod tests {
    use super::*;
    use std::{
        pin::Pin,
        sync::{
            atomic::{AtomicUsize, Ordering},
            Arc,
        },
        task::{Context, Poll},
        time::Duration,
    };

    use hyper::body::Frame;

    /// A 1-byte chunk that, like hyper's, keeps a large buffer alive; `live` counts them.
    struct PinnedBuffer {
        bytes: Vec<u8>,
        live: Arc<AtomicUsize>,
    }

    impl AsRef<[u8]> for PinnedBuffer {
        fn as_ref(&self) -> &[u8] {
            &self.bytes[..1]
        }
    }

    impl Drop for PinnedBuffer {
        fn drop(&mut self) {
            self.live.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Sends `remaining` 1-byte chunks, recording how many were alive at once at most.
    struct Trickle {
        remaining: usize,
        live: Arc<AtomicUsize>,
        most_live: usize,
    }

    impl hyper::body::Body for Trickle {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            if self.remaining == 0 {
                return Poll::Ready(None);
            }
            self.remaining -= 1;
            let live = self.live.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_live = self.most_live.max(live);
            let chunk = Bytes::from_owner(PinnedBuffer {
                bytes: vec![b'x'; 8 * 1024],
                live: self.live.clone(),
            });
            Poll::Ready(Some(Ok(Frame::data(chunk))))
        }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[tokio::test]
    async fn one_byte_chunks_are_copied_out_and_released_one_at_a_time() {
        let live = Arc::new(AtomicUsize::new(0));
        let mut trickle = Trickle {
            remaining: 2_000,
            live: live.clone(),
            most_live: 0,
        };
        let bytes = read_to_limit(&mut trickle, 4_096, far()).await.unwrap();
        assert_eq!(bytes.len(), 2_000);
        assert!(bytes.capacity() <= 4_096, "capacity {}", bytes.capacity());
        assert_eq!(trickle.most_live, 1, "a chunk was kept after it was copied");
        assert_eq!(live.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_buffer_never_grows_past_the_limit() {
        let body = Full::new(Bytes::from(vec![b'x'; 3_000]));
        let bytes = read_to_limit(body, 3_000, far()).await.unwrap();
        assert_eq!((bytes.len(), bytes.capacity()), (3_000, 3_000));
        let body = Full::new(Bytes::from(vec![b'x'; 3_001]));
        let err = read_to_limit(body, 3_000, far()).await.unwrap_err();
        assert!(matches!(err, ReadBodyError::TooLarge(3_000)), "{err:?}");
    }
}
