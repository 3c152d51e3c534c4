//! `borderline explain RULE`: the rule's documentation. `borderline explain FROM->TO`: why a flow
//! is (not) lawful, from a scan of `--path` (default `.`).

use super::{CommonArgs, EXIT_ERROR, EXIT_OK, scan_repository, write_output};
use borderline::checks::CHECKS;
use borderline::report::flow_explain::explain_flow;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule name (`transfer-without-safeguard`) or a flow (`checkout->acme-analytics`).
    pub subject: String,
    /// The repository to scan when explaining a flow.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<i32> {
    if let Some((from, to)) = args.subject.split_once("->") {
        return explain_a_flow(&args, from.trim(), to.trim());
    }
    let Some(check) = borderline::checks::check(args.subject.trim()) else {
        let known = CHECKS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
        anyhow::bail!("`{}` is not a rule; the rules are: {known}", args.subject);
    };
    let text = format!(
        "{}\n\nDefault severity: {}\n",
        check.documentation(),
        check.default_severity.as_str()
    );
    write_output(&args.common, &text)?;
    Ok(EXIT_OK)
}

fn explain_a_flow(args: &ExplainArgs, from: &str, to: &str) -> anyhow::Result<i32> {
    let Some((scanned, rules)) = scan_repository(&args.path, &args.common, false)? else {
        return Ok(EXIT_ERROR);
    };
    match explain_flow(&scanned.model, &scanned.evaluation, &rules, from, to) {
        Ok(text) => {
            // Names and purposes come from the repository: no terminal control characters.
            write_output(
                &args.common,
                &borderline::report::sanitize_for_terminal(&text),
            )?;
            Ok(EXIT_OK)
        }
        Err(error) => {
            eprintln!("error: {error}");
            Ok(EXIT_ERROR)
        }
    }
}
