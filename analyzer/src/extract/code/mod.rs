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
use crate::model::facts::{DataRef, Facts, FlowFact, FlowTarget, NodeRef, Origin};
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
        facts.flows = flows(file, lang, &owner);
        if !facts.flows.is_empty() && owner.from_package {
            facts
                .nodes
                .push(annotation::package_node(&owner, Origin::Inference, true));
        }
        facts
    }

    fn finish(&self, facts: &mut Facts) {
        dedup_hosts(facts);
        super::comment_tags::dedup_nodes(facts);
    }
}

/// The inferred flows of one file's client calls, from `owner`. Tests, examples and vendored
/// code give none.
pub(crate) fn flows(file: &SourceFile, lang: Lang, owner: &Owner) -> Vec<FlowFact> {
    let path = file.path.as_str();
    if paths::is_test_path(path) || paths::is_vendored_path(path) {
        return Vec::new();
    }
    calls::outbound_calls(file, lang)
        .into_iter()
        .map(|call| {
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
                    key: category.to_string(),
                    span: Some(file.span(range)),
                })
                .collect();
            // A call to a client is a guess that the code sends data there.
            flow.inferred = true;
            flow
        })
        .collect()
}

/// One inferred flow per (source, host): a vendor's URL called ten times is one flow, at its
/// first occurrence in path order (facts arrive merged in file order, each file's in text order).
/// The categories the later calls show are added to it, so no call's data is lost.
pub(crate) fn dedup_hosts(facts: &mut Facts) {
    let mut first: std::collections::BTreeMap<(Option<String>, String), usize> =
        std::collections::BTreeMap::new();
    let mut kept: Vec<FlowFact> = Vec::with_capacity(facts.flows.len());
    for flow in std::mem::take(&mut facts.flows) {
        let FlowTarget::Host { host, .. } = &flow.to else {
            kept.push(flow);
            continue;
        };
        if !flow.inferred {
            kept.push(flow);
            continue;
        }
        let key = (flow.from.as_ref().map(|f| f.id.clone()), host.clone());
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
}
