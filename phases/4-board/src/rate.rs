//! Token buckets: how many note requests a connection, an address or a person may send,
//! and how fast.
//!
//! A bucket holds up to `burst` tokens and refills at `per_sec` tokens a second; each
//! request takes one. A person clicking around never notices it (a burst of 40 covers a
//! reconnecting client replaying its pending ops); a script in a loop is held to the
//! refill rate. An empty bucket does not close the connection: the request is answered
//! `rate_limited` with the time until the next token, and the client retries then.
//!
//! ## Why one bucket per connection is not enough
//!
//! A connection's own bucket ([`TokenBucket`], owned by its task, no lock) stops one
//! runaway tab. But a script opens 250 connections and gets 250 budgets. So every request
//! also takes a token from buckets **shared by all connections of a key**
//! ([`KeyedBuckets`]): one per peer IP address, one per person (the `author` a change
//! names). A request goes through only if every bucket it meets has a token.
//!
//! The shared buckets live in a map, and a map keyed by what clients send grows with what
//! they send — the very thing we are bounding. So the map holds at most
//! [`MAX_TRACKED_KEYS`] keys. A bucket that has refilled to its burst is the same as no
//! bucket at all, so those are dropped first (nothing is forgotten that matters); only if
//! every key is busy is the least recently used one dropped (it starts again full — the
//! per-address bucket still holds a key-rotating script to its rate).
//!
//! Time is passed in, never read here, so tests step through it exactly.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

// ANCHOR: token_bucket
/// One connection's request budget.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    burst: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens, refilling at `per_sec` a second.
    pub fn new(per_sec: u32, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            burst,
            per_sec: f64::from(per_sec.max(1)),
            tokens: burst,
            last: now,
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }

    /// Whether the bucket is back to its burst at `now`: then it is the same as a new one.
    fn is_full(&self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens + elapsed * self.per_sec >= self.burst
    }
}
// ANCHOR_END: token_bucket

/// Most keys one [`KeyedBuckets`] remembers (addresses, or persons).
pub const MAX_TRACKED_KEYS: usize = 10_000;

// ANCHOR: keyed_buckets
/// One [`TokenBucket`] per key (an IP address, a person), shared by every connection.
#[derive(Debug)]
pub struct KeyedBuckets<K> {
    per_sec: u32,
    burst: u32,
    max_keys: usize,
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

impl<K: Hash + Eq + Clone> KeyedBuckets<K> {
    /// Buckets of `burst` tokens refilling at `per_sec` a second; `per_sec == 0` turns
    /// this limit off. At most `max_keys` keys are remembered.
    pub fn new(per_sec: u32, burst: u32, max_keys: usize) -> Self {
        Self {
            per_sec,
            burst,
            max_keys: max_keys.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token from `key`'s bucket, or says how long until one is there.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        if self.per_sec == 0 {
            return Ok(());
        }
        // A bucket is a few arithmetic operations: no await, no I/O under this lock.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if !buckets.contains_key(key) && buckets.len() >= self.max_keys {
            make_room(&mut buckets, self.max_keys, now);
        }
        buckets
            .entry(key.clone())
            .or_insert_with(|| TokenBucket::new(self.per_sec, self.burst, now))
            .take(now)
    }

    /// How many keys are remembered now.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Drops every full bucket (they hold no memory worth keeping); if none was full, the
/// least recently used one.
fn make_room<K: Hash + Eq + Clone>(
    buckets: &mut HashMap<K, TokenBucket>,
    max_keys: usize,
    now: Instant,
) {
    buckets.retain(|_, b| !b.is_full(now));
    if buckets.len() >= max_keys {
        let oldest = buckets
            .iter()
            .min_by_key(|(_, b)| b.last)
            .map(|(k, _)| k.clone());
        if let Some(k) = oldest {
            buckets.remove(&k);
        }
    }
}
// ANCHOR_END: keyed_buckets

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_allows_a_burst_then_refuses_with_the_wait() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(20, 40, t0);
        for _ in 0..40 {
            assert!(b.take(t0).is_ok());
        }
        let wait = b.take(t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(50));
    }

    #[test]
    fn tokens_come_back_at_the_rate_and_never_above_the_burst() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, 2, t0);
        assert!(b.take(t0).is_ok() && b.take(t0).is_ok());
        assert!(b.take(t0).is_err());
        assert!(b.take(t0 + Duration::from_millis(100)).is_ok());
        // A long idle time refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        assert!(b.take(later).is_ok() && b.take(later).is_ok());
        assert!(b.take(later).is_err());
    }

    #[test]
    fn every_holder_of_a_key_shares_one_bucket_and_other_keys_have_their_own() {
        let t0 = Instant::now();
        let per_ip = KeyedBuckets::new(1, 3, 10);
        // Three connections of one address: three requests in all, not three each.
        for _ in 0..3 {
            assert!(per_ip.take(&"10.0.0.1", t0).is_ok());
        }
        assert_eq!(per_ip.take(&"10.0.0.1", t0), Err(Duration::from_secs(1)));
        assert!(per_ip.take(&"10.0.0.2", t0).is_ok());
    }

    #[test]
    fn a_zero_rate_turns_the_limit_off() {
        let t0 = Instant::now();
        let off = KeyedBuckets::new(0, 1, 10);
        for _ in 0..100 {
            assert!(off.take(&"anyone", t0).is_ok());
        }
        assert_eq!(off.tracked(), 0);
    }

    #[test]
    fn the_map_never_holds_more_than_its_cap_and_drops_refilled_buckets_first() {
        let t0 = Instant::now();
        let buckets = KeyedBuckets::new(10, 2, 3);
        for key in 0..3 {
            assert!(buckets.take(&key, t0).is_ok());
        }
        // Key 0 empties its bucket; keys 1 and 2 refill while time passes.
        assert!(buckets.take(&0, t0).is_ok());
        let later = t0 + Duration::from_millis(150);
        assert!(buckets.take(&3, later).is_ok());
        assert_eq!(buckets.tracked(), 2, "keys 1 and 2 were full and dropped");
        // Key 0 is still remembered: its bucket was not full, so it is not reset.
        assert!(buckets.take(&0, later).is_ok());
        assert!(buckets.take(&0, later).is_err());
        // With every key busy, the least recently used one makes room.
        let busy = KeyedBuckets::new(1, 1, 2);
        assert!(busy.take(&"a", t0).is_ok());
        assert!(busy.take(&"b", t0 + Duration::from_millis(1)).is_ok());
        assert!(busy.take(&"c", t0 + Duration::from_millis(2)).is_ok());
        assert_eq!(busy.tracked(), 2);
        assert!(
            busy.take(&"b", t0 + Duration::from_millis(3)).is_err(),
            "b was kept"
        );
    }
}
