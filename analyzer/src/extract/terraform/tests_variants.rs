//! Unit tests of deployment variants over Terraform roots: variable files passed with
//! `-var-file`, which root they belong to, their names, and reading a root under given values.

use super::tests::{node, scan};
use super::{RootValues, extract_variants, read_root_with};
use crate::facts::TerraformVariants;
use crate::facts::{Facts, Location};
use crate::rule::Rule;
use crate::source::{FileId, SourceFile};
use std::sync::Arc;

const BUCKET: &str = "variable \"region\" {\n  default = \"eu-central-1\"\n}\nprovider \"aws\" {\n  region = var.region\n}\nresource \"aws_s3_bucket\" \"data\" {}\n";

/// (id, location, variants) of every node, in order.
fn placed(facts: &Facts) -> Vec<(String, String, Vec<String>)> {
    facts
        .nodes
        .iter()
        .map(|n| {
            (
                n.id.clone(),
                n.location
                    .as_ref()
                    .map(|l| l.location.to_string())
                    .unwrap_or_default(),
                n.variants.clone(),
            )
        })
        .collect()
}

fn names(facts: &Facts) -> Vec<String> {
    facts.variants.iter().map(|v| v.name.clone()).collect()
}

fn one(id: &str, at: &str, variants: &[&str]) -> (String, String, Vec<String>) {
    (
        id.to_string(),
        at.to_string(),
        variants.iter().map(|v| v.to_string()).collect(),
    )
}

#[test]
fn a_var_file_below_the_root_is_a_variant_of_it() {
    let (sources, facts) = scan(&[
        ("infra/main.tf", BUCKET),
        ("infra/envs/dev.tfvars", "region = \"eu-central-1\"\n"),
        (
            "infra/envs/prod.tfvars",
            "name = \"x\"\nregion = \"us-east-1\"\n",
        ),
    ]);
    assert_eq!(
        placed(&facts),
        vec![
            one("aws_s3_bucket.data", "aws:eu-central-1", &["dev"]),
            one("aws_s3_bucket.data", "aws:us-east-1", &["prod"]),
        ]
    );
    assert_eq!(names(&facts), vec!["dev", "prod"]);
    let prod = &facts.variants[1];
    assert_eq!(prod.source, "tfvars");
    assert_eq!(
        sources[prod.span.file.0 as usize].path.as_str(),
        "infra/envs/prod.tfvars"
    );
    // A variant points at the first value its file sets differently from the other: for prod,
    // `name` (line 1), which dev does not set; for dev, `region` (line 1).
    let line = |v: &crate::facts::Variant| {
        sources[v.span.file.0 as usize]
            .line_column(v.span.start)
            .line
    };
    assert_eq!(line(prod), 1);
    assert_eq!(line(&facts.variants[0]), 1);
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
}

#[test]
fn variants_that_agree_leave_the_facts_as_without_them() {
    let without = scan(&[("main.tf", BUCKET)]).1;
    // Both keep the bucket where the default puts it; one sets an unrelated variable.
    let (_, facts) = scan(&[
        ("main.tf", BUCKET),
        ("environments/dev.tfvars", "region = \"eu-central-1\"\n"),
        ("environments/prod.tfvars", "instance_type = \"m5.large\"\n"),
    ]);
    assert_eq!(placed(&facts), placed(&without));
    assert_eq!(
        placed(&facts),
        vec![one("aws_s3_bucket.data", "aws:eu-central-1", &[])]
    );
    assert_eq!(facts.nodes, without.nodes);
    assert_eq!(facts.flows, without.flows);
    assert_eq!(facts.diagnostics, without.diagnostics);
    // The variants were read, and say so.
    assert_eq!(names(&facts), vec!["dev", "prod"]);
}

#[test]
fn the_var_file_overrides_the_automatic_ones() {
    let (_, facts) = scan(&[
        ("main.tf", BUCKET),
        ("terraform.tfvars", "region = \"eu-west-1\"\n"),
        ("regions.auto.tfvars", "region = \"eu-north-1\"\n"),
        ("vars/prod.tfvars.json", "{\"region\": \"us-west-2\"}\n"),
        ("vars/staging.tfvars", "other = 1\n"),
    ]);
    assert_eq!(
        placed(&facts),
        vec![
            one("aws_s3_bucket.data", "aws:us-west-2", &["prod"]),
            one("aws_s3_bucket.data", "aws:eu-north-1", &["staging"]),
        ]
    );
}

#[test]
fn files_of_the_same_stem_are_named_by_the_shortest_path_that_tells_them_apart() {
    let (_, facts) = scan(&[
        ("main.tf", BUCKET),
        (
            "configurations/regions/eu-west-2/prod.tfvars",
            "region = \"eu-west-2\"\n",
        ),
        (
            "configurations/regions/us-east-1/prod.tfvars",
            "region = \"us-east-1\"\n",
        ),
        (
            "configurations/regions/us-east-1/dev.tfvars",
            "region = \"us-east-1\"\n",
        ),
        ("envs/QA/terraform.tfvars", "region = \"eu-west-1\"\n"),
    ]);
    assert_eq!(
        names(&facts),
        vec!["dev", "eu-west-2/prod", "qa", "us-east-1/prod"]
    );
    assert_eq!(
        placed(&facts),
        vec![
            one(
                "aws_s3_bucket.data",
                "aws:us-east-1",
                &["dev", "us-east-1/prod"]
            ),
            one("aws_s3_bucket.data", "aws:eu-west-2", &["eu-west-2/prod"]),
            one("aws_s3_bucket.data", "aws:eu-west-1", &["qa"]),
        ]
    );
}

