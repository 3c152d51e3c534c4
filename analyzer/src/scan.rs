//! The pipeline, one direction: discover -> extract -> model -> evaluate. Reporting is the caller's.

use crate::config::{ConfigError, Manifest, parse_manifest};
use crate::date::Date;
use crate::discover::{Skipped, discover_within};
use crate::evaluate::variants::{VariantRun, evaluate_variants};
use crate::evaluate::{Evaluation, evaluate};
use crate::extract::cache::{Cache, CacheStats};
use crate::extract::{ExtractContext, Input, InputFile, Owners, extract_files, extractors};
use crate::facts::{ExtractionDiagnostic, Facts};
use crate::model::{Model, ModelInput, build};
use crate::rule::Rule;
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
    /// `--variant NAME` (repeatable): evaluate only these deployment variants; replaces the
    /// manifest's `[scan] variants`. Empty: the manifest's, else every variant found.
    pub variants: Vec<String>,
    /// `--rendered FILE` (repeatable): Kubernetes manifests `helm template` or `kustomize build`
    /// wrote, read with the repository wherever they are (see `extract::kubernetes`).
    pub rendered: Vec<PathBuf>,
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
    /// `--variant NAME` names no deployment variant of the repository.
    #[error("{0}")]
    Variant(String),
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
    /// The manifest found above the scanned directory (see [`find_manifest_above`]), when that
    /// is the one that applied: the caller says so, since it is not where the user looked.
    pub manifest_above: Option<PathBuf>,
    /// The deployment variants the extractors read, each with the file that makes it differ.
    pub variants: Vec<crate::facts::Variant>,
    /// The variant names evaluated (sorted); empty when the repository has no variants.
    pub evaluated_variants: Vec<String>,
}

/// A manifest found above the scanned directory: `borderline scan services/checkout` in a
/// repository whose `borderline.toml` is at its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundManifest {
    /// The directory holding the manifest: the scan's root, to which node `paths`, `exclude` and
    /// waiver globs and every reported path are relative.
    pub root: PathBuf,
    /// The scanned directory relative to `root`, `/`-separated: the only part that is walked.
    pub scope: Utf8PathBuf,
}

/// At most this many directories above the scanned one are looked at (paths are finite; the
/// bound is there so that no loop depends on the file system alone).
const MAX_MANIFEST_ANCESTORS: usize = 512;

/// The manifest that governs `path` when `path` has none of its own: the nearest
/// `borderline.toml` in a directory above it, looking no further than the repository root (the
/// nearest directory holding `.git`, a directory or a worktree's file) or the file system root,
/// as ruff and cargo find theirs. Without it a scan of a part of a repository would silently drop
/// the policy (`fail_on`, special categories, waivers): a false green.
/// `Ok(None)`: `path` has its own manifest, is the repository root, or nothing was found.
pub fn find_manifest_above(path: &Path) -> Result<Option<FoundManifest>, ScanError> {
    let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    let Ok(start) = std::fs::canonicalize(path) else {
        return Ok(None);
    };
    if exists(&start.join(MANIFEST_NAME)) || exists(&start.join(".git")) {
        return Ok(None);
    }
    for dir in start.ancestors().skip(1).take(MAX_MANIFEST_ANCESTORS) {
        if exists(&dir.join(MANIFEST_NAME)) {
            let inside = start.strip_prefix(dir).unwrap_or(Path::new(""));
            let mut parts = Vec::new();
            for component in inside.components() {
                let Some(part) = component.as_os_str().to_str() else {
                    return Err(ScanError::Io {
                        path: path.display().to_string(),
                        message: format!(
                            "a directory name on the way from {} is not UTF-8; the manifest \
                             there cannot be applied to it (pass --config)",
                            dir.join(MANIFEST_NAME).display()
                        ),
                    });
                };
                parts.push(part);
            }
            return Ok(Some(FoundManifest {
                root: dir.to_path_buf(),
                scope: Utf8PathBuf::from(parts.join("/")),
            }));
        }
        if exists(&dir.join(".git")) {
            return Ok(None);
        }
    }
    Ok(None)
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
    scan_judged(options, rules, policy_from, None).map(|(scan, _)| scan)
}

