//! Terragrunt: units (a `terragrunt.hcl` whose `terraform { source }` is its own or an included
//! parent's) are named by their directory relative to the live root (the directory of the root
//! configuration they include through `find_in_parent_folders`, else the scanned root):
//! `prod/eu-west-1/mysql`. The units of one environment directory (`prod/eu-west-1`) deploy one
//! system together and are one deployment variant: judging `mysql` without the `vpc` or the
//! store another unit creates would report what is not missing.
//!
//! A unit's configuration is resolved without running anything: `include` blocks (their `locals`
//! and `inputs`, the child winning; `merge_strategy = "deep"` merges maps), `locals`,
//! `read_terragrunt_config(...)` with `.locals.x` and `.inputs.x`, `find_in_parent_folders()`,
//! `get_env("X", "default")` (the default only: the real environment is never read),
//! `path_relative_to_include()`, `get_terragrunt_dir()`, `get_repo_root()`, `dirname()`,
//! `merge()` and a few string and collection functions. Anything else (a `dependency` output, a
//! command's output) is unknown with the reason. Paths are resolved inside the scanned root only:
//! one that leaves it is an `input-error`, and includes and configurations read from
//! configurations are bounded in depth, so cycles end.
//!
//! A unit whose source is a local directory is that module read as a root with the unit's
//! `inputs` as its variable values, and with the providers a `generate` block writes (the common
//! `provider "aws" { region = "${local.aws_region}" }` of a root configuration). A remote source
//! (git, registry) is not in the scanned tree: the unit is noted as not read, its region never
//! guessed.

use super::eval::{Eval, Value};
use super::module::{Given, Instance, Module, Parsed, ProviderConfig};
use super::resources::Found;
use crate::facts::{ExtractionDiagnostic, Facts, FlowTarget, Severity, Variant};
use crate::rule::Rule;
use crate::source::{SourceFile, Span};
use camino::{Utf8Path, Utf8PathBuf};
use hcl_edit::expr::{BinaryOperator, Expression, FuncCall, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::{Element, Template};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Includes followed from one configuration into its parents (Terragrunt itself allows one level).
const MAX_INCLUDE_DEPTH: usize = 3;

/// `read_terragrunt_config` calls nested in each other (real trees use one or two levels).
const MAX_READ_DEPTH: usize = 6;

/// Evaluation steps for one unit, includes and read configurations together.
const MAX_STEPS: u64 = 200_000;

/// How deeply expressions may nest while being evaluated (also bounds the stack).
const MAX_DEPTH: usize = 48;

/// The directories searched upwards by `find_in_parent_folders`.
const MAX_PARENT_FOLDERS: usize = 64;

/// How the scanned root is written in the paths Terragrunt functions return (Terragrunt returns
/// absolute paths; the scan knows only paths inside its root).
const ROOT: &str = "<root>";

/// Whether Terragrunt may read the file: `terragrunt.hcl` and the `.hcl` files units read with
/// `find_in_parent_folders` or `read_terragrunt_config` (`root.hcl`, `env.hcl`, `region.hcl`).
/// Terraform's lock file and Packer and Nomad files are not Terragrunt's.
pub(super) fn is_terragrunt(name: &str) -> bool {
    name.ends_with(".hcl")
        && name != ".terraform.lock.hcl"
        && !name.ends_with(".pkr.hcl")
        && !name.ends_with(".nomad.hcl")
        && !name.ends_with(".tftest.hcl")
}

/// The Terragrunt files among `files`, and the others.
pub(super) fn split<'f>(files: &[&'f SourceFile]) -> (Vec<&'f SourceFile>, Vec<&'f SourceFile>) {
    files
        .iter()
        .partition(|file| is_terragrunt(file.path.file_name().unwrap_or_default()))
}

/// A value of a Terragrunt expression: a plain value, or a configuration (`include.root`,
/// `read_terragrunt_config(...)`, `local`) whose parts are known or not one by one.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Plain(Value),
    Object(BTreeMap<String, Result<Val, String>>),
}

type Tv = Result<Val, String>;

impl Val {
    fn plain(self) -> Eval {
        match self {
            Val::Plain(value) => Ok(value),
            Val::Object(map) => {
                let mut out = BTreeMap::new();
                for (key, value) in map {
                    out.insert(key, value?.plain()?);
                }
                Ok(Value::Map(out))
            }
        }
    }
}

/// A Terragrunt file with its syntax, or its syntax error.
type ParsedFile<'f> = (&'f SourceFile, Result<Body, (Span, String)>);

/// The parsed Terragrunt files of the scan, by path.
pub(super) struct Files<'f> {
    parsed: BTreeMap<Utf8PathBuf, ParsedFile<'f>>,
}

impl<'f> Files<'f> {
    pub(super) fn new(files: &[&'f SourceFile]) -> Files<'f> {
        let parsed = files
            .iter()
            .map(|file| {
                let body = super::duplicate_keys::parse_body(&file.text).map_err(|error| {
                    let location = error.location();
                    let line = u32::try_from(location.line()).unwrap_or(u32::MAX);
                    let column = u32::try_from(location.column()).unwrap_or(u32::MAX);
                    (
                        file.span_at(line, column),
                        format!(
                            "terragrunt: {} (line {line}, column {column})",
                            error.message()
                        ),
                    )
                });
                (file.path.clone(), (*file, body))
            })
            .collect();
        Files { parsed }
    }
}

/// Where a unit's module comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Source {
    /// A directory of the scanned tree.
    Local(Utf8PathBuf),
    /// A git, registry or other remote source: not in the scanned tree.
    Remote(String),
    /// No `terraform { source }`: the unit's own directory is the module.
    Own,
    /// The source cannot be evaluated, with why.
    Unknown(String),
}

/// One Terragrunt unit, resolved.
#[derive(Debug)]
pub(super) struct Unit<'f> {
    /// The unit's directory, relative to the scanned root.
    pub dir: Utf8PathBuf,
    /// Its `terragrunt.hcl`.
    pub file: &'f SourceFile,
    /// The variant name: the directory relative to the live root.
    pub name: String,
    pub source: Source,
    /// Where the source is written.
    pub source_span: Option<Span>,
    /// `inputs`, merged with the included parents', with the span of the line that sets each.
    pub inputs: BTreeMap<String, (Eval, Option<Span>)>,
    /// Why all inputs are unknown (an `inputs` that is not an object that can be evaluated).
    pub inputs_unknown: Option<(String, Option<Span>)>,
    /// Provider configurations `generate` blocks write: provider key, region, the line.
    pub providers: Vec<(String, Eval, Option<Span>)>,
    /// What the configuration generates and is not read (notes).
    pub notes: Vec<(Option<Span>, String)>,
}

