//! The walk over a hostile repository: ignore files are read safely and only inside the root,
//! thousands of ignore or exclude patterns are bounded, a `\` stays part of a file name, and the
//! directories the walk does not enter are named.

use crate::support::{
    FIXTURE_DATE, assert_finished_within_bounds, borderline, borderline_bounded, stderr, stdout,
};
use std::path::Path;

/// A Terraform file that is not UTF-8: an `input-error` finding at that file, whatever its name.
const NOT_UTF8_TF: &[u8] = b"# Gr\xfc\xdfe\nresource \"aws_s3_bucket\" \"x\" {}\n";

const JSON_ARGS: &[&str] = &["scan", ".", "--date", FIXTURE_DATE, "--format", "json"];

fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) {
    let path = path.as_ref();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, contents).unwrap();
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "status {:?}: {}",
        output.status,
        stderr(output)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every finding's file and message.
fn findings(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn has_finding_in(report: &serde_json::Value, file: &str) -> bool {
    findings(report).iter().any(|(f, _)| f == file)
}

fn has_message(report: &serde_json::Value, needle: &[&str]) -> bool {
    findings(report)
        .iter()
        .any(|(_, m)| needle.iter().all(|n| m.contains(n)))
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Lines of globs that take long to compile, `bytes` of them in all.
fn costly_globs(bytes: usize, salt: &str) -> Vec<String> {
    let mut globs = Vec::new();
    let mut total = 0;
    while total < bytes {
        let n = globs.len();
        let glob = format!("**/a{n}{salt}*b*c?[x-z]*/**/d{n}*e*.tf");
        total += glob.len() + 1;
        globs.push(glob);
    }
    globs
}

#[test]
fn ignore_files_above_the_root_never_apply() {
    let outer = tempfile::tempdir().unwrap();
    // A `.gitignore` above the scanned root (the PR does not control it, but neither does it
    // belong to the scanned repository) would hide the file with a finding.
    write(outer.path().join(".gitignore"), "*.tf\nsrc/\n");
    let repo = outer.path().join("repo");
    write(repo.join("main.tf"), NOT_UTF8_TF);
    write(repo.join("src/other.tf"), NOT_UTF8_TF);
    let report = json(&borderline(&repo, JSON_ARGS));
    assert!(has_finding_in(&report, "main.tf"), "{report}");
    assert!(has_finding_in(&report, "src/other.tf"), "{report}");
    assert!(report.get("skipped").is_none(), "{report}");
}

#[test]
fn ignore_files_that_are_symlinks_fifos_or_devices_are_refused_with_a_note() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path().join("hide-everything"), "*.tf\n");
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join("main.tf"), NOT_UTF8_TF);
    write(root.join("fifo/main.tf"), NOT_UTF8_TF);
    write(root.join("zero/main.tf"), NOT_UTF8_TF);
    // Followed, the symlink would hide every `.tf` file of the repository.
    std::os::unix::fs::symlink(
        outside.path().join("hide-everything"),
        root.join(".gitignore"),
    )
    .unwrap();
    // Read, a FIFO blocks the walk forever and `/dev/zero` exhausts memory.
    mkfifo(&root.join("fifo/.ignore"));
    std::os::unix::fs::symlink("/dev/zero", root.join("zero/.gitignore")).unwrap();
    let output = borderline_bounded(root, JSON_ARGS, 1024, 20);
    assert_finished_within_bounds(&output, "hostile ignore files");
    let report = json(&output);
    for file in ["main.tf", "fifo/main.tf", "zero/main.tf"] {
        assert!(has_finding_in(&report, file), "{file}: {report}");
    }
    assert!(
        has_message(&report, &[".gitignore: not applied", "symbolic link"]),
        "{report}"
    );
    assert!(
        has_message(
            &report,
            &["fifo/.ignore: not applied", "not a regular file"]
        ),
        "{report}"
    );
    assert!(
        has_message(&report, &["zero/.gitignore: not applied", "symbolic link"]),
        "{report}"
    );
    assert!(
        !report
            .to_string()
            .contains(&outside.path().display().to_string())
    );
}

