//! Extraction: one module per input format turns files into [`Facts`]. Extraction never fails:
//! what cannot be read becomes an `input-error` diagnostic and the rest goes on.

pub mod annotation;
pub mod cache;
pub mod code;
pub mod comment_tags;
pub mod compose;
pub mod env;
pub mod environment;
pub mod inline_waivers;
pub mod kubernetes;
pub mod lexer;
pub mod owners;
pub mod rust;
pub mod rust_infer;
pub mod sdks;
pub mod sites;
pub mod templates;
pub mod urls;
pub mod yaml;

use cache::{Cache, PerFileCache, Record, content_hash};
use crate::model::facts::{ExtractionDiagnostic, Facts};
use crate::rules::RuleSet;
use crate::source::{FileId, SourceFile, StoredFile};
use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

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
pub struct Classes(BTreeMap<FileId, environment::Environment>);

impl Classes {
    pub fn of<'a>(files: impl Iterator<Item = (FileId, &'a str)>) -> Classes {
        Classes(
            files
                .map(|(id, path)| (id, environment::classify(path)))
                .collect(),
        )
    }

    /// The class of the file a span is in (production when unknown).
    pub fn of_span(&self, span: Option<crate::source::Span>) -> environment::Environment {
        span.and_then(|s| self.0.get(&s.file).copied())
            .unwrap_or_default()
    }

    /// [`Classes::of_span`], with the parts of files an extractor classed from their content.
    pub fn of_span_in(
        &self,
        span: Option<crate::source::Span>,
        ranges: &[crate::model::facts::ClassRange],
    ) -> environment::Environment {
        let by_path = self.of_span(span);
        match span {
            Some(span) if by_path == environment::Environment::Production => ranges
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
        Box::new(compose::ComposeExtractor),
        Box::new(env::EnvExtractor),
        Box::new(rust::RustAnnotations),
        Box::new(code::CodeCalls),
        Box::new(comment_tags::CommentTags),
        Box::new(sdks::SdkCalls),
        Box::new(inline_waivers::InlineWaivers),
    ]
}

/// Runs every extractor over the files it claims (already read; tests and fuzzing).
pub fn extract_all(files: &[SourceFile], ctx: &ExtractContext<'_>) -> Facts {
    let inputs: Vec<InputFile> = files
        .iter()
        .map(|file| InputFile {
            id: file.id,
            path: file.path.clone(),
            input: Input::Text(file.text.clone()),
        })
        .collect();
    extract_files(&inputs, ctx, None).facts
}

/// Where an input file's text comes from.
#[derive(Debug, Clone)]
pub enum Input {
    /// Read already.
    Text(Arc<str>),
    /// On disk, read when extraction reaches it ([`crate::discover::read`]).
    Disk(PathBuf),
}

/// A file to extract from, with the id its spans get.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub id: FileId,
    /// Relative to the scanned root, `/`-separated.
    pub path: Utf8PathBuf,
    pub input: Input,
}

impl InputFile {
    fn load(&self) -> Result<SourceFile, ExtractionDiagnostic> {
        let text = match &self.input {
            Input::Text(text) => text.clone(),
            Input::Disk(absolute) => crate::discover::read(&self.path, absolute)?,
        };
        Ok(SourceFile::new(self.id, self.path.clone(), text))
    }
}

/// What extraction keeps: the facts, and of each input file (in input order) what reports need.
#[derive(Debug, Default)]
pub struct Extraction {
    pub files: Vec<StoredFile>,
    pub facts: Facts,
}

/// One streamed file's results.
struct Streamed {
    index: usize,
    /// (extractor index, facts) of the extractors that found something, in [`extractors`] order.
    facts: Vec<(usize, Facts)>,
    /// (extractor index, cache record), when there is a cache.
    records: Vec<(usize, Record)>,
    /// What reports keep of the file, when it is not held to the end.
    stored: Option<StoredFile>,
    diagnostic: Option<ExtractionDiagnostic>,
}

