//! The backoff contract's vectors (`contract/backoff-vectors.json`), checked against the Rust
//! implementation. `web/lib/backoff.test.ts` checks the same file against the TypeScript
//! one, so the server's advice and the browser's behaviour cannot drift apart.

use std::collections::HashMap;

use phase_5_hardening::backoff::{BackoffPolicy, ReconnectState};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vectors {
    policies: HashMap<String, BackoffPolicy>,
    delays: Vec<DelayCase>,
    hints: Vec<DelayCase>,
    resets: Resets,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DelayCase {
    policy: String,
    attempt: u32,
    draw: f64,
    #[serde(default)]
    hint_ms: Option<u64>,
    expected_ms: u64,
}

#[derive(Deserialize)]
struct Resets {
    policy: String,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    event: String,
    at_ms: u64,
    #[serde(default)]
    expected_attempt: Option<u32>,
}

fn vectors() -> Vectors {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/contract/backoff-vectors.json");
    let text = std::fs::read_to_string(path).expect("the vectors file exists");
    serde_json::from_str(&text).expect("the vectors file parses")
}

#[test]
fn every_delay_vector_matches_the_rust_implementation() {
    let v = vectors();
    assert!(v.delays.len() >= 100, "the vectors cover enough cases");
    for case in v.delays.iter().chain(&v.hints) {
        let policy = &v.policies[&case.policy];
        let got = policy.next_delay_ms(case.attempt, case.draw, case.hint_ms);
        assert_eq!(
            got, case.expected_ms,
            "policy {} attempt {} draw {} hint {:?}",
            case.policy, case.attempt, case.draw, case.hint_ms
        );
    }
}

#[test]
fn the_reset_sequence_matches_the_rust_implementation() {
    let v = vectors();
    let policy = &v.policies[&v.resets.policy];
    let mut state = ReconnectState::default();
    for step in &v.resets.steps {
        match step.event.as_str() {
            "opened" => state.opened(step.at_ms),
            "closed" => assert_eq!(
                Some(state.closed(step.at_ms, policy)),
                step.expected_attempt,
                "closed at {} ms",
                step.at_ms
            ),
            other => panic!("unknown event {other} in the vectors"),
        }
    }
}

#[test]
fn the_default_policy_is_the_one_in_the_vectors() {
    assert_eq!(vectors().policies["default"], BackoffPolicy::default());
}
