//! `providers.toml` and `regions/*.toml`: the hosting providers and their regions' countries.

use super::jurisdictions::{Codes, check_country};
use super::provenance::{Defaults, Provenance, optional_date};
use super::{Context, Item};
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// A host suffix's fixed region, checked once the provider's regions are known.
pub(in crate::rules) struct HostRegion {
    file: usize,
    provider: String,
    region: Spanned<String>,
}

/// Validates the providers: a known country; ids and aliases lower case; host suffixes that are
/// host names, with known countries. Returns the hosts' fixed regions to check against the
/// regions (`check_host_regions`).
pub(in crate::rules) fn build_providers(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    codes: &Codes,
    records: Vec<Item<RawProvider>>,
) -> (Vec<Provider>, Vec<HostRegion>) {
    let mut providers = Vec::new();
    let mut host_regions = Vec::new();
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
        let id = r.id.get_ref().trim().to_ascii_lowercase();
        let mut hosts = Vec::new();
        for host in r.host {
            if let Some(region) = &host.region {
                host_regions.push(HostRegion {
                    file,
                    provider: id.clone(),
                    region: region.clone(),
                });
            }
            // A host's source and date default to its provider's.
            let host_source = host.source.clone().unwrap_or_else(|| source.clone());
            let host_as_of = optional_date(context, file, host.as_of.as_ref()).unwrap_or(as_of);
            hosts.push(provider_host(
                context,
                codes,
                file,
                host,
                (host_source, host_as_of),
            ));
        }
        providers.push(Provider {
            id,
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
            hosts,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    (providers, host_regions)
}

/// One `[[provider.host]]`: a lower-case host suffix without a leading dot, known countries.
fn provider_host(
    context: &mut Context,
    codes: &Codes,
    file: usize,
    host: RawProviderHost,
    (source, as_of): (String, crate::date::Date),
) -> ProviderHost {
    let suffix = host.suffix.get_ref().trim().to_string();
    let valid = suffix.contains('.')
        && !suffix.starts_with('.')
        && !suffix.ends_with('.')
        && suffix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'));
    if !valid {
        context.error(
            file,
            host.suffix.span(),
            format!("`{suffix}` is not a host suffix (a lower-case domain without a leading dot)"),
        );
    }
    let countries = host
        .countries
        .iter()
        .map(|c| check_country(context, codes, file, c))
        .collect();
    ProviderHost {
        suffix,
        form: host.form,
        countries,
        region: host.region.map(|r| r.get_ref().trim().to_ascii_lowercase()),
        note: host.note,
        source,
        as_of,
    }
}

/// A host suffix's fixed region must be a region of its provider.
pub(in crate::rules) fn check_host_regions(
    context: &mut Context,
    pending: Vec<HostRegion>,
    regions: &[Region],
) {
    for HostRegion {
        file,
        provider,
        region,
    } in pending
    {
        let wanted = region.get_ref().trim().to_ascii_lowercase();
        let known = regions
            .iter()
            .any(|r| r.provider == provider && r.id.to_ascii_lowercase() == wanted);
        if !known {
            context.error(
                file,
                region.span(),
                format!("region `{wanted}` is not a region of `{provider}`"),
            );
        }
    }
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
