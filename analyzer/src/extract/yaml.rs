//! A generic, span-aware YAML tree over serde-saphyr, shared by the Kubernetes, compose and app-config extractors.
//!
//! Every node keeps the byte range where it is *used* (for an alias or a `<<` merge, the use
//! site), so a finding points at the line a reader would edit. Parsing is bounded by an explicit
//! budget: the scanned repository is untrusted and a YAML alias bomb must not exhaust memory.

use crate::model::facts::Facts;
use crate::rules::{RuleSet, Settings};
use crate::source::{SourceFile, Span};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

/// One YAML node with the byte range of its use site.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlNode {
    pub value: YamlValue,
    /// Byte range in the file (empty when the parser could not tell).
    pub range: Range<usize>,
}

/// The value of a node. Scalars that are not strings keep their text, since only strings matter here.
#[derive(Debug, Clone, PartialEq)]
pub enum YamlValue {
    Null,
    Scalar(String),
    Seq(Vec<YamlNode>),
    Map(Vec<(YamlNode, YamlNode)>),
}

impl YamlNode {
    /// The entry of a mapping with this key.
    pub fn get(&self, key: &str) -> Option<&YamlNode> {
        match &self.value {
            YamlValue::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&YamlNode> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The text of a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::Scalar(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> &[YamlNode] {
        match &self.value {
            YamlValue::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[(YamlNode, YamlNode)] {
        match &self.value {
            YamlValue::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The span of this node in `file`, or the first line when the parser gave no position.
    pub fn span(&self, file: &SourceFile) -> Span {
        if self.range.is_empty() && self.range.start == 0 {
            return file.line_span(1);
        }
        file.span(self.range.clone())
    }
}

impl<'de> Deserialize<'de> for YamlNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned: Spanned<YamlValue> = Spanned::deserialize(deserializer)?;
        let span = spanned.referenced.span();
        let start = span
            .byte_offset()
            .and_then(|o| usize::try_from(o).ok())
            .unwrap_or(0);
        let length = span
            .byte_len()
            .and_then(|l| usize::try_from(l).ok())
            .unwrap_or(0);
        Ok(YamlNode {
            value: spanned.value,
            range: start..start.saturating_add(length),
        })
    }
}

impl<'de> Deserialize<'de> for YamlValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = YamlValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<YamlValue, E> {
        Ok(YamlValue::Scalar(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<YamlValue, E> {
        Ok(YamlValue::Scalar(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<YamlValue, E> {
        Ok(YamlValue::Scalar(v.to_string()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<YamlValue, E> {
        Ok(YamlValue::Scalar(v.to_string()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<YamlValue, E> {
        Ok(YamlValue::Scalar(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<YamlValue, E> {
        Ok(YamlValue::Scalar(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<YamlValue, E> {
        Ok(YamlValue::Scalar(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<YamlValue, E> {
        Ok(YamlValue::Scalar(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<YamlValue, E> {
        Ok(YamlValue::Scalar(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<YamlValue, E> {
        Ok(YamlValue::Null)
    }
    fn visit_none<E>(self) -> Result<YamlValue, E> {
        Ok(YamlValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<YamlValue, D::Error> {
        YamlValue::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YamlValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<YamlNode>()? {
            items.push(item);
        }
        Ok(YamlValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<YamlNode>()? {
            let value = map.next_value::<YamlNode>()?;
            entries.push((key, value));
        }
        Ok(YamlValue::Map(entries))
    }
}

/// The parser limits. Real manifests are far below them; an alias bomb or a pathological file
/// hits one and becomes an `input-error` instead of exhausting memory.
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_aliases = 10_000;
    budget.max_anchors = 10_000;
    budget.max_nodes = 250_000;
    budget.max_events = 1_000_000;
    budget.max_depth = 64;
    budget.max_documents = 1_024;
    budget.max_merge_keys = 10_000;
    budget.max_total_scalar_bytes = 16 * 1024 * 1024;
    budget.max_recorded_anchor_events = 200_000;
    budget.max_recorded_anchor_bytes = 16 * 1024 * 1024;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Parses every document of a YAML (or JSON) file. On error, records an `input-error` at the
/// parser's line and column and returns `None`.
pub fn parse_documents(file: &SourceFile, facts: &mut Facts) -> Option<Vec<YamlNode>> {
    match serde_saphyr::from_multiple_with_options::<YamlNode>(&file.text, options()) {
        Ok(documents) => Some(documents),
        Err(error) => {
            report(file, &error, facts);
            None
        }
    }
}

/// Parses a single-document file (compose, app configs). An empty file is `Null`.
pub fn parse_document(file: &SourceFile, facts: &mut Facts) -> Option<YamlNode> {
    let mut documents = parse_documents(file, facts)?;
    if documents.is_empty() {
        return Some(YamlNode {
            value: YamlValue::Null,
            range: 0..0,
        });
    }
    Some(documents.swap_remove(0))
}

fn report(file: &SourceFile, error: &serde_saphyr::Error, facts: &mut Facts) {
    let message = error.without_snippet().to_string();
    let message = message
        .lines()
        .next()
        .unwrap_or("malformed YAML")
        .trim()
        .to_string();
    let span = error
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| {
            file.span_at(
                u32::try_from(l.line()).unwrap_or(u32::MAX),
                u32::try_from(l.column()).unwrap_or(1).max(1),
            )
        })
        .unwrap_or_else(|| file.line_span(1));
    facts.input_error(Some(span), None, format!("yaml: {}: {message}", file.path));
}

/// Visits every string scalar under `node` with the key it sits under (the nearest mapping key,
/// inherited through sequences) and the chain of keys above it.
pub fn walk_strings<'a>(node: &'a YamlNode, visit: &mut dyn FnMut(&[&'a str], &'a YamlNode)) {
    fn inner<'a>(
        node: &'a YamlNode,
        keys: &mut Vec<&'a str>,
        visit: &mut dyn FnMut(&[&'a str], &'a YamlNode),
    ) {
        match &node.value {
            YamlValue::Scalar(_) => visit(keys, node),
            YamlValue::Null => {}
            YamlValue::Seq(items) => {
                for item in items {
                    inner(item, keys, visit);
                }
            }
            YamlValue::Map(entries) => {
                for (key, value) in entries {
                    keys.push(key.as_str().unwrap_or(""));
                    inner(value, keys, visit);
                    keys.pop();
                }
            }
        }
    }
    let mut keys = Vec::new();
    inner(node, &mut keys, visit);
}

/// Visits every string scalar that may name an endpoint, with its nearest key. Subtrees under
/// metadata keys (`image`, `description`, `$schema`...) and region-keyed lookup tables (an AMI or
/// endpoint per region: a table of possibilities, not where this service sends data) are skipped.
pub fn endpoint_strings<'a>(
    node: &'a YamlNode,
    rules: &RuleSet,
    visit: &mut dyn FnMut(&'a str, &'a YamlNode),
) {
    fn inner<'a>(
        node: &'a YamlNode,
        key: &'a str,
        rules: &RuleSet,
        visit: &mut dyn FnMut(&'a str, &'a YamlNode),
    ) {
        match &node.value {
            YamlValue::Scalar(_) => visit(key, node),
            YamlValue::Null => {}
            YamlValue::Seq(items) => {
                for item in items {
                    inner(item, key, rules, visit);
                }
            }
            YamlValue::Map(entries) => {
                if is_region_keyed(entries, rules) {
                    return;
                }
                for (entry_key, value) in entries {
                    let entry_key = entry_key.as_str().unwrap_or("");
                    if crate::extract::urls::is_quiet_key(entry_key) {
                        continue;
                    }
                    inner(value, entry_key, rules, visit);
                }
            }
        }
    }
    inner(node, "", rules, visit);
}

/// Visits every string under a key path a vendor site setting names (`datadog.site`,
/// `exporters.datadog/eu.api.site`: `rules/settings.toml`) with the host its value means, and
/// returns the start offsets of every value under such a path, known or not, so that the generic
/// endpoint walk does not read `datadoghq.eu` as a host of its own.
pub fn setting_hosts<'a>(
    node: &'a YamlNode,
    settings: &Settings,
    visit: &mut dyn FnMut(String, &'a YamlNode),
) -> BTreeSet<usize> {
    let mut settled = BTreeSet::new();
    walk_strings(node, &mut |keys, value| {
        let Some(setting) = settings.path_setting(keys) else {
            return;
        };
        settled.insert(value.range.start);
        if let Some(host) = value.as_str().and_then(|text| setting.host_for(text)) {
            visit(host, value);
        }
    });
    settled
}

/// A mapping whose keys are mostly cloud region ids (`us-east-1: ami-123`).
fn is_region_keyed(entries: &[(YamlNode, YamlNode)], rules: &RuleSet) -> bool {
    let regions = entries
        .iter()
        .filter(|(key, _)| {
            key.as_str()
                .is_some_and(|k| !rules.region_anywhere(k).is_empty())
        })
        .count();
    regions >= 2 && regions * 2 >= entries.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use std::sync::Arc;

    fn file(text: &str) -> SourceFile {
        SourceFile::new(FileId(0), "deploy/app.yaml".into(), Arc::from(text))
    }

    #[test]
    fn spans_point_at_values_and_merge_use_sites() {
        let f = file(
            "x-env: &env\n  A: https://a.example.org\nservice:\n  <<: *env\n  B: \"https://b\"\n",
        );
        let mut facts = Facts::default();
        let doc = parse_document(&f, &mut facts).unwrap();
        assert!(facts.diagnostics.is_empty());
        let b = doc.path(&["service", "B"]).unwrap();
        assert_eq!(f.line_column(b.span(&f).start).line, 5);
        let merged = doc.path(&["service", "A"]).unwrap();
        assert_eq!(merged.as_str(), Some("https://a.example.org"));
        // The merged value is reported where it is used, not where the anchor defines it.
        assert_eq!(f.line_column(merged.span(&f).start).line, 4);
    }

    #[test]
    fn multi_document_files_and_errors_at_line_and_column() {
        let f = file("kind: A\n---\nkind: B\n");
        let mut facts = Facts::default();
        assert_eq!(parse_documents(&f, &mut facts).unwrap().len(), 2);
        let bad = file("a: 1\nb: [unclosed\nc: 2\n");
        assert!(parse_documents(&bad, &mut facts).is_none());
        assert_eq!(facts.diagnostics.len(), 1);
        assert!(facts.diagnostics[0].message.starts_with("yaml: "));
        let line = bad
            .line_column(facts.diagnostics[0].span.unwrap().start)
            .line;
        assert!(line >= 2, "error reported at line {line}");
    }

    #[test]
    fn alias_bombs_duplicates_tabs_and_depth_are_bounded() {
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
            let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][i];
            bomb.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        for text in [
            bomb.as_str(),
            "a: 1\na: 2\n",
            "a:\n\tb: 1\n",
            &"[".repeat(10_000),
        ] {
            let mut facts = Facts::default();
            assert!(parse_documents(&file(text), &mut facts).is_none());
            assert_eq!(facts.diagnostics.len(), 1);
        }
        let mut facts = Facts::default();
        assert!(parse_documents(&file("a: 1\r\nb: \"x\"\r\n"), &mut facts).is_some());
    }
}
