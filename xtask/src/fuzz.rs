//! `cargo xtask fuzz [TARGET|all] [--seconds N]`: seeds the fuzz corpora from the fixtures and runs
//! cargo-fuzz targets for a bounded time, on nightly when it is installed, else on stable.
//!
//! Nightly is not promised on a fresh machine. On stable, cargo-fuzz still works without a
//! sanitizer (`-s none`); if even that build fails, the same formats are exercised by the proptest
//! suite (`tests/integration/properties.rs`) instead, and the output says so.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every fuzz target in `fuzz/Cargo.toml`, each with the fixture files that seed it.
const TARGETS: &[&str] = &[
    "manifest",
    "rules",
    "rust",
    "comment_tags",
    "code",
    "terraform",
    "terraform_plan",
    "kubernetes",
    "compose",
    "env",
    "json_config",
    "scan",
    "baseline",
    "ignore_file",
    "fragment",
    "git_index",
];

/// The slots of the `scan` target's generated repository (same order as `fuzz/src/lib.rs`).
const REPOSITORY_SLOTS: &[&str] = &[
    "manifest",
    "terraform",
    "kubernetes",
    "compose",
    "env",
    "rust",
    "comment_tags",
    "json_config",
];

/// Which per-format target a fixture file seeds, by its name.
fn target_of(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let extension = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let compose = (name.starts_with("docker-compose") || name.starts_with("compose"))
        && matches!(extension, "yml" | "yaml");
    Some(match extension {
        _ if name == "borderline.toml" => "manifest",
        _ if name == ".gitignore" || name == ".ignore" => "ignore_file",
        _ if compose => "compose",
        _ if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") => "env",
        "tf" | "tfvars" => "terraform",
        "yaml" | "yml" => "kubernetes",
        "rs" => "rust",
        "py" | "sh" => "comment_tags",
        "go" | "ts" | "js" | "java" | "kt" | "rb" | "cs" | "php" => "code",
        "json" if name.contains("plan") => "terraform_plan",
        "json" => "json_config",
        _ => return None,
    })
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && entry.file_name() != "target" {
            files_under(&entry.path(), out);
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
}

/// A corpus file name that is stable across runs, so reseeding does not duplicate inputs.
fn seed_name(relative: &Path) -> String {
    format!(
        "seed-{}",
        relative
            .to_string_lossy()
            .replace(['/', '\\', ' '], "_")
            .trim_start_matches('.')
    )
}

/// Copies fixtures into `fuzz/corpus/<target>/`; returns how many seeds each target has.
fn seed(root: &Path) -> Result<Vec<(&'static str, usize)>> {
    let fixtures = root.join("fixtures");
    let corpus = root.join("fuzz/corpus");
    let mut counts: Vec<(&'static str, usize)> = TARGETS.iter().map(|t| (*t, 0)).collect();
    let mut add = |target: &str, name: String, bytes: &[u8]| -> Result<()> {
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(dir.join(name), bytes)?;
        if let Some(entry) = counts.iter_mut().find(|(t, _)| *t == target) {
            entry.1 += 1;
        }
        Ok(())
    };
    let mut files = Vec::new();
    files_under(&fixtures, &mut files);
    for file in &files {
        let Some(target) = target_of(file) else {
            continue;
        };
        let relative = file.strip_prefix(&fixtures).unwrap_or(file);
        let bytes = std::fs::read(file)?;
        add(target, seed_name(relative), &bytes)?;
    }
    // Rule data: the built-in files, each behind the selector byte that makes the target load it.
    let mut rule_files = Vec::new();
    files_under(&root.join("rules"), &mut rule_files);
    for file in &rule_files {
        let relative = file.strip_prefix(root.join("rules")).unwrap_or(file);
        let relative_text = relative.to_string_lossy().replace('\\', "/");
        // The selector the `rules` target maps back to this file (`borderline_fuzz::rule_file`):
        // the loader's known files in order, then a region file.
        let known = borderline::rules::KNOWN_FILES;
        let selector = known
            .iter()
            .position(|name| *name == relative_text)
            .or_else(|| relative_text.starts_with("regions/").then_some(known.len()));
        let Some(selector) = selector.and_then(|s| u8::try_from(s).ok()) else {
            continue;
        };
        let mut bytes = vec![selector];
        bytes.extend(std::fs::read(file)?);
        add("rules", seed_name(relative), &bytes)?;
    }
    // Baselines: the shape `--write-baseline` writes, and one with every optional field left out.
    add(
        "baseline",
        "seed-baseline".into(),
        b"{\n  \"version\": 1,\n  \"findings\": [\n    {\n      \"rule\": \"transfer-without-safeguard\",\n      \"from\": \"api\",\n      \"to\": \"sendgrid\",\n      \"fingerprint\": \"0123456789abcdef\"\n    }\n  ]\n}\n",
    )?;
    add(
        "baseline",
        "seed-baseline-minimal".into(),
        b"{\"version\":1,\"findings\":[{\"rule\":\"input-error\",\"fingerprint\":\"f\"}]}",
    )?;
    // Ignore files: the shapes real repositories write (negation, directory-only, anchored,
    // globs, escapes, a trailing space).
    add(
        "ignore_file",
        "seed-gitignore".into(),
        b"# build output\ntarget/\n/node_modules\n*.log\n!keep.log\n**/tmp/**\n\\#not-a-comment\nbuild\\ \n[Dd]ist/\n",
    )?;
    // Graph fragments: what `graph --format json` writes for two nodes and a flow under SCC.
    add(
        "fragment",
        "seed-fragment".into(),
        br#"{"version":"1","project":null,"evaluation_date":"2026-11-29","nodes":[{"id":"api","kind":"service","label":null,"location":"DE","countries":["DE"],"jurisdiction":"eea","provider":null,"certifications":[],"data":[],"domains":[],"personal_data":null,"safeguard":null,"findings":[],"defined_at":{"file":"borderline.toml","line":2,"column":6}},{"id":"crm","kind":"vendor","label":null,"location":"US","countries":["US"],"jurisdiction":"adequate","provider":null,"certifications":[],"data":[],"domains":[],"personal_data":null,"safeguard":null,"findings":[],"defined_at":{"file":"borderline.toml","line":6,"column":6}}],"flows":[{"id":"api->crm","from":"api","to":"crm","data":["user.contact.email"],"purpose":"support","safeguard":{"mechanism":"scc","version":"2021/914","module":2,"reference":null,"signed":null,"expires":null,"tia":null,"derogation":null},"transfer":"finding","basis":"scc","findings":[{"rule":"missing-tia","severity":"warning","message":"transfer api -> crm (US) relies on `scc` without a transfer impact assessment","fingerprint":"6196a712261a1e53"}],"location":{"file":"borderline.toml","line":11,"column":8}}]}"#,
    )?;
    // A git index: what `git add` writes for the fixture that is a repository in real life (a
    // tracked file an ignore file matches), when a `git` program is at hand.
    if let Some(index) = git_index_of(&fixtures.join("git-tracked-tfvars")) {
        add("git_index", "seed-git-index".into(), &index)?;
    }
    // Whole scans: each fixture case becomes one repository, its first file of each kind in a slot.
    let mut cases: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(&fixtures)?.flatten() {
        if entry.path().is_dir() && entry.file_name() != "rules" {
            cases.push(entry.path());
        }
    }
    cases.sort();
    for case in &cases {
        let mut case_files = Vec::new();
        files_under(case, &mut case_files);
        let parts: Vec<Vec<u8>> = REPOSITORY_SLOTS
            .iter()
            .map(|slot| {
                case_files
                    .iter()
                    .find(|f| target_of(f) == Some(slot))
                    .and_then(|f| std::fs::read(f).ok())
                    .map(|bytes| bytes.into_iter().filter(|b| *b != 0).collect())
                    .unwrap_or_default()
            })
            .collect();
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        add("scan", format!("seed-{name}"), &parts.join(&0u8))?;
    }
    Ok(counts)
}

/// The `.git/index` of a repository made from a copy of `case`'s files (`git add -A -f`), or
/// `None` when git is not installed or fails.
fn git_index_of(case: &Path) -> Option<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("borderline-fuzz-seed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut files = Vec::new();
    files_under(case, &mut files);
    for file in &files {
        let target = dir.join(file.strip_prefix(case).ok()?);
        std::fs::create_dir_all(target.parent()?).ok()?;
        std::fs::copy(file, target).ok()?;
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let index = (git(&["init", "-q"]) && git(&["add", "-A", "-f"]))
        .then(|| std::fs::read(dir.join(".git/index")).ok())
        .flatten();
    let _ = std::fs::remove_dir_all(&dir);
    index
}

/// Whether `rustup toolchain list` shows a nightly toolchain.
fn has_nightly() -> bool {
    Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("nightly"))
}

fn ensure_cargo_fuzz() -> Result<()> {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    println!("cargo-fuzz is missing: installing it (cargo install cargo-fuzz --locked)");
    let status = Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .context("running cargo install")?;
    if !status.success() {
        bail!("cannot install cargo-fuzz");
    }
    Ok(())
}

/// The toolchain and sanitizer arguments: ASan on nightly, none on stable.
fn toolchain_args(nightly: bool) -> Vec<&'static str> {
    if nightly {
        vec!["+nightly"]
    } else {
        vec!["+stable"]
    }
}

fn sanitizer_args(nightly: bool) -> Vec<&'static str> {
    if nightly { vec![] } else { vec!["-s", "none"] }
}

