//! The host index of the vendor catalogue: which vendor a host name belongs to, and where that host
//! puts data.
//!
//! The catalogue holds well over a thousand host patterns and every host found in a repository is
//! looked up, so patterns are grouped by the last two labels of the names they can match
//! (`*.ingest.de.sentry.io` and `sentry.io` under `sentry.io`): a lookup reads one group and the
//! few patterns whose literal part does not end in two whole labels (`*-datadoghq.com`, `*.io`).
//! The answer is the same as comparing the host with every pattern: the most specific pattern wins
//! (the longest literal part, then an exact name over a wildcard, then an endpoint over a plain
//! domain), and of equally specific patterns the first in file order.

use super::model::{Vendor, VendorMatch};
use std::collections::BTreeMap;

/// Where a pattern sits in the catalogue: file order, which is also the order that breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct PatternRef {
    vendor: usize,
    /// False for `domains`, true for an endpoint: a vendor's domains come first.
    endpoint: bool,
    index: usize,
}

/// Vendor host patterns grouped by the last two labels of the hosts they match.
#[derive(Debug, Clone, Default)]
pub(crate) struct VendorIndex {
    by_suffix: BTreeMap<String, Vec<PatternRef>>,
    /// Patterns a host's last two labels do not decide: compared with every host.
    everywhere: Vec<PatternRef>,
}

impl VendorIndex {
    pub(crate) fn new(vendors: &[Vendor]) -> VendorIndex {
        let mut index = VendorIndex::default();
        for (v, vendor) in vendors.iter().enumerate() {
            let domains = vendor.domains.iter().map(|d| (false, d.as_str()));
            let endpoints = vendor.endpoints.iter().map(|e| (true, e.host.as_str()));
            let mut counts = [0usize; 2];
            for (endpoint, pattern) in domains.chain(endpoints) {
                let slot = &mut counts[usize::from(endpoint)];
                let reference = PatternRef {
                    vendor: v,
                    endpoint,
                    index: *slot,
                };
                *slot += 1;
                match pattern_key(pattern) {
                    Some(key) => index.by_suffix.entry(key).or_default().push(reference),
                    None => index.everywhere.push(reference),
                }
            }
        }
        index
    }

    /// The vendor `host` (lower case, no trailing dot) belongs to.
    pub(crate) fn lookup<'a>(&self, vendors: &'a [Vendor], host: &str) -> Option<VendorMatch<'a>> {
        let mut candidates: Vec<PatternRef> = self
            .by_suffix
            .get(last_two_labels(host))
            .into_iter()
            .flatten()
            .chain(&self.everywhere)
            .copied()
            .collect();
        // File order, so that the first of equally specific patterns wins whatever group it is in.
        candidates.sort_unstable();
        let mut best: Option<((usize, bool, bool), VendorMatch<'a>)> = None;
        for reference in candidates {
            let Some(vendor) = vendors.get(reference.vendor) else {
                continue;
            };
            let (pattern, found) = if reference.endpoint {
                let Some(endpoint) = vendor.endpoints.get(reference.index) else {
                    continue;
                };
                let found = VendorMatch {
                    vendor,
                    endpoint: Some(endpoint),
                    countries: endpoint.countries.clone(),
                };
                (endpoint.host.as_str(), found)
            } else {
                let Some(domain) = vendor.domains.get(reference.index) else {
                    continue;
                };
                let found = VendorMatch {
                    vendor,
                    endpoint: None,
                    countries: vendor.default_countries.clone(),
                };
                (domain.as_str(), found)
            };
            let Some((length, exact)) = host_matches(host, pattern) else {
                continue;
            };
            let score = (length, exact, reference.endpoint);
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, found));
            }
        }
        best.map(|(_, found)| found)
    }
}

/// The last two labels of a host (`sentry.io` of `o1.ingest.de.sentry.io`), or the whole host.
fn last_two_labels(host: &str) -> &str {
    match host.rmatch_indices('.').nth(1) {
        Some((dot, _)) => &host[dot + 1..],
        None => host,
    }
}

/// The group of a pattern: the last two labels every host it matches ends with, when the pattern
/// decides them (`None` for `*-datadoghq.com` or `*.io`, whose match may end in other labels).
fn pattern_key(pattern: &str) -> Option<String> {
    match pattern.strip_prefix('*') {
        None => Some(last_two_labels(pattern).to_string()),
        Some(literal) => {
            let (dot, _) = literal.rmatch_indices('.').nth(1)?;
            Some(literal[dot + 1..].to_string())
        }
    }
}

/// Matches `host` against `example.com` or `*.example.com` (`*` is any non-empty prefix);
/// returns the length of the literal part and whether it was exact.
fn host_matches(host: &str, pattern: &str) -> Option<(usize, bool)> {
    match pattern.strip_prefix('*') {
        Some(suffix) => {
            (host.len() > suffix.len() && host.ends_with(suffix)).then_some((suffix.len(), false))
        }
        None => (host == pattern).then_some((pattern.len(), true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_the_last_two_whole_labels() {
        assert_eq!(last_two_labels("o1.ingest.de.sentry.io"), "sentry.io");
        assert_eq!(last_two_labels("sentry.io"), "sentry.io");
        assert_eq!(last_two_labels("localhost"), "localhost");
        assert_eq!(
            pattern_key("*.ingest.de.sentry.io").as_deref(),
            Some("sentry.io")
        );
        assert_eq!(
            pattern_key("*-eu.pusher.com").as_deref(),
            Some("pusher.com")
        );
        assert_eq!(pattern_key("sentry.io").as_deref(), Some("sentry.io"));
        // A partial label or a single label leaves the group open.
        assert_eq!(pattern_key("*-datadoghq.com"), None);
        assert_eq!(pattern_key("*.io"), None);
    }
}
