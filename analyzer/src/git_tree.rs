//! Files of one git commit, read from the repository's object database (`--policy-from REF`).
//!
//! A pull request must not be judged by the policy it brings along, so the policy, the waivers and
//! the baseline are read from a commit the pull request cannot change (the target branch). Nothing
//! is executed: no `git` binary, no hooks, no filters; `gix` is built without the features that
//! could run commands or reach the network, and the repository is opened isolated from the
//! environment and the user's and system's git configuration. Paths are resolved through tree
//! entries one component at a time: a symlink entry is refused, never followed, and every tree and
//! blob is capped in size before it is inflated.

use crate::safe_io::{MAX_SIDE_FILE_BYTES, absolute};
use gix::object::tree::EntryKind;
use std::path::{Component, Path, PathBuf};

/// The largest tree or blob read from the object database.
pub const MAX_OBJECT_BYTES: u64 = MAX_SIDE_FILE_BYTES;

/// Why a file of the commit could not be read. Each is borderline being unable to do its job
/// (exit 2): the policy to judge by is unknown.
#[derive(Debug, thiserror::Error)]
pub enum GitTreeError {
    #[error("--policy-from: {path} is not inside a git repository ({message})")]
    NotARepository { path: String, message: String },
    #[error("--policy-from: the git repository of {path} has no work tree")]
    NoWorkTree { path: String },
    #[error(
        "--policy-from: `{reference}` names no branch, tag or commit in the git repository at {repository} (a shallow CI checkout must fetch it first: `actions/checkout` with `fetch-depth: 0`)"
    )]
    ReferenceNotFound {
        reference: String,
        repository: String,
    },
    #[error("--policy-from: `{reference}` is an ambiguous commit id prefix; give more digits")]
    Ambiguous { reference: String },
    #[error("--policy-from: `{reference}`: {message}")]
    Object { reference: String, message: String },
    #[error(
        "--policy-from: {path} at `{reference}` is a symlink in the commit's tree; borderline does not follow symlinks"
    )]
    Symlink { path: String, reference: String },
    #[error("--policy-from: {path} at `{reference}` is {what}, not a file")]
    NotAFile {
        path: String,
        reference: String,
        what: &'static str,
    },
    #[error(
        "--policy-from: {path} at `{reference}` is {size} bytes, more than the {MAX_OBJECT_BYTES} bytes borderline reads"
    )]
    TooLarge {
        path: String,
        reference: String,
        size: u64,
    },
    #[error("--policy-from: {path} is outside the git repository at {repository}")]
    OutsideRepository { path: String, repository: String },
}

/// One commit's tree, opened from the repository that holds a scanned directory.
#[derive(Debug)]
pub struct GitTree {
    repository: gix::Repository,
    /// The scanned directory's path inside the repository (`""` at the top), `/`-separated.
    root_in_repository: String,
    /// The scanned directory as given, made absolute lexically.
    root: PathBuf,
    reference: String,
    tree: gix::ObjectId,
}

impl GitTree {
    /// Opens the repository that holds `root` and resolves `reference` (a branch, remote branch,
    /// tag, `HEAD`, or a full or abbreviated commit id) to its commit's tree.
    pub fn open(root: &Path, reference: &str) -> Result<GitTree, GitTreeError> {
        let shown = root.display().to_string();
        let repository = gix::discover_opts(
            root,
            gix::discover::upwards::Options::default(),
            gix::open::Options::isolated(),
        )
        .map_err(|error| GitTreeError::NotARepository {
            path: shown.clone(),
            message: error.to_string(),
        })?;
        let workdir = repository
            .workdir()
            .ok_or_else(|| GitTreeError::NoWorkTree {
                path: shown.clone(),
            })?
            .to_path_buf();
        // The scanned directory is the caller's (trusted) choice, so it alone is resolved through
        // the file system; paths below it are then taken lexically, so a symlink the pull request
        // puts in the working tree cannot redirect a lookup in the commit's tree.
        let canonical_root =
            std::fs::canonicalize(root).map_err(|error| GitTreeError::NotARepository {
                path: shown.clone(),
                message: error.to_string(),
            })?;
        let canonical_workdir =
            std::fs::canonicalize(&workdir).map_err(|error| GitTreeError::NotARepository {
                path: shown.clone(),
                message: error.to_string(),
            })?;
        let root_in_repository = relative_components(&canonical_root, &canonical_workdir)
            .ok_or_else(|| GitTreeError::OutsideRepository {
                path: shown.clone(),
                repository: workdir.display().to_string(),
            })?;
        let commit = resolve_commit(&repository, reference, &workdir)?;
        let object_error = |error: gix::Error| GitTreeError::Object {
            reference: reference.to_string(),
            message: error.to_string(),
        };
        let tree = repository
            .find_commit(commit)
            .map_err(object_error)?
            .tree_id()
            .map_err(object_error)?
            .detach();
        Ok(GitTree {
            repository,
            root_in_repository,
            root: absolute(root),
            reference: reference.to_string(),
            tree,
        })
    }

