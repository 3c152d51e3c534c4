//! `borderline init`.
use clap::Args;
#[derive(Debug, Args)]
pub struct InitArgs {}
pub fn run(_args: InitArgs) -> anyhow::Result<i32> {
    Ok(0)
}
