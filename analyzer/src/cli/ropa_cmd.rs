//! `borderline ropa`: the transfer register, one row per transfer.

use super::{EXIT_ERROR, EXIT_OK, RepoOptions, is_stdout, scan_repository, write_output_with};
use borderline::report::{ropa, xlsx};
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RopaFormat {
    /// RFC 4180 CSV, safe against spreadsheet formula injection.
    Csv,
    /// A Markdown table.
    Markdown,
    /// `{"version", "transfers": [...]}`.
    Json,
    /// An Excel workbook: sheets of transfers (the CSV's rows), recipients and findings (binary:
    /// needs `-o FILE` on a terminal).
    Xlsx,
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
    let to_stdout = args.common.output.as_deref().is_none_or(is_stdout);
    // Checked before the scan: a workbook is binary, and a terminal is no place for it.
    if args.format == RopaFormat::Xlsx && to_stdout && std::io::stdout().is_terminal() {
        eprintln!(
            "error: --format xlsx writes a binary workbook: give -o FILE (e.g. -o transfers.xlsx), or redirect standard output"
        );
        return Ok(EXIT_ERROR);
    }
    let progress = matches!(args.format, RopaFormat::Markdown | RopaFormat::Xlsx);
    let Some((scanned, rules)) = scan_repository(&args.path, &args.common, progress)? else {
        return Ok(EXIT_ERROR);
    };
    let rows = || ropa::rows(&scanned.model, &scanned.evaluation, &rules);
    let bytes = match args.format {
        RopaFormat::Csv => ropa::to_csv(&rows()).into_bytes(),
        RopaFormat::Markdown => ropa::to_markdown(&rows()).into_bytes(),
        RopaFormat::Json => ropa::to_json(&rows()).into_bytes(),
        RopaFormat::Xlsx => xlsx::to_xlsx(&scanned.model, &scanned.evaluation, &rules)
            .map_err(|e| anyhow::anyhow!("cannot write the workbook: {e}"))?,
    };
    write_output_with(&args.common, &mut |out| out.write_all(&bytes))?;
    Ok(EXIT_OK)
}
