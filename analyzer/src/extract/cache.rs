//! The incremental cache (`--cache DIR`): extraction results keyed by everything they depend
//! on, so a run over unchanged inputs skips extraction.
//!
//! Most extractors resolve across files (Terraform modules, ConfigMaps, `env_file`), so their
//! unit is one extractor over every file it claims. The key is a hash of the key material: the
//! format and borderline version, a fingerprint of the rule data in force, the extractor's name,
//! the manifest's owner `paths`, and the sorted (path, content hash) of every claimed file. The
//! env extractor joins compose's facts ([`super::Extractor::extract_joined`]) and claims the
//! compose files for it, so its key covers them.
//!
//! Extractors with a [`PerFile`](super::PerFile) split (Rust attributes, code and SDK calls,
//! comment tags, inline waivers) are cached file by file: one cache file per extractor, keyed as
//! above but over the package manifests only (the one thing besides the file and the context a
//! file's facts depend on), holding one record (path, content hash, facts) per file. A file whose
//! path and hash match its record is not re-extracted; the merged facts then go through
//! [`PerFile::finish`](super::PerFile::finish) as without a cache.
//!
//! Every entry stores its key material and is used only on an exact match, so a hash collision
//! is a miss, not wrong output. Spans are stored against the position of their file in the
//! entry's file list and remapped to the current [`FileId`]s on load (ids depend on the whole
//! set of files); a span that does not fit makes the entry a miss, as does an unreadable or
//! corrupt file. Writes go to a new temporary file in DIR (created exclusively, never through a
//! symlink), then a rename, so readers never see half an entry; reads never follow a symlink and
//! are capped. DIR must not be inside the scanned repository (the scan refuses it): entries there
//! would be the pull request's to write. Nothing is evicted: entries of inputs that no longer exist stay until DIR is
//! cleared.

use crate::extract::{ExtractContext, Extractor};
use crate::facts::Facts;
use crate::hash::StableHasher;
use crate::source::{FileId, SourceFile};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bumped whenever the entry layout or the meaning of facts changes.
const FORMAT: &str = "borderline-cache-5";

/// The content hash of one file's text.
pub fn content_hash(text: &str) -> u128 {
    let mut hasher = StableHasher::new();
    hasher.write(text.as_bytes());
    hasher.finish()
}

/// What one entry depends on, stored in full in the entry and compared on load.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct KeyMaterial {
    format: String,
    version: String,
    rules: String,
    extractor: String,
    /// The manifest's `paths` entries: (path or glob, node).
    owners: Vec<(String, String)>,
    /// `[[scan.terraform]]`: (root, variable files). Left out when empty, so that the key of a
    /// scan without it is what it was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    terraform: Vec<(String, Vec<String>)>,
    /// (path, content hash) of every claimed file, in path order.
    files: Vec<(String, String)>,
}

/// One cache file.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Entry {
    key: String,
    material: KeyMaterial,
    /// Spans' `file` is the index in `material.files`.
    facts: Facts,
}

/// The cache file of a per-file extractor: one record per file, reused file by file.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct FilesEntry {
    key: String,
    /// `files` lists the package manifests every file's facts may depend on.
    material: KeyMaterial,
    records: Vec<FileRecord>,
}

/// One file's facts. Spans' `file` is an index in the material's files (the package
/// manifests), or its length for this file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct FileRecord {
    path: String,
    hash: String,
    facts: Facts,
}

/// How a run used the cache. A unit is one extractor's result, or one file's for extractors
/// cached file by file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: usize,
    pub misses: usize,
    /// Entries that could not be written (the run's output is unaffected).
    pub write_errors: usize,
}

/// An open cache directory and the rule-data fingerprint of this run.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    rules: String,
    hits: AtomicUsize,
    misses: AtomicUsize,
    write_errors: AtomicUsize,
}

