//! `.env` files and application configs (appsettings.json, application.yml, config/*.json, ...): endpoint-valued keys as host flows.
//!
//! A `.env` file belongs to the node whose `paths` cover it, else to every compose service that
//! lists it under `env_file`, else to a service named after its directory. `KEY=VALUE` lines are
//! read as dotenv does (`export `, quotes, comments). Keys whose value is a URL, or a bare host
//! under a host-like key, become host flows; vendor site keys are expanded through
//! `rules/settings.toml` (`DD_SITE=datadoghq.eu` means the intake `api.datadoghq.eu`).
//!
//! Example files (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `env.example`) are
//! the configuration a service is meant to run with, and belong to whoever the `.env` beside them
//! would belong to. A placeholder value (`changeme`, `your-api-key`, `xxx`, `<...>`) is not a host,
//! and a key the real `.env` beside the example also sets is read from the real file only.
//!
//! App configs are claimed by name (`appsettings*.json`, `application*.yml|properties`,
//! `config*.json|yaml|toml`) and by directory (`*.json|yaml|yml|toml` directly in `config/`,
//! `conf/`, `configs/`, `settings/`, or their `environments/`), never package manifests, lock
//! files, tool configs, schemas, locales or test data. They are walked whole, with spans. Spring
//! placeholders `${NAME:default}` are read as their default; Rails ERB `<%= ENV.fetch("X",
//! "default") %>` as its default, and any other ERB as unknown (no flow, never an input error).
//! A document in a config directory that is a Kubernetes manifest (`apiVersion` and `kind`) is the
//! Kubernetes extractor's.

use super::compose::{self, flow_to_host};
use super::urls::{candidates, hosts_in_value};
use super::yaml::{YamlNode, YamlValue, endpoint_strings, parse_document, setting_hosts};
use super::{ExtractContext, Extractor};
use crate::facts::{Facts, FlowFact, NodeFact, NodeKind, Origin};
use crate::source::{SourceFile, Span};
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

/// Reads `.env*` files and app configs; reads compose files only to learn who uses which env file.
#[derive(Debug, Default)]
pub struct EnvExtractor;

/// True for the `.env` compose reads for interpolation and for examples of it (`.env.example`,
/// `.env.template`, ...), but not `.env.production` or its examples.
pub fn is_interpolation_env(path: &Utf8Path) -> bool {
    path.file_name() == Some(".env")
        || (is_env_example(path)
            && real_counterparts(path)
                .iter()
                .all(|p| p.file_name() == Some(".env")))
}

/// Suffixes that make a dotenv name an example of the configuration rather than the configuration.
const EXAMPLE_SUFFIXES: [&str; 6] = ["example", "sample", "template", "tmpl", "dist", "defaults"];

/// The words before `.env` that make a name an example (`example.env`, `sample.env`).
fn example_stem(name: &str) -> bool {
    EXAMPLE_SUFFIXES.iter().any(|s| name == format!("{s}.env"))
}

/// True for dotenv files that hold real configuration.
pub fn is_env_file(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    (name == ".env" || name.starts_with(".env.") || (name.ends_with(".env") && name.len() > 4))
        && !is_env_example(path)
}

/// True for dotenv examples: `.env.example`, `.env.production.sample`, `.env.dist`, `env.example`, `example.env`.
pub fn is_env_example(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    let dotenv = name.starts_with(".env") || name.starts_with("env.");
    let suffixed = EXAMPLE_SUFFIXES.iter().any(|suffix| {
        [".", "-", "_"]
            .iter()
            .any(|separator| name.ends_with(&format!("{separator}{suffix}")))
    });
    (dotenv && suffixed && name != ".env") || example_stem(&name)
}

/// The real dotenv files an example stands for, in its own directory: `.env`, and the example's
/// name without its suffix (`.env.production` for `.env.production.example`).
fn real_counterparts(path: &Utf8Path) -> Vec<Utf8PathBuf> {
    let directory = path.parent().unwrap_or(Utf8Path::new(""));
    let name = path.file_name().unwrap_or("");
    let mut found = vec![directory.join(".env")];
    if let Some((stem, _)) = name.rsplit_once(['.', '-', '_'])
        && stem.starts_with(".env")
        && stem != ".env"
    {
        found.push(directory.join(stem));
    }
    found
}

/// Words that mark an example value as a placeholder to fill in, not an address to send data to.
const PLACEHOLDER_MARKS: [&str; 14] = [
    "changeme",
    "change-me",
    "change_me",
    "your-",
    "your_",
    "yourdomain",
    "xxx",
    "<",
    ">",
    "placeholder",
    "replace",
    "todo",
    "fixme",
    "...",
];

