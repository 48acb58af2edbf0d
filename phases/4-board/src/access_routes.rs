//! The access routes: claiming boards, share links, joining.
//!
//! | route | who | answer |
//! |---|---|---|
//! | `POST /boards {board}` | signed in | `201 {board, owner}`: the board is yours (`200` if it was already; `409 board_taken` if someone else's) |
//! | `GET /boards/:board/access` | anyone | `{board, mode, role, owner}`: what you may do here (`role` `null`: nothing) |
//! | `POST /boards/:board/links {role}` | the owner | `201 {id, token, role, url}`: a link granting `edit` or `view` |
//! | `GET /boards/:board/links` | the owner | `{links: [...]}` |
//! | `DELETE /boards/:board/links/:id` | the owner | `{revoked, removed}`: the link is gone, and so are the members who joined through it — their open streams and sockets on the board are closed |
//! | `POST /boards/:board/join {token}` | signed in | `{board, role}`: you are a member |
//!
//! Not signed in: `401 no_session`. Not the owner: `403 not_owner`. Every body is JSON,
//! so a page on another site cannot send these without a CORS preflight, which phase 1
//! refuses to origins not on the allow-list; and the session cookie is `SameSite=Lax`, so
//! a cross-site request does not carry it anyway.

use std::sync::Arc;

use http::{HeaderMap, Method, StatusCode};
use phase_1_foundations::{
    json::{json_response, read_json},
    ApiError, Router,
};
use phase_2_sse::{
    board_name::BoardName,
    presence::{BoardPresence, Person},
};
use serde::{Deserialize, Serialize};

use crate::{
    access::{AccessError, AccessMode, AccessModel, Role, ShareLink},
    state::BoardState,
};

/// Largest body of these routes, in bytes.
const MAX_BODY_BYTES: usize = 1024;

/// `401 no_session` unless the request carries a valid session.
fn signed_in(access: &AccessModel, headers: &HeaderMap) -> Result<Person, ApiError> {
    access.sessions().identify(headers).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "no_session",
            "sign in first: POST /session {name, color}",
        )
    })
}

fn api_error(e: AccessError) -> ApiError {
    let message = e.to_string();
    match e {
        AccessError::NotOwner => ApiError::forbidden("not_owner", message),
        AccessError::Unowned => ApiError::new(StatusCode::NOT_FOUND, "unowned_board", message),
        AccessError::Taken => ApiError::new(StatusCode::CONFLICT, "board_taken", message),
        AccessError::BadToken => ApiError::forbidden("bad_link", message),
        AccessError::NoSuchLink(_) => ApiError::new(StatusCode::NOT_FOUND, "no_such_link", message),
        AccessError::Full(_) => ApiError::new(StatusCode::CONFLICT, "limit_reached", message),
        AccessError::Store(e) => ApiError::internal(e),
    }
}

/// A link as the owner sees it.
#[derive(Debug, Serialize)]
struct LinkView {
    id: String,
    token: String,
    role: Role,
    /// Where the web app opens the board and joins with this link.
    url: String,
}

