//! The public record types of the rule data: what the evaluator and `borderline rules` read.

use crate::date::Date;
use serde::{Deserialize, Serialize};

/// How well a record is established (see `rules/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Confidence {
    /// Confirmed from the cited primary source.
    C,
    /// Confirmed from a secondary source.
    C2,
    /// Background knowledge, not re-read.
    K,
    /// Unconfirmed.
    U,
}

impl Confidence {
    /// `C` and `C2` are verified; verdicts that rest on `K` or `U` must say so.
    pub fn is_verified(self) -> bool {
        matches!(self, Confidence::C | Confidence::C2)
    }

    /// The tag as written in rule data.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::C => "C",
            Confidence::C2 => "C2",
            Confidence::K => "K",
            Confidence::U => "U",
        }
    }
}

/// Where a jurisdiction stands for Chapter V.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bloc {
    Eu,
    Eea,
    Third,
    InternationalOrganisation,
}

/// A country or territory (ISO 3166-1 alpha-2) or an international organisation.
#[derive(Debug, Clone, Serialize)]
pub struct Jurisdiction {
    pub code: String,
    pub name: String,
    pub bloc: Bloc,
    /// The member state (or state) a territory belongs to, e.g. `FI` for `AX`.
    pub part_of: Option<String>,
    pub aliases: Vec<String>,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

impl Jurisdiction {
    /// Inside the EU or the EEA, where Chapter V does not apply.
    pub fn is_eea(&self) -> bool {
        matches!(self.bloc, Bloc::Eu | Bloc::Eea)
    }
}

/// The legal basis an adequacy decision was adopted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Art. 25(6) Directive 95/46, kept in force by Art. 45(9) GDPR.
    #[serde(rename = "dir95_art25_6")]
    Dir95Art25_6,
    #[serde(rename = "gdpr_art45")]
    GdprArt45,
    /// Law Enforcement Directive, Art. 36 Directive 2016/680: not a GDPR transfer basis.
    #[serde(rename = "led_art36")]
    LedArt36,
}

/// What a scope condition asks of the recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum ConditionKind {
    /// The recipient must hold this certification (e.g. `dpf`).
    Certification(String),
    /// Not checkable from a repository; reported with every verdict relying on it.
    Assumed,
}

/// A limit on the scope of an adequacy decision.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeCondition {
    pub kind: ConditionKind,
    /// For a `certification`: the public list a certified recipient is on (the Data Privacy
    /// Framework List), named in help texts.
    pub register: Option<String>,
    pub description: String,
}

/// One adequacy decision (Art. 45 GDPR or its predecessors).
#[derive(Debug, Clone, Serialize)]
pub struct AdequacyDecision {
    pub id: String,
    pub jurisdiction: String,
    pub instrument: String,
    pub legal_basis: LegalBasis,
    pub adopted: Date,
    /// The confidence of the adoption date when weaker than the record's.
    pub adopted_confidence: Confidence,
    /// The last day the decision applies ("shall expire on" that date: it ceases at the end of
    /// the day, Regulation (EEC, Euratom) No 1182/71 Art. 4(2)); expired from the next day.
    pub expires: Option<Date>,
    /// Expected review date; approximate where the note says so.
    pub next_review: Option<Date>,
    pub scope: String,
    pub conditions: Vec<ScopeCondition>,
    pub litigation: Option<String>,
    /// Court proceedings against the decision still open when last checked (the DPF's appeal).
    pub pending: Vec<PendingCase>,
    /// When EEA/EFTA states (IS, LI, NO) can rely on it; `None` means unknown or pending.
    pub eea_effective: Option<Date>,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// Court proceedings against an adequacy decision, open on the day they were last checked: what
/// a verdict relying on the decision says beside it ("appeal C-703/25 P pending, checked ...").
#[derive(Debug, Clone, Serialize)]
pub struct PendingCase {
    /// The case number (`C-703/25 P`).
    pub case: String,
    /// What it is (`appeal`, `action for annulment`).
    pub kind: String,
    pub court: String,
    /// The judgment or act it is brought against, when that is not the decision itself.
    pub against: Option<String>,
    pub lodged: Date,
    /// The last day the case was seen pending.
    pub checked: Date,
    pub source: String,
    pub confidence: Confidence,
    pub note: Option<String>,
}

impl PendingCase {
    /// `appeal C-703/25 P pending, checked 2026-11-30`.
    pub fn summary(&self) -> String {
        format!(
            "{} {} pending, checked {}",
            self.kind, self.case, self.checked
        )
    }
}

impl AdequacyDecision {
    /// In force on `date`: adopted on or before it and not past its expiry day (the expiry day
    /// itself is still in force).
    pub fn in_force_on(&self, date: Date) -> bool {
        self.adopted <= date && self.expires.is_none_or(|expires| date <= expires)
    }

