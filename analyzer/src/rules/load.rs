//! Reads the rule files (built-in and `--rules DIR`), merges them by key, validates, and builds a `RuleSet`.

use super::csv;
use super::model::*;
use super::raw::*;
use super::{RuleDataError, RuleSet};
use crate::date::Date;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::value::Datetime;

/// The files compiled into the binary, by their name relative to `rules/`.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    (
        "jurisdictions.toml",
        include_str!("../../../rules/jurisdictions.toml"),
    ),
    (
        "adequacy.toml",
        include_str!("../../../rules/adequacy.toml"),
    ),
    (
        "mechanisms.toml",
        include_str!("../../../rules/mechanisms.toml"),
    ),
    (
        "providers.toml",
        include_str!("../../../rules/providers.toml"),
    ),
    (
        "regions/aws.toml",
        include_str!("../../../rules/regions/aws.toml"),
    ),
    (
        "regions/gcp.toml",
        include_str!("../../../rules/regions/gcp.toml"),
    ),
    (
        "regions/azure.toml",
        include_str!("../../../rules/regions/azure.toml"),
    ),
    (
        "regions/oci.toml",
        include_str!("../../../rules/regions/oci.toml"),
    ),
    (
        "regions/others.toml",
        include_str!("../../../rules/regions/others.toml"),
    ),
    (
        "categories.toml",
        include_str!("../../../rules/categories.toml"),
    ),
    (
        "data-categories.csv",
        include_str!("../../../rules/data-categories.csv"),
    ),
    ("vendors.toml", include_str!("../../../rules/vendors.toml")),
    ("stores.toml", include_str!("../../../rules/stores.toml")),
    ("modules.toml", include_str!("../../../rules/modules.toml")),
    ("sdks.toml", include_str!("../../../rules/sdks.toml")),
    (
        "settings.toml",
        include_str!("../../../rules/settings.toml"),
    ),
];

/// Files an override directory may hold besides `regions/*.toml`; anything else is a mistake worth reporting.
pub const KNOWN_FILES: &[&str] = &[
    "jurisdictions.toml",
    "adequacy.toml",
    "mechanisms.toml",
    "providers.toml",
    "categories.toml",
    "data-categories.csv",
    "vendors.toml",
    "stores.toml",
    "modules.toml",
    "sdks.toml",
    "settings.toml",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Jurisdictions,
    Adequacy,
    Mechanisms,
    Providers,
    Regions,
    Categories,
    Taxonomy,
    Vendors,
    Stores,
    Modules,
    Sdks,
    Settings,
}

fn kind_of(relative: &str) -> Option<FileKind> {
    Some(match relative {
        "jurisdictions.toml" => FileKind::Jurisdictions,
        "adequacy.toml" => FileKind::Adequacy,
        "mechanisms.toml" => FileKind::Mechanisms,
        "providers.toml" => FileKind::Providers,
        "categories.toml" => FileKind::Categories,
        "data-categories.csv" => FileKind::Taxonomy,
        "vendors.toml" => FileKind::Vendors,
        "stores.toml" => FileKind::Stores,
        "modules.toml" => FileKind::Modules,
        "sdks.toml" => FileKind::Sdks,
        "settings.toml" => FileKind::Settings,
        other
            if other.starts_with("regions/")
                && other.ends_with(".toml")
                && !other[8..].contains('/') =>
        {
            FileKind::Regions
        }
        _ => return None,
    })
}

struct Source {
    name: String,
    text: String,
    origin: RuleFileOrigin,
}

/// Every file read so far, and every problem found in them.
pub(super) struct Context {
    sources: Vec<Source>,
    errors: Vec<RuleDataError>,
}

impl Context {
    pub(super) fn error(&mut self, file: usize, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = match self.sources.get(file) {
            Some(source) => line_column(&source.text, span.start),
            None => (1, 1),
        };
        let name = self
            .sources
            .get(file)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        self.errors.push(RuleDataError {
            file: name,
            line,
            column,
            message: message.into(),
        });
    }

