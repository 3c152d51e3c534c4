//! Integration tests, one binary: fixtures with inline expectations, CLI behaviour, snapshots.

mod baseline;
mod cli;
mod cli_outputs;
mod fixtures;
mod graph;
mod sarif;
mod support;