    /// Expired on `date`: past its expiry day. A decision is never both in force and expired.
    pub fn expired_on(&self, date: Date) -> bool {
        self.expires.is_some_and(|expires| expires < date)
    }

    /// A basis for GDPR transfers (the LED decision for the UK is not).
    pub fn is_gdpr(&self) -> bool {
        !matches!(self.legal_basis, LegalBasis::LedArt36)
    }

    /// The certification the recipient must hold, if any (e.g. `dpf`).
    pub fn required_certifications(&self) -> Vec<&str> {
        self.conditions
            .iter()
            .filter_map(|c| match &c.kind {
                ConditionKind::Certification(value) => Some(value.as_str()),
                ConditionKind::Assumed => None,
            })
            .collect()
    }
}

/// An Art. 45-47 transfer mechanism.
#[derive(Debug, Clone, Serialize)]
pub struct Mechanism {
    pub id: String,
    pub name: String,
    pub article: String,
    pub requires_tia: bool,
    pub requires_reference: bool,
    pub approved_by_default: bool,
    pub versions: Vec<MechanismVersion>,
    /// The version to sign today (`2021/914` for SCCs): what help texts tell users to declare.
    pub current_version: Option<String>,
    /// A recipient can hold it and declare it in a node's `certifications` (`bcr`).
    pub recipient_certification: bool,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

impl Mechanism {
    /// A version by id (`2021/914`); also accepts the `/EC`, `/EU` and `(EU) ` spellings.
    pub fn version(&self, id: &str) -> Option<&MechanismVersion> {
        let wanted = normalise_instrument_id(id);
        self.versions
            .iter()
            .find(|v| normalise_instrument_id(&v.id) == wanted)
    }
}

/// `(EU) 2021/914`, `2010/87/EU` and `2001/497/ec` all name the same decision.
fn normalise_instrument_id(id: &str) -> String {
    let lower = id.trim().to_ascii_lowercase();
    let without_prefix = lower.trim_start_matches("(eu)").trim();
    without_prefix
        .trim_end_matches("/eu")
        .trim_end_matches("/ec")
        .to_string()
}

/// A version of a mechanism (an SCC decision).
#[derive(Debug, Clone, Serialize)]
pub struct MechanismVersion {
    pub id: String,
    pub instrument: String,
    /// `false`: not a Chapter V tool at all (2021/915).
    pub transfer_tool: bool,
    pub valid_from: Option<Date>,
    /// Only contracts signed before this day may use it.
    pub signed_before: Option<Date>,
    /// The last day it counts as a safeguard.
    pub valid_until: Option<Date>,
    pub modules: Vec<u8>,
    pub note: Option<String>,
    pub confidence: Confidence,
}

impl MechanismVersion {
    /// Usable on `date` for a contract signed on `signed` (if known).
    pub fn valid_on(&self, date: Date, signed: Option<Date>) -> bool {
        self.transfer_tool
            && self.valid_from.is_none_or(|from| from <= date)
            && self.valid_until.is_none_or(|until| date <= until)
            && match (self.signed_before, signed) {
                (Some(limit), Some(signed)) => signed < limit,
                (Some(_), None) => false,
                (None, _) => true,
            }
    }
}

/// An Art. 49 derogation.
#[derive(Debug, Clone, Serialize)]
pub struct Derogation {
    pub id: String,
    pub article: String,
    pub name: String,
    pub occasional_only: bool,
    pub public_authority_may_use: bool,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// A hosting provider that owns cloud regions.
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub legal_entity: String,
    pub country: String,
    pub certifications: Vec<String>,
    /// How well the certification list is established (DPF status of the big three is `K`).
    pub certifications_confidence: Confidence,
    pub aliases: Vec<String>,
    /// Service endpoint host names of the provider, by DNS suffix.
    pub hosts: Vec<ProviderHost>,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// How the labels before a provider's host suffix name the service and the region. Parsing each
/// form is code (`model::endpoint`); which suffixes exist and what they imply is rule data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostForm {
    /// `<bucket>.s3.<region>`, `<service>.<region>`, `<id>.<region>.rds`, ...
    Aws,
    /// `<service>.<region>` labels or a `<region>-<service>` prefix.
    Google,
    /// `<database>.<region>` (or only `<database>` where the host's region is fixed).
    FirebaseRtdb,
    /// `<service>.<region>` among deeper labels.
    Oci,
    /// `<bucket>.oss-<region>` or `<service>.<region>`.
    Alibaba,
    /// `<name>.<region>`.
    AzureCloudapp,
}

/// A provider's service endpoint host suffix (`amazonaws.eu`) and what it implies.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderHost {
    /// Without a leading dot, lower case: a host ends with `.` and the suffix.
    pub suffix: String,
    pub form: HostForm,
    /// The one jurisdiction of a partition (`amazonaws.eu`: DE), for hosts that name no region.
    pub countries: Vec<String>,
    /// The region every host under the suffix is in (the legacy Firebase host: us-central1).
    pub region: Option<String>,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
}

/// A cloud region, keyed by (provider, id).
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub provider: String,
    pub id: String,
    pub name: String,
    /// One country, or every country a multi-region may place data in.
    pub countries: Vec<String>,
    pub multi_region: bool,
    /// Where geo-redundant storage in this region keeps its second copy (Azure region pairs).
    pub paired: Option<String>,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// Where a data category comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CategoryOrigin {
    /// The Fides taxonomy in `data-categories.csv`.
    Taxonomy,
    /// Added by borderline in `categories.toml`.
    Extension,
}

