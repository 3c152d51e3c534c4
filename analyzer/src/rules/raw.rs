//! Spanned serde mirrors of the rule files: unknown keys are rejected where they stand.

use super::model::{
    Bloc, Confidence, HostForm, LegalBasis, ReplicaValue, StorePlacement, WhenUnset,
};
use serde::Deserialize;
use toml::Spanned;
use toml::value::Datetime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMeta {
    pub title: String,
    pub version: String,
    pub as_of: Spanned<Datetime>,
    pub source: String,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JurisdictionsFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub jurisdiction: Vec<RawJurisdiction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJurisdiction {
    pub code: Spanned<String>,
    pub name: String,
    pub bloc: Bloc,
    pub part_of: Option<Spanned<String>>,
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdequacyFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub decision: Vec<RawDecision>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDecision {
    pub id: Spanned<String>,
    pub jurisdiction: Spanned<String>,
    pub instrument: String,
    pub legal_basis: LegalBasis,
    pub adopted: Spanned<Datetime>,
    pub adopted_confidence: Option<Confidence>,
    pub expires: Option<Spanned<Datetime>>,
    pub next_review: Option<Spanned<Datetime>>,
    pub scope: String,
    pub litigation: Option<String>,
    pub eea_effective: Option<Spanned<Datetime>>,
    pub note: Option<String>,
    #[serde(default)]
    pub condition: Vec<RawCondition>,
    #[serde(default)]
    pub pending: Vec<RawPending>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

/// `[[decision.pending]]`: court proceedings against a decision that are still open.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPending {
    pub case: Spanned<String>,
    pub kind: Spanned<String>,
    pub court: Spanned<String>,
    pub against: Option<String>,
    pub lodged: Spanned<Datetime>,
    pub checked: Spanned<Datetime>,
    pub source: Option<String>,
    pub confidence: Option<Confidence>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RawConditionKind {
    Certification,
    Assumed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCondition {
    pub kind: Spanned<RawConditionKind>,
    pub value: Option<Spanned<String>>,
    pub register: Option<String>,
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MechanismsFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub mechanism: Vec<RawMechanism>,
    #[serde(default)]
    pub derogation: Vec<RawDerogation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMechanism {
    pub id: Spanned<String>,
    pub name: String,
    pub article: String,
    #[serde(default)]
    pub requires_tia: bool,
    #[serde(default)]
    pub requires_reference: bool,
    #[serde(default = "default_true")]
    pub approved_by_default: bool,
    pub current_version: Option<Spanned<String>>,
    #[serde(default)]
    pub recipient_certification: bool,
    pub note: Option<String>,
    #[serde(default)]
    pub version: Vec<RawMechanismVersion>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMechanismVersion {
    pub id: Spanned<String>,
    pub instrument: String,
    pub transfer_tool: bool,
    pub valid_from: Option<Spanned<Datetime>>,
    pub signed_before: Option<Spanned<Datetime>>,
    pub valid_until: Option<Spanned<Datetime>>,
    #[serde(default)]
    pub modules: Vec<Spanned<u8>>,
    pub note: Option<String>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDerogation {
    pub id: Spanned<String>,
    pub article: String,
    pub name: String,
    #[serde(default)]
    pub occasional_only: bool,
    #[serde(default)]
    pub public_authority_may_use: bool,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProvidersFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub provider: Vec<RawProvider>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProvider {
    pub id: Spanned<String>,
    pub name: String,
    pub legal_entity: String,
    pub country: Spanned<String>,
    #[serde(default)]
    pub certifications: Vec<String>,
    pub certifications_confidence: Option<Confidence>,
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    #[serde(default)]
    pub host: Vec<RawProviderHost>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProviderHost {
    pub suffix: Spanned<String>,
    pub form: HostForm,
    #[serde(default)]
    pub countries: Vec<Spanned<String>>,
    pub region: Option<Spanned<String>>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegionsFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub region: Vec<RawRegion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegion {
    pub provider: Spanned<String>,
    pub id: Spanned<String>,
    pub name: String,
    pub countries: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub multi_region: bool,
    /// The region geo-redundant storage copies to (Azure pairs).
    pub paired: Option<Spanned<String>>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategoriesFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub special: Vec<RawSpecial>,
    #[serde(default)]
    pub extension: Vec<RawExtension>,
    #[serde(default)]
    pub non_personal: Vec<RawNonPersonal>,
    #[serde(default)]
    pub field: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSpecial {
    pub category: Spanned<String>,
    pub article: Spanned<u8>,
    pub kind: String,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExtension {
    pub key: Spanned<String>,
    pub name: String,
    pub parent: Spanned<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNonPersonal {
    pub key: Spanned<String>,
    pub note: Option<String>,
}

/// A field name that means personal data (`[[field]]` in `categories.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    pub name: Spanned<String>,
    pub category: Spanned<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VendorsFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub vendor: Vec<RawVendor>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVendor {
    pub id: Spanned<String>,
    pub name: String,
    pub legal_entity: String,
    pub country: Spanned<String>,
    pub default_countries: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub certifications: Vec<String>,
    pub certifications_confidence: Option<Confidence>,
    #[serde(default)]
    pub domains: Vec<Spanned<String>>,
    #[serde(default)]
    pub endpoint: Vec<RawEndpoint>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEndpoint {
    pub host: Spanned<String>,
    #[serde(default)]
    pub countries: Vec<Spanned<String>>,
    pub note: Option<String>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoresFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub store: Vec<RawStore>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    pub resource_type: Spanned<String>,
    pub provider: Spanned<String>,
    pub description: String,
    pub name_argument: String,
    pub placement: Spanned<StorePlacement>,
    pub argument: Option<Spanned<String>>,
    pub default: Option<Spanned<String>>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModulesFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub module: Vec<RawModule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModule {
    pub source: Spanned<String>,
    #[serde(default)]
    pub submodule: Option<Spanned<String>>,
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    #[serde(default)]
    pub repositories: Vec<Spanned<String>>,
    pub provider: Spanned<String>,
    pub description: String,
    pub name_input: Option<String>,
    pub location_input: Option<String>,
    pub when_unset: Spanned<WhenUnset>,
    pub default: Option<Spanned<String>>,
    #[serde(default)]
    pub replica: Vec<RawModuleReplica>,
    pub note: Option<String>,
    pub source_url: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModuleReplica {
    pub input: String,
    pub field: Option<String>,
    pub value: ReplicaValue,
    #[serde(default)]
    pub same_region_when_unset: bool,
    pub note: Option<String>,
}
