//! `borderline scan`: findings, and the exit code that gates CI.

use super::{
    EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, RepoOptions, for_log, scan_repository_with_baseline,
    use_color, write_file, write_output_with,
};
use borderline::baseline::Baseline;
use borderline::facts::Severity;
use borderline::merge::Fragment;
use borderline::model::fragment::GraphView;
use borderline::report;
use borderline::report::transfer_diff::TransferDiff;
use clap::{Args, ValueEnum};
use std::io::Write;
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
    /// GitLab Code Quality JSON (`artifacts:reports:codequality`).
    Gitlab,
    /// GitHub Actions workflow commands: annotations without SARIF.
    Github,
    /// JUnit XML for CI test reports: a suite a rule, a case a finding.
    Junit,
    /// One self-contained HTML page: summary, map, findings with filters, register, explanations.
    Html,
}

/// `--report FORMAT=FILE`: another output of the same scan, written to a file.
fn parse_report(value: &str) -> Result<(ScanFormat, PathBuf), String> {
    let Some((format, file)) = value.split_once('=') else {
        return Err(format!(
            "expected FORMAT=FILE, such as sarif=borderline.sarif, not `{value}`"
        ));
    };
    let format = ScanFormat::from_str(format, true).map_err(|_| {
        let names: Vec<String> = ScanFormat::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        format!("unknown format `{format}`; one of: {}", names.join(", "))
    })?;
    if file.is_empty() || file == "-" {
        return Err(format!(
            "`{value}`: --report writes a file (standard output is --format's)"
        ));
    }
    Ok((format, PathBuf::from(file)))
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
    /// Also write FORMAT to FILE, from the same scan (repeatable): e.g. `--report
    /// sarif=borderline.sarif --report markdown=summary.md` beside the text on the terminal.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub report: Vec<(ScanFormat, PathBuf)>,
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
    /// The base branch's map (`graph --format json`): the text, JSON and Markdown reports add
    /// the transfers this tree adds, removes or changes. The exit code does not depend on it.
    #[arg(long, value_name = "FILE")]
    pub baseline_graph: Option<PathBuf>,
    #[command(flatten)]
    pub common: RepoOptions,
}

