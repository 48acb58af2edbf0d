//! Phase 4's settings in one place: where the data lives, and every limit, as flags with
//! environment variables (`LIVEBOARD_DATA_DIR`, `LIVEBOARD_BOARD_*`).
//!
//! Every value says its default, its unit and what it trades; `--help` prints them too.

use std::{path::PathBuf, time::Duration};

use crate::{access::AccessMode, rules::RuleLimits};

/// The `--data-dir` value that keeps boards in memory (nothing survives a restart).
pub const IN_MEMORY: &str = ":memory:";

// ANCHOR: board_config
/// Where boards are stored and the limits that protect the server.
#[derive(Debug, Clone, clap::Args)]
pub struct BoardConfig {
    /// Directory of the board database (`liveboard.sqlite3`), created if missing. Default
    /// `./data`. `:memory:` keeps boards in memory only: fine for a demo, gone on restart.
    #[arg(
        long = "data-dir",
        env = "LIVEBOARD_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: String,

    /// Longest note text, in characters. Default 2 000: a sticky note, not a document;
    /// every change of a note re-sends its whole text to every viewer and into the log.
    #[arg(
        long = "board-max-text-chars",
        env = "LIVEBOARD_BOARD_MAX_TEXT_CHARS",
        default_value_t = 2_000
    )]
    pub max_text_chars: usize,

    /// Most notes on one board. Default 500. A snapshot carries every note (500 × ~300
    /// bytes ≈ 150 KB); more makes joining a board slow and the board unreadable anyway.
    #[arg(
        long = "board-max-notes",
        env = "LIVEBOARD_BOARD_MAX_NOTES",
        default_value_t = 500
    )]
    pub max_notes: u64,

    /// Most boards on the server. Default 10 000. A `note_create` on a board that does
    /// not exist yet makes a new board; past this many it is refused with
    /// `too_many_boards` and nothing is written. Without a cap, a script creates boards
    /// as fast as the disk takes them (100 000 a minute) and `GET /boards` grows with it.
    #[arg(
        long = "board-max-boards",
        env = "LIVEBOARD_BOARD_MAX_BOARDS",
        default_value_t = 10_000
    )]
    pub max_boards: u64,

    /// Note requests per second one connection may sustain (token bucket refill rate).
    /// Default 20: a person dragging notes makes a few per second; a runaway script makes
    /// thousands. Over it: `rate_limited` with a `retryAfterMs`, the connection stays.
    #[arg(
        long = "board-rate-per-sec",
        env = "LIVEBOARD_BOARD_RATE_PER_SEC",
        default_value_t = 20
    )]
    pub rate_per_sec: u32,

    /// Note requests one connection may send in a burst (token bucket size). Default 40:
    /// a client replaying its pending ops after a reconnect is not punished for it.
    #[arg(
        long = "board-rate-burst",
        env = "LIVEBOARD_BOARD_RATE_BURST",
        default_value_t = 40
    )]
    pub rate_burst: u32,

    /// Note requests per second all connections from one IP address may sustain
    /// together. Default 60: three busy tabs of one person, or a classroom behind one
    /// NAT at a gentle pace; a script opening 250 connections gets this, not 250 × 20.
    /// Behind a reverse proxy every client has the proxy's address: name the proxy with
    /// `--trusted-proxies` (the address it forwards is counted instead), or raise this,
    /// or 0 (off).
    #[arg(
        long = "board-rate-per-ip",
        env = "LIVEBOARD_BOARD_RATE_PER_IP",
        default_value_t = 60
    )]
    pub rate_per_ip: u32,

    /// Burst of the per-address bucket. Default 120.
    #[arg(
        long = "board-rate-per-ip-burst",
        env = "LIVEBOARD_BOARD_RATE_PER_IP_BURST",
        default_value_t = 120
    )]
    pub rate_per_ip_burst: u32,

    /// Note changes per second one person (the `author` a change names) may sustain
    /// over all their connections. Default 20, like one connection: a second tab does not
    /// double a person's budget. 0 turns it off.
    #[arg(
        long = "board-rate-per-person",
        env = "LIVEBOARD_BOARD_RATE_PER_PERSON",
        default_value_t = 20
    )]
    pub rate_per_person: u32,

    /// Burst of the per-person bucket. Default 40.
    #[arg(
        long = "board-rate-per-person-burst",
        env = "LIVEBOARD_BOARD_RATE_PER_PERSON_BURST",
        default_value_t = 40
    )]
    pub rate_per_person_burst: u32,

    /// Changes waiting for the store's writer thread, across all connections. Default
    /// 1 024. A full queue answers `unavailable` at once (retry later with the same opId)
    /// instead of letting waiting work — and memory — grow without bound when the disk
    /// is slower than the clients.
    #[arg(
        long = "board-write-queue",
        env = "LIVEBOARD_BOARD_WRITE_QUEUE",
        default_value_t = 1_024
    )]
    pub write_queue: usize,

    /// Most events one resume may replay from the on-disk log. Default 10 000. A client
    /// further behind gets a `reset` and loads a snapshot, which is cheaper than 10 000
    /// events. (The hub's per-connection queue budget also bounds a replay, in bytes.)
    #[arg(
        long = "board-max-replay-events",
        env = "LIVEBOARD_BOARD_MAX_REPLAY_EVENTS",
        default_value_t = 10_000
    )]
    pub max_replay_events: u64,

    /// Who may open a board. Default `private`: a board belongs to the signed-in person
    /// (`POST /session`) who first opens or writes it; others need a share link (edit or
    /// view), and nobody who is not signed in sees any board. `open`: every board is
    /// readable and writable by everyone, and a name nobody signed for is believed (a
    /// workshop on one machine, tests, tools that do not sign in). A signed session is
    /// honoured in both.
    #[arg(
        long = "board-access",
        env = "LIVEBOARD_BOARD_ACCESS",
        value_enum,
        default_value_t = AccessMode::Private
    )]
    pub access: AccessMode,

    /// File holding the key that signs session cookies (at least 32 bytes), created with
    /// 32 random bytes and mode 0600 if missing. Default: `session.key` beside the board
    /// database; with `--data-dir :memory:`, a random key per process (everyone is
    /// signed out by a restart). Whoever reads this file can sign in as anyone: replace
    /// it to sign everyone out (or list the old file in `--session-secret-previous-files`
    /// to rotate the key without).
    #[arg(long = "session-secret-file", env = "LIVEBOARD_SESSION_SECRET_FILE")]
    pub session_secret_file: Option<PathBuf>,

    /// Files holding keys that signed session cookies before the current one,
    /// comma-separated: their cookies are still accepted (and re-signed with the current
    /// key by `GET /session`), never issued. Rotate a key without signing anyone out: a
    /// new `--session-secret-file`, the old file listed here for 30 days (a session's
    /// life). Each file must exist. None by default.
    #[arg(
        long = "session-secret-previous-files",
        env = "LIVEBOARD_SESSION_SECRET_PREVIOUS_FILES",
        value_delimiter = ','
    )]
    pub session_secret_previous_files: Vec<PathBuf>,

    /// Adds `Secure` to the session cookie, so browsers send it over HTTPS only. Turn it
    /// on behind a TLS proxy; off by default because `http://localhost` has no TLS.
    #[arg(
        long = "session-cookie-secure",
        env = "LIVEBOARD_SESSION_COOKIE_SECURE"
    )]
    pub session_cookie_secure: bool,
}
// ANCHOR_END: board_config

