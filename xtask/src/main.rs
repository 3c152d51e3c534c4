//! `cargo xtask ...`: project chores that need more than cargo (code generation, checks of generated files, fuzzing).

mod fuzz;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

mod bench;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Every generated file: its path relative to the root and its current content.
fn generated() -> Result<Vec<(String, String)>> {
    let mut files = vec![
        (
            "docs/rules.md".to_string(),
            borderline::checks::rules_markdown(),
        ),
        (
            "docs/borderline.schema.json".to_string(),
            borderline::manifest_schema::json(),
        ),
    ];
    files.extend(man_pages()?);
    Ok(files)
}

/// `borderline manpage [COMMAND]`'s output, as run by cargo: the command line is defined in the
/// binary, and the page of each command is the one its SUBCOMMANDS section names.
fn man_page(command: Option<&str>) -> Result<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut run = std::process::Command::new(cargo);
    run.current_dir(workspace_root()).args([
        "run",
        "--quiet",
        "--locked",
        "-p",
        "borderline",
        "--bin",
        "borderline",
        "--",
        "manpage",
    ]);
    run.args(command);
    let output = run.output().context("running `borderline manpage`")?;
    if !output.status.success() {
        bail!(
            "`borderline manpage {}` failed: {}",
            command.unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).context("the man page is not UTF-8")
}

/// docs/man/borderline.1 and a `borderline-COMMAND.1` for each command it lists.
fn man_pages() -> Result<Vec<(String, String)>> {
    let top = man_page(None)?;
    let commands: Vec<String> = top
        .lines()
        .filter_map(|line| line.strip_prefix("borderline\\-")?.strip_suffix("(1)"))
        .map(str::to_string)
        .collect();
    if commands.is_empty() {
        bail!("the man page of borderline lists no command");
    }
    let mut pages = vec![("docs/man/borderline.1".to_string(), top)];
    for command in commands {
        let page = man_page(Some(&command))?;
        pages.push((format!("docs/man/borderline-{command}.1"), page));
    }
    Ok(pages)
}

fn codegen(check: bool) -> Result<()> {
    let root = workspace_root();
    let mut stale = Vec::new();
    let files = generated()?;
    let generated_paths: Vec<String> = files.iter().map(|(path, _)| path.clone()).collect();
    for (path, content) in files {
        let full = root.join(&path);
        let current = std::fs::read_to_string(&full).unwrap_or_default();
        if current == content {
            continue;
        }
        if check {
            stale.push(path);
        } else {
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&full, content)
                .with_context(|| format!("writing {}", full.display()))?;
            println!("wrote {path}");
        }
    }
    // A page of a command that is gone is stale too.
    let pages: Vec<String> = generated_paths
        .iter()
        .filter(|p| p.starts_with("docs/man/"))
        .cloned()
        .collect();
    if let Ok(entries) = std::fs::read_dir(root.join("docs/man")) {
        for entry in entries.flatten() {
            let path = format!("docs/man/{}", entry.file_name().to_string_lossy());
            if pages.contains(&path) {
                continue;
            }
            if check {
                stale.push(path);
            } else {
                std::fs::remove_file(entry.path()).with_context(|| format!("removing {path}"))?;
                println!("removed {path}");
            }
        }
    }
    if !stale.is_empty() {
        bail!(
            "generated files are out of date: {}; run `cargo xtask codegen`",
            stale.join(", ")
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["codegen"] => codegen(false),
        ["codegen", "--check"] => codegen(true),
        ["fuzz", rest @ ..] => fuzz::run(&workspace_root(), rest),
        ["bench", rest @ ..] => bench::bench(rest, &workspace_root()),
        _ => bail!(
            "usage: cargo xtask codegen [--check] | fuzz [TARGET|all] [--seconds N] | bench [--scale X] [--keep DIR] [--compare BINARY] [--trees LIST]"
        ),
    }
}
