//! The reconnection contract: how long a client waits before its next attempt.
//!
//! When a server restarts, every client it had loses its connection **at the same
//! instant**. If they all wait the same time before reconnecting, they all come back at the
//! same instant too — a *thundering herd* that can knock the fresh server over, so that
//! they all fail, wait, and come back together again. Two ideas break the cycle:
//!
//! * **exponential backoff**: each failed attempt doubles (`factor`) the window the next one
//!   waits in, up to a `cap`, so a server that stays down is asked less and less often;
//! * **full jitter**: the wait is a uniformly random point *inside* the window, not the
//!   window itself, so clients that failed together spread out over the whole window.
//!
//! ```text
//! delay(attempt, draw) = min + ⌊draw × min(cap, base × factorᵃᵗᵗᵉᵐᵖᵗ)⌋      draw ∈ [0, 1)
//! ```
//!
//! **Jitter must survive the cap.** A common variant multiplies the window by a random
//! factor *around* 1 (say ±50 %) and then clamps it to the cap: once the window reaches the
//! cap, every client's delay becomes exactly the cap and the herd is back in lockstep.
//! [`Jitter::ClampedProportional`] implements that mistake so the chapter (and a test) can
//! show it happen; the contract uses [`Jitter::Full`], where the cap bounds the *window*
//! and the draw still spreads clients across all of it.
//!
//! **Reset only after a stable period.** A client that resets its attempt counter as soon
//! as a connection opens is defeated by a server that accepts and then crashes: it would
//! retry at the minimum delay forever. The counter resets only once a connection has stayed
//! up for `stable_after_ms` ([`ReconnectState`]).
//!
//! **The server advises, the client obeys.** The parameters live in one [`BackoffPolicy`]
//! that the server advertises to every client when it connects; a server that knows better
//! (a restart with 1012, an overload with 1013 or `503` + `Retry-After`) sends a *hint*, a
//! delay the client waits at least ([`BackoffPolicy::next_delay_ms`]).
//!
//! **One contract, two implementations, one set of vectors.** The web client implements
//! the same function in TypeScript (`web/lib/backoff.ts`). Both read
//! `phases/5-hardening/contract/backoff-vectors.json` in their tests, so they cannot drift:
//! the arithmetic is specified in IEEE-754 doubles, the window grows by repeated
//! multiplication (not `powf`, whose last bit may differ between languages), and the result
//! is floored to whole milliseconds.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

// ANCHOR: policy
/// The reconnection parameters, defined once and advertised to every client.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackoffPolicy {
    /// The window of the first retry, in milliseconds. Default 500.
    pub base_ms: f64,
    /// How much the window grows per failed attempt. Default 2 (doubling).
    pub factor: f64,
    /// The largest window, in milliseconds. Default 30 000: a server down for minutes is
    /// asked about twice a minute per client.
    pub cap_ms: f64,
    /// Added to every delay, in milliseconds. Default 250: even a lucky draw of 0 does not
    /// reconnect in a tight loop.
    pub min_ms: f64,
    /// How the delay is drawn inside the window.
    pub jitter: Jitter,
    /// How long a connection must stay up before the attempt counter resets, in
    /// milliseconds. Default 5 000.
    pub stable_after_ms: f64,
}

/// How a delay is drawn from the window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Jitter {
    /// Uniform in `[0, window)`: the contract.
    Full,
    /// No randomness: every client waits the whole window (the lockstep failure).
    None,
    /// `window × (1 ± ratio)`, *then* clamped to the cap — the failure this chapter
    /// warns about: at the cap every draw gives the cap.
    ClampedProportional {
        /// The spread around the window, e.g. 0.5 for ±50 %.
        ratio: f64,
    },
}
// ANCHOR_END: policy

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            base_ms: 500.0,
            factor: 2.0,
            cap_ms: 30_000.0,
            min_ms: 250.0,
            jitter: Jitter::Full,
            stable_after_ms: 5_000.0,
        }
    }
}

impl BackoffPolicy {
    // ANCHOR: window
    /// The window for `attempt` (0 for the first retry): `min(cap, base × factorᵃᵗᵗᵉᵐᵖᵗ)`,
    /// grown by repeated multiplication so that every language computes the same double.
    pub fn window_ms(&self, attempt: u32) -> f64 {
        // EXERCISE(ch5-backoff-window): grow the retry window exponentially, up to the cap
        let mut window = self.base_ms;
        for _ in 0..attempt {
            if window >= self.cap_ms {
                break;
            }
            window *= self.factor;
        }
        window.min(self.cap_ms)
        // EXERCISE_END(ch5-backoff-window)
    }
    // ANCHOR_END: window

