//! The checks: one file per rule, registered in [`CHECKS`]. Each file's `//!` comment is the rule's
//! user documentation (`borderline explain RULE`, SARIF rule help).

mod adequacy_scope_not_met;
mod derogation_for_systematic_transfer;
mod expired_safeguard;
mod inferred_personal_data;
mod input_error;
mod missing_tia;
pub mod policy_changed;
mod special_category_transfer;
mod transfer_without_safeguard;
mod unapproved_mechanism;
mod unknown_data_category;
mod unknown_location;
mod unresolved_reference;
mod unused_waiver;

use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Context, Transfer};
use crate::report::neutral::toml_string;
use crate::rule::Rule;

/// A rule's implementation and documentation; its name, severity and summary are on [`Rule`].
#[derive(Debug)]
pub struct Check {
    pub rule: Rule,
    /// The check file's source; [`Check::documentation`] extracts its `//!` comment.
    source: &'static str,
    pub run: fn(&Context<'_>, &mut Vec<Finding>),
}

impl Check {
    /// The rule's documentation in Markdown, from the `//!` comment at the top of its file.
    pub fn documentation(&self) -> String {
        self.source
            .lines()
            .take_while(|line| line.starts_with("//!"))
            .map(|line| {
                line.strip_prefix("//! ")
                    .or_else(|| line.strip_prefix("//!"))
                    .unwrap_or(line)
            })
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }

    /// One section of the documentation (`What it flags`, `How to fix`, ...), without its heading.
    pub fn section(&self, heading: &str) -> Option<String> {
        let docs = self.documentation();
        let marker = format!("## {heading}");
        let start = docs.find(&marker)? + marker.len();
        let rest = &docs[start..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    }
}

macro_rules! check {
    ($module:ident, $rule:ident) => {
        Check {
            rule: Rule::$rule,
            source: include_str!(concat!(stringify!($module), ".rs")),
            run: $module::run,
        }
    };
}

/// Every rule's check, in [`Rule::ALL`]'s order (checked when compiling, below).
const CHECK_TABLE: [Check; Rule::ALL.len()] = [
    check!(transfer_without_safeguard, TransferWithoutSafeguard),
    check!(adequacy_scope_not_met, AdequacyScopeNotMet),
    check!(expired_safeguard, ExpiredSafeguard),
    check!(unapproved_mechanism, UnapprovedMechanism),
    check!(special_category_transfer, SpecialCategoryTransfer),
    check!(missing_tia, MissingTia),
    check!(
        derogation_for_systematic_transfer,
        DerogationForSystematicTransfer
    ),
    check!(unknown_location, UnknownLocation),
    check!(unresolved_reference, UnresolvedReference),
    check!(input_error, InputError),
    check!(unknown_data_category, UnknownDataCategory),
    check!(unused_waiver, UnusedWaiver),
    check!(policy_changed, PolicyChanged),
    check!(inferred_personal_data, InferredPersonalData),
];

// `Rule::check` indexes the table by the rule's position in `Rule::ALL`: a table out of that
// order does not compile.
const _: () = {
    let mut index = 0;
    while index < CHECK_TABLE.len() {
        assert!(CHECK_TABLE[index].rule.index() == index);
        index += 1;
    }
};

/// Every rule borderline checks, in the order of SPEC §6 (with borderline's additions last).
pub static CHECKS: &[Check] = &CHECK_TABLE;

impl Rule {
    /// The rule's check: its implementation and documentation.
    pub fn check(self) -> &'static Check {
        &CHECKS[self.index()]
    }
}

/// A finding about a transfer, with its nodes, countries, data, path and related locations filled in.
pub(crate) fn transfer_finding(
    ctx: &Context<'_>,
    transfer: &Transfer,
    rule: Rule,
    message: String,
) -> Finding {
    let mut finding = Finding::new(rule, rule.default_severity(), message).at(transfer.span);
    finding.from = transfer.from.clone();
    finding.to = Some(transfer.to.clone());
    finding.from_country = transfer
        .from
        .as_deref()
        .and_then(|id| ctx.node(id))
        .and_then(|n| n.resolved.country_field());
    finding.to_country = ctx
        .node(&transfer.to)
        .and_then(|n| n.resolved.country_field());
    finding.data = transfer.data.iter().map(|d| d.key.clone()).collect();
    finding.data_path = transfer.path.clone();
    if let Some(flow) = transfer.flow.map(|i| &ctx.model.flows[i]) {
        finding.inferred = flow.inferred;
        if flow.to_span.is_some() && flow.to_span != flow.span {
            finding = finding.related(flow.to_span, format!("`{}` is named here", transfer.to));
        }
        // The other places that declare or configure this same flow (`model::one_flow_per_pair`).
        for span in &flow.evidence {
            finding = finding.related(Some(*span), "the same flow is also written here");
        }
    }
    if let Some(destination) = ctx.node(&transfer.to) {
        let shown = destination.resolved.display();
        let place = match &destination.location {
            Some(location) if location.location.to_string() != shown => {
                format!(
                    "`{}` is located in {shown} ({})",
                    destination.id, location.location
                )
            }
            _ => format!("`{}` is located in {shown}", destination.id),
        };
        let location_span = destination
            .location
            .as_ref()
            .and_then(|l| l.span)
            .or(destination.span);
        if transfer.flow.is_none() {
            // Data at rest: the finding is at what creates the store; show where its region is
            // set and each module call that leads there from the root.
            if location_span != transfer.span {
                finding =
                    finding.related(location_span, format!("the region is set here: {place}"));
            }
            finding = via_related(finding, destination);
        } else if location_span != transfer.span {
            finding = finding.related(location_span, place);
        }
    }
    finding
}

/// Related locations for the module calls through which a node is created, outermost first:
/// "`module.storage` is called here".
pub(crate) fn via_related(mut finding: Finding, node: &crate::model::Node) -> Finding {
    let calls = module_calls(&node.id);
    for (index, span) in node.via.iter().enumerate() {
        let message = match calls.get(index) {
            Some(call) if calls.len() == node.via.len() => format!("`{call}` is called here"),
            _ => format!("a module call that creates `{}` is here", node.id),
        };
        finding = finding.related(Some(*span), message);
    }
    finding
}

/// The module call addresses in a Terraform node id, outermost first:
/// `envs/prod/module.app.module.db.aws_db_instance.main` gives `module.app`, `module.app.module.db`.
fn module_calls(id: &str) -> Vec<String> {
    // A directory prefix (`envs/prod/`) qualifies ids found in several roots: the address starts
    // at the first `module.` at the start or after a `/`.
    let Some(start) = id
        .match_indices("module.")
        .map(|(position, _)| position)
        .find(|&position| position == 0 || id[..position].ends_with('/'))
    else {
        return Vec::new();
    };
    let mut calls = Vec::new();
    let mut rest = &id[start..];
    let mut prefix = String::new();
    while let Some(after) = rest.strip_prefix("module.") {
        // The name ends at the next `.` outside brackets (`module.db["eu"].`).
        let mut depth = 0usize;
        let mut end = after.len();
        for (position, character) in after.char_indices() {
            match character {
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                '.' if depth == 0 => {
                    end = position;
                    break;
                }
                _ => {}
            }
        }
        let name = &after[..end];
        prefix = if prefix.is_empty() {
            format!("module.{name}")
        } else {
            format!("{prefix}.module.{name}")
        };
        calls.push(prefix.clone());
        rest = after.get(end + 1..).unwrap_or("");
    }
    calls
}

/// The text naming a transfer in messages: `checkout -> acme-analytics (US)`.
pub(crate) fn describe(transfer: &Transfer) -> String {
    let kind = if transfer.onward {
        "onward transfer"
    } else {
        "transfer"
    };
    match &transfer.from {
        Some(from) => format!(
            "{kind} {from} -> {} ({})",
            transfer.to,
            transfer.third_countries.join(", ")
        ),
        None => format!(
            "{kind} to store `{}` in {}",
            transfer.to,
            transfer.third_countries.join(", ")
        ),
    }
}

/// Data categories for a message: `user.contact.email, user.name` or `unspecified personal data`.
pub(crate) fn data_phrase(transfer: &Transfer) -> String {
    if transfer.data.is_empty() {
        "unspecified (so treated as personal) data".into()
    } else {
        transfer
            .data
            .iter()
            .map(|d| d.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Findings for the extraction and model diagnostics of one rule.
pub(crate) fn diagnostic_findings(ctx: &Context<'_>, rule: Rule, findings: &mut Vec<Finding>) {
    for diagnostic in ctx.model.diagnostics.iter().filter(|d| d.rule == rule) {
        let mut finding =
            Finding::new(rule, diagnostic.severity, diagnostic.message.clone()).at(diagnostic.span);
        finding.path = diagnostic.path.clone();
        findings.push(finding);
    }
}

pub(crate) use missing_tia::vet_tia;
pub(crate) use unused_waiver::finding as unused_waiver_finding;

/// The reference page of every rule (`docs/rules.md`), generated from the checks' documentation.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated by `cargo xtask codegen` from analyzer/src/checks/*.rs; do not edit by hand. -->\n\n# Rules\n\n| rule | default severity | flags |\n|---|---|---|\n",
    );
    for check in CHECKS {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} |\n",
            check.rule.name(),
            check.rule.name(),
            check.rule.default_severity().as_str(),
            check.rule.summary()
        ));
    }
    for check in CHECKS {
        out.push('\n');
        // Headings move down one level so the page has a single `#` title.
        let mut in_code = false;
        for line in check.documentation().lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if line.starts_with('#') && !in_code {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!(
            "\nDefault severity: `{}`.\n",
            check.rule.default_severity().as_str()
        ));
    }
    out.push('\n');
    out.push_str(VARIANTS_DOC);
    out
}