/// Every unit among the Terragrunt files, in path order, with the problems met (paths leaving
/// the root, syntax errors, bounds) as `input-error`s.
pub(super) fn units<'f>(files: &Files<'f>) -> (Vec<Unit<'f>>, Vec<(Option<Span>, String)>) {
    let mut problems: BTreeSet<(Option<Span>, String)> = BTreeSet::new();
    let candidates: Vec<(&Utf8PathBuf, &'f SourceFile, &Body)> = files
        .parsed
        .iter()
        .filter(|(path, _)| path.file_name() == Some("terragrunt.hcl"))
        .filter_map(|(path, (file, body))| match body {
            Ok(body) => Some((path, *file, body)),
            // A template of a configuration (Boilerplate, cookiecutter: `{{ ... }}`) is not one.
            Err(_) if file.text.contains("{{") => None,
            Err(error) => {
                problems.insert((Some(error.0), error.1.clone()));
                None
            }
        })
        .collect();
    let mut included: BTreeSet<Utf8PathBuf> = BTreeSet::new();
    let mut resolved = Vec::new();
    for (path, file, body) in candidates {
        let dir = parent_dir(path);
        let ctx = Ctx::new(files, dir.clone());
        let config = ctx.resolve(path, file, body, &dir, None, 0);
        included.extend(config.included.iter().cloned());
        for problem in ctx.problems.into_inner() {
            problems.insert(problem);
        }
        let notes = ctx.notes.into_inner();
        resolved.push((path, file, dir, config, notes));
    }
    let mut units = Vec::new();
    for (path, file, dir, config, notes) in resolved {
        // A parent configuration other units include is not a unit itself.
        if included.contains(path) {
            continue;
        }
        let (source, source_span) = match config.source {
            Some((Ok(text), span)) => (classify_source(&text, &dir, span, &mut problems), span),
            Some((Err(reason), span)) => (Source::Unknown(reason), span),
            None => (Source::Own, None),
        };
        let live_root = config
            .root_dir
            .clone()
            .filter(|root| dir.starts_with(root))
            .unwrap_or_default();
        let name = relative(&dir, &live_root);
        units.push(Unit {
            dir,
            file,
            name: name.clone(),
            source,
            source_span,
            providers: config
                .providers
                .into_iter()
                .map(|(key, region, span)| {
                    let region = match region {
                        Region::Value(value) => value,
                        Region::Variable(variable) => match config.inputs.get(&variable) {
                            Some((value, _)) => value.clone().map_err(|reason| {
                                format!("the generated provider `{key}` reads `var.{variable}`, an input of unit `{name}` that cannot be evaluated: {reason}")
                            }),
                            None => Err(format!(
                                "the provider `{key}` Terragrunt generates reads `var.{variable}`, which the inputs of unit `{name}` do not set"
                            )),
                        },
                    };
                    (key, region, span)
                })
                .collect(),
            inputs: config.inputs,
            inputs_unknown: config.inputs_unknown,
            notes,
        });
    }
    qualify_names(&mut units);
    (units, problems.into_iter().collect())
}

/// Two units of different live roots with the same name are named by their paths from the
/// scanned root instead.
fn qualify_names(units: &mut [Unit<'_>]) {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for unit in units.iter() {
        *count.entry(unit.name.clone()).or_default() += 1;
    }
    for unit in units.iter_mut() {
        if count.get(&unit.name).copied().unwrap_or(0) > 1 {
            unit.name = relative(&unit.dir, Utf8Path::new(""));
        }
    }
}

/// `dir` relative to `root` (`.` when they are the same; the root's own name when it is the
/// scanned root itself).
fn relative(dir: &Utf8Path, root: &Utf8Path) -> String {
    let rest = dir.strip_prefix(root).map(Utf8Path::as_str).unwrap_or("");
    if !rest.is_empty() {
        return rest.to_ascii_lowercase();
    }
    match dir.file_name() {
        Some(name) => name.to_ascii_lowercase(),
        None => ".".to_string(),
    }
}

fn parent_dir(path: &Utf8Path) -> Utf8PathBuf {
    path.parent().map(Utf8Path::to_path_buf).unwrap_or_default()
}

/// Where a `terraform { source }` points: a directory of the scanned tree (Terraform's `//`
/// separates the package from the subdirectory; both are joined), or a remote source.
fn classify_source(
    text: &str,
    dir: &Utf8Path,
    span: Option<Span>,
    problems: &mut BTreeSet<(Option<Span>, String)>,
) -> Source {
    let text = text.trim();
    let local = text.starts_with("./")
        || text.starts_with("../")
        || text == "."
        || text == ".."
        || text.starts_with(ROOT)
        || text.starts_with('/');
    if !local {
        return Source::Remote(text.to_string());
    }
    let path = text.split('?').next().unwrap_or(text).replace("//", "/");
    match resolve_path(&path, dir) {
        Ok(path) => Source::Local(path),
        Err(reason) => {
            problems.insert((
                span,
                format!("terragrunt: the module source `{text}` {reason}; the unit is not read"),
            ));
            Source::Unknown(format!("the module source `{text}` {reason}"))
        }
    }
}

/// A path a Terragrunt function returned or a configuration wrote, relative to the scanned root:
/// `<root>/x` from the root, a relative path from `base`. `Err` when it leaves the root.
fn resolve_path(path: &str, base: &Utf8Path) -> Result<Utf8PathBuf, String> {
    let (mut parts, rest): (Vec<&str>, &str) = if let Some(rest) = path.strip_prefix(ROOT) {
        (Vec::new(), rest)
    } else if path.starts_with('/') || path.contains(':') || path.starts_with('~') {
        return Err("is an absolute path outside the scanned directory".to_string());
    } else {
        (
            base.as_str().split('/').filter(|p| !p.is_empty()).collect(),
            path,
        )
    };
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("leaves the scanned directory".to_string());
                }
            }
            other => parts.push(other),
        }
    }
    Ok(Utf8PathBuf::from(parts.join("/")))
}

/// What one configuration says once its includes are merged in.
#[derive(Debug, Default)]
struct Config {
    inputs: BTreeMap<String, (Eval, Option<Span>)>,
    inputs_unknown: Option<(String, Option<Span>)>,
    source: Option<(Result<String, String>, Option<Span>)>,
    /// `generate` blocks by name: their provider configurations.
    generated: BTreeMap<String, Vec<(String, Region, Option<Span>)>>,
    providers: Vec<(String, Region, Option<Span>)>,
    /// The configurations included, transitively.
    included: BTreeSet<Utf8PathBuf>,
    /// The directory of the root configuration included through `find_in_parent_folders`.
    root_dir: Option<Utf8PathBuf>,
}

/// Evaluation of one unit: its directory, the files, the budget and the problems met.
struct Ctx<'a, 'f> {
    files: &'a Files<'f>,
    /// `get_terragrunt_dir()`: the unit's directory.
    unit_dir: Utf8PathBuf,
    steps: Cell<u64>,
    depth: Cell<usize>,
    /// Configurations being read by `read_terragrunt_config`, innermost last.
    reading: RefCell<Vec<Utf8PathBuf>>,
    problems: RefCell<Vec<(Option<Span>, String)>>,
    /// Notes: what is generated and not read.
    notes: RefCell<Vec<(Option<Span>, String)>>,
}

