//! Integration tests, one binary: fixtures with inline expectations, CLI behaviour, snapshots.

mod cli;
mod fixtures;
mod support;
