//! The annotation vocabulary shared by Rust attributes and comment tags (SPEC §4): `flow`,
//! `store`, `service` and `pii`, validated and turned into facts.
//!
//! Both front ends (syn for attributes, the tag tokenizer for comments) produce the same
//! [`Annotation`], so the two forms accept exactly the same keys and report the same errors.

use crate::facts::{
    DataRef, ExtractionDiagnostic, Facts, FlowFact, FlowTarget, LocatedAt, Location, NodeFact,
    NodeKind, NodeRef, Origin, Safeguard, Severity,
};
use crate::rule::Rule;
use crate::rules::RuleSet;
use crate::safeguard::{self, Field, SafeguardInput, Written, WrittenDate};
use crate::source::Span;

/// The four annotations, and a comment tag on a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AnnotationKind {
    Flow,
    Store,
    Service,
    Pii,
    /// `borderline: personal_data=false` directly above a Terraform block, a Kubernetes object or
    /// a compose service: facts about the node that declaration creates. Never parsed from a
    /// name; a tag whose first word is `key=value` is one.
    InPlace,
}

const SAFEGUARD_KEYS: [&str; 8] = [
    "mechanism",
    "version",
    "module",
    "reference",
    "tia",
    "derogation",
    "signed",
    "expires",
];
const FLOW_KEYS: [&str; 12] = [
    "to",
    "from",
    "data",
    "purpose",
    "mechanism",
    "version",
    "module",
    "reference",
    "tia",
    "derogation",
    "signed",
    "expires",
];
const NODE_KEYS: [&str; 4] = ["id", "location", "data", "label"];
/// The manifest's `[[node]]` keys that describe what a declared node holds and where, with the
/// safeguard's keys flattened: `safeguard=scc module=2 tia=...` is the manifest's
/// `safeguard = { mechanism = "scc", module = 2, tia = "..." }`. `id`, `kind`, `paths`, `domains`
/// and `provider` are not among them: the declaration below the tag decides those.
const IN_PLACE_KEYS: [&str; 12] = [
    "location",
    "data",
    "personal_data",
    "label",
    "safeguard",
    "version",
    "module",
    "reference",
    "tia",
    "derogation",
    "signed",
    "expires",
];
const PII_KEYS: [&str; 2] = ["category", "categories"];

impl AnnotationKind {
    pub(crate) fn parse(name: &str) -> Option<AnnotationKind> {
        match name {
            "flow" => Some(AnnotationKind::Flow),
            "store" => Some(AnnotationKind::Store),
            "service" => Some(AnnotationKind::Service),
            // `personal_data` is the attribute's long name; it means the same as `pii`.
            "pii" | "personal_data" => Some(AnnotationKind::Pii),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            AnnotationKind::Flow => "flow",
            AnnotationKind::Store => "store",
            AnnotationKind::Service => "service",
            AnnotationKind::Pii => "pii",
            AnnotationKind::InPlace => "in-place",
        }
    }

    pub(crate) fn allowed_keys(self) -> &'static [&'static str] {
        match self {
            AnnotationKind::Flow => &FLOW_KEYS,
            AnnotationKind::Store | AnnotationKind::Service => &NODE_KEYS,
            AnnotationKind::Pii => &PII_KEYS,
            AnnotationKind::InPlace => &IN_PLACE_KEYS,
        }
    }

    /// The annotation in a message: "a `flow` annotation", "a tag on a declaration".
    fn described(self) -> String {
        match self {
            AnnotationKind::InPlace => "a tag on a declaration".to_string(),
            kind => format!("a `{}` annotation", kind.name()),
        }
    }

    fn allowed_list(self) -> String {
        self.allowed_keys()
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A written value and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Text {
    pub value: String,
    pub span: Span,
}

/// A value: one text, or a list (`a,b` or `["a", "b"]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    One(Text),
    List(Vec<Text>),
    /// Something that is neither a string nor a list of strings; the text says what it was.
    Invalid(String),
}

/// `key = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub key: Text,
    pub value: Value,
    /// The span of the value as a whole.
    pub value_span: Span,
}

