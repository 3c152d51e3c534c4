//! Every file borderline reads or writes besides the ones the walker lists: the manifest, the
//! baseline, ignore files, rule data, cache entries and output files (`-o`, `--write-baseline`).
//!
//! The scanned repository is hostile, and the documented CI recipe writes reports inside the
//! checkout, so a pull request controls what sits at those paths. The rules are the walker's:
//! - a symbolic link is never followed, neither as the file itself (`O_NOFOLLOW`) nor as a
//!   directory on the way to it inside the scanned root or the working directory;
//! - only regular files are read (`O_NONBLOCK`, then `fstat`), so a FIFO never blocks and a device
//!   such as `/dev/zero` is never read;
//! - every read is capped;
//! - a write goes to a new file created next to the target (`O_CREAT | O_EXCL | O_NOFOLLOW`), then
//!   renamed over it; an existing target that is a symlink or not a regular file is refused.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// Cap for files borderline reads for itself (manifest, baseline, rule data, cache entries).
pub const MAX_SIDE_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why a file could not be read or written safely. The message names the path and the reason.
#[derive(Debug, thiserror::Error)]
pub enum SafeIoError {
    #[error(
        "{path}: is a symbolic link; borderline does not follow symlinks (pass the file it points to)"
    )]
    Symlink { path: String },
    #[error(
        "{path}: `{component}` on the way to it is a symbolic link; borderline does not follow symlinks"
    )]
    SymlinkComponent { path: String, component: String },
    #[error("{path}: not a regular file")]
    NotRegular { path: String },
    #[error("{path}: larger than {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    #[error("{path}: not UTF-8 text")]
    NotUtf8 { path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl SafeIoError {
    /// Why, without the path (for messages that name the file themselves, or name it relative to
    /// the root: output never shows where the checkout is).
    pub fn reason(&self) -> String {
        match self {
            SafeIoError::Symlink { .. } => {
                "it is a symbolic link; borderline does not follow symlinks".into()
            }
            SafeIoError::SymlinkComponent { .. } => {
                "a directory on the way to it is a symbolic link; borderline does not follow \
                 symlinks"
                    .into()
            }
            SafeIoError::NotRegular { .. } => "not a regular file".into(),
            SafeIoError::TooLarge { limit, .. } if limit % 1024 == 0 => {
                format!("larger than {} KiB", limit / 1024)
            }
            SafeIoError::TooLarge { limit, .. } => format!("larger than {limit} bytes"),
            SafeIoError::NotUtf8 { .. } => "not UTF-8 text".into(),
            SafeIoError::Io { source, .. } => format!("cannot be read: {source}"),
        }
    }

    /// True when the file does not exist (callers treat an absent optional file as absent).
    pub fn is_not_found(&self) -> bool {
        matches!(self, SafeIoError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn io_error(path: &Path, source: std::io::Error) -> SafeIoError {
    // ELOOP from O_NOFOLLOW means the last component is a symlink.
    #[cfg(unix)]
    if source.raw_os_error() == Some(libc::ELOOP) {
        return SafeIoError::Symlink { path: shown(path) };
    }
    SafeIoError::Io {
        path: shown(path),
        source,
    }
}

/// Refuses `path` if a directory on the way to it is a symbolic link, looking only at the
/// components that lie inside one of `within` (the scanned root, the working directory): those are
/// the ones a repository controls. A relative path is checked from the working directory down.
pub fn check_no_symlink_components(path: &Path, within: &[&Path]) -> Result<(), SafeIoError> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    let mut walked = PathBuf::new();
    for component in parent.components() {
        walked.push(component.as_os_str());
        let checked = match component {
            Component::Normal(_) => {
                path.is_relative() || within.iter().any(|root| is_strictly_inside(&walked, root))
            }
            _ => false,
        };
        if !checked {
            continue;
        }
        match std::fs::symlink_metadata(&walked) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(SafeIoError::SymlinkComponent {
                    path: shown(path),
                    component: shown(&walked),
                });
            }
            Ok(_) => {}
            // A missing directory is the caller's error to report when it opens the file.
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// True when `path` lies below `root` (lexically, both made absolute against the working directory).
fn is_strictly_inside(path: &Path, root: &Path) -> bool {
    let path = absolute(path);
    let root = absolute(root);
    path != root && path.starts_with(&root)
}

/// `path` made absolute against the working directory, `.` and `..` resolved lexically.
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut normal = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other.as_os_str()),
        }
    }
    normal
}

/// Whether `relative` (normalised, `/`-separated, no `..`) names a regular file or a directory
/// under `base`, following no symlink on the way nor at the end: a document a repository names
/// (a TIA) is only taken as present when it is really inside it.
pub fn document_exists(base: &Path, relative: &str) -> bool {
    if relative.is_empty()
        || relative
            .split('/')
            .any(|part| part == ".." || part.is_empty())
    {
        return false;
    }
    let path = base.join(relative);
    if check_no_symlink_components(&path, &[base]).is_err() {
        return false;
    }
    std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.is_file() || meta.is_dir())
}

/// Opens `path` for reading without following a symlink in its last component or blocking on a
/// FIFO; anything that is not a regular file once open is refused.
pub fn open_regular(path: &Path) -> Result<std::fs::File, SafeIoError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| io_error(path, e))?;
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    if !meta.is_file() {
        return Err(SafeIoError::NotRegular { path: shown(path) });
    }
    Ok(file)
}

