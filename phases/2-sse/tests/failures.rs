//! Chapter 2's failure story, run for real: `make failures` (or
//! `cargo test -p phase-2-sse --test failures -- --ignored`).
//!
//! Fan-out never waits for a reader: each event is pushed onto every subscriber's queue.
//! A subscriber that stops reading (a laptop lid closed, a stalled proxy) therefore makes
//! its queue grow with every event. With no budget it grows without bound — memory the
//! server loses per stuck reader; with the budget (1 MiB by default) the reader is cut,
//! its backlog dropped, and it resumes later from its `Last-Event-ID`. The real hub and
//! queue, a subscriber that never drains, 10,000 events of 1 KiB.

use std::sync::Arc;

use bytes::Bytes;
use phase_2_sse::{queue::CloseCause, sse::SseFormat, Hub, HubLimits, SseConfig};

const EVENTS: usize = 10_000;

/// (bytes queued for the stuck reader at the end, whether it was cut)
async fn publish_to_a_reader_that_never_reads(queue_bytes: usize) -> (usize, bool) {
    let hub = Hub::new(HubLimits { history: 16 });
    let (stuck, _) = hub.subscribe("demo", Arc::new(SseFormat), None, queue_bytes);
    let payload = Bytes::from(format!("\"{}\"", "x".repeat(1022)));
    for _ in 0..EVENTS {
        hub.publish("demo", "note.updated", payload.clone());
    }
    let queued = stuck.queue().queued_bytes();
    // A cut queue has dropped its backlog: reading it says why it was closed at once.
    let mut parts = Vec::new();
    let cut = matches!(
        stuck.queue().next_batch(&mut parts).await,
        Err(CloseCause::SlowConsumer)
    );
    (queued, cut)
}

#[tokio::test]
#[ignore = "a demonstration: run with `make failures`"]
async fn failure_an_unbounded_queue_grows_with_every_event_a_stuck_reader_misses() {
    let (unbounded, cut_unbounded) = publish_to_a_reader_that_never_reads(usize::MAX).await;
    println!(
        "FAILURE no queue budget: after {EVENTS} events of 1 KiB a reader that never reads \
         holds {:.1} MiB of queued bytes (cut: {cut_unbounded}), and it keeps growing",
        unbounded as f64 / 1048576.0
    );
    let (bounded, cut) =
        publish_to_a_reader_that_never_reads(SseConfig::default().queue_bytes).await;
    println!(
        "FAILURE 1 MiB budget: the same reader was cut (cut: {cut}) and holds {bounded} \
         bytes; it resumes from its Last-Event-ID when it reads again"
    );
    assert!(unbounded > 10 * 1024 * 1024 && !cut_unbounded);
    assert!(cut && bounded == 0);
}
