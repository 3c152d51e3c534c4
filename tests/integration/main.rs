//! Integration tests, one binary: fixtures with inline expectations, CLI behaviour, snapshots.

// A failing test reports by panicking; the workspace's `panic` lint is for the product code.
#![allow(clippy::panic)]

mod baseline;
mod cli;
mod cli_outputs;
mod fixtures;
mod graph;
mod sarif;
mod support;
