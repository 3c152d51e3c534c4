//! Fuzz target: a whole scan of a small generated repository (NUL bytes separate its files).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::scan(data));