/// A data category (Fides key).
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub key: String,
    pub name: String,
    /// `None` for the roots (`user`, `system`).
    pub parent: Option<String>,
    pub origin: CategoryOrigin,
    pub deprecated_in: Option<String>,
    pub replaced_by: Option<String>,
}

/// The Art. 9 or Art. 10 category a key falls under.
#[derive(Debug, Clone, Serialize)]
pub struct SpecialCategory {
    pub category: String,
    /// `9` or `10`.
    pub article: u8,
    pub kind: String,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// A top-level category that is not personal data (`system`).
#[derive(Debug, Clone, Serialize)]
pub struct NonPersonalCategory {
    pub key: String,
    pub note: Option<String>,
}

/// A field name that means personal data, and the category it means (`[[field]]`).
#[derive(Debug, Clone, Serialize)]
pub struct FieldCategory {
    /// Lower case, words joined by `_`.
    pub name: String,
    pub category: String,
    pub note: Option<String>,
}

/// A SaaS recipient.
#[derive(Debug, Clone, Serialize)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    pub legal_entity: String,
    pub country: String,
    /// Where hosts that match no endpoint put data (default: `[country]`).
    pub default_countries: Vec<String>,
    pub certifications: Vec<String>,
    pub certifications_confidence: Confidence,
    /// `example.com` (exact) or `*.example.com` (any subdomain).
    pub domains: Vec<String>,
    pub endpoints: Vec<Endpoint>,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// A residency host of a vendor.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub host: String,
    /// Empty: residency host whose country is not documented (an unknown location).
    pub countries: Vec<String>,
    pub note: Option<String>,
    /// The tag of the endpoint's country; the vendor's `confidence` unless the endpoint says.
    pub confidence: Confidence,
}

/// The vendor a host belongs to, and where that host puts data.
#[derive(Debug, Clone, Serialize)]
pub struct VendorMatch<'a> {
    pub vendor: &'a Vendor,
    pub endpoint: Option<&'a Endpoint>,
    /// Empty when the endpoint's country is not documented.
    pub countries: Vec<String>,
}

/// Where a rule file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleFileOrigin {
    Builtin,
    Override,
}

/// The `[meta]` of one rule file, for `borderline rules`.
#[derive(Debug, Clone, Serialize)]
pub struct RuleFileMeta {
    pub file: String,
    pub origin: RuleFileOrigin,
    pub title: String,
    pub version: String,
    pub as_of: Date,
    pub source: String,
    pub confidence: Option<Confidence>,
    /// Records this file contributes before merging.
    pub records: usize,
}

/// How a store resource type's location is found (`rules/stores.toml`, `placement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorePlacement {
    /// The resource's own `region` (AWS provider 6+), else its `aws` provider's `region`.
    AwsRegion,
    /// The resource's `argument`, else the `google` provider's `region`.
    GoogleRegion,
    /// The resource's `argument`, required by the provider.
    Argument,
    /// The resource's `argument`, else `default`, the provider's documented default.
    ArgumentOrDefault,
    /// The location of the store the `argument` references (an Azure database's server).
    Via,
    /// `google_spanner_instance.config`: `regional-<region>` or a multi-region such as `eur3`.
    SpannerConfig,
    /// `google_pubsub_topic`: the regions of `message_storage_policy`, if any.
    PubsubStoragePolicy,
    /// `azurerm_cosmosdb_account`: the `geo_location` with failover priority 0.
    CosmosGeoLocation,
}

impl StorePlacement {
    /// Whether the placement reads an `argument` named in the record.
    pub fn needs_argument(self) -> bool {
        matches!(
            self,
            StorePlacement::GoogleRegion
                | StorePlacement::Argument
                | StorePlacement::ArgumentOrDefault
                | StorePlacement::Via
        )
    }
}

