//! Signed sessions: people are who the server says they are.
//!
//! Before this module a person was whatever a browser put in `subscribe`'s `person` or a
//! note's `author`: anyone could appear as "Ana" and write as her. Now a person signs in
//! once — `POST /session {name, color}` — and the server answers with a cookie it
//! signed ([`phase_1_foundations::signed`]):
//!
//! ```text
//! Set-Cookie: lb_session=<hex of {"clientId","name","color","issuedAt"}>.<HMAC-SHA256>;
//!             HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000
//! ```
//!
//! The browser sends it back with every request to us — the WebSocket handshake and the
//! event stream included — and [`Sessions::identify`] turns it back into a
//! [`Person`] only if the signature holds and it is less than 30 days old. That person,
//! not a name in a request, then appears in presence and authors note changes
//! ([`crate::extension`]: a note's `author` is replaced by the session's name).
//!
//! | route | answer |
//! |---|---|
//! | `POST /session {name, color}` | `200 {clientId, name, color}` and the cookie; signing in again (a rename) keeps the `clientId` |
//! | `GET /session` | `200 {clientId, name, color}` (and the cookie re-signed if a previous key signed it), or `401 no_session` |
//! | `DELETE /session` | `204`, and the cookie removed |
//!
//! The cookie holds no secret and nothing is kept on the server: any server with the key
//! can check it (phase 7's several servers share the key file). The price is that a
//! stolen cookie works until it expires, and signing one person out everywhere means
//! changing the key for everyone: the trade-off of stateless sessions.
//!
//! **Rotating the key** without signing everyone out: start with a new key
//! (`--session-secret-file`) and the old one among the *previous* keys
//! (`--session-secret-previous-files`). A cookie signed by a previous key still proves its
//! person, and `GET /session` — which the page asks on every load — answers it with the
//! same claims signed by the new key (same expiry: rotation does not lengthen a session).
//! After 30 days no cookie of the old key can be valid, and it can be dropped. To sign
//! everyone out (a key leaked), replace the key and list no previous one.

use std::time::{SystemTime, UNIX_EPOCH};

use http::{header, HeaderMap, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use phase_1_foundations::{
    body::{self, Body},
    json::{self, json_response},
    signed::{self, CookieOptions, SigningKey},
    ApiError, Router,
};
use phase_2_sse::presence::Person;
use serde::{Deserialize, Serialize};

/// The session cookie's name.
pub const COOKIE: &str = "lb_session";
/// How long a session lasts, in seconds: 30 days.
pub const SESSION_SECS: u64 = 30 * 24 * 60 * 60;
/// Largest `POST /session` body, in bytes.
const MAX_BODY_BYTES: usize = 1024;

/// What the signed cookie carries.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Claims {
    client_id: String,
    name: String,
    color: String,
    /// Seconds since the Unix epoch.
    issued_at: u64,
}

/// Issues session cookies with one key and checks them with it or a previous one.
#[derive(Debug, Clone)]
pub struct Sessions {
    key: SigningKey,
    /// Keys that still verify and never sign (a rotation in progress).
    previous: Vec<SigningKey>,
    secure: bool,
}

