//! Rule data: jurisdictions, adequacy decisions, mechanisms, cloud regions, vendors and data categories, loaded from `rules/`.
//!
//! Legal facts live in the TOML files under `rules/` (embedded at build time,
//! overridable with `--rules DIR`); this module only reads, validates and
//! indexes them. See `rules/README.md` for the schema.

mod assumptions;
mod catalogue;
mod csv;
mod load;
mod model;
mod raw;
pub mod sdks;
mod settings;
#[cfg(test)]
mod tests;
mod vendor_index;

pub use assumptions::{Assumed, AssumptionError, Hypothesis, Standing, hypothetical_line};
pub use load::KNOWN_FILES;
pub use model::*;
pub use settings::{ResourceKind, SettingValue, Settings, SiteSetting};

use std::collections::BTreeMap;
use std::fmt;

/// A problem in a rule file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleDataError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RuleDataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Everything `load` builds, before indexing.
pub(crate) struct Parts {
    pub files: Vec<RuleFileMeta>,
    pub jurisdictions: Vec<Jurisdiction>,
    pub adequacy: Vec<AdequacyDecision>,
    pub mechanisms: Vec<Mechanism>,
    pub derogations: Vec<Derogation>,
    pub providers: Vec<Provider>,
    pub regions: Vec<Region>,
    pub categories: Vec<Category>,
    pub special: Vec<SpecialCategory>,
    pub non_personal: Vec<NonPersonalCategory>,
    pub fields: Vec<FieldCategory>,
    pub vendors: Vec<Vendor>,
    pub stores: Vec<StoreType>,
    pub modules: Vec<RegistryModule>,
    pub sdks: Vec<sdks::Sdk>,
    pub settings: Settings,
}

/// The import names of every SDK, for one fast "does this file name any SDK" search.
#[derive(Debug, Clone)]
struct SdkImports {
    /// SIMD multi-substring search (Teddy) when the machine has it, else an automaton.
    packed: Option<aho_corasick::packed::Searcher>,
    automaton: aho_corasick::AhoCorasick,
}

impl SdkImports {
    /// `None` when nothing can be built (never for names of rule data's size); the extractor
    /// then searches name by name. A name that contains another (`langchain_openai` holds
    /// `openai`) adds nothing to "any name is present", so only the shortest are searched: that
    /// keeps the set small enough for the SIMD searcher.
    fn new(sdks: &[sdks::Sdk]) -> Option<SdkImports> {
        let mut names: Vec<&str> = sdks
            .iter()
            .flat_map(|sdk| sdk.imports.iter().map(String::as_str))
            .filter(|name| !name.is_empty())
            .collect();
        names.sort_by_key(|name| (name.len(), *name));
        names.dedup();
        let mut minimal: Vec<&str> = Vec::new();
        for name in names {
            if !minimal.iter().any(|shorter| name.contains(shorter)) {
                minimal.push(name);
            }
        }
        let packed = aho_corasick::packed::Config::new()
            .builder()
            .extend(&minimal)
            .build();
        let automaton = aho_corasick::AhoCorasick::new(&minimal).ok()?;
        Some(SdkImports { packed, automaton })
    }

    fn any_in(&self, text: &[u8]) -> bool {
        match &self.packed {
            Some(packed) => packed.find(text).is_some(),
            None => self.automaton.is_match(text),
        }
    }
}