#[test]
fn a_var_file_beside_several_roots_is_noted_not_guessed() {
    let (_, facts) = scan(&[
        ("stacks/network/main.tf", BUCKET),
        ("stacks/db/main.tf", BUCKET),
        ("stacks/prod.tfvars", "region = \"us-east-1\"\n"),
    ]);
    assert!(facts.variants.is_empty(), "{:?}", facts.variants);
    assert!(facts.nodes.iter().all(|n| n.variants.is_empty()));
    assert_eq!(
        region_of(&facts, "stacks/db/aws_s3_bucket.data"),
        "aws:eu-central-1"
    );
    let notes: Vec<&str> = facts
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::UnresolvedReference)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(notes.len(), 1, "{:?}", facts.diagnostics);
    assert!(
        notes[0].contains("`stacks/prod.tfvars`")
            && notes[0].contains("`stacks/db`, `stacks/network`"),
        "{}",
        notes[0]
    );
}

#[test]
fn a_var_file_beside_one_root_is_its_variant() {
    let (_, facts) = scan(&[
        ("infra/main.tf", BUCKET),
        ("vars/prod.tfvars", "region = \"us-east-1\"\n"),
        ("vars/dev.tfvars", "region = \"eu-central-1\"\n"),
    ]);
    assert_eq!(names(&facts), vec!["dev", "prod"]);
    assert_eq!(
        placed(&facts),
        vec![
            one("aws_s3_bucket.data", "aws:eu-central-1", &["dev"]),
            one("aws_s3_bucket.data", "aws:us-east-1", &["prod"]),
        ]
    );
}

#[test]
fn a_modules_own_var_files_are_not_variants() {
    let (_, facts) = scan(&[
        (
            "main.tf",
            "provider \"aws\" {\n  region = \"eu-west-1\"\n}\nmodule \"db\" {\n  source = \"./modules/db\"\n}\n",
        ),
        (
            "modules/db/main.tf",
            "resource \"aws_s3_bucket\" \"data\" {}\n",
        ),
        ("modules/db/test/us.tfvars", "region = \"us-east-1\"\n"),
        ("modules/db/us.tfvars", "region = \"us-east-1\"\n"),
    ]);
    assert!(facts.variants.is_empty(), "{:?}", facts.variants);
    assert_eq!(
        placed(&facts),
        vec![one("module.db.aws_s3_bucket.data", "aws:eu-west-1", &[])]
    );
}

#[test]
fn variants_of_two_roots_keep_the_directory_qualification() {
    let (_, facts) = scan(&[
        ("envs/prod/main.tf", BUCKET),
        ("envs/prod/eu.tfvars", "region = \"eu-west-1\"\n"),
        ("envs/prod/us.tfvars", "region = \"us-east-1\"\n"),
        ("envs/staging/main.tf", BUCKET),
    ]);
    assert_eq!(
        placed(&facts),
        vec![
            one("envs/prod/aws_s3_bucket.data", "aws:eu-west-1", &["eu"]),
            one("envs/prod/aws_s3_bucket.data", "aws:us-east-1", &["us"]),
            one("envs/staging/aws_s3_bucket.data", "aws:eu-central-1", &[]),
        ]
    );
}

#[test]
fn a_manifest_entry_names_the_root_and_its_files_instead() {
    let sources: Vec<SourceFile> = [
        ("infra/main.tf", BUCKET),
        ("infra/envs/dev.tfvars", "region = \"eu-central-1\"\n"),
        ("infra/envs/prod.tfvars", "region = \"us-east-1\"\n"),
        ("config/live.tfvars", "region = \"ap-south-1\"\n"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (path, text))| SourceFile::new(FileId(i as u32), (*path).into(), Arc::from(*text)))
    .collect();
    let refs: Vec<&SourceFile> = sources.iter().collect();
    let rules = crate::rules::RuleSet::builtin().unwrap();
    let explicit = [
        TerraformVariants {
            root: "infra".into(),
            var_files: vec![
                "config/live.tfvars".into(),
                "infra/envs/dev.tfvars".into(),
                "config/gone.tfvars".into(),
            ],
        },
        TerraformVariants {
            root: "config".into(),
            var_files: Vec::new(),
        },
    ];
    let facts = extract_variants(&refs, &rules, &explicit);
    let errors: Vec<&str> = facts
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::InputError)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("`config/gone.tfvars`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("names `config` as a root")),
        "{errors:?}"
    );
    assert_eq!(names(&facts), vec!["dev", "live"]);
    assert_eq!(
        placed(&facts),
        vec![
            one("aws_s3_bucket.data", "aws:eu-central-1", &["dev"]),
            one("aws_s3_bucket.data", "aws:ap-south-1", &["live"]),
        ]
    );
}