/// A session cookie that checked out.
struct Verified {
    person: Person,
    claims: Claims,
    /// Signed by a previous key: worth re-signing with the current one.
    by_previous_key: bool,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Sessions {
    /// Sessions signed with `key`; `secure` adds `Secure` to the cookie.
    pub fn new(key: SigningKey, secure: bool) -> Self {
        Self {
            key,
            previous: Vec::new(),
            secure,
        }
    }

    /// Also accepts cookies signed by `previous` keys (see the module docs on rotation).
    pub fn with_previous_keys(mut self, previous: Vec<SigningKey>) -> Self {
        self.previous = previous;
        self
    }

    // ANCHOR: issue
    /// The cookie value for `person`, issued now.
    pub fn issue(&self, person: &Person) -> String {
        self.sign(&Claims {
            client_id: person.client_id.clone(),
            name: person.name.clone(),
            color: person.color.clone(),
            issued_at: now_secs(),
        })
    }
    // ANCHOR_END: issue

    fn sign(&self, claims: &Claims) -> String {
        let json = serde_json::to_vec(claims).unwrap_or_default();
        // Hex keeps the payload inside the characters a cookie value may hold
        // (RFC 6265 §4.1.1: no spaces, quotes, commas, semicolons or backslashes).
        self.key.sign(&signed::hex(&json))
    }

    // ANCHOR: identify
    /// The person a request's session cookie proves, or `None`: no cookie, a bad
    /// signature, an expired session, or claims that are not a valid person.
    pub fn identify(&self, headers: &HeaderMap) -> Option<Person> {
        self.verify(headers).map(|v| v.person)
    }

    /// The cookie's claims if the current key or a previous one signed them, and which.
    fn verify(&self, headers: &HeaderMap) -> Option<Verified> {
        let token = signed::read_cookie(headers, COOKIE)?;
        let (payload, by_previous_key) = match self.key.verify(token) {
            Some(payload) => (payload, false),
            None => (self.previous.iter().find_map(|k| k.verify(token))?, true),
        };
        let claims: Claims = serde_json::from_slice(&signed::unhex(payload)?).ok()?;
        // The browser drops the cookie after Max-Age; a copied cookie must expire too.
        if now_secs().saturating_sub(claims.issued_at) > SESSION_SECS {
            return None;
        }
        let person = Person::parse(&claims.client_id, &claims.name, &claims.color).ok()?;
        Some(Verified {
            person,
            claims,
            by_previous_key,
        })
    }
    // ANCHOR_END: identify

    // ANCHOR: renewal
    /// For a session signed by a previous key: the `Set-Cookie` value carrying the same
    /// claims signed by the current key, with the time the session has left.
    fn renewal(&self, verified: &Verified) -> Option<http::HeaderValue> {
        if !verified.by_previous_key {
            return None;
        }
        let age = now_secs().saturating_sub(verified.claims.issued_at);
        signed::set_cookie(
            COOKIE,
            &self.sign(&verified.claims),
            self.cookie_options(age),
        )
    }
    // ANCHOR_END: renewal

    /// The cookie's attributes for a session `age_secs` old: it lives what it has left.
    fn cookie_options(&self, age_secs: u64) -> CookieOptions {
        CookieOptions {
            max_age_secs: SESSION_SECS.saturating_sub(age_secs),
            secure: self.secure,
        }
    }
}

/// The body of `POST /session`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    name: String,
    color: String,
}

/// A fresh, unguessable client id: `u-` and 16 random bytes in hex.
fn new_client_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(format!("u-{}", signed::hex(&bytes)))
}

// ANCHOR: session_routes
/// `POST`, `GET` and `DELETE /session`.
pub fn routes(sessions: Sessions) -> Router {
    let post = sessions.clone();
    let get = sessions;
    Router::new()
        .post("/session", move |req, _params| {
            let sessions = post.clone();
            async move { sign_in(&sessions, req).await }
        })
        .get("/session", move |req, _params| {
            let sessions = get.clone();
            async move {
                match sessions.verify(req.headers()) {
                    Some(verified) => {
                        let mut res = json_response(StatusCode::OK, &verified.person);
                        // Signed by a key being retired: the same session, re-signed.
                        if let Some(cookie) = sessions.renewal(&verified) {
                            res.headers_mut().insert(header::SET_COOKIE, cookie);
                        }
                        Ok(res)
                    }
                    None => Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "no_session",
                        "not signed in: POST /session {name, color} first",
                    )),
                }
            }
        })
        .route(Method::DELETE, "/session", |_req, _params| async {
            let mut res = Response::new(body::empty());
            *res.status_mut() = StatusCode::NO_CONTENT;
            if let Some(v) = signed::clear_cookie(COOKIE) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(res)
        })
}
// ANCHOR_END: session_routes