/// The region of a provider configuration a `generate` block writes: a value, or the variable
/// the unit's inputs set (`region = var.aws_region`).
#[derive(Clone, Debug)]
enum Region {
    Value(Eval),
    Variable(String),
}

/// `var.NAME`.
fn variable_name(expr: &Expression) -> Option<String> {
    let Expression::Traversal(traversal) = expr else {
        return None;
    };
    let Expression::Variable(root) = &traversal.expr else {
        return None;
    };
    match traversal
        .operators
        .iter()
        .map(|op| op.value())
        .collect::<Vec<_>>()
        .as_slice()
    {
        [TraversalOperator::GetAttr(name)] if root.value().as_str() == "var" => {
            Some(name.value().as_str().to_string())
        }
        _ => None,
    }
}

/// One configuration file being evaluated for a unit.
struct Scope<'s, 'f> {
    file: &'f SourceFile,
    body: &'s Body,
    /// The directory relative paths and `find_in_parent_folders` start from: the unit's for the
    /// unit and the configurations it includes, the file's own for `read_terragrunt_config`.
    from: Utf8PathBuf,
    /// The directory of the configuration the unit includes (`path_relative_to_include`).
    include_dir: Option<Utf8PathBuf>,
    /// Evaluated locals; `None` while being evaluated (a cycle).
    locals: RefCell<BTreeMap<String, Option<Tv>>>,
    /// `include.<name>`: the included configurations' locals and inputs, evaluated on demand.
    includes: RefCell<BTreeMap<String, Tv>>,
    read_depth: usize,
}

impl<'a, 'f> Ctx<'a, 'f> {
    fn new(files: &'a Files<'f>, unit_dir: Utf8PathBuf) -> Ctx<'a, 'f> {
        Ctx {
            files,
            unit_dir,
            steps: Cell::new(0),
            depth: Cell::new(0),
            reading: RefCell::new(Vec::new()),
            problems: RefCell::new(Vec::new()),
            notes: RefCell::new(Vec::new()),
        }
    }

    fn problem(&self, span: Option<Span>, message: String) {
        self.problems.borrow_mut().push((span, message));
    }

    /// Something the unit's configuration generates that is not read: a note, not an error.
    fn unread(&self, span: Option<Span>, message: String) {
        self.notes.borrow_mut().push((span, message));
    }

    /// Resolves the configuration at `path` for the unit, with the configurations it includes.
    // long-fn: one pass over the blocks of a configuration, each kind a few lines.
    fn resolve(
        &self,
        path: &Utf8Path,
        file: &'f SourceFile,
        body: &Body,
        from: &Utf8Path,
        include_dir: Option<Utf8PathBuf>,
        depth: usize,
    ) -> Config {
        let mut config = Config::default();
        let mut scope = Scope::new(file, body, from.to_path_buf(), include_dir, 0);
        // Includes first: `path_relative_to_include()` in the unit refers to them.
        let mut parents: Vec<(Config, bool)> = Vec::new();
        for block in body.blocks() {
            if block.ident.value().as_str() != "include" {
                continue;
            }
            let name = block
                .labels
                .first()
                .map(|l| l.as_str().to_string())
                .unwrap_or_default();
            let Some(attribute) = block.body.get_attribute("path") else {
                continue;
            };
            let span = super::resources::span_of(file, attribute);
            let target = match self.eval(&scope, &attribute.value).and_then(Val::plain) {
                Ok(value) => match value.as_text() {
                    Some(text) => resolve_path(&text, from).map_err(|reason| {
                        self.problem(
                            span,
                            format!(
                                "terragrunt: the include path `{text}` {reason}; it is not read"
                            ),
                        );
                        format!("the include path `{text}` {reason}")
                    }),
                    None => Err("the include path is not a string".to_string()),
                },
                Err(reason) => Err(reason),
            };
            let target = match target {
                Ok(target) => target,
                Err(reason) => {
                    scope.includes.borrow_mut().insert(name, Err(reason));
                    continue;
                }
            };
            if depth >= MAX_INCLUDE_DEPTH || target == path {
                self.problem(
                    span,
                    format!("terragrunt: the include of `{target}` is not followed: includes nest too deeply or form a cycle"),
                );
                continue;
            }
            let Some((parent_file, Ok(parent_body))) = self.files.parsed.get(&target) else {
                let reason = format!("`{target}` is not among the scanned Terragrunt files");
                scope.includes.borrow_mut().insert(name, Err(reason));
                continue;
            };
            let find = is_find_in_parent(&attribute.value);
            let target_dir = parent_dir(&target);
            scope.include_dir.get_or_insert_with(|| target_dir.clone());
            let parent = self.resolve(
                &target,
                parent_file,
                parent_body,
                from,
                Some(target_dir.clone()),
                depth + 1,
            );
            let parent_scope = Scope::new(
                parent_file,
                parent_body,
                from.to_path_buf(),
                Some(target_dir.clone()),
                0,
            );
            let exposed = self.config_value(&parent_scope);
            scope.includes.borrow_mut().insert(name, Ok(exposed));
            config.included.insert(target.clone());
            config.included.extend(parent.included.iter().cloned());
            if find && config.root_dir.is_none() {
                config.root_dir = Some(parent.root_dir.clone().unwrap_or(target_dir));
            } else if config.root_dir.is_none() {
                config.root_dir.clone_from(&parent.root_dir);
            }
            let deep = block
                .body
                .get_attribute("merge_strategy")
                .and_then(|a| super::eval::eval_literal(&a.value).ok())
                .and_then(|v| v.as_text());
            match deep.as_deref() {
                Some("no_merge") => {}
                Some("deep") => parents.push((parent, true)),
                _ => parents.push((parent, false)),
            }
        }
        // The parents' settings first; the configuration's own win.
        for (parent, deep) in parents {
            for (key, (value, span)) in parent.inputs {
                match (deep, config.inputs.remove(&key)) {
                    (true, Some((earlier, _))) => {
                        config
                            .inputs
                            .insert(key, (deep_merge(earlier, value), span));
                    }
                    _ => {
                        config.inputs.insert(key, (value, span));
                    }
                }
            }
            if parent.inputs_unknown.is_some() {
                config.inputs_unknown = parent.inputs_unknown;
            }
            if parent.source.is_some() {
                config.source = parent.source;
            }
            config.generated.extend(parent.generated);
        }
        let scope = scope;
        for block in body.blocks() {
            match block.ident.value().as_str() {
                "terraform" => {
                    if let Some(attribute) = block.body.get_attribute("source") {
                        let span = super::resources::span_of(file, attribute);
                        let value = self
                            .eval(&scope, &attribute.value)
                            .and_then(Val::plain)
                            .and_then(|v| {
                                v.as_text()
                                    .ok_or_else(|| "the source is not a string".to_string())
                            });
                        config.source = Some((value, span));
                    }
                }
                "generate" => {
                    let name = block
                        .labels
                        .first()
                        .map(|l| l.as_str().to_string())
                        .unwrap_or_default();
                    config
                        .generated
                        .insert(name, self.generated_providers(&scope, block));
                }
                _ => {}
            }
        }
        if let Some(attribute) = body.get_attribute("inputs") {
            let span = super::resources::span_of(file, attribute);
            match &attribute.value {
                Expression::Object(object) => {
                    for (key, value) in object.iter() {
                        let key = match object_key(key) {
                            Some(key) => key,
                            None => continue,
                        };
                        let span =
                            super::resources::span_of(file, value.expr()).map(|s| line_of(file, s));
                        let value = self.eval(&scope, value.expr()).and_then(Val::plain);
                        config.inputs.insert(key, (value, span));
                    }
                }
                other => match self.eval(&scope, other).and_then(Val::plain) {
                    Ok(Value::Map(map)) => {
                        for (key, value) in map {
                            config.inputs.insert(key, (Ok(value), span));
                        }
                    }
                    Ok(_) => {
                        config.inputs_unknown =
                            Some(("`inputs` is not an object".to_string(), span));
                    }
                    // Any input may be the one the unknown value sets: the parents' too.
                    Err(reason) => {
                        for (value, _) in config.inputs.values_mut() {
                            *value = Err(reason.clone());
                        }
                        config.inputs_unknown = Some((reason, span));
                    }
                },
            }
        }
        config.providers = config.generated.values().flatten().cloned().collect();
        config
    }

