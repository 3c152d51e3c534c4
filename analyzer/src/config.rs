//! `borderline.toml`, parsed in two steps: a spanned TOML tree, then validation into the analyzer's
//! types, collecting every problem at its file:line:col instead of stopping at the first.

use crate::date::Date;
use crate::facts::{
    DataRef, Environment, Facts, FlowFact, FlowTarget, LocatedAt, Location, MechanismKind,
    NodeFact, NodeKind, NodeRef, Origin, Safeguard, Severity, TerraformVariants,
};
use crate::rule::Rule;
use crate::rules::RuleSet;
use crate::safeguard::{self, Field, SafeguardError, SafeguardInput, Written, WrittenDate};
use crate::source::{SourceFile, Span};
use std::collections::BTreeMap;

// Re-exported so callers that name these types through `config` keep compiling; the types
// live in `policy`, below `model`.
use crate::policy::{Policy, SpecialCategoryPolicy, Waiver};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One problem in the manifest, at its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// The manifest, validated.
#[derive(Clone, Debug, Default)]
pub struct Manifest {
    pub project_name: Option<String>,
    pub policy: Policy,
    pub exclude: Vec<String>,
    pub facts: Facts,
    pub waivers: Vec<Waiver>,
    /// `[[scan.terraform]]`: Terraform roots and the variable files each is applied with, as
    /// written (relative to the manifest; see [`Manifest::terraform_roots`]).
    pub terraform: Vec<TerraformRoot>,
    /// Span of the whole file, for findings about the manifest as a whole.
    pub file_span: Option<Span>,
    /// `[scan] variants`: the deployment variants to evaluate, with where each is written; empty
    /// means every variant found.
    pub variants: Vec<(String, Span)>,
}

/// One `[[scan.terraform]]` entry: a Terraform root directory and the variable files it is
/// applied with (`-var-file`), each a deployment variant named by its file stem. It replaces the
/// discovery of that root's variable files.
#[derive(Clone, Debug, Default)]
pub struct TerraformRoot {
    pub root: Option<Written<String>>,
    pub var_files: Vec<Written<String>>,
}

impl Manifest {
    /// The `[[scan.terraform]]` entries with their paths made relative to the scanned directory
    /// `scan_root` (the manifest `file` is at `file.path` relative to it), each checked on disk: a
    /// root that is not a directory, a variable file that is not a file, or a path that leaves the
    /// scanned directory is an error at the place it is written.
    pub fn terraform_roots(
        &self,
        file: &SourceFile,
        scan_root: &std::path::Path,
    ) -> Result<Vec<TerraformVariants>, Vec<ConfigError>> {
        let base = file.path.parent().unwrap_or(camino::Utf8Path::new(""));
        let mut errors = Vec::new();
        let mut error = |span: Span, message: String| {
            let position = file.line_column(span.start);
            errors.push(ConfigError {
                file: file.path.to_string(),
                line: position.line,
                column: position.column,
                message,
            });
        };
        let resolve = |written: &Written<String>| -> Result<camino::Utf8PathBuf, String> {
            let path = camino::Utf8Path::new(written.value.trim());
            let mut out = camino::Utf8PathBuf::new();
            for component in base.join(path).components() {
                match component {
                    camino::Utf8Component::Normal(part) => out.push(part),
                    camino::Utf8Component::CurDir => {}
                    camino::Utf8Component::ParentDir if out.pop() => {}
                    _ => {
                        return Err(format!("`{}` leaves the scanned directory", written.value));
                    }
                }
            }
            Ok(out)
        };
        let mut resolved = Vec::new();
        for entry in &self.terraform {
            let Some(root) = &entry.root else { continue };
            let root_path = match resolve(root) {
                Ok(path) if scan_root.join(path.as_std_path()).is_dir() => path,
                Ok(_) => {
                    error(
                        root.span,
                        format!("`root` = `{}` is not a directory", root.value),
                    );
                    continue;
                }
                Err(message) => {
                    error(root.span, format!("`root`: {message}"));
                    continue;
                }
            };
            let mut var_files = Vec::new();
            for var_file in &entry.var_files {
                match resolve(var_file) {
                    Ok(path) if scan_root.join(path.as_std_path()).is_file() => {
                        var_files.push(path);
                    }
                    Ok(_) => error(
                        var_file.span,
                        format!("`var_files`: `{}` is not a file", var_file.value),
                    ),
                    Err(message) => error(var_file.span, format!("`var_files`: {message}")),
                }
            }
            resolved.push(TerraformVariants {
                root: root_path,
                var_files,
            });
        }
        if errors.is_empty() {
            Ok(resolved)
        } else {
            Err(errors)
        }
    }
}

/// Parses and validates a manifest. Errors are every problem found, in file order.
pub fn parse_manifest(file: &SourceFile, rules: &RuleSet) -> Result<Manifest, Vec<ConfigError>> {
    // The certifications a node may claim are the ones rule data knows (the DPF, BCRs).
    read_manifest(file, rules, &rules.certification_ids())
}