fn link_view(board: &str, link: ShareLink) -> LinkView {
    LinkView {
        url: format!("/phases/4?board={board}&invite={}", link.token),
        id: link.id,
        token: link.token,
        role: link.role,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBoard {
    board: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLink {
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Join {
    token: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessView<'a> {
    board: &'a str,
    mode: &'static str,
    role: Option<Role>,
    owner: bool,
    signed_in: bool,
}

// ANCHOR: access_routes
/// The access routes (see the module's table).
pub fn routes(state: Arc<BoardState>, presence: Arc<dyn BoardPresence>) -> Router {
    let claim = state.access().clone();
    let view = state.access().clone();
    let create = state.access().clone();
    let list = state.access().clone();
    let revoke = state.access().clone();
    let join = state.access().clone();
    Router::new()
        .post("/boards", move |req, _params| {
            let access = claim.clone();
            async move {
                let who = signed_in(&access, req.headers())?;
                let body: NewBoard = read_json(req, MAX_BODY_BYTES).await?;
                let board = BoardName::parse(&body.board)?;
                let status = match access.owner(board.as_str()) {
                    Some(owner) if owner == who.client_id => StatusCode::OK,
                    _ => StatusCode::CREATED,
                };
                access
                    .claim(board.as_str(), &who.client_id)
                    .map_err(api_error)?;
                Ok(json_response(
                    status,
                    &serde_json::json!({ "board": board.as_str(), "owner": who.client_id }),
                ))
            }
        })
        .get("/boards/:board/access", move |req, params| {
            let access = view.clone();
            async move {
                let board = BoardName::parse(params.require("board")?)?;
                let who = access.sessions().identify(req.headers());
                let owner = access.owner(board.as_str());
                Ok(json_response(
                    StatusCode::OK,
                    &AccessView {
                        board: board.as_str(),
                        mode: match access.mode() {
                            AccessMode::Private => "private",
                            AccessMode::Open => "open",
                        },
                        role: access.role(who.as_ref(), board.as_str()),
                        owner: matches!((&who, owner), (Some(w), Some(o)) if w.client_id == o),
                        signed_in: who.is_some(),
                    },
                ))
            }
        })
        .post("/boards/:board/links", move |req, params| {
            let access = create.clone();
            async move {
                let board = BoardName::parse(params.require("board")?)?;
                let who = signed_in(&access, req.headers())?;
                let body: NewLink = read_json(req, MAX_BODY_BYTES).await?;
                let role = Role::parse(&body.role).ok_or_else(|| {
                    ApiError::bad_request(
                        "bad_role",
                        format!("role must be \"edit\" or \"view\", not {:?}", body.role),
                    )
                })?;
                let link = access
                    .create_link(board.as_str(), &who, role)
                    .map_err(api_error)?;
                Ok(json_response(
                    StatusCode::CREATED,
                    &link_view(board.as_str(), link),
                ))
            }
        })
        .get("/boards/:board/links", move |req, params| {
            let access = list.clone();
            async move {
                let board = BoardName::parse(params.require("board")?)?;
                let who = signed_in(&access, req.headers())?;
                let links: Vec<LinkView> = access
                    .links(board.as_str(), &who)
                    .map_err(api_error)?
                    .into_iter()
                    .map(|l| link_view(board.as_str(), l))
                    .collect();
                Ok(json_response(
                    StatusCode::OK,
                    &serde_json::json!({ "links": links }),
                ))
            }
        })
        .route(
            Method::DELETE,
            "/boards/:board/links/:id",
            move |req, params| {
                let access = revoke.clone();
                let presence = presence.clone();
                async move {
                    let board = BoardName::parse(params.require("board")?)?;
                    let id = params.require("id")?.to_owned();
                    let who = signed_in(&access, req.headers())?;
                    let removed = access
                        .revoke_link(board.as_str(), &who, &id)
                        .map_err(api_error)?;
                    // They are out now, not at their next reconnection: close what they have open.
                    for client_id in &removed {
                        presence.close_person(board.as_str(), client_id);
                    }
                    Ok(json_response(
                        StatusCode::OK,
                        &serde_json::json!({ "revoked": id, "removed": removed.len() }),
                    ))
                }
            },
        )
        .post("/boards/:board/join", move |req, params| {
            let access = join.clone();
            async move {
                let board = BoardName::parse(params.require("board")?)?;
                let who = signed_in(&access, req.headers())?;
                let body: Join = read_json(req, MAX_BODY_BYTES).await?;
                let role = access
                    .join(board.as_str(), &who, &body.token)
                    .map_err(api_error)?;
                Ok(json_response(
                    StatusCode::OK,
                    &serde_json::json!({ "board": board.as_str(), "role": role }),
                ))
            }
        })
}
// ANCHOR_END: access_routes
