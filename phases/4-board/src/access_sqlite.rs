//! [`AccessLog`]: boards' owners, share links and members in the board database.
//!
//! Three tables beside the board store's own, in the same `liveboard.sqlite3`:
//!
//! ```text
//! board_owners  (board PK, owner)                       owner = a session's clientId
//! board_links   (board, id, token, role)                PK (board, id)
//! board_members (board, client_id, role, link_id)       PK (board, client_id)
//! ```
//!
//! **Migration**: `CREATE TABLE IF NOT EXISTS` adds them to a database written before
//! boards had owners; its boards then have no owner, and on a private server the first
//! signed-in person to open one claims it ([`crate::access`]).
//!
//! The log has a connection of its own: access changes are rare (a board claimed, a link
//! made or revoked, someone joining) and small, so they do not queue behind the note
//! writer; SQLite's write lock (waited for up to 5 s) keeps the two writers apart, and
//! every change is one `synchronous=FULL` transaction, on disk before it takes effect.

use std::{collections::HashMap, path::Path, sync::Mutex};

use rusqlite::{params, Connection};

use crate::{
    access::{BoardAcl, Member, Role, ShareLink},
    sqlite::DB_FILE,
    store::StoreError,
};

// ANCHOR: access_schema
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS board_owners (
    board TEXT PRIMARY KEY,
    owner TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS board_links (
    board TEXT NOT NULL,
    id TEXT NOT NULL,
    token TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (board, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS board_members (
    board TEXT NOT NULL,
    client_id TEXT NOT NULL,
    role TEXT NOT NULL,
    link_id TEXT NOT NULL,
    PRIMARY KEY (board, client_id)
) WITHOUT ROWID;
";
// ANCHOR_END: access_schema

/// The access tables of one board database.
pub struct AccessLog {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessLog")
    }
}

fn role(text: &str) -> Result<Role, StoreError> {
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown role {text:?}")))
}

impl AccessLog {
    /// Opens the database in `dir` (the board store made it) and adds the access tables
    /// if they are missing.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let conn = Connection::open(dir.as_ref().join(DB_FILE))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every board's ACL.
    pub fn load(&self) -> Result<HashMap<String, BoardAcl>, StoreError> {
        let conn = self.conn();
        let mut acls = HashMap::new();
        let mut owners = conn.prepare("SELECT board, owner FROM board_owners")?;
        for row in owners.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (board, owner) = row?;
            acls.insert(board, BoardAcl::owned_by(&owner));
        }
        let mut links = conn.prepare("SELECT board, id, token, role FROM board_links")?;
        for row in links.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })? {
            let (board, id, token, role_text) = row?;
            if let Some(acl) = acls.get_mut(&board) {
                acl.links.push(ShareLink {
                    id,
                    token,
                    role: role(&role_text)?,
                });
            }
        }
        let mut members =
            conn.prepare("SELECT board, client_id, role, link_id FROM board_members")?;
        for row in members.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })? {
            let (board, client_id, role_text, link_id) = row?;
            if let Some(acl) = acls.get_mut(&board) {
                acl.members.insert(
                    client_id,
                    Member {
                        role: role(&role_text)?,
                        link_id,
                    },
                );
            }
        }
        Ok(acls)
    }

    /// Records `owner` as `board`'s owner.
    pub fn set_owner(&self, board: &str, owner: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO board_owners (board, owner) VALUES (?1, ?2)",
            params![board, owner],
        )?;
        Ok(())
    }

    /// Records a new link.
    pub fn add_link(&self, board: &str, link: &ShareLink) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO board_links (board, id, token, role) VALUES (?1, ?2, ?3, ?4)",
            params![board, link.id, link.token, link.role.as_str()],
        )?;
        Ok(())
    }

    /// Deletes link `id` and the members who joined through it, in one transaction.
    pub fn revoke_link(&self, board: &str, id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM board_links WHERE board = ?1 AND id = ?2",
            params![board, id],
        )?;
        tx.execute(
            "DELETE FROM board_members WHERE board = ?1 AND link_id = ?2",
            params![board, id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records (or replaces) a member.
    pub fn set_member(
        &self,
        board: &str,
        client_id: &str,
        member: &Member,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO board_members (board, client_id, role, link_id) \
             VALUES (?1, ?2, ?3, ?4)",
            params![board, client_id, member.role.as_str(), member.link_id],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_links_and_members_survive_a_reopen_and_a_revoke_removes_both() {
        let dir = tempfile::tempdir().unwrap();
        let log = AccessLog::open(dir.path()).unwrap();
        log.set_owner("b", "ana").unwrap();
        let link = ShareLink {
            id: "l1".into(),
            token: "t".into(),
            role: Role::View,
        };
        log.add_link("b", &link).unwrap();
        log.set_member(
            "b",
            "bo",
            &Member {
                role: Role::View,
                link_id: "l1".into(),
            },
        )
        .unwrap();
        drop(log);
        let acls = AccessLog::open(dir.path()).unwrap().load().unwrap();
        assert_eq!(acls["b"].owner, "ana");
        assert_eq!(acls["b"].links, vec![link]);
        assert_eq!(acls["b"].role_of("bo"), Some(Role::View));
        let log = AccessLog::open(dir.path()).unwrap();
        log.revoke_link("b", "l1").unwrap();
        let acls = log.load().unwrap();
        assert!(acls["b"].links.is_empty() && acls["b"].members.is_empty());
    }
}
