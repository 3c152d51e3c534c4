//! Vendor site settings (`rules/settings.toml`): configuration keys whose value names a vendor's
//! site or region rather than a host, and the host each value means.
//!
//! `DD_SITE=datadoghq.eu` sends to `api.datadoghq.eu`; a `DatadogAgent` resource without a site
//! sends to the documented default `datadoghq.com`. Which keys, resources and defaults exist is a
//! provider fact, so it lives in rule data with a source and a date; the extractors only ask
//! [`Settings`] what a key and value mean.

use super::load::{Context, Defaults, Item, Provenance};
use super::model::Confidence;
use super::raw::RawMeta;
use crate::date::Date;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;
use toml::value::Datetime;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsFile {
    pub meta: RawMeta,
    #[serde(default)]
    pub setting: Vec<RawSetting>,
}

/// One `[[setting]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSetting {
    pub id: Spanned<String>,
    pub vendor: Spanned<String>,
    #[serde(default)]
    pub env: Vec<Spanned<String>>,
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    pub resource: Option<RawResource>,
    pub host: Option<Spanned<String>>,
    #[serde(default)]
    pub map: BTreeMap<String, Spanned<String>>,
    pub default: Option<Spanned<String>>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

/// A Kubernetes resource a setting is read from, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawResource {
    pub api_group: Spanned<String>,
    pub kind: Spanned<String>,
}

/// A Kubernetes resource kind: `apiVersion` group (before the `/`) and `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceKind {
    pub api_group: String,
    pub kind: String,
}

/// How a setting's value becomes a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// `api.{value}`: the value (a site) put into a host; a value that already carries the
    /// template's prefix is the host itself.
    Template(String),
    /// Lower-case value -> host (`eu` -> `collector.eu01.nr-data.net`).
    Map(BTreeMap<String, String>),
}

/// A vendor setting: where it is read, and what its value means.
#[derive(Debug, Clone)]
pub struct SiteSetting {
    pub id: String,
    pub vendor: String,
    /// Upper-case environment variable names; a leading `*` matches any prefix (`*_DD_SITE`).
    pub env: Vec<String>,
    /// Key paths, lower case, one segment each. Outside a resource a path matches the end of a
    /// key chain (`datadog.site` under any parent); inside one, the whole chain from the root.
    pub paths: Vec<Vec<String>>,
    pub resource: Option<ResourceKind>,
    pub value: SettingValue,
    /// The value when the resource is present without the key (the vendor's documented default).
    pub default: Option<String>,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// Every site setting, in file order.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    settings: Vec<SiteSetting>,
}

/// A value as a site: scheme and trailing slash dropped, lower case; `None` for a template,
/// a placeholder or anything that is not one DNS-like word.
fn site_value(value: &str) -> Option<String> {
    let value = value.trim();
    let value = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .unwrap_or(value)
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let valid = !value.is_empty()
        && value.len() <= 253
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    valid.then_some(value)
}

impl SiteSetting {
    /// The host a value of this setting means, or `None` when the value is not one it knows.
    pub fn host_for(&self, value: &str) -> Option<String> {
        let value = site_value(value)?;
        match &self.value {
            SettingValue::Template(template) => {
                let (prefix, suffix) = template.split_once("{value}")?;
                if value.starts_with(prefix) && value.ends_with(suffix) {
                    Some(value)
                } else {
                    Some(format!("{prefix}{value}{suffix}"))
                }
            }
            SettingValue::Map(map) => map.get(&value).cloned(),
        }
    }

    /// The host when the resource is present but the key is not.
    pub fn default_host(&self) -> Option<String> {
        self.default.as_deref().and_then(|d| self.host_for(d))
    }

    fn env_matches(&self, key: &str) -> bool {
        let key = key.trim().to_ascii_uppercase();
        self.env
            .iter()
            .any(|pattern| match pattern.strip_prefix('*') {
                Some(suffix) => key.ends_with(suffix),
                None => key == *pattern,
            })
    }
}

