//! Compiles `fixtures/annotated-crate`, which uses every annotation form, against this crate.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn annotated_fixture_crate_compiles() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let manifest = root.join("fixtures/annotated-crate/Cargo.toml");
    // A subfolder of the workspace's target directory: builds are reused between runs, and the
    // fixture's lock file never competes with the workspace's.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("annotated-crate");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        .output();
    assert!(output.is_ok(), "cannot run cargo: {output:?}");
    let Ok(output) = output else { return };
    assert!(
        output.status.success(),
        "the annotated fixture crate does not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