    // ANCHOR: delay
    /// The delay before retry number `attempt`, for a uniform `draw` in `[0, 1)`, in whole
    /// milliseconds.
    pub fn delay_ms(&self, attempt: u32, draw: f64) -> u64 {
        // EXERCISE(ch5-backoff-delay): draw the delay with full jitter (and keep the broken variant for the demo)
        let draw = draw.clamp(0.0, 1.0);
        let window = self.window_ms(attempt);
        let spread = match self.jitter {
            Jitter::Full => draw * window,
            Jitter::None => window,
            Jitter::ClampedProportional { ratio } => {
                // The mistake, on purpose: jitter first, clamp second.
                (window * (1.0 - ratio + 2.0 * ratio * draw)).min(self.cap_ms)
            }
        };
        (self.min_ms + spread).floor() as u64
        // EXERCISE_END(ch5-backoff-delay)
    }

    /// The delay to wait when the server also sent a hint (a 1012/1013 close reason, a
    /// `Retry-After`): at least the hint, which the server has already spread out.
    pub fn next_delay_ms(&self, attempt: u32, draw: f64, hint_ms: Option<u64>) -> u64 {
        let own = self.delay_ms(attempt, draw);
        hint_ms.map_or(own, |hint| hint.max(own))
    }
    // ANCHOR_END: delay
}

// ANCHOR: reconnect_state
/// A client's attempt counter, reset only by a connection that stayed up long enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReconnectState {
    /// The attempt number the next failure will use.
    attempt: u32,
    opened_at_ms: Option<u64>,
}

impl ReconnectState {
    /// A connection opened at `now_ms`.
    pub fn opened(&mut self, now_ms: u64) {
        self.opened_at_ms = Some(now_ms);
    }

    /// The connection closed (or an attempt to open one failed) at `now_ms`: returns the
    /// attempt number to compute the next delay with — 0 after a stable connection, one
    /// more than last time otherwise.
    pub fn closed(&mut self, now_ms: u64, policy: &BackoffPolicy) -> u32 {
        // EXERCISE(ch5-reconnect-reset): reset the attempt counter only after a stable connection
        let stable = self
            .opened_at_ms
            .take()
            .is_some_and(|at| now_ms.saturating_sub(at) as f64 >= policy.stable_after_ms);
        if stable {
            self.attempt = 0;
        }
        let this = self.attempt;
        self.attempt = self.attempt.saturating_add(1);
        this
        // EXERCISE_END(ch5-reconnect-reset)
    }
}
// ANCHOR_END: reconnect_state

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_doubles_from_the_base_until_the_cap() {
        let p = BackoffPolicy::default();
        let windows: Vec<f64> = (0..9).map(|a| p.window_ms(a)).collect();
        assert_eq!(
            windows,
            [500.0, 1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0, 30_000.0, 30_000.0, 30_000.0]
        );
        // A huge attempt number neither overflows nor loops for long.
        assert_eq!(p.window_ms(u32::MAX), 30_000.0);
    }

    #[test]
    fn full_jitter_spreads_delays_over_the_whole_window_even_at_the_cap() {
        let p = BackoffPolicy::default();
        // attempt 10 is far past the cap: the window is 30 s, and the draw still decides.
        assert_eq!(p.delay_ms(10, 0.0), 250);
        assert_eq!(p.delay_ms(10, 0.5), 250 + 15_000);
        assert_eq!(p.delay_ms(10, 0.999_999), 250 + 29_999);
    }

    #[test]
    fn clamped_proportional_jitter_collapses_to_the_cap() {
        let p = BackoffPolicy {
            jitter: Jitter::ClampedProportional { ratio: 0.5 },
            ..BackoffPolicy::default()
        };
        // Below the cap it spreads: 500 × [0.5, 1.5).
        assert_ne!(p.delay_ms(0, 0.1), p.delay_ms(0, 0.9));
        // At the cap, half of all draws give exactly the cap: the herd is back in step.
        let at_cap: Vec<u64> = [0.5, 0.6, 0.75, 0.99]
            .iter()
            .map(|&d| p.delay_ms(10, d))
            .collect();
        assert!(at_cap.iter().all(|&d| d == 250 + 30_000), "{at_cap:?}");
    }

    #[test]
    fn a_hint_is_a_floor_not_a_replacement() {
        let p = BackoffPolicy::default();
        assert_eq!(p.next_delay_ms(0, 0.0, Some(4_000)), 4_000);
        assert_eq!(p.next_delay_ms(6, 0.5, Some(100)), 250 + 15_000);
        assert_eq!(p.next_delay_ms(0, 0.5, None), 250 + 250);
    }

    #[test]
    fn the_counter_resets_only_after_a_stable_connection() {
        let p = BackoffPolicy::default();
        let mut s = ReconnectState::default();
        assert_eq!(s.closed(0, &p), 0, "the first retry uses the base window");
        assert_eq!(s.closed(700, &p), 1, "the retry failed too");
        s.opened(1_000);
        assert_eq!(s.closed(1_100, &p), 2, "accepted, then dropped at once");
        s.opened(2_000);
        assert_eq!(s.closed(2_000 + 4_999, &p), 3, "just short of stable");
        s.opened(10_000);
        assert_eq!(s.closed(15_000, &p), 0, "stayed up 5 s: start over");
        assert_eq!(s.closed(15_500, &p), 1);
    }
}