    fn date(&mut self, file: usize, value: &Spanned<Datetime>) -> Option<Date> {
        let date = Date::from_toml(value.get_ref());
        if date.is_none() {
            self.error(
                file,
                value.span(),
                format!("expected a date as YYYY-MM-DD, found `{}`", value.get_ref()),
            );
        }
        date
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// A record and the file it came from.
pub(super) struct Item<T> {
    pub(super) file: usize,
    pub(super) value: T,
}

struct TaxonomyRow {
    key: String,
    key_offset: usize,
    name: String,
    parent: Option<(String, usize)>,
    deprecated_in: Option<String>,
    replaced_by: Option<String>,
}

struct FileMetaRaw {
    file: usize,
    title: String,
    version: String,
    as_of: Option<Date>,
    source: String,
    confidence: Option<Confidence>,
    records: usize,
}

/// All records of one layer (built-in, or the override directory), before merging.
#[derive(Default)]
struct Layer {
    metas: Vec<FileMetaRaw>,
    jurisdictions: Vec<Item<RawJurisdiction>>,
    decisions: Vec<Item<RawDecision>>,
    mechanisms: Vec<Item<RawMechanism>>,
    derogations: Vec<Item<RawDerogation>>,
    providers: Vec<Item<RawProvider>>,
    regions: Vec<Item<RawRegion>>,
    specials: Vec<Item<RawSpecial>>,
    extensions: Vec<Item<RawExtension>>,
    non_personal: Vec<Item<RawNonPersonal>>,
    taxonomy: Vec<Item<TaxonomyRow>>,
    vendors: Vec<Item<RawVendor>>,
    stores: Vec<Item<RawStore>>,
    modules: Vec<Item<RawModule>>,
    sdks: Vec<Item<super::sdks::RawSdk>>,
    settings: Vec<Item<super::settings::RawSetting>>,
}

fn items<T>(file: usize, values: Vec<T>) -> impl Iterator<Item = Item<T>> {
    values.into_iter().map(move |value| Item { file, value })
}

fn parse_toml<T: serde::de::DeserializeOwned>(context: &mut Context, file: usize) -> Option<T> {
    let text = context
        .sources
        .get(file)
        .map(|s| s.text.clone())
        .unwrap_or_default();
    match toml::from_str::<T>(&text) {
        Ok(value) => Some(value),
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            context.error(file, span, error.message().trim().to_string());
            None
        }
    }
}

impl Layer {
    fn add_meta(&mut self, context: &mut Context, file: usize, meta: RawMeta, records: usize) {
        let as_of = context.date(file, &meta.as_of);
        self.metas.push(FileMetaRaw {
            file,
            title: meta.title,
            version: meta.version,
            as_of,
            source: meta.source,
            confidence: meta.confidence,
            records,
        });
    }

