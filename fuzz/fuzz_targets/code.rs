//! Fuzz target: arbitrary text as a source file of a language whose code is read for outbound
//! calls and SDK set-up (the first byte picks the language), through every extractor that claims
//! it, in a directory that is a service.
#![no_main]

/// One path per language the code extractors read; Laravel's `config/` is read as settings.
const PATHS: [&str; 11] = [
    "svc/app/client.py",
    "web/src/api.ts",
    "web/src/api.js",
    "svc/main.go",
    "svc/src/main/java/shop/Client.java",
    "svc/src/main/kotlin/Client.kt",
    "svc/lib/client.rb",
    "svc/Services/Client.cs",
    "svc/config/services.php",
    "svc/src/Client.php",
    "svc/src/client.rs",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some((first, rest)) = data.split_first() {
        borderline_fuzz::extract(PATHS[usize::from(*first) % PATHS.len()], rest);
    }
});