/// What one target's run did, from libFuzzer's last status line.
#[derive(Debug)]
struct RunSummary {
    target: &'static str,
    executions: u64,
    crashed: bool,
}

/// libFuzzer ends with `Done N runs in S second(s)`; a crash stops earlier, so the last `#N` counts.
fn executions(log: &str) -> u64 {
    let mut last = 0;
    for line in log.lines() {
        let count = line
            .strip_prefix("Done ")
            .or_else(|| line.strip_prefix('#'))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok());
        if let Some(n) = count {
            last = n;
        }
    }
    last
}

fn run_target(
    root: &Path,
    target: &'static str,
    seconds: u64,
    nightly: bool,
) -> Result<RunSummary> {
    let fuzz_dir = root.join("fuzz");
    let logs = fuzz_dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let corpus = fuzz_dir.join("corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    let max_time = format!("-max_total_time={seconds}");
    let mut command = Command::new("cargo");
    command
        .current_dir(&fuzz_dir)
        .args(toolchain_args(nightly))
        .args(["fuzz", "run"])
        .args(sanitizer_args(nightly))
        .arg(target)
        .arg(&corpus)
        .args([
            "--",
            &max_time,
            // One input taking longer than this is a hang (superlinear parsing): reported as a crash.
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=65536",
            "-print_final_stats=1",
        ]);
    println!(
        "fuzz {target}: {seconds} s ({})",
        if nightly {
            "nightly, ASan"
        } else {
            "stable, -s none"
        }
    );
    let output = command.output().context("running cargo fuzz")?;
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(logs.join(format!("{target}.log")), &log)?;
    let crashed = !output.status.success();
    if crashed {
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    }
    Ok(RunSummary {
        target,
        executions: executions(&log),
        crashed,
    })
}

/// Builds the targets once; on stable a failed build means cargo-fuzz cannot work here.
fn build(root: &Path, nightly: bool) -> Result<bool> {
    let status = Command::new("cargo")
        .current_dir(root.join("fuzz"))
        .args(toolchain_args(nightly))
        .args(["fuzz", "build"])
        .args(sanitizer_args(nightly))
        .status()
        .context("running cargo fuzz build")?;
    Ok(status.success())
}

/// The fallback without cargo-fuzz: the proptest suite feeds random input to every format.
fn proptest_fallback(root: &Path) -> Result<()> {
    println!(
        "cargo-fuzz cannot build here: running the property tests over every input format instead"
    );
    let status = Command::new("cargo")
        .current_dir(root)
        .args([
            "test",
            "-p",
            "borderline",
            "--test",
            "integration",
            "properties",
        ])
        .status()
        .context("running the property tests")?;
    if !status.success() {
        bail!("property tests failed");
    }
    Ok(())
}

pub fn run(root: &Path, args: &[&str]) -> Result<()> {
    let mut target = None;
    let mut seconds = 60u64;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--seconds" => {
                seconds = rest
                    .next()
                    .and_then(|s| s.parse().ok())
                    .context("--seconds needs a whole number")?;
            }
            name if target.is_none() => target = Some(name),
            other => bail!("unexpected argument `{other}`"),
        }
    }
    let counts = seed(root)?;
    let seeded: Vec<String> = counts.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("seeded fuzz/corpus from fixtures: {}", seeded.join(", "));
    let selected: Vec<&'static str> = match target {
        None => {
            println!(
                "targets: {}; run `cargo xtask fuzz <target>|all [--seconds N]`",
                TARGETS.join(", ")
            );
            return Ok(());
        }
        Some("all") => TARGETS.to_vec(),
        Some(name) => match TARGETS.iter().find(|t| **t == name) {
            Some(t) => vec![*t],
            None => bail!(
                "unknown fuzz target `{name}`; one of: {}",
                TARGETS.join(", ")
            ),
        },
    };
    ensure_cargo_fuzz()?;
    let nightly = has_nightly();
    if !nightly {
        println!("no nightly toolchain: building on stable without a sanitizer (-s none)");
    }
    if !build(root, nightly)? {
        if nightly {
            bail!("cargo fuzz build failed");
        }
        return proptest_fallback(root);
    }
    let mut summaries = Vec::new();
    for target in selected {
        summaries.push(run_target(root, target, seconds, nightly)?);
    }
    println!("\ntarget          executions  result");
    for summary in &summaries {
        println!(
            "{:<15} {:>10}  {}",
            summary.target,
            summary.executions,
            if summary.crashed {
                "CRASH (see fuzz/artifacts, fuzz/logs)"
            } else {
                "ok"
            }
        );
    }
    let crashed: Vec<&str> = summaries
        .iter()
        .filter(|s| s.crashed)
        .map(|s| s.target)
        .collect();
    if !crashed.is_empty() {
        bail!("fuzz targets crashed: {}", crashed.join(", "));
    }
    Ok(())
}