/// The rule data in force, validated and indexed.
#[derive(Debug, Clone)]
pub struct RuleSet {
    files: Vec<RuleFileMeta>,
    /// A hash of every rule file read (names and texts), for cache keys.
    fingerprint: u128,
    jurisdictions: Vec<Jurisdiction>,
    /// Upper-case code or alias -> index in `jurisdictions`.
    jurisdiction_index: BTreeMap<String, usize>,
    adequacy: Vec<AdequacyDecision>,
    /// What the run assumes about decisions (`--assume-invalid`, `--assume-valid`), by id; see
    /// [`RuleSet::standing`].
    assumptions: BTreeMap<String, Assumed>,
    mechanisms: Vec<Mechanism>,
    derogations: Vec<Derogation>,
    providers: Vec<Provider>,
    /// Lower-case id or alias -> index in `providers`.
    provider_index: BTreeMap<String, usize>,
    regions: Vec<Region>,
    /// (provider id, lower-case region id) -> index in `regions`.
    region_index: BTreeMap<(String, String), usize>,
    categories: Vec<Category>,
    category_index: BTreeMap<String, usize>,
    special: Vec<SpecialCategory>,
    non_personal: Vec<NonPersonalCategory>,
    /// Field names that mean personal data (`[[field]]`), in file order: the first suffix match wins.
    fields: Vec<FieldCategory>,
    vendors: Vec<Vendor>,
    /// Vendor host patterns grouped by the hosts they can match.
    vendor_hosts: vendor_index::VendorIndex,
    /// Store resource types by resource type.
    stores: BTreeMap<String, StoreType>,
    modules: Vec<RegistryModule>,
    /// (package, submodule) -> index in `modules`, for the registry address and every repository.
    module_index: BTreeMap<(String, String), usize>,
    /// Vendor SDKs and cloud clients (`rules/sdks.toml`), in id order.
    sdks: Vec<sdks::Sdk>,
    /// Every SDK's import names in one automaton: a file is searched once for all of them.
    sdk_imports: Option<SdkImports>,
    /// Vendor site settings (`settings.toml`).
    settings: Settings,
}

impl RuleSet {
    /// The data compiled into the binary.
    pub fn builtin() -> Result<RuleSet, Vec<RuleDataError>> {
        load::load(None)
    }

    /// The built-in data with `override_dir` merged over it by key.
    pub fn load(override_dir: Option<&std::path::Path>) -> Result<RuleSet, Vec<RuleDataError>> {
        load::load(override_dir)
    }

