//! Endpoints in configuration values: which strings name a host data may go to, and which are traps.
//!
//! A value is an endpoint when it is a URL (`scheme://host...`) or, under a key that says so
//! (`*_HOST`, `*_ENDPOINT`, `*_SITE`...), a bare `host[:port]`. Many URLs in configuration are not
//! data locations: container registries, documentation links, schema URLs, loopback and
//! reserved example names. Those are dropped here so that every extractor stays quiet on them.

use crate::rules::Settings;
use std::ops::Range;

/// A host named in a value, with the byte range of its URL (or bare host) inside the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCandidate {
    /// Lower case, no port, no trailing dot.
    pub host: String,
    /// Whether it came from `scheme://` (a bare value is weaker evidence).
    pub from_url: bool,
    pub range: Range<usize>,
}

/// Key names (lower case, any separator) under which a bare host is an endpoint.
const HOST_KEY_WORDS: [&str; 13] = [
    "host",
    "endpoint",
    "url",
    "uri",
    "addr",
    "address",
    "server",
    "site",
    "domain",
    "dsn",
    "broker",
    "ingest",
    "collector",
];

/// Key words whose values are documentation, packaging or schema metadata, never a data
/// destination. A key part matches when it starts with one (`docsUrl`, `imageRepository`).
const QUIET_KEY_PREFIXES: [&str; 14] = [
    "description",
    // OpenAPI and JSON Schema `example:`/`examples:`: a sample value shown to readers.
    "example",
    "schema",
    "apiversion",
    "homepage",
    "doc",
    "image",
    "registry",
    "repository",
    "license",
    "icon",
    "readme",
    "changelog",
    "wiki",
];

/// Keys (lower case, separators removed) whose value is the scanned system's own public address:
/// where users reach it, not where it sends data. Bitwarden's `baseServiceUri` block lists its
/// own `api.`, `identity.` and `vault.` hosts; `APP_URL`, `NEXTAUTH_URL` and `SITE_URL` are the
/// address a web app puts in its links. A part of a longer key matches only for the block names.
const SELF_ADDRESS_KEYS: [&str; 14] = [
    "baseserviceuri",
    "appurl",
    "publicurl",
    "siteurl",
    "nextauthurl",
    "webappurl",
    "nextpublicwebappurl",
    "nextpublicappurl",
    "nextpublicsiteurl",
    "externalurl",
    "rooturl",
    "frontendurl",
    "selfurl",
    "canonicalurl",
];

/// True when a key's value is the system's own address ([`SELF_ADDRESS_KEYS`]).
fn is_self_address_key(key: &str) -> bool {
    let whole: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SELF_ADDRESS_KEYS.contains(&whole.as_str())
        || key
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|part| part == "baseserviceuri")
}

/// True when a key's values are metadata (docs, images, schemas) or the system's own address,
/// not endpoints.
pub fn is_quiet_key(key: &str) -> bool {
    if is_self_address_key(key) {
        return true;
    }
    let key = key.to_ascii_lowercase();
    key.split(|c: char| !c.is_ascii_alphanumeric()).any(|part| {
        QUIET_KEY_PREFIXES
            .iter()
            .any(|prefix| part.starts_with(prefix))
            || matches!(part, "repo" | "repos" | "source" | "sources" | "help")
    })
}

fn key_suggests_host(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    // camelCase keys are lower-cased whole (`apiHost` -> `apihost`), so suffixes count too.
    key.split(|c: char| !c.is_ascii_alphanumeric()).any(|part| {
        // Plurals (`KAFKA_BROKERS`, `hosts`) name lists of the same thing.
        let singular = part
            .strip_suffix('s')
            .filter(|p| p.len() > 2)
            .unwrap_or(part);
        [part, singular].iter().any(|part| {
            HOST_KEY_WORDS.contains(part)
                || [
                    "url", "uri", "host", "endpoint", "addr", "address", "dsn", "site", "server",
                ]
                .iter()
                .any(|s| part.ends_with(s))
        })
    })
}

