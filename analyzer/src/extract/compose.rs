//! docker-compose files: services, their environment, and logs shipped to CloudWatch.
//!
//! Each service is a service node. `environment` (map or list form, through `x-` anchors and
//! `<<` merge keys, which the YAML parser resolves with spans at the use site) is searched for
//! endpoints: another service's name is a flow between services, a public host a host flow.
//! `depends_on` orders start-up and carries no data, so it makes no flow. `logging` with the
//! `awslogs` driver ships every log line, which carries personal data by default, to CloudWatch
//! Logs in `awslogs-region`: a store of AWS in that region. `env_file` files are read by the env
//! extractor, which learns which services reference them from the
//! [`ComposeServices`] this extractor reports for each compose file (see
//! [`env_file_references`]).
//!
//! Values are interpolated as compose does before they are read ([`interpolate`]): variables come
//! from the `.env` file beside the compose file, and a `${VAR:-default}` whose variable is not set
//! there takes its default, so a vendor URL written as a default is a flow. A value compose would
//! refuse without a variable (`${VAR:?error}`) is unknown and makes no flow.

use super::classify::{is_compose_file, is_interpolation_env};
use super::regions::{LOCATION_ANNOTATION, region_location};
use super::services::{flow_to_host, project_scope};
use super::values::{is_placeholder, parse_entries};
use super::yaml::{YamlNode, YamlValue, parse_document};
use super::{ExtractContext, Extractor, Owners};
use crate::facts::Environment;
use crate::facts::{
    ClassRange, ComposeServices, Facts, FlowFact, FlowTarget, LocatedAt, Location, NodeFact,
    NodeKind, NodeRef, Origin,
};
use crate::source::{SourceFile, Span};
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::{BTreeMap, BTreeSet};

/// Reads `docker-compose*.yml` and `compose*.yaml` files.
#[derive(Debug, Default)]
pub struct ComposeExtractor;

impl Extractor for ComposeExtractor {
    fn name(&self) -> &'static str {
        "compose"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        is_compose_file(path) || is_interpolation_env(path)
    }

    /// Whole-set, not per file: a compose file's values depend on the `.env` beside it.
    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
        // The real `.env` when committed; else its examples (placeholders left unset), first
        // by path order.
        let mut variables: BTreeMap<&Utf8Path, (bool, Variables)> = BTreeMap::new();
        for file in files.iter().filter(|f| is_interpolation_env(&f.path)) {
            let real = file.path.file_name() == Some(".env");
            let directory = file.path.parent().unwrap_or(Utf8Path::new(""));
            if variables
                .get(directory)
                .is_some_and(|(was_real, _)| *was_real || !real)
            {
                continue;
            }
            let entries = parse_entries(&file.text, false)
                .into_iter()
                .filter(|e| real || !is_placeholder(&e.value))
                .map(|e| (e.key, e.value))
                .collect();
            variables.insert(directory, (real, entries));
        }
        let none = Variables::new();
        let mut facts = Facts::default();
        let documents: Vec<(&SourceFile, YamlNode)> = files
            .iter()
            .filter(|f| is_compose_file(&f.path))
            .filter_map(|file| Some((*file, parse_document(file, &mut facts)?)))
            .collect();
        // A service reaches the services of its own project by name, whichever of the project's
        // files (`compose.yaml` and its `-f` overlays beside it) declares them, and no others.
        let mut project_names: BTreeMap<&Utf8Path, BTreeMap<String, String>> = BTreeMap::new();
        for (file, document) in &documents {
            let directory = file.path.parent().unwrap_or(Utf8Path::new(""));
            let names = service_names(&services(file, document, ctx.owners));
            // The env extractor joins env files to the services that read them from this fact.
            facts.compose_services.push(ComposeServices {
                scope: project_scope(&file.path),
                env_files: env_file_references(file, document, ctx.owners)
                    .into_iter()
                    .map(|(service, path)| (service, path.into_string()))
                    .collect(),
                names: names.clone(),
            });
            let known = project_names.entry(directory).or_default();
            for (name, id) in names {
                known.entry(name).or_insert(id);
            }
        }
        let no_names = BTreeMap::new();
        for (file, document) in &documents {
            let directory = file.path.parent().unwrap_or(Utf8Path::new(""));
            let variables = variables.get(directory).map(|(_, v)| v).unwrap_or(&none);
            let names = project_names.get(directory).unwrap_or(&no_names);
            // The service that shows it is kept for a reader of this code; the class is the
            // whole file's.
            if copies_of_own_build(file, document)
                .or_else(|| idle_workspace(file, document))
                .is_some()
                || says_it_is_for_development(&file.text)
            {
                facts
                    .classes
                    .push(ClassRange::whole(file, Environment::Dev));
            }
            extract_compose(file, document, variables, names, ctx, &mut facts);
        }
        facts
    }
}

