//! `borderline explain RULE`: the rule's documentation.

use super::{CommonArgs, EXIT_OK, write_output};
use borderline::checks::CHECKS;
use clap::Args;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule name, e.g. `transfer-without-safeguard`.
    pub subject: String,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<i32> {
    let Some(check) = borderline::checks::check(args.subject.trim()) else {
        let known = CHECKS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
        anyhow::bail!("`{}` is not a rule; the rules are: {known}", args.subject);
    };
    let text = format!(
        "{}\n\nDefault severity: {}\n",
        check.documentation(),
        check.default_severity.as_str()
    );
    write_output(&args.common, &text)?;
    Ok(EXIT_OK)
}
