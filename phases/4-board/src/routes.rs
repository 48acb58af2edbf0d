//! Phase 4's routes: the board over HTTP.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /boards` | every board with its note count and position ([`BoardList`](crate::protocol::BoardList)) |
//! | `GET /boards/:board` | the board's [`BoardSnapshot`](crate::protocol::BoardSnapshot): notes and the position read before them |
//!
//! The note requests travel on phase 3's `/ws`: phase 4's module provides a
//! [`BoardExtensionFactory`](phase_3_websocket::BoardExtensionFactory) building a
//! [`NotesExtension`](crate::NotesExtension) per connection, and phase 3 mounts `/ws`
//! with it ([`crate::app`]).
//!
//! HTTP reads are for pages that do not hold a WebSocket (a board list, a first paint,
//! `curl`); a live client takes its snapshot over the socket, after subscribing.

use std::sync::Arc;

use http::StatusCode;
use phase_1_foundations::{json::json_response, ApiError, Router};
use phase_2_sse::board_name::BoardName;

use crate::state::BoardState;

// ANCHOR: routes
/// `GET /boards` and `GET /boards/:board`.
pub fn routes(board: Arc<BoardState>) -> Router {
    let list = board.clone();
    let one = board;
    Router::new()
        .get("/boards", move |_req, _params| {
            let state = list.clone();
            async move {
                let boards = state.boards().await.map_err(ApiError::internal)?;
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