async fn sign_in(sessions: &Sessions, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    // Signed in already: a rename keeps the id, so presence and ownership follow.
    let known = sessions.identify(req.headers()).map(|p| p.client_id);
    let body: SignIn = json::read_json(req, MAX_BODY_BYTES).await?;
    let client_id = match known {
        Some(id) => id,
        None => new_client_id()?,
    };
    let person = Person::parse(&client_id, &body.name, &body.color)?;
    let mut res = json_response(StatusCode::OK, &person);
    let cookie = signed::set_cookie(COOKIE, &sessions.issue(&person), sessions.cookie_options(0))
        .ok_or_else(|| ApiError::internal("the session cookie is not a valid header"))?;
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn sessions() -> Sessions {
        Sessions::new(SigningKey::from_bytes(&[3u8; 32]).unwrap(), false)
    }

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}={value}")).unwrap(),
        );
        h
    }

    #[test]
    fn an_issued_session_identifies_its_person_and_a_forged_one_nobody() {
        let ana = Person::parse("u-1", "Ana", "#112233").unwrap();
        let token = sessions().issue(&ana);
        assert_eq!(sessions().identify(&with_cookie(&token)), Some(ana));
        // Rewrite the claims to say "Bo", keeping Ana's signature.
        let forged_claims = serde_json::to_vec(&Claims {
            client_id: "u-1".into(),
            name: "Bo".into(),
            color: "#112233".into(),
            issued_at: now_secs(),
        })
        .unwrap();
        let (_, mac) = token.rsplit_once('.').unwrap();
        let forged = format!("{}.{mac}", signed::hex(&forged_claims));
        assert_eq!(sessions().identify(&with_cookie(&forged)), None);
        assert_eq!(sessions().identify(&HeaderMap::new()), None);
    }

    fn key(byte: u8) -> SigningKey {
        SigningKey::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn a_previous_key_still_identifies_and_get_session_re_signs_with_the_current_one() {
        let ana = Person::parse("u-1", "Ana", "#112233").unwrap();
        let old = Sessions::new(key(1), false);
        let issued_at = now_secs() - 3_600;
        let claims = Claims {
            client_id: "u-1".into(),
            name: "Ana".into(),
            color: "#112233".into(),
            issued_at,
        };
        let token = old.sign(&claims);
        let rotated = Sessions::new(key(2), false).with_previous_keys(vec![key(1)]);
        let verified = rotated.verify(&with_cookie(&token)).expect("still valid");
        assert_eq!(verified.person, ana);
        let cookie = rotated.renewal(&verified).expect("re-signed");
        let cookie = cookie.to_str().unwrap();
        let value = cookie
            .strip_prefix(&format!("{COOKIE}="))
            .and_then(|rest| rest.split(';').next())
            .unwrap();
        // The new cookie verifies with the new key alone, with the same claims: the
        // session is not lengthened, and its Max-Age is what it had left.
        let current_only = Sessions::new(key(2), false);
        let again = current_only.verify(&with_cookie(value)).expect("new key");
        assert_eq!((&again.person, again.claims.issued_at), (&ana, issued_at));
        assert!(!again.by_previous_key);
        assert!(
            cookie.contains(&format!("Max-Age={}", SESSION_SECS - 3_600)),
            "{cookie}"
        );
        assert!(current_only.renewal(&again).is_none(), "nothing to renew");
        // Without the old key among the previous ones, its cookies are nobody's.
        assert!(Sessions::new(key(2), false)
            .identify(&with_cookie(&token))
            .is_none());
    }

    #[test]
    fn a_session_older_than_30_days_is_refused() {
        let s = sessions();
        let claims = Claims {
            client_id: "u-1".into(),
            name: "Ana".into(),
            color: "#112233".into(),
            issued_at: now_secs() - SESSION_SECS - 1,
        };
        let old = s
            .key
            .sign(&signed::hex(&serde_json::to_vec(&claims).unwrap()));
        assert_eq!(s.identify(&with_cookie(&old)), None);
    }
}