/// Hosts named in `value` under `key`. Template placeholders (`${X}`, `{{ }}`, `$(X)`) are not hosts.
pub fn hosts_in_value(key: &str, value: &str) -> Vec<HostCandidate> {
    let mut found = Vec::new();
    if is_quiet_key(key) {
        return found;
    }
    for url in urls_in(value) {
        if in_embedded_comment(value, url.range.start) {
            continue;
        }
        if let Some(host) = clean_host(&value[url.host.clone()]) {
            found.push(HostCandidate {
                host,
                from_url: true,
                range: url.range,
            });
        }
    }
    if found.is_empty() && key_suggests_host(key) {
        let trimmed = value.trim();
        let offset = value.find(trimmed).unwrap_or(0);
        if !trimmed.contains(char::is_whitespace) && !trimmed.contains('/') {
            // `host:port` or `host`; several comma-separated brokers count once each.
            let mut position = offset;
            for part in trimmed.split(',') {
                if let Some(host) = clean_host(part.trim()) {
                    found.push(HostCandidate {
                        host,
                        from_url: false,
                        range: position..position + part.len(),
                    });
                }
                position += part.len() + 1;
            }
        }
    }
    found
}

/// True when the URL starting at `start` of a multi-line value sits in a `#` comment of that
/// value. A block scalar (`config: |`) holds a whole embedded file (an exporter's YAML, an INI,
/// a shell script); its `#` comments are that file's comments, not settings, so the URLs they
/// cite are references for readers. A `#` counts when it starts the line or follows a space
/// (`key: v # see https://...`), so a URL fragment (`https://x/#/a`) never hides a URL.
fn in_embedded_comment(value: &str, start: usize) -> bool {
    if !value.contains('\n') {
        return false;
    }
    let line_start = value
        .get(..start)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i + 1);
    let Some(before) = value.get(line_start..start) else {
        return false;
    };
    before
        .char_indices()
        .any(|(i, c)| c == '#' && (i == 0 || before[..i].ends_with([' ', '\t'])))
}

/// A `scheme://authority...` URL inside a text: byte ranges into that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlMatch {
    /// From the scheme to the end of the URL (whitespace, a quote, `,`, `;`, `<`, `>`).
    pub range: Range<usize>,
    pub scheme: Range<usize>,
    /// `host[:port]` as written, after any `user:password@`; `[...]` for an IPv6 literal.
    pub host: Range<usize>,
}

/// Every `scheme://` URL in `text`, in order. This is the one URL parser of borderline: every
/// extractor (configuration values and code literals alike) finds URLs through it, so that a URL
/// means the same host wherever it is written. The host part is returned as written; whether it
/// is a host at all is [`clean_host`]'s and [`classify_host`]'s to say.
pub fn urls_in(text: &str) -> Vec<UrlMatch> {
    let mut found = Vec::new();
    let mut search_from = 0;
    while let Some(relative) = text.get(search_from..).and_then(|rest| rest.find("://")) {
        let separator = search_from + relative;
        // The scheme starts after the last character that cannot be in one; that character may
        // be several bytes long, so step over its whole UTF-8 length.
        let scheme_start = text[..separator]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '+' || *c == '.' || *c == '-'))
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let after = separator + 3;
        let end = text[after..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '<' | '>' | '`' | '\\')
            })
            .map(|i| after + i)
            .unwrap_or(text.len());
        let scheme = &text[scheme_start..separator];
        if !scheme.is_empty()
            && scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            let authority_end = text[after..end]
                .find(['/', '?', '#'])
                .map(|i| after + i)
                .unwrap_or(end);
            // user:password@host: the host is after the last `@`.
            let host_start = text[after..authority_end]
                .rfind('@')
                .map_or(after, |i| after + i + 1);
            found.push(UrlMatch {
                range: scheme_start..end,
                scheme: scheme_start..separator,
                host: host_start..authority_end,
            });
        }
        search_from = end.max(after);
    }
    found
}

/// What a host names, for deciding whether it can receive data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostClass {
    /// A public DNS name that may belong to a recipient.
    Public,
    /// Documentation, registries, schema sites, reserved example names: never a recipient.
    Quiet,
    /// A name that stays inside the deployment: `localhost`, one label, `.local`, `.internal`.
    Local,
    /// An IP literal (v4 or `[v6]`): it says nothing about who receives the data.
    Ip,
    /// Not a host: a template placeholder, junk, an empty string.
    Invalid,
}

