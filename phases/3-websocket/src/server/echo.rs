//! `GET /ws/echo`: every message comes back as it went out — text as text, binary as
//! binary, fragmented messages as one frame.
//!
//! The smallest possible [`Session`]: it exists so that independent clients
//! (tokio-tungstenite in our tests, Node's `ws`, a browser, the Autobahn|Testsuite) can
//! check *the connection* — handshake, framing, fragmentation, UTF-8, ping/pong, closing —
//! without any application protocol in the way. The web app's inspector uses it as a
//! playground.

use bytes::Bytes;

use crate::server::session::{Session, SessionContext};

/// Echoes every data message.
#[derive(Debug, Default, Clone, Copy)]
pub struct EchoSession;

impl Session for EchoSession {
    fn on_text(&mut self, text: String, cx: &mut SessionContext) {
        cx.send_text(text);
    }

    fn on_binary(&mut self, data: Bytes, cx: &mut SessionContext) {
        cx.send_binary(data);
    }
}