/// How every rule above is judged when the repository describes several deployments.
const VARIANTS_DOC: &str = "## Deployment variants

Every rule is judged once per deployment variant the repository describes: a `.tfvars` file
Terraform does not load by itself (passed with `-var-file`), a Terragrunt unit, a Helm values file
layered over `values.yaml`, a Kustomize overlay. A variant sees the facts that do not depend on
any variant and its own; variants of the same name from different sources are one variant
(`prod` is `envs/prod.tfvars`, `values-prod.yaml` and `overlays/prod/` together).

A finding is reported once, with the variants it is found in (`in: prod, prod-us` in text,
`variants` in JSON, a `variants` property in SARIF) and, among its related locations, the file
that makes each of those variants differ. A finding found in every variant carries no list, as
in a repository without variants. The variants are never part of the fingerprint: adding a
variant changes no fingerprint, and a baseline written before it still matches.

`[scan] variants = [\"prod\"]` in `borderline.toml`, or `--variant prod` (repeatable, and it
replaces the manifest's list), judges only those variants; a name the repository does not have
stops the scan with exit code 2 and the list of the variants it has. `graph --variant prod`
draws one variant; without it, the map shows every variant and labels the edges that exist only
in some.
";

/// The safeguard a `help:` line tells a user to declare, in the manifest's own syntax, so that
/// the stanza it names can be pasted as it is and only the date and the TIA path filled in. The
/// SCC version is the current one in the rule data.
pub(crate) fn safeguard_help(rules: &crate::rules::RuleSet) -> String {
    format!(
        "safeguard = {{ mechanism = \"scc\", version = \"{}\", module = 2, signed = \"YYYY-MM-DD\", tia = \"PATH\" }}",
        rules.current_scc_version()
    )
}

/// Where to declare a safeguard for a transfer, in the manifest's own syntax with the real ids:
/// on the recipient's `[[node]]` (it then covers every flow to it) or, for a flow between two
/// nodes, on that `[[flow]]` alone.
/// The ids are written as TOML strings, so what is pasted is the id exactly, whatever it holds.
pub(crate) fn safeguard_stanzas(rules: &crate::rules::RuleSet, transfer: &Transfer) -> String {
    let to = toml_string(&transfer.to);
    let node = format!(
        "`[[node]] id = {to}` with `{}` (covers every flow to `{}`)",
        safeguard_help(rules),
        transfer.to
    );
    match &transfer.from {
        Some(from) => format!(
            "{node}, or `[[flow]] from = {} to = {to}` with that `safeguard` (this flow only)",
            toml_string(from)
        ),
        None => node,
    }
}

#[cfg(test)]
mod tests {
    use super::module_calls;

    #[test]
    fn module_calls_are_read_from_node_ids() {
        assert_eq!(
            module_calls("envs/prod/module.app.module.db.aws_db_instance.main"),
            vec!["module.app", "module.app.module.db"]
        );
        assert_eq!(
            module_calls("module.db[\"eu.1\"].aws_s3_bucket.logs"),
            vec!["module.db[\"eu.1\"]"]
        );
        assert!(module_calls("aws_s3_bucket.module.x").is_empty());
        assert!(module_calls("module.").len() == 1);
    }
}
