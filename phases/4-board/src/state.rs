//! [`BoardState`]: the store, the hub that numbers boards from the store's log, and the
//! writer that publishes into it — built once, shared by the HTTP routes and every `/ws`
//! connection.

use std::{net::IpAddr, sync::Arc};

use phase_2_sse::{
    hub::{Hub, HubLimits},
    position::StreamPosition,
};

use phase_1_foundations::signed::SigningKey;

use crate::{
    access::AccessModel,
    access_sqlite::AccessLog,
    config::{BoardConfig, IN_MEMORY},
    embedded::Embedded,
    history::LogHistory,
    identity::Sessions,
    memory::MemoryStore,
    protocol::{BoardList, BoardSnapshot, BoardSummary},
    publish::PublisherFactory,
    rate::{KeyedBuckets, MAX_TRACKED_KEYS},
    sqlite::SqliteStore,
    store::{BoardCursor, BoardStore, StoreError},
    writer::Writer,
};

/// Everything phase 4's handlers share. Build it with [`BoardState::open`].
pub struct BoardState {
    config: BoardConfig,
    store: Arc<dyn BoardStore>,
    hub: Arc<Hub>,
    writer: Arc<Writer>,
    rate_limits: SharedRateLimits,
    access: Arc<AccessModel>,
}

/// The request budgets shared by every connection (each connection also has its own).
#[derive(Debug)]
pub struct SharedRateLimits {
    /// One bucket per peer IP address.
    pub per_ip: KeyedBuckets<IpAddr>,
    /// One bucket per person (the `author` of a change).
    pub per_person: KeyedBuckets<String>,
}

impl SharedRateLimits {
    /// The buckets `config` describes.
    pub fn new(config: &BoardConfig) -> Self {
        Self {
            per_ip: KeyedBuckets::new(
                config.rate_per_ip,
                config.rate_per_ip_burst,
                MAX_TRACKED_KEYS,
            ),
            per_person: KeyedBuckets::new(
                config.rate_per_person,
                config.rate_per_person_burst,
                MAX_TRACKED_KEYS,
            ),
        }
    }
}

// ANCHOR: open_state
impl BoardState {
    /// Opens the store `config.data_dir` names (SQLite, or memory for `:memory:`), and
    /// builds a hub whose rooms are numbered and replayed by the store's event log, and a
    /// writer that publishes each change with `publisher`'s publisher for that hub. Phase
    /// 4's module provides that hub to phases 2 and 3 ([`crate::app`]), so every transport
    /// sees the log.
    ///
    /// Boards' owners and share links ([`crate::access`]) live in the same database
    /// (in memory with the memory store), and sessions are signed with the key of
    /// `--session-secret-file` (default: `session.key` beside the database).
    pub fn open(
        config: BoardConfig,
        hub_limits: HubLimits,
        publisher: &PublisherFactory,
    ) -> Result<Arc<Self>, StoreError> {
        if config.data_dir == IN_MEMORY {
            let store = Arc::new(Embedded::new(MemoryStore::new()));
            return Self::with_store(config, hub_limits, store, publisher);
        }
        let store = Arc::new(Embedded::new(SqliteStore::open(&config.data_dir)?));
        let key_file = config
            .session_secret_file
            .clone()
            .unwrap_or_else(|| std::path::Path::new(&config.data_dir).join(SESSION_KEY_FILE));
        let access = Self::access_model(
            &config,
            Some(&key_file),
            Some(AccessLog::open(&config.data_dir)?),
        )?;
        Ok(Self::build(config, hub_limits, store, access, publisher))
    }

    /// The same, over a store of your choosing (phase 7's shared store, tests); owners
    /// and links are kept in memory, sessions signed with `--session-secret-file` if
    /// given, else with a key drawn for this process.
    pub fn with_store(
        config: BoardConfig,
        hub_limits: HubLimits,
        store: Arc<dyn BoardStore>,
        publisher: &PublisherFactory,
    ) -> Result<Arc<Self>, StoreError> {
        let key_file = config.session_secret_file.clone();
        let access = Self::access_model(&config, key_file.as_deref(), None)?;
        Ok(Self::build(config, hub_limits, store, access, publisher))
    }

