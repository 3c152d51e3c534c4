//! Fuzz target: arbitrary text as a `.gitignore` or `.ignore` file, which discovery reads itself.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::ignore_file(data));
