//! `borderline rules`: the checks and the rule data in force, with versions and dates.

use super::{EXIT_OK, RuleDataOptions, load_rules, write_output};
use borderline::date::Date;
use borderline::report::neutral;
use borderline::rule::Rule;
use borderline::rules::RuleSet;
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
    /// List the SaaS vendors of the rule data instead: the ids a flow or a node may name
    /// (`to = "sendgrid"`, `[[node]] id = "sentry"`), with country, certifications and hosts.
    #[arg(long)]
    pub vendors: bool,
    #[command(flatten)]
    pub common: RuleDataOptions,
}

/// `borderline rules --vendors`: one row per vendor of the rule data, by id.
fn vendors(rules: &RuleSet, format: RulesFormat, date: Date) -> anyhow::Result<String> {
    let mut vendors: Vec<_> = rules.vendors().collect();
    vendors.sort_by(|a, b| a.id.cmp(&b.id));
    let countries = |vendor: &borderline::rules::Vendor| -> String {
        if vendor.default_countries.is_empty() {
            vendor.country.clone()
        } else {
            vendor.default_countries.join(",")
        }
    };
    match format {
        RulesFormat::Json => {
            let list: Vec<_> = vendors
                .iter()
                .map(|v| {
                    serde_json::json!({
                        "id": v.id,
                        "name": v.name,
                        "legal_entity": v.legal_entity,
                        "country": v.country,
                        "default_countries": v.default_countries,
                        "certifications": v.certifications,
                        "certifications_verified": v.certifications_confidence.is_verified(),
                        "domains": v.domains,
                        "endpoints": v.endpoints.iter().map(|e| serde_json::json!({
                            "host": e.host, "countries": e.countries,
                        })).collect::<Vec<_>>(),
                        "verified": v.confidence.is_verified(),
                        "source": v.source,
                        "as_of": v.as_of.to_string(),
                    })
                })
                .collect();
            let value = serde_json::json!({
                "evaluation_date": date.to_string(),
                "vendors": list,
            });
            let mut out = serde_json::to_string_pretty(&value)?;
            out.push('\n');
            Ok(out)
        }
        RulesFormat::Text => {
            let mut out = String::new();
            writeln!(
                out,
                "Vendors in rule data ({}): name one by its id, `to = \"ID\"` in a flow or `[[node]] id = \"ID\"` to add to what rule data says",
                vendors.len()
            )?;
            writeln!(
                out,
                "  {:<24} {:<10} {:<16} {:<36} HOSTS",
                "ID", "COUNTRY", "CERTIFICATIONS", "NAME"
            )?;
            for vendor in vendors {
                let certifications = if vendor.certifications.is_empty() {
                    "-".to_string()
                } else if vendor.certifications_confidence.is_verified() {
                    vendor.certifications.join(",")
                } else {
                    format!("{} (unverified)", vendor.certifications.join(","))
                };
                let mut hosts: Vec<String> = vendor.domains.clone();
                hosts.extend(vendor.endpoints.iter().map(|e| {
                    if e.countries.is_empty() {
                        format!("{} (?)", e.host)
                    } else {
                        format!("{} ({})", e.host, e.countries.join(","))
                    }
                }));
                writeln!(
                    out,
                    "  {:<24} {:<10} {:<16} {:<36} {}",
                    one_line(&vendor.id),
                    one_line(&countries(vendor)),
                    one_line(&certifications),
                    one_line(&vendor.name),
                    one_line(&hosts.join(" "))
                )?;
            }
            Ok(neutral::defuse_workflow_commands(&out))
        }
    }
}

pub fn run(args: RulesArgs) -> anyhow::Result<i32> {
    let rules = load_rules(&args.common)?;
    let date = args.common.date.unwrap_or_else(Date::today);
    if args.vendors {
        let text = vendors(&rules, args.format, date)?;
        write_output(&args.common, &text)?;
        return Ok(EXIT_OK);
    }
    let text = match args.format {
        RulesFormat::Json => {
            let checks: Vec<_> = Rule::ALL
                .into_iter()
                .map(|r| serde_json::json!({"rule": r.name(), "severity": r.default_severity().as_str(), "summary": r.summary()}))
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
            for rule in Rule::ALL {
                writeln!(
                    out,
                    "  {:<36} {:<8} {}",
                    rule.name(),
                    rule.default_severity().as_str(),
                    rule.summary()
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
