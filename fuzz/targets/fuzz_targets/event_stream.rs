//! Fuzz target `event_stream`: see `liveboard_fuzz_checks::event_stream` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveboard_fuzz_checks::event_stream(data));
