//! `borderline merge`.
use clap::Args;
#[derive(Debug, Args)]
pub struct MergeArgs {}
pub fn run(_args: MergeArgs) -> anyhow::Result<i32> {
    Ok(0)
}