/// Runs every extractor over the files it claims, through `cache` when there is one; the facts
/// are the same either way.
///
/// Whole-set extractors (Terraform, Kubernetes, env) run first over the files they claim, which
/// are then reduced to the lines their facts point into. The rest (source code, the bulk of a
/// repository) streams: each file is read, run through the per-file extractors that claim it and
/// reduced, in parallel, so that only a file per thread is whole at a time. Package manifests
/// (which every code file's owner may point into) and compose files (also read per file) are
/// held until the end. Facts are merged extractor by extractor, each in file order, so the result
/// does not depend on scheduling.
pub fn extract_files(
    inputs: &[InputFile],
    ctx: &ExtractContext<'_>,
    cache: Option<&Cache>,
) -> Extraction {
    let extractors = extractors();
    let bit = |k: usize| 1u32 << k;
    let claims: Vec<u32> = inputs
        .iter()
        .map(|input| {
            extractors
                .iter()
                .enumerate()
                .filter(|(_, e)| e.claims(&input.path))
                .fold(0, |mask, (k, _)| mask | bit(k))
        })
        .collect();
    let whole: u32 = extractors
        .iter()
        .enumerate()
        .filter(|(_, e)| e.per_file().is_none())
        .fold(0, |mask, (k, _)| mask | bit(k));
    let hold = |i: usize| claims[i] & whole != 0 || owners::is_package_manifest(&inputs[i].path);

    // Held files: read first, kept whole until every extractor is done.
    let loaded: Vec<(usize, Result<SourceFile, ExtractionDiagnostic>)> = (0..inputs.len())
        .filter(|&i| hold(i))
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|i| (i, inputs[i].load()))
        .collect();
    let mut held: Vec<Option<SourceFile>> = (0..inputs.len()).map(|_| None).collect();
    let mut failed = vec![false; inputs.len()];
    let mut diagnostics = Vec::new();
    for (i, result) in loaded {
        match result {
            Ok(file) => held[i] = Some(file),
            Err(diagnostic) => {
                failed[i] = true;
                diagnostics.push(diagnostic);
            }
        }
    }
    // Static-site trees are known from the generators' configurations, which the env extractor
    // claims so that they are held here; their links are dropped once every extractor is done.
    let static_sites = sites::find(held.iter().flatten());
    let held_hashes: Vec<u128> = match cache {
        Some(_) => held
            .par_iter()
            .map(|file| file.as_ref().map_or(0, |f| content_hash(&f.text)))
            .collect(),
        None => Vec::new(),
    };
    // Whole-set extractors run first, so that the files only they read can be reduced to what
    // their facts point into before the bulk of the repository streams through.
    let mut whole_facts: Vec<Option<Facts>> = extractors.iter().map(|_| None).collect();
    for (k, extractor) in extractors.iter().enumerate() {
        if extractor.per_file().is_some() {
            continue;
        }
        let (claimed, hashes): (Vec<&SourceFile>, Vec<u128>) = held
            .iter()
            .enumerate()
            .filter(|(i, _)| claims[*i] & bit(k) != 0)
            .filter_map(|(i, file)| {
                Some((file.as_ref()?, held_hashes.get(i).copied().unwrap_or(0)))
            })
            .unzip();
        if claimed.is_empty() {
            continue;
        }
        whole_facts[k] = Some(match cache {
            Some(cache) => cache.extract(extractor.as_ref(), &claimed, &hashes, ctx),
            None => extractor.extract(&claimed, ctx),
        });
    }
    let streamed: u32 = !whole;
    let mut stored: Vec<Option<StoredFile>> = (0..inputs.len()).map(|_| None).collect();
    let needed_later =
        |i: usize| claims[i] & streamed != 0 || owners::is_package_manifest(&inputs[i].path);
    let early: BTreeSet<FileId> = held
        .iter()
        .enumerate()
        .filter(|(i, _)| !needed_later(*i))
        .filter_map(|(_, file)| Some(file.as_ref()?.id))
        .collect();
    let mut early_spans = spans_in(whole_facts.iter_mut().flatten(), &early);
    for (i, slot) in held.iter_mut().enumerate() {
        if needed_later(i) {
            continue;
        }
        if let Some(file) = slot.take() {
            let spans = early_spans.remove(&file.id).unwrap_or_default();
            stored[i] = Some(StoredFile::keeping(&file, spans));
        }
    }

    let manifests: Vec<&SourceFile> = held
        .iter()
        .flatten()
        .filter(|file| owners::is_package_manifest(&file.path))
        .collect();
    let packages = owners::Packages::new(&manifests);
    let per_file_caches: Vec<Option<PerFileCache<'_>>> = extractors
        .iter()
        .enumerate()
        .map(|(k, extractor)| {
            let cache = cache?;
            extractor.per_file()?;
            if !claims.iter().any(|mask| mask & bit(k) != 0) {
                return None;
            }
            let (shared, hashes): (Vec<&SourceFile>, Vec<u128>) = held
                .iter()
                .enumerate()
                .filter_map(|(i, file)| Some((i, file.as_ref()?)))
                .filter(|(i, file)| {
                    claims[*i] & bit(k) != 0 && owners::is_package_manifest(&file.path)
                })
                .map(|(i, file)| (file, held_hashes[i]))
                .unzip();
            Some(cache.per_file(extractor.name(), shared, &hashes, ctx))
        })
        .collect();

    // Streamed: each file read, run through the per-file extractors that claim it, and dropped.
    let mut results: Vec<Streamed> = (0..inputs.len())
        .filter(|&i| claims[i] & streamed != 0 && !failed[i])
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|i| {
            let mut result = Streamed {
                index: i,
                facts: Vec::new(),
                records: Vec::new(),
                stored: None,
                diagnostic: None,
            };
            let owned;
            let file = match &held[i] {
                Some(file) => file,
                None => match inputs[i].load() {
                    Ok(file) => {
                        owned = file;
                        &owned
                    }
                    Err(diagnostic) => {
                        result.diagnostic = Some(diagnostic);
                        return result;
                    }
                },
            };
            let hash = match (cache, held_hashes.get(i)) {
                (None, _) => 0,
                (Some(_), Some(hash)) if held[i].is_some() => *hash,
                (Some(_), _) => content_hash(&file.text),
            };
            let mut spans = Vec::new();
            for (k, extractor) in extractors.iter().enumerate() {
                let Some(split) = extractor.per_file().filter(|_| claims[i] & bit(k) != 0) else {
                    continue;
                };
                let run = || split.extract_file(file, &packages, ctx);
                let mut facts = match &per_file_caches[k] {
                    Some(cache) => {
                        let (facts, record) = cache.extract(file, hash, run);
                        result.records.push((k, record));
                        facts
                    }
                    None => run(),
                };
                facts.for_each_span(&mut |span| {
                    if span.file == file.id {
                        spans.push((span.start, span.end));
                    }
                });
                if !facts.is_empty() {
                    result.facts.push((k, facts));
                }
            }
            if held[i].is_none() {
                result.stored = Some(StoredFile::keeping(file, spans));
            }
            result
        })
        .collect();

    let mut facts = Facts::default();
    let mut per_file_caches = per_file_caches;
    let classes = Classes::of(inputs.iter().map(|i| (i.id, i.path.as_str())));
    for (k, extractor) in extractors.iter().enumerate() {
        match extractor.per_file() {
            None => facts.extend(whole_facts[k].take().unwrap_or_default()),
            Some(split) => {
                let mut own = Facts::default();
                let mut records = Vec::new();
                for result in &mut results {
                    if result.facts.first().is_some_and(|(index, _)| *index == k) {
                        own.extend(result.facts.remove(0).1);
                    }
                    if result.records.first().is_some_and(|(index, _)| *index == k) {
                        records.push(result.records.remove(0).1);
                    }
                }
                split.finish(&mut own, &classes);
                facts.extend(own);
                if let Some(cache) = per_file_caches[k].take() {
                    cache.finish(records);
                }
            }
        }
    }

    let paths: BTreeMap<FileId, &Utf8Path> = inputs
        .iter()
        .map(|input| (input.id, input.path.as_path()))
        .collect();
    sites::quiet(&static_sites, &paths, &mut facts);

    // Files held to the end keep the lines any fact points into; then they are dropped too.
    for result in results {
        if result.stored.is_some() {
            stored[result.index] = result.stored;
        }
        diagnostics.extend(result.diagnostic);
    }
    let held_ids: BTreeSet<FileId> = held.iter().flatten().map(|file| file.id).collect();
    let mut held_spans = spans_in(std::iter::once(&mut facts), &held_ids);
    for (i, file) in held.into_iter().enumerate() {
        if let Some(file) = file {
            let spans = held_spans.remove(&file.id).unwrap_or_default();
            stored[i] = Some(StoredFile::keeping(&file, spans));
        }
    }
    facts.diagnostics.extend(diagnostics);
    let files = stored
        .into_iter()
        .zip(inputs)
        .map(|(file, input)| {
            file.unwrap_or_else(|| StoredFile::absent(input.id, input.path.clone()))
        })
        .collect();
    Extraction { files, facts }
}

/// The byte ranges that `facts` point at in each of `files`.
fn spans_in<'a>(
    facts: impl IntoIterator<Item = &'a mut Facts>,
    files: &BTreeSet<FileId>,
) -> BTreeMap<FileId, Vec<(u32, u32)>> {
    let mut spans: BTreeMap<FileId, Vec<(u32, u32)>> = BTreeMap::new();
    for facts in facts {
        facts.for_each_span(&mut |span| {
            if files.contains(&span.file) {
                spans
                    .entry(span.file)
                    .or_default()
                    .push((span.start, span.end));
            }
        });
    }
    spans
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
