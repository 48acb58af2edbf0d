//! The Redis store against a real `redis-server` (started per test on a free port of
//! 127.0.0.1, persisting every write): phase 4's store contract, two instances racing on
//! one board, an op id sent to both, Redis killed and restarted, Redis losing its data,
//! and the hub's synchronous reads.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use phase_2_sse::hub::{Hub, HubLimits};
use phase_4_board::{
    history::LogHistory,
    protocol::{DeleteNote, NoteErrorCode, UpdateNote},
    publish::LocalPublisher,
    rules::{NoteOp, RuleLimits},
    store::{Appended, BoardCursor, BoardStore, Outcome, StoreError},
    testing::{create, mv},
    writer::Writer,
};
use phase_5_hardening::backoff::{BackoffPolicy, Jitter};
use phase_7_scale_out::{redis_store::RedisStore, testing::RedisServer};

const LIMITS: RuleLimits = RuleLimits {
    max_text_chars: 100,
    max_notes: 3,
    max_boards: 100,
};

/// The bound on anything a test waits for.
const PATIENCE: Duration = Duration::from_secs(15);

/// Reconnection in tens of milliseconds: the tests wait for it.
const FAST_RETRY: BackoffPolicy = BackoffPolicy {
    base_ms: 20.0,
    factor: 2.0,
    cap_ms: 200.0,
    min_ms: 10.0,
    jitter: Jitter::Full,
    stable_after_ms: 1_000.0,
};

async fn connect(redis: &RedisServer, prefix: &str) -> Arc<RedisStore> {
    RedisStore::connect(&redis.url(), prefix, Duration::from_secs(1), FAST_RETRY)
        .await
        .expect("connected to the test's Redis")
}

/// `future`, or a failed test if it takes longer than [`PATIENCE`].
async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {PATIENCE:?}"))
}

