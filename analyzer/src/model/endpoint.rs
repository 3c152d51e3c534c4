//! Endpoint resolution: a hostname found in code or configuration to the node that receives the data.
//!
//! Order: a node's declared `domains` (the manifest wins), then vendors in rule data (with their
//! residency endpoints), then cloud service endpoints that carry their region.

use super::Node;
use super::facts::{LocatedAt, Location, NodeFact, NodeKind, Origin};
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
        let vendor = found.vendor;
        let residency_bloc =
            found.endpoint.is_some() && found.countries.is_empty() && names_eu_region(&host);
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
        if nodes.contains_key(&id) {
            return HostResolution::Node(id);
        }
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
        return HostResolution::New(Box::new(node));
    }
    if let Some(node) = cloud_endpoint(&host, rules) {
        if nodes.contains_key(&node.id) {
            return HostResolution::Node(node.id);
        }
        return HostResolution::New(Box::new(node));
    }
    HostResolution::Unknown
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

/// Cloud services whose endpoints carry no personal data (credentials, keys, images, control plane).
const CONTROL_PLANE: [&str; 12] = [
    "sts",
    "iam",
    "kms",
    "ecr",
    "dkr",
    "api.ecr",
    "ssm",
    "secretsmanager",
    "ec2",
    "autoscaling",
    "cloudformation",
    "acm",
];

/// A store node for a cloud service endpoint that names its region, e.g.
/// `orders.c1.eu-central-1.rds.amazonaws.com` or `europe-west1-aiplatform.googleapis.com`.
pub fn cloud_endpoint(host: &str, rules: &RuleSet) -> Option<NodeFact> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if let Some(prefix) = host.strip_suffix(".amazonaws.com.cn") {
        return aws_endpoint(prefix, rules, Some("CN"));
    }
    if let Some(prefix) = host.strip_suffix(".amazonaws.eu") {
        return aws_endpoint(prefix, rules, Some("DE"));
    }
    if let Some(prefix) = host.strip_suffix(".amazonaws.com") {
        return aws_endpoint(prefix, rules, None);
    }
    if let Some(prefix) = host.strip_suffix(".googleapis.com") {
        return google_endpoint(prefix, rules);
    }
    if let Some(prefix) = host.strip_suffix(".firebasedatabase.app") {
        // `<db>.<region>.firebasedatabase.app`
        let (database, region) = prefix.rsplit_once('.')?;
        return Some(store(
            "gcp",
            "firebase-rtdb",
            region,
            Some(database),
            "Firebase Realtime Database",
            rules,
            None,
        ));
    }
    if let Some(database) = host.strip_suffix(".firebaseio.com") {
        // The legacy RTDB host is always us-central1.
        let database = database.rsplit('.').next().filter(|d| !d.is_empty());
        return Some(store(
            "gcp",
            "firebase-rtdb",
            "us-central1",
            database,
            "Firebase Realtime Database",
            rules,
            None,
        ));
    }
    if let Some(prefix) = host.strip_suffix(".oraclecloud.com") {
        let labels: Vec<&str> = prefix.split('.').collect();
        let index = labels
            .iter()
            .position(|l| rules.region("oci", l).is_some())?;
        let service = if index > 0 { labels[index - 1] } else { "oci" };
        return Some(store(
            "oci",
            service,
            labels[index],
            None,
            "Oracle Cloud",
            rules,
            None,
        ));
    }
    if let Some(prefix) = host.strip_suffix(".aliyuncs.com") {
        let labels: Vec<&str> = prefix.split('.').collect();
        for (index, label) in labels.iter().enumerate() {
            // `oss-eu-central-1` (object storage) or `<svc>.<region>`.
            let (service, region) = match label.strip_prefix("oss-") {
                Some(region) => ("oss", region),
                None if index > 0 => (labels[index - 1], *label),
                None => continue,
            };
            let region = region.trim_end_matches("-internal");
            if rules.region("alibaba", region).is_some() {
                let bucket = (service == "oss" && index > 0).then(|| labels[index - 1]);
                return Some(store(
                    "alibaba",
                    service,
                    region,
                    bucket,
                    "Alibaba Cloud",
                    rules,
                    None,
                ));
            }
        }
        return None;
    }
    if let Some(prefix) = host.strip_suffix(".cloudapp.azure.com") {
        let (name, region) = prefix.rsplit_once('.')?;
        rules.region("azure", region)?;
        return Some(store(
            "azure",
            "cloudapp",
            region,
            Some(name),
            "Azure",
            rules,
            None,
        ));
    }
    None
}

