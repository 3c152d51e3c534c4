//! Ignore files (`.gitignore`, `.ignore`, `.git/info/exclude`) read by borderline itself, not by the
//! `ignore` crate: the crate follows symlinks, opens FIFOs and devices, reads without a cap and
//! applies ignore files from directories above the scanned root, and a hostile repository controls
//! all of those.
//!
//! Each directory's ignore files are read once, the first time one of its entries is walked, with
//! no symlink followed, only regular files, a size cap and a cap on patterns; the matchers are
//! cached per directory and chained to the parent's. Matching keeps the crate's gitignore
//! semantics: the deepest file that matches decides (so nested files and `!negation` work), a
//! `.ignore` match takes precedence over a `.gitignore` one, which takes precedence over
//! `.git/info/exclude`, and ignore files above a nested repository (a directory with `.git`) do not
//! apply inside it. Only ignore files inside the scanned root are ever read.

use super::{note, relative_path};
use crate::facts::ExtractionDiagnostic;
use crate::safe_io::{self, SafeIoError};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An ignore file larger than this is not applied (real ones are a few kilobytes).
pub const MAX_IGNORE_FILE_BYTES: u64 = 1024 * 1024;
/// Patterns of one ignore file beyond this many are dropped: each costs time to compile.
pub const MAX_PATTERNS_PER_FILE: usize = 4096;
// There is no cap over all ignore files of a scan: which file reached it first would depend on
// the walker's thread order, and output must not. Matching an entry costs only the patterns of its
// own directory's ancestors, each file capped above.
/// A pattern longer than this (a path is at most 4096 bytes) is dropped.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// The three kinds of ignore files, in order of precedence.
#[derive(Clone, Copy)]
enum Kind {
    Ignore,
    GitIgnore,
    GitExclude,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Ignore, Kind::GitIgnore, Kind::GitExclude];

    fn relative_name(self) -> &'static str {
        match self {
            Kind::Ignore => ".ignore",
            Kind::GitIgnore => ".gitignore",
            Kind::GitExclude => ".git/info/exclude",
        }
    }
}

/// One ignore file's compiled patterns and its path relative to the root (for reasons and notes).
struct Matcher {
    gitignore: Gitignore,
    file: String,
}

/// The ignore files of one directory, chained to those of the nearest ancestor that has any.
struct DirIgnores {
    parent: Option<Arc<DirIgnores>>,
    /// Indexed like [`Kind::ALL`].
    matchers: [Option<Matcher>; 3],
    /// A nested repository: `.gitignore` and `exclude` files above it do not apply inside it.
    has_git: bool,
}

impl DirIgnores {
    /// The ignore file that ignores `path`, if one does.
    fn ignored_by(&self, path: &Path, is_dir: bool) -> Option<&str> {
        let mut decided: [Option<(bool, &str)>; 3] = [None, None, None];
        let mut saw_git = false;
        let mut level = Some(self);
        while let Some(dir) = level {
            for (index, matcher) in dir.matchers.iter().enumerate() {
                let Some(matcher) = matcher else {
                    continue;
                };
                // `.ignore` files apply across nested repositories; git's own files do not.
                if decided[index].is_some() || (index > 0 && saw_git) {
                    continue;
                }
                match matcher.gitignore.matched(path, is_dir) {
                    Match::None => {}
                    Match::Ignore(_) => decided[index] = Some((true, matcher.file.as_str())),
                    Match::Whitelist(_) => decided[index] = Some((false, matcher.file.as_str())),
                }
            }
            saw_git = saw_git || dir.has_git;
            level = dir.parent.as_deref();
        }
        match decided.into_iter().flatten().next() {
            Some((true, file)) => Some(file),
            _ => None,
        }
    }
}

/// Every directory's ignore files, read on first use, and what reading them had to say.
pub struct Ignores {
    root: PathBuf,
    state: std::sync::RwLock<State>,
}

#[derive(Default)]
struct State {
    /// Directory -> its chain (shared with the parent's when it has no ignore files of its own).
    dirs: HashMap<PathBuf, Option<Arc<DirIgnores>>>,
    notes: Vec<ExtractionDiagnostic>,
}

impl Ignores {
    pub fn new(root: &Path) -> Ignores {
        Ignores {
            root: root.to_path_buf(),
            state: std::sync::RwLock::new(State::default()),
        }
    }

    /// The ignore file (relative to the root) that leaves out the walked entry at `path`, `depth`
    /// levels below the root, if one does.
    pub fn ignored_by(&self, path: &Path, depth: usize, is_dir: bool) -> Option<String> {
        let parent = path.parent()?;
        let chain = self.chain(parent, depth.checked_sub(1)?)?;
        chain.ignored_by(path, is_dir).map(str::to_string)
    }

    /// The notes about ignore files that were refused or cut, sorted by file.
    pub fn into_notes(self) -> Vec<ExtractionDiagnostic> {
        let mut notes = self
            .state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .notes;
        notes.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        notes
    }

    /// The chain of ignore files that apply in `dir` (`depth` levels below the root), reading the
    /// ignore files of it and of its ancestors that were not read yet. Every entry of a directory
    /// looks its chain up, so that takes only a shared lock; the exclusive lock is held while
    /// reading, once per directory: ignore files are few and small, and each is read exactly once.
    fn chain(&self, dir: &Path, depth: usize) -> Option<Arc<DirIgnores>> {
        if let Some(chain) = self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .dirs
            .get(dir)
        {
            return chain.clone();
        }
        let mut state = self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut missing = Vec::new();
        let mut next = Some((dir, depth));
        let mut known = None;
        while let Some((at, level)) = next {
            if let Some(chain) = state.dirs.get(at) {
                known = chain.clone();
                break;
            }
            missing.push(at);
            next = match (level.checked_sub(1), at.parent()) {
                (Some(up), Some(parent)) => Some((parent, up)),
                _ => None,
            };
        }
        let mut chain = known;
        for at in missing.into_iter().rev() {
            chain = self.load(&mut state, at, chain);
            state.dirs.insert(at.to_path_buf(), chain.clone());
        }
        chain
    }

