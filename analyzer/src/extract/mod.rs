//! Extraction: one module per input format turns files into [`Facts`]. Extraction never fails:
//! what cannot be read becomes an `input-error` diagnostic and the rest goes on.

pub mod annotation;
pub mod comment_tags;
pub mod compose;
pub mod env;
pub mod kubernetes;
pub mod lexer;
pub mod owners;
pub mod rust;
pub mod rust_infer;
pub mod urls;
pub mod yaml;

use crate::cache::{Cache, content_hash};
use crate::model::facts::Facts;
use crate::rules::RuleSet;
use crate::source::SourceFile;
use camino::Utf8Path;
use rayon::prelude::*;

pub mod terraform;

/// What every extractor may consult besides its files.
#[derive(Debug)]
pub struct ExtractContext<'a> {
    pub rules: &'a RuleSet,
    pub owners: &'a Owners,
}

/// Which node a file belongs to, from the manifest's `paths` (longest match wins).
#[derive(Debug, Default, Clone)]
pub struct Owners {
    entries: Vec<(String, Option<globset::GlobMatcher>, String)>,
}

impl Owners {
    /// `paths` entries of nodes: `(node id, path prefix or glob)`.
    pub fn new(entries: impl IntoIterator<Item = (String, String)>) -> Owners {
        let mut list: Vec<(String, Option<globset::GlobMatcher>, String)> = entries
            .into_iter()
            .map(|(node, path)| {
                let path = path
                    .trim_start_matches("./")
                    .trim_end_matches('/')
                    .to_string();
                let glob = if path.contains(['*', '?', '[', '{']) {
                    globset::Glob::new(&path).ok().map(|g| g.compile_matcher())
                } else {
                    None
                };
                (path, glob, node)
            })
            .collect();
        list.sort_by(|a, b| {
            b.0.len()
                .cmp(&a.0.len())
                .then(a.0.cmp(&b.0))
                .then(a.2.cmp(&b.2))
        });
        Owners { entries: list }
    }

    /// Every entry as `(path or glob, node)`, in matching order (for cache keys).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(path, _, node)| (path.as_str(), node.as_str()))
    }

    /// The node a file belongs to, if any node's `paths` covers it.
    pub fn owner_of(&self, path: &Utf8Path) -> Option<&str> {
        let path = path.as_str();
        self.entries
            .iter()
            .find(|(prefix, glob, _)| match glob {
                Some(glob) => glob.is_match(path),
                None => {
                    path == prefix
                        || (path.starts_with(prefix.as_str())
                            && path.as_bytes().get(prefix.len()) == Some(&b'/'))
                        || prefix.is_empty()
                }
            })
            .map(|(_, _, node)| node.as_str())
    }
}

/// One input format.
pub trait Extractor: Sync + Send {
    /// A short name for progress and errors (`terraform`, `kubernetes`, ...).
    fn name(&self) -> &'static str;
    /// Whether this extractor reads the file at `path` (relative to the root).
    fn claims(&self, path: &Utf8Path) -> bool;
    /// Reads every claimed file at once, so that formats spanning files (Terraform modules and
    /// tfvars) can resolve across them. Per-file formats use [`per_file`].
    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts;
    /// `Some` when the facts of one file depend only on that file, the package manifests among
    /// the claimed files, and the context: the cache then keeps facts file by file.
    fn per_file(&self) -> Option<&dyn PerFile> {
        None
    }
}

/// The per-file split of an extractor (see [`Extractor::per_file`]). Its `extract` must equal
/// [`run_per_file`]: package owners from every claimed file, [`PerFile::extract_file`] on each
/// file in order, then [`PerFile::finish`] over the merged facts.
pub trait PerFile: Sync + Send {
    /// The facts of one file. Spans may point into this file and into package manifests only.
    fn extract_file(
        &self,
        file: &SourceFile,
        packages: &owners::Packages,
        ctx: &ExtractContext<'_>,
    ) -> Facts;
    /// Work over the merged facts of every file (deduplication).
    fn finish(&self, _facts: &mut Facts) {}
}

/// Runs a per-file extractor over its files without a cache.
pub fn run_per_file(split: &dyn PerFile, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
    let packages = owners::Packages::new(files);
    let mut facts = per_file(files, |file| split.extract_file(file, &packages, ctx));
    split.finish(&mut facts);
    facts
}

/// Runs `extract_one` on each file in parallel and merges the results in file order.
pub fn per_file<F>(files: &[&SourceFile], extract_one: F) -> Facts
where
    F: Fn(&SourceFile) -> Facts + Sync + Send,
{
    let results: Vec<Facts> = files.par_iter().map(|file| extract_one(file)).collect();
    let mut facts = Facts::default();
    for result in results {
        facts.extend(result);
    }
    facts
}

/// Every extractor, in a fixed order.
pub fn extractors() -> Vec<Box<dyn Extractor>> {
    vec![
        Box::new(terraform::Terraform),
        Box::new(kubernetes::KubernetesExtractor),
        Box::new(compose::ComposeExtractor),
        Box::new(env::EnvExtractor),
        Box::new(rust::RustAnnotations),
        Box::new(comment_tags::CommentTags),
    ]
}

/// Runs every extractor over the files it claims.
pub fn extract_all(files: &[SourceFile], ctx: &ExtractContext<'_>) -> Facts {
    extract_all_cached(files, ctx, None)
}

/// Runs every extractor over the files it claims, through `cache` when there is one. The facts
/// are the same either way.
pub fn extract_all_cached(
    files: &[SourceFile],
    ctx: &ExtractContext<'_>,
    cache: Option<&Cache>,
) -> Facts {
    let extractors = extractors();
    // Content hashes, once per file, only when a cache will use them.
    let hashes: Vec<u128> = match cache {
        Some(_) => files.par_iter().map(|f| content_hash(&f.text)).collect(),
        None => Vec::new(),
    };
    let mut facts = Facts::default();
    for extractor in &extractors {
        let (claimed, claimed_hashes): (Vec<&SourceFile>, Vec<u128>) = files
            .iter()
            .enumerate()
            .filter(|(_, f)| extractor.claims(&f.path))
            .map(|(index, f)| (f, hashes.get(index).copied().unwrap_or(0)))
            .unzip();
        if claimed.is_empty() {
            continue;
        }
        match (cache, extractor.per_file()) {
            (Some(cache), Some(split)) => facts.extend(cache.extract_per_file(
                extractor.name(),
                split,
                &claimed,
                &claimed_hashes,
                ctx,
            )),
            (Some(cache), None) => {
                facts.extend(cache.extract(extractor.as_ref(), &claimed, &claimed_hashes, ctx))
            }
            (None, _) => facts.extend(extractor.extract(&claimed, ctx)),
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::Owners;
    use camino::Utf8Path;

    #[test]
    fn longest_path_owns_the_file() {
        let owners = Owners::new([
            ("platform".to_string(), "services".to_string()),
            ("checkout".to_string(), "services/checkout/".to_string()),
            ("jobs".to_string(), "jobs/**/*.py".to_string()),
        ]);
        assert_eq!(
            owners.owner_of(Utf8Path::new("services/checkout/src/main.rs")),
            Some("checkout")
        );
        assert_eq!(
            owners.owner_of(Utf8Path::new("services/checkoutx/main.rs")),
            Some("platform")
        );
        assert_eq!(
            owners.owner_of(Utf8Path::new("jobs/nightly/export.py")),
            Some("jobs")
        );
        assert_eq!(owners.owner_of(Utf8Path::new("README.md")), None);
    }
}
