//! `borderline graph`: the data map as DOT, SVG, Mermaid or JSON.

use super::{CommonArgs, EXIT_ERROR, EXIT_OK, RepoOptions, scan_repository, write_output};
use borderline::model::fragment::GraphView;
use borderline::report::graph::{render_svg, to_dot, to_mermaid};
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
    render(view, args.format, args.focus.as_deref(), &args.common)
}

/// Shared with `merge`: focuses the view, renders it, writes it. Unknown focus or missing `dot` → 2.
pub fn render(
    view: GraphView,
    format: GraphFormat,
    focus: Option<&str>,
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
        GraphFormat::Dot => to_dot(&view),
        GraphFormat::Mermaid => to_mermaid(&view),
        GraphFormat::Json => view.to_json(),
        GraphFormat::Svg => match render_svg(&to_dot(&view)) {
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
