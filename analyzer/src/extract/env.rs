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

use super::classify::{
    is_app_config, is_compose_file, is_env_example, is_env_file, is_interpolation_env,
    is_named_app_config, real_counterparts,
};
use super::services::{flow_to_host, project_scope};
use super::urls::{candidates, hosts_in_value};
use super::values::{is_placeholder, parse_entries, placeholder_defaults};
use super::yaml::{YamlNode, YamlValue, endpoint_strings, parse_document, setting_hosts};
use super::{ExtractContext, Extractor};
use crate::facts::{ComposeServices, Facts, FlowFact, NodeFact, NodeKind, Origin};
use crate::source::{SourceFile, Span};
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Reads `.env*` files and app configs. It claims compose files without reading them, for the
/// directories they are in and so that a cache key over its files covers the compose facts it
/// joins (see [`Extractor::extract_joined`]).
#[derive(Debug, Default)]
pub struct EnvExtractor;

impl Extractor for EnvExtractor {
    fn name(&self) -> &'static str {
        "env"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        is_env_file(path)
            || is_env_example(path)
            || is_app_config(path)
            || is_compose_file(path)
            // Static-site generator configurations: read in `extract_files` to find site trees.
            || super::sites::is_marker_name(path)
    }

    /// Without compose's facts: as if no compose service read an env file.
    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
        self.extract_joined(files, &[], ctx)
    }

    fn extract_joined(
        &self,
        files: &[&SourceFile],
        compose: &[ComposeServices],
        ctx: &ExtractContext<'_>,
    ) -> Facts {
        let uses = ComposeUses::of(compose);
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
            .filter(|f| is_compose_file(&f.path))
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
                    .any(|p| uses.users.contains_key(p))
                && !uses.users.contains_key(&file.path)
                && compose_directories.contains(file.path.parent().unwrap_or(Utf8Path::new("")))
            {
                continue;
            }
            if is_env_file(&file.path) || is_env_example(&file.path) {
                read_env_file(file, &uses, &real_keys, ctx, &mut facts);
            } else if is_app_config(&file.path) {
                let owner = match ctx.owners.owner_of(&file.path) {
                    Some(owner) => owner.to_string(),
                    None => directory_service(&file.path, &mut facts, Origin::AppConfig),
                };
                let names = Names {
                    all: &uses.names,
                    project: enclosing_project(&file.path, &uses.project_names),
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

/// Who reads which env file, and the service names an env value may use, as the compose
/// extractor reported them.
#[derive(Debug, Default)]
struct ComposeUses {
    /// The services that list each env file under `env_file`.
    users: BTreeMap<Utf8PathBuf, BTreeSet<String>>,
    /// Every service's names, whatever its project.
    names: BTreeMap<String, String>,
    /// The compose projects whose services read each env file, and each project's names: an
    /// env file of one project's services names that project's containers.
    user_projects: BTreeMap<Utf8PathBuf, BTreeSet<String>>,
    project_names: BTreeMap<String, BTreeMap<String, String>>,
}

impl ComposeUses {
    fn of(compose: &[ComposeServices]) -> ComposeUses {
        let mut uses = ComposeUses::default();
        for compose in compose {
            for (service, path) in &compose.env_files {
                let path = Utf8PathBuf::from(path);
                uses.user_projects
                    .entry(path.clone())
                    .or_default()
                    .insert(compose.scope.clone());
                uses.users.entry(path).or_default().insert(service.clone());
            }
            let known = uses.project_names.entry(compose.scope.clone()).or_default();
            for (name, id) in &compose.names {
                known.entry(name.clone()).or_insert_with(|| id.clone());
            }
            uses.names.extend(compose.names.clone());
        }
        uses
    }
}

/// A dotenv file or an example of one: its owners (the node whose `paths` cover it, else the
/// compose services that read it, else a service named after its directory), the keys it defers
/// to the real file beside it, and the names its values may use.
fn read_env_file(
    file: &SourceFile,
    uses: &ComposeUses,
    real_keys: &BTreeMap<&Utf8Path, BTreeSet<String>>,
    ctx: &ExtractContext<'_>,
    facts: &mut Facts,
) {
    let example = is_env_example(&file.path);
    let counterparts = if example {
        real_counterparts(&file.path)
    } else {
        vec![file.path.clone()]
    };
    let owners: Vec<String> = match ctx.owners.owner_of(&file.path) {
        Some(owner) => vec![owner.to_string()],
        None => match counterparts.iter().find_map(|p| uses.users.get(p)) {
            Some(services) => services.iter().cloned().collect(),
            None => vec![directory_service(&file.path, facts, Origin::Env)],
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
        .find_map(|p| uses.user_projects.get(p))
        .filter(|projects| projects.len() == 1 && ctx.owners.owner_of(&file.path).is_none())
        .and_then(|projects| projects.first())
        .and_then(|scope| {
            uses.project_names
                .get_key_value(scope)
                .map(|(scope, names)| (scope.as_str(), names))
        });
    let reading = EnvReading {
        owners: &owners,
        names: Names {
            all: &uses.names,
            project: users_project.or_else(|| enclosing_project(&file.path, &uses.project_names)),
        },
        example,
        deferred: &deferred,
    };
    extract_env_file(file, &reading, ctx, facts);
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
        let scope = project_scope(&directory.join("compose.yaml"));
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
            terraform: &[],
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
        // The compose extractor runs first, as in `extract::engine`, for its facts to join.
        let compose = crate::extract::extractors()
            .into_iter()
            .find(|e| e.name() == "compose")
            .unwrap();
        let composed: Vec<&SourceFile> =
            sources.iter().filter(|f| compose.claims(&f.path)).collect();
        let composed = compose.extract(&composed, &ctx);
        (
            EnvExtractor.extract_joined(&refs, &composed.compose_services, &ctx),
            sources,
        )
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
