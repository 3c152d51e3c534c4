//! Fuzz target: arbitrary text as `jobs/export.py`, through every extractor that claims it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::extract("jobs/export.py", data));
