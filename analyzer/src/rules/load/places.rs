//! `providers.toml` and `regions/*.toml`: the hosting providers and their regions' countries.

use super::jurisdictions::{Codes, check_country};
use super::provenance::{Defaults, Provenance};
use super::{Context, Item};
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::{BTreeMap, BTreeSet};

/// Validates the providers: a known country; ids and aliases lower case.
pub(in crate::rules) fn build_providers(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    codes: &Codes,
    records: Vec<Item<RawProvider>>,
) -> Vec<Provider> {
    let mut providers = Vec::new();
    for Item { file, value: r } in records {
        let country = check_country(context, codes, file, &r.country);
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
        providers.push(Provider {
            id: r.id.get_ref().trim().to_ascii_lowercase(),
            name: r.name,
            legal_entity: r.legal_entity,
            country,
            certifications: r
                .certifications
                .iter()
                .map(|c| c.trim().to_ascii_lowercase())
                .collect(),
            certifications_confidence: r.certifications_confidence.unwrap_or(confidence),
            aliases: r
                .aliases
                .iter()
                .map(|a| a.get_ref().trim().to_ascii_lowercase())
                .collect(),
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    providers
}

/// Validates the regions: a known provider, at least one known country, and a `paired` region
/// of the same provider.
pub(in crate::rules) fn build_regions(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    codes: &Codes,
    provider_ids: &BTreeSet<String>,
    records: Vec<Item<RawRegion>>,
) -> Vec<Region> {
    let mut regions = Vec::new();
    let mut pairs_to_check = Vec::new();
    for Item { file, value: r } in records {
        let provider = r.provider.get_ref().trim().to_ascii_lowercase();
        if !provider_ids.contains(&provider) {
            context.error(
                file,
                r.provider.span(),
                format!("unknown provider `{provider}`: not in providers.toml"),
            );
        }
        if r.countries.get_ref().is_empty() {
            context.error(
                file,
                r.countries.span(),
                "a region needs at least one country",
            );
        }
        let countries = r
            .countries
            .get_ref()
            .iter()
            .map(|c| check_country(context, codes, file, c))
            .collect();
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
        if let Some(paired) = &r.paired {
            pairs_to_check.push((file, provider.clone(), paired.clone()));
        }
        regions.push(Region {
            provider,
            id: r.id.get_ref().trim().to_string(),
            name: r.name,
            countries,
            multi_region: r.multi_region,
            paired: r.paired.map(|p| p.get_ref().trim().to_ascii_lowercase()),
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    // A paired region must itself be a region of the same provider.
    for (file, provider, paired) in pairs_to_check {
        let wanted = paired.get_ref().trim().to_ascii_lowercase();
        let known = regions
            .iter()
            .any(|r| r.provider == provider && r.id.to_ascii_lowercase() == wanted);
        if !known {
            context.error(
                file,
                paired.span(),
                format!("paired region `{wanted}` is not a region of `{provider}`"),
            );
        }
    }
    regions
}
