//! Reads the rule files (built-in and `--rules DIR`), merges them by key, validates, and builds a `RuleSet`.

mod adequacy;
mod categories;
mod fields;
mod jurisdictions;
mod layer;
mod mechanisms;
mod places;
mod provenance;
mod vendors;

pub(super) use provenance::{Defaults, Provenance};

use layer::{FileMetaRaw, Layer, TaxonomyRow, check_layer, merge_layers};

use super::model::*;
use super::{RuleDataError, RuleSet};
use crate::date::Date;
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::value::Datetime;

/// The files compiled into the binary, by their name relative to `rules/`.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    (
        "jurisdictions.toml",
        include_str!("../../../../rules/jurisdictions.toml"),
    ),
    (
        "adequacy.toml",
        include_str!("../../../../rules/adequacy.toml"),
    ),
    (
        "mechanisms.toml",
        include_str!("../../../../rules/mechanisms.toml"),
    ),
    (
        "providers.toml",
        include_str!("../../../../rules/providers.toml"),
    ),
    (
        "regions/aws.toml",
        include_str!("../../../../rules/regions/aws.toml"),
    ),
    (
        "regions/gcp.toml",
        include_str!("../../../../rules/regions/gcp.toml"),
    ),
    (
        "regions/azure.toml",
        include_str!("../../../../rules/regions/azure.toml"),
    ),
    (
        "regions/oci.toml",
        include_str!("../../../../rules/regions/oci.toml"),
    ),
    (
        "regions/others.toml",
        include_str!("../../../../rules/regions/others.toml"),
    ),
    (
        "categories.toml",
        include_str!("../../../../rules/categories.toml"),
    ),
    (
        "data-categories.csv",
        include_str!("../../../../rules/data-categories.csv"),
    ),
    (
        "vendors.toml",
        include_str!("../../../../rules/vendors.toml"),
    ),
    ("stores.toml", include_str!("../../../../rules/stores.toml")),
    (
        "modules.toml",
        include_str!("../../../../rules/modules.toml"),
    ),
    ("sdks.toml", include_str!("../../../../rules/sdks.toml")),
    (
        "settings.toml",
        include_str!("../../../../rules/settings.toml"),
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

/// One rule file read, as a `crate::source::SourceFile` so that its errors' lines and columns
/// come from the same code as every other file:line:col borderline prints.
struct Source {
    name: String,
    file: crate::source::SourceFile,
    origin: RuleFileOrigin,
}

impl Source {
    fn new(name: String, text: &str, origin: RuleFileOrigin) -> Source {
        let file = crate::source::SourceFile::new(
            crate::source::FileId(0),
            camino::Utf8PathBuf::from(name.as_str()),
            std::sync::Arc::from(text),
        );
        Source { name, file, origin }
    }

    fn text(&self) -> &str {
        &self.file.text
    }
}

/// Every file read so far, and every problem found in them.
pub(super) struct Context {
    sources: Vec<Source>,
    errors: Vec<RuleDataError>,
}

impl Context {
    pub(super) fn error(&mut self, file: usize, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = match self.sources.get(file) {
            Some(source) => {
                let at = source
                    .file
                    .line_column(u32::try_from(span.start).unwrap_or(u32::MAX));
                (at.line as usize, at.column as usize)
            }
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

/// A record and the file it came from.
pub(super) struct Item<T> {
    pub(super) file: usize,
    pub(super) value: T,
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
        context.sources.push(Source::new(
            format!("rules/{name}"),
            text,
            RuleFileOrigin::Builtin,
        ));
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
    let mut hasher = crate::hash::StableHasher::new();
    for source in &context.sources {
        hasher.piece(source.name.as_bytes());
        hasher.piece(source.text().as_bytes());
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
                context.sources.push(Source::new(
                    path.display().to_string(),
                    "",
                    RuleFileOrigin::Override,
                ));
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
        context.sources.push(Source::new(
            path.display().to_string(),
            text.as_deref().unwrap_or_default(),
            RuleFileOrigin::Override,
        ));
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

/// Builds every kind in dependency order (jurisdictions first: every other file names
/// countries; providers before regions, stores and modules; vendors before settings). Each kind
/// validates its own records; the order of the reported problems is the order of the kinds.
fn build(context: &mut Context, layer: Layer) -> RuleSet {
    let defaults = provenance::defaults(&layer.metas);
    let files = provenance::file_metas(context, &layer.metas);
    let codes = jurisdictions::codes(&layer.jurisdictions);
    let jurisdictions = jurisdictions::build(context, &defaults, &codes, layer.jurisdictions);
    let adequacy = adequacy::build(context, &defaults, &codes, layer.decisions);
    let mechanisms = mechanisms::build(context, &defaults, layer.mechanisms);
    let derogations = mechanisms::build_derogations(context, &defaults, layer.derogations);
    let (providers, host_regions) =
        places::build_providers(context, &defaults, &codes, layer.providers);
    let provider_ids: BTreeSet<String> = providers.iter().map(|p| p.id.clone()).collect();
    let regions = places::build_regions(context, &defaults, &codes, &provider_ids, layer.regions);
    places::check_host_regions(context, host_regions, &regions);
    let categories = categories::build(context, layer.taxonomy, layer.extensions);
    let all_keys: BTreeSet<String> = categories.iter().map(|c| c.key.clone()).collect();
    let special = categories::build_special(context, &defaults, &all_keys, layer.specials);
    let non_personal = categories::build_non_personal(context, &all_keys, layer.non_personal);
    let fields = fields::build(context, &all_keys, layer.fields);
    let vendors = vendors::build(context, &defaults, &codes, layer.vendors);
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
        fields,
        vendors,
        stores,
        modules,
        sdks,
        settings,
    })
}