impl Cache {
    /// Opens `dir`, creating it if missing. `rules` is [`crate::rules::RuleSet::fingerprint`].
    pub fn open(dir: &Path, rules: u128) -> std::io::Result<Cache> {
        std::fs::create_dir_all(dir)?;
        Ok(Cache {
            dir: dir.to_path_buf(),
            rules: format!("{rules:032x}"),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            write_errors: AtomicUsize::new(0),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            write_errors: self.write_errors.load(Ordering::Relaxed),
        }
    }

    fn material(
        &self,
        extractor: &str,
        ctx: &ExtractContext<'_>,
        files: &[&SourceFile],
        hashes: &[u128],
    ) -> (KeyMaterial, Option<String>) {
        let material = KeyMaterial {
            format: FORMAT.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            rules: self.rules.clone(),
            extractor: extractor.to_string(),
            owners: ctx
                .owners
                .entries()
                .map(|(path, node)| (path.to_string(), node.to_string()))
                .collect(),
            terraform: ctx
                .terraform
                .iter()
                .map(|entry| {
                    (
                        entry.root.to_string(),
                        entry.var_files.iter().map(ToString::to_string).collect(),
                    )
                })
                .collect(),
            files: files
                .iter()
                .zip(hashes)
                .map(|(file, hash)| (file.path.to_string(), format!("{hash:032x}")))
                .collect(),
        };
        let key = serde_json::to_string(&material).ok().map(|text| {
            let mut hasher = StableHasher::new();
            hasher.write(text.as_bytes());
            format!("{:032x}", hasher.finish())
        });
        (material, key)
    }

    /// Opens the cache file of a per-file extractor for this run. `shared` are the package
    /// manifests among the files it claims (with their content hashes), the one thing besides a
    /// file and the context that a file's facts depend on.
    pub fn per_file<'a>(
        &'a self,
        name: &str,
        shared: Vec<&'a SourceFile>,
        shared_hashes: &[u128],
        ctx: &ExtractContext<'_>,
    ) -> PerFileCache<'a> {
        let (material, key) = self.material(&format!("{name}/files"), ctx, &shared, shared_hashes);
        let path = key
            .as_ref()
            .map(|key| self.dir.join(format!("{name}-files-{key}.json")));
        let previous: HashMap<String, FileRecord> = match (&key, &path) {
            (Some(key), Some(path)) => read_entry(path)
                .and_then(|bytes| serde_json::from_slice::<FilesEntry>(&bytes).ok())
                .filter(|entry| entry.key == *key && entry.material == material)
                .map(|entry| {
                    entry
                        .records
                        .into_iter()
                        .map(|record| (record.path.clone(), record))
                        .collect()
                })
                .unwrap_or_default(),
            _ => HashMap::new(),
        };
        PerFileCache {
            cache: self,
            key,
            path,
            material,
            shared,
            previous,
            hits: AtomicUsize::new(0),
            files: AtomicUsize::new(0),
        }
    }

    /// The facts of `extractor` over `files` (with their content `hashes`, in the same order):
    /// from the cache when an entry matches, else by running it and storing the result.
    pub fn extract(
        &self,
        extractor: &dyn Extractor,
        files: &[&SourceFile],
        hashes: &[u128],
        ctx: &ExtractContext<'_>,
        run: impl FnOnce() -> Facts,
    ) -> Facts {
        let (material, key) = self.material(extractor.name(), ctx, files, hashes);
        let Some(key) = key else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return run();
        };
        let path = self.dir.join(format!("{}-{key}.json", extractor.name()));
        if let Some(facts) = load(&path, &key, &material, files) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return facts;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let facts = run();
        if self.store(&path, key, material, &facts, files).is_err() {
            self.write_errors.fetch_add(1, Ordering::Relaxed);
        }
        facts
    }

    fn store(
        &self,
        path: &Path,
        key: String,
        material: KeyMaterial,
        facts: &Facts,
        files: &[&SourceFile],
    ) -> Result<(), String> {
        // A span outside the claimed files cannot be remapped: such a result is not cached.
        let stored = remap_out(facts, files).ok_or("span outside the claimed files")?;
        let entry = Entry {
            key,
            material,
            facts: stored,
        };
        let text = serde_json::to_vec(&entry).map_err(|e| e.to_string())?;
        self.write(path, &text)
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the cache directory, then a rename.
    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), String> {
        use std::io::Write;
        // A new file that did not exist (O_EXCL, never through a symlink), then a rename, which
        // replaces a directory entry without following it.
        let (temp, mut file) =
            crate::safe_io::create_temporary(&self.dir, "entry").map_err(|e| e.to_string())?;
        if let Err(error) = file.write_all(bytes) {
            let _ = std::fs::remove_file(&temp);
            return Err(error.to_string());
        }
        drop(file);
        std::fs::rename(&temp, path).map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            e.to_string()
        })
    }
}

/// The cache file of one per-file extractor during a run (see [`Cache::per_file`]): files are
/// looked up one at a time as extraction streams through them, then the records are written
/// back once.
#[derive(Debug)]
pub struct PerFileCache<'a> {
    cache: &'a Cache,
    /// `None` when the key material could not be hashed: every file is then a miss.
    key: Option<String>,
    path: Option<PathBuf>,
    material: KeyMaterial,
    shared: Vec<&'a SourceFile>,
    previous: HashMap<String, FileRecord>,
    hits: AtomicUsize,
    files: AtomicUsize,
}

