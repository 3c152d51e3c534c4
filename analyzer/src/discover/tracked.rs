//! The files git tracks in the scanned root, read from the root's `.git/index`, so that ignore
//! files leave out only what git leaves out: a committed file stays part of the repository
//! whatever a `.gitignore` says (`*.tfvars` ignored, `terraform.tfvars` committed anyway is common,
//! and that file holds the region). A pull request's diff shows such files; a scan that skipped
//! them would judge a repository other than the one under review.
//!
//! The index is read once, the first time an ignore file matches an entry (most scans never pay
//! for it), with `safe_io` (no symlink, regular file, capped) and decoded by `gix-index` with an
//! allocation limit: nothing else of `.git` is read and no git program runs. When there is no
//! index (not a repository, a worktree whose `.git` is a file, an export) ignore files apply as
//! they are; when the index cannot be used that is said in a note.

use super::ignores::is_not_a_directory;
use super::note;
use crate::facts::ExtractionDiagnostic;
use crate::safe_io;
use gix::index::State;
use std::path::Path;

/// The largest index read: about 700,000 tracked paths, far beyond the repositories borderline
/// scans whole (the Linux kernel's index is about 10 MiB).
pub const MAX_INDEX_BYTES: u64 = 64 * 1024 * 1024;
/// The largest allocation decoding may make on the index's say.
const MAX_INDEX_ALLOCATION: usize = 256 * 1024 * 1024;

/// The paths the root's index tracks, relative to the root. They are copied out of the decoded
/// index and sorted here: lookups never rely on a hostile index being sorted.
#[derive(Debug)]
pub struct Tracked {
    paths: Vec<Box<[u8]>>,
}

impl Tracked {
    /// Reads `root/.git/index`. `Ok(None)` when there is none; `Err(note)` when there is one that
    /// cannot be used (ignore files then apply to every file, as without an index).
    pub fn load(root: &Path) -> Result<Option<Tracked>, ExtractionDiagnostic> {
        const SHOWN: &str = ".git/index";
        let refused = |reason: String| {
            note(
                SHOWN,
                format!(
                    "{SHOWN}: not read ({reason}); files an ignore file matches are left out even \
                     where git tracks them"
                ),
            )
        };
        let path = root.join(".git").join("index");
        let bytes = match safe_io::read_bytes(&path, &[root], MAX_INDEX_BYTES) {
            Ok(bytes) => bytes,
            Err(error) if error.is_not_found() || is_not_a_directory(&error) => return Ok(None),
            Err(error) => return Err(refused(error.reason())),
        };
        let tracked = Tracked::from_index(&bytes);
        drop(bytes);
        tracked.map(Some).map_err(refused)
    }

    /// The tracked paths of an index file's bytes, or why they cannot be had.
    pub fn from_index(bytes: &[u8]) -> Result<Tracked, String> {
        let options = gix::index::decode::Options {
            thread_limit: Some(1),
            alloc_limit_bytes: Some(MAX_INDEX_ALLOCATION),
            ..Default::default()
        };
        let (state, _checksum) = State::from_bytes(
            bytes,
            filetime::FileTime::zero(),
            gix::hash::Kind::Sha1,
            options,
        )
        .map_err(|error| format!("not a git index borderline can read: {error}"))?;
        if state.link().is_some() {
            // A split index (`core.splitIndex`) keeps most entries in a shared file beside it.
            return Err("a split index; its shared part is not read".to_string());
        }
        let mut paths: Vec<Box<[u8]>> = state
            .entries()
            .iter()
            .map(|entry| entry.path(&state).to_vec().into_boxed_slice())
            .collect();
        drop(state);
        paths.sort_unstable();
        paths.dedup();
        Ok(Tracked { paths })
    }

    /// Whether git tracks the file at `relative` (`/`-separated, relative to the root).
    pub fn tracks_file(&self, relative: &str) -> bool {
        self.paths
            .binary_search_by(|path| (**path).cmp(relative.as_bytes()))
            .is_ok()
    }

    /// Whether git tracks a file somewhere below the directory at `relative`.
    pub fn tracks_below(&self, relative: &str) -> bool {
        let prefix = format!("{relative}/").into_bytes();
        let first = self.paths.partition_point(|path| **path < *prefix);
        self.paths
            .get(first)
            .is_some_and(|path| path.starts_with(&prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::Tracked;

    fn tracked(paths: &[&str]) -> Tracked {
        let mut paths: Vec<Box<[u8]>> = paths.iter().map(|p| p.as_bytes().into()).collect();
        paths.sort_unstable();
        Tracked { paths }
    }

    #[test]
    fn a_directory_holds_only_paths_below_it_not_siblings_that_share_its_name() {
        let index = tracked(&["gen-old/a.tf", "gen/sub/b.tf", "gen.tf", "z/c.tf"]);
        assert!(index.tracks_below("gen"));
        assert!(index.tracks_below("gen/sub"));
        assert!(!index.tracks_below("gen/su"));
        assert!(!index.tracks_below("ge"));
        assert!(!index.tracks_below("z/c.tf"));
        assert!(index.tracks_file("gen.tf"));
        assert!(!index.tracks_file("gen"));
        assert!(!index.tracks_file("gen/sub"));
    }

    #[test]
    fn bytes_that_are_not_an_index_are_refused_with_a_reason() {
        for bytes in [
            &b""[..],
            b"DIRC",
            b"DIRC\0\0\0\x02\xff\xff\xff\xff",
            b"not an index",
        ] {
            let error = Tracked::from_index(bytes).expect_err("not an index");
            assert!(error.starts_with("not a git index"), "{error}");
        }
    }
}
