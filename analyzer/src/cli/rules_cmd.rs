//! `borderline rules`: the checks and the rule data in force, with versions and dates.

use super::{EXIT_OK, RuleDataOptions, load_rules, write_output};
use borderline::checks::CHECKS;
use borderline::date::Date;
use borderline::report::neutral;
use clap::{Args, ValueEnum};
use std::fmt::Write as _;

/// Rule-data text on one line of the listing: no terminal controls or hidden characters, no line
/// break that would start a line of its own.
fn one_line(text: &str) -> String {
    neutral::terminal_inline(text)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value = "text")]
    pub format: RulesFormat,
    #[command(flatten)]
    pub common: RuleDataOptions,
}

pub fn run(args: RulesArgs) -> anyhow::Result<i32> {
    let rules = load_rules(&args.common)?;
    let date = args.common.date.unwrap_or_else(Date::today);
    let text = match args.format {
        RulesFormat::Json => {
            let checks: Vec<_> = CHECKS
                .iter()
                .map(|c| serde_json::json!({"rule": c.name, "severity": c.default_severity.as_str(), "summary": c.summary}))
                .collect();
            let decisions: Vec<_> = rules
                .all_adequacy_decisions()
                .map(|d| serde_json::json!({
                    "id": d.id, "jurisdiction": d.jurisdiction, "instrument": d.instrument,
                    "adopted": d.adopted.to_string(), "expires": d.expires.map(|e| e.to_string()),
                    "in_force": d.in_force_on(date), "verified": d.confidence.is_verified(),
                }))
                .collect();
            let value = serde_json::json!({
                "evaluation_date": date.to_string(),
                "checks": checks,
                "rule_data": rules.files(),
                "adequacy": decisions,
            });
            let mut out = serde_json::to_string_pretty(&value)?;
            out.push('\n');
            out
        }
        RulesFormat::Text => {
            let mut out = String::new();
            writeln!(out, "Checks")?;
            for check in CHECKS {
                writeln!(
                    out,
                    "  {:<36} {:<8} {}",
                    check.name,
                    check.default_severity.as_str(),
                    check.summary
                )?;
            }
            writeln!(
                out,
                "\nRule data (built in{})",
                if args.common.rules.is_some() {
                    ", with --rules overrides"
                } else {
                    ""
                }
            )?;
            for file in rules.files() {
                writeln!(
                    out,
                    "  {:<28} v{:<12} as of {}  {} records  {}",
                    one_line(&file.file.to_string()),
                    one_line(&file.version.to_string()),
                    file.as_of,
                    file.records,
                    one_line(&file.title.to_string())
                )?;
                writeln!(
                    out,
                    "  {:<28} source: {}",
                    "",
                    one_line(&file.source.to_string())
                )?;
            }
            writeln!(out, "\nAdequacy decisions on {date}")?;
            let mut decisions: Vec<_> = rules.all_adequacy_decisions().collect();
            decisions.sort_by(|a, b| {
                a.jurisdiction
                    .cmp(&b.jurisdiction)
                    .then(a.adopted.cmp(&b.adopted))
            });
            for decision in decisions {
                let status = if decision.in_force_on(date) {
                    "in force"
                } else if decision.adopted > date {
                    "not yet adopted"
                } else {
                    "expired"
                };
                writeln!(
                    out,
                    "  {:<6} {:<52} adopted {}{}  {}{}",
                    one_line(&decision.jurisdiction.to_string()),
                    one_line(&decision.instrument.to_string()),
                    decision.adopted,
                    decision
                        .expires
                        .map(|e| format!(", expires {e}"))
                        .unwrap_or_default(),
                    status,
                    if decision.confidence.is_verified() {
                        ""
                    } else {
                        " (unverified)"
                    }
                )?;
            }
            // Rule data may come from `--rules DIR`, which may sit in the scanned checkout.
            neutral::defuse_workflow_commands(&out)
        }
    };
    write_output(&args.common, &text)?;
    Ok(EXIT_OK)
}
