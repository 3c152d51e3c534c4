//! `borderline init`: scans a repository and writes a starter `borderline.toml`.

use super::{EXIT_ERROR, EXIT_OK, RepoOptions, scan_repository};
use borderline::report::starter;
use borderline::scan::MANIFEST_NAME;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository to scan; the manifest is written at its root (or to `-o FILE`).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub common: RepoOptions,
}

pub fn run(args: InitArgs) -> anyhow::Result<i32> {
    // `-o -`: the starter manifest on standard output, nothing written.
    let to_stdout = args.common.output.as_deref().is_some_and(super::is_stdout);
    // A manifest above PATH already governs it (`scan PATH` applies it): a second one in PATH
    // would silently replace its policy for every scan of PATH.
    if args.common.output.is_none()
        && args.common.config.is_none()
        && let Some(found) = borderline::scan::find_manifest_above(&args.path)?
    {
        eprintln!(
            "error: {} already governs {}; not writing another manifest under it (edit that \
             one, or pass -o FILE to write a starter elsewhere)",
            super::for_log(&found.root.join(MANIFEST_NAME).display().to_string()),
            super::for_log(&args.path.display().to_string())
        );
        return Ok(EXIT_ERROR);
    }
    let target = args
        .common
        .output
        .clone()
        .unwrap_or_else(|| args.path.join(MANIFEST_NAME));
    // Never overwrite a manifest: it holds what people declared, which a scan cannot recreate.
    // `symlink_metadata`: a dangling symlink is something that exists too.
    if !to_stdout && std::fs::symlink_metadata(&target).is_ok() {
        eprintln!(
            "error: {} already exists; not overwriting it (remove it or pass -o FILE)",
            target.display()
        );
        return Ok(EXIT_ERROR);
    }
    // `--config` may name a partial manifest kept elsewhere; its facts join what the scan finds.
    let Some((scanned, rules)) = scan_repository(&args.path, &args.common, true)? else {
        return Ok(EXIT_ERROR);
    };
    let project = std::fs::canonicalize(&args.path)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "my-project".into());
    let text = starter::render(&scanned.model, &scanned.evaluation, &rules, &project);
    if to_stdout {
        super::write_output(&args.common, &text)?;
        return Ok(EXIT_OK);
    }
    // `create_new` (O_EXCL, which never follows a symlink) closes the window between the check
    // above and the write; a directory on the way that is a symlink inside the repository or the
    // working directory is refused like for every file borderline writes.
    let current = std::env::current_dir().unwrap_or_default();
    let root = borderline::safe_io::absolute(&args.path);
    borderline::safe_io::check_no_symlink_components(&target, &[current.as_path(), root.as_path()])
        .map_err(|e| anyhow::anyhow!("cannot create {}", super::for_log(&e.to_string())))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", target.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))?;
    if !args.common.quiet {
        eprintln!("wrote {}", target.display());
    }
    Ok(EXIT_OK)
}
