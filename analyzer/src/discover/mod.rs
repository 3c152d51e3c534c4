//! Discovery: walks the scanned repository safely and reads the files extractors want.
//!
//! The repository is hostile input: symlinks are never followed (so nothing outside the root is
//! read), only regular files are opened (never FIFOs or devices), sizes are capped, and what is
//! skipped is said, never silently dropped.
//!
//! The walk runs on the `ignore` crate's threads with all of the crate's own ignore-file reading
//! turned off: `ignores` reads `.gitignore`, `.ignore` and `.git/info/exclude` files inside the
//! root under the same rules as every other file (files above the root never apply), and caps
//! their patterns, as `scan.exclude` is capped. Directories the walk does not enter
//! (`node_modules/`, `target/`, `.git/`, ignored or excluded ones) are recorded in `skipped` for the
//! report. Paths are the root-relative components joined with `/`: on Unix a `\` is an ordinary
//! character of a name, so a file named `..\..\x.env` is reported under that name, never as a path
//! that leaves the repository.

use crate::facts::{ExtractionDiagnostic, Severity};
use crate::rule::Rule;
use crate::safe_io::{self, SafeIoError};
use camino::{Utf8Path, Utf8PathBuf};
use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files larger than this are skipped with a note: real configuration and annotated sources are far smaller.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

mod ignores;
mod skipped;
mod tracked;

pub use ignores::{
    CompiledIgnore, MAX_IGNORE_FILE_BYTES, MAX_PATTERNS_PER_FILE, compile as compile_ignore_file,
};
pub use skipped::{MAX_SKIPPED_LISTED, SkipReason, Skipped, SkippedPath};
pub use tracked::{MAX_INDEX_BYTES, Tracked};

/// `scan.exclude` patterns beyond this many are dropped: each costs time to compile.
pub const MAX_EXCLUDE_PATTERNS: usize = 2048;
/// `scan.exclude` patterns beyond this many bytes in total are dropped.
pub const MAX_EXCLUDE_BYTES: usize = 256 * 1024;

/// A file discovery found and an extractor wants, not read yet: extraction reads it when its
/// turn comes and keeps only what facts need, so a scan never holds the whole repository.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Relative to the scanned root, `/`-separated; a `\` is part of a name, never a separator.
    pub path: Utf8PathBuf,
    pub absolute: PathBuf,
}

/// What discovery found, sorted by path.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<Candidate>,
    pub diagnostics: Vec<ExtractionDiagnostic>,
    /// Directories the walk did not enter, and why.
    pub skipped: Skipped,
}

/// What every walker thread's filter shares: the root, the exclude globs, the ignore files read so
/// far and the directories left out.
struct Filter {
    root: PathBuf,
    /// `borderline scan services/checkout` with the manifest above: only this directory (relative
    /// to the root) is walked, and paths stay relative to the root.
    scope: Option<String>,
    excludes: globset::GlobSet,
    ignores: ignores::Ignores,
    /// The root's git index, read the first time an ignore file matches: what git tracks is
    /// scanned whatever the ignore files say.
    tracked: std::sync::OnceLock<Result<Option<tracked::Tracked>, ExtractionDiagnostic>>,
    /// Directories an ignore file leaves out that were entered for the tracked files below them,
    /// with that ignore file: inside them only tracked files are scanned, as git sees them.
    entered_for_tracked: std::sync::RwLock<std::collections::HashMap<PathBuf, String>>,
    skipped: std::sync::Mutex<Skipped>,
}

