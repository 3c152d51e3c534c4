//! Fuzz target: arbitrary text as `appsettings.json`, through every extractor that claims it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::extract("appsettings.json", data));