/// Scans a repository once and judges what it found twice: under `rules` (the scan) and under
/// `other` (the returned evaluation), as `borderline rules --impact` compares the verdicts of
/// today with those if a decision were annulled. The two share one extraction and one model, so
/// they differ only by what the rule sets say.
pub fn scan_judged_twice(
    options: &ScanOptions,
    rules: &RuleSet,
    policy_from: Option<&crate::policy_from::PolicyFrom>,
    other: &RuleSet,
) -> Result<(Scan, Evaluation), ScanError> {
    let (scan, other) = scan_judged(options, rules, policy_from, Some(other))?;
    match other {
        Some(evaluation) => Ok((scan, evaluation)),
        // `scan_judged` judges under `other` whenever it is given.
        None => Err(ScanError::Io {
            path: options.root.display().to_string(),
            message: "the repository was not judged a second time".into(),
        }),
    }
}

// long-fn: the pipeline in order (walk, extract, govern, model, judge), one step after another.
fn scan_judged(
    options: &ScanOptions,
    rules: &RuleSet,
    policy_from: Option<&crate::policy_from::PolicyFrom>,
    other: Option<&RuleSet>,
) -> Result<(Scan, Option<Evaluation>), ScanError> {
    if !options.root.is_dir() {
        return Err(ScanError::Io {
            path: options.root.display().to_string(),
            message: "not a directory".into(),
        });
    }
    // With no `--config` and no manifest in the scanned directory, the one above it governs: the
    // scan's root is then the manifest's directory, and only the given directory is walked.
    let found = match &options.config {
        Some(_) => None,
        None => find_manifest_above(&options.root)?,
    };
    let root = found.as_ref().map_or(&options.root, |found| &found.root);
    let scope = found.as_ref().map(|found| found.scope.as_path());
    let (manifest_path, manifest_display, explicit) = match &options.config {
        Some(path) => (path.clone(), display_path(root, path), true),
        None => (
            root.join(MANIFEST_NAME),
            Utf8PathBuf::from(MANIFEST_NAME),
            false,
        ),
    };
    let (manifest_file, mut manifest) =
        load_manifest(root, &manifest_path, &manifest_display, explicit, rules)?;
    let terraform_roots = terraform_roots(manifest_file.as_ref(), &manifest, root)?;
    let (governing, mut policy_changes) = govern(
        policy_from,
        root,
        &manifest_path,
        &manifest_display,
        (manifest_file.is_some(), &mut manifest),
        rules,
    )?;

    let cache = open_cache(options, root, rules)?;
    let extractors = extractors();
    let wanted = |path: &camino::Utf8Path| {
        path != manifest_display && extractors.iter().any(|e| e.claims(path))
    };
    let discovery = discover_within(root, scope, &manifest.exclude, &wanted);

    // File ids: the manifest is 0, then every file in path order.
    let mut files = Files::new();
    if let Some(file) = &manifest_file {
        files.push(StoredFile::whole(file));
    }
    let first = u32::from(manifest_file.is_some());
    let inputs = input_files(options, root, discovery.files, first)?;
    let owners = Owners::new(manifest.facts.nodes.iter().flat_map(|node| {
        node.paths
            .iter()
            .map(move |path| (node.id.clone(), path.clone()))
    }));
    let ctx = ExtractContext {
        rules,
        owners: &owners,
        terraform: &terraform_roots,
    };
    let extraction = extract_files(&inputs, &ctx, cache.as_ref());
    drop(inputs);
    for file in extraction.files {
        files.push(file);
    }
    let mut extracted = extraction.facts;
    extracted.diagnostics.extend(discovery.diagnostics);
    let governing_baseline = match &governing {
        Some(governing) => govern_extraction(
            governing,
            root,
            &mut files,
            &mut extracted,
            &mut policy_changes,
        ),
        None => None,
    };
    extracted.diagnostics.extend(policy_changes);

    let (variants, selected) =
        selected_variants(options, &manifest, manifest_file.as_ref(), &extracted)?;
    let input = ModelInput {
        files,
        manifest_facts: manifest.facts,
        extracted,
        policy: manifest.policy,
        waivers: manifest.waivers,
        project_name: manifest.project_name,
    };
    let run = VariantRun {
        selected: &selected,
        found: &variants,
        date: options.date,
    };
    let found_variants = input.extracted.variants.clone();
    let prepare = |model: &mut Model| vet_tia_paths(model, root, &manifest_path);
    // The second judgement works on a copy of the input: the first one moves it into its model.
    let other = other.map(|other| judge(input.clone(), &run, other, &prepare).1);
    let (model, mut evaluation) = judge(input, &run, rules, &prepare);
    let mut other = other;
    if let Some(scope) = scope.filter(|scope| !scope.as_str().is_empty()) {
        narrow_to_scope(&model, &mut evaluation, scope);
        if let Some(other) = other.as_mut() {
            narrow_to_scope(&model, other, scope);
        }
    }
    let scan = Scan {
        model,
        evaluation,
        cache: cache.as_ref().map(Cache::stats),
        skipped: discovery.skipped,
        governing_baseline,
        manifest_above: found.map(|found| found.root.join(MANIFEST_NAME)),
        variants: found_variants,
        evaluated_variants: if variants.is_empty() {
            Vec::new()
        } else {
            selected
        },
    };
    Ok((scan, other))
}