/// True when an example value is to be filled in (`changeme`, `your-api-key`, `xxx`, `<dsn>`).
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    PLACEHOLDER_MARKS.iter().any(|mark| lower.contains(mark))
}

/// Directories whose JSON, YAML and TOML files are an application's configuration.
const CONFIG_DIRECTORIES: [&str; 4] = ["config", "conf", "configs", "settings"];
/// Subdirectories of a config directory that still hold configuration (one per environment).
const ENVIRONMENT_DIRECTORIES: [&str; 3] = ["environments", "envs", "env"];
/// Directories that never hold the configuration a service runs with: translations, tests,
/// fixtures, vendored code, templates and CI.
const NOT_CONFIG_DIRECTORIES: [&str; 23] = [
    "locales",
    "locale",
    "i18n",
    "lang",
    "langs",
    "translations",
    "fixtures",
    "fixture",
    "test",
    "tests",
    "__tests__",
    "spec",
    "specs",
    "testdata",
    "test-data",
    "mocks",
    "__mocks__",
    "node_modules",
    "vendor",
    "templates",
    ".github",
    ".circleci",
    "schemas",
];
/// File names in a config directory that are tool or package metadata, not configuration.
const NOT_CONFIG_NAMES: [&str; 14] = [
    "package",
    "package-lock",
    "composer",
    "tsconfig",
    "jsconfig",
    "renovate",
    "manifest",
    "chart",
    "values",
    "lerna",
    "nx",
    "angular",
    "project",
    "kustomization",
];

/// True for application config files named as such: `appsettings*.json`,
/// `application*.{yml,yaml,properties}`, `config*.{toml,yaml,yml,json}`.
pub fn is_named_app_config(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    let extension = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    // `config.tf.json` and `config.auto.tfvars.json` are Terraform's, read by its extractor.
    if [".tf.json", ".tofu.json", ".tfvars.json"]
        .iter()
        .any(|terraform| name.ends_with(terraform))
    {
        return false;
    }
    let yaml = matches!(extension, "yml" | "yaml");
    (name.starts_with("appsettings") && extension == "json")
        || (name.starts_with("application") && (yaml || extension == "properties"))
        || (name.starts_with("config") && (yaml || matches!(extension, "toml" | "json")))
        || (yaml && is_collector_config_name(&name))
}

