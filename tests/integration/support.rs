//! Helpers shared by the integration tests: paths, the fixed evaluation date, running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

/// Fixtures are evaluated on a fixed date, so verdicts that depend on dates do not drift.
pub const FIXTURE_DATE: &str = "2026-11-29";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("fixtures")
}

/// Runs the `borderline` binary with `args` in `dir`.
pub fn borderline(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_borderline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run borderline: {e}"))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
