//! Deployment variants of Terraform roots: the variable files Terraform does not load by itself,
//! each passed with `-var-file` to apply the root to one environment (`envs/prod.tfvars`).
//!
//! A root is read once per variable file (its automatic files first, then that file), and the
//! readings go through `Facts::from_variants`. Which root a file belongs to is found from where it
//! is: beside the root, or below it in a directory that holds no Terraform configuration
//! (`envs/`, `environments/`, `configurations/regions/eu-west-2/`). A file in no root's tree goes
//! to the one root beside it (`vars/prod.tfvars` next to `infra/`); beside several roots, which one
//! it is passed to cannot be known, and it is noted rather than guessed. A manifest's
//! `[[scan.terraform]]` entry names a root's files instead (see `config::TerraformRoot`).

use super::files;
use crate::source::SourceFile;
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::{BTreeMap, BTreeSet};

/// Variable files one root is read with, each a variant; more are reported and not read.
pub(crate) const MAX_VARIANTS_PER_ROOT: usize = 32;

/// Roots listed in a note about a file beside several roots.
const MAX_NAMED_ROOTS: usize = 5;

/// The variable files of each root that has some, with their variant names, and the notes about
/// files that belong to no single root.
#[derive(Debug, Default)]
pub(crate) struct Assignment<'f> {
    /// Root directory -> (variant name, file), in name order.
    pub roots: BTreeMap<Utf8PathBuf, Vec<(String, &'f SourceFile)>>,
    /// (file, message): a variable file whose root is unknown, or a root with too many.
    pub notes: Vec<(&'f SourceFile, String)>,
    /// Messages about `[[scan.terraform]]` variable files that are not among the files read.
    pub missing: Vec<String>,
}

/// Assigns the variable files among `files` to `roots` (see the module's documentation).
/// `configured` are the directories that hold Terraform configuration (roots and modules).
/// `explicit` are the roots a manifest names, with their files: those replace discovery for
/// their root, and the files they name are not assigned again.
pub(crate) fn assign<'f>(
    files: &[&'f SourceFile],
    roots: &BTreeSet<&Utf8PathBuf>,
    configured: &BTreeSet<&Utf8PathBuf>,
    explicit: &[(Utf8PathBuf, Vec<Utf8PathBuf>)],
) -> Assignment<'f> {
    let mut assignment = Assignment::default();
    let by_path: BTreeMap<&Utf8Path, &'f SourceFile> = files
        .iter()
        .map(|file| (file.path.as_path(), *file))
        .collect();
    let mut taken: BTreeSet<&Utf8Path> = BTreeSet::new();
    let mut found: BTreeMap<Utf8PathBuf, Vec<&'f SourceFile>> = BTreeMap::new();
    for (root, var_files) in explicit {
        let list = found.entry(root.clone()).or_default();
        for path in var_files {
            match by_path.get_key_value(path.as_path()) {
                Some((path, file)) => {
                    taken.insert(path);
                    list.push(*file);
                }
                None => assignment.missing.push(format!(
                    "terraform: `{path}`, a variable file of the root `{}` in `[[scan.terraform]]`, is not among the scanned files (excluded, ignored, or not a `.tfvars` file); the root is read without it",
                    shown_dir(root)
                )),
            }
        }
    }
    let explicit_roots: BTreeSet<&Utf8PathBuf> = explicit.iter().map(|(root, _)| root).collect();
    for file in files {
        let name = file.path.file_name().unwrap_or_default();
        if !files::is_tfvars(name) || taken.contains(file.path.as_path()) {
            continue;
        }
        let dir = file.path.parent().unwrap_or(Utf8Path::new(""));
        match owner(dir, roots, configured) {
            Owner::Root(root) if files::is_auto_tfvars(name) && root.as_path() == dir => {}
            Owner::Root(root) => {
                if !explicit_roots.contains(root) {
                    found.entry(root.clone()).or_default().push(*file);
                }
            }
            Owner::Module => {}
            Owner::Several(candidates) if candidates.is_empty() => {}
            Owner::Several(candidates) => {
                let shown: Vec<String> = candidates
                    .iter()
                    .take(MAX_NAMED_ROOTS)
                    .map(|root| format!("`{}`", shown_dir(root)))
                    .collect();
                let more = candidates.len().saturating_sub(MAX_NAMED_ROOTS);
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                assignment.notes.push((
                    file,
                    format!(
                        "terraform: `{}` is a variable file beside {} roots ({}{more}); which of them it is passed to with `-var-file` is not known, so it is read with none (name the root in `[[scan.terraform]]` of borderline.toml)",
                        file.path,
                        candidates.len(),
                        shown.join(", ")
                    ),
                ));
            }
        }
    }
    for (root, mut list) in found {
        list.sort_by(|a, b| a.path.cmp(&b.path));
        list.dedup_by(|a, b| a.path == b.path);
        if list.is_empty() {
            continue;
        }
        if list.len() > MAX_VARIANTS_PER_ROOT
            && let Some(first) = list.get(MAX_VARIANTS_PER_ROOT)
        {
            assignment.notes.push((
                first,
                format!(
                    "terraform: the root `{}` has {} variable files; only the first {MAX_VARIANTS_PER_ROOT} in path order are read as variants",
                    shown_dir(&root),
                    list.len()
                ),
            ));
            list.truncate(MAX_VARIANTS_PER_ROOT);
        }
        let named = names(&root, &list);
        let mut pairs: Vec<(String, &'f SourceFile)> = named.into_iter().zip(list).collect();
        pairs.sort_by(|a, b| (&a.0, &a.1.path).cmp(&(&b.0, &b.1.path)));
        assignment.roots.insert(root, pairs);
    }
    assignment
}

/// The root directory as a reader names it.
fn shown_dir(dir: &Utf8Path) -> &str {
    if dir.as_str().is_empty() {
        "."
    } else {
        dir.as_str()
    }
}

/// Who a variable file in `dir` is for.
enum Owner<'r> {
    Root(&'r Utf8PathBuf),
    /// A module's own (a test's or an example's values): not a variant of any root here.
    Module,
    /// Several roots beside it, or none near it at all (empty: not noted).
    Several(Vec<&'r Utf8PathBuf>),
}

/// The nearest directory at or above `dir` that holds configuration decides: a root owns the
/// file, a module makes it the module's. Before that, roots below `dir` or beside it (below its
/// parent) decide: one root owns the file, several make it ambiguous. Further away, a file is
/// no root's, as when no directory holds configuration (it is not read, as Terraform would not).
fn owner<'r>(
    dir: &Utf8Path,
    roots: &BTreeSet<&'r Utf8PathBuf>,
    configured: &BTreeSet<&Utf8PathBuf>,
) -> Owner<'r> {
    // Each step goes one directory up: bounded by the depth of the path.
    let mut at = Some(dir);
    let mut level = 0usize;
    while let Some(here) = at {
        if let Some(root) = roots.iter().find(|root| root.as_path() == here) {
            return Owner::Root(root);
        }
        if configured.iter().any(|c| c.as_path() == here) {
            return Owner::Module;
        }
        // Roots below the file's own directory, or beside it (below its parent); roots further
        // away are not the file's (`tests/fast/x/simple.tfvars` is not for `tests/examples`).
        let below: Vec<&'r Utf8PathBuf> = roots
            .iter()
            .filter(|root| level <= 1 && (here.as_str().is_empty() || root.starts_with(here)))
            .copied()
            .collect();
        match below.as_slice() {
            [] => {}
            [one] => return Owner::Root(one),
            _ => return Owner::Several(below),
        }
        level += 1;
        at = if here.as_str().is_empty() {
            None
        } else {
            Some(here.parent().unwrap_or(Utf8Path::new("")))
        };
    }
    Owner::Several(Vec::new())
}

