//! The response body type every handler returns.
//!
//! hyper is generic over the body type, which is precise but awkward for a router that
//! holds many handlers: one answers with a fixed JSON document, another (phase 2) with an
//! endless `text/event-stream`. We erase the difference behind one boxed type.
//!
//! Our bodies never fail half-way (a stream that must stop simply ends), so the error type
//! is [`Infallible`]. `UnsyncBoxBody` (rather than `BoxBody`) only asks the body to be
//! `Send`, which lets a stream hold a `tokio::sync::mpsc::Receiver`.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Empty, Full};

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
