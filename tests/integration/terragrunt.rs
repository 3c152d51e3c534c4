//! Terragrunt units as deployment variants: the facts of a live repository's units (one variant
//! per environment directory under the live root, its units together), remote modules left unknown, and
//! hostile configurations (paths out of the root, include and read cycles) bounded.

use crate::support::{borderline, fixtures_dir, stdout, write_file};
use borderline::extract::{ExtractContext, Owners, extract_all};
use borderline::facts::{Facts, Location, NodeFact};
use borderline::rules::RuleSet;
use borderline::source::{FileId, SourceFile};
use std::path::Path;
use std::sync::{Arc, OnceLock};

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}")))
}

/// The files under `dir` (relative paths, sorted), as the scan would hand them over.
fn read_tree(dir: &Path) -> Vec<SourceFile> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                out.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
        .into_iter()
        .enumerate()
        .map(|(index, (path, text))| {
            SourceFile::new(FileId(index as u32), path.into(), Arc::from(text.as_str()))
        })
        .collect()
}

fn facts_of(files: &[SourceFile]) -> Facts {
    let owners = Owners::default();
    let ctx = ExtractContext {
        rules: rules(),
        owners: &owners,
        terraform: &[],
    };
    extract_all(files, &ctx)
}

fn nodes<'f>(facts: &'f Facts, id: &str) -> Vec<&'f NodeFact> {
    facts.nodes.iter().filter(|n| n.id == id).collect()
}

fn region(node: &NodeFact) -> String {
    match node.location.as_ref().map(|l| &l.location) {
        Some(Location::Region { region, .. }) => region.clone(),
        other => format!("{other:?}"),
    }
}

fn line_of(files: &[SourceFile], span: borderline::source::Span) -> (String, String) {
    let file = &files[span.file.0 as usize];
    let start = span.start as usize;
    let line_start = file.text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = file.text[start..]
        .find('\n')
        .map_or(file.text.len(), |i| start + i);
    (
        file.path.to_string(),
        file.text[line_start..line_end].trim().to_string(),
    )
}

#[test]
fn the_units_of_an_environment_are_one_variant_and_only_what_differs_carries_it() {
    let files = read_tree(&fixtures_dir().join("tg-live-us"));
    let facts = facts_of(&files);
    let replicas = nodes(&facts, "aws_s3_bucket.replica");
    let mut seen: Vec<(String, Vec<String>)> = replicas
        .iter()
        .map(|n| (region(n), n.variants.clone()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "eu-west-1".to_string(),
                vec!["staging/eu-central-1".to_string()]
            ),
            (
                "us-east-1".to_string(),
                vec!["production/eu-central-1".to_string()]
            ),
        ]
    );
    // The primary bucket is in the generated provider's region in both units; its name differs
    // (the environment is in it), so each unit has its own.
    let primary = nodes(&facts, "aws_s3_bucket.exports");
    assert_eq!(primary.len(), 2, "{primary:?}");
    assert!(primary.iter().all(|n| region(n) == "eu-central-1"));
    assert!(primary.iter().all(|n| n.variants.len() == 1));
    // What is the same in every unit carries no variant: the replication flow.
    assert_eq!(facts.flows.len(), 1, "{:?}", facts.flows);
    assert!(facts.flows[0].variants.is_empty());
    let (file, line) = line_of(&files, primary[0].location.as_ref().unwrap().span.unwrap());
    assert_eq!(
        (file.as_str(), line.as_str()),
        ("root.hcl", "region = \"${local.aws_region}\"")
    );

    // The variants name each unit's file, at the input that sets a region: the units of one
    // environment directory are one variant, so a store one unit creates is there for the others.
    let mut variants: Vec<(String, String, String, String)> = facts
        .variants
        .iter()
        .map(|v| {
            let (file, line) = line_of(&files, v.span);
            (v.name.clone(), v.source.clone(), file, line)
        })
        .collect();
    variants.sort();
    assert_eq!(
        variants,
        [
            (
                "production/eu-central-1".to_string(),
                "terragrunt".to_string(),
                "production/eu-central-1/exports/terragrunt.hcl".to_string(),
                "replica_region = \"us-east-1\"".to_string()
            ),
            (
                "staging/eu-central-1".to_string(),
                "terragrunt".to_string(),
                "staging/eu-central-1/exports/terragrunt.hcl".to_string(),
                "replica_region = \"eu-west-1\"".to_string()
            ),
        ]
    );
    // The module the units deploy is not also read as a root of its own.
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
}

