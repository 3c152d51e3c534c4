//! Fuzz target: arbitrary text as a graph fragment (`graph --format json`), which `merge` reads.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::fragment(data));