    fn read(&mut self, context: &mut Context, file: usize, kind: FileKind) {
        match kind {
            FileKind::Jurisdictions => {
                if let Some(parsed) = parse_toml::<JurisdictionsFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.jurisdiction.len());
                    self.jurisdictions.extend(items(file, parsed.jurisdiction));
                }
            }
            FileKind::Adequacy => {
                if let Some(parsed) = parse_toml::<AdequacyFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.decision.len());
                    self.decisions.extend(items(file, parsed.decision));
                }
            }
            FileKind::Mechanisms => {
                if let Some(parsed) = parse_toml::<MechanismsFile>(context, file) {
                    let count = parsed.mechanism.len() + parsed.derogation.len();
                    self.add_meta(context, file, parsed.meta, count);
                    self.mechanisms.extend(items(file, parsed.mechanism));
                    self.derogations.extend(items(file, parsed.derogation));
                }
            }
            FileKind::Providers => {
                if let Some(parsed) = parse_toml::<ProvidersFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.provider.len());
                    self.providers.extend(items(file, parsed.provider));
                }
            }
            FileKind::Regions => {
                if let Some(parsed) = parse_toml::<RegionsFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.region.len());
                    self.regions.extend(items(file, parsed.region));
                }
            }
            FileKind::Categories => {
                if let Some(parsed) = parse_toml::<CategoriesFile>(context, file) {
                    let count =
                        parsed.special.len() + parsed.extension.len() + parsed.non_personal.len();
                    self.add_meta(context, file, parsed.meta, count);
                    self.specials.extend(items(file, parsed.special));
                    self.extensions.extend(items(file, parsed.extension));
                    self.non_personal.extend(items(file, parsed.non_personal));
                }
            }
            FileKind::Vendors => {
                if let Some(parsed) = parse_toml::<VendorsFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.vendor.len());
                    self.vendors.extend(items(file, parsed.vendor));
                }
            }
            FileKind::Stores => {
                if let Some(parsed) = parse_toml::<StoresFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.store.len());
                    self.stores.extend(items(file, parsed.store));
                }
            }
            FileKind::Modules => {
                if let Some(parsed) = parse_toml::<ModulesFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.module.len());
                    self.modules.extend(items(file, parsed.module));
                }
            }
            FileKind::Sdks => {
                if let Some(parsed) = parse_toml::<super::sdks::SdksFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.sdk.len());
                    self.sdks.extend(items(file, parsed.sdk));
                }
            }
            FileKind::Settings => {
                if let Some(parsed) = parse_toml::<super::settings::SettingsFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.setting.len());
                    self.settings.extend(items(file, parsed.setting));
                }
            }
            FileKind::Taxonomy => self.read_taxonomy(context, file),
        }
    }

    fn read_taxonomy(&mut self, context: &mut Context, file: usize) {
        let text = context
            .sources
            .get(file)
            .map(|s| s.text.clone())
            .unwrap_or_default();
        let rows = match csv::parse(&text) {
            Ok(rows) => rows,
            Err((offset, message)) => {
                context.error(file, offset..offset, message);
                return;
            }
        };
        let mut rows = rows.into_iter();
        let expected = [
            "fides_key",
            "name",
            "parent_key",
            "version_deprecated",
            "replaced_by",
        ];
        match rows.next() {
            Some(header) if header.fields.iter().map(String::as_str).eq(expected) => {}
            Some(header) => {
                let offset = header.offsets.first().copied().unwrap_or(0);
                context.error(
                    file,
                    offset..offset,
                    format!("expected the header `{}`", expected.join(",")),
                );
                return;
            }
            None => {
                context.error(file, 0..0, "empty taxonomy file");
                return;
            }
        }
        let mut count = 0;
        for row in rows {
            if row.fields.len() != expected.len() {
                let offset = row.offsets.first().copied().unwrap_or(0);
                context.error(
                    file,
                    offset..offset,
                    format!(
                        "expected {} fields, found {}",
                        expected.len(),
                        row.fields.len()
                    ),
                );
                continue;
            }
            let field = |i: usize| {
                row.fields
                    .get(i)
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default()
            };
            let non_empty = |s: String| if s.is_empty() { None } else { Some(s) };
            let parent = field(2);
            // `data_category` is the taxonomy's name for "no parent".
            let parent = if parent.is_empty() || parent == "data_category" {
                None
            } else {
                Some((parent, row.offsets.get(2).copied().unwrap_or(0)))
            };
            count += 1;
            self.taxonomy.push(Item {
                file,
                value: TaxonomyRow {
                    key: field(0),
                    key_offset: row.offsets.first().copied().unwrap_or(0),
                    name: field(1),
                    parent,
                    deprecated_in: non_empty(field(3)),
                    replaced_by: non_empty(field(4)),
                },
            });
        }
        self.metas.push(FileMetaRaw {
            file,
            title: "Fides data categories (fideslang, CC-BY-4.0)".to_string(),
            version: "fideslang 40394c46".to_string(),
            // The day the copy in rules/ was taken from that commit (see data-categories.NOTICE).
            as_of: Date::new(2026, 11, 29),
            source: "ethyca/fideslang data_files/data_categories.csv".to_string(),
            confidence: Some(Confidence::C),
            records: count,
        });
    }
}

