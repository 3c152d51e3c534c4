//! Outbound calls in code of every language: a URL passed to an HTTP client is a flow from the
//! file's node to the URL's host.
//!
//! Python, JavaScript/TypeScript, Go, Java/Kotlin, Ruby, C# and PHP files are read here; Rust
//! files are read by the Rust extractor, which calls [`flows`] with the same matcher. How a URL
//! counts as passed to a client is written down in [`calls`]. Every flow found here is inferred
//! (`Origin::Inference`): a guess to confirm, capped by `policy.inferred_findings`, never an error
//! alone. It carries the categories the call visibly sends, else none (unknown, counted as
//! personal). Tests, examples, fixtures and vendored code are not read ([`paths`]); a file that
//! belongs to no node gives no flow, since a flow needs a source. Only hosts that are public
//! names become flows ([`crate::extract::urls::classify_host`]); whether one belongs to a
//! recipient is decided when the model is built, and an unknown host is no flow.

pub(crate) mod calls;
pub(crate) mod paths;

use super::annotation::{self, Owner};
use super::owners::{self, Packages};
use super::{ExtractContext, Extractor, PerFile};
use crate::facts::{
    DataRef, ExtractionDiagnostic, Facts, FlowFact, FlowTarget, Location, NodeRef, Origin, Severity,
};
use crate::rule::Rule;
use crate::rules::RuleSet;
use crate::source::SourceFile;
use camino::Utf8Path;

pub(crate) use calls::Lang;

#[derive(Debug)]
pub struct CodeCalls;

impl Extractor for CodeCalls {
    fn name(&self) -> &'static str {
        "code-calls"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        calls::lang_for(path.as_str()).is_some_and(|lang| lang != Lang::Rust)
            || owners::is_package_manifest(path)
    }

    fn per_file(&self) -> Option<&dyn PerFile> {
        Some(self)
    }
}

impl PerFile for CodeCalls {
    fn extract_file(
        &self,
        file: &SourceFile,
        packages: &Packages,
        ctx: &ExtractContext<'_>,
    ) -> Facts {
        let mut facts = Facts::default();
        let Some(lang) = calls::lang_for(file.path.as_str()) else {
            return facts;
        };
        if lang == Lang::Rust {
            return facts;
        }
        let Some(owner) = packages.owner_of(&file.path, ctx) else {
            return facts;
        };
        (facts.flows, facts.diagnostics) = flows(file, lang, &owner, ctx.rules);
        if !facts.flows.is_empty() && owner.from_package {
            facts
                .nodes
                .push(annotation::package_node(&owner, Origin::Inference, true));
        }
        facts
    }

    fn finish(&self, facts: &mut Facts, classes: &super::Classes) {
        dedup_hosts(facts, classes);
        super::comment_tags::dedup_nodes(facts);
    }
}

/// The inferred flows of one file's client calls, from `owner`, and one `unknown-location` note
/// for each region table the file chooses among at run time. Examples and vendored code give
/// none; tests give flows of the class `test` (their path decides it in the model).
pub(crate) fn flows(
    file: &SourceFile,
    lang: Lang,
    owner: &Owner,
    rules: &RuleSet,
) -> (Vec<FlowFact>, Vec<ExtractionDiagnostic>) {
    let path = file.path.as_str();
    if paths::is_example_path(path) || paths::is_vendored_path(path) {
        return (Vec::new(), Vec::new());
    }
    let mut found = if lang == Lang::Php && is_laravel_config(path) {
        laravel_config_flows(file, owner)
    } else {
        Vec::new()
    };
    let (calls, choices) = calls::outbound(file, lang, rules);
    let notes = choices
        .into_iter()
        .map(|choice| ExtractionDiagnostic {
            rule: Rule::UnknownLocation,
            severity: Severity::Note,
            message: choice_message(&choice, rules),
            span: Some(file.span(choice.at.clone())),
            path: None,
        })
        .collect();
    found.extend(calls.into_iter().map(|call| {
        let host_span = file.span(call.host_range.clone());
        let mut flow = FlowFact::observed(
            NodeRef::to(owner.id.clone()),
            FlowTarget::Host {
                host: call.host,
                span: Some(host_span),
            },
            Some(file.span(call.call_range.clone())),
            Origin::Inference,
        );
        flow.data = call
            .data
            .into_iter()
            .map(|(category, range)| DataRef {
                key: category,
                span: Some(file.span(range)),
            })
            .collect();
        // A call to a client is a guess that the code sends data there.
        flow.inferred = true;
        flow
    }));
    (found, notes)
}

/// Hosts named in a note, at most.
const MAX_NAMED_HOSTS: usize = 8;

/// The note for a region table chosen at run time: how many hosts, whose (when the rule data
/// knows one vendor or cloud provider for all of them) and their countries where known.
fn choice_message(choice: &calls::TableChoice, rules: &RuleSet) -> String {
    let mut owners: Vec<String> = Vec::new();
    let mut countries: Vec<String> = Vec::new();
    let mut unknown = 0;
    for host in &choice.hosts {
        let (owner, found) = host_place(host, rules);
        if let Some(owner) = owner
            && !owners.contains(&owner)
        {
            owners.push(owner);
        }
        if found.is_empty() {
            unknown += 1;
        }
        for country in found {
            if !countries.contains(&country) {
                countries.push(country);
            }
        }
    }
    let whose = match owners.as_slice() {
        [one] => format!(" of {one}"),
        _ => String::new(),
    };
    let mut places = countries.join(", ");
    if unknown > 0 {
        if !places.is_empty() {
            places.push_str(", ");
        }
        places.push_str(&format!("{unknown} not known"));
    }
    let mut named: Vec<&str> = choice
        .hosts
        .iter()
        .take(MAX_NAMED_HOSTS)
        .map(String::as_str)
        .collect();
    if choice.hosts.len() > MAX_NAMED_HOSTS {
        named.push("…");
    }
    format!(
        "`{}`: the endpoint is chosen at run time among {} regional hosts{whose} ({places}): {}; borderline does not guess which (declare the flow, or name the region where the client is called)",
        choice.name,
        choice.hosts.len(),
        named.join(", ")
    )
}

