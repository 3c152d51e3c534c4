//! `--cache DIR`: cached and uncached runs give byte-identical output, whatever the cache holds.

use crate::support::{FIXTURE_DATE, borderline, copy_dir, fixtures_dir, stderr, stdout};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A copy of the demo to change, and a cache directory outside it.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_dir(&fixtures_dir().join("demo"), &repo);
    let cache = dir.path().join("cache");
    (dir, repo, cache)
}

/// (exit code, stdout, stderr) of `scan . --format FORMAT`, with `extra` arguments.
fn scan(repo: &Path, format: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec!["scan", ".", "--date", FIXTURE_DATE, "--format", format];
    args.extend_from_slice(extra);
    let output = borderline(repo, &args);
    (output.status.code(), stdout(&output), stderr(&output))
}

fn cached(repo: &Path, cache: &Path, format: &str) -> (Option<i32>, String, String) {
    scan(repo, format, &["--cache", cache.to_str().unwrap()])
}

/// Every entry of the cache directory with its modification time.
fn entries(cache: &Path) -> BTreeMap<String, SystemTime> {
    std::fs::read_dir(cache)
        .unwrap()
        .flatten()
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                entry.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect()
}

/// Asserts that cached output equals uncached output, in JSON and text.
fn assert_same_as_uncached(repo: &Path, cache: &Path) {
    for format in ["json", "text"] {
        let (code, out, _) = scan(repo, format, &[]);
        let (cached_code, cached_out, _) = cached(repo, cache, format);
        assert_eq!(code, cached_code, "{format}");
        assert_eq!(out, cached_out, "{format}");
    }
}

#[test]
fn a_second_run_reads_the_cache_and_prints_the_same() {
    let (_dir, repo, cache) = setup();
    let (code, json, _) = scan(&repo, "json", &[]);
    let (_, text, _) = scan(&repo, "text", &[]);

    let (first_code, first_json, first_err) = cached(&repo, &cache, "json");
    assert!(first_err.contains("cache: 0 hits"), "{first_err}");
    assert_eq!((first_code, &first_json), (code, &json));
    let filled = entries(&cache);
    assert!(!filled.is_empty(), "the first run fills the cache");
    assert!(!filled.keys().any(|name| name.starts_with(".tmp")));

    let (second_code, second_json, second_err) = cached(&repo, &cache, "json");
    assert!(second_err.contains(" 0 misses"), "{second_err}");
    assert!(!second_err.contains("cache: 0 hits"), "{second_err}");
    assert_eq!((second_code, &second_json), (code, &json));
    let (_, second_text, _) = cached(&repo, &cache, "text");
    assert_eq!(second_text, text);
    assert_eq!(entries(&cache), filled, "hits rewrite nothing");

    // --quiet silences the note, not the output.
    let (_, quiet_json, quiet_err) = scan(
        &repo,
        "json",
        &["--quiet", "--cache", cache.to_str().unwrap()],
    );
    assert_eq!(quiet_json, json);
    assert!(!quiet_err.contains("cache:"), "{quiet_err}");
}

#[test]
fn a_changed_or_added_file_gives_what_an_uncached_run_gives() {
    let (_dir, repo, cache) = setup();
    let (_, before, _) = cached(&repo, &cache, "json");

    // A region changes: the Terraform facts and the output change.
    let tfvars = repo.join("infra/terraform/terraform.tfvars");
    let text = std::fs::read_to_string(&tfvars).unwrap();
    std::fs::write(&tfvars, text.replace("ap-southeast-1", "eu-west-1")).unwrap();
    let (_, after, err) = cached(&repo, &cache, "json");
    assert_ne!(after, before, "the change shows");
    // Extractors that do not claim the file (Rust, Kubernetes) are hits.
    assert!(!err.contains("cache: 0 hits"), "{err}");
    assert!(!err.contains(" 0 misses"), "{err}");
    assert_same_as_uncached(&repo, &cache);

    // A line moves: spans shift. Rust, comment tags, SDK calls and inline waivers are cached file
    // by file: only this file is re-extracted, once by each.
    let lib = repo.join("services/checkout/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("\n\n{text}")).unwrap();
    let (_, _, err) = cached(&repo, &cache, "json");
    assert!(err.contains(" 4 misses"), "{err}");
    assert_same_as_uncached(&repo, &cache);

    // A package renamed: every file it owns changes owner.
    let cargo = repo.join("services/checkout/Cargo.toml");
    let text = std::fs::read_to_string(&cargo).unwrap();
    std::fs::write(&cargo, text.replacen("name = \"", "name = \"renamed-", 1)).unwrap();
    let (_, renamed, _) = cached(&repo, &cache, "json");
    assert_ne!(renamed, after);
    assert_same_as_uncached(&repo, &cache);

    // A new file first in path order: every file id shifts, cached spans must follow.
    std::fs::write(repo.join("aaa.rs"), "// nothing to see\n").unwrap();
    let (_, _, err) = cached(&repo, &cache, "json");
    assert!(err.contains("cache:"), "{err}");
    assert_same_as_uncached(&repo, &cache);
    std::fs::remove_file(repo.join("aaa.rs")).unwrap();
    // Back to the earlier files: the earlier entries are hits again, spans remapped.
    let (_, _, err) = cached(&repo, &cache, "json");
    assert!(err.contains(" 0 misses"), "{err}");
    assert_same_as_uncached(&repo, &cache);
}

#[test]
fn corrupt_entries_are_misses() {
    let (_dir, repo, cache) = setup();
    let (_, json, _) = scan(&repo, "json", &[]);
    let _ = cached(&repo, &cache, "json");
    let names: Vec<String> = entries(&cache).into_keys().collect();
    assert!(!names.is_empty());
    let garbage: [&[u8]; 4] = [
        b"\x00\xff\xfe garbage \x80",
        b"",
        b"{\"key\": 1",
        b"{\"key\":\"00\",\"material\":{},\"facts\":{}}",
    ];
    for (index, name) in names.iter().enumerate() {
        std::fs::write(cache.join(name), garbage[index % garbage.len()]).unwrap();
    }
    let (_, corrupt, err) = cached(&repo, &cache, "json");
    assert_eq!(corrupt, json);
    assert!(err.contains("cache: 0 hits"), "{err}");
    // The entries were rewritten: the next run hits them.
    let (_, again, err) = cached(&repo, &cache, "json");
    assert_eq!(again, json);
    assert!(err.contains(" 0 misses"), "{err}");
    assert_same_as_uncached(&repo, &cache);

    // An entry whose spans point past its files is refused too.
    for name in &names {
        let path = cache.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"end\":", "\"end\":99999999")).unwrap();
    }
    let (_, refused, _) = cached(&repo, &cache, "json");
    assert_eq!(refused, json);
}

#[test]
fn jobs_do_not_change_cached_output() {
    let (_dir, repo, cache) = setup();
    let cache_arg = cache.to_str().unwrap();
    let one = scan(&repo, "json", &["--jobs", "1", "--cache", cache_arg]);
    let four = scan(&repo, "json", &["--jobs", "4", "--cache", cache_arg]);
    let four_cold = scan(&repo, "json", &["--jobs", "4"]);
    assert_eq!(one.1, four.1);
    assert_eq!(one.1, four_cold.1);
    assert_eq!(one.0, four.0);
}

#[test]
fn an_unusable_cache_directory_is_an_error() {
    let (dir, repo, _) = setup();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let (code, _, err) = cached(&repo, &file, "json");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cache"), "{err}");
}
