//! Fuzz target: arbitrary text as a baseline file (`--baseline`), which a pull request may edit.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::baseline(data));