/// The one host classifier: `host[:port]` as written (from [`urls_in`] or a bare value).
pub fn classify_host(written: &str) -> HostClass {
    if written.starts_with('[') {
        return HostClass::Ip;
    }
    let host_only = match written.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => written,
    };
    if !host_only.is_empty()
        && host_only
            .trim_end_matches('.')
            .split('.')
            .all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_digit()))
    {
        return HostClass::Ip;
    }
    let Some(host) = clean_host(written) else {
        return HostClass::Invalid;
    };
    if is_quiet_host(&host) {
        // Reserved and private names are quiet too; say which, since config extractors keep
        // single-label service names (`postgres`) that code never resolves publicly.
        let top = host.rsplit('.').next().unwrap_or("");
        if matches!(
            top,
            "localhost" | "local" | "internal" | "lan" | "localdomain"
        ) {
            return HostClass::Local;
        }
        return HostClass::Quiet;
    }
    if !host.contains('.') || !is_public_name(&host) {
        return HostClass::Local;
    }
    HostClass::Public
}

/// The lower-case host of `host[:port]` when it is a public name that may receive data.
pub fn public_host(written: &str) -> Option<String> {
    match classify_host(written) {
        HostClass::Public => clean_host(written),
        _ => None,
    }
}

/// Vendor keys whose value is a site, not a host (`DD_SITE=datadoghq.eu` is the intake
/// `api.datadoghq.eu`): which keys and what they mean is rule data (`rules/settings.toml`).
pub fn site_host(settings: &Settings, key: &str, value: &str) -> Option<String> {
    settings.env_host(key, value)
}

/// The hosts a key/value pair names: a vendor site key expanded to its intake host, else [`hosts_in_value`].
pub fn candidates(settings: &Settings, key: &str, value: &str) -> Vec<HostCandidate> {
    match site_host(settings, key, value) {
        Some(host) => vec![HostCandidate {
            host,
            from_url: true,
            range: 0..value.len(),
        }],
        None => hosts_in_value(key, value),
    }
}

