//! Chapter 5's failure story, run for real: `make failures` (or
//! `cargo test -p phase-5-hardening --test failures -- --ignored --nocapture`).
//!
//! 10,000 clients lost their server at the same instant and have each failed ten times:
//! their windows have all reached the cap. Where does each one's next attempt land? With
//! jitter applied *before* the cap (±50 %, then clamped — a common library default) half of
//! them land on exactly the cap: the herd is back in step. With full jitter they spread
//! over the whole window. The draws are seeded, so the histogram is the same every run.

use phase_5_hardening::{BackoffPolicy, Jitter};

const CLIENTS: usize = 10_000;
const BUCKET_MS: u64 = 1_000;

/// Delays of every client at attempt 10, bucketed by second.
fn histogram(policy: &BackoffPolicy) -> Vec<usize> {
    let mut rng = fastrand::Rng::with_seed(7);
    let top = (policy.min_ms + policy.cap_ms * 1.5) as u64 / BUCKET_MS + 1;
    let mut buckets = vec![0; top as usize];
    for _ in 0..CLIENTS {
        let delay = policy.delay_ms(10, rng.f64());
        buckets[(delay / BUCKET_MS) as usize] += 1;
    }
    buckets
}

fn print(name: &str, buckets: &[usize]) {
    println!("FAILURE {name}: where 10,000 clients' next attempts land (one row per second)");
    for (second, n) in buckets.iter().enumerate().filter(|(_, n)| **n > 0) {
        println!("  {second:>2} s {n:>5} {}", "#".repeat(n.div_ceil(100)));
    }
}

#[test]
#[ignore = "a demonstration: run with `make failures`"]
fn failure_jitter_clamped_at_the_cap_brings_the_herd_back_in_step() {
    let clamped = BackoffPolicy {
        jitter: Jitter::ClampedProportional { ratio: 0.5 },
        ..BackoffPolicy::default()
    };
    let full = BackoffPolicy::default();
    let (a, b) = (histogram(&clamped), histogram(&full));
    print("±50 % jitter, then the 30 s cap", &a);
    print("full jitter inside the capped window (the contract)", &b);
    let busiest = |h: &[usize]| h.iter().copied().max().unwrap_or(0);
    println!(
        "FAILURE the busiest second holds {} clients with clamped jitter, {} with full jitter",
        busiest(&a),
        busiest(&b)
    );
    // Half the clamped draws are exactly the cap; full jitter puts ~1/30 in any second.
    assert!(busiest(&a) > CLIENTS * 4 / 10);
    assert!(busiest(&b) < CLIENTS / 20);
}
