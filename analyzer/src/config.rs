//! `borderline.toml`, parsed in two steps: a spanned TOML tree, then validation into the analyzer's
//! types, collecting every problem at its file:line:col instead of stopping at the first.

use crate::date::Date;
use crate::extract::environment::Environment;
use crate::model::facts::{
    DataRef, Facts, FlowFact, FlowTarget, LocatedAt, Location, MechanismKind, NodeFact, NodeKind,
    NodeRef, Origin, Safeguard, Severity,
};
use crate::rule::Rule;
use crate::rules::RuleSet;
use crate::source::{SourceFile, Span};
use std::collections::BTreeMap;
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

/// What Art. 9/10 data may do outside the EEA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpecialCategoryPolicy {
    /// Never leaves the EEA (default).
    Deny,
    /// Leaves only with a safeguard, like other personal data.
    Safeguard,
}

/// The `[policy]` table with defaults applied.
#[derive(Clone, Debug)]
pub struct Policy {
    pub approved_mechanisms: Vec<MechanismKind>,
    pub require_tia: bool,
    pub special_categories: SpecialCategoryPolicy,
    /// `None` turns the `unknown-location` check off.
    pub unknown_location: Option<Severity>,
    pub distrust_adequacy: Vec<String>,
    pub fail_on: Option<Severity>,
    /// The highest severity a finding may have when it rests on an inferred fact (a URL literal,
    /// a field name): guesses never fail the gate on their own unless the policy says so.
    pub inferred_findings: Severity,
    /// The environment classes `[scan] include` judges like production (`tests`, `dev`); findings
    /// whose evidence is only in another non-production class are notes. Not a `[policy]` key:
    /// it says what the scan covers, so `policy-changed` does not compare it.
    pub include: Vec<Environment>,
    /// Where each policy key was written, for related locations in findings.
    pub spans: BTreeMap<&'static str, Span>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            approved_mechanisms: MechanismKind::ALL.iter().map(|(_, kind)| *kind).collect(),
            require_tia: true,
            special_categories: SpecialCategoryPolicy::Deny,
            unknown_location: Some(Severity::Warning),
            distrust_adequacy: Vec::new(),
            fail_on: Some(Severity::Error),
            inferred_findings: Severity::Warning,
            include: Vec::new(),
            spans: BTreeMap::new(),
        }
    }
}

/// A waiver: a known finding suppressed, with a reason, until it expires.
#[derive(Clone, Debug)]
pub struct Waiver {
    pub rule: String,
    pub from: Option<NodeRef>,
    pub to: Option<NodeRef>,
    pub reason: String,
    pub expires: Date,
    /// Where the waiver is written: its `[[waiver]]` table, or its comment in a repository file.
    pub span: Option<Span>,
    /// `Some` for an inline waiver (`# borderline: waive RULE ...` in a repository file): the
    /// lines it covers, its own line and the line below its comment block. It waives only findings
    /// that point into them; `None` for a manifest waiver, matched by `from` and `to`.
    pub covers: Option<Span>,
}

impl Waiver {
    /// True for a waiver written in a comment of a repository file (SARIF `inSource`).
    pub fn in_source(&self) -> bool {
        self.covers.is_some()
    }

    /// "waiver of `RULE` from `A` to `B`", for messages about the waiver itself.
    pub fn describe(&self) -> String {
        format!(
            "{}waiver of `{}`{}{}",
            if self.in_source() { "inline " } else { "" },
            self.rule,
            self.from
                .as_ref()
                .map(|f| format!(" from `{}`", f.id))
                .unwrap_or_default(),
            self.to
                .as_ref()
                .map(|t| format!(" to `{}`", t.id))
                .unwrap_or_default()
        )
    }
}

/// The keys of `[policy]`, in the order they are reported when compared (`policy-changed`).
pub const POLICY_KEYS: &[&str] = &[
    "approved_mechanisms",
    "require_tia",
    "special_categories",
    "unknown_location",
    "distrust_adequacy",
    "fail_on",
    "inferred_findings",
];

/// The manifest, validated.
#[derive(Clone, Debug, Default)]
pub struct Manifest {
    pub project_name: Option<String>,
    pub policy: Policy,
    pub exclude: Vec<String>,
    pub facts: Facts,
    pub waivers: Vec<Waiver>,
    /// Span of the whole file, for findings about the manifest as a whole.
    pub file_span: Option<Span>,
}

