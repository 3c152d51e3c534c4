//! Fuzz target: arbitrary bytes as the scanned root's `.git/index`, which a repository handed over
//! as a directory (not checked out by CI) controls.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::git_index(data));