/// Reports keys that occur twice within one layer, at the second occurrence.
fn check_unique<T>(
    context: &mut Context,
    records: &[Item<T>],
    what: &str,
    key: impl Fn(&T) -> (String, Range<usize>),
) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for item in records {
        let (k, span) = key(&item.value);
        if let Some(first_file) = seen.insert(k.clone(), item.file) {
            let first = context
                .sources
                .get(first_file)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            context.error(
                item.file,
                span,
                format!("duplicate {what} `{k}` (first defined in {first})"),
            );
        }
    }
}

/// Records of the override layer replace built-in ones with the same key, in place; new keys are appended.
fn merge<T>(
    base: Vec<Item<T>>,
    overrides: Vec<Item<T>>,
    key: impl Fn(&T) -> String,
) -> Vec<Item<T>> {
    let mut merged: Vec<Item<T>> = base;
    let positions: BTreeMap<String, usize> = merged
        .iter()
        .enumerate()
        .map(|(i, item)| (key(&item.value), i))
        .collect();
    for item in overrides {
        match positions.get(&key(&item.value)) {
            Some(&i) => {
                if let Some(slot) = merged.get_mut(i) {
                    *slot = item;
                }
            }
            None => merged.push(item),
        }
    }
    merged
}

fn upper(s: &Spanned<String>) -> (String, Range<usize>) {
    (s.get_ref().trim().to_ascii_uppercase(), s.span())
}

fn lower(s: &Spanned<String>) -> (String, Range<usize>) {
    (s.get_ref().trim().to_ascii_lowercase(), s.span())
}

fn check_layer(context: &mut Context, layer: &Layer) {
    check_unique(context, &layer.jurisdictions, "jurisdiction", |r| {
        upper(&r.code)
    });
    check_unique(context, &layer.decisions, "decision", |r| lower(&r.id));
    check_unique(context, &layer.mechanisms, "mechanism", |r| lower(&r.id));
    check_unique(context, &layer.derogations, "derogation", |r| lower(&r.id));
    check_unique(context, &layer.providers, "provider", |r| lower(&r.id));
    check_unique(context, &layer.regions, "region", |r| {
        let (id, span) = lower(&r.id);
        (
            format!("{}:{}", r.provider.get_ref().to_ascii_lowercase(), id),
            span,
        )
    });
    check_unique(context, &layer.specials, "special category", |r| {
        lower(&r.category)
    });
    check_unique(context, &layer.extensions, "extension", |r| lower(&r.key));
    check_unique(context, &layer.non_personal, "non-personal key", |r| {
        lower(&r.key)
    });
    check_unique(context, &layer.vendors, "vendor", |r| lower(&r.id));
    check_unique(context, &layer.stores, "store type", |r| {
        lower(&r.resource_type)
    });
    check_unique(context, &layer.modules, "module", |r| {
        (module_key(r), r.source.span())
    });
    check_unique(context, &layer.sdks, "sdk", |r| lower(&r.id));
    check_unique(context, &layer.taxonomy, "category", |r| {
        (
            r.key.to_ascii_lowercase(),
            r.key_offset..r.key_offset + r.key.len(),
        )
    });
}

