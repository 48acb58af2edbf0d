//! Fuzz target `board_envelope`: see `liveboard_fuzz_checks::board_envelope` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveboard_fuzz_checks::board_envelope(data));
