//! Making an unchanged poll cheap: an entity tag, `If-None-Match` and `304 Not Modified`.
//!
//! A short-polling client asks the same question every few seconds, and most of the time
//! the answer is "nothing new". HTTP has a word for that. Every answer carries an
//! **entity tag** naming the state it was made from (RFC 9110 §8.8.3) — here the log's
//! epoch and head, `ETag: "k3x9q1-42"` — and the client sends it back in
//! **`If-None-Match`** (§13.1.2). If the tag still matches, the server answers
//! **`304 Not Modified`** (§15.4.5): a status line and a few headers, no body, after
//! reading only the head — not the events, not a byte of JSON.
//!
//! Why `<epoch>-<head>` is a good tag: the answer to `?after=X` is made from the log up
//! to its head, and the log only grows, so while epoch and head are unchanged the answer
//! to the same URL is byte for byte the same. A tag belongs to its URL (§8.8.3: it
//! tells apart representations *of one resource*): a client sends the tag it got for the
//! cursor it polls again — which is exactly what a browser's cache does with `fetch` when
//! the answer says `Cache-Control: no-cache` ("store it, but ask me before reusing it").
//!
//! The tag is **strong** (no `W/`): two answers with the same tag are the same bytes.
//! `If-None-Match` compares weakly (§13.1.2: "A recipient MUST use the weak comparison
//! function"), so a client's `W/"k3x9q1-42"` matches too.

use http::{header, HeaderMap, HeaderValue};

/// The entity tag of a board's log at `head` in `epoch`: `"<epoch>-<head>"`, quotes included.
pub fn log_tag(epoch: &str, head: u64) -> String {
    // RFC 9110 §8.8.3: entity-tag = [ weakness ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE
    format!("\"{epoch}-{head}\"")
}

// ANCHOR: if_none_match
/// Whether the request's `If-None-Match` matches `tag` — then the answer is `304`.
pub fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    // EXERCISE(ch8-if-none-match): does the request's If-None-Match match the current tag
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .any(|candidate| {
            // RFC 9110 §13.1.2: "*" matches any current representation; the log always has one.
            candidate == "*"
            // RFC 9110 §13.1.2: a recipient MUST use the weak comparison function (§8.8.3.2):
            // the opaque tags are equal, whether either is marked weak or not.
                || candidate.strip_prefix("W/").unwrap_or(candidate) == tag
        })
    // EXERCISE_END(ch8-if-none-match)
}
// ANCHOR_END: if_none_match

/// The headers every poll answer carries, a `304` included (RFC 9110 §15.4.5: a 304 MUST
/// carry the `ETag` and `Cache-Control` a 200 would have).
pub fn validator_headers(headers: &mut HeaderMap, tag: &str) {
    if let Ok(value) = HeaderValue::from_str(tag) {
        headers.insert(header::ETAG, value);
    }
    // RFC 9111 §5.2.2.4: no-cache — a cache may store the answer but must revalidate it
    // with the origin before each reuse, which is what makes a browser send If-None-Match.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_same_tag_weak_or_strong_in_a_list_or_a_star_matches() {
        let tag = log_tag("abc", 7);
        assert_eq!(tag, "\"abc-7\"");
        for matching in ["\"abc-7\"", "W/\"abc-7\"", "\"x-1\", \"abc-7\"", "*"] {
            assert!(not_modified(&with(matching), &tag), "{matching}");
        }
        for other in ["\"abc-6\"", "abc-7", "\"abc-7"] {
            assert!(!not_modified(&with(other), &tag), "{other}");
        }
        assert!(!not_modified(&HeaderMap::new(), &tag));
    }
}