fn merge_layers(base: Layer, over: Layer) -> Layer {
    let key_upper = |s: &Spanned<String>| s.get_ref().trim().to_ascii_uppercase();
    let key_lower = |s: &Spanned<String>| s.get_ref().trim().to_ascii_lowercase();
    let mut metas = base.metas;
    metas.extend(over.metas);
    Layer {
        metas,
        jurisdictions: merge(base.jurisdictions, over.jurisdictions, |r| {
            key_upper(&r.code)
        }),
        decisions: merge(base.decisions, over.decisions, |r| key_lower(&r.id)),
        mechanisms: merge(base.mechanisms, over.mechanisms, |r| key_lower(&r.id)),
        derogations: merge(base.derogations, over.derogations, |r| key_lower(&r.id)),
        providers: merge(base.providers, over.providers, |r| key_lower(&r.id)),
        regions: merge(base.regions, over.regions, |r| {
            format!("{}:{}", key_lower(&r.provider), key_lower(&r.id))
        }),
        specials: merge(base.specials, over.specials, |r| key_lower(&r.category)),
        extensions: merge(base.extensions, over.extensions, |r| key_lower(&r.key)),
        non_personal: merge(base.non_personal, over.non_personal, |r| key_lower(&r.key)),
        taxonomy: merge(base.taxonomy, over.taxonomy, |r| r.key.to_ascii_lowercase()),
        vendors: merge(base.vendors, over.vendors, |r| key_lower(&r.id)),
        stores: merge(base.stores, over.stores, |r| key_lower(&r.resource_type)),
        modules: merge(base.modules, over.modules, module_key),
        sdks: merge(base.sdks, over.sdks, super::sdks::key),
        settings: merge(base.settings, over.settings, |r| key_lower(&r.id)),
    }
}

/// Loads the built-in data and, if given, the override directory over it.
pub(crate) fn load(override_dir: Option<&Path>) -> Result<RuleSet, Vec<RuleDataError>> {
    let mut context = Context {
        sources: Vec::new(),
        errors: Vec::new(),
    };
    let mut builtin = Layer::default();
    for (name, text) in BUILTIN {
        let file = context.sources.len();
        context.sources.push(Source {
            name: format!("rules/{name}"),
            text: (*text).to_string(),
            origin: RuleFileOrigin::Builtin,
        });
        if let Some(kind) = kind_of(name) {
            builtin.read(&mut context, file, kind);
        }
    }
    check_layer(&mut context, &builtin);
    let layer = match override_dir {
        Some(dir) => {
            let mut over = Layer::default();
            read_override_dir(&mut context, dir, &mut over);
            check_layer(&mut context, &over);
            merge_layers(builtin, over)
        }
        None => builtin,
    };
    let mut rules = build(&mut context, layer);
    let mut hasher = crate::extract::cache::StableHasher::new();
    for source in &context.sources {
        hasher.piece(source.name.as_bytes());
        hasher.piece(source.text.as_bytes());
    }
    rules.fingerprint = hasher.finish();
    if context.errors.is_empty() {
        Ok(rules)
    } else {
        Err(context.errors)
    }
}

fn read_override_dir(context: &mut Context, dir: &Path, layer: &mut Layer) {
    let mut relative_names: Vec<String> = Vec::new();
    let list = |context: &mut Context, path: &Path, prefix: &str, names: &mut Vec<String>| {
        match std::fs::read_dir(path) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    // Hidden files, the README and the taxonomy's attribution are not rule data.
                    if name.starts_with('.') || name == "README.md" || name.ends_with(".NOTICE") {
                        continue;
                    }
                    let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
                    if is_dir && prefix.is_empty() && name == "regions" {
                        names.push("regions/".to_string());
                    } else {
                        names.push(format!("{prefix}{name}"));
                    }
                }
            }
            Err(error) => {
                let file = context.sources.len();
                context.sources.push(Source {
                    name: path.display().to_string(),
                    text: String::new(),
                    origin: RuleFileOrigin::Override,
                });
                context.error(
                    file,
                    0..0,
                    format!("cannot read the rules directory: {error}"),
                );
            }
        }
    };
    list(context, dir, "", &mut relative_names);
    if relative_names.iter().any(|n| n == "regions/") {
        relative_names.retain(|n| n != "regions/");
        list(
            context,
            &dir.join("regions"),
            "regions/",
            &mut relative_names,
        );
    }
    relative_names.sort();
    for relative in relative_names {
        let path = dir.join(&relative);
        let file = context.sources.len();
        // Rule data may sit in a repository too: no symlink followed (the file, or `regions/`),
        // only regular files, size capped.
        let text = crate::safe_io::read_text(&path, &[dir], crate::safe_io::MAX_SIDE_FILE_BYTES);
        context.sources.push(Source {
            name: path.display().to_string(),
            text: text.as_ref().map(|t| t.to_string()).unwrap_or_default(),
            origin: RuleFileOrigin::Override,
        });
        if let Err(error) = text {
            context.error(file, 0..0, format!("cannot read: {error}"));
            continue;
        }
        let kind = if KNOWN_FILES.contains(&relative.as_str()) || relative.starts_with("regions/") {
            kind_of(&relative)
        } else {
            None
        };
        match kind {
            Some(kind) => layer.read(context, file, kind),
            None => context.error(
                file,
                0..0,
                format!(
                    "unknown rule file `{relative}`; expected one of {}, or regions/<provider>.toml",
                    KNOWN_FILES.join(", ")
                ),
            ),
        }
    }
}

