//! `[[field]]` in `categories.toml`: field names that mean personal data, each mapped onto a
//! category that must exist (taxonomy or extension), so the extractor never invents a key.

use super::{Context, Item};
use crate::rules::model::FieldCategory;
use crate::rules::raw::RawField;
use std::collections::BTreeSet;

/// The field records in file order (the order decides which qualified match wins), each name a
/// lower-case `_`-joined word and each category a known key.
pub(in crate::rules) fn build(
    context: &mut Context,
    all_keys: &BTreeSet<String>,
    records: Vec<Item<RawField>>,
) -> Vec<FieldCategory> {
    let mut fields = Vec::new();
    for Item { file, value: r } in records {
        let name = r.name.get_ref().trim().to_string();
        let well_formed = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed {
            context.error(
                file,
                r.name.span(),
                format!("field name `{name}` must be lower-case letters, digits and `_`"),
            );
        }
        let category = r.category.get_ref().trim().to_string();
        if !all_keys.contains(&category) {
            context.error(
                file,
                r.category.span(),
                format!("unknown category `{category}`: not in the taxonomy nor an extension"),
            );
        }
        fields.push(FieldCategory {
            name,
            category,
            note: r.note,
        });
    }
    fields
}
