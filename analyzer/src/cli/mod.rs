//! Command-line interface (clap, derive style). Exit codes: 0 clean, 1 findings at or above the
//! threshold, 2 borderline could not do its job.

mod explain;
mod graph_cmd;
mod init_cmd;
mod merge_cmd;
mod ropa_cmd;
mod rules_cmd;
mod scan_cmd;

use borderline::date::Date;
use borderline::rules::RuleSet;
use borderline::scan::{Scan, ScanError, ScanOptions, scan_with_policy_from};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Exit code when nothing is at or above the threshold.
pub const EXIT_OK: i32 = 0;
/// Exit code when findings are at or above the threshold.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code when borderline could not do its job.
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "borderline",
    version,
    about = "Maps where personal data is stored and flows, and stops GDPR Chapter V transfers without a safeguard",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan a repository and report findings; the exit code gates CI.
    Scan(scan_cmd::ScanArgs),
    /// The data map: --format dot|svg|mermaid|json.
    Graph(graph_cmd::GraphArgs),
    /// The transfer register (Art. 30 record): --format csv|markdown|json.
    Ropa(ropa_cmd::RopaArgs),
    /// Explain a rule (`explain transfer-without-safeguard`) or a flow (`explain checkout->acme-analytics`).
    Explain(explain::ExplainArgs),
    /// Print the checks and the rule data in force, with versions and dates.
    Rules(rules_cmd::RulesArgs),
    /// Write a starter borderline.toml from what a scan discovers.
    Init(init_cmd::InitArgs),
    /// Join graph fragments (`graph --format json`) of many repositories into one map.
    Merge(merge_cmd::MergeArgs),
}

/// Options every command that reads a repository or rule data takes.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// The manifest (default: PATH/borderline.toml, if it exists).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Rule data that overrides or extends the built-in data (files named as in rules/).
    #[arg(long, value_name = "DIR", global = true)]
    pub rules: Option<PathBuf>,
    /// Evaluation date: validity of adequacy decisions, contracts and waivers depends on it.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, global = true)]
    pub date: Option<Date>,
    /// Write the output to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,
    /// Worker threads for extraction (default: one per core). Output does not depend on it.
    #[arg(long, value_name = "N", global = true)]
    pub jobs: Option<usize>,
    /// Reuse extraction results of earlier runs from DIR (created if missing). Output does not depend on it.
    #[arg(long, value_name = "DIR", global = true)]
    pub cache: Option<PathBuf>,
    /// Print nothing on standard error except errors.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// Judge by the `[policy]`, waivers and `--baseline` of this commit (e.g. `origin/main`), read
    /// from the git object database; the working tree's changes to them are `policy-changed` findings.
    #[arg(long, value_name = "REF", global = true)]
    pub policy_from: Option<String>,
    /// A Terraform or OpenTofu plan as JSON (`terraform show -json plan.out > plan.json`), read
    /// with the repository: its resolved regions win over the `.tf` files of its root. Repeatable.
    #[arg(long, value_name = "FILE", global = true)]
    pub terraform_plan: Vec<PathBuf>,
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text).map_err(|e| e.to_string())
}

/// Runs the command line and returns the exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_OK
            };
        }
    };
    let result = match cli.command {
        Command::Scan(args) => scan_cmd::run(args),
        Command::Graph(args) => graph_cmd::run(args),
        Command::Ropa(args) => ropa_cmd::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Init(args) => init_cmd::run(args),
        Command::Merge(args) => merge_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", for_log(&format!("{error:#}")));
            EXIT_ERROR
        }
    }
}

/// Loads rule data (built-in, merged with `--rules DIR`), with every error at file:line:col.
pub fn load_rules(common: &CommonArgs) -> anyhow::Result<RuleSet> {
    RuleSet::load(common.rules.as_deref()).map_err(|errors| {
        let listed = errors
            .iter()
            .map(|e| format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message))
            .collect::<Vec<_>>()
            .join("\n");
        anyhow::anyhow!("invalid rule data:\n{listed}")
    })
}

/// `--jobs` is never more than this many threads, or the number of CPUs when that is larger:
/// each worker holds a read buffer and a stack, and more threads than CPUs only cost memory.
pub const MAX_JOBS_FLOOR: usize = 64;

fn max_jobs() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .max(MAX_JOBS_FLOOR)
}

/// Sets the size of the worker pool once.
pub fn configure_jobs(common: &CommonArgs) -> anyhow::Result<()> {
    if let Some(jobs) = common.jobs {
        let most = max_jobs();
        if jobs == 0 || jobs > most {
            anyhow::bail!(
                "--jobs must be between 1 and {most} (the larger of {MAX_JOBS_FLOOR} and the number of CPUs)"
            );
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot start {jobs} worker threads: {e}"))?;
    }
    Ok(())
}

/// Writes output to `-o FILE` or standard output.
pub fn write_output(common: &CommonArgs, text: &str) -> anyhow::Result<()> {
    write_output_with(common, &mut |out| out.write_all(text.as_bytes()))
}

/// Writes a report to `--output` or standard output as `write` produces it.
pub fn write_output_with(
    common: &CommonArgs,
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match &common.output {
        Some(path) => write_file(path, write),
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`borderline scan | head`) is not an error worth a message.
            match write(&mut stdout).and_then(|_| stdout.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {e}")),
            }
        }
    }
}

