//! `data-categories.csv` and `categories.toml`: the Fides taxonomy, borderline's extensions, the
//! Art. 9/10 special categories and the non-personal roots.

use super::provenance::{Defaults, Provenance};
use super::{Context, Item, TaxonomyRow};
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::{BTreeMap, BTreeSet};

/// The taxonomy's rows and the extensions, each parent known and each extension under its parent.
pub(in crate::rules) fn build(
    context: &mut Context,
    taxonomy: Vec<Item<TaxonomyRow>>,
    extensions: Vec<Item<RawExtension>>,
) -> Vec<Category> {
    let mut categories: Vec<Category> = Vec::new();
    let mut taxonomy_parents = Vec::new();
    for Item { file, value: r } in taxonomy {
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
    let extension_keys: BTreeSet<String> = extensions
        .iter()
        .map(|i| i.value.key.get_ref().trim().to_string())
        .collect();
    for Item { file, value: r } in extensions {
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
    categories
}

/// The special categories (Art. 9/10): a known key, article 9 or 10.
pub(in crate::rules) fn build_special(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    all_keys: &BTreeSet<String>,
    records: Vec<Item<RawSpecial>>,
) -> Vec<SpecialCategory> {
    let mut special = Vec::new();
    for Item { file, value: r } in records {
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
    special
}

/// The roots that are not personal data: known keys.
pub(in crate::rules) fn build_non_personal(
    context: &mut Context,
    all_keys: &BTreeSet<String>,
    records: Vec<Item<RawNonPersonal>>,
) -> Vec<NonPersonalCategory> {
    let mut non_personal = Vec::new();
    for Item { file, value: r } in records {
        let key = r.key.get_ref().trim().to_string();
        if !all_keys.contains(&key) {
            context.error(file, r.key.span(), format!("unknown category `{key}`"));
        }
        non_personal.push(NonPersonalCategory { key, note: r.note });
    }
    non_personal
}