/// How many services of one compose file are compared for copies of one build: a file with more
/// is not examined (and stays production).
const MAX_SERVICES_COMPARED: usize = 512;

/// The span of the second service when a compose file runs two or more copies of the project's
/// own build side by side: services built from the same local `build` context and Dockerfile,
/// with the same command. That is a local topology for trying the program against itself
/// (federation or replication between instances on one machine, as Lemmy's
/// `docker/federation/docker-compose.yml` runs five instances): a deployment runs more of one
/// service with `deploy.replicas` or `--scale`, not under several names. A web and a worker built
/// from the same source differ in their command and are not copies.
fn copies_of_own_build(file: &SourceFile, document: &YamlNode) -> Option<Span> {
    let services = document.get("services").map(YamlNode::entries)?;
    if services.len() > MAX_SERVICES_COMPARED {
        return None;
    }
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (name, body) in services {
        let Some((context, dockerfile)) = build_spec(body) else {
            continue;
        };
        let dockerfile = dockerfile.unwrap_or("").to_string();
        // A remote context (a git URL) is somebody's published source, not a local build.
        if context.contains("://") || context.starts_with("git@") {
            continue;
        }
        let command = [body.get("command"), body.get("entrypoint")]
            .iter()
            .map(|part| part.map(scalar_text).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\u{0}");
        if !seen.insert((context, dockerfile, command)) {
            return Some(name.span(file));
        }
    }
    None
}

/// How many lines of a compose file's opening comment are read for what the file says it is.
const MAX_HEADER_LINES: usize = 30;

/// True when the comment that opens a compose file says the file is for development ("This
/// configuration file is for the **development** setup", "Local development environment"), as
/// projects that keep their production compose elsewhere write at the top of the one they commit.
/// Only the opening comment block is read, and a phrase preceded by a negation ("not for
/// development") does not count.
fn says_it_is_for_development(text: &str) -> bool {
    const PHRASES: [&str; 8] = [
        "for development",
        "for the development",
        "for local development",
        "local development",
        "development setup",
        "development environment",
        "development only",
        "for local dev",
    ];
    let mut header = String::new();
    for line in text.lines().take(MAX_HEADER_LINES) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        for c in comment.chars() {
            if !matches!(c, '*' | '_' | '`') {
                header.extend(c.to_lowercase());
            }
        }
        header.push(' ');
    }
    let header = header.split_whitespace().collect::<Vec<_>>().join(" ");
    PHRASES.iter().any(|phrase| {
        header.match_indices(phrase).any(|(at, _)| {
            let before = &header[..at];
            let last_words: Vec<&str> = before.split_whitespace().rev().take(3).collect();
            !last_words
                .iter()
                .any(|w| *w == "not" || w.ends_with("n't") || *w == "never")
        })
    })
}

/// The span of a service kept idle for a developer to work in (`command: sleep infinity`, the
/// dev-container pattern: an editor attaches to it and runs the code by hand). No deployed
/// service sleeps forever, so a compose file with one is a development set-up.
fn idle_workspace(file: &SourceFile, document: &YamlNode) -> Option<Span> {
    let services = document.get("services").map(YamlNode::entries)?;
    services
        .iter()
        .take(MAX_SERVICES_COMPARED)
        .find(|(_, body)| {
            body.get("command").map(scalar_text).is_some_and(|command| {
                let words: Vec<&str> = command.split_whitespace().collect();
                words == ["sleep", "infinity"] || words == ["tail", "-f", "/dev/null"]
            })
        })
        .map(|(name, _)| name.span(file))
}