/// [`parse_manifest`] with the certification ids a node may name.
fn read_manifest(
    file: &SourceFile,
    rules: &RuleSet,
    certifications: &[&str],
) -> Result<Manifest, Vec<ConfigError>> {
    let mut reader = Reader {
        file,
        rules,
        certifications,
        errors: Vec::new(),
    };
    let root = match DeTable::parse(&file.text) {
        Ok(root) => root,
        Err(error) => {
            let offset = error.span().map(|s| s.start).unwrap_or(0);
            let message = error.message().trim().to_string();
            reader.error_at(offset, message);
            return Err(reader.errors);
        }
    };
    let manifest = reader.manifest(root.get_ref());
    if reader.errors.is_empty() {
        Ok(manifest)
    } else {
        reader.errors.sort_by_key(|e| (e.line, e.column));
        reader.errors.dedup();
        Err(reader.errors)
    }
}

struct Reader<'a> {
    file: &'a SourceFile,
    rules: &'a RuleSet,
    /// The certification ids a node may name (`certifications = [...]`).
    certifications: &'a [&'a str],
    errors: Vec<ConfigError>,
}

impl<'a> Reader<'a> {
    fn error_at(&mut self, offset: usize, message: impl Into<String>) {
        let position = self
            .file
            .line_column(u32::try_from(offset).unwrap_or(u32::MAX));
        self.errors.push(ConfigError {
            file: self.file.path.to_string(),
            line: position.line,
            column: position.column,
            message: message.into(),
        });
    }