    /// The provider configurations a `generate` block's `contents` writes, with their regions.
    fn generated_providers(
        &self,
        scope: &Scope<'_, 'f>,
        block: &Block,
    ) -> Vec<(String, Region, Option<Span>)> {
        let Some(attribute) = block.body.get_attribute("contents") else {
            return Vec::new();
        };
        let span = super::resources::span_of(scope.file, attribute);
        let header = super::resources::header_span(scope.file, block);
        let name = block
            .labels
            .first()
            .map(|l| l.as_str().to_string())
            .unwrap_or_default();
        let text = match self.eval(scope, &attribute.value).and_then(Val::plain) {
            Ok(value) => value.as_text(),
            Err(reason) => {
                self.unread(
                    header,
                    format!("terragrunt: what `generate \"{name}\"` writes cannot be evaluated ({reason}); the Terraform it generates is not read"),
                );
                None
            }
        };
        let Some(text) = text else {
            return Vec::new();
        };
        let Ok(body) = super::duplicate_keys::parse_body(&text) else {
            return Vec::new();
        };
        if body
            .blocks()
            .any(|b| matches!(b.ident.value().as_str(), "resource" | "module" | "data"))
        {
            self.unread(
                header,
                format!("terragrunt: `generate \"{name}\"` writes resources or module calls into the module; they are not read"),
            );
        }
        let mut providers = Vec::new();
        for provider in body.blocks() {
            if provider.ident.value().as_str() != "provider" {
                continue;
            }
            let Some(name) = provider.labels.first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            let alias = provider
                .body
                .get_attribute("alias")
                .and_then(|a| super::eval::eval_literal(&a.value).ok())
                .and_then(|v| v.as_text());
            let key = match alias {
                Some(alias) => format!("{name}.{alias}"),
                None => name,
            };
            let region = match provider.body.get_attribute("region") {
                Some(region) => match variable_name(&region.value) {
                    Some(name) => Region::Variable(name),
                    None => Region::Value(super::eval::eval_literal(&region.value)),
                },
                None => Region::Value(Err(format!(
                    "the provider `{key}` Terragrunt generates sets no `region`; it comes from the environment when Terraform runs"
                ))),
            };
            // The line in the configuration that writes the region, when it can be found.
            let line = span.and_then(|span| region_line(scope.file, span));
            providers.push((key, region, line.or(span)));
        }
        providers
    }

    /// `locals` and `inputs` of a configuration, as `include.x` and `read_terragrunt_config`
    /// give them.
    fn config_value(&self, scope: &Scope<'_, 'f>) -> Val {
        let mut locals = BTreeMap::new();
        for block in scope.body.blocks() {
            if block.ident.value().as_str() == "locals" {
                for attribute in block.body.attributes() {
                    let name = attribute.key.value().as_str().to_string();
                    let value = self.local(scope, &name);
                    locals.insert(name, value);
                }
            }
        }
        let inputs = match scope.body.get_attribute("inputs") {
            Some(attribute) => match &attribute.value {
                Expression::Object(object) => {
                    let mut inputs = BTreeMap::new();
                    for (key, value) in object.iter() {
                        if let Some(key) = object_key(key) {
                            inputs.insert(key, self.eval(scope, value.expr()));
                        }
                    }
                    Ok(Val::Object(inputs))
                }
                other => self.eval(scope, other),
            },
            None => Ok(Val::Object(BTreeMap::new())),
        };
        Val::Object(BTreeMap::from([
            ("locals".to_string(), Ok(Val::Object(locals))),
            ("inputs".to_string(), inputs),
        ]))
    }

    fn local(&self, scope: &Scope<'_, 'f>, name: &str) -> Tv {
        if let Some(known) = scope.locals.borrow().get(name) {
            return match known {
                Some(value) => value.clone(),
                None => Err(format!("`local.{name}` refers to itself")),
            };
        }
        let attribute = scope
            .body
            .blocks()
            .filter(|b| b.ident.value().as_str() == "locals")
            .find_map(|b| b.body.get_attribute(name));
        let Some(attribute) = attribute else {
            return Err(format!("`local.{name}` is not defined"));
        };
        scope.locals.borrow_mut().insert(name.to_string(), None);
        let value = self.eval(scope, &attribute.value);
        scope
            .locals
            .borrow_mut()
            .insert(name.to_string(), Some(value.clone()));
        value
    }

    fn eval(&self, scope: &Scope<'_, 'f>, expr: &Expression) -> Tv {
        self.steps.set(self.steps.get().saturating_add(1));
        if self.steps.get() > MAX_STEPS {
            return Err(format!(
                "the Terragrunt evaluation budget ({MAX_STEPS} steps) is exhausted"
            ));
        }
        if self.depth.get() >= MAX_DEPTH {
            return Err("the expression nests too deeply".to_string());
        }
        self.depth.set(self.depth.get() + 1);
        let result = self.eval_inner(scope, expr);
        self.depth.set(self.depth.get().saturating_sub(1));
        result
    }

