//! `borderline diff OLD.json NEW.json`: the transfers a change adds, removes or changes, read
//! from two graph fragments (`graph --format json` before and after), as text, JSON or a
//! pull-request comment in Markdown. Exit code 1 when the change adds a transfer or gives one a
//! finding it did not have (`--fail-on`), 2 when a fragment cannot be read.

use super::{CommonArgs, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, for_log, write_output};
use borderline::merge::Fragment;
use borderline::report::transfer_diff::TransferDiff;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFormat {
    /// One line per changed transfer (rustc's short form), the reasons under it.
    Text,
    /// The changes with both sides of each (documented in docs/diff.md).
    Json,
    /// A pull-request comment: a table and a Mermaid map of only the changed edges.
    Markdown,
}

/// What fails the run (exit 1).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DiffFailOn {
    /// Any added transfer, or a transfer with a finding it did not have.
    Added,
    /// Only a transfer (added or changed) with a finding it did not have.
    Worse,
    /// Nothing: report only.
    Never,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The fragment before the change (`graph --format json` on the base branch).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The fragment after the change.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// What fails the run (exit 1).
    #[arg(long, value_enum, default_value = "added")]
    pub fail_on: DiffFailOn,
    /// Write the output to FILE instead of standard output (`-o -`: standard output).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: DiffArgs) -> anyhow::Result<i32> {
    let mut views = Vec::new();
    for path in [&args.old, &args.new] {
        match Fragment::read(path) {
            Ok(fragment) => views.push(fragment),
            Err(e) => {
                eprintln!("error: {}", for_log(&e.to_string()));
                return Ok(EXIT_ERROR);
            }
        }
    }
    let (old, new) = (&views[0], &views[1]);
    let diff = TransferDiff::between(&old.source, &old.view, &new.source, &new.view);
    if let Some(warning) = diff.project_mismatch() {
        eprintln!("warning: {}", for_log(&warning));
    }
    let text = match args.format {
        DiffFormat::Text => diff.to_text(),
        DiffFormat::Json => diff.to_json(),
        DiffFormat::Markdown => diff.to_markdown("## borderline: transfer changes"),
    };
    // `diff` reads two fragments and no rule data: of the common options it takes only `-o`.
    let common = CommonArgs {
        output: args.output.clone(),
        ..CommonArgs::default()
    };
    write_output(&common, &text)?;
    let failing = match args.fail_on {
        DiffFailOn::Added => diff.added_any() || diff.worse_any(),
        DiffFailOn::Worse => diff.worse_any(),
        DiffFailOn::Never => false,
    };
    Ok(if failing { EXIT_FINDINGS } else { EXIT_OK })
}
