//! The starter manifest that `borderline init` writes: what the scan found, with commented TODO
//! entries for what only a person can declare (locations it could not resolve, safeguards of
//! vendors that receive personal data). Everything is commented, so the file is valid as written.

use super::position;
use crate::evaluate::Evaluation;
use crate::evaluate::transfer::Verdict;
use crate::model::facts::NodeKind;
use crate::model::{Model, ResolvedLocation};
use std::collections::BTreeSet;

// Every repository string written into the manifest goes through one of these: a TOML comment
// that a line break cannot end early, or an escaped TOML string.
use super::neutral::{toml_comment as one_line, toml_string};

pub fn render(model: &Model, evaluation: &Evaluation, project: &str) -> String {
    let mut out = String::from(
        "# borderline.toml: written by `borderline init`. Declare here what configs and code cannot show:\n\
         # where vendors and stores are, and the safeguards (SCCs, BCRs, ...) that cover each transfer.\n\
         # Reference: the `borderline.toml` section of borderline's README; `borderline explain RULE`\n\n",
    );
    out.push_str(&format!("[project]\nname = {}\n\n", toml_string(project)));
    out.push_str("# [policy]\n# approved_mechanisms = [\"adequacy\", \"scc\", \"bcr\"]\n# require_tia = true\n# fail_on = \"error\"\n\n");
    let known: Vec<_> = model
        .nodes
        .iter()
        .filter(|n| n.resolved.is_known())
        .collect();
    if !known.is_empty() {
        out.push_str("# Discovered with a known location:\n");
        for node in known {
            let place = position(&model.files, node.span, None)
                .map(|p| format!(", {}:{}", one_line(&p.file), p.line))
                .unwrap_or_default();
            out.push_str(&format!(
                "#   {} ({}, {}{place})\n",
                one_line(&node.id),
                node.kind.as_str(),
                one_line(&node.resolved.display())
            ));
        }
        out.push('\n');
    }
    for node in model
        .nodes
        .iter()
        .filter(|n| matches!(n.resolved, ResolvedLocation::Unknown { .. }))
    {
        let ResolvedLocation::Unknown { reason } = &node.resolved else {
            continue;
        };
        let place = position(&model.files, node.span, None)
            .map(|p| format!(" (found at {}:{})", one_line(&p.file), p.line))
            .unwrap_or_default();
        out.push_str(&format!(
            "# TODO: where is `{}`? {}{place}\n",
            one_line(&node.id),
            one_line(reason)
        ));
        out.push_str(&format!(
            "# [[node]]\n# id = {}\n# kind = \"{}\"\n",
            toml_string(&node.id),
            node.kind.as_str()
        ));
        out.push_str("# location = \"aws:eu-central-1\"   # a provider region, a country code (\"DE\") or \"EEA\"\n\n");
    }
    let mut seen = BTreeSet::new();
    for transfer in &evaluation.transfers {
        let lawful = matches!(
            transfer.verdict,
            Verdict::Adequate { .. } | Verdict::Safeguarded { .. }
        );
        if lawful || transfer.safeguard.is_some() {
            continue;
        }
        let Some(node) = model.node(&transfer.to) else {
            continue;
        };
        if node.kind != NodeKind::Vendor && node.kind != NodeKind::Store {
            continue;
        }
        let from = transfer.from.clone().unwrap_or_default();
        if !seen.insert((from.clone(), transfer.to.clone())) {
            continue;
        }
        out.push_str(&format!(
            "# TODO: `{}` receives personal data in {} with no safeguard declared.\n",
            one_line(&transfer.to),
            one_line(&transfer.third_countries.join(", "))
        ));
        if transfer.from.is_some() {
            out.push_str(&format!(
                "# [[flow]]\n# from = {}\n# to = {}\n",
                toml_string(&from),
                toml_string(&transfer.to)
            ));
        } else {
            out.push_str(&format!(
                "# [[node]]\n# id = {}\n",
                toml_string(&transfer.to)
            ));
        }
        out.push_str("# safeguard = { mechanism = \"scc\", version = \"2021/914\", module = 2, signed = \"YYYY-MM-DD\", tia = \"docs/tia/...\" }\n\n");
    }
    out
}
