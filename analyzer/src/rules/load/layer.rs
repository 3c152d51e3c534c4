//! One layer of rule data (the built-in files, or an override directory): each file parsed into
//! its raw records, keys checked unique within the layer, and the override layer merged over the
//! built-in one by key.

use super::{Context, FileKind, Item};
use crate::date::Date;
use crate::rules::csv;
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

pub(super) struct TaxonomyRow {
    pub(super) key: String,
    pub(super) key_offset: usize,
    pub(super) name: String,
    pub(super) parent: Option<(String, usize)>,
    pub(super) deprecated_in: Option<String>,
    pub(super) replaced_by: Option<String>,
}

pub(super) struct FileMetaRaw {
    pub(super) file: usize,
    pub(super) title: String,
    pub(super) version: String,
    pub(super) as_of: Option<Date>,
    pub(super) source: String,
    pub(super) confidence: Option<Confidence>,
    pub(super) records: usize,
}

/// All records of one layer (built-in, or the override directory), before merging.
#[derive(Default)]
pub(super) struct Layer {
    pub(super) metas: Vec<FileMetaRaw>,
    pub(super) jurisdictions: Vec<Item<RawJurisdiction>>,
    pub(super) decisions: Vec<Item<RawDecision>>,
    pub(super) mechanisms: Vec<Item<RawMechanism>>,
    pub(super) derogations: Vec<Item<RawDerogation>>,
    pub(super) providers: Vec<Item<RawProvider>>,
    pub(super) regions: Vec<Item<RawRegion>>,
    pub(super) specials: Vec<Item<RawSpecial>>,
    pub(super) extensions: Vec<Item<RawExtension>>,
    pub(super) non_personal: Vec<Item<RawNonPersonal>>,
    pub(super) fields: Vec<Item<RawField>>,
    pub(super) taxonomy: Vec<Item<TaxonomyRow>>,
    pub(super) vendors: Vec<Item<RawVendor>>,
    pub(super) stores: Vec<Item<RawStore>>,
    pub(super) modules: Vec<Item<RawModule>>,
    pub(super) sdks: Vec<Item<crate::rules::sdks::RawSdk>>,
    pub(super) settings: Vec<Item<crate::rules::settings::RawSetting>>,
}

fn items<T>(file: usize, values: Vec<T>) -> impl Iterator<Item = Item<T>> {
    values.into_iter().map(move |value| Item { file, value })
}

fn parse_toml<T: serde::de::DeserializeOwned>(context: &mut Context, file: usize) -> Option<T> {
    let text = context
        .sources
        .get(file)
        .map(|s| s.text().to_string())
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

    pub(super) fn read(&mut self, context: &mut Context, file: usize, kind: FileKind) {
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
                    // Field names are extraction vocabulary, not records `borderline rules`
                    // counts: the file's count stays what it was before they moved here.
                    self.fields.extend(items(file, parsed.field));
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
                if let Some(parsed) = parse_toml::<crate::rules::sdks::SdksFile>(context, file) {
                    self.add_meta(context, file, parsed.meta, parsed.sdk.len());
                    self.sdks.extend(items(file, parsed.sdk));
                }
            }
            FileKind::Settings => {
                if let Some(parsed) =
                    parse_toml::<crate::rules::settings::SettingsFile>(context, file)
                {
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
            .map(|s| s.text().to_string())
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

pub(super) fn check_layer(context: &mut Context, layer: &Layer) {
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
    check_unique(context, &layer.fields, "field", |r| lower(&r.name));
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

pub(super) fn merge_layers(base: Layer, over: Layer) -> Layer {
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
        fields: merge(base.fields, over.fields, |r| key_lower(&r.name)),
        taxonomy: merge(base.taxonomy, over.taxonomy, |r| r.key.to_ascii_lowercase()),
        vendors: merge(base.vendors, over.vendors, |r| key_lower(&r.id)),
        stores: merge(base.stores, over.stores, |r| key_lower(&r.resource_type)),
        modules: merge(base.modules, over.modules, module_key),
        sdks: merge(base.sdks, over.sdks, crate::rules::sdks::key),
        settings: merge(base.settings, over.settings, |r| key_lower(&r.id)),
    }
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
