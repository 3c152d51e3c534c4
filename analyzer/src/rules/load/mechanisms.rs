//! `mechanisms.toml`: the Art. 45-47 mechanisms with their versions (the SCC decisions), and the
//! Art. 49 derogations.

use super::provenance::{Defaults, Provenance, optional_date};
use super::{Context, Item};
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// Validates the mechanisms: unique version ids, `valid_until` not before `valid_from`, SCC
/// modules 1 to 4, and a `current_version` that is valid today.
pub(in crate::rules) fn build(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    records: Vec<Item<RawMechanism>>,
) -> Vec<Mechanism> {
    let mut mechanisms = Vec::new();
    for Item { file, value: r } in records {
        let Provenance {
            source,
            as_of,
            confidence,
        } = Provenance::of(
            context,
            defaults,
            file,
            r.source,
            r.as_of.as_ref(),
            r.confidence,
        );
        let mut versions = Vec::new();
        let mut seen = BTreeSet::new();
        for v in r.version {
            let id = v.id.get_ref().trim().to_string();
            if !seen.insert(id.clone()) {
                context.error(file, v.id.span(), format!("duplicate version `{id}`"));
            }
            let valid_from = optional_date(context, file, v.valid_from.as_ref());
            let signed_before = optional_date(context, file, v.signed_before.as_ref());
            let valid_until = optional_date(context, file, v.valid_until.as_ref());
            if let (Some(from), Some(until), Some(span)) = (
                valid_from,
                valid_until,
                v.valid_until.as_ref().map(|d| d.span()),
            ) && until < from
            {
                context.error(
                    file,
                    span,
                    format!("valid_until {until} is before valid_from {from}"),
                );
            }
            let mut modules = Vec::new();
            for module in &v.modules {
                if !(1..=4).contains(module.get_ref()) {
                    context.error(file, module.span(), "SCC modules are numbered 1 to 4");
                }
                modules.push(*module.get_ref());
            }
            versions.push(MechanismVersion {
                id,
                instrument: v.instrument,
                transfer_tool: v.transfer_tool,
                valid_from,
                signed_before,
                valid_until,
                modules,
                note: v.note,
                confidence: v.confidence.unwrap_or(confidence),
            });
        }
        let current_version = current_version(context, file, &r.id, r.current_version, &versions);
        mechanisms.push(Mechanism {
            id: r.id.get_ref().trim().to_string(),
            name: r.name,
            article: r.article,
            requires_tia: r.requires_tia,
            requires_reference: r.requires_reference,
            approved_by_default: r.approved_by_default,
            versions,
            current_version,
            recipient_certification: r.recipient_certification,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    mechanisms
}

/// The derogations (Art. 49), with their inherited provenance.
pub(in crate::rules) fn build_derogations(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    records: Vec<Item<RawDerogation>>,
) -> Vec<Derogation> {
    let mut derogations = Vec::new();
    for Item { file, value: r } in records {
        let Provenance {
            source,
            as_of,
            confidence,
        } = Provenance::of(
            context,
            defaults,
            file,
            r.source,
            r.as_of.as_ref(),
            r.confidence,
        );
        derogations.push(Derogation {
            id: r.id.get_ref().trim().to_string(),
            article: r.article,
            name: r.name,
            occasional_only: r.occasional_only,
            public_authority_may_use: r.public_authority_may_use,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    derogations
}

/// A mechanism's `current_version`: one of its own versions, a transfer tool with no end, so
/// that what help texts tell users to sign is valid today. The `scc` mechanism must name one,
/// because every SCC help text and `borderline init` stanza is written from it.
fn current_version(
    context: &mut Context,
    file: usize,
    mechanism: &Spanned<String>,
    current: Option<Spanned<String>>,
    versions: &[MechanismVersion],
) -> Option<String> {
    let Some(current) = current else {
        if mechanism.get_ref().trim().eq_ignore_ascii_case("scc") {
            context.error(
                file,
                mechanism.span(),
                "mechanism `scc` needs `current_version` (the SCC version help texts tell users to sign)",
            );
        }
        return None;
    };
    let id = current.get_ref().trim().to_string();
    match versions.iter().find(|v| v.id == id) {
        None => context.error(
            file,
            current.span(),
            format!("current_version `{id}` is not a version of this mechanism"),
        ),
        Some(v) if !v.transfer_tool || v.signed_before.is_some() || v.valid_until.is_some() => {
            context.error(
                file,
                current.span(),
                format!("current_version `{id}` must be a transfer tool with no `signed_before` or `valid_until`"),
            )
        }
        Some(_) => {}
    }
    Some(id)
}
