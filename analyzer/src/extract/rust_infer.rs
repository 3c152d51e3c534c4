//! Inference from unannotated code: field names that mean personal data. Everything found here is
//! marked inferred: a guess to confirm, never an error alone. Which field names mean which
//! category is rule data (`[[field]]` in `rules/categories.toml`, read by
//! `RuleSet::category_for_field`). (URLs passed to clients are found by `extract::code` for
//! every language, Rust included.)

/// Derives that mark a struct as data that is stored or sent: serde, sqlx, diesel.
pub(crate) const DATA_DERIVES: [&str; 8] = [
    "Serialize",
    "Deserialize",
    "FromRow",
    "Queryable",
    "QueryableByName",
    "Insertable",
    "Selectable",
    "AsChangeset",
];
