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
        let countries = if found.countries.is_empty() {
            vec![vendor.country.clone()]
        } else {
            found.countries.clone()
        };
        // A residency endpoint is a different recipient location from the vendor's default: its own node.
        let id = match found.endpoint {
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
        node.location = Some(LocatedAt {
            location: if countries.len() == 1 {
                Location::Country(countries[0].clone())
            } else {
                Location::Unknown
            },
            span: None,
            unresolved_reason: (countries.len() != 1).then(|| {
                format!(
                    "{} may process data in {}",
                    vendor.name,
                    countries.join(", ")
                )
            }),
        });
        node.certifications = vendor.certifications.clone();
        node.domains = vec![host.clone()];
        return HostResolution::New(Box::new(node));
    }
    HostResolution::Unknown
}

#[cfg(test)]
mod tests {
    use super::host_matches;

    #[test]
    fn wildcard_domains_match_subdomains_only() {
        assert!(host_matches("*.acme.io", "api.acme.io"));
        assert!(host_matches("*.acme.io", "a.b.acme.io"));
        assert!(!host_matches("*.acme.io", "acme.io"));
        assert!(!host_matches("*.acme.io", "evilacme.io"));
        assert!(host_matches("api.acme.io", "API.acme.io."));
    }
}
