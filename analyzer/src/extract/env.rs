//! `.env` files and application configs (appsettings.json, application.yml, config.toml, ...): endpoint-valued keys as host flows.
//!
//! A `.env` file belongs to the node whose `paths` cover it, else to every compose service that
//! lists it under `env_file`, else to a service named after its directory. `KEY=VALUE` lines are
//! read as dotenv does (`export `, quotes, comments). Keys whose value is a URL, or a bare host
//! under a host-like key, become host flows; vendor site keys are expanded (`DD_SITE=datadoghq.eu`
//! means the intake `api.datadoghq.eu`). Example files (`.env.example`, `.env.sample`) hold
//! placeholders, not configuration, and are not read. App configs are walked whole, with spans.

use super::compose::{self, flow_to_host};
use super::urls::{hosts_in_value, site_host};
use super::yaml::{YamlNode, YamlValue, endpoint_strings, parse_document};
use super::{ExtractContext, Extractor};
use crate::model::facts::{Facts, NodeFact, NodeKind, Origin};
use crate::source::SourceFile;
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// Reads `.env*` files and app configs; reads compose files only to learn who uses which env file.
#[derive(Debug, Default)]
pub struct EnvExtractor;

/// True for dotenv files that hold real configuration.
pub fn is_env_file(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    let example = ["example", "sample", "template", "tmpl", "dist.example"]
        .iter()
        .any(|suffix| name.ends_with(&format!(".{suffix}")));
    (name == ".env" || name.starts_with(".env.") || (name.ends_with(".env") && name.len() > 4))
        && !example
}

/// True for application config files: `appsettings*.json`, `application*.{yml,yaml,properties}`, `config*.{toml,yaml,yml,json}`.
pub fn is_app_config(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    let extension = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    // `config.tf.json` and `config.auto.tfvars.json` are Terraform's, read by its extractor.
    if [".tf.json", ".tofu.json", ".tfvars.json"]
        .iter()
        .any(|terraform| name.ends_with(terraform))
    {
        return false;
    }
    (name.starts_with("appsettings") && extension == "json")
        || (name.starts_with("application") && matches!(extension, "yml" | "yaml" | "properties"))
        || (name.starts_with("config") && matches!(extension, "toml" | "yaml" | "yml" | "json"))
}

impl Extractor for EnvExtractor {
    fn name(&self) -> &'static str {
        "env"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        is_env_file(path) || is_app_config(path) || compose::is_compose_file(path)
    }

    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
        // Compose files: who reads which env file, and the service names an env value may use.
        // Their parse errors are the compose extractor's to report.
        let mut users: BTreeMap<Utf8PathBuf, BTreeSet<String>> = BTreeMap::new();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for file in files.iter().filter(|f| compose::is_compose_file(&f.path)) {
            let Some(document) = parse_document(file, &mut Facts::default()) else {
                continue;
            };
            for (service, path) in compose::env_file_references(file, &document, ctx.owners) {
                users.entry(path).or_default().insert(service);
            }
            names.extend(compose::service_names(&compose::services(
                file, &document, ctx.owners,
            )));
        }
        let mut facts = Facts::default();
        for file in files {
            if is_env_file(&file.path) {
                let owners: Vec<String> = match ctx.owners.owner_of(&file.path) {
                    Some(owner) => vec![owner.to_string()],
                    None => match users.get(&file.path) {
                        Some(services) => services.iter().cloned().collect(),
                        None => vec![directory_service(&file.path, &mut facts, Origin::Env)],
                    },
                };
                extract_env_file(file, &owners, &names, &mut facts);
            } else if is_app_config(&file.path) {
                let owner = match ctx.owners.owner_of(&file.path) {
                    Some(owner) => owner.to_string(),
                    None => directory_service(&file.path, &mut facts, Origin::AppConfig),
                };
                extract_app_config(file, &owner, ctx, &names, &mut facts);
            }
        }
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

fn extract_env_file(
    file: &SourceFile,
    owners: &[String],
    names: &BTreeMap<String, String>,
    facts: &mut Facts,
) {
    for entry in parse_entries(&file.text, false) {
        let span = file.span(entry.range.clone());
        let hosts: Vec<String> = match site_host(&entry.key, &entry.value) {
            Some(host) => vec![host],
            None => hosts_in_value(&entry.key, &entry.value)
                .into_iter()
                .map(|c| c.host)
                .collect(),
        };
        for host in hosts {
            for owner in owners {
                if let Some(flow) = flow_to_host(owner, &host, span, names, Origin::Env) {
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
    names: &BTreeMap<String, String>,
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
            for candidate in hosts_in_value(&key, &entry.value) {
                if let Some(flow) =
                    flow_to_host(owner, &candidate.host, span, names, Origin::AppConfig)
                {
                    facts.flows.push(flow);
                }
            }
        }
        return;
    }
    let document = if extension == "toml" {
        toml_tree(file, facts)
    } else {
        parse_document(file, facts)
    };
    let Some(document) = document else { return };
    let mut seen = BTreeSet::new();
    endpoint_strings(&document, ctx.rules, &mut |key, value| {
        let Some(text) = value.as_str() else { return };
        let span = value.span(file);
        let hosts: Vec<String> = match site_host(key, text) {
            Some(host) => vec![host],
            None => hosts_in_value(key, text)
                .into_iter()
                .map(|c| c.host)
                .collect(),
        };
        for host in hosts {
            if seen.insert((span, host.clone()))
                && let Some(flow) = flow_to_host(owner, &host, span, names, Origin::AppConfig)
            {
                facts.flows.push(flow);
            }
        }
    });
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
    use crate::model::facts::FlowTarget;
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
                "SENTRY_DSN=https://k@o1.ingest.sentry.io/1\n",
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
                ("worker".into(), "api.datadoghq.eu".into(), 1),
                ("worker".into(), "node:db".into(), 2),
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
}
