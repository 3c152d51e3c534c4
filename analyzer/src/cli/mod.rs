//! Command-line interface (clap, derive style). Exit codes: 0 clean, 1 findings at or above the
//! threshold, 2 borderline could not do its job.

mod diff_cmd;
mod explain;
mod graph_cmd;
mod init_cmd;
mod merge_cmd;
mod ropa_cmd;
mod rules_cmd;
mod scan_cmd;

use borderline::date::Date;
use borderline::evaluate::Evaluation;
use borderline::rules::RuleSet;
use borderline::scan::{Scan, ScanError, ScanOptions, scan_judged_twice, scan_with_policy_from};
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
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(scan_cmd::ScanArgs),
    /// The data map: --format dot|svg|mermaid|json.
    #[command(after_help = GRAPH_EXAMPLES)]
    Graph(graph_cmd::GraphArgs),
    /// The transfer register (Art. 30 record): --format csv|markdown|json|xlsx.
    #[command(after_help = ROPA_EXAMPLES)]
    Ropa(ropa_cmd::RopaArgs),
    /// Explain a rule (`explain transfer-without-safeguard`) or a flow (`explain checkout acme-analytics`).
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(explain::ExplainArgs),
    /// Print the checks and the rule data in force, with versions and dates (--impact: what if a decision fell).
    #[command(after_help = RULES_EXAMPLES)]
    Rules(rules_cmd::RulesArgs),
    /// Write a starter borderline.toml from what a scan discovers.
    #[command(after_help = INIT_EXAMPLES)]
    Init(init_cmd::InitArgs),
    /// Join graph fragments (`graph --format json`) of many repositories into one map.
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(merge_cmd::MergeArgs),
    /// The transfers a change adds, removes or changes, from two graph fragments (before, after).
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(diff_cmd::DiffArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print a man page (roff): borderline's, or one command's (`manpage scan`).
    #[command(after_help = MANPAGE_EXAMPLES)]
    Manpage(ManpageArgs),
}

/// `borderline manpage [COMMAND]`.
#[derive(Debug, Args)]
struct ManpageArgs {
    /// The command whose page to print (default: the page of borderline itself).
    #[arg(value_name = "COMMAND")]
    command: Option<String>,
}

/// Writes the man page of borderline, or of one command as `borderline-COMMAND(1)`, the way git
/// names its commands' pages. No date: the same binary prints the same page.
fn manpage(args: &ManpageArgs) -> i32 {
    use clap::CommandFactory;
    // clap's `help` command prints the help again: it has no page of its own to point to.
    let top = Cli::command().disable_help_subcommand(true);
    let (page, title) = match args.command.as_deref() {
        None => (top, "borderline".to_string()),
        Some(name) => match top.find_subcommand(name).filter(|c| !c.is_hide_set()) {
            Some(command) => (
                command
                    .clone()
                    .name(format!("borderline-{name}"))
                    .bin_name(format!("borderline {name}")),
                format!("borderline-{name}"),
            ),
            None => {
                let names: Vec<String> = top
                    .get_subcommands()
                    .filter(|c| !c.is_hide_set())
                    .map(|c| c.get_name().to_string())
                    .collect();
                eprintln!(
                    "error: no command `{}`; one of: {}",
                    for_log(name),
                    names.join(", ")
                );
                return EXIT_ERROR;
            }
        },
    };
    let man = clap_mangen::Man::new(page)
        .title(title)
        .source(concat!("borderline ", env!("CARGO_PKG_VERSION")))
        .manual("borderline manual");
    let mut out = std::io::stdout().lock();
    match man.render(&mut out).and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(_) => EXIT_ERROR,
    }
}

/// `borderline completions SHELL`.
#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell the script is for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Writes the completion script of `shell` for every command and option to standard output.
fn completions(args: &CompletionsArgs) -> i32 {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "borderline", &mut out);
    match out.flush() {
        Ok(()) => EXIT_OK,
        Err(_) => EXIT_ERROR,
    }
}

// The examples at the end of each command's `--help`. Each line `  borderline ...` is a command
// that works in the demo repository (`fixtures/demo`), in the order given: a test runs them all.
const SCAN_EXAMPLES: &str = "Examples:
  borderline scan services/checkout --format sarif -o checkout.sarif   # one part, judged by the borderline.toml above it
  borderline scan --write-baseline borderline-baseline.json   # accept today's findings
  borderline scan --baseline borderline-baseline.json    # then fail only on new ones (known ones on one line)";
