//! Fuzz target: arbitrary content as one `--rules DIR` override file (the first byte picks which).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::rule_data(data));
