//! `borderline graph`: the data map as DOT, SVG, Mermaid or JSON.

use super::{CommonArgs, EXIT_ERROR, EXIT_OK, RepoOptions, scan_repository, write_output};
use borderline::model::fragment::GraphView;
use borderline::report::graph::{
    GroupBy, MapOptions, render_svg, to_dot_with, to_mermaid_with, transfers_only,
};
use borderline::report::sanitize_for_terminal;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT text.
    Dot,
    /// SVG rendered by Graphviz's `dot` (Debian package `graphviz`).
    Svg,
    /// Mermaid `flowchart LR` (renders in GitHub Markdown).
    Mermaid,
    /// Nodes, flows and findings with stable ids: the fragment format of `borderline merge`.
    Json,
}

/// `--group-by`: what a jurisdiction group is divided into.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GroupByArg {
    /// Nothing: each node stands alone in its jurisdiction group.
    Node,
    /// A service with the nodes only it exchanges data with.
    Service,
    /// Adequate and third countries by country.
    Country,
    /// By hosting provider (aws, gcp, azure, ...).
    Provider,
}

/// How the map is drawn: shared by `graph` and `merge`.
#[derive(Debug, Clone, Args)]
pub struct MapArgs {
    /// Draw only the nodes on a transfer path: transfers, stores abroad, nodes with findings and
    /// every node and flow through which data reaches them (map formats).
    #[arg(long)]
    pub transfers_only: bool,
    /// Divide each jurisdiction group by country, provider or service, or not at all (map
    /// formats).
    #[arg(long, value_enum, default_value = "country", value_name = "GROUPING")]
    pub group_by: GroupByArg,
    /// Leave the legend out (map formats).
    #[arg(long)]
    pub no_legend: bool,
}

impl MapArgs {
    pub fn options(&self) -> MapOptions {
        MapOptions {
            transfers_only: self.transfers_only,
            group_by: match self.group_by {
                GroupByArg::Node => GroupBy::Node,
                GroupByArg::Service => GroupBy::Service,
                GroupByArg::Country => GroupBy::Country,
                GroupByArg::Provider => GroupBy::Provider,
            },
            legend: !self.no_legend,
        }
    }
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The repository to scan.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
    /// Draw only this node and the nodes it exchanges data with.
    #[arg(long, value_name = "NODE")]
    pub focus: Option<String>,
    #[command(flatten)]
    pub map: MapArgs,
    #[command(flatten)]
    pub common: RepoOptions,
}

pub fn run(args: GraphArgs) -> anyhow::Result<i32> {
    // A fragment is what `merge` judges again as this repository's facts and findings: it has no
    // place to say that they are hypothetical, so a hypothetical run does not write one.
    if matches!(args.format, GraphFormat::Json)
        && !(args.common.assume_invalid.is_empty() && args.common.assume_valid.is_empty())
    {
        anyhow::bail!(
            "--format json writes a fragment for `borderline merge`, which would take hypothetical verdicts as real: run it without --assume-invalid/--assume-valid (the other formats take them)"
        );
    }
    let Some((scanned, rules)) = scan_repository(&args.path, &args.common, false)? else {
        return Ok(EXIT_ERROR);
    };
    let mut view = GraphView::build(&scanned.model, &scanned.evaluation, &rules);
    // `--variant prod` draws that variant alone: its title says so.
    if let [one] = scanned.evaluated_variants.as_slice()
        && !args.common.variant.is_empty()
    {
        view.variant = Some(one.clone());
    }
    render(
        view,
        args.format,
        args.focus.as_deref(),
        &args.map.options(),
        &args.common,
    )
}

/// Shared with `merge`: focuses the view, renders it, writes it. Unknown focus or missing `dot` → 2.
/// The JSON fragment is the whole view (or its focus): `--transfers-only` cuts it too, so that a
/// fragment and its drawing show the same nodes.
pub fn render(
    view: GraphView,
    format: GraphFormat,
    focus: Option<&str>,
    options: &MapOptions,
    common: &CommonArgs,
) -> anyhow::Result<i32> {
    let view = match focus {
        None => view,
        Some(id) => match view.focus(id) {
            Some(focused) => focused,
            None => {
                // The suggestion is a node id from the repository: made inert for the terminal.
                let hint =
                    borderline::suggest::closest_id(id, view.nodes.iter().map(|n| n.id.as_str()))
                        .map(|c| format!("; did you mean `{}`?", sanitize_for_terminal(c)))
                        .unwrap_or_default();
                eprintln!(
                    "error: --focus: no node has the id `{}`{hint}",
                    sanitize_for_terminal(id)
                );
                return Ok(EXIT_ERROR);
            }
        },
    };
    let text = match format {
        GraphFormat::Dot => to_dot_with(&view, options),
        GraphFormat::Mermaid => to_mermaid_with(&view, options),
        GraphFormat::Json if options.transfers_only => transfers_only(&view).to_json(),
        GraphFormat::Json => view.to_json(),
        GraphFormat::Svg => match render_svg(&to_dot_with(&view, options)) {
            Ok(svg) => svg,
            Err(error) => {
                // `dot` may quote labels (repository text) in its messages.
                eprintln!("error: {}", sanitize_for_terminal(&error.to_string()));
                return Ok(EXIT_ERROR);
            }
        },
    };
    write_output(common, &text)?;
    Ok(EXIT_OK)
}
