//! `borderline ropa`: the transfer register, one row per transfer.

use super::{EXIT_ERROR, EXIT_OK, RepoOptions, scan_repository, write_output};
use borderline::report::ropa;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RopaFormat {
    /// RFC 4180 CSV, safe against spreadsheet formula injection.
    Csv,
    /// A Markdown table.
    Markdown,
    /// `{"version", "transfers": [...]}`.
    Json,
}

#[derive(Debug, Args)]
pub struct RopaArgs {
    /// The repository to scan.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: RopaFormat,
    #[command(flatten)]
    pub common: RepoOptions,
}

pub fn run(args: RopaArgs) -> anyhow::Result<i32> {
    let progress = matches!(args.format, RopaFormat::Markdown);
    let Some((scanned, rules)) = scan_repository(&args.path, &args.common, progress)? else {
        return Ok(EXIT_ERROR);
    };
    let rows = ropa::rows(&scanned.model, &scanned.evaluation, &rules);
    let text = match args.format {
        RopaFormat::Csv => ropa::to_csv(&rows),
        RopaFormat::Markdown => ropa::to_markdown(&rows),
        RopaFormat::Json => ropa::to_json(&rows),
    };
    write_output(&args.common, &text)?;
    Ok(EXIT_OK)
}
