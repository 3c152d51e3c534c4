//! Fuzz target: arbitrary text as `infra/main.tf`, through every extractor that claims it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::extract("infra/main.tf", data));
