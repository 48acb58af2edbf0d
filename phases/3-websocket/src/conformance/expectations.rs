//! Where two correct transports may answer differently, written down as data.
//!
//! RFC 6455 leaves a few choices to the implementation: the reason text of a Close, what to
//! answer a Close that had no body, when exactly an oversized frame is noticed. A case that
//! meets one of these choices reads the answer from the target's [`Expectations`] and
//! asserts *that* — exactly, never "either is fine". Everything not in this table is
//! asserted the same for every transport.

// ANCHOR: expectations
/// What the suite expects of a transport where the RFC leaves a choice. Each field is
/// asserted exactly by the cases that meet it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expectations {
    /// The reason of the 1002 that answers a Close carrying a code that must not be sent
    /// (1005, 1006, 999, …). Every other Close a transport sends for a violation carries
    /// the reason from phase 3's close-code table ([`CloseCode::reason`](crate::CloseCode::reason)),
    /// asserted for every transport; this one may come from a library that answers such a
    /// Close itself.
    pub forbidden_close_code_reason: &'static str,
    /// A frame whose header announces more than `max_frame_bytes` gets 1009 before any of
    /// its payload arrives (RFC 6455 §10.4: check a length before buffering for it). When
    /// false the case sends the whole frame, then expects the 1009.
    pub closes_frame_over_limit_from_header: bool,
    /// The code of the Close that answers a Close without a body: `Some(code)`, or `None`
    /// for a Close that has no body either. RFC 6455 §5.5.1 says only that the answer
    /// "typically echos the status code it received" — with none received, both are right.
    pub answers_an_empty_close_with: Option<u16>,
}

impl Expectations {
    /// Phase 3's hand-rolled transport: the close-code table's reasons on every Close it
    /// sends, oversized frames refused from the header, an empty Close answered with 1000.
    pub const fn hand_rolled() -> Self {
        Expectations {
            forbidden_close_code_reason: "protocol error",
            closes_frame_over_limit_from_header: true,
            answers_an_empty_close_with: Some(1000),
        }
    }

    /// tokio-tungstenite 0.29 behind the transport seam (phase 6 runs the suite against
    /// it: `phases/6-third-party/tests/conformance.rs`):
    /// * tungstenite answers a Close by itself, echoing the peer's frame — an empty Close
    ///   gets an empty Close, and a code that must not be sent (1005, 999, …) gets 1002 with
    ///   *its* reason, `"Protocol violation"`, not the table's;
    /// * `FrameCodec::read_frame` checks `max_frame_size` right after parsing the header
    ///   ("Enforce frame size limit early"), so a transport that maps `max_frame_bytes` to it
    ///   refuses an oversized frame from the header alone, as phase 3 does.
    pub const fn tungstenite() -> Self {
        Expectations {
            forbidden_close_code_reason: "Protocol violation",
            closes_frame_over_limit_from_header: true,
            answers_an_empty_close_with: None,
        }
    }
}
// ANCHOR_END: expectations
