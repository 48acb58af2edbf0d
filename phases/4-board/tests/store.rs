//! The store contract, run against both stores: SQLite (including closing and reopening
//! the file, i.e. a restart) and memory.

use std::sync::Arc;

use phase_4_board::{
    memory::MemoryStore,
    protocol::{NoteErrorCode, UpdateNote},
    rules::{NoteOp, RuleLimits},
    sqlite::SqliteStore,
    store::{BlockingStore, BoardCursor, LogReader, Outcome},
    testing::{create, mv},
};

const LIMITS: RuleLimits = RuleLimits {
    max_text_chars: 100,
    max_notes: 3,
    max_boards: 100,
};

fn applied_seq(outcome: Outcome) -> u64 {
    match outcome {
        Outcome::Applied { ack, event } => {
            assert_eq!(ack.seq, event.seq);
            ack.seq
        }
        other => panic!("expected applied, got {other:?}"),
    }
}

/// The contract every store must keep.
fn contract(store: &dyn BlockingStore) {
    assert_eq!(store.head("b").unwrap(), 0);
    assert_eq!(
        applied_seq(store.apply(&create("b", "o1", "n1"), &LIMITS, 10).unwrap()),
        1
    );
    assert_eq!(
        applied_seq(store.apply(&create("b", "o2", "n2"), &LIMITS, 11).unwrap()),
        2
    );
    assert_eq!(
        applied_seq(
            store
                .apply(&mv("o3", "n1", 1, "Done"), &LIMITS, 12)
                .unwrap()
        ),
        3
    );
    // Another board has its own sequence.
    assert_eq!(
        applied_seq(
            store
                .apply(&create("other", "o1", "x"), &LIMITS, 13)
                .unwrap()
        ),
        1
    );

    // A retry: the first ack again, nothing applied.
    match store.apply(&create("b", "o1", "n1"), &LIMITS, 99).unwrap() {
        Outcome::Duplicate(ack) => {
            assert!(ack.duplicate);
            assert_eq!(ack.seq, 1);
            assert_eq!(ack.note.unwrap().created_at_ms, 10);
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    // A refusal writes nothing: no event, no op record.
    match store
        .apply(&mv("o4", "n1", 1, "Todo"), &LIMITS, 14)
        .unwrap()
    {
        Outcome::Rejected(r) => assert_eq!(r.code, NoteErrorCode::VersionConflict),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(store.find_op("b", "o4").unwrap().is_none());
    assert_eq!(store.head("b").unwrap(), 3);

    let events = store.events("b", 0, 3).unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(events[2].event, "note.moved");
    assert_eq!(store.events("b", 1, 2).unwrap().len(), 1);
    assert!(store.events("nope", 0, 10).unwrap().is_empty());

    let snap = store.snapshot("b").unwrap();
    assert_eq!(snap.seq, 3);
    let ids: Vec<&str> = snap.notes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n1", "n2"], "Done before Todo");
    assert_eq!(snap.notes[0].version, 2);
    // Ana wrote n1, Bo moved it: both names are kept.
    let who: Vec<(&str, &str)> = snap
        .notes
        .iter()
        .map(|n| (n.author.as_str(), n.updated_by.as_str()))
        .collect();
    assert_eq!(who, [("Ana", "Bo"), ("Ana", "Ana")]);

    assert_eq!(store.find_op("b", "o3").unwrap().unwrap().seq, 3);
    let boards = store.boards(None, 10).unwrap();
    let rows: Vec<(&str, u64, u64)> = boards
        .iter()
        .map(|r| (r.name.as_str(), r.notes, r.head))
        .collect();
    assert_eq!(
        rows,
        [("other", 1, 1), ("b", 2, 3)],
        "most recently changed first"
    );
}

/// Listing in pages, and the cap on boards, for any store.
fn pages_and_cap(store: &dyn BlockingStore) {
    let limits = RuleLimits {
        max_boards: 5,
        ..LIMITS
    };
    // Five boards; "b1" and "b2" changed in the same millisecond (the name breaks the tie).
    for (i, (board, at)) in [("b0", 10), ("b2", 20), ("b1", 20), ("b3", 30), ("b4", 5)]
        .into_iter()
        .enumerate()
    {
        applied_seq(
            store
                .apply(&create(board, &format!("o{i}"), "n"), &limits, at)
                .unwrap(),
        );
    }
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = store.boards(after.as_ref(), 2).unwrap();
        let Some(last) = page.last() else { break };
        after = Some(BoardCursor::after(last));
        walked.extend(page.iter().map(|r| r.name.clone()));
    }
    assert_eq!(walked, ["b3", "b1", "b2", "b0", "b4"]);

    // A sixth board is refused and nothing is written; the five take changes as before.
    match store.apply(&create("b5", "o9", "n"), &limits, 40).unwrap() {
        Outcome::Rejected(r) => assert_eq!(r.code, NoteErrorCode::TooManyBoards),
        other => panic!("expected too_many_boards, got {other:?}"),
    }
    assert_eq!(store.head("b5").unwrap(), 0);
    assert!(store.find_op("b5", "o9").unwrap().is_none());
    assert_eq!(store.boards(None, 10).unwrap().len(), 5);
    applied_seq(store.apply(&create("b0", "o10", "m"), &limits, 50).unwrap());
}

#[test]
fn both_stores_list_boards_in_pages_and_refuse_a_board_past_the_cap() {
    pages_and_cap(&MemoryStore::new());
    let dir = tempfile::tempdir().unwrap();
    pages_and_cap(&SqliteStore::open(dir.path()).unwrap());
}

#[test]
fn the_memory_store_keeps_the_contract() {
    contract(&MemoryStore::new());
}

#[test]
fn the_sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    contract(&SqliteStore::open(dir.path()).unwrap());
}

#[test]
fn a_reopened_sqlite_store_has_the_same_epoch_boards_notes_log_and_op_records() {
    let dir = tempfile::tempdir().unwrap();
    let (epoch, before) = {
        let store = SqliteStore::open(dir.path()).unwrap();
        contract(&store);
        (store.epoch().to_owned(), store.snapshot("b").unwrap())
    }; // closed here: both connections dropped
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(
        store.epoch(),
        epoch,
        "positions stay valid across a restart"
    );
    assert_eq!(store.snapshot("b").unwrap(), before);
    assert_eq!(store.events("b", 0, 3).unwrap().len(), 3);
    match store.apply(&create("b", "o2", "n2"), &LIMITS, 0).unwrap() {
        Outcome::Duplicate(ack) => assert_eq!(ack.seq, 2),
        other => panic!("a retry after a restart must be a duplicate, got {other:?}"),
    }
    assert_eq!(
        applied_seq(store.apply(&mv("o5", "n2", 1, "Done"), &LIMITS, 0).unwrap()),
        4
    );
}

#[test]
fn a_database_from_before_updated_by_is_migrated_and_fills_it_from_the_author() {
    let dir = tempfile::tempdir().unwrap();
    let epoch = {
        // A version 1 database, as the previous release wrote it: no `updated_by`.
        let conn = rusqlite_connection(&dir.path().join(phase_4_board::sqlite::DB_FILE));
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
             INSERT INTO meta VALUES ('epoch', 'oldepoch'), ('schema', '1');
             CREATE TABLE boards (name TEXT PRIMARY KEY, head INTEGER NOT NULL,
                 updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
             INSERT INTO boards VALUES ('b', 2, 20);
             CREATE TABLE notes (board TEXT NOT NULL, id TEXT NOT NULL, text TEXT NOT NULL,
                 color TEXT NOT NULL, col TEXT NOT NULL, ord REAL NOT NULL,
                 author TEXT NOT NULL, created_at_ms INTEGER NOT NULL,
                 updated_at_ms INTEGER NOT NULL, version INTEGER NOT NULL,
                 text_version INTEGER NOT NULL, color_version INTEGER NOT NULL,
                 place_version INTEGER NOT NULL, deleted INTEGER NOT NULL,
                 PRIMARY KEY (board, id)) WITHOUT ROWID;
             INSERT INTO notes VALUES ('b', 'n1', 'old', '#fde68a', 'Todo', 1.0, 'Ana',
                 10, 20, 2, 2, 1, 1, 0);",
        )
        .unwrap();
        "oldepoch"
    };
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.epoch(), epoch, "the old data is kept, positions too");
    let snap = store.snapshot("b").unwrap();
    assert_eq!(snap.seq, 2);
    assert_eq!(
        (
            snap.notes[0].author.as_str(),
            snap.notes[0].updated_by.as_str()
        ),
        ("Ana", "Ana")
    );
    // It keeps working: Bo's move is stored with his name, and survives a reopen.
    assert_eq!(
        applied_seq(store.apply(&mv("m", "n1", 2, "Done"), &LIMITS, 30).unwrap()),
        3
    );
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.snapshot("b").unwrap().notes[0].updated_by, "Bo");
    let schema: String = rusqlite_connection(store.path())
        .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(schema, "2");
}

