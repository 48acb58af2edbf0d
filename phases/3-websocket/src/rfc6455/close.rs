//! The close handshake's vocabulary: status codes, what they mean, and what a client should do.
//!
//! A WebSocket connection ends with a *closing handshake* (RFC 6455 §7): one side sends a
//! Close frame (opcode 0x8), the other answers with a Close frame, then the TCP connection is
//! closed. A Close frame's payload is optional; when present it is a 2-byte big-endian *status
//! code* followed by a UTF-8 *reason* (§5.5.1), 125 bytes at most in total (§5.5).
//!
//! Users' most common question is "why was I disconnected?", so Liveboard keeps **one table**
//! of every code the server sends or recognises: [`CloseCode`]. Each code carries
//!
//! * its number and name (§7.4.1 and the IANA "WebSocket Close Code Number Registry"),
//! * a short human reason, which is also what the server sends as the Close frame's reason,
//! * a [`ReconnectVerdict`]: should the client come back (with backoff), stop, or log in again,
//! * whether it may appear on the wire at all: 1005, 1006 and 1015 are *reserved values* that an
//!   endpoint reports to its application but MUST NOT send (§7.4.1).
//!
//! The table derives `serde::Serialize` ([`close_code_table`]) so it can be generated into
//! TypeScript for the web client and printed in the book: the server and the client can never
//! disagree about what a code means.
//!
//! It also *builds* a Close payload (code, then a reason cut to fit). *Reading* one, with
//! the errors that can fail the connection, is the message layer's job
//! ([`crate::rfc6455::message::parse_close_payload`]): this table sits at the bottom of the
//! crate's layers and depends on nothing but the opcode table's size limit.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use crate::rfc6455::opcode::MAX_CONTROL_PAYLOAD;

/// What a client should do after the connection closed with a given code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconnectVerdict {
    /// The problem is temporary: reconnect, following the backoff contract (full jitter, cap,
    /// reset only after the connection stayed up for a while).
    Reconnect,
    /// Reconnecting would fail the same way (a bug, a deliberate end): do not reconnect; show
    /// the reason to the user.
    Stop,
    /// The session is no longer acceptable (expired or revoked credentials): obtain new
    /// credentials, then reconnect.
    Reauthenticate,
}

/// Every close status code Liveboard sends or recognises, defined once.
///
/// The discriminant *is* the wire value (RFC 6455 §7.4.1, IANA registry), so
/// `CloseCode::MessageTooBig as u16 == 1009`. Application codes (4000-4999) and library codes
/// (3000-3999) are valid to *receive* but are not in this table; a received [`CloseFrame`]
/// therefore stores the raw `u16` and [`CloseFrame::known_code`] looks it up here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[repr(u16)]
pub enum CloseCode {
    /// 1000: the purpose for which the connection was established has been fulfilled.
    Normal = 1000,
    /// 1001: an endpoint is going away (server shutdown, browser navigating away).
    GoingAway = 1001,
    /// 1002: the peer broke the protocol.
    ProtocolError = 1002,
    /// 1003: the peer sent a data type this endpoint cannot accept (e.g. binary to a text-only
    /// endpoint).
    UnsupportedData = 1003,
    /// 1005: *reserved*; a Close frame arrived without a status code. Never sent on the wire.
    NoStatusReceived = 1005,
    /// 1006: *reserved*; the connection dropped without a Close frame. Never sent on the wire.
    Abnormal = 1006,
    /// 1007: a message's data did not match its type (invalid UTF-8 in a text message).
    InvalidPayload = 1007,
    /// 1008: a message violated the endpoint's policy (generic; here: credentials rejected).
    PolicyViolation = 1008,
    /// 1009: a frame or message was too big to process.
    MessageTooBig = 1009,
    /// 1010: (sent by a client) the server did not negotiate an extension the client requires.
    MandatoryExtension = 1010,
    /// 1011: the server hit an unexpected condition.
    InternalError = 1011,
    /// 1012: the service is restarting (IANA-registered).
    ServiceRestart = 1012,
    /// 1013: try again later (IANA-registered): the service is overloaded, or — Liveboard's
    /// main use — this connection fell more than its queue budget behind the stream and was
    /// cut as a *slow consumer* (reason `"slow consumer: ..."`). Chosen over 1008 (policy
    /// violation) because the client did nothing wrong and should come back with backoff
    /// and resume from its last position; 1008 here means "sign in again".
    TryAgainLater = 1013,
    /// 1014: a gateway or proxy got an invalid response from upstream (IANA-registered).
    BadGateway = 1014,
    /// 1015: *reserved*; the TLS handshake failed. Never sent on the wire.
    TlsHandshake = 1015,
}