#[test]
fn a_remote_module_is_noted_and_its_region_never_guessed() {
    let files = read_tree(&fixtures_dir().join("tg-remote-unit"));
    let facts = facts_of(&files);
    assert!(facts.nodes.is_empty(), "{:?}", facts.nodes);
    assert_eq!(facts.diagnostics.len(), 1, "{:?}", facts.diagnostics);
    let message = &facts.diagnostics[0].message;
    assert!(message.contains("prod/us-east-1/mysql"), "{message}");
    assert!(message.contains("not in the scanned tree"), "{message}");
    // The unit is a variant all the same: it is deployed, with nothing read in it.
    assert_eq!(facts.variant_names(), ["prod/us-east-1"]);
}

#[test]
fn the_eea_trap_stays_in_the_eea_in_every_unit() {
    let files = read_tree(&fixtures_dir().join("tg-live-eea"));
    let facts = facts_of(&files);
    let mut regions: Vec<String> = facts.nodes.iter().map(region).collect();
    regions.sort();
    regions.dedup();
    assert_eq!(regions, ["eu-central-1", "eu-north-1", "eu-west-1"]);
    let names: Vec<String> = facts.variant_names();
    assert_eq!(names, ["production/eu-central-1", "staging/eu-central-1"]);
}

#[test]
fn hostile_units_are_bounded_and_paths_stay_in_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A source and a read that leave the root, an include cycle, a read cycle, a local cycle.
    write_file(
        root,
        "out/terragrunt.hcl",
        "terraform {\n  source = \"../../../../etc//passwd\"\n}\n",
    );
    write_file(
        root,
        "read/terragrunt.hcl",
        "locals {\n  secret = read_terragrunt_config(\"../../outside.hcl\")\n}\nterraform {\n  source = \"../m\"\n}\ninputs = { region = local.secret.locals.region }\n",
    );
    write_file(
        root,
        "a/terragrunt.hcl",
        "include \"b\" {\n  path = \"../b/b.hcl\"\n}\nterraform {\n  source = \"../m\"\n}\n",
    );
    write_file(
        root,
        "b/b.hcl",
        "include \"a\" {\n  path = \"../b/b.hcl\"\n}\n",
    );
    write_file(
        root,
        "c/terragrunt.hcl",
        "locals {\n  me = read_terragrunt_config(\"${get_terragrunt_dir()}/terragrunt.hcl\")\n  x = local.me.locals.x\n  y = local.y\n}\nterraform {\n  source = \"../m\"\n}\ninputs = { region = local.x, other = local.y }\n",
    );
    write_file(
        root,
        "m/main.tf",
        "variable \"region\" {\n  type = string\n}\nprovider \"aws\" {\n  region = var.region\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n",
    );
    let output = borderline(root, &["scan", ".", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&output)));
    let errors: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "input-error")
        .map(|f| {
            format!(
                "{}:{} {}",
                f["location"]["file"].as_str().unwrap_or_default(),
                f["location"]["line"],
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("out/terragrunt.hcl:2 ") && e.contains("leaves the scanned")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("read/terragrunt.hcl:2 ") && e.contains("leaves the scanned")),
        "{errors:#?}"
    );
    assert!(errors.iter().any(|e| e.contains("cycle")), "{errors:#?}");
    // Every unit's bucket is read, its region unknown with a reason, never guessed.
    for node in report["nodes"].as_array().unwrap() {
        assert_eq!(node["location"], "unknown", "{node}");
    }
}
