//! A generic, span-aware YAML tree over serde-saphyr, shared by the Kubernetes, compose and app-config extractors.
//!
//! Every node keeps the byte range where it is *used* (for an alias or a `<<` merge, the use
//! site), so a finding points at the line a reader would edit. Parsing is bounded by an explicit
//! budget: the scanned repository is untrusted and a YAML alias bomb must not exhaust memory.

use super::templates;
use crate::facts::Facts;
use crate::rule::Rule;
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
///
/// Aliases are bounded by what they expand to (events replayed from anchors), not by how many
/// aliases share an anchor: a compose file whose 140 services merge ten `x-` defaults with
/// `<<: *default` is ordinary, while a billion-laughs file replays millions of events.
///
/// A `!!binary` scalar is kept as its base64 text (a recorded HTTP body in a VCR cassette is
/// valid YAML whose bytes need not be UTF-8): no host is read from it either way.
///
/// `template`: the file is a template with its directives blanked, whose `{{ if }}`/`{{ else }}`
/// branches may both set a key; every entry is kept, so a host in either branch is read.
fn options(template: bool) -> serde_saphyr::Options {
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
    budget.enforce_alias_anchor_ratio = false;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    options.ignore_binary_tag_for_string = true;
    if template {
        options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    }
    options
}

/// How many events aliases may replay in one file: the expanded size bound (a few MiB of YAML).
const MAX_REPLAYED_EVENTS: usize = 1_000_000;

fn parse_text(text: &str, template: bool) -> Result<Vec<YamlNode>, serde_saphyr::Error> {
    serde_saphyr::from_multiple_with_options::<YamlNode>(text, options(template))
}

/// Parses every document of a YAML (or JSON) file. On error, records an `input-error` at the
/// parser's line and column and returns `None`.
///
/// A template (see [`templates`]) is parsed with its directives blanked to the same length, so
/// spans point into the file as written: one recognised by name or place before parsing, or
/// one that does not parse as written but does with the template markers it holds blanked. A
/// template that stays unreadable (recognised by name, place, or a line that starts with a
/// directive) is skipped with a note for its directory, never an `input-error`; any other file
/// that fails both ways is malformed, reported with the error as written.
pub fn parse_documents(file: &SourceFile, facts: &mut Facts) -> Option<Vec<YamlNode>> {
    let named = templates::by_name(&file.path, &file.text);
    let result = match named {
        Some(syntax) => parse_text(&templates::blank(&file.text, syntax), true),
        None => parse_text(&file.text, false),
    };
    let error = match result {
        Ok(documents) => return Some(documents),
        Err(error) => error,
    };
    if named.is_none()
        && let Some(markers) = templates::markers(&file.text)
        && let Ok(documents) = parse_text(&templates::blank(&file.text, markers), true)
    {
        return Some(documents);
    }
    if named.is_some() || templates::by_content(&file.text).is_some() {
        template_note(file, facts);
    } else {
        report(file, &error, facts);
    }
    None
}

