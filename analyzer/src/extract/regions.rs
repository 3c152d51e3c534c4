//! Where a workload runs when its manifest names a cloud region: the annotation that declares a
//! location outright, and a bare region id resolved against the rule data. Kubernetes manifests
//! and compose files (`awslogs-region`, labels) both name regions so.

use crate::facts::{LocatedAt, Location};
use crate::rules::RuleSet;
use crate::source::Span;
use std::collections::BTreeSet;

/// The annotation (or Helm value key) that declares a location outright.
pub const LOCATION_ANNOTATION: &str = "borderline.dev/location";

/// A bare region id as a location: its provider when the hint or the rule data leaves only one.
pub fn region_location(
    region: &str,
    provider_hint: Option<&str>,
    span: Option<Span>,
    rules: &RuleSet,
) -> LocatedAt {
    let located = |location, reason| LocatedAt {
        location,
        span,
        unresolved_reason: reason,
    };
    if let Some(provider) = provider_hint
        && let Some(found) = rules.region(provider, region)
    {
        return located(
            Location::Region {
                provider: found.provider.clone(),
                region: found.id.clone(),
            },
            None,
        );
    }
    let candidates = rules.region_anywhere(region);
    let providers: BTreeSet<&str> = candidates.iter().map(|r| r.provider.as_str()).collect();
    match (providers.len(), candidates.first()) {
        (1, Some(found)) => located(
            Location::Region {
                provider: found.provider.clone(),
                region: found.id.clone(),
            },
            None,
        ),
        (0, _) => located(
            Location::Unknown,
            Some(format!(
                "region `{region}` is in no provider's rule data (rules/regions/)"
            )),
        ),
        _ => located(
            Location::Unknown,
            Some(format!(
                "region `{region}` exists at several providers ({}); declare it as `provider:{region}`",
                providers.into_iter().collect::<Vec<_>>().join(", ")
            )),
        ),
    }
}