impl CloseCode {
    /// Every code in the table, in numeric order (handy for generating docs and TypeScript).
    pub const ALL: [CloseCode; 15] = [
        CloseCode::Normal,
        CloseCode::GoingAway,
        CloseCode::ProtocolError,
        CloseCode::UnsupportedData,
        CloseCode::NoStatusReceived,
        CloseCode::Abnormal,
        CloseCode::InvalidPayload,
        CloseCode::PolicyViolation,
        CloseCode::MessageTooBig,
        CloseCode::MandatoryExtension,
        CloseCode::InternalError,
        CloseCode::ServiceRestart,
        CloseCode::TryAgainLater,
        CloseCode::BadGateway,
        CloseCode::TlsHandshake,
    ];

    /// The wire value.
    pub fn code(self) -> u16 {
        self as u16
    }

    /// Looks a wire value up in the table.
    pub fn from_code(code: u16) -> Option<CloseCode> {
        CloseCode::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The short human reason. The server sends exactly this as the Close frame's reason, so
    /// each one fits in the 123 bytes a Close payload leaves after the code (§5.5).
    pub fn reason(self) -> &'static str {
        self.entry().1
    }

    /// What the client should do after a close with this code.
    pub fn verdict(self) -> ReconnectVerdict {
        self.entry().0
    }

    /// Whether the code may appear in a Close frame at all. RFC 6455 §7.4.1: 1005, 1006 and
    /// 1015 are "designated for use in applications expecting a status code to indicate" a
    /// condition, and "MUST NOT be set as a status code in a Close control frame by an endpoint".
    pub fn is_sendable(self) -> bool {
        !matches!(
            self,
            CloseCode::NoStatusReceived | CloseCode::Abnormal | CloseCode::TlsHandshake
        )
    }

    // ANCHOR: close_entry
    /// The one place that says what each code means to Liveboard.
    fn entry(self) -> (ReconnectVerdict, &'static str) {
        use ReconnectVerdict::*;
        match self {
            CloseCode::Normal => (Stop, "normal closure"),
            // A server going away is usually a deploy or a restart: come back, with backoff
            // so that every client does not return in the same second.
            CloseCode::GoingAway => (Reconnect, "server going away"),
            // A client that broke the protocol will break it again: reconnecting in a loop
            // would only hammer the server.
            CloseCode::ProtocolError => (Stop, "protocol error"),
            CloseCode::UnsupportedData => (Stop, "unsupported data type"),
            CloseCode::NoStatusReceived => (Reconnect, "closed without a status code"),
            // The network dropped: the commonest reason to reconnect.
            CloseCode::Abnormal => (Reconnect, "connection lost without a close frame"),
            CloseCode::InvalidPayload => (Stop, "invalid message data (text must be UTF-8)"),
            CloseCode::PolicyViolation => (Reauthenticate, "policy violation: sign in again"),
            CloseCode::MessageTooBig => (Stop, "message too big"),
            CloseCode::MandatoryExtension => (Stop, "required extension not negotiated"),
            CloseCode::InternalError => (Reconnect, "internal server error"),
            CloseCode::ServiceRestart => (Reconnect, "service restarting"),
            CloseCode::TryAgainLater => (
                Reconnect,
                "try again later: server overloaded or client too slow",
            ),
            CloseCode::BadGateway => (Reconnect, "bad gateway"),
            CloseCode::TlsHandshake => (Stop, "TLS handshake failed"),
        }
    }
    // ANCHOR_END: close_entry
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.code()
    }
}

/// One row of the close-code table, as generated into TypeScript and printed in the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloseCodeInfo {
    /// The wire value, e.g. 1009.
    pub code: u16,
    /// The Rust variant name, e.g. `"MessageTooBig"`.
    pub name: CloseCode,
    /// The short human reason (also sent as the Close frame's reason).
    pub reason: &'static str,
    /// What a client should do.
    pub verdict: ReconnectVerdict,
    /// False for 1005, 1006 and 1015, which are never sent in a Close frame.
    pub sent_on_wire: bool,
}

