//! Discovery: walks the scanned repository safely and reads the files extractors want.
//!
//! The repository is hostile input: symlinks are never followed (so nothing outside the root is
//! read), only regular files are opened (never FIFOs or devices), sizes are capped, and what is
//! skipped is said, never silently dropped.

use crate::model::facts::{ExtractionDiagnostic, Severity};
use camino::{Utf8Path, Utf8PathBuf};
use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files larger than this are skipped with a note: real configuration and annotated sources are far smaller.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A file discovery found and an extractor wants, not read yet: extraction reads it when its
/// turn comes and keeps only what facts need, so a scan never holds the whole repository.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Relative to the scanned root, `/`-separated.
    pub path: Utf8PathBuf,
    pub absolute: PathBuf,
}

/// What discovery found, sorted by path.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<Candidate>,
    pub diagnostics: Vec<ExtractionDiagnostic>,
}

/// Walks `root`, honouring `.gitignore` and `exclude` globs, and lists files for which `wanted` is true.
pub fn discover(
    root: &Path,
    exclude: &[String],
    wanted: &(dyn Fn(&Utf8Path) -> bool + Sync),
) -> Discovery {
    let mut excludes = globset::GlobSetBuilder::new();
    for pattern in exclude {
        if let Ok(glob) = globset::Glob::new(pattern) {
            excludes.add(glob);
        }
        // `dir` also excludes everything below it.
        if let Ok(glob) = globset::Glob::new(&format!("{}/**", pattern.trim_end_matches('/'))) {
            excludes.add(glob);
        }
    }
    let excludes = excludes
        .build()
        .unwrap_or_else(|_| globset::GlobSet::empty());
    let walker = ignore::WalkBuilder::new(root)
        .follow_links(false)
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .filter_entry(|entry| {
            let name = entry.file_name();
            !(name == ".git" || name == "target" || name == "node_modules")
        })
        .build_parallel();
    // Each walker thread collects its own list; the lists are merged and sorted afterwards.
    let lists: std::sync::Mutex<Vec<Discovery>> = std::sync::Mutex::new(Vec::new());
    walker.run(|| {
        let mut gathered = Gathered {
            discovery: Discovery::default(),
            sink: &lists,
        };
        let excludes = &excludes;
        Box::new(move |entry| {
            if let Ok(entry) = entry {
                visit(entry, root, excludes, wanted, &mut gathered.discovery);
            }
            ignore::WalkState::Continue
        })
    });
    let mut discovery = Discovery::default();
    for list in lists
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        discovery.files.extend(list.files);
        discovery.diagnostics.extend(list.diagnostics);
    }
    discovery.files.sort_by(|a, b| a.path.cmp(&b.path));
    discovery
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

/// Lists one walked entry if it is a regular file an extractor wants.
fn visit(
    entry: ignore::DirEntry,
    root: &Path,
    excludes: &globset::GlobSet,
    wanted: &(dyn Fn(&Utf8Path) -> bool + Sync),
    discovery: &mut Discovery,
) {
    // Symlinks, FIFOs, sockets and devices are never opened.
    if !entry.file_type().is_some_and(|t| t.is_file()) {
        return;
    }
    let Ok(relative) = entry.path().strip_prefix(root) else {
        return;
    };
    let Some(relative) =
        Utf8Path::from_path(relative).map(|p| Utf8PathBuf::from(p.as_str().replace('\\', "/")))
    else {
        discovery.diagnostics.push(skipped(
            None,
            "a file name that is not UTF-8 was skipped".into(),
            Severity::Note,
        ));
        return;
    };
    if excludes.is_match(relative.as_str()) || !wanted(&relative) {
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
        rule: "input-error",
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

/// Opens a file the walk listed as regular. The repository may change between the walk and the
/// read: a file swapped for a symlink is not followed (`O_NOFOLLOW`), one swapped for a FIFO does
/// not block the scan (`O_NONBLOCK`), and anything that is not a regular file once open is refused.
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
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
    use super::read;
    use camino::Utf8Path;

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
