//! Fuzz target: arbitrary text as `infra/tfplan.json` (a Terraform plan in JSON), through every
//! extractor that claims it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| borderline_fuzz::extract("infra/tfplan.json", data));