/// `--policy-from`: the policy and waivers at REF replace the working tree's (in `manifest`),
/// whose changes to them become `policy-changed` diagnostics.
fn govern(
    policy_from: Option<&crate::policy_from::PolicyFrom>,
    root: &Path,
    manifest_path: &Path,
    manifest_display: &camino::Utf8Path,
    (written, manifest): (bool, &mut Manifest),
    rules: &RuleSet,
) -> Result<
    (
        Option<crate::policy_from::Governing>,
        Vec<ExtractionDiagnostic>,
    ),
    ScanError,
> {
    let Some(policy_from) = policy_from else {
        return Ok((None, Vec::new()));
    };
    let governing = crate::policy_from::Governing::load(policy_from, root, manifest_path, rules)?;
    let changes = governing.govern_manifest(manifest, written, manifest_display.as_str());
    Ok((Some(governing), changes))
}

/// The model and its evaluation: one model as always when the repository has no deployment
/// variants, else one per selected variant, merged (see [`evaluate_variants`]).
fn judge(
    input: ModelInput,
    run: &VariantRun<'_>,
    rules: &RuleSet,
    prepare: &dyn Fn(&mut Model),
) -> (Model, Evaluation) {
    if run.found.is_empty() {
        let mut model = build(input, rules);
        prepare(&mut model);
        let evaluation = evaluate(&model, rules, run.date);
        (model, evaluation)
    } else {
        evaluate_variants(input, run, rules, prepare)
    }
}

