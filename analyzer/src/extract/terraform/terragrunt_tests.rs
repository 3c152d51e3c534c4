//! Tests of the Terragrunt reading: units, names, includes, inputs, sources, bounds.

use super::*;
use crate::source::FileId;
use std::sync::Arc;

fn sources(files: &[(&str, &str)]) -> Vec<SourceFile> {
    files
        .iter()
        .enumerate()
        .map(|(index, (path, text))| {
            SourceFile::new(FileId(index as u32), (*path).into(), Arc::from(*text))
        })
        .collect()
}

type Resolved = (String, Source, BTreeMap<String, Eval>);

fn resolve(files: &[(&str, &str)]) -> (Vec<Resolved>, Vec<String>) {
    let sources = sources(files);
    let refs: Vec<&SourceFile> = sources.iter().collect();
    let files = Files::new(&refs);
    let (units, problems) = units(&files);
    (
        units
            .into_iter()
            .map(|u| {
                (
                    u.name,
                    u.source,
                    u.inputs.into_iter().map(|(k, (v, _))| (k, v)).collect(),
                )
            })
            .collect(),
        problems.into_iter().map(|(_, m)| m).collect(),
    )
}

const ROOT_HCL: &str = r#"
locals {
  region_vars = read_terragrunt_config(find_in_parent_folders("region.hcl"))
  env_vars    = read_terragrunt_config(find_in_parent_folders("env.hcl", "missing"))
  aws_region  = local.region_vars.locals.aws_region
}
generate "provider" {
  path     = "provider.tf"
  contents = <<PROVIDER
provider "aws" {
  region = "${local.aws_region}"
}
PROVIDER
}
inputs = merge(local.region_vars.locals, { owner = get_env("OWNER", "team") })
"#;

#[test]
fn units_are_named_from_the_live_root_and_inherit_inputs() {
    let unit = r#"
include "root" {
  path = find_in_parent_folders("root.hcl")
}
terraform {
  source = "${get_repo_root()}/modules//bucket"
}
inputs = {
  name = "data-${path_relative_to_include()}"
  replica_region = include.root.locals.aws_region
}
"#;
    let (units, problems) = resolve(&[
        ("live/root.hcl", ROOT_HCL),
        (
            "live/prod/us-east-1/region.hcl",
            "locals {\n  aws_region = \"us-east-1\"\n}\n",
        ),
        ("live/prod/us-east-1/bucket/terragrunt.hcl", unit),
        (
            "live/dev/eu-west-1/region.hcl",
            "locals {\n  aws_region = \"eu-west-1\"\n}\n",
        ),
        ("live/dev/eu-west-1/bucket/terragrunt.hcl", unit),
    ]);
    assert!(problems.is_empty(), "{problems:?}");
    let names: Vec<&str> = units.iter().map(|u| u.0.as_str()).collect();
    assert_eq!(names, ["dev/eu-west-1/bucket", "prod/us-east-1/bucket"]);
    let (_, source, inputs) = &units[1];
    assert_eq!(*source, Source::Local("modules/bucket".into()));
    assert_eq!(inputs["aws_region"], Ok(Value::String("us-east-1".into())));
    assert_eq!(
        inputs["replica_region"],
        Ok(Value::String("us-east-1".into()))
    );
    assert_eq!(inputs["owner"], Ok(Value::String("team".into())));
    assert_eq!(
        inputs["name"],
        Ok(Value::String("data-prod/us-east-1/bucket".into()))
    );
}

#[test]
fn generated_providers_carry_the_region_and_its_line() {
    let sources = sources(&[
        ("root.hcl", ROOT_HCL),
        (
            "eu/region.hcl",
            "locals {\n  aws_region = \"eu-central-1\"\n}\n",
        ),
        (
            "eu/db/terragrunt.hcl",
            "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\nterraform {\n  source = \"../../modules/db\"\n}\n",
        ),
    ]);
    let refs: Vec<&SourceFile> = sources.iter().collect();
    let files = Files::new(&refs);
    let (units, _) = units(&files);
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].name, "eu/db");
    let (key, region, span) = &units[0].providers[0];
    assert_eq!(key, "aws");
    assert_eq!(*region, Ok(Value::String("eu-central-1".into())));
    let span = span.unwrap();
    let text = &sources[0].text[span.start as usize..span.end as usize];
    assert_eq!(text, "region = \"${local.aws_region}\"");
}

#[test]
fn remote_sources_env_and_dependencies_are_not_guessed() {
    let (units, _) = resolve(&[(
        "prod/mysql/terragrunt.hcl",
        r#"
terraform {
  source = "git::git@github.com:acme/modules.git//mysql?ref=v1"
}
dependency "vpc" {
  config_path = "../vpc"
}
inputs = {
  region = get_env("AWS_REGION")
  vpc    = dependency.vpc.outputs.id
  cmd    = run_cmd("echo", "eu-west-1")
}
"#,
    )]);
    let (name, source, inputs) = &units[0];
    assert_eq!(name, "prod/mysql");
    assert!(matches!(source, Source::Remote(s) if s.starts_with("git::")));
    assert!(
        inputs["region"]
            .as_ref()
            .unwrap_err()
            .contains("environment")
    );
    assert!(
        inputs["vpc"]
            .as_ref()
            .unwrap_err()
            .contains("dependency.vpc")
    );
    assert!(inputs["cmd"].as_ref().unwrap_err().contains("run_cmd"));
}

