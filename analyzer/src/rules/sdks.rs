//! The SDK catalogue (`rules/sdks.toml`): how a vendor SDK's initialisation or a cloud SDK's
//! client is written in code, which option carries its destination, and where it sends data when
//! the option is not given. Read by `extract/sdks.rs`; validated here, every problem at
//! file:line:col.

use super::load::{Context, Defaults, Item, Provenance};
use super::model::Confidence;
use crate::date::Date;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;
use toml::value::Datetime;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SdksFile {
    pub meta: super::raw::RawMeta,
    #[serde(default)]
    pub sdk: Vec<RawSdk>,
}

/// One `[[sdk]]` record as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSdk {
    pub id: Spanned<String>,
    pub name: String,
    /// `vendor` (a flow to a host) or `cloud` (a node in a provider region).
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    pub imports: Vec<Spanned<String>>,
    pub calls: Vec<Spanned<String>>,
    #[serde(default)]
    pub option: Vec<RawOption>,
    pub when_unset: Option<Spanned<String>>,
    pub default: Option<Spanned<String>>,
    pub provider: Option<Spanned<String>>,
    pub service: Option<Spanned<String>>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub stores: Vec<String>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub as_of: Option<Spanned<Datetime>>,
    pub confidence: Option<Confidence>,
}

/// One `[[sdk.option]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOption {
    pub names: Vec<String>,
    pub value: Spanned<String>,
    pub template: Option<Spanned<String>>,
    #[serde(default)]
    pub map: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pub first_argument: bool,
}

/// What an SDK call creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdkKind {
    /// A vendor's SDK: a flow to the host its options (or its default) name.
    Vendor,
    /// A cloud provider's client: a node in the region its options name.
    Cloud,
}

/// How an option's value becomes a host or a region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionValue {
    /// A URL or a bare host name: its host.
    Url,
    /// `template` with `{}` replaced by the value (a site `datadoghq.eu` to `api.datadoghq.eu`).
    Template(String),
    /// A fixed host per value, compared without case (`EU` to the EU host).
    Map(BTreeMap<String, String>),
    /// A cloud region id, or a region constant (`Region.AP_SOUTH_1`, `RegionEndpoint.APSouth1`).
    Region,
}

/// An option that carries the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdkOption {
    /// Names as written in any language (compared without case; `setName(` matches too).
    pub names: Vec<String>,
    pub value: OptionValue,
    /// The call's first argument is this option when it is a literal (`sentry::init("https://...")`).
    pub first_argument: bool,
}

/// Where an SDK sends data when its options do not say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WhenUnset {
    /// The SDK documents this default host.
    Default(String),
    /// The option is required or the destination is decided elsewhere: unknown.
    Unknown,
}

/// Which cloud service a client call is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceFrom {
    /// The call's first string argument (`boto3.client("dynamodb")`).
    FirstArgument,
    /// The part of the call name matched by `*` (`new *Client` on `new DynamoDBClient`).
    Wildcard,
    /// Always this service (`bigquery.Client`).
    Fixed(String),
}

/// One SDK of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sdk {
    pub id: String,
    pub name: String,
    pub kind: SdkKind,
    /// Import paths or package names; one must appear in the file's code or strings.
    pub imports: Vec<String>,
    /// Call or constructor names as written in code; `*` stands for identifier characters.
    pub calls: Vec<String>,
    pub options: Vec<SdkOption>,
    pub when_unset: WhenUnset,
    /// Cloud clients: the provider (`aws`, `gcp`) whose regions the region option names.
    pub provider: Option<String>,
    pub service: Option<ServiceFrom>,
    /// Cloud clients: the services a wildcard or first argument may name (lower case); empty: any.
    pub services: BTreeSet<String>,
    /// Cloud clients: the services that hold data (a store node rather than a service node).
    pub stores: BTreeSet<String>,
    pub note: Option<String>,
    pub source: String,
    pub as_of: Date,
    pub confidence: Confidence,
}

