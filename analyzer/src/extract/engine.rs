//! The extraction engine: runs every extractor over the files it claims, through the cache when
//! there is one; the facts are the same either way.
//!
//! First a `Plan` says, for each input, which extractors claim it and how it is read. Whole-set
//! extractors (Terraform, Kubernetes, compose, env) run first over the files they claim, which
//! are then reduced to the lines their facts point into. The rest (source code, the bulk of a
//! repository) streams: each file is read, run through the per-file extractors that claim it and
//! reduced, in parallel, so that only a file per thread is whole at a time. Package manifests
//! (which every code file's owner may point into) and files a per-file extractor also claims are
//! held until the end. Facts are merged extractor by extractor, each in file order, so the result
//! does not depend on scheduling.
//!
//! The env extractor joins env files to the compose services that read them: whole-set
//! extractors run in [`extractors`] order, so compose's [`ComposeServices`] facts exist when env
//! runs, and they are handed to it ([`Extractor::extract_joined`]) and dropped from the result.

use super::cache::{Cache, PerFileCache, Record, content_hash};
use super::{Classes, ExtractContext, Extractor, extractors, owners, sites};
use crate::facts::{ComposeServices, ExtractionDiagnostic, Facts};
use crate::source::{FileId, SourceFile, StoredFile};
use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

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

/// An extractor, by its position in [`extractors`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ExtractorId(usize);

/// A set of extractors (there are fewer than 32).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ExtractorSet(u32);

impl ExtractorSet {
    /// The extractors of `all` for which `pick` holds.
    fn of(all: &[Box<dyn Extractor>], pick: impl Fn(&dyn Extractor) -> bool) -> ExtractorSet {
        all.iter()
            .enumerate()
            .filter(|(_, extractor)| pick(extractor.as_ref()))
            .fold(ExtractorSet::default(), |set, (k, _)| {
                ExtractorSet(set.0 | (1 << k))
            })
    }

    fn contains(self, id: ExtractorId) -> bool {
        self.0 & (1 << id.0) != 0
    }

    fn meets(self, other: ExtractorSet) -> bool {
        self.0 & other.0 != 0
    }

    fn complement(self) -> ExtractorSet {
        ExtractorSet(!self.0)
    }
}

/// How the engine reads one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Claimed by nothing and no package manifest: never read.
    Unread,
    /// Read by whole-set extractors only: held until they ran, then reduced.
    WholeSet,
    /// Held until every extractor ran (a package manifest, or a file claimed by whole-set and
    /// per-file extractors), then reduced.
    HeldToEnd,
    /// Read while streaming, reduced as soon as the per-file extractors that claim it ran.
    Streamed,
}

/// For each input, which extractors claim it and how it is read.
struct Plan {
    claims: Vec<ExtractorSet>,
    readings: Vec<Reading>,
    /// The extractors without a per-file split.
    whole: ExtractorSet,
}

impl Plan {
    fn new(inputs: &[InputFile], extractors: &[Box<dyn Extractor>]) -> Plan {
        let claims: Vec<ExtractorSet> = inputs
            .iter()
            .map(|input| ExtractorSet::of(extractors, |e| e.claims(&input.path)))
            .collect();
        let whole = ExtractorSet::of(extractors, |e| e.per_file().is_none());
        let readings = inputs
            .iter()
            .zip(&claims)
            .map(|(input, claims)| {
                let manifest = owners::is_package_manifest(&input.path);
                let held = claims.meets(whole) || manifest;
                let needed_later = claims.meets(whole.complement()) || manifest;
                match (held, needed_later) {
                    (true, true) => Reading::HeldToEnd,
                    (true, false) => Reading::WholeSet,
                    (false, true) => Reading::Streamed,
                    (false, false) => Reading::Unread,
                }
            })
            .collect();
        Plan {
            claims,
            readings,
            whole,
        }
    }

    /// True when the input is read before the whole-set extractors run.
    fn held(&self, i: usize) -> bool {
        matches!(self.readings[i], Reading::WholeSet | Reading::HeldToEnd)
    }

    /// True when a per-file extractor claims the input.
    fn streams(&self, i: usize) -> bool {
        self.claims[i].meets(self.whole.complement())
    }

    fn claimed_by(&self, i: usize, id: ExtractorId) -> bool {
        self.claims[i].contains(id)
    }