fn aws_endpoint(
    prefix: &str,
    rules: &RuleSet,
    partition_country: Option<&str>,
) -> Option<NodeFact> {
    let labels: Vec<&str> = prefix.split('.').collect();
    if labels.iter().any(|l| CONTROL_PLANE.contains(l)) {
        return None;
    }
    // S3 has the most spellings: `<bucket>.s3.<region>`, `<bucket>.s3-<region>`, `s3.<region>`,
    // `<bucket>.s3.dualstack.<region>`, `<bucket>.s3-website-<region>`, and the global `<bucket>.s3`.
    if let Some(index) = labels
        .iter()
        .position(|l| *l == "s3" || l.starts_with("s3-"))
    {
        let bucket = (index > 0).then(|| labels[..index].join("."));
        let dashed = labels[index]
            .strip_prefix("s3-website-")
            .or_else(|| labels[index].strip_prefix("s3-"))
            .filter(|r| rules.region("aws", r).is_some());
        let region = dashed.or_else(|| {
            labels[index + 1..]
                .iter()
                .copied()
                .find(|l| rules.region("aws", l).is_some())
        });
        return Some(match region {
            Some(region) => store("aws", "s3", region, bucket.as_deref(), "Amazon S3", rules, None),
            None => store(
                "aws",
                "s3",
                "global",
                bucket.as_deref(),
                "Amazon S3",
                rules,
                Some(partition_country.map(str::to_string).ok_or_else(|| format!(
                    "the S3 endpoint `{prefix}.amazonaws.com` does not name the bucket's region; declare the bucket in borderline.toml with its location"
                ))),
            ),
        });
    }
    let index = labels.iter().position(|l| rules.region("aws", l).is_some());
    let Some(index) = index else {
        // A partition with a single jurisdiction still tells the country.
        let country = partition_country?;
        let service = labels.first().copied().unwrap_or("aws");
        return Some(store(
            "aws",
            service,
            "",
            None,
            "AWS",
            rules,
            Some(Ok(country.to_string())),
        ));
    };
    let region = labels[index];
    // `<id>.<region>.rds` names the service after the region; `dynamodb.<region>` before it.
    let (service, resource) = match labels.get(index + 1) {
        Some(service) => (*service, labels.first().copied().filter(|_| index > 0)),
        None if index > 0 => (labels[index - 1], None),
        None => return None,
    };
    if CONTROL_PLANE.contains(&service) {
        return None;
    }
    Some(store("aws", service, region, resource, "AWS", rules, None))
}

fn google_endpoint(prefix: &str, rules: &RuleSet) -> Option<NodeFact> {
    let labels: Vec<&str> = prefix.split('.').collect();
    // `<svc>.<region>.rep` (regional endpoints)
    if let Some(index) = labels.iter().position(|l| rules.region("gcp", l).is_some()) {
        let service = if index > 0 { labels[index - 1] } else { "gcp" };
        return Some(store(
            "gcp",
            service,
            labels[index],
            None,
            "Google Cloud",
            rules,
            None,
        ));
    }
    // `<region>-<svc>`: try each dash as the end of the region (`europe-west1-aiplatform`).
    let first = labels.first()?;
    for (position, _) in first.match_indices('-') {
        let (region, service) = (&first[..position], &first[position + 1..]);
        if rules.region("gcp", region).is_some() && !service.is_empty() {
            return Some(store(
                "gcp",
                service,
                region,
                None,
                "Google Cloud",
                rules,
                None,
            ));
        }
    }
    None
}

/// A store of a cloud provider. `override_location`: `Ok(country)` for a partition-wide
/// country, `Err(reason)` when the endpoint names no region at all.
fn store(
    provider: &str,
    service: &str,
    region: &str,
    resource: Option<&str>,
    product: &str,
    rules: &RuleSet,
    override_location: Option<Result<String, String>>,
) -> NodeFact {
    let mut id = format!("{provider}:{service}");
    if !region.is_empty() {
        id.push(':');
        id.push_str(region);
    }
    if let Some(resource) = resource {
        id.push(':');
        id.push_str(resource);
    }
    let mut node = NodeFact::new(id, Origin::Inference);
    node.kind = Some(NodeKind::Store);
    node.provider = rules
        .provider(provider)
        .map(|p| p.id.clone())
        .or(Some(provider.to_string()));
    node.label = Some(match resource {
        Some(resource) => format!("{product} {service} `{resource}` ({region})"),
        None => format!("{product} {service} ({region})"),
    });
    let (location, reason) = match override_location {
        Some(Ok(country)) => match rules.region(provider, region) {
            Some(found) => (
                Location::Region {
                    provider: found.provider.clone(),
                    region: found.id.clone(),
                },
                None,
            ),
            None => (Location::Country(country), None),
        },
        Some(Err(reason)) => (Location::Unknown, Some(reason)),
        None => (
            Location::Region {
                provider: provider.to_string(),
                region: region.to_string(),
            },
            None,
        ),
    };
    node.location = Some(LocatedAt {
        location,
        span: None,
        unresolved_reason: reason,
    });
    node
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

    #[test]
    fn wildcard_domains_match_subdomains_only() {
        assert!(host_matches("*.acme.io", "api.acme.io"));
        assert!(host_matches("*.acme.io", "a.b.acme.io"));
        assert!(!host_matches("*.acme.io", "acme.io"));
        assert!(!host_matches("*.acme.io", "evilacme.io"));
        assert!(host_matches("api.acme.io", "API.acme.io."));
    }
}