/// The variant name of each file of one root: the file's stem (`prod` for `envs/prod.tfvars`,
/// the directory's name for `envs/prod/terraform.tfvars`), lower-cased; files of the same stem
/// are named by the shortest path that tells them apart (`eu/prod`, `us/prod`).
pub(crate) fn names(root: &Utf8Path, list: &[&SourceFile]) -> Vec<String> {
    let paths: Vec<Vec<String>> = list
        .iter()
        .map(|file| {
            let relative = file.path.strip_prefix(root).unwrap_or(&file.path);
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_str().to_lowercase())
                .collect();
            if let Some(last) = parts.pop() {
                let stem = last
                    .strip_suffix(".tfvars.json")
                    .or_else(|| last.strip_suffix(".tfvars"))
                    .unwrap_or(&last);
                let stem = stem.strip_suffix(".auto").unwrap_or(stem).to_string();
                // `envs/prod/terraform.tfvars`: the directory names the environment.
                if stem != "terraform" || parts.is_empty() {
                    parts.push(stem);
                }
            }
            parts
        })
        .collect();
    let name_of = |parts: &[String], take: usize| -> String {
        let start = parts.len().saturating_sub(take.max(1));
        parts.get(start..).unwrap_or_default().join("/")
    };
    paths
        .iter()
        .enumerate()
        .map(|(index, parts)| {
            // The fewest trailing components that no other file of this root shares.
            (1..=parts.len().max(1))
                .map(|take| name_of(parts, take))
                .enumerate()
                .find(|(at, name)| {
                    paths
                        .iter()
                        .enumerate()
                        .all(|(other, o)| other == index || name_of(o, at + 1) != *name)
                })
                .map(|(_, name)| name)
                .unwrap_or_else(|| parts.join("/"))
        })
        .collect()
}