/// The key of a record: its id, lower case.
pub(super) fn key(r: &RawSdk) -> String {
    r.id.get_ref().trim().to_ascii_lowercase()
}

/// A host as the rule data may name it: lower-case DNS labels.
fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text.contains('.')
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
}

/// A call name: identifier characters, `.`, `:`, `\`, `*`, `->`, and one `new ` prefix.
fn is_call(text: &str) -> bool {
    let rest = text.strip_prefix("new ").unwrap_or(text);
    !rest.is_empty()
        && rest != "*"
        && rest.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '\\' | '*' | '-' | '>')
        })
        && rest.matches('*').count() <= 1
}

/// Validates the SDKs: a known kind, imports and calls that cannot match everything, options
/// whose value kind is complete, a `when_unset` that fits its `default`, and for a cloud client
/// its provider, service and region option.
pub(super) fn build(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    providers: &BTreeSet<String>,
    records: Vec<Item<RawSdk>>,
) -> Vec<Sdk> {
    let mut sdks = Vec::new();
    for Item { file, value: r } in records {
        let kind = sdk_kind(context, file, &r);
        let imports = imports(context, file, &r);
        let calls = calls(context, file, &r);
        let mut options = Vec::new();
        for option in &r.option {
            options.push(sdk_option(context, file, option));
        }
        let when_unset = when_unset(context, file, &r);
        let provider = r.provider.as_ref().map(|p| {
            let id = p.get_ref().trim().to_ascii_lowercase();
            if !providers.contains(&id) {
                context.error(
                    file,
                    p.span(),
                    format!("unknown provider `{id}`: not in providers.toml"),
                );
            }
            id
        });
        let service = r.service.as_ref().map(|s| match s.get_ref().trim() {
            "first-argument" => ServiceFrom::FirstArgument,
            "wildcard" => ServiceFrom::Wildcard,
            fixed => ServiceFrom::Fixed(fixed.to_ascii_lowercase()),
        });
        if kind == SdkKind::Cloud {
            if provider.is_none() || service.is_none() {
                context.error(
                    file,
                    r.id.span(),
                    "a cloud client names its `provider` and `service`",
                );
            }
            if !options.iter().any(|o| o.value == OptionValue::Region) {
                context.error(
                    file,
                    r.id.span(),
                    "a cloud client needs an option with `value = \"region\"`",
                );
            }
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
        sdks.push(Sdk {
            id: r.id.get_ref().trim().to_ascii_lowercase(),
            name: r.name,
            kind,
            imports,
            calls,
            options,
            when_unset,
            provider,
            service,
            services: r
                .services
                .iter()
                .map(|s| s.trim().to_ascii_lowercase())
                .collect(),
            stores: r
                .stores
                .iter()
                .map(|s| s.trim().to_ascii_lowercase())
                .collect(),
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    sdks
}

/// `vendor` (the default) or `cloud`.
fn sdk_kind(context: &mut Context, file: usize, r: &RawSdk) -> SdkKind {
    match r.kind.as_ref().map(|k| k.get_ref().trim()) {
        None | Some("vendor") => SdkKind::Vendor,
        Some("cloud") => SdkKind::Cloud,
        Some(other) => {
            if let Some(k) = &r.kind {
                context.error(
                    file,
                    k.span(),
                    format!("unknown kind `{other}`: `vendor` or `cloud`"),
                );
            }
            SdkKind::Vendor
        }
    }
}

/// The import names, none so short that it would match anything.
fn imports(context: &mut Context, file: usize, r: &RawSdk) -> Vec<String> {
    if r.imports.is_empty() {
        context.error(
            file,
            r.id.span(),
            "name at least one import path in `imports`",
        );
    }
    let imports = r
        .imports
        .iter()
        .map(|i| i.get_ref().trim().to_string())
        .collect::<Vec<_>>();
    for (written, import) in r.imports.iter().zip(&imports) {
        if import.len() < 3 {
            context.error(
                file,
                written.span(),
                "an import path of fewer than 3 characters would match anything",
            );
        }
    }
    imports
}

/// The call names, each identifiers joined by `.`, `::`, `->` or `\`, with at most one `*`.
fn calls(context: &mut Context, file: usize, r: &RawSdk) -> Vec<String> {
    if r.calls.is_empty() {
        context.error(file, r.id.span(), "name at least one call in `calls`");
    }
    let mut calls = Vec::new();
    for call in &r.calls {
        let text = call.get_ref().trim().to_string();
        if !is_call(&text) {
            context.error(
                file,
                call.span(),
                format!(
                    "`{text}` is not a call name (identifiers joined by `.`, `::`, `->` or `\\`, at most one `*`)"
                ),
            );
        }
        calls.push(text);
    }
    calls
}

/// One option: how its value becomes a host, and the names it is written with.
fn sdk_option(context: &mut Context, file: usize, option: &RawOption) -> SdkOption {
    let value = match option.value.get_ref().trim() {
        "url" => OptionValue::Url,
        "region" => OptionValue::Region,
        "template" => match &option.template {
            Some(t) if t.get_ref().matches("{}").count() == 1 => {
                OptionValue::Template(t.get_ref().trim().to_string())
            }
            Some(t) => {
                context.error(file, t.span(), "a template holds `{}` exactly once");
                OptionValue::Url
            }
            None => {
                context.error(
                    file,
                    option.value.span(),
                    "`value = \"template\"` needs a `template`",
                );
                OptionValue::Url
            }
        },
        "map" => {
            let mut map = BTreeMap::new();
            for (from, to) in &option.map {
                let host = to.get_ref().trim().to_string();
                if !is_host(&host) {
                    context.error(
                        file,
                        to.span(),
                        format!("`{host}` is not a lower-case host"),
                    );
                }
                map.insert(from.trim().to_ascii_lowercase(), host);
            }
            if map.is_empty() {
                context.error(
                    file,
                    option.value.span(),
                    "`value = \"map\"` needs a `map` of values to hosts",
                );
            }
            OptionValue::Map(map)
        }
        other => {
            context.error(
                file,
                option.value.span(),
                format!("unknown value kind `{other}`: `url`, `template`, `map` or `region`"),
            );
            OptionValue::Url
        }
    };
    if option.names.is_empty() && !option.first_argument {
        context.error(
            file,
            option.value.span(),
            "an option needs `names` or `first_argument = true`",
        );
    }
    SdkOption {
        names: option
            .names
            .iter()
            .map(|n| n.trim().to_ascii_lowercase())
            .collect(),
        value,
        first_argument: option.first_argument,
    }
}

/// What the SDK does when no option sets the host: its documented default host, or unknown.
fn when_unset(context: &mut Context, file: usize, r: &RawSdk) -> WhenUnset {
    match (
        r.when_unset.as_ref().map(|w| w.get_ref().trim()),
        &r.default,
    ) {
        (Some("default"), Some(default)) => {
            let host = default.get_ref().trim().to_string();
            if !is_host(&host) {
                context.error(
                    file,
                    default.span(),
                    format!("`{host}` is not a lower-case host"),
                );
            }
            WhenUnset::Default(host)
        }
        (Some("default"), None) => {
            if let Some(w) = &r.when_unset {
                context.error(
                    file,
                    w.span(),
                    "`when_unset = \"default\"` needs the SDK's documented `default` host",
                );
            }
            WhenUnset::Unknown
        }
        (None | Some("unknown"), None) => WhenUnset::Unknown,
        (None | Some("unknown"), Some(default)) => {
            context.error(
                file,
                default.span(),
                "`default` is only read when `when_unset = \"default\"`",
            );
            WhenUnset::Unknown
        }
        (Some(other), _) => {
            if let Some(w) = &r.when_unset {
                context.error(
                    file,
                    w.span(),
                    format!("unknown `when_unset` `{other}`: `default` or `unknown`"),
                );
            }
            WhenUnset::Unknown
        }
    }
}
