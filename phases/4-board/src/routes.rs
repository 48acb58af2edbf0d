//! Phase 4's routes: the board over HTTP.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /boards?limit=&after=` | a page of boards, most recently changed first, with note counts and positions ([`BoardList`](crate::protocol::BoardList)) |
//! | `GET /boards/:board` | the board's [`BoardSnapshot`](crate::protocol::BoardSnapshot): notes and the position read before them |
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
use phase_2_sse::{board_name::BoardName, query::Query};

use crate::{state::BoardState, store::BoardCursor};

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
/// `GET /boards` and `GET /boards/:board`.
pub fn routes(board: Arc<BoardState>) -> Router {
    let list = board.clone();
    let one = board;
    Router::new()
        .get("/boards", move |req, _params| {
            let state = list.clone();
            let page = board_page(req.uri().query());
            async move {
                let (after, limit) = page?;
                let boards = state
                    .boards(after, limit)
                    .await
                    .map_err(ApiError::internal)?;
                Ok(json_response(StatusCode::OK, &boards))
            }
        })
        .get("/boards/:board", move |_req, params| {
            let state = one.clone();
            async move {
                let name = BoardName::parse(params.require("board")?)?;
                let snapshot = state
                    .snapshot(name.as_str())
                    .await
                    .map_err(ApiError::internal)?;
                Ok(json_response(StatusCode::OK, &snapshot))
            }
        })
}
// ANCHOR_END: routes