    fn eval_inner(&self, scope: &Scope<'_, 'f>, expr: &Expression) -> Tv {
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => super::eval::eval_literal(expr).map(Val::Plain),
            Expression::Array(array) => {
                let mut items = Vec::new();
                for item in array.iter() {
                    items.push(self.eval(scope, item)?.plain()?);
                }
                Ok(Val::Plain(Value::List(items)))
            }
            Expression::Object(object) => {
                let mut map = BTreeMap::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(ident)) => {
                            ident.value().as_str().to_string()
                        }
                        ObjectKey::Expression(other) => self
                            .eval(scope, other)?
                            .plain()?
                            .as_text()
                            .ok_or("an object key is not a string")?,
                    };
                    map.insert(key, self.eval(scope, value.expr())?.plain()?);
                }
                Ok(Val::Plain(Value::Map(map)))
            }
            Expression::StringTemplate(template) => self.template(scope, template),
            Expression::HeredocTemplate(heredoc) => self.template(scope, &heredoc.template),
            Expression::Parenthesis(inner) => self.eval(scope, inner.inner()),
            Expression::Conditional(conditional) => {
                match self.eval(scope, &conditional.cond_expr)?.plain()? {
                    Value::Bool(true) => self.eval(scope, &conditional.true_expr),
                    Value::Bool(false) => self.eval(scope, &conditional.false_expr),
                    _ => Err("a condition is not a boolean".to_string()),
                }
            }
            Expression::BinaryOp(operation) => {
                let lhs = self.eval(scope, &operation.lhs_expr)?.plain()?;
                let rhs = self.eval(scope, &operation.rhs_expr)?.plain()?;
                match operation.operator.value() {
                    BinaryOperator::Eq => Ok(Val::Plain(Value::Bool(lhs == rhs))),
                    BinaryOperator::NotEq => Ok(Val::Plain(Value::Bool(lhs != rhs))),
                    BinaryOperator::And | BinaryOperator::Or => match (lhs, rhs) {
                        (Value::Bool(a), Value::Bool(b)) => Ok(Val::Plain(Value::Bool(
                            if *operation.operator.value() == BinaryOperator::And {
                                a && b
                            } else {
                                a || b
                            },
                        ))),
                        _ => Err("a logical operand is not a boolean".to_string()),
                    },
                    other => Err(format!(
                        "the operator `{}` is not evaluated in Terragrunt files",
                        other.as_str()
                    )),
                }
            }
            Expression::FuncCall(call) => self.function(scope, call),
            Expression::Traversal(traversal) => self.traversal(scope, traversal),
            Expression::Variable(ident) => Err(format!(
                "`{}` is not known without running Terragrunt",
                ident.value().as_str()
            )),
            Expression::UnaryOp(_) | Expression::ForExpr(_) => Err(format!(
                "`{}` is not evaluated in Terragrunt files",
                super::eval::describe(expr)
            )),
        }
    }

    fn template(&self, scope: &Scope<'_, 'f>, template: &Template) -> Tv {
        let mut text = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(literal) => text.push_str(literal.value()),
                Element::Interpolation(interpolation) => {
                    let value = self.eval(scope, &interpolation.expr)?.plain()?;
                    let part = value.as_text().ok_or_else(|| {
                        format!(
                            "`{}` is not a string",
                            super::eval::describe(&interpolation.expr)
                        )
                    })?;
                    if text.len().saturating_add(part.len()) > super::eval::MAX_VALUE_WEIGHT {
                        return Err("a string grows too large".to_string());
                    }
                    text.push_str(&part);
                }
                Element::Directive(_) => {
                    return Err("template directives (`%{...}`) are not evaluated".to_string());
                }
            }
        }
        Ok(Val::Plain(Value::String(text)))
    }

    fn traversal(&self, scope: &Scope<'_, 'f>, traversal: &hcl_edit::expr::Traversal) -> Tv {
        let operators: Vec<&TraversalOperator> =
            traversal.operators.iter().map(|op| op.value()).collect();
        let attr = |index: usize| -> Option<&str> {
            match operators.get(index) {
                Some(TraversalOperator::GetAttr(ident)) => Some(ident.value().as_str()),
                _ => None,
            }
        };
        let (mut value, consumed) = match &traversal.expr {
            Expression::Variable(root) => match root.value().as_str() {
                "local" => {
                    let name = attr(0).ok_or("`local` needs a name")?;
                    (self.local(scope, name)?, 1)
                }
                "include" => {
                    let name = attr(0).ok_or("`include` needs a name")?;
                    let known = scope.includes.borrow().get(name).cloned();
                    match known {
                        Some(value) => (value?, 1),
                        // A bare `include` block is reached as `include.locals`, `include.inputs`.
                        None => match scope.includes.borrow().get("").cloned() {
                            Some(value) => (value?, 0),
                            None => return Err(format!("`include.{name}` is not included")),
                        },
                    }
                }
                "dependency" => {
                    return Err(format!(
                        "`dependency.{}` outputs are only known once Terragrunt has applied that unit",
                        attr(0).unwrap_or("?")
                    ));
                }
                other => {
                    return Err(format!("`{other}` is not known without running Terragrunt"));
                }
            },
            base => (self.eval(scope, base)?, 0),
        };
        for operator in operators.iter().skip(consumed) {
            let key = match operator {
                TraversalOperator::GetAttr(ident) => ident.value().as_str().to_string(),
                TraversalOperator::Index(index) => self
                    .eval(scope, index)?
                    .plain()?
                    .as_text()
                    .ok_or("an index is not a string or number")?,
                TraversalOperator::LegacyIndex(index) => index.value().to_string(),
                _ => return Err("splat expressions are not evaluated in Terragrunt files".into()),
            };
            value = index_val(value, &key)?;
        }
        Ok(value)
    }

    // long-fn: one arm per Terragrunt or Terraform function, each a few lines.
    fn function(&self, scope: &Scope<'_, 'f>, call: &FuncCall) -> Tv {
        let name = call.name.name.value().as_str();
        let args: Vec<&Expression> = call.args.iter().collect();
        let text = |index: usize| -> Result<String, String> {
            let expr = args
                .get(index)
                .ok_or_else(|| format!("`{name}()` needs more arguments"))?;
            self.eval(scope, expr)?
                .plain()?
                .as_text()
                .ok_or_else(|| format!("an argument of `{name}()` is not a string"))
        };
        let string = |text: String| Ok(Val::Plain(Value::String(text)));
        let rooted = |dir: &Utf8Path| {
            if dir.as_str().is_empty() {
                ROOT.to_string()
            } else {
                format!("{ROOT}/{dir}")
            }
        };
        match name {
            "find_in_parent_folders" => {
                let wanted = if args.is_empty() {
                    "terragrunt.hcl".to_string()
                } else {
                    text(0)?
                };
                if !wanted.ends_with(".hcl") {
                    return Err(format!(
                        "`find_in_parent_folders(\"{wanted}\")` looks for a file the scan does not read (only Terragrunt's `.hcl` files are)"
                    ));
                }
                let mut dir = scope.from.clone();
                for _ in 0..MAX_PARENT_FOLDERS {
                    let Some(up) = dir.parent().map(Utf8Path::to_path_buf) else {
                        break;
                    };
                    dir = up;
                    let candidate = resolve_path(&wanted, &dir).ok();
                    if let Some(candidate) = candidate
                        && self.files.parsed.contains_key(&candidate)
                    {
                        return string(rooted(&candidate));
                    }
                }
                match args.get(1) {
                    Some(fallback) => self.eval(scope, fallback),
                    None => Err(format!(
                        "`find_in_parent_folders(\"{wanted}\")` finds no such file above `{}` among the scanned files",
                        rooted(&scope.from)
                    )),
                }
            }
            "read_terragrunt_config" => {
                let path = text(0)?;
                let target = match resolve_path(&path, &scope.from) {
                    Ok(target) => target,
                    Err(reason) => {
                        self.problem(
                            super::resources::span_of(scope.file, call),
                            format!("terragrunt: `read_terragrunt_config(\"{path}\")`: the path {reason}; it is not read"),
                        );
                        return Err(format!("the path `{path}` {reason}"));
                    }
                };
                let Some((file, Ok(body))) = self.files.parsed.get(&target) else {
                    return match args.get(1) {
                        Some(fallback) => self.eval(scope, fallback),
                        None => Err(format!(
                            "`{target}` is not among the scanned Terragrunt files"
                        )),
                    };
                };
                if scope.read_depth >= MAX_READ_DEPTH || self.reading.borrow().contains(&target) {
                    return Err(format!(
                        "`read_terragrunt_config` of `{target}` nests too deeply or reads itself"
                    ));
                }
                self.reading.borrow_mut().push(target.clone());
                let inner = Scope::new(file, body, parent_dir(&target), None, scope.read_depth + 1);
                let value = self.config_value(&inner);
                self.reading.borrow_mut().pop();
                Ok(value)
            }
            "get_env" => match args.get(1) {
                Some(default) => self.eval(scope, default),
                None => Err(format!(
                    "`get_env(\"{}\")` reads the environment Terragrunt runs in",
                    text(0).unwrap_or_default()
                )),
            },
            "get_terragrunt_dir" | "get_original_terragrunt_dir" => string(rooted(&self.unit_dir)),
            "get_parent_terragrunt_dir" => string(rooted(
                scope.include_dir.as_deref().unwrap_or(&self.unit_dir),
            )),
            "get_repo_root" => string(ROOT.to_string()),
            "get_path_from_repo_root" => string(self.unit_dir.to_string()),
            "get_path_to_repo_root" => string(up_path(&self.unit_dir)),
            "path_relative_to_include" => {
                let include = scope.include_dir.clone().unwrap_or_default();
                let rest = self
                    .unit_dir
                    .strip_prefix(&include)
                    .map(Utf8Path::as_str)
                    .unwrap_or(self.unit_dir.as_str());
                string(if rest.is_empty() { "." } else { rest }.to_string())
            }
            "path_relative_from_include" => {
                let include = scope.include_dir.clone().unwrap_or_default();
                let rest = self
                    .unit_dir
                    .strip_prefix(&include)
                    .map(Utf8Path::to_path_buf)
                    .unwrap_or_default();
                string(up_path(&rest))
            }
            "dirname" => {
                let path = text(0)?;
                string(match path.rsplit_once('/') {
                    Some((dir, _)) => dir.to_string(),
                    None => ".".to_string(),
                })
            }
            "basename" => {
                let path = text(0)?;
                string(path.rsplit('/').next().unwrap_or_default().to_string())
            }
            "lower" => string(text(0)?.to_lowercase()),
            "upper" => string(text(0)?.to_uppercase()),
            "trimspace" => string(text(0)?.trim().to_string()),
            "replace" => string(text(0)?.replace(&text(1)?, &text(2)?)),
            "tostring" => string(text(0)?),
            "merge" => {
                let mut out = BTreeMap::new();
                for arg in &args {
                    match self.eval(scope, arg)? {
                        Val::Object(map) => out.extend(map),
                        Val::Plain(Value::Map(map)) => {
                            out.extend(map.into_iter().map(|(k, v)| (k, Ok(Val::Plain(v)))));
                        }
                        Val::Plain(Value::Null) => {}
                        Val::Plain(_) => return Err("an argument of `merge()` is not a map".into()),
                    }
                }
                Ok(Val::Object(out))
            }
            "lookup" => {
                let map = args.first().ok_or("`lookup()` needs a map")?;
                let key = text(1)?;
                match index_val(self.eval(scope, map)?, &key) {
                    Ok(value) => Ok(value),
                    Err(reason) => match args.get(2) {
                        Some(default) => self.eval(scope, default),
                        None => Err(reason),
                    },
                }
            }
            "try" => {
                // The next argument only when this one fails for certain (a missing key or file);
                // one that is unknown here (a function not evaluated) makes the result unknown.
                let mut last = "`try()` has no arguments".to_string();
                for arg in &args {
                    match self
                        .eval(scope, arg)
                        .and_then(|v| v.plain().map(Val::Plain))
                    {
                        Ok(value) => return Ok(value),
                        Err(reason) if definite(&reason) => last = reason,
                        Err(reason) => return Err(reason),
                    }
                }
                Err(last)
            }
            "coalesce" => {
                for arg in &args {
                    match self.eval(scope, arg)?.plain()? {
                        Value::Null => {}
                        Value::String(text) if text.is_empty() => {}
                        value => return Ok(Val::Plain(value)),
                    }
                }
                Err("every argument of `coalesce()` is empty".into())
            }
            "concat" => {
                let mut out = Vec::new();
                for arg in &args {
                    match self.eval(scope, arg)?.plain()? {
                        Value::List(items) => out.extend(items),
                        _ => return Err("an argument of `concat()` is not a list".into()),
                    }
                }
                Ok(Val::Plain(Value::List(out)))
            }
            other => Err(format!(
                "`{other}()` is not evaluated in Terragrunt files (it may run a command, read a secret or the cloud account)"
            )),
        }
    }
}

