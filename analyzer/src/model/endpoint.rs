//! Endpoint resolution: a hostname found in code or configuration to the node that receives the data.
//!
//! Order: a node's declared `domains` (the manifest wins), then vendors in rule data (with their
//! residency endpoints), then cloud service endpoints that carry their region (parsed in `extract::cloud`, which
//! the extractors use too).

use super::Node;
use crate::extract::cloud::cloud_endpoint;
use crate::facts::{LocatedAt, Location, NodeFact, NodeKind, Origin};
use crate::rules::RuleSet;
use std::collections::BTreeMap;

/// What a hostname means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostResolution {
    /// An existing node.
    Node(String),
    /// A node to create, described by rule data.
    New(Box<NodeFact>),
    /// Nothing borderline knows: not a flow.
    Unknown,
}

/// True when `host` matches a domain pattern: `example.com` matches itself, `*.example.com` any subdomain.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            host.len() > suffix.len()
                && host.ends_with(suffix)
                && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
        }
        None => host == pattern,
    }
}

/// Resolves a host to a node.
pub fn resolve_host(host: &str, nodes: &BTreeMap<String, Node>, rules: &RuleSet) -> HostResolution {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    // The most specific declared pattern wins: exact names before wildcards, longer before shorter.
    let declared = nodes
        .values()
        .flat_map(|node| node.domains.iter().map(move |domain| (node, domain)))
        .filter(|(_, domain)| host_matches(domain, &host))
        .max_by_key(|(node, domain)| {
            (
                !domain.starts_with("*."),
                domain.len(),
                std::cmp::Reverse(node.id.clone()),
            )
        });
    if let Some((node, _)) = declared {
        return HostResolution::Node(node.id.clone());
    }
    if let Some(found) = rules.vendor_for_host(&host) {
        return vendor_node(&host, &found, nodes);
    }
    if let Some(node) = cloud_endpoint(&host, rules) {
        if nodes.contains_key(&node.id) {
            return HostResolution::Node(node.id);
        }
        return HostResolution::New(Box::new(node));
    }
    HostResolution::Unknown
}

/// The vendor node a flow names by the vendor's id in rule data (`to = "sendgrid"`), when no node
/// of that id exists: the node its default host would make (`sendgrid.com`), so that naming a
/// vendor and pointing a URL at it give the same recipient, located and certified alike.
///
/// Only one host the vendor's `domains` name exactly becomes the node's domain: a wildcard would
/// claim the vendor's residency endpoints (`*.ingest.de.sentry.io`), which are other nodes.
pub fn vendor_by_id(id: &str, nodes: &BTreeMap<String, Node>, rules: &RuleSet) -> Option<NodeFact> {
    let vendor = rules.vendor(id)?;
    // The vendor's own id, as the catalogue writes it: `SendGrid` names the node `sendgrid`.
    if vendor.id != id {
        return None;
    }
    // Exact domains first; a wildcard's suffix only when the vendor lists no exact one.
    let exact = vendor.domains.iter().filter(|d| !d.starts_with("*."));
    let suffixes = vendor.domains.iter().filter_map(|d| d.strip_prefix("*."));
    let host = exact.map(String::as_str).chain(suffixes).find(|domain| {
        rules
            .vendor_for_host(domain)
            .is_some_and(|found| found.vendor.id == vendor.id && found.endpoint.is_none())
    })?;
    let found = rules.vendor_for_host(host)?;
    match vendor_node(host, &found, nodes) {
        HostResolution::New(node) if node.id == vendor.id => Some(*node),
        _ => None,
    }
}

