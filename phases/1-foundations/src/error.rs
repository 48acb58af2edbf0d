//! One error shape for every failure.
//!
//! A browser, `curl` and a student's test all get the same thing when something goes
//! wrong: a status code that means what RFC 9110 says it means, and a JSON body
//!
//! ```json
//! { "error": { "code": "payload_too_large", "message": "request body exceeds the limit of 65536 bytes" } }
//! ```
//!
//! `code` is stable and machine-readable (clients switch on it); `message` is for humans
//! and says what to do about it. Handlers return `Result<_, ApiError>` and use `?`; the
//! [`crate::app::App`] turns the error into a response in exactly one place.

use std::fmt;

use http::{header, HeaderValue, Response, StatusCode};
use serde::Serialize;

use crate::body::{self, Body};

// ANCHOR: api_error
/// An HTTP error that becomes a JSON response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable, snake_case code clients can switch on, e.g. `not_found`.
    pub code: &'static str,
    /// A sentence a person can act on.
    pub message: String,
    /// For developers and operators, when the message leaves something out for the person
    /// reading it: the setting or limit behind the refusal (`error.detail` in the JSON).
    pub detail: Option<String>,
    /// Extra headers the status requires (`Allow` on 405, `Sec-WebSocket-Version` on 426).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}
// ANCHOR_END: api_error

#[derive(Serialize)]
struct Envelope<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

impl ApiError {
    /// An error with any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            detail: None,
            headers: Vec::new(),
        }
    }

    /// Adds what a developer or operator needs beside the person's message (the setting
    /// behind a limit, say), as `error.detail`.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds a header to the error response (e.g. `Allow`).
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// `400 Bad Request`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// `404 Not Found` for a path no route matches.
    pub fn not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route for path {path}"),
        )
    }

    /// `403 Forbidden`.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    // ANCHOR: method_not_allowed
    /// `405 Method Not Allowed`, with the `Allow` header RFC 9110 §15.5.6 requires.
    pub fn method_not_allowed(method: &http::Method, path: &str, allowed: &[http::Method]) -> Self {
        let list = allowed
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let err = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed on {path}; allowed: {list}"),
        );
        match HeaderValue::from_str(&list) {
            Ok(v) => err.with_header(header::ALLOW, v),
            Err(_) => err,
        }
    }
    // ANCHOR_END: method_not_allowed

    /// `500 Internal Server Error`. The detail is logged, not sent: internals are not the
    /// client's business and may leak secrets.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to handle this request; see the server log",
        )
    }

    // ANCHOR: into_response
    /// The JSON response for this error.
    pub fn into_response(self) -> Response<Body> {
        // EXERCISE(ch1-error-json): turn an ApiError into its JSON response
        let json = serde_json::to_vec(&Envelope {
            error: Inner {
                code: self.code,
                message: &self.message,
                detail: self.detail.as_deref(),
            },
        })
        .unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"error encoding failed"}}"#.to_vec()
        });
        let mut res = Response::new(body::full(json));
        *res.status_mut() = self.status;
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        res
        // EXERCISE_END(ch1-error-json)
    }
    // ANCHOR_END: into_response
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn an_error_becomes_a_json_body_with_code_and_message() {
        let res = ApiError::not_found("/nope").into_response();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["error"]["code"], "not_found");
        assert_eq!(v["error"]["message"], "no route for path /nope");
    }

    #[test]
    fn method_not_allowed_lists_the_allowed_methods() {
        let res = ApiError::method_not_allowed(
            &http::Method::DELETE,
            "/health",
            &[http::Method::GET, http::Method::HEAD],
        )
        .into_response();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers()[header::ALLOW], "GET, HEAD");
    }
}