impl<'s, 'f> Scope<'s, 'f> {
    fn new(
        file: &'f SourceFile,
        body: &'s Body,
        from: Utf8PathBuf,
        include_dir: Option<Utf8PathBuf>,
        read_depth: usize,
    ) -> Scope<'s, 'f> {
        Scope {
            file,
            body,
            from,
            include_dir,
            locals: RefCell::new(BTreeMap::new()),
            includes: RefCell::new(BTreeMap::new()),
            read_depth,
        }
    }
}

/// Whether an evaluation failed for certain (Terragrunt would fail too: a missing key or file),
/// rather than for want of what only a run knows.
fn definite(reason: &str) -> bool {
    reason.starts_with("there is no")
        || reason.contains("finds no such file")
        || reason.contains("is not among the scanned Terragrunt files")
        || reason.contains("is not defined")
}

/// `../..` for each component of `dir` (`.` for none).
fn up_path(dir: &Utf8Path) -> String {
    let count = dir.components().count();
    if count == 0 {
        ".".to_string()
    } else {
        vec![".."; count].join("/")
    }
}

fn index_val(value: Val, key: &str) -> Tv {
    match value {
        Val::Object(mut map) => map
            .remove(key)
            .unwrap_or_else(|| Err(format!("there is no `{key}`"))),
        Val::Plain(Value::Map(mut map)) => map
            .remove(key)
            .map(Val::Plain)
            .ok_or_else(|| format!("there is no `{key}`")),
        Val::Plain(Value::List(items)) => key
            .parse::<usize>()
            .ok()
            .and_then(|index| items.into_iter().nth(index))
            .map(Val::Plain)
            .ok_or_else(|| format!("there is no element `{key}`")),
        Val::Plain(_) => Err(format!("`{key}` is read from a value that has no parts")),
    }
}