impl Default for BoardConfig {
    /// The command line's defaults.
    fn default() -> Self {
        Self {
            data_dir: "./data".to_owned(),
            max_text_chars: 2_000,
            max_notes: 500,
            max_boards: 10_000,
            rate_per_sec: 20,
            rate_burst: 40,
            rate_per_ip: 60,
            rate_per_ip_burst: 120,
            rate_per_person: 20,
            rate_per_person_burst: 40,
            write_queue: 1_024,
            max_replay_events: 10_000,
            access: AccessMode::Private,
            session_secret_file: None,
            session_secret_previous_files: Vec::new(),
            session_cookie_secure: false,
        }
    }
}

impl BoardConfig {
    /// The defaults, with boards kept in memory (tests).
    pub fn in_memory() -> Self {
        Self {
            data_dir: IN_MEMORY.to_owned(),
            ..Self::default()
        }
    }

    /// The defaults, with the database in `dir`.
    pub fn in_dir(dir: impl AsRef<std::path::Path>) -> Self {
        Self {
            data_dir: dir.as_ref().display().to_string(),
            ..Self::default()
        }
    }

    /// The limits the change rules enforce.
    pub fn rule_limits(&self) -> RuleLimits {
        RuleLimits {
            max_text_chars: self.max_text_chars,
            max_notes: self.max_notes,
            max_boards: self.max_boards,
        }
    }

