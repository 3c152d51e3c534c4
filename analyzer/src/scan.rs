//! The pipeline, one direction: discover -> extract -> model -> evaluate. Reporting is the caller's.

use crate::cache::{Cache, CacheStats};
use crate::config::{ConfigError, Manifest, parse_manifest};
use crate::date::Date;
use crate::discover::{Skipped, discover};
use crate::evaluate::{Evaluation, evaluate};
use crate::extract::{ExtractContext, Input, InputFile, Owners, extract_files, extractors};
use crate::model::{Model, ModelInput, build};
use crate::rules::RuleSet;
use crate::source::{FileId, Files, SourceFile, StoredFile};
use camino::Utf8PathBuf;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The manifest's default name, at the root of the scanned repository.
pub const MANIFEST_NAME: &str = "borderline.toml";

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub root: PathBuf,
    /// `--config`; `None` means `ROOT/borderline.toml` if it exists.
    pub config: Option<PathBuf>,
    pub date: Date,
    /// `--cache DIR`: reuse extraction results from earlier runs (created if missing).
    pub cache: Option<PathBuf>,
    /// `--terraform-plan FILE` (repeatable): plans in JSON read with the repository, wherever
    /// they are (see `extract::terraform::plan`).
    pub terraform_plans: Vec<PathBuf>,
}

/// Why a scan could not be done at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Manifest(Vec<ConfigError>),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// `--policy-from REF`: the repository, REF, or the policy at REF cannot be read.
    #[error(transparent)]
    PolicyFrom(#[from] crate::policy_from::PolicyFromError),
}

/// A finished scan.
#[derive(Debug)]
pub struct Scan {
    pub model: Model,
    pub evaluation: Evaluation,
    /// How the cache was used, when there was one.
    pub cache: Option<CacheStats>,
    /// Directories the walk did not enter (`node_modules/`, ignored, excluded), for the report.
    pub skipped: Skipped,
    /// With `--policy-from REF --baseline FILE`: the baseline at REF, the one to apply.
    pub governing_baseline: Option<crate::baseline::Baseline>,
}

/// Scans a repository.
pub fn scan(options: &ScanOptions, rules: &RuleSet) -> Result<Scan, ScanError> {
    scan_with_policy_from(options, rules, None)
}