    fn access_model(
        config: &BoardConfig,
        key_file: Option<&std::path::Path>,
        log: Option<AccessLog>,
    ) -> Result<Arc<AccessModel>, StoreError> {
        let key = match key_file {
            Some(path) => SigningKey::load_or_create(path).map_err(|source| StoreError::Io {
                what: format!("reading the session key {}", path.display()),
                source,
            })?,
            None => SigningKey::random().map_err(|source| StoreError::Io {
                what: "drawing a session key".into(),
                source,
            })?,
        };
        let previous = config
            .session_secret_previous_files
            .iter()
            .map(|path| {
                SigningKey::load(path).map_err(|source| StoreError::Io {
                    what: format!("reading the previous session key {}", path.display()),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sessions =
            Sessions::new(key, config.session_cookie_secure).with_previous_keys(previous);
        let max_boards = usize::try_from(config.max_boards).unwrap_or(usize::MAX);
        AccessModel::open(config.access, sessions, max_boards, log)
    }

    fn build(
        config: BoardConfig,
        hub_limits: HubLimits,
        store: Arc<dyn BoardStore>,
        access: Arc<AccessModel>,
        publisher: &PublisherFactory,
    ) -> Arc<Self> {
        let history = Arc::new(LogHistory::new(store.as_ref(), config.max_replay_events));
        let hub = Hub::with_history(hub_limits, history.clone());
        let writer = Arc::new(Writer::spawn(
            store.clone(),
            publisher.make(&hub),
            config.rule_limits(),
            config.write_queue,
        ));
        // Chat lines go through the same writer as note changes: one sequence per board.
        history.attach(&writer);
        Arc::new(Self {
            rate_limits: SharedRateLimits::new(&config),
            config,
            store,
            hub,
            writer,
            access,
        })
    }
}
// ANCHOR_END: open_state

/// The session key's file name in the data directory, unless `--session-secret-file`
/// names another.
pub const SESSION_KEY_FILE: &str = "session.key";

impl BoardState {
    /// The hub (to share with SSE and WebSocket).
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn BoardStore> {
        &self.store
    }

    /// The writer thread's handle.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// The configuration.
    pub fn config(&self) -> &BoardConfig {
        &self.config
    }

    /// Boards' owners, links and members, and the sessions that identify people.
    pub fn access(&self) -> &Arc<AccessModel> {
        &self.access
    }

    /// The per-address and per-person request budgets.
    pub fn rate_limits(&self) -> &SharedRateLimits {
        &self.rate_limits
    }

    /// Stops taking changes and waits until those queued are committed and published.
    /// Blocks: call it at shutdown, once the server has stopped, on a blocking thread
    /// (`tokio::task::spawn_blocking`), never directly inside async code.
    pub fn close(&self) {
        self.writer.close();
    }

    /// `board`'s snapshot.
    pub async fn snapshot(&self, board: &str) -> Result<BoardSnapshot, StoreError> {
        let snap = self.store.snapshot(board).await?;
        Ok(BoardSnapshot {
            board: board.to_owned(),
            position: StreamPosition::new(self.store.epoch(), snap.seq).to_string(),
            seq: snap.seq,
            notes: snap.notes,
        })
    }

    /// A page of up to `limit` boards after `after`, with the cursor of the next page.
    pub async fn boards(
        &self,
        after: Option<BoardCursor>,
        limit: usize,
    ) -> Result<BoardList, StoreError> {
        // One row more than asked: if it is there, there is a next page.
        let mut rows = self.store.boards(after.as_ref(), limit + 1).await?;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| BoardCursor::after(last).to_string())
        } else {
            None
        };
        let epoch = self.store.epoch();
        Ok(BoardList {
            next,
            boards: rows
                .into_iter()
                .map(|r| BoardSummary {
                    position: StreamPosition::new(epoch, r.head).to_string(),
                    board: r.name,
                    notes: r.notes,
                    seq: r.head,
                    updated_at_ms: r.updated_at_ms,
                })
                .collect(),
        })
    }
}