/// OpenTelemetry Collector configs (`otelcol-config.yml`, `otel-collector-config.yaml`): their
/// exporters name where telemetry, which carries personal data, is sent.
fn is_collector_config_name(name: &str) -> bool {
    [
        "otelcol",
        "otel-collector",
        "otel_collector",
        "otel-config",
        "collector-config",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
}

/// True for a JSON, YAML or TOML file in a config directory (`config/production.json`,
/// `config/environments/staging.yml`) that is not metadata, a schema, a locale or test data.
pub fn is_directory_app_config(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    let Some((stem, extension)) = name.rsplit_once('.') else {
        return false;
    };
    if !matches!(extension, "json" | "yaml" | "yml" | "toml")
        || stem.starts_with('.')
        || stem.contains("schema")
        || stem.contains("lock")
        || stem.starts_with("values")
        || stem.starts_with("seo")
        || stem.ends_with("meta")
        || stem.ends_with("metadata")
        || stem.ends_with(".tf")
        || stem.ends_with(".tfvars")
        || NOT_CONFIG_NAMES
            .iter()
            .any(|n| stem == *n || stem.starts_with(&format!("{n}.")))
    {
        return false;
    }
    let directories: Vec<String> = path
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .map(|c| c.as_str().to_ascii_lowercase())
        .collect();
    if directories
        .iter()
        .any(|d| NOT_CONFIG_DIRECTORIES.contains(&d.as_str()))
    {
        return false;
    }
    let parent = directories.last().map(String::as_str).unwrap_or("");
    let grandparent = directories
        .len()
        .checked_sub(2)
        .and_then(|i| directories.get(i))
        .map(String::as_str)
        .unwrap_or("");
    CONFIG_DIRECTORIES.contains(&parent)
        || (ENVIRONMENT_DIRECTORIES.contains(&parent) && CONFIG_DIRECTORIES.contains(&grandparent))
}

/// True for application config files, by name or by directory.
pub fn is_app_config(path: &Utf8Path) -> bool {
    is_named_app_config(path) || is_directory_app_config(path)
}

impl Extractor for EnvExtractor {
    fn name(&self) -> &'static str {
        "env"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        is_env_file(path)
            || is_env_example(path)
            || is_app_config(path)
            || compose::is_compose_file(path)
            // Static-site generator configurations: read in `extract_files` to find site trees.
            || super::sites::is_marker_name(path)
    }

    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
        // Compose files: who reads which env file, and the service names an env value may use.
        // Their parse errors are the compose extractor's to report.
        let mut users: BTreeMap<Utf8PathBuf, BTreeSet<String>> = BTreeMap::new();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        // The compose projects whose services read each env file, and each project's names: an
        // env file of one project's services names that project's containers.
        let mut user_projects: BTreeMap<Utf8PathBuf, BTreeSet<String>> = BTreeMap::new();
        let mut project_names: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for file in files.iter().filter(|f| compose::is_compose_file(&f.path)) {
            let Some(document) = parse_document(file, &mut Facts::default()) else {
                continue;
            };
            let project = compose::project_scope(&file.path);
            for (service, path) in compose::env_file_references(file, &document, ctx.owners) {
                user_projects
                    .entry(path.clone())
                    .or_default()
                    .insert(project.clone());
                users.entry(path).or_default().insert(service);
            }
            let service_names =
                compose::service_names(&compose::services(file, &document, ctx.owners));
            let known = project_names.entry(project).or_default();
            for (name, id) in &service_names {
                known.entry(name.clone()).or_insert_with(|| id.clone());
            }
            names.extend(service_names);
        }
        // The keys every real dotenv file sets, for the examples beside it to defer to.
        let real_keys: BTreeMap<&Utf8Path, BTreeSet<String>> = files
            .iter()
            .filter(|f| is_env_file(&f.path))
            .map(|f| {
                let keys = parse_entries(&f.text, false)
                    .into_iter()
                    .map(|e| e.key)
                    .collect();
                (f.path.as_path(), keys)
            })
            .collect();
        // Directories with a compose file: a `.env` there that no service lists under `env_file`
        // is compose's interpolation file (read by the compose extractor), not a container's
        // environment.
        let compose_directories: BTreeSet<&Utf8Path> = files
            .iter()
            .filter(|f| compose::is_compose_file(&f.path))
            .map(|f| f.path.parent().unwrap_or(Utf8Path::new("")))
            .collect();
        let mut facts = Facts::default();
        for file in files {
            // The same for an example of that `.env` (`.env.template` beside compose.yaml): the
            // compose extractor reads it for interpolation when no `.env` is committed.
            if is_interpolation_env(&file.path)
                && ctx.owners.owner_of(&file.path).is_none()
                && !real_counterparts(&file.path)
                    .iter()
                    .any(|p| users.contains_key(p))
                && !users.contains_key(&file.path)
                && compose_directories.contains(file.path.parent().unwrap_or(Utf8Path::new("")))
            {
                continue;
            }
            if is_env_file(&file.path) || is_env_example(&file.path) {
                let example = is_env_example(&file.path);
                let counterparts = if example {
                    real_counterparts(&file.path)
                } else {
                    vec![file.path.clone()]
                };
                let owners: Vec<String> = match ctx.owners.owner_of(&file.path) {
                    Some(owner) => vec![owner.to_string()],
                    None => match counterparts.iter().find_map(|p| users.get(p)) {
                        Some(services) => services.iter().cloned().collect(),
                        None => vec![directory_service(&file.path, &mut facts, Origin::Env)],
                    },
                };
                let deferred: BTreeSet<&str> = if example {
                    counterparts
                        .iter()
                        .filter_map(|p| real_keys.get(p.as_path()))
                        .flatten()
                        .map(String::as_str)
                        .collect()
                } else {
                    BTreeSet::new()
                };
                // Read by the services of one compose project: its names are that project's.
                let users_project = counterparts
                    .iter()
                    .find_map(|p| user_projects.get(p))
                    .filter(|projects| {
                        projects.len() == 1 && ctx.owners.owner_of(&file.path).is_none()
                    })
                    .and_then(|projects| projects.first())
                    .and_then(|scope| {
                        project_names
                            .get_key_value(scope)
                            .map(|(scope, names)| (scope.as_str(), names))
                    });
                let reading = EnvReading {
                    owners: &owners,
                    names: Names {
                        all: &names,
                        project: users_project
                            .or_else(|| enclosing_project(&file.path, &project_names)),
                    },
                    example,
                    deferred: &deferred,
                };
                extract_env_file(file, &reading, ctx, &mut facts);
            } else if is_app_config(&file.path) {
                let owner = match ctx.owners.owner_of(&file.path) {
                    Some(owner) => owner.to_string(),
                    None => directory_service(&file.path, &mut facts, Origin::AppConfig),
                };
                let names = Names {
                    all: &names,
                    project: enclosing_project(&file.path, &project_names),
                };
                extract_app_config(file, &owner, ctx, &names, &mut facts);
            }
        }
        // A service named after a directory exists only to send what its files name: one whose
        // files named nothing is no node.
        let senders: BTreeSet<String> = facts
            .flows
            .iter()
            .filter_map(|f| f.from.as_ref().map(|r| r.id.clone()))
            .collect();
        facts
            .nodes
            .retain(|n| !n.inferred || senders.contains(&n.id));
        facts
    }
}

