//! `borderline merge A.json B.json ...`: one map from the graph fragments of many repositories.

use super::graph_cmd::{GraphFormat, render};
use super::{EXIT_ERROR, RuleDataOptions, load_rules};
use borderline::date::Date;
use borderline::merge::{Fragment, merge};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Fragments written by `borderline graph --format json`, one per repository.
    #[arg(required = true, value_name = "FILE")]
    pub fragments: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
    /// Draw only this node and the nodes it exchanges data with.
    #[arg(long, value_name = "NODE")]
    pub focus: Option<String>,
    #[command(flatten)]
    pub common: RuleDataOptions,
}

pub fn run(args: MergeArgs) -> anyhow::Result<i32> {
    let rules = load_rules(&args.common)?;
    let mut fragments = Vec::new();
    for path in &args.fragments {
        match Fragment::read(path) {
            Ok(fragment) => fragments.push(fragment),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(EXIT_ERROR);
            }
        }
    }
    let merged = merge(
        &fragments,
        &rules,
        args.common.date.unwrap_or_else(Date::today),
    );
    for warning in &merged.warnings {
        eprintln!(
            "warning: {}",
            borderline::report::sanitize_for_terminal(warning)
        );
    }
    let view = merged.view(&rules);
    render(view, args.format, args.focus.as_deref(), &args.common)
}
