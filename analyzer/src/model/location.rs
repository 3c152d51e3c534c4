//! Location resolution: a written location (country, bloc, provider region) to the countries it may place data in.

use crate::date::Date;
use crate::facts::{LocatedAt, Location};
use crate::rules::RuleSet;
use std::collections::BTreeSet;

/// Where a node's data may be, after rule data has been consulted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolvedLocation {
    /// No location, or one that rule data cannot place; the reason says which.
    Unknown { reason: String },
    /// Somewhere inside a bloc (`EU`, `EEA`): no single country, but inside the EEA.
    Bloc(String),
    /// Every country the data may be placed in (one, or several for multi-regions).
    Countries {
        countries: BTreeSet<String>,
        /// The region the countries come from, e.g. `aws:eu-west-1`.
        region: Option<String>,
        /// False when the region mapping in rule data is unverified.
        verified: bool,
    },
}

impl ResolvedLocation {
    pub fn is_known(&self) -> bool {
        !matches!(self, ResolvedLocation::Unknown { .. })
    }

    /// Countries outside the EEA that the data may reach. Empty for EEA locations and unknown ones.
    pub fn third_countries(&self, rules: &RuleSet) -> Vec<String> {
        match self {
            ResolvedLocation::Countries { countries, .. } => countries
                .iter()
                .filter(|country| !rules.is_eea(country))
                .cloned()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// True when every place the data may be is inside the EEA.
    pub fn inside_eea(&self, rules: &RuleSet) -> bool {
        match self {
            ResolvedLocation::Bloc(_) => true,
            ResolvedLocation::Countries { countries, .. } => {
                countries.iter().all(|c| rules.is_eea(c))
            }
            ResolvedLocation::Unknown { .. } => false,
        }
    }

    /// A short display: `IE`, `US`, `BE, FI, NL`, `EEA`, `unknown`.
    pub fn display(&self) -> String {
        match self {
            ResolvedLocation::Unknown { .. } => "unknown".into(),
            ResolvedLocation::Bloc(bloc) => bloc.clone(),
            ResolvedLocation::Countries { countries, .. } => {
                countries.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        }
    }

    /// The country for JSON `from_country`/`to_country`: the only one, or all joined by `,`.
    pub fn country_field(&self) -> Option<String> {
        match self {
            ResolvedLocation::Unknown { .. } => None,
            other => Some(other.display().replace(' ', "")),
        }
    }
}

/// The jurisdiction group a node is drawn in and reported under.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum JurisdictionStatus {
    Eea,
    Adequate,
    ThirdCountry,
    Unknown,
}

impl JurisdictionStatus {
    pub fn of(location: &ResolvedLocation, rules: &RuleSet, date: Date) -> JurisdictionStatus {
        if !location.is_known() {
            return JurisdictionStatus::Unknown;
        }
        if location.inside_eea(rules) {
            return JurisdictionStatus::Eea;
        }
        let all_adequate = location
            .third_countries(rules)
            .iter()
            .all(|country| !rules.adequacy_in_force(country, date).is_empty());
        if all_adequate {
            JurisdictionStatus::Adequate
        } else {
            JurisdictionStatus::ThirdCountry
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            JurisdictionStatus::Eea => "EEA",
            JurisdictionStatus::Adequate => "Adequate",
            JurisdictionStatus::ThirdCountry => "Third country",
            JurisdictionStatus::Unknown => "Unknown location",
        }
    }
}

/// Resolves a written location through rule data.
pub fn resolve(location: Option<&LocatedAt>, rules: &RuleSet) -> ResolvedLocation {
    let Some(located) = location else {
        return ResolvedLocation::Unknown {
            reason: "no location is declared or found in configuration".into(),
        };
    };
    match &located.location {
        Location::Unknown => ResolvedLocation::Unknown {
            reason: located
                .unresolved_reason
                .clone()
                .unwrap_or_else(|| "the location is given as `unknown`".into()),
        },
        Location::Bloc(bloc) => ResolvedLocation::Bloc(bloc.clone()),
        Location::Country(code) => match rules.jurisdiction(code) {
            Some(jurisdiction) => ResolvedLocation::Countries {
                countries: BTreeSet::from([jurisdiction.code.clone()]),
                region: None,
                verified: true,
            },
            None => ResolvedLocation::Unknown {
                reason: format!("`{code}` is not a country code in the rule data"),
            },
        },
        Location::Region { provider, region } => match rules.region(provider, region) {
            Some(found) => ResolvedLocation::Countries {
                countries: found.countries.iter().cloned().collect(),
                region: Some(format!("{}:{}", found.provider, found.id)),
                verified: found.confidence.is_verified(),
            },
            None => ResolvedLocation::Unknown {
                reason: format!(
                    "region `{region}` of `{provider}` is not in the rule data (rules/regions/)"
                ),
            },
        },
    }
}

/// The hosting provider a location names (`aws:eu-west-1` is hosted by `aws`).
pub fn provider_of(location: Option<&LocatedAt>, rules: &RuleSet) -> Option<String> {
    match &location?.location {
        Location::Region { provider, .. } => rules.provider(provider).map(|p| p.id.clone()),
        _ => None,
    }
}