    /// The reference as the user wrote it, for messages.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The path in the commit's tree of `path`, a file in the working tree. Inside the scanned
    /// directory it is taken lexically (no symlink of the working tree is resolved); elsewhere its
    /// directory is resolved through the file system (a path the caller gave).
    pub fn path_in_tree(&self, path: &Path) -> Result<String, GitTreeError> {
        let outside = || GitTreeError::OutsideRepository {
            path: path.display().to_string(),
            repository: self
                .repository
                .workdir()
                .map(|dir| dir.display().to_string())
                .unwrap_or_default(),
        };
        let lexical = absolute(path);
        if let Some(below_root) = relative_components(&lexical, &self.root) {
            return Ok(join_tree_path(&self.root_in_repository, &below_root));
        }
        let workdir = self
            .repository
            .workdir()
            .and_then(|dir| std::fs::canonicalize(dir).ok())
            .ok_or_else(outside)?;
        let name = lexical.file_name().ok_or_else(outside)?;
        let parent = lexical
            .parent()
            .and_then(|parent| std::fs::canonicalize(parent).ok())
            .ok_or_else(outside)?;
        relative_components(&parent.join(name), &workdir).ok_or_else(outside)
    }

    /// Reads the file at `path_in_tree` (`/`-separated) in the commit. `Ok(None)` when there is no
    /// such file; a symlink on the way, a directory or submodule at the end, or an object over
    /// [`MAX_OBJECT_BYTES`] is an error.
    pub fn read(&self, path_in_tree: &str) -> Result<Option<Vec<u8>>, GitTreeError> {
        let object_error = |error: gix::Error| GitTreeError::Object {
            reference: self.reference.clone(),
            message: error.to_string(),
        };
        let components: Vec<&str> = path_in_tree.split('/').filter(|c| !c.is_empty()).collect();
        let mut tree_id = self.tree;
        let mut walked = String::new();
        for (index, component) in components.iter().enumerate() {
            if !walked.is_empty() {
                walked.push('/');
            }
            walked.push_str(component);
            self.check_size(tree_id, &walked)?;
            let tree = self.repository.find_tree(tree_id).map_err(object_error)?;
            let Some(entry) = tree.find_entry(*component) else {
                return Ok(None);
            };
            let (kind, id) = (entry.kind(), entry.object_id());
            let last = index + 1 == components.len();
            match kind {
                EntryKind::Link => {
                    return Err(GitTreeError::Symlink {
                        path: walked,
                        reference: self.reference.clone(),
                    });
                }
                EntryKind::Tree if !last => tree_id = id,
                // A file where a directory is expected: the path names nothing.
                EntryKind::Blob | EntryKind::BlobExecutable if !last => return Ok(None),
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    self.check_size(id, &walked)?;
                    let blob = self.repository.find_blob(id).map_err(object_error)?;
                    return Ok(Some(blob.data.clone()));
                }
                EntryKind::Tree => {
                    return Err(GitTreeError::NotAFile {
                        path: walked,
                        reference: self.reference.clone(),
                        what: "a directory",
                    });
                }
                EntryKind::Commit => {
                    return Err(GitTreeError::NotAFile {
                        path: walked,
                        reference: self.reference.clone(),
                        what: "a submodule",
                    });
                }
            }
        }
        Ok(None)
    }

    /// Refuses an object larger than the cap before it is inflated, from its header alone.
    fn check_size(&self, id: gix::ObjectId, path: &str) -> Result<(), GitTreeError> {
        let header = self
            .repository
            .find_header(id)
            .map_err(|error| GitTreeError::Object {
                reference: self.reference.clone(),
                message: error.to_string(),
            })?;
        if header.size() > MAX_OBJECT_BYTES {
            return Err(GitTreeError::TooLarge {
                path: path.to_string(),
                reference: self.reference.clone(),
                size: header.size(),
            });
        }
        Ok(())
    }
}

/// A branch, remote branch, tag or `HEAD` by name first (as git does), then a commit id or an
/// unambiguous prefix of one; tags are peeled to their commit.
fn resolve_commit(
    repository: &gix::Repository,
    reference: &str,
    workdir: &Path,
) -> Result<gix::ObjectId, GitTreeError> {
    let not_found = || GitTreeError::ReferenceNotFound {
        reference: reference.to_string(),
        repository: workdir.display().to_string(),
    };
    let object_error = |error: gix::Error| GitTreeError::Object {
        reference: reference.to_string(),
        message: error.to_string(),
    };
    // A name git would refuse (`a..b`, `-x`) is simply not a reference; it may still be an id.
    if let Ok(Some(mut found)) = repository.try_find_reference(reference) {
        let commit = found.peel_to_commit().map_err(object_error)?;
        return Ok(commit.id);
    }
    let is_hex = (4..=40).contains(&reference.len())
        && reference.bytes().all(|byte| byte.is_ascii_hexdigit());
    if !is_hex {
        return Err(not_found());
    }
    let prefix = gix::hash::Prefix::from_hex(reference).map_err(|_| not_found())?;
    let id = match repository
        .objects
        .lookup_prefix(prefix, None)
        .map_err(object_error)?
    {
        Some(Ok(id)) => id,
        Some(Err(())) => {
            return Err(GitTreeError::Ambiguous {
                reference: reference.to_string(),
            });
        }
        None => return Err(not_found()),
    };
    let commit = repository
        .find_object(id)
        .map_err(object_error)?
        .peel_to_commit()
        .map_err(object_error)?;
    Ok(commit.id)
}

/// `path` below `base` as `/`-separated normal components, or `None` when it is not below it.
fn relative_components(path: &Path, base: &Path) -> Option<String> {
    let rest = path.strip_prefix(base).ok()?;
    let mut parts = Vec::new();
    for component in rest.components() {
        match component {
            Component::Normal(name) => parts.push(name.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

fn join_tree_path(directory: &str, below: &str) -> String {
    match (directory.is_empty(), below.is_empty()) {
        (true, _) => below.to_string(),
        (false, true) => directory.to_string(),
        (false, false) => format!("{directory}/{below}"),
    }
}
