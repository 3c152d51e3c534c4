//! Integration tests, one binary: fixtures with inline expectations, CLI behaviour, snapshots.

// Tests fail by panicking; the workspace lints against it are for production code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod baseline;
mod cache;
mod cli;
mod cli_outputs;
mod cli_paths;
mod code_calls;
mod code_sdks;
mod config_shapes;
mod demo;
mod environments;
mod extract_engine;
mod facts_in_rules;
mod fixtures;
mod graph;
mod hostile_bounds;
mod hostile_graph;
mod hostile_io;
mod hostile_sinks;
mod hostile_terraform;
mod hostile_walk;
mod init_green;
mod inline_waivers;
mod inplace_tags;
mod invariants;
mod k8s14;
mod links14;
mod merge_judgement;
mod merge_steps;
mod mistakes_fail;
mod module_catalogue;
mod names14;
mod one_service;
mod output_safety;
mod policy_from;
mod properties;
mod rule_identity;
mod rust_valid;
mod safeguards_one;
mod safety;
mod sarif;
mod snapshots_commands;
mod snapshots_fixtures;
mod snapshots_manifest;
mod stores;
mod support;
mod tables14;
mod terraform_files;
mod terraform_instances;
mod terraform_plan;
mod terraform_values;
mod tidy;
mod vendor_catalogue;
mod vendor_nodes;