const GRAPH_EXAMPLES: &str = "Examples:
  borderline graph --format mermaid --transfers-only     # what leads abroad, a diagram GitHub renders
  borderline graph --format svg --focus checkout -o checkout.svg   # one service and its partners (needs Graphviz)
  borderline graph --format json -o shop.json            # a fragment for borderline merge";
const ROPA_EXAMPLES: &str = "Examples:
  borderline ropa                                        # CSV on standard output
  borderline ropa --format markdown -o transfers.md      # a table for the records of processing
  borderline ropa --format xlsx -o transfers.xlsx        # a workbook: transfers, recipients, findings";
const EXPLAIN_EXAMPLES: &str = "Examples:
  borderline explain transfer-without-safeguard          # what the rule means and how to fix it
  borderline explain storefront clicklens                # why the flow from storefront to clicklens is (not) lawful
  borderline explain 'storefront->clicklens' --path .    # the same, quoted (unquoted, the shell reads > as a redirection)";
const RULES_EXAMPLES: &str = "Examples:
  borderline rules                                       # checks, rule data and adequacy decisions in force today
  borderline rules --date 2026-01-01 --format json       # as they stood on a date
  borderline rules --impact eu-us-dpf                    # what if the DPF fell: the transfers resting on it and what each keeps";
const INIT_EXAMPLES: &str = "Examples:
  borderline init                                        # write ./borderline.toml from what a scan finds
  borderline init -o -                                   # print the starter manifest instead of writing it
  borderline init -o borderline.starter.toml             # write it elsewhere, next to an existing one";
const DIFF_EXAMPLES: &str = "Examples:
  borderline graph --format json -o base.json            # on the base branch: the map before the change
  borderline graph --format json -o head.json            # on the pull request's branch: the map after it
  borderline diff base.json head.json --format markdown  # transfers added, removed and changed, for a PR comment";
const COMPLETIONS_EXAMPLES: &str = "Examples:
  borderline completions bash                            # source it, or save it as ~/.local/share/bash-completion/completions/borderline
  borderline completions zsh                             # save it as _borderline in a directory of $fpath";
const MANPAGE_EXAMPLES: &str = "Examples:
  borderline manpage | man -l -                          # read it now
  borderline manpage scan                                # the page of one command, borderline-scan(1)";
const MERGE_EXAMPLES: &str = "Examples:
  borderline graph --format json -o shop.json            # in each repository: one fragment
  borderline merge shop.json                             # findings, each flow judged under its repository's policy
  borderline merge shop.json --format mermaid            # one map of all of them";

/// The options of the commands, as the run code reads them. Each command is offered only the
/// groups it uses ([`RepoOptions`] or [`RuleDataOptions`]); what a command is not offered keeps
/// its default here, so `borderline rules --policy-from x` is a usage error (exit 2), never an
/// option silently ignored.
#[derive(Debug, Clone, Default)]
pub struct CommonArgs {
    /// The manifest (default: PATH/borderline.toml, else the nearest one above PATH within the
    /// repository).
    pub config: Option<PathBuf>,
    /// Rule data that overrides or extends the built-in data (files named as in rules/).
    pub rules: Option<PathBuf>,
    /// Evaluation date: validity of adequacy decisions, contracts and waivers depends on it.
    pub date: Option<Date>,
    /// Write the output to FILE instead of standard output (`-`: standard output).
    pub output: Option<PathBuf>,
    /// Worker threads for extraction (default: one per core). Output does not depend on it.
    pub jobs: Option<usize>,
    /// Reuse extraction results of earlier runs from DIR. Output does not depend on it.
    pub cache: Option<PathBuf>,
    /// Print nothing on standard error except errors.
    pub quiet: bool,
    /// Judge by the `[policy]`, waivers and `--baseline` of this commit.
    pub policy_from: Option<String>,
    /// Terraform or OpenTofu plans as JSON, read with the repository.
    pub terraform_plan: Vec<PathBuf>,
    /// Deployment variants to evaluate (`--variant`); empty: the manifest's, else all found.
    pub variant: Vec<String>,
    /// Rendered Kubernetes manifests (`helm template`, `kustomize build`), read with the repository.
    pub rendered: Vec<PathBuf>,
    /// Adequacy decisions to treat as annulled on the evaluation date (a hypothetical run).
    pub assume_invalid: Vec<String>,
    /// Adequacy decisions to treat as in force on the evaluation date (a hypothetical run).
    pub assume_valid: Vec<String>,
}

