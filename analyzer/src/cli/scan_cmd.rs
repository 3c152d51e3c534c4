//! `borderline scan`: findings, and the exit code that gates CI.

use super::{CommonArgs, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, configure_jobs, load_rules, use_color, write_output};
use borderline::date::Date;
use borderline::model::facts::Severity;
use borderline::report;
use borderline::scan::{ScanError, ScanOptions, scan};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    /// rustc-style diagnostics.
    Text,
    /// Findings, nodes and flows as JSON.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The repository to scan.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ScanFormat,
    /// Lowest severity that fails the run (exit 1). Default: the manifest's `policy.fail_on`, else `error`.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(args: ScanArgs) -> anyhow::Result<i32> {
    configure_jobs(&args.common)?;
    let rules = load_rules(&args.common)?;
    let options = ScanOptions {
        root: args.path.clone(),
        config: args.common.config.clone(),
        date: args.common.date.unwrap_or_else(Date::today),
    };
    let scanned = match scan(&options, &rules) {
        Ok(scanned) => scanned,
        Err(ScanError::Manifest(errors)) => {
            for error in &errors {
                eprintln!("error: {error}");
            }
            eprintln!(
                "error: {} problem{} in the manifest; nothing was scanned",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            return Ok(EXIT_ERROR);
        }
        Err(error) => return Err(error.into()),
    };
    let (model, evaluation) = (&scanned.model, &scanned.evaluation);
    let text = match args.format {
        ScanFormat::Text => report::text::render(&model.files, &evaluation.findings, evaluation.waived.len(), use_color(&args.common)),
        ScanFormat::Json => report::json::render(model, evaluation, &rules),
    };
    write_output(&args.common, &text)?;
    let threshold = match args.fail_on {
        Some(FailOn::Error) => Some(Severity::Error),
        Some(FailOn::Warning) => Some(Severity::Warning),
        Some(FailOn::Note) => Some(Severity::Note),
        Some(FailOn::Never) => None,
        None => model.policy.fail_on,
    };
    let failing = threshold.is_some_and(|threshold| {
        evaluation
            .findings
            .iter()
            .any(|f| !f.known && f.severity >= threshold)
    });
    Ok(if failing { EXIT_FINDINGS } else { EXIT_OK })
}
