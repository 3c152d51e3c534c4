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
fn generated() -> Vec<(&'static str, String)> {
    vec![("docs/rules.md", borderline::checks::rules_markdown())]
}

fn codegen(check: bool) -> Result<()> {
    let root = workspace_root();
    let mut stale = Vec::new();
    for (path, content) in generated() {
        let full = root.join(path);
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