/// Parses and validates a manifest. Errors are every problem found, in file order.
pub fn parse_manifest(file: &SourceFile, rules: &RuleSet) -> Result<Manifest, Vec<ConfigError>> {
    let mut reader = Reader {
        file,
        rules,
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
    errors: Vec<ConfigError>,
}

type Entry<'i> = (
    &'i Spanned<toml::de::DeString<'i>>,
    &'i Spanned<DeValue<'i>>,
);

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

    fn entries<'i>(table: &'i DeTable<'i>) -> Vec<Entry<'i>> {
        table.iter().collect()
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

    fn manifest(&mut self, root: &DeTable<'_>) -> Manifest {
        let mut manifest = Manifest {
            file_span: Some(self.file.span(0..self.file.text.len().min(1))),
            ..Manifest::default()
        };
        self.known_keys(
            root,
            "borderline.toml",
            &["project", "policy", "scan", "node", "flow", "waiver"],
        );
        // `[scan] include` is kept in the policy the checks read, set once every table is read
        // (`[policy]` replaces the whole policy when it is read).
        let mut included: Vec<Environment> = Vec::new();
        for (key, value) in Self::entries(root) {
            match key.get_ref().as_ref() {
                "project" => {
                    if let Some(table) = self.table(value, "project") {
                        self.project(table, &mut manifest);
                    }
                }
                "policy" => {
                    if let Some(table) = self.table(value, "policy") {
                        manifest.policy = self.policy(table);
                    }
                }
                "scan" => {
                    if let Some(table) = self.table(value, "scan") {
                        self.known_keys(table, "[scan]", &["exclude", "include"]);
                        if let Some(include) = table.get("include") {
                            for class in self.strings(include, "include") {
                                match Environment::from_include_key(class.get_ref()) {
                                    Some(environment) => {
                                        if !included.contains(&environment) {
                                            included.push(environment);
                                        }
                                    }
                                    None => self.error(
                                        &class,
                                        format!(
                                            "`include`: unknown environment class `{}`; expected `tests` or `dev`",
                                            class.get_ref()
                                        ),
                                    ),
                                }
                            }
                        }
                        if let Some(exclude) = table.get("exclude") {
                            for glob in self.strings(exclude, "exclude") {
                                if let Err(error) = globset::Glob::new(glob.get_ref()) {
                                    self.error(
                                        &glob,
                                        format!("`exclude`: not a valid glob: {error}"),
                                    );
                                } else {
                                    manifest.exclude.push(glob.into_inner());
                                }
                            }
                        }
                    }
                }
                "node" => {
                    for (table, range) in self.tables(value, "node") {
                        if let Some(node) = self.node(table, range) {
                            manifest.facts.nodes.push(node);
                        }
                    }
                }
                "flow" => {
                    for (table, range) in self.tables(value, "flow") {
                        if let Some(flow) = self.flow(table, range) {
                            manifest.facts.flows.push(flow);
                        }
                    }
                }
                "waiver" => {
                    for (table, range) in self.tables(value, "waiver") {
                        if let Some(waiver) = self.waiver(table, range) {
                            manifest.waivers.push(waiver);
                        }
                    }
                }
                _ => {}
            }
        }
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

    fn project(&mut self, table: &DeTable<'_>, manifest: &mut Manifest) {
        self.known_keys(table, "[project]", &["name", "home"]);
        if let Some(value) = table.get("name") {
            manifest.project_name = self.string(value, "name").map(Spanned::into_inner);
        }
        if let Some(value) = table.get("home")
            && let Some(home) = self.string(value, "home")
            && !matches!(home.get_ref().to_ascii_uppercase().as_str(), "EEA" | "EU")
        {
            self.error(
                &home,
                format!("`home` = `{}` is not supported: borderline checks GDPR Chapter V, whose data subjects are in the EEA; expected `EEA` or `EU`", home.get_ref()),
            );
        }
    }

    fn policy(&mut self, table: &DeTable<'_>) -> Policy {
        let mut policy = Policy::default();
        self.known_keys(table, "[policy]", POLICY_KEYS);
        for (key, value) in Self::entries(table) {
            let name = key.get_ref().as_ref();
            let static_name: &'static str = match name {
                "approved_mechanisms" => "approved_mechanisms",
                "require_tia" => "require_tia",
                "special_categories" => "special_categories",
                "unknown_location" => "unknown_location",
                "distrust_adequacy" => "distrust_adequacy",
                "fail_on" => "fail_on",
                "inferred_findings" => "inferred_findings",
                _ => continue,
            };
            policy.spans.insert(
                static_name,
                self.file.span(key.span().start..value.span().end),
            );
            match static_name {
                "approved_mechanisms" => {
                    policy.approved_mechanisms = self
                        .strings(value, name)
                        .iter()
                        .filter_map(|item| self.mechanism(item))
                        .collect();
                }
                "require_tia" => {
                    if let Some(flag) = self.boolean(value, name) {
                        policy.require_tia = flag;
                    }
                }
                "special_categories" => {
                    if let Some(text) = self.string(value, name) {
                        match text.get_ref().as_str() {
                            "deny" => policy.special_categories = SpecialCategoryPolicy::Deny,
                            "safeguard" => policy.special_categories = SpecialCategoryPolicy::Safeguard,
                            other => self.error(&text, format!("`special_categories` = `{other}` is not allowed; expected `deny` or `safeguard`")),
                        }
                    }
                }
                "unknown_location" => {
                    if let Some(text) = self.string(value, name) {
                        match text.get_ref().as_str() {
                            "off" => policy.unknown_location = None,
                            level => match Severity::parse(level) {
                                Some(severity) => policy.unknown_location = Some(severity),
                                None => self.error(&text, format!("`unknown_location` = `{level}` is not allowed; expected `error`, `warning`, `note` or `off`")),
                            },
                        }
                    }
                }
                "distrust_adequacy" => {
                    for code in self.strings(value, name) {
                        if let Some(country) = self.country(&code, name) {
                            policy.distrust_adequacy.push(country);
                        }
                    }
                }
                "inferred_findings" => {
                    if let Some(text) = self.string(value, name) {
                        match Severity::parse(text.get_ref()) {
                            Some(severity) => policy.inferred_findings = severity,
                            None => self.error(&text, format!("`inferred_findings` = `{}` is not allowed; expected `error`, `warning` or `note`", text.get_ref())),
                        }
                    }
                }
                "fail_on" => {
                    if let Some(text) = self.string(value, name) {
                        match text.get_ref().as_str() {
                            "never" => policy.fail_on = None,
                            level => match Severity::parse(level) {
                                Some(severity) => policy.fail_on = Some(severity),
                                None => self.error(&text, format!("`fail_on` = `{level}` is not allowed; expected `error`, `warning`, `note` or `never`")),
                            },
                        }
                    }
                }
                _ => {}
            }
        }
        policy
    }

    fn mechanism(&mut self, text: &Spanned<String>) -> Option<MechanismKind> {
        let kind = MechanismKind::parse(text.get_ref());
        if kind.is_none() {
            self.error(
                text,
                format!(
                    "`{}` is not a transfer mechanism; expected one of {}",
                    text.get_ref(),
                    MechanismKind::allowed_values()
                ),
            );
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

    fn node(&mut self, table: &DeTable<'_>, range: std::ops::Range<usize>) -> Option<NodeFact> {
        self.known_keys(
            table,
            "[[node]]",
            &[
                "id",
                "kind",
                "location",
                "paths",
                "data",
                "domains",
                "certifications",
                "personal_data",
                "safeguard",
                "label",
                "provider",
            ],
        );
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
        for (key, value) in Self::entries(table) {
            match key.get_ref().as_ref() {
                "kind" => {
                    if let Some(text) = self.string(value, "kind") {
                        match NodeKind::parse(text.get_ref()) {
                            Some(kind) => node.kind = Some(kind),
                            None => self.error(&text, format!("`kind` = `{}` is not allowed; expected `service`, `store`, `vendor` or `client`", text.get_ref())),
                        }
                    }
                }
                "label" => node.label = self.string(value, "label").map(Spanned::into_inner),
                "location" => node.location = self.location(value),
                "provider" => {
                    if let Some(text) = self.string(value, "provider") {
                        match self.rules.provider(text.get_ref()) {
                            Some(provider) => node.provider = Some(provider.id.clone()),
                            None => self.error(
                                &text,
                                format!(
                                    "`provider`: `{}` is not a hosting provider in the rule data",
                                    text.get_ref()
                                ),
                            ),
                        }
                    }
                }
                "paths" => {
                    node.paths = self
                        .strings(value, "paths")
                        .into_iter()
                        .map(Spanned::into_inner)
                        .collect()
                }
                "data" => node.data = self.data(value),
                "domains" => {
                    node.domains = self
                        .strings(value, "domains")
                        .into_iter()
                        .map(|d| d.into_inner().to_ascii_lowercase())
                        .collect()
                }
                "certifications" => {
                    for text in self.strings(value, "certifications") {
                        match text.get_ref().as_str() {
                            "dpf" | "bcr" => node.certifications.push(text.into_inner()),
                            other => self.error(&text, format!("`certifications`: `{other}` is not known; expected `dpf` or `bcr`")),
                        }
                    }
                }
                "personal_data" => node.personal_data = self.boolean(value, "personal_data"),
                "safeguard" => node.safeguard = self.safeguard(value),
                _ => {}
            }
        }
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
        self.known_keys(
            table,
            "[[flow]]",
            &["from", "to", "data", "purpose", "safeguard"],
        );
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
        };
        if let Some(value) = table.get("data") {
            flow.data = self.data(value);
        }
        if let Some(value) = table.get("purpose") {
            flow.purpose = self.string(value, "purpose").map(Spanned::into_inner);
        }
        if let Some(value) = table.get("safeguard") {
            flow.safeguard = self.safeguard(value);
        }
        Some(flow)
    }

    fn safeguard(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Safeguard> {
        let table = self.table(value, "safeguard")?;
        self.known_keys(
            table,
            "safeguard",
            &[
                "mechanism",
                "version",
                "module",
                "reference",
                "signed",
                "expires",
                "tia",
                "derogation",
            ],
        );
        let Some(mechanism_value) = table.get("mechanism") else {
            self.error(
                value,
                format!(
                    "a safeguard needs `mechanism`; expected one of {}",
                    MechanismKind::allowed_values()
                ),
            );
            return None;
        };
        let mechanism = self.string(mechanism_value, "mechanism")?;
        let kind = self.mechanism(&mechanism)?;
        let mut safeguard = Safeguard {
            mechanism: kind,
            version: None,
            module: None,
            reference: None,
            signed: None,
            expires: None,
            tia: None,
            derogation: None,
            span: Some(self.file.span(value.span())),
        };
        for (key, item) in Self::entries(table) {
            match key.get_ref().as_ref() {
                "version" => {
                    if let Some(text) = self.string(item, "version") {
                        let known = self
                            .rules
                            .mechanism(kind.as_str())
                            .map(|m| m.versions.iter().any(|v| v.id == *text.get_ref()))
                            .unwrap_or(false);
                        if !known {
                            let allowed = self
                                .rules
                                .mechanism(kind.as_str())
                                .map(|m| m.versions.iter().map(|v| format!("`{}`", v.id)).collect::<Vec<_>>().join(", "))
                                .unwrap_or_default();
                            if allowed.is_empty() {
                                self.error(&text, format!("`version`: the rule data knows no versions of `{}`", kind.as_str()));
                            } else {
                                self.error(&text, format!("`version` = `{}` is not a known version of `{}`; expected one of {allowed}", text.get_ref(), kind.as_str()));
                            }
                        } else {
                            safeguard.version = Some(text.into_inner());
                        }
                    }
                }
                "module" => match item.get_ref() {
                    DeValue::Integer(number) => match number.as_str().parse::<u8>() {
                        Ok(module @ 1..=4) if kind == MechanismKind::Scc => safeguard.module = Some(module),
                        Ok(_) if kind != MechanismKind::Scc => self.error(item, "`module` applies only to `mechanism = \"scc\"`"),
                        _ => self.error(item, "`module` must be an SCC module: 1 (controller to controller), 2 (controller to processor), 3 (processor to processor) or 4 (processor to controller)"),
                    },
                    other => self.error(item, format!("`module` must be an integer 1-4, found {}", type_name(other))),
                },
                "reference" => safeguard.reference = self.string(item, "reference").map(Spanned::into_inner),
                "signed" => safeguard.signed = self.date(item, "signed"),
                "expires" => safeguard.expires = self.date(item, "expires"),
                "tia" => safeguard.tia = self.string(item, "tia").map(Spanned::into_inner),
                "derogation" => {
                    if let Some(text) = self.string(item, "derogation") {
                        if kind != MechanismKind::Derogation {
                            self.error(&text, "`derogation` applies only to `mechanism = \"derogation\"`");
                        } else if self.rules.derogation(text.get_ref()).is_none() {
                            let allowed = self.rules.derogations().map(|d| format!("`{}`", d.id)).collect::<Vec<_>>().join(", ");
                            self.error(&text, format!("`derogation` = `{}` is not an Art. 49 derogation; expected one of {allowed}", text.get_ref()));
                        } else {
                            safeguard.derogation = Some(text.into_inner());
                        }
                    }
                }
                _ => {}
            }
        }
        if kind == MechanismKind::Derogation && table.get("derogation").is_none() {
            let allowed = self
                .rules
                .derogations()
                .map(|d| format!("`{}`", d.id))
                .collect::<Vec<_>>()
                .join(", ");
            self.error(
                value,
                format!("`mechanism = \"derogation\"` needs `derogation`, one of {allowed}"),
            );
        }
        Some(safeguard)
    }

    fn waiver(&mut self, table: &DeTable<'_>, range: std::ops::Range<usize>) -> Option<Waiver> {
        self.known_keys(
            table,
            "[[waiver]]",
            &["rule", "from", "to", "reason", "expires"],
        );
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
