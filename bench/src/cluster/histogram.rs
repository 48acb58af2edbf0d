//! A latency histogram small enough to send between processes: each worker records every
//! delivery's latency into one, sends it to the parent as JSON, and the parent merges them
//! and reads the percentiles of all deliveries.
//!
//! **Log-linear buckets** (the idea behind HdrHistogram): values below 128 µs have a bucket
//! each; above, every power of two is cut into 64 buckets, so a bucket is at most 1/64
//! (1.6 %) of its value wide. A million deliveries fit in a few thousand counters, and a
//! percentile is off by at most one bucket's width. The maximum is kept exactly.

use serde::{Deserialize, Serialize};

/// Values below this have their own bucket.
const EXACT: u64 = 128;
/// Buckets per power of two above [`EXACT`].
const SUB: u64 = 64;

/// Counts of values (microseconds) in log-linear buckets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Wire", into = "Wire")]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

/// The histogram on the wire: only the buckets in use, as `[index, count]`.
#[derive(Serialize, Deserialize)]
struct Wire {
    buckets: Vec<(u32, u64)>,
    max: u64,
}

impl From<Histogram> for Wire {
    fn from(h: Histogram) -> Self {
        Wire {
            buckets: h
                .counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, c)| (i as u32, *c))
                .collect(),
            max: h.max,
        }
    }
}

impl From<Wire> for Histogram {
    fn from(w: Wire) -> Self {
        let mut h = Histogram {
            max: w.max,
            ..Histogram::default()
        };
        for (i, c) in w.buckets {
            h.add(i as usize, c);
        }
        h
    }
}

/// The bucket of `v`.
fn index(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let high_bit = 63 - v.leading_zeros() as u64; // ≥ 7
    let shift = high_bit - 6; // keep the top 7 bits: 64..128
    let mantissa = v >> shift;
    (EXACT + (shift - 1) * SUB + (mantissa - SUB)) as usize
}

/// The largest value in bucket `i`.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let shift = (i - EXACT) / SUB + 1;
    let mantissa = (i - EXACT) % SUB + SUB;
    let edge = (u128::from(mantissa + 1) << shift) - 1;
    edge.min(u128::from(u64::MAX)) as u64
}

impl Histogram {
    fn add(&mut self, i: usize, count: u64) {
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += count;
        self.total += count;
    }

    /// Records one value.
    pub fn record(&mut self, v: u64) {
        self.add(index(v), 1);
        self.max = self.max.max(v);
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (i, c) in other.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            self.add(i, *c);
        }
        self.max = self.max.max(other.max);
    }

    /// How many values.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest value, exactly.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The `p`-th percentile (0–100) by nearest rank, as the upper edge of its bucket (never
    /// above the maximum); `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((p.clamp(0.0, 100.0) / 100.0 * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(upper(i).min(self.max));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_at_most_one_sixty_fourth_wide() {
        let mut last = 0;
        for v in (0..5_000).chain([1 << 20, (1 << 20) + 12_345, u64::MAX / 3, u64::MAX]) {
            let i = index(v);
            assert!(upper(i) >= v, "{v} above its bucket's edge {}", upper(i));
            assert!(i == 0 || upper(i - 1) < v, "{v} also fits bucket {}", i - 1);
            assert!(
                (upper(i) - v) as f64 <= v as f64 / 64.0,
                "{v}: bucket too wide"
            );
            assert!(i >= last, "buckets grow with the value");
            last = i;
        }
    }

    #[test]
    fn small_values_give_exact_percentiles() {
        let mut h = Histogram::default();
        for v in (1..=100).rev() {
            h.record(v);
        }
        assert_eq!(h.percentile(50.0), Some(50));
        assert_eq!(h.percentile(99.0), Some(99));
        assert_eq!(h.percentile(100.0), Some(100));
        assert_eq!(h.count(), 100);
        assert_eq!(Histogram::default().percentile(50.0), None);
    }

    #[test]
    fn large_values_are_within_a_bucket_and_the_maximum_is_exact() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.percentile(50.0).unwrap();
        assert!(
            (5_000_000..=5_000_000 + 5_000_000 / 64).contains(&p50),
            "{p50}"
        );
        assert_eq!(h.max(), 10_000_000);
        assert_eq!(h.percentile(100.0), Some(10_000_000));
    }

    #[test]
    fn merged_histograms_count_both_and_survive_json() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        (0..10).for_each(|v| a.record(v));
        (1000..1010).for_each(|v| b.record(v));
        a.merge(&b);
        assert_eq!(a.count(), 20);
        assert_eq!(a.max(), 1009);
        assert_eq!(a.percentile(50.0), Some(9));
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.starts_with(r#"{"buckets":[[0,1],"#), "{json}");
        let back: Histogram = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
    }
}
