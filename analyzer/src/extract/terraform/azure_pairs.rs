//! Azure region pairs (`rules/azure-pairs.toml`): where geo-redundant storage keeps its second copy.
//!
//! Until the rule-data loader knows this file, the Terraform extractor embeds and reads it itself.
//! It is topology, not law: which country a region is in still comes from the rule data.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const BUILTIN: &str = include_str!("../../../../rules/azure-pairs.toml");

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PairFile {
    #[allow(dead_code)]
    meta: toml::Table,
    #[serde(default)]
    pair: Vec<Pair>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Pair {
    region: String,
    paired: String,
    #[allow(dead_code)]
    #[serde(default)]
    source: Option<String>,
}

/// Region -> paired region. A broken built-in file yields no pairs (the replicas become
/// unknown-location), and the unit test below keeps the file valid.
pub(crate) fn pairs() -> &'static BTreeMap<String, String> {
    static PAIRS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    PAIRS.get_or_init(|| parse(BUILTIN).unwrap_or_default())
}

fn parse(text: &str) -> Result<BTreeMap<String, String>, toml::de::Error> {
    let file: PairFile = toml::from_str(text)?;
    Ok(file
        .pair
        .into_iter()
        .map(|p| (p.region.to_ascii_lowercase(), p.paired.to_ascii_lowercase()))
        .collect())
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pairs_parse_and_are_unique() {
        let file: Result<PairFile, _> = toml::from_str(BUILTIN);
        let file = file.unwrap_or_else(|e| panic!("rules/azure-pairs.toml: {e}"));
        let mut seen = std::collections::BTreeSet::new();
        for pair in &file.pair {
            assert!(
                seen.insert(pair.region.clone()),
                "duplicate region {}",
                pair.region
            );
            assert_ne!(pair.region, pair.paired);
        }
        assert_eq!(
            pairs().get("westeurope").map(String::as_str),
            Some("northeurope")
        );
        assert_eq!(pairs().get("eastus").map(String::as_str), Some("westus"));
    }
}
