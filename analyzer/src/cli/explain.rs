//! `borderline explain RULE`: the rule's documentation. `borderline explain FROM TO` (or the
//! quoted `'FROM->TO'`): why a flow is (not) lawful, from a scan of `--path` (default `.`).

use super::{EXIT_ERROR, EXIT_OK, RepoOptions, scan_repository, write_output};
use borderline::report::flow_explain::explain_flow;
use borderline::report::neutral;
use borderline::rule::{Rule, UnknownRule};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule name (`transfer-without-safeguard`), a flow's source node (`checkout`, with TO), or
    /// a whole flow quoted (`'checkout->acme-analytics'`).
    pub subject: String,
    /// The flow's destination node: `borderline explain checkout acme-analytics`.
    #[arg(value_name = "TO")]
    pub to: Option<String>,
    /// The repository to scan when explaining a flow.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub common: RepoOptions,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<i32> {
    if let Some(to) = &args.to {
        // `explain checkout->x y` names the flow twice, and differently.
        if args.subject.contains("->") {
            anyhow::bail!(
                "a flow is `FROM TO` or `'FROM->TO'`, not both: `{} {}`",
                neutral::terminal_inline(&args.subject),
                neutral::terminal_inline(to)
            );
        }
        return explain_a_flow(&args, args.subject.trim(), to.trim());
    }
    if let Some((from, to)) = args.subject.split_once("->") {
        return explain_a_flow(&args, from.trim(), to.trim());
    }
    let Ok(rule) = Rule::from_name(args.subject.trim()) else {
        // `borderline explain checkout->x` unquoted: the shell took `>x` as a redirection and
        // left `checkout-` (and wrote a file named `x`).
        let hint = if args.subject.ends_with('-') {
            format!(
                "; for a flow, write `borderline explain {} TO` (unquoted, the shell reads `->TO` \
                 as `-` and a redirection to a file named TO)",
                neutral::terminal_inline(args.subject.trim_end_matches('-'))
            )
        } else {
            String::new()
        };
        // The subject as typed (not trimmed), made safe for the terminal.
        let unknown = UnknownRule {
            name: neutral::terminal_inline(&args.subject),
        };
        anyhow::bail!("{unknown}{hint}");
    };
    let text = format!(
        "{}\n\nDefault severity: {}\n",
        rule.check().documentation(),
        rule.default_severity().as_str()
    );
    write_output(&args.common, &neutral::defuse_workflow_commands(&text))?;
    Ok(EXIT_OK)
}

fn explain_a_flow(args: &ExplainArgs, from: &str, to: &str) -> anyhow::Result<i32> {
    let Some((scanned, rules)) = scan_repository(&args.path, &args.common, false)? else {
        return Ok(EXIT_ERROR);
    };
    // A service's other names (its package's, another deployment's) mean its node.
    let (from, to) = (scanned.model.canonical(from), scanned.model.canonical(to));
    match explain_flow(&scanned.model, &scanned.evaluation, &rules, from, to) {
        Ok(text) => {
            // Names and purposes come from the repository: no terminal control or hidden
            // characters, and no line a CI log would run as a workflow command.
            write_output(&args.common, &neutral::terminal_output(&text))?;
            Ok(EXIT_OK)
        }
        Err(error) => {
            // The ids come from the command line and the did-you-mean from the repository.
            eprintln!("error: {}", neutral::terminal_inline(&error.to_string()));
            Ok(EXIT_ERROR)
        }
    }
}