/// Lower-cases and validates `host[:port]`; `None` for templates, IP literals and junk.
fn clean_host(text: &str) -> Option<String> {
    if text.contains(['$', '{', '}', '%', '(', ')', '*', '<', '>', '[', ']']) {
        return None;
    }
    let host = match text.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        Some(_) => return None,
        None => text,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.len() > 253 {
        return None;
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
    {
        return None;
    }
    if host
        .split('.')
        .any(|label| label.is_empty() || label.len() > 63)
    {
        return None;
    }
    // An IP literal says nothing about who receives the data.
    if host
        .split('.')
        .all(|label| label.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    Some(host)
}

/// Suffixes of hosts that never receive personal data from a configuration value: loopback,
/// reserved example and private names, container registries, documentation and schema sites.
const QUIET_SUFFIXES: [&str; 48] = [
    "localhost",
    "example",
    "example.com",
    "example.org",
    "example.net",
    "test",
    "invalid",
    "local",
    "internal",
    "lan",
    "home.arpa",
    "localdomain",
    // Container image registries.
    "docker.io",
    "docker.com",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "pkg.dev",
    "azurecr.io",
    "public.ecr.aws",
    "registry.k8s.io",
    "mcr.microsoft.com",
    "registry.gitlab.com",
    // Documentation, schemas and source hosting (links, not data destinations).
    "readthedocs.io",
    "readthedocs.org",
    "github.com",
    "githubusercontent.com",
    "gitlab.com",
    "stackoverflow.com",
    "kubernetes.io",
    "k8s.io",
    "helm.sh",
    "schema.org",
    "schemastore.org",
    "json-schema.org",
    "w3.org",
    "opensource.org",
    "apache.org",
    "spdx.org",
    "artifacthub.io",
    "pkg.go.dev",
    "crates.io",
    "docs.rs",
    "npmjs.com",
    "npmjs.org",
    "pypi.org",
    "maven.org",
    "semver.org",
];

/// True when a host is a trap: never a flow, whatever the key.
pub fn is_quiet_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.starts_with("docs.")
        || host.starts_with("doc.")
        || host.starts_with("developer.")
        || host.starts_with("developers.")
    {
        return true;
    }
    // `<account>.dkr.ecr.<region>.amazonaws.com` is an image registry, not a store.
    if host.contains(".dkr.ecr.") || host.starts_with("ecr.") || host.contains(".ecr.") {
        return true;
    }
    // The API of GitHub may receive data; a page on github.com is a link.
    if host == "api.github.com" || host == "uploads.github.com" {
        return false;
    }
    QUIET_SUFFIXES.iter().any(|suffix| {
        host == *suffix
            || (host.ends_with(suffix)
                && host.as_bytes().get(host.len() - suffix.len() - 1) == Some(&b'.'))
    })
}

/// True when a name is a plausible public DNS name (at least one dot, alphabetic top label).
pub fn is_public_name(host: &str) -> bool {
    match host.rsplit_once('.') {
        Some((_, top)) => {
            top.len() >= 2
                && top.chars().all(|c| c.is_ascii_alphabetic())
                && !is_file_extension(top)
        }
        None => false,
    }
}

/// A bare `name.ext` under a host-ish key may be a file name, not a host.
fn is_file_extension(top: &str) -> bool {
    matches!(
        top,
        "yaml"
            | "yml"
            | "json"
            | "toml"
            | "txt"
            | "log"
            | "pem"
            | "crt"
            | "key"
            | "conf"
            | "cfg"
            | "ini"
            | "env"
            | "sock"
            | "db"
            | "sqlite"
            | "html"
            | "js"
            | "py"
            | "rb"
            | "sh"
            | "xml"
            | "csv"
            | "properties"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn vendor_sites() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let site = |key: &str, value: &str| site_host(rules.settings(), key, value);
        assert_eq!(
            site("DD_SITE", "datadoghq.eu").as_deref(),
            Some("api.datadoghq.eu")
        );
        assert_eq!(
            site("DD_SITE", "us5.datadoghq.com").as_deref(),
            Some("api.us5.datadoghq.com")
        );
        assert_eq!(site("SITE", "datadoghq.eu"), None);
    }

    fn hosts(key: &str, value: &str) -> Vec<String> {
        hosts_in_value(key, value)
            .into_iter()
            .map(|c| c.host)
            .collect()
    }

    #[test]
    fn urls_and_bare_hosts() {
        assert_eq!(
            hosts("SENTRY_DSN", "https://abc@o1.ingest.de.sentry.io/42"),
            ["o1.ingest.de.sentry.io"]
        );
        assert_eq!(
            hosts(
                "DATABASE_URL",
                "postgres://u:p@db.eu-central-1.rds.amazonaws.com:5432/shop"
            ),
            ["db.eu-central-1.rds.amazonaws.com"]
        );
        assert_eq!(
            hosts("MIXPANEL_API_HOST", "api-eu.mixpanel.com"),
            ["api-eu.mixpanel.com"]
        );
        assert_eq!(hosts("PAYMENT_ADDR", "payment:50051"), ["payment"]);
        assert_eq!(
            hosts("KAFKA_BROKERS", "a.kafka.io:9092,b.kafka.io:9092"),
            ["a.kafka.io", "b.kafka.io"]
        );
        assert!(hosts("GREETING", "hello.world").is_empty());
        assert!(hosts("API_URL", "https://${API_HOST}/v1").is_empty());
        assert!(hosts("description", "see https://api.sentry.io").is_empty());
        assert!(hosts("imageRepository", "https://quay.io/acme").is_empty());
        // The system's own address is where users reach it, not where it sends data.
        assert!(hosts("NEXTAUTH_URL", "https://app.acme-sign.io").is_empty());
        assert!(hosts("globalSettings.baseServiceUri.api", "https://api.acme.com").is_empty());
        assert_eq!(
            hosts("STRIPE_BASE_URL", "https://api.stripe.com"),
            ["api.stripe.com"]
        );
        assert_eq!(
            hosts("datasource", "jdbc:postgresql://db.acme.de:5432/x"),
            ["db.acme.de"]
        );
        assert_eq!(
            hosts("SMTP_ADDRESS", "smtp.sendgrid.net:587"),
            ["smtp.sendgrid.net"]
        );
        assert!(hosts("CALLBACK_URL", "http://10.0.0.1:8080/").is_empty());
        let candidate = &hosts_in_value("X", "use https://api.mixpanel.com/track now")[0];
        assert_eq!(candidate.range, 4..34);
    }

    #[test]
    fn comments_of_an_embedded_file_are_not_values() {
        let hosts = |value: &str| -> Vec<String> {
            hosts_in_value("config", value)
                .into_iter()
                .map(|c| c.host)
                .collect()
        };
        let embedded = "modules:\n  default:\n    # Templates (https://masterminds.github.io/sprig/)\n    url: https://api.mixpanel.com/track # see https://help.mixpanel.com/x\n    web: https://api-eu.mixpanel.com/#/settings\n";
        assert_eq!(hosts(embedded), ["api.mixpanel.com", "api-eu.mixpanel.com"]);
        // A single-line value has no embedded comments: `#` there is part of the value.
        assert_eq!(hosts("https://api.mixpanel.com/#x"), ["api.mixpanel.com"]);
        assert!(hosts_in_value("example", "https://api.stripe.com/v1").is_empty());
        assert!(hosts_in_value("examples", "https://api.stripe.com/v1").is_empty());
    }

    #[test]
    fn traps_are_quiet() {
        for host in [
            "localhost",
            "example.com",
            "api.example.com",
            "svc.example",
            "redis.internal",
            "printer.local",
            "us-central1-docker.pkg.dev",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "ghcr.io",
            "docs.datadoghq.com",
            "borderline.readthedocs.io",
            "github.com",
        ] {
            assert!(is_quiet_host(host), "{host}");
        }
        for host in [
            "api.github.com",
            "api.datadoghq.eu",
            "o1.ingest.sentry.io",
            "bucket.s3.ap-south-1.amazonaws.com",
        ] {
            assert!(!is_quiet_host(host), "{host}");
        }
        assert!(is_public_name("api.stripe.com"));
        assert!(!is_public_name("settings.yaml"));
        assert!(!is_public_name("payment"));
    }

    #[test]
    fn one_parser_scheme_userinfo_port_ipv6_templates() {
        let parts = |text: &str| -> Vec<(String, String, String)> {
            urls_in(text)
                .into_iter()
                .map(|u| {
                    (
                        text[u.scheme].to_string(),
                        text[u.host].to_string(),
                        text[u.range].to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(
            parts("postgres://app:s3cr@t@db.eu.rds.amazonaws.com:5432/app?ssl=1 next"),
            [(
                "postgres".to_string(),
                "db.eu.rds.amazonaws.com:5432".to_string(),
                "postgres://app:s3cr@t@db.eu.rds.amazonaws.com:5432/app?ssl=1".to_string()
            )]
        );
        assert_eq!(
            parts("see \"https://[2001:db8::1]:8443/x\", or https://${HOST}/ or ${SCHEME}://x.com")
                .into_iter()
                .map(|p| p.1)
                .collect::<Vec<_>>(),
            ["[2001:db8::1]:8443", "${HOST}"]
        );
        assert!(parts("no url here: a://").len() <= 1);
        assert!(parts("://x").is_empty());
        assert!(parts("é://x.com é").is_empty());
    }

    #[test]
    fn one_classifier() {
        assert_eq!(classify_host("api.razorpay.com"), HostClass::Public);
        assert_eq!(classify_host("API.Razorpay.com.:443"), HostClass::Public);
        assert_eq!(classify_host("docs.mixpanel.com"), HostClass::Quiet);
        assert_eq!(classify_host("github.com"), HostClass::Quiet);
        assert_eq!(classify_host("api.example.com"), HostClass::Quiet);
        assert_eq!(classify_host("localhost:8080"), HostClass::Local);
        assert_eq!(classify_host("redis.internal"), HostClass::Local);
        assert_eq!(classify_host("postgres"), HostClass::Local);
        assert_eq!(classify_host("10.0.0.1:5432"), HostClass::Ip);
        assert_eq!(classify_host("[::1]:80"), HostClass::Ip);
        assert_eq!(classify_host("${HOST}"), HostClass::Invalid);
        assert_eq!(classify_host("{host}"), HostClass::Invalid);
        assert_eq!(classify_host(""), HostClass::Invalid);
        assert_eq!(
            public_host("api.razorpay.com:443").as_deref(),
            Some("api.razorpay.com")
        );
        assert_eq!(public_host("config.yaml"), None);
    }
}