    pub(crate) fn from_parts(parts: Parts) -> RuleSet {
        let mut jurisdiction_index = BTreeMap::new();
        for (i, j) in parts.jurisdictions.iter().enumerate() {
            jurisdiction_index.insert(j.code.to_ascii_uppercase(), i);
        }
        for (i, j) in parts.jurisdictions.iter().enumerate() {
            for alias in &j.aliases {
                jurisdiction_index
                    .entry(alias.to_ascii_uppercase())
                    .or_insert(i);
            }
        }
        let mut provider_index = BTreeMap::new();
        for (i, p) in parts.providers.iter().enumerate() {
            provider_index.insert(p.id.clone(), i);
        }
        for (i, p) in parts.providers.iter().enumerate() {
            for alias in &p.aliases {
                provider_index.entry(alias.clone()).or_insert(i);
            }
        }
        let region_index = parts
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.provider.clone(), r.id.to_ascii_lowercase()), i))
            .collect();
        let category_index = parts
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.key.clone(), i))
            .collect();
        let stores = parts
            .stores
            .into_iter()
            .map(|s| (s.resource_type.clone(), s))
            .collect();
        let mut module_index = BTreeMap::new();
        for (i, m) in parts.modules.iter().enumerate() {
            module_index.insert((m.source.clone(), m.submodule.clone()), i);
        }
        for (i, m) in parts.modules.iter().enumerate() {
            for repository in m.aliases.iter().chain(&m.repositories) {
                module_index
                    .entry((repository.clone(), m.submodule.clone()))
                    .or_insert(i);
            }
        }
        let mut sdks = parts.sdks;
        sdks.sort_by(|a, b| a.id.cmp(&b.id));
        RuleSet {
            files: parts.files,
            fingerprint: 0,
            jurisdictions: parts.jurisdictions,
            jurisdiction_index,
            adequacy: parts.adequacy,
            assumptions: BTreeMap::new(),
            mechanisms: parts.mechanisms,
            derogations: parts.derogations,
            providers: parts.providers,
            provider_index,
            regions: parts.regions,
            region_index,
            categories: parts.categories,
            category_index,
            special: parts.special,
            non_personal: parts.non_personal,
            fields: parts.fields,
            vendor_hosts: vendor_index::VendorIndex::new(&parts.vendors),
            vendors: parts.vendors,
            stores,
            modules: parts.modules,
            sdk_imports: SdkImports::new(&sdks),
            sdks,
            module_index,
            settings: parts.settings,
        }
    }

    /// Vendor site settings: keys whose value names a vendor site, and the host it means.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// A jurisdiction by code or alias (`EL` -> `GR`), case-insensitive.
    pub fn jurisdiction(&self, code: &str) -> Option<&Jurisdiction> {
        let index = self
            .jurisdiction_index
            .get(&code.trim().to_ascii_uppercase())?;
        self.jurisdictions.get(*index)
    }

    /// In the EU or the EEA (territories outside them, such as FO or GL, are not).
    pub fn is_eea(&self, code: &str) -> bool {
        self.jurisdiction(code).is_some_and(Jurisdiction::is_eea)
    }

    pub fn jurisdictions(&self) -> impl Iterator<Item = &Jurisdiction> {
        self.jurisdictions.iter()
    }

    /// EU member states and IS, LI, NO (not their territories), sorted.
    pub fn eea_countries(&self) -> Vec<&str> {
        self.member_states(|bloc| matches!(bloc, Bloc::Eu | Bloc::Eea))
    }

    /// The EU member states (not their territories), sorted.
    pub fn eu_countries(&self) -> Vec<&str> {
        self.member_states(|bloc| bloc == Bloc::Eu)
    }

    fn member_states(&self, wanted: impl Fn(Bloc) -> bool) -> Vec<&str> {
        let mut codes: Vec<&str> = self
            .jurisdictions
            .iter()
            .filter(|j| wanted(j.bloc) && j.part_of.is_none())
            .map(|j| j.code.as_str())
            .collect();
        codes.sort_unstable();
        codes
    }

    /// A region of a provider (aliases resolved: `google`, `azurerm`), id case-insensitive.
    pub fn region(&self, provider: &str, region: &str) -> Option<&Region> {
        let provider = self.provider(provider)?;
        let index = self
            .region_index
            .get(&(provider.id.clone(), region.trim().to_ascii_lowercase()))?;
        self.regions.get(*index)
    }

    /// A Terraform resource type that stores data (`rules/stores.toml`).
    pub fn store_type(&self, resource_type: &str) -> Option<&StoreType> {
        self.stores.get(resource_type)
    }

    /// Every store resource type, by type.
    pub fn store_types(&self) -> impl Iterator<Item = &StoreType> {
        self.stores.values()
    }

    /// The catalogued registry module a module `source` names (registry, GitHub or git form, with
    /// or without `//submodule` and `?ref=`), if any.
    pub fn registry_module(&self, source: &str) -> Option<&RegistryModule> {
        let address = ModuleAddress::parse(source)?;
        let index = self
            .module_index
            .get(&(address.package, address.submodule))?;
        self.modules.get(*index)
    }

    pub fn registry_modules(&self) -> impl Iterator<Item = &RegistryModule> {
        self.modules.iter()
    }

    /// Vendor SDKs and cloud clients whose calls the code extractor recognises, in id order.
    pub fn sdks(&self) -> &[sdks::Sdk] {
        &self.sdks
    }

    /// The SDKs one of whose import names appears in `text`, in id order: one pass over the text
    /// for all of them (the prefilter of the SDK extractor, which runs on every source file).
    pub fn sdks_named_in(&self, text: &[u8]) -> Vec<&sdks::Sdk> {
        // Most files name no SDK: one search for any import name (with the automaton's
        // prefilter) settles them. A file that names one is then checked SDK by SDK, so names
        // that overlap (`openai` in `langchain_openai`) are all seen.
        if let Some(imports) = &self.sdk_imports
            && !imports.any_in(text)
        {
            return Vec::new();
        }
        self.sdks
            .iter()
            .filter(|sdk| {
                sdk.imports
                    .iter()
                    .any(|import| memchr::memmem::find(text, import.as_bytes()).is_some())
            })
            .collect()
    }

    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter()
    }

    /// Every provider's region with this id, for bare region names; callers must handle collisions.
    pub fn region_anywhere(&self, region: &str) -> Vec<&Region> {
        let wanted = region.trim().to_ascii_lowercase();
        self.regions
            .iter()
            .filter(|r| r.id.to_ascii_lowercase() == wanted)
            .collect()
    }

    /// A provider by id or alias, case-insensitive.
    pub fn provider(&self, id_or_alias: &str) -> Option<&Provider> {
        let index = self
            .provider_index
            .get(&id_or_alias.trim().to_ascii_lowercase())?;
        self.providers.get(*index)
    }

    /// The provider host suffix a host name ends with (`x.s3.amazonaws.eu` -> `amazonaws.eu`),
    /// the longest when several do, with its provider's id.
    pub fn provider_host(&self, host: &str) -> Option<(&str, &ProviderHost)> {
        self.providers
            .iter()
            .flat_map(|p| p.hosts.iter().map(move |h| (p.id.as_str(), h)))
            .filter(|(_, h)| {
                host.strip_suffix(h.suffix.as_str())
                    .is_some_and(|prefix| prefix.ends_with('.'))
            })
            .max_by_key(|(_, h)| h.suffix.len())
    }

    pub fn providers(&self) -> impl Iterator<Item = &Provider> {
        self.providers.iter()
    }

    /// Every decision for a jurisdiction (aliases resolved), whatever its date or legal basis.
    pub fn adequacy_decisions(&self, jurisdiction: &str) -> Vec<&AdequacyDecision> {
        let Some(code) = self.jurisdiction(jurisdiction).map(|j| j.code.as_str()) else {
            return Vec::new();
        };
        self.adequacy
            .iter()
            .filter(|d| d.jurisdiction == code)
            .collect()
    }

    /// The GDPR adequacy decisions for a jurisdiction in force on `date` (under the run's
    /// assumptions).
    pub fn adequacy_in_force(
        &self,
        jurisdiction: &str,
        date: crate::date::Date,
    ) -> Vec<&AdequacyDecision> {
        self.adequacy_decisions(jurisdiction)
            .into_iter()
            .filter(|d| d.is_gdpr() && self.standing(d, date).is_in_force())
            .collect()
    }

    pub fn all_adequacy_decisions(&self) -> impl Iterator<Item = &AdequacyDecision> {
        self.adequacy.iter()
    }

    pub fn mechanism(&self, id: &str) -> Option<&Mechanism> {
        let wanted = id.trim().to_ascii_lowercase();
        self.mechanisms.iter().find(|m| m.id == wanted)
    }

    pub fn mechanisms(&self) -> impl Iterator<Item = &Mechanism> {
        self.mechanisms.iter()
    }

    /// The SCC version to sign today (`mechanisms.toml`, `scc`'s `current_version`), for help
    /// texts and `borderline init`: a new SCC set is a rule-data edit. The loader requires it, so
    /// the empty fallback is never seen.
    pub fn current_scc_version(&self) -> &str {
        self.mechanism("scc")
            .and_then(|m| m.current_version.as_deref())
            .unwrap_or_default()
    }

    /// The certification ids a recipient may declare (`certifications = [...]` on a node): the
    /// values adequacy decisions' `certification` conditions require (`dpf`), then the
    /// mechanisms a recipient holds (`bcr`), each once, in rule-file order.
    pub fn certification_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        let conditions = self
            .adequacy
            .iter()
            .flat_map(AdequacyDecision::required_certifications);
        let mechanisms = self
            .mechanisms
            .iter()
            .filter(|m| m.recipient_certification)
            .map(|m| m.id.as_str());
        for id in conditions.chain(mechanisms) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// The certification a recipient lacks and the public list of its holders, where a decision
    /// for `country` named by its `instrument` has a `certification` condition described as
    /// `condition` (the DPF and the Data Privacy Framework List): what a help text offers
    /// declaring. `None` for conditions that are not certifications or name no register.
    pub fn unmet_certification(
        &self,
        country: &str,
        instrument: &str,
        condition: &str,
    ) -> Option<(&str, &str)> {
        self.adequacy_decisions(country)
            .into_iter()
            .filter(|d| d.instrument == instrument)
            .flat_map(|d| &d.conditions)
            .filter(|c| c.description == condition)
            .find_map(|c| match (&c.kind, &c.register) {
                (ConditionKind::Certification(value), Some(register)) => {
                    Some((value.as_str(), register.as_str()))
                }
                _ => None,
            })
    }

    pub fn derogation(&self, id: &str) -> Option<&Derogation> {
        let wanted = id.trim().to_ascii_lowercase();
        self.derogations.iter().find(|d| d.id == wanted)
    }

    pub fn derogations(&self) -> impl Iterator<Item = &Derogation> {
        self.derogations.iter()
    }

    /// A category of the taxonomy or an extension, by exact key.
    pub fn category(&self, key: &str) -> Option<&Category> {
        self.categories.get(*self.category_index.get(key.trim())?)
    }

    pub fn categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter()
    }

    /// The most specific listed special category that is `key` or one of its ancestors.
    pub fn special_category(&self, key: &str) -> Option<&SpecialCategory> {
        let key = key.trim();
        self.special
            .iter()
            .filter(|s| is_same_or_under(key, &s.category))
            .max_by_key(|s| s.category.len())
    }

    /// Listed special categories strictly under `key` (e.g. `user` covers `user.health_and_medical`).
    pub fn special_descendants(&self, key: &str) -> Vec<&SpecialCategory> {
        let key = key.trim();
        self.special
            .iter()
            .filter(|s| s.category != key && is_same_or_under(&s.category, key))
            .collect()
    }

    pub fn special_categories(&self) -> impl Iterator<Item = &SpecialCategory> {
        self.special.iter()
    }

    /// The category a field name means (`[[field]]`), if it plainly means personal data. The
    /// name is compared in lower case, without a raw-identifier `r#`: exactly, else as a known
    /// name of 5+ characters after a `_`-joined qualifier (`billing_address`, `customer_email`).
    /// Single short words (`ip`, `dob`, `city`) only match exactly, so `zip` or `capacity` never
    /// do; on a qualified match the first record in file order wins.
    pub fn category_for_field(&self, name: &str) -> Option<&str> {
        let name = name.trim_start_matches("r#").to_ascii_lowercase();
        if let Some(field) = self.fields.iter().find(|f| f.name == name) {
            return Some(&field.category);
        }
        self.fields
            .iter()
            .filter(|f| f.name.len() >= 5)
            .find(|f| {
                name.len() > f.name.len()
                    && name.ends_with(f.name.as_str())
                    && name.as_bytes()[name.len() - f.name.len() - 1] == b'_'
            })
            .map(|f| f.category.as_str())
    }

    /// The field-name records in force, in file order.
    pub fn fields(&self) -> &[FieldCategory] {
        &self.fields
    }

    /// False for keys under a non-personal root (`system.*`); unknown keys count as personal.
    pub fn is_personal_category(&self, key: &str) -> bool {
        let key = key.trim();
        !self
            .non_personal
            .iter()
            .any(|n| is_same_or_under(key, &n.key))
    }

    /// A known key to suggest for an unknown one, by what the writer most likely meant:
    /// 1. a typo of a whole key (at most two edits: `user.contact.emial`);
    /// 2. the last segment named as a leaf, a word of a leaf or a word of a category's name,
    ///    under the longest known ancestor of the unknown key (`user.religion` ->
    ///    `user.demographic.religious_belief`, named "Religion"; `user.email` ->
    ///    `user.contact.email`; `user.health` -> `user.health_and_medical`), the shallowest first;
    /// 3. the nearer of the nearest key by edit distance (within a third of its length) and the
    ///    leaf nearest the last segment (`user.emial` -> `user.contact.email`), the leaf on a tie;
    /// 4. the longest known ancestor.
    pub fn closest_category(&self, unknown: &str) -> Option<&str> {
        let unknown = unknown.trim();
        // A third of the length allows typos and a changed word part, not a different key.
        let reach = (unknown.chars().count() / 3).max(2);
        let nearest = self.nearest_key(unknown, reach);
        if let Some((distance, key)) = nearest
            && distance <= 2
        {
            return Some(key);
        }
        if let Some(key) = self.category_by_segment(unknown) {
            return Some(key);
        }
        // The nearer of a whole key and a leaf under the known ancestor; a leaf on a tie.
        let leaf = self.category_by_leaf_distance(unknown);
        let whole = nearest.filter(|(distance, _)| *distance <= reach);
        match (whole, leaf) {
            (Some((whole, key)), Some((leaf, _))) if whole < leaf => return Some(key),
            (_, Some((_, key))) | (Some((_, key)), None) => return Some(key),
            (None, None) => {}
        }
        self.known_ancestor(unknown).map(|c| c.key.as_str())
    }

    /// The key nearest `unknown` by edit distance among keys within `reach` of its length, with
    /// its distance (ties: the longer common prefix, then the first in file order).
    fn nearest_key(&self, unknown: &str, reach: usize) -> Option<(usize, &str)> {
        let length = unknown.chars().count();
        self.categories
            .iter()
            // The distance is at least the difference in length: keys out of reach are not
            // compared (a long unknown key costs nothing), and the answer is the same.
            .filter(|c| c.key.chars().count().abs_diff(length) <= reach)
            .map(|c| {
                (
                    crate::suggest::swap_distance(unknown, &c.key),
                    std::cmp::Reverse(common_prefix(unknown, &c.key)),
                    c,
                )
            })
            .min_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)))
            .map(|(distance, _, c)| (distance, c.key.as_str()))
    }

    /// The longest known key that `unknown` sits under.
    fn known_ancestor(&self, unknown: &str) -> Option<&Category> {
        self.categories
            .iter()
            .filter(|c| is_same_or_under(unknown, &c.key) && c.key != unknown)
            .max_by_key(|c| c.key.len())
    }

    /// Step 2 of [`RuleSet::closest_category`]: the unknown key's last segment matched against
    /// the leaves and names of the keys under its longest known ancestor (all keys when it has
    /// none). An exact leaf or a whole word beats a shared stem (`religion`, `religious`); then
    /// the shallowest key below the ancestor, then the better match, the shorter key, the key.
    fn category_by_segment(&self, unknown: &str) -> Option<&str> {
        let ancestor = self.known_ancestor(unknown);
        let (prefix, depth_base) = match ancestor {
            Some(a) => (a.key.as_str(), a.key.split('.').count()),
            None => ("", 0),
        };
        let segment = unknown.rsplit('.').next()?.to_ascii_lowercase();
        if segment.chars().count() < 3 {
            return None;
        }
        let best = self
            .categories
            .iter()
            .filter(|c| c.deprecated_in.is_none())
            .filter(|c| prefix.is_empty() || (c.key != prefix && is_same_or_under(&c.key, prefix)))
            .filter_map(|c| {
                let quality = segment_match(&segment, c)?;
                let depth = c.key.split('.').count().saturating_sub(depth_base);
                Some(((quality >= 2, depth, quality, c.key.len()), c.key.as_str()))
            })
            .min();
        best.map(|(_, key)| key)
    }

    /// Step 4 of [`RuleSet::closest_category`]: the leaf nearest the unknown key's last segment
    /// (within a third of its length), under its longest known ancestor when it has one.
    fn category_by_leaf_distance(&self, unknown: &str) -> Option<(usize, &str)> {
        let prefix = self.known_ancestor(unknown).map(|a| a.key.as_str());
        let segment = unknown.rsplit('.').next()?.to_ascii_lowercase();
        let length = segment.chars().count();
        let reach = (length / 3).max(1);
        if length < 3 {
            return None;
        }
        self.categories
            .iter()
            .filter(|c| c.deprecated_in.is_none())
            .filter(|c| prefix.is_none_or(|p| c.key != p && is_same_or_under(&c.key, p)))
            .filter_map(|c| {
                let leaf = c.key.rsplit('.').next()?;
                if leaf.chars().count().abs_diff(length) > reach {
                    return None;
                }
                let distance = crate::suggest::swap_distance(&segment, leaf);
                (distance <= reach).then_some(((distance, c.key.len()), c.key.as_str()))
            })
            .min()
            .map(|((distance, _), key)| (distance, key))
    }

    /// [`RuleSet::closest_category`] within a shared budget of edit-distance cells: a repository
    /// with thousands of misspelt categories gets suggestions until the budget is spent, then
    /// only the cheap suggestions (by segment, else the longest known ancestor).
    pub fn closest_category_within(&self, unknown: &str, budget: &mut u64) -> Option<&str> {
        let length = unknown.trim().chars().count();
        let reach = (length / 3).max(2);
        // Only keys within reach are compared (see `closest_category`), and the last segment
        // with every leaf.
        let segment = unknown.trim().rsplit('.').next().map_or(0, str::len) as u64;
        let cost = self
            .categories
            .iter()
            .filter(|c| c.key.chars().count().abs_diff(length) <= reach)
            .map(|c| (length as u64).saturating_mul(c.key.len() as u64))
            .sum::<u64>()
            .saturating_add(segment.saturating_mul(self.categories.len() as u64 * 16));
        if cost > *budget {
            let unknown = unknown.trim();
            return self
                .category_by_segment(unknown)
                .or_else(|| self.known_ancestor(unknown).map(|c| c.key.as_str()));
        }
        *budget -= cost;
        self.closest_category(unknown)
    }

    pub fn vendor(&self, id: &str) -> Option<&Vendor> {
        let wanted = id.trim().to_ascii_lowercase();
        self.vendors.iter().find(|v| v.id == wanted)
    }

    pub fn vendors(&self) -> impl Iterator<Item = &Vendor> {
        self.vendors.iter()
    }

    /// The vendor a host name belongs to: the most specific pattern wins (longest literal
    /// part, then an exact name over a wildcard, then an endpoint over a plain domain; the first
    /// in file order of equally specific ones).
    pub fn vendor_for_host(&self, host: &str) -> Option<VendorMatch<'_>> {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        self.vendor_hosts.lookup(&self.vendors, &host)
    }

    /// A stable hash of the rule data in force: every built-in and override file, name and text.
    pub fn fingerprint(&self) -> u128 {
        self.fingerprint
    }

    /// The rule files in force, built-in first, then overrides.
    pub fn files(&self) -> &[RuleFileMeta] {
        &self.files
    }
}

