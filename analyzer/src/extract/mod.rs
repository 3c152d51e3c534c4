//! Extraction: one module per input format turns files into [`Facts`]. Extraction never fails:
//! what cannot be read becomes an `input-error` diagnostic and the rest goes on.
//!
//! [`engine`] runs the extractors over the files they claim (through [`cache`] when there is
//! one); [`classify`] says which of the compose, env and Kubernetes extractors owns a path.
//! Those three never use each other: what they share lives in modules of its own ([`values`],
//! [`services`], [`regions`], [`urls`], [`yaml`]), and what compose learns for env travels as
//! facts ([`crate::facts::ComposeServices`], which the engine hands the env extractor).

pub mod annotation;
pub mod cache;
pub mod classify;
pub mod cloud;
pub mod code;
pub mod comment_tags;
pub mod compose;
pub mod engine;
pub mod env;
pub mod environment;
pub mod inline_waivers;
pub mod kubernetes;
pub mod kustomize;
pub mod owners;
pub mod regions;
pub mod rust;
pub mod rust_infer;
pub mod sdks;
pub mod services;
pub mod sites;
pub mod templates;
pub mod urls;
pub mod values;
pub mod yaml;

use crate::facts::{ComposeServices, Facts};
use crate::rules::RuleSet;
use crate::source::{FileId, SourceFile};
use camino::Utf8Path;
use rayon::prelude::*;
use std::collections::BTreeMap;

pub use engine::{Extraction, Input, InputFile, extract_all, extract_files};

pub mod terraform;

/// What every extractor may consult besides its files.
#[derive(Debug)]
pub struct ExtractContext<'a> {
    pub rules: &'a RuleSet,
    pub owners: &'a Owners,
    /// `[[scan.terraform]]`: Terraform roots and the variable files each is applied with.
    pub terraform: &'a [crate::facts::TerraformVariants],
}

/// Which node a file belongs to, from the manifest's `paths` (longest match wins).
#[derive(Debug, Default, Clone)]
pub struct Owners {
    /// (path or glob, compiled glob, node), longest first: the first match wins.
    entries: Vec<(String, Option<globset::GlobMatcher>, String)>,
    /// Plain paths and the first entry that has each, so that a file's owner is found by looking
    /// up its ancestors rather than by trying every entry.
    prefixes: std::collections::HashMap<String, usize>,
    /// Entries that are globs, in order.
    globs: Vec<usize>,
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
        let mut prefixes = std::collections::HashMap::new();
        let mut globs = Vec::new();
        for (index, (path, glob, _)) in list.iter().enumerate() {
            if glob.is_some() {
                globs.push(index);
            } else {
                prefixes.entry(path.clone()).or_insert(index);
            }
        }
        Owners {
            entries: list,
            prefixes,
            globs,
        }
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
        // The file itself, each directory above it, then the root (an empty path).
        let mut best: Option<usize> = None;
        let mut ancestor = Some(path);
        while let Some(current) = ancestor {
            if let Some(&index) = self.prefixes.get(current) {
                best = Some(best.map_or(index, |b| b.min(index)));
            }
            ancestor = match current.rfind('/') {
                Some(at) => Some(&current[..at]),
                None if !current.is_empty() => Some(""),
                None => None,
            };
        }
        let glob = self.globs.iter().copied().find(|&index| {
            self.entries[index]
                .1
                .as_ref()
                .is_some_and(|glob| glob.is_match(path))
        });
        let index = match (best, glob) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        self.entries.get(index).map(|(_, _, node)| node.as_str())
    }
}

/// One input format.
pub trait Extractor: Sync + Send {
    /// A short name for progress and errors (`terraform`, `kubernetes`, ...).
    fn name(&self) -> &'static str;
    /// Whether this extractor reads the file at `path` (relative to the root).
    fn claims(&self, path: &Utf8Path) -> bool;
    /// Reads every claimed file at once, so that formats spanning files (Terraform modules and
    /// tfvars) can resolve across them. Whole-set extractors implement it; for an extractor with
    /// a [`Extractor::per_file`] split it runs the split over the files ([`run_per_file`]).
    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
        match self.per_file() {
            Some(split) => run_per_file(split, files, ctx),
            None => Facts::default(),
        }
    }
    /// [`Extractor::extract`] for a whole-set extractor that joins its files to what the
    /// whole-set extractors before it found: `compose` holds the [`ComposeServices`] the compose
    /// extractor reported, from which the env extractor reads which services read which env
    /// file. An extractor that reads them claims the compose files too, so that a cache key over
    /// its claimed files covers them.
    fn extract_joined(
        &self,
        files: &[&SourceFile],
        _compose: &[ComposeServices],
        ctx: &ExtractContext<'_>,
    ) -> Facts {
        self.extract(files, ctx)
    }
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
    /// Work over the merged facts of every file (deduplication). `classes` gives the environment
    /// class of a file, so facts of a test or dev file never merge into a production one.
    fn finish(&self, _facts: &mut Facts, _classes: &Classes) {}
}