/// Waits (bounded) until `ready` holds.
async fn until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !ready() {
        assert!(Instant::now() < deadline, "{what} did not happen in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn applied_seq(outcome: Result<Outcome, StoreError>) -> u64 {
    match outcome {
        Ok(Outcome::Applied { ack, event }) => {
            assert_eq!(ack.seq, event.seq);
            ack.seq
        }
        other => panic!("expected applied, got {other:?}"),
    }
}

fn rejected(outcome: Result<Outcome, StoreError>) -> NoteErrorCode {
    match outcome {
        Ok(Outcome::Rejected(r)) => r.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Applies `op`, retrying (with the same op id, as a client does) while the store says
/// it is contended.
async fn apply_until_decided(store: &RedisStore, op: &NoteOp, limits: &RuleLimits) -> Outcome {
    for _ in 0..20 {
        match store.apply(op, limits, 1).await {
            Err(StoreError::Unavailable(why)) if why.contains("contended") => continue,
            other => return other.expect("the store answered"),
        }
    }
    panic!("op {} stayed contended", op.op_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_store_keeps_phase_4s_store_contract() {
    let redis = RedisServer::start();
    let store = connect(&redis, "t").await;
    assert_eq!(store.head("b").await.unwrap(), 0);
    assert_eq!(
        applied_seq(store.apply(&create("b", "o1", "n1"), &LIMITS, 10).await),
        1
    );
    assert_eq!(
        applied_seq(store.apply(&create("b", "o2", "n2"), &LIMITS, 11).await),
        2
    );
    assert_eq!(
        applied_seq(store.apply(&mv("o3", "n1", 1, "Done"), &LIMITS, 12).await),
        3
    );
    // Another board has its own sequence.
    assert_eq!(
        applied_seq(store.apply(&create("other", "o1", "x"), &LIMITS, 13).await),
        1
    );

    // A retry: the first ack again, nothing applied.
    match store.apply(&create("b", "o1", "n1"), &LIMITS, 99).await {
        Ok(Outcome::Duplicate(ack)) => {
            assert!(ack.duplicate);
            assert_eq!(ack.seq, 1);
            assert_eq!(ack.note.unwrap().created_at_ms, 10);
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    // The same op id for another change is refused.
    assert_eq!(
        rejected(store.apply(&create("b", "o1", "n9"), &LIMITS, 14).await),
        NoteErrorCode::Validation
    );
    // A conflict writes nothing: no event, no op record.
    assert_eq!(
        rejected(store.apply(&mv("o4", "n1", 1, "Todo"), &LIMITS, 14).await),
        NoteErrorCode::VersionConflict
    );
    assert!(store.find_op("b", "o4").await.unwrap().is_none());
    assert_eq!(store.head("b").await.unwrap(), 3);

    let events = store.events("b", 0, 3).await.unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(events[2].event, "note.moved");
    assert!(std::str::from_utf8(&events[2].data)
        .unwrap()
        .contains("\"opId\":\"o3\""));
    assert_eq!(store.events("b", 1, 2).await.unwrap().len(), 1);
    assert_eq!(store.events("b", 2, 99).await.unwrap()[0].seq, 3);
    assert!(store.events("b", 3, 3).await.unwrap().is_empty());
    assert!(store.events("nope", 0, 10).await.unwrap().is_empty());

    let snap = store.snapshot("b").await.unwrap();
    assert_eq!(snap.seq, 3);
    let ids: Vec<&str> = snap.notes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n1", "n2"], "Done before Todo");
    assert_eq!(snap.notes[0].version, 2);
    let who: Vec<(&str, &str)> = snap
        .notes
        .iter()
        .map(|n| (n.author.as_str(), n.updated_by.as_str()))
        .collect();
    assert_eq!(who, [("Ana", "Bo"), ("Ana", "Ana")]);

    assert_eq!(store.find_op("b", "o3").await.unwrap().unwrap().seq, 3);
    let rows: Vec<(String, u64, u64)> = store
        .boards(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.notes, r.head))
        .collect();
    assert_eq!(
        rows,
        [("other".into(), 1, 1), ("b".into(), 2, 3)],
        "most recently changed first"
    );

    // The cap on notes counts live notes: a delete frees a place, and a deleted note
    // cannot be edited (its tombstone is kept).
    assert_eq!(
        applied_seq(store.apply(&create("b", "o5", "n3"), &LIMITS, 15).await),
        4
    );
    assert_eq!(
        rejected(store.apply(&create("b", "o6", "n4"), &LIMITS, 16).await),
        NoteErrorCode::TooManyNotes
    );
    let delete = NoteOp::NoteDelete(DeleteNote {
        board: "b".into(),
        op_id: "o7".into(),
        note_id: "n2".into(),
        base_version: 1,
        author: "Ana".into(),
    });
    assert_eq!(applied_seq(store.apply(&delete, &LIMITS, 17).await), 5);
    let update = NoteOp::NoteUpdate(UpdateNote {
        board: "b".into(),
        op_id: "o8".into(),
        note_id: "n2".into(),
        base_version: 1,
        text: Some("back?".into()),
        color: None,
        author: "Ana".into(),
    });
    assert_eq!(
        rejected(store.apply(&update, &LIMITS, 18).await),
        NoteErrorCode::NotFound
    );
    assert_eq!(
        applied_seq(store.apply(&create("b", "o6", "n4"), &LIMITS, 19).await),
        6
    );
    let ids: Vec<String> = store
        .snapshot("b")
        .await
        .unwrap()
        .notes
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(ids, ["n1", "n3", "n4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boards_are_listed_in_pages_through_a_shared_millisecond_and_one_past_the_cap_is_refused() {
    let redis = RedisServer::start();
    let store = connect(&redis, "t").await;
    let limits = RuleLimits {
        max_boards: 6,
        ..LIMITS
    };
    // Six boards; three changed in the same millisecond (names break the tie), so a page
    // of two cuts through that millisecond.
    let boards = [
        ("b0", 10),
        ("b2", 20),
        ("b5", 20),
        ("b1", 20),
        ("b3", 30),
        ("b4", 5),
    ];
    for (i, (board, at)) in boards.into_iter().enumerate() {
        applied_seq(
            store
                .apply(&create(board, &format!("o{i}"), "n"), &limits, at)
                .await,
        );
    }
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = store.boards(after.as_ref(), 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(BoardCursor::after(last));
        walked.extend(page.iter().map(|r| r.name.clone()));
    }
    assert_eq!(walked, ["b3", "b1", "b2", "b5", "b0", "b4"]);
    let all: Vec<String> = store
        .boards(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(all, walked, "one page lists them in the same order");

    // A seventh board is refused, for a note or a chat line, and nothing is written.
    assert_eq!(
        rejected(store.apply(&create("b6", "o9", "n"), &limits, 40).await),
        NoteErrorCode::TooManyBoards
    );
    let line = store
        .append("b6", "message", Bytes::from_static(b"{}"), &limits, 40)
        .await
        .unwrap();
    assert!(matches!(line, Appended::Refused(_)), "{line:?}");
    assert_eq!(store.head("b6").await.unwrap(), 0);
    assert!(store.find_op("b6", "o9").await.unwrap().is_none());
    assert_eq!(store.boards(None, 10).await.unwrap().len(), 6);
    // The six take changes as before.
    applied_seq(store.apply(&create("b0", "o10", "m"), &limits, 50).await);
    assert_eq!(store.boards(None, 1).await.unwrap()[0].name, "b0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_on_one_board_get_every_sequence_number_once_and_the_log_agrees() {
    let redis = RedisServer::start();
    let (a, b) = (connect(&redis, "t").await, connect(&redis, "t").await);
    assert_eq!(
        a.epoch(),
        b.epoch(),
        "the second instance reads the first one's epoch"
    );
    let limits = RuleLimits {
        max_notes: 1_000,
        ..LIMITS
    };
    let race = |store: Arc<RedisStore>, name: &'static str| {
        tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..200 {
                let op = create("race", &format!("{name}{i}"), &format!("{name}{i}"));
                match apply_until_decided(&store, &op, &limits).await {
                    Outcome::Applied { ack, .. } => acked.push((ack.seq, ack.op_id)),
                    other => panic!("{name}{i}: expected applied, got {other:?}"),
                }
            }
            acked
        })
    };
    let (from_a, from_b) = bounded("the race", async {
        tokio::join!(race(a.clone(), "a"), race(b.clone(), "b"))
    })
    .await;
    let mut acked: Vec<(u64, String)> =
        from_a.unwrap().into_iter().chain(from_b.unwrap()).collect();
    acked.sort();
    let seqs: Vec<u64> = acked.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=400).collect::<Vec<_>>(),
        "every number once, no gap"
    );

    assert_eq!(a.head("race").await.unwrap(), 400);
    let log = b.events("race", 0, 400).await.unwrap();
    assert_eq!(log.len(), 400);
    for (event, (seq, op_id)) in log.iter().zip(&acked) {
        assert_eq!(event.seq, *seq);
        let data = std::str::from_utf8(&event.data).unwrap();
        assert!(
            data.contains(&format!("\"opId\":\"{op_id}\"")),
            "event {seq} is the change acked at {seq} ({op_id}): {data}"
        );
    }
    assert_eq!(a.snapshot("race").await.unwrap().notes.len(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_op_id_sent_to_both_instances_at_once_is_applied_once() {
    let redis = RedisServer::start();
    let (a, b) = (connect(&redis, "t").await, connect(&redis, "t").await);
    let limits = RuleLimits {
        max_notes: 1_000,
        ..LIMITS
    };
    for i in 0..20 {
        let op = create("dup", &format!("op{i}"), &format!("n{i}"));
        let (first, second) = bounded("both answers", async {
            tokio::join!(
                apply_until_decided(&a, &op, &limits),
                apply_until_decided(&b, &op, &limits)
            )
        })
        .await;
        let (applied, duplicate) = match (first, second) {
            (Outcome::Applied { ack, .. }, Outcome::Duplicate(dup))
            | (Outcome::Duplicate(dup), Outcome::Applied { ack, .. }) => (ack, dup),
            other => panic!("op{i}: expected one applied and one duplicate, got {other:?}"),
        };
        assert_eq!(applied.seq, i + 1);
        assert_eq!(
            duplicate.seq, applied.seq,
            "the duplicate is the first ack again"
        );
        assert!(duplicate.duplicate);
    }
    assert_eq!(
        a.head("dup").await.unwrap(),
        20,
        "twenty changes, not forty"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_killed_calls_fail_fast_and_after_its_restart_every_acked_change_is_there() {
    let mut redis = RedisServer::start();
    let store = connect(&redis, "t").await;
    let limits = RuleLimits {
        max_notes: 100,
        ..LIMITS
    };
    for i in 0..20 {
        let op = create("b", &format!("o{i}"), &format!("n{i}"));
        assert_eq!(applied_seq(store.apply(&op, &limits, 1).await), i + 1);
    }
    assert!(store.link().is_up());

    redis.kill();
    let refused = bounded(
        "a change with Redis gone",
        store.apply(&create("b", "o20", "n20"), &limits, 1),
    )
    .await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(!store.link().is_up(), "the link is down for /health");
    // From now on every call fails fast, the hub's reads too.
    let refused = bounded("a snapshot with Redis gone", store.snapshot("b")).await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    let history = store.history();
    assert!(matches!(history.head("b"), Err(StoreError::Unavailable(_))));

    redis.restart();
    let link = store.link();
    until("the link coming back", || link.is_up()).await;
    // Every change acked before the kill survived it (appendfsync always).
    assert_eq!(store.head("b").await.unwrap(), 20);
    assert_eq!(store.snapshot("b").await.unwrap().notes.len(), 20);
    assert_eq!(store.events("b", 0, 20).await.unwrap().len(), 20);
    assert_eq!(history.head("b").unwrap(), 20);
    assert_eq!(store.find_op("b", "o19").await.unwrap().unwrap().seq, 20);
    // The refused change, retried with its op id, is applied now — once.
    assert_eq!(
        applied_seq(store.apply(&create("b", "o20", "n20"), &limits, 2).await),
        21
    );
    assert!(matches!(
        store.apply(&create("b", "o20", "n20"), &limits, 3).await,
        Ok(Outcome::Duplicate(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_lost_its_data_is_refused_rather_than_starting_a_new_history() {
    let redis = RedisServer::start();
    let store = connect(&redis, "t").await;
    applied_seq(store.apply(&create("b", "o1", "n1"), &LIMITS, 1).await);

    // Someone empties Redis (or it came back without its append-only file).
    let client = redis::Client::open(redis.url()).unwrap();
    let mut con = client.get_connection().unwrap();
    redis::cmd("FLUSHALL").query::<()>(&mut con).unwrap();

    match store.apply(&create("b", "o2", "n2"), &LIMITS, 2).await {
        Err(StoreError::Unavailable(why)) => assert!(why.contains("lost its data"), "{why}"),
        other => panic!("expected a refusal to write, got {other:?}"),
    }
    assert!(!store.link().is_up());
    assert!(matches!(
        store.snapshot("b").await,
        Err(StoreError::Unavailable(_))
    ));
    let exists: bool = redis::cmd("EXISTS")
        .arg("t:board:b:head")
        .query(&mut con)
        .unwrap();
    assert!(!exists, "no new history was started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hubs_log_reader_answers_head_and_events_with_chat_lines_in_the_sequence() {
    let redis = RedisServer::start();
    let store = connect(&redis, "t").await;
    applied_seq(store.apply(&create("b", "o1", "n1"), &LIMITS, 1).await);
    let line = store
        .append(
            "b",
            "message",
            Bytes::from_static(b"{\"text\":\"hi\\nthere\"}"),
            &LIMITS,
            2,
        )
        .await
        .unwrap();
    match line {
        Appended::Logged(event) => assert_eq!(event.seq, 2),
        other => panic!("expected the line logged, got {other:?}"),
    }
    applied_seq(store.apply(&mv("o2", "n1", 1, "Done"), &LIMITS, 3).await);

    let history = store.history();
    // Under the hub's lock, on a plain thread: no runtime needed.
    let (head, events, none, unknown) = tokio::task::spawn_blocking(move || {
        (
            history.head("b").unwrap(),
            history.events("b", 1, 3).unwrap(),
            history.events("b", 3, 3).unwrap(),
            history.head("nope").unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!((head, unknown), (3, 0));
    assert!(none.is_empty());
    let got: Vec<(u64, &str)> = events.iter().map(|e| (e.seq, e.event.as_str())).collect();
    assert_eq!(got, [(2, "message"), (3, "note.moved")]);
    assert_eq!(&events[0].data[..], b"{\"text\":\"hi\\nthere\"}");
    assert_eq!(
        store.snapshot("b").await.unwrap().seq,
        3,
        "a line counts in the head"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_a_redis_that_is_not_running_fails_with_a_clear_error() {
    let mut redis = RedisServer::start();
    let url = redis.url();
    redis.kill();
    match bounded(
        "connect",
        RedisStore::connect(&url, "t", Duration::from_secs(1), FAST_RETRY),
    )
    .await
    {
        Err(StoreError::Unavailable(why)) => assert!(why.contains("cannot reach Redis"), "{why}"),
        Err(other) => panic!("expected unavailable, got {other}"),
        Ok(_) => panic!("connected to a Redis that is not running"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_prefixes_on_one_redis_are_two_separate_stores() {
    let redis = RedisServer::start();
    let (one, two) = (connect(&redis, "one").await, connect(&redis, "two").await);
    assert_ne!(one.epoch(), two.epoch());
    applied_seq(one.apply(&create("b", "o1", "n1"), &LIMITS, 1).await);
    assert_eq!(two.head("b").await.unwrap(), 0);
    assert!(two.boards(None, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phase_4s_writer_thread_commits_through_redis_and_publishes_in_order() {
    let redis = RedisServer::start();
    let store: Arc<dyn BoardStore> = connect(&redis, "t").await;
    let hub = Hub::with_history(
        HubLimits::default(),
        Arc::new(LogHistory::new(store.as_ref(), 100)),
    );
    let limits = RuleLimits {
        max_notes: 100,
        ..LIMITS
    };
    // The writer's own thread awaits the store's futures with its own `wait`.
    let writer = Writer::spawn(
        store.clone(),
        Arc::new(LocalPublisher::new(hub.clone())),
        limits,
        16,
    );
    let (done, answers) = std::sync::mpsc::channel();
    for i in 0..10 {
        let done = done.clone();
        let op = create("w", &format!("o{i}"), &format!("n{i}"));
        let reply = Box::new(move |outcome| {
            let _ = done.send(applied_seq(outcome));
        });
        writer.submit(op, reply).expect("queued");
    }
    let seqs = bounded(
        "the writer's answers",
        tokio::task::spawn_blocking(move || {
            let seqs: Vec<u64> = answers.iter().take(10).collect();
            writer.close();
            seqs
        }),
    )
    .await
    .unwrap();
    assert_eq!(seqs, (1..=10).collect::<Vec<_>>(), "committed in order");
    assert_eq!(
        hub.position("w").seq,
        10,
        "each published at its sequence number"
    );
    assert_eq!(store.head("w").await.unwrap(), 10);
}