pub fn run(args: ScanArgs) -> anyhow::Result<i32> {
    // A baseline has no place to say that its findings are hypothetical: written from a run that
    // assumes the DPF annulled, it would later mark that very finding as known when it is real.
    if args.write_baseline.is_some()
        && !(args.common.assume_invalid.is_empty() && args.common.assume_valid.is_empty())
    {
        anyhow::bail!(
            "--write-baseline records findings as known for later runs, which would take hypothetical verdicts as real: run it without --assume-invalid/--assume-valid"
        );
    }
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
    // The base branch's map, read before scanning for the same reason.
    let base_graph = match &args.baseline_graph {
        None => None,
        Some(path) => match Fragment::read(path) {
            Ok(fragment) => Some(fragment),
            Err(e) => {
                eprintln!("error: {}", for_log(&e.to_string()));
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
    let model = &scanned.model;
    let threshold = match args.fail_on {
        Some(FailOn::Error) => Some(Severity::Error),
        Some(FailOn::Warning) => Some(Severity::Warning),
        Some(FailOn::Note) => Some(Severity::Note),
        Some(FailOn::Never) => None,
        None => model.policy.fail_on,
    };
    let transfer_diff = base_graph.map(|base| {
        let view = GraphView::build(model, &scanned.evaluation, &rules);
        TransferDiff::between(
            &base.source,
            &base.view,
            &args.path.display().to_string(),
            &view,
        )
    });
    if let Some(warning) = transfer_diff
        .as_ref()
        .and_then(TransferDiff::project_mismatch)
        .filter(|_| !args.common.quiet)
    {
        eprintln!("warning: {}", for_log(&warning));
    }
    let report = Report {
        args: &args,
        scanned: &scanned,
        rules: &rules,
        baseline: baseline.is_some(),
        threshold,
        transfer_diff: transfer_diff.as_ref(),
    };
    let color = use_color(&args.common);
    write_output_with(&args.common, &mut |out| {
        report.write(args.format, color, out)
    })?;
    for (format, path) in &args.report {
        write_file(path, &mut |out| report.write(*format, false, out))?;
    }
    let evaluation = &scanned.evaluation;
    let failing = threshold.is_some_and(|threshold| {
        evaluation
            .findings
            .iter()
            .any(|f| !f.known && f.severity >= threshold)
    });
    Ok(if failing { EXIT_FINDINGS } else { EXIT_OK })
}

/// One scan, rendered in any format: the main output and each `--report` are written from it.
struct Report<'a> {
    args: &'a ScanArgs,
    scanned: &'a borderline::scan::Scan,
    rules: &'a borderline::rules::RuleSet,
    baseline: bool,
    threshold: Option<Severity>,
    /// The transfers changed since `--baseline-graph`'s map.
    transfer_diff: Option<&'a TransferDiff>,
}

impl Report<'_> {
    fn write(&self, format: ScanFormat, color: bool, out: &mut dyn Write) -> std::io::Result<()> {
        let (scanned, rules) = (self.scanned, self.rules);
        let (model, evaluation) = (&scanned.model, &scanned.evaluation);
        let text = match format {
            // JSON is written as it is serialised: it is the largest report.
            ScanFormat::Json => {
                return report::json::write_with_diff(
                    out,
                    model,
                    evaluation,
                    rules,
                    &scanned.skipped,
                    &evaluated_variants(scanned),
                    self.transfer_diff,
                );
            }
            ScanFormat::Text => {
                let mut text = text_report(self.args, scanned, color);
                // What the change does to transfers, last: after the findings that gate the run.
                if let Some(diff) = self.transfer_diff {
                    text.push('\n');
                    text.push_str(&diff.to_text());
                }
                text
            }
            ScanFormat::Sarif => report::sarif::render(model, evaluation, self.baseline),
            ScanFormat::Markdown => {
                let mut text = report::markdown::render_with_diff(
                    model,
                    evaluation,
                    rules,
                    self.transfer_diff,
                );
                // The directories the walk did not enter, last, as in the text report.
                if let Some(line) = report::text::skipped_line(&scanned.skipped) {
                    text.push('\n');
                    text.push_str(&report::neutral::markdown_cell(&line));
                    text.push('\n');
                }
                text
            }
            ScanFormat::Gitlab => report::gitlab::render(model, evaluation),
            ScanFormat::Github => report::github::render(model, evaluation),
            ScanFormat::Junit => report::junit::render(model, evaluation, self.threshold),
            ScanFormat::Html => html_report(self.args, scanned, rules),
        };
        out.write_all(text.as_bytes())
    }
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

/// The HTML page, named after the scanned directory when the manifest names no project, with the
/// directories the walk did not enter in its summary.
fn html_report(
    args: &ScanArgs,
    scanned: &borderline::scan::Scan,
    rules: &borderline::rules::RuleSet,
) -> String {
    let directory = borderline::safe_io::absolute(&args.path);
    let fallback_name = directory
        .file_name()
        .map(|name| name.to_string_lossy().into_owned());
    let notes: Vec<String> = report::text::skipped_line(&scanned.skipped)
        .into_iter()
        .collect();
    let context = report::html::PageContext {
        fallback_name: fallback_name.as_deref(),
        notes: &notes,
    };
    report::html::render(&scanned.model, &scanned.evaluation, rules, context)
}

fn text_report(args: &ScanArgs, scanned: &borderline::scan::Scan, color: bool) -> String {
    let (model, evaluation) = (&scanned.model, &scanned.evaluation);
    // A hypothetical run says so first and last, so that neither end of the report is mistaken
    // for the real verdicts.
    let hypothetical = report::text::hypothetical_line(&evaluation.hypotheses);
    let mut text = hypothetical
        .as_ref()
        .map(|line| format!("{line}\n\n"))
        .unwrap_or_default();
    text.push_str(&report::text::render_with(
        &model.files,
        &evaluation.findings,
        evaluation.waived.len(),
        color,
        args.show_known,
    ));
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
    if let Some(line) = hypothetical {
        text.push_str(&line);
        text.push('\n');
    }
    text
}