#[test]
fn gitignore_semantics_are_kept_nested_negated_and_directory_only() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join(".gitignore"), "generated/\n*.tf\n!keep.tf\n");
    // A nested file re-includes what the root one ignores, and ignores more.
    write(root.join("mod/.gitignore"), "!*.tf\nlocal.tf\n");
    write(root.join("keep.tf"), NOT_UTF8_TF);
    write(root.join("drop.tf"), NOT_UTF8_TF);
    write(root.join("generated/keep.tf"), NOT_UTF8_TF);
    write(root.join("mod/back.tf"), NOT_UTF8_TF);
    write(root.join("mod/local.tf"), NOT_UTF8_TF);
    write(root.join(".ignore"), "mod/back.tf\n");
    write(root.join("mod/kept-by-ignore.tf"), NOT_UTF8_TF);
    let report = json(&borderline(root, JSON_ARGS));
    let files: Vec<String> = findings(&report).into_iter().map(|(f, _)| f).collect();
    assert_eq!(files, ["keep.tf", "mod/kept-by-ignore.tf"], "{report}");
    assert_eq!(
        report["skipped"],
        serde_json::json!([
            {"path": "generated/", "reason": "ignore-file", "file": ".gitignore"}
        ])
    );
}

/// Git tracks a committed file whatever `.gitignore` says: the walk consults the root's index and
/// scans tracked files an ignore file matches, in an ignored directory too, while the untracked
/// files beside them stay out as git leaves them out.
#[test]
fn files_git_tracks_are_scanned_even_where_an_ignore_file_matches_them() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join(".gitignore"), "generated/\n*.tf\n");
    write(root.join("main.tf"), NOT_UTF8_TF);
    write(root.join("local.tf"), NOT_UTF8_TF);
    write(root.join("generated/keep.tf"), NOT_UTF8_TF);
    write(root.join("generated/scratch.tf"), NOT_UTF8_TF);
    write(root.join("generated/sub/deep.tf"), NOT_UTF8_TF);
    // An ignored directory with nothing tracked below it is still left out, and named.
    write(root.join("generated/cache/old.tf"), NOT_UTF8_TF);
    // A nested negation does not bring back an untracked file of an ignored directory (git
    // never looks inside one).
    write(root.join("generated/sub/.gitignore"), "!*.tf\n");
    write(root.join("generated/sub/untracked.tf"), NOT_UTF8_TF);
    crate::support::git(root, &["init", "-q"]);
    crate::support::git(
        root,
        &[
            "add",
            "-f",
            "main.tf",
            "generated/keep.tf",
            "generated/sub/deep.tf",
        ],
    );
    let report = json(&borderline(root, JSON_ARGS));
    let files: Vec<String> = findings(&report).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        files,
        ["generated/keep.tf", "generated/sub/deep.tf", "main.tf"],
        "{report}"
    );
    assert_eq!(
        report["skipped"],
        serde_json::json!([
            {"path": ".git/", "reason": "git-metadata"},
            {"path": "generated/cache/", "reason": "ignore-file", "file": ".gitignore"}
        ])
    );

    // The same files outside a repository: the ignore file is all there is to go by.
    std::fs::remove_dir_all(root.join(".git")).unwrap();
    let report = json(&borderline(root, JSON_ARGS));
    assert!(findings(&report).is_empty(), "{report}");
}

/// An index that is not one, or a symlink, is not used (and a symlink not followed): a note says
/// so and the ignore files apply as written.
#[test]
fn an_unreadable_git_index_is_a_note_and_the_ignore_files_apply() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join(".gitignore"), "*.tf\n");
    write(root.join("main.tf"), NOT_UTF8_TF);
    write(
        root.join(".git/index"),
        b"DIRC\0\0\0\x02\xff\xff\xff\xffnot an index",
    );
    let report = json(&borderline(root, JSON_ARGS));
    assert!(!has_finding_in(&report, "main.tf"), "{report}");
    assert!(
        has_message(&report, &[".git/index: not read", "not a git index"]),
        "{report}"
    );

    let outside = tempfile::tempdir().unwrap();
    write(outside.path().join("index"), b"DIRC");
    std::fs::remove_file(root.join(".git/index")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("index"), root.join(".git/index")).unwrap();
    let report = json(&borderline(root, JSON_ARGS));
    assert!(!has_finding_in(&report, "main.tf"), "{report}");
    assert!(
        has_message(&report, &[".git/index: not read", "symbolic link"]),
        "{report}"
    );

    // A worktree's `.git` is a file naming its git directory elsewhere: that is not read, and
    // says nothing (there is no index at the root to read).
    std::fs::remove_dir_all(root.join(".git")).unwrap();
    write(
        root.join(".git"),
        format!("gitdir: {}\n", outside.path().display()),
    );
    let report = json(&borderline(root, JSON_ARGS));
    assert!(findings(&report).is_empty(), "{report}");
}