/// One annotation, from either front end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Annotation {
    pub kind: AnnotationKind,
    /// The whole attribute or tag.
    pub span: Span,
    pub entries: Vec<Entry>,
    /// Values without a key: the categories of `pii`.
    pub positional: Vec<Text>,
}

/// The node a file's annotations belong to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Owner {
    pub id: String,
    /// Where the owner is named (a package name), when it is not the manifest.
    pub span: Option<Span>,
    /// The owner comes from a package manifest and becomes a `service` node unless one exists.
    pub from_package: bool,
}

/// Turns an annotation into facts; problems become diagnostics at their span.
pub(crate) fn lower(
    annotation: &Annotation,
    owner: Option<&Owner>,
    origin: Origin,
    facts: &mut Facts,
    rules: &RuleSet,
) {
    let mut reader = Reader {
        annotation,
        facts,
        rules,
        ok: true,
    };
    reader.check_keys();
    match annotation.kind {
        AnnotationKind::Flow => reader.flow(owner, origin),
        AnnotationKind::Store => reader.node(NodeKind::Store, origin),
        AnnotationKind::Service => reader.node(NodeKind::Service, origin),
        AnnotationKind::Pii => reader.pii(owner, origin),
        // Its facts go to a declaration only the caller knows: see `lower_in_place`.
        AnnotationKind::InPlace => {}
    }
}

/// What a tag on a declaration says about the node declared below it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct InPlaceFacts {
    pub location: Option<LocatedAt>,
    pub data: Vec<DataRef>,
    pub personal_data: Option<bool>,
    pub safeguard: Option<Safeguard>,
    pub label: Option<String>,
}

/// Reads an [`AnnotationKind::InPlace`] tag; problems become input-errors at the key or value
/// that causes them. The keys it could read are kept: one bad key does not lose the others.
pub(crate) fn lower_in_place(
    annotation: &Annotation,
    facts: &mut Facts,
    rules: &RuleSet,
) -> InPlaceFacts {
    let mut reader = Reader {
        annotation,
        facts,
        rules,
        ok: true,
    };
    reader.check_keys();
    let location = reader.single("location").map(|text| LocatedAt {
        location: Location::parse(&text.value),
        span: Some(text.span),
        unresolved_reason: None,
    });
    let personal_data = reader
        .single("personal_data")
        .and_then(|text| match text.value.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            other => {
                reader.error(
                    text.span,
                    format!("`personal_data` = `{other}`: expected `true` or `false`"),
                );
                None
            }
        });
    InPlaceFacts {
        location,
        data: reader.data(),
        personal_data,
        safeguard: reader.safeguard(),
        label: reader.single("label").map(|t| t.value),
    }
}

/// Reports every location an annotation, attribute or comment tag wrote that rule data does not
/// know (`aws:us-easst-1`, `gcp:europe-wst3`, `XX`) as an `unknown-location` error at the
/// value, with the closest region of the same provider (or provider, or country) to write
/// instead. A person wrote it, so it is a mistake to fix, not a fact to ask for: it fails the
/// gate whatever `policy.unknown_location` says, which is about locations nobody wrote. The
/// manifest rejects the same mistakes with exit 2; an annotation is the repository's input,
/// not borderline's, so it is a finding. `unknown` written as such is not a mistake.
pub(crate) fn check_written_locations(facts: &mut Facts, rules: &RuleSet) {
    let written = facts
        .nodes
        .iter()
        .filter_map(|node| node.location.as_ref())
        .chain(
            facts
                .attached
                .iter()
                .filter_map(|tag| tag.location.as_ref()),
        );
    let mut found: Vec<ExtractionDiagnostic> = written
        .filter_map(|located| written_location_error(located, rules))
        .collect();
    found.sort_by(|a, b| (a.span, &a.message).cmp(&(b.span, &b.message)));
    found.dedup();
    facts.diagnostics.extend(found);
}

