//! Fuzz target: arbitrary text as `k8s/deploy.yaml`, through every extractor that claims it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::extract("k8s/deploy.yaml", data));
