//! `borderline scan`: findings, and the exit code that gates CI.

use super::{
    EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, RepoOptions, for_log, scan_repository_with_baseline,
    use_color, write_file, write_output, write_output_with,
};
use borderline::baseline::Baseline;
use borderline::facts::Severity;
use borderline::report;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    /// rustc-style diagnostics.
    Text,
    /// Findings, nodes and flows as JSON.
    Json,
    /// SARIF 2.1.0 for code scanning (GitHub `upload-sarif`).
    Sarif,
    /// A pull-request comment: counts, a table of findings, a Mermaid diagram.
    Markdown,
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
    /// Findings whose fingerprints this baseline lists are reported as known and do not fail.
    /// With `--policy-from REF`, the file is read as it is at REF.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the fingerprints of the current findings to FILE (a baseline for later runs).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// With --baseline, print known findings in full in the text report (default: one line each).
    #[arg(long)]
    pub show_known: bool,
    #[command(flatten)]
    pub common: RepoOptions,
}

pub fn run(args: ScanArgs) -> anyhow::Result<i32> {
    // The baseline is read before scanning: a missing or corrupt file is a usage error (exit 2),
    // and it would be a waste to scan a large repository first.
    // With `--policy-from`, the baseline is read at REF during the scan instead.
    let governed = args.common.policy_from.is_some();
    let baseline = match &args.baseline {
        None => None,
        Some(_) if governed => None,
        Some(path) => match read_baseline(path, &args.path) {
            Ok(baseline) => Some(baseline),
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(EXIT_ERROR);
            }
        },
    };
    // Progress only for formats a person reads on a terminal; machine formats stay quiet.
    let progress = matches!(args.format, ScanFormat::Text | ScanFormat::Markdown);
    let governed_baseline = args.baseline.as_deref().filter(|_| governed);
    let Some((mut scanned, rules)) =
        scan_repository_with_baseline(&args.path, &args.common, progress, governed_baseline)?
    else {
        return Ok(EXIT_ERROR);
    };
    let baseline = baseline.or_else(|| scanned.governing_baseline.take());
    if let Some(baseline) = &baseline {
        baseline.apply(&mut scanned.evaluation.findings);
    }
    if let Some(path) = &args.write_baseline {
        let json = Baseline::of(&scanned.evaluation.findings).to_json();
        write_file(path, &mut |out| out.write_all(json.as_bytes()))?;
    }
    let (model, evaluation) = (&scanned.model, &scanned.evaluation);
    let text = match args.format {
        // JSON is written as it is serialised: it is the largest report.
        ScanFormat::Json => {
            write_output_with(&args.common, &mut |out| {
                report::json::write_with_variants(
                    out,
                    model,
                    evaluation,
                    &rules,
                    &scanned.skipped,
                    &evaluated_variants(&scanned),
                )
            })?;
            None
        }
        ScanFormat::Text => Some(text_report(&args, &scanned)),
        ScanFormat::Sarif => Some(report::sarif::render(model, evaluation, baseline.is_some())),
        ScanFormat::Markdown => {
            let mut text = report::markdown::render(model, evaluation, &rules);
            // The directories the walk did not enter, last, as in the text report.
            if let Some(line) = report::text::skipped_line(&scanned.skipped) {
                text.push('\n');
                text.push_str(&report::neutral::markdown_cell(&line));
                text.push('\n');
            }
            Some(text)
        }
    };
    if let Some(text) = text {
        write_output(&args.common, &text)?;
    }
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

/// Reads and parses the baseline at `path`, or says why it cannot, as the error line shows it.
fn read_baseline(path: &std::path::Path, scanned: &std::path::Path) -> Result<Baseline, String> {
    // The baseline usually lives in the checkout a pull request controls: no symlink is
    // followed, only a regular file is read, and its size is capped.
    let current = std::env::current_dir().unwrap_or_default();
    let root = borderline::safe_io::absolute(scanned);
    let text = match borderline::safe_io::read_text(
        path,
        &[current.as_path(), root.as_path()],
        borderline::safe_io::MAX_SIDE_FILE_BYTES,
    ) {
        Ok(text) => text,
        Err(e) => {
            return Err(format!(
                "cannot read the baseline {}",
                for_log(&e.to_string())
            ));
        }
    };
    Baseline::parse(&text).map_err(|e| for_log(&format!("{}: {e}", path.display())))
}

/// The text report: the findings and summary, then what was judged, the directories the walk
/// did not enter and the waived findings.
/// The variants the scan judged (all found, or those `[scan] variants` / `--variant` chose), each
/// with the files that make it.
fn evaluated_variants(scanned: &borderline::scan::Scan) -> Vec<borderline::facts::Variant> {
    scanned
        .variants
        .iter()
        .filter(|v| scanned.evaluated_variants.contains(&v.name))
        .cloned()
        .collect()
}

fn text_report(args: &ScanArgs, scanned: &borderline::scan::Scan) -> String {
    let (model, evaluation) = (&scanned.model, &scanned.evaluation);
    let mut text = report::text::render_with(
        &model.files,
        &evaluation.findings,
        evaluation.waived.len(),
        use_color(&args.common),
        args.show_known,
    );
    // What was judged (adequate transfers are no finding) and the directories the walk did
    // not enter follow the summary line.
    if let Some(line) = report::text::transfers_line(&evaluation.transfers) {
        text.push_str(&line);
        text.push('\n');
    }
    if let Some(line) = report::text::found_variants_line(&evaluated_variants(scanned)) {
        text.push_str(&line);
        text.push('\n');
    }
    if let Some(line) = report::text::skipped_line(&scanned.skipped) {
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str(&report::text::waived_lines(
        &model.files,
        &evaluation.waived,
    ));
    text
}