    /// True when some input is claimed by the extractor.
    fn any_claimed_by(&self, id: ExtractorId) -> bool {
        self.claims.iter().any(|claims| claims.contains(id))
    }
}

/// The files read before the whole-set extractors run, by input index.
struct Held {
    files: Vec<Option<SourceFile>>,
    /// Their content hashes when there is a cache (0 for a file not held), else empty.
    hashes: Vec<u128>,
    /// Inputs that could not be read.
    failed: Vec<bool>,
    diagnostics: Vec<ExtractionDiagnostic>,
}

impl Held {
    fn load(inputs: &[InputFile], plan: &Plan, cache: Option<&Cache>) -> Held {
        let loaded: Vec<(usize, Result<SourceFile, ExtractionDiagnostic>)> = (0..inputs.len())
            .filter(|&i| plan.held(i))
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|i| (i, inputs[i].load()))
            .collect();
        let mut files: Vec<Option<SourceFile>> = (0..inputs.len()).map(|_| None).collect();
        let mut failed = vec![false; inputs.len()];
        let mut diagnostics = Vec::new();
        for (i, result) in loaded {
            match result {
                Ok(file) => files[i] = Some(file),
                Err(diagnostic) => {
                    failed[i] = true;
                    diagnostics.push(diagnostic);
                }
            }
        }
        let hashes = match cache {
            Some(_) => files
                .par_iter()
                .map(|file| file.as_ref().map_or(0, |f| content_hash(&f.text)))
                .collect(),
            None => Vec::new(),
        };
        Held {
            files,
            hashes,
            failed,
            diagnostics,
        }
    }

    /// The held files `keep` selects, with their hashes (0 without a cache).
    fn select(&self, keep: impl Fn(usize, &SourceFile) -> bool) -> (Vec<&SourceFile>, Vec<u128>) {
        self.files
            .iter()
            .enumerate()
            .filter_map(|(i, file)| Some((i, file.as_ref()?)))
            .filter(|(i, file)| keep(*i, file))
            .map(|(i, file)| (file, self.hashes.get(i).copied().unwrap_or(0)))
            .unzip()
    }
}