#[test]
fn too_many_var_files_are_bounded() {
    let mut files: Vec<(String, String)> = vec![("main.tf".into(), BUCKET.into())];
    for i in 0..(super::variants::MAX_VARIANTS_PER_ROOT + 3) {
        files.push((
            format!("envs/e{i:03}.tfvars"),
            "region = \"eu-west-1\"\n".into(),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let (_, facts) = scan(&refs);
    assert_eq!(facts.variants.len(), super::variants::MAX_VARIANTS_PER_ROOT);
    assert!(
        facts
            .diagnostics
            .iter()
            .any(|d| d.message.contains("only the first")),
        "{:?}",
        facts.diagnostics
    );
}

fn region_of(facts: &Facts, id: &str) -> String {
    match node(facts, id).location.as_ref().map(|l| &l.location) {
        Some(location) => location.to_string(),
        None => "none".into(),
    }
}

#[test]
fn read_root_with_puts_given_values_below_the_automatic_files_and_var_files_above() {
    let texts = [
        (
            "modules/db/main.tf",
            "variable \"region\" {}\nvariable \"replica\" {}\nvariable \"third\" {\n  default = \"eu-west-3\"\n}\nprovider \"aws\" {\n  region = var.region\n}\nresource \"aws_s3_bucket\" \"data\" {}\nresource \"aws_s3_bucket\" \"copy\" {\n  region = var.replica\n}\nresource \"aws_s3_bucket\" \"third\" {\n  region = var.third\n}\n",
        ),
        ("modules/db/terraform.tfvars", "replica = \"eu-north-1\"\n"),
        ("modules/db/prod.tfvars", "region = \"ap-south-1\"\n"),
        ("live/prod.tfvars", "third = \"us-west-2\"\n"),
    ];
    let sources: Vec<SourceFile> = texts
        .iter()
        .enumerate()
        .map(|(i, (path, text))| {
            SourceFile::new(FileId(i as u32), (*path).into(), Arc::from(*text))
        })
        .collect();
    let refs: Vec<&SourceFile> = sources.iter().collect();
    let rules = crate::rules::RuleSet::builtin().unwrap();
    let expr = |text: &str| -> hcl_edit::expr::Expression { text.parse().unwrap() };
    let values = RootValues {
        env: [
            ("region".to_string(), Ok(expr("\"us-east-1\""))),
            ("replica".to_string(), Ok(expr("\"us-east-2\""))),
        ]
        .into_iter()
        .collect(),
        var_files: vec![&sources[3]],
    };
    let facts = read_root_with(&refs, "modules/db".into(), &values, &rules);
    // The environment value sets what no file sets; `prod.tfvars` beside the module is not read.
    assert_eq!(region_of(&facts, "aws_s3_bucket.data"), "aws:us-east-1");
    // The module's `terraform.tfvars` is above the environment.
    assert_eq!(region_of(&facts, "aws_s3_bucket.copy"), "aws:eu-north-1");
    // A -var-file is above everything.
    assert_eq!(region_of(&facts, "aws_s3_bucket.third"), "aws:us-west-2");

    let unknown = RootValues {
        env: [(
            "region".to_string(),
            Err("`dependency.vpc.outputs.region` is known only after apply".to_string()),
        )]
        .into_iter()
        .collect(),
        var_files: Vec::new(),
    };
    let facts = read_root_with(&refs, "modules/db".into(), &unknown, &rules);
    let data = node(&facts, "aws_s3_bucket.data").location.clone().unwrap();
    assert_eq!(data.location, Location::Unknown);
    assert!(
        data.unresolved_reason
            .unwrap_or_default()
            .contains("dependency.vpc"),
    );
}

#[test]
fn a_var_file_far_from_every_root_is_left_alone() {
    // Test inputs for modules elsewhere (a test harness passes them): neither a variant nor a note.
    let (_, facts) = scan(&[
        ("tests/examples/main.tf", BUCKET),
        ("tests/fixtures/main.tf", BUCKET),
        (
            "tests/fast/stages/s0/simple.tfvars",
            "region = \"us-east-1\"\n",
        ),
    ]);
    assert!(facts.variants.is_empty(), "{:?}", facts.variants);
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
}

#[test]
fn a_variant_points_at_the_first_value_that_differs() {
    let (sources, facts) = scan(&[
        ("main.tf", BUCKET),
        (
            "envs/dev.tfvars",
            "# development\nowner = \"shop\"\nregion = \"eu-central-1\"\n",
        ),
        (
            "envs/prod.tfvars",
            "# production\nowner = \"shop\"\n\nregion = \"us-east-1\"\n",
        ),
    ]);
    let lines: Vec<(String, u32)> = facts
        .variants
        .iter()
        .map(|v| {
            let file = &sources[v.span.file.0 as usize];
            (v.name.clone(), file.line_column(v.span.start).line)
        })
        .collect();
    assert_eq!(lines, vec![("dev".to_string(), 3), ("prod".to_string(), 4)]);
}
