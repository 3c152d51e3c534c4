//! Fuzz target: arbitrary text as `.env`, through every extractor that claims it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::extract(".env", data));
