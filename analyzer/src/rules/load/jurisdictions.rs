//! `jurisdictions.toml`: the ISO 3166-1 codes, their blocs and aliases; and the check every other
//! kind uses for a country code.

use super::provenance::{Defaults, Provenance};
use super::{Context, Item};
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::BTreeMap;
use toml::Spanned;

/// Every jurisdiction code and its bloc: what a country code in any rule file must be.
pub(in crate::rules) type Codes = BTreeMap<String, Bloc>;

/// The codes of the jurisdictions about to be built, read first: every other file refers to them.
pub(in crate::rules) fn codes(records: &[Item<RawJurisdiction>]) -> Codes {
    records
        .iter()
        .map(|i| (i.value.code.get_ref().trim().to_string(), i.value.bloc))
        .collect()
}

/// Validates the jurisdictions: upper-case two-letter codes (longer only for international
/// organisations), known `part_of`, aliases that are not codes themselves.
pub(in crate::rules) fn build(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    codes: &Codes,
    records: Vec<Item<RawJurisdiction>>,
) -> Vec<Jurisdiction> {
    let mut jurisdictions = Vec::new();
    for Item { file, value: r } in records {
        let code = r.code.get_ref().trim().to_string();
        let well_formed = code.chars().all(|c| c.is_ascii_uppercase())
            && (code.len() == 2 || r.bloc == Bloc::InternationalOrganisation);
        if !well_formed {
            context.error(
                file,
                r.code.span(),
                format!("`{code}` is not an upper-case ISO 3166-1 alpha-2 code"),
            );
        }
        let part_of = r
            .part_of
            .as_ref()
            .map(|p| check_country(context, codes, file, p));
        let mut aliases = Vec::new();
        for alias in &r.aliases {
            let value = alias.get_ref().trim().to_ascii_uppercase();
            if codes.contains_key(&value) {
                context.error(
                    file,
                    alias.span(),
                    format!("alias `{value}` is itself a jurisdiction code"),
                );
            }
            aliases.push(value);
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
        jurisdictions.push(Jurisdiction {
            code,
            name: r.name,
            bloc: r.bloc,
            part_of,
            aliases,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    jurisdictions
}

/// A country code as written, reported where it is not a `code` of `jurisdictions.toml`.
pub(in crate::rules) fn check_country(
    context: &mut Context,
    codes: &Codes,
    file: usize,
    code: &Spanned<String>,
) -> String {
    let value = code.get_ref().trim().to_string();
    if !codes.contains_key(&value) {
        context.error(
            file,
            code.span(),
            format!("unknown country code `{value}`: not in jurisdictions.toml"),
        );
    }
    value
}