    /// Reads `dir`'s ignore files; returns the chain in force inside it.
    fn load(
        &self,
        state: &mut State,
        dir: &Path,
        parent: Option<Arc<DirIgnores>>,
    ) -> Option<Arc<DirIgnores>> {
        let has_git = std::fs::symlink_metadata(dir.join(".git")).is_ok();
        let mut matchers: [Option<Matcher>; 3] = [None, None, None];
        for (index, kind) in Kind::ALL.into_iter().enumerate() {
            if matches!(kind, Kind::GitExclude) && !has_git {
                continue;
            }
            matchers[index] = self.read_one(state, dir, kind);
        }
        if !has_git && matchers.iter().all(Option::is_none) {
            return parent;
        }
        Some(Arc::new(DirIgnores {
            parent,
            matchers,
            has_git,
        }))
    }

    /// Reads and compiles one ignore file, or says why it is not applied (absent files are quiet).
    fn read_one(&self, state: &mut State, dir: &Path, kind: Kind) -> Option<Matcher> {
        let path = dir.join(kind.relative_name());
        let shown =
            relative_path(&path, &self.root).unwrap_or_else(|| kind.relative_name().to_string());
        let text = match read_ignore_file(&path, &self.root, kind) {
            Ok(Some(text)) => text,
            Ok(None) => return None,
            Err(reason) => {
                state
                    .notes
                    .push(note(&shown, format!("{shown}: not applied: {reason}")));
                return None;
            }
        };
        let compiled = compile(dir, &text);
        if !compiled.problems.is_empty() {
            state.notes.push(note(
                &shown,
                format!(
                    "{shown}: {}; the paths they would leave out are scanned",
                    compiled.problems.join("; ")
                ),
            ));
        }
        match compiled.gitignore {
            Ok(gitignore) if gitignore.is_empty() => None,
            Ok(gitignore) => Some(Matcher {
                gitignore,
                file: shown,
            }),
            Err(error) => {
                state.notes.push(note(
                    &shown,
                    format!("{shown}: not applied: its patterns cannot be compiled ({error})"),
                ));
                None
            }
        }
    }
}

/// One ignore file's text compiled within the caps, and what had to be left out.
#[derive(Debug)]
pub struct CompiledIgnore {
    pub gitignore: Result<Gitignore, ignore::Error>,
    /// Sentences for the note that says what was dropped (empty when nothing was).
    pub problems: Vec<String>,
}

/// Compiles the text of an ignore file found in `dir`: at most [`MAX_PATTERNS_PER_FILE`]
/// patterns of at most [`MAX_PATTERN_BYTES`] each; invalid lines are skipped and counted.
pub fn compile(dir: &Path, text: &str) -> CompiledIgnore {
    let mut builder = GitignoreBuilder::new(dir);
    let (mut added, mut too_long, mut invalid, mut dropped) = (0usize, 0usize, 0usize, 0usize);
    for line in text.lines() {
        let pattern = line.trim_end_matches('\r');
        if pattern.trim().is_empty() || pattern.starts_with('#') {
            continue;
        }
        if added >= MAX_PATTERNS_PER_FILE {
            dropped += 1;
            continue;
        }
        if pattern.len() > MAX_PATTERN_BYTES {
            too_long += 1;
            continue;
        }
        match builder.add_line(None, pattern) {
            Ok(_) => added += 1,
            Err(_) => invalid += 1,
        }
    }
    let mut problems = Vec::new();
    if dropped > 0 {
        problems.push(format!(
            "{dropped} of its {} patterns were dropped (at most {MAX_PATTERNS_PER_FILE} per \
             file apply)",
            added + dropped + too_long + invalid
        ));
    }
    if too_long > 0 {
        problems.push(format!(
            "{too_long} patterns longer than {MAX_PATTERN_BYTES} bytes were dropped"
        ));
    }
    if invalid > 0 {
        problems.push(format!(
            "{invalid} lines are not valid patterns and were skipped"
        ));
    }
    CompiledIgnore {
        gitignore: builder.build(),
        problems,
    }
}

/// Reads an ignore file safely: `Ok(None)` when there is none, `Err(reason)` when it is refused.
fn read_ignore_file(path: &Path, root: &Path, kind: Kind) -> Result<Option<String>, String> {
    let bytes = match kind {
        // `.git` and `info` are not walked, so either may be a symlink out of the root: check
        // every component inside the root.
        Kind::GitExclude => safe_io::read_bytes(path, &[root], MAX_IGNORE_FILE_BYTES),
        // The directory was reached by the walk, which never follows a symlink, so only the file
        // itself needs `O_NOFOLLOW`: one open per directory and kind, no further lookups.
        Kind::Ignore | Kind::GitIgnore => safe_io::read_bytes(path, &[], MAX_IGNORE_FILE_BYTES),
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(error) if error.is_not_found() || is_not_a_directory(&error) => return Ok(None),
        Err(error) => return Err(error.reason()),
    };
    let start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            text.drain(..start);
            Ok(Some(text))
        }
        Err(_) => Err("not UTF-8 text".into()),
    }
}

/// `.git` is a file in a worktree or submodule: there is no `info/exclude` (nor `index`) below it.
pub(super) fn is_not_a_directory(error: &SafeIoError) -> bool {
    matches!(error, SafeIoError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotADirectory)
}
