//! `borderline merge A.json B.json ...`: one map from the graph fragments of many repositories,
//! judged flow by flow under the policy of the repository that declared it (or of `--config`),
//! reported like a scan, with the same exit codes.

use super::graph_cmd::{GraphFormat, MapArgs, render};
use super::scan_cmd::FailOn;
use super::{
    CommonArgs, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, RuleDataOptions, for_log, load_rules, use_color,
};
use super::{write_output, write_output_with};
use borderline::date::Date;
use borderline::facts::Severity;
use borderline::merge::{Fragment, Merged, OrgPolicy, merge};
use borderline::model::fragment::GraphView;
use borderline::report;
use borderline::rules::RuleSet;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MergeFormat {
    /// rustc-style diagnostics, as `scan` prints them.
    Text,
    /// Findings, nodes and flows as JSON, as `scan --format json`.
    Json,
    /// SARIF 2.1.0 for code scanning, as `scan --format sarif`.
    Sarif,
    /// A pull-request comment, as `scan --format markdown`.
    Markdown,
    /// The joined map as Graphviz DOT text.
    Dot,
    /// The joined map as SVG (Graphviz's `dot`).
    Svg,
    /// The joined map as Mermaid.
    Mermaid,
    /// The joined map as graph JSON (`graph --format json`), which `merge` reads again.
    Graph,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Fragments written by `borderline graph --format json`, one per repository.
    #[arg(required = true, value_name = "FILE")]
    pub fragments: Vec<PathBuf>,
    /// Findings as `scan` reports them (text, json, sarif, markdown), or the joined map (dot,
    /// svg, mermaid, graph).
    #[arg(long, value_enum, default_value = "text")]
    pub format: MergeFormat,
    /// Lowest severity that fails the run (exit 1). Default: the `fail_on` of the policy that
    /// judged each finding (its repository's, or that of --config).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Draw only this node and the nodes it exchanges data with (map formats).
    #[arg(long, value_name = "NODE")]
    pub focus: Option<String>,
    #[command(flatten)]
    pub map: MapArgs,
    /// An org manifest whose `[policy]` and waivers judge every repository's flows (its nodes
    /// and flows are not read). Default: each repository's own, as its fragment carries them.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print nothing on standard error except errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub options: RuleDataOptions,
}

pub fn run(args: MergeArgs) -> anyhow::Result<i32> {
    // `merge` reads no repository: of the scanning options it takes only the manifest and quiet.
    let common = CommonArgs {
        config: args.config.clone(),
        quiet: args.quiet,
        ..(*args.options).clone()
    };
    let rules = load_rules(&common)?;
    let mut fragments = Vec::new();
    for path in &args.fragments {
        match Fragment::read(path) {
            Ok(fragment) => fragments.push(fragment),
            Err(e) => {
                eprintln!("error: {}", for_log(&e.to_string()));
                return Ok(EXIT_ERROR);
            }
        }
    }
    // `--config` names an org manifest whose policy and waivers judge every repository's flows.
    let org = match &common.config {
        None => None,
        Some(path) => match read_org(path) {
            Ok(org) => Some(org),
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(EXIT_ERROR);
            }
        },
    };
    let date = common.date.unwrap_or_else(Date::today);
    let merged = match merge(&fragments, &rules, date, org.as_ref()) {
        Ok(merged) => merged,
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("error: {}", for_log(error));
            }
            eprintln!(
                "error: {} problem{} in the manifest; nothing was merged",
                errors.0.len(),
                if errors.0.len() == 1 { "" } else { "s" }
            );
            return Ok(EXIT_ERROR);
        }
    };
    if !common.quiet {
        for warning in &merged.warnings {
            eprintln!("warning: {}", for_log(warning));
        }
    }
    let map = |format: GraphFormat| {
        render(
            merged_view(&merged, &rules),
            format,
            args.focus.as_deref(),
            &args.map.options(),
            &common,
        )
    };
    let (model, evaluation) = (&merged.model, &merged.evaluation);
    let text = match args.format {
        MergeFormat::Dot => return map(GraphFormat::Dot),
        MergeFormat::Svg => return map(GraphFormat::Svg),
        MergeFormat::Mermaid => return map(GraphFormat::Mermaid),
        MergeFormat::Graph => return map(GraphFormat::Json),
        MergeFormat::Json => {
            write_output_with(&common, &mut |out| {
                report::json::write(out, model, evaluation, &rules)
            })?;
            None
        }
        MergeFormat::Text => {
            let mut text = report::text::render(
                &model.files,
                &evaluation.findings,
                evaluation.waived.len(),
                use_color(&common),
            );
            if let Some(line) = report::text::transfers_line(&evaluation.transfers) {
                text.push_str(&line);
                text.push('\n');
            }
            Some(text)
        }
        MergeFormat::Sarif => Some(report::sarif::render(model, evaluation, false)),
        MergeFormat::Markdown => Some(report::markdown::render(model, evaluation, &rules)),
    };
    if let Some(text) = text {
        write_output(&common, &text)?;
    }
    let threshold = args.fail_on.map(|fail_on| match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    });
    Ok(if merged.failing(threshold) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// Reads the org manifest `--config` names, or says why it cannot, as the error line shows it.
fn read_org(path: &std::path::Path) -> Result<OrgPolicy, String> {
    let current = std::env::current_dir().unwrap_or_default();
    match borderline::safe_io::read_text(
        path,
        &[current.as_path()],
        borderline::safe_io::MAX_SIDE_FILE_BYTES,
    ) {
        Ok(text) => Ok(OrgPolicy {
            source: path.display().to_string(),
            text,
        }),
        Err(e) => Err(format!(
            "cannot read the manifest {}",
            for_log(&e.to_string())
        )),
    }
}

/// The joined map, with each node's `defined_at` and `via` as its fragment gave them. The map
/// carries no policy, waivers or judgement: merged again, it is judged under the default policy.
/// It is built here, beside the other renderings, so that `merge` joins fragments without
/// knowing `report`, which builds a view.
fn merged_view(merged: &Merged, rules: &RuleSet) -> GraphView {
    let mut view = GraphView::build(&merged.model, &merged.evaluation, rules);
    view.policy = None;
    view.waivers = Vec::new();
    view.judgement = None;
    for node in &mut view.nodes {
        if let Some((defined_at, via)) = merged.positions.get(&node.id) {
            if node.defined_at.is_none() {
                node.defined_at = defined_at.clone();
            }
            if node.via.is_empty() {
                node.via = via.clone();
            }
        }
    }
    view
}