/// A scalar's text, or a sequence's scalars joined by spaces (`command: ["serve", "--port"]`).
fn scalar_text(node: &YamlNode) -> String {
    match node.as_str() {
        Some(text) => text.to_string(),
        None => node
            .as_seq()
            .iter()
            .filter_map(YamlNode::as_str)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// A service of a compose file, with the node id it becomes.
#[derive(Debug)]
pub struct ComposeService<'a> {
    pub id: String,
    pub name: &'a YamlNode,
    pub body: &'a YamlNode,
}

/// The services of a compose document. A node whose `paths` claim the file names its service
/// when the file defines only one; otherwise each service keeps its own name.
pub fn services<'a>(
    file: &SourceFile,
    document: &'a YamlNode,
    owners: &Owners,
) -> Vec<ComposeService<'a>> {
    let entries = document
        .get("services")
        .map(YamlNode::entries)
        .unwrap_or_default();
    let owner = owners.owner_of(&file.path).filter(|_| entries.len() == 1);
    let mut found: Vec<ComposeService<'a>> = entries
        .iter()
        .filter_map(|(name, body)| {
            let text = name.as_str()?;
            Some(ComposeService {
                id: owner.unwrap_or(text).to_string(),
                name,
                body,
            })
        })
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found
}

/// Which `.env` files each service reads through `env_file`, as paths relative to the root.
pub fn env_file_references(
    file: &SourceFile,
    document: &YamlNode,
    owners: &Owners,
) -> Vec<(String, Utf8PathBuf)> {
    let directory = file.path.parent().unwrap_or(Utf8Path::new(""));
    let mut references = Vec::new();
    for service in services(file, document, owners) {
        let Some(env_file) = service.body.get("env_file") else {
            continue;
        };
        let items: Vec<&YamlNode> = match &env_file.value {
            YamlValue::Seq(items) => items.iter().collect(),
            _ => vec![env_file],
        };
        for item in items {
            let path = item
                .as_str()
                .or_else(|| item.get("path").and_then(YamlNode::as_str));
            if let Some(path) = path {
                references.push((service.id.clone(), normalize(&directory.join(path))));
            }
        }
    }
    references
}

/// Resolves `.` and `..` without touching the file system (the path may not exist).
pub fn normalize(path: &Utf8Path) -> Utf8PathBuf {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.as_str().split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    Utf8PathBuf::from(parts.join("/"))
}

/// Every name another container can reach a service by: its key, `container_name`, `hostname`, network aliases.
pub fn service_names(services: &[ComposeService<'_>]) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for service in services {
        if let Some(name) = service.name.as_str() {
            names.insert(name.to_string(), service.id.clone());
        }
        for key in ["container_name", "hostname"] {
            if let Some(alias) = service.body.get(key).and_then(YamlNode::as_str) {
                names.insert(alias.to_string(), service.id.clone());
            }
        }
        for (_, network) in service
            .body
            .get("networks")
            .map(YamlNode::entries)
            .unwrap_or_default()
        {
            for alias in network
                .get("aliases")
                .map(YamlNode::as_seq)
                .unwrap_or_default()
            {
                if let Some(alias) = alias.as_str() {
                    names.insert(alias.to_string(), service.id.clone());
                }
            }
        }
    }
    names
}