/// `merge_strategy = "deep"`: maps merged key by key, the later winning; anything else replaced.
fn deep_merge(earlier: Eval, later: Eval) -> Eval {
    match (earlier, later) {
        (Ok(Value::Map(mut a)), Ok(Value::Map(b))) => {
            for (key, value) in b {
                let merged = match a.remove(&key) {
                    Some(old) => deep_merge(Ok(old), Ok(value))?,
                    None => value,
                };
                a.insert(key, merged);
            }
            Ok(Value::Map(a))
        }
        (_, later) => later,
    }
}

fn object_key(key: &ObjectKey) -> Option<String> {
    match key {
        ObjectKey::Ident(ident) => Some(ident.value().as_str().to_string()),
        ObjectKey::Expression(Expression::Variable(ident)) => {
            Some(ident.value().as_str().to_string())
        }
        ObjectKey::Expression(Expression::String(text)) => Some(text.value().to_string()),
        ObjectKey::Expression(_) => None,
    }
}

/// Whether an include's path is `find_in_parent_folders(...)`: the included file is then the
/// unit's root configuration, whose directory is the live root.
fn is_find_in_parent(expr: &Expression) -> bool {
    match expr {
        Expression::FuncCall(call) => call.name.name.value().as_str() == "find_in_parent_folders",
        _ => false,
    }
}

/// The whole line a span starts on.
fn line_of(file: &SourceFile, span: Span) -> Span {
    let start = usize::try_from(span.start).unwrap_or(usize::MAX);
    let text = &file.text;
    let begin = text
        .get(..start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(start..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| start + i);
    let begin = begin
        + text
            .get(begin..end)
            .map_or(0, |l| l.len() - l.trim_start().len());
    file.span(begin..end.max(begin))
}

/// The line within `span` (a `generate` block's `contents`) that sets a `region`.
fn region_line(file: &SourceFile, span: Span) -> Option<Span> {
    let start = usize::try_from(span.start).ok()?;
    let end = usize::try_from(span.end).ok()?;
    let text = file.text.get(start..end)?;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("region") && trimmed.contains('=') {
            let begin = start + offset + (line.len() - trimmed.len());
            let stop = start + offset + line.trim_end().len();
            return Some(file.span(begin..stop.max(begin)));
        }
        offset += line.len();
    }
    None
}

/// Units read beyond this many are reported once and not read (each reads its module tree).
const MAX_UNITS: usize = 500;

/// What the units of a scan give: their facts, one variant each, and the module directories they
/// read (not also read as roots with their defaults only: the units are their callers).
#[derive(Debug, Default)]
pub(super) struct Read {
    facts: Facts,
    used: BTreeSet<Utf8PathBuf>,
    /// The module directory each node id of the units comes from.
    module_of: BTreeMap<String, Utf8PathBuf>,
}

/// Reads every unit among `terragrunt_files`: its module (see [`Source`]) as a root with the
/// unit's inputs as variable values and the providers its `generate` blocks write.
pub(super) fn read_units(
    terragrunt_files: &[&SourceFile],
    by_dir: &BTreeMap<Utf8PathBuf, Vec<&SourceFile>>,
    calls: &BTreeMap<&Utf8PathBuf, BTreeSet<Utf8PathBuf>>,
    catalogue: &super::Catalogue<'_>,
) -> Read {
    let mut read = Read::default();
    if terragrunt_files.is_empty() {
        return read;
    }
    let files = Files::new(terragrunt_files);
    let (units, problems) = units(&files);
    for (span, message) in problems {
        read.facts.input_error(span, None, message);
    }
    let mut per_variant: Vec<(Variant, Facts)> = Vec::new();
    let mut deployed: BTreeSet<(String, Utf8PathBuf)> = BTreeSet::new();
    let notes: BTreeSet<(Option<Span>, String)> = units
        .iter()
        .take(MAX_UNITS)
        .flat_map(|unit| unit.notes.iter().cloned())
        .collect();
    for (span, message) in notes {
        note(&mut read.facts, span, message);
    }
    for (index, unit) in units.iter().enumerate() {
        if index >= MAX_UNITS {
            read.facts.input_error(
                Some(unit.file.line_span(1)),
                Some(unit.dir.to_string()),
                format!("terragrunt: more than {MAX_UNITS} units; `{}` and the units after it were not read", unit.dir),
            );
            break;
        }
        // The units of one environment directory (`prod/eu-west-1/{mysql,search}`) deploy one
        // system together: they are one variant, so a store one unit creates is there when
        // another unit's flow reaches it.
        let variant = Variant {
            name: environment_of(&unit.name).to_string(),
            span: variant_span(unit),
            source: "terragrunt".to_string(),
        };
        // A unit whose module is not read is a variant still (it is deployed), with nothing in it.
        let module_dir = match &unit.source {
            Source::Local(dir) => dir.clone(),
            Source::Own if by_dir.contains_key(&unit.dir) => unit.dir.clone(),
            Source::Own => continue,
            Source::Remote(source) => {
                note(
                    &mut read.facts,
                    unit.source_span,
                    format!(
                        "terragrunt: unit `{}` deploys the remote module `{source}`, which is not in the scanned tree; its stores are not read and their locations are unknown",
                        unit.name
                    ),
                );
                per_variant.push((variant, Facts::default()));
                continue;
            }
            Source::Unknown(reason) => {
                note(
                    &mut read.facts,
                    unit.source_span,
                    format!(
                        "terragrunt: the module of unit `{}` is unknown: {reason}; its stores are not read",
                        unit.name
                    ),
                );
                per_variant.push((variant, Facts::default()));
                continue;
            }
        };
        if !by_dir.contains_key(&module_dir) {
            note(
                &mut read.facts,
                unit.source_span,
                format!(
                    "terragrunt: unit `{}` deploys `{module_dir}`, which holds no Terraform files that were scanned; its stores are not read",
                    unit.name
                ),
            );
            per_variant.push((variant, Facts::default()));
            continue;
        }
        read.used.insert(module_dir.clone());
        read.used.insert(unit.dir.clone());
        let mut facts = Facts::default();
        let found = read_unit(unit, &module_dir, by_dir, calls, catalogue);
        super::join_roots(vec![super::Read::Once(found)], &[&module_dir], &mut facts);
        // Two units of one environment that deploy the same module create stores of the same
        // names: the later one's are named by its unit, so neither hides the other.
        if !deployed.insert((variant.name.clone(), module_dir.clone())) {
            qualify_ids(
                &mut facts,
                unit.dir.file_name().unwrap_or(unit.name.as_str()),
            );
        }
        for node in &facts.nodes {
            read.module_of
                .entry(node.id.clone())
                .or_insert_with(|| module_dir.clone());
        }
        per_variant.push((variant, facts));
    }
    read.facts
        .extend(Facts::from_variants(by_environment(per_variant)));
    read
}