/// The node for a host the vendor catalogue knows: an existing node that stands for the vendor,
/// or a new one located where that host puts data.
fn vendor_node(
    host: &str,
    found: &crate::rules::VendorMatch<'_>,
    nodes: &BTreeMap<String, Node>,
) -> HostResolution {
    let host = host.to_string();
    {
        let vendor = found.vendor;
        // Only the part of the host the endpoint names is read for a region: the part a wildcard
        // matched is the customer's own name (`contoso-eu.openai.azure.com`), not a region.
        let residency_bloc = found.countries.is_empty()
            && found
                .endpoint
                .is_some_and(|e| names_eu_region(e.host.trim_start_matches('*')));
        let countries = if found.countries.is_empty() && found.endpoint.is_none() {
            vec![vendor.country.clone()]
        } else {
            found.countries.clone()
        };
        // A residency endpoint is a different recipient location from the vendor's default: its own node.
        let id = match found.endpoint {
            Some(_) if residency_bloc => format!("{}-eu", vendor.id),
            Some(_) if countries.is_empty() => format!("{}-{}", vendor.id, host),
            Some(_) if countries != [vendor.country.clone()] => {
                format!("{}-{}", vendor.id, countries.join("-").to_ascii_lowercase())
            }
            _ => vendor.id.clone(),
        };
        let id = match nodes.get(&id) {
            Some(holder) if stands_for_vendor(holder) => return HostResolution::Node(id),
            // The repository names one of its own nodes like the vendor (a Helm chart
            // `datadog`, a compose service `sentry`): the vendor is another node, never that one.
            Some(_) => {
                let id = format!("{id}-vendor");
                if nodes.contains_key(&id) {
                    return HostResolution::Node(id);
                }
                id
            }
            None => id,
        };
        let mut node = NodeFact::new(id, Origin::RuleData);
        node.kind = Some(NodeKind::Vendor);
        node.label = Some(vendor.name.clone());
        // An endpoint whose country the sources do not give, but whose host names the EU region
        // (`api.eu.amplitude.com`, `*.eu01.nr-data.net`), keeps the data inside the EU bloc.
        let (location, reason) = if residency_bloc {
            (Location::Bloc("EU".into()), None)
        } else if countries.len() == 1 {
            (Location::Country(countries[0].clone()), None)
        } else if countries.is_empty() {
            (
                Location::Unknown,
                Some(format!(
                    "{} does not document where the endpoint `{host}` keeps data",
                    vendor.name
                )),
            )
        } else {
            (
                Location::Unknown,
                Some(format!(
                    "{} may process data in {}",
                    vendor.name,
                    countries.join(", ")
                )),
            )
        };
        node.location = Some(LocatedAt {
            location,
            span: None,
            unresolved_reason: reason,
        });
        node.certifications = vendor.certifications.clone();
        node.domains = vec![host.clone()];
        HostResolution::New(Box::new(node))
    }
}

/// True when an existing node with a vendor's id is that vendor: a vendor node, or a node only
/// borderline.toml or comment tags declare (`[[node]] id = "stripe"` adding `data` to the
/// vendor). A node read from the repository's configuration that is not a vendor (a chart,
/// workload, compose service or store of the same name) is the repository's own, and the vendor
/// becomes `ID-vendor` beside it.
fn stands_for_vendor(node: &Node) -> bool {
    node.kind == NodeKind::Vendor
        || node.origins.iter().all(|origin| {
            matches!(
                origin,
                Origin::Manifest | Origin::CommentTag | Origin::RuleData
            )
        })
}

/// The facts about a vendor node that come from rule data tagged unverified (`K` or `U`), each
/// as a sentence for the verdicts that rely on them: where the catalogue places the node (the
/// vendor's country, or its endpoint's), and, when `relies_on_certification`, the certifications
/// it lists for the vendor. Empty for nodes that do not come from the catalogue.
pub fn unverified_vendor_facts(
    node: &Node,
    rules: &RuleSet,
    relies_on_certification: bool,
) -> Vec<String> {
    if node.kind != NodeKind::Vendor || !node.origins.contains(&Origin::RuleData) {
        return Vec::new();
    }
    let Some((host, found)) = node
        .domains
        .iter()
        .find_map(|host| rules.vendor_for_host(host).map(|found| (host, found)))
    else {
        return Vec::new();
    };
    let vendor = found.vendor;
    let mut facts = Vec::new();
    let (confidence, what) = match found.endpoint {
        Some(endpoint) => (
            endpoint.confidence,
            format!("its endpoint `{}`", endpoint.host),
        ),
        None => (vendor.confidence, "its country".to_string()),
    };
    if !confidence.is_verified() {
        facts.push(format!(
            "`{}` (`{host}`) is placed by unverified rule data: rules/vendors.toml `{}`, {what}, confidence {}",
            node.id,
            vendor.id,
            confidence.as_str()
        ));
    }
    if relies_on_certification
        && !vendor.certifications.is_empty()
        && !vendor.certifications_confidence.is_verified()
    {
        facts.push(format!(
            "`{}` holds `{}` according to unverified rule data (rules/vendors.toml `{}`, confidence {})",
            node.id,
            vendor.certifications.join("`, `"),
            vendor.id,
            vendor.certifications_confidence.as_str()
        ));
    }
    facts
}