impl Filter {
    /// Whether the walk goes on with `entry`; a directory it does not enter is recorded.
    fn keep(&self, entry: &ignore::DirEntry) -> bool {
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        // Outside the scope is not scanned, nor is it skipped: it is not named in the report. The
        // directories on the way to the scope are judged like any other (an ignored or excluded
        // one leaves the scope out, as in a scan of the whole root).
        if let Some(scope) = &self.scope {
            let Some(relative) = relative_path(entry.path(), &self.root) else {
                return false;
            };
            let inside = relative == *scope || relative.starts_with(&format!("{scope}/"));
            let on_the_way =
                is_dir && (relative.is_empty() || scope.starts_with(&format!("{relative}/")));
            if !inside && !on_the_way {
                return false;
            }
        }
        let name = entry.file_name();
        let default_reason = if name == ".git" {
            Some(SkipReason::GitMetadata)
        } else if name == "target" {
            Some(SkipReason::BuildOutput)
        } else if name == "node_modules" {
            Some(SkipReason::Dependencies)
        } else {
            None
        };
        // The relative path is made only when it is needed: most entries are neither excluded
        // nor skipped directories.
        let relative = (is_dir || !self.excludes.is_empty())
            .then(|| relative_path(entry.path(), &self.root))
            .flatten();
        let reason = default_reason
            .or_else(|| {
                relative
                    .as_deref()
                    .filter(|r| self.excludes.is_match(r))
                    .map(|_| SkipReason::Exclude)
            })
            .or_else(|| {
                let file = self
                    .ignores
                    .ignored_by(entry.path(), entry.depth(), is_dir)
                    .or_else(|| self.inside_entered_for_tracked(entry.path()))?;
                (!self.keeps_tracked(entry.path(), is_dir, &file))
                    .then_some(SkipReason::IgnoreFile { file })
            });
        let Some(reason) = reason else {
            return true;
        };
        // Files left out are many and unremarkable; directories are named.
        if is_dir {
            // A name that is not UTF-8 is shown lossily, still relative to the root.
            let path = relative.unwrap_or_else(|| {
                let relative = entry
                    .path()
                    .strip_prefix(&self.root)
                    .unwrap_or(Path::new("?"));
                relative.to_string_lossy().into_owned()
            });
            self.skipped
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .add(SkippedPath {
                    path: format!("{path}/"),
                    reason,
                });
        }
        false
    }

    /// The ignore file that left out the directory holding `path`, when that directory was
    /// entered only for its tracked files.
    fn inside_entered_for_tracked(&self, path: &Path) -> Option<String> {
        let entered = self
            .entered_for_tracked
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entered.is_empty() {
            return None;
        }
        entered.get(path.parent()?).cloned()
    }

    /// Whether an entry an ignore file (`file`) leaves out is scanned anyway because git tracks
    /// it (a file) or tracks files below it (a directory, then recorded as entered for them).
    fn keeps_tracked(&self, path: &Path, is_dir: bool, file: &str) -> bool {
        let Ok(Some(tracked)) = self
            .tracked
            .get_or_init(|| tracked::Tracked::load(&self.root))
        else {
            return false;
        };
        let Some(relative) = relative_path(path, &self.root) else {
            return false;
        };
        if !is_dir {
            return tracked.tracks_file(&relative);
        }
        if !tracked.tracks_below(&relative) {
            return false;
        }
        self.entered_for_tracked
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path.to_path_buf(), file.to_string());
        true
    }
}

/// Walks `root`, honouring `.gitignore`/`.ignore` files inside it and `exclude` globs, and lists
/// files for which `wanted` is true.
pub fn discover(
    root: &Path,
    exclude: &[String],
    wanted: &(dyn Fn(&Utf8Path) -> bool + Sync),
) -> Discovery {
    discover_within(root, None, exclude, wanted)
}

/// [`discover`] of the directory `scope` (relative to `root`, `/`-separated) only: the files are
/// named relative to `root`, and the ignore files and `exclude` globs apply as in a walk of all
/// of `root`, so a file is read and named the same in a scan of the repository and of its part.
pub fn discover_within(
    root: &Path,
    scope: Option<&Utf8Path>,
    exclude: &[String],
    wanted: &(dyn Fn(&Utf8Path) -> bool + Sync),
) -> Discovery {
    let mut diagnostics = Vec::new();
    let excludes = exclude_globs(exclude, &mut diagnostics);
    let filter = Arc::new(Filter {
        root: root.to_path_buf(),
        scope: scope
            .map(|s| s.as_str().trim_matches('/').to_string())
            .filter(|s| !s.is_empty()),
        excludes,
        ignores: ignores::Ignores::new(root),
        tracked: std::sync::OnceLock::new(),
        entered_for_tracked: std::sync::RwLock::default(),
        skipped: std::sync::Mutex::new(Skipped::default()),
    });
    let shared = Arc::clone(&filter);
    // The crate reads no ignore file itself (it would follow symlinks, read devices and apply
    // files above the root): `Filter` reads them safely.
    let walker = ignore::WalkBuilder::new(root)
        .follow_links(false)
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .git_ignore(false)
        .git_exclude(false)
        .ignore(false)
        .parents(false)
        .filter_entry(move |entry| shared.keep(entry))
        .build_parallel();
    // Each walker thread collects its own list; the lists are merged and sorted afterwards.
    let lists: std::sync::Mutex<Vec<Discovery>> = std::sync::Mutex::new(Vec::new());
    walker.run(|| {
        let mut gathered = Gathered {
            discovery: Discovery::default(),
            sink: &lists,
        };
        Box::new(move |entry| {
            if let Ok(entry) = entry {
                visit(entry, root, wanted, &mut gathered.discovery);
            }
            ignore::WalkState::Continue
        })
    });
    let mut discovery = Discovery {
        diagnostics,
        ..Discovery::default()
    };
    for list in lists
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        discovery.files.extend(list.files);
        discovery.diagnostics.extend(list.diagnostics);
    }
    discovery.files.sort_by(|a, b| a.path.cmp(&b.path));
    // The walker threads are done, so the filter is no longer shared.
    if let Some(filter) = Arc::into_inner(filter) {
        discovery.diagnostics.extend(filter.ignores.into_notes());
        if let Some(Err(note)) = filter.tracked.into_inner() {
            discovery.diagnostics.push(note);
        }
        discovery.skipped = filter
            .skipped
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
    discovery
}

