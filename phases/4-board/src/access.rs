//! Who may read and change a board: owners, share links, members.
//!
//! The model is the one people know from Excalidraw and Figma:
//!
//! * A board belongs to the signed-in person ([`crate::identity`]) who first opens it
//!   (`subscribe`, an event stream), writes to it, or creates it with `POST /boards`.
//!   Nobody else can read it — not its notes, its events, its presence list, nor its name
//!   in `GET /boards`.
//! * The owner shares it with **links**: `POST /boards/:board/links {role}` makes a link
//!   whose unguessable `token` lets whoever holds it join as an `edit` or `view` member
//!   (`POST /boards/:board/join {token}`).
//! * **Revoking** a link (`DELETE /boards/:board/links/:id`) stops new joins *and* removes
//!   the members who joined through it: a link shared too widely is undone at once.
//! * A `view` member may read and follow, and each change is refused with `forbidden`,
//!   "You can view this board but not change it." — the connection lives on.
//!
//! The rules are [`AccessRules::decide`], a pure function over one board's [`BoardAcl`];
//! [`AccessModel`] holds every board's ACL in memory (bounded by `--board-max-boards`), so
//! a check is a map lookup on the connection's task, and writes each change through to
//! the store ([`crate::access_sqlite`]) before it takes effect.
//!
//! This is the default (`--board-access private`): the web app's pages all sign in before
//! they open a board. `--board-access open` opens every board to everyone and believes a
//! name nobody signed for — for a workshop on one machine, and for tests and tools whose
//! clients do not sign in. A valid session is honoured in both modes: signed in, you are
//! who the cookie says.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use http::HeaderMap;
use phase_2_sse::{
    access::{BoardAccess, BoardAction, Denied},
    presence::Person,
};
use serde::{Deserialize, Serialize};

use crate::{access_sqlite::AccessLog, identity::Sessions, store::StoreError};

/// Most share links one board may have at once.
pub const MAX_LINKS_PER_BOARD: usize = 50;
/// Most members (besides the owner) one board may have.
pub const MAX_MEMBERS_PER_BOARD: usize = 1_000;

/// `--board-access`: private boards, or every board open to everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AccessMode {
    /// Boards belong to their creator; others join through share links.
    Private,
    /// Every board is readable and writable by everyone (workshops, tests, tools).
    Open,
}

/// What a share link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read, follow and change notes.
    Edit,
    /// Read and follow only.
    View,
}

impl Role {
    /// The word stored and sent: `edit` or `view`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Edit => "edit",
            Role::View => "view",
        }
    }

    /// The role `edit` or `view` names.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "edit" => Some(Role::Edit),
            "view" => Some(Role::View),
            _ => None,
        }
    }
}

/// A share link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// Names the link in the owner's list (and in `DELETE .../links/:id`).
    pub id: String,
    /// The secret that joins: 128 random bits.
    pub token: String,
    /// What joining through it grants.
    pub role: Role,
}

/// Someone who joined a board through a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Their role.
    pub role: Role,
    /// The link they joined through (revoking it removes them).
    pub link_id: String,
}

/// One board's owner, links and members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardAcl {
    /// The owner's `clientId`.
    pub owner: String,
    /// Its share links.
    pub links: Vec<ShareLink>,
    /// Members by `clientId`.
    pub members: HashMap<String, Member>,
}

impl BoardAcl {
    /// A board owned by `owner`, shared with nobody.
    pub fn owned_by(owner: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            links: Vec::new(),
            members: HashMap::new(),
        }
    }

    /// `client_id`'s role: `Some(Edit)` for the owner.
    pub fn role_of(&self, client_id: &str) -> Option<Role> {
        if self.owner == client_id {
            return Some(Role::Edit);
        }
        self.members.get(client_id).map(|m| m.role)
    }
}

/// The message for someone who may not see a board.
pub const PRIVATE_MESSAGE: &str = "This board is private — ask its owner for a link.";
/// The message for a view-only member who tried to change something.
pub const VIEW_ONLY_MESSAGE: &str = "You can view this board but not change it.";
/// The message for someone not signed in, on a private server.
pub const SIGN_IN_MESSAGE: &str = "Sign in with your name to open boards.";

/// What [`AccessRules::decide`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Allowed, and the board (owned by nobody yet) becomes `who`'s.
    Claim,
    /// Refused.
    Deny(Denied),
}

fn deny(message: &str, detail: impl Into<String>) -> Decision {
    Decision::Deny(Denied {
        message: message.to_owned(),
        detail: detail.into(),
    })
}

