//! # One conformance suite, any transport
//!
//! The cases that say what a Liveboard WebSocket endpoint *is* — every close path
//! ([`closing`]), an independent client's view ([`interop`]), the board protocol
//! ([`protocol`]) — written once, as `pub async fn case(target: &Target)`, and run against
//! any transport by one line: [`conformance_suite!`](crate::conformance_suite).
//! Compiled only with the `conformance` feature (off by default: a server never ships it).
//!
//! ## Why one suite and not one per transport
//!
//! Phase 3 frames WebSocket by hand; phase 6 serves tokio-tungstenite behind the same seam.
//! Two copies of the tests would drift — a case fixed in one copy, an assertion loosened in
//! the other — and then a green run would no longer say "these two behave the same". One
//! suite keeps three things shared:
//!
//! * **the same bytes**: each case sends exactly the same frames (raw, unmasked, split
//!   inside a code point, announcing 2048 bytes then stopping…) to every transport;
//! * **the same expectations**: each assertion is written once, so a transport passes the
//!   suite only by answering as the other does;
//! * **differences written down as data**: where RFC 6455 lets two correct servers answer
//!   differently (a Close's reason text, the answer to a Close without a body, when an
//!   oversized frame is noticed), the case asks the transport's [`Expectations`] and asserts
//!   that answer exactly. Comparing two transports is then reading two constructors
//!   ([`Expectations::hand_rolled`], [`Expectations::tungstenite`]), not diffing two test
//!   folders.
//!
//! ## How a case sees the server
//!
//! A [`Target`] is one transport on one real server on 127.0.0.1:0: its address, the paths
//! of its board and echo endpoints, its name and expectations, and phase 3's
//! [`WsState`](crate::WsState) inside that server (stats, registry, shutdown — shared by
//! every transport the server runs). Cases talk over sockets only: raw bytes through
//! [`RawClient`], or tokio-tungstenite as an independent client. A case that needs its
//! own limits or deadlines asks [`Target::with_config`] for a fresh server.
//!
//! ## Running it
//!
//! The crate that owns a server writes a start function and invokes the macro once per
//! transport, each in its own module (the test names are the case names, so two transports
//! in one file need two modules). Phase 3's `tests/conformance.rs` does it for `/ws`:
//!
//! ```text
//! async fn start(config: WsConfig) -> StartedServer {
//!     let server = common::Server::start(config).await;
//!     StartedServer::new(server.addr(), server.state.clone(), server)
//! }
//!
//! phase_3_websocket::conformance_suite!(
//!     start,
//!     Transport { name: "hand-rolled", board_path: "/ws", echo_path: "/ws/echo",
//!                 expect: Expectations::hand_rolled() }
//! );
//! ```
//!
//! The test crate needs `tokio` (the macro writes `#[tokio::test]`) and enables the feature
//! through a dev-dependency: `phase-3-websocket = { path = "…", features = ["conformance"] }`.
//!
//! ## Adding a third transport
//!
//! 1. Serve it behind phase 3's transport seam on its own paths (e.g. `/ws/fastwebsockets`
//!    and `/ws/fastwebsockets/echo`), on the same `WsState`.
//! 2. Run the suite against it with [`Expectations::hand_rolled`] first: every failure is
//!    either a bug in the new transport (fix it) or one of the RFC's choices.
//! 3. For a choice, add a constructor such as `Expectations::fastwebsockets()` whose doc
//!    says where in the library each value comes from. If the choice is one no field
//!    covers yet, add a field, set it for every transport, and make the case assert each
//!    value exactly — never "either is fine".
//! 4. Invoke [`conformance_suite!`](crate::conformance_suite) in a module named for it.
//!
//! Adding a *case* is the same in reverse: a `pub async fn` in the module it belongs to,
//! and its name in the list inside the macro; every transport then runs it.

pub mod closing;
pub mod expectations;
pub mod interop;
pub mod protocol;
pub mod raw_client;
pub mod target;

pub use expectations::Expectations;
pub use raw_client::{upgrade_headers, HttpResponse, RawClient, RFC_KEY, WAIT};
pub use target::{StartServer, StartedServer, Target, Transport};

use crate::WsConfig;

/// The configuration every case starts with: the defaults, with a short close deadline so
/// failure paths finish fast.
pub fn quick_config() -> WsConfig {
    WsConfig {
        close_timeout_ms: 2_000,
        ..WsConfig::default()
    }
}

/// One `#[tokio::test]` per conformance case, named as the case, run against the transport
/// `$transport` (a [`Transport`]) on servers started by `$start`, an
/// `async fn(WsConfig) -> StartedServer`. See [the module docs](crate::conformance).
#[macro_export]
macro_rules! conformance_suite {
    (@cases ($start:path, $transport:expr) $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let start: $crate::conformance::StartServer =
                    |config| ::std::boxed::Box::pin($start(config));
                let target = $crate::conformance::Target::start(
                    $transport,
                    start,
                    $crate::conformance::quick_config(),
                )
                .await;
                $crate::conformance::$module::$case(&target).await;
            }
        )*
    };
    ($start:path, $transport:expr $(,)?) => {
        $crate::conformance_suite!(@cases ($start, $transport)
            closing::an_unmasked_frame_gets_close_1002_then_tcp_close,
            closing::invalid_utf8_in_a_text_message_gets_close_1007,
            closing::a_code_point_split_across_fragments_is_valid,
            closing::a_frame_over_the_frame_limit_gets_close_1009_from_its_header_alone,
            closing::a_fragmented_message_over_the_message_limit_gets_close_1009,
            closing::a_client_close_is_echoed_with_its_code_then_tcp_closes,
            closing::a_close_with_a_code_that_must_not_be_sent_gets_1002,
            closing::a_one_byte_close_payload_gets_1002,
            closing::a_ping_is_answered_by_a_pong_with_the_same_payload,
            closing::a_ping_between_fragments_is_answered_before_the_message_completes,
            closing::a_peer_that_never_answers_our_close_is_dropped_at_the_close_deadline,
            closing::shutdown_closes_every_connection_with_1001,
            interop::text_and_binary_messages_are_echoed_with_their_type,
            interop::a_one_mebibyte_message_is_echoed_intact,
            interop::a_message_fragmented_by_tungstenite_comes_back_whole,
            interop::a_ping_from_tungstenite_gets_a_pong_with_the_same_payload,
            interop::tungstenites_close_is_echoed_and_it_sees_the_clean_end,
            interop::tungstenite_observes_1009_when_a_message_is_too_big,
            interop::tungstenite_observes_1001_on_shutdown,
            interop::the_board_endpoint_negotiates_liveboard_v1_with_tungstenite,
            protocol::the_first_message_is_a_welcome_with_the_connection_id_and_limits,
            protocol::a_message_published_by_one_client_reaches_another_and_the_ack_carries_the_request_id,
            protocol::a_subscriber_resuming_from_a_position_gets_exactly_what_it_missed,
            protocol::bad_messages_get_error_events_and_the_connection_keeps_working,
            protocol::subscribing_twice_is_an_error_and_unsubscribing_stops_the_events,
            protocol::presence_is_shared_by_everyone_on_the_board,
            protocol::a_refused_limit_tells_the_person_the_numbers_and_the_developer_the_setting,
        );
    };
}
