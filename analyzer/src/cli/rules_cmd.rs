//! `borderline rules`: the checks and the rule data in force, with versions and dates.

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, RulesOptions, load_rules, write_output};
use borderline::date::Date;
use borderline::report::neutral;
use borderline::rule::Rule;
use borderline::rules::RuleSet;
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::path::PathBuf;

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
    #[arg(long, conflicts_with = "impact")]
    pub vendors: bool,
    /// What if this adequacy decision (an id of the listing, e.g. `eu-us-dpf`) were annulled:
    /// list every transfer of the repository at PATH that rests on it today and what each would
    /// still have (an SCC, a TIA, BCRs, a derogation, or nothing and the finding it would get).
    /// Exit 1 when a transfer would be left without any basis. Takes the options of `scan`.
    #[arg(long, value_name = "DECISION")]
    pub impact: Option<String>,
    /// The repository `--impact` looks at.
    #[arg(value_name = "PATH", requires = "impact")]
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub common: RulesOptions,
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

/// `borderline rules --impact DECISION [PATH]`: the repository judged as it is and with the
/// decision assumed invalid, from one extraction, compared transfer by transfer.
fn impact(args: &RulesArgs, decision_id: &str) -> anyhow::Result<i32> {
    let common = &args.common;
    super::configure_jobs(common)?;
    let rules = load_rules(common)?;
    let Some(decision) = rules.adequacy_decision(decision_id) else {
        // The same message as `--assume-invalid` with an unknown id.
        let error = rules
            .clone()
            .assuming(&[decision_id.to_string()], &[])
            .err()
            .map(|e| e.to_string().replacen("--assume-invalid", "--impact", 1))
            .unwrap_or_else(|| format!("--impact {decision_id}: no such adequacy decision"));
        anyhow::bail!("{error}");
    };
    if rules.hypotheses().iter().any(|h| h.decision == decision.id) {
        anyhow::bail!(
            "--impact {} compares the run with {} assumed invalid; it cannot also be given to --assume-invalid or --assume-valid",
            decision.id,
            decision.id
        );
    }
    let annulled = rules
        .clone()
        .assuming(std::slice::from_ref(&decision.id), &[])
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let Some((scanned, Some(other))) =
        super::scan_loaded(&path, common, false, None, &rules, Some(&annulled))?
    else {
        return Ok(EXIT_ERROR);
    };
    let report = borderline::report::impact::Impact::compare(
        &scanned.model,
        &scanned.evaluation,
        &other,
        &rules,
        decision,
    );
    let text = match args.format {
        RulesFormat::Json => report.to_json(),
        RulesFormat::Text => report.to_text(),
    };
    write_output(common, &text)?;
    Ok(if report.leaves_a_transfer_without_basis() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

pub fn run(args: RulesArgs) -> anyhow::Result<i32> {
    if let Some(decision) = args.impact.clone() {
        return impact(&args, &decision);
    }
    let rules = load_rules(&args.common)?;
    let date = args.common.date.unwrap_or_else(Date::today);
    let text = if args.vendors {
        vendors(&rules, args.format, date)?
    } else {
        listing(&args, &rules, date)?
    };
    write_output(&args.common, &text)?;
    Ok(EXIT_OK)
}

/// `borderline rules`: the checks, the rule-data files and the adequacy decisions on `date`.
fn listing(args: &RulesArgs, rules: &RuleSet, date: Date) -> anyhow::Result<String> {
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
                    "pending": d.pending.iter().map(|p| serde_json::json!({
                        "case": p.case, "kind": p.kind, "court": p.court,
                        "against": p.against, "lodged": p.lodged.to_string(),
                        "checked": p.checked.to_string(), "source": p.source,
                        "verified": p.confidence.is_verified(),
                    })).collect::<Vec<_>>(),
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
            decisions_text(rules, date, &mut out)?;
            // Rule data may come from `--rules DIR`, which may sit in the scanned checkout.
            neutral::defuse_workflow_commands(&out)
        }
    };
    Ok(text)
}

/// The adequacy decisions of the listing, by jurisdiction then adoption, each with its id (what
/// `--assume-invalid`, `--assume-valid` and `--impact` take) and the proceedings pending against it.
fn decisions_text(rules: &RuleSet, date: Date, out: &mut String) -> std::fmt::Result {
    writeln!(
        out,
        "\nAdequacy decisions on {date} (ID: what --assume-invalid, --assume-valid and --impact take)"
    )?;
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
            "  {:<18} {:<6} {:<52} adopted {}{}  {}{}",
            one_line(&decision.id),
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
        for pending in &decision.pending {
            writeln!(
                out,
                "  {:<18} {:<6} {} {} before the {}, lodged {}: pending, checked {}",
                "",
                "",
                one_line(&pending.kind),
                one_line(&pending.case),
                one_line(&pending.court),
                pending.lodged,
                pending.checked
            )?;
        }
    }
    Ok(())
}
