//! `vendors.toml`: SaaS recipients, their hosts and residency endpoints.

use super::jurisdictions::{Codes, check_country};
use super::provenance::{Defaults, Provenance};
use super::{Context, Item};
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::BTreeMap;
use toml::Spanned;

/// Validates the vendors: known countries and host patterns; `default_countries` defaults to
/// the vendor's country.
pub(in crate::rules) fn build(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    codes: &Codes,
    records: Vec<Item<RawVendor>>,
) -> Vec<Vendor> {
    let mut vendors = Vec::new();
    for Item { file, value: r } in records {
        let country = check_country(context, codes, file, &r.country);
        let default_countries = match &r.default_countries {
            Some(list) => list
                .iter()
                .map(|c| check_country(context, codes, file, c))
                .collect(),
            None => vec![country.clone()],
        };
        let mut domains = Vec::new();
        for domain in &r.domains {
            domains.push(check_host_pattern(context, file, domain));
        }
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
        let mut endpoints = Vec::new();
        for endpoint in &r.endpoint {
            let host = check_host_pattern(context, file, &endpoint.host);
            let countries = endpoint
                .countries
                .iter()
                .map(|c| check_country(context, codes, file, c))
                .collect();
            endpoints.push(Endpoint {
                host,
                countries,
                note: endpoint.note.clone(),
                confidence: endpoint.confidence.unwrap_or(confidence),
            });
        }
        vendors.push(Vendor {
            id: r.id.get_ref().trim().to_ascii_lowercase(),
            name: r.name,
            legal_entity: r.legal_entity,
            country,
            default_countries,
            certifications: r
                .certifications
                .iter()
                .map(|c| c.trim().to_ascii_lowercase())
                .collect(),
            certifications_confidence: r.certifications_confidence.unwrap_or(confidence),
            domains,
            endpoints,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    vendors
}

/// Host patterns are lower-case names, optionally starting with `*` (any non-empty prefix).
fn check_host_pattern(context: &mut Context, file: usize, pattern: &Spanned<String>) -> String {
    let value = pattern.get_ref().trim().to_string();
    let rest = value.strip_prefix('*').unwrap_or(&value);
    let valid = !rest.is_empty()
        && !rest.contains('*')
        && rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'));
    if !valid {
        context.error(
            file,
            pattern.span(),
            format!(
                "`{value}` is not a host pattern (lower-case host, optionally starting with `*.`)"
            ),
        );
    }
    value
}
