//! The starter manifest that `borderline init` writes: what the scan found, with commented
//! stanzas for what only a person can declare (locations it could not resolve, what a store
//! abroad holds, the safeguards of recipients that receive personal data with no basis).
//!
//! One placeholder form, stated in the file's header: every stanza is commented out (so the file
//! is valid as written and changes nothing), and every value a person must supply is the string
//! `"TODO"`. Filling a stanza is mechanical: remove the leading `# ` from each of its lines, from
//! `# [[node]]` to the blank line after it, and replace each `"TODO"`. A `"TODO"` left in place is
//! never a silent pass: as a location it is not a country code and as a date not a date (both stop
//! the scan with exit 2), as a data category it is `unknown-data-category`, and as a `tia` it names
//! no assessment (`missing-tia`). A location the
//! scan discovered is shown with the file and line it came from, as a comment inside the stanza:
//! the scan reads it there every time, and a copy in the manifest would override it.

use super::position;
use crate::evaluate::Evaluation;
use crate::evaluate::transfer::{Transfer, Verdict};
use crate::facts::NodeKind;
use crate::model::{Model, Node, ResolvedLocation};
use crate::rules::RuleSet;
use std::collections::{BTreeMap, BTreeSet};

// Every repository string written into the manifest goes through one of these: a TOML comment
// that a line break cannot end early, or an escaped TOML string.
use super::neutral::{toml_comment as one_line, toml_string};

/// The safeguard placeholder: the current SCCs of the rule data, module 2 (a vendor that
/// processes data on the controller's behalf, the common case), with the two facts only a person
/// has left as TODO.
fn safeguard_placeholder(scc: &str) -> String {
    format!(
        "# safeguard = {{ mechanism = \"scc\", version = \"{scc}\", module = 2, signed = \"TODO\", tia = \"TODO\" }}   # signed: YYYY-MM-DD; tia: path of the transfer impact assessment in this repository; module 1 if the recipient is a controller\n"
    )
}

const HEADER: &str = "# borderline.toml: written by `borderline init` from what the scan found. Declare here what configs\n\
# and code cannot show: where services and stores run, what they hold, and the safeguards (SCCs,\n\
# BCRs, ...) that cover each transfer.\n\
#\n\
# How to fill it in: every stanza below is commented out, so this file is valid as written and\n\
# changes nothing. To use a stanza, remove the leading \"# \" from each of its lines (from\n\
# `# [[node]]` down to the blank line after it) and replace every \"TODO\" value; the comment at the\n\
# end of a line says what goes there. A \"TODO\" left in place never passes silently: as a location\n\
# or a date it stops the scan (exit 2), as a data category or a `tia` it is a finding. A location\n\
# the scan discovered is shown as a comment (\"# # discovered location\") with the file and line it\n\
# was read from: the scan reads it there every time, and a location written here would override it.\n\
# Reference: docs/getting-started.md; the `borderline.toml` section of the README; `borderline explain RULE`\n\n";