/// The variants found and those to evaluate, sorted: `--variant`, else the manifest's `[scan] variants`, else
/// every variant found. A name that is not a variant of the repository is an error (exit 2): a
/// gate that silently judged nothing would pass every pull request.
fn selected_variants(
    options: &ScanOptions,
    manifest: &crate::config::Manifest,
    manifest_file: Option<&SourceFile>,
    extracted: &Facts,
) -> Result<(Vec<String>, Vec<String>), ScanError> {
    let found = extracted.variant_names();
    let found = found.as_slice();
    let known = |name: &str| found.iter().any(|f| f == name);
    let listing = || {
        if found.is_empty() {
            "the repository has no deployment variants (var files, Terragrunt units, Helm values \
             files, Kustomize overlays)"
                .to_string()
        } else {
            format!(
                "its variants are {}",
                found
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    // Variant names are short (`prod`): a swapped pair of letters is a typo worth naming.
    let hint = |name: &str| {
        found
            .iter()
            .map(|f| (crate::suggest::swap_distance(name, f), f))
            .filter(|(distance, _)| *distance <= (name.chars().count() / 3).max(1))
            .min()
            .map(|(_, close)| format!("; did you mean `{close}`?"))
            .unwrap_or_default()
    };
    let mut selected: Vec<String> = if options.variants.is_empty() {
        let mut errors = Vec::new();
        for (name, span) in &manifest.variants {
            if known(name) {
                continue;
            }
            let (file, position) = match manifest_file {
                Some(file) => (file.path.to_string(), file.line_column(span.start)),
                None => continue,
            };
            errors.push(ConfigError {
                file,
                line: position.line,
                column: position.column,
                message: format!(
                    "`variants`: `{}` is not a deployment variant of the repository: {}{}",
                    name,
                    listing(),
                    hint(name)
                ),
            });
        }
        if !errors.is_empty() {
            return Err(ScanError::Manifest(errors));
        }
        manifest
            .variants
            .iter()
            .map(|(name, _)| name.clone())
            .collect()
    } else {
        for name in &options.variants {
            if !known(name) {
                return Err(ScanError::Variant(format!(
                    "--variant {}: not a deployment variant of the repository: {}{}",
                    name,
                    listing(),
                    hint(name)
                )));
            }
        }
        options.variants.clone()
    };
    if selected.is_empty() {
        selected = found.to_vec();
    }
    selected.sort();
    selected.dedup();
    Ok((found.to_vec(), selected))
}

/// The manifest's `[[scan.terraform]]` entries, resolved against the scanned directory.
fn terraform_roots(
    file: Option<&SourceFile>,
    manifest: &Manifest,
    root: &Path,
) -> Result<Vec<crate::facts::TerraformVariants>, ScanError> {
    match file {
        Some(file) => manifest
            .terraform_roots(file, root)
            .map_err(ScanError::Manifest),
        None => Ok(Vec::new()),
    }
}

/// The manifest's file (file 0) and the manifest parsed from it, its written locations checked;
/// without a manifest, no file and the default manifest.
fn load_manifest(
    root: &Path,
    manifest_path: &Path,
    manifest_display: &Utf8PathBuf,
    explicit: bool,
    rules: &RuleSet,
) -> Result<(Option<SourceFile>, Manifest), ScanError> {
    let manifest_text = read_manifest(root, manifest_path, manifest_display, explicit)?;

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
    // The manifest rejects an unknown country or provider (exit 2) but lets an unknown region of
    // a known provider through, for regions newer than the rule data; written by a person, it is
    // an error finding with the closest region, as in an annotation.
    crate::extract::annotation::check_written_locations(&mut manifest.facts, rules);
    Ok((manifest_file, manifest))
}

/// The files to extract: the discovered ones, numbered after the manifest (`first`), and the
/// plans `--plan` gives.
fn input_files(
    options: &ScanOptions,
    root: &Path,
    discovered: Vec<crate::discover::Candidate>,
    first: u32,
) -> Result<Vec<InputFile>, ScanError> {
    let mut inputs: Vec<InputFile> = discovered
        .into_iter()
        .enumerate()
        .map(|(index, candidate)| InputFile {
            id: FileId(first + u32::try_from(index).unwrap_or(u32::MAX - first)),
            path: candidate.path,
            input: Input::Disk(candidate.absolute),
        })
        .collect();
    given_plans(options, root, &mut inputs, first)?;
    given_rendered(options, root, &mut inputs, first)?;
    Ok(inputs)
}

/// The manifest's text, `None` when there is none and none was asked for (`--config`).
fn read_manifest(
    root: &Path,
    manifest_path: &Path,
    manifest_display: &camino::Utf8Path,
    explicit: bool,
) -> Result<Option<String>, ScanError> {
    // The manifest is usually in the repository a pull request controls: a symlink (to a TOML
    // file elsewhere, whose keys an error would print) is never followed, a device or FIFO is never
    // read, and the size is capped.
    let current = std::env::current_dir().unwrap_or_default();
    let manifest_text = match crate::safe_io::read_text(
        manifest_path,
        &[root, current.as_path()],
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
    Ok(manifest_text)
}

/// The extraction cache `--cache` names, refused inside the scanned repository.
fn open_cache(
    options: &ScanOptions,
    root: &Path,
    rules: &RuleSet,
) -> Result<Option<Cache>, ScanError> {
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
    Ok(cache)
}

/// `--policy-from`: drops the inline waivers the commit at REF did not have and reads its
/// baseline (added to `files`), each change recorded in `policy_changes`. Returns that baseline.
fn govern_extraction(
    governing: &crate::policy_from::Governing,
    root: &Path,
    files: &mut Files,
    extracted: &mut Facts,
    policy_changes: &mut Vec<ExtractionDiagnostic>,
) -> Option<crate::baseline::Baseline> {
    // `--policy-from`: inline waivers the commit at REF did not have do not apply either.
    policy_changes.extend(governing.govern_inline_waivers(root, files, &mut extracted.waivers));
    let id = FileId(u32::try_from(files.len()).unwrap_or(u32::MAX));
    let (baseline, file, changes) = governing.govern_baseline(root, id);
    if let Some(file) = &file {
        files.push(StoredFile::whole(file));
    }
    policy_changes.extend(changes);
    baseline
}

/// Checks that each `tia` path names a document of the repository.
fn vet_tia_paths(model: &mut Model, root: &Path, manifest_path: &Path) {
    // A `tia` path must name a document of the repository: relative to the root, or to the
    // manifest's directory.
    let manifest_dir = crate::safe_io::absolute(manifest_path)
        .parent()
        .map(Path::to_path_buf);
    crate::checks::vet_tia(model, |relative| {
        crate::safe_io::document_exists(root, relative)
            || manifest_dir
                .as_deref()
                .is_some_and(|dir| crate::safe_io::document_exists(dir, relative))
    });
}

/// A scan of a part of a repository (`scan services/checkout` under the manifest above) reports
/// that part: the findings and transfers located in it, or whose source or destination is one of
/// its nodes (a node with evidence in it, or whose declared `paths` lead into it). The
/// manifest's declarations about the rest of the repository (a flow between two other services,
/// a store found in Terraform elsewhere) are left to the scans of those parts and of the whole.
/// A finding about no node at all (a manifest that cannot be read in part) is always kept.
fn narrow_to_scope(model: &Model, evaluation: &mut Evaluation, scope: &camino::Utf8Path) {
    let inside = |path: &str| {
        path == scope.as_str()
            || path
                .strip_prefix(scope.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let span_inside = |span: &crate::source::Span| {
        model
            .files
            .resolve(*span)
            .is_some_and(|(path, _)| inside(path.as_str()))
    };
    // A declared `paths` entry leads into the scope when its literal part (before any glob
    // character) is inside the scope or holds it.
    let path_leads_in = |declared: &String| {
        let literal = declared
            .split(['*', '?', '[', '{'])
            .next()
            .unwrap_or("")
            .trim_start_matches("./")
            .trim_end_matches('/');
        literal.is_empty()
            || inside(literal)
            || scope
                .as_str()
                .strip_prefix(literal)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let nodes: std::collections::BTreeSet<&str> = model
        .nodes
        .iter()
        .filter(|node| {
            node.via.iter().chain(node.span.iter()).any(span_inside)
                || node.paths.iter().any(path_leads_in)
        })
        .map(|node| node.id.as_str())
        .collect();
    let of_the_part = |from: Option<&str>, to: Option<&str>| {
        from.is_some_and(|id| nodes.contains(id)) || to.is_some_and(|id| nodes.contains(id))
    };
    let keep = |finding: &crate::evaluate::finding::Finding| {
        (finding.from.is_none() && finding.to.is_none())
            || finding.span.as_ref().is_some_and(span_inside)
            || finding.path.as_deref().is_some_and(inside)
            || of_the_part(finding.from.as_deref(), finding.to.as_deref())
    };
    evaluation.findings.retain(|finding| keep(finding));
    // A location the part does not show may be in the rest of the repository (a store's
    // Terraform under `infra/`): the unknown says why it is unknown here.
    for finding in &mut evaluation.findings {
        if finding.rule == Rule::UnknownLocation
            && finding.to.as_deref().is_some_and(|to| !nodes.contains(to))
        {
            finding.message.push_str(&format!(
                "; only `{scope}` was scanned: a scan of the whole repository may find it"
            ));
        }
    }
    evaluation.waived.retain(|(finding, _)| keep(finding));
    evaluation.transfers.retain(|transfer| {
        transfer.span.as_ref().is_some_and(span_inside)
            || of_the_part(transfer.from.as_deref(), Some(transfer.to.as_str()))
    });
}

/// A given file's path relative to the (canonical) root, as the walk names it, when it is inside
/// the root; `None` outside it.
fn inside_root(canonical_root: Option<&Path>, absolute: &Path) -> Option<Utf8PathBuf> {
    let parent = std::fs::canonicalize(absolute.parent()?).ok()?;
    let inside = parent
        .strip_prefix(canonical_root?)
        .ok()?
        .join(absolute.file_name()?);
    Some(display_path(Path::new(""), &inside))
}

/// Adds the plans given with `--terraform-plan` to the inputs, after the walked files. A plan the
/// walk found already is not added twice; any other is read now (no symlink followed, at most
/// `MAX_PLAN_BYTES`) and named `./PATH` inside the root or as given outside it, names no walked
/// file has, by which the Terraform extractor knows it was given.
fn given_plans(
    options: &ScanOptions,
    root: &Path,
    inputs: &mut Vec<InputFile>,
    first: u32,
) -> Result<(), ScanError> {
    use crate::extract::terraform::plan;
    let current = std::env::current_dir().unwrap_or_default();
    let canonical_root = std::fs::canonicalize(root).ok();
    let mut seen: std::collections::BTreeSet<Utf8PathBuf> = std::collections::BTreeSet::new();
    for path in &options.terraform_plans {
        let absolute = crate::safe_io::absolute(path);
        let relative = inside_root(canonical_root.as_deref(), &absolute);
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
        let given = Given {
            path,
            shown,
            max_bytes: plan::MAX_PLAN_BYTES,
            what: "the Terraform plan",
        };
        given.push(root, &current, inputs, first)?;
    }
    Ok(())
}

/// A file given on the command line (`--terraform-plan`, `--rendered`), to read into the inputs.
struct Given<'a> {
    path: &'a Path,
    /// The name it is shown and classed by.
    shown: Utf8PathBuf,
    max_bytes: u64,
    /// What it is, for the error when it cannot be read.
    what: &'static str,
}

impl Given<'_> {
    /// Reads the file (no symlink out of `root` or the working directory followed, at most
    /// `max_bytes`) and adds it after the inputs there are.
    fn push(
        self,
        root: &Path,
        current: &Path,
        inputs: &mut Vec<InputFile>,
        first: u32,
    ) -> Result<(), ScanError> {
        let text = crate::safe_io::read_text(self.path, &[root, current], self.max_bytes).map_err(
            |error| ScanError::Io {
                path: self.shown.to_string(),
                message: format!("cannot read {}: {}", self.what, error.reason()),
            },
        )?;
        let index = u32::try_from(inputs.len()).unwrap_or(u32::MAX - first);
        inputs.push(InputFile {
            id: FileId(first.saturating_add(index)),
            path: self.shown,
            input: Input::Text(Arc::from(text)),
        });
        Ok(())
    }
}

/// Adds the manifests given with `--rendered` to the inputs, after the walked files and plans, as
/// [`given_plans`] adds plans: a file the walk found and the Kubernetes extractor reads already is
/// not added twice; any other is read now (no symlink followed, at most the size of a walked
/// file) and named `./PATH` inside the root or as given outside it. It must be named `*.yaml` or
/// `*.yml`, as what `helm template` and `kustomize build` write is.
fn given_rendered(
    options: &ScanOptions,
    root: &Path,
    inputs: &mut Vec<InputFile>,
    first: u32,
) -> Result<(), ScanError> {
    let current = std::env::current_dir().unwrap_or_default();
    let canonical_root = std::fs::canonicalize(root).ok();
    let mut seen: std::collections::BTreeSet<Utf8PathBuf> = std::collections::BTreeSet::new();
    for path in &options.rendered {
        let typed = Utf8PathBuf::from(path.to_string_lossy().into_owned());
        let name = typed.file_name().unwrap_or("").to_ascii_lowercase();
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            return Err(ScanError::Io {
                path: typed.to_string(),
                message: "a rendered manifest given with --rendered must be named *.yaml or *.yml"
                    .to_string(),
            });
        }
        let absolute = crate::safe_io::absolute(path);
        let relative = inside_root(canonical_root.as_deref(), &absolute);
        if let Some(relative) = &relative
            && inputs.iter().any(|input| &input.path == relative)
            && crate::extract::classify::is_kubernetes_yaml(relative)
        {
            continue;
        }
        let shown = match &relative {
            Some(relative) => Utf8PathBuf::from(format!("./{relative}")),
            None if (typed.as_str().starts_with("../") || typed.is_absolute()) => typed,
            None => Utf8PathBuf::from(absolute.to_string_lossy().into_owned()),
        };
        if !seen.insert(shown.clone()) {
            continue;
        }
        let given = Given {
            path,
            shown,
            max_bytes: crate::discover::MAX_FILE_BYTES,
            what: "the rendered manifest",
        };
        given.push(root, &current, inputs, first)?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::{FoundManifest, MANIFEST_NAME, find_manifest_above};
    use camino::Utf8PathBuf;
    use std::path::Path;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    #[test]
    fn the_nearest_manifest_above_within_the_repository_governs_a_part() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let repo = root.join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        touch(&repo.join(MANIFEST_NAME));
        let part = repo.join("services/checkout/src");
        std::fs::create_dir_all(&part).unwrap();
        assert_eq!(
            find_manifest_above(&part).unwrap(),
            Some(FoundManifest {
                root: repo.clone(),
                scope: Utf8PathBuf::from("services/checkout/src"),
            })
        );
        // A nearer one wins; the part's own is no manifest "above".
        touch(&repo.join("services").join(MANIFEST_NAME));
        assert_eq!(
            find_manifest_above(&part).unwrap().unwrap().scope,
            Utf8PathBuf::from("checkout/src")
        );
        touch(&part.join(MANIFEST_NAME));
        assert_eq!(find_manifest_above(&part).unwrap(), None);
        // The repository root is where the search stops: a manifest above it is not its own.
        let other = root.join("other");
        std::fs::create_dir_all(other.join("sub")).unwrap();
        std::fs::write(other.join(".git"), "gitdir: elsewhere\n").unwrap();
        touch(&root.join(MANIFEST_NAME));
        assert_eq!(find_manifest_above(&other.join("sub")).unwrap(), None);
        assert_eq!(find_manifest_above(&other).unwrap(), None);
        // A path that does not exist has none (the scan says it is not a directory).
        assert_eq!(find_manifest_above(&root.join("missing")).unwrap(), None);
    }
}