/// The whole table, in numeric order.
pub fn close_code_table() -> Vec<CloseCodeInfo> {
    CloseCode::ALL
        .into_iter()
        .map(|code| CloseCodeInfo {
            code: code.code(),
            name: code,
            reason: code.reason(),
            verdict: code.verdict(),
            sent_on_wire: code.is_sendable(),
        })
        .collect()
}

/// Whether `code` may legitimately arrive in a Close frame (RFC 6455 §7.4.2, IANA registry).
///
/// * 0-999: "not used";
/// * 1000-2999: reserved for the protocol; of those only 1000-1003, 1007-1011 and the
///   IANA-registered 1012-1014 are defined *and* sendable (1004 is reserved, 1005/1006/1015 must
///   never be sent, the rest are unassigned);
/// * 3000-3999: for libraries and frameworks (registered with IANA);
/// * 4000-4999: private use, e.g. a Liveboard application code.
pub fn is_valid_received_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// The body of a Close frame: a status code and a UTF-8 reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code as received (it may be an application code not in [`CloseCode`]).
    pub code: u16,
    /// The reason, at most 123 bytes of UTF-8.
    pub reason: String,
}

impl CloseFrame {
    /// The code's entry in the Liveboard table, if it has one.
    pub fn known_code(&self) -> Option<CloseCode> {
        CloseCode::from_code(self.code)
    }

    /// The Close frame payload: 2-byte big-endian code, then the reason (RFC 6455 §5.5.1).
    /// A reason longer than 123 bytes is cut at the last character boundary that fits.
    pub fn to_payload(&self) -> Bytes {
        close_payload(self.code, &self.reason)
    }
}

/// Builds a Close payload, cutting the reason so the whole payload fits in 125 bytes.
pub(crate) fn close_payload(code: u16, reason: &str) -> Bytes {
    // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    let reason = truncate_at_char_boundary(reason, MAX_CONTROL_PAYLOAD - 2);
    let mut payload = BytesMut::with_capacity(2 + reason.len());
    payload.put_u16(code);
    payload.put_slice(reason.as_bytes());
    payload.freeze()
}

fn truncate_at_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_in_the_table_has_its_wire_value_as_discriminant() {
        let codes: Vec<u16> = CloseCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(
            codes,
            [
                1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                1015
            ]
        );
        for code in CloseCode::ALL {
            assert_eq!(CloseCode::from_code(code.code()), Some(code));
        }
    }

    #[test]
    fn every_reason_fits_in_a_close_frame() {
        for code in CloseCode::ALL {
            assert!(code.reason().len() <= MAX_CONTROL_PAYLOAD - 2, "{code:?}");
            assert!(!code.reason().is_empty());
        }
    }

    #[test]
    fn codes_1005_1006_and_1015_are_never_sent_and_never_accepted() {
        for code in [1005, 1006, 1015] {
            assert!(!CloseCode::from_code(code).unwrap().is_sendable());
            assert!(!is_valid_received_code(code));
        }
        for code in CloseCode::ALL.into_iter().filter(|c| c.is_sendable()) {
            assert!(is_valid_received_code(code.code()), "{code:?}");
        }
    }

    #[test]
    fn the_table_serialises_for_typescript_generation() {
        let json = serde_json::to_value(close_code_table()).unwrap();
        assert_eq!(
            json[8],
            serde_json::json!({
                "code": 1009,
                "name": "MessageTooBig",
                "reason": "message too big",
                "verdict": "stop",
                "sent_on_wire": true
            })
        );
        assert_eq!(json.as_array().unwrap().len(), CloseCode::ALL.len());
    }

    #[test]
    fn a_long_reason_is_cut_at_a_character_boundary() {
        let reason = "é".repeat(100); // 200 bytes
        let payload = close_payload(1000, &reason);
        assert!(payload.len() <= MAX_CONTROL_PAYLOAD);
        assert_eq!(payload.len(), 2 + 122); // 61 two-byte characters
        assert!(std::str::from_utf8(&payload[2..]).is_ok(), "still UTF-8");
    }
}
