//! The directories the walk did not enter and why, so that nothing is left out silently. Only
//! directories are recorded (never every file below them), and only the first
//! [`MAX_SKIPPED_LISTED`] in path order are named; the rest are counted.

use std::collections::BTreeSet;

/// At most this many skipped directories are named; the others are counted.
pub const MAX_SKIPPED_LISTED: usize = 200;

/// Why the walk did not enter a directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// `node_modules/`.
    Dependencies,
    /// `target/`.
    BuildOutput,
    /// `.git/`.
    GitMetadata,
    /// A pattern of `scan.exclude`.
    Exclude,
    /// A pattern of this ignore file (relative to the root, e.g. `sub/.gitignore`).
    IgnoreFile { file: String },
}

impl SkipReason {
    /// A short kebab-case name for machine-readable output.
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::Dependencies => "dependencies",
            SkipReason::BuildOutput => "build-output",
            SkipReason::GitMetadata => "git-metadata",
            SkipReason::Exclude => "scan-exclude",
            SkipReason::IgnoreFile { .. } => "ignore-file",
        }
    }

    /// The reason in words, for people.
    pub fn describe(&self) -> String {
        match self {
            SkipReason::Dependencies => "dependencies".into(),
            SkipReason::BuildOutput => "build output".into(),
            SkipReason::GitMetadata => "git metadata".into(),
            SkipReason::Exclude => "scan.exclude".into(),
            SkipReason::IgnoreFile { file } => format!("ignored by {file}"),
        }
    }
}

/// One directory the walk did not enter: its path relative to the root, ending in `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SkippedPath {
    pub path: String,
    pub reason: SkipReason,
}

/// The skipped directories: the first [`MAX_SKIPPED_LISTED`] by path, and how many there were.
/// Which ones are named does not depend on the order the walker threads met them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    listed: BTreeSet<SkippedPath>,
    total: usize,
}

impl Skipped {
    pub fn add(&mut self, skipped: SkippedPath) {
        self.total += 1;
        self.listed.insert(skipped);
        if self.listed.len() > MAX_SKIPPED_LISTED {
            self.listed.pop_last();
        }
    }

    /// The named directories, sorted by path.
    pub fn listed(&self) -> impl Iterator<Item = &SkippedPath> {
        self.listed.iter()
    }

    /// How many skipped directories are not named.
    pub fn unlisted(&self) -> usize {
        self.total - self.listed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}
