//! `--policy-from REF`: the policy, the waivers and the baseline a scan is judged by come from a
//! commit the pull request cannot change, and the pull request's own changes to them become
//! `policy-changed` findings for a reviewer.
//!
//! Everything else (nodes, flows, safeguards declared in the manifest, code and configuration)
//! still comes from the working tree: only what decides the verdict on it is taken from REF.

use crate::baseline::Baseline;
use crate::checks::policy_changed;
use crate::config::{Manifest, parse_manifest};
use crate::facts::ExtractionDiagnostic;
use crate::git_tree::{GitTree, GitTreeError};
use crate::policy::{Policy, Waiver};
use crate::rule::Rule;
use crate::rules::RuleSet;
use crate::safe_io::{MAX_SIDE_FILE_BYTES, read_text};
use crate::source::{FileId, SourceFile};
use camino::Utf8PathBuf;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `--policy-from` asks for.
#[derive(Debug, Clone)]
pub struct PolicyFrom {
    /// A branch, remote branch, tag, `HEAD` or commit id.
    pub reference: String,
    /// `--baseline FILE`: read at REF; the working tree's copy is only compared with it.
    pub baseline: Option<PathBuf>,
}

/// Why the policy at REF cannot be used (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum PolicyFromError {
    #[error(transparent)]
    Git(#[from] GitTreeError),
    #[error("--policy-from: {path} at `{reference}` is not UTF-8 text")]
    NotText { path: String, reference: String },
    #[error("--policy-from: the manifest at `{reference}` is invalid:\n{errors}")]
    Manifest { reference: String, errors: String },
    #[error("--policy-from: the baseline {path} at `{reference}`: {message}")]
    Baseline {
        path: String,
        reference: String,
        message: String,
    },
}

/// The policy, waivers and baseline read at REF, with the repository they came from.
#[derive(Debug)]
pub struct Governing {
    tree: GitTree,
    manifest: Option<Manifest>,
    /// The baseline at REF (empty when REF has none), with the working tree's path of the file.
    baseline: Option<(Baseline, PathBuf)>,
}

/// A file id no scanned file has: spans of the manifest at REF are never rendered (they are
/// replaced by the working tree's, or dropped, before the model is built).
const REFERENCE_MANIFEST_FILE: FileId = FileId(u32::MAX);

