//! The board protocol: phase 3's request envelope and phase 4's note requests and rules.

use phase_3_websocket::board::protocol::RequestEnvelope;
use phase_4_board::{
    protocol::NoteRequest,
    rules::{validate, NoteOp, RuleLimits},
};
use serde_json::Value;

const LIMITS: RuleLimits = RuleLimits {
    max_text_chars: 64,
    max_notes: 100,
    max_boards: 100,
};

/// Reads `data` as one client message's envelope (WebSocket text is UTF-8, so other bytes
/// never get here). An accepted envelope is a JSON object with a string `type`; a refusal
/// names the request's id only if the message was an object with that string id.
pub fn board_envelope(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match RequestEnvelope::parse(text) {
        Ok(envelope) => {
            let value: Value = serde_json::from_str(text).expect("an accepted envelope is JSON");
            let object = value
                .as_object()
                .expect("an accepted envelope is an object");
            assert!(object.values().count() <= 3, "{text}");
            assert!(object.contains_key("type"));
            if let Some(id) = &envelope.id {
                assert_eq!(object.get("id").and_then(Value::as_str), Some(id.as_str()));
            }
        }
        Err(rejected) => {
            if let Some(id) = rejected.id {
                let value: Value = serde_json::from_str(text).expect("an id was read from JSON");
                assert!(value.get("id").and_then(Value::as_str) == Some(id.as_str()));
            }
        }
    }
}

/// Reads `data` as a note request (envelope, then payload) and validates a change with
/// phase 4's rules. A change the rules accept keeps every limit they state — text within
/// the character limit, a `#rrggbb` color, a column of 1 to 32 characters, a finite order —
/// and survives a round trip through its JSON unchanged.
pub fn note_request(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(envelope) = RequestEnvelope::parse(text) else {
        return;
    };
    let Ok(request) = envelope.request::<NoteRequest>() else {
        return;
    };
    let op = match request.clone() {
        NoteRequest::NoteCreate(r) => NoteOp::NoteCreate(r),
        NoteRequest::NoteUpdate(r) => NoteOp::NoteUpdate(r),
        NoteRequest::NoteMove(r) => NoteOp::NoteMove(r),
        NoteRequest::NoteDelete(r) => NoteOp::NoteDelete(r),
        NoteRequest::BoardSnapshot(_) | NoteRequest::NoteEditing(_) => return,
    };
    if validate(&op, &LIMITS).is_err() {
        return;
    }
    let (text, color, place) = match &op {
        NoteOp::NoteCreate(c) => (Some(&c.text), Some(&c.color), Some((&c.column, c.order))),
        NoteOp::NoteUpdate(u) => (u.text.as_ref(), u.color.as_ref(), None),
        NoteOp::NoteMove(m) => (None, None, Some((&m.column, m.order))),
        NoteOp::NoteDelete(_) => (None, None, None),
    };
    if let Some(text) = text {
        assert!(text.chars().count() <= LIMITS.max_text_chars);
    }
    if let Some(color) = color {
        assert!(
            color.len() == 7
                && color.starts_with('#')
                && color[1..].bytes().all(|b| b.is_ascii_hexdigit()),
            "accepted the color {color:?}"
        );
    }
    if let Some((column, order)) = place {
        let chars = column.chars().count();
        assert!((1..=32).contains(&chars), "accepted the column {column:?}");
        assert!(order.is_finite());
    }
    let json = serde_json::to_string(&request).expect("a request serializes");
    let again = RequestEnvelope::parse(&json)
        .ok()
        .and_then(|e| e.request::<NoteRequest>().ok());
    assert_eq!(again.as_ref(), Some(&request), "{json}");
}