/// The `scan.exclude` globs as one set, at most [`MAX_EXCLUDE_PATTERNS`] and [`MAX_EXCLUDE_BYTES`]
/// of them: thousands of globs take minutes and gigabytes to compile. What is dropped is said.
fn exclude_globs(
    exclude: &[String],
    diagnostics: &mut Vec<ExtractionDiagnostic>,
) -> globset::GlobSet {
    let mut excludes = globset::GlobSetBuilder::new();
    let (mut kept, mut bytes) = (0usize, 0usize);
    for pattern in exclude {
        if kept >= MAX_EXCLUDE_PATTERNS || bytes + pattern.len() > MAX_EXCLUDE_BYTES {
            break;
        }
        kept += 1;
        bytes += pattern.len();
        if let Ok(glob) = globset::Glob::new(pattern) {
            excludes.add(glob);
        }
        // `dir` also excludes everything below it.
        if let Ok(glob) = globset::Glob::new(&format!("{}/**", pattern.trim_end_matches('/'))) {
            excludes.add(glob);
        }
    }
    if kept < exclude.len() {
        diagnostics.push(skipped(
            None,
            format!(
                "scan.exclude: {} of {} patterns were dropped (at most {MAX_EXCLUDE_PATTERNS} \
                 patterns and {} KiB apply); the paths they would leave out are scanned",
                exclude.len() - kept,
                exclude.len(),
                MAX_EXCLUDE_BYTES / 1024
            ),
            Severity::Note,
        ));
    }
    excludes.build().unwrap_or_else(|error| {
        diagnostics.push(skipped(
            None,
            format!("scan.exclude: not applied, the patterns cannot be compiled: {error}"),
            Severity::Note,
        ));
        globset::GlobSet::empty()
    })
}

/// `path` relative to `root`, its components joined with `/`. On Unix a `\` is an ordinary
/// character of a name and stays one; `None` for a name that is not UTF-8.
fn relative_path(path: &Path, root: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let mut joined = String::new();
    for component in relative.components() {
        if !joined.is_empty() {
            joined.push('/');
        }
        joined.push_str(component.as_os_str().to_str()?);
    }
    Some(joined)
}

/// A note about a file of the repository discovery could not use as it is.
fn note(path: &str, message: String) -> ExtractionDiagnostic {
    skipped(Some(path.to_string()), message, Severity::Note)
}

/// One walker thread's findings, handed over when the thread's visitor is dropped.
struct Gathered<'a> {
    discovery: Discovery,
    sink: &'a std::sync::Mutex<Vec<Discovery>>,
}

impl Drop for Gathered<'_> {
    fn drop(&mut self) {
        let discovery = std::mem::take(&mut self.discovery);
        let mut sink = self
            .sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sink.push(discovery);
    }
}

/// Lists one walked entry if it is a regular file an extractor wants (the filter has already left
/// out what is excluded or ignored).
fn visit(
    entry: ignore::DirEntry,
    root: &Path,
    wanted: &(dyn Fn(&Utf8Path) -> bool + Sync),
    discovery: &mut Discovery,
) {
    // Symlinks, FIFOs, sockets and devices are never opened.
    if !entry.file_type().is_some_and(|t| t.is_file()) {
        return;
    }
    if entry.path().strip_prefix(root).is_err() {
        return;
    }
    let Some(relative) = relative_path(entry.path(), root).map(Utf8PathBuf::from) else {
        discovery.diagnostics.push(skipped(
            None,
            "a file name that is not UTF-8 was skipped".into(),
            Severity::Note,
        ));
        return;
    };
    if !wanted(&relative) {
        return;
    }
    discovery.files.push(Candidate {
        path: relative,
        absolute: entry.into_path(),
    });
}