/// A service named after the directory a file sits in (skipping generic names such as
/// `config` or `src/main/resources`), recorded as an inferred node.
fn directory_service(path: &Utf8Path, facts: &mut Facts, origin: Origin) -> String {
    const GENERIC: [&str; 10] = [
        "config",
        "configs",
        "conf",
        "settings",
        "resources",
        "main",
        "src",
        "env",
        "environments",
        "deploy",
    ];
    let name = path
        .parent()
        .into_iter()
        .flat_map(|p| p.ancestors())
        .filter_map(Utf8Path::file_name)
        .find(|name| !GENERIC.contains(name))
        .unwrap_or("app")
        .to_string();
    if !facts.nodes.iter().any(|n| n.id == name) {
        let mut node = NodeFact::new(name.clone(), origin);
        node.kind = Some(NodeKind::Service);
        node.inferred = true;
        facts.nodes.push(node);
    }
    name
}

/// One `KEY=VALUE` line: the key and the byte range of the value (without quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    pub key: String,
    pub value: String,
    pub range: Range<usize>,
}

/// Parses dotenv text (also `.properties` when `colon` is set, which allows `key: value`).
pub fn parse_entries(text: &str, colon: bool) -> Vec<EnvEntry> {
    let mut entries = Vec::new();
    let mut offset = 0;
    for raw_line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') || content.starts_with('!') {
            continue;
        }
        let mut start = line_start + (line.len() - content.len());
        let content = match content.strip_prefix("export ") {
            Some(rest) => {
                let rest_trimmed = rest.trim_start();
                start += content.len() - rest_trimmed.len();
                rest_trimmed
            }
            None => content,
        };
        let separator = content.find(|c: char| c == '=' || (colon && c == ':'));
        let Some(separator) = separator else { continue };
        let key = content[..separator].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        let after = &content[separator + 1..];
        let value_text = after.trim_start();
        let mut value_start = start + separator + 1 + (after.len() - value_text.len());
        let value = if let Some(quoted) = value_text.strip_prefix(['"', '\'']) {
            let quote = value_text.chars().next().unwrap_or('"');
            value_start += 1;
            match quoted.find(quote) {
                Some(end) => &quoted[..end],
                None => quoted,
            }
        } else {
            // An unquoted value ends at ` #`, the start of an inline comment.
            let end = value_text.find(" #").unwrap_or(value_text.len());
            value_text[..end].trim_end()
        };
        entries.push(EnvEntry {
            key: key.to_string(),
            value: value.to_string(),
            range: value_start..value_start + value.len(),
        });
    }
    entries
}

/// The compose service names an env file or app config may use.
struct Names<'a> {
    /// Every compose service's names, whatever its project.
    all: &'a BTreeMap<String, String>,
    /// The compose project the file belongs to (whose services read it, else the one of its
    /// directory or the nearest above), and that project's names.
    project: Option<(&'a str, &'a BTreeMap<String, String>)>,
}

impl Names<'_> {
    /// A flow from `owner` to `host`. A name the file's own compose project declares is that
    /// project's service (its flow is written in that scope, see `model::scope_ids`), even when
    /// another project uses the name too; any other name is looked up among all services.
    fn flow(&self, owner: &str, host: &str, span: Span, origin: Origin) -> Option<FlowFact> {
        if let Some((scope, names)) = self.project
            && names.contains_key(host)
        {
            let mut flow = flow_to_host(owner, host, span, names, origin)?;
            flow.scope = Some(scope.to_string());
            return Some(flow);
        }
        flow_to_host(owner, host, span, self.all, origin)
    }
}

