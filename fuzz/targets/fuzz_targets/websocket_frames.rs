//! Fuzz target `websocket_frames`: see `liveboard_fuzz_checks::websocket_frames` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveboard_fuzz_checks::websocket_frames(data));