impl Governing {
    /// Opens the repository holding `root`, and reads at REF the manifest that sits at
    /// `manifest_path` in the working tree and the baseline that `policy_from` names.
    pub fn load(
        policy_from: &PolicyFrom,
        root: &Path,
        manifest_path: &Path,
        rules: &RuleSet,
    ) -> Result<Governing, PolicyFromError> {
        let tree = GitTree::open(root, &policy_from.reference)?;
        let reference = tree.reference().to_string();
        let manifest_in_tree = tree.path_in_tree(manifest_path)?;
        let manifest = match tree.read(&manifest_in_tree)? {
            None => None,
            Some(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| PolicyFromError::NotText {
                    path: manifest_in_tree.clone(),
                    reference: reference.clone(),
                })?;
                let file = SourceFile::new(
                    REFERENCE_MANIFEST_FILE,
                    Utf8PathBuf::from(format!("{reference}:{manifest_in_tree}")),
                    Arc::from(text.as_str()),
                );
                let manifest =
                    parse_manifest(&file, rules).map_err(|errors| PolicyFromError::Manifest {
                        reference: reference.clone(),
                        errors: errors
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("\n"),
                    })?;
                Some(manifest)
            }
        };
        let baseline = match &policy_from.baseline {
            None => None,
            Some(path) => {
                let in_tree = tree.path_in_tree(path)?;
                let baseline_error = |message: String| PolicyFromError::Baseline {
                    path: in_tree.clone(),
                    reference: reference.clone(),
                    message,
                };
                // No baseline at REF: nothing is accepted yet.
                let baseline = match tree.read(&in_tree)? {
                    None => Baseline::of(&[]),
                    Some(bytes) => {
                        let text = String::from_utf8(bytes)
                            .map_err(|_| baseline_error("not UTF-8 text".into()))?;
                        Baseline::parse(&text).map_err(|e| baseline_error(e.to_string()))?
                    }
                };
                Some((baseline, path.clone()))
            }
        };
        Ok(Governing {
            tree,
            manifest,
            baseline,
        })
    }

    /// Puts the policy and waivers at REF in place of the working tree's, and returns the working
    /// tree's changes to them. Entries equal to the working tree's keep its spans (so findings
    /// point into a file the scan shows); the others have none.
    pub fn govern_manifest(
        &self,
        manifest: &mut Manifest,
        working_present: bool,
        manifest_display: &str,
    ) -> Vec<ExtractionDiagnostic> {
        let reference = self.tree.reference();
        let changes = policy_changed::manifest_changes(
            reference,
            self.manifest.as_ref(),
            working_present.then_some(&*manifest),
            manifest_display,
        );
        let base_policy = self
            .manifest
            .as_ref()
            .map(|m| m.policy.clone())
            .unwrap_or_default();
        let base_waivers = self
            .manifest
            .as_ref()
            .map(|m| m.waivers.clone())
            .unwrap_or_default();
        let mut policy = base_policy;
        policy.spans = working_spans(&policy, &manifest.policy);
        let waivers = base_waivers
            .into_iter()
            .map(|waiver| {
                manifest
                    .waivers
                    .iter()
                    .find(|working| same_waiver(working, &waiver))
                    .cloned()
                    .unwrap_or_else(|| without_spans(waiver))
            })
            .collect();
        manifest.policy = policy;
        manifest.waivers = waivers;
        changes
    }

    /// Keeps the inline waivers of the working tree that the same file at REF already has (same
    /// rule and reason, an expiry no later), and reports the others as `policy-changed`: a pull
    /// request must not waive its own transfers with a comment any more than with `[[waiver]]`.
    pub fn govern_inline_waivers(
        &self,
        root: &Path,
        files: &crate::source::Files,
        waivers: &mut Vec<crate::facts::InlineWaiver>,
    ) -> Vec<ExtractionDiagnostic> {
        let reference = self.tree.reference();
        let mut at_reference: std::collections::BTreeMap<FileId, Vec<crate::facts::InlineWaiver>> =
            std::collections::BTreeMap::new();
        let mut changes = Vec::new();
        waivers.retain(|waiver| {
            let base = at_reference.entry(waiver.span.file).or_insert_with(|| {
                files
                    .get(waiver.span.file)
                    .and_then(|file| {
                        let in_tree = self
                            .tree
                            .path_in_tree(&root.join(file.path.as_std_path()))
                            .ok()?;
                        let bytes = self.tree.read(&in_tree).ok()??;
                        let text = String::from_utf8(bytes).ok()?;
                        Some(crate::extract::inline_waivers::waivers_in(&SourceFile::new(
                            REFERENCE_MANIFEST_FILE,
                            file.path.clone(),
                            Arc::from(text.as_str()),
                        )))
                    })
                    .unwrap_or_default()
            });
            // `YYYY-MM-DD` strings order as the dates do.
            let kept = base.iter().any(|old| {
                old.rule == waiver.rule && old.reason == waiver.reason && old.expires >= waiver.expires
            });
            if !kept {
                changes.push(ExtractionDiagnostic {
                    rule: Rule::PolicyChanged,
                    severity: Rule::PolicyChanged.default_severity(),
                    message: format!(
                        "this change adds an inline waiver of `{}` (until {}, reason: {}); waivers are read from `{reference}`, so it does not apply until it is reviewed and merged",
                        waiver.rule, waiver.expires, waiver.reason
                    ),
                    span: Some(waiver.span),
                    path: None,
                });
            }
            kept
        });
        changes
    }

    /// The baseline at REF (when `--baseline` was given), and the working tree's additions to it.
    /// The working tree's baseline becomes file `id` (pushed by the caller) when it can be read.
    pub fn govern_baseline(
        &self,
        root: &Path,
        id: FileId,
    ) -> (
        Option<Baseline>,
        Option<SourceFile>,
        Vec<ExtractionDiagnostic>,
    ) {
        let Some((base, path)) = &self.baseline else {
            return (None, None, Vec::new());
        };
        let reference = self.tree.reference();
        let display = display_path(root, path);
        // The working tree's copy is the pull request's: read like any file of the scanned tree.
        let inside_root =
            crate::safe_io::absolute(path).starts_with(crate::safe_io::absolute(root));
        let within: Vec<&Path> = if inside_root { vec![root] } else { Vec::new() };
        let text = match read_text(path, &within, MAX_SIDE_FILE_BYTES) {
            Ok(text) => text,
            // A baseline the pull request deleted accepts nothing new.
            Err(error) if error.is_not_found() => return (Some(base.clone()), None, Vec::new()),
            Err(error) => {
                let changes = vec![unreadable(&display, reference, &error.to_string())];
                return (Some(base.clone()), None, changes);
            }
        };
        let working = match Baseline::parse(&text) {
            Ok(working) => working,
            Err(error) => {
                let changes = vec![unreadable(&display, reference, &error.to_string())];
                return (Some(base.clone()), None, changes);
            }
        };
        let file = SourceFile::new(id, display, Arc::from(text.as_str()));
        let changes = policy_changed::baseline_changes(reference, base, &working, &file);
        if changes.is_empty() {
            (Some(base.clone()), None, changes)
        } else {
            (Some(base.clone()), Some(file), changes)
        }
    }
}

fn unreadable(display: &Utf8PathBuf, reference: &str, message: &str) -> ExtractionDiagnostic {
    ExtractionDiagnostic {
        rule: Rule::PolicyChanged,
        severity: Rule::PolicyChanged.default_severity(),
        message: format!(
            "this change leaves a baseline that cannot be read ({message}); the baseline at `{reference}` applies"
        ),
        span: None,
        path: Some(display.to_string()),
    }
}

/// The working tree's span of each policy key whose value it shares with `governing`.
fn working_spans(
    governing: &Policy,
    working: &Policy,
) -> std::collections::BTreeMap<&'static str, crate::source::Span> {
    working
        .spans
        .iter()
        .filter(|(key, _)| {
            policy_changed::policy_value(governing, key)
                == policy_changed::policy_value(working, key)
        })
        .map(|(key, span)| (*key, *span))
        .collect()
}

fn same_waiver(a: &Waiver, b: &Waiver) -> bool {
    a.rule == b.rule
        && a.from.as_ref().map(|f| &f.id) == b.from.as_ref().map(|f| &f.id)
        && a.to.as_ref().map(|t| &t.id) == b.to.as_ref().map(|t| &t.id)
        && a.expires == b.expires
        && a.reason == b.reason
}

fn without_spans(mut waiver: Waiver) -> Waiver {
    waiver.span = None;
    for reference in [&mut waiver.from, &mut waiver.to].into_iter().flatten() {
        reference.span = None;
    }
    waiver
}

/// A path for messages: relative to the root when it is inside it.
fn display_path(root: &Path, path: &Path) -> Utf8PathBuf {
    let (root, path) = (
        crate::safe_io::absolute(root),
        crate::safe_io::absolute(path),
    );
    let shown = path.strip_prefix(&root).unwrap_or(&path);
    Utf8PathBuf::from(shown.to_string_lossy().replace('\\', "/"))
}