    /// Time for one token to come back at the configured rate.
    pub fn token_interval(&self) -> Duration {
        Duration::from_secs(1) / self.rate_per_sec.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        board: BoardConfig,
    }

    #[test]
    fn the_default_impl_matches_the_command_line_defaults() {
        if std::env::vars()
            .any(|(k, _)| k.starts_with("LIVEBOARD_BOARD_") || k == "LIVEBOARD_DATA_DIR")
        {
            return; // a developer's environment overrides the defaults
        }
        let parsed = Cli::parse_from(["test"]).board;
        let default = BoardConfig::default();
        assert_eq!(parsed.data_dir, default.data_dir);
        assert_eq!(parsed.max_text_chars, default.max_text_chars);
        assert_eq!(parsed.max_notes, default.max_notes);
        assert_eq!(parsed.rate_per_sec, default.rate_per_sec);
        assert_eq!(parsed.rate_burst, default.rate_burst);
        assert_eq!(parsed.max_boards, default.max_boards);
        assert_eq!(parsed.rate_per_ip, default.rate_per_ip);
        assert_eq!(parsed.rate_per_ip_burst, default.rate_per_ip_burst);
        assert_eq!(parsed.rate_per_person, default.rate_per_person);
        assert_eq!(parsed.rate_per_person_burst, default.rate_per_person_burst);
        assert_eq!(parsed.write_queue, default.write_queue);
        assert_eq!(parsed.max_replay_events, default.max_replay_events);
        assert_eq!(parsed.access, default.access);
    }

    #[test]
    fn boards_are_private_unless_board_access_says_open() {
        if std::env::var_os("LIVEBOARD_BOARD_ACCESS").is_some() {
            return; // a developer's environment chose
        }
        assert_eq!(Cli::parse_from(["test"]).board.access, AccessMode::Private);
        let open = Cli::parse_from(["test", "--board-access", "open"]).board;
        assert_eq!(open.access, AccessMode::Open);
    }

    #[test]
    fn flags_set_the_data_dir_and_each_limit() {
        let c = Cli::parse_from([
            "test",
            "--data-dir",
            ":memory:",
            "--board-max-notes",
            "3",
            "--board-rate-per-sec",
            "4",
            "--board-max-boards",
            "7",
            "--board-rate-per-ip",
            "5",
            "--board-rate-per-ip-burst",
            "6",
            "--board-rate-per-person",
            "8",
            "--board-rate-per-person-burst",
            "9",
        ])
        .board;
        assert_eq!(c.data_dir, IN_MEMORY);
        assert_eq!(c.rule_limits().max_notes, 3);
        assert_eq!(c.rule_limits().max_boards, 7);
        assert_eq!((c.rate_per_ip, c.rate_per_ip_burst), (5, 6));
        assert_eq!((c.rate_per_person, c.rate_per_person_burst), (8, 9));
        assert_eq!(c.token_interval(), Duration::from_millis(250));
    }
}