    fn error<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        self.error_at(spanned.span().start, message);
    }

    fn span<T>(&self, spanned: &Spanned<T>) -> Span {
        self.file.span(spanned.span())
    }

    /// Checks that every key of `table` is in `allowed`; reports the others at their span.
    fn known_keys(&mut self, table: &DeTable<'_>, context: &str, allowed: &[&str]) {
        for (key, _) in table.iter() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                let list = allowed
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(
                    key,
                    format!(
                        "unknown key `{}` in {context}; expected one of {list}",
                        key.get_ref()
                    ),
                );
            }
        }
    }

    fn string(&mut self, value: &Spanned<DeValue<'_>>, key: &str) -> Option<Spanned<String>> {
        match value.get_ref() {
            DeValue::String(text) => Some(Spanned::new(value.span(), text.to_string())),
            other => {
                self.error(
                    value,
                    format!("`{key}` must be a string, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn boolean(&mut self, value: &Spanned<DeValue<'_>>, key: &str) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(*flag),
            other => {
                self.error(
                    value,
                    format!("`{key}` must be true or false, found {}", type_name(other)),
                );
                None
            }
        }
    }

    /// A list of strings; a single string is accepted as a one-element list.
    fn strings(&mut self, value: &Spanned<DeValue<'_>>, key: &str) -> Vec<Spanned<String>> {
        match value.get_ref() {
            DeValue::String(text) => vec![Spanned::new(value.span(), text.to_string())],
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| self.string(item, key))
                .collect(),
            other => {
                self.error(
                    value,
                    format!(
                        "`{key}` must be a list of strings, found {}",
                        type_name(other)
                    ),
                );
                Vec::new()
            }
        }
    }

    fn date(&mut self, value: &Spanned<DeValue<'_>>, key: &str) -> Option<Date> {
        match value.get_ref() {
            DeValue::Datetime(datetime) => match Date::from_toml(datetime) {
                Some(date) => Some(date),
                None => {
                    self.error(
                        value,
                        format!("`{key}` must be a date (YYYY-MM-DD) without a time"),
                    );
                    None
                }
            },
            DeValue::String(text) => match Date::parse(text) {
                Ok(date) => Some(date),
                Err(error) => {
                    self.error(value, format!("`{key}`: {error}"));
                    None
                }
            },
            other => {
                self.error(
                    value,
                    format!(
                        "`{key}` must be a date (YYYY-MM-DD), found {}",
                        type_name(other)
                    ),
                );
                None
            }
        }
    }

    fn table<'i>(&mut self, value: &'i Spanned<DeValue<'i>>, key: &str) -> Option<&'i DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            other => {
                self.error(
                    value,
                    format!("`{key}` must be a table, found {}", type_name(other)),
                );
                None
            }
        }
    }

    /// `[[node]]`-style arrays of tables.
    fn tables<'i>(
        &mut self,
        value: &'i Spanned<DeValue<'i>>,
        key: &str,
    ) -> Vec<(&'i DeTable<'i>, std::ops::Range<usize>)> {
        match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| match item.get_ref() {
                    DeValue::Table(table) => Some((table, item.span())),
                    other => {
                        self.error(
                            item,
                            format!("`{key}` entries must be tables, found {}", type_name(other)),
                        );
                        None
                    }
                })
                .collect(),
            other => {
                self.error(
                    value,
                    format!(
                        "`{key}` must be an array of tables (`[[{key}]]`), found {}",
                        type_name(other)
                    ),
                );
                Vec::new()
            }
        }
    }

    /// Checks the keys of `table` against its key list; reports unknown ones with the list.
    fn known_keys_of<T>(&mut self, table: &DeTable<'_>, context: &str, keys: &[KeyReader<T>]) {
        let names: Vec<&str> = keys.iter().map(|(name, _)| *name).collect();
        self.known_keys(table, context, &names);
    }

    /// Reads each known key of `table` into `target` with its reader, in the order written.
    fn read_keys<T>(&mut self, table: &DeTable<'_>, keys: &[KeyReader<T>], target: &mut T) {
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            if let Some((_, read)) = keys.iter().find(|(known, _)| *known == name) {
                read(self, value, target);
            }
        }
    }

    /// A table whose keys are all read by its list: unknown keys first, then every key.
    fn read_table<T>(
        &mut self,
        table: &DeTable<'_>,
        context: &str,
        keys: &[KeyReader<T>],
        target: &mut T,
    ) {
        self.known_keys_of(table, context, keys);
        self.read_keys(table, keys, target);
    }

    fn written(&self, text: Spanned<String>) -> Written<String> {
        Written {
            span: self.span(&text),
            value: text.into_inner(),
        }
    }

    fn report(&mut self, error: SafeguardError) {
        self.error_at(error.span.start as usize, error.message);
    }

    fn manifest(&mut self, root: &DeTable<'_>) -> Manifest {
        let mut target = RootTarget {
            manifest: Manifest {
                file_span: Some(self.file.span(0..self.file.text.len().min(1))),
                ..Manifest::default()
            },
            included: Vec::new(),
        };
        self.read_table(root, "borderline.toml", ROOT_KEYS, &mut target);
        let RootTarget {
            mut manifest,
            mut included,
        } = target;
        self.duplicate_node_ids(&manifest.facts.nodes);
        included.sort();
        manifest.policy.include = included;
        manifest
    }

    fn duplicate_node_ids(&mut self, nodes: &[NodeFact]) {
        let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
        let mut duplicates = Vec::new();
        for node in nodes {
            if seen.insert(node.id.as_str(), ()).is_some() {
                duplicates.push((node.span, node.id.clone()));
            }
        }
        for (span, id) in duplicates {
            let offset = span.map(|s| s.start as usize).unwrap_or(0);
            self.error_at(
                offset,
                format!("node `{id}` is declared twice; each `[[node]]` id must be unique"),
            );
        }
    }

    fn policy(&mut self, table: &DeTable<'_>) -> Policy {
        let mut policy = Policy::default();
        // Where each key is written, for related locations in findings; the names are the
        // `'static` ones of the key list.
        for (key, value) in table.iter() {
            if let Some((name, _)) = POLICY_READERS
                .iter()
                .find(|(n, _)| *n == key.get_ref().as_ref())
            {
                policy
                    .spans
                    .insert(name, self.file.span(key.span().start..value.span().end));
            }
        }
        self.read_table(table, "[policy]", POLICY_READERS, &mut policy);
        policy
    }

    /// A value of a severity-like policy key: one of the severities, or `off_word` for `None`.
    fn optional_severity(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        key: &str,
        off_word: &str,
    ) -> Option<Option<Severity>> {
        let text = self.string(value, key)?;
        if text.get_ref() == off_word {
            return Some(None);
        }
        match Severity::parse(text.get_ref()) {
            Some(severity) => Some(Some(severity)),
            None => {
                self.error(&text, format!("`{key}` = `{}` is not allowed; expected `error`, `warning`, `note` or `{off_word}`", text.get_ref()));
                None
            }
        }
    }

    fn mechanism(&mut self, text: &Spanned<String>) -> Option<MechanismKind> {
        let kind = MechanismKind::parse(text.get_ref());
        if kind.is_none() {
            let written = self.written(text.clone());
            self.report(safeguard::unknown_mechanism(&written));
        }
        kind
    }

    /// Validates an ISO country code (or an international organisation id) against rule data.
    fn country(&mut self, code: &Spanned<String>, key: &str) -> Option<String> {
        match self.rules.jurisdiction(code.get_ref()) {
            Some(jurisdiction) => Some(jurisdiction.code.clone()),
            None => {
                self.error(code, format!("`{key}`: `{}` is not an ISO 3166-1 alpha-2 country code known to the rule data", code.get_ref()));
                None
            }
        }
    }

    fn location(&mut self, value: &Spanned<DeValue<'_>>) -> Option<LocatedAt> {
        let text = self.string(value, "location")?;
        let location = Location::parse(text.get_ref());
        match &location {
            Location::Country(code) => {
                self.country(&Spanned::new(text.span(), code.clone()), "location")?;
            }
            Location::Region { provider, region } => {
                if self.rules.provider(provider).is_none() {
                    let known = self
                        .rules
                        .providers()
                        .map(|p| format!("`{}`", p.id))
                        .collect::<Vec<_>>()
                        .join(", ");
                    self.error(&text, format!("`location`: `{provider}` is not a cloud provider in the rule data; expected one of {known}"));
                    return None;
                }
                // An unknown region of a known provider is not fatal: it resolves to `unknown`
                // and the `unknown-location` check reports it where it matters.
                let _ = region;
            }
            Location::Bloc(_) | Location::Unknown => {}
        }
        Some(LocatedAt {
            location: location.clone(),
            span: Some(self.span(&text)),
            unresolved_reason: None,
        })
    }

    fn data(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<DataRef> {
        self.strings(value, "data")
            .into_iter()
            .map(|item| DataRef {
                span: Some(self.span(&item)),
                key: item.into_inner(),
            })
            .collect()
    }

    /// Certifications named in rule data; the allowed ids come from the caller.
    fn certifications(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<String> {
        let mut known = Vec::new();
        for text in self.strings(value, "certifications") {
            if self.certifications.contains(&text.get_ref().as_str()) {
                known.push(text.into_inner());
            } else {
                let expected = either_of(self.certifications);
                self.error(
                    &text,
                    format!(
                        "`certifications`: `{}` is not known; expected {expected}",
                        text.get_ref()
                    ),
                );
            }
        }
        known
    }

    fn node(&mut self, table: &DeTable<'_>, range: std::ops::Range<usize>) -> Option<NodeFact> {
        self.known_keys_of(table, "[[node]]", NODE_READERS);
        let Some(id_value) = table.get("id") else {
            self.error_at(range.start, "`[[node]]` needs an `id`");
            return None;
        };
        let id = self.string(id_value, "id")?;
        if id.get_ref().trim().is_empty() {
            self.error(&id, "`id` must not be empty");
        }
        let mut node = NodeFact::new(id.get_ref().clone(), Origin::Manifest);
        node.span = Some(self.span(&id));
        self.read_keys(table, NODE_READERS, &mut node);
        // No `kind`: the node may describe a store found in infrastructure; the model decides.
        Some(node)
    }

    fn node_ref(&mut self, value: &Spanned<DeValue<'_>>, key: &str) -> Option<NodeRef> {
        let text = self.string(value, key)?;
        Some(NodeRef {
            span: Some(self.span(&text)),
            id: text.into_inner(),
        })
    }

    fn flow(&mut self, table: &DeTable<'_>, range: std::ops::Range<usize>) -> Option<FlowFact> {
        self.known_keys_of(table, "[[flow]]", FLOW_READERS);
        let from = match table.get("from") {
            Some(value) => Some(self.node_ref(value, "from")?),
            None => {
                self.error_at(
                    range.start,
                    "`[[flow]]` needs `from` (the node the data leaves)",
                );
                return None;
            }
        };
        let to = match table.get("to") {
            Some(value) => self.node_ref(value, "to")?,
            None => {
                self.error_at(
                    range.start,
                    "`[[flow]]` needs `to` (the node that receives the data)",
                );
                return None;
            }
        };
        // The flow's own span is its `from = ...` value: the line a reader looks at first.
        let span = table.get("from").map(|value| self.file.span(value.span()));
        let mut flow = FlowFact {
            from,
            span,
            to: FlowTarget::Node(to),
            data: Vec::new(),
            purpose: None,
            safeguard: None,
            origin: Origin::Manifest,
            inferred: false,
            scope: None,
            variants: Vec::new(),
        };
        self.read_keys(table, FLOW_READERS, &mut flow);
        Some(flow)
    }

    /// An inline safeguard table: the mechanism first (nothing else is read without a usable
    /// one), then every other key, judged by the one safeguard validator the annotations share.
    fn safeguard(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Safeguard> {
        let table = self.table(value, "safeguard")?;
        self.known_keys_of(table, "safeguard", SAFEGUARD_READERS);
        let whole = self.span(value);
        let mechanism = match table.get("mechanism") {
            None => Field::Absent,
            Some(item) => match self.string(item, "mechanism") {
                Some(text) => Field::Written(self.written(text)),
                None => Field::Unreadable,
            },
        };
        let kind = match safeguard::mechanism(&mechanism, "mechanism", whole) {
            Ok(kind) => kind,
            Err(error) => {
                if let Some(error) = error {
                    self.report(error);
                }
                return None;
            }
        };
        let mut input = SafeguardInput::new(whole, whole);
        self.read_keys(table, SAFEGUARD_READERS, &mut input);
        let (safeguard, errors) = safeguard::validate(kind, input, self.rules);
        for error in errors {
            self.report(error);
        }
        Some(safeguard)
    }

    /// A safeguard date: a TOML date is read here, text is parsed by the safeguard validator.
    fn written_date(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        key: &str,
    ) -> Option<Written<WrittenDate>> {
        let span = self.span(value);
        let date = match value.get_ref() {
            DeValue::String(text) => WrittenDate::Text(text.to_string()),
            _ => WrittenDate::Parsed(self.date(value, key)?),
        };
        Some(Written { value: date, span })
    }

    fn waiver(&mut self, table: &DeTable<'_>, range: std::ops::Range<usize>) -> Option<Waiver> {
        self.known_keys(table, "[[waiver]]", WAIVER_KEYS);
        let mut complete = true;
        let rule = match table.get("rule").and_then(|v| self.string(v, "rule")) {
            Some(rule) if Rule::from_name(rule.get_ref()).is_ok_and(Rule::waivable) => {
                Some(rule.into_inner())
            }
            Some(rule) => {
                let allowed = Rule::waivable_names()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(
                    &rule,
                    format!(
                        "`rule` = `{}` is not a rule borderline checks; expected one of {allowed}",
                        rule.get_ref()
                    ),
                );
                None
            }
            None => {
                self.error_at(range.start, "`[[waiver]]` needs `rule`");
                None
            }
        };
        let reason = table.get("reason").and_then(|v| self.string(v, "reason"));
        match &reason {
            Some(text) if text.get_ref().trim().is_empty() => {
                self.error(
                    text,
                    "a waiver's `reason` must say why the finding is accepted",
                );
                complete = false;
            }
            Some(_) => {}
            None => {
                self.error_at(
                    range.start,
                    "`[[waiver]]` needs `reason`: why the finding is accepted, e.g. a ticket",
                );
                complete = false;
            }
        }
        let expires = match table.get("expires") {
            Some(value) => self.date(value, "expires"),
            None => {
                self.error_at(
                    range.start,
                    "`[[waiver]]` needs `expires` (YYYY-MM-DD): waivers do not last forever",
                );
                None
            }
        };
        let from = table.get("from").and_then(|v| self.node_ref(v, "from"));
        let to = table.get("to").and_then(|v| self.node_ref(v, "to"));
        let (rule, expires) = (rule?, expires?);
        if !complete {
            return None;
        }
        Some(Waiver {
            rule,
            from,
            to,
            reason: reason.map(Spanned::into_inner).unwrap_or_default(),
            expires,
            span: Some(self.file.span(range)),
            covers: None,
        })
    }
}

/// One key of a manifest table and the function that reads its value into the table's target.
/// Each table has one list of these: the unknown-key error lists its names, and a key is read by
/// its entry, so a key is named in one place. Keys read before the others (a node's `id`, a
/// flow's `from` and `to`, a safeguard's `mechanism`) have an empty reader: the table's own
/// function reads them first, because the rest depends on them.
type KeyReader<T> = (
    &'static str,
    fn(&mut Reader<'_>, &Spanned<DeValue<'_>>, &mut T),
);

/// What the top level of the manifest fills: the manifest, and the environment classes of
/// `[scan] include`, kept in the policy once every table is read (`[policy]` replaces the whole
/// policy when it is read).
struct RootTarget {
    manifest: Manifest,
    included: Vec<Environment>,
}

const ROOT_KEYS: &[KeyReader<RootTarget>] = &[
    ("project", |r, value, target| {
        if let Some(table) = r.table(value, "project") {
            r.read_table(table, "[project]", PROJECT_KEYS, &mut target.manifest);
        }
    }),
    ("policy", |r, value, target| {
        if let Some(table) = r.table(value, "policy") {
            target.manifest.policy = r.policy(table);
        }
    }),
    ("scan", |r, value, target| {
        if let Some(table) = r.table(value, "scan") {
            r.read_table(table, "[scan]", SCAN_KEYS, target);
        }
    }),
    ("node", |r, value, target| {
        for (table, range) in r.tables(value, "node") {
            if let Some(node) = r.node(table, range) {
                target.manifest.facts.nodes.push(node);
            }
        }
    }),
    ("flow", |r, value, target| {
        for (table, range) in r.tables(value, "flow") {
            if let Some(flow) = r.flow(table, range) {
                target.manifest.facts.flows.push(flow);
            }
        }
    }),
    ("waiver", |r, value, target| {
        for (table, range) in r.tables(value, "waiver") {
            if let Some(waiver) = r.waiver(table, range) {
                target.manifest.waivers.push(waiver);
            }
        }
    }),
];

const PROJECT_KEYS: &[KeyReader<Manifest>] = &[
    ("name", |r, value, manifest| {
        manifest.project_name = r.string(value, "name").map(Spanned::into_inner);
    }),
    ("home", |r, value, _| {
        if let Some(home) = r.string(value, "home")
            && !matches!(home.get_ref().to_ascii_uppercase().as_str(), "EEA" | "EU")
        {
            r.error(
                &home,
                format!("`home` = `{}` is not supported: borderline checks GDPR Chapter V, whose data subjects are in the EEA; expected `EEA` or `EU`", home.get_ref()),
            );
        }
    }),
];

const SCAN_KEYS: &[KeyReader<RootTarget>] = &[
    ("exclude", |r, value, target| {
        for glob in r.strings(value, "exclude") {
            if let Err(error) = globset::Glob::new(glob.get_ref()) {
                r.error(&glob, format!("`exclude`: not a valid glob: {error}"));
            } else {
                target.manifest.exclude.push(glob.into_inner());
            }
        }
    }),
    ("include", |r, value, target| {
        for class in r.strings(value, "include") {
            match Environment::from_include_key(class.get_ref()) {
                Some(environment) => {
                    if !target.included.contains(&environment) {
                        target.included.push(environment);
                    }
                }
                None => r.error(
                    &class,
                    format!(
                        "`include`: unknown environment class `{}`; expected `tests` or `dev`",
                        class.get_ref()
                    ),
                ),
            }
        }
    }),
    // Whether each name is a variant of the repository is known only after extraction: the
    // scan checks them against the variants found.
    ("variants", |r, value, target| {
        for name in r.strings(value, "variants") {
            if name.get_ref().trim().is_empty() {
                r.error(&name, "`variants`: a variant name cannot be empty");
            } else if !target
                .manifest
                .variants
                .iter()
                .any(|(n, _)| n == name.get_ref())
            {
                let span = r.span(&name);
                target.manifest.variants.push((name.into_inner(), span));
            }
        }
    }),
    ("terraform", |r, value, target| {
        for (table, range) in r.tables(value, "scan.terraform") {
            let mut entry = TerraformRoot::default();
            r.read_table(table, "[[scan.terraform]]", TERRAFORM_KEYS, &mut entry);
            if entry.root.is_none() {
                r.error_at(
                    range.start,
                    "`[[scan.terraform]]` needs `root`, the directory of the Terraform root module",
                );
            } else {
                target.manifest.terraform.push(entry);
            }
        }
    }),
];

const TERRAFORM_KEYS: &[KeyReader<TerraformRoot>] = &[
    ("root", |r, value, entry| {
        entry.root = r.string(value, "root").map(|root| r.written(root));
    }),
    ("var_files", |r, value, entry| {
        entry.var_files = r
            .strings(value, "var_files")
            .into_iter()
            .map(|file| r.written(file))
            .collect();
    }),
];

/// The `[policy]` keys, in the order of [`POLICY_KEYS`] (a test holds the two together).
const POLICY_READERS: &[KeyReader<Policy>] = &[
    ("approved_mechanisms", |r, value, policy| {
        policy.approved_mechanisms = r
            .strings(value, "approved_mechanisms")
            .iter()
            .filter_map(|item| r.mechanism(item))
            .collect();
    }),
    ("require_tia", |r, value, policy| {
        if let Some(flag) = r.boolean(value, "require_tia") {
            policy.require_tia = flag;
        }
    }),
    ("special_categories", |r, value, policy| {
        if let Some(text) = r.string(value, "special_categories") {
            match text.get_ref().as_str() {
                "deny" => policy.special_categories = SpecialCategoryPolicy::Deny,
                "safeguard" => policy.special_categories = SpecialCategoryPolicy::Safeguard,
                other => r.error(&text, format!("`special_categories` = `{other}` is not allowed; expected `deny` or `safeguard`")),
            }
        }
    }),
    ("unknown_location", |r, value, policy| {
        if let Some(level) = r.optional_severity(value, "unknown_location", "off") {
            policy.unknown_location = level;
        }
    }),
    ("distrust_adequacy", |r, value, policy| {
        for code in r.strings(value, "distrust_adequacy") {
            if let Some(country) = r.country(&code, "distrust_adequacy") {
                policy.distrust_adequacy.push(country);
            }
        }
    }),
    ("fail_on", |r, value, policy| {
        if let Some(level) = r.optional_severity(value, "fail_on", "never") {
            policy.fail_on = level;
        }
    }),
    ("inferred_findings", |r, value, policy| {
        if let Some(text) = r.string(value, "inferred_findings") {
            match Severity::parse(text.get_ref()) {
                Some(severity) => policy.inferred_findings = severity,
                None => r.error(&text, format!("`inferred_findings` = `{}` is not allowed; expected `error`, `warning` or `note`", text.get_ref())),
            }
        }
    }),
];

const NODE_READERS: &[KeyReader<NodeFact>] = &[
    ("id", |_, _, _| {}),
    ("kind", |r, value, node| {
        if let Some(text) = r.string(value, "kind") {
            match NodeKind::parse(text.get_ref()) {
                Some(kind) => node.kind = Some(kind),
                None => r.error(&text, format!("`kind` = `{}` is not allowed; expected `service`, `store`, `vendor` or `client`", text.get_ref())),
            }
        }
    }),
    ("location", |r, value, node| {
        node.location = r.location(value)
    }),
    ("paths", |r, value, node| {
        node.paths = r
            .strings(value, "paths")
            .into_iter()
            .map(Spanned::into_inner)
            .collect();
    }),
    ("data", |r, value, node| node.data = r.data(value)),
    ("domains", |r, value, node| {
        node.domains = r
            .strings(value, "domains")
            .into_iter()
            .map(|d| d.into_inner().to_ascii_lowercase())
            .collect();
    }),
    ("certifications", |r, value, node| {
        let known = r.certifications(value);
        node.certifications.extend(known);
    }),
    ("personal_data", |r, value, node| {
        node.personal_data = r.boolean(value, "personal_data");
    }),
    ("safeguard", |r, value, node| {
        node.safeguard = r.safeguard(value)
    }),
    ("label", |r, value, node| {
        node.label = r.string(value, "label").map(Spanned::into_inner);
    }),
    ("provider", |r, value, node| {
        if let Some(text) = r.string(value, "provider") {
            match r.rules.provider(text.get_ref()) {
                Some(provider) => node.provider = Some(provider.id.clone()),
                None => r.error(
                    &text,
                    format!(
                        "`provider`: `{}` is not a hosting provider in the rule data",
                        text.get_ref()
                    ),
                ),
            }
        }
    }),
];

const FLOW_READERS: &[KeyReader<FlowFact>] = &[
    ("from", |_, _, _| {}),
    ("to", |_, _, _| {}),
    ("data", |r, value, flow| flow.data = r.data(value)),
    ("purpose", |r, value, flow| {
        flow.purpose = r.string(value, "purpose").map(Spanned::into_inner);
    }),
    ("safeguard", |r, value, flow| {
        flow.safeguard = r.safeguard(value)
    }),
];

/// A safeguard's keys, read into the neutral input of [`crate::safeguard::validate`].
const SAFEGUARD_READERS: &[KeyReader<SafeguardInput>] = &[
    ("mechanism", |_, _, _| {}),
    ("version", |r, value, input| {
        input.version = r.string(value, "version").map(|text| r.written(text));
    }),
    ("module", |r, value, input| match value.get_ref() {
        DeValue::Integer(number) => {
            input.module = Some(Written {
                value: number.as_str().to_string(),
                span: r.span(value),
            });
        }
        other => r.error(
            value,
            format!(
                "`module` must be an integer 1-4, found {}",
                type_name(other)
            ),
        ),
    }),
    ("reference", |r, value, input| {
        input.reference = r.string(value, "reference").map(Spanned::into_inner);
    }),
    ("signed", |r, value, input| {
        input.signed = r.written_date(value, "signed");
    }),
    ("expires", |r, value, input| {
        input.expires = r.written_date(value, "expires");
    }),
    ("tia", |r, value, input| {
        input.tia = r.string(value, "tia").map(Spanned::into_inner);
    }),
    ("derogation", |r, value, input| {
        input.derogation = match r.string(value, "derogation") {
            Some(text) => Field::Written(r.written(text)),
            None => Field::Unreadable,
        };
    }),
];

/// The `[[waiver]]` keys. A waiver's keys are read in its own function, which checks what a
/// waiver must have; its rule list is `WAIVABLE_RULES`.
const WAIVER_KEYS: &[&str] = &["rule", "from", "to", "reason", "expires"];

/// Every table of the manifest (by its path; `""` is the top level) and the keys it may hold, as
/// the reader reads them: what the JSON Schema of `manifest_schema` must allow, no more, no less.
pub fn manifest_keys() -> Vec<(&'static str, Vec<&'static str>)> {
    fn keys<T>(readers: &[KeyReader<T>]) -> Vec<&'static str> {
        readers.iter().map(|(key, _)| *key).collect()
    }
    vec![
        ("", keys(ROOT_KEYS)),
        ("project", keys(PROJECT_KEYS)),
        ("policy", keys(POLICY_READERS)),
        ("scan", keys(SCAN_KEYS)),
        ("scan.terraform", keys(TERRAFORM_KEYS)),
        ("node", keys(NODE_READERS)),
        ("flow", keys(FLOW_READERS)),
        ("safeguard", keys(SAFEGUARD_READERS)),
        ("waiver", WAIVER_KEYS.to_vec()),
    ]
}

/// "`a` or `b`", "`a`, `b` or `c`": the allowed values of a key, for a message.
fn either_of(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::POLICY_KEYS;
    use crate::source::FileId;
    use std::sync::{Arc, OnceLock};

    fn rules() -> &'static RuleSet {
        static RULES: OnceLock<RuleSet> = OnceLock::new();
        RULES.get_or_init(|| RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}")))
    }

    fn file(text: &str) -> SourceFile {
        SourceFile::new(FileId(0), "borderline.toml".into(), Arc::from(text))
    }

    fn read(text: &str) -> Manifest {
        parse_manifest(&file(text), rules()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// Every error as `line:column: message`.
    fn errors(text: &str) -> Vec<String> {
        match parse_manifest(&file(text), rules()) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(errors) => errors
                .iter()
                .map(|e| format!("{}:{}: {}", e.line, e.column, e.message))
                .collect(),
        }
    }

    const EVERY_KEY: &str = r#"
[project]
name = "shop"
home = "EU"

[policy]
approved_mechanisms = ["scc", "derogation"]
require_tia = false
special_categories = "safeguard"
unknown_location = "off"
distrust_adequacy = ["JP"]
fail_on = "warning"
inferred_findings = "note"

[scan]
exclude = ["vendor/**"]
include = ["dev", "tests", "dev"]

[[scan.terraform]]
root = "infra"
var_files = ["infra/envs/prod.tfvars"]

[[node]]
id = "crm"
kind = "vendor"
label = "The CRM"
location = "US"
provider = "aws"
paths = ["crm"]
data = ["user.contact.email"]
domains = ["API.crm.example"]
certifications = ["dpf"]
personal_data = true
safeguard = { mechanism = "scc", version = "2021/914", module = 2, reference = "DPA-7", signed = 2025-01-02, expires = "2030-01-01", tia = "docs/tia.md" }

[[flow]]
from = "api"
to = "crm"
data = ["user.name"]
purpose = "support"
safeguard = { mechanism = "derogation", derogation = "explicit-consent" }

[[waiver]]
rule = "missing-tia"
from = "api"
to = "crm"
reason = "TICKET-1"
expires = 2030-01-01
"#;

    #[test]
    fn every_key_of_every_table_is_read() {
        let manifest = read(EVERY_KEY);
        assert_eq!(manifest.project_name.as_deref(), Some("shop"));
        let policy = &manifest.policy;
        assert_eq!(
            policy.approved_mechanisms,
            vec![MechanismKind::Scc, MechanismKind::Derogation]
        );
        assert!(!policy.require_tia);
        assert_eq!(policy.special_categories, SpecialCategoryPolicy::Safeguard);
        assert_eq!(policy.unknown_location, None);
        assert_eq!(policy.distrust_adequacy, vec!["JP".to_string()]);
        assert_eq!(policy.fail_on, Some(Severity::Warning));
        assert_eq!(policy.inferred_findings, Severity::Note);
        assert_eq!(policy.spans.len(), POLICY_KEYS.len());
        assert_eq!(manifest.exclude, vec!["vendor/**".to_string()]);
        let terraform = &manifest.terraform[0];
        assert_eq!(
            terraform.root.as_ref().map(|root| root.value.as_str()),
            Some("infra")
        );
        assert_eq!(terraform.var_files[0].value, "infra/envs/prod.tfvars");
        // Each class once, in a fixed order, whatever the order written.
        let mut classes = vec![Environment::Dev, Environment::Test];
        classes.sort();
        assert_eq!(policy.include, classes);
        let node = &manifest.facts.nodes[0];
        assert_eq!(node.id, "crm");
        assert_eq!(node.kind, Some(NodeKind::Vendor));
        assert_eq!(node.label.as_deref(), Some("The CRM"));
        assert_eq!(
            node.location.as_ref().map(|l| &l.location),
            Some(&Location::Country("US".into()))
        );
        assert_eq!(node.provider.as_deref(), Some("aws"));
        assert_eq!(node.paths, vec!["crm".to_string()]);
        assert_eq!(node.data[0].key, "user.contact.email");
        assert_eq!(node.domains, vec!["api.crm.example".to_string()]);
        assert_eq!(node.certifications, vec!["dpf".to_string()]);
        assert_eq!(node.personal_data, Some(true));
        let safeguard = node
            .safeguard
            .as_ref()
            .unwrap_or_else(|| panic!("no safeguard"));
        assert_eq!(safeguard.mechanism, MechanismKind::Scc);
        assert_eq!(safeguard.version.as_deref(), Some("2021/914"));
        assert_eq!(safeguard.module, Some(2));
        assert_eq!(safeguard.reference.as_deref(), Some("DPA-7"));
        assert_eq!(
            safeguard.signed.map(|d| d.to_string()).as_deref(),
            Some("2025-01-02")
        );
        assert_eq!(
            safeguard.expires.map(|d| d.to_string()).as_deref(),
            Some("2030-01-01")
        );
        assert_eq!(safeguard.tia.as_deref(), Some("docs/tia.md"));
        let flow = &manifest.facts.flows[0];
        assert_eq!(flow.from.as_ref().map(|f| f.id.as_str()), Some("api"));
        assert_eq!(flow.data[0].key, "user.name");
        assert_eq!(flow.purpose.as_deref(), Some("support"));
        let derogation = flow
            .safeguard
            .as_ref()
            .and_then(|s| s.derogation.as_deref());
        assert_eq!(derogation, Some("explicit-consent"));
        let waiver = &manifest.waivers[0];
        assert_eq!(
            (
                waiver.rule.as_str(),
                waiver.reason.as_str(),
                waiver.expires.to_string()
            ),
            ("missing-tia", "TICKET-1", "2030-01-01".to_string())
        );
    }

    #[test]
    fn the_policy_key_list_is_the_policy_reader_list() {
        let readers: Vec<&str> = POLICY_READERS.iter().map(|(name, _)| *name).collect();
        assert_eq!(readers, POLICY_KEYS);
    }

    #[test]
    fn an_unknown_key_is_reported_with_the_keys_of_its_table() {
        assert_eq!(
            errors("[project]\nnmae = \"shop\"\n"),
            vec!["2:1: unknown key `nmae` in [project]; expected one of `name`, `home`"]
        );
        // Every table lists exactly the keys its readers read.
        let tables: [(&str, &str, Vec<&str>); 7] = [
            (
                "",
                "borderline.toml",
                ROOT_KEYS.iter().map(|k| k.0).collect(),
            ),
            (
                "[policy]\n",
                "[policy]",
                POLICY_READERS.iter().map(|k| k.0).collect(),
            ),
            (
                "[scan]\n",
                "[scan]",
                SCAN_KEYS.iter().map(|k| k.0).collect(),
            ),
            (
                "[[node]]\nid = \"a\"\n",
                "[[node]]",
                NODE_READERS.iter().map(|k| k.0).collect(),
            ),
            (
                "[[flow]]\nfrom = \"a\"\nto = \"b\"\n",
                "[[flow]]",
                FLOW_READERS.iter().map(|k| k.0).collect(),
            ),
            (
                "[[flow]]\nfrom = \"a\"\nto = \"b\"\n[flow.safeguard]\nmechanism = \"scc\"\n",
                "safeguard",
                SAFEGUARD_READERS.iter().map(|k| k.0).collect(),
            ),
            (
                "[[waiver]]\nrule = \"missing-tia\"\nreason = \"r\"\nexpires = 2030-01-01\n",
                "[[waiver]]",
                WAIVER_KEYS.to_vec(),
            ),
        ];
        for (prefix, context, keys) in tables {
            let list = keys
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let found = errors(&format!("{prefix}bogus = 1\n"));
            let wanted = format!("unknown key `bogus` in {context}; expected one of {list}");
            assert!(
                found.iter().any(|e| e.ends_with(&wanted)),
                "{context}: {found:?}"
            );
        }
    }

    #[test]
    fn a_wrong_type_names_the_key_and_what_was_found() {
        assert_eq!(
            errors("[policy]\nrequire_tia = \"yes\"\nfail_on = 3\n"),
            vec![
                "2:15: `require_tia` must be true or false, found a string",
                "3:11: `fail_on` must be a string, found an integer",
            ]
        );
        assert_eq!(
            errors("[[node]]\nid = \"a\"\nsafeguard = { mechanism = \"scc\", module = \"two\" }\n"),
            vec!["3:43: `module` must be an integer 1-4, found a string"]
        );
    }

    #[test]
    fn a_duplicate_is_reported_where_it_is_written_again() {
        assert_eq!(
            errors("[[node]]\nid = \"a\"\n\n[[node]]\nid = \"a\"\n"),
            vec!["5:6: node `a` is declared twice; each `[[node]]` id must be unique"]
        );
        // A key written twice in one table is a TOML error, at the second one.
        let found = errors("[project]\nname = \"a\"\nname = \"b\"\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("3:1: "), "{found:?}");
    }

    #[test]
    fn certifications_are_checked_against_the_list_passed_in() {
        let text = "[[node]]\nid = \"a\"\ncertifications = [\"dpf\", \"iso\"]\n";
        let found: Vec<String> = match read_manifest(&file(text), rules(), &["dpf", "bcr"]) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.message).collect(),
        };
        assert_eq!(
            found,
            vec!["`certifications`: `iso` is not known; expected `dpf` or `bcr`"]
        );
        let Ok(manifest) = read_manifest(&file(text), rules(), &["dpf", "iso", "bcr"]) else {
            panic!("`iso` is in the list passed in");
        };
        assert_eq!(manifest.facts.nodes[0].certifications, vec!["dpf", "iso"]);
        assert_eq!(either_of(&["a"]), "`a`");
        assert_eq!(either_of(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
