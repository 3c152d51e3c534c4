//! Files borderline reads or writes for itself, around the walk: output files (`-o`,
//! `--write-baseline`), the manifest, the baseline, `--rules` files and the cache. A pull request
//! decides what is at those paths in the checkout; nothing may be read or written outside it,
//! nothing but regular files read, and every read is capped.

use crate::support::{FIXTURE_DATE, borderline, copy_dir, fixtures_dir, stderr, stdout};
use std::os::unix::fs::symlink;
use std::path::Path;

/// A repository with one transfer without a safeguard (exit 1 when scanned).
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.env"),
        "SENDGRID_API_URL=https://api.sendgrid.com/v3/mail/send\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("borderline.toml"),
        "[[node]]\nid = \"api\"\nlocation = \"DE\"\npaths = [\"**\"]\n\n[[flow]]\nfrom = \"api\"\nto = \"shop-analytics\"\ndata = [\"user.contact.email\"]\n\n[[node]]\nid = \"shop-analytics\"\nkind = \"vendor\"\nlocation = \"US\"\n",
    )
    .unwrap();
    dir
}

fn scan(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["scan", ".", "--date", FIXTURE_DATE];
    args.extend_from_slice(extra);
    borderline(dir, &args)
}

/// The attack that started it: the documented CI recipe writes `-o transfer-register.csv` in the
/// checkout, and a committed symlink of that name made borderline overwrite its target.
#[test]
fn output_files_are_never_written_through_a_symlink() {
    let repo = repository();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("authorized_keys");
    std::fs::write(&victim, "ssh-ed25519 AAAA owner\n").unwrap();
    symlink(&victim, repo.path().join("transfer-register.csv")).unwrap();
    symlink(&victim, repo.path().join("borderline.sarif")).unwrap();
    symlink(&victim, repo.path().join("baseline.json")).unwrap();
    symlink(outside.path(), repo.path().join("out")).unwrap();

    let cases: [&[&str]; 7] = [
        &[
            "ropa",
            ".",
            "--format",
            "csv",
            "-o",
            "transfer-register.csv",
        ],
        &["scan", ".", "--format", "sarif", "-o", "borderline.sarif"],
        &["scan", ".", "--format", "json", "-o", "borderline.sarif"],
        &["scan", ".", "--write-baseline", "baseline.json"],
        &["graph", ".", "--format", "dot", "-o", "out/map.dot"],
        // Each `--report` file is written as `-o` is.
        &["scan", ".", "--report", "sarif=borderline.sarif"],
        &["scan", ".", "--report", "junit=out/junit.xml"],
    ];
    for args in cases {
        let mut args = args.to_vec();
        args.extend(["--date", FIXTURE_DATE]);
        let output = borderline(repo.path(), &args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("symbolic link"), "{args:?}: {err}");
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "ssh-ed25519 AAAA owner\n",
            "{args:?} wrote through the symlink"
        );
    }
    assert!(!outside.path().join("map.dot").exists());
    assert!(!outside.path().join("junit.xml").exists());
    // The symlinks themselves are still there: nothing was replaced either.
    assert!(
        std::fs::symlink_metadata(repo.path().join("borderline.sarif"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A directory or a FIFO at the output path is not replaced.
    std::fs::create_dir(repo.path().join("report.json")).unwrap();
    let output = scan(repo.path(), &["--format", "json", "-o", "report.json"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("not a regular file"));
    assert!(repo.path().join("report.json").is_dir());

    // An ordinary output file is written, and replaced on the next run.
    std::fs::write(repo.path().join("report.sarif"), "old").unwrap();
    let output = scan(repo.path(), &["--format", "sarif", "-o", "report.sarif"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let written = std::fs::read_to_string(repo.path().join("report.sarif")).unwrap();
    assert!(written.contains("\"version\": \"2.1.0\""), "{written}");
    let leftovers: Vec<String> = std::fs::read_dir(repo.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A manifest symlinked to a TOML file elsewhere printed that file's keys in the error.
#[test]
fn a_symlinked_manifest_is_refused_without_reading_its_target() {
    let repo = repository();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("credentials.toml");
    std::fs::write(
        &secret,
        "aws_secret_access_key = \"wJalrXUtnFEMI-SECRET\"\n",
    )
    .unwrap();
    std::fs::remove_file(repo.path().join("borderline.toml")).unwrap();
    symlink(&secret, repo.path().join("borderline.toml")).unwrap();
    let output = scan(repo.path(), &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("borderline.toml") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(
        !err.contains("wJalrXUtnFEMI") && !err.contains("aws_secret"),
        "{err}"
    );
    assert!(!stdout(&output).contains("wJalrXUtnFEMI"));

    // Through a symlinked directory: `--config conf/borderline.toml` with `conf -> /elsewhere`.
    std::fs::remove_file(repo.path().join("borderline.toml")).unwrap();
    std::fs::write(outside.path().join("borderline.toml"), "nonsense = [\n").unwrap();
    symlink(outside.path(), repo.path().join("conf")).unwrap();
    let output = scan(repo.path(), &["--config", "conf/borderline.toml"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!err.contains("nonsense"), "{err}");
}

/// A baseline symlinked to a JSON file elsewhere printed one of that file's values.
#[test]
fn a_symlinked_baseline_is_refused_without_reading_its_target() {
    let repo = repository();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("token.json");
    std::fs::write(&secret, "{\"version\": \"ghp_SECRETTOKEN\"}").unwrap();
    symlink(&secret, repo.path().join(".borderline-baseline.json")).unwrap();
    let output = scan(repo.path(), &["--baseline", ".borderline-baseline.json"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!err.contains("ghp_SECRETTOKEN"), "{err}");
}

/// `/dev/zero` as the manifest or the baseline exhausted memory; a FIFO would block for ever.
#[test]
fn devices_and_fifos_as_manifest_or_baseline_are_refused() {
    let repo = repository();
    std::fs::remove_file(repo.path().join("borderline.toml")).unwrap();
    std::fs::write(repo.path().join("real.toml"), "").unwrap();
    for (flag, value) in [("--config", "/dev/zero"), ("--baseline", "/dev/zero")] {
        let output = crate::support::borderline_bounded(
            repo.path(),
            &["scan", ".", "--date", FIXTURE_DATE, flag, value],
            1024,
            20,
        );
        crate::support::assert_finished_within_bounds(&output, flag);
        assert_eq!(output.status.code(), Some(2), "{flag}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("not a regular file"),
            "{}",
            stderr(&output)
        );
    }
    let fifo = repo.path().join("borderline.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let output = crate::support::borderline_bounded(
        repo.path(),
        &["scan", ".", "--date", FIXTURE_DATE],
        1024,
        20,
    );
    crate::support::assert_finished_within_bounds(&output, "FIFO manifest");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not a regular file"),
        "{}",
        stderr(&output)
    );
}

/// An oversized manifest is refused before it is parsed.
#[test]
fn an_oversized_manifest_is_refused() {
    let repo = repository();
    let mut big = String::from("[[node]]\nid = \"api\"\nlocation = \"DE\"\n");
    while big.len() <= 17 * 1024 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(repo.path().join("borderline.toml"), big).unwrap();
    let output = scan(repo.path(), &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("larger than"),
        "{}",
        stderr(&output)
    );
}

/// `--rules DIR` files obey the same rules: a symlinked rule file is not read.
#[test]
fn rule_files_are_not_read_through_symlinks() {
    let repo = repository();
    let rules = repo.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("vendors.toml");
    std::fs::write(&secret, "password = \"correct-horse\"\n").unwrap();
    symlink(&secret, rules.join("vendors.toml")).unwrap();
    let output = scan(repo.path(), &["--rules", "rules"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!err.contains("correct-horse"), "{err}");
}

/// Committed cache entries hid findings (an error became exit 0), and committed `.tmp-*`
/// symlinks redirected cache writes: a cache inside the scanned repository is refused.
#[test]
fn a_cache_inside_the_scanned_repository_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_dir(&fixtures_dir().join("demo"), &repo);
    for cache in ["cache-dir", ".", "./sub/../cache"] {
        let output = scan(&repo, &["--cache", cache]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{cache}: {err}");
        assert!(err.contains("inside the scanned repository"), "{err}");
    }
    // Through a symlink out of the repository and back into it: still inside.
    symlink(&repo, dir.path().join("alias")).unwrap();
    let alias = dir.path().join("alias/cache");
    let output = scan(&repo, &["--cache", alias.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    // Outside the repository, the cache works.
    let outside = dir.path().join("cache");
    let output = scan(&repo, &["--cache", outside.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("cache:"));
}

/// `--jobs` has an upper bound: a huge number is a usage error, not a million threads.
#[test]
fn jobs_are_bounded() {
    let repo = repository();
    // Bounded: before the cap, a million worker threads were started one by one.
    let output = crate::support::borderline_bounded(
        repo.path(),
        &["scan", ".", "--date", FIXTURE_DATE, "--jobs", "1000000"],
        1024,
        20,
    );
    crate::support::assert_finished_within_bounds(&output, "--jobs 1000000");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--jobs must be between 1 and"));
    let output = scan(repo.path(), &["--jobs", "2"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}