pub fn render(model: &Model, evaluation: &Evaluation, rules: &RuleSet, project: &str) -> String {
    // The first line names the manifest's JSON Schema: Taplo (Even Better TOML) then completes
    // and checks the keys as they are filled in.
    let mut out = format!("#:schema {}\n", crate::manifest_schema::SCHEMA_URL);
    out.push_str(HEADER);
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
    // Each node gets at most one stanza, with everything missing about it: two `[[node]]` entries
    // of one id would be an error once both are uncommented.
    let mut written: BTreeSet<&str> = BTreeSet::new();
    // Stores outside the EEA or of unknown location first: what to decide about each.
    for node in model.nodes.iter().filter(|n| store_abroad(n, rules)) {
        if store_entry(&mut out, model, evaluation, rules, node) {
            written.insert(node.id.as_str());
        }
    }
    // Recipients of transfers with no basis and no safeguard, each with the flows that reach it.
    let mut recipients: BTreeMap<&str, Vec<&Transfer>> = BTreeMap::new();
    for transfer in &evaluation.transfers {
        if lawful(transfer) || transfer.safeguard.is_some() {
            continue;
        }
        recipients
            .entry(transfer.to.as_str())
            .or_default()
            .push(transfer);
    }
    for (id, transfers) in &recipients {
        if written.contains(id) {
            continue;
        }
        let Some(node) = model.node(id) else {
            continue;
        };
        recipient_entry(&mut out, model, rules, node, transfers);
        written.insert(node.id.as_str());
    }
    // Every other node of unknown location: where it runs decides whether its flows are transfers.
    for node in model
        .nodes
        .iter()
        .filter(|n| matches!(n.resolved, ResolvedLocation::Unknown { .. }))
        .filter(|n| !written.contains(n.id.as_str()))
    {
        let ResolvedLocation::Unknown { reason } = &node.resolved else {
            continue;
        };
        out.push_str(&format!(
            "# TODO: where is `{}`? {}{}\n",
            one_line(&node.id),
            one_line(reason),
            found_at(model, node)
        ));
        stanza_head(&mut out, node);
        out.push_str(LOCATION_TODO);
        out.push('\n');
    }
    out
}

/// The location placeholder, with the forms a location may take.
const LOCATION_TODO: &str = "# location = \"TODO\"   # where it runs: a provider region (\"aws:eu-central-1\"), a country code (\"DE\") or \"EEA\"\n";

fn lawful(transfer: &Transfer) -> bool {
    matches!(
        transfer.verdict,
        Verdict::Adequate { .. } | Verdict::Safeguarded { .. }
    )
}

/// ` (found at FILE:LINE)` for a node's declaration, or nothing.
fn found_at(model: &Model, node: &Node) -> String {
    position(&model.files, node.span, None)
        .map(|p| format!(" (found at {}:{})", one_line(&p.file), p.line))
        .unwrap_or_default()
}

/// `# [[node]]`, its id and its kind.
fn stanza_head(out: &mut String, node: &Node) {
    out.push_str(&format!(
        "# [[node]]\n# id = {}\n# kind = \"{}\"\n",
        toml_string(&node.id),
        node.kind.as_str()
    ));
}

/// The node's discovered location, or the TODO placeholder when nothing was found. A discovered
/// location is shown as a comment that stays a comment once the stanza is uncommented: a location
/// in the manifest wins over the configs, so pinning what Terraform or an endpoint says today
/// would hide tomorrow's move of that store or vendor to another country (a false green).
fn location_line(out: &mut String, model: &Model, node: &Node) {
    let discovered = node
        .location
        .as_ref()
        .filter(|_| node.resolved.is_known())
        .filter(|l| l.location != crate::facts::Location::Unknown);
    match discovered {
        Some(located) => {
            let place = position(&model.files, located.span.or(node.span), None)
                .map(|p| format!(" ({}:{})", one_line(&p.file), p.line))
                .unwrap_or_default();
            out.push_str(&format!(
                "# # discovered location: {}{place}, read there at every scan; do not pin it here\n",
                toml_string(&located.location.to_string())
            ));
        }
        None => out.push_str(LOCATION_TODO),
    }
}