/// Runs a per-file extractor over its files without a cache, in parallel, merging in file order.
pub fn run_per_file(split: &dyn PerFile, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
    let packages = owners::Packages::new(files);
    let results: Vec<Facts> = files
        .par_iter()
        .map(|file| split.extract_file(file, &packages, ctx))
        .collect();
    let mut facts = Facts::default();
    for result in results {
        facts.extend(result);
    }
    split.finish(
        &mut facts,
        &Classes::of(files.iter().map(|f| (f.id, f.path.as_str()))),
    );
    facts
}

/// The environment class of every file an extractor sees, by its path.
#[derive(Debug, Default)]
pub struct Classes(BTreeMap<FileId, crate::facts::Environment>);

impl Classes {
    pub fn of<'a>(files: impl Iterator<Item = (FileId, &'a str)>) -> Classes {
        Classes(
            files
                .map(|(id, path)| (id, environment::classify(path)))
                .collect(),
        )
    }

    /// The class of the file a span is in (production when unknown).
    pub fn of_span(&self, span: Option<crate::source::Span>) -> crate::facts::Environment {
        span.and_then(|s| self.0.get(&s.file).copied())
            .unwrap_or_default()
    }

    /// [`Classes::of_span`], with the parts of files an extractor classed from their content.
    pub fn of_span_in(
        &self,
        span: Option<crate::source::Span>,
        ranges: &[crate::facts::ClassRange],
    ) -> crate::facts::Environment {
        let by_path = self.of_span(span);
        match span {
            Some(span) if by_path == crate::facts::Environment::Production => ranges
                .iter()
                .filter(|range| range.contains(span))
                .map(|range| range.environment)
                .min()
                .unwrap_or(by_path),
            _ => by_path,
        }
    }
}

/// Every extractor, in a fixed order.
pub fn extractors() -> Vec<Box<dyn Extractor>> {
    vec![
        Box::new(terraform::Terraform),
        Box::new(kubernetes::KubernetesExtractor),
        Box::new(kustomize::KustomizeExtractor),
        Box::new(compose::ComposeExtractor),
        Box::new(env::EnvExtractor),
        Box::new(rust::RustAnnotations),
        Box::new(code::CodeCalls),
        Box::new(comment_tags::CommentTags),
        Box::new(sdks::SdkCalls),
        Box::new(inline_waivers::InlineWaivers),
    ]
}

#[cfg(test)]
mod tests {
    use super::Owners;
    use camino::Utf8Path;
    use proptest::prelude::*;

    proptest! {
        /// Looking up ancestors finds the same owner as trying every entry, longest first.
        #[test]
        fn owner_lookup_matches_trying_every_entry(
            entries in prop::collection::vec(
                ("[a-c]{1,2}", "(\\./)?([ab](/[ab]){0,2}(/)?|[ab]/\\*\\*|[ab]/\\*\\.rs|)"),
                0..8,
            ),
            path in "[ab](/[ab]){0,3}(\\.rs)?",
        ) {
            let owners = Owners::new(entries.iter().cloned());
            let naive = owners.entries.iter().find(|(prefix, glob, _)| match glob {
                Some(glob) => glob.is_match(&path),
                None => {
                    path == *prefix
                        || (path.starts_with(prefix.as_str())
                            && path.as_bytes().get(prefix.len()) == Some(&b'/'))
                        || prefix.is_empty()
                }
            });
            prop_assert_eq!(
                owners.owner_of(Utf8Path::new(&path)),
                naive.map(|(_, _, node)| node.as_str())
            );
        }
    }

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
