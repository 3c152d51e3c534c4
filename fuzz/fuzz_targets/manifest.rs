//! Fuzz target: arbitrary text as `borderline.toml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::manifest(data));