/// The `unknown-location` error for one location a person wrote (a tag, an attribute, a
/// `borderline.dev/location` label or annotation), or `None` when rule data knows it.
pub(crate) fn written_location_error(
    located: &LocatedAt,
    rules: &RuleSet,
) -> Option<ExtractionDiagnostic> {
    let span = located.span?;
    let message = unknown_location_message(&located.location, rules)?;
    Some(ExtractionDiagnostic {
        rule: Rule::UnknownLocation,
        severity: Severity::Error,
        message,
        span: Some(span),
        path: None,
    })
}

/// Why rule data cannot place a written location, with a suggestion; `None` when it can.
fn unknown_location_message(location: &Location, rules: &RuleSet) -> Option<String> {
    const FORMS: &str = "a location is an ISO 3166-1 alpha-2 country code (`DE`), `EU`, `EEA`, `unknown` or `provider:region` (`aws:eu-central-1`)";
    match location {
        Location::Unknown | Location::Bloc(_) => None,
        Location::Country(code) => {
            if rules.jurisdiction(code).is_some() {
                return None;
            }
            // A country written by name (`Germany`) is suggested by its code.
            let by_name = rules
                .jurisdictions()
                .find(|j| j.name.eq_ignore_ascii_case(code.trim()))
                .map(|j| j.code.clone());
            let hint = match by_name {
                Some(found) => format!("; did you mean `{found}`?"),
                None => format!("; {FORMS}"),
            };
            Some(format!(
                "location `{code}` is not a country code known to the rule data{hint}"
            ))
        }
        Location::Region { provider, region } => {
            let Some(known) = rules.provider(provider) else {
                let ids: Vec<&str> = rules.providers().map(|p| p.id.as_str()).collect();
                let hint = match crate::suggest::closest_id(provider, ids.iter().copied()) {
                    Some(closest) => format!("; did you mean `{closest}:{region}`?"),
                    None => format!(
                        "; expected one of {}",
                        ids.iter()
                            .map(|id| format!("`{id}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                return Some(format!(
                    "location `{provider}:{region}`: `{provider}` is not a cloud provider in the rule data{hint}"
                ));
            };
            if rules.region(provider, region).is_some() {
                return None;
            }
            let wanted = region.trim().to_ascii_lowercase();
            let ids: Vec<&str> = rules
                .regions()
                .filter(|r| r.provider == known.id)
                .map(|r| r.id.as_str())
                .collect();
            let hint = match crate::suggest::closest_id(&wanted, ids.iter().copied()) {
                Some(closest) => format!("; did you mean `{}:{closest}`?", known.id),
                None => "; a region newer than the rule data is added with `--rules DIR`, or write `unknown`".to_string(),
            };
            Some(format!(
                "region `{region}` of `{provider}` is not in the rule data (rules/regions/){hint}"
            ))
        }
    }
}

/// A `NodeFact` that adds data categories to the owner.
pub(crate) fn owner_data(
    owner: &Owner,
    data: Vec<DataRef>,
    origin: Origin,
    inferred: bool,
) -> NodeFact {
    let mut node = NodeFact::new(owner.id.clone(), origin);
    if owner.from_package {
        node.kind = Some(NodeKind::Service);
    }
    node.data = data;
    node.inferred = inferred;
    node
}

/// The service node a package becomes.
pub(crate) fn package_node(owner: &Owner, origin: Origin, inferred: bool) -> NodeFact {
    let mut node = NodeFact::new(owner.id.clone(), origin);
    node.kind = Some(NodeKind::Service);
    node.span = owner.span;
    node.inferred = inferred;
    node
}

/// Why a key that other tags take cannot be given on a declaration, when there is more to say
/// than "unknown key".
fn in_place_misplaced(key: &str) -> Option<String> {
    let message = match key {
        "to" | "from" | "purpose" => format!(
            "`{key}` belongs to a flow: a tag directly above a declaration states facts about the node declared below it; write a flow as its own tag, `borderline: flow to=... data=...`"
        ),
        "id" | "kind" => format!(
            "`{key}` cannot be given in a tag on a declaration: the declaration below names the node and decides its kind; allowed keys: {}",
            AnnotationKind::InPlace.allowed_list()
        ),
        "mechanism" => "in a tag on a declaration the mechanism is written `safeguard=<mechanism>` (as the manifest's node writes `safeguard = { mechanism = ... }`)".to_string(),
        "paths" | "domains" | "provider" | "certifications" => format!(
            "`{key}` is not read from a tag on a declaration: set it on the node in borderline.toml; allowed keys: {}",
            AnnotationKind::InPlace.allowed_list()
        ),
        _ => return None,
    };
    Some(message)
}

struct Reader<'a> {
    annotation: &'a Annotation,
    facts: &'a mut Facts,
    /// The rule data safeguards are judged against (mechanism versions, derogations).
    rules: &'a RuleSet,
    ok: bool,
}

fn written(text: Text) -> Written<String> {
    Written {
        value: text.value,
        span: text.span,
    }
}

fn written_date(text: Text) -> Written<WrittenDate> {
    Written {
        value: WrittenDate::Text(text.value),
        span: text.span,
    }
}

impl<'a> Reader<'a> {
    fn error(&mut self, span: Span, message: String) {
        self.ok = false;
        self.facts.input_error(Some(span), None, message);
    }

    fn check_keys(&mut self) {
        let kind = self.annotation.kind;
        let mut seen: Vec<&str> = Vec::new();
        for entry in &self.annotation.entries {
            let key = entry.key.value.as_str();
            if kind == AnnotationKind::InPlace
                && !kind.allowed_keys().contains(&key)
                && let Some(message) = in_place_misplaced(key)
            {
                self.error(entry.key.span, message);
            } else if !kind.allowed_keys().contains(&key) {
                self.error(
                    entry.key.span,
                    format!(
                        "unknown key `{key}` in {}; allowed keys: {}",
                        kind.described(),
                        kind.allowed_list()
                    ),
                );
            } else if seen.contains(&key) {
                self.error(
                    entry.key.span,
                    format!(
                        "`{key}` is given twice in this {}",
                        kind.described()
                            .trim_start_matches("a ")
                            .trim_start_matches("an ")
                    ),
                );
            } else {
                seen.push(key);
            }
            if let Value::Invalid(found) = &entry.value {
                self.error(
                    entry.value_span,
                    format!("`{key}` must be a string or a list of strings, found {found}"),
                );
            }
        }
        if kind != AnnotationKind::Pii {
            for text in &self.annotation.positional {
                self.error(
                    text.span,
                    format!(
                        "`{}` is not a `key=value` pair; {} takes {}",
                        text.value,
                        kind.described(),
                        kind.allowed_list()
                    ),
                );
            }
        }
    }

    fn entry(&self, key: &str) -> Option<&'a Entry> {
        self.annotation.entries.iter().find(|e| e.key.value == key)
    }

    /// A key that takes exactly one value.
    fn single(&mut self, key: &str) -> Option<Text> {
        let entry = self.entry(key)?;
        match &entry.value {
            Value::One(text) if !text.value.trim().is_empty() => Some(text.clone()),
            Value::One(_) => {
                self.error(entry.value_span, format!("`{key}` is empty"));
                None
            }
            Value::List(items) if items.len() == 1 => Some(items[0].clone()),
            Value::List(_) => {
                self.error(
                    entry.value_span,
                    format!("`{key}` takes one value, not a list"),
                );
                None
            }
            Value::Invalid(_) => None,
        }
    }

    /// A key that takes one value or a list.
    fn list(&self, key: &str) -> Vec<Text> {
        match self.entry(key).map(|e| &e.value) {
            Some(Value::One(text)) => vec![text.clone()],
            Some(Value::List(items)) => items.clone(),
            _ => Vec::new(),
        }
    }

    fn data(&self) -> Vec<DataRef> {
        self.list("data")
            .into_iter()
            .filter(|t| !t.value.is_empty())
            .map(|t| DataRef {
                key: t.value,
                span: Some(t.span),
            })
            .collect()
    }

    fn required(&mut self, key: &str) -> Option<Text> {
        if self.entry(key).is_none() {
            let kind = self.annotation.kind;
            self.error(
                self.annotation.span,
                format!(
                    "a `{}` annotation needs `{key}`; allowed keys: {}",
                    kind.name(),
                    kind.allowed_list()
                ),
            );
            return None;
        }
        self.single(key)
    }

    fn flow(&mut self, owner: Option<&Owner>, origin: Origin) {
        let to = self.required("to");
        let from = self.single("from");
        let purpose = self.single("purpose").map(|t| t.value);
        let safeguard = self.safeguard();
        let Some(to) = to else { return };
        let from = match from {
            Some(text) => Some(NodeRef {
                id: text.value,
                span: Some(text.span),
            }),
            None => owner.map(|owner| NodeRef {
                id: owner.id.clone(),
                span: None,
            }),
        };
        let flow = FlowFact {
            from,
            to: FlowTarget::Node(NodeRef {
                id: to.value,
                span: Some(to.span),
            }),
            data: self.data(),
            purpose,
            safeguard,
            span: Some(self.annotation.span),
            origin,
            inferred: false,
            scope: None,
            variants: Vec::new(),
        };
        self.facts.flows.push(flow);
    }

    /// The safeguard the keys describe, if any key of one is written: each key read as text,
    /// then judged by the validator the manifest uses, so both give the same errors.
    fn safeguard(&mut self) -> Option<Safeguard> {
        // A tag on a declaration writes the mechanism as the manifest's node does its safeguard:
        // `safeguard=scc`.
        let mechanism_key = if self.annotation.kind == AnnotationKind::InPlace {
            "safeguard"
        } else {
            "mechanism"
        };
        if !SAFEGUARD_KEYS
            .iter()
            .chain(std::iter::once(&mechanism_key))
            .any(|key| self.entry(key).is_some())
        {
            return None;
        }
        let mechanism = self.field(mechanism_key);
        let kind = match safeguard::mechanism(&mechanism, mechanism_key, self.annotation.span) {
            Ok(kind) => kind,
            Err(error) => {
                if let Some(error) = error {
                    self.error(error.span, error.message);
                }
                return None;
            }
        };
        let span = match &mechanism {
            Field::Written(text) => text.span,
            Field::Absent | Field::Unreadable => self.annotation.span,
        };
        let mut input = SafeguardInput::new(self.annotation.span, span);
        input.module = self.single("module").map(written);
        input.signed = self.single("signed").map(written_date);
        input.expires = self.single("expires").map(written_date);
        input.version = self.single("version").map(written);
        input.reference = self.single("reference").map(|t| t.value);
        input.tia = self.single("tia").map(|t| t.value);
        input.derogation = self.field("derogation");
        let (safeguard, errors) = safeguard::validate(kind, input, self.rules);
        for error in errors {
            self.error(error.span, error.message);
        }
        Some(safeguard)
    }

    /// A single-valued key for the safeguard validator: absent, written, or unreadable (its
    /// error already reported by [`Reader::single`]).
    fn field(&mut self, key: &str) -> Field<String> {
        if self.entry(key).is_none() {
            return Field::Absent;
        }
        match self.single(key) {
            Some(text) => Field::Written(written(text)),
            None => Field::Unreadable,
        }
    }

    fn node(&mut self, kind: NodeKind, origin: Origin) {
        let id = self.required("id");
        let location = self.single("location").map(|text| LocatedAt {
            location: Location::parse(&text.value),
            span: Some(text.span),
            unresolved_reason: None,
        });
        let label = self.single("label").map(|t| t.value);
        let Some(id) = id else { return };
        let mut node = NodeFact::new(id.value, origin);
        node.kind = Some(kind);
        node.location = location;
        node.label = label;
        node.data = self.data();
        node.span = Some(self.annotation.span);
        self.facts.nodes.push(node);
    }

    fn pii(&mut self, owner: Option<&Owner>, origin: Origin) {
        let mut categories: Vec<Text> = self.annotation.positional.clone();
        categories.extend(self.list("category"));
        categories.extend(self.list("categories"));
        categories.retain(|t| !t.value.trim().is_empty());
        if categories.is_empty() {
            self.error(
                self.annotation.span,
                "a `pii` annotation needs at least one data category, e.g. `pii(\"user.contact.email\")`".into(),
            );
            return;
        }
        let data: Vec<DataRef> = categories
            .into_iter()
            .map(|t| DataRef {
                key: t.value,
                span: Some(t.span),
            })
            .collect();
        match owner {
            Some(owner) => self.facts.nodes.push(owner_data(owner, data, origin, false)),
            None => self.facts.diagnostics.push(ExtractionDiagnostic {
                rule: Rule::UnresolvedReference,
                severity: Severity::Warning,
                message: "cannot tell which node holds this data: the file belongs to no node; list it under a node's `paths` in borderline.toml or give it a package manifest".into(),
                span: Some(self.annotation.span),
                path: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::MechanismKind;
    use crate::source::FileId;

    fn text(value: &str, at: usize) -> Text {
        Text {
            value: value.into(),
            span: Span::new(FileId(0), at..at + value.len()),
        }
    }

    fn entry(key: &str, value: Value) -> Entry {
        Entry {
            key: text(key, 0),
            value,
            value_span: Span::new(FileId(0), 5..6),
        }
    }

    #[test]
    fn flow_defaults_from_to_the_owner_and_reads_a_safeguard() {
        let annotation = Annotation {
            kind: AnnotationKind::Flow,
            span: Span::new(FileId(0), 0..50),
            entries: vec![
                entry("to", Value::One(text("psp", 10))),
                entry("data", Value::List(vec![text("user.financial", 20)])),
                entry("mechanism", Value::One(text("scc", 30))),
                entry("module", Value::One(text("2", 40))),
            ],
            positional: vec![],
        };
        let owner = Owner {
            id: "checkout".into(),
            span: None,
            from_package: false,
        };
        let rules = RuleSet::builtin().unwrap();
        let mut facts = Facts::default();
        lower(
            &annotation,
            Some(&owner),
            Origin::CommentTag,
            &mut facts,
            &rules,
        );
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        let flow = &facts.flows[0];
        assert_eq!(flow.from.as_ref().map(|f| f.id.as_str()), Some("checkout"));
        assert_eq!(
            flow.to,
            FlowTarget::Node(NodeRef {
                id: "psp".into(),
                span: Some(Span::new(FileId(0), 10..13))
            })
        );
        assert_eq!(flow.data[0].key, "user.financial");
        let safeguard = flow.safeguard.as_ref().map(|s| (s.mechanism, s.module));
        assert_eq!(safeguard, Some((MechanismKind::Scc, Some(2))));
    }

    #[test]
    fn missing_to_and_unknown_keys_list_the_allowed_keys() {
        let annotation = Annotation {
            kind: AnnotationKind::Flow,
            span: Span::new(FileId(0), 0..50),
            entries: vec![entry("too", Value::One(text("psp", 10)))],
            positional: vec![],
        };
        let rules = RuleSet::builtin().unwrap();
        let mut facts = Facts::default();
        lower(&annotation, None, Origin::CommentTag, &mut facts, &rules);
        assert!(facts.flows.is_empty());
        let messages: Vec<&str> = facts
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].starts_with(
                "unknown key `too` in a `flow` annotation; allowed keys: `to`, `from`"
            )
        );
        assert!(messages[1].starts_with("a `flow` annotation needs `to`"));
        assert!(facts.diagnostics.iter().all(|d| d.rule == Rule::InputError));
    }

    #[test]
    fn pii_without_owner_is_unresolved() {
        let annotation = Annotation {
            kind: AnnotationKind::Pii,
            span: Span::new(FileId(0), 0..10),
            entries: vec![],
            positional: vec![text("user.contact.email", 3)],
        };
        let rules = RuleSet::builtin().unwrap();
        let mut facts = Facts::default();
        lower(&annotation, None, Origin::CommentTag, &mut facts, &rules);
        assert_eq!(facts.diagnostics[0].rule, Rule::UnresolvedReference);
    }
}
