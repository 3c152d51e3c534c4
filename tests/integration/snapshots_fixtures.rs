//! Snapshots of what a user sees of every fixture: `scan fixtures/X --format text` on the
//! fixture's date, with its exit code and standard error. The walk lists `fixtures/` itself, so a
//! new fixture without a snapshot fails (insta refuses a missing snapshot) instead of passing
//! unseen; the rule cases under `fixtures/rules/<rule>/<fires|quiet>` each have one too.

use crate::support::{
    FIXTURE_DATE, borderline, check_each, fixtures_dir, git_repository_of, transcript,
    workspace_root,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Each fixture as the path the command line names, relative to the workspace root (so no
/// absolute path reaches a snapshot): `fixtures/X` for every directory of `fixtures/`, the rule
/// fixtures' directory as a whole included, and `fixtures/rules/<rule>/<case>` for each rule case.
fn fixture_paths() -> Vec<String> {
    let mut paths = Vec::new();
    for name in sorted_dirs(&fixtures_dir()) {
        if name == "rules" {
            for rule in sorted_dirs(&fixtures_dir().join("rules")) {
                for case in sorted_dirs(&fixtures_dir().join("rules").join(&rule)) {
                    paths.push(format!("fixtures/rules/{rule}/{case}"));
                }
            }
        }
        paths.push(format!("fixtures/{name}"));
    }
    paths.sort();
    paths
}

/// The names of the directories in `dir`, sorted.
fn sorted_dirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The fixture's evaluation date: `# fixture-date: YYYY-MM-DD` in its borderline.toml (as the
/// fixtures harness reads it), else the fixed date.
fn fixture_date(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path).join("borderline.toml"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.trim().strip_prefix("# fixture-date:"))
        .map_or_else(|| FIXTURE_DATE.to_string(), |d| d.trim().to_string())
}

/// The snapshot's name: the fixture's path below `fixtures/`, `/` written as `-`.
fn snapshot_name(path: &str) -> String {
    path.trim_start_matches("fixtures/").replace('/', "-")
}

#[test]
fn every_fixture_has_a_text_output_snapshot() {
    let paths = fixture_paths();
    assert!(
        paths.len() > 100,
        "the walk of fixtures/ found only {} fixtures",
        paths.len()
    );
    let transcripts = in_parallel(&paths, |path| {
        let date = fixture_date(path);
        let args = ["scan", path, "--format", "text", "--date", &date];
        // A fixture that is a git repository in real life is scanned as one, from a directory
        // that names it by the same relative path.
        let copy = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let from = if git_repository_of(&workspace_root().join(path), &copy.path().join(path)) {
            copy.path().to_path_buf()
        } else {
            workspace_root()
        };
        transcript(&args, &borderline(&from, &args))
    });
    check_each("scan --format text", &paths, |path| {
        insta::assert_snapshot!(snapshot_name(path), transcripts[path].as_str());
    });
}

/// `run` of each of `items` on a few threads (the scans are independent processes; the snapshots
/// are then compared in order), keyed by item.
fn in_parallel(items: &[String], run: impl Fn(&str) -> String + Sync) -> BTreeMap<String, String> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let results = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let text = run(item);
                    results.lock().unwrap().insert(item.clone(), text);
                }
            });
        }
    });
    results.into_inner().unwrap()
}

#[test]
fn snapshot_names_are_distinct() {
    let paths = fixture_paths();
    let mut names: Vec<String> = paths.iter().map(|p| snapshot_name(p)).collect();
    names.sort();
    names.dedup();
    assert_eq!(
        names.len(),
        paths.len(),
        "two fixtures share a snapshot name"
    );
}