/// Runs every extractor over the files it claims, through `cache` when there is one; the facts
/// are the same either way (see the module documentation for the order and what is held).
pub fn extract_files(
    inputs: &[InputFile],
    ctx: &ExtractContext<'_>,
    cache: Option<&Cache>,
) -> Extraction {
    let extractors = extractors();
    let plan = Plan::new(inputs, &extractors);
    let mut held = Held::load(inputs, &plan, cache);
    // Static-site trees are known from the generators' configurations, which the env extractor
    // claims so that they are held here; their links are dropped once every extractor is done.
    let static_sites = sites::find(held.files.iter().flatten());
    let mut whole_facts = run_whole_set(&extractors, &plan, &held, ctx, cache);
    // Files only whole-set extractors read are reduced before the bulk of the repository
    // streams through.
    let mut stored: Vec<Option<StoredFile>> = (0..inputs.len()).map(|_| None).collect();
    release_whole_set_files(&plan, &mut held, &mut whole_facts, &mut stored);

    let mut streaming = Streaming::new(&extractors, &plan, &held, ctx, cache);
    let mut results = streaming.run(inputs);
    let mut facts = streaming.merge(&mut whole_facts, &mut results, inputs);
    // Consumed by the env extractor's join; not part of the result.
    facts.compose_services.clear();

    let paths: BTreeMap<FileId, &Utf8Path> = inputs
        .iter()
        .map(|input| (input.id, input.path.as_path()))
        .collect();
    sites::quiet(&static_sites, &paths, &mut facts);

    let mut diagnostics = std::mem::take(&mut held.diagnostics);
    for result in results {
        if result.stored.is_some() {
            stored[result.index] = result.stored;
        }
        diagnostics.extend(result.diagnostic);
    }
    // Files held to the end keep the lines any fact points into; then they are dropped too.
    let held_ids: BTreeSet<FileId> = held.files.iter().flatten().map(|file| file.id).collect();
    let mut held_spans = spans_in(std::iter::once(&mut facts), &held_ids);
    for (i, file) in held.files.into_iter().enumerate() {
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

/// Runs the whole-set extractors, in order, over the held files each claims; `None` for an
/// extractor with a per-file split or no files. Each gets the compose facts of the ones before it.
fn run_whole_set(
    extractors: &[Box<dyn Extractor>],
    plan: &Plan,
    held: &Held,
    ctx: &ExtractContext<'_>,
    cache: Option<&Cache>,
) -> Vec<Option<Facts>> {
    let mut whole_facts: Vec<Option<Facts>> = extractors.iter().map(|_| None).collect();
    let mut compose: Vec<ComposeServices> = Vec::new();
    for (k, extractor) in extractors.iter().enumerate() {
        if extractor.per_file().is_some() {
            continue;
        }
        let (claimed, hashes) = held.select(|i, _| plan.claimed_by(i, ExtractorId(k)));
        if claimed.is_empty() {
            continue;
        }
        let run = || extractor.extract_joined(&claimed, &compose, ctx);
        let facts = match cache {
            Some(cache) => cache.extract(extractor.as_ref(), &claimed, &hashes, ctx, run),
            None => run(),
        };
        compose.extend(facts.compose_services.iter().cloned());
        whole_facts[k] = Some(facts);
    }
    whole_facts
}

/// Reduces the files only whole-set extractors read to the lines their facts point into.
fn release_whole_set_files(
    plan: &Plan,
    held: &mut Held,
    whole_facts: &mut [Option<Facts>],
    stored: &mut [Option<StoredFile>],
) {
    let early: BTreeSet<FileId> = held
        .files
        .iter()
        .enumerate()
        .filter(|(i, _)| plan.readings[*i] == Reading::WholeSet)
        .filter_map(|(_, file)| Some(file.as_ref()?.id))
        .collect();
    let mut early_spans = spans_in(whole_facts.iter_mut().flatten(), &early);
    for (i, slot) in held.files.iter_mut().enumerate() {
        if plan.readings[i] != Reading::WholeSet {
            continue;
        }
        if let Some(file) = slot.take() {
            let spans = early_spans.remove(&file.id).unwrap_or_default();
            stored[i] = Some(StoredFile::keeping(&file, spans));
        }
    }
}

/// One streamed file's results.
struct Streamed {
    index: usize,
    /// The facts of the extractors that found something, in [`extractors`] order.
    facts: Vec<(ExtractorId, Facts)>,
    /// The cache record of each per-file extractor that ran, when there is a cache.
    records: Vec<(ExtractorId, Record)>,
    /// What reports keep of the file, when it is not held to the end.
    stored: Option<StoredFile>,
    diagnostic: Option<ExtractionDiagnostic>,
}

/// The per-file extractors' run over the files they claim.
struct Streaming<'a> {
    extractors: &'a [Box<dyn Extractor>],
    plan: &'a Plan,
    held: &'a Held,
    ctx: &'a ExtractContext<'a>,
    cache: Option<&'a Cache>,
    packages: owners::Packages,
    /// Per extractor, its per-file cache when there is a cache and it claims a file.
    caches: Vec<Option<PerFileCache<'a>>>,
}

impl<'a> Streaming<'a> {
    fn new(
        extractors: &'a [Box<dyn Extractor>],
        plan: &'a Plan,
        held: &'a Held,
        ctx: &'a ExtractContext<'a>,
        cache: Option<&'a Cache>,
    ) -> Streaming<'a> {
        let (manifests, _) = held.select(|_, file| owners::is_package_manifest(&file.path));
        let packages = owners::Packages::new(&manifests);
        let caches = extractors
            .iter()
            .enumerate()
            .map(|(k, extractor)| {
                let cache = cache?;
                extractor.per_file()?;
                if !plan.any_claimed_by(ExtractorId(k)) {
                    return None;
                }
                let (shared, hashes) = held.select(|i, file| {
                    plan.claimed_by(i, ExtractorId(k)) && owners::is_package_manifest(&file.path)
                });
                Some(cache.per_file(extractor.name(), shared, &hashes, ctx))
            })
            .collect();
        Streaming {
            extractors,
            plan,
            held,
            ctx,
            cache,
            packages,
            caches,
        }
    }

    /// Each streamed file read (unless held), run through the per-file extractors that claim it,
    /// and dropped, in parallel.
    fn run(&self, inputs: &[InputFile]) -> Vec<Streamed> {
        (0..inputs.len())
            .filter(|&i| self.plan.streams(i) && !self.held.failed[i])
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|i| self.one(i, &inputs[i]))
            .collect()
    }

    fn one(&self, i: usize, input: &InputFile) -> Streamed {
        let mut result = Streamed {
            index: i,
            facts: Vec::new(),
            records: Vec::new(),
            stored: None,
            diagnostic: None,
        };
        let owned;
        let held = self.held.files[i].as_ref();
        let file = match held {
            Some(file) => file,
            None => match input.load() {
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
        let hash = match (self.cache, self.held.hashes.get(i)) {
            (None, _) => 0,
            (Some(_), Some(hash)) if held.is_some() => *hash,
            (Some(_), _) => content_hash(&file.text),
        };
        let mut spans = Vec::new();
        for (k, extractor) in self.extractors.iter().enumerate() {
            let id = ExtractorId(k);
            let Some(split) = extractor.per_file().filter(|_| self.plan.claimed_by(i, id)) else {
                continue;
            };
            let run = || split.extract_file(file, &self.packages, self.ctx);
            let mut facts = match &self.caches[k] {
                Some(cache) => {
                    let (facts, record) = cache.extract(file, hash, run);
                    result.records.push((id, record));
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
                result.facts.push((id, facts));
            }
        }
        if held.is_none() {
            result.stored = Some(StoredFile::keeping(file, spans));
        }
        result
    }

    /// Every extractor's facts, extractor by extractor in [`extractors`] order, each in file
    /// order; per-file extractors' merged facts go through [`super::PerFile::finish`].
    fn merge(
        &mut self,
        whole_facts: &mut [Option<Facts>],
        results: &mut [Streamed],
        inputs: &[InputFile],
    ) -> Facts {
        let mut facts = Facts::default();
        let classes = Classes::of(inputs.iter().map(|i| (i.id, i.path.as_str())));
        for (k, extractor) in self.extractors.iter().enumerate() {
            let id = ExtractorId(k);
            let Some(split) = extractor.per_file() else {
                facts.extend(whole_facts[k].take().unwrap_or_default());
                continue;
            };
            let mut own = Facts::default();
            let mut records = Vec::new();
            for result in results.iter_mut() {
                if result.facts.first().is_some_and(|(first, _)| *first == id) {
                    own.extend(result.facts.remove(0).1);
                }
                if result
                    .records
                    .first()
                    .is_some_and(|(first, _)| *first == id)
                {
                    records.push(result.records.remove(0).1);
                }
            }
            split.finish(&mut own, &classes);
            facts.extend(own);
            if let Some(cache) = self.caches[k].take() {
                cache.finish(records);
            }
        }
        facts
    }
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
    use super::*;

    fn readings(paths: &[&str]) -> Vec<Reading> {
        let inputs: Vec<InputFile> = paths
            .iter()
            .enumerate()
            .map(|(i, path)| InputFile {
                id: FileId(i as u32),
                path: Utf8PathBuf::from(*path),
                input: Input::Text(Arc::from("")),
            })
            .collect();
        Plan::new(&inputs, &extractors()).readings
    }

    #[test]
    fn each_input_is_read_as_its_claims_say() {
        // Comment tags (a per-file extractor) read the comments of Terraform, YAML and dotenv
        // files too, so those are held to the end; JSON has no comments.
        assert_eq!(
            readings(&[
                "config/production.json",
                "infra/main.tf",
                "compose.yaml",
                "config/api.env",
                "src/main.rs",
                "Cargo.toml",
                "logo.png",
            ]),
            [
                Reading::WholeSet,
                Reading::HeldToEnd,
                Reading::HeldToEnd,
                Reading::HeldToEnd,
                Reading::Streamed,
                Reading::HeldToEnd,
                Reading::Unread,
            ]
        );
    }

    #[test]
    fn extractor_sets_hold_what_they_are_built_of() {
        let all = extractors();
        let whole = ExtractorSet::of(&all, |e| e.per_file().is_none());
        let streamed = whole.complement();
        for (k, extractor) in all.iter().enumerate() {
            let id = ExtractorId(k);
            assert_eq!(whole.contains(id), extractor.per_file().is_none());
            assert_eq!(streamed.contains(id), extractor.per_file().is_some());
        }
        assert!(!whole.meets(streamed));
        assert!(whole.meets(whole));
        assert!(!ExtractorSet::default().meets(whole));
    }
}