/// The note for a template that stays unreadable with its directives blanked (a directive that
/// writes a mapping key, say): one per directory, since a chart's templates fail alike.
fn template_note(file: &SourceFile, facts: &mut Facts) {
    let directory = file.path.parent().map(|p| p.as_str()).unwrap_or("");
    let place = if directory.is_empty() {
        "the root of the scanned directory".to_string()
    } else {
        format!("`{directory}`")
    };
    facts
        .diagnostics
        .push(crate::facts::ExtractionDiagnostic {
            rule: Rule::InputError,
            severity: crate::facts::Severity::Note,
            message: format!("yaml: template files in {place} are not YAML until rendered, and some stay unreadable with their template directives blanked; the hosts written in them are not read"),
            span: None,
            path: Some(directory.to_string()),
        });
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
        // The parser's advice is to its programmer (an option of the library), not to the user.
        .replace(
            ", set DuplicateKeyPolicy in Options if acceptable",
            " (YAML allows a key once in a mapping; which value the program reading the file \
             keeps is not guessed)",
        );
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

    /// A duplicate key is said in the user's terms: no advice meant for the library's programmer.
    #[test]
    fn a_duplicate_key_is_reported_without_the_parser_options_advice() {
        let mut facts = Facts::default();
        assert!(parse_documents(&file("anchor: {id: 1}\nanchor: {id: 2}\n"), &mut facts).is_none());
        let message = &facts.diagnostics[0].message;
        assert!(
            message.contains("duplicate mapping key: anchor"),
            "{message}"
        );
        assert!(message.contains("is not guessed"), "{message}");
        assert!(!message.contains("Options"), "{message}");
    }

    #[test]
    fn many_merges_of_few_anchors_are_read_and_bombs_fail_fast() {
        // Ten anchors and 150 merge aliases: Sentry's self-hosted compose file has this shape.
        let mut text = String::new();
        for a in 0..10 {
            text.push_str(&format!(
                "x-d{a}: &d{a}\n  restart: unless-stopped\n  k{a}: v\n"
            ));
        }
        text.push_str("services:\n");
        for s in 0..150 {
            text.push_str(&format!("  s{s}:\n    <<: *d{}\n    image: i{s}\n", s % 10));
        }
        let mut facts = Facts::default();
        let doc = parse_document(&file(&text), &mut facts).unwrap();
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        assert_eq!(
            doc.path(&["services", "s149", "k9"])
                .and_then(|n| n.as_str()),
            Some("v")
        );
        // A billion laughs with one anchor per level replays far more than the expanded bound.
        let mut bomb = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for level in 1..12 {
            let p = level - 1;
            bomb.push_str(&format!(
                "l{level}: &l{level} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
            ));
        }
        let started = std::time::Instant::now();
        let mut facts = Facts::default();
        assert!(parse_documents(&file(&bomb), &mut facts).is_none());
        assert_eq!(facts.diagnostics.len(), 1);
        assert_eq!(facts.diagnostics[0].rule, Rule::InputError);
        // Unbounded, the bomb replays 10^12 events (hours); the bound is far from both that and
        // a loaded machine's few seconds, so it tells a missing budget from a busy CI runner.
        assert!(started.elapsed() < std::time::Duration::from_secs(120));
    }

    #[test]
    fn binary_scalars_that_are_not_utf8_are_valid_yaml() {
        // A VCR cassette records a gzip body as `!!binary`.
        let text = "interactions:\n- response:\n    body:\n      string: !!binary |\n        H4sIAAAAAAAAA6tWyk0tLk5MT1WyUkpKLEnVUcpLzE0FAFuZzhYXAAAA\n    status: {code: 200}\n";
        let mut facts = Facts::default();
        assert!(parse_document(&file(text), &mut facts).is_some());
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    }

    fn at(path: &str, text: &str) -> SourceFile {
        SourceFile::new(FileId(0), path.into(), Arc::from(text))
    }

    #[test]
    fn templates_are_read_with_their_directives_blanked() {
        let helm = at(
            "charts/web/templates/configmap.yaml",
            "{{- if .Values.on }}\nkind: ConfigMap\ndata:\n  URL: https://api.segment.io/v1\n  NAME: {{ .Release.Name | quote }}\n{{- end }}\n",
        );
        let mut facts = Facts::default();
        let doc = parse_document(&helm, &mut facts).unwrap();
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        let url = doc.path(&["data", "URL"]).unwrap();
        assert_eq!(url.as_str(), Some("https://api.segment.io/v1"));
        assert_eq!(helm.line_column(url.span(&helm).start).line, 4);
        // Both branches of an `if` may set a key: both are kept.
        let branches = at(
            "deploy/app.yaml.j2",
            "{% if prod %}\nhost: a.example.com\n{% else %}\nhost: b.example.com\n{% endif %}\n",
        );
        let doc = parse_document(&branches, &mut facts).unwrap();
        assert_eq!(doc.entries().len(), 2);
        // Terraform's cloud-init: a comment header, then `%{ }` directives at the first column.
        let cloud_init = at(
            "modules/vm/cloud-config.yaml",
            "#cloud-config\n\n%{ for u in users ~}\nusers:\n  - name: ${u.name}\n%{ endfor ~}\nruncmd:\n  - echo ${a == null ? \"\" : \"-x\"}: done\n",
        );
        assert!(parse_document(&cloud_init, &mut facts).is_some());
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        // A template that stays unreadable is a note for its directory, not an input error.
        let keyed = at(
            "charts/web/templates/broken.yaml",
            "{{- if .Values.on }}\na: [unclosed\n",
        );
        let mut facts = Facts::default();
        assert!(parse_document(&keyed, &mut facts).is_none());
        assert_eq!(facts.diagnostics.len(), 1);
        assert_eq!(facts.diagnostics[0].severity, crate::facts::Severity::Note);
        assert_eq!(
            facts.diagnostics[0].path.as_deref(),
            Some("charts/web/templates")
        );
        // A YAML file that is malformed whatever its `{{ }}` strings hold is still an input error.
        let malformed = at(
            "deploy/alerts.yaml",
            "summary: \"{{ $labels.x }}\"\nb: [unclosed\n",
        );
        let mut facts = Facts::default();
        assert!(parse_document(&malformed, &mut facts).is_none());
        assert_eq!(
            facts.diagnostics[0].severity,
            crate::facts::Severity::Warning
        );
    }
}