// ANCHOR: decide
/// The rules, as a pure function: may `who` do `action` on a board whose ACL is `acl`
/// (`None`: nobody owns it yet)?
pub struct AccessRules;

impl AccessRules {
    /// The decision for a private server.
    pub fn decide(acl: Option<&BoardAcl>, who: Option<&Person>, action: BoardAction) -> Decision {
        // EXERCISE(ch4-access-rules): owner, edit and view members, outsiders, unclaimed boards
        let Some(who) = who else {
            return deny(
                SIGN_IN_MESSAGE,
                "no valid lb_session cookie: POST /session {name, color} first",
            );
        };
        let Some(acl) = acl else {
            // Nobody owns it: an empty board (or one written before boards had owners).
            // Opening or writing it makes it yours; a one-off read shows nothing private.
            return match action {
                BoardAction::Read => Decision::Allow,
                BoardAction::Follow | BoardAction::Write => Decision::Claim,
            };
        };
        match (acl.role_of(&who.client_id), action) {
            (Some(Role::Edit), _) => Decision::Allow,
            (Some(Role::View), BoardAction::Read | BoardAction::Follow) => Decision::Allow,
            (Some(Role::View), BoardAction::Write) => deny(
                VIEW_ONLY_MESSAGE,
                "you joined this board through a view link; ask its owner for an edit link",
            ),
            (None, _) => deny(
                PRIVATE_MESSAGE,
                "you are neither this board's owner nor a member; join it with a share link \
                 (POST /boards/:board/join {token})",
            ),
        }
        // EXERCISE_END(ch4-access-rules)
    }
}
// ANCHOR_END: decide