/// One file's entry in a [`PerFileCache`], to be written back with [`PerFileCache::finish`].
#[derive(Debug)]
pub struct Record(Option<FileRecord>);

impl PerFileCache<'_> {
    /// The facts of `file` (with its content `hash`): from its record when the file is unchanged,
    /// else from `extract`.
    pub fn extract(
        &self,
        file: &SourceFile,
        hash: u128,
        extract: impl FnOnce() -> Facts,
    ) -> (Facts, Record) {
        self.files.fetch_add(1, Ordering::Relaxed);
        let hash = format!("{hash:032x}");
        let mut table: Vec<&SourceFile> = self.shared.clone();
        table.push(file);
        let reused = self
            .key
            .as_ref()
            .and_then(|_| self.previous.get(file.path.as_str()))
            .filter(|record| record.hash == hash)
            .and_then(|record| Some((remap_in(record.facts.clone(), &table)?, record)));
        if let Some((facts, record)) = reused {
            self.hits.fetch_add(1, Ordering::Relaxed);
            self.cache.hits.fetch_add(1, Ordering::Relaxed);
            return (facts, Record(Some(record.clone())));
        }
        self.cache.misses.fetch_add(1, Ordering::Relaxed);
        let facts = extract();
        let record = remap_out(&facts, &table).map(|stored| FileRecord {
            path: file.path.to_string(),
            hash,
            facts: stored,
        });
        (facts, Record(record))
    }

    /// Writes the records of this run's files (in path order), unless nothing changed.
    pub fn finish(self, records: impl IntoIterator<Item = Record>) {
        let (Some(key), Some(path)) = (self.key, self.path) else {
            return;
        };
        let files = self.files.load(Ordering::Relaxed);
        let unchanged = self.hits.load(Ordering::Relaxed) == files && self.previous.len() == files;
        if unchanged {
            return;
        }
        let entry = FilesEntry {
            key,
            material: self.material,
            records: records.into_iter().filter_map(|record| record.0).collect(),
        };
        let written = serde_json::to_vec(&entry)
            .map_err(|e| e.to_string())
            .and_then(|text| self.cache.write(&path, &text));
        if written.is_err() {
            self.cache.write_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Facts with each span's file replaced by its position in `table`; `None` if a span points
/// elsewhere.
fn remap_out(facts: &Facts, table: &[&SourceFile]) -> Option<Facts> {
    let positions: HashMap<FileId, u32> = table
        .iter()
        .enumerate()
        .map(|(index, file)| (file.id, u32::try_from(index).unwrap_or(u32::MAX)))
        .collect();
    let mut stored = facts.clone();
    let mut foreign = false;
    stored.for_each_span(&mut |span| match positions.get(&span.file) {
        Some(position) => span.file = FileId(*position),
        None => foreign = true,
    });
    (!foreign).then_some(stored)
}

/// The inverse of [`remap_out`] against this run's files; `None` if a span does not fit them.
fn remap_in(mut facts: Facts, table: &[&SourceFile]) -> Option<Facts> {
    let mut valid = true;
    facts.for_each_span(&mut |span| match table.get(span.file.0 as usize) {
        Some(file) if span.start <= span.end && (span.end as usize) <= file.text.len() => {
            span.file = file.id;
        }
        _ => valid = false,
    });
    valid.then_some(facts)
}

/// Entries larger than this are misses: the largest real entry (a per-file record of every file
/// of a 22,000-file tree) is far smaller.
const MAX_ENTRY_BYTES: u64 = 512 * 1024 * 1024;

/// An entry's bytes, read like every file borderline reads for itself: never through a symlink,
/// only a regular file, capped. `None` is a miss.
fn read_entry(path: &Path) -> Option<Vec<u8>> {
    crate::safe_io::read_bytes(path, &[], MAX_ENTRY_BYTES).ok()
}

/// Reads an entry; `None` on any problem (missing, unreadable, corrupt, or for other inputs).
fn load(path: &Path, key: &str, material: &KeyMaterial, files: &[&SourceFile]) -> Option<Facts> {
    let bytes = read_entry(path)?;
    let entry: Entry = serde_json::from_slice(&bytes).ok()?;
    if entry.key != key || entry.material != *material {
        return None;
    }
    remap_in(entry.facts, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_separates_pieces() {
        // FNV-1a 128 of the empty input is its offset basis; of "a", the published value.
        assert_eq!(content_hash(""), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        assert_eq!(content_hash("a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
        let mut one = StableHasher::new();
        one.piece(b"ab");
        one.piece(b"c");
        let mut two = StableHasher::new();
        two.piece(b"a");
        two.piece(b"bc");
        assert_ne!(one.finish(), two.finish());
    }
}