/// `environment` in either form: `KEY: value` entries, or `KEY=value` strings.
fn environment(service: &YamlNode) -> Vec<(String, String, &YamlNode)> {
    let Some(environment) = service.get("environment") else {
        return Vec::new();
    };
    match &environment.value {
        YamlValue::Map(entries) => entries
            .iter()
            .filter_map(|(key, value)| {
                Some((
                    key.as_str()?.to_string(),
                    value.as_str()?.to_string(),
                    value,
                ))
            })
            .collect(),
        YamlValue::Seq(items) => items
            .iter()
            .filter_map(|item| {
                let (key, value) = item.as_str()?.split_once('=')?;
                Some((key.trim().to_string(), value.to_string(), item))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn extract_compose(
    file: &SourceFile,
    document: &YamlNode,
    variables: &Variables,
    names: &BTreeMap<String, String>,
    ctx: &ExtractContext<'_>,
    facts: &mut Facts,
) {
    let services = services(file, document, ctx.owners);
    let scope = project_scope(&file.path);
    for service in &services {
        let mut node = NodeFact::new(service.id.clone(), Origin::Compose);
        node.kind = Some(NodeKind::Service);
        node.span = Some(service.name.span(file));
        node.location = label_location(file, service.body);
        // A label is written by a person: a location rule data does not know is a mistake.
        if let Some(error) = node
            .location
            .as_ref()
            .and_then(|located| super::annotation::written_location_error(located, ctx.rules))
        {
            facts.diagnostics.push(error);
        }
        node.scope = Some(scope.clone());
        node.build = build_context(file, service.body, variables);
        node.images = service
            .body
            .get("image")
            .and_then(YamlNode::as_str)
            .and_then(|image| interpolate(image, variables))
            .into_iter()
            .collect();
        facts.nodes.push(node);

        let mut seen = BTreeSet::new();
        for (key, value, value_node) in environment(service.body) {
            // A value compose could not interpolate is unknown: no flow is guessed from it.
            let Some(value) = interpolate(&value, variables) else {
                continue;
            };
            for candidate in super::urls::candidates(ctx.rules.settings(), &key, &value) {
                let span = value_node.span(file);
                if seen.insert((span, candidate.host.clone()))
                    && let Some(mut flow) =
                        flow_to_host(&service.id, &candidate.host, span, names, Origin::Compose)
                {
                    flow.scope = Some(scope.clone());
                    facts.flows.push(flow);
                }
            }
        }

        if let Some(logging) = service.body.get("logging")
            && logging.get("driver").and_then(YamlNode::as_str) == Some("awslogs")
            && let Some(region) = logging.path(&["options", "awslogs-region"])
            && let Some(region_text) = region.as_str().and_then(|r| interpolate(r, variables))
        {
            let region_text = region_text.as_str();
            let span = region.span(file);
            let id = format!("cloudwatch-logs@{region_text}");
            let mut store = NodeFact::new(id.clone(), Origin::Compose);
            store.kind = Some(NodeKind::Store);
            store.label = Some(format!("CloudWatch Logs ({region_text})"));
            store.provider = Some("aws".into());
            store.location = Some(region_location(
                region_text,
                Some("aws"),
                Some(span),
                ctx.rules,
            ));
            store.span = Some(span);
            facts.nodes.push(store);
            let mut flow = FlowFact::observed(
                NodeRef::to(service.id.clone()),
                FlowTarget::Node(NodeRef {
                    id,
                    span: Some(span),
                }),
                Some(span),
                Origin::Compose,
            );
            flow.purpose = Some("logging".into());
            flow.scope = Some(scope.clone());
            facts.flows.push(flow);
        }
    }
}

/// A service's `build`: its context as written (`build: DIR`, or `build.context`, `.` when only
/// a Dockerfile is named) and the Dockerfile `build.dockerfile` names; `None` without `build`.
fn build_spec(service: &YamlNode) -> Option<(String, Option<&str>)> {
    let build = service.get("build")?;
    Some(match build.as_str() {
        Some(context) => (context.to_string(), None),
        None => (
            build
                .get("context")
                .and_then(YamlNode::as_str)
                .unwrap_or(".")
                .to_string(),
            build.get("dockerfile").and_then(YamlNode::as_str),
        ),
    })
}

/// The directories a service is built from, relative to the root (`""` for the root): its
/// `build: DIR` or `build.context` (`.` when only a Dockerfile is named), beside the compose
/// file, and the directory of the Dockerfile `build.dockerfile` names in it (`context: .` with
/// `dockerfile: src/cart/Dockerfile` builds the code of `src/cart`). A remote context (a git URL)
/// is somebody's published source, and a value compose could not interpolate is unknown: neither
/// is a directory of this repository, nor is one above the root.
fn build_context(file: &SourceFile, service: &YamlNode, variables: &Variables) -> Vec<String> {
    let Some((context, dockerfile)) = build_spec(service) else {
        return Vec::new();
    };
    let Some(context) = interpolate(&context, variables) else {
        return Vec::new();
    };
    let context = context.trim();
    if context.contains("://") || context.starts_with("git@") || context.starts_with('/') {
        return Vec::new();
    }
    let directory = file.path.parent().unwrap_or(Utf8Path::new(""));
    let context = directory.join(context);
    let mut found: Vec<String> = within_root(&context).into_iter().collect();
    if let Some(dockerfile) = dockerfile.and_then(|d| interpolate(d, variables))
        && !dockerfile.starts_with('/')
        && let Some(parent) = context.join(dockerfile.trim()).parent()
        && let Some(dockerfile_dir) = within_root(parent)
        && !found.contains(&dockerfile_dir)
    {
        found.push(dockerfile_dir);
    }
    found
}

/// A path relative to the root, normalised, unless it leaves the root.
fn within_root(path: &Utf8Path) -> Option<String> {
    let mut depth: usize = 0;
    for part in path.as_str().split('/') {
        match part {
            "" | "." => {}
            ".." => depth = depth.checked_sub(1)?,
            _ => depth += 1,
        }
    }
    Some(normalize(path).into_string())
}

/// How deep `${A:-${B:-...}}` defaults may nest before the value is given up as unknown.
const MAX_INTERPOLATION_DEPTH: usize = 8;
/// The longest interpolated value kept: a longer one is unknown (a hostile file may try to grow it).
const MAX_INTERPOLATED_LEN: usize = 8 * 1024;

/// Variables compose interpolates from: the project's `.env` (compose reads it beside the compose
/// file). The process environment is the user's machine, not the repository, so it is not read.
pub type Variables = BTreeMap<String, String>;

/// Interpolates a compose value as `docker compose` does: `$$` is a literal `$`; `$VAR` and
/// `${VAR}` take the variable (empty when unset); `${VAR:-default}` takes the default when the
/// variable is unset or empty, `${VAR-default}` only when unset; `${VAR:?err}`/`${VAR?err}`
/// fail without a value, which is `None` here (unknown, never guessed); `${VAR:+alt}`/`${VAR+alt}`
/// take `alt` when set. Defaults nest. `None` also when the value is malformed or too deep.
pub fn interpolate(value: &str, variables: &Variables) -> Option<String> {
    interpolate_at(value, variables, 0)
}

fn interpolate_at(value: &str, variables: &Variables, depth: usize) -> Option<String> {
    if depth > MAX_INTERPOLATION_DEPTH {
        return None;
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body_start) = after.strip_prefix('{') {
            let close = matching_brace(body_start)?;
            out.push_str(&expand(&body_start[..close], variables, depth)?);
            rest = &body_start[close + 1..];
        } else {
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if name_len == 0 {
                out.push('$');
            } else if let Some(found) = variables.get(&after[..name_len]) {
                out.push_str(found);
            }
            rest = &after[name_len..];
        }
        if out.len() > MAX_INTERPOLATED_LEN {
            return None;
        }
    }
    out.push_str(rest);
    (out.len() <= MAX_INTERPOLATED_LEN).then_some(out)
}

/// The index of the `}` closing a `${`, counting nested `${...}`.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// One `${...}` body: a name and an optional modifier.
fn expand(body: &str, variables: &Variables, depth: usize) -> Option<String> {
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let (name, modifier) = body.split_at(name_len);
    if name.is_empty() {
        return None;
    }
    let set = variables.get(name);
    let non_empty = set.filter(|v| !v.is_empty());
    let nested = |text: &str| interpolate_at(text, variables, depth + 1);
    if modifier.is_empty() {
        return Some(set.cloned().unwrap_or_default());
    }
    if let Some(default) = modifier.strip_prefix(":-") {
        return match non_empty {
            Some(found) => Some(found.clone()),
            None => nested(default),
        };
    }
    if let Some(default) = modifier.strip_prefix('-') {
        return match set {
            Some(found) => Some(found.clone()),
            None => nested(default),
        };
    }
    if modifier.starts_with(":?") {
        return non_empty.cloned();
    }
    if modifier.starts_with('?') {
        return set.cloned();
    }
    if let Some(alternative) = modifier.strip_prefix(":+") {
        return match non_empty {
            Some(_) => nested(alternative),
            None => Some(String::new()),
        };
    }
    if let Some(alternative) = modifier.strip_prefix('+') {
        return match set {
            Some(_) => nested(alternative),
            None => Some(String::new()),
        };
    }
    // Any other modifier is not compose syntax: compose refuses the file, so the value is unknown.
    None
}

/// A `borderline.dev/location` label, in map or `key=value` list form.
fn label_location(file: &SourceFile, service: &YamlNode) -> Option<LocatedAt> {
    let labels = service.get("labels")?;
    let (text, node) = match &labels.value {
        YamlValue::Map(_) => {
            let value = labels.get(LOCATION_ANNOTATION)?;
            (value.as_str()?.to_string(), value)
        }
        YamlValue::Seq(items) => items.iter().find_map(|item| {
            let (key, value) = item.as_str()?.split_once('=')?;
            (key.trim() == LOCATION_ANNOTATION).then(|| (value.trim().to_string(), item))
        })?,
        _ => return None,
    };
    Some(LocatedAt {
        location: Location::parse(&text),
        span: Some(node.span(file)),
        unresolved_reason: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {

    #[test]
    fn a_compose_file_whose_opening_comment_says_development_is_dev() {
        assert!(says_it_is_for_development(
            "# This configuration file is for the **development** setup.\n# For a production example please refer to our setup repository.\nservices:\n  web: {}\n"
        ));
        assert!(says_it_is_for_development(
            "\n# Local development environment\nservices: {}\n"
        ));
        // Only the opening comment counts, and a negation is not a claim.
        assert!(!says_it_is_for_development(
            "services:\n  web: {}\n# for development\n"
        ));
        assert!(!says_it_is_for_development(
            "# Production stack. Do not use this for development.\nservices: {}\n"
        ));
        assert!(!says_it_is_for_development(
            "# Production deployment\nservices: {}\n"
        ));
    }

    use super::*;
    use crate::rules::RuleSet;
    use crate::source::FileId;
    use std::sync::Arc;

    const COMPOSE: &str = "x-common-env: &common-env
  SENTRY_DSN: https://k@o4.ingest.us.sentry.io/7
  LOG_LEVEL: info

x-logging: &aws-logging
  driver: awslogs
  options:
    awslogs-region: us-east-1
    awslogs-group: shop

services:
  api:
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1
    environment:
      <<: *common-env
      ORDERS_URL: http://orders:8080
    env_file: [./config/api.env]
    logging: *aws-logging
    depends_on: [orders]
  orders:
    image: ghcr.io/acme/orders:3
    environment:
      - POSTHOG_HOST=https://eu.i.posthog.com
      - CACHE_URL=redis://localhost:6379
    labels:
      borderline.dev/location: aws:eu-central-1
";

    #[test]
    fn services_anchors_and_awslogs() {
        let rules = RuleSet::builtin().unwrap();
        let owners = Owners::default();
        let ctx = ExtractContext {
            rules: &rules,
            owners: &owners,
            terraform: &[],
        };
        let file = SourceFile::new(
            FileId(0),
            "deploy/docker-compose.yml".into(),
            Arc::from(COMPOSE),
        );
        let facts = ComposeExtractor.extract(&[&file], &ctx);
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        let nodes: Vec<&str> = facts.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(nodes, ["api", "cloudwatch-logs@us-east-1", "orders"]);
        assert_eq!(
            facts.nodes[1].location.as_ref().map(|l| l.location.clone()),
            Some(Location::Region {
                provider: "aws".into(),
                region: "us-east-1".into()
            })
        );
        let flows: Vec<(String, u32)> = facts
            .flows
            .iter()
            .map(|f| {
                let to = match &f.to {
                    FlowTarget::Node(n) => format!("node:{}", n.id),
                    FlowTarget::Host { host, .. } => host.clone(),
                };
                (to, file.line_column(f.span.unwrap().start).line)
            })
            .collect();
        // The merged DSN is reported at the `<<` use site; the log region at the alias use site.
        assert_eq!(
            flows,
            [
                ("node:orders".to_string(), 16),
                ("o4.ingest.us.sentry.io".to_string(), 15),
                ("node:cloudwatch-logs@us-east-1".to_string(), 18),
                ("eu.i.posthog.com".to_string(), 23),
            ]
        );
        let document = parse_document(&file, &mut Facts::default()).unwrap();
        assert_eq!(
            env_file_references(&file, &document, &owners),
            [(
                "api".to_string(),
                Utf8PathBuf::from("deploy/config/api.env")
            )]
        );
    }

    #[test]
    fn interpolation_as_compose_does_it() {
        let variables: Variables = [
            ("SET".to_string(), "https://eu.i.posthog.com".to_string()),
            ("EMPTY".to_string(), String::new()),
        ]
        .into_iter()
        .collect();
        let run = |value: &str| interpolate(value, &variables);
        assert_eq!(
            run("${SET:-https://us.i.posthog.com}").as_deref(),
            Some("https://eu.i.posthog.com")
        );
        assert_eq!(
            run("${UNSET:-https://o1.ingest.sentry.io/1}").as_deref(),
            Some("https://o1.ingest.sentry.io/1")
        );
        assert_eq!(run("${EMPTY:-d}").as_deref(), Some("d"));
        assert_eq!(run("${EMPTY-d}").as_deref(), Some(""));
        assert_eq!(run("${UNSET-d}").as_deref(), Some("d"));
        assert_eq!(run("${UNSET:?set it}"), None);
        assert_eq!(run("${EMPTY:?set it}"), None);
        assert_eq!(run("${EMPTY?set it}").as_deref(), Some(""));
        assert_eq!(
            run("${UNSET:-${ALSO_UNSET:-https://${SET_HOST:-api.x.io}/v1}}").as_deref(),
            Some("https://api.x.io/v1")
        );
        assert_eq!(
            run("$$HOME and $SET/x").as_deref(),
            Some("$HOME and https://eu.i.posthog.com/x")
        );
        assert_eq!(run("${SET:+alt}${UNSET:+no}").as_deref(), Some("alt"));
        assert_eq!(run("${UNCLOSED:-x"), None);
        assert_eq!(run("${:-x}"), None);
        // Nesting beyond the budget is unknown, never a stack overflow.
        let deep = format!("{}x{}", "${A:-".repeat(10_000), "}".repeat(10_000));
        assert_eq!(run(&deep), None);
    }

    #[test]
    fn compose_reads_the_env_file_beside_it_for_interpolation() {
        let rules = RuleSet::builtin().unwrap();
        let owners = Owners::default();
        let ctx = ExtractContext {
            rules: &rules,
            owners: &owners,
            terraform: &[],
        };
        let compose = SourceFile::new(
            FileId(0),
            "docker-compose.yml".into(),
            Arc::from(
                "services:\n  web:\n    environment:\n      SENTRY_DSN: ${SENTRY_DSN:-https://k@o1.ingest.sentry.io/1}\n      POSTHOG_HOST: ${POSTHOG_HOST:-https://us.i.posthog.com}\n      MIXPANEL_URL: ${MIXPANEL_URL:?required}\n",
            ),
        );
        let env = SourceFile::new(
            FileId(1),
            ".env".into(),
            Arc::from("POSTHOG_HOST=https://eu.i.posthog.com\n"),
        );
        let facts = ComposeExtractor.extract(&[&compose, &env], &ctx);
        let hosts: Vec<String> = facts
            .flows
            .iter()
            .filter_map(|f| match &f.to {
                FlowTarget::Host { host, .. } => Some(host.clone()),
                FlowTarget::Node(_) => None,
            })
            .collect();
        assert_eq!(hosts, ["o1.ingest.sentry.io", "eu.i.posthog.com"]);

        // Without a committed `.env`, its template stands in (placeholders stay unset).
        let template = SourceFile::new(
            FileId(1),
            ".env.template".into(),
            Arc::from(
                "POSTHOG_HOST=https://eu.i.posthog.com\nSENTRY_DSN=https://<key>@o0.ingest.sentry.io/0\n",
            ),
        );
        let facts = ComposeExtractor.extract(&[&compose, &template], &ctx);
        let hosts: Vec<String> = facts
            .flows
            .iter()
            .filter_map(|f| match &f.to {
                FlowTarget::Host { host, .. } => Some(host.clone()),
                FlowTarget::Node(_) => None,
            })
            .collect();
        assert_eq!(hosts, ["o1.ingest.sentry.io", "eu.i.posthog.com"]);
    }
}