/// True when a host names an EU residency region in one of its labels (`eu`, `eu01`, `eu1`, `europe`).
fn names_eu_region(host: &str) -> bool {
    host.split(['.', '-']).any(|label| {
        matches!(
            label,
            "eu" | "eu1" | "eu01" | "eu2" | "eu02" | "europe" | "emea"
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn located(host: &str) -> Option<(String, Location)> {
        let rules = RuleSet::builtin().unwrap();
        match resolve_host(host, &BTreeMap::new(), &rules) {
            HostResolution::New(node) => {
                Some((node.id.clone(), node.location.clone().unwrap().location))
            }
            _ => None,
        }
    }

    fn region(provider: &str, region: &str) -> Location {
        Location::Region {
            provider: provider.into(),
            region: region.into(),
        }
    }

    #[test]
    fn cloud_endpoints_carry_their_region() {
        let cases = [
            (
                "exports.s3.ap-south-1.amazonaws.com",
                "aws:s3:ap-south-1:exports",
                region("aws", "ap-south-1"),
            ),
            (
                "s3.eu-west-3.amazonaws.com",
                "aws:s3:eu-west-3",
                region("aws", "eu-west-3"),
            ),
            (
                "logs-bucket.s3-us-west-2.amazonaws.com",
                "aws:s3:us-west-2:logs-bucket",
                region("aws", "us-west-2"),
            ),
            (
                "orders.c9akciq32.eu-central-1.rds.amazonaws.com",
                "aws:rds:eu-central-1:orders",
                region("aws", "eu-central-1"),
            ),
            (
                "dynamodb.us-east-1.amazonaws.com",
                "aws:dynamodb:us-east-1",
                region("aws", "us-east-1"),
            ),
            (
                "sqs.eu-north-1.amazonaws.com",
                "aws:sqs:eu-north-1",
                region("aws", "eu-north-1"),
            ),
            (
                "dynamodb.cn-north-1.amazonaws.com.cn",
                "aws:dynamodb:cn-north-1",
                region("aws", "cn-north-1"),
            ),
            (
                "europe-west1-aiplatform.googleapis.com",
                "gcp:aiplatform:europe-west1",
                region("gcp", "europe-west1"),
            ),
            // The longest region prefix wins: Chronicle's Singapore intake is not in `asia`.
            (
                "asia-southeast1-malachiteingestion-pa.googleapis.com",
                "gcp:malachiteingestion-pa:asia-southeast1",
                region("gcp", "asia-southeast1"),
            ),
            (
                "shop-eu.europe-west1.firebasedatabase.app",
                "gcp:firebase-rtdb:europe-west1:shop-eu",
                region("gcp", "europe-west1"),
            ),
            (
                "shop.firebaseio.com",
                "gcp:firebase-rtdb:us-central1:shop",
                region("gcp", "us-central1"),
            ),
            (
                "objectstorage.eu-frankfurt-1.oraclecloud.com",
                "oci:objectstorage:eu-frankfurt-1",
                region("oci", "eu-frankfurt-1"),
            ),
            (
                "media.oss-eu-central-1.aliyuncs.com",
                "alibaba:oss:eu-central-1:media",
                region("alibaba", "eu-central-1"),
            ),
        ];
        for (host, id, location) in cases {
            assert_eq!(located(host), Some((id.to_string(), location)), "{host}");
        }
        let (id, location) = located("bucket.s3.amazonaws.com").unwrap();
        assert_eq!(
            (id.as_str(), location),
            ("aws:s3:global:bucket", Location::Unknown)
        );
        assert!(located("sts.eu-west-1.amazonaws.com").is_none());
        assert!(located("123456789012.dkr.ecr.us-east-1.amazonaws.com").is_none());
        assert!(located("storage.example.com").is_none());
    }

    #[test]
    fn vendor_residency_endpoints_are_distinguished() {
        let cases = [
            (
                "o1.ingest.de.sentry.io",
                "sentry-de",
                Location::Country("DE".into()),
            ),
            (
                "o1.ingest.us.sentry.io",
                "sentry",
                Location::Country("US".into()),
            ),
            (
                "api.datadoghq.eu",
                "datadog-de",
                Location::Country("DE".into()),
            ),
            (
                "api.datadoghq.com",
                "datadog",
                Location::Country("US".into()),
            ),
            (
                "api-eu.mixpanel.com",
                "mixpanel-eu",
                Location::Bloc("EU".into()),
            ),
            (
                "api.eu.amplitude.com",
                "amplitude-eu",
                Location::Bloc("EU".into()),
            ),
            (
                "api2.amplitude.com",
                "amplitude",
                Location::Country("US".into()),
            ),
            (
                "api.eu.sendgrid.com",
                "sendgrid-eu",
                Location::Bloc("EU".into()),
            ),
            (
                "eu.i.posthog.com",
                "posthog-de",
                Location::Country("DE".into()),
            ),
            (
                "insights-collector.eu01.nr-data.net",
                "newrelic-eu",
                Location::Bloc("EU".into()),
            ),
            (
                "events.eu1.segmentapis.com",
                "segment-ie",
                Location::Country("IE".into()),
            ),
            (
                "api.dublin.ie1.twilio.com",
                "twilio-ie",
                Location::Country("IE".into()),
            ),
        ];
        for (host, id, location) in cases {
            let found = located(host);
            assert_eq!(
                found.as_ref().map(|(i, _)| i.as_str()),
                Some(id),
                "{host}: {found:?}"
            );
            assert_eq!(found.map(|(_, l)| l), Some(location), "{host}");
        }
    }

    /// Hosts as real services write them, with the node each becomes and where it is placed:
    /// the audit's misclassified hosts (Datadog browser intake, Intercom EU/AU, Twilio AU1,
    /// Segment EU HTTP API) first, then one or more per catalogued family.
    #[test]
    fn catalogue_places_hosts_of_real_services() {
        let country = |c: &str| Location::Country(c.into());
        let eu = || Location::Bloc("EU".into());
        let cases: Vec<(&str, &str, Location)> = vec![
            ("browser-intake-datadoghq.com", "datadog", country("US")),
            ("browser-intake-datadoghq.eu", "datadog-de", country("DE")),
            ("browser-intake-us5-datadoghq.com", "datadog", country("US")),
            (
                "browser-intake-ap1-datadoghq.com",
                "datadog-jp",
                country("JP"),
            ),
            (
                "browser-intake-ap2-datadoghq.com",
                "datadog-au",
                country("AU"),
            ),
            ("api-iam.eu.intercom.io", "intercom-ie", country("IE")),
            ("app.eu.intercom.com", "intercom-ie", country("IE")),
            ("api-iam.au.intercom.io", "intercom-au", country("AU")),
            ("api.intercom.io", "intercom", country("US")),
            ("api.sydney.au1.twilio.com", "twilio-au", country("AU")),
            ("api.dublin.ie1.twilio.com", "twilio-ie", country("IE")),
            ("api.twilio.com", "twilio", country("US")),
            ("eu1.api.segmentapis.com", "segment-ie", country("IE")),
            ("api.segment.io", "segment", country("US")),
            ("api.sendgrid.com", "sendgrid", country("US")),
            ("api.eu.sendgrid.com", "sendgrid-eu", eu()),
            ("js.sentry-cdn.com", "sentry", country("US")),
            ("js-de.sentry-cdn.com", "sentry-de", country("DE")),
            ("log-api.newrelic.com", "newrelic", country("US")),
            ("api.honeycomb.io", "honeycomb", country("US")),
            ("api.eu1.honeycomb.io", "honeycomb-eu", eu()),
            ("logs-prod-eu-west-0.grafana.net", "grafana-cloud-eu", eu()),
            (
                "prometheus-prod-13-prod-us-east-0.grafana.net",
                "grafana-cloud",
                country("US"),
            ),
            ("listener-uk.logz.io", "logzio-gb", country("GB")),
            (
                "ingest.eu0.signalfx.com",
                "splunk-observability-ie",
                country("IE"),
            ),
            ("api-in.mixpanel.com", "mixpanel-in", country("IN")),
            ("api2.amplitude.com", "amplitude", country("US")),
            ("us.i.posthog.com", "posthog", country("US")),
            ("eu.i.posthog.com", "posthog-de", country("DE")),
            ("plausible.io", "plausible", country("DE")),
            ("acme.matomo.cloud", "matomo-cloud", country("DE")),
            ("acme.eu.auth0.com", "auth0-eu", eu()),
            ("acme.au.auth0.com", "auth0-au", country("AU")),
            ("acme.jp.auth0.com", "auth0-jp", country("JP")),
            ("acme.us.auth0.com", "auth0", country("US")),
            ("acme.okta-emea.com", "okta-eu", eu()),
            ("acme.okta.com", "okta", country("US")),
            ("api.openai.com", "openai", country("US")),
            ("api.anthropic.com", "anthropic", country("US")),
            (
                "generativelanguage.googleapis.com",
                "google-gemini",
                country("US"),
            ),
            ("api.mistral.ai", "mistral", country("FR")),
            ("api.cohere.com", "cohere", country("CA")),
            ("api-free.deepl.com", "deepl", country("DE")),
            ("api-inference.huggingface.co", "huggingface", country("US")),
            (
                "xy12345.eu-central-1.snowflakecomputing.com",
                "snowflake-de",
                country("DE"),
            ),
            (
                "xy12345.west-europe.azure.snowflakecomputing.com",
                "snowflake-nl",
                country("NL"),
            ),
            (
                "ep-cool-1.eu-central-1.aws.neon.tech",
                "neon-de",
                country("DE"),
            ),
            (
                "aws-0-eu-central-1.pooler.supabase.com",
                "supabase-de",
                country("DE"),
            ),
            ("abc123-dsn.algolia.net", "algolia", country("US")),
            ("api.eu.mailgun.net", "mailgun-de", country("DE")),
            ("api.mailgun.net", "mailgun", country("US")),
            ("m.stripe.network", "stripe", country("US")),
            ("checkout-test.adyen.com", "adyen", country("NL")),
            ("api.mollie.com", "mollie", country("NL")),
            ("api.klarna.com", "klarna", country("SE")),
            ("api.braintreegateway.com", "braintree", country("US")),
            ("api.razorpay.com", "razorpay", country("IN")),
            ("api.paystack.co", "paystack", country("NG")),
            ("api.brevo.com", "brevo", country("FR")),
            ("mandrillapp.com", "mailchimp", country("US")),
            ("hooks.slack.com", "slack", country("US")),
            ("discord.com", "discord", country("US")),
            (
                "fcm.googleapis.com",
                "firebase-cloud-messaging",
                country("US"),
            ),
            ("api.pwnedpasswords.com", "haveibeenpwned", country("AU")),
            ("haveibeenpwned.com", "haveibeenpwned", country("AU")),
            ("push.bitwarden.com", "bitwarden", country("US")),
            ("identity.bitwarden.com", "bitwarden", country("US")),
            ("push.bitwarden.eu", "bitwarden-eu", eu()),
            ("push.mattermost.com", "mattermost", country("US")),
            ("hpns-de.mattermost.com", "mattermost-de", country("DE")),
            (
                "push-notifications.nextcloud.com",
                "nextcloud",
                country("DE"),
            ),
            ("gateway.rocket.chat", "rocketchat", country("US")),
            ("abc.ui.nabu.casa", "nabu-casa", country("US")),
            ("script.hotjar.com", "hotjar", country("IE")),
        ];
        assert!(cases.len() >= 60);
        for (host, id, location) in cases {
            let found = located(host);
            assert_eq!(
                found.as_ref().map(|(i, _)| i.as_str()),
                Some(id),
                "{host}: {found:?}"
            );
            assert_eq!(found.map(|(_, l)| l), Some(location), "{host}");
        }
        // Hosts that do not show where the data is: unknown, never the vendor's country.
        for host in [
            "abcdefghijklmnop.supabase.co",
            "acme-analytics.snowflakecomputing.com",
            "mystack.grafana.net",
            "cluster0.ab1cd.mongodb.net",
            // The customer's own name is not a region, whatever it says.
            "contoso-eu.openai.azure.com",
        ] {
            let found = located(host);
            assert_eq!(found.map(|(_, l)| l), Some(Location::Unknown), "{host}");
        }
        // Cloud endpoints keep their own rules: Vertex AI and Bedrock by region.
        assert_eq!(
            located("europe-west4-aiplatform.googleapis.com").map(|(_, l)| l),
            Some(region("gcp", "europe-west4"))
        );
        assert_eq!(
            located("bedrock-runtime.eu-central-1.amazonaws.com").map(|(_, l)| l),
            Some(region("aws", "eu-central-1"))
        );
        for host in [
            "evilbrowser-intake-datadoghq.com",
            "browser-intake-datadoghq.com.evil.io",
            "example.com",
        ] {
            assert!(located(host).is_none(), "{host}");
        }
    }

    #[test]
    fn unverified_vendor_placement_is_reported() {
        let rules = RuleSet::builtin().unwrap();
        let node = |host: &str| {
            let HostResolution::New(fact) = resolve_host(host, &BTreeMap::new(), &rules) else {
                panic!("{host} is not a vendor");
            };
            Node {
                id: fact.id.clone(),
                kind: NodeKind::Vendor,
                label: fact.label.clone(),
                location: fact.location.clone(),
                resolved: super::super::location::resolve(fact.location.as_ref(), &rules),
                data: Vec::new(),
                domains: fact.domains.clone(),
                certifications: Vec::new(),
                personal_data: None,
                safeguard: None,
                provider: None,
                paths: Vec::new(),
                span: None,
                via: Vec::new(),
                origins: std::collections::BTreeSet::from([Origin::RuleData]),
                inferred: false,
                scope: None,
                aliases: Vec::new(),
                variants: Vec::new(),
                environment: crate::facts::Environment::Production,
            }
        };
        // Confirmed (C) placement: nothing to say.
        assert!(
            unverified_vendor_facts(&node("api.dublin.ie1.twilio.com"), &rules, true).is_empty()
        );
        // Background knowledge (K): the verdict says it relies on it.
        let facts = unverified_vendor_facts(&node("api.mistral.ai"), &rules, false);
        assert_eq!(facts.len(), 1, "{facts:?}");
        assert!(
            facts[0].contains("`mistral`") && facts[0].contains("confidence K"),
            "{facts:?}"
        );
        // A confirmed vendor with its confirmed certification: nothing to say.
        let facts = unverified_vendor_facts(&node("api.segment.io"), &rules, true);
        assert!(facts.is_empty(), "{facts:?}");
        // An endpoint tagged more weakly than its vendor speaks for itself.
        let facts = unverified_vendor_facts(&node("rest.fra-01.braze.eu"), &rules, false);
        assert_eq!(facts.len(), 1, "{facts:?}");
        assert!(
            facts[0].contains("endpoint `*.fra-01.braze.eu`"),
            "{facts:?}"
        );
    }

    #[test]
    fn wildcard_domains_match_subdomains_only() {
        assert!(host_matches("*.acme.io", "api.acme.io"));
        assert!(host_matches("*.acme.io", "a.b.acme.io"));
        assert!(!host_matches("*.acme.io", "acme.io"));
        assert!(!host_matches("*.acme.io", "evilacme.io"));
        assert!(host_matches("api.acme.io", "API.acme.io."));
    }
}
