//! Signing a delivery, and checking a signature the way a receiver must.
//!
//! A receiver's URL is public enough: anyone who learns it can POST to it. What proves a
//! request came from this server is a **signature** only the two of them can make — an
//! HMAC-SHA256 keyed by the hook's secret, handed out once, when the hook is registered.
//! The header follows the scheme Stripe and GitHub use:
//!
//! ```text
//! Liveboard-Signature: t=1718000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//!                      │            └─ hex(HMAC-SHA256(secret, "<t>.<raw body>"))
//!                      └─ when it was signed, Unix seconds
//! ```
//!
//! * **The timestamp is signed with the body**, so it cannot be changed without breaking
//!   the signature — and a receiver refuses a signature older than a tolerance
//!   ([`TOLERANCE_SECS`], 5 minutes, Stripe's default). That is the **replay protection**:
//!   someone who recorded a delivery cannot send it again tomorrow. Within the tolerance a
//!   replay is still possible; receivers that must act once also drop a delivery id they
//!   have already seen (`Liveboard-Delivery`), which they need anyway, because delivery is
//!   at least once ([`super`]).
//! * **The raw body is signed**, byte for byte: a receiver verifies the bytes it
//!   received, *before* parsing them (re-serialised JSON is not the same bytes).
//! * **The comparison takes constant time**: comparing hex strings with `==` stops at the
//!   first differing byte, and how long a refusal took tells an attacker how many leading
//!   bytes of a forged signature were right. [`Mac::verify_slice`] (and Python's
//!   `hmac.compare_digest`) compare every byte whatever they find.
//! * **`v1=`** names the scheme: a future `v2=` can be sent next to it while receivers
//!   migrate, and a receiver ignores the versions it does not know.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use phase_1_foundations::signed::{hex, unhex};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying `t=<unix seconds>,v1=<hex signature>`.
pub const SIGNATURE_HEADER: &str = "liveboard-signature";
/// The header naming the delivery, `<board>-<seq>-<hook id>`: the same on every retry.
pub const DELIVERY_HEADER: &str = "liveboard-delivery";
/// The header naming the event, e.g. `note.moved`.
pub const EVENT_HEADER: &str = "liveboard-event";
/// How old a signature a receiver accepts, in seconds: 5 minutes, as Stripe documents.
pub const TOLERANCE_SECS: u64 = 300;

/// A fresh signing secret: `whsec_` and 32 bytes from the operating system's random
/// source, in hex. The `whsec_` prefix makes a leaked one easy to recognise (and to
/// search logs and repositories for).
pub fn new_secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(format!("whsec_{}", hex(&bytes)))
}

/// Now, in Unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn mac(secret: &str, timestamp: u64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length (RFC 2104 §3), so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

// ANCHOR: webhook_sign
/// The `Liveboard-Signature` value for `body` signed at `timestamp`.
pub fn sign(secret: &str, timestamp: u64, body: &[u8]) -> String {
    // EXERCISE(ch8-sign-webhook): the t=…,v1=… signature header
    let signature = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex(&signature))
    // EXERCISE_END(ch8-sign-webhook)
}
// ANCHOR_END: webhook_sign

/// Why a receiver refuses a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is missing a `t=` or a `v1=`, or they do not parse.
    #[error("the signature header is not `t=<unix seconds>,v1=<hex>`")]
    Malformed,
    /// Signed longer ago than the tolerance: possibly a replay.
    #[error("the signature is {age_secs} s old, more than the {TOLERANCE_SECS} s tolerated")]
    Stale {
        /// How old, in seconds.
        age_secs: u64,
    },
    /// No `v1=` matches this body under this secret: tampered, or another secret.
    #[error("no signature matches the body")]
    Mismatch,
}

// ANCHOR: webhook_verify
/// What a receiver does with a delivery, `now` in Unix seconds: the timestamp within the
/// tolerance (either way: a clock ahead is as suspect as one behind), then some `v1=`
/// equal to the HMAC of `"<t>.<body>"`, compared in constant time.
pub fn verify(secret: &str, header: &str, body: &[u8], now: u64) -> Result<(), SignatureError> {
    // EXERCISE(ch8-verify-webhook): verify a delivery as a receiver: tolerance, then a constant-time compare
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<u64>().ok(),
            Some(("v1", v)) => signatures.extend(unhex(v)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age_secs = now.abs_diff(timestamp);
    if age_secs > TOLERANCE_SECS {
        return Err(SignatureError::Stale { age_secs });
    }
    let expected = mac(secret, timestamp, body);
    if signatures
        .iter()
        .any(|s| expected.clone().verify_slice(s).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
    // EXERCISE_END(ch8-verify-webhook)
}
// ANCHOR_END: webhook_verify

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_is_refused() {
        let secret = new_secret().unwrap();
        let body = br#"{"seq":1}"#;
        let header = sign(&secret, 1_000, body);
        assert_eq!(verify(&secret, &header, body, 1_010), Ok(()));
        assert_eq!(
            verify(&secret, &header, br#"{"seq":2}"#, 1_010),
            Err(SignatureError::Mismatch)
        );
        let other = new_secret().unwrap();
        assert_eq!(
            verify(&other, &header, body, 1_010),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is signed too: moving it forward breaks the signature.
        let moved = header.replace("t=1000", "t=1005");
        assert_eq!(
            verify(&secret, &moved, body, 1_010),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_header_is_t_then_v1_the_hex_hmac_of_t_dot_body() {
        // Computed independently: Python's
        // hmac.new(b"whsec_test", b'1718000000.{"seq":42}', hashlib.sha256).hexdigest()
        assert_eq!(
            sign("whsec_test", 1_718_000_000, br#"{"seq":42}"#),
            "t=1718000000,v1=97aafe4af1c61cd14bbc84cb149b25785886fdc7e0e013d3ad961d5a2aabe175"
        );
    }

    #[test]
    fn an_old_signature_is_stale_and_a_bad_header_is_malformed() {
        let header = sign("whsec_x", 1_000, b"{}");
        assert_eq!(
            verify("whsec_x", &header, b"{}", 1_000 + TOLERANCE_SECS + 1),
            Err(SignatureError::Stale {
                age_secs: TOLERANCE_SECS + 1
            })
        );
        for bad in ["", "t=1000", "v1=00", "t=soon,v1=00"] {
            assert_eq!(
                verify("whsec_x", bad, b"{}", 1_000),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn secrets_are_random_and_prefixed() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 64, "{a}");
    }
}
