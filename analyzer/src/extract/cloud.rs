//! Cloud service endpoints: a hostname of a cloud provider's service that names its region
//! (`orders.c1.eu-central-1.rds.amazonaws.com`) to the store node it stands for. Which suffixes
//! are service endpoints of which provider is rule data (`[[provider.host]]`); how each form's
//! labels name the service and region is parsed here. It sits in `extract` so that both the
//! extractors (placing a host an SDK call names) and the model (resolving a host to a node) can
//! use it: the model may use extraction, never the reverse.

use crate::facts::{LocatedAt, Location, NodeFact, NodeKind, Origin};
use crate::rules::{HostForm, RuleSet};

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
    // Which suffixes are service endpoints, of which provider, and what a partition or a legacy
    // host implies, is rule data (`[[provider.host]]` in rules/providers.toml); how each form's
    // labels name the service and region is parsed here.
    let (_, rule) = rules.provider_host(&host)?;
    let prefix = host
        .get(..host.len() - rule.suffix.len() - 1)
        .unwrap_or_default();
    match rule.form {
        HostForm::Aws => aws_endpoint(
            prefix,
            &rule.suffix,
            rules,
            rule.countries.first().map(String::as_str),
        ),
        HostForm::Google => google_endpoint(prefix, rules),
        HostForm::FirebaseRtdb => firebase_endpoint(prefix, rule.region.as_deref(), rules),
        HostForm::Oci => oci_endpoint(prefix, rules),
        HostForm::Alibaba => alibaba_endpoint(prefix, rules),
        HostForm::AzureCloudapp => azure_endpoint(prefix, rules),
    }
}

/// `<database>.<region>.firebasedatabase.app`, or `<database>.firebaseio.com` (the legacy host,
/// whose region the rule data fixes).
fn firebase_endpoint(
    prefix: &str,
    fixed_region: Option<&str>,
    rules: &RuleSet,
) -> Option<NodeFact> {
    let (database, region) = match fixed_region {
        Some(region) => (prefix.rsplit('.').next().filter(|d| !d.is_empty()), region),
        None => {
            let (database, region) = prefix.rsplit_once('.')?;
            (Some(database), region)
        }
    };
    Some(store(
        "gcp",
        "firebase-rtdb",
        region,
        database,
        "Firebase Realtime Database",
        rules,
        None,
    ))
}

/// `<service>.<region>.oraclecloud.com` and deeper forms.
fn oci_endpoint(prefix: &str, rules: &RuleSet) -> Option<NodeFact> {
    let labels: Vec<&str> = prefix.split('.').collect();
    let index = labels
        .iter()
        .position(|l| rules.region("oci", l).is_some())?;
    let service = if index > 0 { labels[index - 1] } else { "oci" };
    Some(store(
        "oci",
        service,
        labels[index],
        None,
        "Oracle Cloud",
        rules,
        None,
    ))
}

/// `<bucket>.oss-<region>.aliyuncs.com` or `<service>.<region>.aliyuncs.com`.
fn alibaba_endpoint(prefix: &str, rules: &RuleSet) -> Option<NodeFact> {
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
    None
}

/// `<name>.<region>.cloudapp.azure.com`.
fn azure_endpoint(prefix: &str, rules: &RuleSet) -> Option<NodeFact> {
    let (name, region) = prefix.rsplit_once('.')?;
    rules.region("azure", region)?;
    Some(store(
        "azure",
        "cloudapp",
        region,
        Some(name),
        "Azure",
        rules,
        None,
    ))
}

fn aws_endpoint(
    prefix: &str,
    suffix: &str,
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
                    "the S3 endpoint `{prefix}.{suffix}` does not name the bucket's region; declare the bucket in borderline.toml with its location"
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
    // `<region>-<svc>`: try each dash as the end of the region (`europe-west1-aiplatform`), the
    // last dash first, so that the longest region wins: `asia-southeast1-malachiteingestion-pa`
    // is in `asia-southeast1` (Singapore), not in the `asia` multi-region its first label spells.
    let first = labels.first()?;
    let dashes: Vec<usize> = first.match_indices('-').map(|(at, _)| at).collect();
    for &position in dashes.iter().rev() {
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
