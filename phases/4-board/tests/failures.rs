//! Chapter 4's failure story, run for real: `make failures` (or
//! `cargo test -p phase-4-board --test failures -- --ignored`).
//!
//! Every accepted change is an event in the log and a message to every reader of the
//! board, forever. Without a per-connection rate limit, one script in a loop writes as
//! fast as the store commits and floods the log and every reader; with the token bucket
//! (20 a second, bursts of 40 by default) the script gets `rate_limited` with the time to
//! wait, and the connection stays open. The real token bucket and the real store, 2,000
//! creates sent in the same instant.

use std::time::Instant;

use phase_4_board::{
    memory::MemoryStore,
    protocol::CreateNote,
    rate::TokenBucket,
    rules::{NoteOp, RuleLimits},
    store::{BlockingStore, LogReader, Outcome},
    BoardConfig,
};

const REQUESTS: usize = 2_000;

/// (creates applied to the board, refused as rate_limited, events in the log)
fn a_script_in_a_loop(mut bucket: TokenBucket, now: Instant) -> (usize, usize, usize) {
    let store = MemoryStore::new();
    let limits = RuleLimits {
        max_text_chars: 1_000,
        max_notes: u64::MAX,
        max_boards: 100,
    };
    let (mut applied, mut refused) = (0, 0);
    for i in 0..REQUESTS {
        if bucket.take(now).is_err() {
            refused += 1;
            continue;
        }
        let op = NoteOp::NoteCreate(CreateNote {
            board: "demo".into(),
            op_id: format!("op{i}"),
            note_id: format!("n{i}"),
            text: "spam".into(),
            color: "#fde68a".into(),
            column: "Todo".into(),
            order: i as f64,
            author: "Script".into(),
        });
        if let Ok(Outcome::Applied { .. }) = store.apply(&op, &limits, 0) {
            applied += 1;
        }
    }
    let events = store.events("demo", 0, u64::MAX).map_or(0, |e| e.len());
    (applied, refused, events)
}

#[test]
#[ignore = "a demonstration: run with `make failures`"]
fn failure_without_a_rate_limit_one_script_floods_the_log_and_every_reader() {
    let now = Instant::now();
    let (applied, refused, events) =
        a_script_in_a_loop(TokenBucket::new(u32::MAX, u32::MAX, now), now);
    println!(
        "FAILURE no rate limit: {REQUESTS} creates in one instant, {applied} applied, \
         {refused} refused; {events} events in the log, each one sent to every reader"
    );
    let config = BoardConfig::default();
    let (limited, refused_limited, events_limited) = a_script_in_a_loop(
        TokenBucket::new(config.rate_per_sec, config.rate_burst, now),
        now,
    );
    println!(
        "FAILURE default limit ({}/s, burst {}): {limited} applied, {refused_limited} answered \
         rate_limited (retry after {} ms); {events_limited} events in the log",
        config.rate_per_sec,
        config.rate_burst,
        config.token_interval().as_millis()
    );
    assert_eq!((applied, events), (REQUESTS, REQUESTS));
    assert_eq!(limited as u32, config.rate_burst);
    assert_eq!(refused_limited, REQUESTS - limited);
}