/// Options of every command: the rule data, the evaluation date, the output file.
#[derive(Debug, Args, Clone, Default)]
pub struct RuleDataArgs {
    /// Rule data that overrides or extends the built-in data (files named as in rules/).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Evaluation date: validity of adequacy decisions, contracts and waivers depends on it.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub date: Option<Date>,
    /// Write the output to FILE instead of standard output (`-o -`: standard output).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Options of the commands that scan a repository (`scan`, `graph`, `ropa`, `explain`, `init`).
#[derive(Debug, Args, Clone, Default)]
pub struct RepoArgs {
    /// The manifest (default: PATH/borderline.toml, else the nearest borderline.toml above PATH,
    /// up to the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads for extraction (default: one per core). Output does not depend on it.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Reuse extraction results of earlier runs from DIR (created if missing). Output does not depend on it.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Print nothing on standard error except errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Judge by the `[policy]`, waivers and `--baseline` of this commit (e.g. `origin/main`), read
    /// from the git object database; the working tree's changes to them are `policy-changed` findings.
    #[arg(long, value_name = "REF")]
    pub policy_from: Option<String>,
    /// A Terraform or OpenTofu plan as JSON (`terraform show -json plan.out > plan.json`), read
    /// with the repository: its resolved regions win over the `.tf` files of its root. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub terraform_plan: Vec<PathBuf>,
    /// Evaluate only this deployment variant (the name findings show after `in:`); repeatable,
    /// replaces `[scan] variants`. Default: every variant found.
    #[arg(long, value_name = "NAME")]
    pub variant: Vec<String>,
    /// Kubernetes manifests as `helm template` or `kustomize build` wrote them (`out.yaml`,
    /// inside the repository or not), read with the repository: the way to cover a chart whose
    /// templates compute the values. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub rendered: Vec<PathBuf>,
    /// What if: judge as if this adequacy decision (an id `borderline rules` lists, e.g.
    /// `eu-us-dpf`) were annulled on the evaluation date; transfers that relied on it need
    /// another basis. Repeatable. Every report then says the run is hypothetical.
    #[arg(long, value_name = "DECISION")]
    pub assume_invalid: Vec<String>,
    /// What if: judge as if this adequacy decision were in force on the evaluation date (one
    /// that expired or is not yet adopted); its scope conditions still apply. Repeatable.
    #[arg(long, value_name = "DECISION")]
    pub assume_valid: Vec<String>,
}

/// The options a command takes, parsed by clap as the groups `REPO` selects and read by the run
/// code as [`CommonArgs`] (through `Deref`).
#[derive(Debug, Clone, Default)]
pub struct Options<const REPO: bool> {
    common: CommonArgs,
}

/// Options of the commands that scan a repository.
pub type RepoOptions = Options<true>;
/// Options of the commands that read rule data only (`rules`, `merge`).
pub type RuleDataOptions = Options<false>;

impl<const REPO: bool> std::ops::Deref for Options<REPO> {
    type Target = CommonArgs;
    fn deref(&self) -> &CommonArgs {
        &self.common
    }
}

impl<const REPO: bool> clap::FromArgMatches for Options<REPO> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let data = RuleDataArgs::from_arg_matches(matches)?;
        let repo = if REPO {
            RepoArgs::from_arg_matches(matches)?
        } else {
            RepoArgs::default()
        };
        Ok(Options {
            common: CommonArgs {
                config: repo.config,
                rules: data.rules,
                date: data.date,
                output: data.output,
                jobs: repo.jobs,
                cache: repo.cache,
                quiet: repo.quiet,
                policy_from: repo.policy_from,
                terraform_plan: repo.terraform_plan,
                variant: repo.variant,
                rendered: repo.rendered,
                assume_invalid: repo.assume_invalid,
                assume_valid: repo.assume_valid,
            },
        })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<const REPO: bool> Args for Options<REPO> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let cmd = RuleDataArgs::augment_args(cmd);
        if REPO {
            RepoArgs::augment_args(cmd)
        } else {
            cmd
        }
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// The options of `borderline rules`: the rule-data options, and the repository options, which
/// only `--impact` uses (given without it they are a usage error, as for the other commands that
/// do not use them).
#[derive(Debug, Clone, Default)]
pub struct RulesOptions(RepoOptions);

impl std::ops::Deref for RulesOptions {
    type Target = CommonArgs;
    fn deref(&self) -> &CommonArgs {
        &self.0
    }
}

impl clap::FromArgMatches for RulesOptions {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        RepoOptions::from_arg_matches(matches).map(RulesOptions)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for RulesOptions {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let repository: Vec<clap::Id> = RepoArgs::augment_args(clap::Command::default())
            .get_arguments()
            .map(|arg| arg.get_id().clone())
            .collect();
        let mut cmd = RepoOptions::augment_args(cmd);
        for id in repository {
            cmd = cmd.mut_arg(id, |arg| arg.requires("impact"));
        }
        cmd
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
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
        Command::Diff(args) => diff_cmd::run(args),
        Command::Completions(args) => Ok(completions(&args)),
        Command::Manpage(args) => Ok(manpage(&args)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", for_log(&format!("{error:#}")));
            EXIT_ERROR
        }
    }
}

/// Loads rule data (built-in, merged with `--rules DIR`), with every error at file:line:col, and
/// the run's `--assume-invalid`/`--assume-valid` applied to it.
pub fn load_rules(common: &CommonArgs) -> anyhow::Result<RuleSet> {
    let rules = RuleSet::load(common.rules.as_deref()).map_err(|errors| {
        let listed = errors
            .iter()
            .map(|e| format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message))
            .collect::<Vec<_>>()
            .join("\n");
        anyhow::anyhow!("invalid rule data:\n{listed}")
    })?;
    rules
        .assuming(&common.assume_invalid, &common.assume_valid)
        .map_err(|e| anyhow::anyhow!("{e}"))
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
    match common.output.as_deref().filter(|path| !is_stdout(path)) {
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

/// `-o -` is standard output, as for most command-line tools (never a file named `-`).
pub fn is_stdout(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
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
    common.output.as_deref().is_none_or(is_stdout)
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
    let rules = load_rules(common)?;
    Ok(scan_loaded(path, common, progress, baseline, &rules, None)?.map(|(scan, _)| (scan, rules)))
}

/// Scans PATH under `rules`, already loaded, and judges what it found again under `other` when it
/// is given (`borderline rules --impact`): one extraction, two evaluations. `Ok(None)` as for
/// [`scan_repository`].
pub fn scan_loaded(
    path: &std::path::Path,
    common: &CommonArgs,
    progress: bool,
    baseline: Option<&std::path::Path>,
    rules: &RuleSet,
    other: Option<&RuleSet>,
) -> anyhow::Result<Option<(Scan, Option<Evaluation>)>> {
    let _ = SCANNED_ROOT.set(borderline::safe_io::absolute(path));
    // Every command's output of a hypothetical run is hypothetical: the reports say so, and so
    // does standard error, for the outputs that have no place to say it (CSV, DOT).
    if let Some(line) = borderline::rules::hypothetical_line(&rules.hypotheses())
        && !common.quiet
    {
        eprintln!("warning: {}", for_log(&line));
    }
    let options = ScanOptions {
        root: path.to_path_buf(),
        config: common.config.clone(),
        date: common.date.unwrap_or_else(Date::today),
        cache: common.cache.clone(),
        terraform_plans: common.terraform_plan.clone(),
        variants: common.variant.clone(),
        rendered: common.rendered.clone(),
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
    let result = match other {
        Some(other) => scan_judged_twice(&options, rules, policy_from.as_ref(), other)
            .map(|(scan, evaluation)| (scan, Some(evaluation))),
        None => {
            scan_with_policy_from(&options, rules, policy_from.as_ref()).map(|scan| (scan, None))
        }
    };
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    match result {
        Ok((scanned, other)) => {
            // The manifest that applies is not where the user looked (PATH/borderline.toml): say
            // which one, so a policy that fails the run is never a surprise.
            if let Some(manifest) = scanned.manifest_above.as_deref().filter(|_| !common.quiet) {
                eprintln!(
                    "using the manifest {} (found above {}; paths are relative to its directory)",
                    for_log(&from_current_dir(manifest).display().to_string()),
                    for_log(&path.display().to_string())
                );
            }
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
            Ok(Some((scanned, other)))
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

/// `path` (absolute) as the user would type it from the working directory: `../../borderline.toml`
/// rather than where the checkout is, when both are on the same file system tree.
fn from_current_dir(path: &std::path::Path) -> PathBuf {
    let Ok(current) = std::env::current_dir().and_then(std::fs::canonicalize) else {
        return path.to_path_buf();
    };
    let common = current
        .components()
        .zip(path.components())
        .take_while(|(a, b)| a == b)
        .count();
    // Only the file system root in common: the absolute path says it better.
    if common <= 1 {
        return path.to_path_buf();
    }
    let mut shown = PathBuf::new();
    for _ in current.components().skip(common) {
        shown.push("..");
    }
    for component in path.components().skip(common) {
        shown.push(component);
    }
    shown
}
