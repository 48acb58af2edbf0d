//! Reading and writing JSON safely.
//!
//! Reading a request body is the first place a server trusts a peer, so [`read_json`]
//! checks three things before `serde_json` sees a byte, each with its own status:
//!
//! 1. **Content type** — the body must be declared `application/json` (or a `+json` type).
//!    Otherwise `415 Unsupported Media Type` (RFC 9110 §15.5.16). Besides being honest,
//!    this is a CSRF defence: a cross-site HTML form can only send form or text types
//!    without a CORS preflight.
//! 2. **Size** — at most `max_bytes`. A `Content-Length` over the limit is refused before
//!    reading; a chunked body is counted while it streams in ([`body::read_to_limit`]),
//!    so a client cannot make us buffer more than the limit. `413 Content Too Large`.
//! 3. **Time** — the whole body must arrive by the request's [`BodyDeadline`]
//!    (`--body-timeout-ms` after the headers), or `408 Request Timeout` and the connection
//!    closes: a client trickling one byte a second must not hold a task and a buffer forever.
//! 4. **Syntax and shape** — `400 Bad Request` with serde's line and column, so a student
//!    who forgot a comma sees where.

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use serde::{de::DeserializeOwned, Serialize};
use tokio::time::Instant;

use crate::{
    body::{self, Body, BodyDeadline, ReadBodyError},
    config::DEFAULT_BODY_TIMEOUT_MS,
    error::ApiError,
};

// ANCHOR: read_json
/// Reads the request body as JSON of type `T`, enforcing content type, size and deadline.
pub async fn read_json<T, B>(req: Request<B>, max_bytes: usize) -> Result<T, ApiError>
where
    T: DeserializeOwned,
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // EXERCISE(ch1-read-json): read a JSON body: 415, 413, then 400 with line and column
    check_content_type(req.headers().get(header::CONTENT_TYPE))?;
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > max_bytes as u64 {
            return Err(too_large(max_bytes));
        }
    }
    // A request that did not come through our server (a unit test) gets the default.
    let deadline = match req.extensions().get::<BodyDeadline>() {
        Some(BodyDeadline(at)) => *at,
        None => Instant::now() + Duration::from_millis(DEFAULT_BODY_TIMEOUT_MS),
    };
    let started = Instant::now();
    let bytes = match body::read_to_limit(req.into_body(), max_bytes, deadline).await {
        Ok(bytes) => bytes,
        Err(ReadBodyError::TooLarge(limit)) => return Err(too_large(limit)),
        Err(ReadBodyError::TimedOut) => return Err(body_timed_out(started, deadline)),
        Err(ReadBodyError::Failed(e)) => {
            return Err(ApiError::bad_request(
                "body_read_failed",
                format!("could not read the request body: {e}"),
            ))
        }
    };
    parse_json(&bytes)
    // EXERCISE_END(ch1-read-json)
}
// ANCHOR_END: read_json

// ANCHOR: parse_json
/// Parses bytes as JSON, turning serde's error into a `400` that names the line and column.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let (code, what) = match e.classify() {
            serde_json::error::Category::Data => {
                ("invalid_body", "JSON does not match the expected shape")
            }
            serde_json::error::Category::Eof => ("malformed_json", "JSON ended early"),
            _ => ("malformed_json", "malformed JSON"),
        };
        ApiError::bad_request(
            code,
            format!("{what} at line {}, column {}: {e}", e.line(), e.column()),
        )
    })
}
// ANCHOR_END: parse_json

// ANCHOR: check_content_type
fn check_content_type(value: Option<&HeaderValue>) -> Result<(), ApiError> {
    let unsupported = |got: &str| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("expected Content-Type: application/json, got {got}"),
        )
    };
    let Some(value) = value else {
        return Err(unsupported("no Content-Type header"));
    };
    let text = value
        .to_str()
        .map_err(|_| unsupported("a non-ASCII value"))?;
    // Media types are case-insensitive; parameters such as `; charset=utf-8` are allowed.
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(unsupported(text))
    }
}
// ANCHOR_END: check_content_type

fn too_large(max_bytes: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("request body exceeds the limit of {max_bytes} bytes"),
    )
}

/// `408 Request Timeout`, closing the connection: the rest of the body may still be on its
/// way, and the next bytes on this connection would not be the start of a request.
fn body_timed_out(started: Instant, deadline: Instant) -> ApiError {
    // RFC 9110 §15.5.9: a 408 means the server "would like to shut down this unused
    // connection"; `Connection: close` says so.
    let waited = deadline.saturating_duration_since(started).as_millis();
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        format!(
            "the request body did not arrive in full within the body deadline \
             (waited {waited} ms); send the whole body at once"
        ),
    )
    .with_header(header::CONNECTION, HeaderValue::from_static("close"))
}

/// A JSON response with this status.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut res = Response::new(body::full(bytes));
            *res.status_mut() = status;
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res
        }
        Err(e) => ApiError::internal(format!("serializing response: {e}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Note {
        text: String,
    }

    fn req(ct: Option<&str>, body: &str) -> Request<Full<Bytes>> {
        let mut b = Request::builder().method("POST").uri("/");
        if let Some(ct) = ct {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        b.body(Full::new(Bytes::from(body.to_owned()))).unwrap()
    }

    #[tokio::test]
    async fn valid_json_with_a_charset_parameter_is_accepted() {
        let note: Note = read_json(
            req(Some("application/json; charset=utf-8"), r#"{"text":"hi"}"#),
            100,
        )
        .await
        .unwrap();
        assert_eq!(note.text, "hi");
    }

    #[tokio::test]
    async fn a_missing_or_wrong_content_type_is_415() {
        for ct in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let err = read_json::<Note, _>(req(ct, r#"{"text":"hi"}"#), 100)
                .await
                .unwrap_err();
            assert_eq!(err.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
        }
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_413_even_without_content_length() {
        let err = read_json::<Note, _>(req(Some("application/json"), &"x".repeat(101)), 100)
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn malformed_json_is_400_naming_line_and_column() {
        let err = read_json::<Note, _>(req(Some("application/json"), "{\n  \"text\": }"), 100)
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.code, "malformed_json");
        assert!(err.message.contains("line 2, column 11"), "{}", err.message);
    }

    #[tokio::test]
    async fn well_formed_json_of_the_wrong_shape_is_400_invalid_body() {
        let err = read_json::<Note, _>(req(Some("application/json"), r#"{"text": 5}"#), 100)
            .await
            .unwrap_err();
        assert_eq!(err.code, "invalid_body");
    }
}