/// Scans a repository judged by the policy, waivers and baseline at `policy_from`'s REF when it
/// is given (`--policy-from`).
pub fn scan_with_policy_from(
    options: &ScanOptions,
    rules: &RuleSet,
    policy_from: Option<&crate::policy_from::PolicyFrom>,
) -> Result<Scan, ScanError> {
    let root = &options.root;
    if !root.is_dir() {
        return Err(ScanError::Io {
            path: root.display().to_string(),
            message: "not a directory".into(),
        });
    }
    let (manifest_path, manifest_display, explicit) = match &options.config {
        Some(path) => (path.clone(), display_path(root, path), true),
        None => (
            root.join(MANIFEST_NAME),
            Utf8PathBuf::from(MANIFEST_NAME),
            false,
        ),
    };
    // The manifest is usually in the repository a pull request controls: a symlink (to a TOML
    // file elsewhere, whose keys an error would print) is never followed, a device or FIFO is never
    // read, and the size is capped.
    let current = std::env::current_dir().unwrap_or_default();
    let manifest_text = match crate::safe_io::read_text(
        &manifest_path,
        &[root.as_path(), current.as_path()],
        crate::safe_io::MAX_SIDE_FILE_BYTES,
    ) {
        Ok(text) => Some(text),
        Err(error) if error.is_not_found() && !explicit => None,
        Err(error) => {
            return Err(ScanError::Io {
                path: manifest_display.to_string(),
                message: format!("cannot read the manifest: {}", error.reason()),
            });
        }
    };

    // The manifest is parsed first: its `exclude` globs and `paths` shape what is read.
    // The manifest is file 0: its spans are made against that id.
    let manifest_file = manifest_text.as_ref().map(|text| {
        SourceFile::new(
            FileId(0),
            manifest_display.clone(),
            Arc::from(text.as_str()),
        )
    });
    let mut manifest = match &manifest_file {
        Some(file) => parse_manifest(file, rules).map_err(ScanError::Manifest)?,
        None => Manifest::default(),
    };
    // `--policy-from`: the policy and waivers at REF replace the working tree's, whose changes
    // to them become `policy-changed` diagnostics.
    let governing = match policy_from {
        Some(policy_from) => Some(crate::policy_from::Governing::load(
            policy_from,
            root,
            &manifest_path,
            rules,
        )?),
        None => None,
    };
    let mut policy_changes = match &governing {
        Some(governing) => governing.govern_manifest(
            &mut manifest,
            manifest_file.is_some(),
            manifest_display.as_str(),
        ),
        None => Vec::new(),
    };

    let cache = match &options.cache {
        Some(dir) if is_inside(dir, root) => {
            return Err(ScanError::Io {
                path: dir.display().to_string(),
                message: "the cache directory is inside the scanned repository; a pull request \
                          could commit entries there that hide findings or redirect writes: put \
                          it outside (e.g. ~/.cache/borderline)"
                    .into(),
            });
        }
        Some(dir) => {
            Some(
                Cache::open(dir, rules.fingerprint()).map_err(|error| ScanError::Io {
                    path: dir.display().to_string(),
                    message: format!("cannot open the cache directory: {error}"),
                })?,
            )
        }
        None => None,
    };
    let extractors = extractors();
    let wanted = |path: &camino::Utf8Path| {
        path != manifest_display && extractors.iter().any(|e| e.claims(path))
    };
    let discovery = discover(root, &manifest.exclude, &wanted);

    // File ids: the manifest is 0, then every file in path order.
    let mut files = Files::new();
    if let Some(file) = &manifest_file {
        files.push(StoredFile::whole(file));
    }
    let first = u32::from(manifest_file.is_some());
    let mut inputs: Vec<InputFile> = discovery
        .files
        .into_iter()
        .enumerate()
        .map(|(index, candidate)| InputFile {
            id: FileId(first + u32::try_from(index).unwrap_or(u32::MAX - first)),
            path: candidate.path,
            input: Input::Disk(candidate.absolute),
        })
        .collect();
    given_plans(options, &mut inputs, first)?;
    let owners = Owners::new(manifest.facts.nodes.iter().flat_map(|node| {
        node.paths
            .iter()
            .map(move |path| (node.id.clone(), path.clone()))
    }));
    let ctx = ExtractContext {
        rules,
        owners: &owners,
    };
    let extraction = extract_files(&inputs, &ctx, cache.as_ref());
    drop(inputs);
    for file in extraction.files {
        files.push(file);
    }
    let mut extracted = extraction.facts;
    extracted.diagnostics.extend(discovery.diagnostics);
    // `--policy-from`: inline waivers the commit at REF did not have do not apply either.
    if let Some(governing) = &governing {
        policy_changes.extend(governing.govern_inline_waivers(
            root,
            &files,
            &mut extracted.waivers,
        ));
    }
    let mut governing_baseline = None;
    if let Some(governing) = &governing {
        let id = FileId(u32::try_from(files.len()).unwrap_or(u32::MAX));
        let (baseline, file, changes) = governing.govern_baseline(root, id);
        if let Some(file) = &file {
            files.push(StoredFile::whole(file));
        }
        governing_baseline = baseline;
        policy_changes.extend(changes);
    }
    extracted.diagnostics.extend(policy_changes);

    let model = build(
        ModelInput {
            files,
            manifest_facts: manifest.facts,
            extracted,
            policy: manifest.policy,
            waivers: manifest.waivers,
            project_name: manifest.project_name,
        },
        rules,
    );
    let evaluation = evaluate(&model, rules, options.date);
    Ok(Scan {
        model,
        evaluation,
        cache: cache.as_ref().map(Cache::stats),
        skipped: discovery.skipped,
        governing_baseline,
    })
}