/// The repository being scanned, once known: output files inside it are written with the same
/// care as those relative to the working directory (see [`write_file`]).
static SCANNED_ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Writes a file borderline produces (`-o`, `--write-baseline`). The documented CI recipe writes
/// reports inside the checkout, where a pull request decides what is at that path: a symlink there
/// (or on the way there) is never followed and something that is not a regular file is never
/// replaced (exit 2 with the reason). The file is written beside the target and renamed over it,
/// so a failed write leaves no half file.
pub fn write_file(
    path: &std::path::Path,
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let current = std::env::current_dir().unwrap_or_default();
    let mut within: Vec<&std::path::Path> = vec![&current];
    if let Some(root) = SCANNED_ROOT.get() {
        within.push(root);
    }
    borderline::safe_io::write_atomically(path, &within, write)
        .map_err(|e| anyhow::anyhow!("cannot write {}", for_log(&e.to_string())))
}

/// Text from the repository (or naming its files) on standard error, which CI logs keep:
/// no terminal controls, and no line that starts with `::` (GitHub runs it as a workflow command).
pub fn for_log(text: &str) -> String {
    borderline::report::neutral::terminal_output(text)
}

/// Colour only on a terminal, never with `NO_COLOR` or when writing to a file.
pub fn use_color(common: &CommonArgs) -> bool {
    common.output.is_none()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

/// Colour on standard error (for warnings) follows the same rule, on stderr's terminal.
pub fn stderr_is_interactive(common: &CommonArgs) -> bool {
    !common.quiet && std::io::stderr().is_terminal()
}

/// Scans PATH with the common options. `Ok(None)` means the manifest was invalid: its problems are
/// already printed and the caller exits 2. A spinner runs on stderr while `progress` is set.
pub fn scan_repository(
    path: &std::path::Path,
    common: &CommonArgs,
    progress: bool,
) -> anyhow::Result<Option<(Scan, RuleSet)>> {
    scan_repository_with_baseline(path, common, progress, None)
}

/// [`scan_repository`] for `scan`, whose `--baseline` is read at `--policy-from`'s REF when both
/// are given.
pub fn scan_repository_with_baseline(
    path: &std::path::Path,
    common: &CommonArgs,
    progress: bool,
    baseline: Option<&std::path::Path>,
) -> anyhow::Result<Option<(Scan, RuleSet)>> {
    configure_jobs(common)?;
    let _ = SCANNED_ROOT.set(borderline::safe_io::absolute(path));
    let rules = load_rules(common)?;
    let options = ScanOptions {
        root: path.to_path_buf(),
        config: common.config.clone(),
        date: common.date.unwrap_or_else(Date::today),
        cache: common.cache.clone(),
        terraform_plans: common.terraform_plan.clone(),
    };
    // A spinner, not a bar: the pipeline does not report partial progress, and a terminal user
    // waiting on a large monorepo mostly needs to know it has not hung.
    let spinner = (progress && stderr_is_interactive(common)).then(|| {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        spinner.set_message(format!("scanning {}", path.display()));
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        spinner
    });
    let policy_from =
        common
            .policy_from
            .as_ref()
            .map(|reference| borderline::policy_from::PolicyFrom {
                reference: reference.clone(),
                baseline: baseline.map(std::path::Path::to_path_buf),
            });
    let result = scan_with_policy_from(&options, &rules, policy_from.as_ref());
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    match result {
        Ok(scanned) => {
            if let Some(stats) = scanned.cache.filter(|_| !common.quiet) {
                let dir = common.cache.as_deref().unwrap_or(path);
                let mut note = format!(
                    "cache: {} hit{}, {} miss{} in {}",
                    stats.hits,
                    if stats.hits == 1 { "" } else { "s" },
                    stats.misses,
                    if stats.misses == 1 { "" } else { "es" },
                    dir.display()
                );
                if stats.write_errors > 0 {
                    note.push_str(&format!(
                        " ({} entr{} could not be written)",
                        stats.write_errors,
                        if stats.write_errors == 1 { "y" } else { "ies" }
                    ));
                }
                eprintln!("{note}");
            }
            Ok(Some((scanned, rules)))
        }
        Err(ScanError::Manifest(errors)) => {
            for error in &errors {
                eprintln!("error: {}", for_log(&error.to_string()));
            }
            eprintln!(
                "error: {} problem{} in the manifest; nothing was scanned",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}
