//! The starter manifest that `borderline init` writes: what the scan found, with commented TODO
//! entries for what only a person can declare (locations it could not resolve, safeguards of
//! vendors that receive personal data). Everything is commented, so the file is valid as written.

use super::position;
use crate::evaluate::Evaluation;
use crate::evaluate::transfer::Verdict;
use crate::model::facts::NodeKind;
use crate::model::{Model, Node, ResolvedLocation};
use crate::rules::RuleSet;
use std::collections::BTreeSet;

// Every repository string written into the manifest goes through one of these: a TOML comment
// that a line break cannot end early, or an escaped TOML string.
use super::neutral::{toml_comment as one_line, toml_string};

pub fn render(model: &Model, evaluation: &Evaluation, rules: &RuleSet, project: &str) -> String {
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
    // Stores outside the EEA or of unknown location: one entry each, with everything that is
    // missing (where, what it holds, the safeguard), so that no store gets two `[[node]]` entries.
    let abroad: Vec<&Node> = model
        .nodes
        .iter()
        .filter(|n| store_abroad(n, rules))
        .collect();
    let mut written: BTreeSet<&str> = BTreeSet::new();
    for node in abroad {
        if store_entry(&mut out, model, evaluation, node) {
            written.insert(node.id.as_str());
        }
    }
    for node in model
        .nodes
        .iter()
        .filter(|n| matches!(n.resolved, ResolvedLocation::Unknown { .. }))
        .filter(|n| !written.contains(n.id.as_str()))
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
        if transfer.from.is_none() && written.contains(node.id.as_str()) {
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

/// A store whose data at rest may be a transfer: outside the EEA or of unknown location, and not
/// declared free of personal data.
fn store_abroad(node: &Node, rules: &RuleSet) -> bool {
    node.kind == NodeKind::Store
        && !node.receives_no_personal_data()
        && (!node.resolved.is_known() || !node.resolved.inside_eea(rules))
}

/// The TODO entry of a store outside the EEA or of unknown location, when something about it is
/// missing: its location, what it holds (unknown data counts as personal), or a safeguard for a
/// transfer with no basis. Returns whether an entry was written.
fn store_entry(out: &mut String, model: &Model, evaluation: &Evaluation, node: &Node) -> bool {
    let unknown = match &node.resolved {
        ResolvedLocation::Unknown { reason } => Some(reason.as_str()),
        _ => None,
    };
    let no_data = node.data.is_empty();
    // A transfer of this store's data at rest (no flow into it) with no basis and no safeguard.
    let unsafeguarded = evaluation.transfers.iter().find(|t| {
        t.from.is_none()
            && t.to == node.id
            && t.safeguard.is_none()
            && !matches!(
                t.verdict,
                Verdict::Adequate { .. } | Verdict::Safeguarded { .. }
            )
    });
    if unknown.is_none() && !no_data && unsafeguarded.is_none() {
        return false;
    }
    let place = position(&model.files, node.span, None)
        .map(|p| format!(" (found at {}:{})", one_line(&p.file), p.line))
        .unwrap_or_default();
    match unknown {
        Some(reason) => out.push_str(&format!(
            "# TODO: where is `{}`? {}{place}\n",
            one_line(&node.id),
            one_line(reason)
        )),
        None => out.push_str(&format!(
            "# TODO: store `{}` is in {}, outside the EEA{place}: data at rest there is a transfer to its host.\n",
            one_line(&node.id),
            one_line(&node.resolved.display())
        )),
    }
    out.push_str(&format!(
        "# [[node]]\n# id = {}\n# kind = \"store\"\n",
        toml_string(&node.id)
    ));
    if unknown.is_some() {
        out.push_str("# location = \"aws:eu-central-1\"   # a provider region, a country code (\"DE\") or \"EEA\"\n");
    }
    if no_data {
        out.push_str(
            "# TODO: which data does it hold? Until declared, it counts as personal data.\n",
        );
        out.push_str(
            "# data = [\"user.contact.email\"]   # its data categories (Fides taxonomy)\n",
        );
        out.push_str("# personal_data = false           # or this, if it holds no personal data\n");
    }
    if unsafeguarded.is_some() {
        out.push_str("# safeguard = { mechanism = \"scc\", version = \"2021/914\", module = 2, signed = \"YYYY-MM-DD\", tia = \"docs/tia/...\" }\n");
    }
    out.push('\n');
    true
}