/// The defaults a record inherits from its file's `[meta]`.
pub(super) struct Defaults {
    source: String,
    as_of: Date,
    confidence: Confidence,
}

pub(super) fn inherited(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    file: usize,
    source: Option<String>,
    as_of: Option<&Spanned<Datetime>>,
    confidence: Option<Confidence>,
) -> (String, Date, Confidence) {
    let meta = defaults.get(&file);
    let as_of = as_of
        .and_then(|d| context.date(file, d))
        .or(meta.map(|m| m.as_of))
        .unwrap_or(Date {
            year: 1970,
            month: 1,
            day: 1,
        });
    (
        source
            .or(meta.map(|m| m.source.clone()))
            .unwrap_or_default(),
        as_of,
        // A record with no tag anywhere is treated as unconfirmed rather than trusted.
        confidence
            .or(meta.map(|m| m.confidence))
            .unwrap_or(Confidence::U),
    )
}

fn check_country(
    context: &mut Context,
    codes: &BTreeMap<String, Bloc>,
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

fn optional_date(
    context: &mut Context,
    file: usize,
    value: Option<&Spanned<Datetime>>,
) -> Option<Date> {
    value.and_then(|v| context.date(file, v))
}

fn build(context: &mut Context, layer: Layer) -> RuleSet {
    let defaults: BTreeMap<usize, Defaults> = layer
        .metas
        .iter()
        .map(|m| {
            (
                m.file,
                Defaults {
                    source: m.source.clone(),
                    as_of: m.as_of.unwrap_or(Date {
                        year: 1970,
                        month: 1,
                        day: 1,
                    }),
                    confidence: m.confidence.unwrap_or(Confidence::U),
                },
            )
        })
        .collect();
    let files: Vec<RuleFileMeta> = layer
        .metas
        .iter()
        .filter_map(|m| {
            let source = context.sources.get(m.file)?;
            Some(RuleFileMeta {
                file: source.name.clone(),
                origin: source.origin,
                title: m.title.clone(),
                version: m.version.clone(),
                as_of: m.as_of.unwrap_or(Date {
                    year: 1970,
                    month: 1,
                    day: 1,
                }),
                source: m.source.clone(),
                confidence: m.confidence,
                records: m.records,
            })
        })
        .collect();

    // Jurisdictions first: every other file refers to them.
    let codes: BTreeMap<String, Bloc> = layer
        .jurisdictions
        .iter()
        .map(|i| (i.value.code.get_ref().trim().to_string(), i.value.bloc))
        .collect();
    let mut jurisdictions = Vec::new();
    for Item { file, value: r } in layer.jurisdictions {
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
            .map(|p| check_country(context, &codes, file, p));
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
        let (source, as_of, confidence) = inherited(
            context,
            &defaults,
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

    let mut adequacy = Vec::new();
    for Item { file, value: r } in layer.decisions {
        let jurisdiction = check_country(context, &codes, file, &r.jurisdiction);
        let adopted = context.date(file, &r.adopted);
        let expires = optional_date(context, file, r.expires.as_ref());
        if let (Some(adopted), Some(expires), Some(span)) =
            (adopted, expires, r.expires.as_ref().map(|e| e.span()))
            && expires <= adopted
        {
            context.error(
                file,
                span,
                format!("expires {expires} is not after adopted {adopted}"),
            );
        }
        let mut conditions = Vec::new();
        for condition in r.condition {
            let kind = match (condition.kind.get_ref(), condition.value) {
                (RawConditionKind::Certification, Some(value)) => {
                    ConditionKind::Certification(value.get_ref().trim().to_ascii_lowercase())
                }
                (RawConditionKind::Certification, None) => {
                    context.error(
                        file,
                        condition.kind.span(),
                        "a `certification` condition needs a `value`",
                    );
                    continue;
                }
                (RawConditionKind::Assumed, Some(value)) => {
                    context.error(
                        file,
                        value.span(),
                        "an `assumed` condition takes no `value`",
                    );
                    continue;
                }
                (RawConditionKind::Assumed, None) => ConditionKind::Assumed,
            };
            conditions.push(ScopeCondition {
                kind,
                description: condition.description,
            });
        }
        let next_review = optional_date(context, file, r.next_review.as_ref());
        let eea_effective = optional_date(context, file, r.eea_effective.as_ref());
        let (source, as_of, confidence) = inherited(
            context,
            &defaults,
            file,
            r.source,
            r.as_of.as_ref(),
            r.confidence,
        );
        let Some(adopted) = adopted else { continue };
        adequacy.push(AdequacyDecision {
            id: r.id.get_ref().trim().to_string(),
            jurisdiction,
            instrument: r.instrument,
            legal_basis: r.legal_basis,
            adopted,
            adopted_confidence: r.adopted_confidence.unwrap_or(confidence),
            expires,
            next_review,
            scope: r.scope,
            conditions,
            litigation: r.litigation,
            eea_effective,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }

    let mut mechanisms = Vec::new();
    for Item { file, value: r } in layer.mechanisms {
        let (source, as_of, confidence) = inherited(
            context,
            &defaults,
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
        mechanisms.push(Mechanism {
            id: r.id.get_ref().trim().to_string(),
            name: r.name,
            article: r.article,
            requires_tia: r.requires_tia,
            requires_reference: r.requires_reference,
            approved_by_default: r.approved_by_default,
            versions,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }

    let mut derogations = Vec::new();
    for Item { file, value: r } in layer.derogations {
        let (source, as_of, confidence) = inherited(
            context,
            &defaults,
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

    let mut providers = Vec::new();
    for Item { file, value: r } in layer.providers {
        let country = check_country(context, &codes, file, &r.country);
        let (source, as_of, confidence) = inherited(
            context,
            &defaults,
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
    let provider_ids: BTreeSet<String> = providers.iter().map(|p| p.id.clone()).collect();

    let mut regions = Vec::new();
    let mut pairs_to_check = Vec::new();
    for Item { file, value: r } in layer.regions {
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
            .map(|c| check_country(context, &codes, file, c))
            .collect();
        let (source, as_of, confidence) = inherited(
            context,
            &defaults,
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

    let mut categories: Vec<Category> = Vec::new();
    let mut taxonomy_parents = Vec::new();
    for Item { file, value: r } in layer.taxonomy {
        if let Some((parent, offset)) = &r.parent {
            taxonomy_parents.push((file, parent.clone(), *offset));
        }
        categories.push(Category {
            key: r.key,
            name: r.name,
            parent: r.parent.map(|(p, _)| p),
            origin: CategoryOrigin::Taxonomy,
            deprecated_in: r.deprecated_in,
            replaced_by: r.replaced_by,
        });
    }
    let taxonomy_keys: BTreeSet<String> = categories.iter().map(|c| c.key.clone()).collect();
    for (file, parent, offset) in taxonomy_parents {
        if !taxonomy_keys.contains(&parent) {
            context.error(
                file,
                offset..offset,
                format!("unknown parent category `{parent}`"),
            );
        }
    }
    let extension_keys: BTreeSet<String> = layer
        .extensions
        .iter()
        .map(|i| i.value.key.get_ref().trim().to_string())
        .collect();
    for Item { file, value: r } in layer.extensions {
        let key = r.key.get_ref().trim().to_string();
        let parent = r.parent.get_ref().trim().to_string();
        if taxonomy_keys.contains(&key) {
            context.error(
                file,
                r.key.span(),
                format!("`{key}` is already in the taxonomy"),
            );
        }
        if !taxonomy_keys.contains(&parent) && !extension_keys.contains(&parent) {
            context.error(
                file,
                r.parent.span(),
                format!("unknown parent category `{parent}`"),
            );
        }
        if !key.starts_with(&format!("{parent}.")) {
            context.error(
                file,
                r.key.span(),
                format!("`{key}` is not under its parent `{parent}`"),
            );
        }
        let _ = r.note;
        categories.push(Category {
            key,
            name: r.name,
            parent: Some(parent),
            origin: CategoryOrigin::Extension,
            deprecated_in: None,
            replaced_by: None,
        });
    }
    let all_keys: BTreeSet<String> = categories.iter().map(|c| c.key.clone()).collect();

    let mut special = Vec::new();
    for Item { file, value: r } in layer.specials {
        let category = r.category.get_ref().trim().to_string();
        if !all_keys.contains(&category) {
            context.error(
                file,
                r.category.span(),
                format!("unknown category `{category}`: not in the taxonomy nor an extension"),
            );
        }
        if !matches!(r.article.get_ref(), 9 | 10) {
            context.error(file, r.article.span(), "article must be 9 or 10");
        }
        let (source, as_of, confidence) = inherited(
            context,
            &defaults,
            file,
            r.source,
            r.as_of.as_ref(),
            r.confidence,
        );
        special.push(SpecialCategory {
            category,
            article: *r.article.get_ref(),
            kind: r.kind,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    let mut non_personal = Vec::new();
    for Item { file, value: r } in layer.non_personal {
        let key = r.key.get_ref().trim().to_string();
        if !all_keys.contains(&key) {
            context.error(file, r.key.span(), format!("unknown category `{key}`"));
        }
        non_personal.push(NonPersonalCategory { key, note: r.note });
    }

    let mut vendors = Vec::new();
    for Item { file, value: r } in layer.vendors {
        let country = check_country(context, &codes, file, &r.country);
        let default_countries = match &r.default_countries {
            Some(list) => list
                .iter()
                .map(|c| check_country(context, &codes, file, c))
                .collect(),
            None => vec![country.clone()],
        };
        let mut domains = Vec::new();
        for domain in &r.domains {
            domains.push(check_host_pattern(context, file, domain));
        }
        let (source, as_of, confidence) = inherited(
            context,
            &defaults,
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
                .map(|c| check_country(context, &codes, file, c))
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

    let stores = super::catalogue::build_stores(context, &defaults, &provider_ids, layer.stores);
    let modules = super::catalogue::build_modules(context, &defaults, &provider_ids, layer.modules);
    let sdks = super::sdks::build(context, &defaults, &provider_ids, layer.sdks);
    let vendor_ids: BTreeSet<String> = vendors.iter().map(|v| v.id.clone()).collect();
    let settings = super::settings::build_settings(context, &defaults, &vendor_ids, layer.settings);

    RuleSet::from_parts(super::Parts {
        files,
        jurisdictions,
        adequacy,
        mechanisms,
        derogations,
        providers,
        regions,
        categories,
        special,
        non_personal,
        vendors,
        stores,
        modules,
        sdks,
        settings,
    })
}

/// The key of a registry module: its address and submodule, lower case (`a/b/aws//modules/x`).
fn module_key(r: &RawModule) -> String {
    let source = r.source.get_ref().trim().to_ascii_lowercase();
    match &r.submodule {
        Some(sub) => format!(
            "{source}//{}",
            sub.get_ref().trim().trim_matches('/').to_ascii_lowercase()
        ),
        None => source,
    }
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
