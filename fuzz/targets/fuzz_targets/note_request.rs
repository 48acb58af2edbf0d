//! Fuzz target `note_request`: see `liveboard_fuzz_checks::note_request` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveboard_fuzz_checks::note_request(data));
