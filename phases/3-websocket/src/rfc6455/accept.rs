//! The opening handshake's proof: `Sec-WebSocket-Accept` (RFC 6455 §1.3, §4.2.2).
//!
//! A WebSocket connection starts as an HTTP/1.1 `GET` with `Upgrade: websocket`. The client
//! sends a random 16-byte nonce, base64-encoded, in `Sec-WebSocket-Key` (§4.1). The server
//! proves that it understood the request *as WebSocket* (and is not, say, a naive HTTP server
//! or cache replaying a response) by answering `101 Switching Protocols` with
//!
//! ```text
//! Sec-WebSocket-Accept: base64( SHA-1( Sec-WebSocket-Key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ) )
//! ```
//!
//! The GUID is a fixed constant "unlikely to be used by network endpoints that do not
//! understand the WebSocket Protocol" (§1.3). SHA-1 is not used for security here (it is
//! broken for that): it is only a one-way function no non-WebSocket server would compute by
//! accident.
//!
//! ```
//! use phase_3_websocket::accept_key;
//! // The example of RFC 6455 §1.3.
//! assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};

/// The GUID of RFC 6455 §1.3, appended to the client's key before hashing.
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// ANCHOR: accept_key
/// Computes the `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2).
pub fn accept_key(client_key: &str) -> String {
    // RFC 6455 §1.3: the server takes the value "minus any leading and trailing whitespace".
    // EXERCISE(ch3-accept-key): compute Sec-WebSocket-Accept from Sec-WebSocket-Key
    let key = client_key.trim();
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(WEBSOCKET_GUID.as_bytes());
    STANDARD.encode(sha1.finalize())
    // EXERCISE_END(ch3-accept-key)
}
// ANCHOR_END: accept_key

/// Whether a `Sec-WebSocket-Key` is well formed.
///
/// RFC 6455 §4.1: "The request MUST include a header field with the name Sec-WebSocket-Key.
/// The value of this header field MUST be a nonce consisting of a randomly selected 16-byte
/// value that has been base64-encoded". So: canonical, padded base64 that decodes to exactly
/// 16 bytes (always 24 characters).
pub fn is_valid_client_key(key: &str) -> bool {
    let key = key.trim();
    key.len() == 24 && matches!(STANDARD.decode(key), Ok(nonce) if nonce.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_key_gives_the_rfc_example_accept_value() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(
            accept_key(" dGhlIHNhbXBsZSBub25jZQ==\t"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert!(is_valid_client_key(" dGhlIHNhbXBsZSBub25jZQ== "));
    }

    #[test]
    fn a_key_must_be_base64_of_exactly_sixteen_bytes() {
        assert!(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(is_valid_client_key("AAAAAAAAAAAAAAAAAAAAAA=="));
        // 15 bytes, 17 bytes.
        assert!(!is_valid_client_key(&STANDARD.encode([0u8; 15])));
        assert!(!is_valid_client_key(&STANDARD.encode([0u8; 17])));
        // Not base64, missing padding, non-canonical trailing bits, empty.
        assert!(!is_valid_client_key("not a base64 key at all!"));
        assert!(!is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!is_valid_client_key("dGhlIHNhbXBsZSBub25jZR=="));
        assert!(!is_valid_client_key(""));
    }
}
