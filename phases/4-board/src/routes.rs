//! Phase 4's routes: the board over HTTP.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /boards?limit=&after=` | a page of boards, most recently changed first, with note counts and positions ([`BoardList`](crate::protocol::BoardList)) |
//! | `GET /boards/:board` | the board's [`BoardSnapshot`](crate::protocol::BoardSnapshot): notes and the position read before them |
//! | `POST /session`, … | signing in: [`crate::identity`] |
//! | `POST /boards`, `/boards/:board/links`, `/join`, … | owners and share links: [`crate::access_routes`] |
//!
//! Both reads obey the board's access rules ([`crate::access`]): on a private server
//! `GET /boards` lists only the boards you may read, and `GET /boards/:board` of anyone
//! else's board is `403 forbidden`.
//!
//! The note requests travel on phase 3's `/ws`: phase 4's module provides a
//! [`BoardExtensionFactory`](phase_3_websocket::BoardExtensionFactory) building a
//! [`NotesExtension`](crate::NotesExtension) per connection, and phase 3 mounts `/ws`
//! with it ([`crate::app`]).
//!
//! `GET /boards` is paged: a server with 10 000 boards would otherwise answer megabytes to
//! every board picker. `limit` is 1–[`MAX_PAGE`] (default [`DEFAULT_PAGE`]); `after` is
//! the previous page's `next`, an opaque cursor ([`BoardCursor`]); `next` is `null` on
//! the last page.
//!
//! HTTP reads are for pages that do not hold a WebSocket (a board list, a first paint,
//! `curl`); a live client takes its snapshot over the socket, after subscribing.

use std::sync::Arc;

use http::StatusCode;
use phase_1_foundations::{json::json_response, ApiError, Router};
use phase_2_sse::{
    access::{BoardAccess, BoardAction},
    board_name::BoardName,
    presence::BoardPresence,
    query::Query,
};

use crate::{
    access::{AccessMode, Role},
    access_routes, identity,
    protocol::BoardList,
    state::BoardState,
    store::BoardCursor,
};

/// Boards in a page of `GET /boards` when `limit` is not given.
pub const DEFAULT_PAGE: usize = 100;
/// The largest `limit` of `GET /boards`.
pub const MAX_PAGE: usize = 500;

// ANCHOR: board_page
/// `limit` and `after` of `GET /boards`, checked: a clear `400` rather than a guess.
fn board_page(query: Option<&str>) -> Result<(Option<BoardCursor>, usize), ApiError> {
    let query = Query::parse(query)?;
    let limit = match query.get("limit") {
        None => DEFAULT_PAGE,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    "bad_limit",
                    format!("limit must be a whole number from 1 to {MAX_PAGE}, not {text:?}"),
                ))
            }
        },
    };
    let after = match query.get("after") {
        None | Some("") => None,
        Some(text) => Some(BoardCursor::parse(text).ok_or_else(|| {
            ApiError::bad_request(
                "bad_cursor",
                format!("after must be the `next` of a previous page, not {text:?}"),
            )
        })?),
    };
    Ok((after, limit))
}
// ANCHOR_END: board_page

// ANCHOR: routes
/// `GET /boards` and `GET /boards/:board`, then the session and access routes
/// (`presence` is how a revoked member's open connections are found and closed).
pub fn routes(board: Arc<BoardState>, presence: Arc<dyn BoardPresence>) -> Router {
    let list = board.clone();
    let one = board.clone();
    Router::new()
        .get("/boards", move |req, _params| {
            let state = list.clone();
            let page = board_page(req.uri().query());
            let who = state.access().identify(req.headers());
            async move {
                let (after, limit) = page?;
                let boards = if state.access().mode() == AccessMode::Open {
                    state.boards(after, limit).await
                } else {
                    readable_boards(&state, who.as_ref(), after, limit).await
                }
                .map_err(ApiError::internal)?;
                Ok(json_response(StatusCode::OK, &boards))
            }
        })
        .get("/boards/:board", move |req, params| {
            let state = one.clone();
            let who = state.access().identify(req.headers());
            async move {
                let name = BoardName::parse(params.require("board")?)?;
                state
                    .access()
                    .check(who.as_ref(), name.as_str(), BoardAction::Read)
                    .map_err(|d| d.to_api_error())?;
                let snapshot = state
                    .snapshot(name.as_str())
                    .await
                    .map_err(ApiError::internal)?;
                Ok(json_response(StatusCode::OK, &snapshot))
            }
        })
        .merge(identity::routes(board.access().sessions().clone()))
        .merge(access_routes::routes(board, presence))
}
// ANCHOR_END: routes

// ANCHOR: readable_boards
/// A page of the boards `who` may read: pages of all boards, filtered, until `limit` are
/// found or the boards run out. Boards nobody owns are left out: they are empty, or were
/// written before boards had owners, and listing them would show strangers' board names.
async fn readable_boards(
    state: &BoardState,
    who: Option<&phase_2_sse::presence::Person>,
    mut after: Option<BoardCursor>,
    limit: usize,
) -> Result<BoardList, crate::store::StoreError> {
    let mut found = BoardList {
        boards: Vec::new(),
        next: None,
    };
    if who.is_none() {
        return Ok(found);
    }
    loop {
        let page = state.boards(after.clone(), MAX_PAGE).await?;
        for summary in page.boards {
            let cursor = BoardCursor {
                updated_at_ms: summary.updated_at_ms,
                name: summary.board.clone(),
            };
            let readable = state.access().owner(&summary.board).is_some()
                && matches!(
                    state.access().role(who, &summary.board),
                    Some(Role::Edit | Role::View)
                );
            if readable {
                found.boards.push(summary);
                if found.boards.len() == limit {
                    found.next = Some(cursor.to_string());
                    return Ok(found);
                }
            }
        }
        match page.next.as_deref().and_then(BoardCursor::parse) {
            Some(next) => after = Some(next),
            None => return Ok(found),
        }
    }
}
// ANCHOR_END: readable_boards