/// Whose a host is (a vendor's name or a cloud provider's id) and the countries the rule data
/// places it in (empty when unknown).
fn host_place(host: &str, rules: &RuleSet) -> (Option<String>, Vec<String>) {
    if let Some(node) = super::cloud::cloud_endpoint(host, rules) {
        let countries = match node.location.map(|l| l.location) {
            Some(Location::Country(country)) => vec![country],
            Some(Location::Bloc(bloc)) => vec![bloc],
            Some(Location::Region { provider, region }) => rules
                .region(&provider, &region)
                .map(|r| r.countries.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        return (node.provider, countries);
    }
    match rules.vendor_for_host(host) {
        Some(found) => (Some(found.vendor.name.clone()), found.countries),
        None => (None, Vec::new()),
    }
}

/// A Laravel configuration file: `config/<name>.php` (the framework reads every file there).
fn is_laravel_config(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    parts.next().is_some_and(|name| name.ends_with(".php")) && parts.next() == Some("config")
}

/// A link to a web site's home page (`https://www.facebook.com/`): the base of a profile link
/// a page shows, not an API the service calls.
fn is_site_link(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    host.starts_with("www.") && path.is_empty()
}

/// Laravel's `config/*.php` returns arrays of settings: `'location_iq_url' =>
/// env('LOCATION_IQ_URL', 'https://us1.locationiq.com/v1/')`. A URL literal that is such a
/// setting's value (written directly or as the default of `env()`) is where the service sends
/// data unless its environment says otherwise, read like a key of an app config
/// ([`crate::extract::urls::hosts_in_value`], so documentation and metadata keys stay quiet).
/// These are defaults of features an operator may not switch on: inferred, like calls.
fn laravel_config_flows(file: &SourceFile, owner: &Owner) -> Vec<FlowFact> {
    use crate::source::lexer::PieceKind;
    let text: &str = &file.text;
    let mut found = Vec::new();
    for piece in file.pieces() {
        if piece.kind != PieceKind::String {
            continue;
        }
        let Some(value) = text.get(piece.range.clone()) else {
            continue;
        };
        if !value.contains('.') {
            continue;
        }
        // The setting's key is the string before `=>` on the same line, before this literal.
        let line_start = text[..piece.range.start].rfind('\n').map_or(0, |i| i + 1);
        let before = &text[line_start..piece.range.start];
        let Some(arrow) = before.find("=>") else {
            continue;
        };
        let between = before[arrow + 2..].trim();
        // The literal is the value itself, or the default of `env('X', ...)`.
        let direct = between == "'" || between == "\"";
        let env_default = between.starts_with("env(") && between.contains(',');
        if !(direct || env_default) {
            continue;
        }
        let key = before[..arrow]
            .trim()
            .trim_matches(|c| c == '\'' || c == '"')
            .to_string();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        for candidate in crate::extract::urls::hosts_in_value(&key, value) {
            if crate::extract::urls::classify_host(&candidate.host)
                != crate::extract::urls::HostClass::Public
                || is_site_link(&value[candidate.range.clone()])
            {
                continue;
            }
            let start = piece.range.start + candidate.range.start;
            let span = file.span(start..piece.range.start + candidate.range.end);
            let mut flow = FlowFact::observed(
                NodeRef::to(owner.id.clone()),
                FlowTarget::Host {
                    host: candidate.host,
                    span: Some(span),
                },
                Some(span),
                Origin::AppConfig,
            );
            flow.inferred = true;
            found.push(flow);
        }
    }
    found
}

/// One inferred flow per (source, host): a vendor's URL called ten times is one flow, at its
/// first occurrence in path order (facts arrive merged in file order, each file's in text order).
/// The categories the later calls show are added to it, so no call's data is lost. Calls in files
/// of different environment classes stay apart: a test's call never stands for, nor adds its
/// data to, a production one.
pub(crate) fn dedup_hosts(facts: &mut Facts, classes: &super::Classes) {
    let mut first: std::collections::BTreeMap<
        (Option<String>, String, crate::facts::Environment),
        usize,
    > = std::collections::BTreeMap::new();
    let mut kept: Vec<FlowFact> = Vec::with_capacity(facts.flows.len());
    let ranges = std::mem::take(&mut facts.classes);
    for flow in std::mem::take(&mut facts.flows) {
        let FlowTarget::Host { host, .. } = &flow.to else {
            kept.push(flow);
            continue;
        };
        if !flow.inferred {
            kept.push(flow);
            continue;
        }
        let key = (
            flow.from.as_ref().map(|f| f.id.clone()),
            host.clone(),
            classes.of_span_in(flow.span, &ranges),
        );
        match first.get(&key) {
            Some(&index) => {
                if let Some(earlier) = kept.get_mut(index) {
                    for data in flow.data {
                        if !earlier.data.iter().any(|d| d.key == data.key) {
                            earlier.data.push(data);
                        }
                    }
                }
            }
            None => {
                first.insert(key, kept.len());
                kept.push(flow);
            }
        }
    }
    facts.flows = kept;
    facts.classes = ranges;
}