#[test]
fn a_three_megabyte_gitignore_is_refused_with_a_note_within_bounds() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join("main.tf"), NOT_UTF8_TF);
    write(
        root.join(".gitignore"),
        costly_globs(3 * 1024 * 1024, "").join("\n"),
    );
    let output = borderline_bounded(root, JSON_ARGS, 1024, 20);
    assert_finished_within_bounds(&output, "a 3 MB .gitignore");
    let report = json(&output);
    assert!(has_finding_in(&report, "main.tf"), "{report}");
    assert!(
        has_message(
            &report,
            &[".gitignore: not applied", "larger than 1024 KiB"]
        ),
        "{report}"
    );
}

#[test]
fn three_megabytes_of_gitignore_lines_across_many_files_are_capped_with_a_note() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join("main.tf"), NOT_UTF8_TF);
    // 4 files of 750 KB, each under the size cap, together far above the pattern caps.
    for n in 0..4 {
        write(
            root.join(format!("d{n}/.gitignore")),
            costly_globs(750 * 1024, &format!("x{n}")).join("\n"),
        );
        write(root.join(format!("d{n}/main.tf")), NOT_UTF8_TF);
    }
    let output = borderline_bounded(root, JSON_ARGS, 1024, 20);
    assert_finished_within_bounds(&output, "3 MB of .gitignore lines");
    let report = json(&output);
    assert!(has_finding_in(&report, "d0/main.tf"), "{report}");
    assert!(
        has_message(&report, &["/.gitignore: ", "patterns were dropped"]),
        "{report}"
    );
}

#[test]
fn three_megabytes_of_exclude_globs_are_capped_with_a_note() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    let globs: Vec<String> = costly_globs(3 * 1024 * 1024, "")
        .into_iter()
        .map(|g| format!("{g:?}"))
        .collect();
    write(
        root.join("borderline.toml"),
        format!("[scan]\nexclude = [{}]\n", globs.join(", ")),
    );
    write(root.join("main.tf"), NOT_UTF8_TF);
    let output = borderline_bounded(root, JSON_ARGS, 1024, 20);
    assert_finished_within_bounds(&output, "3 MB of scan.exclude globs");
    let report = json(&output);
    assert!(has_finding_in(&report, "main.tf"), "{report}");
    assert!(
        has_message(&report, &["scan.exclude: ", "patterns were dropped"]),
        "{report}"
    );
}

#[test]
fn a_backslash_is_part_of_a_file_name_not_a_separator() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join("..\\..\\attacker\\evil\\main.tf"), NOT_UTF8_TF);
    // Two different files that would both be reported as `a/b.tf`.
    write(root.join("a\\b.tf"), NOT_UTF8_TF);
    write(root.join("a/b.tf"), NOT_UTF8_TF);
    let report = json(&borderline(root, JSON_ARGS));
    let mut files: Vec<String> = findings(&report).into_iter().map(|(f, _)| f).collect();
    files.sort();
    assert_eq!(
        files,
        ["..\\..\\attacker\\evil\\main.tf", "a/b.tf", "a\\b.tf"],
        "{report}"
    );
}