/// The stanza of a recipient of transfers with no basis: its discovered location and a
/// safeguard to fill, or the adequacy route when the country is adequate for certified
/// recipients only.
fn recipient_entry(
    out: &mut String,
    model: &Model,
    rules: &RuleSet,
    node: &Node,
    transfers: &[&Transfer],
) {
    let scc = rules.current_scc_version();
    let countries: BTreeSet<&str> = transfers
        .iter()
        .flat_map(|t| t.third_countries.iter().map(String::as_str))
        .collect();
    let countries = countries.into_iter().collect::<Vec<_>>().join(", ");
    let mut sources: Vec<String> = Vec::new();
    for transfer in transfers {
        let from = transfer.from.as_deref().unwrap_or("data at rest");
        let place = position(&model.files, transfer.span, None)
            .map(|p| format!(" ({}:{})", one_line(&p.file), p.line))
            .unwrap_or_default();
        let source = format!("{}{place}", one_line(from));
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    // A few sources say where to look; a long list would bury the decision on a large repository.
    const SHOWN: usize = 5;
    let more = sources.len().saturating_sub(SHOWN);
    let mut from = sources
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if more > 0 {
        from.push_str(&format!(" and {more} more"));
    }
    out.push_str(&format!(
        "# TODO: `{}` receives personal data in {} with no safeguard, from {from}.\n",
        one_line(&node.id),
        one_line(&countries),
    ));
    // Outside an adequacy decision's scope for want of a certification (the DPF): declaring it is
    // the first route, named as the rule data names the certification and its register.
    let certification = transfers.iter().find_map(|t| match &t.verdict {
        Verdict::ScopeNotMet {
            country,
            decision,
            condition,
        } => rules.unmet_certification(country, decision, condition),
        _ => None,
    });
    if let Some((certification, register)) = certification {
        out.push_str(&format!("#   Decide: if it is on the {register}, replace the `safeguard` line with\n#   `certifications = [\"{certification}\"]`; otherwise sign SCC {scc} with it and fill `safeguard`; or send it no personal data.\n"));
    } else {
        out.push_str(&format!("#   Decide: sign SCC {scc} with it and fill `safeguard` (it then covers every flow to it),\n#   or send it no personal data (its EEA region or endpoint, if it has one).\n"));
    }
    stanza_head(out, node);
    location_line(out, model, node);
    out.push_str(&safeguard_placeholder(scc));
    out.push('\n');
}

/// A store whose data at rest may be a transfer: outside the EEA or of unknown location, and not
/// declared free of personal data.
fn store_abroad(node: &Node, rules: &RuleSet) -> bool {
    node.kind == NodeKind::Store
        && !node.receives_no_personal_data()
        && (!node.resolved.is_known() || !node.resolved.inside_eea(rules))
}

/// The stanza of a store outside the EEA or of unknown location, when something about it is
/// missing: its location, what it holds (unknown data counts as personal), or a safeguard for a
/// transfer with no basis. Returns whether a stanza was written.
fn store_entry(
    out: &mut String,
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    node: &Node,
) -> bool {
    let scc = rules.current_scc_version();
    let unknown = match &node.resolved {
        ResolvedLocation::Unknown { reason } => Some(reason.as_str()),
        _ => None,
    };
    let no_data = node.data.is_empty();
    // A transfer to this store (its data at rest, or a flow into it) with no basis and no
    // safeguard: the store's own safeguard covers them all.
    let unsafeguarded = evaluation
        .transfers
        .iter()
        .any(|t| t.to == node.id && t.safeguard.is_none() && !lawful(t));
    if unknown.is_none() && !no_data && !unsafeguarded {
        return false;
    }
    let place = found_at(model, node);
    match unknown {
        Some(reason) => out.push_str(&format!(
            "# TODO: where is `{}`? {}{place}\n",
            one_line(&node.id),
            one_line(reason)
        )),
        None => {
            out.push_str(&format!(
                "# TODO: store `{}` is in {}, outside the EEA{place}: data at rest there is a transfer to its host.\n",
                one_line(&node.id),
                one_line(&node.resolved.display())
            ));
            if unsafeguarded {
                out.push_str(&format!("#   Decide: move it to an EEA region (where its region is set), or keep it there and fill\n#   `safeguard` (SCC {scc} with its host); either way say what it holds.\n"));
            } else {
                out.push_str("#   Its host's transfer has a basis; say what it holds (or move it to an EEA region).\n");
            }
        }
    }
    stanza_head(out, node);
    location_line(out, model, node);
    if no_data {
        out.push_str("# data = [\"TODO\"]   # the categories it holds (Fides taxonomy, e.g. \"user.contact.email\"); or write personal_data = false instead if it holds none\n");
    }
    if unsafeguarded {
        out.push_str(&safeguard_placeholder(scc));
    }
    out.push('\n');
    true
}
