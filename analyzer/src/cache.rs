//! The incremental cache (`--cache DIR`): each extractor's [`Facts`], keyed by everything they
//! depend on, so a run over unchanged inputs skips extraction.
//!
//! Extractors resolve across files (Terraform modules, package owners, ConfigMaps, `env_file`),
//! so the unit is one extractor over every file it claims. The key is a hash of the key
//! material: the format and borderline version, a fingerprint of the rule data in force, the
//! extractor's name, the manifest's owner `paths`, and the sorted (path, content hash) of every
//! claimed file. The entry stores the material itself and is used only when it matches exactly,
//! so a hash collision is a miss, not wrong output. Spans are stored against the position of
//! their file in the material's file list and remapped to the current [`FileId`]s on load (ids
//! depend on the whole set of files). An unreadable, corrupt or mismatched entry is a miss.
//! Writes go to a temporary file in DIR, then a rename, so readers never see half an entry.

use crate::extract::{ExtractContext, Extractor};
use crate::model::facts::Facts;
use crate::source::{FileId, SourceFile};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bumped whenever the entry layout or the meaning of facts changes.
const FORMAT: &str = "borderline-cache-1";

/// FNV-1a, 128 bits: stable across runs, platforms and Rust versions (unlike `std`'s hashers).
#[derive(Debug, Clone, Copy)]
pub struct StableHasher(u128);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(0x6c62_272e_07bb_0142_62b8_2175_6295_c58d)
    }
}

impl StableHasher {
    pub fn new() -> StableHasher {
        StableHasher::default()
    }

    pub fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u128::from(*byte);
            self.0 = self
                .0
                .wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
    }

    /// Writes a length-prefixed piece, so that consecutive pieces cannot run into each other.
    pub fn piece(&mut self, bytes: &[u8]) {
        self.write(&(bytes.len() as u64).to_le_bytes());
        self.write(bytes);
    }

    pub fn finish(&self) -> u128 {
        self.0
    }
}

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

/// How a run used the cache.
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
    temp_counter: AtomicUsize,
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
            temp_counter: AtomicUsize::new(0),
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

    /// The facts of `extractor` over `files` (with their content `hashes`, in the same order):
    /// from the cache when an entry matches, else by running it and storing the result.
    pub fn extract(
        &self,
        extractor: &dyn Extractor,
        files: &[&SourceFile],
        hashes: &[u128],
        ctx: &ExtractContext<'_>,
    ) -> Facts {
        let material = KeyMaterial {
            format: FORMAT.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            rules: self.rules.clone(),
            extractor: extractor.name().to_string(),
            owners: ctx
                .owners
                .entries()
                .map(|(path, node)| (path.to_string(), node.to_string()))
                .collect(),
            files: files
                .iter()
                .zip(hashes)
                .map(|(file, hash)| (file.path.to_string(), format!("{hash:032x}")))
                .collect(),
        };
        let key = match serde_json::to_string(&material) {
            Ok(text) => {
                let mut hasher = StableHasher::new();
                hasher.write(text.as_bytes());
                format!("{:032x}", hasher.finish())
            }
            Err(_) => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                return extractor.extract(files, ctx);
            }
        };
        let path = self.dir.join(format!("{}-{key}.json", extractor.name()));
        if let Some(facts) = load(&path, &key, &material, files) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return facts;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let facts = extractor.extract(files, ctx);
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
        let positions: HashMap<FileId, u32> = files
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
        if foreign {
            // A span outside the claimed files cannot be remapped: do not cache this result.
            return Err("span outside the claimed files".into());
        }
        let entry = Entry {
            key,
            material,
            facts: stored,
        };
        let text = serde_json::to_vec(&entry).map_err(|e| e.to_string())?;
        let counter = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let temp = self
            .dir
            .join(format!(".tmp-{}-{counter}", std::process::id()));
        std::fs::write(&temp, &text).map_err(|e| e.to_string())?;
        std::fs::rename(&temp, path).map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            e.to_string()
        })
    }
}

/// Reads an entry; `None` on any problem (missing, unreadable, corrupt, or for other inputs).
fn load(path: &Path, key: &str, material: &KeyMaterial, files: &[&SourceFile]) -> Option<Facts> {
    let bytes = std::fs::read(path).ok()?;
    let entry: Entry = serde_json::from_slice(&bytes).ok()?;
    if entry.key != key || entry.material != *material {
        return None;
    }
    let mut facts = entry.facts;
    let mut valid = true;
    facts.for_each_span(&mut |span| match files.get(span.file.0 as usize) {
        Some(file) if span.start <= span.end && (span.end as usize) <= file.text.len() => {
            span.file = file.id;
        }
        _ => valid = false,
    });
    valid.then_some(facts)
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
