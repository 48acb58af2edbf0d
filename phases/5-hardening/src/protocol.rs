//! What phase 5 adds to the wire: the connection policy a client is told when it connects,
//! the application-level heartbeat, and the retry hint a close reason may carry.
//!
//! Both messages use phase 3's envelope (`{"type", "payload"}`), so a client reads a frame
//! as `ServerEnvelope | NoteServerEnvelope | HardeningServerEnvelope` and switches on
//! `type`, as it does for phase 4's notes.
//!
//! ```text
//! ◀─ {"type":"welcome", ...}                                         (phase 3)
//! ◀─ {"type":"connection.policy","payload":{"backoff":{...},"heartbeat":{"intervalMs":20000,"deadlineMs":50000}}}
//! ◀─ {"type":"heartbeat","payload":{"serverTimeMs":1764600000000}}   every intervalMs
//! ```
//!
//! **Why an application heartbeat besides RFC 6455 pings?** A browser answers the server's
//! pings by itself but never tells the page about them: JavaScript cannot see a ping, so it
//! cannot tell a quiet board from a dead link. The `heartbeat` message is something the
//! page *can* see; the client treats any message as proof of life and gives up on the
//! connection when nothing at all arrived for `deadlineMs`.
//!
//! **The retry hint.** A close code whose verdict is "reconnect" (1001 going away, 1012
//! restart, 1013 try again later) may end its reason with ` retry-after-ms=N`: the server
//! knows better than the client how long to wait (it is restarting; it spreads its clients
//! over a window). A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5), so the
//! hint is a short suffix, not JSON.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::backoff::BackoffPolicy;

// ANCHOR: connection_policy
/// How the server expects clients to behave, sent once after `welcome`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionPolicy {
    /// How to wait between reconnection attempts.
    pub backoff: BackoffPolicy,
    /// How often the server shows it is alive, and when to give up on it.
    pub heartbeat: HeartbeatPolicy,
}

/// The heartbeat's timing, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatPolicy {
    /// The server sends a ping and a `heartbeat` message this often (the first one after a
    /// random delay in `[interval/2, interval)`, so a mass reconnect does not synchronize).
    #[ts(type = "number")]
    pub interval_ms: u64,
    /// A connection with no sign of life for this long is dead: the server closes it, and
    /// the client does the same when it has received nothing for this long.
    #[ts(type = "number")]
    pub deadline_ms: u64,
}
// ANCHOR_END: connection_policy

/// A message phase 5 sends: `{ "type", "payload" }`, like phase 3's envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HardeningServerEnvelope {
    /// What happened.
    #[serde(flatten)]
    pub event: HardeningServerEvent,
}

/// Everything phase 5 sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", content = "payload")]
pub enum HardeningServerEvent {
    /// Sent once, right after `welcome`.
    #[serde(rename = "connection.policy")]
    ConnectionPolicy(ConnectionPolicy),
    /// Sent every `heartbeat.intervalMs`: proof of life a page can see.
    #[serde(rename = "heartbeat")]
    Heartbeat(Heartbeat),
}

/// `heartbeat`'s payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    /// The server's clock, milliseconds since the Unix epoch (for the page's timeline).
    #[ts(type = "number")]
    pub server_time_ms: u64,
}

impl HardeningServerEvent {
    /// The event as the text of one WebSocket message.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&HardeningServerEnvelope {
            event: self.clone(),
        })
        .unwrap_or_else(|e| unreachable!("a hardening event always serializes: {e}"))
    }
}

// The hint's format lives with the advice it carries, in phase 2 (`retry.rs`); it is
// re-exported here because this is where the wire additions of phase 5 are listed.
pub use phase_2_sse::retry::{retry_hint, with_retry_hint, RETRY_HINT};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_message_has_phase_3s_envelope_shape() {
        let json = HardeningServerEvent::ConnectionPolicy(ConnectionPolicy {
            backoff: BackoffPolicy::default(),
            heartbeat: HeartbeatPolicy {
                interval_ms: 20_000,
                deadline_ms: 50_000,
            },
        })
        .to_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["type"], "connection.policy");
        assert_eq!(v["payload"]["heartbeat"]["deadlineMs"], 50_000);
        assert_eq!(v["payload"]["backoff"]["jitter"]["kind"], "full");
    }
}