/// Reads at most `limit` bytes of the regular file at `path`, following no symlink inside `within`.
pub fn read_bytes(path: &Path, within: &[&Path], limit: u64) -> Result<Vec<u8>, SafeIoError> {
    check_no_symlink_components(path, within)?;
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(SafeIoError::TooLarge {
            path: shown(path),
            limit,
        });
    }
    Ok(bytes)
}

/// [`read_bytes`] as UTF-8 text (a leading byte-order mark dropped).
pub fn read_text(path: &Path, within: &[&Path], limit: u64) -> Result<String, SafeIoError> {
    let mut bytes = read_bytes(path, within, limit)?;
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|_| SafeIoError::NotUtf8 { path: shown(path) })
}

/// Refuses to write to `path` when what is there is a symlink or not a regular file, or when a
/// directory on the way is a symlink inside `within`.
pub fn check_writable_target(path: &Path, within: &[&Path]) -> Result<(), SafeIoError> {
    check_no_symlink_components(path, within)?;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(SafeIoError::Symlink { path: shown(path) })
        }
        Ok(meta) if !meta.is_file() => Err(SafeIoError::NotRegular { path: shown(path) }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(path, e)),
    }
}

/// Writes a file as `write` produces it: into a new temporary file beside `path` (created
/// exclusively, never through a symlink), then renamed over `path`. A rename replaces a directory
/// entry and never follows what it replaces, so even a symlink swapped in after the check is
/// replaced, not written through. On an error the temporary file is removed and `path` is untouched.
pub fn write_atomically(
    path: &Path,
    within: &[&Path],
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), SafeIoError> {
    check_writable_target(path, within)?;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let (temp, file) = create_temporary(&directory, &name).map_err(|e| io_error(path, e))?;
    let written = (|| {
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    })();
    let result = written.and_then(|()| std::fs::rename(&temp, path));
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error(path, error));
    }
    Ok(())
}

/// Creates a new file `.NAME.borderline-PID-N.tmp` in `directory` that did not exist before.
pub fn create_temporary(directory: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut last_error = None;
    for _ in 0..64 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = directory.join(format!(".{name}.borderline-{}-{n}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW);
            options.mode(0o644);
        }
        match options.open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_refuse_symlinks_devices_and_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.toml");
        std::fs::write(&secret, "token = \"hunter2\"\n").unwrap();
        let link = dir.path().join("borderline.toml");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let error = read_text(&link, &[dir.path()], 1024).unwrap_err();
        assert!(matches!(error, SafeIoError::Symlink { .. }), "{error}");
        assert!(!error.to_string().contains("hunter2"));

        std::os::unix::fs::symlink(outside.path(), dir.path().join("conf")).unwrap();
        let through = dir.path().join("conf/secret.toml");
        let error = read_text(&through, &[dir.path()], 1024).unwrap_err();
        assert!(
            matches!(error, SafeIoError::SymlinkComponent { .. }),
            "{error}"
        );

        let error = read_bytes(Path::new("/dev/zero"), &[], 1024).unwrap_err();
        assert!(matches!(error, SafeIoError::NotRegular { .. }), "{error}");

        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b'x'; 2048]).unwrap();
        let error = read_bytes(&big, &[dir.path()], 1024).unwrap_err();
        assert!(matches!(error, SafeIoError::TooLarge { .. }), "{error}");

        let plain = dir.path().join("plain.toml");
        std::fs::write(&plain, "\u{feff}a = 1\n").unwrap();
        assert_eq!(read_text(&plain, &[dir.path()], 1024).unwrap(), "a = 1\n");
    }

    /// A repository or another user may plant symlinks at the names temporary files take: they
    /// are skipped, never written through.
    #[test]
    fn temporary_files_never_open_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        // Every name the process-wide counter can have reached in this test binary (the other
        // tests write a handful of files), fewer than the attempts `create_temporary` makes.
        for n in 0..32 {
            let name = format!(".entry.borderline-{}-{n}.tmp", std::process::id());
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        let (temp, mut file) = create_temporary(dir.path(), "entry").unwrap();
        let planted = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(
            planted,
            32 + 2,
            "the victim, the planted links and the new file"
        );
        file.write_all(b"written").unwrap();
        assert!(
            !std::fs::symlink_metadata(&temp)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    }

    #[test]
    fn writes_never_go_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("authorized_keys");
        std::fs::write(&victim, "ssh-ed25519 AAAA owner\n").unwrap();
        let link = dir.path().join("transfer-register.csv");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let error = write_atomically(&link, &[dir.path()], &mut |out| out.write_all(b"evil\n"))
            .unwrap_err();
        assert!(matches!(error, SafeIoError::Symlink { .. }), "{error}");
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "ssh-ed25519 AAAA owner\n"
        );

        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let through = dir.path().join("out/report.sarif");
        let error =
            write_atomically(&through, &[dir.path()], &mut |out| out.write_all(b"x")).unwrap_err();
        assert!(
            matches!(error, SafeIoError::SymlinkComponent { .. }),
            "{error}"
        );
        assert!(!outside.path().join("report.sarif").exists());

        std::fs::create_dir(dir.path().join("a-directory")).unwrap();
        let error = write_atomically(&dir.path().join("a-directory"), &[dir.path()], &mut |out| {
            out.write_all(b"x")
        })
        .unwrap_err();
        assert!(matches!(error, SafeIoError::NotRegular { .. }), "{error}");

        let target = dir.path().join("report.json");
        std::fs::write(&target, "old").unwrap();
        write_atomically(&target, &[dir.path()], &mut |out| out.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let failed = write_atomically(&target, &[dir.path()], &mut |_| {
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