#[test]
fn a_fresh_data_directory_gets_a_new_epoch() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sa = SqliteStore::open(a.path()).unwrap();
    let sb = SqliteStore::open(b.path()).unwrap();
    assert_ne!(sa.epoch(), sb.epoch());
}

#[test]
fn the_sqlite_file_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let conn = rusqlite_connection(store.path());
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

fn rusqlite_connection(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn the_board_limit_counts_live_notes_only() {
    let store: Arc<dyn BlockingStore> = Arc::new(MemoryStore::new());
    for i in 0..3 {
        applied_seq(
            store
                .apply(&create("b", &format!("c{i}"), &format!("n{i}")), &LIMITS, 0)
                .unwrap(),
        );
    }
    match store.apply(&create("b", "c3", "n3"), &LIMITS, 0).unwrap() {
        Outcome::Rejected(r) => assert_eq!(r.code, NoteErrorCode::TooManyNotes),
        other => panic!("{other:?}"),
    }
    let delete = NoteOp::NoteDelete(phase_4_board::protocol::DeleteNote {
        board: "b".into(),
        op_id: "d".into(),
        note_id: "n0".into(),
        base_version: 1,
        author: "Ana".into(),
    });
    applied_seq(store.apply(&delete, &LIMITS, 0).unwrap());
    applied_seq(store.apply(&create("b", "c4", "n4"), &LIMITS, 0).unwrap());
    let update = NoteOp::NoteUpdate(UpdateNote {
        board: "b".into(),
        op_id: "u".into(),
        note_id: "n0".into(),
        base_version: 1,
        text: Some("back?".into()),
        color: None,
        author: "Ana".into(),
    });
    match store.apply(&update, &LIMITS, 0).unwrap() {
        Outcome::Rejected(r) => assert_eq!(r.code, NoteErrorCode::NotFound),
        other => panic!("{other:?}"),
    }
}
