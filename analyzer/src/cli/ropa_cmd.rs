//! `borderline ropa`.
use clap::Args;
#[derive(Debug, Args)]
pub struct RopaArgs {}
pub fn run(_args: RopaArgs) -> anyhow::Result<i32> {
    Ok(0)
}
