//! Reading the query string (`?lastEventId=…&clientId=…&name=…`).
//!
//! `EventSource` cannot set request headers, so everything a stream needs to know about
//! its client — who it is, where it left off — travels in the URL. Browsers build these
//! URLs with `URLSearchParams`, i.e. `application/x-www-form-urlencoded` (WHATWG URL
//! §5): `+` is a space and `%XX` is a byte, and the result must be UTF-8.

use phase_1_foundations::{router::percent_decode, ApiError};

/// Decoded query parameters, in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses the query part of a URI (`None`: no `?`). A bad escape is a `400`.
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut pairs = Vec::new();
        for part in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let decode = |s: &str| {
                percent_decode(&s.replace('+', " "))
                    .map_err(|why| ApiError::bad_request("bad_query", why))
            };
            pairs.push((decode(k)?, decode(v)?));
        }
        Ok(Self(pairs))
    }

    /// The first value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_a_space_and_escapes_are_decoded() {
        let q = Query::parse(Some("name=Ana+Mar%C3%ADa&color=%23ff0000&flag")).unwrap();
        assert_eq!(q.get("name"), Some("Ana María"));
        assert_eq!(q.get("color"), Some("#ff0000"));
        assert_eq!(q.get("flag"), Some(""));
        assert_eq!(q.get("nope"), None);
    }

    #[test]
    fn a_broken_escape_is_400_bad_query() {
        assert_eq!(Query::parse(Some("a=%zz")).unwrap_err().code, "bad_query");
        assert_eq!(Query::parse(Some("a=%ff")).unwrap_err().code, "bad_query");
    }
}
