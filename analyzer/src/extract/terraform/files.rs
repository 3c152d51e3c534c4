//! Which files Terraform and OpenTofu load, and how override files change the others.
//!
//! Configuration is `.tf`, `.tofu`, `.tf.json` and `.tofu.json`; variable values are `.tfvars`
//! and `.tfvars.json`. Where `x.tofu` and `x.tf` (or `x.tofu.json` and `x.tf.json`) are both in
//! a directory, OpenTofu reads the `.tofu` file and ignores the `.tf` one
//! (<https://opentofu.org/docs/language/files/>, "Extension Precedence"); borderline reads what
//! OpenTofu reads, since a repository with `.tofu` files is meant for OpenTofu. `.tftest.hcl`
//! test files are not configuration and are not read.
//!
//! Files named `override.tf` or `*_override.tf` (and their `.tofu`, `.json` forms) declare no new
//! objects: each of their blocks is merged into the block of the same type and labels in the
//! other files, argument by argument, a nested block replacing the nested blocks of its type
//! (<https://developer.hashicorp.com/terraform/language/files/override>,
//! <https://opentofu.org/docs/language/files/override>). They are applied in name order.

use super::eval::eval_literal;
use super::module::Parsed;
use super::resources::header_span;
use crate::source::{SourceFile, Span};
use hcl_edit::Decorated;
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use std::collections::BTreeMap;

/// Nested blocks deeper than this in an override are not copied (real ones nest two or three).
const MAX_OVERRIDE_DEPTH: usize = 32;

/// The configuration extensions, longest first so that `.tf.json` is not read as `.json`.
const CONFIG_EXTENSIONS: [&str; 4] = [".tofu.json", ".tf.json", ".tofu", ".tf"];

/// The name without its configuration extension, for a configuration file.
fn config_stem(name: &str) -> Option<&str> {
    CONFIG_EXTENSIONS
        .iter()
        .find_map(|extension| name.strip_suffix(extension))
}

/// Whether Terraform or OpenTofu reads a file of this name as configuration.
pub(crate) fn is_config(name: &str) -> bool {
    config_stem(name).is_some()
}

/// Whether a file holds variable values (`.tfvars`, `.tfvars.json`).
pub(crate) fn is_tfvars(name: &str) -> bool {
    name.ends_with(".tfvars") || name.ends_with(".tfvars.json")
}

/// Whether Terraform reads a variable file without being told to: `terraform.tfvars(.json)` and
/// `*.auto.tfvars(.json)`. Others are passed with `-var-file`.
pub(crate) fn is_auto_tfvars(name: &str) -> bool {
    name == "terraform.tfvars"
        || name == "terraform.tfvars.json"
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

/// Terraform's load order of variable files: `terraform.tfvars`, `terraform.tfvars.json`, then
/// the `*.auto.tfvars(.json)` files in lexical order, then files passed with `-var-file`.
pub(crate) fn tfvars_order(name: &str) -> (u8, String) {
    let rank = match name {
        "terraform.tfvars" => 0,
        "terraform.tfvars.json" => 1,
        _ if is_auto_tfvars(name) => 2,
        _ => 3,
    };
    (rank, name.to_string())
}

/// Whether a configuration file is an override file.
pub(crate) fn is_override(name: &str) -> bool {
    config_stem(name).is_some_and(|stem| stem == "override" || stem.ends_with("_override"))
}

/// Whether OpenTofu ignores `name` because the same file with a `.tofu` extension is among
/// `names` (the file names of its directory).
pub(crate) fn shadowed_by_tofu(name: &str, names: &std::collections::BTreeSet<&str>) -> bool {
    let tofu = if let Some(stem) = name.strip_suffix(".tf.json") {
        format!("{stem}.tofu.json")
    } else if let Some(stem) = name.strip_suffix(".tf") {
        format!("{stem}.tofu")
    } else {
        return false;
    };
    names.contains(tofu.as_str())
}

/// What an override block matches: its type and labels, and for a provider its alias.
type Identity = (String, Vec<String>, Option<String>);

fn identity(block: &Block) -> Identity {
    let alias = (block.ident.value().as_str() == "provider")
        .then(|| block.body.get_attribute("alias"))
        .flatten()
        .and_then(|a| eval_literal(&a.value).ok())
        .and_then(|v| v.as_text());
    (
        block.ident.value().as_str().to_string(),
        block
            .labels
            .iter()
            .map(|l| l.as_str().to_string())
            .collect(),
        alias,
    )
}

/// Merges the override files among `parsed` (one directory, in name order) into the other files
/// and drops them. An override block with nothing to merge into is an input error, as Terraform
/// refuses it too, except a default provider's (Terraform reads it as the configuration).
pub(crate) fn merge_overrides<'a>(
    parsed: Vec<Parsed<'a>>,
    mut errors: Option<&mut Vec<(Span, String)>>,
) -> Vec<Parsed<'a>> {
    let (overrides, mut base): (Vec<Parsed<'a>>, Vec<Parsed<'a>>) = parsed
        .into_iter()
        .partition(|p| is_override(p.file.path.file_name().unwrap_or_default()));
    // Where each block of the other files is, by identity: the first of each, as Terraform
    // refuses duplicates. An index, so that many overrides over many blocks stay linear.
    let mut index: BTreeMap<Identity, (usize, usize)> = BTreeMap::new();
    let mut locals: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (file, parsed) in base.iter().enumerate() {
        for (position, structure) in parsed.body.iter().enumerate() {
            if let Structure::Block(block) = structure {
                index.entry(identity(block)).or_insert((file, position));
                if block.ident.value().as_str() == "locals" {
                    for attribute in block.body.attributes() {
                        locals
                            .entry(attribute.key.value().as_str().to_string())
                            .or_insert((file, position));
                    }
                }
            }
        }
    }
    for over in &overrides {
        for block in over.body.blocks() {
            let kind = block.ident.value().as_str();
            let merged = match kind {
                "resource" | "data" | "module" | "variable" | "output" | "provider" => {
                    let target =
                        index.get(&identity(block)).and_then(|(file, position)| {
                            match base.get_mut(*file)?.body.get_mut(*position)? {
                                Structure::Block(target) => Some(target),
                                Structure::Attribute(_) => None,
                            }
                        });
                    match target {
                        Some(target) => {
                            merge_block(target, block);
                            true
                        }
                        // Terraform takes an override of a default (unaliased) provider that no
                        // other file configures as that provider's configuration: an absent one
                        // is an empty one, which the override fills (`mergeFile` in Terraform's
                        // `internal/configs/module.go`). Only an aliased one needs a base.
                        None if kind == "provider" && identity(block).2.is_none() => {
                            if let Some(last) = base.last_mut() {
                                last.body.push(unspanned_block(block, 0));
                            }
                            true
                        }
                        None => false,
                    }
                }
                "locals" => block
                    .body
                    .attributes()
                    .all(|attribute| override_local(&mut base, &locals, attribute)),
                // `terraform` settings and anything else borderline does not read.
                _ => true,
            };
            if !merged && let Some(errors) = errors.as_deref_mut() {
                let name = std::iter::once(kind.to_string())
                    .chain(block.labels.iter().map(|l| l.as_str().to_string()))
                    .collect::<Vec<_>>()
                    .join(".");
                errors.push((
                    header_span(over.file, block).unwrap_or_else(|| over.file.line_span(1)),
                    format!(
                        "terraform: `{}` overrides `{name}`, which no other file of its directory declares",
                        over.file.path.file_name().unwrap_or_default()
                    ),
                ));
            }
        }
    }
    base
}