/// The compose project of the file's directory, else of the nearest directory above with one.
fn enclosing_project<'a>(
    path: &Utf8Path,
    projects: &'a BTreeMap<String, BTreeMap<String, String>>,
) -> Option<(&'a str, &'a BTreeMap<String, String>)> {
    path.ancestors().skip(1).find_map(|directory| {
        let scope = compose::project_scope(&directory.join("compose.yaml"));
        projects
            .get_key_value(&scope)
            .map(|(scope, names)| (scope.as_str(), names))
    })
}

/// Who a dotenv file's flows come from, and how to read it.
struct EnvReading<'a> {
    owners: &'a [String],
    names: Names<'a>,
    /// An example file: placeholders are skipped.
    example: bool,
    /// Keys the real file beside an example sets: the example's value for them is not read.
    deferred: &'a BTreeSet<&'a str>,
}

fn extract_env_file(
    file: &SourceFile,
    reading: &EnvReading<'_>,
    ctx: &ExtractContext<'_>,
    facts: &mut Facts,
) {
    let (owners, names) = (reading.owners, &reading.names);
    for entry in parse_entries(&file.text, false) {
        if reading.deferred.contains(entry.key.as_str())
            || (reading.example && is_placeholder(&entry.value))
        {
            continue;
        }
        let span = file.span(entry.range.clone());
        let hosts: Vec<String> = candidates(ctx.rules.settings(), &entry.key, &entry.value)
            .into_iter()
            .map(|c| c.host)
            .collect();
        for host in hosts {
            for owner in owners {
                if let Some(flow) = names.flow(owner, &host, span, Origin::Env) {
                    facts.flows.push(flow);
                }
            }
        }
    }
}

fn extract_app_config(
    file: &SourceFile,
    owner: &str,
    ctx: &ExtractContext<'_>,
    names: &Names<'_>,
    facts: &mut Facts,
) {
    let extension = file.path.extension().unwrap_or("").to_ascii_lowercase();
    if extension == "properties" {
        for entry in parse_entries(&file.text, true) {
            let span = file.span(entry.range.clone());
            let key = entry
                .key
                .rsplit('.')
                .next()
                .unwrap_or(&entry.key)
                .to_string();
            if super::urls::is_quiet_key(&entry.key) {
                continue;
            }
            let Some(value) = placeholder_defaults(&entry.value) else {
                continue;
            };
            for candidate in hosts_in_value(&key, &value) {
                if let Some(flow) = names.flow(owner, &candidate.host, span, Origin::AppConfig) {
                    facts.flows.push(flow);
                }
            }
        }
        return;
    }
    // ERB is evaluated to the defaults it names, at the same offsets, so spans still point into
    // the file. A file with ERB, or a YAML file in a config directory (which the Kubernetes
    // extractor also reads, and reports), is parsed quietly: its errors are not this reader's.
    let erb = file.text.contains("<%");
    let quiet =
        erb || (extension != "json" && extension != "toml" && !is_named_app_config(&file.path));
    let evaluated;
    let parsed_file = if erb {
        evaluated = SourceFile::new(
            file.id,
            file.path.clone(),
            Arc::from(erb_defaults(&file.text)),
        );
        &evaluated
    } else {
        file
    };
    let mut scratch = Facts::default();
    let errors = if quiet { &mut scratch } else { &mut *facts };
    let document = if extension == "toml" {
        toml_tree(parsed_file, errors)
    } else {
        parse_document(parsed_file, errors)
    };
    let Some(document) = document else { return };
    // A manifest in a config directory is a Kubernetes resource, not an application's settings.
    if document.get("apiVersion").is_some() && document.get("kind").is_some() {
        return;
    }
    let mut seen = BTreeSet::new();
    let settled = setting_hosts(&document, ctx.rules.settings(), &mut |host, value| {
        let span = value.span(file);
        if seen.insert((span, host.clone()))
            && let Some(flow) = names.flow(owner, &host, span, Origin::AppConfig)
        {
            facts.flows.push(flow);
        }
    });
    endpoint_strings(&document, ctx.rules, &mut |key, value| {
        if settled.contains(&value.range.start) {
            return;
        }
        let Some(text) = value.as_str() else { return };
        let Some(text) = placeholder_defaults(text) else {
            return;
        };
        let span = value.span(file);
        for candidate in candidates(ctx.rules.settings(), key, &text) {
            let host = candidate.host;
            if seen.insert((span, host.clone()))
                && let Some(flow) = names.flow(owner, &host, span, Origin::AppConfig)
            {
                facts.flows.push(flow);
            }
        }
    });
}

/// How deep `${A:${B:default}}` placeholders may nest before the value is unknown.
const MAX_PLACEHOLDER_DEPTH: usize = 8;