/// A key segment matches a path segment when equal (case-insensitive), or when it is an
/// OpenTelemetry component id `type/name` of that type (`datadog/eu` is a `datadog` exporter).
fn segment_matches(key: &str, pattern: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key == pattern
        || key
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn chain_ends_with(keys: &[&str], path: &[String]) -> bool {
    keys.len() >= path.len()
        && keys[keys.len() - path.len()..]
            .iter()
            .zip(path)
            .all(|(key, segment)| segment_matches(key, segment))
}

impl Settings {
    pub fn iter(&self) -> impl Iterator<Item = &SiteSetting> {
        self.settings.iter()
    }

    /// The host an environment variable's value means, when the variable is a vendor site key.
    pub fn env_host(&self, key: &str, value: &str) -> Option<String> {
        self.settings
            .iter()
            .filter(|s| s.resource.is_none() && s.env_matches(key))
            .find_map(|s| s.host_for(value))
    }

    /// The setting a key chain (outside any resource) ends with, if any: the value under it is
    /// the setting's, whether or not it names a site the setting knows.
    pub fn path_setting(&self, keys: &[&str]) -> Option<&SiteSetting> {
        self.settings.iter().find(|s| {
            s.resource.is_none() && s.paths.iter().any(|path| chain_ends_with(keys, path))
        })
    }

    /// The settings read from a resource of this `apiVersion` and `kind`.
    pub fn for_resource(&self, api_version: &str, kind: &str) -> Vec<&SiteSetting> {
        let group = api_version.split('/').next().unwrap_or("").trim();
        self.settings
            .iter()
            .filter(|s| {
                s.resource
                    .as_ref()
                    .is_some_and(|r| r.api_group.eq_ignore_ascii_case(group) && r.kind == kind)
            })
            .collect()
    }
}

fn is_env_pattern(text: &str) -> bool {
    let rest = text.strip_prefix('*').unwrap_or(text);
    !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn is_path_segment(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
}

/// Validates the settings and resolves their inherited source, date and confidence.
pub(super) fn build_settings(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    vendors: &BTreeSet<String>,
    records: Vec<Item<RawSetting>>,
) -> Settings {
    let mut settings = Vec::new();
    let mut ids = BTreeSet::new();
    for Item { file, value: r } in records {
        let id = r.id.get_ref().trim().to_string();
        if id.is_empty() || !ids.insert(id.clone()) {
            context.error(
                file,
                r.id.span(),
                format!("setting id `{id}` is empty or repeated"),
            );
        }
        let vendor = r.vendor.get_ref().trim().to_ascii_lowercase();
        if !vendors.contains(&vendor) {
            context.error(
                file,
                r.vendor.span(),
                format!("unknown vendor `{vendor}`: not in vendors.toml"),
            );
        }
        let env = env_patterns(context, file, &r);
        let paths = key_paths(context, file, &r);
        let resource = resource_kind(context, file, &r);
        if env.is_empty() && paths.is_empty() {
            context.error(
                file,
                r.id.span(),
                "a setting names `env` keys or key `paths`",
            );
        }
        if !env.is_empty() && resource.is_some() {
            context.error(
                file,
                r.id.span(),
                "a resource setting reads key `paths`, not `env`",
            );
        }
        let value = setting_value(context, file, &r);
        if let Some(default) = &r.default
            && resource.is_none()
        {
            context.error(
                file,
                default.span(),
                "`default` is read only for a `resource` (the key is absent from a resource that is present)",
            );
        }
        let Provenance {
            source,
            as_of,
            confidence,
        } = Provenance::of(
            context,
            defaults,
            file,
            r.source,
            r.as_of.as_ref(),
            r.confidence,
        );
        settings.push(SiteSetting {
            id,
            vendor,
            env,
            paths,
            resource,
            value,
            default: r.default.map(|d| d.get_ref().trim().to_string()),
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    Settings { settings }
}

/// The environment variable names a setting is read from: upper case, a leading `*` for any prefix.
fn env_patterns(context: &mut Context, file: usize, r: &RawSetting) -> Vec<String> {
    let mut env = Vec::new();
    for pattern in &r.env {
        let text = pattern.get_ref().trim().to_string();
        if !is_env_pattern(&text) {
            context.error(
                file,
                pattern.span(),
                format!("`{text}` is not an environment variable name (upper case, optionally starting with `*`)"),
            );
        }
        env.push(text);
    }
    env
}

/// The key paths a setting is read from, split at dots and lower case.
fn key_paths(context: &mut Context, file: usize, r: &RawSetting) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for path in &r.paths {
        let segments: Vec<String> = path
            .get_ref()
            .split('.')
            .map(|s| s.trim().to_ascii_lowercase())
            .collect();
        if !segments.iter().all(|s| is_path_segment(s)) {
            context.error(
                file,
                path.span(),
                format!(
                    "`{}` is not a key path (dot-separated keys)",
                    path.get_ref()
                ),
            );
        }
        paths.push(segments);
    }
    paths
}

/// The Kubernetes resource whose document a setting's paths are read from, if any.
fn resource_kind(context: &mut Context, file: usize, r: &RawSetting) -> Option<ResourceKind> {
    r.resource.as_ref().map(|resource| {
        for field in [&resource.api_group, &resource.kind] {
            if !is_path_segment(&field.get_ref().replace('.', "-")) {
                context.error(
                    file,
                    field.span(),
                    "a resource names an API group and a kind",
                );
            }
        }
        ResourceKind {
            api_group: resource.api_group.get_ref().trim().to_ascii_lowercase(),
            kind: resource.kind.get_ref().trim().to_string(),
        }
    })
}

/// How a setting's value becomes a host: a template with one `{value}`, or a map of values.
fn setting_value(context: &mut Context, file: usize, r: &RawSetting) -> SettingValue {
    match (&r.host, r.map.is_empty()) {
        (Some(host), true) => {
            let template = host.get_ref().trim().to_string();
            let ok = template.matches("{value}").count() == 1
                && is_host(&template.replace("{value}", "site"));
            if !ok {
                context.error(
                    file,
                    host.span(),
                    format!("`{template}` is not a host template (a host with one `{{value}}`)"),
                );
            }
            SettingValue::Template(template)
        }
        (None, false) => {
            let mut map = BTreeMap::new();
            for (value, host) in &r.map {
                let target = host.get_ref().trim().to_string();
                if !is_host(&target) {
                    context.error(file, host.span(), format!("`{target}` is not a host"));
                }
                map.insert(value.trim().to_ascii_lowercase(), target);
            }
            SettingValue::Map(map)
        }
        _ => {
            context.error(file, r.id.span(), "a setting has either `host` or `map`");
            SettingValue::Map(BTreeMap::new())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use crate::rules::RuleSet;

    #[test]
    fn datadog_sites_and_defaults() {
        let rules = RuleSet::builtin().unwrap();
        let settings = rules.settings();
        assert_eq!(
            settings.env_host("DD_SITE", "datadoghq.eu").as_deref(),
            Some("api.datadoghq.eu")
        );
        assert_eq!(
            settings
                .env_host("dd_site", "https://us5.datadoghq.com/")
                .as_deref(),
            Some("api.us5.datadoghq.com")
        );
        assert_eq!(
            settings
                .env_host("AGENT_DD_SITE", "api.datadoghq.com")
                .as_deref(),
            Some("api.datadoghq.com")
        );
        assert_eq!(settings.env_host("SITE", "datadoghq.eu"), None);
        assert_eq!(settings.env_host("DD_SITE", "${DD_SITE}"), None);
        let setting = settings
            .path_setting(&["exporters", "datadog/eu", "api", "site"])
            .unwrap();
        assert_eq!(
            setting.host_for("datadoghq.eu").as_deref(),
            Some("api.datadoghq.eu")
        );
        assert!(settings.path_setting(&["global", "site"]).is_none());
        let agent = settings.for_resource("datadoghq.com/v2alpha1", "DatadogAgent");
        assert_eq!(agent.len(), 1);
        assert_eq!(
            agent[0].default_host().as_deref(),
            Some("api.datadoghq.com")
        );
        assert!(settings.for_resource("apps/v1", "DatadogAgent").is_empty());
    }

    #[test]
    fn bad_settings_are_reported_at_their_line() {
        let dir = std::env::temp_dir().join(format!("borderline-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("settings.toml"),
            "[meta]\ntitle = \"t\"\nversion = \"1\"\nas_of = 2026-11-30\nsource = \"s\"\n\n[[setting]]\nid = \"x\"\nvendor = \"nobody\"\nenv = [\"dd site\"]\nhost = \"api.example\"\n",
        )
        .unwrap();
        let errors = RuleSet::load(Some(&dir)).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            text.iter()
                .any(|e| e.contains("settings.toml:9:") && e.contains("unknown vendor")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|e| e.contains("settings.toml:10:") && e.contains("environment variable")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|e| e.contains("settings.toml:11:") && e.contains("host template")),
            "{text:?}"
        );
    }
}