/// Replaces the local of the same name; false when there is none.
fn override_local(
    base: &mut [Parsed<'_>],
    locals: &BTreeMap<String, (usize, usize)>,
    attribute: &Attribute,
) -> bool {
    let key = attribute.key.value().as_str();
    let Some((file, position)) = locals.get(key) else {
        return false;
    };
    let Some(Structure::Block(block)) = base
        .get_mut(*file)
        .and_then(|parsed| parsed.body.get_mut(*position))
    else {
        return false;
    };
    block.body.remove_attribute(key);
    block.body.push(unspanned_attribute(attribute));
    true
}

/// Terraform's merge: each argument replaces the argument of the same name, each nested block
/// type replaces every nested block of that type.
fn merge_block(target: &mut Block, over: &Block) {
    for attribute in over.body.attributes() {
        target.body.remove_attribute(attribute.key.value().as_str());
        target.body.push(unspanned_attribute(attribute));
    }
    let mut replaced: Vec<&str> = Vec::new();
    for nested in over.body.blocks() {
        let ident = nested.ident.value().as_str();
        if !replaced.contains(&ident) {
            target.body.remove_blocks(ident);
            replaced.push(ident);
        }
        target.body.push(unspanned_block(nested, 0));
    }
}

/// A copy of an override argument without its span. The block it joins is in another file, and
/// a span is a range of the block's file: an argument from an override has no honest range
/// there, so what it decides is reported at the block it changes.
fn unspanned_attribute(attribute: &Attribute) -> Attribute {
    Attribute::new(
        Decorated::new(attribute.key.value().clone()),
        attribute.value.clone(),
    )
}

/// A copy of an override's nested block without spans (see `unspanned_attribute`).
fn unspanned_block(block: &Block, depth: usize) -> Block {
    let mut copy = Block::new(Decorated::new(block.ident.value().clone()));
    copy.labels = block
        .labels
        .iter()
        .map(|label| match label {
            BlockLabel::Ident(ident) => BlockLabel::Ident(Decorated::new(ident.value().clone())),
            BlockLabel::String(text) => BlockLabel::String(Decorated::new(text.value().clone())),
        })
        .collect();
    let mut body = Body::new();
    if depth < MAX_OVERRIDE_DEPTH {
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attribute) => body.push(unspanned_attribute(attribute)),
                Structure::Block(nested) => body.push(unspanned_block(nested, depth + 1)),
            }
        }
    }
    copy.body = body;
    copy
}

/// Keeps the files OpenTofu loads: drops `x.tf` where `x.tofu` is beside it.
pub(crate) fn loaded<'f>(files: &[&'f SourceFile]) -> Vec<&'f SourceFile> {
    let names: std::collections::BTreeSet<&str> = files
        .iter()
        .map(|f| f.path.file_name().unwrap_or_default())
        .collect();
    files
        .iter()
        .filter(|file| !shadowed_by_tofu(file.path.file_name().unwrap_or_default(), &names))
        .copied()
        .collect()
}
