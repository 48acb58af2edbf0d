//! Phase 4's routes: the board over HTTP, and `/ws` with the note operations.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /boards` | every board with its note count and position ([`BoardList`](crate::protocol::BoardList)) |
//! | `GET /boards/:board` | the board's [`BoardSnapshot`](crate::protocol::BoardSnapshot): notes and the position read before them |
//! | `GET /ws` | phase 3's board protocol plus the note requests ([`NotesExtension`]) |
//! | `GET /ws/echo`, `GET /ws/stats` | phase 3's, unchanged |
//!
//! [`routes`] *replaces* phase 3's `routes`: mount one or the other, not both.
//!
//! HTTP reads are for pages that do not hold a WebSocket (a board list, a first paint,
//! `curl`); a live client takes its snapshot over the socket, after subscribing.

use std::sync::Arc;

use http::StatusCode;
use phase_1_foundations::{json::json_response, ApiError, Router};
use phase_2_sse::board_name::BoardName;
use phase_3_websocket::{server::routes::routes_with_extension, WsState};

use crate::{extension::NotesExtension, state::BoardState};

// ANCHOR: routes
/// `GET /boards`, `GET /boards/:board`, and phase 3's `/ws*` routes with notes on `/ws`.
pub fn routes(board: Arc<BoardState>, ws: Arc<WsState>) -> Router {
    let list = board.clone();
    let one = board.clone();
    let registry = ws.registry().clone();
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
        .merge(routes_with_extension(ws, move || {
            NotesExtension::new(board.clone(), registry.clone())
        }))
}
// ANCHOR_END: routes
