//! Who may look at a board: a seam a later phase fills.
//!
//! Phase 2 itself lets everyone read and post to every board, and believes the name a
//! browser puts in `?name=`. Phase 4 gives people a server-signed identity and boards an
//! owner and share links; it *provides* a [`SharedAccess`] that phases 2 and 3 consult on
//! every way into a board — an event stream, the presence list, a posted message here; a
//! WebSocket `subscribe` and `publish` in phase 3 — so the rules live in one place and no
//! transport is a side door.
//!
//! Two questions, asked of every request:
//!
//! 1. [`BoardAccess::identify`] — who is this, by the credentials the request carries
//!    (phase 4: a signed session cookie)? When the answer is someone, *that* is who
//!    appears in presence and who authors changes: a name in the query or the message is
//!    ignored, so nobody can appear as someone else.
//! 2. [`BoardAccess::check`] — may they do this ([`BoardAction`]) on this board? A refusal
//!    is a [`Denied`]: `403 forbidden` over HTTP, an `error` with code `forbidden` on a
//!    WebSocket (whose connection lives on).

use std::sync::Arc;

use http::HeaderMap;
use phase_1_foundations::ApiError;

use crate::presence::Person;

/// What a request wants to do with a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardAction {
    /// Read it once: `GET /boards/:board`, its presence list.
    Read,
    /// Follow it live: an event stream, a WebSocket `subscribe`. Opening a board nobody
    /// owns yet may make it yours (phase 4).
    Follow,
    /// Change it: notes, messages.
    Write,
}

/// Why a request may not do what it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// For the person, e.g. "This board is private — ask its owner for a link."
    pub message: String,
    /// For the developer: which rule refused, and what would be allowed.
    pub detail: String,
}

impl Denied {
    /// `403 forbidden`, the message for people and the detail after it.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::forbidden("forbidden", format!("{} ({})", self.message, self.detail))
    }
}

// ANCHOR: board_access
/// Identity and access rules for boards, provided by a later phase.
pub trait BoardAccess: Send + Sync + 'static {
    /// The person the request's credentials prove, or `None` (no or invalid credentials).
    fn identify(&self, headers: &HeaderMap) -> Option<Person>;

    /// Whether `who` (`None`: nobody signed in) may do `action` on `board`.
    fn check(&self, who: Option<&Person>, board: &str, action: BoardAction) -> Result<(), Denied>;
}
// ANCHOR_END: board_access

/// The rules every transport consults; the default lets everyone do everything and
/// identifies nobody (phase 2 on its own, or `--board-access open`).
#[derive(Clone)]
pub struct SharedAccess(pub Arc<dyn BoardAccess>);

impl Default for SharedAccess {
    fn default() -> Self {
        Self(Arc::new(OpenAccess))
    }
}

impl SharedAccess {
    /// Who the request is, then whether they may do `action`: the person (if any), or
    /// `403 forbidden`.
    pub fn admit(
        &self,
        headers: &HeaderMap,
        board: &str,
        action: BoardAction,
    ) -> Result<Option<Person>, ApiError> {
        let who = self.0.identify(headers);
        self.0
            .check(who.as_ref(), board, action)
            .map_err(|d| d.to_api_error())?;
        Ok(who)
    }
}

/// Every board open to everyone; nobody identified by the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAccess;

impl BoardAccess for OpenAccess {
    fn identify(&self, _headers: &HeaderMap) -> Option<Person> {
        None
    }

    fn check(&self, _: Option<&Person>, _: &str, _: BoardAction) -> Result<(), Denied> {
        Ok(())
    }
}