/// The environment a unit belongs to: its directory's parent under the live root
/// (`prod/eu-west-1/mysql` is in `prod/eu-west-1`); a unit directly under the live root is its
/// own environment.
fn environment_of(unit: &str) -> &str {
    unit.rsplit_once('/')
        .map_or(unit, |(environment, _)| environment)
}

/// The units' facts joined per environment, in the order environments first appear; each unit's
/// own record (the line that makes it differ) is kept among the variant's records.
fn by_environment(per_unit: Vec<(Variant, Facts)>) -> Vec<(Variant, Facts)> {
    let mut joined: Vec<(Variant, Facts)> = Vec::new();
    for (variant, mut facts) in per_unit {
        facts.variants.push(variant.clone());
        match joined.iter_mut().find(|(v, _)| v.name == variant.name) {
            Some((_, into)) => into.extend(facts),
            None => joined.push((variant, facts)),
        }
    }
    joined
}

/// Names the nodes of `facts` (and the flows' references to them) by `unit` as well.
fn qualify_ids(facts: &mut Facts, unit: &str) {
    let ids: BTreeSet<String> = facts.nodes.iter().map(|n| n.id.clone()).collect();
    let qualify = |id: &mut String| {
        if ids.contains(id.as_str()) {
            *id = format!("{unit}/{id}");
        }
    };
    for node in &mut facts.nodes {
        qualify(&mut node.id);
    }
    for flow in &mut facts.flows {
        if let Some(from) = &mut flow.from {
            qualify(&mut from.id);
        }
        if let crate::facts::FlowTarget::Node(to) = &mut flow.to {
            qualify(&mut to.id);
        }
    }
}

impl Read {
    /// `per_root` and `root_dirs` without the directories units read.
    pub(super) fn without_used<'d, T>(
        &self,
        per_root: Vec<T>,
        root_dirs: Vec<&'d Utf8PathBuf>,
    ) -> (Vec<T>, Vec<&'d Utf8PathBuf>) {
        per_root
            .into_iter()
            .zip(root_dirs)
            .filter(|(_, dir)| !self.used.contains(*dir))
            .unzip()
    }

    /// Adds the units' facts to `facts` (the roots' facts, without variants). A unit's node whose
    /// id a root's node has already is named by its module directory as well.
    pub(super) fn merge_into(self, facts: &mut Facts) {
        let taken: BTreeSet<String> = facts.nodes.iter().map(|n| n.id.clone()).collect();
        let Read {
            facts: mut units,
            module_of,
            ..
        } = self;
        let rename = |id: &mut String| {
            if taken.contains(id.as_str())
                && let Some(dir) = module_of.get(id.as_str())
            {
                *id = format!("{dir}/{id}");
            }
        };
        for node in &mut units.nodes {
            rename(&mut node.id);
        }
        for flow in &mut units.flows {
            if let Some(from) = flow.from.as_mut() {
                rename(&mut from.id);
            }
            if let FlowTarget::Node(to) = &mut flow.to {
                rename(&mut to.id);
            }
        }
        facts.extend(units);
    }
}

fn note(facts: &mut Facts, span: Option<Span>, message: String) {
    facts.diagnostics.push(ExtractionDiagnostic {
        rule: Rule::UnresolvedReference,
        severity: Severity::Note,
        message,
        span,
        path: None,
    });
}

/// The line that makes the unit differ: the input that sets a region in the unit's own file, else
/// its `terraform { source }` there, else the file's first line.
fn variant_span(unit: &Unit<'_>) -> Span {
    let own = |span: &Option<Span>| span.filter(|s| s.file == unit.file.id);
    unit.inputs
        .iter()
        .filter(|(key, _)| key.contains("region") || key.contains("location"))
        .find_map(|(_, (_, span))| own(span))
        .or_else(|| own(&unit.source_span))
        .unwrap_or_else(|| unit.file.line_span(1))
}

/// Reads the unit's module directory with every local module it reaches, as a root whose
/// variables are the unit's inputs.
fn read_unit(
    unit: &Unit<'_>,
    module_dir: &Utf8PathBuf,
    by_dir: &BTreeMap<Utf8PathBuf, Vec<&SourceFile>>,
    calls: &BTreeMap<&Utf8PathBuf, BTreeSet<Utf8PathBuf>>,
    catalogue: &super::Catalogue<'_>,
) -> Found {
    let parsed = super::parsed_from(module_dir, by_dir, calls);
    let refs: Vec<(&Utf8PathBuf, Vec<&Parsed<'_>>)> = parsed
        .iter()
        .map(|(dir, parsed)| (*dir, parsed.iter().collect()))
        .collect();
    let mut modules: BTreeMap<Utf8PathBuf, Module<'_>> = refs
        .iter()
        .map(|(dir, files)| ((*dir).clone(), Module::new((*dir).clone(), files)))
        .collect();
    // Terragrunt passes the inputs as `TF_VAR_` variables (below the module's automatic tfvars
    // files) and no `-var-file`: the module's other tfvars files are not read.
    if let Some(module) = modules.get_mut(module_dir) {
        module.tfvars.retain(|item| {
            super::files::is_auto_tfvars(item.file.path.file_name().unwrap_or_default())
        });
    }
    let mut env: BTreeMap<String, Eval> = unit
        .inputs
        .iter()
        .map(|(key, (value, _))| {
            let value = value
                .clone()
                .map_err(|reason| format!("{reason} (in the inputs of unit `{}`)", unit.name));
            (key.clone(), value)
        })
        .collect();
    let mut found = Found {
        azure_pairs: catalogue.azure_pairs.clone(),
        ..Found::default()
    };
    let Some(module) = modules.get(module_dir) else {
        return found;
    };
    if let Some((reason, _)) = &unit.inputs_unknown {
        for name in module.variables.keys() {
            env.entry(name.clone()).or_insert_with(|| {
                Err(format!(
                    "the `inputs` of unit `{}` cannot be evaluated: {reason}",
                    unit.name
                ))
            });
        }
    }
    let given = Given {
        env,
        var_files: Vec::new(),
    };
    let mut instance = Instance::root(
        module,
        &modules,
        Rc::new(super::eval::Budget::default()),
        &given,
    );
    for (key, region, span) in &unit.providers {
        instance
            .providers
            .entry(key.clone())
            .or_insert_with(|| ProviderConfig {
                region: region.clone(),
                span: *span,
            });
    }
    let mut tree = super::Tree {
        stack: vec![module_dir.clone()],
        instances: 1,
        size: module.size(),
        reported: BTreeSet::new(),
        memos: BTreeMap::new(),
    };
    super::walk(&instance, &modules, &mut found, &mut tree, catalogue);
    found.link_global_clusters();
    found
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
#[path = "terragrunt_tests.rs"]
mod tests;