/// `key` equals `ancestor` or sits under it in the dotted hierarchy.
fn is_same_or_under(key: &str, ancestor: &str) -> bool {
    key == ancestor
        || (key.starts_with(ancestor) && key.as_bytes().get(ancestor.len()) == Some(&b'.'))
}

/// Words of category names that name no category: `user.data` is not "Health and Medical Data".
const GENERIC_WORDS: [&str; 9] = [
    "and",
    "the",
    "for",
    "data",
    "user",
    "subject",
    "information",
    "details",
    "other",
];

/// How well `segment` (lower case) names category `c`: 0 its leaf, 1 a word of its leaf or of
/// its name, 2 a stem of at least five letters shared with such a word (`religion`,
/// `religious`); `None` when it does not.
fn segment_match(segment: &str, c: &Category) -> Option<u8> {
    let leaf = c.key.rsplit('.').next()?;
    if leaf == segment {
        return Some(0);
    }
    let name = c.name.to_ascii_lowercase();
    let words: Vec<&str> = leaf
        .split('_')
        .chain(name.split(|ch: char| !ch.is_ascii_alphanumeric()))
        .filter(|w| w.len() >= 3 && !GENERIC_WORDS.contains(w))
        .collect();
    if words.contains(&segment) {
        return Some(1);
    }
    let stem = |a: &str, b: &str| {
        let shared = common_prefix(a, b);
        shared >= 5 && shared + 3 >= a.len().max(b.len())
    };
    words.iter().any(|w| stem(segment, w)).then_some(2)
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}