#[test]
fn skipped_directories_are_named_in_text_markdown_and_json() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join("main.tf"), NOT_UTF8_TF);
    write(root.join("node_modules/pkg/main.tf"), NOT_UTF8_TF);
    write(root.join("target/debug/main.tf"), NOT_UTF8_TF);
    write(root.join("sub/target/main.tf"), NOT_UTF8_TF);
    write(root.join("vendor/lib/main.tf"), NOT_UTF8_TF);
    write(root.join("gen/main.tf"), NOT_UTF8_TF);
    write(root.join("sub/out/main.tf"), NOT_UTF8_TF);
    write(root.join(".gitignore"), "gen/\nout\n");
    write(
        root.join("borderline.toml"),
        "[scan]\nexclude = [\"vendor\"]\n",
    );
    let output = borderline(root, &["scan", ".", "--date", FIXTURE_DATE]);
    let text = stdout(&output);
    assert!(
        text.contains(
            "\nskipped: node_modules/ (dependencies), sub/target/ (build output), target/ (build \
             output), 1 directory excluded by scan.exclude, 2 directories ignored by .gitignore\n"
        ),
        "{text}"
    );
    // The pull-request comment says it too, escaped for Markdown.
    let markdown = stdout(&borderline(
        root,
        &["scan", ".", "--date", FIXTURE_DATE, "--format", "markdown"],
    ));
    assert!(
        markdown.contains("\nskipped: node\\_modules/ (dependencies), sub/target/ (build output)"),
        "{markdown}"
    );
    let report = json(&borderline(root, JSON_ARGS));
    assert_eq!(
        report["skipped"],
        serde_json::json!([
            {"path": "gen/", "reason": "ignore-file", "file": ".gitignore"},
            {"path": "node_modules/", "reason": "dependencies"},
            {"path": "sub/out/", "reason": "ignore-file", "file": ".gitignore"},
            {"path": "sub/target/", "reason": "build-output"},
            {"path": "target/", "reason": "build-output"},
            {"path": "vendor/", "reason": "scan-exclude"},
        ])
    );
    let files: Vec<String> = findings(&report).into_iter().map(|(f, _)| f).collect();
    assert_eq!(files, ["main.tf"], "{report}");
}

#[test]
fn the_list_of_skipped_directories_is_bounded_and_counts_the_rest() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join(".gitignore"), "skip-*/\n");
    for n in 0..250 {
        std::fs::create_dir_all(root.join(format!("skip-{n:03}"))).unwrap();
    }
    let report = json(&borderline(root, JSON_ARGS));
    let listed = report["skipped"].as_array().unwrap();
    assert_eq!(listed.len(), 200);
    assert_eq!(listed[0]["path"], "skip-000/");
    assert_eq!(listed[199]["path"], "skip-199/");
    assert_eq!(report["skipped_unlisted"], 50);
    let text = stdout(&borderline(root, &["scan", ".", "--date", FIXTURE_DATE]));
    assert!(
        text.contains("skipped: 200 directories ignored by .gitignore, 50 more directories\n"),
        "{text}"
    );
}

#[test]
fn git_info_exclude_applies_but_never_through_a_symlinked_git_directory() {
    // A real `.git/info/exclude` applies, like `.gitignore`.
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join(".git/info/exclude"), "local/\n");
    write(root.join("main.tf"), NOT_UTF8_TF);
    write(root.join("local/main.tf"), NOT_UTF8_TF);
    let report = json(&borderline(root, JSON_ARGS));
    let files: Vec<String> = findings(&report).into_iter().map(|(f, _)| f).collect();
    assert_eq!(files, ["main.tf"], "{report}");
    assert_eq!(
        report["skipped"],
        serde_json::json!([
            {"path": ".git/", "reason": "git-metadata"},
            {"path": "local/", "reason": "ignore-file", "file": ".git/info/exclude"},
        ])
    );

    // `.git` is not walked, so it may be a symlink out of the root: its exclude file is refused.
    let outside = tempfile::tempdir().unwrap();
    write(outside.path().join("info/exclude"), "*.tf\n");
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::os::unix::fs::symlink(outside.path(), root.join(".git")).unwrap();
    write(root.join("main.tf"), NOT_UTF8_TF);
    let report = json(&borderline(root, JSON_ARGS));
    assert!(has_finding_in(&report, "main.tf"), "{report}");
    assert!(
        has_message(
            &report,
            &[".git/info/exclude: not applied", "symbolic link"]
        ),
        "{report}"
    );

    // In a worktree or submodule `.git` is a file: there is no exclude file, and nothing to say.
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root.join(".git"), "gitdir: /elsewhere/.git/worktrees/x\n");
    write(root.join("main.tf"), NOT_UTF8_TF);
    let report = json(&borderline(root, JSON_ARGS));
    assert_eq!(findings(&report).len(), 1, "{report}");
    assert!(has_finding_in(&report, "main.tf"), "{report}");
}