#[test]
fn paths_out_of_the_root_and_cycles_are_refused() {
    let (units, problems) = resolve(&[
        (
            "a/terragrunt.hcl",
            "terraform {\n  source = \"../../../etc//x\"\n}\n",
        ),
        (
            "b/terragrunt.hcl",
            "locals {\n  x = read_terragrunt_config(\"../c.hcl\")\n}\nterraform {\n  source = \"../m\"\n}\ninputs = { v = local.x.locals.y }\n",
        ),
        (
            "c.hcl",
            "locals {\n  me = read_terragrunt_config(\"c.hcl\")\n  y = local.me.locals.y\n}\n",
        ),
        (
            "d/terragrunt.hcl",
            "locals {\n  a = local.b\n  b = local.a\n}\ninputs = { v = local.a }\n",
        ),
    ]);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("leaves the scanned directory")),
        "{problems:?}"
    );
    assert!(matches!(units[0].1, Source::Unknown(_)));
    assert!(units[1].2["v"].is_err());
    assert!(
        units[2].2["v"]
            .as_ref()
            .unwrap_err()
            .contains("refers to itself")
    );
}

#[test]
fn a_parent_that_units_include_is_not_a_unit_and_includes_are_bounded() {
    let (units, problems) = resolve(&[
        ("terragrunt.hcl", "inputs = { region = \"eu-west-1\" }\n"),
        (
            "x/terragrunt.hcl",
            "include {\n  path = find_in_parent_folders()\n}\nterraform {\n  source = \"../mod\"\n}\n",
        ),
        (
            "loop/terragrunt.hcl",
            "include \"self\" {\n  path = \"${get_terragrunt_dir()}/terragrunt.hcl\"\n}\nterraform {\n  source = \"../mod\"\n}\n",
        ),
    ]);
    let names: Vec<&str> = units.iter().map(|u| u.0.as_str()).collect();
    assert_eq!(names, ["loop", "x"]);
    assert_eq!(units[1].2["region"], Ok(Value::String("eu-west-1".into())));
    assert!(problems.iter().any(|p| p.contains("cycle")), "{problems:?}");
}

#[test]
fn a_generated_provider_reading_a_variable_takes_the_units_input() {
    let root = "generate \"provider\" {\n  path     = \"provider.tf\"\n  contents = <<P\nprovider \"aws\" {\n  region = var.aws_region\n}\nP\n}\ninputs = {\n  aws_region = \"us-east-1\"\n}\n";
    let sources = sources(&[
        ("envs/terragrunt.hcl", root),
        (
            "envs/prod/rds/terragrunt.hcl",
            "include \"root\" {\n  path = find_in_parent_folders()\n}\nterraform {\n  source = \"${get_parent_terragrunt_dir()}/../modules/${basename(path_relative_to_include())}\"\n}\n",
        ),
    ]);
    let refs: Vec<&SourceFile> = sources.iter().collect();
    let files = Files::new(&refs);
    let (units, problems) = units(&files);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].name, "prod/rds");
    assert_eq!(units[0].source, Source::Local("modules/rds".into()));
    assert_eq!(
        units[0].providers[0].1,
        Ok(Value::String("us-east-1".into()))
    );
}

#[test]
fn try_falls_back_only_on_certain_failures_and_unknown_inputs_hide_the_parents() {
    let (units, _) = resolve(&[
        ("root.hcl", "inputs = {\n  region = \"eu-central-1\"\n}\n"),
        (
            "dev/bucket/terragrunt.hcl",
            "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\nterraform {\n  source = \"../../m\"\n}\nlocals {\n  missing = try(local.nothing.x, \"fallback\")\n  secrets = try(yamldecode(file(find_in_parent_folders(\"secrets.yaml\"))), {})\n}\ninputs = merge({ name = local.missing }, local.secrets)\n",
        ),
    ]);
    let inputs = &units[0].2;
    // The secrets file may set the region: the parent's region is unknown too, never kept.
    assert!(
        inputs["region"]
            .as_ref()
            .unwrap_err()
            .contains("yamldecode")
    );
    let (_, _, direct) = &resolve(&[(
        "x/terragrunt.hcl",
        "terraform {\n  source = \"../m\"\n}\nlocals {\n  missing = try(local.nothing.x, \"fallback\")\n}\ninputs = { name = local.missing }\n",
    )])
    .0[0];
    assert_eq!(direct["name"], Ok(Value::String("fallback".into())));
}

#[test]
fn a_template_of_a_configuration_is_not_an_error_but_a_broken_one_is() {
    let (units, problems) = resolve(&[
        (
            "modules/x/.boilerplate/terragrunt.hcl",
            "inputs = {\n  {{ range .vars }}\n  {{ .Name }} = \"\"\n  {{ end }}\n}\n",
        ),
        ("live/y/terragrunt.hcl", "inputs = {\n  a = \n}\n"),
    ]);
    assert!(units.is_empty());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("terragrunt: "), "{problems:?}");
}
