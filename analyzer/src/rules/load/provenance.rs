//! The provenance every rule record carries: its source, the day it was checked (`as_of`) and a
//! confidence tag, each inherited from the file's `[meta]` where the record gives none.
//!
//! One struct for every kind, so the inheritance and its validation (a date that is a date; a
//! record with no tag anywhere is unconfirmed) are written once.

use super::{Context, FileMetaRaw};
use crate::date::Date;
use crate::rules::model::{Confidence, RuleFileMeta};
use std::collections::BTreeMap;
use toml::Spanned;
use toml::value::Datetime;

/// The day a record with no date anywhere is taken to be from: old enough to look stale.
const NO_DATE: Date = Date {
    year: 1970,
    month: 1,
    day: 1,
};

/// The defaults a record inherits from its file's `[meta]`.
pub(in crate::rules) struct Defaults {
    source: String,
    as_of: Date,
    confidence: Confidence,
}

/// Where a record's facts come from, when they were checked, and how sure that is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::rules) struct Provenance {
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

impl Provenance {
    /// The record's own source, date and tag, each falling back to its file's `[meta]`. A
    /// record's `as_of` that is not a date is reported at its place.
    pub(in crate::rules) fn of(
        context: &mut Context,
        defaults: &BTreeMap<usize, Defaults>,
        file: usize,
        source: Option<String>,
        as_of: Option<&Spanned<Datetime>>,
        confidence: Option<Confidence>,
    ) -> Provenance {
        let meta = defaults.get(&file);
        let as_of = as_of
            .and_then(|d| context.date(file, d))
            .or(meta.map(|m| m.as_of))
            .unwrap_or(NO_DATE);
        Provenance {
            source: source
                .or(meta.map(|m| m.source.clone()))
                .unwrap_or_default(),
            as_of,
            // A record with no tag anywhere is treated as unconfirmed rather than trusted.
            confidence: confidence
                .or(meta.map(|m| m.confidence))
                .unwrap_or(Confidence::U),
        }
    }
}

/// Each file's `[meta]` defaults, by file index.
pub(super) fn defaults(metas: &[FileMetaRaw]) -> BTreeMap<usize, Defaults> {
    metas
        .iter()
        .map(|m| {
            (
                m.file,
                Defaults {
                    source: m.source.clone(),
                    as_of: m.as_of.unwrap_or(NO_DATE),
                    confidence: m.confidence.unwrap_or(Confidence::U),
                },
            )
        })
        .collect()
}

/// What `borderline rules` lists about each file read.
pub(super) fn file_metas(context: &Context, metas: &[FileMetaRaw]) -> Vec<RuleFileMeta> {
    metas
        .iter()
        .filter_map(|m| {
            let source = context.sources.get(m.file)?;
            Some(RuleFileMeta {
                file: source.name.clone(),
                origin: source.origin,
                title: m.title.clone(),
                version: m.version.clone(),
                as_of: m.as_of.unwrap_or(NO_DATE),
                source: m.source.clone(),
                confidence: m.confidence,
                records: m.records,
            })
        })
        .collect()
}

/// An optional date field, reported at its place when it is not a date.
pub(in crate::rules) fn optional_date(
    context: &mut Context,
    file: usize,
    value: Option<&Spanned<Datetime>>,
) -> Option<Date> {
    value.and_then(|v| context.date(file, v))
}