/// A Spring-style value with each `${NAME:default}` replaced by its default (nested defaults
/// too; a shell-style `${NAME:-default}` also reads as its default). `None` when a placeholder has
/// no default: its value comes from the environment at run time and is unknown here.
pub fn placeholder_defaults(value: &str) -> Option<String> {
    placeholder_defaults_at(value, 0)
}

fn placeholder_defaults_at(value: &str, depth: usize) -> Option<String> {
    if !value.contains("${") {
        return Some(value.to_string());
    }
    if depth > MAX_PLACEHOLDER_DEPTH {
        return None;
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(open) = rest.find("${") {
        out.push_str(&rest[..open]);
        let body_start = &rest[open + 2..];
        let close = matching_close(body_start)?;
        let body = &body_start[..close];
        // The OpenTelemetry Collector's `${env:NAME}` / `${env:NAME:-default}` name a variable too.
        let body = body.strip_prefix("env:").unwrap_or(body);
        let (_, default) = body.split_once(':')?;
        let default = default.strip_prefix('-').unwrap_or(default);
        out.push_str(&placeholder_defaults_at(default, depth + 1)?);
        rest = &body_start[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The index of the `}` that closes a `${`, counting nested `${...}`.
fn matching_close(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
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

/// The text with every ERB tag replaced, at the same length, by the default it names
/// (`<%= ENV.fetch("X", "default") %>`, `<%= ENV["X"] || "default" %>`,
/// `<%= ENV.fetch("X") { "default" } %>`) padded with spaces, or by spaces when it names none
/// (a control tag or a bare `ENV["X"]`: unknown). Newlines are kept, so lines do not move.
pub fn erb_defaults(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("<%") {
        out.push_str(&rest[..open]);
        let tag_and_after = &rest[open..];
        let Some(close) = tag_and_after.find("%>") else {
            blank(tag_and_after, &mut out);
            rest = "";
            break;
        };
        let tag = &tag_and_after[..close + 2];
        match erb_default(tag) {
            Some(default) => {
                out.push_str(default);
                out.extend(std::iter::repeat_n(' ', tag.len() - default.len()));
            }
            None => blank(tag, &mut out),
        }
        rest = &tag_and_after[close + 2..];
    }
    out.push_str(rest);
    out
}

/// Spaces for every byte of `text` except newlines.
fn blank(text: &str, out: &mut String) {
    for c in text.chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
}

/// The default an ERB output tag reads from the environment with, if it names one.
fn erb_default(tag: &str) -> Option<&str> {
    let code = tag.strip_prefix("<%=")?;
    if !code.contains("ENV") {
        return None;
    }
    let literals = string_literals(code);
    if code.contains("||") {
        let after = code.split_once("||").map(|(_, a)| a)?;
        return string_literals(after).first().copied();
    }
    if code.contains("fetch") {
        return literals.get(1).copied();
    }
    None
}

/// The contents of the quoted literals in a piece of Ruby, in order (no escapes inside).
fn string_literals(code: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = &rest[start..start + 1];
        let after = &rest[start + 1..];
        let Some(end) = after.find(quote) else { break };
        found.push(&after[..end]);
        rest = &after[end + 1..];
    }
    found
}

/// A TOML file as the same spanned tree the YAML extractors walk.
fn toml_tree(file: &SourceFile, facts: &mut Facts) -> Option<YamlNode> {
    match toml::de::DeTable::parse(&file.text) {
        Ok(table) => Some(YamlNode {
            range: table.span(),
            value: toml_table(table.get_ref()),
        }),
        Err(error) => {
            let span = error
                .span()
                .map(|r| file.span(r))
                .unwrap_or_else(|| file.line_span(1));
            let message = error
                .message()
                .lines()
                .next()
                .unwrap_or("malformed TOML")
                .to_string();
            facts.input_error(Some(span), None, format!("toml: {}: {message}", file.path));
            None
        }
    }
}

fn toml_table(table: &toml::de::DeTable<'_>) -> YamlValue {
    YamlValue::Map(
        table
            .iter()
            .map(|(key, value)| {
                let key_node = YamlNode {
                    range: key.span(),
                    value: YamlValue::Scalar(key.get_ref().to_string()),
                };
                (key_node, toml_node(value))
            })
            .collect(),
    )
}

fn toml_node(value: &toml::Spanned<toml::de::DeValue<'_>>) -> YamlNode {
    let converted = match value.get_ref() {
        toml::de::DeValue::String(text) => YamlValue::Scalar(text.to_string()),
        toml::de::DeValue::Array(items) => YamlValue::Seq(items.iter().map(toml_node).collect()),
        toml::de::DeValue::Table(table) => toml_table(table),
        // Numbers, booleans and dates never name a host.
        _ => YamlValue::Null,
    };
    YamlNode {
        range: value.span(),
        value: converted,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::extract::Owners;
    use crate::facts::FlowTarget;
    use crate::rules::RuleSet;
    use crate::source::FileId;
    use std::sync::Arc;

    fn run(files: &[(&str, &str)]) -> (Facts, Vec<SourceFile>) {
        let rules = RuleSet::builtin().unwrap();
        let owners = Owners::default();
        let ctx = ExtractContext {
            rules: &rules,
            owners: &owners,
        };
        let sources: Vec<SourceFile> = files
            .iter()
            .enumerate()
            .map(|(i, (path, text))| {
                SourceFile::new(FileId(i as u32), (*path).into(), Arc::from(*text))
            })
            .collect();
        let refs: Vec<&SourceFile> = sources
            .iter()
            .filter(|f| EnvExtractor.claims(&f.path))
            .collect();
        (EnvExtractor.extract(&refs, &ctx), sources)
    }

    fn flows(facts: &Facts, sources: &[SourceFile]) -> Vec<(String, String, u32)> {
        let mut found: Vec<_> = facts
            .flows
            .iter()
            .map(|f| {
                let to = match &f.to {
                    FlowTarget::Node(n) => format!("node:{}", n.id),
                    FlowTarget::Host { host, .. } => host.clone(),
                };
                let span = f.span.unwrap();
                let from = f.from.as_ref().map(|r| r.id.clone()).unwrap_or_default();
                (
                    from,
                    to,
                    sources[span.file.0 as usize].line_column(span.start).line,
                )
            })
            .collect();
        found.sort();
        found
    }

    #[test]
    fn dotenv_lines() {
        let text = "# comment\nexport A=\"https://x.io/a\" # c\r\nB='b c'\nC=plain value # note\n#D=https://old.io\n\nbroken line\n";
        let entries = parse_entries(text, false);
        let keys: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            keys,
            [("A", "https://x.io/a"), ("B", "b c"), ("C", "plain value")]
        );
        assert_eq!(&text[entries[0].range.clone()], "https://x.io/a");
    }

    #[test]
    fn env_files_belong_to_their_compose_services() {
        let (facts, sources) = run(&[
            (
                "docker-compose.yml",
                "services:\n  web:\n    env_file: ./web/.env\n  worker:\n    env_file:\n      - path: web/.env\n  db:\n    image: postgres\n",
            ),
            (
                "web/.env",
                "DD_SITE=datadoghq.eu\nDATABASE_URL=postgres://db:5432/app\n# SENTRY_DSN=https://k@o1.ingest.sentry.io/1\nDOCS=https://docs.sentry.io/platforms\n",
            ),
            (
                "web/.env.example",
                "SENTRY_DSN=https://k@o1.ingest.sentry.io/1\nDD_SITE=datadoghq.com\nPOSTHOG_HOST=https://your-project.posthog.com\n",
            ),
            (
                "billing/.env.production",
                "MIXPANEL_API_HOST=api-eu.mixpanel.com\n",
            ),
        ]);
        assert_eq!(
            flows(&facts, &sources),
            [
                ("billing".into(), "api-eu.mixpanel.com".into(), 1),
                ("web".into(), "api.datadoghq.eu".into(), 1),
                ("web".into(), "node:db".into(), 2),
                // The example's DSN (the real file's is commented out); its DD_SITE defers to
                // the real file's, and its PostHog host is a placeholder.
                ("web".into(), "o1.ingest.sentry.io".into(), 1),
                ("worker".into(), "api.datadoghq.eu".into(), 1),
                ("worker".into(), "node:db".into(), 2),
                ("worker".into(), "o1.ingest.sentry.io".into(), 1),
            ]
        );
        assert_eq!(
            facts
                .nodes
                .iter()
                .map(|n| n.id.as_str())
                .collect::<Vec<_>>(),
            ["billing"]
        );
    }

    #[test]
    fn app_configs_in_every_format() {
        let (facts, sources) = run(&[
            (
                "orders/appsettings.Production.json",
                "{\n  \"$schema\": \"https://json.schemastore.org/appsettings.json\",\n  \"Sentry\": { \"Dsn\": \"https://k@o9.ingest.de.sentry.io/3\" }\n}\n",
            ),
            (
                "shipping/src/main/resources/application.yml",
                "spring:\n  datasource:\n    url: jdbc:postgresql://orders.c1.ap-south-1.rds.amazonaws.com:5432/x\n",
            ),
            (
                "shipping/src/main/resources/application.properties",
                "# tracking.url=https://api.old.io\ntracking.url=https://api.aftership.com/v4\n",
            ),
            (
                "mailer/config.toml",
                "[smtp]\nhost = \"smtp.eu.sparkpost.com\"\nport = 587\n",
            ),
            ("broken/config.json", "{\n  \"a\": [1,\n}\n"),
            ("broken/config.toml", "a = \n"),
        ]);
        assert_eq!(
            flows(&facts, &sources),
            [
                ("mailer".into(), "smtp.eu.sparkpost.com".into(), 2),
                ("orders".into(), "o9.ingest.de.sentry.io".into(), 3),
                ("shipping".into(), "api.aftership.com".into(), 2),
                (
                    "shipping".into(),
                    "orders.c1.ap-south-1.rds.amazonaws.com".into(),
                    3
                ),
            ]
        );
        assert_eq!(facts.diagnostics.len(), 2, "{:?}", facts.diagnostics);
    }

    #[test]
    fn which_files_are_examples_and_configs() {
        let example = |p: &str| is_env_example(Utf8Path::new(p));
        for path in [
            "a/.env.example",
            ".env.sample",
            ".env.template",
            ".env.dist",
            "env.example",
            ".env.production.example",
            "example.env",
        ] {
            assert!(example(path), "{path}");
            assert!(!is_env_file(Utf8Path::new(path)), "{path}");
        }
        assert!(!example(".env") && !example(".env.production") && !example("env.rs"));
        let config = |p: &str| is_app_config(Utf8Path::new(p));
        for path in [
            "svc/config/default.json",
            "svc/config/production.json",
            "config/database.yml",
            "conf/app.toml",
            "settings/base.yaml",
            "config/environments/staging.yml",
            "src/main/resources/application-prod.yml",
            "otel-collector/otel-collector-config.yaml",
            "src/otel-collector/otelcol-config.yml",
        ] {
            assert!(config(path), "{path}");
        }
        for path in [
            "config/locales/en.yml",
            "config/package.json",
            "config/tsconfig.json",
            "config/values.schema.json",
            "config/schema.json",
            "config/composer.lock",
            "test/config/default.json",
            "config/fixtures/users.json",
            "src/app/data.json",
            "package.json",
            "config/main.tf.json",
        ] {
            assert!(!config(path), "{path}");
        }
    }

    #[test]
    fn placeholders_and_erb_defaults() {
        assert_eq!(
            placeholder_defaults("${URL:https://a.io/x}").as_deref(),
            Some("https://a.io/x")
        );
        assert_eq!(
            placeholder_defaults("${A:${B:https://b.io}}/v1").as_deref(),
            Some("https://b.io/v1")
        );
        assert_eq!(
            placeholder_defaults("${env:HOST:-api.x.io}:4317").as_deref(),
            Some("api.x.io:4317")
        );
        assert_eq!(placeholder_defaults("${AUDIT_ENDPOINT}"), None);
        assert_eq!(placeholder_defaults("${env:MY_POD_IP}:4317"), None);
        assert_eq!(placeholder_defaults("${UNCLOSED:x"), None);
        let deep = format!("{}x{}", "${A:".repeat(5_000), "}".repeat(5_000));
        assert_eq!(placeholder_defaults(&deep), None);
        assert!(is_placeholder("https://your-key@o0.ingest.sentry.io/0"));
        assert!(is_placeholder("<host>") && is_placeholder("changeme"));
        assert!(!is_placeholder("https://api.razorpay.com/v1"));

        let text = "a: <%= ENV.fetch(\"X\", \"https://a.io\") %>\nb: <%= ENV['Y'] || 'https://b.io' %>\n<% if x %>\nc: <%= ENV.fetch('Z') { \"https://c.io\" } %>\nd: <%= ENV[\"D\"] %>\n<% end";
        let evaluated = erb_defaults(text);
        assert_eq!(evaluated.len(), text.len());
        assert_eq!(evaluated.lines().count(), text.lines().count());
        let lines: Vec<&str> = evaluated.lines().map(str::trim_end).collect();
        assert_eq!(
            lines,
            [
                "a: https://a.io",
                "b: https://b.io",
                "",
                "c: https://c.io",
                "d:",
                ""
            ]
        );
    }
}
