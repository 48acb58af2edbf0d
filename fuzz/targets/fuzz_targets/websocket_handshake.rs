//! Fuzz target `websocket_handshake`: see `liveboard_fuzz_checks::websocket_handshake` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveboard_fuzz_checks::websocket_handshake(data));