/// Why an owner's request about links could not be done.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Only the owner manages links.
    #[error("only this board's owner can manage its share links")]
    NotOwner,
    /// No board by that name has an owner.
    #[error("nobody owns this board yet: open it (or POST /boards) to make it yours")]
    Unowned,
    /// The board was claimed by someone else first.
    #[error("this board already belongs to someone else")]
    Taken,
    /// No link with that token (never made, or revoked).
    #[error("this link is not valid any more: ask the board's owner for a new one")]
    BadToken,
    /// No link with that id.
    #[error("no share link {0} on this board")]
    NoSuchLink(String),
    /// A cap was reached.
    #[error("{0}")]
    Full(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every board's ACL, in memory and written through to the store.
pub struct AccessModel {
    mode: AccessMode,
    sessions: Sessions,
    max_boards: usize,
    acls: Mutex<HashMap<String, BoardAcl>>,
    log: Option<AccessLog>,
}

impl AccessModel {
    /// The model for `mode`, checking sessions with `sessions`, loading (and later
    /// writing) the ACLs of `log` (`None`: in memory only). At most `max_boards` owned.
    pub fn open(
        mode: AccessMode,
        sessions: Sessions,
        max_boards: usize,
        log: Option<AccessLog>,
    ) -> Result<Arc<Self>, StoreError> {
        let acls = match &log {
            Some(log) => log.load()?,
            None => HashMap::new(),
        };
        Ok(Arc::new(Self {
            mode,
            sessions,
            max_boards,
            acls: Mutex::new(acls),
            log,
        }))
    }

    /// The sessions that identify people.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// `private` or `open`.
    pub fn mode(&self) -> AccessMode {
        self.mode
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, BoardAcl>> {
        self.acls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `who`'s role on `board` (`Some(Edit)` for everyone on an open server, and for
    /// anyone on a board nobody owns).
    pub fn role(&self, who: Option<&Person>, board: &str) -> Option<Role> {
        if self.mode == AccessMode::Open {
            return Some(Role::Edit);
        }
        let who = who?;
        match self.lock().get(board) {
            None => Some(Role::Edit),
            Some(acl) => acl.role_of(&who.client_id),
        }
    }

    /// The owner's `clientId` of `board`.
    pub fn owner(&self, board: &str) -> Option<String> {
        self.lock().get(board).map(|acl| acl.owner.clone())
    }

    // ANCHOR: claim
    /// Makes `board` `owner`'s if nobody owns it; `Ok` also if it is theirs already.
    pub fn claim(&self, board: &str, owner: &str) -> Result<(), AccessError> {
        let mut acls = self.lock();
        match acls.get(board) {
            Some(acl) if acl.owner == owner => return Ok(()),
            Some(_) => return Err(AccessError::Taken),
            None => {}
        }
        if acls.len() >= self.max_boards {
            return Err(AccessError::Full(format!(
                "the server holds {} owned boards, its limit (LIVEBOARD_BOARD_MAX_BOARDS)",
                self.max_boards
            )));
        }
        // Written before it takes effect: a restart never forgets an owner it announced.
        if let Some(log) = &self.log {
            log.set_owner(board, owner)?;
        }
        acls.insert(board.to_owned(), BoardAcl::owned_by(owner));
        Ok(())
    }
    // ANCHOR_END: claim

    fn with_owned<T>(
        &self,
        board: &str,
        who: &Person,
        f: impl FnOnce(&mut BoardAcl, Option<&AccessLog>) -> Result<T, AccessError>,
    ) -> Result<T, AccessError> {
        let mut acls = self.lock();
        let acl = acls.get_mut(board).ok_or(AccessError::Unowned)?;
        if acl.owner != who.client_id {
            return Err(AccessError::NotOwner);
        }
        f(acl, self.log.as_ref())
    }

    /// A new share link with `role`, made by the owner.
    pub fn create_link(
        &self,
        board: &str,
        who: &Person,
        role: Role,
    ) -> Result<ShareLink, AccessError> {
        self.with_owned(board, who, |acl, log| {
            if acl.links.len() >= MAX_LINKS_PER_BOARD {
                return Err(AccessError::Full(format!(
                    "a board may have {MAX_LINKS_PER_BOARD} share links; revoke one first"
                )));
            }
            let link = ShareLink {
                id: random_hex(8)?,
                token: random_hex(16)?,
                role,
            };
            if let Some(log) = log {
                log.add_link(board, &link)?;
            }
            acl.links.push(link.clone());
            Ok(link)
        })
    }

    /// The owner's links.
    pub fn links(&self, board: &str, who: &Person) -> Result<Vec<ShareLink>, AccessError> {
        self.with_owned(board, who, |acl, _| Ok(acl.links.clone()))
    }

    // ANCHOR: revoke
    /// Revokes link `id`: no one joins through it any more, and those who did are no
    /// longer members. Returns their `clientId`s.
    pub fn revoke_link(
        &self,
        board: &str,
        who: &Person,
        id: &str,
    ) -> Result<Vec<String>, AccessError> {
        self.with_owned(board, who, |acl, log| {
            if !acl.links.iter().any(|l| l.id == id) {
                return Err(AccessError::NoSuchLink(id.to_owned()));
            }
            if let Some(log) = log {
                log.revoke_link(board, id)?;
            }
            acl.links.retain(|l| l.id != id);
            let removed: Vec<String> = acl
                .members
                .iter()
                .filter(|(_, m)| m.link_id == id)
                .map(|(client, _)| client.clone())
                .collect();
            acl.members.retain(|_, m| m.link_id != id);
            Ok(removed)
        })
    }
    // ANCHOR_END: revoke

    /// `who` joins `board` with the link whose token is `token`; returns their role.
    pub fn join(&self, board: &str, who: &Person, token: &str) -> Result<Role, AccessError> {
        let mut acls = self.lock();
        let acl = acls.get_mut(board).ok_or(AccessError::BadToken)?;
        if acl.owner == who.client_id {
            return Ok(Role::Edit);
        }
        let link = acl
            .links
            .iter()
            .find(|l| constant_time_eq(l.token.as_bytes(), token.as_bytes()))
            .cloned()
            .ok_or(AccessError::BadToken)?;
        if !acl.members.contains_key(&who.client_id) && acl.members.len() >= MAX_MEMBERS_PER_BOARD {
            return Err(AccessError::Full(format!(
                "a board may have {MAX_MEMBERS_PER_BOARD} members"
            )));
        }
        let member = Member {
            role: link.role,
            link_id: link.id,
        };
        if let Some(log) = &self.log {
            log.set_member(board, &who.client_id, &member)?;
        }
        acl.members.insert(who.client_id.clone(), member);
        Ok(link.role)
    }
}

/// Compares two secrets without stopping at the first difference (timing tells nothing).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `n` random bytes in hex.
fn random_hex(n: usize) -> Result<String, AccessError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| {
        AccessError::Store(StoreError::Io {
            what: "drawing random bytes".into(),
            source: std::io::Error::other(e.to_string()),
        })
    })?;
    Ok(phase_1_foundations::signed::hex(&bytes))
}

// ANCHOR: board_access_impl
impl BoardAccess for AccessModel {
    fn identify(&self, headers: &HeaderMap) -> Option<Person> {
        self.sessions.identify(headers)
    }

    fn check(&self, who: Option<&Person>, board: &str, action: BoardAction) -> Result<(), Denied> {
        if self.mode == AccessMode::Open {
            return Ok(());
        }
        let decision = AccessRules::decide(self.lock().get(board), who, action);
        match decision {
            Decision::Allow => Ok(()),
            Decision::Deny(denied) => Err(denied),
            Decision::Claim => {
                let owner = who.map(|p| p.client_id.as_str()).unwrap_or_default();
                match self.claim(board, owner) {
                    Ok(()) => Ok(()),
                    // Someone claimed it between the look and the claim: decide again.
                    Err(AccessError::Taken) => {
                        match AccessRules::decide(self.lock().get(board), who, action) {
                            Decision::Deny(denied) => Err(denied),
                            _ => Ok(()),
                        }
                    }
                    Err(e) => Err(Denied {
                        message: "This board cannot be opened right now.".into(),
                        detail: e.to_string(),
                    }),
                }
            }
        }
    }
}
// ANCHOR_END: board_access_impl

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str) -> Person {
        Person::parse(id, id, "#112233").unwrap()
    }

    fn model() -> Arc<AccessModel> {
        let key = phase_1_foundations::signed::SigningKey::random().unwrap();
        AccessModel::open(AccessMode::Private, Sessions::new(key, false), 10, None).unwrap()
    }

    #[test]
    fn nobody_signed_in_sees_nothing_on_a_private_server() {
        let d = AccessRules::decide(None, None, BoardAction::Read);
        assert!(
            matches!(d, Decision::Deny(ref x) if x.message == SIGN_IN_MESSAGE),
            "{d:?}"
        );
    }

    #[test]
    fn the_first_to_open_a_board_owns_it_and_others_are_kept_out() {
        let m = model();
        let (ana, bo) = (person("ana"), person("bo"));
        assert_eq!(m.check(Some(&ana), "b", BoardAction::Follow), Ok(()));
        assert_eq!(m.owner("b").as_deref(), Some("ana"));
        let err = m.check(Some(&bo), "b", BoardAction::Read).unwrap_err();
        assert_eq!(err.message, PRIVATE_MESSAGE);
        assert!(m.check(Some(&bo), "b", BoardAction::Follow).is_err());
    }

    #[test]
    fn a_view_link_lets_read_not_write_and_revoking_it_removes_the_member() {
        let m = model();
        let (ana, bo) = (person("ana"), person("bo"));
        m.claim("b", "ana").unwrap();
        let link = m.create_link("b", &ana, Role::View).unwrap();
        assert!(matches!(
            m.create_link("b", &bo, Role::Edit),
            Err(AccessError::NotOwner)
        ));
        assert!(matches!(
            m.join("b", &bo, "wrong"),
            Err(AccessError::BadToken)
        ));
        assert_eq!(m.join("b", &bo, &link.token).unwrap(), Role::View);
        assert_eq!(m.check(Some(&bo), "b", BoardAction::Follow), Ok(()));
        let err = m.check(Some(&bo), "b", BoardAction::Write).unwrap_err();
        assert_eq!(err.message, VIEW_ONLY_MESSAGE);
        assert_eq!(m.revoke_link("b", &ana, &link.id).unwrap(), vec!["bo"]);
        assert!(m.check(Some(&bo), "b", BoardAction::Read).is_err());
        assert!(matches!(
            m.join("b", &bo, &link.token),
            Err(AccessError::BadToken)
        ));
    }

    #[test]
    fn an_edit_link_lets_its_holder_write() {
        let m = model();
        let (ana, bo) = (person("ana"), person("bo"));
        m.claim("b", "ana").unwrap();
        let link = m.create_link("b", &ana, Role::Edit).unwrap();
        m.join("b", &bo, &link.token).unwrap();
        assert_eq!(m.check(Some(&bo), "b", BoardAction::Write), Ok(()));
    }

    #[test]
    fn claims_stop_at_the_board_cap() {
        let m = model();
        for i in 0..10 {
            m.claim(&format!("b{i}"), "ana").unwrap();
        }
        assert!(matches!(m.claim("b10", "ana"), Err(AccessError::Full(_))));
    }

    #[test]
    fn an_open_server_lets_everyone_do_everything() {
        let key = phase_1_foundations::signed::SigningKey::random().unwrap();
        let m = AccessModel::open(AccessMode::Open, Sessions::new(key, false), 10, None).unwrap();
        assert_eq!(m.check(None, "b", BoardAction::Write), Ok(()));
        assert_eq!(m.owner("b"), None);
    }
}