/// A Terraform resource type that holds data, keyed by `resource_type`.
#[derive(Debug, Clone, Serialize)]
pub struct StoreType {
    pub resource_type: String,
    /// A provider id from `providers.toml` (`aws`, `gcp`, `azure`).
    pub provider: String,
    pub description: String,
    /// The argument that names the store, for its label.
    pub name_argument: String,
    pub placement: StorePlacement,
    /// The argument `placement` reads, when it reads one.
    pub argument: Option<String>,
    /// The provider's documented default location (`argument-or-default`).
    pub default: Option<String>,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// Where a registry module's store is when its location input is unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WhenUnset {
    /// The region of the provider configuration the module inherits from its caller.
    ProviderRegion,
    /// The module's variable has a default (`default`).
    Default,
    /// The module's variable is required: a call without it is invalid, so unknown.
    Required,
}

/// What the values of a replica input are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicaValue {
    /// A region id.
    Region,
    /// A zone id (`us-central1-a`): its region is everything before the last `-`.
    Zone,
}

/// An input of a registry module that creates copies of the store in other regions.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleReplica {
    /// The module input: a list (or map) of regions, or of objects.
    pub input: String,
    /// The field of each element that holds the region; `None` when the element is the region.
    pub field: Option<String>,
    pub value: ReplicaValue,
    /// Whether an element without `field` is a copy in the primary's region (sql-db's zone).
    pub same_region_when_unset: bool,
    pub note: Option<String>,
}

/// A widely used registry module that creates a store, keyed by its registry address and
/// submodule (`terraform-google-modules/sql-db/google` + `modules/postgresql`).
#[derive(Debug, Clone, Serialize)]
pub struct RegistryModule {
    /// The registry address, `namespace/name/provider`, lower case.
    pub source: String,
    /// The submodule path (`modules/postgresql`), empty for the root module.
    pub submodule: String,
    /// Other registry addresses of the same module (a namespace the registry redirects from),
    /// lower case.
    pub aliases: Vec<String>,
    /// Repository addresses of the same module (`github.com/owner/repo`), lower case.
    pub repositories: Vec<String>,
    /// A provider id from `providers.toml`.
    pub provider: String,
    pub description: String,
    /// The input that names the store, for its label.
    pub name_input: Option<String>,
    /// The input that places the store; `None` when the module has none (it places the store by
    /// `when_unset` alone).
    pub location_input: Option<String>,
    pub when_unset: WhenUnset,
    /// The module's default for `location_input` (`when_unset = "default"`).
    pub default: Option<String>,
    pub replicas: Vec<ModuleReplica>,
    pub note: Option<String>,
    pub source_url: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// A module source split into what the catalogue is keyed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleAddress {
    /// `namespace/name/provider`, or `host/owner/repo` for a git source; lower case.
    pub package: String,
    /// The path after `//`, without slashes at either end; empty for the root module.
    pub submodule: String,
}

impl ModuleAddress {
    /// Parses a module `source` as Terraform writes it: a registry address (optionally with
    /// `registry.terraform.io/`), or a git/GitHub address (`github.com/o/r`, `git::https://…/o/r.git`,
    /// `git@github.com:o/r.git`), with an optional `//submodule` and `?ref=`. Local paths and other
    /// forms give `None`.
    pub fn parse(source: &str) -> Option<ModuleAddress> {
        let source = source.trim();
        if source.starts_with("./") || source.starts_with("../") || source.starts_with('/') {
            return None;
        }
        let without_query = source.split('?').next().unwrap_or(source);
        let mut rest = without_query.strip_prefix("git::").unwrap_or(without_query);
        for scheme in ["https://", "http://", "ssh://", "git://"] {
            if let Some(stripped) = rest.strip_prefix(scheme) {
                rest = stripped;
                break;
            }
        }
        let owned;
        if let Some(stripped) = rest.strip_prefix("git@") {
            // `git@github.com:owner/repo` names the same repository as `github.com/owner/repo`.
            owned = stripped.replacen(':', "/", 1);
            rest = &owned;
        }
        let rest = rest.strip_prefix("registry.terraform.io/").unwrap_or(rest);
        let (package, submodule) = match rest.split_once("//") {
            Some((package, submodule)) => (package, submodule),
            None => (rest, ""),
        };
        let package = package.trim_end_matches('/');
        let package = package.strip_suffix(".git").unwrap_or(package);
        // A user name before the host (`git@` stripped above, `user@host` here) is not part of it.
        let package = package.rsplit('@').next().unwrap_or(package);
        let parts: Vec<&str> = package.split('/').collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(ModuleAddress {
            package: package.to_ascii_lowercase(),
            submodule: submodule.trim_matches('/').to_ascii_lowercase(),
        })
    }
}