/// Adds the plans given with `--terraform-plan` to the inputs, after the walked files. A plan the
/// walk found already is not added twice; any other is read now (no symlink followed, at most
/// `MAX_PLAN_BYTES`) and named `./PATH` inside the root or as given outside it, names no walked
/// file has, by which the Terraform extractor knows it was given.
fn given_plans(
    options: &ScanOptions,
    inputs: &mut Vec<InputFile>,
    first: u32,
) -> Result<(), ScanError> {
    use crate::extract::terraform::plan;
    let root = &options.root;
    let current = std::env::current_dir().unwrap_or_default();
    let canonical_root = std::fs::canonicalize(root).ok();
    let mut seen: std::collections::BTreeSet<Utf8PathBuf> = std::collections::BTreeSet::new();
    for path in &options.terraform_plans {
        let absolute = crate::safe_io::absolute(path);
        // Inside the root: its path relative to the root, as the walk names it.
        let relative = canonical_root.as_ref().and_then(|root| {
            let parent = std::fs::canonicalize(absolute.parent()?).ok()?;
            let inside = parent.strip_prefix(root).ok()?.join(absolute.file_name()?);
            Some(display_path(Path::new(""), &inside))
        });
        if let Some(relative) = &relative
            && inputs.iter().any(|input| &input.path == relative)
            && plan::claims(relative)
        {
            continue;
        }
        let shown = match &relative {
            Some(relative) => Utf8PathBuf::from(format!("./{relative}")),
            // Outside: as typed when that names it as given (`../plan.json`, `/tmp/plan.json`),
            // else absolute, since `./` and bare relative names belong to files of the root.
            None => {
                let typed = Utf8PathBuf::from(path.to_string_lossy().into_owned());
                if plan::is_given(&typed) && !typed.as_str().starts_with("./") {
                    typed
                } else {
                    Utf8PathBuf::from(absolute.to_string_lossy().into_owned())
                }
            }
        };
        if !seen.insert(shown.clone()) {
            continue;
        }
        let text = crate::safe_io::read_text(
            path,
            &[root.as_path(), current.as_path()],
            plan::MAX_PLAN_BYTES,
        )
        .map_err(|error| ScanError::Io {
            path: shown.to_string(),
            message: format!("cannot read the Terraform plan: {}", error.reason()),
        })?;
        let index = u32::try_from(inputs.len()).unwrap_or(u32::MAX - first);
        inputs.push(InputFile {
            id: FileId(first.saturating_add(index)),
            path: shown,
            input: Input::Text(Arc::from(text)),
        });
    }
    Ok(())
}

/// True when `dir` is `root` or below it, symlinks resolved as far as the path exists (a cache
/// directory that does not exist yet is judged by its nearest existing ancestor).
fn is_inside(dir: &Path, root: &Path) -> bool {
    let Ok(root) = std::fs::canonicalize(root) else {
        return false;
    };
    let absolute = crate::safe_io::absolute(dir);
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(resolved) = std::fs::canonicalize(existing) {
            let mut full = resolved;
            for part in rest.iter().rev() {
                full.push(part);
            }
            return full.starts_with(&root);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return false,
        }
    }
}

/// A path for messages: relative to the root when it is inside it.
fn display_path(root: &Path, path: &Path) -> Utf8PathBuf {
    let shown = path.strip_prefix(root).unwrap_or(path);
    if shown.is_absolute() {
        return Utf8PathBuf::from(shown.to_string_lossy().into_owned());
    }
    // Components joined with `/`: a `\` in a name is part of the name (see `discover`).
    let joined: Vec<String> = shown
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Utf8PathBuf::from(joined.join("/"))
}
