//! Which extractor owns a path, in one place: the compose, env and Kubernetes extractors claim
//! files by these names, and ask them (never each other) where one format's files end and
//! another's begin.
//!
//! A compose file is compose's; a `.env` (and its examples) is the env extractor's, and compose
//! also reads the one beside it for interpolation ([`is_interpolation_env`]). App configs are
//! claimed by name (`appsettings*.json`, `application*.yml|properties`,
//! `config*.json|yaml|toml`) and by directory (`*.json|yaml|yml|toml` directly in `config/`,
//! `conf/`, `configs/`, `settings/`, or their `environments/`), never package manifests, lock
//! files, tool configs, schemas, locales or test data. Any other YAML outside Helm templates and
//! CI configs is a Kubernetes manifest or Helm values file.

use camino::{Utf8Path, Utf8PathBuf};

/// True for the file names docker compose reads.
pub fn is_compose_file(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    (name.starts_with("docker-compose") || name.starts_with("compose"))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}
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
pub fn real_counterparts(path: &Utf8Path) -> Vec<Utf8PathBuf> {
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
/// Directories of a forge's or a CI service's own settings (issue forms, pipelines).
const CI_DIRECTORIES: [&str; 4] = [".github", ".circleci", ".gitlab", ".buildkite"];
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
    // `.github/ISSUE_TEMPLATE/config.yml`, `.circleci/config.yml`: a CI service's or a forge's
    // own settings, whatever their name; no service runs with them.
    if path
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .any(|c| CI_DIRECTORIES.contains(&c.as_str()))
    {
        return false;
    }
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

/// True for YAML files the Kubernetes extractor reads: any YAML that is not a compose file, a
/// named app config, a Helm template or a CI or tool config.
pub fn is_kubernetes_yaml(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
        return false;
    }
    if is_compose_file(path) || is_named_app_config(path) {
        return false;
    }
    // Helm templates are Go templates, not YAML; CI and tool configs are not deployments.
    if path
        .components()
        .any(|c| c.as_str() == "templates" || CI_DIRECTORIES.contains(&c.as_str()))
    {
        return false;
    }
    !(name.starts_with(".gitlab-ci")
        || name.starts_with(".pre-commit")
        || name.ends_with("lock.yaml")
        || name == "mkdocs.yml")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one owner of each kind of YAML file among compose, env (app configs) and Kubernetes.
    fn owner(path: &str) -> Vec<&'static str> {
        let path = Utf8Path::new(path);
        let mut owners = Vec::new();
        if is_compose_file(path) {
            owners.push("compose");
        }
        if is_app_config(path) {
            owners.push("env");
        }
        if is_kubernetes_yaml(path) {
            owners.push("kubernetes");
        }
        owners
    }

    #[test]
    fn a_yaml_file_has_one_owner() {
        assert_eq!(owner("deploy/docker-compose.prod.yml"), ["compose"]);
        assert_eq!(owner("compose.yaml"), ["compose"]);
        assert_eq!(owner("src/main/resources/application.yml"), ["env"]);
        assert_eq!(owner("otel-collector-config.yaml"), ["env"]);
        assert_eq!(owner("k8s/deployment.yaml"), ["kubernetes"]);
        assert_eq!(owner("charts/api/values.yaml"), ["kubernetes"]);
        // Helm templates and CI configs are no one's.
        assert!(owner("charts/api/templates/deployment.yaml").is_empty());
        assert!(owner(".github/workflows/ci.yml").is_empty());
        // Named like an app config, but a forge's or a CI service's settings.
        assert!(owner(".github/ISSUE_TEMPLATE/config.yml").is_empty());
        assert!(owner(".circleci/config.yml").is_empty());
        assert!(owner(".gitlab/config.yaml").is_empty());
    }

    #[test]
    fn dotenv_examples_stand_for_the_real_file_beside_them() {
        assert!(is_env_file(Utf8Path::new(".env.production")));
        assert!(!is_env_file(Utf8Path::new(".env.example")));
        assert!(is_env_example(Utf8Path::new("api/.env.production.sample")));
        assert_eq!(
            real_counterparts(Utf8Path::new("api/.env.production.sample")),
            [
                Utf8PathBuf::from("api/.env"),
                Utf8PathBuf::from("api/.env.production")
            ]
        );
        assert!(is_interpolation_env(Utf8Path::new(".env.example")));
        assert!(!is_interpolation_env(Utf8Path::new(
            ".env.production.example"
        )));
    }
}