/// Reads the file at `absolute` (shown as `relative`): its text, or the diagnostic that says why
/// it was skipped.
pub fn read(relative: &Utf8Path, absolute: &Path) -> Result<Arc<str>, ExtractionDiagnostic> {
    match read_bounded(absolute) {
        Ok(Some(text)) => Ok(text),
        Ok(None) => Err(skipped(
            Some(relative.to_string()),
            format!(
                "{relative}: skipped, larger than {} MiB",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            Severity::Warning,
        )),
        Err(ReadError::NotUtf8) => Err(skipped(
            Some(relative.to_string()),
            format!("{relative}: skipped, not UTF-8 text"),
            Severity::Note,
        )),
        Err(ReadError::Io(error)) => Err(skipped(
            Some(relative.to_string()),
            format!("{relative}: could not be read: {error}"),
            Severity::Warning,
        )),
    }
}

fn skipped(path: Option<String>, message: String, severity: Severity) -> ExtractionDiagnostic {
    ExtractionDiagnostic {
        rule: Rule::InputError,
        severity,
        message,
        span: None,
        path,
    }
}

enum ReadError {
    NotUtf8,
    Io(std::io::Error),
}

thread_local! {
    /// One read buffer per thread: each file's bytes are copied once, into the shared text.
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Opens a file the walk listed as regular, through [`safe_io::open_regular`]. The repository may
/// change between the walk and the read: a file swapped for a symlink is not followed, one swapped
/// for a FIFO does not block the scan, and anything that is not a regular file once open is
/// refused. The error names no absolute path (output never shows where the checkout is).
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    safe_io::open_regular(path).map_err(|error| match error {
        SafeIoError::Io { source, .. } => source,
        other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.reason()),
    })
}

/// Reads at most `MAX_FILE_BYTES`; `None` when the file is larger. A UTF-8 BOM is dropped.
fn read_bounded(path: &Path) -> Result<Option<Arc<str>>, ReadError> {
    let file = open_regular(path).map_err(ReadError::Io)?;
    READ_BUFFER.with(|buffer| {
        let mut bytes = buffer.borrow_mut();
        bytes.clear();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(ReadError::Io)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Ok(None);
        }
        let start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        let text = std::str::from_utf8(&bytes[start..]).map_err(|_| ReadError::NotUtf8)?;
        let text = Arc::from(text);
        // A rare huge file must not keep its buffer for the rest of the scan.
        if bytes.capacity() > 1 << 20 {
            *bytes = Vec::new();
        }
        Ok(Some(text))
    })
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::{SkipReason, Skipped, SkippedPath, read, relative_path};
    use camino::Utf8Path;
    use std::path::Path;

    #[test]
    fn relative_paths_keep_backslashes_as_part_of_names() {
        let root = Path::new("/repo");
        assert_eq!(
            relative_path(Path::new("/repo/a\\b/..\\c.env"), root).as_deref(),
            Some("a\\b/..\\c.env")
        );
        assert_eq!(relative_path(Path::new("/elsewhere/x"), root), None);
    }

    /// The walker threads meet directories in any order: the named ones are the first by path.
    #[test]
    fn the_skipped_list_keeps_the_first_paths_whatever_the_order() {
        let add_all = |order: &mut dyn Iterator<Item = usize>| {
            let mut skipped = Skipped::default();
            for n in order {
                skipped.add(SkippedPath {
                    path: format!("d{n:04}/"),
                    reason: SkipReason::Dependencies,
                });
            }
            skipped
        };
        let forward = add_all(&mut (0..500));
        let backward = add_all(&mut (0..500).rev());
        assert_eq!(forward, backward);
        assert_eq!(forward.listed().count(), super::MAX_SKIPPED_LISTED);
        assert_eq!(forward.unlisted(), 500 - super::MAX_SKIPPED_LISTED);
        assert_eq!(
            forward.listed().next().map(|s| s.path.as_str()),
            Some("d0000/")
        );
    }

    /// What the walk listed may have changed by the time it is read: a file swapped for a
    /// symlink out of the root is not followed, one swapped for a FIFO does not hang the scan.
    #[test]
    fn files_swapped_after_the_walk_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.env");
        std::fs::write(&secret, "TOKEN=hunter2\n").unwrap();
        let swapped = root.path().join("app.env");
        std::os::unix::fs::symlink(&secret, &swapped).unwrap();
        let refused = read(Utf8Path::new("app.env"), &swapped).unwrap_err();
        assert!(refused.message.contains("could not be read"), "{refused:?}");

        let fifo = root.path().join("pipe.tf");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let refused = read(Utf8Path::new("pipe.tf"), &fifo).unwrap_err();
        assert!(
            refused.message.contains("not a regular file"),
            "{refused:?}"
        );

        let plain = root.path().join("main.tf");
        std::fs::write(&plain, "\u{feff}locals {}\n").unwrap();
        assert_eq!(
            &*read(Utf8Path::new("main.tf"), &plain).unwrap(),
            "locals {}\n"
        );
    }
}
